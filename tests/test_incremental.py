"""Scheduled runs: only new or changed articles are fetched; versions kept; runs locked and recorded."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlite_utils
from conftest import MIRROR, ROOT, load_expected, scrapy_crawl

from newsarchive.freshness import RefreshPolicy
from newsarchive.replay import ReplayServer
from newsarchive.runlock import RunLock
from newsarchive.sites import SITES

SITE = SITES["digiato"]
EXPECTED = load_expected("digiato.json")
EDITED_PATH = "mobile/ios-17-2-released-with-journal-app"


def runs(db) -> list[dict]:
    return list(sqlite_utils.Database(db).query("select * from crawl_runs order by id"))


def fetched_articles(run: dict) -> int:
    stats = json.loads(run["stats"])
    return sum(value for key, value in stats.items() if key.startswith("newsarchive/fetch/"))


def new_lastmod() -> str:
    """A lastmod after every fetch so far, as an edit made now would have."""
    return (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def add_article(site_root, source_path: str, new_path: str) -> str:
    """A new article page made from an existing one, listed in the post sitemap with a new lastmod."""
    url = f"https://digiato.com/{new_path}"
    html = (site_root / source_path).read_text("utf-8")
    html = re.sub(r'<link rel="canonical" href="[^"]+"', f'<link rel="canonical" href="{url}"', html)
    html = html.replace("</h1>", " (تازه)</h1>", 1)
    target = site_root / new_path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, "utf-8")
    sitemap = site_root / "digi_posts-sitemap.xml"
    entry = f"<url><loc>{url}</loc><lastmod>{new_lastmod()}</lastmod></url></urlset>"
    sitemap.write_text(sitemap.read_text("utf-8").replace("</urlset>", entry), "utf-8")
    return url


def touch_sitemap_entry(site_root, url: str) -> None:
    sitemap = site_root / "digi_posts-sitemap.xml"
    text = sitemap.read_text("utf-8")
    text = re.sub(rf"(<loc>{re.escape(url)}</loc>\s*<lastmod>)[^<]+", rf"\g<1>{new_lastmod()}", text)
    sitemap.write_text(text, "utf-8")
    index = site_root / "sitemap_index.xml"
    index.write_text(
        re.sub(
            r"(digi_posts-sitemap.xml</loc>\s*<lastmod>)[^<]+",
            rf"\g<1>{new_lastmod()}",
            index.read_text("utf-8"),
        ),
        "utf-8",
    )


@pytest.fixture
def changing_mirror(tmp_path):
    root = tmp_path / "mirror"
    shutil.copytree(MIRROR / "digiato.com", root / "digiato.com")
    with ReplayServer(root) as server:
        yield root / "digiato.com", server


@pytest.mark.slow
def test_runs_fetch_only_what_is_new_or_changed(changing_mirror, tmp_path):
    site_root, server = changing_mirror
    db = tmp_path / "archive.db"

    scrapy_crawl("digiato", db, server.url)
    first = runs(db)[-1]
    assert first["status"] == "finished" and first["articles_new"] == len(EXPECTED)

    scrapy_crawl("digiato", db, server.url)
    second = runs(db)[-1]
    assert fetched_articles(second) == 0
    assert (second["articles_new"], second["articles_updated"], second["articles_unchanged"]) == (0, 0, 0)
    stats = json.loads(second["stats"])
    # robots.txt (once: RobotsTxtMiddleware's fetch answers the spider too), the sitemap index,
    # the feed and the first listing page, which holds articles of the first run.
    assert second["requests"] == 4, stats
    assert (stats["robotstxt/request_count"], stats["newsarchive/robots/reused"]) == (1, 1)

    new_urls = [
        add_article(site_root, EDITED_PATH, "mobile/first-new-story"),
        add_article(site_root, EDITED_PATH, "mobile/second-new-story"),
    ]
    edited = site_root / EDITED_PATH
    edited.write_text(edited.read_text("utf-8").replace("</p>", " ویرایش شد.</p>", 1), "utf-8")
    touch_sitemap_entry(site_root, f"https://digiato.com/{EDITED_PATH}")

    scrapy_crawl("digiato", db, server.url)
    third = runs(db)[-1]
    stats = json.loads(third["stats"])
    assert fetched_articles(third) == 3
    assert stats["newsarchive/fetch/new"] == 2, {k: v for k, v in stats.items() if "newsarchive" in k}
    assert stats["newsarchive/fetch/changed"] == 1
    assert (third["articles_new"], third["articles_updated"]) == (2, 1)
    archive = sqlite_utils.Database(db)
    assert archive["articles"].count == len(EXPECTED) + 2
    assert {row["url"] for row in archive.query("select url from articles")} >= set(new_urls)
    (version,) = list(archive["article_versions"].rows)
    row = archive["articles"].get(version["article_id"])
    assert "ویرایش شد." in row["lead"] + row["body"]
    assert "ویرایش شد." not in version["lead"] + version["body"]
    assert row["modified_at"] is not None


def test_young_articles_are_refetched_after_the_interval():
    policy = RefreshPolicy()
    now = datetime(2026, 1, 2, 12, tzinfo=UTC)
    iso = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    young = {"published_at": iso(now - timedelta(hours=10)), "last_fetched_at": iso(now - timedelta(hours=7))}
    assert policy.reason_to_fetch(young, None, now) == "young"
    young["last_fetched_at"] = iso(now - timedelta(hours=1))
    assert policy.reason_to_fetch(young, None, now) is None
    old = {"published_at": iso(now - timedelta(days=5)), "last_fetched_at": iso(now - timedelta(days=4))}
    assert policy.reason_to_fetch(old, None, now) is None
    assert policy.reason_to_fetch(old, now - timedelta(days=1), now) == "changed"
    assert policy.reason_to_fetch(None, None, now) == "new"
    gone = {"published_at": None, "last_fetched_at": iso(now - timedelta(days=1)), "gone": 1}
    assert policy.reason_to_fetch(gone, None, now) is None
    assert policy.reason_to_fetch(gone, now - timedelta(hours=1), now) == "changed"


@pytest.mark.slow
def test_an_overlapping_run_is_refused_and_writes_nothing(replay_server, tmp_path):
    db = tmp_path / "archive.db"
    lock = RunLock(db, "digiato").acquire()
    try:
        result = scrapy_crawl("digiato", db, replay_server.url, check=False)
    finally:
        lock.release()
    assert result.returncode == 1
    assert "another digiato run" in result.stderr
    assert "Traceback" not in result.stderr
    assert not db.exists() or sqlite_utils.Database(db)["articles"].count == 0


@pytest.mark.slow
def test_newsarchive_crawl_skips_a_locked_site_with_one_line_and_runs_the_others(replay_server, tmp_path):
    db = tmp_path / "archive.db"
    lock = RunLock(db, "digiato").acquire()
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "newsarchive",
                "crawl",
                "digiato",
                "zoomit",
                "--db",
                str(db),
                "--set",
                f"NEWSARCHIVE_REPLAY_URL={replay_server.url}",
                "--set",
                "NEWSARCHIVE_WARC=0",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        lock.release()
    assert result.returncode == 1, result.stderr[-3000:]
    assert "another digiato run" in result.stderr and "Traceback" not in result.stderr
    ran = sqlite_utils.Database(db)["crawl_runs"].rows_where(select="spider, status")
    assert [(row["spider"], row["status"]) for row in ran] == [("zoomit", "finished")]


@pytest.mark.slow
def test_a_killed_run_leaves_a_sound_archive_and_the_next_run_finishes(replay_server, tmp_path):
    db = tmp_path / "archive.db"
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "digiato",
        "-s",
        f"NEWSARCHIVE_REPLAY_URL={replay_server.url}",
        "-s",
        f"NEWSARCHIVE_DB={db}",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "DOWNLOAD_DELAY=0.4",
        "-s",
        "CONCURRENT_REQUESTS=1",
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill once some articles are stored
        time.sleep(0.2)
        table = sqlite_utils.Database(db)["articles"] if db.exists() else None
        if table is not None and table.exists() and table.count >= 3:
            break
    process.send_signal(signal.SIGKILL)
    process.wait()
    archive = sqlite_utils.Database(db)
    assert archive.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    partial = archive["articles"].count
    assert 3 <= partial < len(EXPECTED)

    scrapy_crawl("digiato", db, replay_server.url)
    archive = sqlite_utils.Database(db)
    assert [run["status"] for run in runs(db)] == ["killed", "finished"]
    assert archive["articles"].count == len(EXPECTED)
    assert (
        archive.execute(
            "select count(*) from (select url from articles group by url having count(*) > 1)"
        ).fetchone()[0]
        == 0
    )


class KnownArticles:
    """What the spider asks the archive, for the listing rule alone: first-seen times by URL."""

    def __init__(self, first_seen: dict[str, str], last_run_completed: bool):
        self.first_seen = first_seen
        self.completed = last_run_completed

    def fetch_record(self, url):
        seen = self.first_seen.get(url)
        return seen and {
            "first_seen_at": seen,
            "last_fetched_at": seen,
            "published_at": "2020-01-01T00:00:00Z",
        }

    def last_run_completed(self, spider, before):
        return self.completed

    def close(self):
        pass


def test_the_listing_reads_the_topic_list_not_the_most_viewed_sidebar(tmp_path):
    """The sidebar's cards share the list's markup; its old, popular articles must not count
    as the listing's (they would end pagination at once, see the next test)."""
    from conftest import make_spider, mirror_response

    spider = make_spider("digiato", tmp_path / "unused.db")
    page = mirror_response("digiato", spider.site.url("/topic/tech/"), "topic/tech/index.html")
    spider.archive = KnownArticles({}, last_run_completed=True)
    fetched = {r.url for r in spider.parse_listing(page) if r.meta["newsarchive_kind"] == "article"}

    def articles_under(css):
        urls = {spider.site.canonical(page.urljoin(url)) for url in page.css(f"{css} a::attr(href)").getall()}
        return {url for url in urls if spider.site.is_article_url(url)}

    listed, sidebar = articles_under("#primary ul.rowList"), articles_under(".mostViewed__list")
    assert fetched == listed and sidebar - listed


