"""Article pages read on every core: parsing and extraction in worker processes.

A crawl's reactor thread fetches, checks, records and stores; parsing a page and running the
extraction layers on it (:func:`newsarchive.page.article_fields`, a pure function of the page
and what the request knew) is the largest single share of its CPU and needs nothing from the
crawl. With ``NEWSARCHIVE_WORKERS`` = N > 1 (default: the cores this process may use), N - 1
worker processes do that part while the reactor goes on (and the reactor reads the next page
itself while they are :data:`BACKLOG_PER_WORKER` pages each behind); with 1 it runs in the
crawl's own process. Fields come back as plain dicts in the order each page finishes, as callbacks
already do; a crawl's workers never load Scrapy (about 27 MB each). ``newsarchive reparse``
and the stories rebuild take results in order instead (:func:`in_order`), from the workers
and from their own process, which reads pages too while it would otherwise wait.

Workers are started by a fork server (a clean process that imported the extraction code once,
so each worker starts in milliseconds and never inherits the reactor's threads or sockets),
shared by every spider of the process, stopped at exit, and gone within moments of a crawl
killed with SIGKILL (each watches the crawl's process, :func:`exit_with`). As with any
``multiprocessing`` code, a script that starts a crawl must guard its entry point with
``if __name__ == "__main__":`` (``scrapy`` and ``newsarchive`` do). A worker that dies
(killed, out of memory) breaks the pool: the page it held and every later one are read in the crawl's own
process, with one warning; nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
import os
import select
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from itertools import islice
from typing import Any, ParamSpec, Protocol, TypeVar

from newsarchive.page import article_fields
from newsarchive.processes import PRELOAD, forkserver_context

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


def deferred(function: Callable[P, T]) -> Callable[P, partial[T]]:
    """``function`` with its arguments bound now and its call left for later (a picklable
    ``functools.partial``), checked against ``function``'s own signature."""

    def defer(*args: P.args, **kwargs: P.kwargs) -> partial[T]:
        return partial(function, *args, **kwargs)

    return defer


#: One page to read: :func:`~newsarchive.page.article_fields`'s arguments bound, ready to run
#: here or to be sent to a worker (sites, text, URLs and dates all pickle).
page_read = deferred(article_fields)

#: An article's fields (``ArticleItem(**fields)`` makes the item), as a worker returns them.
Fields = dict[str, Any]
PageRead = partial[Fields | None]


class PageReader(Protocol):
    """Who runs :func:`page_read` calls: the crawl's process or worker processes."""

    broken: bool

    def submit(self, read: PageRead) -> Future[Fields | None]:
        """Start ``read``; its item (or error) arrives in the future."""
        ...

    async def read(self, read: PageRead) -> Fields | None:
        """``read``'s item, awaited (the spider's ``parse_article``)."""
        ...


class InProcessReader:
    """Reads pages in the crawl's own process."""

    broken = False

    def submit(self, read: PageRead) -> Future[Fields | None]:
        future: Future[Fields | None] = Future()
        try:
            future.set_result(read())
        except Exception as error:
            future.set_exception(error)
        return future

    async def read(self, read: PageRead) -> Fields | None:
        return read()


#: Reads waiting per worker process before the crawl's own process reads the next page itself.
BACKLOG_PER_WORKER = 2


