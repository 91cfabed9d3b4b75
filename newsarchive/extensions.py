"""The crawl report: every run is recorded in ``crawl_runs`` with its counts and field coverage.

Field coverage is the share of stored articles that have each field, and
which extraction layer produced it. When a site is redesigned its selectors
stop matching: titles then come from the ``meta`` layer instead of ``site``,
or bodies go missing. The report shows this on the first run after the change.
"""

from __future__ import annotations

import logging

from scrapy import signals

from newsarchive.archive import Archive

logger = logging.getLogger(__name__)

#: Fields whose coverage each run reports.
COVERAGE_FIELDS = ("title", "lead", "body", "authors", "categories", "tags", "image_url", "published")
_STAT_PREFIX = "newsarchive/"


def record_coverage(stats, item: dict) -> None:
    """Count which fields a stored item has, and from which layer."""
    sources = item.get("field_sources") or {}
    for field in COVERAGE_FIELDS:
        value = item.get("published_at") if field == "published" else item.get(field)
        if value:
            stats.inc_value(f"{_STAT_PREFIX}field/{field}")
            stats.inc_value(f"{_STAT_PREFIX}layer/{field}/{sources.get(field, 'unknown')}")


def coverage_from_stats(stats: dict) -> dict:
    """``{"articles": n, "fields": {field: share}, "layers": {field: {layer: n}}}``."""
    stored = sum(stats.get(f"{_STAT_PREFIX}articles/{o}", 0) for o in ("new", "updated", "unchanged"))
    fields = {f: round(stats.get(f"{_STAT_PREFIX}field/{f}", 0) / stored, 4) if stored else None for f in COVERAGE_FIELDS}
    layers: dict[str, dict[str, int]] = {}
    for key, value in stats.items():
        if key.startswith(f"{_STAT_PREFIX}layer/"):
            _, _, field, layer = key.split("/", 3)
            layers.setdefault(field, {})[layer] = value
    return {"articles": stored, "fields": fields, "layers": layers}


class CrawlReport:
    """Opens a ``crawl_runs`` row when the spider opens and completes it when it closes."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.db_path = crawler.settings.get("NEWSARCHIVE_DB")
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        return extension

    def spider_opened(self, spider) -> None:
        with Archive(self.db_path) as archive:
            self.run_id = archive.start_run(spider.name)
        self.crawler.stats.set_value(f"{_STAT_PREFIX}run_id", self.run_id)

    def item_scraped(self, item, spider) -> None:
        record_coverage(self.crawler.stats, dict(item))

    def spider_closed(self, spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        coverage = coverage_from_stats(stats)
        status = "finished" if reason == "finished" else "failed"
        with Archive(self.db_path) as archive:
            archive.finish_run(self.run_id, status, stats, coverage)
        self._log(spider, coverage, stats)

    @staticmethod
    def _log(spider, coverage: dict, stats: dict) -> None:
        counts = {o: stats.get(f"{_STAT_PREFIX}articles/{o}", 0) for o in ("new", "updated", "unchanged")}
        dropped = {k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith(f"{_STAT_PREFIX}dropped/")}
        shares = ", ".join(
            f"{field} {share:.0%}" for field, share in coverage["fields"].items() if share is not None
        )
        logger.info(
            "crawl report for %s: articles %s; dropped %s; field coverage: %s; layers: %s",
            spider.name, counts, dropped or "none", shares or "no articles", coverage["layers"],
        )
