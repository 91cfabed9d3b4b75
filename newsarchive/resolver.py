"""DNS answers pass the crawl's address rule too (see :mod:`newsarchive.urlpolicy`).

The allow-rule refuses IP literals in private ranges, but a host name can
resolve to one: a site's own subdomain pointed at ``127.0.0.1`` or at a cloud
metadata address would reach this machine's services. Scrapy's resolver is asked
for the address of every host it connects to, so checking its answer closes that
path for every request, redirects included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

from scrapy.crawler import Crawler
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.base import ReactorBase
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from newsarchive.urlpolicy import is_public_address


class PublicAddressResolver(CachingThreadedResolver):
    """Scrapy's caching resolver that fails lookups answering a non-public address, unless
    ``NEWSARCHIVE_REPLAY_URL`` is set (the replay server is on loopback by design)."""

    allow_local = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> Self:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_local = bool(crawler.settings.get("NEWSARCHIVE_REPLAY_URL"))
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        answer = super().getHostByName(name, timeout)
        if not self.allow_local:
            answer.addCallback(self._refuse_local, name)
        return answer

    @staticmethod
    def _refuse_local(address: str, name: str) -> str:
        if not is_public_address(address):
            raise DNSLookupError(
                f"{name} resolves to {address}, a local, private or reserved address; not fetched"
            )
        return address
