"""The WordPress CMS profile: posts from the REST API as items, the requests a run costs, and
the fallback to the site's pages when the API does not answer.

* :mod:`newsarchive.cms.wordpress` without Scrapy: the URL asked, the watermark, the
  pagination headers, a post's JSON as raw item fields (the bundled ITIran mirror's posts
  against ``tests/expected/wordpress/itiran.json``; its REST bodies equal the bodies the HTML
  extraction gives for the same posts' pages);
* the profile in a spider, callbacks called directly: pages 2..N asked from page 1's headers,
  known posts skipped, the watermark kept only when every page was read, the fallback;
* the replay server's sidecars of status and headers;
* real crawls (slow): ITIran through ``scrapy crawl itiran``, and a generated site of 5,000
  posts: backfill, 10 new articles, nothing new, each within the issue's request budget
  (``downloader/request_count``), and the fallback when the API is missing, closed or HTML.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import sqlite_utils
from conftest import EXPECTED, MIRROR, callback_output, scrapy_crawl
from itemadapter import ItemAdapter
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.internet.error import TimeoutError as TwistedTimeout
from twisted.python.failure import Failure
from wordpress_mirror import SITE, crawl_site, generated_post, write_changes, write_rest_pages

from newsarchive.cms import open_profile
from newsarchive.cms.wordpress import (
    EMBED,
    FIELDS,
    LAYER,
    MARGIN,
    MAX_PAGES,
    latest_modified,
    modified_after,
    post_fields,
    posts_url,
    read_posts,
    total_pages,
)
from newsarchive.crawl import project_settings
from newsarchive.middlewares import PageCheckMiddleware, PageRejected
from newsarchive.outcomes import DROPPED, FETCH_NEW, SKIPPED_KNOWN
from newsarchive.page import article_fields
from newsarchive.pipelines import DatePipeline, NormalizationPipeline, ValidationPipeline
from newsarchive.replay import Mirror, ReplayServer
from newsarchive.sites import SITES, Selectors, Site
from newsarchive.spiders.sites import spider_class

ITIRAN = SITES["itiran"]
EXPECTED_POSTS = json.loads((EXPECTED / "wordpress" / "itiran.json").read_text("utf-8"))
FETCHED_AT = "2026-12-01T00:00:00Z"


def mirror_posts() -> list[dict]:
    """The posts of the ITIran mirror's one REST page."""
    url = urlsplit(posts_url(ITIRAN))
    status, path = Mirror(MIRROR).resolve("itiran.com", f"{url.path}?{url.query}")
    assert status == 200, "the mirror holds the first page of posts"
    posts = read_posts(path.read_bytes())
    assert posts is not None
    return posts


# --- URLs, watermark, headers -------------------------------------------------------------


@pytest.mark.slow
def test_the_rest_functions_need_no_scrapy():
    script = "import sys, newsarchive.cms.wordpress; print('scrapy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "False"


def test_posts_url_asks_for_the_used_fields_and_embeds_100_posts_oldest_change_first():
    url = urlsplit(posts_url(ITIRAN, 3))
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://itiran.com/wp-json/wp/v2/posts"
    query = dict(parse_qsl(url.query))
    assert query["_fields"].split(",") == list(FIELDS)
    assert {"_links", "_embedded"} <= set(FIELDS)  # without them _fields strips the embeds
    assert query["_embed"].split(",") == list(EMBED) == ["author", "wp:term", "wp:featuredmedia"]
    assert (query["per_page"], query["orderby"], query["order"], query["page"]) == (
        "100",
        "modified",
        "asc",
        "3",
    )
    assert "modified_after" not in query
    after = datetime(2026, 11, 26, 9, 15, 3, tzinfo=UTC)
    assert (
        dict(parse_qsl(urlsplit(posts_url(ITIRAN, 1, after)).query))["modified_after"]
        == "2026-11-26T09:15:03"
    )


def test_a_site_in_a_folder_has_its_api_in_that_folder():
    site = Site(
        name="techrasa", base_url="https://techrasa.com/fa", article_paths=("^/fa/",), cms="wordpress"
    )
    assert posts_url(site).startswith("https://techrasa.com/fa/wp-json/wp/v2/posts?")


