"""Extraction layers: each maps a page to the fields it can find.

Layers are tried in order for every field (see :data:`LAYERS`); the first
non-empty value wins and the layer's name is recorded, so a crawl can report
when a site's own selectors stop working and standard metadata takes over.

Dates are different: every layer's machine-readable date is kept as a
candidate, and the date pipeline chooses (see ``choose_published``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urljoin

from parsel import Selector

from newsarchive.extract.bodies import MIN_FALLBACK_BODY, Body, choose_lazily, from_container, from_text
from newsarchive.extract.blocks import collapse, element_text
from newsarchive.extract.boilerplate import has_junk_name, text_length
from newsarchive.extract.css import ClassIndex
from newsarchive.sites.base import Site

ARTICLE_TYPES = frozenset({"NewsArticle", "Article", "BlogPosting", "ReportageNewsArticle", "VideoObject"})
#: Fields a layer may return; dates come back as lists of candidate strings.
TEXT_FIELDS = ("title", "lead", "body", "authors", "categories", "tags", "image_url")


@dataclass
class Page:
    """One fetched HTML page, with lazily parsed metadata shared by the layers."""

    selector: Selector
    url: str
    site: Site | None = None
    notes: list[str] = field(default_factory=list)

    @cached_property
    def jsonld(self) -> list[dict[str, Any]]:
        """Every JSON-LD object on the page, ``@graph`` flattened."""
        objects: list[dict[str, Any]] = []
        for raw in self.selector.xpath('//script[@type="application/ld+json"]/text()').getall():
            try:
                data = json.loads(raw)
            except ValueError:
                self.notes.append("unreadable JSON-LD block")
                continue
            stack = [data]
            while stack:
                item = stack.pop()
                if isinstance(item, list):
                    stack.extend(reversed(item))
                elif isinstance(item, dict):
                    objects.append(item)
                    if isinstance(item.get("@graph"), list):
                        stack.extend(reversed(item["@graph"]))
        return objects

    @cached_property
    def jsonld_article(self) -> dict[str, Any]:
        """The first JSON-LD object typed as an article (or video)."""
        for obj in self.jsonld:
            types = obj.get("@type")
            types = types if isinstance(types, list) else [types]
            if ARTICLE_TYPES.intersection(t for t in types if isinstance(t, str)):
                return obj
        return {}

    @cached_property
    def meta_tags(self) -> dict[str, list[str]]:
        """Every ``<meta>`` content by its property, name or itemprop, read in one pass."""
        tags: dict[str, list[str]] = {}
        for element in self.selector.root.iter("meta"):
            content = element.get("content")
            if not content or not content.strip():
                continue
            for attribute in ("property", "name", "itemprop"):
                key = element.get(attribute)
                if key:
                    tags.setdefault(key, []).append(collapse(content))
        return tags

    @cached_property
    def site_noise(self) -> frozenset:
        """The elements the site's ``noise`` selectors mark: ads, related boxes, comments."""
        if self.site is None:
            return frozenset()
        return frozenset(el for css in self.site.selectors.noise for el in self.css(css))

    @cached_property
    def classes(self) -> ClassIndex:
        return ClassIndex(self.selector.root)

    def css(self, query: str) -> list:
        """``selector.css(query)`` as lxml elements (or strings for ``::text``/``::attr``), found
        through the page's class index: a site's selectors cost a fraction of a full-page scan each."""
        return self.classes.select(query)

    def in_noise(self, element) -> bool:
        """True when ``element`` sits in site noise or in a box whose class/id marks it as noise."""
        return any(node in self.site_noise or has_junk_name(node) for node in (element, *element.iterancestors()))

    @cached_property
    def paragraph_text(self) -> dict[Any, int]:
        """Text of the ``<p>`` children of each element that has some: one pass over the page."""
        lengths: dict[Any, int] = {}
        for p in self.selector.root.iter("p"):
            parent = p.getparent()
            if parent is not None:
                lengths[parent] = lengths.get(parent, 0) + int(text_length(p))
        return lengths

    def _best(self, scores: dict[Any, float]) -> tuple[Any, float]:
        for element, score in sorted(scores.items(), key=lambda item: -item[1]):
            if score < MIN_FALLBACK_BODY:
                break
            if not self.in_noise(element):
                return element, score
        return None, 0

    @property
    def main_chars(self) -> int:
        """The paragraph text of the page's densest block outside noise: what a body should hold."""
        return int(self._best(self.paragraph_text)[1])

    @cached_property
    def densest(self):
        """The element whose paragraphs hold the most text, outside noise; None when no block
        holds :data:`MIN_FALLBACK_BODY`. A parent's paragraphs also count half for its own parent,
        so paragraphs wrapped one by one in ``<div>`` s still add up to their container."""
        scores: dict[Any, float] = dict(self.paragraph_text)
        for parent, length in self.paragraph_text.items():
            grandparent = parent.getparent()
            if grandparent is not None:
                scores[grandparent] = scores.get(grandparent, 0) + length / 2
        return self._best(scores)[0]

    @cached_property
    def description(self) -> str:
        """What the page says it is about: its meta description, else JSON-LD's."""
        found = self.meta("description", "og:description", "twitter:description")
        described = self.jsonld_article.get("description")
        return found[0] if found else described if isinstance(described, str) else ""

    def meta(self, *names: str) -> list[str]:
        """Contents of ``<meta property=…>``/``<meta name=…>`` tags, by name order then page order."""
        return [value for name in names for value in self.meta_tags.get(name, ())]

    def absolute(self, url: str | None) -> str | None:
        return urljoin(self.url, url.strip()) if url and url.strip() else None


