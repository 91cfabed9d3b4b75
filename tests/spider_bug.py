"""A bug in the spider, for tests: the items of one page raise, as a failing callback would.

With ``tests/`` on ``PYTHONPATH``, ``spider_bug.RaiseOnPage`` in ``SPIDER_MIDDLEWARES`` and
``-s NEWSARCHIVE_TEST_RAISE_ON=<part of a URL>``, the article of each page whose URL contains
it raises ``ValueError`` instead of reaching the pipelines: Scrapy logs it at ERROR and counts
it as ``spider_exceptions/ValueError``, exactly as for an exception in the spider's own code.
"""

from __future__ import annotations

from typing import Any

from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware


class RaiseOnPage(BaseSpiderMiddleware):
    def get_processed_item(self, item: Any, response: Response | None) -> Any:
        marker = self.crawler.settings.get("NEWSARCHIVE_TEST_RAISE_ON")
        if response is not None and marker and marker in response.url:
            raise ValueError(f"a bug in the spider on {response.url}")
        return item