def test_modified_after_is_the_watermark_or_since_less_a_margin_for_the_sites_zone():
    since = datetime(2026, 1, 1, tzinfo=UTC)
    assert modified_after(None, None) is None
    assert (
        modified_after("2026-11-26T09:15:03", None) == datetime(2026, 11, 26, 9, 15, 3, tzinfo=UTC) - MARGIN
    )
    assert modified_after("2025-06-01T00:00:00", since) == since - MARGIN
    assert modified_after("not a date", since) == since - MARGIN
    assert timedelta(hours=14) <= MARGIN  # UTC+14 to UTC-12: no zone hides a change


@pytest.mark.parametrize(
    ("headers", "pages"),
    [
        ({"X-WP-Total": "5000", "X-WP-TotalPages": "50"}, 50),
        ({"x-wp-totalpages": "2"}, 2),
        ({"X-WP-Total": "250"}, 3),
        ({"X-WP-Total": "0", "X-WP-TotalPages": "0"}, 1),
        ({}, 1),
        ({"X-WP-TotalPages": "۳"}, 1),  # a Persian digit is no HTTP number
        ({"X-WP-TotalPages": "-4"}, 1),
        ({"X-WP-TotalPages": "99999999999"}, MAX_PAGES),
    ],
)
def test_total_pages_reads_the_pagination_headers_within_bounds(headers, pages):
    assert total_pages(headers) == pages


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><body><h1>Home</h1></body></html>",
        b'{"code":"rest_no_route","message":"No route was found","data":{"status":404}}',
        b'{"code":"rest_not_logged_in","data":{"status":401}}',
        b"",
        b"[" * 100_000,
    ],
)
def test_anything_but_a_list_of_posts_is_not_an_answer(body):
    assert read_posts(body) is None


def test_latest_modified_compares_times_not_strings():
    posts = [{"modified_gmt": "2026-11-26T09:15:03"}, {"modified_gmt": "2026-11-26T10:00:00"}, {}]
    assert latest_modified(posts) == "2026-11-26T10:00:00"
    assert latest_modified([{"modified_gmt": None}]) is None


# --- a post as an item ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def rest_items() -> dict[str, dict]:
    items = {}
    for post in mirror_posts():
        fields = post_fields(ITIRAN, post, FETCHED_AT)
        assert fields is not None
        items[fields["url"]] = fields
    return items


@pytest.mark.parametrize("expected", EXPECTED_POSTS, ids=[unquote(e["url"])[-28:] for e in EXPECTED_POSTS])
def test_every_mirrored_post_gives_its_expected_fields(expected, rest_items):
    item = rest_items[ITIRAN.canonical(expected["url"])]
    for name in (
        "title",
        "lead",
        "body",
        "authors",
        "categories",
        "tags",
        "image_url",
        "page_type",
        "sponsored",
    ):
        assert item[name] == expected[name], name
    assert item["published_candidates"] == [[LAYER, expected["published_at"]]]
    assert item["modified_candidates"] == [[LAYER, expected["modified_at"]]]
    assert set(item["field_sources"].values()) == {LAYER}
    assert item["published_display"] is None and item["aliases"] == [] and item["fetched_url"] == item["url"]
    for noise in expected["noise"]:
        assert noise not in item["body"]
    assert item["title"].count("\u200c") == expected["title"].count("\u200c")


def test_the_mirror_is_as_ugly_as_wordpress_and_the_rules_remove_it(rest_items):
    """What the content holds and the body loses: each rule of the HTML bodies fired."""
    removed: dict[str, int] = {}
    for item in rest_items.values():
        for rule, count in item["boilerplate"].items():
            removed[rule] = removed.get(rule, 0) + count
    assert removed.get("class-words", 0) >= 5  # crp_related, wp-caption, ads, heateor sharing, yektanet
    assert removed.get("lexicon", 0) >= 1  # «بیشتر بخوانید: …»
    raw = json.dumps(mirror_posts(), ensure_ascii=False)
    for mark in (
        "crp_related",
        "wp-caption",
        "wp-block-embed-twitter",
        "heateor_sss",
        "yektanet",
        "wp-block-heading",
    ):
        assert mark in raw


