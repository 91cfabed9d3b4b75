"""Where an export writes: file names, and the checks that keep every write in its place.

The data file is named by the caller or, by default, after what it holds
(:func:`default_name`, under ``datasets/``); its manifest, datasheet and chart go
beside it (:func:`outputs_for`). Only a regular file (kept unless ``force``) or a new
name in an existing folder is ever written: a symlink, device, FIFO, socket or
directory is refused (:class:`UnsafeDestination`), as is the archive itself, before
anything is written and again just before the renames. Only the default folder is
created. Everything is first written to a temporary file beside its final name
(:func:`temp_path`) and renamed at the end.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from newsarchive.archive import ArticleFilter
from newsarchive.export.errors import DestinationExists, ExportError, UnsafeDestination

DEFAULT_DIR = Path("datasets")
FORMATS = ("jsonl", "json", "parquet")
SUFFIXES = {"jsonl": ".jsonl", "json": ".json", "parquet": ".parquet"}
#: The data goes to stdout, for a pipe; no side files.
STDOUT = "-"


def _slug(text: str, limit: int = 40) -> str:
    """``text`` as a piece of a file name: runs of other characters than letters, digits,
    ``_`` and ZWNJ become one ``-``."""
    return re.sub(r"[^\w\u200c]+", "-", text).strip("-")[:limit].strip("-") or "x"


def default_name(filters: ArticleFilter, summary: dict[str, Any], exported: datetime) -> str:
    """``<sources>_<first day>_<last day>[_<filters>]_exported-<day>`` (UTC days of ``published_at``)."""
    parts = ["+".join(_slug(s) for s in sorted(set(filters.sources))) if filters.sources else "all"]
    if summary.get("articles"):
        parts += [summary["first"][:10], summary["last"][:10]]
    else:
        parts.append("empty")
    for label, values in (("category", filters.categories), ("tag", filters.tags)):
        parts += [f"{label}-{_slug(value)}" for value in values]
    if filters.query:
        parts.append(f"query-{_slug(filters.query)}")
    parts.append(f"exported-{exported:%Y-%m-%d}")
    return "_".join(parts)


def split_name(path: Path) -> tuple[str, str | None, bool]:
    """(name without data suffixes, format the suffix says or None, gzipped?)."""
    name = path.name
    gzipped = name.endswith(".gz")
    if gzipped:
        name = name[:-3]
    for fmt, suffix in SUFFIXES.items():
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], fmt, gzipped
    return name, None, gzipped


@dataclass(frozen=True)
class Outputs:
    """The four files of an export: the data file and, beside it, its side files."""

    data: Path
    manifest: Path
    datasheet: Path
    chart: Path

    def all(self) -> tuple[Path, ...]:
        return (self.data, self.manifest, self.datasheet, self.chart)


def outputs_for(data: Path) -> Outputs:
    """``NAME.manifest.json``, ``NAME.md`` and ``NAME.svg`` beside the data file ``NAME.jsonl[.gz]``."""
    name = split_name(data)[0]
    return Outputs(
        data,
        data.with_name(f"{name}.manifest.json"),
        data.with_name(f"{name}.md"),
        data.with_name(f"{name}.svg"),
    )


_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def special_kind(path: Path) -> str | None:
    """What is at ``path`` (not following a symlink) when it is neither nothing nor a regular file."""
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):  # a new name (a missing folder is checked apart)
        return None
    if stat.S_ISREG(mode):
        return None
    return next((kind for is_kind, kind in _KINDS if is_kind(mode)), "not a regular file")


def check_outputs(outputs: Outputs, *, archive_path: Path, force: bool, create_parent: bool) -> None:
    """Refuse unsafe destinations (see the module docstring); create the default folder
    (``create_parent``)."""
    data = outputs.data
    if data.is_dir():
        raise ExportError(f"{data} is a directory; give a file name, e.g. {Path(data, 'articles.jsonl')}")
    archive_files = {Path(f"{archive_path}{suffix}").resolve() for suffix in ("", "-wal", "-shm", "-journal")}
    for path in outputs.all():
        if path.resolve() in archive_files or (
            archive_path.exists() and path.exists() and os.path.samefile(path, archive_path)
        ):
            raise ExportError(f"refusing to write {path}: it is the archive being exported")
        kind = special_kind(path)
        if kind:
            raise UnsafeDestination(path, kind, data=path == data)
    parent = data.parent
    if not parent.is_dir():
        if parent.exists():
            raise ExportError(f"{parent} is not a folder")
        if not create_parent:
            raise ExportError(f"folder {parent} does not exist; create it first")
        parent.mkdir(parents=True, exist_ok=True)
    existing = [path for path in outputs.all() if path.exists()]
    if existing and not force:
        raise DestinationExists(existing[0], len(existing) - 1)


def temp_path(final: Path) -> Path:
    """A new empty file beside ``final``, for writing what is renamed to ``final`` at the end."""
    handle, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(handle)
    return Path(name)
