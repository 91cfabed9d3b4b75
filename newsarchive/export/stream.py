"""The row loop of an export: archive rows into records into the writer, counted on the way.

In this process (:func:`write_serial`), or, for large exports, with two forked encoder
processes (:func:`write_parallel`): this process reads only the small sort keys, in
export order, and counts them; the encoders read batches of whole rows by rowid through
their own read-only connections and encode them; this process writes the encoded lines
in its order, so the bytes are the same as in one process. An encoder process gets all
it needs in one frozen :class:`ExportSpec`, sent with every batch; it opens its
connection and makes its record functions once per spec (:func:`_encoder`).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from newsarchive.archive import Archive, ArticleFilter
from newsarchive.export.fields import STORY_FIELDS, columns_for, record_builder, separator_check
from newsarchive.export.manifest import Tally
from newsarchive.export.stories import StoryIndex
from newsarchive.export.writers import ParquetWriter, TextWriter, line_encoder

#: From this many articles on, two forked processes read and encode batches of rows
#: while this one sorts, counts and writes (about 1.4x faster on two cores).
PARALLEL_MIN_ARTICLES = 20_000
PARALLEL_WORKERS = 2
_BATCH_ROWS = 512
_BATCHES_IN_FLIGHT = 2 * PARALLEL_WORKERS + 2  # bounds memory: batches out at once


@dataclass(frozen=True)
class ExportSpec:
    """What an export reads and how it encodes it: the archive file, the fields in order,
    the archive columns they and the tally read, whether earlier versions are added, and
    the format of the lines (``jsonl``, ``json`` or ``csv``; ``excel``: CSV for Excel).
    Everything an encoder process needs, and hashable: each process keeps one encoder per spec."""

    db_path: str
    fields: tuple[str, ...]
    columns: tuple[str, ...]
    with_versions: bool
    fmt: str = "jsonl"
    excel: bool = False
    #: One record per story (``dedupe="story"``): only the first article of each story.
    one_per_story: bool = False

    @classmethod
    def of(
        cls,
        db_path: Path,
        fields: tuple[str, ...],
        fmt: str = "jsonl",
        *,
        excel: bool = False,
        one_per_story: bool = False,
    ) -> ExportSpec:
        return cls(str(db_path), fields, columns_for(fields), "versions" in fields, fmt, excel, one_per_story)

    @property
    def story_columns(self) -> bool:
        """Whether the records have fields made from the story index (``story_size``, ``story_urls``)."""
        return any(name in STORY_FIELDS for name in self.fields)

    @property
    def serial(self) -> bool:
        """Whether rows must be read in this process: the story index lives here only."""
        return self.one_per_story or self.story_columns


def fork_context() -> Any:
    """The fork start method where it is safe to use (Linux), else None."""
    if not sys.platform.startswith("linux"):
        return None
    import multiprocessing

    return multiprocessing.get_context("fork")


class _Encoder:
    """An encoder process's own read-only connection and record functions for one spec."""

    def __init__(self, spec: ExportSpec):
        self.spec = spec
        self.archive = Archive(spec.db_path, readonly=True)
        self.build = record_builder(spec.fields)
        self.encode_line = line_encoder(spec.fmt, spec.fields, excel=spec.excel)
        self.separators = separator_check(spec.columns, with_versions=spec.with_versions)

    def encode(self, rowids: list[int]) -> tuple[list[bytes], Counter, int]:
        """The encoded lines of these rows, their field fill counts and earlier versions."""
        rows = self.archive.export_rows(
            rowids, columns=self.spec.columns, with_versions=self.spec.with_versions
        )
        tally = Tally(self.spec.fields)
        lines = []
        for row in rows:
            lines.append(self.encode_line(self.build(row), line_separators=self.separators(row)))
            tally.add_fill(row)
        return lines, tally.filled, tally.versions


@cache
def _encoder(spec: ExportSpec) -> _Encoder:
    """This process's encoder for ``spec``: made as the pool starts the process, then reused.
    Only encoder processes call it, so no connection is ever inherited through a fork."""
    return _Encoder(spec)


def _encode_batch(spec: ExportSpec, rowids: list[int]) -> tuple[list[bytes], Counter, int]:
    """In an encoder process: one batch, encoded (see :meth:`_Encoder.encode`)."""
    return _encoder(spec).encode(rowids)


def write_serial(
    archive: Archive,
    filters: ArticleFilter,
    spec: ExportSpec,
    writer: TextWriter | ParquetWriter,
    tally: Tally,
    progress: Callable[[int], None],
    stories: StoryIndex | None = None,
) -> int:
    """Read, encode and write every row in this process; the number of records. ``stories``
    (needed when ``spec.serial``) keeps one record per story and makes the story fields."""
    build = record_builder(spec.fields)
    separators = separator_check(spec.columns, with_versions=spec.with_versions)
    first_of_story = stories.first_of_story() if stories is not None and spec.one_per_story else None
    story_columns = stories.columns if stories is not None and spec.story_columns else None
    count = 0
    for row in archive.iter_export_rows(filters, columns=spec.columns, with_versions=spec.with_versions):
        if first_of_story is not None and not first_of_story(row["url"]):
            continue
        if story_columns is not None:
            row.update(story_columns(row["url"]))
        writer.write(build(row), line_separators=separators(row))
        tally.add(row)
        count += 1
        if not count & 511:
            progress(count)
    return count


def start_pool(spec: ExportSpec) -> Any:
    """Fork the encoder processes now, before this process starts any thread of its own."""
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(
        PARALLEL_WORKERS, mp_context=fork_context(), initializer=_encoder, initargs=(spec,)
    )
    pool.submit(int).result()  # with fork, the first task starts every process
    return pool


def write_parallel(
    archive: Archive,
    filters: ArticleFilter,
    spec: ExportSpec,
    pool: Any,
    writer: TextWriter,
    tally: Tally,
    progress: Callable[[int], None],
) -> int:
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
        pending.append(pool.submit(_encode_batch, spec, [key[0] for key in batch]))
        count += len(batch)
        if len(pending) >= _BATCHES_IN_FLIGHT:
            write_oldest()
        progress(count)
    while pending:
        write_oldest()
    return count
