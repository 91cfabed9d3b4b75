"""WordPress's REST API: which URLs to ask, and a post's JSON as the fields of an article item.

``/wp-json/wp/v2/posts`` hands out title, excerpt, content, ``date_gmt``, ``modified_gmt``
and, with ``_embed``, the authors, categories, tags and featured image of 100 posts per
request. :func:`posts_url` asks only for the fields used (``_fields``), oldest change first
(``orderby=modified&order=asc``), and, in an incremental run, only for what changed since the
archive's watermark (``modified_after``, see :func:`modified_after`). :func:`total_pages`
reads the pagination headers, :func:`read_posts` the body, and :func:`post_fields` turns one
post into the same raw fields :func:`newsarchive.page.article_fields` makes of an HTML page:
``content.rendered`` goes through the HTML bodies' rules (:mod:`newsarchive.extract.bodies`:
ads, share boxes, related-posts blocks, read-more lines and the site's own noise selectors),
and the GMT dates are exact candidates for the date pipeline. Every field is recorded as
coming from the layer :data:`LAYER`.

Pure functions of JSON and a :class:`~newsarchive.sites.base.Site`: no Scrapy, no archive.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from lxml import etree
from lxml import html as lxml_html

from newsarchive.extract.blocks import collapse, element_text
from newsarchive.extract.bodies import from_container
from newsarchive.extract.boilerplate import is_junk_line
from newsarchive.extract.echoes import strip_echoes
from newsarchive.extract.page import Page
from newsarchive.extract.tree import html_selector
from newsarchive.sites.base import Site

#: The posts collection, below the site's base URL (a WordPress in ``/fa/`` has its API there).
POSTS_PATH = "/wp-json/wp/v2/posts"
#: The most posts WordPress gives per request.
PER_PAGE = 100
#: The post fields read; ``_links`` and ``_embedded`` must be listed for ``_embed`` to survive ``_fields``.
FIELDS = ("link", "title", "excerpt", "content", "date_gmt", "modified_gmt", "format", "_links", "_embedded")
#: The linked resources embedded (WordPress 5.4+): authors, categories and tags, the featured image.
EMBED = ("author", "wp:term", "wp:featuredmedia")
#: The layer name recorded in ``field_sources`` for every field a post gives.
LAYER = "wp-rest"
#: WordPress compares ``modified_after`` with the site's local time, whatever its zone: asking
#: this much earlier than the watermark (a UTC time) misses no change in any zone (UTC-12 to
#: UTC+14); the posts it repeats are known to the archive and skipped by the refresh rule.
MARGIN = timedelta(hours=14)
#: Pages asked at most in one run (100,000 posts): a server's header cannot make a run endless.
MAX_PAGES = 1000
#: The slug of the category WordPress gives a post nobody filed: no category at all.
UNCATEGORIZED = "uncategorized"
#: The ``[…]`` WordPress ends an automatic excerpt with.
_MORE = re.compile(r"\s*\[(?:…|\.\.\.)\]\s*$")


def posts_url(site: Site, page: int = 1, after: datetime | None = None) -> str:
    """The URL of page ``page`` of ``site``'s posts, changed after ``after`` (UTC) when given.

    The query's order is fixed (a recorded mirror names its files by it)."""
    query = {
        "_fields": ",".join(FIELDS),
        "_embed": ",".join(EMBED),
        "per_page": PER_PAGE,
        "orderby": "modified",
        "order": "asc",
        "page": page,
    }
    if after is not None:
        query["modified_after"] = after.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{site.url(POSTS_PATH)}?{urlencode(query, safe=',:')}"


def modified_after(watermark: str | None, since: datetime | None) -> datetime | None:
    """What to ask ``modified_after``: :data:`MARGIN` before the latest ``modified_gmt`` a
    finished run stored (``watermark``), or before ``since`` when that is later; None (every
    post) when neither is known. A post published after ``since`` was modified after it too."""
    known = parse_gmt(watermark)
    bounds = [moment for moment in (known, since) if moment is not None]
    return max(bounds) - MARGIN if bounds else None


def parse_gmt(text: Any) -> datetime | None:
    """A REST ``*_gmt`` value (``2024-05-01T10:00:00``, UTC without a zone) as UTC, else None."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def total_pages(headers: Mapping[str, str]) -> int:
    """The number of pages the answer's headers announce (``X-WP-TotalPages``, else
    ``X-WP-Total`` posts), at most :data:`MAX_PAGES`; 1 when they say nothing readable."""
    lowered = {name.lower(): value.strip() for name, value in headers.items()}
    pages, total = lowered.get("x-wp-totalpages", ""), lowered.get("x-wp-total", "")
    if pages.isascii() and pages.isdigit():
        count = int(pages)
    elif total.isascii() and total.isdigit():
        count = -(-int(total) // PER_PAGE)
    else:
        count = 1
    return max(1, min(count, MAX_PAGES))


def read_posts(body: bytes) -> list[dict[str, Any]] | None:
    """The posts of an answer, or None when it is not the posts collection: an HTML page
    (a theme or a firewall answering instead), an error object, anything but a JSON list."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, list):
        return None
    return [post for post in data if isinstance(post, dict)]


