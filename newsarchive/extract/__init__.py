"""Layered article extraction, usable without Scrapy.

:func:`extract_article` maps a ``parsel.Selector`` of an article page to a raw
article dict. Each field comes from the first layer in
:data:`~newsarchive.extract.layers.LAYERS` that has it, except the body, which every
layer proposes and evidence chooses (:mod:`~newsarchive.extract.bodies`);
``field_sources`` records which layer each came from. Date strings are collected
raw; turning them into timestamps is the date pipeline's job.

The modules, from the page up:

* :mod:`.page`: the parsed page and its lazily read metadata, shared by every layer;
* :mod:`.layers`: the layers' order, what is kept of their values, the body choice;
* the layers by source: :mod:`.site_layer` (a site entry's selectors), :mod:`.metadata`
  (JSON-LD, ``<meta>``, ``<time>``), :mod:`.dateline` with :mod:`.dateline_marks` (a
  displayed date line), :mod:`.conventions` (WordPress themes and the last resort);
* the rules they share: :mod:`.generic` (site names, people, images, Next.js data),
  :mod:`.bodies` (choosing a body by evidence), :mod:`.blocks` (text out of HTML),
  :mod:`.boilerplate` (what is never article text), :mod:`.echoes` (header lines repeated
  in a body);
* plumbing: :mod:`.css` (selectors through a class index), :mod:`.depth` (pages nested
  past libxml2's limit), :mod:`.tree` (type names for lxml's untyped tree).
"""

from __future__ import annotations

from typing import Any

from parsel import Selector

from newsarchive.extract.depth import cut_short, reparse_flat
from newsarchive.extract.echoes import strip_echoes
from newsarchive.extract.layers import LAYERS, TEXT_FIELDS, finish, page_body
from newsarchive.extract.page import Page
from newsarchive.sites.base import Site


def extract_article(selector: Selector, url: str, site: Site | None = None) -> dict[str, Any]:
    """Extract an article's fields from ``selector`` (the page fetched from ``url``).

    Returns a dict with the fields of :data:`TEXT_FIELDS` that were found,
    ``published_display`` (the date line as shown), ``published_candidates`` and
    ``modified_candidates`` (``[layer, text]`` pairs of machine-readable dates),
    ``canonical_url``, ``page_type``, ``sponsored`` (the page carries one of the site's
    sponsored markers), ``field_sources`` and ``notes``.
    """
    notes: list[str] = []
    if cut_short(selector.root):  # libxml2 stopped at its depth limit: the rest of the page is missing
        selector, note = reparse_flat(selector)
        notes.append(note)
    page = Page(selector, url, site, notes)
    article: dict[str, Any] = {
        "published_candidates": [],
        "modified_candidates": [],
        "field_sources": {},
        "page_type": "article",
        "sponsored": False,
    }
    sources = article["field_sources"]
    for layer in LAYERS:
        missing = {name for name in TEXT_FIELDS if name not in article}
        if not article["published_candidates"] and "published_display" not in article:
            missing.add("published")
        if not layer.can_add(missing):
            continue
        layer_name, found = layer.name, layer.extract(page)
        for name in TEXT_FIELDS:
            if name not in article and found.get(name):
                value = found[name] if layer_name == "site" else finish(page, name, found[name])
                if value:
                    article[name] = value
                    sources[name] = layer_name
        for key in ("published_display", "modified_display"):
            if key in found and key not in article:
                article[key] = found[key]
        for kind in ("published", "modified"):
            if found.get(f"{kind}_machine"):
                article[f"{kind}_candidates"].append([layer_name, found[f"{kind}_machine"]])
        if found.get("page_type") == "video":
            article["page_type"] = "video"
        if found.get("sponsored"):
            article["sponsored"] = True
    body = page_body(page)
    if body is not None:
        article["body"] = strip_echoes(body.text, article.get("title"), article.get("authors") or ())
        sources["body"] = body.layer
        echoes = body.text.count("\n\n") - article["body"].count("\n\n")
        article["boilerplate"] = {**body.removed, **({"echoes": echoes} if echoes else {})}
    article["canonical_url"] = page.absolute(page.canonical_href)
    article["notes"] = page.notes
    return article


__all__ = ["TEXT_FIELDS", "extract_article"]