def _texts(values: Iterator[str] | list[str]) -> list[str]:
    """Non-empty, de-duplicated values in order."""
    seen: dict[str, None] = {}
    for value in values:
        value = collapse(value) if isinstance(value, str) else ""
        if value and value not in seen:
            seen[value] = None
    return list(seen)


def _names(value: Any) -> list[str]:
    """Names out of JSON-LD values that may be strings, objects or lists of them."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _names(value.get("name") or value.get("url"))
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    return []


# --- site layer ------------------------------------------------------------


def _select(page: Page, selectors: tuple[str, ...], noise: frozenset) -> list[str]:
    """Values of the first selector that matches: attribute values or element text."""
    for css in selectors:
        found = page.css(css)
        if not found:
            continue
        if "::" in css:
            values = _texts(found)
        else:
            values = _texts(element_text(element, noise) for element in found)
        if values:
            return values
    return []


def _split_authors(site: Site, names: list[str]) -> list[str]:
    prefixes = sorted(site.author_prefixes, key=len, reverse=True)
    authors: list[str] = []
    for name in names:
        for prefix in prefixes:
            if name.startswith(prefix):
                name = name[len(prefix):]
                break
        authors += [part.strip(" :|") for part in re.split(site.author_separators, name)]
    return _texts(authors)


def site_layer(page: Page) -> dict[str, Any]:
    """The site's own selectors: the most precise layer while the layout lasts."""
    site = page.site
    if site is None:
        return {}
    sel = site.selectors
    noise = page.site_noise
    out: dict[str, Any] = {}
    for name, selectors in (("title", sel.title), ("lead", sel.lead), ("image_url", sel.image)):
        values = _select(page, selectors, noise)
        if values:
            out[name] = page.absolute(values[0]) if name == "image_url" else values[0]
    authors = _split_authors(site, _select(page, sel.authors, noise))
    if authors:
        out["authors"] = authors
    categories = [c for c in _select(page, sel.categories, noise) if c not in site.site_names]
    if categories:
        out["categories"] = categories
    tags = _select(page, sel.tags, noise)
    if tags:
        out["tags"] = tags
    displayed = _select(page, sel.published, noise)
    if displayed:
        out["published_display"] = displayed[0]
    modified = _select(page, sel.modified, noise)
    if modified:
        out["modified_display"] = modified[0]
    if any(page.css(css) for css in sel.video):
        out["page_type"] = "video"
    if any(page.css(css) for css in sel.sponsored):
        out["sponsored"] = True
    return out


