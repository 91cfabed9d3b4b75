"""Writing WARC files: one crawl's captures as rolling ``.warc.gz`` files, on a background thread.

:class:`Capture` is one exchange as Scrapy saw it; :class:`WarcFiles` turns it
into a ``response`` (or ``revisit``) record followed by its ``request`` record,
each its own gzip member flushed as written, so a killed crawl leaves files
whose every complete record is readable; :class:`WarcWriterThread` does the
compressing and writing off the reactor thread, so the crawl itself only hashes
bodies. The stored HTTP heads drop the connection headers and carry a
``Content-Length`` equal to the stored payload (see :mod:`newsarchive.warc` for
why). Framework-free: the Scrapy side is :class:`newsarchive.warc.WarcMiddleware`;
the benchmark in ``bench/bench_warc.py`` drives these classes directly.
"""

from __future__ import annotations

import io
import json
import logging
import queue
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from isal import isal_zlib
from w3lib.url import safe_url_string
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsarchive.warc.format import HOP_BY_HOP

logger = logging.getLogger(__name__)

WARC_VERSION = "1.1"
DEFAULT_MAX_SIZE = 1_000_000_000
#: ISA-L level (0-3) of each record's gzip member. Compressing was a fifth of a crawl's CPU
#: with zlib at 6 (2.6 ms for a 150 KB page); ISA-L's level 2 does it ~8x faster for files
#: ~10 % larger, and its members are plain deflate that warcio and every gzip reader read.
GZIP_LEVEL = 2


@dataclass
class Capture:
    """One exchange to write: what the middleware took from Scrapy's request and response."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    response_headers: list[tuple[str, str]]
    payload: bytes
    date: str
    digest: str
    kind: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    ip_address: str | None = None
    truncated: bool = False
    #: (URI, WARC-Date) of the stored response this one repeats, for a revisit record.
    revisit_of: tuple[str, str] | None = None

    @property
    def content_type(self) -> str | None:
        return next((v for k, v in self.response_headers if k.lower() == "content-type"), None)

    @property
    def location(self) -> str | None:
        """The redirect target as RedirectMiddleware computes it (so its capture can be found)."""
        value = next((v for k, v in self.response_headers if k.lower() == "location"), None)
        if not value:
            return None
        location = safe_url_string(value.encode("latin-1"))
        if value.startswith("//"):
            location = urlsplit(self.url).scheme + "://" + location.lstrip("/")
        return urldefrag(urljoin(self.url, location))[0]


def ascii_header(value: str) -> str:
    """A header value (bytes read as latin-1) with every non-ASCII byte as ``%XX``.

    WARC HTTP heads are ASCII for warcio; a raw UTF-8 ``Location`` (common on
    Persian sites) stays the same URL this way, as Scrapy's redirect reads it.
    """
    if value.isascii():
        return value
    raw = value.encode("latin-1", errors="backslashreplace")
    return "".join(chr(byte) if byte < 128 else f"%{byte:02X}" for byte in raw)


def http_response_headers(status: int, headers: list[tuple[str, str]], length: int) -> StatusAndHeaders:
    """The stored HTTP head: hop-by-hop headers dropped, ``Content-Length`` the payload's,
    non-ASCII bytes percent-encoded (:func:`ascii_header`)."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    kept = [
        (ascii_header(k), ascii_header(v))
        for k, v in headers
        if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"
    ]
    kept.append(("Content-Length", str(length)))
    return StatusAndHeaders(f"{status} {reason}".strip(), kept, protocol="HTTP/1.1")


def http_request_headers(capture: Capture) -> StatusAndHeaders:
    parts = urlsplit(safe_url_string(capture.url))
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [("Host", parts.netloc)]
    headers += [(ascii_header(k), ascii_header(v)) for k, v in capture.request_headers if k.lower() != "host"]
    if capture.request_body:
        headers.append(("Content-Length", str(len(capture.request_body))))
    return StatusAndHeaders(
        f"{capture.method} {target} HTTP/1.1", headers, protocol="HTTP/1.1", is_http_request=True
    )