def test_rest_bodies_are_the_bodies_the_html_pages_give(rest_items):
    """The same body rules: a post's ``content.rendered`` and its page's ``.entry-content``."""
    for expected in [e for e in EXPECTED_POSTS if e["html_page"]]:
        path = MIRROR / "itiran.com" / unquote(urlsplit(expected["url"]).path).strip("/") / "index.html"
        page = article_fields(ITIRAN, path.read_text("utf-8"), expected["url"], FETCHED_AT)
        assert page is not None
        rest = rest_items[ITIRAN.canonical(expected["url"])]
        assert page["body"] == rest["body"]
        assert (page["url"], page["title"], page["tags"]) == (rest["url"], rest["title"], rest["tags"])


def test_the_sites_own_noise_selectors_clean_rest_content_too():
    post = mirror_posts()[0]
    promo = "<div class='itiran-callout'><p>این جمله‌ای طولانی درباره دوره آموزشی شبکه است.</p></div>"
    content = {"rendered": promo + post["content"]["rendered"]}
    noisy = dataclasses.replace(ITIRAN, selectors=Selectors(noise=(".itiran-callout",)))
    assert "دوره آموزشی شبکه" in post_fields(ITIRAN, {**post, "content": content}, FETCHED_AT)["body"]
    fields = post_fields(noisy, {**post, "content": content}, FETCHED_AT)
    assert "دوره آموزشی شبکه" not in fields["body"] and fields["boilerplate"]["site-noise"] == 1


def test_a_post_whose_link_is_not_an_article_of_the_site_is_none():
    post = mirror_posts()[0]
    assert post_fields(ITIRAN, {**post, "link": "https://other.example/2026/11/22/x/"}, FETCHED_AT) is None
    assert post_fields(ITIRAN, {**post, "link": "https://itiran.com/?p=161204"}, FETCHED_AT) is None
    assert post_fields(ITIRAN, {k: v for k, v in post.items() if k != "link"}, FETCHED_AT) is None


def test_a_post_with_broken_parts_still_gives_what_it_has():
    post = {
        "link": "https://itiran.com/2026/11/27/x/",
        "title": {"rendered": "عنوان &amp; <em>تیتر</em>"},
        "content": "not an object",
        "date_gmt": "yesterday",
        "_embedded": {"author": "nobody", "wp:term": [["bad"], [{"taxonomy": "post_tag", "name": 5}]]},
    }
    fields = post_fields(ITIRAN, post, FETCHED_AT)
    assert fields is not None
    assert fields["title"] == "عنوان & تیتر"
    assert fields["body"] is None and fields["lead"] is None
    assert fields["authors"] == fields["categories"] == fields["tags"] == []
    assert fields["published_candidates"] == [] and fields["field_sources"] == {"title": LAYER}


def spider_for(site: Site, db: Path, memory: object | None = None, **arguments: str):
    """A spider of ``site`` (with spider ``arguments``) on a crawler with the project settings;
    ``memory`` replaces its crawl memory."""
    cls = spider_class(site)
    settings = {
        **project_settings().copy_to_dict(),
        "TWISTED_REACTOR_ENABLED": False,
        "EXTENSIONS": {"newsarchive.extensions.CrawlRun": None},
        "NEWSARCHIVE_DB": str(db),
    }
    spider = cls.from_crawler(get_crawler(cls, settings), **arguments)
    if memory is not None:
        spider.__dict__["archive"] = memory
    return spider


def test_an_item_goes_through_the_pipelines_like_a_page_and_keeps_the_exact_utc_dates(tmp_path):
    spider = spider_for(ITIRAN, tmp_path / "a.db")
    item = post_fields(ITIRAN, mirror_posts()[0], FETCHED_AT)
    for step in (ValidationPipeline, NormalizationPipeline, DatePipeline):
        item = step(spider.crawler).process_item(item)
    stored = ItemAdapter(item).asdict()
    assert stored["published_at"] == "2026-11-22T06:10:00Z"
    assert stored["published_jalali"] == "1405-09-01 09:40"
    assert stored["published_precision"] == "minute"
    assert stored["modified_at"] == "2026-11-22T08:02:11Z"
    assert stored["field_sources"]["published"] == LAYER
    assert stored["notes"] == []


# --- the profile in a spider ---------------------------------------------------------------


