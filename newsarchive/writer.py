"""The archive's single writer: a process of its own that owns the archive connection.

Storing an article is SQLite's work (the row, its FTS5 index entries, the template counts)
plus the Python around it (the search forms, JSON, hashes). On the reactor's process it
competes with Scrapy for the one interpreter lock: a writer *thread* was measured to spend
most of its time waiting for that lock between SQLite calls, and the crawl got no faster.
A writer *process* runs beside the crawl on a core of its own.

Nothing else changes: one process runs the writes one at a time, in the order they were
asked for, each in its own transaction (:meth:`Archive.write`); the connection is opened,
used and closed there only. A crawl has one writer (:func:`crawl_writer`) for every
component that writes while it runs (the storage pipeline, the WARC capture index), so the
archive never has two writers in one crawl. The writer process starts from the fork
server of :mod:`newsarchive.workers` and exits with the crawl, even after a SIGKILL
(:func:`~newsarchive.workers.exit_with`); a transaction it had open is rolled back by
SQLite. If it dies during a run (out of memory), the rest of the run writes in the crawl's
own process, with one warning; the write it held is done again there (an article stored
twice is "unchanged" the second time).

Without a process (``NEWSARCHIVE_WORKERS`` = 1, ``newsarchive reparse``, a crawler
without an asyncio reactor) every call runs at once in the caller's thread, as before.
Calls name an :class:`~newsarchive.archive.Archive` method (:data:`WRITES`), so that they
can be sent to the other process.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from newsarchive.archive import Archive, ArchiveError, ArchiveWriteError

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


#: The writer process's performer, or why the archive did not open (set by
#: :func:`_start_writer`, in that process only).
_performer: _Performer | ArchiveError | None = None


def _start_writer(path: str | None, crawl_pid: int) -> None:
    """The writer process's start: leave with the crawl, open the archive (an archive that
    cannot be opened is the answer to every call, not a broken process)."""
    from newsarchive.workers import exit_with

    global _performer
    exit_with(crawl_pid)
    try:
        _performer = _Performer(path)
    except ArchiveError as error:
        _performer = error


def _perform(method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if isinstance(_performer, ArchiveError):
        raise _performer
    assert _performer is not None, "runs in the writer process, after _start_writer"
    return _performer.perform(method, args, kwargs)


class ArchiveWriter:
    """The archive's writes, run in a writer process (``in_process`` false) or inline."""

    def __init__(self, path: str | None, *, in_process: bool):
        self.path = path
        self.users = 0  # components of a crawl holding it (crawl_writer / release)
        self.inline: _Performer | None = None
        self._process: ProcessPoolExecutor | None = None
        #: Writes sent whose ``then`` has not been called yet (reactor thread only).
        self._unsettled: dict[Future[Any], Callable[[BaseException | None], None]] = {}
        if in_process:
            from newsarchive.workers import forkserver_context

            self._process = ProcessPoolExecutor(
                max_workers=1,
                mp_context=forkserver_context(),
                initializer=_start_writer,
                initargs=(path, os.getpid()),
            )
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
            return self._process.submit(_perform, method, args, kwargs).result()
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
            return await asyncio.wrap_future(self._process.submit(_perform, method, args, kwargs))
        except BrokenProcessPool as error:
            self._broke(error)
            return self._inline().perform(method, args, kwargs)

    def send(self, method: str, *args: Any, then: Callable[[BaseException | None], None]) -> None:
        """``archive.method(*args)`` in the writer, not waited for; ``then(error or None)``
        is called on the reactor thread once it ran (at once, inline), and at the latest
        when a later :meth:`run` returns."""
        if self._process is not None:
            try:
                sent = self._process.submit(_perform, method, args, {})
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
            self._process.shutdown(wait=False, cancel_futures=True)
            self._process = None

    def release(self) -> None:
        """A crawl component is done with the writer; the last one closes it."""
        self.users -= 1
        if self.users <= 0:
            self.close()

    def close(self) -> None:
        """Wait for every write asked for, then close the archive and stop the process."""
        try:
            if self._process is not None:
                self.run("ping")
        finally:
            if self._process is not None:
                self._process.shutdown(wait=True)  # the process's archive closes as it exits
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

    writer: ArchiveWriter | None = getattr(crawler, "_newsarchive_writer", None)
    if writer is None or writer.users <= 0:
        settings = crawler.settings
        in_process = (
            settings.getint("NEWSARCHIVE_WORKERS", 1) > 1
            and not settings.getbool("NEWSARCHIVE_REPARSE")
            and is_reactor_installed()
            and is_asyncio_reactor_installed()
        )
        writer = ArchiveWriter(settings.get("NEWSARCHIVE_DB"), in_process=in_process)
        crawler._newsarchive_writer = writer  # type: ignore[attr-defined]  # one per crawler
    writer.users += 1
    return writer
