"""One export, start to end: options in, the data file and its side files out.

:func:`export` checks the options and every destination before anything is written,
streams the rows into a temporary data file (:mod:`newsarchive.export.stream`), builds
the manifest, datasheet and chart from what it counted, checks the destinations again
and renames everything into place, the data file first and the manifest last. On any
error or Ctrl-C the temporary files are removed. With ``out="-"`` the data goes to
stdout in one pass, without side files.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from newsarchive.archive import Archive, ArticleFilter
from newsarchive.export.chart import chart_svg
from newsarchive.export.datasheet import datasheet
from newsarchive.export.errors import (
    CompressedFormat,
    ExcelFormat,
    ExportError,
    FormatMismatch,
    GzipName,
    NotStreamable,
    UnsafeDestination,
)
from newsarchive.export.fields import choose_fields
from newsarchive.export.manifest import Tally, build_manifest
from newsarchive.export.paths import (
    DEFAULT_DIR,
    FORMATS,
    STDOUT,
    SUFFIXES,
    Outputs,
    check_outputs,
    default_name,
    outputs_for,
    special_kind,
    split_name,
    temp_path,
)
from newsarchive.export.stories import DEDUPE, StoryIndex, StoryTally
from newsarchive.export.stream import (
    PARALLEL_MIN_ARTICLES,
    ExportSpec,
    fork_context,
    start_pool,
    write_parallel,
    write_serial,
)
from newsarchive.export.writers import ParquetWriter, TextWriter, pyarrow_modules
from newsarchive.persian import normalize


@dataclass
class ExportOptions:
    """What to export and where: the data file (None: a name under ``datasets/``; ``-``:
    stdout), its format and compression, the filters, the fields, and whether an existing
    file may be replaced. The data file's name ends in its format's extension (``.gz`` too
    when gzipped): a name that says another format, or none, is a :class:`FormatMismatch`."""

    out: str | Path | None = None
    #: jsonl | json | csv | parquet; None: from the name of out, else csv with excel, else jsonl.
    format: str | None = None
    gzip: bool = False
    #: CSV for Excel: a UTF-8 byte order mark first, formula-safe cells.
    excel: bool = False
    filters: ArticleFilter = field(default_factory=ArticleFilter)
    fields: tuple[str, ...] | None = None
    with_versions: bool = False
    force: bool = False
    #: ``story``: one record per story, the earliest article of it the filters keep, with
    #: ``story_size`` and ``story_urls`` (the story's other articles).
    dedupe: str | None = None
    command: str = "newsarchive export"
    #: The since/until text as given, for the manifest (``filters`` holds them in UTC).
    bounds: dict[str, str | None] = field(default_factory=dict)
    #: Encode in a second process: None decides by size (:data:`PARALLEL_MIN_ARTICLES`).
    parallel: bool | None = None


@dataclass
class ExportResult:
    """What was written: the files, the number of records, the data file's SHA-256 and size."""

    outputs: Outputs | None  # None (and no manifest) when streamed to stdout
    records: int
    sha256: str
    bytes: int
    manifest: dict[str, Any] | None


def _resolve_format(options: ExportOptions) -> tuple[str, bool]:
    """(format, gzipped?) from the options and the data file's name, which must agree: a
    file's extension is its format's, so a loader that goes by the name reads it right."""
    out = None if options.out is None or str(options.out) == STDOUT else Path(options.out)
    out_format, out_gzip = split_name(out)[1:] if out else (None, False)
    fmt = options.format or out_format or ("csv" if options.excel else "jsonl")
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if out and out_format != fmt:
        raise FormatMismatch(out, out_format, fmt)
    if options.excel and fmt != "csv":
        raise ExcelFormat(fmt)
    gzipped = options.gzip or out_gzip
    if fmt == "parquet" and gzipped:
        raise CompressedFormat(fmt)
    if out and gzipped and not out_gzip:
        raise GzipName(out)
    return fmt, gzipped


def _write_data(
    archive: Archive,
    filters: ArticleFilter,
    spec: ExportSpec,
    gzipped: bool,
    target: Path | IO[bytes],
    progress: Callable[[int], None],
    parallel: bool,
    stories: StoryIndex | None,
) -> tuple[int, Tally, str, int]:
    """Write the data to the file at ``target`` (truncated first), or to an open binary stream
    (not Parquet; left open): (records, tally, SHA-256, bytes). ``stories``: the archive's
    stories, for the story fields, one record per story and the tally's copies."""
    tally = Tally(spec.fields, StoryTally(stories) if stories is not None else None)
    owned = isinstance(target, Path)
    pool = start_pool(spec) if parallel else None
    try:
        raw: IO[bytes] | None
        if spec.fmt == "parquet":
            # export() refuses to stream Parquet (NotStreamable): its target is always a file.
            assert isinstance(target, Path)
            writer: Any = ParquetWriter(target, spec.fields)
            raw = None
        else:
            # A file opened here is closed in the finally below (hence no ``with``).
            raw = open(target, "wb") if isinstance(target, Path) else target  # noqa: SIM115
            writer = TextWriter(raw, fmt=spec.fmt, gzipped=gzipped, fields=spec.fields, excel=spec.excel)
        try:
            if pool is not None:
                count = write_parallel(archive, filters, spec, pool, writer, tally, progress)
            else:
                count = write_serial(archive, filters, spec, writer, tally, progress, stories)
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
    progress(count)
    return count, tally, sha256, size


