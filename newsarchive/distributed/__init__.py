"""Distributed crawling: N crawler processes share scrapy-redis's queue; one ingester writes.

Switched on by ``NEWSARCHIVE_REDIS_URL`` (``-s NEWSARCHIVE_REDIS_URL=redis://HOST:PORT/DB``,
``newsarchive crawl --redis URL``); without it :class:`DistributedAddon` changes nothing and
neither ``redis`` nor ``scrapy_redis`` is imported (``pip install 'newsarchive[redis]'``).

**Workers** (``scrapy crawl SITE`` with the setting, on any number of machines) run the same
spiders and the same validation, normalization and date pipelines. The addon swaps in:

* scrapy-redis's ``Scheduler`` (via :mod:`newsarchive.distributed_scheduler`) and
  ``RFPDupeFilter``: one request queue (a sorted set by priority) and one set of request
  fingerprints per spider, shared by every worker; requests are serialized as JSON
  (:func:`dumps`/:func:`loads`), never pickled, so whoever can write to Redis cannot run
  code in the workers;
* :class:`RedisItemPipeline` for the storage pipeline: finished items go to one Redis list;
* :class:`WorkerRun` for the run extension: no run lock, no ``crawl_runs`` row. It registers
  the worker in the spider's *crawl* (heartbeat key with a TTL), keeps an idle worker alive
  while another is still busy (its responses may queue more requests), and when the last
  worker of a crawl closes it ends the crawl (see below);
* :class:`WorkerArchive` as the spider's crawl memory (``NEWSARCHIVE_CRAWL_MEMORY``, see
  :mod:`newsarchive.memory`), and ``NEWSARCHIVE_QUEUE_ALL_SITEMAPS``: a sitemap index's
  sitemaps are queued at once, for any worker to read.

Workers never write SQLite. They may *read* the archive (``NEWSARCHIVE_DB``, opened
read-only, for the refresh rule of :mod:`newsarchive.freshness` and the sitemaps'
``lastmod``): on the ingester's machine that is the archive itself, elsewhere a read-only
copy, or nothing: without an archive file every discovered article counts as new, which
costs requests but never data (the ingester finds them unchanged). Their writes travel as
records: 404/410 answers (``gone``), redirect aliases, the sitemaps read and the worker's
stats (``worker-closed``). WARC recording is off in workers (its index is written to
SQLite); use a single-process crawl where raw responses must be kept.

**The dupe filter is one crawl long.** Its fingerprints are deleted when the crawl ends and
carry a TTL (``NEWSARCHIVE_REDIS_STATE_TTL``, a day, renewed by live workers) in case no
one ends it; across crawls the archive's own knowledge (:mod:`newsarchive.freshness`:
new, changed ``lastmod``, young) decides what is fetched again. So it never grows beyond
one crawl's requests (~100 bytes each in Redis).

**A crawl** of a spider is the set of workers that joined while it ran. Its state: the
``requests`` queue, the ``dupefilter``, a ``crawl`` id and a ``workers`` set. The last
worker to close (no other heartbeat alive) pushes ``crawl-end`` and deletes that state;
if it closes unfinished (Ctrl-C) while requests remain queued, the state stays and the
next worker resumes the crawl. A worker killed mid-run loses at most its in-flight
requests: the others finish the queue, and since that crawl had a dead worker its
sitemaps are not remembered as read, so the next crawl reads them again and fetches
what the archive still lacks. Listing pages are counted per worker
(``NEWSARCHIVE_MAX_LISTING_PAGES`` each).

**The ingester** (``newsarchive ingest --redis URL``, one per archive: it holds
``archive.db.ingest.lock``) moves records with ``BLMOVE`` from the items list to a
processing list, writes a batch in one SQLite transaction with the normal storage logic
(:meth:`Archive.store_article`: dedupe, aliases, versions) together with the crawl's
``crawl_runs`` row (its counts, and the ids of the batch's records), and only then removes
them from the processing list (``LREM``). On start it puts back what a killed ingester left
in the processing list, except the records whose ids its last committed batch holds: a
killed ingester loses nothing and stores nothing twice. While it writes a spider's run it
holds that spider's run lock: a single-process crawl of the same spider refuses to start
meanwhile, and the ingester waits (records stay queued) while such a crawl runs.

Worker settings: ``NEWSARCHIVE_REDIS_URL``, ``NEWSARCHIVE_REDIS_PREFIX`` (``newsarchive:``),
``NEWSARCHIVE_REDIS_HEARTBEAT`` (10 s; a worker silent for three beats counts as dead),
``NEWSARCHIVE_REDIS_IDLE_CLOSE`` (3 s of idleness, with nobody busy, before a worker
leaves), ``NEWSARCHIVE_REDIS_STATE_TTL`` (a day: crawl state without a live worker).

Redis keys (``NEWSARCHIVE_REDIS_PREFIX``, default ``newsarchive:``)::

    <prefix><spider>:requests        scrapy-redis queue (sorted set)
    <prefix><spider>:dupefilter      scrapy-redis fingerprints of this crawl (set, TTL)
    <prefix><spider>:crawl           this crawl's id (TTL)
    <prefix><spider>:workers         ids of the workers that joined it (set, TTL)
    <prefix><spider>:worker:<id>     heartbeat: 1 busy, 0 idle (expires when a worker dies)
    <prefix><spider>:lock            short lock around joining and leaving
    <prefix>items                    records for the ingester (list; LPUSH in, BLMOVE out)
    <prefix>items:processing         records being written (list)
    <prefix>items:rejected           records the ingester could not read (list)

The package: :mod:`~newsarchive.distributed.connection` (the settings' defaults and
the Redis client), :mod:`~newsarchive.distributed.serializer` (the queue's JSON),
:mod:`~newsarchive.distributed.channel` (a worker's side of the protocol) and
:mod:`~newsarchive.distributed.ingest` (the ingester). The Scrapy components of a
worker (the add-on, the item pipeline, the crawl memory and the run extension) are
defined here, because Scrapy loads them by their dotted paths
(``newsarchive.distributed.DistributedAddon`` in :mod:`newsarchive.settings`,
``newsarchive.distributed.WorkerArchive`` in ``NEWSARCHIVE_CRAWL_MEMORY``) and this
module is ``SCHEDULER_SERIALIZER``; the other modules' public names are re-exported.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.settings import BaseSettings
from twisted.internet import task

from newsarchive.archive import Archive, ArchiveError
from newsarchive.distributed.channel import Channel, channel_of
from newsarchive.distributed.connection import (
    DEFAULT_HEARTBEAT,
    DEFAULT_IDLE_CLOSE,
    DEFAULT_PREFIX,
    DEFAULT_STATE_TTL,
    INSTALL_HINT,
    URL_SETTING,
    redis_client,
)
from newsarchive.distributed.ingest import (
    ALIASES_KEY,
    BATCH_KEY,
    CRAWL_KEY,
    DISCOVERY_KEY,
    SUMMED_STATS,
    WORKERS_KEY,
    CrawlState,
    Ingester,
    IngestError,
    IngestReport,
)
from newsarchive.distributed.serializer import dumps, loads
from newsarchive.extensions import CrawlRun
from newsarchive.outcomes import CRAWL, REDIS_PUSH_ERRORS, REDIS_PUSHED, WORKER
from newsarchive.pipelines import StoragePipeline
from newsarchive.warc import WarcMiddleware

__all__ = [
    "ALIASES_KEY",
    "BATCH_KEY",
    "CRAWL_KEY",
    "DEFAULT_HEARTBEAT",
    "DEFAULT_IDLE_CLOSE",
    "DEFAULT_PREFIX",
    "DEFAULT_STATE_TTL",
    "DISCOVERY_KEY",
    "INSTALL_HINT",
    "SUMMED_STATS",
    "URL_SETTING",
    "WORKERS_KEY",
    "Channel",
    "CrawlState",
    "DistributedAddon",
    "IngestError",
    "IngestReport",
    "Ingester",
    "RedisItemPipeline",
    "WorkerArchive",
    "WorkerRun",
    "channel_of",
    "dumps",
    "loads",
    "redis_client",
]

logger = logging.getLogger(__name__)


class DistributedAddon:
    """Scrapy add-on (``ADDONS``): with ``NEWSARCHIVE_REDIS_URL`` set, turn this process into a
    worker of a distributed crawl; without it, do nothing."""

    def update_settings(self, settings: BaseSettings) -> None:
        url = settings.get(URL_SETTING)
        if not url:
            return
        try:
            import scrapy_redis  # noqa: F401
        except ImportError as error:
            # Not NotConfigured: Scrapy would log it and crawl on, writing SQLite from a worker.
            raise RuntimeError(f"NEWSARCHIVE_REDIS_URL is set but {INSTALL_HINT}") from error
        prefix = settings.get("NEWSARCHIVE_REDIS_PREFIX") or DEFAULT_PREFIX
        for name, value in {
            "REDIS_URL": url,
            "SCHEDULER": "newsarchive.distributed_scheduler.Scheduler",
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            # The queue and fingerprints outlive each worker; WorkerRun ends the crawl.
            "SCHEDULER_PERSIST": True,
            "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
            "SCHEDULER_QUEUE_KEY": f"{prefix}%(spider)s:requests",
            "SCHEDULER_DUPEFILTER_KEY": f"{prefix}%(spider)s:dupefilter",
            "SCHEDULER_SERIALIZER": "newsarchive.distributed",
            # The spider's memory of what it has seen (newsarchive.memory): a read-only archive,
            # writes to the ingester. And a sitemap index's sitemaps all queued at once: any
            # worker may read any of them.
            "NEWSARCHIVE_CRAWL_MEMORY": "newsarchive.distributed.WorkerArchive",
            "NEWSARCHIVE_QUEUE_ALL_SITEMAPS": True,
        }.items():
            settings.set(name, value, priority="addon")
        settings.replace_in_component_priority_dict("ITEM_PIPELINES", StoragePipeline, RedisItemPipeline)
        settings.replace_in_component_priority_dict("EXTENSIONS", CrawlRun, WorkerRun)
        settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", WarcMiddleware, None)


class RedisItemPipeline:
    """In a worker, in the storage pipeline's place: finished items go to the ingester."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.channel = channel_of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisItemPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        try:
            self.channel.push("article", item=ItemAdapter(item).asdict())
        except Exception:
            # Not stored: this crawl must not count as complete (its sitemaps stay unread).
            self.crawler.stats.inc_value(REDIS_PUSH_ERRORS)
            raise
        self.crawler.stats.inc_value(REDIS_PUSHED)
        return item


