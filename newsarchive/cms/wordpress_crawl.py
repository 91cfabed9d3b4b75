"""The WordPress profile in a crawl: posts from the REST API, the site's pages when it is not there.

A run asks page 1 of the posts changed since the watermark (:func:`~newsarchive.cms.wordpress.
modified_after`), then, from its ``X-WP-TotalPages``, every further page at once: a scheduled
run with nothing new costs one request (two with robots.txt), a first backfill of 5,000 posts
51. Each post becomes an item without another request, when the refresh rule says the archive
wants it (new, changed since it was stored, or young); tombstoned URLs never come back.

The watermark is the latest ``modified_gmt`` seen, kept in the crawl memory's discovery state
under the posts URL when the run finishes with every page read (a page that failed keeps the
old one, so its posts are asked again next time). In a distributed crawl each worker keeps
the latest of the pages it read; a page failed in another worker is not known to it.

When page 1 fails (404: no REST API; 401/403: closed to the public; a challenge page), or
answers anything but a list of posts (an HTML page, an error object), or no posts at all on a
first run, the run goes on as any site's: robots.txt, sitemaps, feeds, listings and HTML pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from newsarchive.cms.wordpress import (
    POSTS_PATH,
    latest_modified,
    modified_after,
    parse_gmt,
    post_fields,
    post_url,
    posts_url,
    read_posts,
    total_pages,
)
from newsarchive.items import ArticleItem
from newsarchive.outcomes import Drop, count_drop

if TYPE_CHECKING:
    from newsarchive.spiders.base import NewsSpider

#: ``newsarchive_kind`` of the REST requests (and of their WARC captures).
KIND = "wp-rest"
_PAGE, _AFTER = "newsarchive_rest_page", "newsarchive_rest_after"


class WordPressProfile:
    """Discovery and extraction of a WordPress site through ``/wp-json/wp/v2/posts``."""

    def __init__(self, spider: NewsSpider):
        self.spider = spider
        self.site = spider.site
        self.endpoint = self.site.url(POSTS_PATH)
        #: The latest ``modified_gmt`` of the posts read, and whether every page was read.
        self.latest: str | None = None
        self.complete = True

    def start_requests(self) -> Iterator[scrapy.Request]:
        yield self._request(
            1, modified_after(self.spider.archive.discovery_lastmod(self.endpoint), self.spider.since)
        )

    def _request(self, page: int, after: datetime | None) -> scrapy.Request:
        """Page ``page`` of the posts changed after ``after``, which its meta carries to the
        next pages (in a distributed crawl another process may read page 1)."""
        return scrapy.Request(
            posts_url(self.site, page, after),
            callback=self.spider.parse_cms,
            errback=self.spider.cms_failed,
            meta={"newsarchive_kind": KIND, _PAGE: page, _AFTER: after.isoformat() if after else None},
        )

    def remembered(self) -> dict[str, str]:
        return {self.endpoint: self.latest} if self.complete and self.latest else {}

    def parse(self, response: Response) -> Iterator[scrapy.Request | ArticleItem]:
        page, after = response.meta.get(_PAGE, 1), response.meta.get(_AFTER)
        posts = read_posts(response.body)
        if page == 1 and (posts is None or (not posts and after is None)):
            yield from self._fall_back(response.url, "no posts" if posts == [] else "not a list of posts")
            return
        if posts is None:
            self.spider.logger.warning("not a page of posts: %s", response.url)
            count_drop(self.spider.crawler.stats, Drop.BAD_FEED)
            self.complete = False
            return
        if page == 1:
            headers = {
                name.decode("latin-1"): (response.headers.get(name) or b"").decode("latin-1")
                for name in response.headers
            }
            since = datetime.fromisoformat(after) if after else None
            yield from (self._request(number, since) for number in range(2, total_pages(headers) + 1))
        self.latest = latest_modified([*posts, {"modified_gmt": self.latest}])
        fetched_at = response.meta.get("newsarchive_fetched_at") or datetime.now(UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        for post in posts:
            item = self._item(post, fetched_at)
            if item is not None:
                yield item

    def _item(self, post: dict[str, Any], fetched_at: str) -> ArticleItem | None:
        """The post as an item when the archive wants it (see :meth:`NewsSpider.fetch_reason`);
        its body is extracted only then."""
        url = post_url(self.site, post)
        if url is None:
            count_drop(self.spider.crawler.stats, Drop.NOT_ARTICLE)
            return None
        published = parse_gmt(post.get("date_gmt"))
        if self.spider.since and published and published < self.spider.since:
            return None
        if self.spider.fetch_reason(url, parse_gmt(post.get("modified_gmt"))) is None:
            return None
        fields = post_fields(self.site, post, fetched_at)
        return ArticleItem(**fields) if fields is not None else None

    def failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]
        first = request.meta.get(_PAGE, 1) == 1
        if not first or getattr(failure.value, "response", None) is None:
            self.spider.request_failed(failure)  # a timeout, a challenge, a later page: counted
        if first:
            yield from self._fall_back(request.url, str(failure.value))
        else:
            self.complete = False

    def _fall_back(self, url: str, why: str) -> Iterator[scrapy.Request]:
        self.complete = False
        self.spider.logger.info(
            "WordPress REST API not usable at %s (%s); crawling the site's pages", url, why
        )
        yield from self.spider.discovery_requests()
