"""Extraction layers in order of trust, and what the extraction keeps of each layer's values.

A layer is a function of a :class:`~newsarchive.extract.page.Page` that returns the fields it
can find. Layers are tried in order for every field (see :data:`LAYERS`); the first non-empty
value wins and the layer's name is recorded, so a crawl can report when a site's own
selectors stop working and standard metadata takes over. The layers themselves live by
source: the site's selectors (:mod:`.site_layer`), metadata (:mod:`.metadata`: JSON-LD,
``<meta>``, ``<time>``), the displayed date line (:mod:`.dateline`), and markup conventions
and the last resort (:mod:`.conventions`).

Dates are different: every layer's machine-readable date is kept as a candidate, and the
date pipeline chooses (see ``choose_published``). So is the body: every layer proposes one
and :func:`page_body` lets evidence choose (see :mod:`.bodies`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from newsarchive.extract.bodies import Body, choose_lazily
from newsarchive.extract.conventions import (
    WORDPRESS_BODIES,
    fallback_authors,
    fallback_body,
    fallback_categories,
    fallback_date,
    fallback_image,
    fallback_tags,
    fallback_title,
    wordpress_body,
    wordpress_layer,
)
from newsarchive.extract.dateline import dateline_layer
from newsarchive.extract.generic import is_site_name
from newsarchive.extract.metadata import jsonld_body, jsonld_layer, meta_layer, time_layer
from newsarchive.extract.page import ARTICLE_TYPES, Page
from newsarchive.extract.site_layer import site_body, site_layer

#: Fields a layer may return; dates come back as lists of candidate strings.
TEXT_FIELDS = ("title", "lead", "body", "authors", "categories", "tags", "image_url")


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
        return [category for category in value if not page.is_home(category)]
    if name == "image_url":
        return page.image(value)
    return value


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
    Layer("fallback", fallback_tags, frozenset({"tags"}), False),
    Layer("fallback", fallback_image, frozenset({"image_url"}), False),
    Layer("fallback", fallback_date, frozenset({"published"}), False),
)

# The layers and the page were defined here before they moved to their own modules; their
# names stay importable from here.
__all__ = [
    "ARTICLE_TYPES",
    "LAYERS",
    "TEXT_FIELDS",
    "WORDPRESS_BODIES",
    "Layer",
    "Page",
    "dateline_layer",
    "fallback_authors",
    "fallback_body",
    "fallback_categories",
    "fallback_date",
    "fallback_image",
    "fallback_tags",
    "fallback_title",
    "finish",
    "jsonld_body",
    "jsonld_layer",
    "meta_layer",
    "page_body",
    "site_body",
    "site_layer",
    "time_layer",
    "wordpress_body",
    "wordpress_layer",
]
