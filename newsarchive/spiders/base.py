"""The crawling shared by every site: discovery, article pages, since-bounds.

Discovery takes three paths, and the dupe filter (on canonical URLs) makes
sure each article is fetched once whichever path finds it first:

1. robots.txt ``Sitemap:`` lines (else the first of the site's fallback
   sitemap paths that exists),
   sitemap indexes, then post sitemaps, whose ``lastmod`` bounds ``since``;
2. the RSS feeds;
3. the listing pages, following "next page" links up to
   ``NEWSARCHIVE_MAX_LISTING_PAGES``.

A site whose ``cms`` has a profile (:mod:`newsarchive.cms`, e.g. WordPress's REST API) starts
from its CMS's API instead, and takes these paths only when the API does not answer.

An index's sitemaps are read one after another, or all at once with
``NEWSARCHIVE_QUEUE_ALL_SITEMAPS`` (set by the distributed add-on: the request queue is
shared, and another worker may read the next one). Whether a discovered article is
fetched is asked of the crawl's memory (``spider.archive``, :mod:`newsarchive.memory`),
whose implementation is a setting; an article page becomes its item by
:func:`newsarchive.page.article_fields`, which needs no crawler. So the spider knows the
site, that page function, the date parser, the names of outcomes and that memory;
pipelines, middlewares, extensions and the distributed add-on know the spider, never
the other way round.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from urllib.parse import urljoin

import scrapy
from parsel import Selector
from protego import Protego
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from newsarchive.cms import CmsProfile, open_profile
from newsarchive.items import ArticleItem
from newsarchive.memory import CrawlMemory, RefreshPolicy, open_memory
from newsarchive.outcomes import (
    FETCH,
    SKIPPED_KNOWN,
    SKIPPED_SITEMAP,
    Drop,
    count_drop,
    counted_reason,
    failure_reason,
)
from newsarchive.page import page_html, request_facts
from newsarchive.persian.dates import DateParseError, day_range, parse_datetime
from newsarchive.sites.base import Site
from newsarchive.workers import PageReader, page_read, page_reader

_URL_DATE = re.compile(r"/(\d{4})/(\d{1,2})/(\d{1,2})/")


def _request_of(failure: Failure) -> scrapy.Request:
    """The request an errback's ``failure`` is about: Scrapy sets ``failure.request`` (its
    errback API), an attribute Twisted's ``Failure`` does not declare."""
    request: scrapy.Request = failure.request  # type: ignore[attr-defined]
    return request


def url_date(url: str) -> datetime | None:
    """The Gregorian date in an ``/YYYY/MM/DD/`` URL path (end of that day, UTC), if any."""
    match = _URL_DATE.search(url)
    if not match:
        return None
    year, month, day = map(int, match.groups())
    try:
        return datetime(year, month, day, 23, 59, tzinfo=UTC)
    except ValueError:
        return None


#: An XML document that declares entities is refused before any parser sees it: no
#: sitemap or feed needs them, and they are how billion-laughs and XXE attacks work.
#: (lxml here never resolves entities anyway; this makes it explicit and counted.)
_ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.IGNORECASE)
#: Byte-order marks and the first bytes of ``<?xml`` in the encodings XML parsers detect
#: by themselves (XML 1.0 appendix F): a UTF-16 document hides ``<!ENTITY`` from a byte search.
_WIDE_ENCODINGS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)


def declares_entities(body: bytes) -> bool:
    """True when an XML body declares entities (``<!ENTITY`` anywhere before the root element's
    content, however much comment padding comes first, in UTF-8 or UTF-16/32)."""
    encoding = next((name for start, name in _WIDE_ENCODINGS if body.startswith(start)), "latin-1")
    if encoding == "latin-1" and b"\x00" in body[:4]:
        encoding = "utf-16-le" if body[1:2] == b"\x00" else "utf-16-be"
    text = body.decode(encoding, "replace")
    return _ENTITY_DECLARATION.search(text) is not None


