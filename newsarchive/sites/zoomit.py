"""Zoomit (www.zoomit.ir): Next.js with styled-components, no WordPress.

Class names are hashes (``sc-3f9a1c2e-0 kDyGrB``) that change with every
release, so this module names none of them. It relies on what survives a
release:

* elements and structure: ``main article`` holds the page ``header`` (``h1``,
  then a line whose first ``span`` is the displayed date,
  ``[weekday] D month YYYY - HH:MM``) and the body, which is the first
  ``div`` of the article with two paragraphs in a row (``div:has(> p + p)``).
  Every text block of the body is a ``p``, heading, list or quote; its
  ``div`` children are widgets (ads, "read more" cards, embeds) and are noise;
* links: authors under ``/author/``, tags under ``/tag/``;
* ``meta[name=description]`` (the lead), ``article:published_time`` (ISO, UTC),
  OpenGraph and, where present, JSON-LD with a BreadcrumbList (categories).

The pre-2021 design had stable classes: ``div.article-content``,
``div.author-details-row2`` (date line), ``span.color-red`` (author).

Article URLs are ``/<category>/<id>-<slug>/``; sponsored posts are under ``/pr/``.
Discovery: the sitemap index ``/sitemap.xml`` (named in robots.txt) lists
``/sitemap/article-N.xml``; RSS at ``/feed/``; category pages such as
``/mobile/`` page with ``?pageNumber=N``.
"""

from newsarchive.sites.base import Listing, Selectors, Site

_ARTICLE = "main article"
_BODY = f"{_ARTICLE} div:has(> p + p)"

SITE = Site(
    name="zoomit",
    base_url="https://www.zoomit.ir",
    article_paths=(r"^/[a-z0-9-]+/\d{5,}-[a-z0-9-]+/?$",),
    not_article_paths=(r"^/(tag|author|archive|feed|sitemap|search|product|user)(/|$)",),
    sponsored_paths=(r"^/pr/",),
    feeds=("/feed/",),
    listings=("/mobile/",),
    selectors=Selectors(
        title=(f"{_ARTICLE} h1", "h1"),
        lead=("meta[name=description]::attr(content)",),
        body=("div.article-content", _BODY),
        authors=(f"{_ARTICLE} header a[href*='/author/']", ".author-details span.color-red"),
        categories=("ol.breadcrumb li a",),
        tags=(f"{_ARTICLE} header a[href*='/tag/']",),
        published=(f"{_ARTICLE} header h1 ~ div > span:first-of-type", "div.author-details-row2"),
        noise=(f"{_BODY} > div",),
    ),
    listing=Listing(
        article_links=("a.catlist__post-title::attr(href)", "main a[href]::attr(href)"),
        next_page=("link[rel=next]::attr(href)",),
    ),
    site_names=("زومیت", "خانه"),
    contract_urls=(
        "https://www.zoomit.ir/mobile/416872-samsung-galaxy-s24-fe-launch/",
        "https://www.zoomit.ir/mobile/421377-galaxy-s25-ultra-unpacked/",
        "https://www.zoomit.ir/car-news/370023-genesis-electrified-g80/",
    ),
)
