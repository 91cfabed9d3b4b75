"""The archive's writer thread (newsarchive/writer.py) and running pipelines outside a crawl."""

import asyncio
import threading

import pytest
import sqlite_utils
from test_archive import article

from newsarchive.archive import ArchiveWriteError
from newsarchive.pipelines import DropArticle, run_pipelines
from newsarchive.writer import ArchiveWriter


def test_the_writer_thread_owns_the_connection_and_stores_in_the_order_asked(tmp_path):
    writer = ArchiveWriter(str(tmp_path / "archive.db"), threaded=True)
    try:
        assert writer.threaded
        assert writer.run(lambda: threading.current_thread().name).startswith("archive-writer")
        # The connection was opened on the writer thread: sqlite3 refuses it anywhere else.
        with pytest.raises(Exception, match="thread"):
            writer.archive.count()
        urls = [f"https://digiato.com/news/{number}" for number in range(40)]

        async def store_all():
            return await asyncio.gather(
                *(
                    writer.call(writer.archive.store_article, article(url=url, title=f"خبر {n}"))
                    for n, url in enumerate(urls)
                )
            )

        outcomes = asyncio.run(store_all())
        assert [outcome for outcome, _ in outcomes] == ["new"] * 40
    finally:
        writer.close()
    rows = sqlite_utils.Database(tmp_path / "archive.db").query("select url from articles order by rowid")
    assert [row["url"] for row in rows] == urls
    assert not any(thread.name.startswith("archive-writer") for thread in threading.enumerate())


def test_an_error_on_the_writer_thread_is_raised_to_the_caller(tmp_path):
    writer = ArchiveWriter(str(tmp_path / "archive.db"), threaded=True)

    def refuse():
        raise ArchiveWriteError("the disk holding archive x is full", "disk-full")

    try:
        with pytest.raises(ArchiveWriteError, match="is full"):
            asyncio.run(writer.call(refuse))
        # The thread goes on: the next write works.
        assert asyncio.run(writer.call(writer.archive.store_article, article()))[0] == "new"
    finally:
        writer.close()


def test_without_a_thread_every_call_runs_on_the_caller(tmp_path):
    writer = ArchiveWriter(str(tmp_path / "archive.db"), threaded=False)
    try:
        assert not writer.threaded
        assert writer.run(threading.current_thread) is threading.current_thread()
        assert writer.archive.store_article(article())[0] == "new"
    finally:
        writer.close()


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
