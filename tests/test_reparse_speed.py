"""``newsarchive reparse`` on every core: page workers read the WARC records themselves and
this process reads pages too while it waits; what is stored is what one process stores.

No timing here: the rate is measured by ``python -m bench crawl`` (BENCHMARKS.md).
"""

from __future__ import annotations

import gzip
import pickle
import shutil
from pathlib import Path

import pytest
import sqlite_utils
from conftest import load_expected, mirror_response, scrapy_crawl
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler

from newsarchive.archive import Archive
from newsarchive.crawl import project_settings
from newsarchive.reparse import reparse
from newsarchive.spiders.sites import SPIDERS
from newsarchive.warc import WarcMiddleware
from newsarchive.workers import WorkerPoolReader

#: Columns a reparse sets from the capture it read: equal in both runs compared here anyway,
#: except where a test changes what is extracted.
IGNORED = {"last_fetched_at", "modified_at"}


#: A second crawl fetches every article again (the refresh rule would skip them).
REFETCH_ALL = ("-s", "NEWSARCHIVE_REFRESH_WINDOW_HOURS=1000000", "-s", "NEWSARCHIVE_REFETCH_INTERVAL_HOURS=0")


def crawl(db: Path, replay_url: str, warc_dir: Path, *extra: str) -> None:
    scrapy_crawl("digiato", db, replay_url, "-s", f"NEWSARCHIVE_WARC_DIR={warc_dir}", *extra)


def copy_archive(db: Path, target: Path) -> Path:
    sqlite_utils.Database(db).conn.execute(f"VACUUM INTO '{target}'")
    return target


def stored(db: Path) -> dict[str, object]:
    """Every article row (without the fetch times), version and alias of an archive."""
    database = sqlite_utils.Database(db)
    return {
        "articles": {
            row["url"]: {key: value for key, value in row.items() if key not in IGNORED}
            for row in database["articles"].rows
        },
        "versions": sorted(
            (row["article_id"], row["content_hash"]) for row in database["article_versions"].rows
        ),
        "aliases": sorted((row["url"], row["article_id"]) for row in database["article_aliases"].rows),
    }


def reparsed(db: Path, warc_dir: Path, target: Path, workers: int) -> tuple[dict, dict]:
    copy = copy_archive(db, target)
    report = reparse(str(copy), warc_dir=str(warc_dir), settings={"NEWSARCHIVE_WORKERS": workers})
    return report.as_dict(), stored(copy)


@pytest.fixture(scope="module")
def twice_crawled(tmp_path_factory, replay_server):
    """Two crawls of the mirror into one archive, WARC on: the second one's pages (every
    article fetched again) are ``revisit`` records, whose payload a reader finds through the
    archive."""
    base = tmp_path_factory.mktemp("reparse")
    db, warc_dir = base / "archive.db", base / "records"
    crawl(db, replay_server.url, warc_dir)
    crawl(db, replay_server.url, warc_dir, *REFETCH_ALL)
    return db, warc_dir


@pytest.mark.slow
def test_one_worker_and_this_process_store_what_one_process_stores(twice_crawled, tmp_path, monkeypatch):
    """Two cores (one worker): a changed normalization makes articles updates, versions and all."""
    db, warc_dir = twice_crawled
    import newsarchive.pipelines as pipelines

    original = pipelines.normalize
    monkeypatch.setattr(pipelines, "normalize", lambda text: original(text).replace("آیفون", "iPhone"))
    alone = reparsed(db, warc_dir, tmp_path / "alone.db", 1)
    assert alone[0]["updated"] > 0 and alone[1]["versions"]
    assert reparsed(db, warc_dir, tmp_path / "shared.db", 2) == alone


@pytest.mark.slow
def test_workers_read_revisit_records_through_their_own_look_up(twice_crawled, tmp_path):
    db, warc_dir = twice_crawled
    with Archive(db, readonly=True) as archive:
        revisits = archive.db.execute(
            "select count(*) from captures where kind = 'article' and record_type = 'revisit'"
        ).fetchone()[0]
    assert revisits > 0
    alone = reparsed(db, warc_dir, tmp_path / "alone.db", 1)
    assert alone[0]["unchanged"] == len(load_expected("digiato.json"))
    assert alone[0]["dropped"] == {"gone": 1}  # the mirror's one 404 page
    assert reparsed(db, warc_dir, tmp_path / "pool.db", 3) == alone


@pytest.mark.slow
def test_a_worker_is_sent_where_each_page_is_never_the_page(twice_crawled, tmp_path, monkeypatch):
    db, warc_dir = twice_crawled
    sent: list[bytes] = []
    submit_batch = WorkerPoolReader.submit_batch

    def recorded(self, calls):
        sent.append(pickle.dumps(calls))  # what the pool sends its worker
        return submit_batch(self, calls)

    monkeypatch.setattr(WorkerPoolReader, "submit_batch", recorded)
    report = reparsed(db, warc_dir, tmp_path / "pool.db", 2)[0]
    assert sent and report["unchanged"] == len(load_expected("digiato.json"))
    assert all(b"warc_offset" in batch and b"<body" not in batch for batch in sent)


def mirror_page():
    expected = load_expected("digiato.json")[0]
    return mirror_response("digiato", expected["url"], expected["path"])


def gzipped_capture(tmp_path: Path, **settings) -> tuple[Path, Path]:
    """An archive whose one article capture is a gzip-encoded response, stored as received."""
    db, warc_dir = tmp_path / "archive.db", tmp_path / "records"
    crawler_settings = {
        **project_settings().copy_to_dict(),
        "TWISTED_REACTOR_ENABLED": False,
        "EXTENSIONS": {"newsarchive.extensions.CrawlRun": None},
        "NEWSARCHIVE_DB": str(db),
        "NEWSARCHIVE_WARC_DIR": str(warc_dir),
    }
    crawler = get_crawler(SPIDERS["digiato"], crawler_settings)
    crawler.spider = SPIDERS["digiato"].from_crawler(crawler)
    middleware = WarcMiddleware.from_crawler(crawler)
    page = mirror_page()
    compressed = gzip.compress(page.body, mtime=0)
    request = Request(page.url, meta={"newsarchive_kind": "article"})
    response = Response(
        page.url,
        status=200,
        body=compressed,
        request=request,
        headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
    )
    middleware.process_response(request, response)
    middleware.spider_closed(crawler.spider, "finished")
    return db, warc_dir


@pytest.mark.slow
def test_workers_decompress_with_the_crawls_settings(tmp_path):
    db, warc_dir = gzipped_capture(tmp_path)
    for workers in (1, 2):
        copy = tmp_path / f"archive-{workers}.db"
        shutil.copy(db, copy)
        report = reparse(str(copy), warc_dir=str(warc_dir), settings={"NEWSARCHIVE_WORKERS": workers})
        assert (report.new, report.dropped) == (1, {}), workers
        (row,) = sqlite_utils.Database(copy)["articles"].rows
        assert row["title"] and row["body"]
        too_small = {"NEWSARCHIVE_WORKERS": workers, "DOWNLOAD_MAXSIZE": 1000}
        again = tmp_path / f"small-{workers}.db"
        shutil.copy(db, again)
        report = reparse(str(again), warc_dir=str(warc_dir), settings=too_small)
        assert (report.new, report.dropped) == (0, {"oversize": 1}), workers
