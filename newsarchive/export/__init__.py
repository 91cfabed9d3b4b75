"""Datasets for researchers: streaming exports that load anywhere and explain themselves.

:func:`export` writes the filtered articles of an archive as JSON Lines, a JSON
array, CSV (optionally for Excel: a byte order mark, formula-safe cells) or Parquet
(typed: UTC timestamps, lists of strings, booleans), and beside the data file
``NAME.EXT`` three side files named after it: ``NAME.EXT.manifest.json`` (machine
readable: the command, archive schema version, counts per source and month, field types
in this format and descriptions, SHA-256 of the data file), ``NAME.EXT.datasheet.md``
(the same for people: a datasheet, with loading code) and ``NAME.EXT.chart.svg``
(articles per month per source, drawn by :func:`chart_svg`, which
``newsarchive stats --chart`` uses for a whole archive). The data file's extension is its
format's: a name that says another format is refused (:class:`FormatMismatch`).

Properties the tests hold it to:

* Streaming: rows come from a cursor (:meth:`Archive.iter_export_rows`) and are
  written as they come; counts and the SHA-256 are computed on the way, so
  memory does not grow with the archive. Large exports use two forked encoder
  processes that read and encode batches of rows in the order this process
  sorted them; the bytes are the same as in one process, and if the archive
  changed meanwhile the export is written again in one pass. A writer thread
  gzips, hashes and writes.
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
  ``datasets/`` folder is created. ``out="-"`` streams JSON Lines, JSON or CSV
  to stdout instead, without side files.

Stories (the same news on several sites): every record has its ``story_id``;
``dedupe="story"`` writes one record per story with ``story_size`` and ``story_urls`` (the
others' URLs), and the side files count originals and copies per source and month.

The modules, in the order an export uses them: ``fields`` (what each field means and
reads), ``paths`` (names and destination checks), ``stories`` (the archive's stories
with copies, read once per export), ``stream`` (the row loop and the encoder
processes), ``writers`` (JSON Lines, JSON, CSV, Parquet), ``manifest``, ``datasheet``
and ``chart`` (the side files), ``exporter`` (:func:`export` itself),
``errors`` (what a refused export raises: values, never command-line options, which
:mod:`newsarchive.cli` adds). No SQL here: the archive module reads; this package
writes files.
"""

from newsarchive.export.chart import archive_chart, chart_svg
from newsarchive.export.datasheet import csv_loading_code, datasets_loading_code, datasheet
from newsarchive.export.errors import (
    CompressedFormat,
    DestinationExists,
    ExcelFormat,
    ExportError,
    FormatMismatch,
    GzipName,
    MissingPackage,
    NotStreamable,
    UnreadableValue,
    UnsafeDestination,
)
from newsarchive.export.exporter import ExportOptions, ExportResult, export
from newsarchive.export.fields import DEFAULT_FIELDS, FIELDS, Field
from newsarchive.export.manifest import build_manifest
from newsarchive.export.paths import DEFAULT_DIR, FORMATS, STDOUT
from newsarchive.export.stream import PARALLEL_WORKERS, ExportSpec
from newsarchive.export.writers import GZIP_LEVEL

__all__ = [
    "DEFAULT_DIR",
    "DEFAULT_FIELDS",
    "FIELDS",
    "FORMATS",
    "GZIP_LEVEL",
    "PARALLEL_WORKERS",
    "STDOUT",
    "CompressedFormat",
    "DestinationExists",
    "ExcelFormat",
    "ExportError",
    "ExportOptions",
    "ExportResult",
    "ExportSpec",
    "Field",
    "FormatMismatch",
    "GzipName",
    "MissingPackage",
    "NotStreamable",
    "UnreadableValue",
    "UnsafeDestination",
    "archive_chart",
    "build_manifest",
    "chart_svg",
    "csv_loading_code",
    "datasets_loading_code",
    "datasheet",
    "export",
]
