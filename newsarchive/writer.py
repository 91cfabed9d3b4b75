"""The archive's single writer: a process other than the crawl's owns the archive connection.

Storing an article is SQLite's work (the row, its FTS5 index entries, the template counts)
plus the Python around it (the search forms, JSON, hashes). In the reactor's process it
competes with Scrapy for the one interpreter lock: a writer *thread* was measured to spend
most of its time waiting for that lock between SQLite calls, and the crawl got no faster.
In another process it runs beside the crawl on another core.

Which process (:func:`crawl_writer`, ``NEWSARCHIVE_WORKERS`` = N): with N = 2 the one page
worker of :mod:`newsarchive.workers` writes too, its tasks (pages and writes) taken in
order, so two cores run two busy processes and no third one costs memory; with N > 2 a
writer process of its own; with N = 1, in ``newsarchive reparse`` and in a crawler without
an asyncio reactor, every call runs at once in the caller's thread, as before.

Nothing else changes: one process runs the writes one at a time, in the order they were
asked for, each in its own transaction (:meth:`Archive.write`); the connection is opened,
used and closed there only. A crawl has one writer for every component that writes while
it runs (the storage pipeline, the WARC capture index). The process starts from the fork
server of :mod:`newsarchive.workers` and exits with the crawl, even after a SIGKILL
(:func:`~newsarchive.workers.exit_with`); a transaction it had open is rolled back by
SQLite. If it dies during a run (out of memory), the rest of the run writes in the crawl's
own process, with one warning; the write it held is done again there (an article stored
twice is "unchanged" the second time). Calls name an :class:`~newsarchive.archive.Archive`
method (:data:`WRITES`), so that they can be sent to the other process.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from newsarchive.archive import Archive, ArchiveWriteError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

#: The Archive methods a writer runs (and a ``ping`` that runs nothing, to wait for the rest).
WRITES = frozenset({"store_article", "add_alias", "add_captures", "ping"})


class WriterStopped(Exception):
    """A write asked for after one failed with :class:`ArchiveWriteError` (full disk,
    read-only): not tried, since it would fail the same way; the crawl is stopping."""


class _Performer:
    """Runs the writes on one open archive, and refuses more after a storage failure."""

    def __init__(self, path: str | None):
        self.archive = Archive(path)
        self.failed = False

    def perform(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if method not in WRITES:
            raise ValueError(f"not an archive write: {method!r}")
        if method == "ping":
            return None
        if self.failed:
            raise WriterStopped(method)
        try:
            return getattr(self.archive, method)(*args, **kwargs)
        except ArchiveWriteError:
            self.failed = True
            raise


#: The archives open in this process for a crawl's writes, by path (in the process that
#: writes: the writer, or the one page worker that also writes; see :func:`crawl_writer`).
_open_archives: dict[str | None, _Performer] = {}


def _perform(path: str | None, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A write, in the process that writes; the archive opens on its first (ArchiveError
    raised to the caller, as at any open) and ``close`` closes it."""
    performer = _open_archives.get(path)
    if method == "close":
        if performer is not None:
            del _open_archives[path]
            performer.archive.close()
        return None
    if performer is None:
        performer = _open_archives[path] = _Performer(path)
    return performer.perform(method, args, kwargs)


