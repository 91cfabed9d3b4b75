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

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
