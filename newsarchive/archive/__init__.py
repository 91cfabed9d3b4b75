"""The archive: the only package that writes SQL.

An SQLite file written through sqlite-utils: articles with a stable id, their
earlier versions, URL aliases, crawl runs, and an FTS5 index over the folded
search form of the text (see :mod:`newsarchive.search`). Every write is one
transaction; WAL mode lets searches read while a crawl writes.

:class:`Archive` is the one door: it opens the file and owns the write transaction,
and takes its other methods from the modules here: :mod:`.schema` (tables,
migrations, the search index), :mod:`.articles` (articles with versions and
aliases), :mod:`.runs` (crawl runs and what a crawl remembers between them),
:mod:`.captures` (the WARC captures index), :mod:`.stories` (articles that are copies
of one another, grouped) and :mod:`.queries` (search, a reader's
article list and export reads, over filters as lists of clauses, with :mod:`.reading`
turning rows into plain values and DataFrames); :mod:`.errors` holds what can go wrong.
A notebook starts with :meth:`Archive.open` (README: "Python API (notebooks)").
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from typing import Any

#: What sqlite-utils imports when installed, only to map their scalar types to columns.
_OPTIONAL_FOR_SQLITE_UTILS = ("pandas", "numpy")


def _load_sqlite_utils_lean() -> None:
    """Load sqlite-utils without pandas and numpy, unless one of them is loaded already.

    sqlite-utils imports both whenever they are installed (researchers' machines often have
    them), only to store pandas' ``Timestamp`` and numpy's scalars; the archive never hands
    it such values, and they cost every crawl and command ~90 MB of memory and half a second.
    Only sqlite-utils' own look-up is affected: ``import pandas`` works as ever afterwards.
    """
    if "sqlite_utils" in sys.modules or any(name in sys.modules for name in _OPTIONAL_FOR_SQLITE_UTILS):
        return
    for name in _OPTIONAL_FOR_SQLITE_UTILS:
        sys.modules[name] = None  # type: ignore[assignment]  # importing it now raises ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for name in _OPTIONAL_FOR_SQLITE_UTILS:
            del sys.modules[name]


_load_sqlite_utils_lean()

import sqlite_utils

from newsarchive.archive.articles import ArticlesMixin, article_id, content_hash
from newsarchive.archive.captures import CapturesMixin
from newsarchive.archive.errors import (
    DEFAULT_DB,
    ArchiveBusy,
    ArchiveDamaged,
    ArchiveError,
    ArchiveWriteError,
    _read_only_fs,
    damaged_archive,
    quick_check,
    resolve_db_path,
    storage_error,
)
from newsarchive.archive.queries import EXPORT_COLUMNS, ArticleFilter, QueriesMixin, SearchHit, filter_clauses
from newsarchive.archive.runs import RunsMixin
from newsarchive.archive.schema import (
    CONTENT_COLUMNS,
    JSON_COLUMNS,
    MIGRATIONS,
    SCHEMA_VERSION,
    SEARCH_COLUMNS,
    SEARCH_WEIGHTS,
    SchemaMixin,
    search_forms,
    utc_now,
)
from newsarchive.archive.stories import StoriesMixin

__all__ = [
    "CONTENT_COLUMNS",
    "DEFAULT_DB",
    "EXPORT_COLUMNS",
    "JSON_COLUMNS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SEARCH_COLUMNS",
    "SEARCH_WEIGHTS",
    "Archive",
    "ArchiveBusy",
    "ArchiveDamaged",
    "ArchiveError",
    "ArchiveWriteError",
    "ArticleFilter",
    "SearchHit",
    "article_id",
    "content_hash",
    "damaged_archive",
    "filter_clauses",
    "quick_check",
    "resolve_db_path",
    "search_forms",
    "storage_error",
    "utc_now",
]


def _enter_wal(conn: sqlite3.Connection, patience: float = 30.0) -> None:
    """``PRAGMA journal_mode = WAL``, retried while another process holds the new file.

    Two processes creating one archive at once can meet in SQLite's lock upgrade, where it
    answers "database is locked" at once instead of waiting (``busy_timeout`` cannot help
    in a deadlock); a short wait and a retry can. Once in WAL mode the pragma takes no lock.
    """
    deadline = time.monotonic() + patience
    pause = 0.01
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


class _ProbeDone(Exception):
    """Rolls back :meth:`Archive.probe_write`."""


class Archive(SchemaMixin, ArticlesMixin, RunsMixin, CapturesMixin, QueriesMixin, StoriesMixin):
    """An open archive. Use as a context manager or call :meth:`close`.

    This class opens the file and owns the write transaction; its other methods come
    from the modules of this package (schema, articles, runs, captures, queries, stories).
    A reader opens an existing archive with :meth:`open`; ``Archive(path)`` is the
    writer's door, and makes a new empty archive where there is none.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, readonly: bool = False):
        self.path = resolve_db_path(path)
        self.readonly = readonly
        try:
            if readonly:
                if not self.path.exists():
                    raise ArchiveError(f"no archive at {self.path}")
                # On a read-only file system SQLite cannot make the WAL's -shm file; nobody can
                # write there either, so the file may be read as immutable (searches, runs still
                # work). Transactions still only in a -wal file left there are not seen.
                immutable = "&immutable=1" if _read_only_fs(self.path) else ""
                conn = sqlite3.connect(f"file:{self.path}?mode=ro{immutable}", uri=True, timeout=30)
            else:
                conn = sqlite3.connect(self.path, timeout=30)
            self.db = sqlite_utils.Database(conn)
            self.db.execute("PRAGMA busy_timeout = 30000")
            if not readonly:
                _enter_wal(conn)
                self.db.execute("PRAGMA synchronous = NORMAL")
                self.db.execute("PRAGMA foreign_keys = ON")
                self.migrate()
            elif self.schema_version() > SCHEMA_VERSION:
                raise ArchiveError(self._too_new_message())
        except sqlite3.Error as error:
            if readonly and getattr(error, "sqlite_errorname", "") == "SQLITE_READONLY_ROLLBACK":
                # A process died mid-transaction before the archive was in WAL mode (its first
                # moments): a read-only connection may not roll the -journal back. Not a read-only archive.
                raise ArchiveError(
                    f"archive {self.path} holds a transaction of a process that died (its -journal file); "
                    "the next crawl, or any command that writes, rolls it back"
                ) from error
            raise storage_error(self.path, error) or ArchiveError(
                f"cannot open archive {self.path}: {error}"
            ) from error

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, write: bool = False) -> Archive:
        """The archive at ``path`` (default: ``$NEWSARCHIVE_DB``, else ``archive.db``), for
        reading: a notebook cannot change it by mistake, and reads while a crawl writes
        (WAL). ``write=True`` opens it for writing (and applies pending migrations).

        A missing file raises :class:`ArchiveError` rather than making an empty archive
        (``Archive(path)`` would: a typo would then read as an archive with no articles).

        >>> archive = Archive.open("archive.db")
        >>> archive
        <Archive archive.db, read-only: 3 articles>
        >>> Archive.open("no-such.db")
        Traceback (most recent call last):
        ...
        newsarchive.archive.errors.ArchiveError: no archive at no-such.db (newsarchive demo, or a crawl, makes one)
        """
        resolved = resolve_db_path(path)
        if not resolved.is_file():
            raise ArchiveError(f"no archive at {resolved} (newsarchive demo, or a crawl, makes one)")
        return cls(resolved, readonly=not write)

    def __repr__(self) -> str:
        mode = "read-only" if self.readonly else "read-write"
        try:
            return f"<Archive {self.path}, {mode}: {self.count()} articles>"
        except sqlite3.Error:  # closed, or damaged: a repr never raises
            return f"<Archive {self.path}, {mode}, not readable>"

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._close_kept_shingles()
        self.db.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction, started with ``BEGIN IMMEDIATE``.

        A plain ``BEGIN`` takes the write lock only at the first write; if
        another process (a second spider, an ingester) wrote in between, SQLite
        fails at once with "database is locked" instead of waiting. Taking the
        lock up front lets ``busy_timeout`` make concurrent writers wait their
        turn. Nested blocks become savepoints.

        A full disk, a read-only file system or an I/O error raises
        :class:`ArchiveWriteError` after the rollback: the transaction left no
        trace, and the caller gets a message instead of a bare ``sqlite3`` error.
        """
        if self.db.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self.db.conn.in_transaction:
                    self.db.conn.execute("ROLLBACK")
                raise
            self.db.conn.execute("COMMIT")
        except sqlite3.Error as error:
            if self.db.conn.in_transaction:  # a failed COMMIT leaves the transaction open
                self.db.conn.execute("ROLLBACK")
            problem = storage_error(self.path, error)
            if problem is None:
                raise
            raise problem from error

    def probe_write(self) -> None:
        """Raise :class:`ArchiveWriteError` unless the archive takes writes: rewrites the
        schema version with its own value and rolls back, so nothing changes. A file that
        only its owner may write, opened by root, is writable; root is refused only by a
        read-only file system, which is the case this sees."""
        with contextlib.suppress(_ProbeDone), self.write():
            self.db.execute(f"PRAGMA user_version = {self.schema_version()}")
            raise _ProbeDone

    def stats(self) -> dict[str, Any]:
        """Articles per source with their date range, and the last crawl run."""
        per_source = list(
            self.db.query(
                "select source, count(*) as articles, min(published_at) as oldest, "
                "max(published_at) as newest, max(last_fetched_at) as last_fetched "
                "from articles group by source order by source"
            )
        )
        last = next(iter(self.runs(1)), None)
        return {
            "path": str(self.path),
            "schema_version": self.schema_version(),
            "sources": per_source,
            "last_run": last,
        }

    def integrity_check(self) -> str:
        result: str = self.db.execute("PRAGMA integrity_check").fetchone()[0]
        return result

    def damage(self) -> str | None:
        """None when the file is sound, else what ``PRAGMA quick_check`` found (see :func:`quick_check`)."""
        return quick_check(self.path)
