"""Metadata from pages in any markup: the site's own name, people, breadcrumbs, images, Next.js data.

The generic layers (JSON-LD, meta tags, WordPress conventions, the fallback) read what any
news page carries; this module holds the rules they share so each is written once:

* the site's names (``og:site_name``, the publisher, the ``WebSite``, and what the
  ``<title>`` adds around the article's title), never an author nor a category, and cut
  from titles («خبرگزاری آریا - …», «… | دیجیاتو»);
* values are texts: collapsed, non-empty, each once (:func:`texts`);
* authors are people: never an ``Organization``, never the site, without "written by";
* images at full size: the largest ``srcset`` candidate, and a WordPress ``-1200x675``
  copy replaced by its original only when the page names the original.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from newsarchive.extract.blocks import collapse
from newsarchive.extract.tree import text_content
from newsarchive.persian import fold

# --- the site's own names and titles ---------------------------------------------------

#: What stands between a title and the site's name in ``<title>`` and ``og:title``.
TITLE_SEPARATOR = r"\s*(?:\s[-|–—:·•]|[|–—·•])\s*"
_SEPARATOR_EDGES = " -|–—:·•"
_ANY_SEPARATOR = re.compile(r"[-|–—:·•]")
#: Entries of a breadcrumb trail that are the home page.
HOME_NAMES = frozenset(
    fold(name) for name in ("خانه", "صفحه اصلی", "صفحه نخست", "صفحه‌ی اصلی", "home", "homepage", "main page")
)


def affix_name(full: str, title: str) -> str | None:
    """What ``full`` (a ``<title>``) adds before or after ``title`` across a separator: the site's name."""
    full, title = " ".join(full.split()), " ".join(title.split())
    if not title or full == title:
        return None
    if full.startswith(title) and re.match(TITLE_SEPARATOR, full[len(title) :]):
        rest = full[len(title) :].strip(_SEPARATOR_EDGES)
    elif full.endswith(title) and re.search(TITLE_SEPARATOR + "$", full[: -len(title)]):
        rest = full[: -len(title)].strip(_SEPARATOR_EDGES)
    else:
        return None
    return rest if 0 < len(rest) <= 60 else None


def site_keys(names: Iterable[str]) -> frozenset[str]:
    """Site names in the form they are compared in (folded)."""
    return frozenset(fold(name) for name in names if name and name.strip())


def strip_site_name(title: str, keys: frozenset[str]) -> str:
    """``title`` without a known site name (``keys``, folded) before or after it across a separator."""
    if not keys or not _ANY_SEPARATOR.search(title):
        return title
    parts = re.split(f"({TITLE_SEPARATOR})", title)
    if len(parts) < 3:
        return title
    if fold(parts[-1]) in keys:
        return "".join(parts[:-2]).strip()
    if fold(parts[0]) in keys:
        return "".join(parts[2:]).strip()
    return title


def url_path(href: str | None) -> str:
    """The path of a link's URL; empty for what is no URL (``http://[``: pages are hostile)."""
    try:
        return urlsplit((href or "").strip()).path
    except ValueError:
        return ""


def is_site_name(value: str, keys: frozenset[str]) -> bool:
    return fold(value) in keys


def links_home(element: Any) -> bool:
    """True for a logo: an element that is, holds, or sits in, a link to a home page."""
    for node in (*element.iter("a"), *element.iterancestors("a")):
        if url_path(node.get("href")) in ("", "/"):
            return True
    return False


#: A link to a category's page: WordPress's ``/category/<slug>`` (and its sub-categories).
CATEGORY_PATH = re.compile(r"/category/[^/]+", re.IGNORECASE)


def is_category_link(link: Any) -> bool:
    """True for a link to a category's page: ``rel=category`` (the_category()) or a ``/category/`` path."""
    return (
        "category" in (link.get("rel") or "").split()
        or CATEGORY_PATH.search(url_path(link.get("href"))) is not None
    )


# --- people ---------------------------------------------------------------------------

#: JSON-LD types that are not a person.
NOT_PEOPLE = frozenset(
    {
        "Organization",
        "NewsMediaOrganization",
        "Corporation",
        "WebSite",
        "Brand",
        "WebPage",
        "GovernmentOrganization",
        "EducationalOrganization",
        "LocalBusiness",
    }
)
#: Words written before a name that are not the name ("written by"), longest first.
BYLINE_PREFIXES = tuple(
    sorted(
        (
            "نوشته شده توسط",
            "نوشته‌شده توسط",
            "نویسنده و مترجم",
            "نویسنده:",
            "نویسنده",
            "نوشته:",
            "به قلم",
            "گزارش از",
            "خبرنگار:",
            "گزارشگر:",
            "توسط",
            "written by",
            "posted by",
            "by",
            "author:",
            "author",
        ),
        key=len,
        reverse=True,
    )
)
#: Path segments under which sites list an author's articles.
AUTHOR_PATHS = re.compile(
    r"/(?:author|authors|user|users|writer|writers|profile/author|nevisande)/([^/?#]+)", re.IGNORECASE
)
#: What an author path names that is no author.
NOT_AUTHOR_SLUGS = frozenset(
    {
        "login",
        "register",
        "signup",
        "signin",
        "logout",
        "profile",
        "account",
        "settings",
        "password",
        "edit",
        "me",
        "new",
    }
)
MAX_NAME = 60


def person_name(text: str) -> str | None:
    """A person's name out of a byline: prefix cut, collapsed; None for what cannot be a name."""
    name = " ".join(text.split())
    lowered = name.lower()
    for prefix in BYLINE_PREFIXES:
        if lowered.startswith(prefix) and (len(name) == len(prefix) or not name[len(prefix)].isalnum()):
            name = name[len(prefix) :].strip(" :|-–—،,")
            break
    if not name or len(name) > MAX_NAME or name.startswith(("http://", "https://", "@")):
        return None
    return name


