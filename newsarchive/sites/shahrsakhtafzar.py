"""Shahr-e Sakhtafzar (www.shahrsakhtafzar.com): Joomla 3, ``com_content`` article pages.

Not to be confused with sakhtafzarmag.com, a different (WordPress) site.
Selectors follow Joomla's article view and the site's ``sazitem`` template: an
article page has ``body.view-article``, the title in ``h1``, the Komento
comments in ``.kmt-list`` and:

* the body in ``[itemprop=articleBody]``, whose ``.typo6`` boxes ("read
  also" notes of the template) are not article text;
* the "article info" block: author ``dd.createdby``, displayed date
  ``dd.published time`` (its ``datetime`` is the machine date), modification
  ``dd.modified time``; category ``.sazitem_imgcat a``;
* pages from before the template (2019) have no ``.sazitem_imgcat`` and no
  ``<time>``: the category is ``dd.category-name a``, the date the text of
  ``dd.published``.

Article URLs: ``/fa/news/<category>/<id>-<alias>`` and
``/fa/articles-guides/<category>/<id>-<alias>`` (aliases may be Persian).
robots.txt is Joomla's default, without a ``Sitemap:`` line, so sitemaps come
from the fallback ``/sitemap.xml``. The RSS feed is Joomla's
``/fa/?format=feed&type=rss``; the news blog ``/fa/news`` pages with ``?start=N``.
"""

from newsarchive.sites.base import Listing, Selectors, Site

_PAGE = "body.view-article"

SITE = Site(
    name="shahrsakhtafzar",
    base_url="https://www.shahrsakhtafzar.com",
    article_paths=(r"^/fa/(news|articles-guides)/([a-z0-9-]+/)+\d+-[^/]+/?$",),
    not_article_paths=(r"^/fa/component/",),
    feeds=("/fa/?format=feed&type=rss",),
    listings=("/fa/news",),
    selectors=Selectors(
        title=(f"{_PAGE} .item-page h1", f"{_PAGE} h1"),
        body=(f"{_PAGE} [itemprop=articleBody]",),
        authors=("dd.createdby [itemprop=name]", "dd.createdby"),
        categories=(".sazitem_imgcat a", "dd.category-name a"),
        tags=(".item-page ul.tags a",),
        image=(".item-page .item-image img::attr(src)",),
        published=("dd.published time", "dd.published"),
        modified=("dd.modified time", "dd.modified"),
        noise=(".typo6", ".kmt-list"),
    ),
    listing=Listing(
        article_links=("[itemprop=blogPost] [itemprop=name] a::attr(href)",),
        next_page=("li.pagination-next a::attr(href)", "link[rel=next]::attr(href)"),
    ),
    author_prefixes=("نوشته شده توسط",),
    site_names=("شهر سخت‌افزار", "خانه"),
    contract_urls=(
        "https://www.shahrsakhtafzar.com/fa/news/security/48933-snapfood-hacked",
        "https://www.shahrsakhtafzar.com/fa/articles-guides/review/49210-asus-rog-ally-x-review",
        "https://www.shahrsakhtafzar.com/fa/news/hardware/31052-amd-ryzen-3000-computex-2019",
    ),
)
