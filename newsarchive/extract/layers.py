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

from lxml import etree
from parsel import Selector

from newsarchive.extract.blocks import collapse, element_text
from newsarchive.extract.bodies import (
    MIN_FALLBACK_BODY,
    Body,
    choose_lazily,
    from_container,
    from_text,
)
from newsarchive.extract.boilerplate import has_junk_name, text_length
from newsarchive.extract.css import ClassIndex
from newsarchive.extract.dateline import dateline_layer
from newsarchive.extract.generic import (
    HOME_NAMES,
    affix_name,
    author_links,
    first_string,
    image_urls,
    is_site_name,
    largest_candidate,
    names_in,
    original_of,
    people,
    person_name,
    read_next_data,
    site_keys,
    strip_site_name,
    url_path,
)
from newsarchive.persian import fold
from newsarchive.sites.base import Site

ARTICLE_TYPES = frozenset({"NewsArticle", "Article", "BlogPosting", "ReportageNewsArticle", "VideoObject"})
#: Fields a layer may return; dates come back as lists of candidate strings.
TEXT_FIELDS = ("title", "lead", "body", "authors", "categories", "tags", "image_url")


#: Attributes that name a URL and hold a given file name.
_NAMING = etree.XPath(
    "(//@src | //@href | //@data-src | //@srcset | //@data-srcset | //@content)[contains(., $name)]"
)


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
        return any(
            node in self.site_noise or has_junk_name(node) for node in (element, *element.iterancestors())
        )

    @cached_property
    def paragraph_text(self) -> dict[Any, int]:
        """Text of the ``<p>`` children of each element that has some: one pass over the page."""
        lengths: dict[Any, int] = {}
        for p in self.selector.root.iter("p"):
            parent = p.getparent()
            if parent is not None:
                lengths[parent] = lengths.get(parent, 0) + text_length(p)
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
        holds :data:`MIN_FALLBACK_BODY`. Lines between ``<br>`` s count as paragraphs, and a
        parent's paragraphs also count half for its own parent, so paragraphs wrapped one by
        one in ``<div>`` s still add up to their container."""
        lengths: dict[Any, float] = dict(self.paragraph_text)
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
                learned = {affix_name(title, element_text(h1))} - {None} if h1 is not None else set()
            names.update(learned)
        return site_keys(names)

    @cached_property
    def title_tag(self) -> str:
        element = next(self.selector.root.iter("title"), None)
        return collapse(element.text or "") if element is not None else ""

    def clean_title(self, title: str) -> str:
        """A generic layer's title without the site's name before or after it."""
        return strip_site_name(collapse(title), self.site_names)

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
                name = name[len(prefix) :]
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
    out["authors"] = _texts(people(article.get("author")))
    keywords = article.get("keywords")
    if isinstance(keywords, str):
        keywords = keywords.split(",")
    out["tags"] = _texts(k for k in keywords or [] if isinstance(k, str))
    images = image_urls(article.get("image") or article.get("thumbnailUrl"))
    if images:
        out["image_url"] = page.absolute(images[0])
    crumbs = _breadcrumbs(page)
    section = article.get("articleSection")
    out["categories"] = crumbs or _texts(section if isinstance(section, list) else [section or ""])
    for key, name in (
        ("datePublished", "published"),
        ("uploadDate", "published"),
        ("dateModified", "modified"),
    ):
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
        title = page.jsonld_article.get("headline")
        return _texts(n for n in names[1:] if n != title)
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
            out[name] = values[0]
    if "image_url" in out:
        out["image_url"] = page.absolute(out["image_url"])
    authors = _people(page, page.meta("article:author", "author", *_yoast_author(page)))
    if authors:
        out["authors"] = authors
    for name, key in (("tags", "article:tag"), ("categories", "article:section")):
        values = _texts(page.meta(key))
        if values:
            out[name] = values
    return out


#: Yoast SEO's Twitter label before the author's name in ``twitter:data1``.
_WRITTEN_BY = frozenset({"written by", "نوشته شده توسط", "نوشته‌شده توسط", "نویسنده"})


def _yoast_author(page: Page) -> tuple[str, ...]:
    labels = page.meta("twitter:label1")
    return ("twitter:data1",) if labels and labels[0].lower() in _WRITTEN_BY else ()


def _people(page: Page, names: list[str]) -> list[str]:
    """Bylines as people's names, prefixes cut (the site's own name goes in :func:`finish`)."""
    return _texts(name for name in map(person_name, names) if name)


def _is_home(name: str, page: Page) -> bool:
    return fold(name) in HOME_NAMES or is_site_name(name, page.site_names)


def finish(page: Page, name: str, value: Any) -> Any:
    """A generic layer's value as kept: a title without the site's name around it, authors and
    categories that are not the site (nor home), an image at full size. Applied only to the value
    a field takes, so pages whose site layer has it pay nothing; an emptied value lets the next
    layer answer."""
    if name == "title":
        return page.clean_title(value)
    if name == "authors":
        return [author for author in value if not is_site_name(author, page.site_names)]
    if name == "categories":
        return [category for category in value if not _is_home(category, page)]
    if name == "image_url":
        return page.image(value)
    return value


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
    tags = _texts(
        sel.css("a[rel~=tag]:not([rel~=category])::text, .post-tags a::text, .tags-links a::text").getall()
    )
    if tags:
        out["tags"] = tags
    authors = _people(
        page, sel.css("a[rel~=author]::text, .author.vcard a::text, .byline .author::text").getall()
    )
    if authors:
        out["authors"] = authors
    categories = _texts(sel.css("a[rel~=category]::text, .cat-links a::text").getall())
    if categories:
        out["categories"] = categories
    return out


_TITLE_SUFFIX = re.compile(r"\s+[-|–—:]\s+[^-|–—:]+$")
_TITLE_PREFIX = re.compile(r"^[^-|–—:]+\s+[-|–—:]\s+")


def _without_affix(title: str) -> str:
    """A ``<title>`` without the site's name when nothing says which side it is on: the
    shorter end (a site's name is short, «خبرگزاری آریا - …» or «… - ایسنا»)."""
    prefix, suffix = _TITLE_PREFIX.match(title), _TITLE_SUFFIX.search(title)
    if not prefix or not suffix:
        return title
    if len(prefix.group()) < len(suffix.group()):
        return title[prefix.end() :]
    return title[: suffix.start()]


def fallback_title(page: Page) -> dict[str, Any]:
    """Last resort: the first ``h1`` that is not the site's logo, Next.js data, or ``<title>``."""
    for h1 in page.selector.root.iter("h1"):
        title = element_text(h1)
        if title and not is_site_name(title, page.site_names) and not _links_home(h1):
            return {"title": title}
    title = first_string(page.next_data, "title", "headline")
    if title:
        return {"title": title}
    title = page.title_tag
    if title:
        cleaned = page.clean_title(title)
        return {"title": cleaned if cleaned != title else _without_affix(title)}
    return {}


def _links_home(element) -> bool:
    """True for a logo: an element that is, or sits in, a link to a home page."""
    for node in (*element.iter("a"), *element.iterancestors("a")):
        if url_path(node.get("href")) in ("", "/"):
            return True
    return False


#: Links an author page may be reached by, outside the page's chrome.
_AUTHOR_LINKS = etree.XPath(
    "//a[contains(@href, '/author') or contains(@href, '/user') or contains(@href, '/writer')"
    " or contains(@href, '/nevisande')][not(ancestor::nav or ancestor::aside or ancestor::footer or ancestor::header)]"
)


def fallback_authors(page: Page) -> dict[str, Any]:
    """Links to author pages (``/author/…``, ``/user/…``, ``/writer/…``), else Next.js data."""
    links = [link for link in _AUTHOR_LINKS(page.selector.root) if not page.in_noise(link)]
    authors = _people(page, author_links(links))
    if not authors:
        authors = _people(
            page,
            names_in(
                page.next_data.get("author") or page.next_data.get("authors"),
                "name",
                "fullName",
                "displayName",
                "title",
            ),
        )
    return {"authors": authors} if authors else {}


#: Breadcrumb trails by their class (through the page's class index), then by markup.
_CRUMB_CLASSES = (
    ".breadcrumb",
    ".breadcrumbs",
    ".breadcrumb-trail",
    ".rank-math-breadcrumb",
    ".yoast-breadcrumb",
)
_CRUMB_TRAILS = etree.XPath(
    "//nav[contains(translate(@aria-label, 'BREADCUM', 'breadcum'), 'breadcrumb')]"
    " | //*[@id='breadcrumbs' or @id='breadcrumb'] | //*[contains(@itemtype, 'BreadcrumbList')]"
)


def fallback_categories(page: Page) -> dict[str, Any]:
    """A breadcrumb trail's links without home, the site and the page; else Next.js data."""
    trails = [element for css in _CRUMB_CLASSES for element in page.css(css)] or _CRUMB_TRAILS(
        page.selector.root
    )
    title = fold(page.title_tag)
    for trail in trails:
        names = [
            element_text(link) for link in trail.iter("a") if url_path(link.get("href")) not in ("", "/")
        ]
        categories = _texts(name for name in names if not _is_home(name, page) and fold(name) != title)
        if categories:
            return {"categories": categories}
    categories = _texts(
        names_in(page.next_data.get("category") or page.next_data.get("categories"), "title", "name")
    )
    return {"categories": categories} if categories else {}


#: Images that offer several sizes, outside the page's chrome.
_SRCSET_IMAGES = etree.XPath(
    "//img[@srcset or @data-srcset][not(ancestor::nav or ancestor::aside or ancestor::footer)]"
)


def fallback_image(page: Page) -> dict[str, Any]:
    """The largest ``srcset`` candidate of the first such image in the article (or page)."""
    for image in _SRCSET_IMAGES(page.selector.root):
        if page.in_noise(image):
            continue
        candidate = largest_candidate(image.get("data-srcset") or image.get("srcset") or "")
        if candidate:
            return {"image_url": page.absolute(candidate)}
    return {}


def fallback_date(page: Page) -> dict[str, Any]:
    """Next.js data's publication date, when no other layer had a date."""
    published = first_string(
        page.next_data,
        "publishedAt",
        "published_at",
        "datePublished",
        "publishDate",
        "publish_date",
        "createdAt",
        "created_at",
        "date",
    )
    return {"published_machine": published} if published else {}


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
    rivals = [lambda: wordpress_body(page), lambda: fallback_body(page)]
    site = site_body(page)
    if site is None:
        return choose_lazily(jsonld_body(page), rivals, page.main_chars, page.description)
    article_body = page.jsonld_article.get("articleBody")
    most = max(page.main_chars, len(article_body) if isinstance(article_body, str) else 0)
    return choose_lazily(site, [lambda: jsonld_body(page), *rivals], most, page.description)


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
    Layer("dateline", dateline_layer, fields=frozenset()),  # a displayed date line, after the machine dates
    Layer("wordpress", wordpress_layer, frozenset({"title", "tags", "authors", "categories"}), False),
    Layer("fallback", fallback_title, frozenset({"title"}), False),
    Layer("fallback", fallback_authors, frozenset({"authors"}), False),
    Layer("fallback", fallback_categories, frozenset({"categories"}), False),
    Layer("fallback", fallback_image, frozenset({"image_url"}), False),
    Layer("fallback", fallback_date, frozenset({"published"}), False),
)
