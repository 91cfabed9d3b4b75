"""Digiato extraction, field by field, on every page of the mirror (no crawl, no network).

Each page goes through the spider's ``parse_article`` and the pipelines'
``check`` steps, exactly as in a crawl, but called directly on the fixture file.
"""

from __future__ import annotations

import pytest
from conftest import load_expected, make_spider, mirror_response, process_page
from parsel import Selector

from newsarchive.extract import extract_article
from newsarchive.sites import SITES

SITE = SITES["digiato"]
EXPECTED = load_expected("digiato.json")
PAGES = load_expected("digiato_pages.json")


@pytest.fixture(scope="module")
def spider(scratch_db):
    return make_spider("digiato", scratch_db)


@pytest.fixture(scope="module", params=EXPECTED, ids=[e["path"][-40:] for e in EXPECTED])
def case(request, spider):
    expected = request.param
    return expected, process_page(spider, expected["url"], expected["path"])


FIELDS = (
    "title",
    "lead",
    "body",
    "authors",
    "categories",
    "tags",
    "image_url",
    "published_display",
    "published_at",
    "published_jalali",
    "published_precision",
    "modified_at",
    "page_type",
    "sponsored",
)


@pytest.mark.parametrize("field", FIELDS)
def test_field(case, field):
    expected, item = case
    assert item.get(field) == expected[field], f"{field} of {expected['url']}"


def test_url_is_canonical(case):
    expected, item = case
    assert item["url"] == SITE.canonical(expected["url"])


def test_noise_never_reaches_the_body(case):
    expected, item = case
    for noise in expected["noise"]:
        assert noise not in item["body"]


def test_every_text_field_came_from_a_known_layer(case):
    _, item = case
    assert set(item["field_sources"].values()) <= {
        "site",
        "jsonld",
        "meta",
        "time",
        "wordpress",
        "fallback",
        "feed",
    }
    assert item["field_sources"]["title"] == "site"


def test_zwnj_survives_in_the_mirror_bodies(spider):
    bodies = [process_page(spider, e["url"], e["path"])["body"] for e in EXPECTED]
    assert sum("\u200c" in body for body in bodies) >= 10
    for expected, body in zip(EXPECTED, bodies):
        assert body.count("\u200c") == expected["body"].count("\u200c")


def test_non_article_urls_are_recognised():
    for url in set(PAGES["non_articles"]) - set(PAGES["missing"]):  # a 404 may look like an article
        assert not SITE.is_article_url(SITE.canonical(url)), url
    for expected in EXPECTED:
        assert SITE.is_article_url(SITE.canonical(expected["url"])), expected["url"]


def test_a_page_without_site_markup_still_yields_title_body_and_date_from_generic_layers():
    html = """<html><head><meta property="og:title" content="عنوان از متا">
    <meta property="article:published_time" content="2024-05-04T10:15:00+03:30"></head>
    <body><main><p>{}</p><p>{}</p></main></body></html>""".format(
        "متن بدنه می‌شود " * 20, "پاراگراف دوم " * 20
    )
    raw = extract_article(Selector(text=html), "https://digiato.com/mobile/x", SITE)
    assert raw["title"] == "عنوان از متا" and raw["field_sources"]["title"] == "meta"
    assert raw["body"].count("\n\n") == 1 and raw["field_sources"]["body"] == "fallback"
    assert raw["published_candidates"] == [["meta", "2024-05-04T10:15:00+03:30"]]


def test_a_listing_page_yields_no_article_item(spider):
    response = mirror_response("digiato", "https://digiato.com/topic/tech/", "topic/tech/index.html")
    requests = list(spider.parse_listing(response))
    article_urls = [r.url for r in requests if r.callback == spider.parse_article]
    assert article_urls and all(SITE.is_article_url(u) for u in article_urls)
