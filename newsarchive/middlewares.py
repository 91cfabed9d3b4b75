"""The crawl's downloader components: what every request and response passes between the
spider and the wire (their order is ``DOWNLOADER_MIDDLEWARES`` in :mod:`newsarchive.settings`).

* :class:`AllowRuleMiddleware` (50): the URL rule of :mod:`newsarchive.urlpolicy`, before
  anything else is fetched;
* :class:`SharedRobotsTxtMiddleware` (100): Scrapy's robots.txt rules, whose one fetch also
  answers the spider's own request for robots.txt;
* :class:`BackoffRetryMiddleware` (550): Scrapy's retries, after a pause (``Retry-After`` or
  exponential backoff) instead of at once;
* :class:`PageCheckMiddleware` (560): challenge pages, soft 404s and empty bodies stopped, and
  a wrong declared charset corrected (:mod:`newsarchive.pagecheck`);
* :class:`RedirectGuardMiddleware` (640) and :class:`RedirectAliasMiddleware` (650): redirects
  that loop or leave the site are named and counted; article redirects become aliases;
* :class:`ReplayDownloadHandler`: with ``NEWSARCHIVE_REPLAY_URL``, every request goes to the
  local replay server (:mod:`newsarchive.replay`) while keeping the real site's URL.

A rejected page raises :class:`PageRejected` into the request's errback, counted once, here,
under its reason (:mod:`newsarchive.outcomes`). The components subclass Scrapy's without
overriding a private method (``tests/test_scrapy_api.py`` checks it), so a Scrapy release
that changes its internals does not change them.
"""

from __future__ import annotations

import codecs
import logging
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import NoReturn, Self
from urllib.parse import urlsplit, urlunsplit

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.http.request import NO_CALLBACK
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached

from newsarchive.outcomes import (
    CHARSET_CORRECTED,
    CHARSET_INVALID,
    RETRY_AFTER_HONOURED,
    RETRY_AFTER_TOO_LONG,
    RETRY_WAITED_SECONDS,
    ROBOTS_REUSED,
    Drop,
    count_drop,
)
from newsarchive.pagecheck import challenge_vendor, choose_encoding, is_empty, is_soft_404
from newsarchive.replay import REPLAY_HOST_HEADER
from newsarchive.spiders.base import NewsSpider
from newsarchive.urlpolicy import refusal

logger = logging.getLogger(__name__)


class PageRejected(IgnoreRequest):
    """A response or request that must not reach the spider as content; ``reason`` is already
    counted (see :func:`newsarchive.outcomes.counted_reason`)."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = self.counted_reason = reason


def reject(crawler: Crawler, request: Request, reason: str, detail: str) -> NoReturn:
    """Count ``reason``, log it, and stop the response: the request's errback gets a :class:`PageRejected`."""
    count_drop(crawler.stats, reason)
    logger.warning("%s: %s", reason, detail)
    raise PageRejected(reason, detail)


class _CrawlerMiddleware:
    """A middleware that needs only the crawler (its stats, spider and settings)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)


def replay_target(url: str, replay_url: str) -> str:
    """``url`` re-aimed at the replay server, path and query unchanged."""
    real = urlsplit(url)
    replay = urlsplit(replay_url)
    return urlunsplit((replay.scheme, replay.netloc, real.path or "/", real.query, ""))


class AllowRuleMiddleware(_CrawlerMiddleware):
    """Every request passes :func:`newsarchive.urlpolicy.refusal` before any other component
    sees it (100 is robots.txt, which would otherwise fetch ``/robots.txt`` of any host a
    sitemap names). ``dont_filter`` does not exempt a request, as it does from Scrapy's
    offsite check: sitemaps, feeds, listings, redirects and robots.txt all pass here."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.max_length = crawler.settings.getint("URLLENGTH_LIMIT")

    def process_request(self, request: Request) -> None:
        # A spider that names no hosts (a benchmark's bare spider) is judged on the rest only.
        hosts = getattr(self.crawler.spider, "allowed_domains", None) or ()
        refused = refusal(request.url, hosts, max_length=self.max_length)
        if refused is not None:
            reason, detail = refused
            reject(self.crawler, request, reason, f"{detail}: {request.url[:200]}")
        return None


