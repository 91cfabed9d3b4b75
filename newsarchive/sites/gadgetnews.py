"""Gadget News (gadgetnews.net): WordPress with TieLabs' Sahifa theme.

Selectors: an article page has ``body.single-post``, the title in its ``h1``,
the body in ``.entry``, tags in ``.post-tag a`` and the machine date in
``meta[property=article:published_time]`` (read by the meta layer). Sahifa
puts the rest in ``article#the-post``:

* the meta line ``.post-meta``: author ``.post-meta-author a``, the displayed
  date ``.tie-date`` (a Jalali day without a time, e.g. ``۲۰ تیر ۱۴۰۳``);
  related posts and sidebar widgets repeat ``.post-meta``/``.tie-date``, so
  these are read inside ``#the-post`` only;
* the breadcrumb ``#crumbs`` (categories) and the lazy header image
  ``.single-post-thumb img[data-src]``;
* inside ``.entry``: ad slots ``.e3lan``, share buttons ``.share-post`` and
  "read also" boxes ``.gn-related-inline``.

There is no lead element: the lead is the meta description. Sponsored posts
("رپورتاژ آگهی") carry WordPress's ``category-reportage`` post class; their
URLs look like any other.

Pages captured before the Sahifa redesign (2019 and earlier) use the site's
own theme: ``.gn-single__title``, ``.gn-single__meta`` (``.gn-author a``,
``.gn-date`` with a clock time) and the body in ``.gn-single__content``.

Article URLs are ``/<post id>/<slug>/`` (slugs may be Persian). Discovery:
robots.txt names Yoast's ``/sitemap_index.xml``; RSS at ``/feed/``; the news
category ``/category/news/`` pages with ``/page/N/``.
"""

from newsarchive.sites.base import Listing, Selectors, Site

_POST = "body.single-post #the-post"
_OLD = "body.single-post .gn-single"

SITE = Site(
    name="gadgetnews",
    base_url="https://gadgetnews.net",
    article_paths=(r"^/\d{5,}/[^/]+/?$",),
    not_article_paths=(r"/(feed|amp|embed)/?$",),
    feeds=("/feed/",),
    listings=("/category/news/",),
    selectors=Selectors(
        title=(f"{_POST} h1", f"{_OLD} h1"),
        body=(f"{_POST} .entry", f"{_OLD} .gn-single__content"),
        authors=(f"{_POST} .post-meta-author a", f"{_OLD} .gn-author a"),
        categories=("#crumbs a", ".gn-breadcrumb a"),
        tags=(".post-tag a",),
        image=(".single-post-thumb img::attr(data-src)", ".single-post-thumb img::attr(src)"),
        published=(f"{_POST} .post-meta .tie-date", f"{_OLD} .gn-date"),
        noise=(".e3lan", ".share-post", ".gn-related-inline", "#related_posts", "#comments"),
        sponsored=("#the-post.category-reportage",),
    ),
    listing=Listing(
        article_links=(".post-listing.archive-box h2.post-box-title a::attr(href)",),
        next_page=("#tie-next-page a::attr(href)", "link[rel=next]::attr(href)"),
    ),
    site_names=("خانه", "گجت نیوز"),
    contract_urls=(
        "https://gadgetnews.net/1089245/galaxy-z-fold6-unpacked-price/",
        "https://gadgetnews.net/745210/amd-ryzen-3000-europe-sales-record/",
    ),
)
