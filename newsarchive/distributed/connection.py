"""The Redis side both halves of a distributed crawl share: the settings' defaults and the client.

Workers (:mod:`newsarchive.distributed.channel`) and the ingester
(:mod:`newsarchive.distributed.ingest`) talk to the same Redis with the same
key prefix; their defaults live here once. ``redis`` is imported only when a
client is made, so a single-process crawl never needs the ``redis`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis import Redis

URL_SETTING = "NEWSARCHIVE_REDIS_URL"
DEFAULT_PREFIX = "newsarchive:"
#: How long crawl state lives without a live worker renewing it (seconds).
DEFAULT_STATE_TTL = 24 * 3600
#: Heartbeat period of a worker (seconds); its key expires after three missed beats, so a
#: worker whose reactor is stuck for longer than that counts as dead.
DEFAULT_HEARTBEAT = 10.0
#: A worker closes after this long idle with an empty queue and no busy worker (seconds).
DEFAULT_IDLE_CLOSE = 3.0
INSTALL_HINT = "distributed crawling needs scrapy-redis: pip install 'newsarchive[redis]'"


def redis_client(url: str) -> Redis:
    """A Redis client for ``url`` (imports ``redis`` only now)."""
    try:
        import redis
    except ImportError as error:  # pragma: no cover - the extra is missing
        raise RuntimeError(INSTALL_HINT) from error
    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=30, retry_on_timeout=True)
