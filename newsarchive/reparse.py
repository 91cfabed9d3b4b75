"""Re-parse stored responses: extraction and pipelines again, without the network.

``newsarchive reparse`` takes the latest capture of every URL a crawl requested
as an article (see :mod:`newsarchive.warc`), follows recorded redirects to the
capture of the final response, and makes its item with
:func:`newsarchive.page.article_fields`, as the spider's ``parse_article`` does, then
hands it to the configured ``ITEM_PIPELINES`` (validation, normalization, dates,
storage): the code a crawl runs, with the capture's time as the fetch time, and like a
crawl it reads pages in worker processes when ``NEWSARCHIVE_WORKERS`` > 1 (storing them in
order, in this process). Content
that changed is versioned as a crawl would version it; other corrected fields (dates,
tags, authors) are updated in place (``NEWSARCHIVE_REPARSE``). A capture older than
the article's last fetch (a later crawl ran without WARC) is skipped, never written
over newer data.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import DropItem, IgnoreRequest
from scrapy.http import Headers, Request, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.utils.reactor import is_reactor_installed

from newsarchive.archive import Archive, resolve_db_path
from newsarchive.items import ArticleItem
from newsarchive.outcomes import ARTICLE_OUTCOMES, ARTICLES, DROPPED, Drop, count_drop, stats_under
from newsarchive.page import request_facts
from newsarchive.pipelines import DropArticle, build_pipelines, run_pipelines
from newsarchive.runlock import RunLock
from newsarchive.warc import REDIRECT_STATUSES, WarcReadError, read_capture, resolve_warc_dir, second_of
from newsarchive.workers import Fields, PageRead, page_read, page_reader

MAX_REDIRECTS = 10


@dataclass
class ReparseReport:
    """What a reparse did: pages read, articles new/updated/unchanged, drops by reason."""

    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def add(self, stats: dict[str, Any]) -> None:
        for outcome in ARTICLE_OUTCOMES:
            setattr(self, outcome, getattr(self, outcome) + stats.get(f"{ARTICLES}{outcome}", 0))
        for reason, value in stats_under(stats, DROPPED).items():
            self.dropped[reason] = self.dropped.get(reason, 0) + value

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _Page:
    """A final capture to parse, and every requested URL that led to it."""

    capture: dict[str, Any]
    first: dict[str, Any]
    redirect_urls: list[str] = field(default_factory=list)


def reparse_crawler(spidercls, overrides: dict[str, Any]) -> Crawler:
    """A crawler with the project settings and a spider, that never crawls: no run
    extension, no reactor needed; its stats collect the reparse counts."""
    from newsarchive.crawl import project_settings

    settings = project_settings(
        {
            **overrides,
            "NEWSARCHIVE_REPARSE": True,
            "EXTENSIONS": {"newsarchive.extensions.CrawlRun": None},
            "TWISTED_REACTOR_ENABLED": is_reactor_installed(),
            "TWISTED_REACTOR": None,
            "LOG_ENABLED": False,
        }
    )
    crawler = Crawler(spidercls, settings)
    # Stats and settings as a crawl has them, without starting one. Private in Scrapy 2.19, which
    # has no public way: tests/test_scrapy_api.py fails when a release changes it.
    crawler._apply_settings()
    crawler.spider = spidercls.from_crawler(crawler)
    return crawler


def _pages(archive: Archive, captures: list[dict[str, Any]], stats) -> list[_Page]:
    """Follow each article request's recorded redirects to its final capture; one page per final capture."""
    pages: dict[int, _Page] = {}
    for first in captures:
        chain = [first]
        while (
            chain[-1]["status"] in REDIRECT_STATUSES and chain[-1]["location"] and len(chain) <= MAX_REDIRECTS
        ):
            following = archive.latest_capture(chain[-1]["location"])
            if following is None or following["id"] in {c["id"] for c in chain}:
                break
            chain.append(following)
        final = chain[-1]
        if final["status"] in REDIRECT_STATUSES:
            count_drop(stats, Drop.REDIRECT_NOT_CAPTURED)
            continue
        page = pages.setdefault(final["id"], _Page(final, first))
        page.redirect_urls += [c["url"] for c in chain[:-1] if c["url"] not in page.redirect_urls]
    return list(pages.values())


def _response(archive: Archive, warc_dir, page: _Page, compression: HttpCompressionMiddleware):
    """The stored final response as the spider got it: decoded by Scrapy's own middleware."""
    capture = page.capture
    record = read_capture(archive, warc_dir, capture)
    headers = Headers()
    for name, value in record.http_headers:
        headers.appendlist(name, value)
    meta = {
        "newsarchive_kind": "article",
        "newsarchive_fetched_at": second_of(capture["fetched_at"]),
        **({"redirect_urls": page.redirect_urls} if page.redirect_urls else {}),
        **_json(page.first.get("meta")),
    }
    request = Request(capture["url"], meta=meta)
    cls = responsetypes.from_args(headers=headers, url=capture["url"], body=record.payload)
    response = cls(
        url=capture["url"],
        status=capture["status"],
        headers=headers,
        body=record.payload,
        request=request,
        protocol="HTTP/1.1",
    )
    return request, compression.process_response(request, response)


