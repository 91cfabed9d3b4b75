"""Running spiders from Python: what ``newsarchive demo`` and ``newsarchive crawl`` use.

Equivalent to ``scrapy crawl NAME -s KEY=VALUE ...`` from the project folder,
but usable from anywhere: the project settings are found through the package.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any, cast

from scrapy.crawler import CrawlerRunner
from scrapy.settings import SETTINGS_PRIORITIES, Settings
from scrapy.utils.log import configure_logging
from scrapy.utils.project import get_project_settings
from scrapy.utils.reactor import install_reactor

from newsarchive.archive import resolve_db_path
from newsarchive.memory import is_distributed_worker
from newsarchive.outcomes import ARCHIVE_ERROR, EXIT_CODE, EXIT_FAILED, NOT_STARTED
from newsarchive.runlock import RunLocked
from newsarchive.sites import load_sites

#: Replay servers are local: no need to be polite to them.
REPLAY_SPEED_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
}


def project_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """The project's Scrapy settings with ``overrides`` applied at command-line priority."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsarchive.settings")
    settings = get_project_settings()
    settings.setdict(overrides or {}, priority="cmdline")
    replay_speed(settings)
    return settings


def replay_speed(settings: Settings) -> None:
    """With ``NEWSARCHIVE_REPLAY_URL`` set, :data:`REPLAY_SPEED_SETTINGS`, except where the
    command line set a value itself (``newsarchive crawl``/``demo`` and ``scrapy crawl``)."""
    if not settings.get("NEWSARCHIVE_REPLAY_URL"):
        return
    for name, value in REPLAY_SPEED_SETTINGS.items():
        if (settings.getpriority(name) or 0) < SETTINGS_PRIORITIES["cmdline"]:
            settings.set(name, value, priority="cmdline")


def run_spiders(
    names: list[str], overrides: dict[str, Any] | None = None, spider_args: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """Run the named spiders one after another in this process; returns each one's stats.

    Like ``scrapy crawl`` (:mod:`newsarchive.commands.crawl`), an archive that takes no
    writes stops everything before the first request: :class:`ArchiveError` is raised; so
    does a sites file that does not load: :class:`~newsarchive.sites.SiteConfigError`.
    A run stopped by the archive mid-crawl ends the sequence, since the next would fail alike.
    """
    from newsarchive.extensions import check_archive

    settings = project_settings(overrides)
    # A broken sites file stops everything before the reactor (SiteConfigError), as Scrapy's
    # spider loader would only once the first spider is asked for.
    load_sites(settings.get("NEWSARCHIVE_SITES_FILE"))
    if not is_distributed_worker(settings):  # a distributed worker never writes SQLite
        check_archive(resolve_db_path(settings.get("NEWSARCHIVE_DB")))
    install_reactor(settings["TWISTED_REACTOR"])
    configure_logging(settings)
    from twisted.internet import defer
    from twisted.internet import reactor as installed
    from twisted.internet.base import ReactorBase

    # Twisted types the global reactor as zope interfaces, whose methods mypy (without the
    # mypy-zope plugin) reads as taking no self; every reactor Scrapy installs is a ReactorBase.
    reactor = cast(ReactorBase, installed)
    runner = CrawlerRunner(settings)
    stats: dict[str, dict[str, Any]] = {}

    @defer.inlineCallbacks
    def crawl_in_turn() -> Generator[defer.Deferred[None], object, None]:
        try:
            for name in names:
                crawler = runner.create_crawler(name)
                try:
                    yield runner.crawl(crawler, **(spider_args or {}))
                except RunLocked as locked:  # logged by CrawlRun; the other spiders still run
                    stats[name] = {EXIT_CODE: EXIT_FAILED, NOT_STARTED: str(locked)}
                    continue
                stats[name] = crawler.stats.get_stats()
                if stats[name].get(ARCHIVE_ERROR):  # the next run would meet the same archive
                    break
        finally:
            reactor.stop()

    reactor.callWhenRunning(crawl_in_turn)
    reactor.run(installSignalHandlers=True)
    return stats


def exit_code(stats: dict[str, dict[str, Any]]) -> int:
    """The worst exit code the runs left in their stats (see :mod:`newsarchive.outcomes`), 0 if none."""
    return max((run.get(EXIT_CODE, 0) for run in stats.values()), default=0)
