"""The data file writers: JSON Lines, one JSON array, CSV, or Parquet, each hashed as written.

:class:`TextWriter` writes records as lines: compact UTF-8 JSON (characters, never
``\\uXXXX`` escapes) or CSV rows (:class:`CsvEncoder`), and hands byte chunks to a thread
that gzips (mtime 0, no file name), hashes and writes them, so compression runs on
another core; it also takes lines the encoder processes (:mod:`newsarchive.export.stream`)
encoded with :func:`line_encoder`. :class:`ParquetWriter` writes zstd-compressed row
groups through pyarrow, with real types: UTC timestamps, lists of strings, booleans.
Both report the SHA-256 and size of the bytes on disk, for the manifest.
"""

from __future__ import annotations

import csv
import gzip as gzip_module
import hashlib
import io
import queue
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import orjson

from newsarchive.export.errors import MissingPackage, UnreadableValue
from newsarchive.export.fields import FIELDS, VERSION_KEYS, VERSION_TIMES


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
            if gzipped
            else self.sink
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


def dumps(record: dict[str, Any]) -> bytes:
    """A record as compact UTF-8 JSON: characters, not ``\\uXXXX`` escapes.

    orjson is ~2x faster than the standard library and gives the same bytes
    (tests/test_export.py checks that).
    """
    return orjson.dumps(record)


#: U+2028/U+2029 are line breaks to str.splitlines() and some JSON Lines readers:
#: they stay escaped. In this output they can only occur inside strings. Searching
#: UTF-8 bytes for them is slow, so rows are checked as text
#: (:func:`newsarchive.export.fields.separator_check`).
_LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


def encode_json(record: dict[str, Any], *, line_separators: bool = True) -> bytes:
    """One record as a JSON line; ``line_separators=False`` promises no U+2028/U+2029."""
    line = dumps(record)
    if line_separators:
        for raw, escaped in _LINE_SEPARATORS:
            line = line.replace(raw, escaped)
    return line


#: What Excel (and LibreOffice) runs as a formula when a cell starts with it, ASCII and
#: full-width (OWASP, "CSV injection"): with ``excel`` such a cell gets a leading ``'``.
FORMULA_STARTS = tuple("=+-@\t\r＝＋－＠")
#: The byte order mark that makes Excel read a CSV file as UTF-8 (else: the ANSI code page).
BOM = b"\xef\xbb\xbf"


def _text_cell(value: str | None) -> str:
    return "" if value is None else value


def _json_cell(value: Any) -> str:
    return dumps(value).decode("utf-8")


_CELLS: dict[str, Callable[[Any], str]] = {
    "string": _text_cell,
    "time": _text_cell,
    "strings": _json_cell,
    "versions": _json_cell,
    "int": str,
    "bool": lambda value: "true" if value else "false",
}


class CsvEncoder:
    """Records as CSV rows (RFC 4180: comma, ``"`` quotes, CRLF between rows; a newline
    inside a body stays in its quoted cell). Lists and versions are JSON text in their
    cell, so a program splits them back with ``json.loads``; booleans are ``true``/``false``;
    a missing value is an empty cell. ``excel``: cells Excel would run as formulas get a
    leading ``'`` (:data:`FORMULA_STARTS`)."""

    def __init__(self, fields: tuple[str, ...], *, excel: bool = False):
        self.fields = fields
        self.cells = tuple(_CELLS[FIELDS[name].kind] for name in fields)
        self.excel = excel
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def row(self, cells: list[str]) -> bytes:
        if self.excel:
            cells = [f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell for cell in cells]
        self.writer.writerow(cells)
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text.encode("utf-8")

    def header(self) -> bytes:
        return (BOM if self.excel else b"") + self.row(list(self.fields))

    def __call__(self, record: dict[str, Any], *, line_separators: bool = True) -> bytes:
        # record holds the fields in order (newsarchive.export.fields.record_builder)
        return self.row([cell(value) for cell, value in zip(self.cells, record.values())])


def line_encoder(fmt: str, fields: tuple[str, ...], *, excel: bool = False) -> Callable[..., bytes]:
    """The function that encodes one record as a line of a ``fmt`` file (``jsonl``, ``json``
    or ``csv``), called as ``encode(record, line_separators=...)``."""
    return CsvEncoder(fields, excel=excel) if fmt == "csv" else encode_json


