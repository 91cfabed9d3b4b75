"""Re-parse stored responses: extraction and pipelines again, without the network.

``newsarchive reparse`` takes the latest capture of every URL a crawl requested
as an article (see :mod:`newsarchive.warc`), follows recorded redirects to the
capture of the final response, and makes its item with
:func:`newsarchive.page.article_fields`, as the spider's ``parse_article`` does, then
hands it to the configured ``ITEM_PIPELINES`` (validation, normalization, dates,
storage): the code a crawl runs, with the capture's time as the fetch time, and like a
crawl it reads pages on every core when ``NEWSARCHIVE_WORKERS`` > 1. Content
that changed is versioned as a crawl would version it; other corrected fields (dates,
tags, authors) are updated in place (``NEWSARCHIVE_REPARSE``). A capture older than
the article's last fetch (a later crawl ran without WARC) is skipped, never written
over newer data.

Reading a page (its WARC record, Scrapy's decompression and decoding, the extraction:
:func:`read_page`) needs nothing but the page's capture, so the page workers
(:mod:`newsarchive.workers`) do it, each from the WARC files itself: only a capture's
location goes to a worker and the item's fields come back, never the page's HTML. This
process validates, normalizes, dates and stores the items in page order, one transaction
each, and reads pages itself whenever the next item is not ready
(:func:`~newsarchive.workers.in_order`), so that both cores stay busy.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import DropItem, IgnoreRequest, NotConfigured
from scrapy.http import Headers, Request, Response, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.utils.reactor import is_reactor_installed

from newsarchive.archive import Archive, resolve_db_path
from newsarchive.items import ArticleItem
from newsarchive.outcomes import ARTICLE_OUTCOMES, ARTICLES, DROPPED, Drop, count_drop, stats_under
from newsarchive.page import article_fields, page_html, request_facts
from newsarchive.pipelines import DropArticle, build_pipelines, run_pipelines
from newsarchive.runlock import RunLock
from newsarchive.sites.base import Site
from newsarchive.warc import REDIRECT_STATUSES, WarcReadError, read_capture, resolve_warc_dir, second_of
from newsarchive.workers import Fields, in_order, page_reader

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
    """A crawler with the project settings and a spider, that never crawls: no extension
    (not the run's, not Scrapy's: none is loaded), no reactor needed; its stats collect the
    reparse counts."""
    from newsarchive.crawl import project_settings

    settings = project_settings(
        {
            **overrides,
            "NEWSARCHIVE_REPARSE": True,
            "EXTENSIONS_BASE": {},
            "EXTENSIONS": {},
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


@dataclass(frozen=True)
class PageTask:
    """One page to read (:func:`read_page`), with all that reading it needs; it pickles, for
    a page worker: the capture's row and location, never the page itself."""

    site: Site
    db_path: str
    warc_dir: str
    page: _Page
    #: Scrapy's decompression as the crawl's settings make it (stats left out), or None when
    #: ``COMPRESSION_ENABLED`` is off.
    decompression: HttpCompressionMiddleware | None


@dataclass
class PageOutcome:
    """What reading one page gave: the item's fields, or the reason it has none (and a
    warning to log, for a capture that cannot be read)."""

    fields: Fields | None = None
    fetched_at: str = ""
    drop: str | None = None
    warning: str | None = None


def read_page(task: PageTask) -> PageOutcome:
    """Read a stored page as the spider's ``parse_article`` reads a response, minus the crawl:
    its WARC record, the HTTP checks a crawl's middlewares make, then
    :func:`~newsarchive.page.article_fields`. Runs in a page worker or in reparse's process."""
    capture = task.page.capture
    if capture["status"] is None:  # a status outside 100-999, indexed as NULL (see warc)
        return PageOutcome(drop=Drop.BAD_STATUS)
    try:
        request, response = _response(task)
    except (WarcReadError, OSError) as error:
        return PageOutcome(
            drop=Drop.UNREADABLE_CAPTURE, warning=f"cannot read the capture of {capture['url']}: {error}"
        )
    except IgnoreRequest:  # decompressed beyond DOWNLOAD_MAXSIZE, as in a crawl
        return PageOutcome(drop=Drop.OVERSIZE)
    if not 200 <= response.status < 300:
        # A crawl's HttpErrorMiddleware sends these to article_failed (which counts the same way).
        return PageOutcome(drop=Drop.GONE if response.status in (404, 410) else Drop.FETCH_ERROR)
    if not isinstance(response, TextResponse):
        return PageOutcome(drop=Drop.NOT_HTML)
    fetched_at = request.meta["newsarchive_fetched_at"]
    fields = article_fields(
        task.site,
        page_html(response),
        response.url,
        fetched_at,
        status=response.status,
        **request_facts(response.meta),
    )
    return PageOutcome(fields, fetched_at, drop=None if fields else Drop.NOT_ARTICLE)


