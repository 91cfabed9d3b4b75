"""``scrapy crawl`` with exit codes a scheduler can act on.

Scrapy's ``crawl`` exits 0 whenever the spider ran, however the run went; cron
mail and systemd only notice a non-zero exit. This subclass keeps Scrapy's
behaviour and options and adds (codes in :mod:`newsarchive.outcomes`):

* before the crawl, the archive must take writes: a read-only archive is one
  ERROR line and exit 4, instead of a traceback from every component opening it;
  a run lock held by another run is one ERROR line and exit 1;
* after the crawl, the code :class:`newsarchive.extensions.CrawlRun` left in the
  stats: 3 for a degraded run, 4 when the archive refused a write mid-run;
* with ``NEWSARCHIVE_REPLAY_URL``, no politeness delays for the local replay (as
  ``newsarchive crawl`` does), unless ``-s`` sets them.

To read those stats the command needs the crawler, which Scrapy's own ``run`` makes and
drops: so ``run`` is Scrapy's, step by step, in public API only (``create_crawler``,
``crawl``, ``start``, ``bootstrap_failed``), keeping the crawler it creates.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from scrapy import signals
from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.crawler import Crawler, CrawlerProcessBase
from scrapy.extensions.feedexport import FeedExporter
from scrapy.settings import Settings

from newsarchive.archive import ArchiveError, resolve_db_path
from newsarchive.crawl import replay_speed
from newsarchive.extensions import check_archive
from newsarchive.memory import is_distributed_worker
from newsarchive.outcomes import EXIT_CODE, EXIT_FAILED, archive_exit_code
from newsarchive.runlock import RunLock, RunLocked

logger = logging.getLogger(__name__)


class Command(ScrapyCrawl):
    crawler: Crawler | None = None

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        replay_speed(self.settings)  # a local replay needs no politeness delays

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)  # Scrapy's own usage errors
            return
        settings, process = self._given()
        # A distributed worker writes no SQLite and takes no run lock (newsarchive.distributed).
        if not is_distributed_worker(settings):
            self.exitcode = self._preflight(settings, args[0])
            if self.exitcode:
                return
        self.crawler = crawler = process.create_crawler(args[0])
        crawler.signals.connect(_warn_if_feeds_unused, signal=signals.engine_started)
        process.crawl(crawler, **opts.spargs)
        process.start()
        if process.bootstrap_failed:
            self.exitcode = 1
        if crawler.stats is not None:
            self.exitcode = max(self.exitcode, crawler.stats.get_value(EXIT_CODE, 0))

    def _given(self) -> tuple[Settings, CrawlerProcessBase]:
        """The settings and crawler process ``scrapy.cmdline`` gives a command before ``run``."""
        if self.settings is None or self.crawler_process is None:
            raise RuntimeError(
                "the crawl command runs under scrapy.cmdline, which sets up its crawler process"
            )
        return self.settings, self.crawler_process

    def _preflight(self, settings: Settings, spider: str) -> int:
        """The exit code of a run that must not start (one ERROR line, no traceback), else 0."""
        db_path = resolve_db_path(settings.get("NEWSARCHIVE_DB"))
        try:
            check_archive(db_path)
        except ArchiveError as error:
            logger.error("not starting the crawl: %s", error)
            return archive_exit_code(error)
        try:
            # CrawlRun takes the lock for real; this only turns "another run holds it" into one line.
            RunLock(db_path, spider).acquire().release()
        except RunLocked as locked:
            logger.error("%s", locked)
            return EXIT_FAILED
        return 0


def _warn_if_feeds_unused(sender: Crawler, **kwargs: Any) -> None:
    """Scrapy's crawl command says this when items could go nowhere (FEEDS without the exporter)."""
    if sender.settings.getdict("FEEDS") and sender.get_extension(FeedExporter) is None:
        logger.warning(
            "The FeedExporter extension is not enabled, so no item will be "
            "exported to the configured feeds (FEEDS, -o, -O)."
        )
