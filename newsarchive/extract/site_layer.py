"""The site layer: a site entry's own CSS selectors, the first and most precise layer.

Each module in :mod:`newsarchive.sites` names where its pages keep the title, lead, image,
authors, categories, tags, displayed dates and body, and which boxes are noise. While a
site's layout lasts these are exact; when a redesign breaks them they find nothing and the
generic layers answer instead, which the crawl reports by each field's recorded layer.
Values found here are kept as found: the site's selectors already point past its name.
"""

from __future__ import annotations

import re
from typing import Any

from newsarchive.extract.blocks import element_text
from newsarchive.extract.bodies import Body, from_container
from newsarchive.extract.generic import links_home, texts
from newsarchive.extract.page import Page
from newsarchive.extract.tree import Elements
from newsarchive.sites.base import Site


def _select(
    page: Page, selectors: tuple[str, ...], noise: Elements, *, logos: bool = True, in_noise: bool = True
) -> list[str]:
    """Values of the first selector that matches: attribute values or element text. Without
    ``logos``, an element that is a logo (a link home) is no match: a family's or a fallback
    ``h1`` on a page whose logo is an ``<h1>`` (another design, a sister site) is no title.
    Without ``in_noise``, an element inside a noise box (a sidebar, a most-viewed list) is no
    match either."""
    for css in selectors:
        found = page.css(css)
        if not in_noise:
            found = [item for item in found if isinstance(item, str) or not page.in_noise(item)]
        if not found:
            continue
        if "::" in css:
            values = texts(found)
        else:
            values = texts(
                element_text(element, noise) for element in found if logos or not links_home(element)
            )
        if values:
            return values
    return []


def _split_authors(site: Site, names: list[str]) -> list[str]:
    """Bylines split into names at the site's separators, the site's author prefixes cut."""
    prefixes = sorted(site.author_prefixes, key=len, reverse=True)
    authors: list[str] = []
    for name in names:
        for prefix in prefixes:
            if name.startswith(prefix):
                name = name[len(prefix) :]
                break
        authors += [part.strip(" :|") for part in re.split(site.author_separators, name)]
    return texts(authors)


def site_layer(page: Page) -> dict[str, Any]:
    """The site's own selectors: the most precise layer while the layout lasts."""
    site = page.site
    if site is None:
        return {}
    sel = site.selectors
    noise = page.site_noise
    out: dict[str, Any] = {}
    for name, selectors in (("title", sel.title), ("lead", sel.lead), ("image_url", sel.image)):
        values = _select(page, selectors, noise, logos=name != "title")
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
    displayed = displayed_date(page)
    if displayed:
        out["published_display"] = displayed
    modified = _select(page, sel.modified, noise)
    if modified:
        out["modified_display"] = modified[0]
    if any(page.css(css) for css in sel.video):
        out["page_type"] = "video"
    if any(page.css(css) for css in sel.sponsored):
        out["sponsored"] = True
    return out


def displayed_date(page: Page) -> str | None:
    """The date line the site's ``published`` selectors find, as shown; None when they find none.
    A match in a noise box is not the article's date: ``article time`` also finds the
    ``<time>1 hour ago</time>`` of a sidebar's ``<article>`` cards."""
    if page.site is None:
        return None
    found = _select(page, page.site.selectors.published, page.site_noise, in_noise=False)
    return found[0] if found else None


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


__all__ = ["displayed_date", "site_body", "site_layer"]
