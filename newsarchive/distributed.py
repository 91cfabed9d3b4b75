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
(:meth:`Archive.save_article`: dedupe, aliases, versions) together with the crawl's
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
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured

from newsarchive.outcomes import (
    ARTICLE_OUTCOMES,
    ARTICLES,
    BOILERPLATE,
    CRAWL,
    DROPPED,
    FETCH,
    INGEST_ALIASES,
    INGEST_DEAD_WORKERS,
    INGEST_LAST_BATCH,
    INGEST_SITEMAPS,
    INGEST_WORKERS,
    REDIS,
    REDIS_PUSH_ERRORS,
    REDIS_PUSHED,
    SKIPPED,
    WORKER,
    RunStatus,
)

logger = logging.getLogger(__name__)

URL_SETTING = "NEWSARCHIVE_REDIS_URL"
DEFAULT_PREFIX = "newsarchive:"
#: How long crawl state lives without a live worker renewing it (seconds).
DEFAULT_STATE_TTL = 24 * 3600
#: Heartbeat period of a worker (seconds); its key expires after three missed beats, so a
#: worker whose reactor is stuck for longer than that counts as dead.
DEFAULT_HEARTBEAT = 10.0
#: A worker closes after this long idle with an empty queue and no busy worker (seconds).
DEFAULT_IDLE_CLOSE = 3.0
#: Keys of worker stats that the ingester adds up into the run's stats.
SUMMED_STATS = (
    "downloader/",
    DROPPED,
    FETCH,
    SKIPPED,
    BOILERPLATE,
    REDIS,
    "item_scraped_count",
    "item_dropped_count",
    "response_received_count",
    "retry/",
    "scheduler/",
    "robotstxt/",
)
INSTALL_HINT = "distributed crawling needs scrapy-redis: pip install 'newsarchive[redis]'"


def redis_client(url: str):
    """A Redis client for ``url`` (imports ``redis`` only now)."""
    try:
        import redis
    except ImportError as error:  # pragma: no cover - the extra is missing
        raise RuntimeError(INSTALL_HINT) from error
    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=30, retry_on_timeout=True)


