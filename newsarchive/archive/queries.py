"""Reading articles by query and filter: search, the reader's article list, and the reads an export makes.

An :class:`ArticleFilter` becomes a list of SQL clauses with their parameters
(:func:`filter_clauses`), which the search ranking, :meth:`QueriesMixin.articles` and
every export read join as they need; :class:`QueriesMixin` gives
:class:`newsarchive.archive.Archive` those reads. A reader's arguments (a name or
several, days in either calendar) become a filter in :func:`reader_filter`.

The examples below run (``tests/test_api.py``) on a three-article ``archive.db``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import sqlite_utils

from newsarchive.archive.reading import article_record, dataframe
from newsarchive.archive.schema import SEARCH_WEIGHTS
from newsarchive.archive.vocabulary import check_names
from newsarchive.persian import normalize
from newsarchive.persian.dates import day_range
from newsarchive.search import Highlighter, QueryError, fts_query, parse_query, query_problem, snippet

if TYPE_CHECKING:
    from pandas import DataFrame

    from newsarchive.archive import Archive


@dataclass(frozen=True)
class SearchHit:
    id: str
    source: str
    url: str
    title: str
    published_at: str | None
    published_jalali: str | None
    snippet: str
    rank: float
    #: The story the article belongs to (its copies on other sites share it).
    story_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


#: The ``articles`` columns an export reads (not the search forms).
EXPORT_COLUMNS = (
    "id",
    "source",
    "url",
    "title",
    "lead",
    "body",
    "authors",
    "categories",
    "tags",
    "image_url",
    "page_type",
    "sponsored",
    "published_at",
    "published_jalali",
    "published_precision",
    "published_display",
    "modified_at",
    "first_seen_at",
    "last_fetched_at",
    "content_hash",
    "story_id",
)


@dataclass(frozen=True)
class ArticleFilter:
    """Which articles an export covers; every field that is set must match.

    ``since``/``until`` bound ``published_at`` (UTC ``...Z``; since inclusive, until
    exclusive); ``categories``/``tags`` match any of the values given; ``query``
    keeps the articles that :meth:`Archive.search_ids` finds for it.
    """

    sources: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    query: str | None = None


def filter_clauses(filters: ArticleFilter | None) -> tuple[list[str], dict[str, Any]]:
    """The clauses (to be joined with ``and``) that keep the articles ``filters`` match, and
    their parameters; no clause when every article matches. Shared by search and export.
    Nothing is kept between calls: a query is matched inside each statement that uses it
    (SQLite runs the subquery once)."""
    filters = filters or ArticleFilter()
    clauses: list[str] = []
    params: dict[str, Any] = {}

    def any_of(name: str, values: tuple[str, ...]) -> str:
        names = {f"{name}{number}": value for number, value in enumerate(values)}
        params.update(names)
        return ", ".join(f":{key}" for key in names)

    if filters.sources:
        clauses.append(f"source in ({any_of('source', filters.sources)})")
    if filters.since:
        clauses.append("published_at >= :since")
        params["since"] = filters.since
    if filters.until:
        clauses.append("published_at < :until")
        params["until"] = filters.until
    for column, values in (("categories", filters.categories), ("tags", filters.tags)):
        if values:
            clauses.append(
                f"exists (select 1 from json_each(articles.{column}) where value in ({any_of(column, values)}))"
            )
    if filters.query is not None:
        expression = fts_query(filters.query)
        if expression is None:  # no words to search for: nothing matches, as in search_ids
            clauses.append("0")
        else:
            clauses.append(
                "articles.rowid in (select rowid from articles_fts where articles_fts match :match)"
            )
            params["match"] = expression
    return clauses, params


#: A filter's names as a reader passes them: one name, several, or none.
Names = str | Iterable[str] | None

#: ``published_at`` as stored, for the bounds of :func:`reader_filter`.
_INSTANT = "%Y-%m-%dT%H:%M:%SZ"


def _names(value: Names) -> tuple[str, ...]:
    """One name or several as a tuple: a string is one name, never its letters."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def reader_filter(
    *,
    sources: Names = None,
    since: str | None = None,
    until: str | None = None,
    categories: Names = None,
    tags: Names = None,
    query: str | None = None,
) -> ArticleFilter:
    """The :class:`ArticleFilter` of a reader's arguments, as ``newsarchive search`` and
    ``export`` read their options: each of ``sources``/``categories``/``tags`` one name or
    several (any of them matches); ``since``/``until`` whole Tehran days, Gregorian or
    Jalali, both included (:func:`newsarchive.persian.dates.day_range`).

    Raises :class:`QueryError` (a ``ValueError``) naming a date that is no day, ``since``
    after ``until``, or a ``query`` with no words to search for.
    """
    if query is not None and (problem := query_problem(query)):
        raise QueryError(problem)
    try:
        start, end = day_range(since, until)
    except ValueError as error:
        raise QueryError(str(error)) from None
    return ArticleFilter(
        sources=_names(sources),
        since=start.strftime(_INSTANT) if start else None,
        until=end.strftime(_INSTANT) if end else None,
        # Categories and tags are stored in the display form: the name as a reader typed it
        # (Arabic ي/ك, ...) is matched in that form, as the export's filters are.
        categories=tuple(normalize(name) for name in _names(categories)),
        tags=tuple(normalize(name) for name in _names(tags)),
        query=query,
    )


