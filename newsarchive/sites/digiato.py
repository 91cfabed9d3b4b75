"""Digiato (digiato.com), the first site: WordPress with its own theme.

Layouts, newest first:

* 2022 onwards, "dailyNewsPageHead": title, lead and the author/date "tools"
  line in the page head, body in ``.articlePost``; video pages use
  ``h1.singleVideoPageTitle`` and ``.singleVideoPost``.
* 2021, "digi-container": ``article > header`` and ``div.article-content``.

Article URLs come in two styles: ``/article/YYYY/MM/DD/<slug>`` (until 2022)
and ``/<category>/<slug>`` (2023 on). Sponsored posts live under ``/promoted/``.
"""

from newsarchive.sites.base import Listing, Selectors, Site

_OLD_HEADER = "article > header"

SITE = Site(
    name="digiato",
    base_url="https://digiato.com",
    article_paths=(
        r"^/article/\d{4}/\d{1,2}/\d{1,2}/[^/]+/?$",
        r"^/[a-z0-9-]+/[^/]+/?$",
    ),
    not_article_paths=(
        r"^/(topic|label|tag|author|page|feed|daily-timeline|category|search|wp-[a-z-]+|amp)(/|$)",
        r"/feed/?$",
        r"/page/\d+/?$",
    ),
    sponsored_paths=(r"^/promoted/",),
    extra_hosts=("digiato.ir",),
    feeds=("/feed",),
    listings=("/topic/tech/",),
    selectors=Selectors(
        title=(
            "h1.dailyNewsPageHead__description--title",
            "h1.singleVideoPageTitle",
            f"{_OLD_HEADER} h1",
        ),
        lead=(".dailyNewsPageHead__description > p",),
        body=(".articlePost", ".singleVideoPost", "div.article-content"),
        authors=(
            ".dailyNewsPageHead__description--tools a[href*='/author/']",
            ".dailyNewsPageHead__description--tools > a",
            f"{_OLD_HEADER} > div > div > span:nth-child(2) > a",
        ),
        categories=(".breadcrumb ul li a",),
        tags=(".postTools__keywords a",),
        image=(
            ".dailyNewsPageHead__picture img::attr(data-src)",
            ".dailyNewsPageHead__picture img::attr(src)",
        ),
        published=(
            ".dailyNewsPageHead__description--tools",
            f"{_OLD_HEADER} > div > div > span:nth-child(4)",
        ),
        noise=(
            ".adsBox",
            ".relatedPost",
            ".related-posts",
            ".shareBox",
            ".postTools",
            ".js-comments-list",
            ".comments",
        ),
        video=(".singleVideoPost", "h1.singleVideoPageTitle"),
    ),
    listing=Listing(
        article_links=(
            # The topic page's own list, not the "most viewed" sidebar's cards (same markup).
            "#primary .rowList > li a.rowCard__title::attr(href)",
            "a.rowCard__title::attr(href)",
            "#primary .rowList > li a::attr(href)",
            "h3.title a::attr(href)",
        ),
        next_page=("a.next.page-numbers::attr(href)", "link[rel=next]::attr(href)"),
    ),
    author_prefixes=("نوشته شده توسط", "نویسنده:", "نویسنده"),
    site_names=("دیجیاتو", "خانه", "صفحه اصلی"),
    contract_urls=(
        "https://digiato.com/mobile/ios-17-2-released-with-journal-app",
        "https://digiato.com/video/iphone-16-pro-max-unboxing",
        "https://digiato.com/article/2021/12/05/telegram-sponsored-messages-channels",
    ),
)