# --- JSON serializer for scrapy-redis's queue (SCHEDULER_SERIALIZER = this module) ---------


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {"__dict__": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot queue a request whose data holds a {type(value).__name__}: {value!r}")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "__bytes__" in value:
            return base64.b64decode(value["__bytes__"])
        return {_decode(k): _decode(v) for k, v in value["__dict__"]}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def dumps(obj: dict) -> bytes:
    """A request dict (``Request.to_dict``) as JSON; bytes and non-string keys survive."""
    return json.dumps(_encode(obj), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str) -> dict:
    return _decode(json.loads(data))


# --- the switch ------------------------------------------------------------------------


class DistributedAddon:
    """Scrapy add-on (``ADDONS``): with ``NEWSARCHIVE_REDIS_URL`` set, turn this process into a
    worker of a distributed crawl; without it, do nothing."""

    def update_settings(self, settings) -> None:
        url = settings.get(URL_SETTING)
        if not url:
            return
        try:
            import scrapy_redis  # noqa: F401
        except ImportError as error:
            # Not NotConfigured: Scrapy would log it and crawl on, writing SQLite from a worker.
            raise RuntimeError(f"NEWSARCHIVE_REDIS_URL is set but {INSTALL_HINT}") from error
        from newsarchive.extensions import CrawlRun
        from newsarchive.pipelines import StoragePipeline
        from newsarchive.warc import WarcMiddleware

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


# --- the worker side -------------------------------------------------------------------


def _keys(prefix: str, spider: str) -> dict[str, str]:
    base = f"{prefix}{spider}:"
    return {name: base + name for name in ("requests", "dupefilter", "crawl", "workers", "lock")}


class Channel:
    """A worker's Redis connection: its crawl, heartbeat and the records it sends the ingester."""

    def __init__(self, settings, spider: str):
        self.redis = redis_client(settings.get(URL_SETTING))
        self.prefix = settings.get("NEWSARCHIVE_REDIS_PREFIX") or DEFAULT_PREFIX
        self.spider = spider
        self.keys = _keys(self.prefix, spider)
        self.items_key = f"{self.prefix}items"
        self.state_ttl = settings.getint("NEWSARCHIVE_REDIS_STATE_TTL", DEFAULT_STATE_TTL)
        self.heartbeat = settings.getfloat("NEWSARCHIVE_REDIS_HEARTBEAT", DEFAULT_HEARTBEAT)
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.crawl: str | None = None

    def worker_key(self, worker_id: str) -> str:
        return f"{self.prefix}{self.spider}:worker:{worker_id}"

    def push(self, kind: str, **payload: Any) -> None:
        """Send one record to the ingester."""
        record = {
            "id": uuid.uuid4().hex,
            "kind": kind,
            "spider": self.spider,
            "crawl": self.crawl,
            "worker": self.worker_id,
            **payload,
        }
        self.redis.lpush(self.items_key, json.dumps(record, ensure_ascii=False, default=str))

    def beat(self, busy: bool) -> None:
        pipe = self.redis.pipeline()
        pipe.set(self.worker_key(self.worker_id), int(busy), px=int(self.heartbeat * 3000))
        for name in ("requests", "dupefilter", "crawl", "workers"):
            pipe.expire(self.keys[name], self.state_ttl)
        pipe.execute()

    def members(self) -> tuple[list[str], list[str]]:
        """(live, dead) workers of this crawl, by whether their heartbeat key exists."""
        workers = sorted(w.decode() for w in self.redis.smembers(self.keys["workers"]))
        alive = self.redis.mget([self.worker_key(w) for w in workers]) if workers else []
        live = [w for w, beat in zip(workers, alive) if beat is not None]
        return live, [w for w in workers if w not in live]

    def others_busy(self) -> bool:
        live, _ = self.members()
        beats = self.redis.mget([self.worker_key(w) for w in live if w != self.worker_id]) if live else []
        return any(beat == b"1" for beat in beats)

    def queued(self) -> int:
        return self.redis.zcard(self.keys["requests"])

    def _lock(self):
        return self.redis.lock(self.keys["lock"], timeout=30, blocking_timeout=60)

    def join(self) -> str:
        """Join the spider's running crawl, or start one; returns the crawl id."""
        with self._lock():
            live, dead = self.members()
            crawl = (self.redis.get(self.keys["crawl"]) or b"").decode() or None
            if crawl and not live and not self.queued():
                # Every worker of that crawl died and nothing is left to fetch: end it (as killed).
                self.crawl = crawl
                self.push("crawl-end", dead=dead)
                self._clear()
                crawl = None
            if crawl is None:
                crawl = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:6]
                self.redis.delete(self.keys["dupefilter"], self.keys["workers"])
                self.redis.set(self.keys["crawl"], crawl, ex=self.state_ttl)
            self.crawl = crawl
            self.redis.sadd(self.keys["workers"], self.worker_id)
            self.beat(True)
        return crawl

    def leave(self, reason: str, stats: dict, sitemaps: dict, aliases: dict) -> bool:
        """Report this worker's end; the last one ends the crawl. True when it did."""
        with self._lock():
            self.push(
                "worker-closed",
                reason=reason,
                stats=stats,
                sitemaps=sitemaps if reason == "finished" else {},
                aliases=aliases,
            )
            self.redis.srem(self.keys["workers"], self.worker_id)
            self.redis.delete(self.worker_key(self.worker_id))
            live, dead = self.members()
            if live or (reason != "finished" and self.queued()):
                return False  # others go on, or the crawl can be resumed
            self.push("crawl-end", dead=dead)
            self._clear()
            return True

    def _clear(self) -> None:
        self.redis.delete(*(self.keys[name] for name in ("requests", "dupefilter", "crawl", "workers")))


def channel_of(crawler) -> Channel:
    """The crawler's channel (one per crawler, made on first use)."""
    if getattr(crawler, "_newsarchive_channel", None) is None:
        crawler._newsarchive_channel = Channel(crawler.settings, crawler.spidercls.name)
    return crawler._newsarchive_channel


