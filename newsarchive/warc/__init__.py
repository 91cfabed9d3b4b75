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
thread compresses and writes them; they are indexed in ``captures`` in batches, at
least every second. The crawl only hashes the body. Each record is flushed as it is
written, so a killed crawl leaves files whose every complete record is readable (and
at most its last second of records unindexed).

What "as delivered" means (Scrapy issue #1988): HttpCompressionMiddleware
decompresses bodies and deletes ``Content-Encoding``; sitting before it, this
middleware still sees the compressed body *with* its ``Content-Encoding``, so
the payload is stored as the server sent it. Twisted removes the
transfer coding (chunks) and the connection headers (``Transfer-Encoding``,
``Connection``, ``Keep-Alive``) before Scrapy sees a response, so records are
written with those headers dropped and a ``Content-Length`` equal to the
stored payload: self-consistent, byte-exact in the payload, not in the framing.
Each file's ``warcinfo`` record says so.

The package: :mod:`~newsarchive.warc.format` (dates, digests, the headers never
stored, where the files live), :mod:`~newsarchive.warc.writer` (rolling files and
the writing thread), :mod:`~newsarchive.warc.reader` (records read back, damage
reported) and :mod:`~newsarchive.warc.mirror` (WARC files served for replay).
The middleware itself is defined here, because Scrapy loads it by the dotted
path ``newsarchive.warc.WarcMiddleware`` (``DOWNLOADER_MIDDLEWARES`` in
:mod:`newsarchive.settings`, and the distributed add-on names the class to turn
it off); the other modules' public names are re-exported, so
``from newsarchive.warc import ...`` reaches all of them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from functools import partial
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.spiders import Spider
from scrapy.utils.asyncio import AsyncioLoopingCall, create_looping_call
from twisted.internet.task import LoopingCall

from newsarchive import __version__
from newsarchive.archive import Archive, ArchiveWriteError, resolve_db_path
from newsarchive.extensions import archive_failed
from newsarchive.outcomes import RUN_ID, WARC, WARC_BYTES, WARC_FILES
from newsarchive.warc.format import (
    HOP_BY_HOP,
    REDIRECT_STATUSES,
    http_header,
    payload_digest,
    resolve_warc_dir,
    second_of,
    sortable_date,
    warc_date,
)
from newsarchive.warc.mirror import WarcMirror, url_key
from newsarchive.warc.reader import (
    StoredRecord,
    WarcProblem,
    WarcReadError,
    iter_records,
    read_capture,
    read_record,
    warc_files,
)
from newsarchive.warc.writer import (
    DEFAULT_MAX_SIZE,
    GZIP_LEVEL,
    WARC_VERSION,
    Capture,
    WarcFiles,
    WarcWriterThread,
    ascii_header,
    http_request_headers,
    http_response_headers,
)
from newsarchive.writer import ArchiveWriter, WriterStopped, crawl_writer

__all__ = [
    "BODY_NOTE",
    "DEFAULT_MAX_SIZE",
    "GZIP_LEVEL",
    "HOP_BY_HOP",
    "REDIRECT_STATUSES",
    "WARC_VERSION",
    "Capture",
    "StoredRecord",
    "WarcFiles",
    "WarcMiddleware",
    "WarcMirror",
    "WarcProblem",
    "WarcReadError",
    "WarcWriterThread",
    "ascii_header",
    "http_header",
    "http_request_headers",
    "http_response_headers",
    "iter_records",
    "payload_digest",
    "read_capture",
    "read_record",
    "resolve_warc_dir",
    "second_of",
    "sortable_date",
    "url_key",
    "warc_date",
    "warc_files",
]

logger = logging.getLogger(__name__)

#: The ``newsarchive-body`` field of every file's ``warcinfo`` record.
BODY_NOTE = (
    "payload as the download handler delivered it, before Scrapy's HttpCompressionMiddleware: "
    "a compressed body is stored compressed, with its Content-Encoding. The transfer coding "
    "(chunked) and connection headers were removed by Twisted; Content-Length is the stored payload "
    "length. See scrapy#1988."
)


#: WARC records indexed per message to the archive's writer: one transaction (and, with page
#: workers, one message to another process) for this many records instead of one each.
CAPTURES_PER_SEND = 64
#: ...and at least this often while a crawl writes records: a killed crawl leaves at most the
#: last second of its WARC files unindexed (those records stay readable, ``warcio index``).
CAPTURES_SEND_SECONDS = 1.0


def _str(value: bytes | str) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


class WarcMiddleware:
    """Record every response in WARC files (see the module docstring); ``NEWSARCHIVE_WARC=0`` disables it."""

    def __init__(self, crawler: Crawler):
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
        #: Reads (revisits) on this thread; the index rows go to the crawl's archive writer.
        self.archive: Archive | None = None
        self.archive_writer: ArchiveWriter | None = None
        #: (url, digest) -> WARC-Date of the response record written for it in this run.
        self.written: dict[tuple[str, str], str] = {}
        self.failures = 0
        #: Sends the index rows every CAPTURES_SEND_SECONDS during a crawl; when the index was last sent.
        self.indexer: AsyncioLoopingCall | LoopingCall | None = None
        self.indexed_at = time.monotonic()
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcMiddleware:
        return cls(crawler)

    def _run_id(self) -> int | None:
        run_id: int | None = self.crawler.stats.get_value(RUN_ID)
        return run_id

    def _writer(self) -> tuple[WarcWriterThread, Archive]:
        """The writing thread and the archive that indexes its records, started on first use."""
        if self.thread is None or self.archive is None:
            spider = self.crawler.spider
            assert spider is not None, "responses arrive only once the spider is open"
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
            self.archive_writer = crawl_writer(self.crawler)
            self.thread = WarcWriterThread(files, spider.name, run_id)
            self.thread.start()
            self._start_indexer(self.thread)
        return self.thread, self.archive

    def _start_indexer(self, thread: WarcWriterThread) -> None:
        """Index the records written every :data:`CAPTURES_SEND_SECONDS` while the crawl runs
        (a pause between responses leaves none unindexed for long). Without a running event
        loop (the middleware driven by hand) the rows go at the next capture and at the end."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self.indexer = create_looping_call(self._index_on_time, thread)
        self.indexer.start(CAPTURES_SEND_SECONDS, now=False)

    def _index_on_time(self, thread: WarcWriterThread) -> None:
        """The indexer's step: an error is logged and the next step tries again (an exception
        would end the looping call, and with it the indexing of pauses, without a word)."""
        try:
            self._index(thread)
        except Exception:
            logger.exception("could not send the WARC records written so far to the captures index")

    def _revisit_of(self, archive: Archive, url: str, digest: str, payload: bytes) -> tuple[str, str] | None:
        if not payload:
            return None  # nothing to save, and every empty redirect would "repeat" another
        date = self.written.get((url, digest))
        if date:
            return url, date
        earlier = archive.capture_of_payload(url, digest)
        return (url, earlier["fetched_at"]) if earlier else None

    def process_response(self, request: Request, response: Response) -> Response:
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

    def _capture(self, request: Request, response: Response, date: str) -> None:
        writer, archive = self._writer()
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
        capture.revisit_of = self._revisit_of(archive, request.url, digest, payload)
        if capture.revisit_of is None and payload:
            self.written[(request.url, digest)] = date
        writer.put(capture)
        now = time.monotonic()
        if writer.rows.qsize() >= CAPTURES_PER_SEND or now - self.indexed_at >= CAPTURES_SEND_SECONDS:
            self._index(writer)
        stats = self.crawler.stats
        stats.inc_value(f"{WARC}{'revisit' if capture.revisit_of else 'response'}")

    def _index(self, thread: WarcWriterThread, *, wait: bool = False) -> None:
        """Send the ``captures`` rows of the records written so far to the crawl's archive
        writer (:mod:`newsarchive.writer`), behind the articles already queued there; ``wait``
        (at the end) waits for them."""
        self.indexed_at = time.monotonic()
        rows = thread.written_rows()
        writer = self.archive_writer
        if writer is None:
            return
        if wait:  # also settles every earlier send (their errors are reported before this returns)
            try:
                if rows:
                    writer.run("add_captures", rows)
                else:
                    writer.run("ping")
            except Exception as error:
                self._indexed(thread, len(rows), error)
        elif rows:
            writer.send("add_captures", rows, then=partial(self._indexed, thread, len(rows)))

    def _indexed(self, thread: WarcWriterThread, count: int, error: BaseException | None) -> None:
        if error is None:
            return
        if isinstance(error, ArchiveWriteError):  # disk full, read-only: one ERROR, the crawl stops
            archive_failed(self.crawler, error)
        elif isinstance(error, WriterStopped):
            pass  # not tried, behind a write that failed: that failure was reported (once)
        else:
            thread.errors += 1
            logger.error("could not index %d WARC records in captures: %s", count, error, exc_info=error)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.thread is None or self.archive is None:  # nothing was recorded
            return
        if self.indexer is not None and self.indexer.running:
            self.indexer.stop()
        self.thread.finish()
        self._index(self.thread, wait=True)
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
        self.archive.close()
        if self.archive_writer is not None:
            self.archive_writer.release()