class Memory:
    """A crawl memory of a test: the articles it knows, the watermark it was told."""

    def __init__(self, known: dict[str, dict] | None = None, watermark: str | None = None):
        self.known = known or {}
        self.watermark = watermark
        self.remembered: dict[str, str] = {}

    def fetch_record(self, url):
        return self.known.get(url)

    def discovery_lastmod(self, url):
        return self.watermark if url == ITIRAN.url("/wp-json/wp/v2/posts") else None

    def last_run_completed(self, spider, before):
        return True

    def record_gone(self, url, status):
        pass

    def remember_discovery(self, lastmods):
        self.remembered.update(lastmods)

    def close(self):
        pass


def start_requests(spider) -> list[Request]:
    return callback_output(spider.start())


def rest_response(request: Request, body: bytes, **headers: str) -> TextResponse:
    return TextResponse(request.url, body=body, headers=headers, request=request, encoding="utf-8")


def test_only_a_site_naming_wordpress_gets_the_profile(tmp_path):
    assert open_profile(spider_for(SITES["gadgetnews"], tmp_path / "a.db")) is None
    (first,) = start_requests(spider_for(ITIRAN, tmp_path / "b.db", Memory()))
    assert first.url == posts_url(ITIRAN)
    plain = start_requests(spider_for(SITES["gadgetnews"], tmp_path / "c.db"))
    assert plain[0].url == "https://gadgetnews.net/robots.txt"


def test_page_one_asks_every_further_page_and_yields_its_posts(tmp_path):
    spider = spider_for(ITIRAN, tmp_path / "a.db", Memory())
    (request,) = start_requests(spider)
    body = json.dumps(mirror_posts()).encode()
    output = callback_output(request.callback(rest_response(request, body, **{"X-WP-TotalPages": "4"})))
    requests = [value for value in output if isinstance(value, Request)]
    items = [value for value in output if not isinstance(value, Request)]
    assert [r.url for r in requests] == [posts_url(ITIRAN, page) for page in (2, 3, 4)]
    assert {r.callback for r in requests} == {spider.parse_cms} and {r.errback for r in requests} == {
        spider.cms_failed
    }
    assert len(items) == len(EXPECTED_POSTS)
    assert spider.crawler.stats.get_value(FETCH_NEW) == len(EXPECTED_POSTS)
    # A later page asks nothing more.
    later = requests[0]
    assert all(
        not isinstance(v, Request) for v in callback_output(later.callback(rest_response(later, b"[]")))
    )
    spider.closed("finished")
    assert spider.archive.remembered == {ITIRAN.url("/wp-json/wp/v2/posts"): "2026-11-26T09:15:03"}


def test_an_incremental_run_asks_after_the_watermark_and_skips_what_the_archive_holds(tmp_path):
    posts = mirror_posts()
    known = {
        ITIRAN.canonical(post["link"]): {
            "first_seen_at": "2026-11-27T00:00:00Z",
            "last_fetched_at": "2026-11-27T00:00:00Z",
            "published_at": "2026-11-22T06:10:00Z",
            "gone": False,
            "tombstoned": False,
        }
        for post in posts
    }
    memory = Memory(known, watermark="2026-11-26T09:15:03")
    spider = spider_for(ITIRAN, tmp_path / "a.db", memory)
    (request,) = start_requests(spider)
    assert request.url == posts_url(ITIRAN, 1, datetime(2026, 11, 26, 9, 15, 3, tzinfo=UTC) - MARGIN)
    changed = {**posts[0], "modified_gmt": "2026-11-28T12:00:00"}
    output = callback_output(
        request.callback(rest_response(request, json.dumps([*posts[1:], changed]).encode()))
    )
    assert [ItemAdapter(item)["url"] for item in output] == [ITIRAN.canonical(changed["link"])]
    stats = spider.crawler.stats
    assert stats.get_value(SKIPPED_KNOWN) == len(posts) - 1
    assert stats.get_value("newsarchive/fetch/changed") == 1


