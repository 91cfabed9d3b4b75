"""WARC records of every response a crawl receives, and reading them back.

:class:`WarcMiddleware` (a downloader middleware at 950, on the downloader
side of every built-in one) sees each response as the download handler
delivered it: before RetryMiddleware (550) retries a 5xx, before
HttpCompressionMiddleware (590) decompresses it, before RedirectMiddleware
(600) follows a 3xx, and before the spider middleware HttpErrorMiddleware
drops a 4xx. robots.txt fetched by RobotsTxtMiddleware goes through the
downloader middlewares too, so it is recorded like any other response; the
spider's own request for it is answered from that fetch, flagged ``cached``,
and not recorded twice (``SharedRobotsTxtMiddleware``).

Each response becomes a ``response`` record (or a ``revisit`` record when the
same URL already has a stored response with an identical payload, in this run
or an earlier one: the ``captures`` table is looked up by payload digest)
followed by its ``request`` record, one gzip member per record, in
``<warc dir>/<source>/<YYYYmmddHHMMSS>-<run id>-<n>.warc.gz``. A background
thread compresses and writes them and indexes them in ``captures``; the crawl
only hashes the body. Each record is flushed as it is written, so a killed
crawl leaves files whose every complete record is readable.

What "as delivered" means (Scrapy bodies, scrapy#1988): HttpCompressionMiddleware
decompresses bodies and deletes ``Content-Encoding``; sitting before it, this
middleware still sees the compressed body *with* its ``Content-Encoding``, so
the payload is stored as the server sent it. Twisted removes the
transfer coding (chunks) and the connection headers (``Transfer-Encoding``,
``Connection``, ``Keep-Alive``) before Scrapy sees a response, so records are
written with those headers dropped and a ``Content-Length`` equal to the
stored payload: self-consistent, byte-exact in the payload, not in the framing.
Each file's ``warcinfo`` record says so.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import mmap
import os
import queue
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from w3lib.url import safe_url_string
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsarchive import __version__
from newsarchive.archive import Archive, ArchiveWriteError, resolve_db_path
from newsarchive.outcomes import RUN_ID, WARC, WARC_BYTES, WARC_FILES

logger = logging.getLogger(__name__)

WARC_VERSION = "1.1"
DEFAULT_MAX_SIZE = 1_000_000_000
#: zlib level of each record's gzip member. warcio's own gzip=True uses 9, which on
#: 80-150 KB HTML pages costs ~30 % more CPU than zlib's default 6 for files within
#: 1 % of the size (bench/bench_crawl.py: WARC records were a third of the crawl's CPU).
GZIP_LEVEL = 6
#: Headers that describe the connection or the transfer, not the payload; never written.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
BODY_NOTE = (
    "payload as the download handler delivered it, before Scrapy's HttpCompressionMiddleware: "
    "a compressed body is stored compressed, with its Content-Encoding. The transfer coding "
    "(chunked) and connection headers were removed by Twisted; Content-Length is the stored payload "
    "length. See scrapy#1988."
)


def payload_digest(payload: bytes) -> str:
    """``sha1:<base32>``, as warcio writes ``WARC-Payload-Digest``."""
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")


def warc_date(moment: datetime) -> str:
    """A WARC 1.1 date: UTC with microseconds, ``2025-01-31T12:00:00.123456Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def second_of(date: str) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` (the archive's timestamps) of a WARC date."""
    return date[:19] + "Z"


def sortable_date(date: str) -> str:
    """A WARC date that sorts correctly whether or not it has fractional seconds."""
    base = date.rstrip("Z")
    return base if "." in base else base + ".000000"


def resolve_warc_dir(warc_dir: str | os.PathLike | None, db: str | os.PathLike | None) -> Path:
    """``NEWSARCHIVE_WARC_DIR``, else ``$NEWSARCHIVE_WARC_DIR``, else ``warc/`` beside the archive."""
    chosen = warc_dir or os.environ.get("NEWSARCHIVE_WARC_DIR")
    return Path(chosen) if chosen else resolve_db_path(db).resolve().parent / "warc"


def _str(value: bytes | str) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


# --- writing ----------------------------------------------------------------


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

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            path = self.directory / f"{self.prefix}-{self.number:05d}.warc.gz"
            try:
                self.file = open(path, "xb")  # noqa: SIM115 - closed in _close
                break
            except FileExistsError:
                self.number += 1
        self.path = path
        self.files.append(path)
        self.writer = WARCWriter(self.buffer, gzip=False, warc_version=WARC_VERSION)
        record = self.writer.create_warcinfo_record(path.name, self.info)
        self.warcinfo_id = record.rec_headers.get_header("WARC-Record-ID")
        self._write_record(record)

    def _write_record(self, record) -> None:
        """``record`` as one gzip member (what warcio's gzip=True writes, at :data:`GZIP_LEVEL`),
        flushed to the operating system."""
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.write_record(record)
        compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        with self.buffer.getbuffer() as plain:
            self.file.write(compressor.compress(plain) + compressor.flush())
        self.file.flush()

    def _close(self) -> None:
        if self.file is not None:
            self.bytes_written += self.file.tell()
            self.file.close()
            self.file = self.writer = None

    def write(self, capture: Capture) -> dict[str, Any]:
        """Write the response (or revisit) and request records; the ``captures`` row."""
        if self.file is None:
            self._open()
        writer = self.writer
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
        offset = self.file.tell()
        self._write_record(record)
        length = self.file.tell() - offset
        self._write_record(request)
        status, meta = capture.status, capture.meta
        if not 100 <= status <= 999:  # Twisted takes any integer, SQLite's are 64-bit: NULL, the number noted
            status, meta = None, {**meta, "http_status": str(status)}
        row = {
            "url": capture.url,
            "kind": capture.kind,
            "fetched_at": capture.date,
            "status": status,
            "content_type": capture.content_type,
            "location": capture.location,
            "payload_digest": capture.digest,
            "record_type": record_type,
            "warc_file": self.path.relative_to(self.root).as_posix(),
            "warc_offset": offset,
            "warc_length": length,
            "meta": json.dumps(meta, ensure_ascii=False, sort_keys=True) if meta else None,
        }
        if self.file.tell() >= self.max_size:
            self._close()
            self.number += 1
        return row

    def close(self) -> None:
        self._close()


_STOP = object()


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
        self.queue: queue.Queue = queue.Queue(maxsize=maxsize)
        self.rows: queue.SimpleQueue = queue.SimpleQueue()
        self.records = 0
        self.errors = 0

    def put(self, capture: Capture) -> None:
        self.queue.put(capture)

    def run(self) -> None:
        try:
            while (capture := self.queue.get()) is not _STOP:
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
        rows = []
        while True:
            try:
                rows.append(self.rows.get_nowait())
            except queue.Empty:
                return rows

    def finish(self) -> None:
        self.queue.put(_STOP)
        self.join()


class WarcMiddleware:
    """Record every response in WARC files (see the module docstring); ``NEWSARCHIVE_WARC=0`` disables it."""

    def __init__(self, crawler):
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_WARC", True):
            raise NotConfigured
        self.crawler = crawler
        self.db_path = resolve_db_path(settings.get("NEWSARCHIVE_DB"))
        self.root = resolve_warc_dir(settings.get("NEWSARCHIVE_WARC_DIR"), self.db_path)
        self.max_size = settings.getint("NEWSARCHIVE_WARC_MAX_SIZE") or DEFAULT_MAX_SIZE
        self.replay_url = settings.get("NEWSARCHIVE_REPLAY_URL") or None
        self.started = datetime.now(UTC)
        self.thread: WarcWriterThread | None = None
        self.archive: Archive | None = None
        #: (url, digest) -> WARC-Date of the response record written for it in this run.
        self.written: dict[tuple[str, str], str] = {}
        self.failures = 0
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _run_id(self) -> int | None:
        return self.crawler.stats.get_value(RUN_ID)

    def _writer(self) -> WarcWriterThread:
        if self.thread is None:
            spider = self.crawler.spider
            run_id = self._run_id()
            info = {
                "software": f"newsarchive/{__version__} (warcio, Scrapy)",
                "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
                "isPartOf": f"newsarchive {spider.name} run {run_id}",
                "http-header-user-agent": self.crawler.settings.get("USER_AGENT"),
                "robots": "obey" if self.crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore",
                "newsarchive-body": BODY_NOTE,
                "description": (
                    f"replayed from a local replay server ({self.replay_url}), not fetched from the live site"
                )
                if self.replay_url
                else None,
            }
            files = WarcFiles(self.root, spider.name, run_id, self.started, self.max_size, info)
            self.archive = Archive(self.db_path)
            self.thread = WarcWriterThread(files, spider.name, run_id)
            self.thread.start()
        return self.thread

    def _revisit_of(self, url: str, digest: str, payload: bytes) -> tuple[str, str] | None:
        if not payload:
            return None  # nothing to save, and every empty redirect would "repeat" another
        date = self.written.get((url, digest))
        if date:
            return url, date
        earlier = self.archive.capture_of_payload(url, digest)
        return (url, earlier["fetched_at"]) if earlier else None

    def process_response(self, request, response):
        if "cached" in response.flags or not request.url.startswith(("http://", "https://")):
            return response
        date = warc_date(datetime.now(UTC))
        # The item's fetched_at: the capture's second, so reparse sees the same time.
        request.meta["newsarchive_fetched_at"] = second_of(date)
        try:
            self._capture(request, response, date)
        except Exception:  # a WARC problem must not cost the crawl its articles
            self.failures += 1
            logger.exception("could not record %s in the WARC files", request.url)
        return response

    def _capture(self, request, response, date: str) -> None:
        writer = self._writer()
        payload = response.body
        digest = payload_digest(payload)
        kind = request.meta.get("newsarchive_kind") or (
            "robots" if urlsplit(request.url).path == "/robots.txt" else None
        )
        meta = {
            key: request.meta[key]
            for key in ("discovered_via", "lastmod", "feed_date")
            if request.meta.get(key)
        }
        capture = Capture(
            url=request.url,
            method=request.method,
            request_headers=[(_str(k), _str(v)) for k, values in request.headers.items() for v in values],
            request_body=request.body or b"",
            status=response.status,
            response_headers=[(_str(k), _str(v)) for k, values in response.headers.items() for v in values],
            payload=payload,
            date=date,
            digest=digest,
            kind=kind,
            meta=meta,
            ip_address=None if self.replay_url or response.ip_address is None else str(response.ip_address),
            truncated="dataloss" in response.flags,
        )
        capture.revisit_of = self._revisit_of(request.url, digest, payload)
        if capture.revisit_of is None and payload:
            self.written[(request.url, digest)] = date
        writer.put(capture)
        self._index()
        stats = self.crawler.stats
        stats.inc_value(f"{WARC}{'revisit' if capture.revisit_of else 'response'}")

    def _index(self) -> None:
        rows = self.thread.written_rows()
        if rows:
            try:
                self.archive.add_captures(rows)
            except ArchiveWriteError as error:  # disk full, read-only: one ERROR, the crawl stops
                from newsarchive.extensions import archive_failed

                archive_failed(self.crawler, error)
            except Exception:
                self.thread.errors += 1
                logger.exception("could not index %d WARC records in captures", len(rows))

    def spider_closed(self, spider, reason: str) -> None:
        if self.thread is None:
            return
        self.thread.finish()
        self._index()
        files = self.thread.files
        self.crawler.stats.set_value(WARC_BYTES, files.bytes_written)
        self.crawler.stats.set_value(WARC_FILES, len(files.files))
        if self.thread.errors or self.failures:
            logger.error("%d WARC write error(s) in this run; see above", self.thread.errors + self.failures)
        logger.info(
            "WARC: %d record pairs in %d file(s), %d bytes, under %s",
            self.thread.records,
            len(files.files),
            files.bytes_written,
            self.root,
        )
        if self.archive is not None:
            self.archive.close()


# --- reading ----------------------------------------------------------------


class WarcReadError(RuntimeError):
    """A stored record cannot be read: the file is missing, truncated or corrupt."""


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
                inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
                parts: list[bytes] = []
                cursor = position
                try:
                    while not inflater.eof and cursor < size:
                        chunk = data[cursor : cursor + _CHUNK]
                        cursor += len(chunk)
                        parts.append(inflater.decompress(chunk))
                except zlib.error as error:
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
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        data = inflater.decompress(raw)
    except zlib.error as error:
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


def http_header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name.lower()), None)


# --- replay -----------------------------------------------------------------


def url_key(url: str) -> tuple[str, str]:
    """``(host without www., decoded path + query)``: how replay finds a capture."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = unquote(parts.path or "/")
    return host, path + (f"?{parts.query}" if parts.query else "")


@dataclass
class _Entry:
    sort_key: str
    path: Path
    offset: int
    length: int
    rec_type: str
    url: str
    digest: str | None
    refers_to: str | None


class WarcMirror:
    """Captures in WARC files served like a mirror directory (see :mod:`newsarchive.replay`).

    Responses and revisits are indexed by ``(host, path + query)``; the latest
    capture of a URL wins; a revisit is served with its own status and headers
    and the payload of the response it refers to. Damaged files are reported in
    ``problems`` and every readable record is still served.
    """

    def __init__(self, source: str | os.PathLike):
        self.source = Path(source)
        self.files = warc_files(self.source)
        if not self.files:
            raise FileNotFoundError(f"no WARC files in {self.source}")
        self.problems: list[WarcProblem] = []
        self.index: dict[tuple[str, str], _Entry] = {}
        #: (url, digest) and digest -> the response record holding that payload.
        self.payloads: dict[tuple[str, str] | str, _Entry] = {}
        for path in self.files:
            for record in iter_records(path, self.problems):
                if record.rec_type not in ("response", "revisit"):
                    continue
                entry = _Entry(
                    sortable_date(record.date),
                    path,
                    record.offset,
                    record.length,
                    record.rec_type,
                    record.url,
                    record.digest,
                    record.headers.get("WARC-Refers-To-Target-URI"),
                )
                key = url_key(record.url)
                if key not in self.index or self.index[key].sort_key <= entry.sort_key:
                    self.index[key] = entry
                if record.rec_type == "response" and record.digest:
                    self.payloads[(record.url, record.digest)] = entry
                    self.payloads.setdefault(record.digest, entry)
        self.hosts = {host for host, _ in self.index}

    def __len__(self) -> int:
        return len(self.index)

    def _entry(self, host: str | None, raw_path: str) -> _Entry | None:
        parts = urlsplit(raw_path)
        path = unquote(parts.path or "/")
        query = f"?{parts.query}" if parts.query else ""
        if host:
            host = host.split(":")[0].lower().removeprefix("www.")
        elif len(self.hosts) == 1:
            host = next(iter(self.hosts))
        return self.index.get((host or "", path + query)) or (
            self.index.get((host or "", path)) if query else None
        )

    def _read(self, entry: _Entry) -> StoredRecord:
        record = read_record(entry.path, entry.offset, entry.length)
        if record.rec_type == "revisit":
            original = self.payloads.get((entry.refers_to or entry.url, entry.digest)) or self.payloads.get(
                entry.digest
            )
            if original is None:
                raise WarcReadError(f"revisit of {entry.url}: the original response is not in {self.source}")
            record.payload = read_record(original.path, original.offset, original.length).payload
        return record

    def response(
        self, host: str | None, raw_path: str
    ) -> tuple[int, dict[str, str] | list[tuple[str, str]], bytes] | None:
        """``(status, headers, body)`` of the latest capture, or None when there is none."""
        entry = self._entry(host, raw_path)
        if entry is None:
            return None
        try:
            record = self._read(entry)
        except WarcReadError as error:
            logger.warning("%s", error)
            return None
        headers = [
            (k, v)
            for k, v in record.http_headers
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"
        ]
        return record.status or 200, headers, record.payload
