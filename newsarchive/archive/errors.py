"""What can be wrong with the archive file, and where it is.

The errors the archive raises (:class:`ArchiveError` and its subclasses), and the
checks that turn a bare ``sqlite3`` error into one a person can act on (a full disk,
a read-only file system, a damaged file, a lock held by another process). Kept apart
from the SQL so that commands can name these errors without opening anything.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

DEFAULT_DB = "archive.db"


class ArchiveError(RuntimeError):
    """The archive cannot be opened or written (read-only, full disk, newer schema)."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Raised in the archive's writer process (newsarchive.writer) and re-raised in the
        # crawl's: pickle rebuilds it with its message and attributes, whatever the
        # subclass's __init__ takes.
        return (_rebuild_error, (type(self), self.args, self.__dict__))


def _rebuild_error(kind: type[ArchiveError], args: tuple[Any, ...], state: dict[str, Any]) -> ArchiveError:
    error = kind.__new__(kind)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ArchiveWriteError(ArchiveError):
    """The storage under the archive refuses writes: ``reason`` is ``disk-full``,
    ``read-only`` or ``io-error``. Retrying cannot help until a person acts, so a
    crawl stops at the first one (see ``StoragePipeline``) instead of failing every item."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


class ArchiveDamaged(ArchiveWriteError):
    """The archive file is corrupt (``PRAGMA quick_check`` fails): restore it from a backup."""

    def __init__(self, path: str | os.PathLike[str], found: str):
        super().__init__(
            f"archive {path} is damaged (PRAGMA quick_check: {found}); nothing more is read or written. "
            "Restore it from a backup, or recover what is readable with `sqlite3 FILE .recover`",
            "damaged",
        )


class ArchiveBusy(ArchiveWriteError):
    """Another process holds the archive's write lock for longer than ``busy_timeout`` (a
    ``newsarchive reindex`` rebuilding the index): waiting more is the only remedy."""

    def __init__(self, message: str):
        super().__init__(message, "busy")


def quick_check(path: str | os.PathLike[str]) -> str | None:
    """None when ``PRAGMA quick_check`` finds the file at ``path`` sound, else what it found.

    A damaged page makes queries fail with a bare ``sqlite3.DatabaseError`` at the first
    read that touches it (or, for a page no query reads, never); this finds it up front.
    A file that cannot be checked here (locked, or not openable: a read-only file system
    without its WAL index) is not called damaged: opening it for real says what it is."""
    immutable = "&immutable=1" if _read_only_fs(Path(path)) else ""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro{immutable}", uri=True, timeout=30)
        try:
            rows = [row[0] for row in conn.execute("PRAGMA quick_check(5)").fetchall()]
        finally:
            conn.close()
    except sqlite3.OperationalError as error:
        return str(error) if "malformed" in str(error) or "decode to UTF-8" in str(error) else None
    except sqlite3.DatabaseError as error:
        return str(error)
    return None if rows == ["ok"] else "; ".join(" ".join(row.split()) for row in rows)


def damaged_archive(path: str | os.PathLike[str] | None, error: Exception) -> ArchiveDamaged | None:
    """An :class:`ArchiveDamaged` naming the damage when ``error`` came from a corrupt file
    at ``path``, else None (the error is something else: a bug, a lock, a full disk)."""
    # A lock, a full disk or a missing table is an OperationalError; damage is a plain DatabaseError,
    # or text that is not UTF-8 (the archive only ever writes UTF-8).
    if not isinstance(error, sqlite3.DatabaseError) or (
        isinstance(error, sqlite3.OperationalError)
        and "malformed" not in str(error)
        and "decode to UTF-8" not in str(error)
    ):
        return None
    found = quick_check(resolve_db_path(path))
    return ArchiveDamaged(resolve_db_path(path), found) if found else None


def _read_only_fs(path: Path) -> bool:
    """True when the file system holding ``path`` (or its folder) is mounted read-only."""
    for candidate in (path, path.parent):
        try:
            return bool(os.statvfs(candidate).f_flag & os.ST_RDONLY)
        except OSError:
            continue
    return False


def storage_error(path: Path, error: sqlite3.Error) -> ArchiveWriteError | None:
    """``error`` as an :class:`ArchiveWriteError` with a message a person can act on, when it
    comes from the storage (full, read-only, I/O, damaged, locked by another process for
    longer than ``busy_timeout``); None for anything else (a bug, a constraint).

    SQLite says "unable to open database file" both for a missing folder and for a
    read-only file system (WAL needs its ``-shm`` file), so the file system is asked too.
    """
    name = getattr(error, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_FULL"):
        return ArchiveWriteError(
            f"the disk holding archive {path} is full ({error}); free space and run again", "disk-full"
        )
    if name.startswith("SQLITE_READONLY") or (name.startswith("SQLITE_CANTOPEN") and _read_only_fs(path)):
        where = "is on a read-only file system" if _read_only_fs(path) else "is read-only"
        return ArchiveWriteError(f"archive {path} {where} ({error}); nothing can be stored", "read-only")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return ArchiveDamaged(path, quick_check(path) or str(error))
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return ArchiveBusy(
            f"archive {path} stayed locked by another process (a `newsarchive reindex`?) "
            f"for longer than the 30 s this process waits ({error}); run again when it has ended"
        )
    if name.startswith("SQLITE_IOERR"):
        return ArchiveWriteError(f"cannot write archive {path}: I/O error ({error})", "io-error")
    return None


def resolve_db_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The archive path: the argument, else ``$NEWSARCHIVE_DB``, else ``archive.db``."""
    return Path(path or os.environ.get("NEWSARCHIVE_DB") or DEFAULT_DB)