def _response(task: PageTask) -> tuple[Request, Response]:
    """The stored final response as the spider got it: decoded by Scrapy's own middleware."""
    page = task.page
    capture = page.capture
    record = read_capture(_reading_archive(task.db_path), task.warc_dir, capture)
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
    if task.decompression is not None:
        # Typed as Request | Response for every middleware; this one returns a response.
        response = cast(Response, task.decompression.process_response(request, response))
    return request, response


#: This process's read-only connection to the archive being reparsed, for the revisit
#: records whose payload another capture holds (:func:`~newsarchive.warc.read_capture`).
_reading: dict[str, Archive] = {}


def _reading_archive(path: str) -> Archive:
    if path not in _reading:
        _stop_reading()  # a worker outlives one reparse: one archive open at a time
        _reading[path] = Archive(path, readonly=True)
    return _reading[path]


def _stop_reading() -> None:
    for archive in _reading.values():
        archive.close()
    _reading.clear()


def _decompression(crawler: Crawler) -> HttpCompressionMiddleware | None:
    """Scrapy's decompression middleware as the crawler's settings make it, without the
    crawler's stats, so that it pickles (a page worker has no crawler)."""
    try:
        middleware = HttpCompressionMiddleware.from_crawler(crawler)
    except NotConfigured:  # COMPRESSION_ENABLED off: bodies are read as they were stored
        return None
    detached = copy.copy(middleware)
    detached.stats = None
    return detached


def _json(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text else {}


def _superseded(archive: Archive, item, fetched_at: str) -> bool:
    """True when the stored article was fetched after this capture (by a run without WARC)."""
    for url in (item.get("url"), *(item.get("aliases") or [])):
        stored = archive.fetch_record(url) if url else None
        if stored is not None and not stored["gone"]:  # an article, not a tombstone or a 404
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
    from newsarchive.crawl import project_settings
    from newsarchive.spiders.sites import site_spiders

    # The user's sites too (./sites.toml, NEWSARCHIVE_SITES_FILE): their captures are theirs to reparse.
    spiders = site_spiders(project_settings(settings).get("NEWSARCHIVE_SITES_FILE"))
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
            if source not in spiders:
                raise ValueError(f"unknown source {source!r}; known: {', '.join(spiders)}")
            site = spiders[source].site
            own = sorted(wanted | {site.canonical(url) for url in wanted if site.owns(url)})
            captures = archive.latest_captures(
                sources=[source], urls=own, since=since_bound, until=until_bound
            )
            lock = RunLock(db_path, source).acquire()  # no crawl of this source meanwhile
            try:
                crawler = reparse_crawler(
                    spiders[source], {**(settings or {}), "NEWSARCHIVE_DB": str(db_path)}
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
    pipelines = build_pipelines(crawler)
    reader = page_reader(crawler.settings.getint("NEWSARCHIVE_WORKERS", 1))
    decompression = _decompression(crawler)
    tasks = (
        partial(read_page, PageTask(spider.site, str(archive.path), str(root), page, decompression))
        for page in pages
    )

    def store(outcome: PageOutcome) -> None:
        if outcome.warning:
            spider.logger.warning("%s", outcome.warning)
        if outcome.fields is None:
            count_drop(stats, outcome.drop or Drop.NOT_ARTICLE)
            return
        item = ArticleItem(**outcome.fields)
        if _superseded(archive, item, outcome.fetched_at):
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
        # Pages are read by the workers and by this process, and stored here in page order.
        for number, outcome in enumerate(in_order(reader, tasks), 1):
            store(outcome)
            if progress:
                progress(source, number, len(pages))
    finally:
        for pipeline in pipelines:
            if hasattr(pipeline, "close_spider"):
                pipeline.close_spider()
        _stop_reading()  # this process's own; a worker's closes with the worker or the next reparse
