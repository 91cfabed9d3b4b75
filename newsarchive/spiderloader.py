"""Scrapy's spider loader, with a spider for each of the user's own sites.

Scrapy builds its spider list once, from ``SPIDER_MODULES``, with the settings: the bundled
sites' spiders come from :mod:`newsarchive.spiders.sites` that way. This loader
(``SPIDER_LOADER_CLASS``) adds one spider per site of ``./sites.toml`` and of the
``NEWSARCHIVE_SITES_FILE`` setting (:func:`~newsarchive.spiders.sites.site_spiders`); a
user's site that overrides a bundled one replaces its spider.

Scrapy makes the loader before a command runs, where an exception is a traceback. So a
sites file that does not load is kept, and raised when the command asks for spiders
(``list``, ``load``, ``find_by_request``) as Scrapy's ``UsageError``: ``scrapy list`` and
``scrapy crawl`` print its message (file, line, key) and exit 2.
"""

from __future__ import annotations

import builtins

from scrapy import Request, Spider
from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader

from newsarchive.sites import SiteConfigError
from newsarchive.spiders.sites import SPIDERS, site_spiders


class SiteSpiderLoader(SpiderLoader):
    """The spiders of ``SPIDER_MODULES`` and of the user's sites files."""

    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.sites_error: SiteConfigError | None = None
        #: Spiders of the user's sites (new ones, and those overriding a bundled site), by name.
        self.user_spiders: dict[str, type[Spider]] = {}
        try:
            spiders = site_spiders(settings.get("NEWSARCHIVE_SITES_FILE"))
        except SiteConfigError as error:
            self.sites_error = error
            return
        self.user_spiders = {
            name: spider for name, spider in spiders.items() if spider is not SPIDERS.get(name)
        }

    def _check_sites(self) -> None:
        """Raise the sites file's error, if any, as the usage error Scrapy's commands print."""
        if self.sites_error is not None:
            raise UsageError(str(self.sites_error), print_help=False) from self.sites_error

    def load(self, spider_name: str) -> type[Spider]:
        self._check_sites()
        if spider_name in self.user_spiders:
            return self.user_spiders[spider_name]
        return super().load(spider_name)

    def find_by_request(self, request: Request) -> builtins.list[str]:
        self._check_sites()
        found = dict.fromkeys(super().find_by_request(request))
        for name, spider in self.user_spiders.items():
            if spider.handles_request(request):
                found[name] = None
            else:
                found.pop(name, None)  # an overridden bundled site may not handle it any more
        return builtins.list(found)

    def list(self) -> builtins.list[str]:
        self._check_sites()
        return builtins.list(dict.fromkeys([*super().list(), *self.user_spiders]))
