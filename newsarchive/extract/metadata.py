"""The metadata layers: what a page declares about itself for machines, in any markup.

Three layers, tried after the site's selectors in this order of trust: schema.org JSON-LD
(``NewsArticle``, ``Article``, ``BlogPosting``, ``VideoObject``; its ``articleBody`` is also
a body candidate), OpenGraph and other ``<meta>`` tags, and ``<time datetime>``. Most news
CMSs write them for search engines and social networks, so they keep working when a
redesign breaks a site's selectors, and they are the only source on a site without a module.
Their machine-readable dates all become candidates that the date pipeline chooses between.
"""

from __future__ import annotations

from typing import Any

from newsarchive.extract.blocks import collapse
from newsarchive.extract.bodies import Body, from_text
from newsarchive.extract.generic import bylines, image_urls, is_category_link, people, texts
from newsarchive.extract.page import Page
from newsarchive.extract.tree import text_content
from newsarchive.persian import fold

# --- JSON-LD ---------------------------------------------------------------------------


def jsonld_layer(page: Page) -> dict[str, Any]:
    """schema.org ``NewsArticle``/``Article``/``BlogPosting`` in JSON-LD."""
    article = page.jsonld_article
    out: dict[str, Any] = {}
    if not article:
        return out
    title = article.get("headline") or article.get("name")
    if isinstance(title, str):
        out["title"] = collapse(title)
    if isinstance(article.get("description"), str):
        out["lead"] = collapse(article["description"])
    out["authors"] = texts(people(article.get("author")))
    keywords = article.get("keywords")
    if isinstance(keywords, str):
        keywords = keywords.split(",")
    out["tags"] = texts(k for k in keywords or [] if isinstance(k, str))
    images = image_urls(article.get("image"), page.jsonld_ids) or image_urls(article.get("thumbnailUrl"))
    if images:
        out["image_url"] = page.absolute(images[0])
    out["categories"] = _categories(page)
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


def _names(value: Any) -> list[str]:
    """Names out of JSON-LD values that may be strings, objects or lists of them."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _names(value.get("name") or value.get("url"))
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    return []


def _categories(page: Page) -> list[str]:
    """The post's categories: ``articleSection`` when it names every category of the
    BreadcrumbList (Yoast and Rank Math list all of a post's categories there, the trail only
    the primary one), else the trail (an agency's section is a desk's name in another form)."""
    crumbs = _breadcrumbs(page)
    sections = _sections(page, crumbs)
    if not crumbs or {fold(name) for name in crumbs} <= {fold(name) for name in sections}:
        return sections or crumbs
    return crumbs


def _sections(page: Page, crumbs: list[str]) -> list[str]:
    """``articleSection``'s names. Rank Math and All in One SEO write one string joined by
    commas, the latter with the post's tags in it: a piece of such a string is a category only
    when the trail names it or the page links to it as one (``rel=category``, ``/category/``)."""
    section = page.jsonld_article.get("articleSection")
    if isinstance(section, list) or (isinstance(section, str) and "," not in section):
        return texts(section if isinstance(section, list) else [section])
    if not isinstance(section, str):
        return []
    linked = {
        fold(collapse(text_content(link))) for link in page.selector.root.iter("a") if is_category_link(link)
    }
    known = linked | {fold(name) for name in crumbs}
    return texts(piece for piece in section.split(",") if fold(collapse(piece)) in known)


def _breadcrumbs(page: Page) -> list[str]:
    """Category names from a JSON-LD BreadcrumbList, without home and the page itself (its last
    entry when that is the page's title in any form, see :attr:`Page.own_titles`)."""
    for obj in page.jsonld:
        if obj.get("@type") != "BreadcrumbList":
            continue
        items = sorted(
            (i for i in obj.get("itemListElement") or [] if isinstance(i, dict)),
            key=lambda i: i.get("position", 0),
        )
        firsts = [_names(i.get("name") or i.get("item"))[:1] for i in items]
        names = [n[0] for n in firsts if n][1:]
        if names and page.is_own_title(names[-1]):  # the trail ends with the page itself
            names.pop()
        return texts(names)
    return []


def jsonld_body(page: Page) -> Body | None:
    """JSON-LD's ``articleBody``, read as paragraphs (HTML in it read as HTML)."""
    body = page.jsonld_article.get("articleBody")
    return from_text("jsonld", body) if isinstance(body, str) else None


# --- <meta> tags -----------------------------------------------------------------------


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
    authors = bylines(page.meta("article:author", "author", *_yoast_author(page)))
    if authors:
        out["authors"] = authors
    for name, key in (("tags", "article:tag"), ("categories", "article:section")):
        values = texts(page.meta(key))
        if values:
            out[name] = values
    return out


#: Yoast SEO's Twitter label before the author's name in ``twitter:data1``.
_WRITTEN_BY = frozenset({"written by", "نوشته شده توسط", "نوشته‌شده توسط", "نویسنده"})


def _yoast_author(page: Page) -> tuple[str, ...]:
    """``twitter:data1`` when Yoast SEO's label says it holds the author, else nothing."""
    labels = page.meta("twitter:label1")
    return ("twitter:data1",) if labels and labels[0].lower() in _WRITTEN_BY else ()


# --- <time datetime> -------------------------------------------------------------------


def time_layer(page: Page) -> dict[str, Any]:
    """``<time datetime>``: the published one if marked, else the first; never a comment's."""
    times = [t for t in page.with_attribute("time", "datetime") if not page.in_noise(t)]
    out: dict[str, Any] = {}
    # schema.org microdata spells them itemprop="datePublished"/"dateModified".
    marks = [f"{t.get('itemprop', '')} {t.get('class', '')}".lower() for t in times]
    published = [t for t, mark in zip(times, marks) if "publish" in mark]
    modified = [t for t, mark in zip(times, marks) if "modif" in mark or "updated" in mark]
    candidates = published or [t for t in times if t not in modified]
    if candidates:
        out["published_machine"] = candidates[0].get("datetime").strip()
    if modified:
        out["modified_machine"] = modified[0].get("datetime").strip()
    return {k: v for k, v in out.items() if v}


__all__ = ["jsonld_body", "jsonld_layer", "meta_layer", "time_layer"]
