"""``scrapy crawl`` with exit codes a scheduler can act on.

Scrapy's ``crawl`` exits 0 whenever the spider ran, however the run went; cron
mail and systemd only notice a non-zero exit. This subclass keeps Scrapy's
behaviour and options and adds (codes in :mod:`newsarchive.outcomes`):

* before the crawl, the archive must take writes: a read-only archive is one
  ERROR line and exit 4, instead of a traceback from every component opening it;
  a run lock held by another run is one ERROR line and exit 1;
* after the crawl, the code :class:`newsarchive.extensions.CrawlRun` left in the
  stats: 3 for a degraded run, 4 when the archive refused a write mid-run.

To read those stats the command needs the crawler, which Scrapy's own ``run`` makes and
drops: so ``run`` is Scrapy's, step by step, in public API only (``create_crawler``,
``crawl``, ``start``, ``bootstrap_failed``), keeping the crawler it creates.
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.extensions.feedexport import FeedExporter

from newsarchive.archive import ArchiveError, resolve_db_path
from newsarchive.extensions import check_archive
from newsarchive.memory import is_distributed_worker
from newsarchive.outcomes import EXIT_CODE, EXIT_FAILED, archive_exit_code
from newsarchive.runlock import RunLock, RunLocked

logger = logging.getLogger(__name__)


class Command(ScrapyCrawl):
    crawler = None

    def run(self, args, opts) -> None:
        if len(args) != 1:
            super().run(args, opts)  # Scrapy's own usage errors
            return
        # A distributed worker writes no SQLite and takes no run lock (newsarchive.distributed).
        if not is_distributed_worker(self.settings):
            self.exitcode = self._preflight(args[0])
            if self.exitcode:
                return
        self.crawler = self.crawler_process.create_crawler(args[0])
        self.crawler.signals.connect(_warn_if_feeds_unused, signal=signals.engine_started)
        self.crawler_process.crawl(self.crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        if self.crawler.stats is not None:
            self.exitcode = max(self.exitcode, self.crawler.stats.get_value(EXIT_CODE, 0))

    def _preflight(self, spider: str) -> int:
        """The exit code of a run that must not start (one ERROR line, no traceback), else 0."""
        db_path = resolve_db_path(self.settings.get("NEWSARCHIVE_DB"))
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


def _warn_if_feeds_unused(sender, **kwargs) -> None:
    """Scrapy's crawl command says this when items could go nowhere (FEEDS without the exporter)."""
    if sender.settings.getdict("FEEDS") and sender.get_extension(FeedExporter) is None:
        logger.warning(
            "The FeedExporter extension is not enabled, so no item will be "
            "exported to the configured feeds (FEEDS, -o, -O)."
        )