class WorkerArchive:
    """A worker's crawl memory (:class:`newsarchive.memory.CrawlMemory`, ``spider.archive``;
    the add-on sets ``NEWSARCHIVE_CRAWL_MEMORY`` to it): reads from the archive file when one
    is there (read-only), writes become records for the ingester."""

    def __init__(self, crawler: Crawler):
        self.channel = channel_of(crawler)
        self.reader: Archive | None = None
        try:
            self.reader = Archive(crawler.settings.get("NEWSARCHIVE_DB"), readonly=True)
        except ArchiveError as error:
            logger.info("worker without an archive to read (%s): every article counts as new", error)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerArchive:
        return cls(crawler)

    def fetch_record(self, url: str) -> dict[str, Any] | None:
        return self.reader.fetch_record(url) if self.reader else None

    def discovery_lastmod(self, url: str) -> str | None:
        return self.reader.discovery_lastmod(url) if self.reader else None

    def last_run_completed(self, spider: str, before: str) -> bool:
        return self.reader.last_run_completed(spider, before) if self.reader else False

    def record_gone(self, url: str, status: int) -> None:
        self.channel.push("gone", url=url, status=status)

    def remember_discovery(self, lastmods: dict[str, str]) -> None:
        """Nothing here: the worker-closed record carries the sitemaps read (WorkerRun)."""

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()


