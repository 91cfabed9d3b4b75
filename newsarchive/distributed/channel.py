"""A worker's side of the Redis protocol: joining a crawl, the heartbeat, leaving, records out.

:class:`Channel` is everything a worker says to Redis. It joins the spider's
running crawl (or starts one), beats a heartbeat key with a TTL (``1`` busy,
``0`` idle) so the others can tell a live worker from a dead one, tells whether
another worker is still busy, pushes the records the ingester writes
(``article``, ``gone``, ``worker-closed``, ``crawl-end``), and when the last
worker leaves, ends the crawl and deletes its state. The Scrapy components of a
worker (:mod:`newsarchive.distributed`) share one channel per crawler
(:func:`channel_of`). The keys are listed in :mod:`newsarchive.distributed`.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
import weakref
from typing import TYPE_CHECKING, Any

from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from newsarchive.distributed.connection import (
    DEFAULT_HEARTBEAT,
    DEFAULT_PREFIX,
    DEFAULT_STATE_TTL,
    URL_SETTING,
    redis_client,
)

if TYPE_CHECKING:
    from redis.lock import Lock


def _text(value: bytes | str) -> str:
    """A Redis reply as text (replies are bytes: the client does not decode them)."""
    return value.decode() if isinstance(value, bytes) else value


def _keys(prefix: str, spider: str) -> dict[str, str]:
    base = f"{prefix}{spider}:"
    return {name: base + name for name in ("requests", "dupefilter", "crawl", "workers", "lock")}


class Channel:
    """A worker's Redis connection: its crawl, heartbeat and the records it sends the ingester."""

    def __init__(self, settings: BaseSettings, spider: str):
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
        workers = sorted(_text(w) for w in self.redis.smembers(self.keys["workers"]))
        alive = self.redis.mget([self.worker_key(w) for w in workers]) if workers else []
        live = [w for w, beat in zip(workers, alive) if beat is not None]
        return live, [w for w in workers if w not in live]

    def others_busy(self) -> bool:
        live, _ = self.members()
        beats = self.redis.mget([self.worker_key(w) for w in live if w != self.worker_id]) if live else []
        return any(beat == b"1" for beat in beats)

    def queued(self) -> int:
        return self.redis.zcard(self.keys["requests"])

    def _lock(self) -> Lock:
        return self.redis.lock(self.keys["lock"], timeout=30, blocking_timeout=60)

    def join(self) -> str:
        """Join the spider's running crawl, or start one; returns the crawl id."""
        with self._lock():
            live, dead = self.members()
            crawl = _text(self.redis.get(self.keys["crawl"]) or b"") or None
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

    def leave(
        self, reason: str, stats: dict[str, Any], sitemaps: dict[str, str], aliases: dict[str, str]
    ) -> bool:
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


#: Each crawler's channel: the pipeline, the crawl memory and the run extension share it.
_channels: weakref.WeakKeyDictionary[Crawler, Channel] = weakref.WeakKeyDictionary()


def channel_of(crawler: Crawler) -> Channel:
    """The crawler's channel (one per crawler, made on first use)."""
    channel = _channels.get(crawler)
    if channel is None:
        channel = _channels[crawler] = Channel(crawler.settings, crawler.spidercls.name)
    return channel
