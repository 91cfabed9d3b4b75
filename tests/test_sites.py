"""Every site, driven by data: a site is tested by adding ``tests/expected/<site>.json`` and
``tests/expected/<site>_pages.json`` (format: see ``digiato.json`` and the ``notes`` of the
``_pages`` files). Nothing here names a site.

* extraction, field by field, of every expected page (spider ``parse_article`` + pipelines),
  and the layer title and body came from: the site's selectors when its entry (or its CMS
  family, ``cms = "<family>"``) has them for the field, else a generic layer; a page's
  expected entry may pin the layers with ``"field_sources": {"title": "jsonld", ...}``;
* URL rules: expected pages are articles, listings/feeds/sitemaps are not;
* discovery: robots.txt, sitemaps, feeds and listings followed through the mirror files find each
  article by exactly the paths in its ``discovered_via``; ``[]`` for a site with a CMS profile
  (WordPress's REST API) means the profile delivers the article whole, and by nothing else;
* one real ``scrapy crawl <site>`` per site against the replay server: every article stored once
  with every field, redirects and duplicate URLs as aliases, nothing else stored;
* ``scrapy check <site>`` against the replay server (contract URLs are site data).

Digiato, the model site, keeps its own modules (``test_extract_digiato.py``,
``test_crawl_digiato.py``) and runs here only through ``scrapy check``.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import deque
from urllib.parse import urlsplit

import pytest
import sqlite_utils
from conftest import (
    EXPECTED,
    EXPECTED_SITES,
    MIRROR,
    ROOT,
    load_expected,
    make_spider,
    process_page,
    scrapy_crawl,
)
from parsel import Selector
from scrapy.exceptions import ContractFail, IgnoreRequest
from scrapy.http import TextResponse
from twisted.python.failure import Failure

from newsarchive.cms import PROFILES as CMS_PROFILES
from newsarchive.cms.wordpress import LAYER as WORDPRESS_REST
from newsarchive.contracts import ARTICLE_CONTRACTS, FillsContract
from newsarchive.extract import extract_article
from newsarchive.extract.layers import LAYERS as EXTRACTION_LAYERS
from newsarchive.items import ArticleItem
from newsarchive.replay import Mirror
from newsarchive.sites import SITES, Selectors, Site
from newsarchive.spiders.sites import SPIDERS

ZWNJ = "\u200c"
#: Sites whose extraction and crawl have modules of their own.
OWN_MODULES = {"digiato"}
DATA_SITES = [site for site in EXPECTED_SITES if site not in OWN_MODULES]
CASES = [(site, expected) for site in DATA_SITES for expected in load_expected(f"{site}.json")]
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
#: The discovery path of an article a CMS profile delivers whole; an expected page says ``[]``.
CMS_DELIVERED = "cms"
#: Every layer a field may be recorded from: the extraction's, the feed's and WordPress's REST API.
LAYERS = {layer.name for layer in EXTRACTION_LAYERS} | {"feed", WORDPRESS_REST}


def pages(site: str) -> dict:
    return load_expected(f"{site}_pages.json")


def canonical(site: str, url: str) -> str:
    return SITES[site].canonical(url)


def known_urls(site: str, expected: dict) -> set[str]:
    """Every URL that stands for one expected article: its own, its aliases, redirects to it."""
    own = canonical(site, expected["url"])
    redirects = {
        canonical(site, old) for old, new in pages(site)["redirects"].items() if canonical(site, new) == own
    }
    return {own, *(canonical(site, alias) for alias in expected["aliases"]), *redirects}


def test_every_expected_file_is_a_registered_site_with_a_pages_file():
    assert EXPECTED_SITES
    for site in EXPECTED_SITES:
        assert site in SITES, f"tests/expected/{site}.json names no registered site"
        assert (EXPECTED / f"{site}_pages.json").is_file()


# --- extraction, page by page ---------------------------------------------------


@pytest.fixture(scope="module")
def spiders(tmp_path_factory):
    db = tmp_path_factory.mktemp("sites") / "scratch.db"
    return {site: make_spider(site, db) for site in EXPECTED_SITES}


@pytest.fixture(scope="module", params=CASES, ids=[f"{site}:{e['path'][-36:]}" for site, e in CASES])
def case(request, spiders):
    site, expected = request.param
    return site, expected, process_page(spiders[site], expected["url"], expected["path"])


@pytest.mark.parametrize("field", FIELDS)
def test_field(case, field):
    _site, expected, item = case
    assert item.get(field) == expected[field], f"{field} of {expected['url']}"


def test_url_is_the_canonical_article_url(case):
    site, expected, item = case
    assert item["url"] == canonical(site, expected["url"])
    assert SITES[site].is_article_url(item["url"])


def test_noise_never_reaches_the_body(case):
    _, expected, item = case
    assert expected["noise"], "every page lists some noise"
    for noise in expected["noise"]:
        assert noise not in item["body"]


def test_zwnj_is_kept(case):
    _, expected, item = case
    for field in ("title", "body"):
        assert item[field].count(ZWNJ) == expected[field].count(ZWNJ)


def expected_sources(site: str, expected: dict) -> dict[str, str | None]:
    """The layer each of title and body must come from: the page's ``field_sources`` when its
    expected entry pins them; else ``"site"`` for a field the site's entry (or its CMS family)
    has selectors for, and None (any layer but the site's) for one it has none for."""
    selectors = SITES[site].selectors
    default = {field: "site" if getattr(selectors, field) else None for field in ("title", "body")}
    return default | expected.get("field_sources", {})


def test_title_and_body_come_from_the_layers_the_site_entry_implies(case):
    site, expected, item = case
    sources = item["field_sources"]
    assert set(sources.values()) <= LAYERS
    for field, layer in expected_sources(site, expected).items():
        if layer is None:  # no selectors of its own: a generic layer found it (test_field: rightly)
            assert sources[field] in LAYERS - {"site"}, (field, sources)
        else:
            assert sources[field] == layer, (field, sources)


@pytest.mark.parametrize("site", DATA_SITES)
def test_a_site_has_zwnj_persian_digits_and_latin_tokens_in_its_bodies(site):
    bodies = [e["body"] for e in load_expected(f"{site}.json")]
    assert len(bodies) >= 3
    assert all(ZWNJ in body for body in bodies)
    assert any(any("۰" <= c <= "۹" for c in body) for body in bodies)
    assert any(any(c.isascii() and c.isalpha() for c in body) for body in bodies)


@pytest.mark.parametrize("site", DATA_SITES)
def test_listings_feeds_and_sitemaps_are_not_article_urls(site):
    info = pages(site)
    for url in set(info["non_articles"]) - set(info["missing"]):  # a 404 may look like an article
        assert not SITES[site].is_article_url(canonical(site, url)), url


# --- discovery through the mirror files ------------------------------------------


def discover(spider) -> dict[str, set[str]]:
    """Follow a spider's discovery through the mirror files, without a server or a crawl:
    each article URL it would fetch, with the paths (sitemap, feed, listing) that found it; an
    article a CMS profile hands out whole (WordPress's REST API) is found by the path "cms"."""
    mirror = Mirror(MIRROR)

    async def start():
        return [request async for request in spider.start()]

    queue, fetched, found = deque(asyncio.run(start())), set(), {}
    while queue:
        request = queue.popleft()
        if isinstance(request, ArticleItem):
            found.setdefault(request["url"], set()).add(CMS_DELIVERED)
            continue
        if request.callback == spider.parse_article:
            found.setdefault(request.url, set()).add(request.meta["discovered_via"])
            continue
        if request.url in fetched:
            continue
        fetched.add(request.url)
        url = urlsplit(request.url)
        status, target = mirror.resolve(url.hostname, f"{url.path}?{url.query}" if url.query else url.path)
        if status == 301:
            queue.append(request.replace(url=target))
        elif status == 404:
            failure = Failure(IgnoreRequest(f"404: {request.url}"))
            failure.request = request
            queue.extend((request.errback and request.errback(failure)) or ())
        else:
            response = TextResponse(request.url, body=target.read_bytes(), encoding="utf-8", request=request)
            queue.extend(request.callback(response) or ())
    return found


@pytest.mark.parametrize("site", DATA_SITES)
def test_discovery_finds_each_article_by_the_expected_paths(site, spiders):
    found = discover(spiders[site])
    claimed = set()
    for expected in load_expected(f"{site}.json"):
        urls = known_urls(site, expected)
        claimed |= urls
        via = set().union(*(found.get(url, set()) for url in urls))
        if not expected["discovered_via"] and SITES[site].cms in CMS_PROFILES:  # [] = from the API only
            assert via == {CMS_DELIVERED}, expected["url"]
        else:
            assert via == set(expected["discovered_via"]), expected["url"]
    missing = {canonical(site, url) for url in pages(site)["missing"]}
    assert set(found) - claimed == missing


def test_without_a_sitemap_line_the_fallback_sitemaps_are_tried_one_at_a_time(spiders):
    spider = spiders[DATA_SITES[0]]
    robots = TextResponse(
        spider.site.url("/robots.txt"), body=b"User-agent: *\nDisallow: /admin/\n", encoding="utf-8"
    )
    (request,) = spider.parse_robots(robots)
    tried = [request.url]
    while True:
        failure = Failure(IgnoreRequest("404"))
        failure.request = request
        following = list(spider.sitemap_failed(failure))
        if not following:
            break
        (request,) = following
        tried.append(request.url)
    assert tried == [spider.site.url(path) for path in spider.site.sitemap_fallbacks]
    assert tried[0].endswith("/sitemap.xml")


# --- one real crawl per site -------------------------------------------------------


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, replay_server):
    """``site -> (archive path, crawl result)``: one ``scrapy crawl`` per site, on first use."""
    done: dict[str, tuple] = {}

    def crawl(site: str):
        if site not in done:
            db = tmp_path_factory.mktemp(f"crawl-{site}") / "archive.db"
            done[site] = db, scrapy_crawl(site, db, replay_server.url)
        return done[site]

    return crawl


