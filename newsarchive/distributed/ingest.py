"""The ingester: the one process that writes a distributed crawl's records into the archive.

Workers never write SQLite; they push records to one Redis list. ``newsarchive
ingest`` runs an :class:`Ingester`, which moves a batch of records to a
processing list (``BLMOVE``), writes the batch in one SQLite transaction with
the same storage logic as a single-process crawl (:meth:`Archive.store_article`:
dedupe, aliases, versions) together with the crawl's ``crawl_runs`` row, and
only then removes the batch from the processing list. The ids of the last
committed batch are saved with the run, so an ingester killed between its
commit and that removal puts back only what it had not written: nothing is
lost and nothing is stored twice. When a crawl's last worker has left, its run
is finished with the same health checks as a single-process run
(:mod:`newsarchive.health`).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from newsarchive.archive import Archive, resolve_db_path
from newsarchive.archive.deletion import TOMBSTONED
from newsarchive.distributed.connection import DEFAULT_PREFIX, redis_client
from newsarchive.extensions import record_coverage, run_summary
from newsarchive.health import LOG_ERRORS, SPIDER_EXCEPTIONS, VALIDATED_ITEMS, VALIDATION_ERRORS, check_health
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
    REDIS_PUSHED,
    SKIPPED,
    RunStatus,
)
from newsarchive.pipelines import count_canonical_conflict
from newsarchive.runlock import RunLock, RunLocked

logger = logging.getLogger(__name__)

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
    # What the health rules on errors and item validation read (newsarchive.health).
    LOG_ERRORS,
    SPIDER_EXCEPTIONS,
    VALIDATED_ITEMS,
    VALIDATION_ERRORS,
)

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
        db: str | os.PathLike[str] | None = None,
        *,
        prefix: str = DEFAULT_PREFIX,
        batch_size: int = 100,
        poll: float = 1.0,
    ):
        self.redis = redis_client(redis_url)
        self.db_path = resolve_db_path(db)
        self.prefix = prefix
        self.items_key = f"{prefix}items"
        self.processing_key = f"{prefix}items:processing"
        self.rejected_key = f"{prefix}items:rejected"
        self.batch_size = max(1, batch_size)
        self.poll = poll
        self._archive: Archive | None = None
        self.lock: RunLock | None = None
        self.spider_locks: dict[str, RunLock] = {}
        self.crawls: dict[str, CrawlState] = {}
        self.report = IngestReport()
        #: Test hooks: "after-commit" kills this process between a commit and its acknowledgement,
        #: "slow" makes each record of a batch take 0.2 s.
        self._fault = os.environ.get("NEWSARCHIVE_INGEST_FAULT")

    @property
    def archive(self) -> Archive:
        """The archive written to, once :meth:`open` has opened it."""
        if self._archive is None:
            raise IngestError("the ingester is not open: call open() first")
        return self._archive

    # --- start and stop -------------------------------------------------

    def open(self) -> None:
        try:
            self.redis.ping()
        except Exception as error:
            raise IngestError(f"cannot reach Redis: {error}") from error
        try:
            self.lock = RunLock(self.db_path, "ingest").acquire()
        except RunLocked as locked:
            raise IngestError(str(locked)) from None
        self._archive = Archive(self.db_path)
        self._recover()

    def close(self) -> None:
        for lock in self.spider_locks.values():
            lock.release()
        self.spider_locks.clear()
        if self._archive is not None:
            self._archive.close()
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
                # redis-py types lrem's value as str; it sends bytes as they are (any EncodableT).
                self.redis.lrem(self.processing_key, 1, raw)  # type: ignore[arg-type]
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

    def run(
        self, *, idle_exit: float | None = None, stop: Callable[[], bool] = lambda: False
    ) -> IngestReport:
        """Ingest until ``stop()`` is true, or (with ``idle_exit``) until nothing arrived for that
        many seconds and no worker is alive."""
        idle_since = time.monotonic()
        while not stop():
            # redis-py types BLMOVE's timeout as int; Redis takes seconds as a float (since 6.0).
            raw = self.redis.blmove(
                self.items_key,
                self.processing_key,
                self.poll,  # type: ignore[arg-type]
                "RIGHT",
                "LEFT",
            )
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

    def write_batch(self, batch: list[bytes | str]) -> None:
        """Write one batch of records (as read from Redis) in one transaction, then acknowledge it."""
        records: list[tuple[bytes | str, dict[str, Any]]] = []
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
                pipe.lrem(self.processing_key, 1, raw)  # type: ignore[arg-type]  # bytes, as in _recover
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
            os.kill(os.getpid(), signal.SIGKILL)
        pipe = self.redis.pipeline()
        for raw, _ in records:
            pipe.lrem(self.processing_key, 1, raw)  # type: ignore[arg-type]  # bytes, as in _recover
        pipe.execute()
        self.report.records += len(records)

    # --- one record -----------------------------------------------------

    def _lock_spider(self, spider: str) -> None:
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
        kind = record.get("kind")
        if kind == "article":
            item = record["item"]
            outcome, rejected = self.archive.store_article(item, fetched_at=item.get("fetched_at"))
            if rejected:
                count_canonical_conflict(_Stats(crawl), item.get("fetched_url"), rejected)
            crawl.inc(f"{ARTICLES}{outcome}")
            if outcome != TOMBSTONED:  # deleted on request: not an article of this run
                record_coverage(_Stats(crawl), item)
            self.report.articles[outcome] = self.report.articles.get(outcome, 0) + 1
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


def _record_id(raw: bytes | str) -> str | None:
    try:
        return json.loads(raw).get("id")
    except (ValueError, AttributeError):
        return None
