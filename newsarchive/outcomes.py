"""How a crawl run can turn out, each name spelled once: stats keys, drop reasons, exit codes, statuses.

A crawl keeps every count in Scrapy's stats under ``newsarchive/…``; the run extension turns
them into its ``crawl_runs`` row (:func:`newsarchive.extensions.run_summary`), the health
checks judge them (:mod:`newsarchive.health`), the ingester of a distributed crawl adds them
up (:mod:`newsarchive.distributed`) and ``newsarchive runs`` shows them. A key or a reason
spelled by hand in two places is how a count silently stops being judged, so every module
takes its names from here.

Every reason a page, request or item can be dropped for is a :class:`Drop` constant, counted
under ``newsarchive/dropped/<reason>`` by :func:`count_drop` (``tests/FAULTS.md`` lists what
each one means); :func:`failure_reason` names a failed request. Exit codes are those of
``scrapy crawl`` and ``newsarchive crawl``; :class:`RunStatus` holds the values of
``crawl_runs.status``.

This module imports nothing from the project, so the spider, the middlewares, the pipelines,
the extensions and the ingester can all import it; nor anything from Scrapy, since the
archive and every ``newsarchive`` command import it too (Scrapy costs ~0.4 s to import).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

# --- stats keys ---------------------------------------------------------------------------

PREFIX = "newsarchive/"
#: ``+ reason``: pages, requests and items dropped (see :class:`Drop`).
DROPPED = f"{PREFIX}dropped/"
#: ``+ outcome`` (:data:`ARTICLE_OUTCOMES`): articles the archive kept.
ARTICLES = f"{PREFIX}articles/"
#: ``+ reason`` (:data:`FETCH_REASONS`): article requests made, by why (newsarchive.freshness).
FETCH = f"{PREFIX}fetch/"
#: Article URLs found new by discovery: the health check's "listed but none kept".
FETCH_NEW = f"{FETCH}new"
SKIPPED = f"{PREFIX}skipped/"
#: An article URL not fetched: the archive knows it and the refresh rule says not again.
SKIPPED_KNOWN = f"{SKIPPED}known"
#: A sitemap not read: its ``lastmod`` is the one read last time.
SKIPPED_SITEMAP = f"{SKIPPED}sitemap"
#: ``+ kind``: boilerplate blocks taken out of bodies.
BOILERPLATE = f"{PREFIX}boilerplate/"
#: Paragraphs of a source's learned template removed from bodies (newsarchive.templates).
BOILERPLATE_TEMPLATE = f"{BOILERPLATE}template"
#: ``+ field``: stored articles that have the field.
FIELD = f"{PREFIX}field/"
#: ``+ field/layer``: stored articles whose field came from that extraction layer.
LAYER = f"{PREFIX}layer/"
#: Pages whose declared charset was wrong and was corrected, or could not be.
CHARSET_CORRECTED = f"{PREFIX}charset/corrected"
CHARSET_INVALID = f"{PREFIX}charset/invalid"
#: robots.txt answered from the robots.txt middleware's own fetch.
ROBOTS_REUSED = f"{PREFIX}robots/reused"
RETRY_AFTER_TOO_LONG = f"{PREFIX}retry/after_too_long"
RETRY_WAITED_SECONDS = f"{PREFIX}retry/waited_seconds"
RETRY_AFTER_HONOURED = f"{PREFIX}retry/retry_after_honoured"
#: ``+ response|revisit``: WARC records written; and the size and number of WARC files.
WARC = f"{PREFIX}warc/"
WARC_BYTES = f"{WARC}bytes"
WARC_FILES = f"{WARC}files"
#: A distributed worker's items sent to (or refused by) Redis.
REDIS = f"{PREFIX}redis/"
REDIS_PUSHED = f"{REDIS}pushed"
REDIS_PUSH_ERRORS = f"{REDIS}push_errors"
#: The exit code a run leaves for the crawl commands (the worst outcome wins).
EXIT_CODE = f"{PREFIX}exit_code"
#: The run's ``crawl_runs`` id.
RUN_ID = f"{PREFIX}run_id"
#: The message of the archive failure that stopped the run.
ARCHIVE_ERROR = f"{PREFIX}archive_error"
#: Why a run did not start (another run holds the lock).
NOT_STARTED = f"{PREFIX}not_started"
#: A distributed crawl's id and a worker's id (worker stats; the crawl id also in the run's).
CRAWL = f"{PREFIX}crawl"
WORKER = f"{PREFIX}worker"
#: ``crawl_runs.stats`` keys where the ingester keeps a distributed crawl's state.
INGEST_LAST_BATCH = f"{PREFIX}ingest/last_batch"
INGEST_WORKERS = f"{PREFIX}ingest/workers"
INGEST_SITEMAPS = f"{PREFIX}ingest/sitemaps"
INGEST_ALIASES = f"{PREFIX}ingest/aliases"
INGEST_DEAD_WORKERS = f"{PREFIX}ingest/dead_workers"

#: What the archive did with an article it was given (``newsarchive/articles/<outcome>``).
ARTICLE_OUTCOMES = ("new", "updated", "unchanged")
#: Why an article is fetched (``newsarchive/fetch/<reason>``, see newsarchive.freshness).
FETCH_REASONS = ("new", "changed", "young")


class Stats(Protocol):
    """What counting needs of Scrapy's stats collector (the ingester passes its own)."""

    def inc_value(self, key: str, count: int = 1) -> None: ...


