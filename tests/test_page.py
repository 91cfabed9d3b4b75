"""newsarchive.page: an article page to its item without a crawler, exactly as a crawl makes it."""

from __future__ import annotations

import pytest
from conftest import EXPECTED_SITES, MIRROR, callback_output, load_expected, make_spider, mirror_response
from itemadapter import ItemAdapter

from newsarchive.page import article_fields, request_facts
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