class WarcFiles:
    """Rolling WARC files of one run: ``<dir>/<source>/<started>-<run id>-<n>.warc.gz``.

    A file is closed and the next one opened once it reaches ``max_size`` bytes.
    Every record is one gzip member, flushed to the operating system as written.
    """

    def __init__(
        self,
        root: Path,
        source: str,
        run_id: int | str | None,
        started: datetime,
        max_size: int = DEFAULT_MAX_SIZE,
        info: dict[str, str] | None = None,
    ):
        self.root = Path(root)
        self.directory = self.root / source
        self.prefix = f"{started.astimezone(UTC):%Y%m%d%H%M%S}-{run_id if run_id is not None else 0}"
        self.max_size = max_size
        self.info = info or {}
        self.number = 0
        self.file: io.BufferedWriter | None = None
        self.path: Path | None = None
        self.writer: WARCWriter | None = None
        self.buffer = io.BytesIO()  # one uncompressed record, see _write_record
        self.warcinfo_id: str | None = None
        self.files: list[Path] = []
        self.bytes_written = 0

    def _open(self) -> tuple[io.BufferedWriter, Path, WARCWriter]:
        """The next file of the run, opened and begun with its ``warcinfo`` record."""
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            path = self.directory / f"{self.prefix}-{self.number:05d}.warc.gz"
            try:
                file = open(path, "xb")  # noqa: SIM115 - closed in _close
                break
            except FileExistsError:
                self.number += 1
        writer = WARCWriter(self.buffer, gzip=False, warc_version=WARC_VERSION)
        self.file, self.path, self.writer = file, path, writer
        self.files.append(path)
        record = writer.create_warcinfo_record(path.name, self.info)
        self.warcinfo_id = record.rec_headers.get_header("WARC-Record-ID")
        self._write_record(file, writer, record)
        return file, path, writer

    def _write_record(self, file: io.BufferedWriter, writer: WARCWriter, record: Any) -> None:
        """``record`` as one gzip member (what warcio's gzip=True writes, at :data:`GZIP_LEVEL`),
        flushed to the operating system."""
        self.buffer.seek(0)
        self.buffer.truncate()
        writer.write_record(record)
        compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, isal_zlib.MAX_WBITS + 16)
        with self.buffer.getbuffer() as plain:
            file.write(compressor.compress(plain) + compressor.flush())
        file.flush()

    def _close(self) -> None:
        if self.file is not None:
            self.bytes_written += self.file.tell()
            self.file.close()
            self.file = self.writer = None

    def write(self, capture: Capture) -> dict[str, Any]:
        """Write the response (or revisit) and request records; the ``captures`` row."""
        if self.file is None or self.path is None or self.writer is None:
            file, path, writer = self._open()
        else:
            file, path, writer = self.file, self.path, self.writer
        common = {"WARC-Date": capture.date, "WARC-Warcinfo-ID": self.warcinfo_id}
        http_headers = http_response_headers(capture.status, capture.response_headers, len(capture.payload))
        if capture.revisit_of:
            record = writer.create_revisit_record(
                capture.url,
                capture.digest,
                capture.revisit_of[0],
                capture.revisit_of[1],
                http_headers=http_headers,
                warc_headers_dict=dict(common),
            )
            record_type = "revisit"
        else:
            headers = {**common, "WARC-Payload-Digest": capture.digest}
            if capture.ip_address:
                headers["WARC-IP-Address"] = capture.ip_address
            if capture.truncated:
                headers["WARC-Truncated"] = "unspecified"
            record = writer.create_warc_record(
                capture.url,
                "response",
                payload=io.BytesIO(capture.payload),
                length=len(capture.payload),
                http_headers=http_headers,
                warc_headers_dict=headers,
            )
            record_type = "response"
        request = writer.create_warc_record(
            capture.url,
            "request",
            payload=io.BytesIO(capture.request_body),
            length=len(capture.request_body),
            http_headers=http_request_headers(capture),
            warc_headers_dict=dict(common),
        )
        request.rec_headers.add_header("WARC-Concurrent-To", record.rec_headers.get_header("WARC-Record-ID"))
        offset = file.tell()
        self._write_record(file, writer, record)
        length = file.tell() - offset
        self._write_record(file, writer, request)
        status: int | None = capture.status
        meta = capture.meta
        if (
            not 100 <= capture.status <= 999
        ):  # Twisted takes any integer, SQLite's are 64-bit: NULL, the number noted
            status, meta = None, {**meta, "http_status": str(capture.status)}
        row = {
            "url": capture.url,
            "kind": capture.kind,
            "fetched_at": capture.date,
            "status": status,
            "content_type": capture.content_type,
            "location": capture.location,
            "payload_digest": capture.digest,
            "record_type": record_type,
            "warc_file": path.relative_to(self.root).as_posix(),
            "warc_offset": offset,
            "warc_length": length,
            "meta": json.dumps(meta, ensure_ascii=False, sort_keys=True) if meta else None,
        }
        if file.tell() >= self.max_size:
            self._close()
            self.number += 1
        return row

    def close(self) -> None:
        self._close()


class WarcWriterThread(threading.Thread):
    """Writes queued captures to :class:`WarcFiles`, off the reactor thread.

    The ``captures`` rows of written records wait in :attr:`rows` for the
    middleware to insert them on the reactor thread, where every other archive
    write of the crawl happens: SQLite transactions of one process never
    interleave, and a row always points at a complete record.
    """

    def __init__(self, files: WarcFiles, source: str, run_id: int | None, maxsize: int = 256):
        super().__init__(name="warc-writer", daemon=True)
        self.files = files
        self.source = source
        self.run_id = run_id
        #: Captures to write; None asks the thread to close the files and end.
        self.queue: queue.Queue[Capture | None] = queue.Queue(maxsize=maxsize)
        self.rows: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self.records = 0
        self.errors = 0

    def put(self, capture: Capture) -> None:
        self.queue.put(capture)

    def run(self) -> None:
        try:
            while (capture := self.queue.get()) is not None:
                try:
                    row = self.files.write(capture)
                except Exception:  # disk full, permissions: the crawl goes on, loudly
                    self.errors += 1
                    logger.exception("could not write the WARC record of %s", capture.url)
                    continue
                self.records += 1
                self.rows.put({**row, "source": self.source, "run_id": self.run_id})
        finally:
            self.files.close()

    def written_rows(self) -> list[dict[str, Any]]:
        """The rows of records written since the last call."""
        rows: list[dict[str, Any]] = []
        while True:
            try:
                rows.append(self.rows.get_nowait())
            except queue.Empty:
                return rows

    def finish(self) -> None:
        self.queue.put(None)
        self.join()