def stats_under(stats: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The stats whose key starts with ``prefix``, keyed by the rest (``dropped/`` → reasons)."""
    return {key[len(prefix) :]: value for key, value in stats.items() if key.startswith(prefix)}


# --- drop reasons -------------------------------------------------------------------------


class Drop:
    """Every reason counted under ``newsarchive/dropped/<reason>``, by where it is met.

    Plain strings (they go into stats, JSON and SQLite as they are); ``http-<status>``
    (:func:`failure_reason`) is the one reason made from a value.
    """

    # A request that failed (failure_reason): the response's status, or the error.
    BAD_STATUS = "bad-status"
    GONE = "gone"
    RATE_LIMITED = "rate-limited"
    SERVER_ERROR = "server-error"
    OVERSIZE = "oversize"
    REDIRECT_LOOP = "redirect-loop"
    OFFSITE_REDIRECT = "offsite-redirect"
    TIMEOUT = "timeout"
    DATA_LOSS = "data-loss"
    CONNECTION_LOST = "connection-lost"
    FETCH_ERROR = "fetch-error"
    # A URL the crawler may not fetch (newsarchive.urlpolicy).
    URL_TOO_LONG = "url-too-long"
    UNSAFE_URL = "unsafe-url"
    OFFSITE_URL = "offsite-url"
    # A response that is no content (newsarchive.pagecheck, via the page-check middleware).
    BLOCKED = "blocked"
    EMPTY = "empty"
    SOFT_404 = "soft-404"
    # Discovery: sitemaps and feeds.
    SITEMAP_DEPTH = "sitemap-depth"
    SITEMAP_LIMIT = "sitemap-limit"
    XML_ENTITIES = "xml-entities"
    BAD_SITEMAP = "bad-sitemap"
    BAD_FEED = "bad-feed"
    # An article request whose answer is not an article page.
    NOT_HTML = "not-html"
    NOT_ARTICLE = "not-article"
    # An item the pipelines drop.
    NO_URL = "no-url"
    NO_TITLE = "no-title"
    NO_BODY = "no-body"
    NO_DATE = "no-date"
    BEFORE_SINCE = "before-since"
    CANONICAL_CONFLICT = "canonical-conflict"
    ARCHIVE_ERROR = "archive-error"
    # newsarchive reparse: captures that cannot be parsed again.
    REDIRECT_NOT_CAPTURED = "redirect-not-captured"
    UNREADABLE_CAPTURE = "unreadable-capture"
    SUPERSEDED = "superseded"
    OTHER = "other"


def count_drop(stats: Stats, reason: str) -> None:
    """Count a dropped page, request or item under its reason in the crawl stats."""
    stats.inc_value(f"{DROPPED}{reason}")


def counted_reason(error: BaseException) -> str | None:
    """The reason of a rejection that was counted where it happened (the page checks, the
    allow-rule: :class:`newsarchive.middlewares.PageRejected`), else None: counting the
    request's failure again in its errback would count it twice."""
    return getattr(error, "counted_reason", None)


def failure_reason(failure: Any) -> str:
    """A short, stable reason for a failed request (a Twisted ``Failure``), for the crawl counts."""
    error = failure.value
    response = getattr(error, "response", None)
    if response is not None:
        status = response.status
        if not 100 <= status <= 999:
            return Drop.BAD_STATUS  # no HTTP status at all (Twisted takes any integer)
        if status in (404, 410):
            return Drop.GONE
        if status == 429:
            return Drop.RATE_LIMITED
        return Drop.SERVER_ERROR if status >= 500 else f"http-{status}"
    name = type(error).__name__
    message = str(error)
    # Over DOWNLOAD_MAXSIZE: a declared length says so in the message; a body without one
    # is cancelled once the bytes received pass it, and Scrapy's HTTP/1.1 handler then
    # raises a DownloadCancelledError with no message (its only other cancellation, the
    # download timeout, arrives as DownloadTimeoutError).
    if "max size" in message or "DOWNLOAD_MAXSIZE" in message or name == "DownloadCancelledError":
        return Drop.OVERSIZE
    if "max redirections" in message:
        return Drop.REDIRECT_LOOP
    if "offsite" in message.lower():
        return Drop.OFFSITE_REDIRECT
    if "Timeout" in name or "timed out" in message.lower():
        return Drop.TIMEOUT
    if "DataLoss" in name or "dataloss" in message.lower().replace(" ", ""):
        return Drop.DATA_LOSS
    if any(
        word in name
        for word in (
            "ConnectionLost",
            "ConnectionDone",
            "ResponseFailed",
            "ConnectionRefused",
            "DownloadFailed",
            "ConnectError",
        )
    ):
        return Drop.CONNECTION_LOST
    return Drop.FETCH_ERROR


# --- exit codes ---------------------------------------------------------------------------

#: Exit codes of ``scrapy crawl`` and ``newsarchive crawl`` (also in README and settings):
#: 0 every run finished healthy, 1 a run could not start or failed otherwise (Scrapy's own),
#: 2 bad usage, 3 a run was degraded, 4 the archive cannot be written (read-only, disk full),
#: 5 the archive is busy (a `newsarchive reindex` holds it; run again later).
#: A damaged archive (PRAGMA quick_check fails) is 1: a person must restore it.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_DEGRADED = 3
EXIT_ARCHIVE = 4
EXIT_BUSY = 5


def archive_exit_code(error: Exception) -> int:
    """The exit code for an archive that refused a crawl, by the error's ``reason``
    (:class:`newsarchive.archive.ArchiveWriteError`): busy 5, damaged 1, anything else 4."""
    codes: dict[object, int] = {"busy": EXIT_BUSY, "damaged": EXIT_FAILED}
    return codes.get(getattr(error, "reason", None), EXIT_ARCHIVE)


def set_exit_code(stats: Any, code: int) -> None:
    """Raise the run's exit code (:data:`EXIT_CODE` in ``stats``) to ``code``: the worst outcome wins."""
    stats.max_value(EXIT_CODE, code)


# --- runs ---------------------------------------------------------------------------------


class RunStatus:
    """``crawl_runs.status``: a run is ``running`` until it ends ``finished`` (healthy),
    ``degraded`` (finished, but the health checks found problems), ``failed`` (stopped early,
    or by the archive) or ``killed`` (its process died; marked by the next run)."""

    RUNNING = "running"
    FINISHED = "finished"
    DEGRADED = "degraded"
    FAILED = "failed"
    KILLED = "killed"
    #: Runs that fetched everything their discovery listed.
    COMPLETED = (FINISHED, DEGRADED)


#: Scrapy's close reason of a run stopped because the archive refused a write.
ARCHIVE_ERROR_REASON = Drop.ARCHIVE_ERROR

#: Signal (``crawler.signals.send_catch_log(archive_failure, error=...)``) of a component that
#: met an archive refusing a write (an ``ArchiveError``): the run extension stops the crawl,
#: names the error in the run's row and sets the exit code (newsarchive.extensions).
archive_failure = object()