def rows_by_url(db) -> dict[str, dict]:
    return {row["url"]: row for row in sqlite_utils.Database(db)["articles"].rows}


@pytest.mark.slow
@pytest.mark.parametrize("site", DATA_SITES)
def test_crawl_archives_every_article_once_with_every_field(site, crawled):
    db, _ = crawled(site)
    rows = rows_by_url(db)
    expected_all = load_expected(f"{site}.json")
    assert set(rows) == {canonical(site, e["url"]) for e in expected_all}
    for expected in expected_all:
        row = rows[canonical(site, expected["url"])]
        for field in FIELDS:
            value = row[field]
            if field in ("authors", "categories", "tags"):
                value = json.loads(value)
            elif field == "sponsored":
                value = bool(value)
            assert value == expected[field], (field, expected["url"])
        assert row["source"] == site
        assert row["body"].count(ZWNJ) == expected["body"].count(ZWNJ)


@pytest.mark.slow
@pytest.mark.parametrize("site", DATA_SITES)
def test_crawl_keeps_redirects_and_other_urls_of_an_article_as_aliases(site, crawled):
    db, _ = crawled(site)
    archive = sqlite_utils.Database(db)
    ids = {row["url"]: row["id"] for row in archive["articles"].rows}
    aliases = {row["url"]: row["article_id"] for row in archive["article_aliases"].rows}
    wanted = {}
    for expected in load_expected(f"{site}.json"):
        own = canonical(site, expected["url"])
        wanted |= dict.fromkeys(known_urls(site, expected) - {own}, ids[own])
    assert aliases == wanted


