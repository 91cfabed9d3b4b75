"""Where an export writes: file names, and the checks that keep every write in its place.

The data file is named by the caller or, by default, after what it holds
(:func:`default_name`, under ``datasets/``); its name ends in its format's extension
(``.jsonl``, ``.json``, ``.csv``, ``.parquet``, then ``.gz`` when gzipped: :func:`split_name`).
Its side files are named after the whole data file name (:func:`outputs_for`):
``NAME.jsonl.manifest.json``, ``NAME.jsonl.datasheet.md`` and ``NAME.jsonl.chart.svg``, so
two exports that differ only in format or compression never share a side file, and
``--force`` replaces only the files of the export being written. Only a regular file
(kept unless ``force``) or a new name in an existing folder is ever written: a symlink,
device, FIFO, socket or directory is refused (:class:`UnsafeDestination`), as is the
archive itself, before anything is written and again just before the renames. Only the
default folder is created. Everything is first written to a temporary file beside its
final name (:func:`temp_path`) and renamed at the end.
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
FORMATS = ("jsonl", "json", "csv", "parquet")
SUFFIXES = {fmt: f".{fmt}" for fmt in FORMATS}
#: What follows the data file's name in each side file's name.
SIDE_SUFFIXES = {"manifest": ".manifest.json", "datasheet": ".datasheet.md", "chart": ".chart.svg"}
#: The data goes to stdout, for a pipe; no side files.
STDOUT = "-"


def _slug(text: str, limit: int = 40) -> str:
    """``text`` as a piece of a file name: runs of other characters than letters, digits,
    ``_`` and ZWNJ become one ``-``."""
    return re.sub(r"[^\w\u200c]+", "-", text).strip("-")[:limit].strip("-") or "x"


def default_name(
    filters: ArticleFilter,
    summary: dict[str, Any],
    exported: datetime,
    *,
    with_versions: bool = False,
    one_per_story: bool = False,
) -> str:
    """``<sources>_<first day>_<last day>[_<filters>][_with-versions][_one-per-story]_exported-<day>``
    (UTC days of ``published_at``): two exports that hold different things get different names."""
    parts = ["+".join(_slug(s) for s in sorted(set(filters.sources))) if filters.sources else "all"]
    if summary.get("articles"):
        parts += [summary["first"][:10], summary["last"][:10]]
    else:
        parts.append("empty")
    for label, values in (("category", filters.categories), ("tag", filters.tags)):
        parts += [f"{label}-{_slug(value)}" for value in values]
    if filters.query:
        parts.append(f"query-{_slug(filters.query)}")
    if with_versions:
        parts.append("with-versions")
    if one_per_story:
        parts.append("one-per-story")
    parts.append(f"exported-{exported:%Y-%m-%d}")
    return "_".join(parts)


def split_name(path: Path) -> tuple[str, str | None, bool]:
    """(name without data suffixes, format the suffix says or None, gzipped?); suffixes in
    any case (``E.CSV`` is a CSV file)."""
    name = path.name
    gzipped = name.lower().endswith(".gz")
    if gzipped:
        name = name[:-3]
    for fmt, suffix in SUFFIXES.items():
        if name.lower().endswith(suffix) and len(name) > len(suffix):
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
    """The side files of the data file ``NAME.jsonl[.gz]``: its whole name followed by
    ``.manifest.json``, ``.datasheet.md`` and ``.chart.svg``, beside it."""
    side = {kind: data.with_name(data.name + suffix) for kind, suffix in SIDE_SUFFIXES.items()}
    return Outputs(data, side["manifest"], side["datasheet"], side["chart"])


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
        if len(os.fsencode(path.name)) + _TEMP_EXTRA > _NAME_MAX:
            raise ExportError(
                f"{path.name} is too long for a file name; choose a shorter name for {data.name}"
            )
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


#: The longest file name most file systems take, in bytes; a temporary name adds up to
#: ``_TEMP_EXTRA`` bytes to its final name (:func:`temp_path`).
_NAME_MAX = 255
_TEMP_EXTRA = 14


def temp_path(final: Path) -> Path:
    """A new empty file beside ``final``, for writing what is renamed to ``final`` at the end."""
    handle, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(handle)
    return Path(name)
