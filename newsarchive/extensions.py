"""The run lifecycle: one run per spider per archive, recorded in ``crawl_runs``.

:class:`CrawlRun` takes the run lock (a second run exits at once, non-zero,
writing nothing), marks runs left ``running`` by killed processes as
``killed``, and when the spider closes writes the run's counts and field
coverage. Field coverage is the share of stored articles that have each
field and which extraction layer produced it: when a site is redesigned, its
selectors stop matching, and titles come from ``meta`` instead of ``site`` or
bodies go missing. The report shows it on the first run after the change.
"""

from __future__ import annotations

import logging
import os

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newsarchive.archive import Archive, resolve_db_path
from newsarchive.runlock import RunLock, RunLocked

logger = logging.getLogger(__name__)

#: Fields whose coverage each run reports.
COVERAGE_FIELDS = ("title", "lead", "body", "authors", "categories", "tags", "image_url", "published")
PREFIX = "newsarchive/"
OUTCOMES = ("new", "updated", "unchanged")


def record_coverage(stats, item: dict) -> None:
    """Count which fields a stored item has, and from which layer."""
    sources = item.get("field_sources") or {}
    for field in COVERAGE_FIELDS:
        value = item.get("published_at") if field == "published" else item.get(field)
        if value:
            stats.inc_value(f"{PREFIX}field/{field}")
            stats.inc_value(f"{PREFIX}layer/{field}/{sources.get(field, 'unknown')}")


def _under(stats: dict, prefix: str) -> dict[str, int]:
    return {key[len(prefix):]: value for key, value in stats.items() if key.startswith(prefix)}


def run_summary(stats: dict) -> dict:
    """The ``crawl_runs`` columns for a run's stats: requests, responses, outcomes, drops, coverage."""
    stored = sum(stats.get(f"{PREFIX}articles/{o}", 0) for o in OUTCOMES)
    layers: dict[str, dict[str, int]] = {}
    for key, value in _under(stats, f"{PREFIX}layer/").items():
        field, layer = key.split("/", 1)
        layers.setdefault(field, {})[layer] = value
    coverage = {
        "articles": stored,
        "fields": {
            f: round(stats.get(f"{PREFIX}field/{f}", 0) / stored, 4) if stored else None for f in COVERAGE_FIELDS
        },
        "layers": layers,
    }
    return {
        "requests": stats.get("downloader/request_count", 0),
        "responses": _under(stats, "downloader/response_status_count/"),
        **{f"articles_{o}": stats.get(f"{PREFIX}articles/{o}", 0) for o in OUTCOMES},
        "dropped": _under(stats, f"{PREFIX}dropped/"),
        "coverage": coverage,
    }


class CrawlRun:
    def __init__(self, crawler):
        self.crawler = crawler
        self.db_path = resolve_db_path(crawler.settings.get("NEWSARCHIVE_DB"))
        self.lock: RunLock | None = None
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler):
        """Take the run lock before anything opens: a locked run fails to start and writes nothing.

        ``scrapy check`` (which sets ``SCRAPY_CHECK``) is no run: it takes no lock and records nothing.
        """
        if os.environ.get("SCRAPY_CHECK"):
            raise NotConfigured("scrapy check is not a crawl run")
        extension = cls(crawler)
        spider_name = crawler.spidercls.name
        try:
            extension.lock = RunLock(extension.db_path, spider_name).acquire()
        except RunLocked as locked:
            logger.error("%s", locked)
            raise
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        return extension

    def spider_opened(self, spider) -> None:
        with Archive(self.db_path) as archive:
            killed = archive.mark_killed_runs(spider.name)
            self.run_id = archive.start_run(spider.name)
        if killed:
            logger.warning("%d earlier %s run(s) had been killed; marked as such", killed, spider.name)
        self.crawler.stats.set_value(f"{PREFIX}run_id", self.run_id)

    def item_scraped(self, item, spider) -> None:
        record_coverage(self.crawler.stats, dict(item))

    def spider_closed(self, spider, reason: str) -> None:
        if self.run_id is None:
            return
        stats = self.crawler.stats.get_stats()
        summary = run_summary(stats)
        status = "finished" if reason == "finished" else "failed"
        with Archive(self.db_path) as archive:
            archive.finish_run(self.run_id, status, summary, stats)
        self.lock.release()
        coverage = summary["coverage"]
        shares = ", ".join(f"{f} {share:.0%}" for f, share in coverage["fields"].items() if share is not None)
        logger.info(
            "crawl report for %s (run %s, %s): %d requests; articles new %d, updated %d, unchanged %d; "
            "dropped %s; field coverage: %s; layers: %s",
            spider.name, self.run_id, status, summary["requests"], summary["articles_new"],
            summary["articles_updated"], summary["articles_unchanged"], summary["dropped"] or "none",
            shares or "no articles", coverage["layers"],
        )
