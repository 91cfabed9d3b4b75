"""Vigiato (vigiato.net): Digiato's sister site for games and entertainment, WordPress.

Selectors: the body is ``.content``, the categories the Yoast breadcrumb links
``#breadcrumb > span > span > a``, tags ``.tags a``, comments wpDiscuz's
``.wpd-thread-list .comment``; the machine date is ``article:published_time``
(read by the meta layer). The theme's article head ``.single__head`` holds the
``h1``, the excerpt ``.single__excerpt`` (the lead), the author
``.single__author`` and the displayed date ``.single__date``
(``D month YYYY - HH:MM``).

Video posts have WordPress's ``format-video`` post class (an Aparat player and
a short text). Sponsored posts are in the ``reportage`` category
(``category-reportage`` post class); their URLs look like any other.

Pages captured under the theme before the 2022 redesign: ``.vg-old-post``
with ``h1.post-title``, the lead ``.post-lead``, the body ``.post-body``,
author and date in ``.post-info``.

Article URLs are WordPress short links ``/p/<post id>``; categories live under
``/c/``. Discovery: robots.txt names ``/sitemap_index.xml``; RSS at ``/feed``;
the timeline ``/daily-timeline`` pages with ``/page/N``.
"""

from newsarchive.sites.base import Listing, Selectors, Site

_ARTICLE = "body.single-post article"

SITE = Site(
    name="vigiato",
    base_url="https://vigiato.net",
    article_paths=(r"^/p/\d+/?$",),
    feeds=("/feed",),
    listings=("/daily-timeline",),
    selectors=Selectors(
        title=(f"{_ARTICLE} .single__head h1", ".vg-old-post h1.post-title"),
        lead=(f"{_ARTICLE} .single__excerpt", ".vg-old-post .post-lead"),
        body=(f"{_ARTICLE} .content", ".vg-old-post .post-body"),
        authors=(f"{_ARTICLE} .single__author", ".vg-old-post .post-info a[href*='/author/']"),
        categories=("#breadcrumb > span > span > a",),
        tags=(f"{_ARTICLE} .tags a", ".vg-old-post .tags a"),
        image=(f"{_ARTICLE} .single__thumb img::attr(data-src)", ".vg-old-post .post-thumb img::attr(src)"),
        published=(f"{_ARTICLE} .single__date", ".vg-old-post .post-info .post-date"),
        noise=(".vg-ad", ".vg-related-inline", ".review-box", ".wpd-thread-list"),
        video=(f"{_ARTICLE}.format-video",),
        sponsored=(f"{_ARTICLE}.category-reportage",),
    ),
    listing=Listing(
        article_links=(".timeline .timeline__item a.timeline__title::attr(href)",),
        next_page=("a.next.page-numbers::attr(href)", "link[rel=next]::attr(href)"),
    ),
    site_names=("ویجیاتو", "خانه"),
    contract_urls=(
        "https://vigiato.net/p/468120",
        "https://vigiato.net/p/466002",
        "https://vigiato.net/p/398120",
    ),
)