def texts(values: Iterable[object]) -> list[str]:
    """Non-empty, de-duplicated values in order, whitespace collapsed (what is no string is empty)."""
    seen: dict[str, None] = {}
    for value in values:
        text = collapse(value) if isinstance(value, str) else ""
        if text and text not in seen:
            seen[text] = None
    return list(seen)


def bylines(names: Iterable[str]) -> list[str]:
    """Bylines as people's names, prefixes cut (the site's own name is cut when a field is kept)."""
    return texts(name for name in map(person_name, names) if name)


def people(value: Any) -> list[str]:
    """Names of the people in a JSON-LD ``author`` value (strings, objects, lists): no organization."""
    found: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            types = item.get("@type")
            types = types if isinstance(types, list) else [types]
            if NOT_PEOPLE.intersection(t for t in types if isinstance(t, str)):
                continue
            item = item.get("name")
        if isinstance(item, str):
            name = person_name(item)
            if name:
                found.append(name)
    return found


def author_links(links: Iterable[Any]) -> list[str]:
    """Names from the first links to an author page (``/author/…``, ``/user/…``) and co-authors beside it."""
    names: list[str] = []
    parent = None
    for link in links:
        match = AUTHOR_PATHS.search(url_path(link.get("href")))
        if match is None or match[1].lower() in NOT_AUTHOR_SLUGS:
            continue
        if parent is not None and link.getparent() is not parent:
            break
        name = person_name(text_content(link))
        if name:
            names.append(name)
            parent = link.getparent()
    return names


# --- Next.js ---------------------------------------------------------------------------

_ARTICLE_KEYS = frozenset(
    {
        "content",
        "body",
        "summary",
        "excerpt",
        "slug",
        "publishedAt",
        "published_at",
        "datePublished",
        "createdAt",
        "publishDate",
        "author",
        "authors",
        "category",
        "categories",
        "lead",
    }
)
_VISIT_LIMIT = 5000


def next_article(data: Any) -> dict[str, Any]:
    """The object in Next.js ``__NEXT_DATA__`` that is the page's article: a title beside article fields."""
    props = data.get("props") if isinstance(data, dict) else None
    start = props.get("pageProps", data) if isinstance(props, dict) else data
    queue, visited = [start], 0
    while queue and visited < _VISIT_LIMIT:
        item = queue.pop(0)
        visited += 1
        if isinstance(item, dict):
            title = item.get("title") or item.get("headline")
            if isinstance(title, str) and title.strip() and _ARTICLE_KEYS.intersection(item):
                return item
            queue.extend(item.values())
        elif isinstance(item, list):
            queue.extend(item[:50])
    return {}


def read_next_data(text: str | None) -> dict[str, Any]:
    try:
        return next_article(json.loads(text)) if text else {}
    except (ValueError, RecursionError):  # RecursionError: arrays nested past the JSON parser
        return {}


def names_in(value: Any, *keys: str) -> list[str]:
    """Display names in a value that is a string, an object (``name``/``title``…) or a list of them."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        for key in keys:
            if isinstance(value.get(key), str):
                return [value[key]]
        return []
    if isinstance(value, list):
        return [name for item in value for name in names_in(item, *keys)]
    return []


def first_string(item: dict[str, Any], *keys: str) -> str | None:
    """The first of ``item``'s values under ``keys`` that is a non-blank string, stripped."""
    for key in keys:
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


# --- images ----------------------------------------------------------------------------

#: A WordPress resized copy: ``name-1200x675.jpg`` (the original is ``name.jpg``).
RESIZED = re.compile(r"-\d{2,5}x\d{2,5}(?=\.[A-Za-z0-9]{2,5}(?:\.webp)?(?:[?#]|$))")
_CANDIDATE = re.compile(r"\s*([^\s,]+)(?:\s+(\d+(?:\.\d+)?)([wx]))?\s*(?:,|$)")


def image_urls(value: Any, objects: Mapping[str, dict[str, Any]] | None = None) -> list[str]:
    """URLs in a JSON-LD image value: a string, an ``ImageObject`` (``url``/``contentUrl``) or a list.

    A reference, ``{"@id": "<page>#primaryimage"}`` as Yoast writes it, is the ``ImageObject``
    of ``objects`` (the page's JSON-LD by ``@id``) with that id; an ``@id`` is an image URL only
    when it names no fragment of a page (``…/photo.jpg``, never ``…#primaryimage``)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        found = [url for key in ("url", "contentUrl") if isinstance(url := value.get(key), str)][:1]
        ref = value.get("@id")
        if found or not isinstance(ref, str):
            return found
        target = (objects or {}).get(ref)
        if target is not None and target is not value:
            return image_urls({key: item for key, item in target.items() if key != "@id"})
        return [] if "#" in ref else [ref]
    if isinstance(value, list):
        return [url for item in value for url in image_urls(item, objects)]
    return []


def largest_candidate(srcset: str) -> str | None:
    """The widest (or densest) candidate of a ``srcset``."""
    best, best_size = None, -1.0
    for match in _CANDIDATE.finditer(srcset):
        if not match[1]:
            continue
        size = float(match[2]) if match[2] else 1.0
        if size > best_size:
            best, best_size = match[1], size
    return best


def original_of(url: str) -> str | None:
    """The original a WordPress resized copy was made from, or None when ``url`` is not one."""
    stripped = RESIZED.sub("", url, count=1)
    return stripped if stripped != url else None
