"""Peivast (peivast.com): Iran's digital-economy and ICT-policy press, WordPress.

Selectors: the summary box ``.grayboxe`` (the lead, inside the body
container, so also noise), the body ``.single-blog-content``, Yoast
breadcrumbs ``#breadcrumbs span span a``, tags ``.post-tags a`` and the
machine date ``article:published_time`` (read by the meta layer). The theme's head ``.single-blog-header`` holds the ``h1`` and
``.single-blog-meta``: the author ``.post-author a`` and the displayed date
``.post-date``, a weekday and a Jalali day without a time
(``سه‌شنبه، ۱۲ تیر ۱۴۰۳``).

Sponsored posts ("رپورتاژ") carry WordPress's ``category-reportage`` post
class; their URLs look like any other.

Pages captured under the theme used until 2020: ``.post-single`` with
``h1.post-title``, the lead ``.post-lead``, the body ``.post-content`` and the
date ``.post-meta .post-date``; they often have no ``article:published_time``.

Article URLs are WordPress short links ``/p/<post id>``; links from the time
the site lived under ``/fa/`` (``/fa/p/<id>``) redirect there. Discovery:
robots.txt names Yoast's ``/sitemap_index.xml``; RSS at ``/feed``; the news
category ``/category/news/`` pages with ``/page/N/``.
"""

from newsarchive.sites.base import Listing, Selectors, Site

_ARTICLE = "body.single-post article.single-blog-area"
_OLD = "body.single-post .post-single"

SITE = Site(
    name="peivast",
    base_url="https://peivast.com",
    article_paths=(r"^(/fa)?/p/\d+/?$",),
    feeds=("/feed",),
    listings=("/category/news/",),
    selectors=Selectors(
        title=(f"{_ARTICLE} .single-blog-header h1", f"{_OLD} h1.post-title"),
        lead=(f"{_ARTICLE} .grayboxe", f"{_OLD} .post-lead"),
        body=(f"{_ARTICLE} .single-blog-content", f"{_OLD} .post-content"),
        authors=(f"{_ARTICLE} .single-blog-meta .post-author a", f"{_OLD} .post-meta .post-author a"),
        categories=("#breadcrumbs span span a",),
        tags=(".post-tags a",),
        image=(f"{_ARTICLE} .single-blog-thumb img::attr(data-src)", f"{_OLD} .post-thumb img::attr(src)"),
        published=(f"{_ARTICLE} .single-blog-meta .post-date", f"{_OLD} .post-meta .post-date"),
        noise=(".grayboxe", ".peivast-ad", ".related-inline", ".newsletter-box"),
        sponsored=(f"{_ARTICLE}.category-reportage",),
    ),
    listing=Listing(
        article_links=(".blog-list .single-blog-post h2 a::attr(href)",),
        next_page=(".pagination a.next::attr(href)", "link[rel=next]::attr(href)"),
    ),
    site_names=("پیوست", "خانه"),
    contract_urls=(
        "https://peivast.com/p/226681",
        "https://peivast.com/p/58744",
    ),
)