class TextWriter:
    """JSON Lines, one JSON array or CSV, UTF-8 as characters, optionally gzipped (mtime 0,
    no name). ``excel`` (CSV only): a BOM first, formula-safe cells (:class:`CsvEncoder`)."""

    BUFFER_BYTES = 1 << 21

    def __init__(
        self, raw: IO[bytes], *, fmt: str, gzipped: bool, fields: tuple[str, ...], excel: bool = False
    ):
        self.out = _BackgroundSink(raw, gzipped=gzipped)
        self.encode = line_encoder(fmt, fields, excel=excel)
        self.array = fmt == "json"
        self.newline = b"\n" if fmt == "jsonl" else b""  # a CSV row ends in its own CRLF
        head = self.encode.header() if isinstance(self.encode, CsvEncoder) else b""
        self.pending: list[bytes] = [b"["] if self.array else [head]
        self.pending_bytes = 0
        self.count = 0

    def write(self, record: dict[str, Any], *, line_separators: bool = True) -> None:
        self.write_line(self.encode(record, line_separators=line_separators))

    def write_line(self, line: bytes) -> None:
        """Add a record already encoded by the function of :func:`line_encoder`."""
        if self.array:
            self.pending.append(b",\n" if self.count else b"\n")
            self.pending.append(line)
        else:
            self.pending.append(line)
            self.pending.append(self.newline)
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


def pyarrow_modules() -> tuple[Any, Any]:
    """``pyarrow`` and ``pyarrow.parquet``, an optional dependency (the ``parquet`` extra)."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as error:
        raise MissingPackage("pyarrow", "parquet", "Parquet export") from error
    return pyarrow, pyarrow.parquet


_UNPARSED = re.compile(r"Failed to parse string: ('.*?') as a scalar")


class ParquetWriter:
    """Parquet through pyarrow, in row groups of ``ROWS`` (zstd-compressed columns), typed:
    UTC instants as ``timestamp[ms, tz=UTC]`` (Parquet has no unit of seconds) (in earlier versions too), lists as
    ``list<string>``, booleans as ``bool``, counts as ``int64``.

    Rows are gathered as the records hold them (instants as ``...Z`` text) and each time
    column is cast by Arrow, which refuses a value without a zone offset: a value that is
    not an instant is an :class:`UnreadableValue`, never a guess.
    """

    ROWS = 4096

    def __init__(self, path: Path, fields: tuple[str, ...]):
        pa, pq = pyarrow_modules()
        self.pa = pa
        self.path = path
        self.text_schema = self._schema(fields, pa.string())
        self.schema = self._schema(fields, pa.timestamp("ms", tz="UTC"))
        self.writer = pq.ParquetWriter(str(path), self.schema, compression="zstd")
        self.rows: list[dict[str, Any]] = []

    def _schema(self, fields: tuple[str, ...], time: Any) -> Any:
        """The schema of ``fields``, with ``time`` as the type of UTC instants."""
        pa = self.pa
        version = pa.struct([(key, time if key in VERSION_TIMES else pa.string()) for key in VERSION_KEYS])
        types = {
            "string": pa.string(),
            "time": time,
            "strings": pa.list_(pa.string()),
            "int": pa.int64(),
            "bool": pa.bool_(),
            "versions": pa.list_(version),
        }
        return pa.schema([pa.field(name, types[FIELDS[name].kind]) for name in fields])

    def write(self, record: dict[str, Any], *, line_separators: bool = False) -> None:
        self.rows.append(record)  # Parquet strings need no escaping
        if len(self.rows) >= self.ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self.rows:
            return
        table = self.pa.Table.from_pylist(self.rows, schema=self.text_schema)
        columns = []
        for target, column in zip(self.schema, table.columns):
            if column.type != target.type:
                try:
                    column = column.cast(target.type)
                except self.pa.ArrowInvalid as error:
                    found = _UNPARSED.search(str(error))
                    raise UnreadableValue(target.name, found.group(1) if found else str(error)) from None
            columns.append(column)
        self.writer.write_table(self.pa.Table.from_arrays(columns, schema=self.schema))
        self.rows = []

    def close(self) -> tuple[str, int]:
        self._flush()
        self.writer.close()
        return sha256_file(self.path), self.path.stat().st_size

    def abort(self) -> None:
        self.writer.close()


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
