"""Downloader components: replay routing and redirect aliases."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

from newsarchive.replay import REPLAY_HOST_HEADER


def replay_target(url: str, replay_url: str) -> str:
    """``url`` re-aimed at the replay server, path and query unchanged."""
    real = urlsplit(url)
    replay = urlsplit(replay_url)
    return urlunsplit((replay.scheme, replay.netloc, real.path or "/", real.query, ""))


class ReplayDownloadHandler(HTTP11DownloadHandler):
    """The HTTP(S) handler; with ``NEWSARCHIVE_REPLAY_URL`` set, all traffic goes there.

    Only the wire changes: requests, responses, redirects, robots.txt, the
    dupe filter and the archive all see the real site's URLs. Nothing can leak
    to the internet during a replay crawl, because every request is re-aimed.
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        self.replay_url = crawler.settings.get("NEWSARCHIVE_REPLAY_URL") or None

    async def download_request(self, request):
        if not self.replay_url:
            return await super().download_request(request)
        replayed = request.replace(url=replay_target(request.url, self.replay_url))
        replayed.headers[REPLAY_HOST_HEADER] = urlsplit(request.url).hostname or ""
        response = await super().download_request(replayed)
        return response.replace(url=request.url)


class RedirectAliasMiddleware:
    """Remembers article URLs that redirect, so the archive can keep them as aliases.

    Placed before Scrapy's RedirectMiddleware in the response chain: it sees
    every 301/302 whose source and target are both article URLs and records
    them on the spider (``redirect_aliases``); the storage pipeline writes them
    at the end of the crawl, whether or not the target was fetched through
    this redirect or found first elsewhere.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response):
        spider = self.crawler.spider
        site = getattr(spider, "site", None)
        location = response.headers.get(b"Location")
        if site is not None and 300 <= response.status < 400 and location:
            target = site.canonical(response.urljoin(location.decode("latin-1")))
            source = site.canonical(request.url)
            if source != target and site.is_article_url(target):
                spider.redirect_aliases[source] = target
        return response
