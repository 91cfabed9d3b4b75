"""The run lifecycle: one run per spider per archive, recorded in ``crawl_runs``.

:class:`CrawlRun` takes the run lock (a second run exits at once, non-zero,
writing nothing), marks runs left ``running`` by killed processes as
``killed``, and when the spider closes writes the run's counts and field
coverage. Field coverage is the share of stored articles that have each
field and which extraction layer produced it: when a site is redesigned, its
selectors stop matching, and titles come from ``meta`` instead of ``site`` or
bodies go missing. The report shows it on the first run after the change.

At the end of a finished run :mod:`newsarchive.health` judges the numbers; a
run with problems is ``degraded``. A run the archive refused (disk full,
read-only) is ``failed``, with the reason in ``problems`` when that can still
be written. The exit code the crawl commands should end with is left in the
stats as ``newsarchive/exit_code`` (see :mod:`newsarchive.commands.crawl`).
"""

from __future__ import annotations

import gc
import logging
import os
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from twisted.python.failure import Failure

from newsarchive.archive import (
    Archive,
    ArchiveBusy,
    ArchiveDamaged,
    ArchiveError,
    damaged_archive,
    quick_check,
    resolve_db_path,
)
from newsarchive.health import Thresholds, check_health
from newsarchive.outcomes import (
    ARCHIVE_ERROR,
    ARCHIVE_ERROR_REASON,
    ARTICLE_OUTCOMES,
    ARTICLES,
    BOILERPLATE,
    DROPPED,
    EXIT_ARCHIVE,
    EXIT_DEGRADED,
    EXIT_FAILED,
    FIELD,
    LAYER,
    RUN_ID,
    RunStatus,
    Stats,
    archive_exit_code,
    archive_failure,
    set_exit_code,
    stats_under,
)
from newsarchive.runlock import RunLock, RunLocked, SpaceReserve, maintenance_holder

logger = logging.getLogger(__name__)

#: Fields whose coverage each run reports.
COVERAGE_FIELDS = ("title", "lead", "body", "authors", "categories", "tags", "image_url", "published")


def archive_failed(crawler: Crawler, error: ArchiveError) -> None:
    """Log an archive failure once, at ERROR, remember it for the run row and the exit
    code, and stop the crawl: every later write would fail the same way."""
    stats = crawler.stats
    set_exit_code(stats, archive_exit_code(error))
    if stats.get_value(ARCHIVE_ERROR):
        return
    stats.set_value(ARCHIVE_ERROR, str(error))
    logger.error("stopping the crawl: %s", error)
    try:
        engine = crawler.engine
    except RuntimeError:  # Scrapy >= 2.13 raises instead of answering None before the crawl starts
        return
    if engine is not None and engine.spider is not None:
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(engine.close_spider_async(reason=ARCHIVE_ERROR_REASON))


def check_archive(db_path: str | os.PathLike[str]) -> None:
    """Raise :class:`ArchiveError` (logged by the caller) unless the archive at ``db_path``
    is not being rebuilt, is sound (``PRAGMA quick_check``), opens, is migrated and takes
    writes. The crawl commands call it before a crawl starts, so a busy, damaged or
    read-only archive is one clear message, not a traceback per component."""
    holder = maintenance_holder(db_path)
    if holder is not None:
        raise ArchiveBusy(
            f"archive {db_path} is being rebuilt by `newsarchive reindex` (pid {holder}); "
            "the crawl did not start: run it again when the reindex has ended"
        )
    if os.path.exists(db_path):
        found = quick_check(db_path)
        if found:
            raise ArchiveDamaged(db_path, found)
    with Archive(db_path) as archive:
        archive.probe_write()


def storage_failed(crawler: Crawler, failure: Failure) -> None:
    """A callback or pipeline that met a damaged or locked archive (a bare ``sqlite3`` error):
    the run stops and is recorded failed, never ``finished``."""
    import sqlite3

    error = failure.value
    if not isinstance(error, sqlite3.Error):
        return
    db_path = resolve_db_path(crawler.settings.get("NEWSARCHIVE_DB"))
    archive_failed(crawler, damaged_archive(db_path, error) or ArchiveError(f"archive {db_path}: {error}"))