# --- standard metadata -----------------------------------------------------


def jsonld_layer(page: Page) -> dict[str, Any]:
    """schema.org ``NewsArticle``/``Article``/``BlogPosting`` in JSON-LD."""
    article = page.jsonld_article
    out: dict[str, Any] = {}
    if not article:
        return out
    if isinstance(article.get("headline") or article.get("name"), str):
        out["title"] = collapse(article.get("headline") or article.get("name"))
    if isinstance(article.get("description"), str):
        out["lead"] = collapse(article["description"])
    out["authors"] = _texts(_names(article.get("author")))
    keywords = article.get("keywords")
    if isinstance(keywords, str):
        keywords = keywords.split(",")
    out["tags"] = _texts(k for k in keywords or [] if isinstance(k, str))
    images = _names(article.get("image") or article.get("thumbnailUrl"))
    if images:
        out["image_url"] = page.absolute(images[0])
    crumbs = _breadcrumbs(page)
    section = article.get("articleSection")
    out["categories"] = crumbs or _texts(section if isinstance(section, list) else [section or ""])
    for key, name in (("datePublished", "published"), ("uploadDate", "published"), ("dateModified", "modified")):
        if isinstance(article.get(key), str) and article[key].strip():
            out.setdefault(f"{name}_machine", article[key].strip())
    if "VideoObject" in str(article.get("@type")):
        out["page_type"] = "video"
    return {k: v for k, v in out.items() if v}


def _breadcrumbs(page: Page) -> list[str]:
    """Category names from a JSON-LD BreadcrumbList, without home and the page itself."""
    for obj in page.jsonld:
        if obj.get("@type") != "BreadcrumbList":
            continue
        items = sorted(
            (i for i in obj.get("itemListElement") or [] if isinstance(i, dict)),
            key=lambda i: i.get("position", 0),
        )
        names = [_names(i.get("name") or i.get("item"))[:1] for i in items]
        names = [n[0] for n in names if n]
        site_names = page.site.site_names if page.site else ()
        title = page.jsonld_article.get("headline")
        return _texts(n for n in names[1:] if n != title and n not in site_names)
    return []


def meta_layer(page: Page) -> dict[str, Any]:
    """OpenGraph, ``article:*`` and plain ``<meta>`` tags."""
    out: dict[str, Any] = {}
    for name, keys in (
        ("title", ("og:title", "twitter:title")),
        ("lead", ("og:description", "description", "twitter:description")),
        ("image_url", ("og:image", "og:image:url", "twitter:image")),
        ("published_machine", ("article:published_time", "og:published_time", "datePublished")),
        ("modified_machine", ("article:modified_time", "og:updated_time", "dateModified")),
    ):
        values = page.meta(*keys)
        if values:
            out[name] = page.absolute(values[0]) if name == "image_url" else values[0]
    authors = [a for a in page.meta("article:author", "author") if not a.startswith("http")]
    if authors:
        out["authors"] = _texts(authors)
    for name, key in (("tags", "article:tag"), ("categories", "article:section")):
        values = _texts(page.meta(key))
        if values:
            out[name] = values
    return out


def time_layer(page: Page) -> dict[str, Any]:
    """``<time datetime>``: the published one if marked, else the first; never a comment's."""
    times = [t for t in page.selector.css("time[datetime]") if not page.in_noise(t.root)]
    out: dict[str, Any] = {}
    # schema.org microdata spells them itemprop="datePublished"/"dateModified".
    marks = [f"{t.attrib.get('itemprop', '')} {t.attrib.get('class', '')}".lower() for t in times]
    published = [t for t, mark in zip(times, marks) if "publish" in mark]
    modified = [t for t, mark in zip(times, marks) if "modif" in mark or "updated" in mark]
    first = (published or [t for t in times if t not in modified] or [None])[0]
    if first is not None:
        out["published_machine"] = first.attrib["datetime"].strip()
    if modified:
        out["modified_machine"] = modified[0].attrib["datetime"].strip()
    return {k: v for k, v in out.items() if v}