def _checked_limit(limit: int) -> int:
    """``limit`` as an int; a plain ``ValueError`` when it is below 1."""
    if int(limit) < 1:
        raise ValueError(f"limit must be 1 or more (got {limit})")
    return int(limit)


class QueriesMixin:
    """Search, a reader's article list and DataFrame, and the export reads of an open archive."""

    db: sqlite_utils.Database

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        sources: Names = None,
        since: str | None = None,
        until: str | None = None,
        categories: Names = None,
        tags: Names = None,
        marks: tuple[str, str] = ("[", "]"),
        snippet_words: int = 24,
    ) -> list[SearchHit]:
        """Best matches for a user query, as ``newsarchive search`` shows them.

        The query language is :mod:`newsarchive.search`'s (words, ``"phrases"``, ``OR``,
        ``-word``, ``word*``; everything else is text). Ranking is bm25 with the title
        weighted above the lead (with tags and categories) above the body. ``since`` /
        ``until`` are days, Gregorian ``2024-03-20`` or Jalali ``1403-01-01``, both included
        (whole Tehran days: :func:`newsarchive.persian.dates.day_range`); ``sources``,
        ``categories``, ``tags`` keep articles with any of the values given. The snippet is
        cut from the display text (body, else lead, else title) with the matched words
        between ``marks``.

        Raises :class:`newsarchive.search.QueryError` (a ``ValueError``) with a message
        for the user when the query has no words or too many, a date is no day, or ``since``
        is after ``until``; a plain ``ValueError`` when ``limit`` is below 1.

        >>> for hit in archive.search("پیام رسان"):
        ...     print(hit.source, hit.published_jalali, hit.title)
        ...     print(hit.snippet)
        digiato 1403-01-01 10:00 پیام‌رسان بله به‌روزرسانی شد
        نسخه تازه [پیام‌رسان] بله برای iOS 17.2 و اندروید منتشر شد
        >>> [hit.title for hit in archive.search("گوشی", sources="zoomit", since="1403-01-15")]
        ['گلکسی S24 در ایران عرضه شد']
        """
        problem = query_problem(query)
        if problem:
            raise QueryError(problem)
        limit = _checked_limit(limit)
        filters = reader_filter(sources=sources, since=since, until=until, categories=categories, tags=tags)
        clauses, params = filter_clauses(filters)
        weights = ", ".join(str(w) for w in SEARCH_WEIGHTS)
        # Rank first, then read the top rows: text columns read for every match would go
        # through the sorter (2-3x slower for common words).
        matches = (
            f"select articles_fts.rowid, bm25(articles_fts, {weights}) as rank from articles_fts "
            + ("join articles on articles.rowid = articles_fts.rowid " if clauses else "")
            + "where "
            + " and ".join(["articles_fts match :expression", *clauses])
        )
        sql = f"""
            with top as ({matches} order by rank limit :limit)
            select articles.id, articles.source, articles.url, articles.title, articles.lead, articles.body,
                   articles.published_at, articles.published_jalali, articles.story_id, top.rank
            from top join articles on articles.rowid = top.rowid
            order by top.rank
        """
        params.update(expression=fts_query(query), limit=limit)
        highlighter = Highlighter(parse_query(query))
        hits = []
        for row in self.db.query(sql, params):
            text = snippet(
                (row.pop("body"), row.pop("lead"), row["title"]),
                highlighter,
                words=snippet_words,
                marks=marks,
            )
            hits.append(SearchHit(**row, snippet=text))
        return hits

    def articles(
        self,
        *,
        source: Names = None,
        since: str | None = None,
        until: str | None = None,
        category: Names = None,
        tag: Names = None,
        query: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """The articles the filters keep, oldest first, as plain dicts (a notebook's read).

        Filters are those of ``newsarchive export``: ``source``, ``category``, ``tag`` one
        name or a list of names (any of them matches); ``since``/``until`` days, Gregorian
        ``2024-03-20`` or Jalali ``1403-01-01``, whole Tehran days, both included; ``query``
        the articles ``newsarchive search`` finds (in date order here, not ranked); ``limit``
        the first so many. Each dict has the :data:`EXPORT_COLUMNS`: ``authors``,
        ``categories`` and ``tags`` as lists, ``sponsored`` as a bool, times as the archive
        stores them (UTC ``...Z`` strings; :meth:`to_pandas` makes them datetimes).
        The list is built in memory: for a whole large archive ``newsarchive export``
        streams instead.

        A ``source``, ``category`` or ``tag`` that no article has raises
        :class:`~newsarchive.archive.vocabulary.UnknownNames` (a ``ValueError``; its
        ``names`` hold close names, ``Digiato`` → ``digiato``), as the commands refuse it:
        an empty list would read as "no such articles". A date that is no day, ``since``
        after ``until``, or a query with no words raises
        :class:`newsarchive.search.QueryError` (a ``ValueError``); a ``limit`` below 1 a
        plain ``ValueError``.

        >>> for article in archive.articles(source="digiato", since="1403-01-01"):
        ...     print(article["published_at"], article["title"], article["tags"])
        2024-03-20T06:30:00Z پیام‌رسان بله به‌روزرسانی شد ['پیام‌رسان']
        2024-05-04T06:45:00Z اینترنت ماهواره‌ای استارلینک در ایران ['اینترنت', 'ماهواره']
        >>> [a["source"] for a in archive.articles(until="2024-04-30", limit=5)]
        ['digiato', 'zoomit']
        >>> archive.articles(source="Digiato")
        Traceback (most recent call last):
        ...
        newsarchive.archive.vocabulary.UnknownNames: no source 'Digiato' in this archive
        >>> archive.articles(since="1403-02-01", until="1403-01-01")
        Traceback (most recent call last):
        ...
        newsarchive.search.query.QueryError: the first day '1403-02-01' is after the last day '1403-01-01'
        """
        filters = reader_filter(
            sources=source, since=since, until=until, categories=category, tags=tag, query=query
        )
        check_names(
            cast("Archive", self), sources=filters.sources, categories=filters.categories, tags=filters.tags
        )
        where, params = self._filter_sql(filters)
        sql = f"select {', '.join(EXPORT_COLUMNS)} from articles{where} order by published_at, url"
        if limit is not None:
            sql += " limit :limit"
            params["limit"] = _checked_limit(limit)
        return [article_record(row) for row in self.db.query(sql, params)]

    def to_pandas(
        self,
        *,
        source: Names = None,
        since: str | None = None,
        until: str | None = None,
        category: Names = None,
        tag: Names = None,
        query: str | None = None,
        limit: int | None = None,
    ) -> DataFrame:
        """:meth:`articles` as a pandas ``DataFrame``, one row per article: the same filters
        and columns, ``published_at``, ``modified_at``, ``first_seen_at`` and
        ``last_fetched_at`` as UTC datetimes, the lists as lists.

        pandas is optional: without it this raises ``ImportError`` saying to install it.

        >>> frame = archive.to_pandas(tag=["گوشی", "اینترنت"])
        >>> frame[["source", "title"]].values.tolist()
        [['zoomit', 'گلکسی S24 در ایران عرضه شد'], ['digiato', 'اینترنت ماهواره‌ای استارلینک در ایران']]
        >>> frame["published_at"].dt.tz_convert("Asia/Tehran").dt.strftime("%Y-%m-%d %H:%M").tolist()
        ['2024-04-10 11:30', '2024-05-04 10:15']
        """
        return dataframe(
            self.articles(
                source=source, since=since, until=until, category=category, tag=tag, query=query, limit=limit
            ),
            EXPORT_COLUMNS,
        )

    def search_ids(self, query: str) -> Iterator[str]:
        """Ids of every article the search matches for ``query``: no ranking, no limit."""
        expression = fts_query(query)
        if expression is None:
            return
        rows = self.db.execute(
            "select articles.id from articles_fts join articles on articles.rowid = articles_fts.rowid "
            "where articles_fts match ?",
            [expression],
        )
        for (found,) in rows:
            yield found

    @staticmethod
    def _filter_sql(filters: ArticleFilter | None) -> tuple[str, dict[str, Any]]:
        """`` where ...`` (or ``""``) and its parameters (see :func:`filter_clauses`)."""
        clauses, params = filter_clauses(filters)
        return (" where " + " and ".join(clauses) if clauses else ""), params

    def export_summary(self, filters: ArticleFilter | None = None) -> dict[str, Any]:
        """``articles``, ``first`` and ``last`` ``published_at`` of the filtered articles."""
        where, params = self._filter_sql(filters)
        sql = f"select count(*) as articles, min(published_at) as first, max(published_at) as last from articles{where}"
        return next(iter(self.db.query(sql, params)))

    def iter_export_keys(
        self, filters: ArticleFilter | None = None, *, batch_size: int = 512
    ) -> Iterator[list[tuple[int, str, str, str, str | None]]]:
        """Batches of ``(rowid, source, url, published_at, published_jalali)`` in export
        order (``published_at``, then ``url``), all read in one snapshot.

        Memory stays flat: SQLite sorts these small keys, spilling to temporary files
        when they outgrow its cache. The snapshot (a read transaction) lasts until the
        iterator is exhausted or closed, so a crawl writing meanwhile changes nothing.
        """
        where, params = self._filter_sql(filters)
        own_snapshot = not self.db.conn.in_transaction
        if own_snapshot:
            self.db.execute("begin")
        try:
            keys = self.db.execute(
                f"select rowid, source, url, published_at, published_jalali from articles{where} "
                "order by published_at, url",
                params,
            )
            while batch := keys.fetchmany(batch_size):
                yield batch
        finally:
            if own_snapshot:
                self.db.execute("rollback")

    def export_rows(
        self, rowids: list[int], *, columns: Iterable[str] | None = None, with_versions: bool = False
    ) -> list[dict[str, Any]]:
        """The rows with these rowids, in the order given.

        ``columns``: some of :data:`EXPORT_COLUMNS` (default: all). With ``with_versions``,
        ``versions`` holds the article's earlier versions as JSON array text, oldest first.
        """
        chosen = [column for column in (columns or EXPORT_COLUMNS) if column in EXPORT_COLUMNS]
        selected = "rowid as _rowid, " + ", ".join(chosen)
        if with_versions:
            selected += (
                ", (select json_group_array(json_object('title', v.title, 'lead', v.lead, 'body', v.body, "
                "'content_hash', v.content_hash, 'fetched_at', v.fetched_at, 'replaced_at', v.replaced_at)) "
                "from (select * from article_versions where article_id = articles.id order by id) as v) as versions"
            )
        marks = ", ".join("?" * len(rowids))
        rows = {
            row.pop("_rowid"): row
            for row in self.db.query(f"select {selected} from articles where rowid in ({marks})", rowids)
        }
        return [rows[rowid] for rowid in rowids]

    def iter_export_rows(
        self,
        filters: ArticleFilter | None = None,
        *,
        columns: Iterable[str] | None = None,
        with_versions: bool = False,
        batch_size: int = 512,
    ) -> Iterator[dict[str, Any]]:
        """Filtered rows in export order, streamed from one snapshot: whole rows are
        read by rowid, ``batch_size`` at a time (see :meth:`iter_export_keys`)."""
        for batch in self.iter_export_keys(filters, batch_size=batch_size):
            yield from self.export_rows(
                [key[0] for key in batch], columns=columns, with_versions=with_versions
            )

    def data_version(self) -> int:
        """Changes when another connection commits (``PRAGMA data_version``)."""
        version: int = self.db.execute("PRAGMA data_version").fetchone()[0]
        return version

    def monthly_counts(
        self, filters: ArticleFilter | None = None, *, calendar: str = "gregorian"
    ) -> list[dict[str, Any]]:
        """Articles per source and month: ``{"source", "month": "YYYY-MM", "articles"}`` rows.

        Gregorian months are those of the UTC ``published_at``; Jalali months those of
        the Tehran ``published_jalali`` (``None`` where it is missing).
        """
        column = {"gregorian": "published_at", "jalali": "published_jalali"}[calendar]
        where, params = self._filter_sql(filters)
        sql = (
            f"select source, substr({column}, 1, 7) as month, count(*) as articles from articles{where} "
            "group by source, month order by source, month"
        )
        return list(self.db.query(sql, params))
