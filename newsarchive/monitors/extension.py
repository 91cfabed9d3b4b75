"""The extension that runs the health monitors at the end of a crawl and publishes field coverage.

Off unless asked for: ``NEWSARCHIVE_MONITORS = True`` or an alert channel (see
:mod:`newsarchive.monitors.alerts`) runs :class:`~newsarchive.monitors.suite.CrawlHealthMonitorSuite`;
``SPIDERMON_ENABLED`` alone only publishes the field coverage for a user's own monitors.

Two moments, because two extensions must see different things. At ``spider_closed`` (this
extension loads before the run extension and Spidermon's, priority 100) the run's field
coverage is written under Spidermon's names, so Spidermon's ``FieldCoverageMonitor`` finds
it. At ``engine_stopped``, when the run extension has judged and recorded the run, the
suite reads that verdict and its failed-actions send the alerts.

The module imports no Spidermon: every crawl loads it, and Spidermon is an optional extra.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newsarchive.extensions import COVERAGE_FIELDS
from newsarchive.outcomes import ARTICLE_OUTCOMES, ARTICLES, FIELD

#: The item type Spidermon's stats name (``spidermon_field_coverage/ArticleItem/title``).
ITEM_TYPE = "ArticleItem"


def spidermon_field_coverage(stats: dict[str, Any]) -> dict[str, Any]:
    """The run's field coverage (newsarchive's counts of stored articles) as Spidermon's stats.

    ``published`` is the resolved date, as in newsarchive's own coverage; Spidermon's
    ``FieldCoverageMonitor`` rules then read e.g. ``{"ArticleItem/body": 0.95}``.
    """
    stored = sum(stats.get(f"{ARTICLES}{outcome}", 0) for outcome in ARTICLE_OUTCOMES)
    published = {"spidermon_item_scraped_count": stored, f"spidermon_item_scraped_count/{ITEM_TYPE}": stored}
    for field in COVERAGE_FIELDS:
        count = stats.get(f"{FIELD}{field}", 0)
        if count:  # Spidermon counts only the fields it saw, and judges a missing one as 0
            published[f"spidermon_item_scraped_count/{ITEM_TYPE}/{field}"] = count
            published[f"spidermon_field_coverage/{ITEM_TYPE}/{field}"] = count / stored
    return published


def monitors_wanted(settings: Any) -> bool:
    """Whether to run the health suite: asked for, or an alert channel configured."""
    from newsarchive.monitors.alerts import alert_channels

    return settings.getbool("NEWSARCHIVE_MONITORS") or bool(alert_channels(settings))


class CrawlHealthMonitors:
    def __init__(self, crawler: Crawler, run_suite: bool):
        self.crawler = crawler
        self.run_suite = run_suite
        self.spider: Spider | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlHealthMonitors:
        """Not configured without the settings; asked for without Spidermon, the crawl does not start."""
        settings = crawler.settings
        spidermon = importlib.util.find_spec("spidermon") is not None
        run_suite = spidermon and monitors_wanted(settings)
        if not spidermon and _asked_for(settings):
            raise RuntimeError("crawl monitors and alerts need Spidermon: pip install 'newsarchive[alerts]'")
        if not run_suite and not settings.getbool("SPIDERMON_ENABLED"):
            raise NotConfigured("no monitors nor alerts configured")
        extension = cls(crawler, run_suite)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        if run_suite:
            crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def spider_closed(self, spider: Spider) -> None:
        self.spider = spider
        stats = self.crawler.stats
        if self.crawler.settings.getbool("SPIDERMON_ADD_FIELD_COVERAGE"):
            return  # Spidermon counts the items' fields itself; ours would mix with its counts
        assert stats is not None
        for key, value in spidermon_field_coverage(stats.get_stats()).items():
            stats.set_value(key, value)

    def engine_stopped(self) -> None:
        if self.spider is None:  # the spider never closed: nothing was judged
            return
        from spidermon.contrib.scrapy.runners import SpiderMonitorRunner

        from newsarchive.monitors.alerts import SendCrawlAlert, alert_channels
        from newsarchive.monitors.suite import VERDICT, CrawlHealthMonitorSuite, run_verdict

        actions = [SendCrawlAlert] if alert_channels(self.crawler.settings) else []
        suite = CrawlHealthMonitorSuite(crawler=self.crawler, monitors_failed_actions=actions)
        verdict = run_verdict(self.crawler)
        assert self.crawler.stats is not None
        SpiderMonitorRunner(spider=self.spider).run(
            suite,
            stats=self.crawler.stats.get_stats(),
            crawler=self.crawler,
            spider=self.spider,
            **{VERDICT: verdict},
        )


def _asked_for(settings: Any) -> bool:
    names = (
        "NEWSARCHIVE_ALERT_TELEGRAM_TOKEN",
        "NEWSARCHIVE_ALERT_SLACK_URL",
        "NEWSARCHIVE_ALERT_WEBHOOK_URL",
    )
    return settings.getbool("NEWSARCHIVE_MONITORS") or any(settings.get(name) for name in names)