def wordpress_layer(page: Page) -> dict[str, Any]:
    """Conventions of WordPress themes: ``.entry-title``, ``.entry-content``, ``rel=tag``."""
    sel = page.selector
    out: dict[str, Any] = {}
    title = sel.css(".entry-title, h1.post-title")
    if title:
        out["title"] = element_text(title[0].root)
    # the_category() writes rel="category tag": those links are categories, not tags.
    tags = _texts(sel.css("a[rel~=tag]:not([rel~=category])::text, .post-tags a::text, .tags-links a::text").getall())
    if tags:
        out["tags"] = tags
    authors = _texts(sel.css("a[rel=author]::text, .author.vcard a::text, .byline .author::text").getall())
    if authors:
        out["authors"] = authors
    categories = _texts(sel.css("a[rel~=category]::text, .cat-links a::text").getall())
    if categories:
        out["categories"] = categories
    return out


_TITLE_SUFFIX = re.compile(r"\s+[-|–—:]\s+[^-|–—:]+$")


def fallback_layer(page: Page) -> dict[str, Any]:
    """Last resort: the ``h1`` (or ``<title>``) and the densest block of paragraphs."""
    sel = page.selector
    out: dict[str, Any] = {}
    h1 = sel.css("h1")
    title = element_text(h1[0].root) if h1 else ""
    if not title:
        title = _TITLE_SUFFIX.sub("", collapse(sel.css("title::text").get() or ""))
    if title:
        out["title"] = title
    return out


# --- bodies ------------------------------------------------------------------------


def site_body(page: Page) -> Body | None:
    """The first of the site's body containers that holds text."""
    if page.site is None:
        return None
    for css in page.site.selectors.body:
        containers = page.css(css)
        body = from_container("site", containers[0], page.site_noise) if containers else None
        if body is not None:
            return body
    return None


def jsonld_body(page: Page) -> Body | None:
    body = page.jsonld_article.get("articleBody")
    return from_text("jsonld", body) if isinstance(body, str) else None


#: Containers of a post's text in WordPress themes (and schema.org microdata).
WORDPRESS_BODIES = (".entry-content", ".post-content", "[itemprop=articleBody]")


def wordpress_body(page: Page) -> Body | None:
    for css in WORDPRESS_BODIES:
        containers = page.css(css)
        if containers:
            return from_container("wordpress", containers[0], page.site_noise)
    return None


def fallback_body(page: Page) -> Body | None:
    return from_container("fallback", page.densest, page.site_noise)


def page_body(page: Page) -> Body | None:
    """The page's body, chosen by evidence (see :mod:`.bodies`); its ``layer`` says whose it is."""
    trusted = [body for body in (site_body(page), jsonld_body(page)) if body is not None]
    return choose_lazily(trusted, [lambda: wordpress_body(page), lambda: fallback_body(page)],
                         page.main_chars, page.description)


@dataclass(frozen=True)
class Layer:
    """An extraction layer: its recorded name, what it can find, and whether it finds dates."""

    name: str
    extract: Callable[[Page], dict[str, Any]]
    fields: frozenset[str] = frozenset(TEXT_FIELDS)
    finds_dates: bool = True

    def can_add(self, missing: set[str]) -> bool:
        """A layer without dates is skipped once the fields it could add are all found."""
        return self.finds_dates or not self.fields.isdisjoint(missing)


#: Layers in order of trust.
LAYERS: tuple[Layer, ...] = (
    Layer("site", site_layer),
    Layer("jsonld", jsonld_layer),
    Layer("meta", meta_layer),
    Layer("time", time_layer, fields=frozenset()),
    Layer("wordpress", wordpress_layer, frozenset({"title", "tags", "authors", "categories"}), False),
    Layer("fallback", fallback_layer, frozenset({"title"}), False),
)
