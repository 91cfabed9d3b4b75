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
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from newsarchive.archive import Archive

T = TypeVar("T")


class ArchiveWriter:
    """An :class:`Archive` whose calls run on one writer thread (or inline when not ``threaded``)."""

    def __init__(self, path: str | None, *, threaded: bool):
        self._thread = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-writer") if threaded else None
        )
        try:
            self.archive: Archive = self.run(Archive, path)
        except BaseException:
            self._stop()
            raise

    @property
    def threaded(self) -> bool:
        return self._thread is not None

    def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` on the writer thread, waited for (start-up, shutdown)."""
        if self._thread is None:
            return function(*args, **kwargs)
        return self._thread.submit(function, *args, **kwargs).result()

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` on the writer thread, awaited without blocking the
        event loop; its exception is raised here."""
        if self._thread is None:
            return function(*args, **kwargs)
        return await asyncio.wrap_future(self._thread.submit(function, *args, **kwargs))

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
