"""The data file writers: JSON Lines, one JSON array, or Parquet, each hashed as written.

:class:`JsonWriter` encodes records as compact UTF-8 JSON (characters, never ``\\uXXXX``
escapes) and hands byte chunks to a thread that gzips (mtime 0, no file name), hashes
and writes them, so compression runs on another core; it also takes lines the encoder
processes (:mod:`newsarchive.export.stream`) encoded. :class:`ParquetWriter` writes
zstd-compressed row groups through pyarrow. Both report the SHA-256 and size of the
bytes on disk, for the manifest.
"""

from __future__ import annotations

import gzip as gzip_module
import hashlib
import queue
import threading
from pathlib import Path
from typing import IO, Any

import orjson

from newsarchive.export.errors import MissingPackage
from newsarchive.export.fields import FIELDS


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


class JsonWriter:
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


def pyarrow_modules() -> tuple[Any, Any]:
    """``pyarrow`` and ``pyarrow.parquet``, an optional dependency (the ``parquet`` extra)."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as error:
        raise MissingPackage("pyarrow", "parquet", "Parquet export") from error
    return pyarrow, pyarrow.parquet


class ParquetWriter:
    """Parquet through pyarrow, in row groups of ``ROWS`` (zstd-compressed columns)."""

    ROWS = 4096

    def __init__(self, path: Path, fields: tuple[str, ...]):
        pa, pq = pyarrow_modules()
        version = pa.struct(
            [
                (name, pa.string())
                for name in ("title", "lead", "body", "content_hash", "fetched_at", "replaced_at")
            ]
        )
        types = {
            "string": pa.string(),
            "strings": pa.list_(pa.string()),
            "int": pa.int64(),
            "bool": pa.bool_(),
            "versions": pa.list_(version),
        }
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
    """The SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