def test_since_bounds_the_query_and_the_posts_taken(tmp_path):
    spider = spider_for(ITIRAN, tmp_path / "a.db", Memory(), since="1405-09-04")  # 2026-11-25, Tehran
    (request,) = start_requests(spider)
    tehran_day = datetime(2026, 11, 24, 20, 30, tzinfo=UTC)
    assert request.url == posts_url(ITIRAN, 1, tehran_day - MARGIN)
    items = callback_output(request.callback(rest_response(request, json.dumps(mirror_posts()).encode())))
    assert sorted(ItemAdapter(item)["published_candidates"][0][1] for item in items) == [
        "2026-11-25T07:45:00Z",
        "2026-11-26T05:20:00Z",
    ]
    assert spider.crawler.stats.get_value(FETCH_NEW) == 2


def test_the_next_pages_keep_the_query_of_page_one_whoever_reads_it(tmp_path):
    """In a distributed crawl, page 1 may be read by a process that did not ask for it."""
    watermark = "2026-11-26T09:15:03"
    (request,) = start_requests(spider_for(ITIRAN, tmp_path / "a.db", Memory(watermark=watermark)))
    other = spider_for(ITIRAN, tmp_path / "b.db", Memory())
    response = rest_response(request, b"[]", **{"X-WP-TotalPages": "2"})
    (page2,) = callback_output(other.parse_cms(response))
    after = datetime(2026, 11, 26, 9, 15, 3, tzinfo=UTC) - MARGIN
    assert page2.url == posts_url(ITIRAN, 2, after)


def test_a_tombstoned_post_never_comes_back(tmp_path):
    post = mirror_posts()[0]
    gone = {"last_fetched_at": None, "published_at": None, "gone": False, "tombstoned": True}
    spider = spider_for(ITIRAN, tmp_path / "a.db", Memory({ITIRAN.canonical(post["link"]): gone}))
    (request,) = start_requests(spider)
    assert callback_output(request.callback(rest_response(request, json.dumps([post]).encode()))) == []


def test_a_failed_later_page_keeps_the_old_watermark(tmp_path):
    memory = Memory()
    spider = spider_for(ITIRAN, tmp_path / "a.db", memory)
    (request,) = start_requests(spider)
    output = callback_output(
        request.callback(rest_response(request, json.dumps(mirror_posts()).encode(), **{"X-WP-Total": "150"}))
    )
    (page2,) = [value for value in output if isinstance(value, Request)]
    failure = Failure(TwistedTimeout("timed out"))
    failure.request = page2
    assert callback_output(page2.errback(failure)) == []
    spider.closed("finished")
    assert memory.remembered == {}
    assert spider.crawler.stats.get_value(f"{DROPPED}timeout") == 1


def discovery_urls(output) -> list[str]:
    return [value.url for value in output if isinstance(value, Request)]


@pytest.mark.parametrize(
    "body",
    [b"<!DOCTYPE html><html><body>theme home page</body></html>", b'{"code":"rest_disabled"}', b"[]"],
    ids=["html", "error-object", "no-posts"],
)
def test_page_one_that_is_not_posts_falls_back_to_the_sites_pages(body, tmp_path):
    spider = spider_for(ITIRAN, tmp_path / "a.db", Memory())
    (request,) = start_requests(spider)
    output = callback_output(request.callback(rest_response(request, body)))
    assert discovery_urls(output) == ["https://itiran.com/robots.txt", "https://itiran.com/feed/"]
    spider.closed("finished")
    assert spider.archive.remembered == {}


@pytest.mark.parametrize("status", [404, 401, 403])
def test_page_one_refused_falls_back_without_counting_a_failure(status, tmp_path):
    spider = spider_for(ITIRAN, tmp_path / "a.db", Memory())
    (request,) = start_requests(spider)
    response = HtmlResponse(request.url, status=status, body=b'{"code":"rest_forbidden"}', request=request)
    failure = Failure(HttpError(response, "Ignoring non-200 response"))
    failure.request = request
    assert discovery_urls(callback_output(request.errback(failure)))[0] == "https://itiran.com/robots.txt"
    assert not {key for key in spider.crawler.stats.get_stats() if key.startswith(DROPPED)}


def test_page_one_unreachable_falls_back_and_is_counted(tmp_path):
    spider = spider_for(ITIRAN, tmp_path / "a.db", Memory())
    (request,) = start_requests(spider)
    failure = Failure(IgnoreRequest("Forbidden by robots.txt"))
    failure.request = request
    assert discovery_urls(callback_output(request.errback(failure)))[0] == "https://itiran.com/robots.txt"
    assert spider.crawler.stats.get_value(f"{DROPPED}fetch-error") == 1