def latest_modified(posts: Iterable[Mapping[str, Any]]) -> str | None:
    """The latest readable ``modified_gmt`` of ``posts`` (as WordPress wrote it), or None."""
    dated = [
        (moment, post["modified_gmt"]) for post in posts if (moment := parse_gmt(post.get("modified_gmt")))
    ]
    return max(dated)[1] if dated else None


def _rendered(post: Mapping[str, Any], name: str) -> str:
    value = post.get(name)
    rendered = value.get("rendered") if isinstance(value, dict) else None
    return rendered if isinstance(rendered, str) else ""


def _fragment(markup: str) -> etree._Element | None:
    """``markup`` parsed as the content of one ``<div>``; None when it holds nothing."""
    if not markup.strip():
        return None
    try:
        return lxml_html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return None


def html_text(markup: str) -> str:
    """The text of rendered HTML: tags dropped, entities (``&#8211;``, ``&zwnj;``) unescaped."""
    fragment = _fragment(markup)
    return element_text(fragment) if fragment is not None else collapse(html.unescape(markup))


def excerpt_text(markup: str) -> str:
    """An excerpt's text without its read-more link (``ادامه مطلب``) and WordPress's ``[…]``."""
    fragment = _fragment(markup)
    if fragment is None:
        return ""
    for link in list(fragment.iter("a")):
        if is_junk_line(element_text(link)):
            link.drop_tree()  # keeps the link's tail
    return _MORE.sub("", element_text(fragment)).strip()


def _embedded(post: Mapping[str, Any], rel: str) -> list[Any]:
    """One embedded relation's objects; an error WordPress embedded instead (a hidden author)
    has a ``code`` and no name, and is left out."""
    embedded = post.get("_embedded")
    found = embedded.get(rel) if isinstance(embedded, dict) else None
    return [item for item in found if isinstance(item, (dict, list))] if isinstance(found, list) else []


def _names(items: Iterable[Any]) -> list[str]:
    names = (html_text(item["name"]) for item in items if isinstance(item.get("name"), str))
    return list(dict.fromkeys(name for name in names if name))


def _terms(post: Mapping[str, Any], taxonomy: str) -> list[dict[str, Any]]:
    return [
        term
        for group in _embedded(post, "wp:term")
        if isinstance(group, list)
        for term in group
        if isinstance(term, dict) and term.get("taxonomy") == taxonomy
    ]


def _image(post: Mapping[str, Any]) -> str | None:
    for media in _embedded(post, "wp:featuredmedia"):
        if isinstance(media, dict) and isinstance(media.get("source_url"), str) and media["source_url"]:
            return str(media["source_url"])
    return None


def _body(
    site: Site, content: str, url: str, title: str | None, authors: list[str]
) -> tuple[str | None, dict]:
    """The post's body by the HTML bodies' rules, and what they left out (``boilerplate``)."""
    if not content.strip():
        return None, {}
    page = Page(html_selector(f"<html><body>{content}</body></html>", url), url, site)
    container = page.selector.root.find("body")
    body = from_container(LAYER, container, page.site_noise)
    if body is None:
        return None, {}
    text = strip_echoes(body.text, title, authors) or body.text
    echoes = body.text.count("\n\n") - text.count("\n\n")
    return text, {**body.removed, **({"echoes": echoes} if echoes else {})}


def post_url(site: Site, post: Mapping[str, Any]) -> str | None:
    """The canonical form of the post's ``link`` when it is one of the site's article URLs."""
    link = post.get("link")
    url = site.canonical(link) if isinstance(link, str) else ""
    return url if url and site.is_article_url(url) else None


def post_fields(site: Site, post: Mapping[str, Any], fetched_at: str) -> dict[str, Any] | None:
    """The raw item fields of one REST ``post`` of ``site`` (the keys of
    :func:`newsarchive.page.article_fields`), fetched at ``fetched_at``; None when its ``link``
    is not one of the site's article URLs."""
    url = post_url(site, post)
    if url is None:
        return None
    title = html_text(_rendered(post, "title")) or None
    authors = _names(author for author in _embedded(post, "author") if isinstance(author, dict))
    body, removed = _body(site, _rendered(post, "content"), url, title, authors)
    categories = [
        name
        for name in _names(t for t in _terms(post, "category") if t.get("slug") != UNCATEGORIZED)
        if name not in site.site_names
    ]
    fields = {
        "title": title,
        "lead": excerpt_text(_rendered(post, "excerpt")) or None,
        "body": body,
        "authors": authors,
        "categories": categories,
        "tags": _names(_terms(post, "post_tag")),
        "image_url": _image(post),
    }
    published, modified = parse_gmt(post.get("date_gmt")), parse_gmt(post.get("modified_gmt"))
    return {
        "url": url,
        "source": site.name,
        "aliases": [],
        "fetched_url": url,
        **fields,
        "page_type": "video" if post.get("format") == "video" else "article",
        "sponsored": site.is_sponsored_url(url),
        "published_display": None,
        "published_candidates": [[LAYER, _iso(published)]] if published else [],
        "modified_display": None,
        "modified_candidates": [[LAYER, _iso(modified)]] if modified else [],
        "field_sources": {name: LAYER for name, value in fields.items() if value},
        "boilerplate": removed,
        "notes": [],
        "fetched_at": fetched_at,
        "http_status": 200,
    }


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