def record_coverage(stats: Stats, item: dict[str, Any]) -> None:
    """Count which fields a stored item has, and from which layer."""
    sources = item.get("field_sources") or {}
    for field in COVERAGE_FIELDS:
        value = item.get("published_at") if field == "published" else item.get(field)
        if value:
            stats.inc_value(f"{FIELD}{field}")
            stats.inc_value(f"{LAYER}{field}/{sources.get(field, 'unknown')}")


def run_summary(stats: dict[str, Any]) -> dict[str, Any]:
    """The ``crawl_runs`` columns for a run's stats: requests, responses, outcomes, drops, coverage."""
    stored = sum(stats.get(f"{ARTICLES}{o}", 0) for o in ARTICLE_OUTCOMES)
    layers: dict[str, dict[str, int]] = {}
    for key, value in stats_under(stats, LAYER).items():
        field, layer = key.split("/", 1)
        layers.setdefault(field, {})[layer] = value
    coverage = {
        "articles": stored,
        "fields": {
            f: round(stats.get(f"{FIELD}{f}", 0) / stored, 4) if stored else None for f in COVERAGE_FIELDS
        },
        "layers": layers,
    }
    return {
        "requests": stats.get("downloader/request_count", 0),
        "responses": stats_under(stats, "downloader/response_status_count/"),
        **{f"articles_{o}": stats.get(f"{ARTICLES}{o}", 0) for o in ARTICLE_OUTCOMES},
        "dropped": stats_under(stats, DROPPED),
        "boilerplate": stats_under(stats, BOILERPLATE),
        "coverage": coverage,
    }


