"""Datasets for researchers: streaming exports that load anywhere and explain themselves.

:func:`export` writes the filtered articles of an archive as JSON Lines, a JSON
array or Parquet, and beside the data file ``<name>.manifest.json`` (machine
readable: the command, archive schema version, counts per source and month,
field descriptions, SHA-256 of the data file), ``<name>.md`` (the same for
people: a datasheet) and ``<name>.svg`` (articles per month per source, drawn by
:func:`chart_svg`, which ``newsarchive stats --chart`` uses for a whole archive).

Properties the tests hold it to:

* Streaming: rows come from a cursor (:meth:`Archive.iter_export_rows`) and are
  written as they come; counts and the SHA-256 are computed on the way, so
  memory does not grow with the archive. Large exports use two forked encoder
  processes (:func:`_write_parallel`) that read and encode batches of rows in
  the order this process sorted them; the bytes are the same as in one process,
  and if the archive changed meanwhile the export is written again in one pass.
  A writer thread gzips, hashes and writes.
* Deterministic: the same archive and arguments give byte-identical data files
  (rows ordered by ``published_at`` then ``url``, no timestamps in the data,
  gzip with mtime 0 and no file name). Only the sidecars record when.
* Atomic: everything is written to temporary files in the destination folder
  and renamed (``os.replace``) at the end; on any error or Ctrl-C the temporary
  files are removed and no file exists under a final name that was not there
  before.
* Careful with paths: only a regular file (kept unless ``force``) or a new
  name in an existing folder is ever written, for the data file and for each
  side file, checked before anything is written and again just before the
  renames: a symlink, device, FIFO, socket or directory is refused
  (:class:`UnsafeDestination`), as is the archive itself. Only the default
  ``datasets/`` folder is created. ``out="-"`` streams JSON Lines or JSON to
  stdout instead, without side files.

No SQL here: the archive module reads; this module writes files.
"""

from __future__ import annotations

import gzip as gzip_module
import hashlib
import inspect
import json
import os
import queue
import re
import stat
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from newsarchive import __version__
from newsarchive.archive import Archive, ArticleFilter
from newsarchive.export.errors import ExportError
from newsarchive.export.fields import (
    FIELDS, choose_fields, columns_for, jalali_slashes, record_builder, separator_check,
)
from newsarchive.persian import normalize

DEFAULT_DIR = Path("datasets")
FORMATS = ("jsonl", "json", "parquet")
#: ``--out -``: the data goes to stdout, for a pipe; no side files.
STDOUT = "-"
SUFFIXES = {"jsonl": ".jsonl", "json": ".json", "parquet": ".parquet"}


NORMALIZATION_SUMMARY = (
    "Titles, leads, bodies, author names, categories and tags are stored in the *display form* made by "
    "`newsarchive.persian.normalize` when the article was crawled: the author's spelling with canonical "
    "code points. Arabic kaf/yeh become Persian ک/ی and Arabic-Indic digits Persian digits, presentation "
    "forms become base letters, kashida (tatweel) and invisible marks (zero-width space, bidi controls, "
    "BOM) are removed, half-space marks between letters become ZWNJ (U+200C), and whitespace is reduced to "
    "single spaces with at most one blank line between paragraphs. ZWNJ inside words, Persian and Latin "
    "digits and punctuation stay as written, so Latin tokens such as `iOS 17.2` survive. This is not the "
    "folded search form: no letters are folded, no diacritics removed, no ZWNJ dropped."
)
TERMS = (
    "The articles are the work of their publishers and authors; copyright stays with them. This dataset "
    "is a research copy for text and data analysis (search, statistics, linguistics), not for "
    "republication: quote within fair use and cite and link the original article (every record has its "
    "`url`). Respect each site's terms of use, linked below, and honour takedown requests "
    "(`newsarchive` can delete an article from the archive; export again)."
)


# --- names ---------------------------------------------------------------------


def _slug(text: str, limit: int = 40) -> str:
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
    data: Path
    manifest: Path
    datasheet: Path
    chart: Path

    def all(self) -> tuple[Path, ...]:
        return (self.data, self.manifest, self.datasheet, self.chart)


def outputs_for(data: Path) -> Outputs:
    name = split_name(data)[0]
    return Outputs(data, data.with_name(f"{name}.manifest.json"), data.with_name(f"{name}.md"),
                   data.with_name(f"{name}.svg"))


class UnsafeDestination(ExportError):
    """Something other than a regular file is at a destination: ``os.replace`` would turn a
    device, FIFO or socket into a plain file, and a symlink rather than its target."""

    def __init__(self, path: Path, kind: str, *, data: bool = False):
        hint = "; to send the data into a pipe, use --out -" if data and kind != "a directory" else ""
        super().__init__(f"refusing to write {path}: it is {kind}, and export writes only regular files "
                         f"or new names in an existing folder{hint}")
        self.path = path
        self.kind = kind


_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


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
    """Refuse unsafe destinations (see the module docstring); create the default folder."""
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
        others = f" (and {len(existing) - 1} of its manifest/datasheet/chart)" if len(existing) > 1 else ""
        raise ExportError(f"{existing[0]} already exists{others}; use --force to overwrite")


