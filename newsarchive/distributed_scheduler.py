"""scrapy-redis's scheduler, adapted to Scrapy 2.19; imported only by workers (see
:mod:`newsarchive.distributed`).

scrapy-redis 0.9.1 works with Scrapy 2.19 as it is: its scheduler and dupe filter follow
the scheduler interface the engine uses (``open``/``close``/``enqueue_request``/
``next_request``/``has_pending_requests``), requests from the asynchronous ``start()``
pass through ``enqueue_request`` like any other, and ``Request.to_dict``/
``request_from_dict`` round-trip through the queue. The one difference: it counts its
stats with ``inc_value(..., spider=...)`` and says "Resuming crawl" with ``Spider.log()``,
both deprecated by Scrapy 2.19 (a warning per request, an error in a later Scrapy). This
subclass counts them without the argument and opens without the warning (the worker
extension logs how many requests were queued); the rest is scrapy-redis's.
"""

from __future__ import annotations

import warnings
from typing import Any

from scrapy import Request, Spider
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy_redis.scheduler import Scheduler as RedisScheduler


class Scheduler(RedisScheduler):
    """scrapy-redis's scheduler counting its stats and opening the way Scrapy 2.19 asks."""

    def open(self, spider: Spider) -> Any:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", r"Spider\.log\(\) is deprecated", ScrapyDeprecationWarning)
            return super().open(spider)

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        request = self.queue.pop(self.idle_before_close)
        if request and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request