class CrawlRun:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.db_path = resolve_db_path(crawler.settings.get("NEWSARCHIVE_DB"))
        self.lock: RunLock | None = None
        self.reserve = SpaceReserve(self.db_path, crawler.spidercls.name)
        self.run_id: int | None = None
        #: What check_health judges a finished run by (None: its defaults); set by from_crawler.
        self.thresholds: Thresholds | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRun:
        """Take the run lock before anything opens: a locked run fails to start and writes nothing.

        ``scrapy check`` (which sets ``SCRAPY_CHECK``) is no run: it takes no lock and records nothing.
        """
        if os.environ.get("SCRAPY_CHECK"):
            raise NotConfigured("scrapy check is not a crawl run")
        extension = cls(crawler)
        # Before the lock: a bad threshold setting fails the start, and holds nothing.
        extension.thresholds = Thresholds.from_settings(crawler.settings, COVERAGE_FIELDS)
        spider_name = crawler.spidercls.name
        try:
            extension.lock = RunLock(extension.db_path, spider_name).acquire()
        except RunLocked as locked:
            logger.error("%s", locked)
            raise
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.callback_failed, signal=signals.spider_error)
        crawler.signals.connect(extension.callback_failed, signal=signals.item_error)
        crawler.signals.connect(extension.archive_refused, signal=archive_failure)
        return extension

    def callback_failed(
        self,
        failure: Failure,
        response: Response | None = None,
        spider: Spider | None = None,
        item: Any = None,
    ) -> None:
        storage_failed(self.crawler, failure)

    def archive_refused(self, error: ArchiveError) -> None:
        """A component (the crawl memory, newsarchive.memory) met an archive refusing a write."""
        archive_failed(self.crawler, error)

    def spider_opened(self, spider: Spider) -> None:
        self.reserve.hold()
        try:
            with Archive(self.db_path) as archive:
                killed = archive.mark_killed_runs(spider.name)
                self.run_id = archive.start_run(spider.name)
        except ArchiveError as error:
            archive_failed(self.crawler, error)
            return
        if killed:
            logger.warning("%d earlier %s run(s) had been killed; marked as such", killed, spider.name)
        self.crawler.stats.set_value(RUN_ID, self.run_id)

    def item_scraped(self, item: Any, spider: Spider) -> None:
        record_coverage(self.crawler.stats, dict(item))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        try:
            if self.run_id is None:
                return
            summary = run_summary(stats.get_stats())
            status, problems = self._judge(spider.name, reason, summary)
            summary["problems"] = problems
            self.reserve.release()  # the room the run's record needs on a full disk
            self._record(self.run_id, spider.name, status, summary)
            self._report(spider.name, status, summary)
        finally:
            self.reserve.release()
            if self.lock is not None:
                self.lock.release()

    def _record(self, run_id: int, site: str, status: str, summary: dict[str, Any]) -> None:
        """Write the run's row; on a full disk at least its status and problems (a few bytes
        that may still fit where the stats blob does not), else say so at ERROR."""
        try:
            with Archive(self.db_path) as archive:
                try:
                    archive.finish_run(run_id, status, summary, self.crawler.stats.get_stats())
                except ArchiveError:
                    archive.mark_run(run_id, status, summary["problems"])
        except ArchiveError as error:
            set_exit_code(self.crawler.stats, EXIT_ARCHIVE)
            logger.error("could not record the end of %s run %s: %s", site, run_id, error)

    def _judge(self, site: str, reason: str, summary: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        """The run's status and problems: ``failed`` when the archive stopped it or it did not
        finish, else ``degraded`` when :func:`check_health` finds problems, else ``finished``."""
        stats = self.crawler.stats
        if stats.get_value(ARCHIVE_ERROR):
            return RunStatus.FAILED, [{"check": "archive", "message": stats.get_value(ARCHIVE_ERROR)}]
        if reason == "closespider_timeout":
            set_exit_code(stats, EXIT_FAILED)
            seconds = self.crawler.settings.getfloat("CLOSESPIDER_TIMEOUT")
            message = (
                f"the run reached its time limit (CLOSESPIDER_TIMEOUT {seconds:g} s) and stopped; "
                "the next run goes on with what is left"
            )
            logger.error("%s run %s: %s", site, self.run_id, message)
            return RunStatus.FAILED, [{"check": "time-limit", "message": message}]
        if reason != "finished":
            set_exit_code(stats, EXIT_FAILED)
            message = f"the crawl stopped early ({reason})"
            logger.error("%s run %s: %s", site, self.run_id, message)
            return RunStatus.FAILED, [{"check": "closed", "message": message, "reason": reason}]
        problems = check_health(site, summary, stats.get_stats(), self.thresholds)
        if not problems:
            return RunStatus.FINISHED, []
        set_exit_code(stats, EXIT_DEGRADED)
        for found in problems:
            logger.error("crawl health: %s", found["message"])
        logger.error(
            "%s run %s is degraded (%d problem(s)); see `newsarchive runs`", site, self.run_id, len(problems)
        )
        return RunStatus.DEGRADED, problems

    def _report(self, site: str, status: str, summary: dict[str, Any]) -> None:
        coverage = summary["coverage"]
        shares = ", ".join(f"{f} {share:.0%}" for f, share in coverage["fields"].items() if share is not None)
        logger.info(
            "crawl report for %s (run %s, %s): %d requests; articles new %d, updated %d, unchanged %d; "
            "dropped %s; boilerplate blocks removed %s; field coverage: %s; layers: %s",
            site,
            self.run_id,
            status,
            summary["requests"],
            summary["articles_new"],
            summary["articles_updated"],
            summary["articles_unchanged"],
            summary["dropped"] or "none",
            summary["boilerplate"] or "none",
            shares or "no articles",
            coverage["layers"],
        )


class FrozenStartupHeap:
    """Moves what exists once the engine has started (modules, settings, site tables, the
    spider's memory of earlier runs) out of the garbage collector's reach with
    :func:`gc.freeze`.

    Those objects live for the whole run, yet every full collection walked them again: a
    2,000-page crawl spent ~15 full collections over a heap of a few hundred MB. What the
    crawl allocates afterwards is collected as before.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrozenStartupHeap:
        extension = cls()
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_started(self) -> None:
        gc.collect()
        gc.freeze()

    def engine_stopped(self) -> None:
        gc.unfreeze()  # a process that runs several crawls collects each one's start-up heap
