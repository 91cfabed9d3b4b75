"""The archive's writer process (newsarchive/writer.py) and running pipelines outside a crawl."""

import asyncio
import os
import pickle
import signal
import subprocess
import sys
import time

import pytest
import sqlite_utils
from test_archive import article
from test_workers import alive

from newsarchive.archive import ArchiveBusy, ArchiveDamaged, ArchiveError, ArchiveWriteError
from newsarchive.pipelines import DropArticle, run_pipelines
from newsarchive.writer import ArchiveWriter, WriterStopped, _Performer


def writer_pid(writer: ArchiveWriter) -> int:
    (pid,) = writer._process._processes  # the one process of the writer's pool
    return pid


@pytest.mark.slow
def test_the_writer_process_stores_in_the_order_asked(tmp_path):
    writer = ArchiveWriter(str(tmp_path / "archive.db"), dedicated=True)
    try:
        assert writer.in_process and writer.inline is None  # no connection in this process
        assert writer_pid(writer) != os.getpid()
        urls = [f"https://digiato.com/news/{number}" for number in range(40)]

        async def store_all():
            return await asyncio.gather(
                *(
                    writer.call("store_article", article(url=url, title=f"خبر {n}"))
                    for n, url in enumerate(urls)
                )
            )

        outcomes = asyncio.run(store_all())
        assert [outcome for outcome, _ in outcomes] == ["new"] * 40
        with pytest.raises(ValueError, match="not an archive write: 'execute'"):
            writer.run("execute", "drop table articles")
    finally:
        writer.close()
    rows = sqlite_utils.Database(tmp_path / "archive.db").query(
        "select url, title from articles order by rowid"
    )
    assert [(row["url"], row["title"]) for row in rows] == [(url, f"خبر {n}") for n, url in enumerate(urls)]


@pytest.mark.slow
def test_an_archive_the_writer_process_cannot_open_is_an_archive_error_here(tmp_path):
    (tmp_path / "archive.db").write_bytes(b"not a database, not even close" * 100)
    with pytest.raises(ArchiveError):
        ArchiveWriter(str(tmp_path / "archive.db"), dedicated=True)


@pytest.mark.slow
def test_a_writer_process_that_dies_leaves_the_rest_of_the_run_to_this_process(tmp_path, caplog):
    writer = ArchiveWriter(str(tmp_path / "archive.db"), dedicated=True)
    try:
        assert writer.run("store_article", article(url="https://digiato.com/a"))[0] == "new"
        os.kill(writer_pid(writer), signal.SIGKILL)
        time.sleep(0.5)
        assert writer.run("store_article", article(url="https://digiato.com/b"))[0] == "new"
        assert not writer.in_process and writer.inline is not None
        assert "the archive writer process died" in caplog.text
    finally:
        writer.close()
    urls = [row["url"] for row in sqlite_utils.Database(tmp_path / "archive.db")["articles"].rows]
    assert urls == ["https://digiato.com/a", "https://digiato.com/b"]


@pytest.mark.slow
def test_with_two_cores_the_one_page_worker_writes_too(tmp_path):
    from newsarchive.page import article_fields
    from newsarchive.spiders.sites import SPIDERS
    from newsarchive.workers import page_read, page_reader, sole_page_worker

    shared = sole_page_worker(2)
    assert shared is not None and sole_page_worker(3) is None  # three cores: a writer of its own
    writer = ArchiveWriter(str(tmp_path / "archive.db"), process=shared)
    try:
        assert writer.in_process and writer.inline is None
        site = SPIDERS["digiato"].site
        html = "<html><head><title>t</title></head><body><article><h1>عنوان</h1><p>متن</p></article></body></html>"
        read = page_read(site, html, "https://digiato.com/a/1", "2024-05-04T06:45:00Z")
        pages = page_reader(2)
        assert pages.submit(read).result() == article_fields(
            site, html, "https://digiato.com/a/1", "2024-05-04T06:45:00Z"
        )
        assert writer.run("store_article", article())[0] == "new"
        assert pages.submit(read).result() is not None  # pages still read after writes
    finally:
        writer.close()  # closes the archive in the worker, which goes on reading pages
    assert not pages.broken
    assert sqlite_utils.Database(tmp_path / "archive.db")["articles"].count == 1


