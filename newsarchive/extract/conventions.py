"""The markup layers: what a page's HTML conventions say when its metadata is silent.

Tried after the site's selectors and the metadata layers, and only for the fields still
missing: WordPress themes' conventions (``.entry-title``, ``.entry-content``, ``rel=tag``),
then the last resort, the layer recorded as ``fallback``: the first ``<h1>`` that is not a
logo, links to author pages, a breadcrumb trail, links to tag pages in a box of tags, the
largest ``srcset`` image, Next.js's ``__NEXT_DATA__``, ``<title>``, and the page's densest
block of paragraphs as a body.
These read any news page, so a site without a module, or one whose layout changed, still
yields an article.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from newsarchive.extract.blocks import element_text
from newsarchive.extract.bodies import Body, from_container
from newsarchive.extract.boilerplate import class_words
from newsarchive.extract.generic import (
    author_links,
    bylines,
    first_string,
    is_site_name,
    largest_candidate,
    links_home,
    names_in,
    texts,
    url_path,
)
from newsarchive.extract.page import Page
from newsarchive.extract.tree import Element

# --- WordPress -------------------------------------------------------------------------


def wordpress_layer(page: Page) -> dict[str, Any]:
    """Conventions of WordPress themes: ``.entry-title``, ``.entry-content``, ``rel=tag``."""
    sel = page.selector
    out: dict[str, Any] = {}
    title = sel.css(".entry-title, h1.post-title")
    if title:
        out["title"] = element_text(title[0].root)
    # the_category() writes rel="category tag": those links are categories, not tags.
    tags = texts(
        sel.css("a[rel~=tag]:not([rel~=category])::text, .post-tags a::text, .tags-links a::text").getall()
    )
    if tags:
        out["tags"] = tags
    authors = bylines(sel.css("a[rel~=author]::text, .author.vcard a::text, .byline .author::text").getall())
    if authors:
        out["authors"] = authors
    # Themes wrap the name in the link (<a rel="category tag"><span>…</span></a>): the link's whole text.
    categories = texts(element_text(link) for link in page.css("a[rel~=category], .cat-links a"))
    if categories:
        out["categories"] = categories
    return out


#: Containers of a post's text in WordPress themes (and schema.org microdata).
WORDPRESS_BODIES = (".entry-content", ".post-content", "[itemprop=articleBody]")


def wordpress_body(page: Page) -> Body | None:
    """The first WordPress post container on the page, as a body."""
    for css in WORDPRESS_BODIES:
        containers = page.css(css)
        if containers:
            return from_container("wordpress", containers[0], page.site_noise)
    return None


# --- the last resort -------------------------------------------------------------------

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
        if title and not is_site_name(title, page.site_names) and not links_home(h1):
            return {"title": title}
    found = first_string(page.next_data, "title", "headline")
    if found:
        return {"title": found}
    title = page.title_tag
    if title:
        cleaned = page.clean_title(title)
        return {"title": cleaned if cleaned != title else _without_affix(title)}
    return {}


#: Links an author page may be reached by, outside the page's chrome.
_AUTHOR_LINKS = etree.XPath(
    "//a[contains(@href, '/author') or contains(@href, '/user') or contains(@href, '/writer')"
    " or contains(@href, '/nevisande')][not(ancestor::nav or ancestor::aside or ancestor::footer or ancestor::header)]"
)


def fallback_authors(page: Page) -> dict[str, Any]:
    """Links to author pages (``/author/…``, ``/user/…``, ``/writer/…``), else Next.js data."""
    links = [link for link in _AUTHOR_LINKS(page.selector.root) if not page.in_noise(link)]
    authors = bylines(author_links(links))
    if not authors:
        authors = bylines(
            names_in(
                page.next_data.get("author") or page.next_data.get("authors"),
                "name",
                "fullName",
                "displayName",
                "title",
            ),
        )
    return {"authors": authors} if authors else {}


#: Classes of a breadcrumb trail: ``breadcrumb(s)``, ``breadcrumb-trail`` and a plugin's or
#: theme's prefixed one (``rank-math-breadcrumb``, ``yoast-breadcrumb``, ``penci-breadcrumb``);
#: never an item of one (``breadcrumb-item``).
_CRUMB_CLASS = re.compile(r"(?:^|[-_])breadcrumbs?(?:[-_]trail)?$", re.IGNORECASE)
_CRUMB_TRAILS = etree.XPath(
    "//nav[contains(translate(@aria-label, 'BREADCUM', 'breadcum'), 'breadcrumb')]"
    " | //*[@id='breadcrumbs' or @id='breadcrumb'] | //*[contains(@itemtype, 'BreadcrumbList')]"
)


def fallback_categories(page: Page) -> dict[str, Any]:
    """A breadcrumb trail's links without home, the site and the page; else Next.js data."""
    by_class = page.classes.by_class
    trails: list[Element] = [
        element for name in by_class if _CRUMB_CLASS.search(name) for element in by_class[name]
    ] or _CRUMB_TRAILS(page.selector.root)
    for trail in trails:
        names = [
            element_text(link) for link in trail.iter("a") if url_path(link.get("href")) not in ("", "/")
        ]
        categories = texts(name for name in names if not page.is_home(name) and not page.is_own_title(name))
        if categories:
            return {"categories": categories}
    categories = texts(
        names_in(page.next_data.get("category") or page.next_data.get("categories"), "title", "name")
    )
    return {"categories": categories} if categories else {}