class ReplayDownloadHandler(HTTP11DownloadHandler):
    """The HTTP(S) handler; with ``NEWSARCHIVE_REPLAY_URL`` set, all traffic goes there.

    Only the wire changes: requests, responses, redirects, robots.txt, the
    dupe filter and the archive all see the real site's URLs. Nothing can leak
    to the internet during a replay crawl, because every request is re-aimed.
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.replay_url: str | None = crawler.settings.get("NEWSARCHIVE_REPLAY_URL") or None

    async def download_request(self, request: Request) -> Response:
        if not self.replay_url:
            return await super().download_request(request)
        replayed = request.replace(url=replay_target(request.url, self.replay_url))
        replayed.headers[REPLAY_HOST_HEADER] = urlsplit(request.url).hostname or ""
        response = await super().download_request(replayed)
        return response.replace(url=request.url)


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt rules, whose one fetch of robots.txt also answers the spider's
    own request for it (the spider reads the ``Sitemap:`` lines): the site sees robots.txt
    requested once a run, not twice.

    The answer is flagged ``cached``, so it is neither recorded in the WARC files again nor
    counted as a download. Only a 200 is reused; after an error the spider asks again.

    Scrapy's own request for robots.txt is told apart by what it carries (``dont_obey_robotstxt``
    and ``NO_CALLBACK``) when its answer passes back through this middleware: at 100, after
    redirects, decompression and the page checks, so as the robots.txt rules are read from it.
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self._fetched: dict[str, Response] = {}

    def process_response(self, request: Request, response: Response) -> Response:
        if (
            response.status == 200
            and request.callback is NO_CALLBACK
            and request.meta.get("dont_obey_robotstxt")
            and urlparse_cached(request).path == "/robots.txt"
        ):
            # Keyed by the host robots.txt was asked of, wherever it redirected.
            first = (request.meta.get("redirect_urls") or [request.url])[0]
            self._fetched[urlsplit(first).netloc] = response
        return response

    # Scrapy 2.19 types its process_request as answering None and taking a spider; a downloader
    # middleware's may answer with a Response (Scrapy's documented contract: that is what this one
    # adds), and needs no spider argument (which Scrapy 2.19 deprecates).
    async def process_request(self, request: Request) -> Response | None:  # type: ignore[override]
        await super().process_request(request)
        url = urlparse_cached(request)
        if request.meta.get("dont_obey_robotstxt") or url.path != "/robots.txt" or url.query:
            return None
        fetched = self._fetched.pop(url.netloc, None)
        if fetched is None:
            return None
        self.crawler.stats.inc_value(ROBOTS_REUSED)
        return fetched.replace(request=request, flags=[*fetched.flags, "cached"])


class RedirectGuardMiddleware(_CrawlerMiddleware):
    """Names the redirects Scrapy would drop without a word: a loop (the dupe filter
    silently discards the revisit) and a redirect off the site (the offsite filter
    discards it at scheduling). Both are counted (``redirect-loop``,
    ``offsite-redirect``) and end in the request's errback like any failed page.

    Sits before RedirectMiddleware (600) in the response chain.
    """

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location")
        if not (300 <= response.status < 400 and location):
            return response
        target = response.urljoin(location.decode("latin-1"))
        refused = refusal(target, getattr(self.crawler.spider, "allowed_domains", None) or (), max_length=0)
        if refused is not None:
            reason = Drop.OFFSITE_REDIRECT if refused[0] == Drop.OFFSITE_URL else refused[0]
            reject(self.crawler, request, reason, f"{request.url} redirects to {target[:200]}: {refused[1]}")
        if target in (request.url, *request.meta.get("redirect_urls", [])):
            reject(self.crawler, request, Drop.REDIRECT_LOOP, f"{request.url} redirects back to {target}")
        return response


class RedirectAliasMiddleware(_CrawlerMiddleware):
    """Remembers article URLs that redirect, so the archive can keep them as aliases.

    Placed before Scrapy's RedirectMiddleware in the response chain: it sees
    every 301/302 whose source and target are both article URLs and records
    them on the spider (``redirect_aliases``); the storage pipeline writes them
    at the end of the crawl, whether or not the target was fetched through
    this redirect or found first elsewhere.
    """

    def process_response(self, request: Request, response: Response) -> Response:
        spider = self.crawler.spider
        location = response.headers.get(b"Location")
        if isinstance(spider, NewsSpider) and 300 <= response.status < 400 and location:
            site = spider.site
            target = site.canonical(response.urljoin(location.decode("latin-1")))
            source = site.canonical(request.url)
            if source != target and site.is_article_url(target):
                spider.redirect_aliases[source] = target
        return response


class PageCheckMiddleware(_CrawlerMiddleware):
    """Stops challenge pages, soft 404s and empty bodies before the spider sees them, and
    re-reads HTML whose declared charset is wrong (see :mod:`newsarchive.pagecheck`).

    Sits after decompression and before retries in the response chain (560): a
    challenge is not retried (it would only be served again), and each rejection is
    counted once, here, under ``newsarchive/dropped/<reason>``. Being blocked is
    logged at WARNING for each page and judged at the end of the run by the health
    check, so a site that blocks every request never looks like a quiet day.
    """

    #: Kinds (``newsarchive_kind`` meta) whose bodies must hold something to be useful.
    CONTENT_KINDS = frozenset({"article", "listing", "feed", "sitemap"})

    def process_response(self, request: Request, response: Response) -> Response:
        kind = request.meta.get("newsarchive_kind")
        headers = {
            k.decode("latin-1").lower(): (response.headers.get(k) or b"").decode("latin-1")
            for k in response.headers
        }
        vendor = challenge_vendor(response.status, headers, response.body)
        if vendor:
            reject(
                self.crawler,
                request,
                Drop.BLOCKED,
                f"{vendor} challenge (HTTP {response.status}) at {request.url}",
            )
        if response.status != 200 or kind not in self.CONTENT_KINDS:
            return response
        if is_empty(response.body):
            reject(self.crawler, request, Drop.EMPTY, f"empty 200 response at {request.url}")
        if isinstance(response, TextResponse) and kind in ("article", "listing"):
            response = self._check_charset(request, response)
            if kind == "article" and is_soft_404(response.text):
                reject(
                    self.crawler, request, Drop.SOFT_404, f"'not found' page served as 200 at {request.url}"
                )
        return response

    def _check_charset(self, request: Request, response: TextResponse) -> TextResponse:
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        decoded_as_utf8 = codecs.lookup(response.encoding).name == "utf-8"
        encoding, note = choose_encoding(
            response.body, content_type, response.text if decoded_as_utf8 else None
        )
        if note:
            request.meta["newsarchive_charset_note"] = note
            self.crawler.stats.inc_value(CHARSET_CORRECTED if encoding else CHARSET_INVALID)
            logger.warning("%s: %s", request.url, note)
        return response.replace(encoding=encoding) if encoding else response


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` (seconds or an HTTP date, RFC 9110 10.2.3) as seconds from now, or None
    for anything else: the header comes from the server, so no value may raise."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isascii() and text.isdigit():  # "²" and "۱۲۰" are digits to str.isdigit, not to RFC 9110
        return float(text)  # inf for hundreds of digits: longer than any maximum
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a year of twenty digits
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, but after a pause: ``Retry-After`` when the server sends one,
    else exponential backoff with jitter (``NEWSARCHIVE_RETRY_BACKOFF_BASE`` doubling
    per attempt, capped at ``NEWSARCHIVE_RETRY_BACKOFF_MAX`` seconds).

    Retrying at once, as Scrapy does, hits a struggling or rate-limiting server again
    within milliseconds. A ``Retry-After`` longer than ``NEWSARCHIVE_RETRY_AFTER_MAX``
    is not waited for: the request fails as ``rate-limited``/``server-error`` and the
    next scheduled run picks the page up. Permanent errors (404, 410, 403…) are not in
    ``RETRY_HTTP_CODES`` and are never retried.
    """

    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("NEWSARCHIVE_RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("NEWSARCHIVE_RETRY_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("NEWSARCHIVE_RETRY_AFTER_MAX")

    def backoff(self, attempt: int) -> float:
        """Seconds before retry number ``attempt + 1``: base * 2^attempt, jittered by ±25%."""
        delay = min(self.backoff_max, self.backoff_base * 2**attempt)
        return delay * random.uniform(0.75, 1.25)

    # Coroutines where Scrapy 2.19's RetryMiddleware has plain methods (and takes a spider):
    # Scrapy accepts coroutine downloader-middleware methods (its "Coroutines" documentation); the base
    # class's types cannot say that a subclass may be one.
    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        delay = retry_after_seconds(response.headers.get(b"Retry-After"))
        if delay is not None and delay > self.retry_after_max:
            logger.warning(
                "%s asks to come back in %.0f s (more than NEWSARCHIVE_RETRY_AFTER_MAX); not retrying",
                request.url,
                delay,
            )
            self.crawler.stats.inc_value(RETRY_AFTER_TOO_LONG)
            return response
        retry = self.retry_request(request, f"{response.status} response")
        if retry is None:
            return response
        await self._pause(request, delay)
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:  # type: ignore[override]
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self.retry_request(request, exception)
        if retry is not None:
            await self._pause(request, None)
        return retry

    def retry_request(self, request: Request, reason: str | Exception) -> Request | None:
        """The retry of ``request`` (None when its retries are spent), as Scrapy's RetryMiddleware
        makes it: the request's ``max_retry_times``, ``priority_adjust`` and
        ``give_up_log_level`` meta first, else the ``RETRY_*`` settings."""
        spider = self.crawler.spider
        if spider is None:  # set when the crawl opens, before any request is downloaded
            raise RuntimeError(f"retry of {request.url} asked before the crawl opened its spider")
        return get_retry_request(
            request,
            spider=spider,
            reason=reason,
            max_retry_times=request.meta.get("max_retry_times"),
            priority_adjust=request.meta.get("priority_adjust"),
            give_up_log_level=request.meta.get("give_up_log_level"),
        )

    async def _pause(self, request: Request, retry_after: float | None) -> None:
        delay = retry_after if retry_after is not None else self.backoff(request.meta.get("retry_times", 0))
        # Scrapy types a count as int; its collector adds any number, and this total is in seconds.
        self.crawler.stats.inc_value(RETRY_WAITED_SECONDS, round(delay, 2))  # type: ignore[arg-type]
        if retry_after is not None:
            self.crawler.stats.inc_value(RETRY_AFTER_HONOURED)
        await sleep(delay)