CRAWL_STAND_IN = """
import sys, time
from newsarchive.writer import ArchiveWriter

if __name__ == "__main__":
    writer = ArchiveWriter(sys.argv[1], dedicated=True)
    print(*writer._process._processes, flush=True)
    time.sleep(60)
"""


@pytest.mark.slow
def test_the_writer_process_leaves_with_a_crawl_killed_by_sigkill(tmp_path):
    script = tmp_path / "crawl.py"
    script.write_text(CRAWL_STAND_IN)
    crawl = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "archive.db")], stdout=subprocess.PIPE, text=True
    )
    (pid,) = [int(word) for word in crawl.stdout.readline().split()]
    assert alive(pid)
    crawl.kill()
    crawl.wait(10)
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)


def test_without_a_process_every_call_runs_here_and_stops_after_a_storage_failure(tmp_path, monkeypatch):
    writer = ArchiveWriter(str(tmp_path / "archive.db"))
    try:
        assert not writer.in_process
        assert writer.run("store_article", article())[0] == "new"

        def full(*args, **kwargs):
            raise ArchiveWriteError("the disk holding archive x is full", "disk-full")

        monkeypatch.setattr(writer.inline.archive, "store_article", full)
        with pytest.raises(ArchiveWriteError, match="is full"):
            asyncio.run(writer.call("store_article", article(url="https://digiato.com/b")))
        # Queued behind the failure: not tried (it would fail the same way).
        with pytest.raises(WriterStopped):
            writer.run("store_article", article(url="https://digiato.com/c"))
        errors = []
        writer.send("add_captures", [], then=errors.append)
        assert [type(error) for error in errors] == [WriterStopped]
    finally:
        writer.close()


def test_a_performer_runs_only_archive_writes(tmp_path):
    performer = _Performer(str(tmp_path / "archive.db"))
    try:
        assert performer.perform("ping", (), {}) is None
        with pytest.raises(ValueError, match="not an archive write"):
            performer.perform("close", (), {})
    finally:
        performer.archive.close()


@pytest.mark.parametrize(
    "error",
    [
        ArchiveWriteError("the disk holding archive x is full", "disk-full"),
        ArchiveDamaged("/x/archive.db", "page 3 is bad"),
        ArchiveBusy("archive x is busy"),
        ArchiveError("no archive at x"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_archive_errors_cross_to_the_crawl_process_whole(error):
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error) and str(back) == str(error)
    assert getattr(back, "reason", None) == getattr(error, "reason", None)


class _Immediate:
    async def process_item(self, item):
        return {**item, "seen": True}


class _Waiting:
    async def process_item(self, item):
        await asyncio.sleep(0)
        return item


class _Dropping:
    async def process_item(self, item):
        raise DropArticle("no-body", item["url"])


def test_run_pipelines_finishes_a_coroutine_that_never_waits_and_refuses_one_that_does():
    assert run_pipelines([_Immediate()], {"url": "u"}) == {"url": "u", "seen": True}
    with pytest.raises(DropArticle, match="no-body"):
        run_pipelines([_Dropping()], {"url": "u"})
    with pytest.raises(TypeError, match=r"_Waiting\.process_item waits"):
        run_pipelines([_Waiting()], {"url": "u"})


def test_the_storage_pipeline_closes_quietly_behind_a_write_that_failed_first():
    """A capture-index write failed (and was reported) before the pipeline closes: its
    aliases are not written, and closing raises nothing ("Scraper close failure")."""
    from types import SimpleNamespace

    from scrapy.settings import Settings

    from newsarchive.pipelines import StoragePipeline

    class StoppedWriter:
        released = False

        def run(self, method, *args):
            raise WriterStopped(method)

        def release(self):
            self.released = True

    crawler = SimpleNamespace(
        settings=Settings(),
        spider=SimpleNamespace(redirect_aliases={"https://digiato.com/old": "https://digiato.com/new"}),
    )
    pipeline = StoragePipeline(crawler)
    pipeline.writer = StoppedWriter()
    pipeline.close_spider()
    assert pipeline.writer.released


def test_reparse_writes_in_its_own_process(tmp_path):
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from newsarchive.writer import crawl_writer

    path = str(tmp_path / "archive.db")
    for reparse in (False, True):
        crawler = get_crawler(Spider, {"NEWSARCHIVE_DB": path, "NEWSARCHIVE_REPARSE": reparse})
        writer = crawl_writer(crawler)
        try:
            assert not writer.in_process and writer.inline is not None
        finally:
            writer.release()