#: Links to a tag's page (``/tag/<slug>``, Drupal's ``/tags/<slug>``), outside the page's chrome
#: (an ``<article>``'s own ``<footer>``, where themes put the tags, is not chrome).
_TAG_LINKS = etree.XPath(
    "//a[contains(@href, '/tag')][not(ancestor::*[self::nav or self::aside or self::footer or self::header]"
    "[not(ancestor::article)])]"
)
_TAG_PATH = re.compile(r"/tags?/[^/]+", re.IGNORECASE)
#: Class words of a box of tags (``td-tags``, ``post-tags``, ``field-name-field-tags``, ``tag-list``).
_TAG_BOX_WORDS = frozenset({"tag", "tags", "taglist", "tagbox", "taglinks", "keywords"})
#: How far above a tag link its box may be (``ul > li > a``, Drupal's ``field > items > item > a``).
_TAG_BOX_DEPTH = 4


def fallback_tags(page: Page) -> dict[str, Any]:
    """Links to tag pages in the first box whose class names tags: themes that write no
    ``rel=tag`` (tagDiv's ``ul.td-tags``, a ``.tags`` box, Drupal's taxonomy field). A cloud of
    tags (``tag-cloud``, a sidebar's) names the site's tags, not the article's."""
    box: Element | None = None
    tags: list[str] = []
    for link in _TAG_LINKS(page.selector.root):
        if not _TAG_PATH.search(url_path(link.get("href"))):
            continue
        if box is None:
            box = _tag_box(link)
        if box is not None and box in link.iterancestors():
            tags.append(element_text(link))
    found = texts(tags)
    return {"tags": found} if found else {}


def _tag_box(link: Element) -> Element | None:
    for depth, ancestor in enumerate(link.iterancestors()):
        words = set(class_words(ancestor.get("class") or ""))
        if "cloud" in words or "tagcloud" in words or depth >= _TAG_BOX_DEPTH:
            return None
        if words & _TAG_BOX_WORDS:
            return ancestor
    return None


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


def fallback_body(page: Page) -> Body | None:
    """The page's densest block of paragraphs outside noise, as a body."""
    return from_container("fallback", page.densest, page.site_noise)


__all__ = [
    "WORDPRESS_BODIES",
    "fallback_authors",
    "fallback_body",
    "fallback_categories",
    "fallback_date",
    "fallback_image",
    "fallback_tags",
    "fallback_title",
    "wordpress_body",
    "wordpress_layer",
]
