"""Item pipelines, in order (see ``ITEM_PIPELINES`` in settings), one concern each.

1. :class:`ValidationPipeline`: url, title, body and some date are required.
2. :class:`NormalizationPipeline`: Persian display form of every text field.
3. :class:`DatePipeline`: date strings to UTC + Jalali, or drop with ``no-date``.
4. :class:`TemplatePipeline`: paragraphs the source's other articles share (its template) out of the body.
5. :class:`StoragePipeline`: write to the archive, one transaction per item.

A dropped item raises :class:`DropArticle`, whose ``reason`` is counted in the
crawl stats under ``newsarchive/dropped/<reason>``.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Coroutine
from datetime import datetime
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from newsarchive.archive import Archive, ArchiveError, ArchiveWriteError
from newsarchive.memory import is_distributed_worker
from newsarchive.outcomes import ARTICLES, BOILERPLATE, BOILERPLATE_TEMPLATE, Drop, Stats, count_drop
from newsarchive.persian import normalize
from newsarchive.persian.dates import DateParseError, choose_published, parse_datetime
from newsarchive.templates import blocks_of, keyed_paragraphs, strip_template
from newsarchive.writer import ArchiveWriter, WriterStopped, crawl_writer

logger = logging.getLogger(__name__)


class DropArticle(DropItem):
    """An item that must not be stored, with a short machine-readable reason."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def count_canonical_conflict(stats: Stats, own_url: str | None, claimed: str) -> None:
    """Count (as ``canonical-conflict``) and log a ``rel=canonical`` the archive refused: the
    page was stored under its own URL, and the article at the claimed URL kept its content."""
    count_drop(stats, Drop.CANONICAL_CONFLICT)
    logger.warning(
        "canonical-conflict: %s names %s as canonical, an article archived with other content; "
        "stored under its own URL",
        own_url,
        claimed,
    )


class _CountingPipeline:
    """Runs ``check`` on each item and counts the reason of every :class:`DropArticle`.

    ``check`` works on an ``ItemAdapter`` and needs no crawler, so tests and
    ``reparse`` can run the same steps outside a crawl.
    """

    def __init__(self, crawler: Crawler | None = None):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> _CountingPipeline:
        return cls(crawler)

    def check(self, item: ItemAdapter) -> None:
        """Check or complete ``item`` in place; raise :class:`DropArticle` to drop it."""
        raise NotImplementedError

    def process_item(self, item: Any) -> Any:
        try:
            self.check(ItemAdapter(item))
        except DropArticle as drop:
            if self.crawler is not None:
                count_drop(self.crawler.stats, drop.reason)
            raise
        return item


class ValidationPipeline(_CountingPipeline):
    """Required fields: url, title, body and a date to resolve."""

    def check(self, item: ItemAdapter) -> None:
        for field, reason in (("url", Drop.NO_URL), ("title", Drop.NO_TITLE), ("body", Drop.NO_BODY)):
            if not (item.get(field) or "").strip():
                raise DropArticle(reason, item.get("url") or "")
        if not item.get("published_display") and not item.get("published_candidates"):
            raise DropArticle(Drop.NO_DATE, item["url"])


class NormalizationPipeline(_CountingPipeline):
    """Persian display form (:func:`newsarchive.persian.normalize`) of every text field."""

    # published_display is kept exactly as the page showed it.
    TEXT_FIELDS = ("title", "lead", "body")
    LIST_FIELDS = ("authors", "categories", "tags")

    def check(self, item: ItemAdapter) -> None:
        for field in self.TEXT_FIELDS:
            if item.get(field):
                item[field] = normalize(item[field])
        for field in self.LIST_FIELDS:
            values = [normalize(value) for value in item.get(field) or []]
            item[field] = list(dict.fromkeys(value for value in values if value))