def _timestamp(text: str | None) -> datetime | None:
    """A sitemap ``lastmod`` or feed ``pubDate`` as UTC, or None when unreadable."""
    if not text:
        return None
    try:
        return parse_datetime(text).utc
    except DateParseError:
        return None


class NewsSpider(scrapy.Spider):
    """Base spider: subclasses set ``name`` and ``site``, nothing else."""

    site: Site

    def __init__(self, *args: Any, since: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # The start of that Tehran day, as every command's --since; a bad value is an error
        # (ValueError), never a silently unbounded crawl.
        self.since = day_range(since)[0]
        self.allowed_domains = list(self.site.hosts)
        self.redirect_aliases: dict[str, str] = {}
        self.listing_pages = 0
        #: sitemap URL -> lastmod, remembered when the run finishes (see freshness).
        self.sitemaps_read: dict[str, str] = {}
        #: (URL, lastmod, depth) of sitemaps named by an index, read one after another (see _next_sitemap).
        self.sitemap_queue: deque[tuple[str, str | None, int]] = deque()
        self.sitemap_urls: set[str] = set()
        self.started_at = datetime.now(UTC)

    # --- entry points ---------------------------------------------------

    @cached_property
    def archive(self) -> CrawlMemory:
        """What the crawl has seen, for the fetch decisions (see :mod:`newsarchive.memory`):
        the archive, or what ``NEWSARCHIVE_CRAWL_MEMORY`` names (a distributed worker's)."""
        return open_memory(self.crawler)

    @cached_property
    def policy(self) -> RefreshPolicy:
        return RefreshPolicy.from_settings(self.settings)

    @cached_property
    def profile(self) -> CmsProfile | None:
        """The site's CMS profile (:mod:`newsarchive.cms`), which starts the run and reads its
        answers (a CMS's API) and falls back to :meth:`discovery_requests`; None for most sites."""
        return open_profile(self)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.profile.start_requests() if self.profile else self.discovery_requests():
            yield request

    def parse_cms(self, response: Response) -> Iterator[Any]:
        """Callback of the profile's requests (a spider method, so queued requests serialize)."""
        assert self.profile is not None
        yield from self.profile.parse(response)

    def cms_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        assert self.profile is not None
        yield from self.profile.failed(failure)

    def discovery_requests(self) -> Iterator[scrapy.Request]:
        """robots.txt, the feeds and the listings: where discovery starts without a CMS profile."""
        yield scrapy.Request(
            # At the host's root even for a site in a folder (https://www.digikala.com/mag).
            urljoin(self.site.base_url, "/robots.txt"),
            callback=self.parse_robots,
            errback=self.robots_failed,
            meta={"newsarchive_kind": "robots"},
        )
        for feed in self.site.feeds:
            yield scrapy.Request(
                self.site.url(feed),
                callback=self.parse_feed,
                errback=self.request_failed,
                meta={"newsarchive_kind": "feed"},
            )
        for listing in self.site.listings:
            yield self._listing_request(self.site.url(listing))

    def closed(self, reason: str) -> None:
        """Remember the sitemaps read, but only after a finished run: a killed or failed
        run may not have fetched every article they listed."""
        if "archive" not in self.__dict__:
            return
        read = {**self.sitemaps_read, **(self.profile.remembered() if self.profile else {})}
        if reason == "finished" and read:
            self.archive.remember_discovery(read)  # a refusal stops the run (newsarchive.memory)
        self.archive.close()

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        sitemaps = list(Protego.parse(response.text).sitemaps) if isinstance(response, TextResponse) else []
        if not sitemaps:
            yield from self._fallback_sitemaps()
            return
        for url in map(response.urljoin, sitemaps):
            if self._within_discovery_limits(url, 0):
                yield self._sitemap_request(url)

    def robots_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        if getattr(failure.value, "response", None) is None:
            self._count_failure(failure)  # no robots.txt (404) is normal; a timeout or a challenge is not
        self.logger.warning("robots.txt unavailable (%s); trying fallback sitemaps", failure.value)
        yield from self._fallback_sitemaps()

    def request_failed(self, failure: Failure) -> None:
        """Errback of feeds and listings: count the failure. (An errback's return value is
        taken as the callback's output, so it must return nothing.)"""
        self._count_failure(failure)

    def _count_failure(self, failure: Failure) -> str:
        """Count a failed request under its reason (see :func:`newsarchive.outcomes.failure_reason`)
        and return the reason; pages the page checks or the allow-rule rejected are counted already."""
        counted = counted_reason(failure.value) if failure.value is not None else None
        if counted:
            return counted
        reason = failure_reason(failure)
        count_drop(self.crawler.stats, reason)
        log = self.logger.info if reason == Drop.GONE else self.logger.warning
        log("%s failed (%s): %s", _request_of(failure).url, reason, failure.value)
        return reason

    def _fallback_sitemaps(self, index: int = 0) -> Iterator[scrapy.Request]:
        """The site's fallback sitemaps in order, the next one only when this one is missing."""
        if index < len(self.site.sitemap_fallbacks):
            request = self._sitemap_request(
                self.site.url(self.site.sitemap_fallbacks[index]), errback=self.sitemap_failed
            )
            request.meta["newsarchive_fallback"] = index
            yield request

    def sitemap_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        error, request = failure.value, _request_of(failure)
        if not (error is not None and counted_reason(error)) and getattr(error, "response", None) is None:
            self._count_failure(failure)  # a missing fallback (404) is expected; a timeout is not
        self.logger.info("fallback sitemap not available: %s", request.url)
        yield from self._fallback_sitemaps(request.meta["newsarchive_fallback"] + 1)

    # --- sitemaps -------------------------------------------------------

    def _sitemap_request(
        self,
        url: str,
        errback: Callable[..., Any] | None = None,
        lastmod: str | None = None,
        depth: int = 0,
        **kwargs: Any,
    ) -> scrapy.Request:
        # Below the articles' priority, and an index's sitemaps one at a time (_next_sitemap):
        # the next sitemap is read once the articles already queued are fetched, so the
        # scheduler holds one sitemap's requests (~2 KB each), not the whole site's.
        self.sitemap_urls.add(url)
        return scrapy.Request(
            url,
            callback=self.parse_sitemap,
            errback=errback,
            priority=-1,
            meta={"newsarchive_kind": "sitemap", "lastmod": lastmod, "newsarchive_sitemap_depth": depth},
            **kwargs,
        )

    def _within_discovery_limits(self, url: str, depth: int) -> bool:
        """Whether one more sitemap may be read: a site that generates sitemap indexes
        without end (``index?n=N+1``) must not keep a run, and its lock, alive for ever.
        ``NEWSARCHIVE_MAX_SITEMAP_DEPTH`` bounds the nesting of indexes and
        ``NEWSARCHIVE_MAX_SITEMAPS`` the sitemaps read per run; each refusal is counted
        (``sitemap-depth``, ``sitemap-limit``) and judged by the health check."""
        if depth > self.settings.getint("NEWSARCHIVE_MAX_SITEMAP_DEPTH"):
            reason = Drop.SITEMAP_DEPTH
        elif len(self.sitemap_urls) >= self.settings.getint("NEWSARCHIVE_MAX_SITEMAPS"):
            reason = Drop.SITEMAP_LIMIT
        else:
            return True
        count_drop(self.crawler.stats, reason)
        self.logger.warning(
            "%s: not reading %s (depth %d, %d sitemaps read)", reason, url, depth, len(self.sitemap_urls)
        )
        return False

    def _next_sitemap(self) -> Iterator[scrapy.Request]:
        """The next sitemap named by an index and not requested yet, if any."""
        while self.sitemap_queue:
            url, lastmod, depth = self.sitemap_queue.popleft()
            if url not in self.sitemap_urls and self._within_discovery_limits(url, depth):
                # Never dropped by the dupe filter: a dropped request would end the chain.
                yield self._sitemap_request(
                    url, errback=self.sitemap_unavailable, lastmod=lastmod, depth=depth, dont_filter=True
                )
                if not self.settings.getbool("NEWSARCHIVE_QUEUE_ALL_SITEMAPS"):
                    return
                # A shared request queue (a distributed crawl sets this): all at once, another
                # worker may read the next one.

    def sitemap_unavailable(self, failure: Failure) -> Iterator[scrapy.Request]:
        self._count_failure(failure)
        yield from self._next_sitemap()

    def _sitemap_body(self, response: Response) -> bytes | None:
        body = response.body
        if body[:2] == b"\x1f\x8b":
            limit = self.settings.getint("DOWNLOAD_MAXSIZE") or 50 * 1024 * 1024
            try:
                with gzip.GzipFile(fileobj=io.BytesIO(body)) as unzipped:
                    body = unzipped.read(limit + 1)
            except (OSError, EOFError, zlib.error) as error:  # cut short or not gzip after all
                self.logger.warning("not a sitemap: %s (%s)", response.url, error)
                count_drop(self.crawler.stats, Drop.BAD_SITEMAP)
                return None
            if len(body) > limit:
                count_drop(self.crawler.stats, Drop.OVERSIZE)
                return None
        if declares_entities(body):
            self.logger.warning("sitemap declares XML entities; refused: %s", response.url)
            count_drop(self.crawler.stats, Drop.XML_ENTITIES)
            return None
        return body

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        yield from self._read_sitemap(response)
        yield from self._next_sitemap()

    def _read_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        body = self._sitemap_body(response)
        if not body:
            return
        try:
            sitemap = Sitemap(body)
        except Exception as error:  # lxml raises several kinds on garbage
            self.logger.warning("not a sitemap: %s (%s)", response.url, error)
            count_drop(self.crawler.stats, Drop.BAD_SITEMAP)
            return
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc:
                continue
            lastmod = _timestamp(entry.get("lastmod"))
            if self.since and lastmod and lastmod < self.since:
                continue
            url = response.urljoin(loc)
            if sitemap.type != "sitemapindex":
                yield from self._article_request(url, via="sitemap", lastmod=entry.get("lastmod"))
            elif entry.get("lastmod") and self.archive.discovery_lastmod(url) == entry["lastmod"]:
                self.crawler.stats.inc_value(SKIPPED_SITEMAP)
            else:
                self.sitemap_queue.append(
                    (url, entry.get("lastmod"), response.meta.get("newsarchive_sitemap_depth", 0) + 1)
                )
        if response.meta.get("lastmod"):
            self.sitemaps_read[response.url] = response.meta["lastmod"]

    # --- feeds ----------------------------------------------------------

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        if declares_entities(response.body):
            self.logger.warning("feed declares XML entities; refused: %s", response.url)
            count_drop(self.crawler.stats, Drop.XML_ENTITIES)
            return
        feed = Selector(text=response.text, type="xml") if isinstance(response, TextResponse) else None
        if feed is None or not feed.xpath("/*"):
            self.logger.warning("not a feed: %s", response.url)
            count_drop(self.crawler.stats, Drop.BAD_FEED)
            return
        feed.remove_namespaces()
        for item in feed.xpath("//item | //entry"):
            link = item.xpath("link/text()").get() or item.xpath("link/@href").get()
            published = item.xpath("pubDate/text() | published/text() | updated/text()").get()
            when = _timestamp(published)
            if not link or (self.since and when and when < self.since):
                continue
            yield from self._article_request(response.urljoin(link.strip()), via="feed", feed_date=published)

    # --- listings -------------------------------------------------------

    def _listing_request(self, url: str) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.request_failed,
            meta={"newsarchive_kind": "listing"},
        )

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            return
        self.listing_pages += 1
        links = []
        for css in self.site.listing.article_links:
            links = response.css(css).getall()
            if links:
                break
        urls = [response.urljoin(link) for link in links]
        wanted = [request for url in urls for request in self._article_request(url, via="listing")]
        yield from wanted
        if (
            self.listing_pages >= self.settings.getint("NEWSARCHIVE_MAX_LISTING_PAGES")
            or (links and not wanted)
            or any(self._archived_before_run(url) for url in urls)
        ):
            return  # the limit, or older pages (newest first) hold nothing new: all known, or archived before
        for css in self.site.listing.next_page:
            next_page = response.css(css).get()
            if next_page:
                yield self._listing_request(response.urljoin(next_page))
                break

    @cached_property
    def _last_run_completed(self) -> bool:
        return self.archive.last_run_completed(
            self.name, before=self.started_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        )

    def _archived_before_run(self, url: str) -> bool:
        """Whether a complete earlier run archived ``url``, so the listing's older pages hold
        only archived articles. Not after a killed run (it may have stored the newest articles
        of a page and not the older ones), nor for an article this run stored already."""
        if not self._last_run_completed:
            return False
        known = self.archive.fetch_record(self.site.canonical(url))
        first_seen = _timestamp(known["first_seen_at"]) if known else None
        return first_seen is not None and first_seen < self.started_at.replace(microsecond=0)

    # --- articles -------------------------------------------------------

    def _article_request(
        self, url: str, *, via: str, lastmod: str | None = None, feed_date: str | None = None
    ) -> Iterator[scrapy.Request]:
        canonical = self.site.canonical(url)
        if not self.site.is_article_url(canonical):
            return
        dated = url_date(canonical)
        if self.since and dated and dated < self.since:
            return
        if self.fetch_reason(canonical, _timestamp(lastmod)) is None:
            return
        meta = {
            "newsarchive_kind": "article",
            "discovered_via": via,
            "lastmod": lastmod,
            "feed_date": feed_date,
        }
        yield scrapy.Request(canonical, callback=self.parse_article, errback=self.article_failed, meta=meta)

    def fetch_reason(self, url: str, lastmod: datetime | None) -> str | None:
        """Why the article at the canonical ``url`` is wanted (:mod:`newsarchive.freshness`), counted
        under ``fetch/<reason>``; None, counted as ``skipped/known``, when it is not."""
        reason = self.policy.reason_to_fetch(self.archive.fetch_record(url), lastmod, self.started_at)
        self.crawler.stats.inc_value(SKIPPED_KNOWN if reason is None else f"{FETCH}{reason}")
        return reason

    def article_failed(self, failure: Failure) -> None:
        """A 404/410 is remembered (see freshness); other failures are counted and retried next run."""
        response = getattr(failure.value, "response", None)
        if self._count_failure(failure) == Drop.GONE and response is not None:  # gone: it carries the 404/410
            self.archive.record_gone(_request_of(failure).url, response.status)

    @cached_property
    def pages(self) -> PageReader:
        """Who turns article pages into items: worker processes or this one (NEWSARCHIVE_WORKERS)."""
        return page_reader(self.settings.getint("NEWSARCHIVE_WORKERS", 1))

    async def parse_article(self, response: Response) -> AsyncIterator[ArticleItem]:
        """One article page to an :class:`~newsarchive.items.ArticleItem`
        (:func:`newsarchive.page.article_fields`, maybe in a worker process; pipelines do the rest)."""
        if not isinstance(response, TextResponse):
            count_drop(self.crawler.stats, Drop.NOT_HTML)
            return
        # The WARC middleware stamps when the response arrived (reparse: the capture's time).
        fetched_at = response.meta.get("newsarchive_fetched_at") or datetime.now(UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        fields = await self.pages.read(
            page_read(
                self.site,
                page_html(response),
                response.url,
                fetched_at,
                status=response.status,
                **request_facts(response.meta),
            )
        )
        if fields is None:
            count_drop(self.crawler.stats, Drop.NOT_ARTICLE)
            return
        yield ArticleItem(**fields)