def test_a_challenge_instead_of_page_one_falls_back_and_is_counted_once(tmp_path):
    spider = spider_for(ITIRAN, tmp_path / "a.db", Memory())
    (request,) = start_requests(spider)
    challenge = HtmlResponse(
        request.url, status=403, headers={"cf-mitigated": "challenge"}, body=b"<html></html>", request=request
    )
    with pytest.raises(PageRejected) as rejected:
        PageCheckMiddleware(spider.crawler).process_response(request, challenge)
    failure = Failure(rejected.value)
    failure.request = request
    assert discovery_urls(callback_output(request.errback(failure)))[0] == "https://itiran.com/robots.txt"
    assert spider.crawler.stats.get_value(f"{DROPPED}blocked") == 1


# --- the replay server's sidecars ----------------------------------------------------------


def test_a_sidecar_gives_a_recorded_file_its_status_and_headers(tmp_path):
    root = tmp_path / "mirror"
    posts = root / "wp-json" / "wp" / "v2"
    posts.mkdir(parents=True)
    (posts / "posts?page=1").write_text("[]")
    (posts / "posts?page=1.headers.json").write_text(json.dumps({"headers": {"X-WP-TotalPages": "7"}}))
    (posts / "posts?page=2").write_text('{"code":"rest_forbidden"}')
    (posts / "posts?page=2.headers.json").write_text(json.dumps({"status": 401}))
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"status": 500}))
    (posts / "posts?page=3").write_text("[]")
    (posts / "posts?page=3.headers.json").symlink_to(outside)
    mirror = Mirror(root)
    status, headers, body = mirror.response(None, "/wp-json/wp/v2/posts?page=1")
    assert (status, headers["X-WP-TotalPages"], headers["Content-Type"], body) == (
        200,
        "7",
        "application/json",
        b"[]",
    )
    assert mirror.response(None, "/wp-json/wp/v2/posts?page=2")[0] == 401
    assert mirror.response(None, "/wp-json/wp/v2/posts?page=3")[:2] == (
        200,
        {"Content-Type": "application/json"},
    )
    assert mirror.response(None, "/wp-json/wp/v2/posts?page=1.headers.json") is None  # never served itself


# --- real crawls -----------------------------------------------------------------------------


def rows(db: Path) -> dict[str, dict]:
    return {row["url"]: row for row in sqlite_utils.Database(db)["articles"].rows}


def request_count(result: subprocess.CompletedProcess) -> int:
    """``downloader/request_count`` of the crawl's stats dump in its log."""
    line = next(line for line in result.stderr.splitlines() if "'downloader/request_count':" in line)
    return int(line.split("'downloader/request_count':")[1].split(",")[0])


@pytest.mark.slow
def test_scrapy_crawl_itiran_takes_every_post_from_two_requests(tmp_path, replay_server):
    db = tmp_path / "archive.db"
    result = scrapy_crawl("itiran", db, replay_server.url)
    assert request_count(result) == 2  # robots.txt and one page of posts
    stored = rows(db)
    assert set(stored) == {ITIRAN.canonical(e["url"]) for e in EXPECTED_POSTS}
    for expected in EXPECTED_POSTS:
        row = stored[ITIRAN.canonical(expected["url"])]
        for name in ("title", "lead", "body", "image_url", "page_type", "published_at", "modified_at"):
            assert row[name] == expected[name], name
        for name in ("authors", "categories", "tags"):
            assert json.loads(row[name]) == expected[name], name
        assert set(json.loads(row["field_sources"]).values()) == {LAYER}
    # The next run asks after the watermark less the margin: the two posts changed in those
    # hours, both known.
    again = scrapy_crawl("itiran", db, replay_server.url)
    assert request_count(again) == 2
    assert "'newsarchive/skipped/known': 2" in again.stderr
    assert "newsarchive/articles/" not in again.stderr
    assert len(rows(db)) == len(EXPECTED_POSTS)