class DatePipeline(_CountingPipeline):
    """Resolve the publication date (and modification date) to UTC and Jalali."""

    def check(self, item: ItemAdapter) -> None:
        fetched_at = item.get("fetched_at")
        now = parse_datetime(fetched_at).utc if fetched_at else None
        notes = list(item.get("notes") or [])
        candidates = [tuple(c) for c in item.get("published_candidates") or []]
        published, source, date_notes = choose_published(item.get("published_display"), candidates, now=now)
        notes += date_notes
        if published is None:
            item["notes"] = notes
            raise DropArticle(Drop.NO_DATE, f"{item['url']} {'; '.join(date_notes)}")
        since = getattr(self.crawler.spider, "since", None) if self.crawler is not None else None
        if since is not None and published.utc < since:
            raise DropArticle(Drop.BEFORE_SINCE, f"{item['url']} published {published.utc_iso}")
        item["published_at"] = published.utc_iso
        item["published_jalali"] = published.jalali
        item["published_precision"] = published.precision
        sources = dict(item.get("field_sources") or {})
        sources["published"] = "site" if source == "displayed" else source
        item["field_sources"] = sources
        item["modified_at"] = self._modified(item, notes, now)
        item["notes"] = notes

    @staticmethod
    def _modified(item: ItemAdapter, notes: list[str], now: datetime | None) -> str | None:
        texts = [text for _, text in item.get("modified_candidates") or []]
        if item.get("modified_display"):
            texts.append(item["modified_display"])
        for text in texts:
            try:
                return parse_datetime(text, now=now).utc_iso
            except DateParseError as error:
                notes.append(f"unreadable modified date: {error}")
        return None


class TemplatePipeline:
    """Removes a source's learned template paragraphs from the body, and puts the body's short
    paragraphs on the item for the archive to count (see :mod:`newsarchive.templates`).

    What was learned is read once per source and run. A distributed worker has no archive to
    read it from: it only hands the paragraphs on (the ingester counts them).
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.min_articles = crawler.settings.getint("NEWSARCHIVE_TEMPLATE_MIN_ARTICLES")
        self.learned: dict[str, dict[str, str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TemplatePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for rule, count in (adapter.get("boilerplate") or {}).items():  # what the extraction left out
            self.crawler.stats.inc_value(f"{BOILERPLATE}{rule}", count)
        keyed = keyed_paragraphs(adapter.get("body"))
        adapter["template_blocks"] = blocks_of(keyed)
        body, removed = strip_template(adapter.get("body"), self._learned(adapter.get("source")), keyed)
        if removed:
            adapter["body"] = body
            self.crawler.stats.inc_value(BOILERPLATE_TEMPLATE, removed)
        return item

    def _learned(self, source: str | None) -> dict[str, str]:
        if not source or self.min_articles <= 0 or is_distributed_worker(self.crawler.settings):
            return {}
        if source not in self.learned:
            try:
                with Archive(self.crawler.settings.get("NEWSARCHIVE_DB")) as archive:
                    self.learned[source] = archive.template_blocks(source, self.min_articles)
            except ArchiveError:
                self.learned[source] = {}  # the storage pipeline reports an archive that cannot be used
        return self.learned[source]


class StoragePipeline:
    """Write each article to the archive (``NEWSARCHIVE_DB``) in one transaction.

    With ``NEWSARCHIVE_WORKERS`` > 1 the writes run in the archive's writer process
    (:mod:`newsarchive.writer`), in the order the items arrive, while the reactor goes on
    with the crawl; otherwise, and in ``newsarchive reparse``, in the caller's thread.

    When the archive refuses a write (disk full, read-only, I/O error) the
    transaction has rolled back, so nothing half-written stays; the pipeline
    then stops the crawl with one ERROR (:func:`newsarchive.extensions.archive_failed`)
    and drops the items still in flight as ``archive-error``, instead of
    failing, with a traceback, every article the crawl still fetches.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.writer: ArchiveWriter | None = None
        self.failed = False
        self.refresh = crawler.settings.getbool("NEWSARCHIVE_REPARSE")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(crawler)

    def _fail(self, error: ArchiveError) -> None:
        from newsarchive.extensions import archive_failed

        self.failed = True
        archive_failed(self.crawler, error)

    def open_spider(self) -> None:
        try:
            self.writer = crawl_writer(self.crawler)
        except ArchiveError as error:
            self._fail(error)

    def close_spider(self) -> None:
        if self.writer is None:
            return
        try:
            if not self.failed:
                for alias, url in getattr(self.crawler.spider, "redirect_aliases", {}).items():
                    self.writer.run("add_alias", alias, url)
        except ArchiveError as error:
            self._fail(error)
        except WriterStopped:
            pass  # a write of the capture index failed first; that failure was reported
        finally:
            self.writer.release()

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        if self.failed or self.writer is None:
            count_drop(self.crawler.stats, Drop.ARCHIVE_ERROR)
            raise DropArticle(Drop.ARCHIVE_ERROR, adapter.get("url") or "")
        try:
            # The fields as they are: an article's values are text, lists of text and one
            # flat dict, so the deep copy of adapter.asdict() (a fifth of a store's CPU) adds
            # nothing; store_article reads the item and never changes it. NEWSARCHIVE_REPARSE
            # (set by newsarchive reparse): corrected non-content fields are written too.
            outcome, rejected = await self.writer.call(
                "store_article",
                dict(adapter.items()),
                fetched_at=adapter.get("fetched_at"),
                refresh=self.refresh,
            )
        except ArchiveWriteError as error:
            self._fail(error)
            count_drop(self.crawler.stats, Drop.ARCHIVE_ERROR)
            raise DropArticle(Drop.ARCHIVE_ERROR, adapter.get("url") or "") from error
        except WriterStopped as stopped:  # queued behind the write that failed: not tried
            count_drop(self.crawler.stats, Drop.ARCHIVE_ERROR)
            raise DropArticle(Drop.ARCHIVE_ERROR, adapter.get("url") or "") from stopped
        if rejected:
            count_canonical_conflict(self.crawler.stats, adapter.get("fetched_url"), rejected)
        self.crawler.stats.inc_value(f"{ARTICLES}{outcome}")
        return item


