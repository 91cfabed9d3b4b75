"""End to end: the real ``scrapy crawl digiato`` against the replay server on loopback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sqlite_utils
from conftest import load_expected, scrapy_crawl

from newsarchive.sites import SITES

pytestmark = pytest.mark.slow  # every test reads the archive of a real crawl

SITE = SITES["digiato"]
EXPECTED = load_expected("digiato.json")
PAGES = load_expected("digiato_pages.json")
JSON_FIELDS = ("authors", "categories", "tags")
PLAIN_FIELDS = (
    "title",
    "lead",
    "body",
    "image_url",
    "published_at",
    "published_jalali",
    "published_precision",
    "published_display",
    "modified_at",
    "page_type",
)


def rows_by_url(db_path) -> dict[str, dict]:
    db = sqlite_utils.Database(db_path)
    return {row["url"]: row for row in db["articles"].rows}


def test_every_mirror_article_is_archived_once_with_every_field(digiato_archive):
    db_path, _ = digiato_archive
    rows = rows_by_url(db_path)
    expected_urls = {SITE.canonical(e["url"]) for e in EXPECTED}
    assert set(rows) == expected_urls
    for expected in EXPECTED:
        row = rows[SITE.canonical(expected["url"])]
        for field in PLAIN_FIELDS:
            assert row[field] == expected[field], (field, expected["url"])
        for field in JSON_FIELDS:
            assert json.loads(row[field]) == expected[field], (field, expected["url"])
        assert bool(row["sponsored"]) == expected["sponsored"]
        assert row["published_at"].endswith("Z") and len(row["published_at"]) == 20
        assert row["body"].count("\u200c") == expected["body"].count("\u200c")


def test_no_listing_tag_feed_or_missing_page_is_stored(digiato_archive):
    db_path, _ = digiato_archive
    stored = set(rows_by_url(db_path))
    for url in PAGES["non_articles"] + PAGES["missing"]:
        assert SITE.canonical(url) not in stored, url


def test_redirected_old_urls_are_aliases_not_rows(digiato_archive):
    db_path, _ = digiato_archive
    db = sqlite_utils.Database(db_path)
    aliases = {row["url"]: row["article_id"] for row in db["article_aliases"].rows}
    ids = {row["url"]: row["id"] for row in db["articles"].rows}
    for old, new in PAGES["redirects"].items():
        assert SITE.canonical(old) not in ids
        assert aliases[SITE.canonical(old)] == ids[SITE.canonical(new)]


def test_raw_sqlite_utils_search_finds_articles(digiato_archive):
    db_path, _ = digiato_archive
    title_word = EXPECTED[0]["title"].split()[0]
    result = subprocess.run(
        [sys.executable, "-m", "sqlite_utils", "search", str(db_path), "articles", title_word, "-c", "url"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert SITE.canonical(EXPECTED[0]["url"]) in result.stdout


def test_the_run_is_reported_with_counts_and_field_coverage(digiato_archive):
    db_path, result = digiato_archive
    db = sqlite_utils.Database(db_path)
    (run,) = list(db["crawl_runs"].rows)
    assert run["status"] == "finished" and run["finished_at"]
    coverage = json.loads(run["coverage"])
    assert coverage["articles"] == len(EXPECTED)
    assert coverage["fields"]["title"] == coverage["fields"]["body"] == coverage["fields"]["published"] == 1.0
    assert coverage["layers"]["title"] == {"site": len(EXPECTED)}
    assert "crawl report for digiato" in result.stderr


def test_a_second_identical_crawl_adds_nothing(digiato_archive, replay_server, tmp_path):
    db_path, _ = digiato_archive
    copy = tmp_path / "again.db"
    sqlite_utils.Database(db_path).conn.execute(f"VACUUM INTO '{copy}'")
    before = rows_by_url(copy)
    scrapy_crawl("digiato", copy, replay_server.url)
    after = rows_by_url(copy)
    assert set(after) == set(before)
    db = sqlite_utils.Database(copy)
    assert db["article_versions"].count == 0
    assert all(after[url]["content_hash"] == before[url]["content_hash"] for url in before)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_since_bounds_the_backfill(replay_server, tmp_path):
    db = tmp_path / "since.db"
    scrapy_crawl("digiato", db, replay_server.url, "-a", "since=1402-01-01")
    rows = rows_by_url(db)
    assert rows, "articles newer than the bound are archived"
    assert all(row["published_at"] >= "2023-03-21" for row in rows.values())
    older = [e for e in EXPECTED if e["published_at"] < "2023-03-21"]
    assert older and not any(SITE.canonical(e["url"]) in rows for e in older)
