"""One run per spider per archive: an advisory file lock beside the archive.

``fcntl.flock`` locks are released by the kernel when the process dies, even
by SIGKILL, so a killed run never leaves a stale lock behind; its
``crawl_runs`` row, still ``running``, is marked ``killed`` by the next run.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class RunLocked(RuntimeError):
    """Another run of the same spider holds the archive."""


class RunLock:
    def __init__(self, db_path: str | os.PathLike, spider: str):
        self.path = Path(f"{db_path}.{spider}.lock")
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise RunLocked(
                f"another {self.path.name.rsplit('.', 2)[-2]} run (pid {holder}) is using this archive "
                f"({self.path}); not starting"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        if self._fd is not None:
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
    except RunLocked:
        return path.read_text(errors="replace").strip() or "?"
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