def build_pipelines(crawler: Crawler) -> list[Any]:
    """``ITEM_PIPELINES`` of ``crawler``'s settings, built in their order, to run outside a
    crawl (``newsarchive reparse``): the same steps as a crawl, counting in ``crawler.stats``."""
    from scrapy.utils.conf import build_component_list
    from scrapy.utils.misc import build_from_crawler, load_object

    return [
        build_from_crawler(load_object(path), crawler)
        for path in build_component_list(crawler.settings.getwithbase("ITEM_PIPELINES"))
    ]


def run_pipelines(pipelines: list[Any], item: Any) -> Any:
    """Pass ``item`` through ``pipelines`` in order, as Scrapy does; a :class:`DropItem` propagates.

    Outside a crawl there is no event loop: a coroutine ``process_item`` is run to its end
    here, which works for one that never waits (the storage pipeline without its writer
    thread); one that waits, or a Deferred, is a TypeError.
    """
    for pipeline in pipelines:
        item = pipeline.process_item(item)
        if inspect.iscoroutine(item):
            item = _finish_now(item, type(pipeline).__name__)
        elif hasattr(item, "__await__") or hasattr(item, "addCallback"):
            raise TypeError(f"{type(pipeline).__name__}.process_item is asynchronous; reparse cannot run it")
    return item


def _finish_now(coroutine: Coroutine[Any, Any, Any], name: str) -> Any:
    """The result of a coroutine that completes without waiting; TypeError if it waits."""
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value
    coroutine.close()
    raise TypeError(f"{name}.process_item waits for something; it cannot run outside a crawl")
