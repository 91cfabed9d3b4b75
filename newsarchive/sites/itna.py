"""ITNA (www.itna.ir): a news agency CMS whose pages are built from ``doc`` ids.

Selectors: the article is ``#docDataRow`` with the title in ``h1``, the lead
in ``#docDivLead1``, the body in ``.docContentdiv``, the displayed date in
``.doc_date`` (a Persian line such as ``سه شنبه ۱۲ تیر ۱۴۰۳ ساعت ۱۰:۳۰``), the
section trail in ``.doc-section-info a`` and tags in ``.doc_tags1 a``. Pages
carry no machine-readable date: the displayed one is what there is (and the
feed's).
News items name no author.

Article URLs are ``/news/<id>`` with an optional ``/<Persian slug>``; the
older ``/fa/doc/news/<id>/…`` URLs redirect there. Discovery: robots.txt names
the sitemap index, RSS at ``/rss``, the archive ``/archive`` pages with ``?page=N``.
"""

from newsarchive.sites.base import Listing, Selectors, Site

_DOC = "#docDataRow"

SITE = Site(
    name="itna",
    base_url="https://www.itna.ir",
    article_paths=(r"^/news/\d+(/[^/]+)?/?$", r"^/fa/doc/news/\d+(/[^/]+)?/?$"),
    feeds=("/rss",),
    listings=("/archive",),
    selectors=Selectors(
        title=(f"{_DOC} h1",),
        lead=("#docDivLead1",),
        body=(f"{_DOC} .docContentdiv",),
        categories=(f"{_DOC} .doc-section-info a",),
        tags=(".doc_tags1 a",),
        image=(f"{_DOC} .doc_image img::attr(src)",),
        published=(f"{_DOC} .doc_date",),
        noise=(".doc_source_box", ".docRelated"),
    ),
    listing=Listing(
        article_links=("#archiveList .archive_title a::attr(href)",),
        next_page=(".pagination a.next::attr(href)",),
    ),
    site_names=("ایتنا", "صفحه نخست"),
    contract_urls=(
        "https://www.itna.ir/news/81234/حمله-سایبری-به-زیرساخت-بانکی",
        "https://www.itna.ir/news/79876",
    ),
)