def export(
    archive: Archive,
    options: ExportOptions,
    *,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """Write the export described by ``options`` (see :mod:`newsarchive.export`).

    ``progress`` is called with (records written, records expected) as the data is
    written; ``now`` is the generation time the manifest and the default name record.
    """
    if options.out is not None and str(options.out) != STDOUT:
        # What is at the data path first: a device or a pipe is refused as such, whatever its name.
        out = Path(options.out)
        if str(options.out).endswith(("/", os.sep)) or out.is_dir():
            raise ExportError(f"{out} is a directory; give a file name, e.g. {Path(out, 'articles.jsonl')}")
        kind = special_kind(out)
        if kind:
            raise UnsafeDestination(out, kind, data=True)
    fmt, gzipped = _resolve_format(options)
    if options.dedupe not in (None, *DEDUPE):
        raise ExportError(f"unknown dedupe {options.dedupe!r}; choose {', '.join(DEDUPE)}")
    one_per_story = options.dedupe == "story"
    fields = choose_fields(options.fields, with_versions=options.with_versions, with_stories=one_per_story)
    streamed = options.out is not None and str(options.out) == STDOUT
    if fmt == "parquet" and streamed:
        raise NotStreamable(fmt)
    if fmt == "parquet":
        pyarrow_modules()  # fail before anything is written
    filters = replace(
        options.filters,
        categories=tuple(normalize(value) for value in options.filters.categories),
        tags=tuple(normalize(value) for value in options.filters.tags),
    )
    now = now or datetime.now(UTC)
    summary = archive.export_summary(filters)
    spec = ExportSpec.of(archive.path, fields, fmt, excel=options.excel, one_per_story=one_per_story)
    # The side files count originals and copies; the story fields and --dedupe need the index too.
    stories = StoryIndex(archive) if spec.serial or not streamed else None

    def report(done: int) -> None:
        if progress is not None:
            progress(done, summary["articles"])

    if streamed:
        # One pass in this process: the encoder processes may need a second pass (below), and
        # what went down a pipe cannot be taken back.
        count, _, sha256, size = _write_data(
            archive, filters, spec, gzipped, sys.stdout.buffer, report, False, stories
        )
        return ExportResult(outputs=None, records=count, sha256=sha256, bytes=size, manifest=None)
    if options.out is None:
        suffix = SUFFIXES[fmt] + (".gz" if gzipped else "")
        name = default_name(
            filters, summary, now, with_versions=options.with_versions, one_per_story=one_per_story
        )
        data_path = DEFAULT_DIR / (name + suffix)
    else:
        data_path = Path(options.out)
    outputs = outputs_for(data_path)
    check_outputs(outputs, archive_path=archive.path, force=options.force, create_parent=options.out is None)

    temps: list[Path] = []
    try:
        data_temp = temp_path(outputs.data)
        temps.append(data_temp)
        parallel = options.parallel
        if parallel is None:
            parallel = summary["articles"] >= PARALLEL_MIN_ARTICLES
        parallel = bool(parallel) and fmt != "parquet" and not spec.serial and fork_context() is not None
        before = archive.data_version()
        count, tally, sha256, size = _write_data(
            archive, filters, spec, gzipped, data_temp, report, parallel, stories
        )
        if parallel and archive.data_version() != before:
            # Another connection committed while the encoder processes read: their rows
            # may be newer than this process's snapshot. Write again, in one snapshot.
            count, tally, sha256, size = _write_data(
                archive, filters, spec, gzipped, data_temp, report, False, stories
            )

        manifest = build_manifest(
            archive=archive,
            command=options.command,
            bounds=options.bounds,
            fmt=fmt,
            gzipped=gzipped,
            excel=options.excel,
            fields=fields,
            filters=filters,
            tally=tally,
            outputs=outputs,
            sha256=sha256,
            size=size,
            generated=now,
            dedupe=options.dedupe,
        )
        chart = chart_svg(
            tally.per_month("gregorian"),
            title=f"{outputs.data.name}: articles per month (Gregorian, UTC) per source",
        )
        sidecars = {
            outputs.chart: chart,
            outputs.datasheet: datasheet(manifest),
            outputs.manifest: json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
        }
        ready: list[tuple[Path, Path]] = [(data_temp, outputs.data)]
        for final, text in sidecars.items():
            temp = temp_path(final)
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
