"""The extension that runs the health monitors at the end of a crawl and publishes field coverage.

Off unless asked for: ``NEWSARCHIVE_MONITORS = True``, ``NEWSARCHIVE_HEALTH_REPORTS = True``
or an alert channel (see :mod:`newsarchive.monitors.alerts`) runs :class:`~newsarchive.monitors.suite.CrawlHealthMonitorSuite`;
``SPIDERMON_ENABLED`` alone only publishes the field coverage for a user's own monitors.

Two moments, because two extensions must see different things. At ``spider_closed`` (this
extension loads before the run extension and Spidermon's, priority 100) the run's field
coverage is written under Spidermon's names, so Spidermon's ``FieldCoverageMonitor`` finds
it. At ``engine_stopped``, when the run extension has judged and recorded the run, the
suite reads that verdict and its failed-actions send the alerts and write the report.

The module imports no Spidermon: every crawl loads it, and Spidermon is an optional extra.
"""

from __future__ import annotations

import importlib.util
import logging
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


#: Settings that ask for the monitors (an alert channel runs them too).
ASKING_SETTINGS = (
    "NEWSARCHIVE_MONITORS",
    "NEWSARCHIVE_ALERT_TELEGRAM_TOKEN",
    "NEWSARCHIVE_ALERT_TELEGRAM_CHAT_ID",
    "NEWSARCHIVE_ALERT_SLACK_URL",
    "NEWSARCHIVE_ALERT_WEBHOOK_URL",
    "NEWSARCHIVE_ALERT_EMAIL_TO",
    "NEWSARCHIVE_ALERT_EMAIL_FROM",
    "NEWSARCHIVE_ALERT_SMTP_HOST",
    "NEWSARCHIVE_ALERT_SMTP_USER",
    "NEWSARCHIVE_ALERT_SMTP_PASSWORD",
    "NEWSARCHIVE_HEALTH_REPORTS",
)
#: Of those, the ones that are switches (``-s NEWSARCHIVE_MONITORS=False`` is off).
SWITCHES = ("NEWSARCHIVE_MONITORS", "NEWSARCHIVE_HEALTH_REPORTS")


def monitors_asked_for(settings: Any) -> bool:
    """Whether the health suite runs: ``NEWSARCHIVE_MONITORS``, reports or any alert setting."""
    return any(settings.getbool(name) if name in SWITCHES else settings.get(name) for name in ASKING_SETTINGS)


class CrawlHealthMonitors:
    def __init__(self, crawler: Crawler, alerts: bool):
        self.crawler = crawler
        self.alerts = alerts
        self.spider: Spider | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlHealthMonitors:
        """Not configured without the settings; asked for without Spidermon, or with half an
        alert setup, the crawl does not start (an alert that silently never comes is worse)."""
        settings = crawler.settings
        asked = monitors_asked_for(settings)
        if not asked and not settings.getbool("SPIDERMON_ENABLED"):
            raise NotConfigured  # no message: Scrapy would log "Disabled" at WARNING in every crawl
        extension = cls(crawler, alerts=False)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        if asked:
            if importlib.util.find_spec("spidermon") is None:
                raise RuntimeError(
                    "crawl monitors and alerts need Spidermon: pip install 'newsarchive[alerts]'"
                )
            from newsarchive.monitors.alerts import alert_channels

            extension.alerts = bool(alert_channels(settings))
            crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def spider_closed(self, spider: Spider) -> None:
        self.spider = spider
        stats = self.crawler.stats
        assert stats is not None
        # With SPIDERMON_ADD_FIELD_COVERAGE (which Spidermon's FieldCoverageMonitor requires)
        # Spidermon also counts the items' raw fields; the fields named here are overwritten
        # with newsarchive's counts (the same for all but ``published``, which only we resolve).
        for key, value in spidermon_field_coverage(stats.get_stats()).items():
            stats.set_value(key, value)

    def engine_stopped(self) -> None:
        if self.spider is None:  # the spider never closed: nothing was judged
            return
        from newsarchive.monitors.alerts import SendCrawlAlert
        from newsarchive.monitors.suite import VERDICT, CrawlHealthMonitorSuite, run_verdict

        actions: list[type] = [SendCrawlAlert] if self.alerts else []
        if self.crawler.settings.getbool("NEWSARCHIVE_HEALTH_REPORTS"):
            from newsarchive.monitors.report import WriteRunReport

            actions.append(WriteRunReport)
        suite = CrawlHealthMonitorSuite(crawler=self.crawler, monitors_failed_actions=actions)
        assert self.crawler.stats is not None
        _runner(self.spider).run(
            suite,
            stats=self.crawler.stats.get_stats(),
            crawler=self.crawler,
            spider=self.spider,
            **{VERDICT: run_verdict(self.crawler)},
        )


def _runner(spider: Spider) -> Any:
    """Spidermon's runner, logging through ``spider.logger``: its ``Spider.log()`` calls
    put a ScrapyDeprecationWarning in every scheduled run's log (Scrapy 2.19, Spidermon 1.27)."""
    from spidermon.contrib.scrapy.runners import LOG_MESSAGE_HEADER, SpiderMonitorResult, SpiderMonitorRunner

    class Result(SpiderMonitorResult):
        def log(self, msg: str, level: int = logging.DEBUG) -> None:
            self.spider.logger.log(level, f"[{LOG_MESSAGE_HEADER}] {msg}")

    class Runner(SpiderMonitorRunner):
        def create_result(self) -> Result:
            return Result(self.spider)

    return Runner(spider=spider)