#: A first-seen time in the second the spider started (an article this run stored).
THIS_RUN = "this run"


def listing_walk(tmp_path, first_seen_of_link: list[str | None], *, last_run_completed: bool = True):
    """For the mirror's first listing page, its first article links first seen at the given
    times (None: not archived): (the page's article URLs, those requested, whether the next
    listing page is requested)."""
    from conftest import make_spider, mirror_response

    spider = make_spider("digiato", tmp_path / "unused.db")
    page = mirror_response("digiato", spider.site.url("/topic/tech/"), "topic/tech/index.html")
    links = [
        spider.site.canonical(page.urljoin(href))
        for href in page.css(spider.site.listing.article_links[0]).getall()
    ]
    links = [url for url in dict.fromkeys(links) if spider.site.is_article_url(url)]
    assert len(links) > len(first_seen_of_link)
    started = spider.started_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    spider.archive = KnownArticles(
        {url: started if seen == THIS_RUN else seen for url, seen in zip(links, first_seen_of_link) if seen},
        last_run_completed,
    )
    requests = list(spider.parse_listing(page))
    fetched = {r.url for r in requests if r.meta["newsarchive_kind"] == "article"}
    return links, fetched, any(r.meta["newsarchive_kind"] == "listing" for r in requests)


def test_the_listing_stops_at_a_page_that_reaches_an_earlier_complete_run(tmp_path):
    earlier = "2026-01-01T08:00:00Z"
    # Nothing archived (a first run): every article, and the next page.
    links, fetched, next_page = listing_walk(tmp_path, [])
    assert fetched == set(links) and next_page
    # New articles above one an earlier complete run archived: fetched, and older pages are not.
    links, fetched, next_page = listing_walk(tmp_path, [None, None, earlier])
    assert fetched == set(links) - {links[2]} and next_page is False
    # The same after a killed run: what it archived does not vouch for older pages.
    links, fetched, next_page = listing_walk(tmp_path, [None, None, earlier], last_run_completed=False)
    assert fetched == set(links) - {links[2]} and next_page is True
    # Nor do articles this run stored already (found by a sitemap first).
    links, fetched, next_page = listing_walk(tmp_path, [THIS_RUN, None, THIS_RUN])
    assert fetched == set(links) - {links[0], links[2]} and next_page is True
