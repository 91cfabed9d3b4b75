"""The class index selects exactly what parsel's ``Selector.css`` selects, in the same order."""

from __future__ import annotations

from dataclasses import fields

import pytest
from conftest import MIRROR
from parsel import Selector

from newsarchive.extract.css import ClassIndex
from newsarchive.extract.page import Page
from newsarchive.sites import SITES

PAGES = sorted(
    path
    for path in MIRROR.rglob("*")
    if path.is_file()
    and not path.name.startswith(".")
    and path.read_bytes().lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))
)
SELECTORS = sorted(
    {
        css
        for site in SITES.values()
        for group in (site.selectors, site.listing)
        for spec in fields(group)
        for css in getattr(group, spec.name)
    }
    | {
        # shapes the sites do not use (yet): nesting, pseudo-classes, groups, ids, attributes
        ".a .a",
        ".a > p",
        "div.a:not(.b)",
        ".x:first-child",
        "p:nth-child(2).y",
        "#content .articlePost p",
        "li.menu-item a::text",
        "[class~=rowCard] a",
        ".rowCard, .breadcrumb a",
        "*",
        "a::attr(href)",
    }
)


def _same(a, b) -> bool:
    return len(a) == len(b) and all(x is y or (isinstance(x, str) and x == y) for x, y in zip(a, b))


@pytest.mark.parametrize("path", PAGES, ids=[str(p.relative_to(MIRROR))[-50:] for p in PAGES])
def test_every_selector_matches_parsel_on_every_mirror_page(path):
    selector = Selector(text=path.read_text("utf-8", errors="replace"))
    index = ClassIndex(selector.root)
    for css in SELECTORS:
        expected = [s.root for s in selector.css(css)]
        assert _same(index.select(css), expected), css


def test_nested_anchors_keep_document_order():
    html = """<div class="a"><p class="a">1<span>x</span></p><p>2</p></div><div class="a"><p>3</p></div>
    <p class="a b b">4</p>"""
    selector = Selector(text=html)
    index = ClassIndex(selector.root)
    for css in (".a p", ".a", ".a > p", ".b", "p.a::text", ".a span, .b"):
        assert _same(index.select(css), [s.root for s in selector.css(css)]), css


def test_odd_class_attributes_select_what_parsel_selects():
    """Separators XPath's normalize-space does and does not split on, empty and repeated
    classes, and nodes that are not elements but can answer ``get("class")``."""
    html = (
        '<?xml-stylesheet class="a" href="x.css"?><!-- class="a" -->'
        '<div class="a\tb"><p class="a\nb\r\nc">1</p><p class=" a  ">2</p><p class="">3</p></div>'
        '<p class="a\x0bb">4</p><p class="a\xa0b">5</p><p class="a\u2003b">6</p><p class="A">7</p>'
        '<p class="b a a">8</p><span class="a"><!-- x --><?pi class="b"?>9</span>'
    )
    selector = Selector(text=html)
    index = ClassIndex(selector.root)
    for css in (".a", ".b", ".c", ".A", "p.a", ".a .b", ".a::text", "span.a", ".a\xa0b"):
        assert _same(index.select(css), [s.root for s in selector.css(css)]), css


@pytest.mark.parametrize("path", PAGES, ids=[str(p.relative_to(MIRROR))[-50:] for p in PAGES])
def test_the_pages_tag_walks_find_what_parsel_finds(path):
    """JSON-LD, the canonical link and ``<time datetime>`` are found by walking the page by
    tag (newsarchive.extract.page.Page), not by XPath over every node: the same results."""
    selector = Selector(text=path.read_text("utf-8", errors="replace"))
    page = Page(selector, "https://example.com/")
    assert page.jsonld_sources == selector.xpath('//script[@type="application/ld+json"]/text()').getall()
    assert page.canonical_href == selector.css('link[rel="canonical"]::attr(href)').get()
    assert _same(page.with_attribute("time", "datetime"), [s.root for s in selector.css("time[datetime]")])


def test_tag_walks_on_odd_markup_find_what_parsel_finds():
    html = (
        '<head><link rel="canonical"><link rel="Canonical" href="/b"><link rel="canonical" href="/c">'
        '<script type="application/ld+json"></script><script type="application/ld+json ">{"a": 1}</script>'
        '<script type="application/ld+json">{"b": 2}</script></head>'
        '<body><time>x</time><time datetime="">y</time><time datetime="2024-01-02">z</time>'
        '<svg><script type="application/ld+json">{"c": 3}</script></svg></body>'
    )
    selector = Selector(text=html)
    page = Page(selector, "https://example.com/")
    assert page.jsonld_sources == selector.xpath('//script[@type="application/ld+json"]/text()').getall()
    assert page.canonical_href == selector.css('link[rel="canonical"]::attr(href)').get() == "/c"
    assert _same(page.with_attribute("time", "datetime"), [s.root for s in selector.css("time[datetime]")])
