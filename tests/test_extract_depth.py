"""100,000 nested tags must not make an article vanish.

libxml2 stops parsing a document at its depth limit (2048 open elements with parsel's
``huge_tree``, 256 without) and keeps only what it read until then, so a page whose header
holds 100,000 nested ``<div>`` loses its whole article (dropped as ``no-body``). Extraction
notices the cut (the tree ends in a chain that deep) and parses the page again without the
tags that would open elements past a sane depth; a normal page is never parsed twice.
"""

from __future__ import annotations

import pytest
from conftest import MIRROR
from faultserver import BASE_URL, article_variant
from parsel import Selector

import newsarchive.extract as extract_package
from newsarchive.extract import extract_article
from newsarchive.extract.tree import html_selector
from newsarchive.sites import SITES

SITE = SITES["digiato"]
DEPTH = 100_000
HEADER = '<header class="siteHeader" id="siteHeader">'
MIDDLE = "<h2>ویدیوی فضایی و Qi2</h2>"  # between two paragraphs of the body
SIDEBAR = '<aside class="sitePage__sidebar">'


def nest(depth: int = DEPTH, text: str = "ته", open_tag: str = "<div>", close_tag: str = "</div>") -> str:
    return open_tag * depth + text + close_tag * depth


def inserted(html: str, marker: str, markup: str, after: bool = True) -> str:
    assert marker in html
    return html.replace(marker, marker + markup if after else markup + marker, 1)


def in_header(html: str) -> str:
    return inserted(html, HEADER, nest())


def in_body(html: str) -> str:
    """An empty nest between two paragraphs of the article: no text of its own to add."""
    return inserted(html, MIDDLE, nest(text=""), after=False)


def in_sidebar(html: str) -> str:
    return inserted(html, SIDEBAR, nest())


VARIANTS = {
    "header": in_header,
    "middle of the body": in_body,
    "middle of the page": in_sidebar,
    "header and middle": lambda html: in_sidebar(in_body(in_header(html))),
    "unclosed, in the header": lambda html: inserted(html, HEADER, "<div>" * DEPTH),
    "two tags taking turns": lambda html: inserted(
        html, HEADER, nest(DEPTH // 2, open_tag="<div><span>", close_tag="</span></div>")
    ),
    "with attributes and text between": lambda html: inserted(
        html, HEADER, nest(DEPTH // 2, open_tag='<div class="n">x', close_tag="</div>")
    ),
}
FIELDS = (
    "title",
    "lead",
    "body",
    "authors",
    "categories",
    "tags",
    "image_url",
    "published_display",
    "published_candidates",
    "modified_candidates",
    "field_sources",
    "canonical_url",
    "page_type",
)


def extract_html(html: str) -> dict:
    """Extraction on the selector a crawl builds (newsarchive.extract.tree.html_selector)."""
    return extract_article(html_selector(html, BASE_URL), BASE_URL, SITE)


@pytest.fixture(scope="module")
def clean() -> dict:
    return extract_html(article_variant(BASE_URL))


@pytest.mark.slow
@pytest.mark.parametrize("where", VARIANTS)
def test_a_hundred_thousand_nested_tags_keep_title_and_body(clean, where):
    html = article_variant(BASE_URL, VARIANTS[where])
    assert not Selector(text=html).css(".siteFooter"), (
        "libxml2 no longer stops there: the test proves nothing"
    )
    raw = extract_html(html)
    assert raw["title"] == clean["title"]
    assert raw["body"] == clean["body"]
    assert {name: raw.get(name) for name in FIELDS} == {name: clean.get(name) for name in FIELDS}
    assert any("nested" in note for note in raw["notes"])


def test_a_nest_in_a_page_read_from_its_bytes_is_parsed_again_from_them(clean):
    """A crawl parses a UTF-8 page from its body's bytes (newsarchive.page.page_html)."""
    raw = extract_article(
        html_selector(article_variant(BASE_URL, in_header).encode(), BASE_URL), BASE_URL, SITE
    )
    assert (raw["title"], raw["body"]) == (clean["title"], clean["body"])
    assert any("parsed again" in note for note in raw["notes"])


def test_the_nest_is_seen_where_scrapy_parses_too(clean):
    from scrapy.http import HtmlResponse, Request

    body = article_variant(BASE_URL, in_header).encode()
    response = HtmlResponse(url=BASE_URL, body=body, request=Request(BASE_URL))
    raw = extract_article(response.selector, BASE_URL, SITE)
    assert (raw["title"], raw["body"]) == (clean["title"], clean["body"])


def test_a_nest_libxml2_reads_whole_is_left_alone(clean, monkeypatch):
    monkeypatch.setattr(extract_package, "reparse_flat", _never)
    raw = extract_html(article_variant(BASE_URL, lambda html: inserted(html, HEADER, nest(1500))))
    assert (raw["title"], raw["body"]) == (clean["title"], clean["body"])


def _never(*args, **kwargs):
    raise AssertionError("a page libxml2 read whole was parsed again")


MIRROR_PAGES = sorted(
    path
    for path in MIRROR.rglob("*")
    if path.is_file()
    and not path.name.startswith(".")
    and path.read_bytes().lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))
)


def test_no_mirror_page_is_parsed_twice(monkeypatch):
    monkeypatch.setattr(extract_package, "reparse_flat", _never)
    for path in MIRROR_PAGES:
        extract_article(
            Selector(text=path.read_text("utf-8", errors="replace")), "https://example.com/a", None
        )


def test_a_selector_without_its_source_text_keeps_what_was_read_and_says_so():
    html = article_variant(BASE_URL, in_header)
    raw = extract_article(Selector(root=Selector(text=html).root), BASE_URL, SITE)
    assert "body" not in raw
    assert any("nested" in note for note in raw["notes"])
