"""The page every extraction layer reads: one parsed HTML page and what it says about itself.

:class:`Page` wraps the ``parsel.Selector`` of a fetched page with the metadata the layers share
(JSON-LD objects, ``<meta>`` tags, Next.js data, the site's own names, the site's noise boxes,
the densest block of paragraphs), each parsed lazily on first use and then cached, so a page
whose site selectors find everything never pays for JSON-LD or a paragraph census. Layers are
plain functions of a :class:`Page` (see :mod:`newsarchive.extract.layers`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector

from newsarchive.extract.blocks import collapse, element_text
from newsarchive.extract.bodies import MIN_FALLBACK_BODY
from newsarchive.extract.boilerplate import has_junk_name, text_length
from newsarchive.extract.css import ClassIndex
from newsarchive.extract.generic import (
    HOME_NAMES,
    affix_name,
    is_site_name,
    names_in,
    original_of,
    read_next_data,
    site_keys,
    strip_site_name,
)
from newsarchive.extract.tree import Element, Elements
from newsarchive.persian import fold
from newsarchive.sites.base import Site

#: JSON-LD types whose object describes the article itself.
ARTICLE_TYPES = frozenset({"NewsArticle", "Article", "BlogPosting", "ReportageNewsArticle", "VideoObject"})

#: Attributes that name a URL and hold a given file name.
_NAMING = etree.XPath(
    "(//@src | //@href | //@data-src | //@srcset | //@data-srcset | //@content)[contains(., $name)]"
)


_TEXT_NODES = etree.XPath("text()", smart_strings=False)

#: A site's name after a title: `` - site``, `` | site``.
_SUFFIX = re.compile(r"\s+[-|–—]\s+[^-|–—]+$")


def _title_key(title: str) -> str:
    """A title folded and without spaces: «نمایش‌روشن» and «نمایش روشن» are one title."""
    return "".join(fold(title).split())


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
        for raw in self.jsonld_sources:
            try:
                data = json.loads(raw)
            except (ValueError, RecursionError):  # RecursionError: arrays nested past the JSON parser
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

    @property
    def jsonld_sources(self) -> list[str]:
        """The text of every ``<script type="application/ld+json">``, in page order: the page
        walked by tag (a ``//script[@type=…]`` XPath tests every node of the page)."""
        return [
            text
            for script in self.selector.root.iter("script")
            if script.get("type") == "application/ld+json"
            for text in _TEXT_NODES(script)
        ]

    @property
    def canonical_href(self) -> str | None:
        """The first ``<link rel="canonical">``'s ``href``, as written."""
        for link in self.selector.root.iter("link"):
            if link.get("rel") == "canonical" and (href := link.get("href")) is not None:
                return str(href)
        return None

    def with_attribute(self, tag: str, attribute: str) -> list[Element]:
        """The page's ``tag`` elements that have ``attribute`` (CSS ``tag[attribute]``), in page order."""
        return [element for element in self.selector.root.iter(tag) if element.get(attribute) is not None]

    @cached_property
    def jsonld_ids(self) -> dict[str, dict[str, Any]]:
        """The page's JSON-LD objects by ``@id``: what a reference (``{"@id": …}``) points to.
        A bare reference is never the object it names: only objects with more than an id count."""
        found: dict[str, dict[str, Any]] = {}
        for obj in self.jsonld:
            ref = obj.get("@id")
            if isinstance(ref, str) and len(obj) > 1:
                found.setdefault(ref, obj)
        return found

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
    def site_noise(self) -> Elements:
        """The elements the site's ``noise`` selectors mark: ads, related boxes, comments."""
        if self.site is None:
            return frozenset()
        return frozenset(el for css in self.site.selectors.noise for el in self.css(css))

    @cached_property
    def classes(self) -> ClassIndex:
        """The page's elements by class name: what :meth:`css` starts from."""
        return ClassIndex(self.selector.root)

    def css(self, query: str) -> list[Element | str]:
        """``selector.css(query)`` as lxml elements (or strings for ``::text``/``::attr``), found
        through the page's class index: a site's selectors cost a fraction of a full-page scan each."""
        return self.classes.select(query)

    def in_noise(self, element: Element) -> bool:
        """True when ``element`` sits in site noise or in a box whose class/id marks it as noise."""
        return any(
            node in self.site_noise or has_junk_name(node) for node in (element, *element.iterancestors())
        )

    @cached_property
    def paragraph_text(self) -> dict[Element, int]:
        """Text of the ``<p>`` children of each element that has some: one pass over the page."""
        lengths: dict[Element, int] = {}
        for p in self.selector.root.iter("p"):
            parent = p.getparent()
            if parent is not None:
                lengths[parent] = lengths.get(parent, 0) + text_length(p)
        return lengths

    def _best(self, scores: Mapping[Element, float]) -> tuple[Element | None, float]:
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
    def densest(self) -> Element | None:
        """The element whose paragraphs hold the most text, outside noise; None when no block
        holds :data:`MIN_FALLBACK_BODY`. Lines between ``<br>`` s count as paragraphs, and a
        parent's paragraphs also count half for its own parent, so paragraphs wrapped one by
        one in ``<div>`` s still add up to their container."""
        lengths: dict[Element, float] = dict(self.paragraph_text)
        for br in self.selector.root.iter("br"):  # paragraphs written as lines between <br>s
            parent, tail = br.getparent(), (br.tail or "").strip()
            if parent is not None and tail:
                lengths[parent] = lengths.get(parent, 0) + len(tail)
        scores = dict(lengths)
        for parent, length in lengths.items():
            grandparent = parent.getparent()
            if grandparent is not None:
                scores[grandparent] = scores.get(grandparent, 0) + length / 2
        return self._best(scores)[0]

    @cached_property
    def site_names(self) -> frozenset[str]:
        """The site's own names, folded: ``og:site_name``, the publisher, the ``WebSite``, the site
        module's, and what ``<title>`` adds around the article's title (og:title or JSON-LD
        headline, else the first ``h1``)."""
        names = {*self.meta("og:site_name", "application-name", "apple-mobile-web-app-title")}
        names.update(self.site.site_names if self.site else ())
        names.update(names_in(self.jsonld_article.get("publisher"), "name"))
        for obj in self.jsonld:
            if obj.get("@type") in ("WebSite", "NewsMediaOrganization") and isinstance(obj.get("name"), str):
                names.add(obj["name"])
        title = self.title_tag
        if title:
            headline = self.jsonld_article.get("headline")
            candidates = [
                *self.meta("og:title", "twitter:title"),
                *([headline] if isinstance(headline, str) else []),
            ]
            learned = {name for name in (affix_name(title, candidate) for candidate in candidates) if name}
            if not learned:  # the metadata repeats <title>: the h1 is the bare title
                h1 = next(self.selector.root.iter("h1"), None)
                name = affix_name(title, element_text(h1)) if h1 is not None else None
                learned = {name} if name is not None else set()
            names.update(learned)
        return site_keys(names)

    @cached_property
    def title_tag(self) -> str:
        """The text of ``<title>``, collapsed; empty when there is none."""
        element = next(self.selector.root.iter("title"), None)
        return collapse(element.text or "") if element is not None else ""

    @cached_property
    def own_titles(self) -> frozenset[str]:
        """The page's title as ``<title>``, og:title and the JSON-LD headline write it, each also
        without a `` - site``/`` | site`` suffix, folded without spaces: what a breadcrumb entry that is the page
        itself equals (Rank Math's headline carries the site's name, the trail does not)."""
        headline = self.jsonld_article.get("headline")
        titles = [self.title_tag, *self.meta("og:title", "twitter:title")]
        titles += [headline] if isinstance(headline, str) else []
        forms = {form for title in titles for form in (title, _SUFFIX.sub("", title))}
        return frozenset(_title_key(form) for form in forms if form.strip())

    def is_own_title(self, name: str) -> bool:
        return _title_key(name) in self.own_titles

    def clean_title(self, title: str) -> str:
        """A generic layer's title without the site's name before or after it."""
        return strip_site_name(collapse(title), self.site_names)

    def is_home(self, name: str) -> bool:
        """True when a breadcrumb or category ``name`` is the home page or the site itself."""
        return fold(name) in HOME_NAMES or is_site_name(name, self.site_names)

    @cached_property
    def next_data(self) -> dict[str, Any]:
        """The article object of Next.js ``__NEXT_DATA__`` (empty when there is none)."""
        for script in self.selector.root.iter("script"):
            if script.get("id") == "__NEXT_DATA__":
                return read_next_data(script.text)
        return {}

    def names_url(self, url: str) -> bool:
        """True when a ``src``, ``href``, ``srcset`` or ``content`` of the page names ``url``."""
        name = url.rsplit("/", 1)[-1]
        for value in _NAMING(self.selector.root, name=name):
            for candidate in value.split(","):
                part = candidate.strip().split(" ")[0]
                if part and self.absolute(part) == url:
                    return True
        return False

    def image(self, url: str) -> str:
        """An image at full size: a WordPress ``-WxH`` copy's original when the page names it."""
        original = original_of(url)
        return original if original is not None and self.names_url(original) else url

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
        """``url`` made absolute against the page; None for nothing, or what is no URL."""
        try:
            return urljoin(self.url, url.strip()) if url and url.strip() else None
        except ValueError:  # "http://[": pages are hostile
            return None


__all__ = ["ARTICLE_TYPES", "Page"]
