"""The probe: one short Scrapy run over a site nobody has configured yet.

:class:`ProbeSpider` is a :class:`~newsarchive.spiders.base.NewsSpider` for a provisional
site (the URL's origin, every path allowed), so the crawl's own discovery reads robots.txt,
its sitemaps (or the sitemaps.org, Yoast/Rank Math and WordPress fallbacks) and feeds, with
the project's safe XML parsing, size caps, robots rules, replay routing and allow-rule.
Instead of fetching what discovery finds, it notes each URL (:meth:`_article_request`): an
article candidate, or a listing when it came from a taxonomy sitemap (categories, tags).
It also asks the feed paths WordPress and the CMS families use by default (:func:`feed_guesses`),
the home page (CMS marks, ``<link rel=alternate>`` feeds, links), WordPress's
REST posts collection as the WordPress profile would, and, once discovery is done (the
spider is idle), a few candidate pages of different shapes, until ``sample`` of them read
as articles. Nothing is stored: no pipelines, no WARC, no run record, and a crawl memory
that remembers nothing (:class:`ProbeMemory`).

It lives outside ``SPIDER_MODULES``: ``scrapy list`` never shows it. :func:`run_probe` runs
it in this process (as :func:`newsarchive.crawl.run_spiders` runs the sites' spiders) and
returns what it found, a :class:`Findings`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from newsarchive.cms.wordpress import posts_url, read_posts
from newsarchive.page import article_fields
from newsarchive.siteprobe.patterns import path_segments
from newsarchive.sites.base import Site
from newsarchive.sites.loader import cms_families
from newsarchive.spiders.base import NewsSpider

#: The provisional site's name (the probe's spider name, never a site's).
PROBE_NAME = "add-site-probe"
#: Feeds asked whatever the home page says: WordPress's, and each CMS family's default ones.
WORDPRESS_FEED = "/feed/"
#: Words of a sitemap's file name that make its URLs listings (a Yoast ``category-sitemap.xml``).
TAXONOMY_SITEMAP = re.compile(r"categor|tag|label|topic|author|page-sitemap|archive|section")
#: Path words of listing pages, whose links on the pages probed are listings, not articles.
LISTING_WORDS = frozenset(
    {
        "category",
        "categories",
        "tag",
        "tags",
        "label",
        "topic",
        "topics",
        "author",
        "authors",
        "page",
        "archive",
        "archives",
        "service",
        "section",
        "search",
        "feed",
        "rss",
    }
)
#: Sitemaps of one kind (name without digits) read at most: two show the shape, fifty do not.
SITEMAPS_PER_KIND = 2
#: Rounds of sample pages asked when too few of the first read as articles.
SAMPLE_ROUNDS = 3
#: Article candidates and listings kept per probe (a sitemap may list 50,000).
MAX_URLS = 5000
#: Where a candidate came from, most trusted first: the order samples are chosen in.
SOURCES = ("wp-rest", "feed", "sitemap")
#: The body length (characters) below which an extracted page is no article.
MIN_BODY = 200


@dataclass
class Sample:
    """A candidate page fetched: its URL (after redirects), HTML, and whether it reads as an article."""

    url: str
    html: str
    article: bool


@dataclass
class Findings:
    """What the probe saw of the site (see the module's docstring)."""

    home_url: str
    base_url: str
    #: The article pages wanted (``--sample``); a round may fetch one or two more.
    sample_size: int = 5
    home_html: str | None = None
    #: Why the home page gave nothing: its failure, or its content type when not HTML.
    home_problem: str | None = None
    home_answered: bool = False
    #: Candidate article URL -> where it was found (one of :data:`SOURCES`).
    candidates: dict[str, str] = field(default_factory=dict)
    listings: dict[str, None] = field(default_factory=dict)
    #: Other links of the pages probed: samples only when discovery found no candidate.
    links: dict[str, None] = field(default_factory=dict)
    #: Top-level sitemaps and feeds that gave URLs, as absolute URLs.
    sitemaps: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    #: Whether robots.txt named sitemaps (else the fallbacks were tried).
    robots_sitemaps: bool = False
    rest_posts: list[dict[str, Any]] | None = None
    samples: list[Sample] = field(default_factory=list)
    #: Sample URLs that failed, with why.
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def answered(self) -> bool:
        """Whether the site answered anything at all."""
        return bool(self.home_answered or self.candidates or self.sitemaps or self.feeds or self.samples)


class ProbeMemory:
    """A crawl memory that knows nothing and keeps nothing: every URL is new to a probe."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProbeMemory:
        return cls()

    def fetch_record(self, url: str) -> None:
        return None

    def discovery_lastmod(self, url: str) -> None:
        return None

    def last_run_completed(self, spider: str, before: str) -> bool:
        return False

    def record_gone(self, url: str, status: int) -> None:
        pass

    def remember_discovery(self, lastmods: dict[str, str]) -> None:
        pass

    def close(self) -> None:
        pass


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def feed_guesses() -> list[str]:
    """The feed paths a probe asks: WordPress's and every CMS family's defaults (``/rss``, …)."""
    families = cms_families()
    return list(
        dict.fromkeys(
            [WORDPRESS_FEED, *(feed for family in families.values() for feed in family.get("feeds", []))]
        )
    )


def is_listing_url(url: str) -> bool:
    """Whether the URL's path says listing (``/category/…``, ``/tag/…``, ``/page/2``) or home."""
    segments = path_segments(url)
    return not segments or any(segment.lower() in LISTING_WORDS for segment in segments)


class ProbeSpider(NewsSpider):
    """Discovery without fetching, then a sample of pages (see the module's docstring)."""

    name = PROBE_NAME
    custom_settings = {  # noqa: RUF012 (Scrapy's attribute, declared by scrapy.Spider)
        "ITEM_PIPELINES": {},
        "EXTENSIONS": {},
        "NEWSARCHIVE_WARC": "0",
        "NEWSARCHIVE_CRAWL_MEMORY": f"{__name__}.ProbeMemory",
        "NEWSARCHIVE_MAX_SITEMAPS": 12,
        "RETRY_TIMES": 1,
        "DOWNLOAD_TIMEOUT": 20,
        "CLOSESPIDER_TIMEOUT": 600,
        "NEWSARCHIVE_REDIS_URL": None,  # never a worker of a distributed crawl
    }

    def __init__(self, *args: Any, url: str, sample: int = 5, **kwargs: Any):
        self.site = Site(name=PROBE_NAME, base_url=origin(url), article_paths=(".",), feeds=())
        super().__init__(*args, **kwargs)
        self.findings = Findings(home_url=url, base_url=self.site.base_url, sample_size=sample)
        self.rounds = 0
        self._found = 0
        self._source = "sitemap"
        self._listing_sitemap = False
        self._asked: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ProbeSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.spider_idle, signal=signals.spider_idle)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.discovery_requests():  # robots.txt, then sitemaps
            yield request
        yield scrapy.Request(
            self.findings.home_url,
            callback=self.parse_home,
            errback=self.home_failed,
            meta={"newsarchive_kind": "listing"},
        )
        for feed in feed_guesses():
            yield self._feed_request(self.site.url(feed))
        yield scrapy.Request(
            posts_url(self.site),
            callback=self.parse_rest,
            errback=self.request_failed,
            meta={"newsarchive_kind": "wp-rest"},
        )

    # --- what discovery finds is noted, not fetched -----------------------------------

    def _article_request(
        self, url: str, *, via: str, lastmod: str | None = None, feed_date: str | None = None
    ) -> Iterator[scrapy.Request]:
        canonical = self.site.canonical(url)
        if not self.site.owns(canonical):
            return
        self._found += 1
        if self._listing_sitemap or is_listing_url(canonical):
            if len(self.findings.listings) < MAX_URLS:
                self.findings.listings[canonical] = None
        elif len(self.findings.candidates) < MAX_URLS:
            self.findings.candidates.setdefault(canonical, self._source)
        yield from ()

    def _read_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        name = urlsplit(response.url).path.rsplit("/", 1)[-1].lower()
        self._found, self._source = 0, "sitemap"
        self._listing_sitemap = bool(TAXONOMY_SITEMAP.search(name))
        queued = len(self.sitemap_queue)
        requests = list(super()._read_sitemap(response))
        self._listing_sitemap = False
        answered = self._found or len(self.sitemap_queue) > queued
        if answered and response.meta.get("newsarchive_sitemap_depth", 0) == 0:
            self.findings.sitemaps.append(response.url)
        self._few_of_each_kind()
        yield from requests

    def _few_of_each_kind(self) -> None:
        """Keep :data:`SITEMAPS_PER_KIND` queued sitemaps per kind (``post-sitemap2.xml`` is a ``post``)."""
        kept: dict[str, int] = {}
        queue = list(self.sitemap_queue)
        self.sitemap_queue.clear()
        for entry in queue:
            kind = re.sub(r"\d+", "", urlsplit(entry[0]).path)
            kept[kind] = kept.get(kind, 0) + 1
            if kept[kind] <= SITEMAPS_PER_KIND:
                self.sitemap_queue.append(entry)

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        requests = list(super().parse_robots(response))
        self.findings.robots_sitemaps = any(
            request.meta.get("newsarchive_fallback") is None for request in requests
        )
        yield from requests

    def _feed_request(self, url: str) -> scrapy.Request:
        self._asked.add(url)
        return scrapy.Request(
            url, callback=self.parse_feed, errback=self.request_failed, meta={"newsarchive_kind": "feed"}
        )

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        self._found, self._source = 0, "feed"
        requests = list(super().parse_feed(response))
        if self._found:
            self.findings.feeds.append(response.url)
        yield from requests

    def parse_rest(self, response: Response) -> None:
        posts = read_posts(response.body)
        if posts is None:
            return
        self.findings.rest_posts = posts
        for post in posts:
            if isinstance(post.get("link"), str):
                canonical = self.site.canonical(post["link"])
                if self.site.owns(canonical):
                    self.findings.candidates.setdefault(canonical, "wp-rest")

    # --- pages ------------------------------------------------------------------------

    def parse_home(self, response: Response) -> Iterator[scrapy.Request]:
        self.findings.home_answered = True
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        if not isinstance(response, TextResponse) or "html" not in content_type.lower():
            self.findings.home_problem = f"not HTML ({content_type or 'no Content-Type'})"
            return
        self.findings.home_html = response.text
        if self.site.owns(response.url):  # redirected to https, or to www.: the site's own address
            self.findings.base_url = origin(response.url)
        yield from self._page_links(response)

    def home_failed(self, failure: Failure) -> None:
        response = getattr(failure.value, "response", None)
        self.findings.home_answered = response is not None
        self.findings.home_problem = (
            f"HTTP {response.status}"
            if response is not None
            else str(failure.value) or type(failure.value).__name__
        )

    def _page_links(self, response: TextResponse) -> Iterator[scrapy.Request]:
        """The page's feeds (``<link rel=alternate>``), asked once each, and its listing links noted."""
        feeds = response.css(
            "link[rel~=alternate][type*=rss]::attr(href), link[rel~=alternate][type*=atom]::attr(href)"
        ).getall()
        for url in map(response.urljoin, feeds):
            if self.site.owns(url) and url not in self._asked:
                yield self._feed_request(url)
        for link in response.css("a[href]::attr(href)").getall():
            url = self.site.canonical(response.urljoin(link))
            if not self.site.owns(url):
                continue
            if is_listing_url(url):
                self.findings.listings.setdefault(url, None)
            elif len(self.findings.links) < MAX_URLS:
                self.findings.links.setdefault(url, None)

    def spider_idle(self) -> None:
        """Discovery is done: ask sample pages until enough read as articles, or rounds run out."""
        wanted = self.findings.sample_size - sum(sample.article for sample in self.findings.samples)
        if wanted <= 0 or self.rounds >= SAMPLE_ROUNDS:
            return
        self.rounds += 1
        batch = self._choose(wanted + (1 if self.rounds > 1 else 0))
        if not batch:
            return
        for url in batch:
            self._asked.add(url)
            self.crawler.engine.crawl(
                scrapy.Request(
                    url,
                    callback=self.parse_sample,
                    errback=self.sample_failed,
                    meta={"newsarchive_kind": "article"},
                )
            )
        raise DontCloseSpider

    def _choose(self, count: int) -> list[str]:
        """``count`` candidates not asked yet, one shape after another (depth and first
        segment), the most trusted sources first, so the sample shows the site's layouts."""
        fresh = [url for url in self.findings.candidates if url not in self._asked]
        fresh.sort(key=lambda url: SOURCES.index(self.findings.candidates[url]))
        if not self.findings.candidates:
            fresh = [url for url in self.findings.links if url not in self._asked]
        shapes: dict[tuple[int, str], list[str]] = {}
        for url in fresh:
            segments = path_segments(url)
            first = segments[0] if segments and not segments[0].isdigit() else "#"
            shapes.setdefault((len(segments), first), []).append(url)
        chosen: list[str] = []
        while len(chosen) < count and any(shapes.values()):
            for queue in shapes.values():
                if queue and len(chosen) < count:
                    chosen.append(queue.pop(0))
        return chosen

    def parse_sample(self, response: Response) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            self.findings.failed[response.url] = "not HTML"
            return
        fetched = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        fields = article_fields(self.site, response.text, response.url, fetched)
        article = bool(
            fields
            and fields["title"]
            and len(fields["body"] or "") >= MIN_BODY
            and (fields["published_candidates"] or fields["published_display"])
        )
        self.findings.samples.append(Sample(self.site.canonical(response.url), response.text, article))
        yield from self._page_links(response)

    def sample_failed(self, failure: Failure) -> None:
        response = getattr(failure.value, "response", None)
        request = failure.request  # type: ignore[attr-defined]
        self.findings.failed[request.url] = (
            f"HTTP {response.status}"
            if response is not None
            else str(failure.value) or type(failure.value).__name__
        )


def run_probe(url: str, *, sample: int = 5, overrides: dict[str, Any] | None = None) -> Findings:
    """Probe the site at ``url`` in this process (its Twisted reactor runs once): the project's
    settings with ``overrides`` (``NEWSARCHIVE_REPLAY_URL``, ``LOG_LEVEL``…) at command-line
    priority, as :func:`newsarchive.crawl.run_spiders` runs the sites' spiders."""
    from scrapy.crawler import CrawlerRunner
    from scrapy.utils.log import configure_logging
    from scrapy.utils.reactor import install_reactor

    from newsarchive.crawl import project_settings

    settings = project_settings(overrides)
    install_reactor(settings["TWISTED_REACTOR"])
    configure_logging(settings)
    from twisted.internet import reactor as installed
    from twisted.internet.base import ReactorBase

    reactor = cast(ReactorBase, installed)  # see newsarchive.crawl.run_spiders
    runner = CrawlerRunner(settings)
    crawler = runner.create_crawler(ProbeSpider)
    done = runner.crawl(crawler, url=url, sample=sample)
    done.addBoth(lambda _: reactor.stop())
    reactor.run(installSignalHandlers=True)
    spider = cast(ProbeSpider, crawler.spider)
    return spider.findings