@pytest.mark.slow
@pytest.mark.parametrize("site", DATA_SITES)
def test_crawl_stores_no_listing_feed_sitemap_or_missing_page(site, crawled):
    db, _ = crawled(site)
    stored = set(rows_by_url(db))
    for url in pages(site)["non_articles"] + pages(site)["missing"]:
        assert canonical(site, url) not in stored, url


@pytest.mark.slow
@pytest.mark.parametrize("site", DATA_SITES)
def test_crawl_report_counts_articles_gone_pages_and_full_coverage(site, crawled):
    db, result = crawled(site)
    (run,) = list(sqlite_utils.Database(db)["crawl_runs"].rows)
    assert run["status"] == "finished"
    coverage = json.loads(run["coverage"])
    assert coverage["articles"] >= len(load_expected(f"{site}.json"))
    assert coverage["fields"]["title"] == coverage["fields"]["body"] == coverage["fields"]["published"] == 1.0
    assert json.loads(run["dropped"]) == (
        {"gone": len(pages(site)["missing"])} if pages(site)["missing"] else {}
    )
    assert f"crawl report for {site}" in result.stderr


# --- scrapy check ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("site", EXPECTED_SITES)
def test_scrapy_check_passes_on_the_mirror(site, replay_server, tmp_path):
    contract_urls = SITES[site].contract_urls
    assert contract_urls, f"{site} declares no contract_urls"
    articles = {canonical(site, e["url"]) for e in load_expected(f"{site}.json")}
    assert {canonical(site, url) for url in contract_urls} <= articles, "contract URLs are mirror pages"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "check",
            site,
            "-s",
            f"NEWSARCHIVE_REPLAY_URL={replay_server.url}",
            "-s",
            f"NEWSARCHIVE_DB={tmp_path / 'archive.db'}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"Ran {len(contract_urls) * len(ARTICLE_CONTRACTS)} contracts" in result.stderr
    if (tmp_path / "archive.db").exists():  # other components may write; a run is never recorded
        assert not sqlite_utils.Database(tmp_path / "archive.db")["crawl_runs"].count, (
            "a check is not a crawl run"
        )