class ArchiveWriter:
    """The archive's writes, run in another process or inline (see the module)."""

    def __init__(
        self, path: str | None, *, process: ProcessPoolExecutor | None = None, dedicated: bool = False
    ):
        """Writes go to ``process`` (a pool of one process, so they run in order) when given,
        to a new process of their own with ``dedicated``, else inline."""
        self.path = path
        self.users = 0  # components of a crawl holding it (crawl_writer / release)
        self.inline: _Performer | None = None
        self._dedicated = dedicated
        self._process = process
        #: Writes sent whose ``then`` has not been called yet (reactor thread only).
        self._unsettled: dict[Future[Any], Callable[[BaseException | None], None]] = {}
        if dedicated:
            from newsarchive.processes import forkserver_context
            from newsarchive.workers import exit_with

            self._process = ProcessPoolExecutor(
                max_workers=1, mp_context=forkserver_context(), initializer=exit_with, initargs=(os.getpid(),)
            )
        if self._process is not None:
            self.run("ping")  # the archive opens (and migrates) now, its errors raised here
        else:
            self.inline = _Performer(path)

    @property
    def in_process(self) -> bool:
        return self._process is not None

    def run(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``archive.method(*args, **kwargs)`` in the writer, waited for (start-up, the end
        of a run). Every write sent before it has run then, and has had its ``then`` called."""
        if self._process is None:
            return self._inline().perform(method, args, kwargs)
        try:
            return self._process.submit(_perform, self.path, method, args, kwargs).result()
        except BrokenProcessPool as error:
            self._broke(error)
            return self._inline().perform(method, args, kwargs)
        finally:
            for done in [sent for sent in self._unsettled if sent.done()]:
                self._settle(done)

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``archive.method(*args, **kwargs)`` in the writer, awaited without blocking the
        event loop; its exception is raised here."""
        if self._process is None:
            return self._inline().perform(method, args, kwargs)
        try:
            return await asyncio.wrap_future(self._process.submit(_perform, self.path, method, args, kwargs))
        except BrokenProcessPool as error:
            self._broke(error)
            return self._inline().perform(method, args, kwargs)

    def send(self, method: str, *args: Any, then: Callable[[BaseException | None], None]) -> None:
        """``archive.method(*args)`` in the writer, not waited for; ``then(error or None)``
        is called on the reactor thread once it ran (at once, inline), and at the latest
        when a later :meth:`run` returns."""
        if self._process is not None:
            try:
                sent = self._process.submit(_perform, self.path, method, args, {})
            except BrokenProcessPool as error:
                self._broke(error)
            else:
                from twisted.internet import reactor

                self._unsettled[sent] = then
                sent.add_done_callback(lambda done: reactor.callFromThread(self._settle, done))
                return
        try:
            self._inline().perform(method, args, {})
        except Exception as error:
            then(error)
        else:
            then(None)

    def _settle(self, sent: Future[Any]) -> None:
        then = self._unsettled.pop(sent, None)
        if then is not None:
            error = sent.exception()
            if isinstance(error, BrokenProcessPool):
                self._broke(error)
            then(error)

    def _inline(self) -> _Performer:
        if self.inline is None:
            self.inline = _Performer(self.path)
        return self.inline

    def _broke(self, error: BrokenProcessPool) -> None:
        if self._process is not None:
            logger.warning(
                "the archive writer process died (%s); the rest of the run writes in this process", error
            )
            if self._dedicated:
                self._process.shutdown(wait=False, cancel_futures=True)
            self._process = None

    def release(self) -> None:
        """A crawl component is done with the writer; the last one closes it."""
        self.users -= 1
        if self.users <= 0:
            self.close()

    def close(self) -> None:
        """Wait for every write asked for, then close the archive (and stop a process of its own)."""
        try:
            if self._process is not None:
                self.run("close")
        finally:
            if self._process is not None and self._dedicated:
                self._process.shutdown(wait=True)
            self._process = None
            if self.inline is not None:
                self.inline.archive.close()
                self.inline = None


def crawl_writer(crawler: Crawler) -> ArchiveWriter:
    """The crawl's one archive writer, opened by the first component that asks and closed
    by the last :meth:`~ArchiveWriter.release`. A process of its own with
    ``NEWSARCHIVE_WORKERS`` > 1 under a running asyncio reactor (not in a test's crawler
    without one), except in ``newsarchive reparse`` (``NEWSARCHIVE_REPARSE``), which stores
    outside an event loop. Raises :class:`~newsarchive.archive.ArchiveError`."""
    from scrapy.utils.reactor import is_asyncio_reactor_installed, is_reactor_installed

    from newsarchive.workers import sole_page_worker

    writer: ArchiveWriter | None = getattr(crawler, "_newsarchive_writer", None)
    if writer is None or writer.users <= 0:
        settings = crawler.settings
        workers = settings.getint("NEWSARCHIVE_WORKERS", 1)
        path = settings.get("NEWSARCHIVE_DB")
        if (
            settings.getbool("NEWSARCHIVE_REPARSE")
            or workers <= 1
            or not (is_reactor_installed() and is_asyncio_reactor_installed())
        ):
            writer = ArchiveWriter(path)
        elif (shared := sole_page_worker(workers)) is not None:
            # Two cores: the one page worker writes too (its tasks run in order), rather than
            # a third process competing for the same two cores with 20 MB more.
            writer = ArchiveWriter(path, process=shared)
        else:
            writer = ArchiveWriter(path, dedicated=True)
        crawler._newsarchive_writer = writer  # type: ignore[attr-defined]  # one per crawler
    writer.users += 1
    return writer