@pytest.mark.slow
def test_backfill_then_ten_new_then_nothing_new_within_the_request_budget(tmp_path):
    root, db = tmp_path / "mirror", tmp_path / "archive.db"
    backfill = [generated_post(n) for n in range(5000)]
    write_rest_pages(root, backfill, None)
    with ReplayServer(root) as server:
        first = crawl_site(db, server.url)
        assert first["downloader/request_count"] == 51 <= 60  # robots.txt and 50 pages
        assert first["newsarchive/articles/new"] == len(rows(db)) == 5000

        # Ten new posts, asked after the watermark less the margin, which repeats the known
        # posts changed in those hours: skipped, not stored again.
        new = [generated_post(n) for n in range(5000, 5010)]
        repeated = write_changes(root, backfill, new)
        second = crawl_site(db, server.url)
        assert second["downloader/request_count"] == 2 <= 3  # robots.txt and one page
        assert second["newsarchive/articles/new"] == 10 and len(rows(db)) == 5010
        assert second["newsarchive/skipped/known"] == repeated > 0

        write_changes(root, backfill + new, [])
        third = crawl_site(db, server.url)
        assert third["downloader/request_count"] == 2
        assert "newsarchive/articles/new" not in third and len(rows(db)) == 5010


ARTICLE_PAGE = """<!DOCTYPE html><html lang="fa-IR"><head><title>{title} - سایت</title>
<meta property="article:published_time" content="2024-03-01T10:00:00+03:30" /></head>
<body class="single single-post"><article><h1 class="entry-title">{title}</h1>
<div class="entry-content"><p>{body}</p><p>پاراگراف دوم این خبر درباره شبکه 5G و اینترنت ثابت است.</p></div>
</article></body></html>"""


@pytest.mark.slow
@pytest.mark.parametrize("api", ["missing", "closed", "html"])
def test_without_a_usable_api_the_site_is_crawled_through_its_sitemap_and_pages(api, tmp_path):
    root = tmp_path / "mirror" / SITE.host
    urls = ["https://wp.example/2024/03/01/first/", "https://wp.example/2024/03/01/second/"]
    for number, url in enumerate(urls):
        page = root / urlsplit(url).path.strip("/") / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text(
            ARTICLE_PAGE.format(title=f"خبر {number} از سایت", body=f"متن کامل خبر شماره {number}")
        )
    (root / "robots.txt").write_text("User-agent: *\nSitemap: https://wp.example/wp-sitemap.xml\n")
    locs = "".join(f"<url><loc>{url}</loc></url>" for url in urls)
    (root / "wp-sitemap.xml").write_text(
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
    )
    if api != "missing":
        write_rest_pages(root.parent, [generated_post(1)], None)
        (answer,) = [path for path in (root / "wp-json/wp/v2").iterdir() if not path.name.endswith(".json")]
        if api == "closed":
            answer.with_name(answer.name + ".headers.json").write_text(json.dumps({"status": 401}))
            answer.write_text(
                '{"code":"rest_not_logged_in","message":"You are not currently logged in.","data":{"status":401}}'
            )
        else:
            answer.write_text("<!DOCTYPE html><html><body><h1>خانه</h1></body></html>")
    db = tmp_path / "archive.db"
    with ReplayServer(tmp_path / "mirror") as server:
        stats = crawl_site(db, server.url)
    stored = rows(db)
    assert set(stored) == {SITE.canonical(url) for url in urls}
    assert all(json.loads(row["field_sources"])["body"] != LAYER for row in stored.values())
    assert stats["downloader/request_count"] == 5  # robots.txt, the API, its sitemap, two pages


@pytest.mark.slow
def test_itiran_without_its_api_is_crawled_from_its_pages_to_the_same_articles(tmp_path):
    root = tmp_path / "mirror"
    shutil.copytree(MIRROR / "itiran.com", root / "itiran.com", ignore=shutil.ignore_patterns("wp-json"))
    db = tmp_path / "archive.db"
    with ReplayServer(root) as server:
        result = scrapy_crawl("itiran", db, server.url)
    assert "WordPress REST API not usable" in result.stderr
    stored = rows(db)
    with_pages = [e for e in EXPECTED_POSTS if e["html_page"]]
    assert set(stored) == {ITIRAN.canonical(e["url"]) for e in with_pages}
    for expected in with_pages:
        row = stored[ITIRAN.canonical(expected["url"])]
        for name in ("title", "body", "published_at", "modified_at"):
            assert row[name] == expected[name], name
        assert json.loads(row["field_sources"])["body"] == "wordpress"
