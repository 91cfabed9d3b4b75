"""One run per spider per archive: an advisory file lock beside the archive.

``fcntl.flock`` locks are released by the kernel when the process dies, even
by SIGKILL, so a killed run never leaves a stale lock behind; its
``crawl_runs`` row, still ``running``, is marked ``killed`` by the next run.

The lock file is removed on release, so no ``.lock`` files pile up beside the archive
(a killed run's file stays until the next run of that name releases it). Removing it
is safe because the holder unlinks it *before* unlocking, and a process that got the
lock checks that the path still names the file it locked: one that opened the file
just before it was unlinked would otherwise hold a lock on an orphan while the next
process creates and locks a new file; it sees the path changed and tries again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path


class RunLocked(RuntimeError):
    """Another run of the same spider holds the archive; ``holder`` is its pid as it wrote it."""

    def __init__(self, message: str, holder: str = "?"):
        super().__init__(message)
        self.holder = holder


class RunLock:
    def __init__(self, db_path: str | os.PathLike, spider: str):
        self.path = Path(f"{db_path}.{spider}.lock")
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
                os.close(fd)
                raise RunLocked(
                    f"another {self.path.name.rsplit('.', 2)[-2]} run (pid {holder}) is using this archive "
                    f"({self.path}); not starting",
                    holder,
                ) from None
            if self._names(fd):
                break
            os.close(fd)  # a released file, unlinked after we opened it: lock the one there now
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def _names(self, fd: int) -> bool:
        """Whether :attr:`path` still names the file open as ``fd``."""
        try:
            named = os.stat(self.path)
        except FileNotFoundError:
            return False
        held = os.fstat(fd)
        return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        if self._fd is not None:
            # Unlinked while still locked: whoever locks this file next sees it is no longer the path's.
            with contextlib.suppress(OSError):
                if self._names(self._fd):
                    self.path.unlink()
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


#: The lock name of work that holds the whole archive for long (``newsarchive reindex``).
MAINTENANCE = "reindex"


def maintenance_holder(db_path: str | os.PathLike) -> str | None:
    """The pid of a ``newsarchive reindex`` holding the archive at ``db_path``, else None.

    A crawl asks before it starts, so it says at once why it cannot run instead of
    waiting for SQLite's busy timeout and failing as if the disk were read-only."""
    path = Path(f"{db_path}.{MAINTENANCE}.lock")
    if not path.exists():
        return None
    try:
        RunLock(db_path, MAINTENANCE).acquire().release()
    except RunLocked as locked:
        return locked.holder  # read when refused: the file is gone once the holder releases it
    return None


class SpaceReserve:
    """Room on the archive's file system held for the whole run, and given back just before
    the run's end is recorded, so a crawl stopped by a full disk can still say so in
    ``crawl_runs`` (its status and problems need a few WAL pages that a full disk no longer
    has). At most :data:`MAX_BYTES`, and never more than a quarter of what is free."""

    MAX_BYTES = 256 * 1024

    def __init__(self, db_path: str | os.PathLike, spider: str):
        self.path = Path(f"{db_path}.{spider}.reserve")

    def hold(self) -> None:
        try:
            free = os.statvfs(self.path.parent)
            size = min(self.MAX_BYTES, free.f_bavail * free.f_frsize // 4)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                if size:
                    os.posix_fallocate(fd, 0, size)
            finally:
                os.close(fd)
        except OSError:
            self.release()  # no room even for that: the run goes on without a reserve

    def release(self) -> None:
        self.path.unlink(missing_ok=True)
