"""The crawl's memory of what it has seen: the one thing the spider asks besides the web.

To fetch only what is new or changed (:mod:`newsarchive.freshness`), the spider asks which
articles are known (``fetch_record``), which ``lastmod`` a sitemap had when a finished run
read it (``discovery_lastmod``) and whether the last run went to its end
(``last_run_completed``); it tells what answered 404/410 (``record_gone``) and, when a run
finishes, which sitemaps it read (``remember_discovery``). That is :class:`CrawlMemory`,
``spider.archive``; the spider never sees more of the archive, nor of Redis.

Which implementation a crawl gets is the setting ``NEWSARCHIVE_CRAWL_MEMORY``: the path of a
class built with ``from_crawler``. The default is :class:`ArchiveMemory`, the SQLite archive
(``NEWSARCHIVE_DB``) on a connection of its own (the storage pipeline has another); the
distributed add-on sets :class:`newsarchive.distributed.WorkerArchive`, which reads a
read-only archive and sends its writes to the ingester. Tests give the spider any object
with these methods.

Whether this process is such a worker is one question, :func:`is_distributed_worker`,
asked by the components that write SQLite or take the run lock (the crawl commands, the
template pipeline), never by the spider.

A write the archive refuses (disk full, read-only) is not the spider's to handle:
:class:`ArchiveMemory` sends :data:`newsarchive.outcomes.archive_failure` and the run
extension stops the crawl and names the error (:mod:`newsarchive.extensions`).

:class:`~newsarchive.freshness.RefreshPolicy`, the rule applied to what the memory answers,
is importable from here too, so the spider asks one module how to decide what to fetch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Protocol

from scrapy.settings import BaseSettings
from scrapy.utils.misc import build_from_crawler, load_object

from newsarchive.archive import Archive, ArchiveError
from newsarchive.freshness import RefreshPolicy
from newsarchive.outcomes import archive_failure

__all__ = [
    "DEFAULT",
    "DISTRIBUTED_SETTING",
    "SETTING",
    "ArchiveMemory",
    "CrawlMemory",
    "RefreshPolicy",
    "is_distributed_worker",
    "open_memory",
]

#: The setting that names the implementation (a class path), and its default.
SETTING = "NEWSARCHIVE_CRAWL_MEMORY"
DEFAULT = "newsarchive.memory.ArchiveMemory"
#: The setting whose value (a Redis URL) makes this process a worker of a distributed crawl.
DISTRIBUTED_SETTING = "NEWSARCHIVE_REDIS_URL"


def is_distributed_worker(settings: BaseSettings) -> bool:
    """Whether ``settings`` make this process a worker of a distributed crawl
    (:mod:`newsarchive.distributed`): its items go to the ingester, so it writes no SQLite,
    takes no run lock and has no archive of its own to learn from."""
    return bool(settings.get(DISTRIBUTED_SETTING))


class CrawlMemory(Protocol):
    """What the spider asks and tells about what earlier runs (and this one) have seen."""

    def fetch_record(self, url: str) -> dict[str, Any] | None:
        """``first_seen_at``, ``last_fetched_at``, ``published_at`` (UTC ISO) and ``gone`` of
        the article at ``url`` (by URL or alias), or None for a URL never seen."""

    def discovery_lastmod(self, url: str) -> str | None:
        """The ``lastmod`` the sitemap at ``url`` had when a finished run last read it."""

    def last_run_completed(self, spider: str, before: str) -> bool:
        """Whether the latest run of ``spider`` started before ``before`` went to its end."""

    def record_gone(self, url: str, status: int) -> None:
        """Remember that ``url`` answered ``status`` (404 or 410)."""

    def remember_discovery(self, lastmods: dict[str, str]) -> None:
        """Remember the sitemaps (URL → ``lastmod``) a finished run read."""

    def close(self) -> None:
        """Let go of what the memory holds (a connection); called when the spider closes."""


def open_memory(crawler: Any) -> CrawlMemory:
    """The crawl memory ``NEWSARCHIVE_CRAWL_MEMORY`` names (default :class:`ArchiveMemory`)."""
    return build_from_crawler(load_object(crawler.settings.get(SETTING) or DEFAULT), crawler)


class ArchiveMemory:
    """The crawl memory of a single-process crawl: the archive at ``NEWSARCHIVE_DB``."""

    def __init__(self, crawler: Any, archive: Archive):
        self.crawler = crawler
        self.archive = archive

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchiveMemory:
        return cls(crawler, Archive(crawler.settings.get("NEWSARCHIVE_DB")))

    def fetch_record(self, url: str) -> dict[str, Any] | None:
        return self.archive.fetch_record(url)

    def discovery_lastmod(self, url: str) -> str | None:
        return self.archive.discovery_lastmod(url)

    def last_run_completed(self, spider: str, before: str) -> bool:
        return self.archive.last_run_completed(spider, before=before)

    def record_gone(self, url: str, status: int) -> None:
        with self._refusals_reported():
            self.archive.record_gone(url, status)

    def remember_discovery(self, lastmods: dict[str, str]) -> None:
        with self._refusals_reported():
            self.archive.remember_discovery(lastmods)

    def close(self) -> None:
        self.archive.close()

    @contextlib.contextmanager
    def _refusals_reported(self) -> Iterator[None]:
        """A refused write goes to the run extension (``archive_failure``), not to the spider."""
        try:
            yield
        except ArchiveError as error:
            self.crawler.signals.send_catch_log(archive_failure, error=error)