class RedisItemPipeline:
    """In a worker, in the storage pipeline's place: finished items go to the ingester."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.channel = channel_of(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
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

    def __init__(self, crawler):
        from newsarchive.archive import Archive, ArchiveError

        self.channel = channel_of(crawler)
        self.reader = None
        try:
            self.reader = Archive(crawler.settings.get("NEWSARCHIVE_DB"), readonly=True)
        except ArchiveError as error:
            logger.info("worker without an archive to read (%s): every article counts as new", error)

    @classmethod
    def from_crawler(cls, crawler) -> WorkerArchive:
        return cls(crawler)

    def fetch_record(self, url: str):
        return self.reader.fetch_record(url) if self.reader else None

    def discovery_lastmod(self, url: str):
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

    def __init__(self, crawler):
        self.crawler = crawler
        self.channel = channel_of(crawler)
        self.idle_close = crawler.settings.getfloat("NEWSARCHIVE_REDIS_IDLE_CLOSE", DEFAULT_IDLE_CLOSE)
        self.idle_since: float | None = None
        self.loop = None

    @classmethod
    def from_crawler(cls, crawler):
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
        engine = self.crawler.engine
        try:
            return (
                bool(engine.downloader.active)
                or not engine.scraper.slot.is_idle()
                or engine._start is not None
            )
        except AttributeError:
            return True

    def _beat(self) -> None:
        try:
            self.channel.beat(self._busy())
        except Exception as error:  # a Redis hiccup must not kill the loop
            logger.warning("heartbeat to Redis failed: %s", error)

    def spider_opened(self, spider) -> None:
        from twisted.internet import task

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

    def spider_idle(self, spider) -> None:
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

    def spider_closed(self, spider, reason: str) -> None:
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


# --- the ingester ----------------------------------------------------------------------

#: crawl_runs.stats keys where the ingester keeps a crawl's state (written with each batch).
CRAWL_KEY = CRAWL
BATCH_KEY = INGEST_LAST_BATCH
WORKERS_KEY = INGEST_WORKERS
DISCOVERY_KEY = INGEST_SITEMAPS
ALIASES_KEY = INGEST_ALIASES


class IngestError(RuntimeError):
    """The ingester cannot start or go on (another ingester, Redis unreachable)."""


@dataclass
class CrawlState:
    """One distributed crawl as the ingester sees it: its ``crawl_runs`` row and stats."""

    run_id: int
    spider: str
    stats: dict[str, Any] = field(default_factory=dict)
    batch: list[str] = field(default_factory=list)

    def inc(self, key: str, count: int = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + count


@dataclass
class IngestReport:
    records: int = 0
    articles: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ARTICLE_OUTCOMES, 0))
    recovered: int = 0
    already_written: int = 0
    rejected: int = 0
    crawls_ended: list[dict[str, Any]] = field(default_factory=list)


class Ingester:
    """Writes the records of a distributed crawl into the archive (``newsarchive ingest``)."""

    def __init__(
        self,
        redis_url: str,
        db: str | os.PathLike | None = None,
        *,
        prefix: str = DEFAULT_PREFIX,
        batch_size: int = 100,
        poll: float = 1.0,
    ):
        from newsarchive.archive import resolve_db_path

        self.redis = redis_client(redis_url)
        self.db_path = resolve_db_path(db)
        self.prefix = prefix
        self.items_key = f"{prefix}items"
        self.processing_key = f"{prefix}items:processing"
        self.rejected_key = f"{prefix}items:rejected"
        self.batch_size = max(1, batch_size)
        self.poll = poll
        self.archive = None
        self.lock = None
        self.spider_locks: dict[str, Any] = {}
        self.crawls: dict[str, CrawlState] = {}
        self.report = IngestReport()
        #: Test hooks: "after-commit" kills this process between a commit and its acknowledgement,
        #: "slow" makes each record of a batch take 0.2 s.
        self._fault = os.environ.get("NEWSARCHIVE_INGEST_FAULT")

    # --- start and stop -------------------------------------------------

    def open(self) -> None:
        from newsarchive.archive import Archive
        from newsarchive.runlock import RunLock, RunLocked

        try:
            self.redis.ping()
        except Exception as error:
            raise IngestError(f"cannot reach Redis: {error}") from error
        try:
            self.lock = RunLock(self.db_path, "ingest").acquire()
        except RunLocked as locked:
            raise IngestError(str(locked)) from None
        self.archive = Archive(self.db_path)
        self._recover()

    def close(self) -> None:
        for lock in self.spider_locks.values():
            lock.release()
        self.spider_locks.clear()
        if self.archive is not None:
            self.archive.close()
        if self.lock is not None:
            self.lock.release()

    def _ingester_runs(self) -> list[dict[str, Any]]:
        runs = []
        for run in self.archive.runs(500):
            stats = json.loads(run["stats"] or "{}")
            if CRAWL_KEY in stats and BATCH_KEY in stats:
                runs.append({**run, "stats": stats})
        return runs

    def _recover(self) -> None:
        """Put back what a killed ingester left in the processing list, except what it committed."""
        committed = {record_id for run in self._ingester_runs() for record_id in run["stats"][BATCH_KEY]}
        while True:
            raw = self.redis.lindex(self.processing_key, 0)
            if raw is None:
                break
            record_id = _record_id(raw)
            if record_id in committed:
                self.redis.lrem(self.processing_key, 1, raw)
                self.report.already_written += 1
            else:
                # Newest of the processing list first, each to the consuming end: oldest ends up next.
                self.redis.lmove(self.processing_key, self.items_key, "LEFT", "RIGHT")
                self.report.recovered += 1
        if self.report.recovered or self.report.already_written:
            logger.warning(
                "recovered %d unwritten record(s) of a stopped ingester; %d were written already",
                self.report.recovered,
                self.report.already_written,
            )

    # --- the loop -------------------------------------------------------

    def live_workers(self) -> int:
        return sum(1 for _ in self.redis.scan_iter(match=f"{self.prefix}*:worker:*", count=1000))

    def run(self, *, idle_exit: float | None = None, stop=lambda: False) -> IngestReport:
        """Ingest until ``stop()`` is true, or (with ``idle_exit``) until nothing arrived for that
        many seconds and no worker is alive."""
        idle_since = time.monotonic()
        while not stop():
            raw = self.redis.blmove(self.items_key, self.processing_key, self.poll, "RIGHT", "LEFT")
            if raw is None:
                if (
                    idle_exit is not None
                    and time.monotonic() - idle_since >= idle_exit
                    and not self.live_workers()
                ):
                    break
                continue
            batch = [raw]
            while len(batch) < self.batch_size:
                more = self.redis.lmove(self.items_key, self.processing_key, "RIGHT", "LEFT")
                if more is None:
                    break
                batch.append(more)
            self.write_batch(batch)
            idle_since = time.monotonic()
        return self.report

    def write_batch(self, batch: list[bytes]) -> None:
        records = []
        for raw in batch:
            try:
                record = json.loads(raw)
                if not isinstance(record, dict) or not record.get("spider") or not record.get("crawl"):
                    raise ValueError("no spider or crawl")
                records.append((raw, record))
            except ValueError as error:
                logger.error("unreadable record moved to %s: %s (%r)", self.rejected_key, error, raw[:200])
                pipe = self.redis.pipeline()
                pipe.lpush(self.rejected_key, raw)
                pipe.lrem(self.processing_key, 1, raw)
                pipe.execute()
                self.report.rejected += 1
        for spider in {record["spider"] for _, record in records}:
            self._lock_spider(spider)  # before the transaction: waiting must not hold SQLite's lock
        touched: dict[str, CrawlState] = {}
        with self.archive.write():
            for _, record in records:
                crawl = self._crawl(record)
                if record["crawl"] not in touched:
                    crawl.batch = []  # the ids of this batch's records, saved with the run
                touched[record["crawl"]] = crawl
                crawl.batch.append(record["id"])
                self._apply(crawl, record)
                if self._fault == "slow":  # tests: a batch long enough to be killed in the middle
                    time.sleep(0.2)
            for key, crawl in touched.items():
                self._save_state(key, crawl, ended=key not in self.crawls)
        if self._fault == "after-commit":  # tests: killed between the commit and the acknowledgement
            import signal

            os.kill(os.getpid(), signal.SIGKILL)
        pipe = self.redis.pipeline()
        for raw, _ in records:
            pipe.lrem(self.processing_key, 1, raw)
        pipe.execute()
        self.report.records += len(records)

    # --- one record -----------------------------------------------------

    def _lock_spider(self, spider: str) -> None:
        from newsarchive.runlock import RunLock, RunLocked

        if spider in self.spider_locks:
            return
        while True:
            try:
                self.spider_locks[spider] = RunLock(self.db_path, spider).acquire()
                break
            except RunLocked as locked:
                logger.warning("%s; waiting", locked)
                time.sleep(5)
        # Crawls this ingester (or a killed one) was writing go on in their rows; other
        # runs of the spider left "running" belong to dead processes.
        for run in self._ingester_runs():
            if run["spider"] == spider and run["status"] in (RunStatus.RUNNING, RunStatus.KILLED):
                self.crawls.setdefault(run["stats"][CRAWL_KEY], CrawlState(run["id"], spider, run["stats"]))
        self.archive.mark_killed_runs(spider)

    def _crawl(self, record: dict[str, Any]) -> CrawlState:
        key = record["crawl"]
        if key not in self.crawls:
            run_id = self.archive.start_run(record["spider"])
            self.crawls[key] = CrawlState(run_id, record["spider"], {CRAWL_KEY: key, WORKERS_KEY: {}})
            logger.info("crawl %s of %s: run %d", key, record["spider"], run_id)
        return self.crawls[key]

    def _apply(self, crawl: CrawlState, record: dict[str, Any]) -> None:
        from newsarchive.extensions import record_coverage
        from newsarchive.pipelines import count_canonical_conflict

        kind = record.get("kind")
        if kind == "article":
            item = record["item"]
            outcome, rejected = self.archive.store_article(item, fetched_at=item.get("fetched_at"))
            if rejected:
                count_canonical_conflict(_Stats(crawl), item.get("fetched_url"), rejected)
            crawl.inc(f"{ARTICLES}{outcome}")
            record_coverage(_Stats(crawl), item)
            self.report.articles[outcome] += 1
        elif kind == "gone":
            self.archive.record_gone(record["url"], int(record["status"]))
        elif kind == "worker-closed":
            worker_stats = record.get("stats") or {}
            crawl.stats[WORKERS_KEY][record["worker"]] = {
                "reason": record.get("reason"),
                "items": worker_stats.get(REDIS_PUSHED, 0),
                "requests": worker_stats.get("downloader/request_count", 0),
            }
            for key, value in (record.get("stats") or {}).items():
                if key.startswith(SUMMED_STATS) and isinstance(value, int):
                    crawl.inc(key, value)
            crawl.stats.setdefault(DISCOVERY_KEY, {}).update(record.get("sitemaps") or {})
            crawl.stats.setdefault(ALIASES_KEY, {}).update(record.get("aliases") or {})
        elif kind == "crawl-end":
            self._end(crawl, record)
        else:
            logger.warning("record of unknown kind %r ignored", kind)

    def _end(self, crawl: CrawlState, record: dict[str, Any]) -> None:
        from newsarchive.extensions import run_summary

        for alias, url in (crawl.stats.get(ALIASES_KEY) or {}).items():
            self.archive.add_alias(alias, url)
        workers = crawl.stats.get(WORKERS_KEY) or {}
        dead = record.get("dead") or []
        crawl.stats[INGEST_DEAD_WORKERS] = dead
        summary = run_summary(crawl.stats)
        unfinished = {wid: w["reason"] for wid, w in workers.items() if w["reason"] != "finished"}
        if dead:
            status, problems = (
                RunStatus.KILLED,
                [
                    {
                        "check": "workers",
                        "message": f"{len(dead)} worker(s) died: "
                        f"{', '.join(dead)}; the next crawl fetches what they missed",
                    }
                ],
            )
        elif not workers or unfinished:
            status, problems = (
                RunStatus.FAILED,
                [{"check": "closed", "message": f"workers stopped early: {unfinished}"}],
            )
        else:
            # The single-process run's health checks (newsarchive.health), default thresholds.
            from newsarchive.health import check_health

            problems = check_health(crawl.spider, summary, crawl.stats)
            status = RunStatus.DEGRADED if problems else RunStatus.FINISHED
            for found in problems:
                logger.error("crawl health: %s", found["message"])
        if status in RunStatus.COMPLETED and crawl.stats.get(DISCOVERY_KEY):
            # Only a crawl whose every worker finished has fetched every article its sitemaps listed.
            self.archive.remember_discovery(crawl.stats[DISCOVERY_KEY])
        crawl.stats[BATCH_KEY] = crawl.batch
        summary["problems"] = problems
        self.archive.finish_run(crawl.run_id, status, summary, crawl.stats)
        del self.crawls[record["crawl"]]
        self.report.crawls_ended.append(
            {
                "spider": crawl.spider,
                "run": crawl.run_id,
                "status": status,
                "workers": len(workers),
                "dead": len(dead),
            }
        )
        logger.info(
            "crawl %s of %s ended: run %d %s (%d workers, %d dead)",
            record["crawl"],
            crawl.spider,
            crawl.run_id,
            status,
            len(workers),
            len(dead),
        )
        if not any(other.spider == crawl.spider for other in self.crawls.values()):
            self.spider_locks.pop(crawl.spider).release()

    def _save_state(self, key: str, crawl: CrawlState, *, ended: bool) -> None:
        from newsarchive.extensions import run_summary

        if ended:
            return  # finish_run wrote it
        crawl.stats[BATCH_KEY] = crawl.batch
        self.archive.progress_run(crawl.run_id, run_summary(crawl.stats), crawl.stats)


class _Stats:
    """``inc_value`` onto a crawl's stats (for :func:`newsarchive.extensions.record_coverage`)."""

    def __init__(self, crawl: CrawlState):
        self.crawl = crawl

    def inc_value(self, key: str, count: int = 1) -> None:
        self.crawl.inc(key, count)


def _record_id(raw: bytes) -> str | None:
    try:
        return json.loads(raw).get("id")
    except (ValueError, AttributeError):
        return None
