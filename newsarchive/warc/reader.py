"""Reading WARC files back: every record of a file, or one record by its offset.

:func:`iter_records` walks a whole ``.warc.gz`` (or plain ``.warc``) file and
reports damaged parts in a list of :class:`WarcProblem` instead of stopping, so
a file cut short by a killed crawl still yields every complete record;
:func:`read_record` reads the one gzip member a ``captures`` row points at, and
:func:`read_capture` resolves a ``revisit`` record to the payload it repeats.
A response whose payload no longer matches its ``WARC-Payload-Digest`` is an
error (:class:`WarcReadError`), never silently served. Used by ``newsarchive
reparse`` and the replay mirror (:mod:`newsarchive.warc.mirror`).
"""

from __future__ import annotations

import io
import mmap
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from isal import isal_zlib
from warcio.archiveiterator import ArchiveIterator

from newsarchive.archive import Archive
from newsarchive.warc.format import payload_digest


class WarcReadError(RuntimeError):
    """A stored record cannot be read: the file is missing, truncated or corrupt."""


#: What ISA-L's inflate raises on corrupt data (its type stub declares an instance, not the
#: class it is). ISA-L inflates ~2x faster than zlib; the writer uses it too (.writer).
_INFLATE_ERROR = cast(type[Exception], isal_zlib.error)


@dataclass
class WarcProblem:
    path: Path
    offset: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}: offset {self.offset}: {self.message}"


@dataclass
class StoredRecord:
    """One WARC record read back: its WARC headers, HTTP head and raw payload."""

    rec_type: str
    url: str
    date: str
    headers: dict[str, str]
    status: int | None
    http_headers: list[tuple[str, str]]
    payload: bytes
    offset: int = 0
    length: int = 0

    @property
    def digest(self) -> str | None:
        return self.headers.get("WARC-Payload-Digest")


_CHUNK = 1 << 20


def _members(path: Path, problems: list[WarcProblem]) -> Iterator[tuple[int, int, bytes]]:
    """``(offset, length, data)`` of each complete gzip member; truncation or corruption
    is added to ``problems``, and reading resumes at the next gzip header if there is one."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            position = 0
            while position < size:
                inflater = isal_zlib.decompressobj(isal_zlib.MAX_WBITS | 16)
                parts: list[bytes] = []
                cursor = position
                try:
                    while not inflater.eof and cursor < size:
                        chunk = data[cursor : cursor + _CHUNK]
                        cursor += len(chunk)
                        parts.append(inflater.decompress(chunk))
                except _INFLATE_ERROR as error:
                    problems.append(WarcProblem(path, position, f"corrupt record ({error})"))
                    following = data.find(b"\x1f\x8b\x08", position + 1)
                    if following < 0:
                        return
                    position = following
                    continue
                if not inflater.eof:
                    problems.append(
                        WarcProblem(path, position, "truncated: the file ends inside this record")
                    )
                    return
                end = cursor - len(inflater.unused_data)
                yield position, end - position, b"".join(parts)
                position = end


def _parse(data: bytes, path: Path, offset: int, length: int) -> StoredRecord:
    record = next(iter(ArchiveIterator(io.BytesIO(data))), None)
    if record is None:
        raise WarcReadError(f"{path}: offset {offset}: not a WARC record")
    payload = record.raw_stream.read()
    headers = dict(record.rec_headers.headers)
    http = record.http_headers
    digest = headers.get("WARC-Payload-Digest")
    if (
        record.rec_type == "response"
        and digest
        and digest.startswith("sha1:")
        and payload_digest(payload) != digest
    ):
        raise WarcReadError(f"{path}: offset {offset}: payload digest mismatch")
    status = None
    if http is not None and record.rec_type in ("response", "revisit"):
        try:
            status = int(http.get_statuscode())
        except (TypeError, ValueError):
            status = None
    return StoredRecord(
        rec_type=record.rec_type,
        url=headers.get("WARC-Target-URI", ""),
        date=headers.get("WARC-Date", ""),
        headers=headers,
        status=status,
        http_headers=list(http.headers) if http is not None else [],
        payload=payload,
        offset=offset,
        length=length,
    )


def iter_records(path: str | os.PathLike, problems: list[WarcProblem]) -> Iterator[StoredRecord]:
    """Every readable record of a ``.warc.gz`` file (or a plain ``.warc``); unreadable
    parts are reported in ``problems`` and skipped."""
    path = Path(path)
    with open(path, "rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    if not gzipped:
        with open(path, "rb") as handle:
            iterator = ArchiveIterator(handle)
            try:
                for record in iterator:
                    data_offset = iterator.get_record_offset()
                    payload = record.raw_stream.read()
                    http = record.http_headers
                    yield StoredRecord(
                        rec_type=record.rec_type,
                        url=record.rec_headers.get_header("WARC-Target-URI") or "",
                        date=record.rec_headers.get_header("WARC-Date") or "",
                        headers=dict(record.rec_headers.headers),
                        status=int(http.get_statuscode())
                        if http is not None and record.rec_type in ("response", "revisit")
                        else None,
                        http_headers=list(http.headers) if http is not None else [],
                        payload=payload,
                        offset=data_offset,
                        length=iterator.get_record_length() or 0,
                    )
            except Exception as error:  # warcio raises several kinds on a damaged file
                problems.append(WarcProblem(path, iterator.offset, f"unreadable ({error})"))
        return
    for offset, length, data in _members(path, problems):
        try:
            yield _parse(data, path, offset, length)
        except Exception as error:
            problems.append(WarcProblem(path, offset, str(error)))


def read_record(path: str | os.PathLike, offset: int, length: int | None = None) -> StoredRecord:
    """The record at ``offset`` of a ``.warc.gz`` file (one gzip member)."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            raw = handle.read(length) if length else handle.read()
    except OSError as error:
        raise WarcReadError(f"{path}: {error.strerror or error}") from error
    inflater = isal_zlib.decompressobj(isal_zlib.MAX_WBITS | 16)
    try:
        data = inflater.decompress(raw)
    except _INFLATE_ERROR as error:
        raise WarcReadError(f"{path}: offset {offset}: corrupt record ({error})") from error
    if not inflater.eof:
        raise WarcReadError(f"{path}: offset {offset}: truncated record")
    return _parse(data, path, offset, length or len(raw) - len(inflater.unused_data))


def read_capture(archive: Archive, warc_dir: str | os.PathLike, capture: dict[str, Any]) -> StoredRecord:
    """The stored response of a ``captures`` row, a revisit resolved to the original payload
    (its status and headers stay the revisit's own)."""
    root = Path(warc_dir)
    record = read_record(root / capture["warc_file"], capture["warc_offset"], capture["warc_length"])
    if record.rec_type == "revisit":
        target = record.headers.get("WARC-Refers-To-Target-URI") or capture["url"]
        original = archive.capture_of_payload(target, capture["payload_digest"])
        if original is None:
            raise WarcReadError(f"revisit of {capture['url']}: no stored response with its payload")
        record.payload = read_record(
            root / original["warc_file"], original["warc_offset"], original["warc_length"]
        ).payload
    return record


def warc_files(source: str | os.PathLike) -> list[Path]:
    """The WARC files named by ``source``: itself, or every ``*.warc[.gz]`` under a folder."""
    source = Path(source)
    if source.is_file():
        return [source]
    return sorted(p for p in source.rglob("*") if p.is_file() and p.name.endswith((".warc", ".warc.gz")))