def test_each_contract_url_becomes_a_contract_method():
    for name, site in SITES.items():
        methods = [
            getattr(SPIDERS[name], f"check_article_{n}") for n in range(1, len(site.contract_urls) + 1)
        ]
        for method, url in zip(methods, site.contract_urls):
            assert f"@url {url}" in method.__doc__


def test_the_fills_contract_fails_on_an_empty_field():
    spider = SPIDERS[EXPECTED_SITES[0]](name="check")
    contract = FillsContract(spider.parse_article, "title", "body", "published_display|published_candidates")
    contract.post_process(
        [ArticleItem(url="u", title="عنوان", body="متن", published_candidates=[["meta", "x"]])]
    )
    with pytest.raises(ContractFail, match="body"):
        contract.post_process([ArticleItem(url="u", title="عنوان", body="", published_display="۱ تیر ۱۴۰۳")])
    with pytest.raises(ContractFail, match="published_display"):
        contract.post_process([ArticleItem(url="u", title="عنوان", body="متن", published_candidates=[])])


# --- shared extraction the sites needed ----------------------------------------------


def test_the_time_layer_reads_microdata_and_skips_times_in_comments():
    html = """<html><body><div class="item-page">
    <ul class="comment-list"><li><time datetime="2024-03-01T10:00:00+03:30">دیروز</time></li></ul>
    <dd><time datetime="2024-01-02T10:30:00+03:30" itemprop="datePublished">۱۲ دی ۱۴۰۲</time></dd>
    <dd><time datetime="2024-01-03T09:15:00+03:30" itemprop="dateModified">۱۳ دی ۱۴۰۲</time></dd>
    <div class="kmt"><time datetime="2024-02-01T08:00:00+03:30">هفته پیش</time></div></div></body></html>"""
    site = Site(
        name="t",
        base_url="https://example.com",
        article_paths=(r"^/a/",),
        selectors=Selectors(noise=(".kmt",)),
    )
    for page_site in (None, site):
        raw = extract_article(Selector(text=html), "https://example.com/a/1", page_site)
        assert raw["published_candidates"] == [["time", "2024-01-02T10:30:00+03:30"]]
        assert raw["modified_candidates"] == [["time", "2024-01-03T09:15:00+03:30"]]
    without_published = html.replace(' itemprop="datePublished"', "")
    first_outside_noise = extract_article(Selector(text=without_published), "https://example.com/a/1", site)
    assert first_outside_noise["published_candidates"] == [["time", "2024-01-02T10:30:00+03:30"]]
