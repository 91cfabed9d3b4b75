"""newsarchive.page: an article page to its item without a crawler, exactly as a crawl makes it."""

from __future__ import annotations

import pytest
from conftest import EXPECTED_SITES, MIRROR, callback_output, load_expected, make_spider, mirror_response
from hypothesis import given, settings
from hypothesis import strategies as st
from itemadapter import ItemAdapter
from lxml import etree
from scrapy.http import HtmlResponse, Request

from newsarchive.extract.tree import html_selector
from newsarchive.page import article_fields, page_html, request_facts
from newsarchive.pipelines import DatePipeline, NormalizationPipeline, ValidationPipeline
from newsarchive.sites import SITES
from newsarchive.urls import host_of

CASES = [(site, expected) for site in EXPECTED_SITES for expected in load_expected(f"{site}.json")]
IDS = [f"{site}:{expected['path'][-36:]}" for site, expected in CASES]
FETCHED_AT = "2026-12-05T00:00:00Z"
#: What the pipelines make of the item, compared with the expected values of every page.
FIELDS = (
    "title",
    "lead",
    "body",
    "authors",
    "categories",
    "tags",
    "image_url",
    "published_at",
    "published_precision",
    "modified_at",
    "page_type",
    "sponsored",
)


def html(site: str, path: str) -> str:
    return (MIRROR / host_of(SITES[site].base_url) / path).read_text("utf-8")


@pytest.fixture(scope="module")
def spiders(tmp_path_factory):
    db = tmp_path_factory.mktemp("page") / "scratch.db"
    return {site: make_spider(site, db) for site in EXPECTED_SITES}


@pytest.mark.parametrize("site, expected", CASES, ids=IDS)
def test_the_spider_yields_what_article_fields_makes_of_the_page(spiders, site, expected):
    response = mirror_response(site, expected["url"], expected["path"], newsarchive_fetched_at=FETCHED_AT)
    (crawled,) = callback_output(spiders[site].parse_article(response))
    made = article_fields(
        SITES[site], response.selector, response.url, FETCHED_AT, **request_facts(response.meta)
    )
    assert dict(made) == dict(crawled)


@pytest.mark.parametrize("site, expected", CASES, ids=IDS)
def test_a_page_becomes_its_record_with_no_crawler(site, expected):
    item = article_fields(SITES[site], html(site, expected["path"]), expected["url"], FETCHED_AT)
    for step in (ValidationPipeline(), NormalizationPipeline(), DatePipeline()):
        item = step.process_item(item)
    record = ItemAdapter(item).asdict()
    assert {field: record.get(field) for field in FIELDS} == {field: expected[field] for field in FIELDS}
    assert record["fetched_at"] == FETCHED_AT and record["http_status"] == 200


def test_what_the_request_knew_goes_into_the_item():
    site = SITES["digiato"]
    expected = load_expected("digiato.json")[0]
    url = site.canonical(expected["url"])
    moved = site.url("/old-address-of-this-article/")
    item = article_fields(
        site,
        html("digiato", expected["path"]),
        url,
        FETCHED_AT,
        status=203,
        **request_facts(
            {
                "redirect_urls": [moved],
                "feed_date": "Tue, 02 Jan 2024 10:00:00 +0330",
                "newsarchive_charset_note": "charset: read as utf-8",
            }
        ),
    )
    assert item["url"] == url and item["fetched_url"] == url
    assert item["aliases"] == [site.canonical(moved)]
    assert item["published_candidates"][-1] == ["feed", "Tue, 02 Jan 2024 10:00:00 +0330"]
    assert item["notes"][-1] == "charset: read as utf-8"
    assert (item["fetched_at"], item["http_status"]) == (FETCHED_AT, 203)


def test_a_page_at_a_url_that_is_no_article_makes_no_item():
    site = SITES["digiato"]
    expected = load_expected("digiato.json")[0]
    assert article_fields(site, html("digiato", expected["path"]), site.url("/"), FETCHED_AT) is None


@pytest.mark.parametrize("site, expected", CASES, ids=IDS)
def test_a_utf8_page_is_read_from_its_bytes_into_the_same_item(site, expected):
    response = mirror_response(site, expected["url"], expected["path"])
    html = page_html(response)
    assert isinstance(html, bytes), "a plain UTF-8 page should be parsed from its body as fetched"
    from_bytes = article_fields(SITES[site], html, response.url, FETCHED_AT)
    assert from_bytes == article_fields(SITES[site], response.text, response.url, FETCHED_AT)


#: Pieces of hostile bodies: what could make the body's bytes and Scrapy's text parse apart
#: (BOMs, NULs, whitespace that only ``str.strip`` strips, bytes invalid in UTF-8, other charsets).
PIECES = [
    b"<html><head><title>t</title></head><body><p>",
    b"</p></body></html>",
    "متن\u200cها ۱۴۰۳ iOS 17.2".encode(),
    b"\xef\xbb\xbf",
    b"\x00",
    b" ",
    b"\r\n\t",
    b"\x1c",
    "\u00a0".encode(),
    "\u2003".encode(),
    "\ufffd".encode(),
    b"\xff",
    b"\xd8",
    b"\xc7\xe1\xe3",  # Persian letters in windows-1256
    b'<meta charset="windows-1256">',
    b"<",
    b">",
]


def parsed(html: str | bytes) -> str:
    return etree.tostring(html_selector(html, "https://digiato.com/").root, encoding="unicode")


@settings(max_examples=400, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(PIECES), max_size=12),
    charset=st.sampled_from([None, "utf-8", "UTF8", "windows-1256", "latin-1"]),
)
def test_a_body_is_read_from_its_bytes_only_when_they_parse_as_its_text_does(pieces, charset):
    url = "https://digiato.com/a"
    headers = {"Content-Type": f"text/html; charset={charset}" if charset else "text/html"}
    response = HtmlResponse(url=url, body=b"".join(pieces), headers=headers, request=Request(url))
    html = page_html(response)
    assert html is response.text or isinstance(html, bytes)
    assert parsed(html) == parsed(response.text)


@pytest.mark.parametrize(
    "body, charset",
    [
        (b"\xef\xbb\xbf<html><body><p>\xd9\x85</p></body></html>", "utf-8"),  # a BOM Scrapy drops
        (b"<html><body><p>\xc7\xe1</p></body></html>", "windows-1256"),
        (b"<html><body><p>\xd9\x85\xff</p></body></html>", "utf-8"),  # invalid UTF-8, replaced
        (b"<html><body><p>a\x00b</p></body></html>", "utf-8"),
        ("<html><body><p>a</p></body></html>\u00a0".encode(), "utf-8"),  # str.strip drops it
    ],
)
def test_a_body_that_is_not_plain_utf8_is_read_from_its_text(body, charset):
    url = "https://digiato.com/a"
    response = HtmlResponse(
        url=url, body=body, headers={"Content-Type": f"text/html; charset={charset}"}, request=Request(url)
    )
    assert page_html(response) is response.text