class WorkerRun:
    """The run extension of a worker (in :class:`newsarchive.extensions.CrawlRun`'s place)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.channel = channel_of(crawler)
        self.idle_close = crawler.settings.getfloat("NEWSARCHIVE_REDIS_IDLE_CLOSE", DEFAULT_IDLE_CLOSE)
        self.idle_since: float | None = None
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerRun:
        if os.environ.get("SCRAPY_CHECK"):
            raise NotConfigured("scrapy check is not a crawl run")
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def _busy(self) -> bool:
        # Scrapy has no public "is this engine busy": engine._start, scraper.slot and
        # downloader.active are its state as of Scrapy 2.19 (tests/test_scrapy_api.py fails
        # when a release changes them).
        # No scraper slot (the spider not open, or closing) counts as busy, as a missing attribute does.
        engine = self.crawler.engine
        try:
            slot = engine.scraper.slot
            return (
                bool(engine.downloader.active)
                or slot is None
                or not slot.is_idle()
                or engine._start is not None
            )
        except AttributeError:
            return True

    def _beat(self) -> None:
        try:
            self.channel.beat(self._busy())
        except Exception as error:  # a Redis hiccup must not kill the loop
            logger.warning("heartbeat to Redis failed: %s", error)

    def spider_opened(self, spider: Spider) -> None:
        crawl = self.channel.join()
        self.crawler.stats.set_value(CRAWL, crawl)
        self.crawler.stats.set_value(WORKER, self.channel.worker_id)
        logger.info(
            "worker %s joined crawl %s of %s (%d requests queued)",
            self.channel.worker_id,
            crawl,
            spider.name,
            self.channel.queued(),
        )
        self.loop = task.LoopingCall(self._beat)
        self.loop.start(self.channel.heartbeat, now=False)

    def spider_idle(self, spider: Spider) -> None:
        """Stay while another worker is busy (it may queue more), then a little longer."""
        now = time.monotonic()
        if self.channel.queued() or self.channel.others_busy():
            self.idle_since = None
            self._look_again()
            raise DontCloseSpider
        self.idle_since = self.idle_since or now
        if now - self.idle_since < self.idle_close:
            self._look_again()
            raise DontCloseSpider

    def _look_again(self) -> None:
        """Ask the engine to look at the shared queue again soon. A kept-open idle spider is
        otherwise looked at on the engine's 5 s heartbeat: a worker that went idle while
        another was still reading the sitemaps would sit out a short crawl. (``engine._slot``
        is private, as of Scrapy 2.19: see tests/test_scrapy_api.py.)"""
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and hasattr(slot, "nextcall"):
            slot.nextcall.schedule(min(self.channel.heartbeat, 0.5))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        stats = self.crawler.stats.get_stats()
        if reason == "finished" and stats.get(REDIS_PUSH_ERRORS):
            reason = "push-errors"  # some items never reached Redis: not a complete crawl
        ended = self.channel.leave(
            reason,
            {k: v for k, v in stats.items() if isinstance(v, (int, float)) and not isinstance(v, bool)},
            dict(getattr(spider, "sitemaps_read", {}) or {}),
            dict(getattr(spider, "redirect_aliases", {}) or {}),
        )
        logger.info(
            "worker %s left crawl %s (%s)%s",
            self.channel.worker_id,
            self.channel.crawl,
            reason,
            "; it was the last: crawl ended" if ended else "",
        )