def _json(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text else {}


def _superseded(archive: Archive, item, fetched_at: str) -> bool:
    """True when the stored article was fetched after this capture (by a run without WARC)."""
    for url in (item.get("url"), *(item.get("aliases") or [])):
        stored = archive.find_article(url) if url else None
        if stored is not None:
            return (stored["last_fetched_at"] or "") > fetched_at
    return False


def reparse(
    db: str | None = None,
    *,
    warc_dir: str | None = None,
    sources: Iterable[str] = (),
    since: str | None = None,
    until: str | None = None,
    urls: Iterable[str] = (),
    settings: dict[str, Any] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ReparseReport:
    """Re-run extraction and the pipelines on stored responses (see the module docstring).

    ``since``/``until`` bound the capture time (UTC ``YYYY-MM-DDTHH:MM:SSZ``, until
    exclusive); ``urls`` are article URLs (or aliases) whose captures to use.
    """
    from newsarchive.spiders.sites import SPIDERS

    db_path = resolve_db_path(db)
    root = resolve_warc_dir(warc_dir, db_path)
    report = ReparseReport()
    # WARC dates carry microseconds: the bounds are written the same way to compare as text.
    since_bound = since and since.rstrip("Z") + (".000000Z" if "." not in since else "Z")
    until_bound = until and until.rstrip("Z") + (".000000Z" if "." not in until else "Z")
    with Archive(db_path) as archive:
        wanted = set(urls)
        for url in urls:
            stored = archive.find_article(url)
            if stored is not None:
                wanted.add(stored["url"])
                wanted.update(
                    row["url"]
                    for row in archive.db.query(
                        "select url from article_aliases where article_id = ?", [stored["id"]]
                    )
                )
        chosen = list(sources) or [
            row["source"]
            for row in archive.db.query("select distinct source from captures where kind = 'article'")
        ]
        for source in chosen:
            if source not in SPIDERS:
                raise ValueError(f"unknown source {source!r}; known: {', '.join(SPIDERS)}")
            site = SPIDERS[source].site
            own = sorted(wanted | {site.canonical(url) for url in wanted if site.owns(url)})
            captures = archive.latest_captures(
                sources=[source], urls=own, since=since_bound, until=until_bound
            )
            lock = RunLock(db_path, source).acquire()  # no crawl of this source meanwhile
            try:
                crawler = reparse_crawler(
                    SPIDERS[source], {**(settings or {}), "NEWSARCHIVE_DB": str(db_path)}
                )
                stats = crawler.stats
                pages = _pages(archive, captures, stats)
                _reparse_pages(archive, root, crawler, pages, progress, source)
            finally:
                lock.release()
            report.read += len(pages)
            report.sources.append(source)
            report.add(stats.get_stats())
    return report


def _reparse_pages(archive, root, crawler, pages, progress, source) -> None:
    spider = crawler.spider
    stats = crawler.stats
    compression = HttpCompressionMiddleware.from_crawler(crawler)
    pipelines = build_pipelines(crawler)
    # Pages are read in worker processes (NEWSARCHIVE_WORKERS) a few ahead of the one being
    # stored; items are stored in page order, by this process alone.
    reader = page_reader(crawler.settings.getint("NEWSARCHIVE_WORKERS", 1))
    ahead = 4 * max(1, crawler.settings.getint("NEWSARCHIVE_WORKERS", 1))
    pending: deque[tuple[Future[Fields | None], PageRead, str]] = deque()

    def store(future: Future[Fields | None], read: PageRead, fetched_at: str) -> None:
        fields = reader.result(future, read)
        if fields is None:
            count_drop(stats, Drop.NOT_ARTICLE)
            return
        item = ArticleItem(**fields)
        if _superseded(archive, item, fetched_at):
            count_drop(stats, Drop.SUPERSEDED)
            return
        try:
            run_pipelines(pipelines, item)
        except DropArticle:
            pass  # counted by the pipeline
        except DropItem:
            count_drop(stats, Drop.OTHER)

    for pipeline in pipelines:
        if hasattr(pipeline, "open_spider"):
            pipeline.open_spider()
    try:
        for number, page in enumerate(pages, 1):
            if progress:
                progress(source, number, len(pages))
            if page.capture["status"] is None:  # a status outside 100-999, indexed as NULL (see warc)
                count_drop(stats, Drop.BAD_STATUS)
                continue
            try:
                request, response = _response(archive, root, page, compression)
            except (WarcReadError, OSError) as error:
                crawler.spider.logger.warning("cannot read the capture of %s: %s", page.capture["url"], error)
                count_drop(stats, Drop.UNREADABLE_CAPTURE)
                continue
            except IgnoreRequest:  # decompressed beyond DOWNLOAD_MAXSIZE, as in a crawl
                count_drop(stats, Drop.OVERSIZE)
                continue
            if not 200 <= response.status < 300:
                # A crawl's HttpErrorMiddleware sends these to article_failed (which counts the same way).
                count_drop(stats, Drop.GONE if response.status in (404, 410) else Drop.FETCH_ERROR)
                continue
            fetched_at = request.meta["newsarchive_fetched_at"]
            # What the spider's parse_article does with a response, minus the crawl.
            if not isinstance(response, TextResponse):
                count_drop(stats, Drop.NOT_HTML)
                continue
            read = page_read(
                spider.site,
                response.text,
                response.url,
                fetched_at,
                status=response.status,
                **request_facts(response.meta),
            )
            pending.append((reader.submit(read), read, fetched_at))
            while len(pending) > ahead:
                store(*pending.popleft())
        while pending:
            store(*pending.popleft())
    finally:
        for pipeline in pipelines:
            if hasattr(pipeline, "close_spider"):
                pipeline.close_spider()