class WorkerPoolReader:
    """Reads pages in a pool of worker processes (see the module)."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self.executor = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=forkserver_context(PRELOAD if processes > 1 else ()),
            initializer=exit_with,
            initargs=(os.getpid(),),
        )
        self.broken = False
        #: Reads sent to the workers and not yet back, and how many may be (see :meth:`read`).
        self.pending = 0
        self.backlog = BACKLOG_PER_WORKER * processes
        logger.info("article pages are read in %d worker processes (NEWSARCHIVE_WORKERS)", processes)

    def submit(self, read: PageRead) -> Future[Fields | None]:
        if not self.broken:
            try:
                future = self.executor.submit(read)
            except BrokenProcessPool as error:
                self._broke(error)
            else:
                future.add_done_callback(self._note_breakage)
                return future
        return InProcessReader().submit(read)

    async def read(self, read: PageRead) -> Fields | None:
        """``read``'s item from a worker; read here instead while the workers are
        :attr:`backlog` reads behind: on two cores the one worker also writes the archive and
        is the busier process, and the reactor's idle time reads pages too (2,000 pages:
        73 -> 83 pages/s, medians of four alternating runs)."""
        if self.pending >= self.backlog:
            return read()
        self.pending += 1
        try:
            return await asyncio.wrap_future(self.submit(read))
        except BrokenProcessPool:
            return read()
        finally:
            self.pending -= 1

    def submit_batch(self, calls: list[Callable[[], T]]) -> Future[list[T]]:
        """``call()`` of each of ``calls``, in one task (a worker runs them in order); in this
        process when the pool is broken."""
        if not self.broken:
            try:
                future = self.executor.submit(_call_each, calls)
            except BrokenProcessPool as error:
                self._broke(error)
            else:
                future.add_done_callback(self._note_breakage)
                return future
        return _call_here(calls)

    def batch_result(self, future: Future[list[T]], calls: list[Callable[[], T]]) -> list[T]:
        """The results of a :meth:`submit_batch`, waited for; ``calls`` run here if their worker died."""
        try:
            return future.result()
        except BrokenProcessPool:
            return _call_each(calls)

    def _note_breakage(self, future: Future[Any]) -> None:
        if not future.cancelled() and isinstance(error := future.exception(), BrokenProcessPool):
            self._broke(error)

    def _broke(self, error: BrokenProcessPool) -> None:
        if not self.broken:
            self.broken = True
            logger.warning(
                "a page worker process died (%s); the rest of the run reads pages in this process", error
            )

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def _call_each(calls: list[Callable[[], T]]) -> list[T]:
    return [call() for call in calls]


def _call_here(calls: list[Callable[[], T]]) -> Future[list[T]]:
    """A future already done with ``calls`` run in this process (or their exception)."""
    future: Future[list[T]] = Future()
    try:
        future.set_result(_call_each(calls))
    except Exception as error:
        future.set_exception(error)
    return future


#: Calls per worker task in :func:`in_order`: a task's own cost (pickling, a pipe round trip,
#: waking this process's queue threads) is paid once for this many pages.
BATCH = 8


def in_order(reader: PageReader, calls: Iterable[Callable[[], T]], *, batch: int = BATCH) -> Iterator[T]:
    """``call()`` of each of ``calls``, yielded in their order (``newsarchive reparse``).

    With worker processes, batches of ``batch`` calls go to them, two per process ahead; and
    whenever the next result is not ready, this process runs the next call itself instead of
    waiting. The consumer of the results (reparse stores them) and the workers thus share the
    calls between them by how busy each is: on two cores, both stay busy whatever share of
    the work storing takes. An exception raised by a call is raised here, in order.
    """
    if not isinstance(reader, WorkerPoolReader):
        yield from (call() for call in calls)
        return
    remaining = iter(calls)
    pending: deque[tuple[Future[list[T]], list[Callable[[], T]]]] = deque()
    working: list[Future[list[T]]] = []
    exhausted = False
    while True:
        working = [future for future in working if not future.done()]
        while not exhausted and len(working) < 2 * reader.processes:
            calls_now = list(islice(remaining, batch))
            exhausted = not calls_now
            if calls_now:
                pending.append((future := reader.submit_batch(calls_now), calls_now))
                working.append(future)
        if not pending:
            return
        head, head_calls = pending[0]
        if not head.done() and not exhausted and len(pending) < 8 * reader.processes:
            calls_now = list(islice(remaining, 1))
            exhausted = not calls_now
            if calls_now:
                pending.append((_call_here(calls_now), calls_now))
            continue
        pending.popleft()
        yield from reader.batch_result(head, head_calls)


def exit_with(pid: int) -> None:
    """Each worker's start: exit as soon as the crawl process ``pid`` ends, however it ends.

    A worker waits on queues whose other ends it holds itself, and the fork server, not the
    crawl, is its parent: after a SIGKILL of the crawl nothing else would ever stop it.
    """
    try:
        crawl = os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux >= 5.3: look every second
        crawl = None

    def watch() -> None:
        if crawl is not None:
            select.select([crawl], [], [])
        else:
            while _alive(pid):
                time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="newsarchive-crawl-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_POOLS: dict[int, WorkerPoolReader] = {}


def page_reader(workers: int) -> PageReader:
    """The reader for ``NEWSARCHIVE_WORKERS`` = ``workers``: in-process for 1 (or less), else a
    pool of ``workers - 1`` processes, shared by every spider of this process that asks for it."""
    if workers <= 1:
        return InProcessReader()
    processes = workers - 1
    pool = _POOLS.get(processes)
    if pool is None or pool.broken:
        pool = _POOLS[processes] = WorkerPoolReader(processes)
    return pool


def sole_page_worker(workers: int) -> ProcessPoolExecutor | None:
    """The pool of ``NEWSARCHIVE_WORKERS`` = ``workers`` when it is one working process (two
    cores), for the archive's writes to share (:func:`newsarchive.writer.crawl_writer`)."""
    reader = page_reader(workers)
    if isinstance(reader, WorkerPoolReader) and reader.processes == 1 and not reader.broken:
        return reader.executor
    return None