# --- writers ------------------------------------------------------------------


class _HashingSink:
    """A binary file wrapper that hashes and counts what passes through."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.bytes += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


#: gzip level: 3 compresses ~2.5x faster than 6 (the gzip default) for files a few % larger.
GZIP_LEVEL = 3


class _BackgroundSink:
    """Compress (gzip), hash and write byte chunks on a second thread.

    zlib, hashlib (on chunks over 2 KiB) and file writes release the GIL, so that work
    runs on another core while the main thread reads and encodes rows. The queue holds
    at most ``DEPTH`` chunks, so memory stays bounded whatever the export's size.
    """

    DEPTH = 4

    def __init__(self, raw: IO[bytes], *, gzipped: bool):
        self.sink = _HashingSink(raw)
        self.out: Any = (
            gzip_module.GzipFile(filename="", mode="wb", fileobj=self.sink, mtime=0, compresslevel=GZIP_LEVEL)
            if gzipped else self.sink
        )
        self.queue: queue.Queue[bytes | None] = queue.Queue(self.DEPTH)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="newsarchive-export-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while (chunk := self.queue.get()) is not None:
                self.out.write(chunk)
            if self.out is not self.sink:
                self.out.close()  # the gzip trailer; the file itself stays open
        except BaseException as error:  # handed to the main thread at its next write or close
            self.error = error
            while self.queue.get() is not None:  # keep taking chunks so the main thread never blocks
                pass

    def write(self, chunk: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(chunk)

    def close(self) -> tuple[str, int]:
        """Finish writing; (SHA-256, bytes) of what reached the file."""
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.sink.sha256.hexdigest(), self.sink.bytes

    def abort(self) -> None:
        """Stop the thread after a failure elsewhere (the file is thrown away)."""
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()


try:  # orjson is ~2x faster; both give the same bytes (tests/test_export.py checks that)
    import orjson

    def dumps(record: dict[str, Any]) -> bytes:
        """A record as compact UTF-8 JSON: characters, not ``\\uXXXX`` escapes."""
        return orjson.dumps(record)

except ImportError:  # pragma: no cover - orjson is a dependency; this keeps odd platforms working
    _ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

    def dumps(record: dict[str, Any]) -> bytes:
        """A record as compact UTF-8 JSON: characters, not ``\\uXXXX`` escapes."""
        return _ENCODER.encode(record).encode("utf-8")


#: U+2028/U+2029 are line breaks to str.splitlines() and some JSON Lines readers:
#: they stay escaped. In this output they can only occur inside strings. Searching
#: UTF-8 bytes for them is slow, so rows are checked as text (:func:`separator_check`).
_LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


class _JsonWriter:
    """JSON Lines or one JSON array, UTF-8 as characters, optionally gzipped (mtime 0, no name)."""

    BUFFER_BYTES = 1 << 21

    def __init__(self, raw: IO[bytes], *, fmt: str, gzipped: bool):
        self.out = _BackgroundSink(raw, gzipped=gzipped)
        self.array = fmt == "json"
        self.pending: list[bytes] = [b"["] if self.array else []
        self.pending_bytes = 0
        self.count = 0

    @staticmethod
    def encode(record: dict[str, Any], *, line_separators: bool = True) -> bytes:
        """One record as a JSON line; ``line_separators=False`` promises no U+2028/U+2029."""
        line = dumps(record)
        if line_separators:
            for raw, escaped in _LINE_SEPARATORS:
                line = line.replace(raw, escaped)
        return line

    def write(self, record: dict[str, Any], *, line_separators: bool = True) -> None:
        self.write_line(self.encode(record, line_separators=line_separators))

    def write_line(self, line: bytes) -> None:
        """Add a record already encoded by :meth:`encode`."""
        if self.array:
            self.pending.append(b",\n" if self.count else b"\n")
            self.pending.append(line)
        else:
            self.pending.append(line)
            self.pending.append(b"\n")
        self.count += 1
        self.pending_bytes += len(line)
        if self.pending_bytes >= self.BUFFER_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.out.write(b"".join(self.pending))
            self.pending = []
            self.pending_bytes = 0

    def close(self) -> tuple[str, int]:
        if self.array:
            self.pending.append(b"\n]\n" if self.count else b"]\n")
        self._flush()
        return self.out.close()

    def abort(self) -> None:
        self.out.abort()


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as error:
        raise ExportError(
            "Parquet export needs pyarrow, which is not installed: "
            "pip install 'newsarchive[parquet]' (or pip install pyarrow), or use --format jsonl"
        ) from error
    return pyarrow, pyarrow.parquet


class _ParquetWriter:
    """Parquet through pyarrow, in row groups of ``ROWS`` (zstd-compressed columns)."""

    ROWS = 4096

    def __init__(self, path: Path, fields: tuple[str, ...]):
        pa, pq = _pyarrow()
        version = pa.struct([(name, pa.string()) for name in
                             ("title", "lead", "body", "content_hash", "fetched_at", "replaced_at")])
        types = {"string": pa.string(), "strings": pa.list_(pa.string()), "int": pa.int64(),
                 "bool": pa.bool_(), "versions": pa.list_(version)}
        self.pa = pa
        self.path = path
        self.schema = pa.schema([pa.field(name, types[FIELDS[name].arrow]) for name in fields])
        self.writer = pq.ParquetWriter(str(path), self.schema, compression="zstd")
        self.rows: list[dict[str, Any]] = []

    def write(self, record: dict[str, Any], *, line_separators: bool = False) -> None:
        self.rows.append(record)  # Parquet strings need no escaping
        if len(self.rows) >= self.ROWS:
            self._flush()

    def _flush(self) -> None:
        if self.rows:
            self.writer.write_table(self.pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def close(self) -> tuple[str, int]:
        self._flush()
        self.writer.close()
        return sha256_file(self.path), self.path.stat().st_size

    def abort(self) -> None:
        self.writer.close()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# --- progress and tallies -------------------------------------------------------


class Progress:
    """A one-line progress bar on a terminal (``stream.isatty()``); silent otherwise."""

    def __init__(self, total: int, stream: IO[str] | None = None, *, every: float = 0.2):
        self.stream = sys.stderr if stream is None else stream
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total = max(total, 0)
        self.every = every
        self.started = self.last = time.monotonic()

    def update(self, done: int, *, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not final and now - self.last < self.every:
            return
        self.last = now
        share = done / self.total if self.total else 1.0
        bar = "#" * int(share * 30)
        rate = done / max(now - self.started, 1e-9)
        self.stream.write(f"\rexport [{bar:<30}] {share:6.1%} {done:,}/{self.total:,} ({rate:,.0f}/s)")
        if final:
            self.stream.write("\n")
        self.stream.flush()


class Tally:
    """Counts kept while streaming: per source, per month (both calendars), field fill.

    Memory is one counter entry per (source, Gregorian month, Jalali month), whatever
    the number of records; the rows arrive ordered by ``published_at``.
    """

    def __init__(self, fields: tuple[str, ...]):
        self.fields = fields
        self.checked = tuple(name for name in fields if FIELDS[name].checked and name != "versions")
        self.with_versions = "versions" in fields
        self.months: Counter = Counter()
        self.filled: Counter = Counter()
        self.versions = 0
        self.first: dict[str, tuple[str, str | None]] = {}  # source → (published_at, published_jalali)
        self.last: dict[str, tuple[str, str | None]] = {}
        self.sites: dict[str, str | None] = {}

    def add(self, row: dict[str, Any]) -> None:
        """Count one archive row (raw columns: the record itself may be made elsewhere)."""
        self.add_key(row["source"], row["url"], row["published_at"], row["published_jalali"])
        self.add_fill(row)

    def add_key(self, source: str, url: str, published_at: str, jalali: str | None) -> None:
        self.months[source, published_at[:7], jalali[:7] if jalali else "unknown"] += 1
        self.last[source] = (published_at, jalali)
        if source not in self.first:
            self.first[source] = (published_at, jalali)
            parts = urlsplit(url)
            self.sites[source] = f"{parts.scheme}://{parts.hostname}/" if parts.scheme and parts.hostname else None

    def add_fill(self, row: dict[str, Any]) -> None:
        filled = self.filled
        for name in self.checked:  # text columns; JSON array columns hold "[]" when empty
            value = row[name]
            if value and value != "[]":
                filled[name] += 1
        if self.with_versions:
            versions = row["versions"]
            if versions and versions != "[]":
                filled["versions"] += 1
                self.versions += len(json.loads(versions))

    @property
    def records(self) -> int:
        return sum(self.months.values())

    def per_source(self) -> dict[str, int]:
        counts: Counter = Counter()
        for (source, _, _), count in self.months.items():
            counts[source] += count
        return dict(sorted(counts.items()))

    def coverage(self) -> tuple[tuple[str, str | None], tuple[str, str | None]] | None:
        """((published_at, published_jalali) of the first record, of the last) or None."""
        if not self.first:
            return None
        return min(self.first.values()), max(self.last.values())

    def non_empty(self, name: str) -> int:
        return self.filled[name] if FIELDS[name].checked else self.records

    def per_month(self, calendar: str) -> dict[str, dict[str, int]]:
        table: dict[str, Counter] = defaultdict(Counter)
        for (source, gregorian, jalali), count in self.months.items():
            table[source][gregorian if calendar == "gregorian" else jalali] += count
        return {source: dict(sorted(table[source].items())) for source in sorted(table)}


# --- the row loop: in this process, or with encoder processes -------------------------

#: From this many articles on, two forked processes read and encode batches of rows
#: while this one sorts, counts and writes (about 1.4x faster on two cores).
PARALLEL_MIN_ARTICLES = 20_000
PARALLEL_WORKERS = 2
_BATCH_ROWS = 512
_BATCHES_IN_FLIGHT = 2 * PARALLEL_WORKERS + 2  # bounds memory: batches out at once

_worker: dict[str, Any] = {}


def _fork_context() -> Any:
    """The fork start method where it is safe to use (Linux), else None."""
    if not sys.platform.startswith("linux"):
        return None
    import multiprocessing

    return multiprocessing.get_context("fork")


def _start_worker(db_path: str, spec: tuple) -> None:
    fields, columns, with_versions = spec
    _worker.update(
        archive=Archive(db_path, readonly=True), fields=fields, columns=columns, with_versions=with_versions,
        build=record_builder(fields), separators=separator_check(columns, with_versions=with_versions),
    )


def _encode_batch(rowids: list[int]) -> tuple[list[bytes], Counter, int]:
    """In an encoder process: the JSON lines of these rows, and their field fill counts."""
    rows = _worker["archive"].export_rows(rowids, columns=_worker["columns"], with_versions=_worker["with_versions"])
    build, separators = _worker["build"], _worker["separators"]
    tally = Tally(_worker["fields"])
    lines = []
    for row in rows:
        lines.append(_JsonWriter.encode(build(row), line_separators=separators(row)))
        tally.add_fill(row)
    return lines, tally.filled, tally.versions


def _write_serial(archive: Archive, filters: ArticleFilter, spec: tuple, writer: Any, tally: Tally,
                  bar: Progress) -> int:
    fields, columns, with_versions = spec
    build = record_builder(fields)
    separators = separator_check(columns, with_versions=with_versions)
    count = 0
    for row in archive.iter_export_rows(filters, columns=columns, with_versions=with_versions):
        writer.write(build(row), line_separators=separators(row))
        tally.add(row)
        count += 1
        if not count & 511:
            bar.update(count)
    return count


def _start_pool(archive: Archive, spec: tuple) -> Any:
    """Fork the encoder processes now, before this process starts any thread of its own."""
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(PARALLEL_WORKERS, mp_context=_fork_context(), initializer=_start_worker,
                               initargs=(str(archive.path), spec))
    pool.submit(int).result()  # with fork, the first task starts every process
    return pool


def _write_parallel(archive: Archive, filters: ArticleFilter, pool: Any, writer: Any, tally: Tally,
                    bar: Progress) -> int:
    """Sort and count here; read and encode batches in the pool's processes; write in order.

    At most ``_BATCHES_IN_FLIGHT`` batches are out at once, so memory stays bounded.
    The encoder processes read the archive through their own connections: the caller
    checks :meth:`Archive.data_version` to know that nothing was committed meanwhile.
    """
    from collections import deque

    pending: deque = deque()
    count = 0

    def write_oldest() -> None:
        lines, filled, versions = pending.popleft().result()
        for line in lines:
            writer.write_line(line)
        tally.filled.update(filled)
        tally.versions += versions

    for batch in archive.iter_export_keys(filters, batch_size=_BATCH_ROWS):
        for _, source, url, published_at, jalali in batch:
            tally.add_key(source, url, published_at, jalali)
        pending.append(pool.submit(_encode_batch, [key[0] for key in batch]))
        count += len(batch)
        if len(pending) >= _BATCHES_IN_FLIGHT:
            write_oldest()
        bar.update(count)
    while pending:
        write_oldest()
    return count


# --- the export -----------------------------------------------------------------


@dataclass
class ExportOptions:
    out: str | Path | None = None
    format: str | None = None  # jsonl | json | parquet; None: from --out, else jsonl
    gzip: bool = False
    filters: ArticleFilter = field(default_factory=ArticleFilter)
    fields: tuple[str, ...] | None = None
    with_versions: bool = False
    force: bool = False
    command: str = "newsarchive export"
    #: The --since/--until text as given, for the manifest.
    bounds: dict[str, str | None] = field(default_factory=dict)
    #: Encode in a second process: None decides by size (:data:`PARALLEL_MIN_ARTICLES`).
    parallel: bool | None = None


@dataclass
class ExportResult:
    outputs: Outputs | None  # None (and no manifest) when streamed to stdout
    records: int
    sha256: str
    bytes: int
    manifest: dict[str, Any] | None


def _resolve_format(options: ExportOptions) -> tuple[str, bool]:
    out_format, out_gzip = split_name(Path(options.out))[1:] if options.out else (None, False)
    fmt = options.format or out_format or "jsonl"
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if options.format and out_format and out_format != options.format:
        raise ExportError(f"--out {options.out} says {out_format} but --format is {options.format}")
    gzipped = options.gzip or out_gzip
    if fmt == "parquet" and gzipped:
        raise ExportError("Parquet files are compressed inside (zstd); drop --gzip")
    if options.out and str(options.out) != STDOUT and gzipped and not out_gzip:
        raise ExportError(f"--gzip given: name the file {Path(options.out).name}.gz")
    return fmt, gzipped


def _temp_path(final: Path) -> Path:
    handle, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(handle)
    return Path(name)


def _write_data(archive: Archive, filters: ArticleFilter, spec: tuple, fmt: str, gzipped: bool,
                target: Path | IO[bytes], bar: Progress, parallel: bool) -> tuple[int, Tally, str, int]:
    """Write the data to the file at ``target`` (truncated first), or to an open binary stream
    (JSON only; left open): (records, tally, SHA-256, bytes)."""
    fields = spec[0]
    tally = Tally(fields)
    owned = isinstance(target, Path)
    pool = _start_pool(archive, spec) if parallel else None
    try:
        if fmt == "parquet":
            writer: Any = _ParquetWriter(target, fields)
            raw = None
        else:
            raw = open(target, "wb") if owned else target
            writer = _JsonWriter(raw, fmt=fmt, gzipped=gzipped)
        try:
            if pool is not None:
                count = _write_parallel(archive, filters, pool, writer, tally, bar)
            else:
                count = _write_serial(archive, filters, spec, writer, tally, bar)
            sha256, size = writer.close()
            if raw is not None:
                raw.flush()
                if owned:
                    os.fsync(raw.fileno())
        except BaseException:
            writer.abort()
            raise
        finally:
            if raw is not None and owned:
                raw.close()
    except BaseException:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        raise
    if pool is not None:
        pool.shutdown()
    bar.update(count, final=True)
    return count, tally, sha256, size


def export(
    archive: Archive,
    options: ExportOptions,
    *,
    progress: IO[str] | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """Write the export described by ``options``; see the module docstring."""
    if options.out is not None and str(options.out).endswith(("/", os.sep)):
        raise ExportError(f"{options.out} is a directory; give a file name, e.g. {Path(options.out, 'articles.jsonl')}")
    fmt, gzipped = _resolve_format(options)
    fields = choose_fields(options.fields, with_versions=options.with_versions)
    with_versions = "versions" in fields
    streamed = options.out is not None and str(options.out) == STDOUT
    if fmt == "parquet" and streamed:
        raise ExportError("Parquet is not sent to stdout: give --out FILE.parquet (--out - streams JSON Lines or JSON)")
    if fmt == "parquet":
        _pyarrow()  # fail before anything is written
    filters = replace(
        options.filters,
        categories=tuple(normalize(value) for value in options.filters.categories),
        tags=tuple(normalize(value) for value in options.filters.tags),
    )
    now = now or datetime.now(UTC)
    summary = archive.export_summary(filters)
    spec = (fields, columns_for(fields), with_versions)
    if streamed:
        # One pass in this process: the encoder processes may need a second pass (below), and
        # what went down a pipe cannot be taken back.
        count, _, sha256, size = _write_data(archive, filters, spec, fmt, gzipped, sys.stdout.buffer,
                                             Progress(summary["articles"], progress), False)
        return ExportResult(outputs=None, records=count, sha256=sha256, bytes=size, manifest=None)
    if options.out is None:
        suffix = SUFFIXES[fmt] + (".gz" if gzipped else "")
        data_path = DEFAULT_DIR / (default_name(filters, summary, now) + suffix)
    else:
        data_path = Path(options.out)
    outputs = outputs_for(data_path)
    check_outputs(outputs, archive_path=archive.path, force=options.force, create_parent=options.out is None)

    temps: list[Path] = []
    try:
        data_temp = _temp_path(outputs.data)
        temps.append(data_temp)
        parallel = options.parallel
        if parallel is None:
            parallel = summary["articles"] >= PARALLEL_MIN_ARTICLES
        parallel = bool(parallel) and fmt != "parquet" and _fork_context() is not None
        before = archive.data_version()
        count, tally, sha256, size = _write_data(archive, filters, spec, fmt, gzipped, data_temp,
                                                 Progress(summary["articles"], progress), parallel)
        if parallel and archive.data_version() != before:
            # Another connection committed while the encoder processes read: their rows
            # may be newer than this process's snapshot. Write again, in one snapshot.
            count, tally, sha256, size = _write_data(archive, filters, spec, fmt, gzipped, data_temp,
                                                     Progress(summary["articles"], progress), False)

        manifest = build_manifest(
            archive=archive, options=options, fmt=fmt, gzipped=gzipped, fields=fields, filters=filters,
            tally=tally, outputs=outputs, sha256=sha256, size=size, generated=now,
        )
        chart = chart_svg(tally.per_month("gregorian"),
                          title=f"{outputs.data.name}: articles per month (Gregorian, UTC) per source")
        sidecars = {
            outputs.chart: chart,
            outputs.datasheet: datasheet(manifest),
            outputs.manifest: json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
        }
        ready: list[tuple[Path, Path]] = [(data_temp, outputs.data)]
        for final, text in sidecars.items():
            temp = _temp_path(final)
            temps.append(temp)
            temp.write_text(text, encoding="utf-8")
            ready.append((temp, final))
        # The export took a while: what is at the final names may have changed meanwhile.
        check_outputs(outputs, archive_path=archive.path, force=options.force, create_parent=False)
        for temp, final in ready:  # the data file first, the manifest (which vouches for it) last
            os.chmod(temp, 0o644)
            os.replace(temp, final)
            temps.remove(temp)
    except BaseException:
        for temp in temps:
            temp.unlink(missing_ok=True)
        raise
    return ExportResult(outputs=outputs, records=count, sha256=sha256, bytes=size, manifest=manifest)


# --- manifest and datasheet -----------------------------------------------------


def build_manifest(*, archive: Archive, options: ExportOptions, fmt: str, gzipped: bool,
                   fields: tuple[str, ...], filters: ArticleFilter, tally: Tally, outputs: Outputs,
                   sha256: str, size: int, generated: datetime) -> dict[str, Any]:
    """Everything a reader needs to trust and use the data file, as JSON."""
    coverage = tally.coverage()
    records = tally.records
    return {
        "name": split_name(outputs.data)[0],
        "data_file": {
            "file": outputs.data.name, "format": fmt, "compression": "gzip" if gzipped else
            ("zstd (inside Parquet)" if fmt == "parquet" else None),
            "encoding": "utf-8" if fmt != "parquet" else None, "bytes": size, "sha256": sha256,
        },
        "datasheet": outputs.datasheet.name,
        "chart": outputs.chart.name,
        "records": records,
        "earlier_versions": tally.versions if "versions" in fields else None,
        "command": options.command,
        "filters": {
            "sources": list(filters.sources), "since": options.bounds.get("since"), "until": options.bounds.get("until"),
            "published_at_from": filters.since, "published_at_before": filters.until,
            "categories": list(filters.categories), "tags": list(filters.tags), "query": filters.query,
        },
        "order": ["published_at", "url"],
        "generated_at": generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "newsarchive_version": __version__,
        "archive": {"file": archive.path.name, "schema_version": archive.schema_version()},
        "coverage": {
            "first_published_at": coverage and coverage[0][0],
            "last_published_at": coverage and coverage[1][0],
            "first_published_jalali": coverage and jalali_slashes(coverage[0][1]),
            "last_published_jalali": coverage and jalali_slashes(coverage[1][1]),
        },
        "per_source": {
            source: {
                "records": count,
                "first_published_at": tally.first[source][0],
                "last_published_at": tally.last[source][0],
                "first_published_jalali": jalali_slashes(tally.first[source][1]),
                "last_published_jalali": jalali_slashes(tally.last[source][1]),
                "site": tally.sites[source],
            }
            for source, count in tally.per_source().items()
        },
        "per_month": {
            "gregorian": tally.per_month("gregorian"),
            "jalali": tally.per_month("jalali"),
            "note": "Gregorian months of the UTC published_at; Jalali months of the Tehran published_jalali.",
        },
        "fields": [
            {"name": name, "type": FIELDS[name].type, "description": FIELDS[name].description,
             "non_empty": tally.non_empty(name)}
            for name in fields
        ],
        "normalization": {
            "summary": NORMALIZATION_SUMMARY,
            "normalize_docstring": inspect.cleandoc(normalize.__doc__ or ""),
        },
        "terms": {
            "note": TERMS,
            "sites": dict(sorted(tally.sites.items())),
        },
    }


_UTC_TIMES = ("published_at", "modified_at", "first_seen_at", "last_fetched_at")


def _hf_feature(name: str) -> str:
    """The ``datasets`` feature of a field, as Python source."""
    if name in _UTC_TIMES:
        return 'Value("timestamp[s, tz=UTC]")'
    kind = FIELDS[name].arrow
    if kind == "versions":
        version = ", ".join(
            f'"{key}": ' + ('Value("timestamp[s, tz=UTC]")' if key.endswith("_at") else 'Value("string")')
            for key in ("title", "lead", "body", "content_hash", "fetched_at", "replaced_at")
        )
        return "[{" + version + "}]"
    return {"string": 'Value("string")', "strings": '[Value("string")]', "int": 'Value("int64")',
            "bool": 'Value("bool")'}[kind]


def datasets_loading_code(fields: Iterable[str], data_file: str) -> str:
    """Python that loads a JSON export with Hugging Face ``datasets``, types given.

    Without ``features`` the JSON loader guesses each column's type from the first
    10 MB: a column empty there (``modified_at`` of old articles, say) and filled
    later makes loading fail, and UTC times become naive timestamps.
    """
    lines = [
        "import datasets",
        "from datasets import Features, Value",
        "",
        "# Types given, not guessed from the first 10 MB of the file (times are UTC instants).",
        "features = Features({",
        *(f'    "{name}": {_hf_feature(name)},' for name in fields),
        "})",
        f'ds = datasets.load_dataset("json", data_files="{data_file}", split="train", features=features)',
    ]
    return "\n".join(lines) + "\n"


def _md(text: Any) -> str:
    """A value for a Markdown table cell."""
    return str("—" if text is None else text).replace("|", "\\|").replace("\n", " ")


def _month_table(per_month: dict[str, dict[str, int]], label: str) -> list[str]:
    sources = sorted(per_month)
    months = sorted({month for counts in per_month.values() for month in counts})
    if not months:
        return ["(no articles)"]
    lines = [f"| {label} | " + " | ".join(map(_md, sources)) + " | total |",
             "|---|" + "---:|" * (len(sources) + 1)]
    for month in months:
        counts = [per_month[source].get(month, 0) for source in sources]
        lines.append(f"| {month} | " + " | ".join(str(c) for c in counts) + f" | {sum(counts)} |")
    return lines


def _selection(filters: dict[str, Any]) -> str:
    """The filters of an export in words."""
    parts = []
    if filters["sources"]:
        parts.append("sources " + ", ".join(filters["sources"]))
    if filters["since"] or filters["until"]:
        bounds = [f"from {filters['since']} ({filters['published_at_from']})" if filters["since"] else "",
                  f"up to {filters['until']} (before {filters['published_at_before']})" if filters["until"] else ""]
        parts.append("published " + " ".join(b for b in bounds if b))
    for label in ("categories", "tags"):
        if filters[label]:
            parts.append(f"{label} (any of) " + ", ".join(filters[label]))
    if filters["query"]:
        parts.append(f"matching the search {filters['query']!r}")
    return "; ".join(parts) or "the whole archive"


def datasheet(manifest: dict[str, Any]) -> str:
    """The human-readable datasheet (Markdown) for a manifest."""
    data = manifest["data_file"]
    coverage = manifest["coverage"]
    name = manifest["name"]
    lines = [
        f"# Dataset `{name}`",
        "",
        f"{manifest['records']:,} Persian tech-news articles from "
        f"{', '.join(manifest['per_source']) or 'no source'}, exported from a newsarchive archive.",
        "",
        "| | |",
        "|---|---|",
        f"| data file | `{data['file']}` ({data['format']}"
        + (f", {data['compression']}" if data["compression"] else "") + f", {data['bytes']:,} bytes) |",
        f"| SHA-256 | `{data['sha256']}` |",
        f"| records | {manifest['records']:,} |",
        f"| selection | {_md(_selection(manifest['filters']))} |",
    ]
    if manifest["earlier_versions"] is not None:
        lines.append(f"| earlier versions | {manifest['earlier_versions']:,} (in `versions`) |")
    lines += [
        f"| published (UTC) | {_md(coverage['first_published_at'])} … {_md(coverage['last_published_at'])} |",
        f"| published (Jalali, Tehran) | {_md(coverage['first_published_jalali'])} … "
        f"{_md(coverage['last_published_jalali'])} |",
        f"| order | {', then '.join(manifest['order'])} |",
        f"| made by | `{manifest['command']}` |",
        f"| generated | {manifest['generated_at']} by newsarchive {manifest['newsarchive_version']} |",
        f"| archive | `{manifest['archive']['file']}`, schema version {manifest['archive']['schema_version']} |",
        "",
        "Check the file: `sha256sum " + data["file"] + "` must print the SHA-256 above.",
        "",
        "## Sources",
        "",
        "| source | records | first published (UTC) | last published (UTC) | Jalali range | site |",
        "|---|---:|---|---|---|---|",
    ]
    for source, entry in manifest["per_source"].items():
        lines.append(
            f"| {_md(source)} | {entry['records']:,} | {entry['first_published_at']} | {entry['last_published_at']} "
            f"| {_md(entry['first_published_jalali'])} … {_md(entry['last_published_jalali'])} "
            f"| {entry['site'] or '—'} |"
        )
    lines += [
        "",
        "## Articles per month",
        "",
        f"![Articles per month per source]({manifest['chart']})",
        "",
        "One lane per source; a shaded month inside a source's range had no articles (a gap in coverage).",
        "",
        "Gregorian months (of the UTC `published_at`):",
        "",
        *_month_table(manifest["per_month"]["gregorian"], "month"),
        "",
        "Jalali months (of the Tehran `published_jalali`):",
        "",
        *_month_table(manifest["per_month"]["jalali"], "ماه (month)"),
        "",
        "## Fields",
        "",
        "| field | type | non-empty | description |",
        "|---|---|---:|---|",
    ]
    for item in manifest["fields"]:
        lines.append(f"| `{item['name']}` | {item['type']} | {item['non_empty']:,} | {_md(item['description'])} |")
    docstring = manifest["normalization"]["normalize_docstring"]
    lines += [
        "",
        "Text is UTF-8 written as characters (never `\\uXXXX` escapes); lists are JSON arrays.",
        "",
        "## Text",
        "",
        manifest["normalization"]["summary"],
        "",
        "From `newsarchive.persian.normalize`:",
        "",
        *(f"> {line}".rstrip() for line in docstring.splitlines()),
        "",
        "## Loading",
        "",
        "```python",
    ]
    names = [item["name"] for item in manifest["fields"]]
    if data["format"] == "parquet":
        lines += [
            "import pandas as pd",
            f'df = pd.read_parquet("{data["file"]}")',
            "",
            "import datasets",
            f'ds = datasets.load_dataset("parquet", data_files="{data["file"]}", split="train")',
        ]
    else:
        lines += [
            "import pandas as pd",
            f'df = pd.read_json("{data["file"]}"' + (", lines=True" if data["format"] == "jsonl" else "")
            + ", dtype=False)  # dtype=False: every value as written",
            "",
            *datasets_loading_code(names, data["file"]).splitlines(),
        ]
    lines += [
        "```",
        "",
        "## Terms",
        "",
        manifest["terms"]["note"],
        "",
        *(f"- {source}: {site or '(site unknown)'}" for source, site in manifest["terms"]["sites"].items()),
        "",
    ]
    return "\n".join(lines)


# --- the chart ------------------------------------------------------------------

#: Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999933", "#000000")
GAP_COLOUR = "#f6d5d5"
FSI, PDI = "\u2068", "\u2069"  # Unicode isolates: RTL names keep their order inside LTR layout


def month_range(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last`` inclusive."""
    year, month = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    months = []
    while (year, month) <= end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def chart_svg(per_month: dict[str, dict[str, int]], *, title: str = "Articles per month per source") -> str:
    """A bar chart of articles per month, one lane and one colour per source, as SVG text.

    ``per_month`` maps source → ``{"YYYY-MM": count}``. Every month between the first
    and the last is drawn, so a month without articles stands out: inside a source's
    own range it is shaded as a gap. Each lane has its own scale (its busiest month is
    labelled). Text is isolated (FSI…PDI) so Persian names render right-to-left
    while the layout stays left-to-right. No dependencies, deterministic output.
    """
    sources = sorted(source for source, counts in per_month.items() if any(counts.values()))
    months_seen = sorted({m for s in sources for m, n in per_month[s].items() if n and re.fullmatch(r"\d{4}-\d\d", m)})
    font = "font-family=\"Vazirmatn, Tahoma, 'DejaVu Sans', sans-serif\""
    if not months_seen:
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" width="480" height="60" viewBox="0 0 480 60" '
            f'direction="ltr" {font} font-size="13">\n<title>{escape(title)}</title>\n'
            '<text x="10" y="35">no dated articles</text>\n</svg>\n'
        )
    months = month_range(months_seen[0], months_seen[-1])
    left, right, top, lane, gap, bottom = 150, 20, 40, 64, 14, 46
    bar = max(2.0, min(22.0, 900 / len(months)))
    width = max(left + bar * len(months) + right, 640)
    height = top + len(sources) * (lane + gap) + bottom
    step = max(1, -(-52 // int(bar)))  # months per label: labels ~52 px wide
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
        f'viewBox="0 0 {width:.0f} {height}" direction="ltr" {font} font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width:.0f}" height="{height}" fill="#ffffff"/>',
        f'<text x="10" y="22" font-size="13" font-weight="bold">{escape(FSI + title + PDI)}</text>',
    ]
    for number, source in enumerate(sources):
        colour = PALETTE[number % len(PALETTE)]
        counts = per_month[source]
        peak = max(counts.get(m, 0) for m in months)
        active = [m for m in months if counts.get(m, 0)]
        y0 = top + number * (lane + gap)
        base = y0 + lane
        total = sum(counts.get(m, 0) for m in months)
        out.append(f'<g aria-label={quoteattr(f"{source}: {total} articles")}>')
        out.append(f'<text x="{left - 8}" y="{y0 + lane / 2:.1f}" text-anchor="end" font-size="12" '
                   f'fill="{colour}">{escape(FSI + source + PDI)}</text>')
        out.append(f'<text x="{left - 8}" y="{y0 + lane / 2 + 14:.1f}" text-anchor="end" fill="#555">'
                   f"{total:,} · max {peak:,}</text>")
        for index, month in enumerate(months):
            x = left + index * bar
            value = counts.get(month, 0)
            if value:
                h = max(1.0, (lane - 4) * value / peak)
                out.append(f'<rect x="{x + 0.5:.1f}" y="{base - h:.1f}" width="{max(bar - 1, 1):.1f}" '
                           f'height="{h:.1f}" fill="{colour}"><title>{escape(source)} {month}: {value}</title></rect>')
            elif active[0] < month < active[-1]:
                out.append(f'<rect x="{x:.1f}" y="{y0}" width="{bar:.1f}" height="{lane}" fill="{GAP_COLOUR}">'
                           f"<title>{escape(source)} {month}: 0 (gap)</title></rect>")
        out.append(f'<line x1="{left}" y1="{base}" x2="{left + bar * len(months):.1f}" y2="{base}" '
                   'stroke="#888" stroke-width="0.5"/>')
        out.append("</g>")
    axis = top + len(sources) * (lane + gap)
    for index, month in enumerate(months):
        if index % step == 0:
            x = left + index * bar
            out.append(f'<line x1="{x:.1f}" y1="{axis - gap}" x2="{x:.1f}" y2="{axis - gap + 4}" stroke="#888"/>')
            out.append(f'<text x="{x:.1f}" y="{axis + 6}" fill="#333">{month}</text>')
    out.append(f'<text x="10" y="{height - 8}" fill="#555">Gregorian months (UTC); shaded: no articles '
               "that month</text>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def archive_chart(archive: Archive, path: Path, *, filters: ArticleFilter | None = None) -> Path:
    """Write the articles-per-month chart of (the filtered part of) an archive to ``path``,
    a regular file or a new name (as the export's files: see :class:`UnsafeDestination`)."""
    per_month: dict[str, dict[str, int]] = defaultdict(dict)
    for row in archive.monthly_counts(filters, calendar="gregorian"):
        per_month[row["source"]][row["month"]] = row["articles"]
    svg = chart_svg(dict(per_month), title=f"{archive.path.name}: articles per month (Gregorian, UTC) per source")
    kind = special_kind(path)
    if kind:
        raise UnsafeDestination(path, kind)
    temp = _temp_path(path)
    try:
        temp.write_text(svg, encoding="utf-8")
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path
