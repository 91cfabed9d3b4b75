"""The archive's single writer: one thread of its own that owns the archive connection.

Storing an article is mostly SQLite's work (the row, its FTS5 index entries, the template
counts), and SQLite runs without Python's GIL. Done on the reactor thread, that work stops
Scrapy for as long as it takes; done on a writer thread, Scrapy downloads, parses and hands
pages to the worker processes meanwhile, and the second core runs SQLite.

Nothing else changes: one thread runs the writes one at a time, in the order they were
asked for, each in its own transaction (:meth:`Archive.write`); the connection is opened,
used and closed on that thread only, as sqlite3 requires. Without a thread (``threaded``
false: ``NEWSARCHIVE_WORKERS`` = 1, ``newsarchive reparse``) every call runs at once on
the caller's thread, exactly as before.

A crawl has one writer (:func:`crawl_writer`) for every component that writes while it
runs, the storage pipeline and the WARC capture index: two connections of one process
writing in turn would make the reactor thread wait for the writer thread's transactions
(SQLite's busy handler sleeps), the stall this module exists to remove.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from newsarchive.archive import Archive

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

T = TypeVar("T")


class ArchiveWriter:
    """An :class:`Archive` whose calls run on one writer thread (or inline when not ``threaded``)."""

    def __init__(self, path: str | None, *, threaded: bool):
        self._thread = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-writer") if threaded else None
        )
        self.users = 0  # components of a crawl holding it (crawl_writer / release)
        #: Writes sent whose ``then`` has not been called yet (reactor thread only).
        self._unsettled: dict[Future[Any], Callable[[BaseException | None], None]] = {}
        try:
            self.archive: Archive = self.run(Archive, path)
        except BaseException:
            self._stop()
            raise

    @property
    def threaded(self) -> bool:
        return self._thread is not None

    def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` on the writer thread, waited for (start-up, shutdown).
        Every write sent before it has run then, and has had its ``then`` called."""
        if self._thread is None:
            return function(*args, **kwargs)
        try:
            return self._thread.submit(function, *args, **kwargs).result()
        finally:
            for done in [sent for sent in self._unsettled if sent.done()]:
                self._settle(done)

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` on the writer thread, awaited without blocking the
        event loop; its exception is raised here."""
        if self._thread is None:
            return function(*args, **kwargs)
        return await asyncio.wrap_future(self._thread.submit(function, *args, **kwargs))

    def send(
        self, function: Callable[..., Any], *args: Any, then: Callable[[BaseException | None], None]
    ) -> None:
        """``function(*args)`` on the writer thread, not waited for; ``then(error or None)``
        is called on the reactor thread once it ran (at once, without a thread), and at the
        latest when a later :meth:`run` returns."""
        if self._thread is None:
            try:
                function(*args)
            except Exception as error:
                then(error)
            else:
                then(None)
            return
        from twisted.internet import reactor

        sent = self._thread.submit(function, *args)
        self._unsettled[sent] = then
        sent.add_done_callback(lambda done: reactor.callFromThread(self._settle, done))

    def _settle(self, sent: Future[Any]) -> None:
        then = self._unsettled.pop(sent, None)
        if then is not None:
            then(sent.exception())

    def release(self) -> None:
        """A crawl component is done with the writer; the last one closes it."""
        self.users -= 1
        if self.users <= 0:
            self.close()

    def close(self) -> None:
        """Close the archive on its thread, after every write asked for before, and stop the thread."""
        try:
            self.run(self.archive.close)
        finally:
            self._stop()

    def _stop(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None


def crawl_writer(crawler: Crawler) -> ArchiveWriter:
    """The crawl's one archive writer, opened by the first component that asks and closed
    by the last :meth:`~ArchiveWriter.release`. Threaded with ``NEWSARCHIVE_WORKERS`` > 1
    under a running asyncio reactor (not in a test's crawler without one), except in ``newsarchive reparse`` (``NEWSARCHIVE_REPARSE``),
    which stores outside an event loop. Raises :class:`~newsarchive.archive.ArchiveError`."""
    from scrapy.utils.reactor import is_asyncio_reactor_installed, is_reactor_installed

    writer: ArchiveWriter | None = getattr(crawler, "_newsarchive_writer", None)
    if writer is None or writer.users <= 0:
        settings = crawler.settings
        threaded = (
            settings.getint("NEWSARCHIVE_WORKERS", 1) > 1
            and not settings.getbool("NEWSARCHIVE_REPARSE")
            and is_reactor_installed()
            and is_asyncio_reactor_installed()
        )
        writer = ArchiveWriter(settings.get("NEWSARCHIVE_DB"), threaded=threaded)
        crawler._newsarchive_writer = writer  # type: ignore[attr-defined]  # one per crawler
    writer.users += 1
    return writer
