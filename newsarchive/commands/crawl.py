"""``scrapy crawl`` with exit codes a scheduler can act on.

Scrapy's ``crawl`` exits 0 whenever the spider ran, however the run went; cron
mail and systemd only notice a non-zero exit. This subclass keeps Scrapy's
behaviour and options and adds (codes in :mod:`newsarchive.outcomes`):

* before the crawl, the archive must take writes: a read-only archive is one
  ERROR line and exit 4, instead of a traceback from every component opening it;
  a run lock held by another run is one ERROR line and exit 1;
* after the crawl, the code :class:`newsarchive.extensions.CrawlRun` left in the
  stats: 3 for a degraded run, 4 when the archive refused a write mid-run.
"""

from __future__ import annotations

import logging

from scrapy.commands.crawl import Command as ScrapyCrawl

from newsarchive.archive import ArchiveError, resolve_db_path
from newsarchive.extensions import check_archive
from newsarchive.outcomes import EXIT_CODE, EXIT_FAILED, archive_exit_code
from newsarchive.runlock import RunLock, RunLocked

logger = logging.getLogger(__name__)


class Command(ScrapyCrawl):
    crawler = None

    def _create_crawler(self, spname):
        self.crawler = super()._create_crawler(spname)
        return self.crawler

    def run(self, args, opts) -> None:
        # A distributed worker writes no SQLite and takes no run lock (newsarchive.distributed).
        if len(args) == 1 and not self.settings.get("NEWSARCHIVE_REDIS_URL"):
            self.exitcode = self._preflight(args[0])
            if self.exitcode:
                return
        super().run(args, opts)
        if self.crawler is not None and self.crawler.stats is not None:
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
