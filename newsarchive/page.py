"""An article page to the fields of the item a crawl yields for it, without a crawler.

In web-poet's sense a page object: all the record needs is the page (its HTML, as a
``parsel.Selector``), the URL it came from, when it was fetched and its status, and what the
request knew: the URLs that redirected to it, the date the feed that listed it gave, and the
page checks' note on a wrong charset. :func:`article_fields` turns that into the fields of the
:class:`~newsarchive.items.ArticleItem` that the pipelines validate, normalize, date and store
(:mod:`newsarchive.pipelines`).

The spider's ``parse_article`` has it run on each response (in a page worker process,
:mod:`newsarchive.workers`), ``newsarchive reparse`` on each stored capture, and tests on
mirror pages; :func:`request_facts` reads those facts from a request's ``meta`` the same way
for all of them. It returns a plain dict and imports nothing from Scrapy, so that worker
processes never load it.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from parsel import Selector

from newsarchive.extract import extract_article
from newsarchive.extract.tree import html_selector
from newsarchive.sites.base import Site


def request_facts(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of :func:`article_fields` that a request's ``meta`` holds: Scrapy's
    ``redirect_urls``, the spider's ``feed_date`` and the page check's charset note."""
    return {
        "redirect_urls": meta.get("redirect_urls", ()),
        "feed_date": meta.get("feed_date"),
        "charset_note": meta.get("newsarchive_charset_note"),
    }


class FetchedPage(Protocol):
    """What :func:`page_html` reads of a response (a Scrapy ``TextResponse``)."""

    @property
    def body(self) -> bytes: ...

    @property
    def encoding(self) -> str: ...

    @property
    def text(self) -> str: ...


#: Ends of a body that ``str.strip`` would drop and ``bytes.strip`` keeps (parsel strips the
#: page's text, or its bytes): ASCII separators, or the first byte of a non-ASCII character.
_STRIPPED_FROM_TEXT_ONLY = frozenset(range(0x1C, 0x20)) | frozenset(range(0x80, 0x100))


def page_html(response: FetchedPage) -> str | bytes:
    """The page as :func:`article_fields` should parse it: the body's bytes as fetched when
    they parse exactly as the text Scrapy decoded does, else that text.

    The usual page, valid UTF-8 without a BOM, is parsed from its bytes: its text is not
    encoded again for libxml2 (0.15 ms on a 110 KB page) and a page worker gets it without
    pickle encoding and decoding it. Anything else (another charset, a BOM, bytes replaced as
    invalid, NULs, characters only ``str.strip`` strips at either end) is read from the text.
    """
    text, body = response.text, response.body
    if codecs.lookup(response.encoding).name != "utf-8" or "\ufffd" in text or b"\x00" in body:
        return text
    stripped = body.strip()
    if body.startswith(codecs.BOM_UTF8) or (
        stripped and {stripped[0], stripped[-1]} & _STRIPPED_FROM_TEXT_ONLY
    ):
        return text
    return body


def article_fields(
    site: Site,
    page: Selector | str | bytes,
    url: str,
    fetched_at: str,
    *,
    status: int = 200,
    redirect_urls: Sequence[str] = (),
    feed_date: str | None = None,
    charset_note: str | None = None,
) -> dict[str, Any] | None:
    """The item's fields for the page of ``site`` fetched from ``url`` at ``fetched_at`` (UTC
    ``YYYY-MM-DDTHH:MM:SSZ``) with HTTP ``status``; None when ``url`` is not one of the site's
    article URLs (the caller counts it as ``not-article``).

    ``page`` is the page's selector, or its HTML: text, or UTF-8 bytes (:func:`page_html`). The item's ``url`` is the page's
    ``rel=canonical`` when that names an article of the site, else the canonical form of
    ``url``; every other URL that led to it (``redirect_urls``, ``url`` itself) becomes an
    alias. ``feed_date`` joins the date candidates; ``charset_note`` the notes.
    """
    final_url = site.canonical(url)
    if not site.is_article_url(final_url):
        return None
    selector = page if isinstance(page, Selector) else html_selector(page, url)
    raw = extract_article(selector, url, site)
    canonical = _canonical_of(site, raw.get("canonical_url"), final_url)
    requested = [site.canonical(u) for u in redirect_urls]
    aliases = sorted({*requested, final_url} - {canonical})
    notes = raw["notes"]
    if charset_note:
        notes.append(charset_note)
    candidates = raw["published_candidates"]
    if feed_date:
        candidates.append(["feed", feed_date])
    return {
        "url": canonical,
        "source": site.name,
        "aliases": aliases,
        "fetched_url": final_url,
        "title": raw.get("title"),
        "lead": raw.get("lead"),
        "body": raw.get("body"),
        "authors": raw.get("authors", []),
        "categories": raw.get("categories", []),
        "tags": raw.get("tags", []),
        "image_url": raw.get("image_url"),
        "page_type": raw["page_type"],
        "sponsored": raw["sponsored"] or site.is_sponsored_url(canonical),
        "published_display": raw.get("published_display"),
        "published_candidates": candidates,
        "modified_display": raw.get("modified_display"),
        "modified_candidates": raw["modified_candidates"],
        "field_sources": raw["field_sources"],
        "boilerplate": raw.get("boilerplate", {}),
        "notes": notes,
        "fetched_at": fetched_at,
        "http_status": status,
    }


def _canonical_of(site: Site, declared: str | None, final_url: str) -> str:
    """The page's ``rel=canonical`` when it names an article of this site, else its URL."""
    if declared:
        canonical = site.canonical(declared)
        if site.is_article_url(canonical):
            return canonical
    return final_url
