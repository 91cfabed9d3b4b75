"""Articles: one row each, with earlier versions, URL aliases and template-block counts.

:class:`ArticlesMixin` writes and reads an article: found by its URL or any alias, a
content change keeps the previous content in ``article_versions``, and a page whose
``rel=canonical`` names an article archived with other content is refused that claim
(stored under its own URL) so that fetch order never decides which page wins.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import sqlite_utils

from newsarchive.archive.deletion import TOMBSTONED, DeletionMixin
from newsarchive.archive.schema import CONTENT_COLUMNS, JSON_COLUMNS, search_forms, utc_now

if TYPE_CHECKING:
    from contextlib import AbstractContextManager


#: Columns outside the content hash that feed the search columns (with the lead).
SEARCHED_METADATA = frozenset({"tags", "categories"})


def article_id(url: str) -> str:
    """A stable id from the first canonical URL an article was stored under."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def content_hash(article: dict[str, Any]) -> str:
    """SHA-256 over the content columns; equal hashes mean an unchanged article."""
    joined = "\x1f".join(article.get(column) or "" for column in CONTENT_COLUMNS)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


class ArticlesMixin(DeletionMixin):
    """Writing and reading articles in an open archive; deleting them comes from
    :class:`~newsarchive.archive.deletion.DeletionMixin`."""

    db: sqlite_utils.Database

    if TYPE_CHECKING:

        def write(self) -> AbstractContextManager[None]: ...

        def _assign_story(self, article: Mapping[str, Any], search_body: str | None = None) -> str: ...

        def _follow_story(self, existing: Mapping[str, Any], changes: Mapping[str, Any]) -> None: ...

    def find_article(self, url: str) -> dict[str, Any] | None:
        """The article stored under ``url`` or one of its aliases."""
        rows = self.db.query(
            "select * from articles where url = :url union all "
            "select articles.* from article_aliases join articles on articles.id = article_aliases.article_id "
            "where article_aliases.url = :url limit 1",
            {"url": url},
        )
        return next(iter(rows), None)

    def save_article(
        self, article: dict[str, Any], *, fetched_at: str | None = None, refresh: bool = False
    ) -> str:
        """:meth:`store_article`'s outcome alone."""
        return self.store_article(article, fetched_at=fetched_at, refresh=refresh)[0]

    def store_article(
        self, article: dict[str, Any], *, fetched_at: str | None = None, refresh: bool = False
    ) -> tuple[str, str | None]:
        """Insert or update one article in a single transaction; returns the outcome and, when
        the page's ``rel=canonical`` was not trusted, the URL it named (else None).

        Returns ``"new"``, ``"updated"`` (content changed: the previous content
        is kept in ``article_versions``) or ``"unchanged"`` (only
        ``last_fetched_at`` moves). The article is found by its URL or any alias,
        so a redirected or re-canonicalized URL never makes a second row.
        ``"tombstoned"`` (:data:`~newsarchive.archive.deletion.TOMBSTONED`): an article
        deleted on request (any of its URLs, or its id, has a tombstone) is not stored.

        With ``refresh`` (``newsarchive reparse``: the same response extracted
        again), other fields that differ while the content is the same (dates,
        tags, authors...) are updated too, without a version, as ``"updated"``.

        A page fetched at one URL (``fetched_url``) that names another as canonical
        (``url``) never changes the content of an article archived under that other URL:
        a ``/promoted/`` copy or an editor's slip would otherwise overwrite it, and which
        page won would depend on fetch order. A claim whose content equals the archived
        article's makes the page an alias; a claim with other content is refused, and the
        page is stored under its own URL with a note (its URL detached from the other
        article if an earlier claim had attached it).
        """
        fetched_at = fetched_at or utc_now()
        with self.write():
            if self._tombstoned(article, article_id(article["url"])):
                return TOMBSTONED, None
            rejected = self._rejected_canonical(article)
            if rejected:
                article = {
                    **article,
                    "url": article["fetched_url"],
                    "aliases": [
                        url
                        for url in article.get("aliases") or []
                        if url not in (rejected, article["fetched_url"])
                    ],
                    "notes": [
                        *(article.get("notes") or []),
                        f"rel=canonical names {rejected}, another article archived with other content; "
                        "stored under this page's own URL",
                    ],
                }
                self.db.execute("delete from article_aliases where url = ?", [article["url"]])
            return self._upsert(article, fetched_at, refresh), rejected

    def _rejected_canonical(self, article: dict[str, Any]) -> str | None:
        """The canonical URL an article claims, when an article with other content is archived under it."""
        own = article.get("fetched_url")
        if not own or own == article["url"]:
            return None
        claimed = next(
            iter(self.db.query("select content_hash from articles where url = ?", [article["url"]])), None
        )
        if claimed is None or claimed["content_hash"] == content_hash(article):
            return None
        url: str = article["url"]
        return url

    def _upsert(self, article: dict[str, Any], fetched_at: str, refresh: bool) -> str:
        """The body of :meth:`store_article`, inside its transaction."""
        urls = [article["url"], *(article.get("aliases") or [])]
        record = self._record(article)
        existing = next(filter(None, (self.find_article(url) for url in urls)), None)
        if existing is None:
            record.update(self._search_forms(article))
            record.update(id=article_id(article["url"]), first_seen_at=fetched_at, last_fetched_at=fetched_at)
            self._insert("articles", record)
            outcome, target = "new", record["id"]
            self._count_template_blocks(
                article.get("source"), article.get("template_blocks") or {}, fetched_at
            )
            self._assign_story(record, record["search_body"])
        else:
            target = existing["id"]
            if existing["content_hash"] == record["content_hash"]:
                changes = {"last_fetched_at": fetched_at}
                outcome = "unchanged"
                corrected = (
                    {
                        key: value
                        for key, value in record.items()
                        if key != "url"
                        and existing.get(key) != value
                        and not (key == "modified_at" and value is None)
                    }
                    if refresh
                    else {}
                )
                if corrected:
                    changes.update(corrected)
                    if SEARCHED_METADATA & corrected.keys():
                        changes.update(self._search_forms(article))
                    outcome = "updated"
            else:
                self._insert(
                    "article_versions",
                    {
                        "article_id": target,
                        **{c: existing[c] for c in CONTENT_COLUMNS},
                        "content_hash": existing["content_hash"],
                        "fetched_at": existing["last_fetched_at"],
                        "replaced_at": fetched_at,
                    },
                )
                record.update(self._search_forms(article))
                record.pop("url")  # the first canonical URL stays the row's URL
                changes = {**record, "last_fetched_at": fetched_at}
                changes["modified_at"] = record.get("modified_at") or fetched_at
                outcome = "updated"
            self._update_article(target, changes)
            self._follow_story(existing, changes)
        row_url = existing["url"] if existing else article["url"]
        for url in urls:
            if url != row_url:
                self._insert(
                    "article_aliases",
                    {"url": url, "article_id": target, "first_seen_at": fetched_at},
                    or_ignore=True,
                )
        return outcome

    def _insert(self, table: str, row: dict[str, Any], *, or_ignore: bool = False) -> None:
        """One plain INSERT of ``row`` (already encoded: JSON columns are text). sqlite-utils'
        ``insert`` reads the table's schema and opens a savepoint on every call, which cost a
        crawl more than the row itself; here the statement is cached by SQLite's statement
        cache, and the caller's transaction is the only one."""
        columns = ", ".join(f"[{column}]" for column in row)
        marks = ", ".join("?" for _ in row)
        verb = "insert or ignore" if or_ignore else "insert"
        self.db.conn.execute(f"{verb} into [{table}] ({columns}) values ({marks})", list(row.values()))

    def _update_article(self, article_id: str, changes: dict[str, Any]) -> None:
        """``changes`` written to the article ``article_id`` (one UPDATE, as :meth:`_insert`)."""
        assignments = ", ".join(f"[{column}] = ?" for column in changes)
        self.db.conn.execute(
            f"update articles set {assignments} where id = ?", [*changes.values(), article_id]
        )

    def _count_template_blocks(self, source: str | None, blocks: dict[str, str], seen_at: str) -> None:
        """One more article of ``source`` carried each of ``blocks`` (``{key: paragraph}``)."""
        if not source or not blocks:
            return
        self.db.conn.executemany(
            "insert into template_blocks (source, block, text, articles, first_seen_at, last_seen_at) "
            "values (?, ?, ?, 1, ?, ?) on conflict (source, block) do update set "
            "articles = articles + 1, last_seen_at = excluded.last_seen_at",
            [(source, key, text, seen_at, seen_at) for key, text in blocks.items()],
        )

    def template_blocks(self, source: str, min_articles: int) -> dict[str, str]:
        """``{key: paragraph}`` of the paragraphs seen in at least ``min_articles`` articles of ``source``."""
        return {
            row["block"]: row["text"]
            for row in self.db.query(
                "select block, text from template_blocks where source = ? and articles >= ?",
                [source, min_articles],
            )
        }

    def add_alias(self, alias: str, url: str) -> bool:
        """Record ``alias`` as another URL of the article stored under ``url`` (not a URL
        deleted on request: its tombstone stays)."""
        with self.write():
            target = self.find_article(url)
            if target is None or alias == target["url"] or self.tombstone(alias):
                return False
            self.db.table("article_aliases").insert(
                {"url": alias, "article_id": target["id"], "first_seen_at": utc_now()}, ignore=True
            )
        return True

    @staticmethod
    def _record(article: dict[str, Any]) -> dict[str, Any]:
        """The ``articles`` row for an item, JSON columns encoded; without the search columns,
        which only a new or changed article needs (:meth:`_search_forms`)."""
        columns = {
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
            "field_sources",
            "notes",
        }
        record = {key: article.get(key) for key in columns}
        for key in JSON_COLUMNS:
            if key in record:
                record[key] = json.dumps(
                    record[key] or ([] if key != "field_sources" else {}), ensure_ascii=False
                )
        record["sponsored"] = int(bool(record["sponsored"]))
        record["content_hash"] = content_hash(article)
        return record

    @staticmethod
    def _search_forms(article: dict[str, Any]) -> dict[str, str]:
        """The search columns of an item. Folding a long body is most of an insert's cost, so
        a re-fetch whose content and searched metadata are unchanged never computes them, and
        the FTS update trigger (schema migration 6) fires only when they are written."""
        return search_forms(
            article.get("title"),
            article.get("lead"),
            article.get("body"),
            article.get("tags") or [],
            article.get("categories") or [],
        )

    def count(self) -> int:
        return self.db.table("articles").count

    def bulk_insert(
        self,
        articles: Iterable[dict[str, Any]],
        *,
        fetched_at: str | None = None,
        batch_size: int = 1000,
        stories: bool = True,
    ) -> int:
        """Insert many *new* articles fast, in one transaction (benchmarks, imports).

        Rows are built as :meth:`save_article` builds them (ids, JSON columns, search
        forms; the FTS index follows through its triggers), but nothing is looked up:
        every URL must be new, and aliases and versions are not recorded; each article gets its
        story as a stored one does, unless ``stories`` is false: a large import then leaves
        ``story_id`` empty and calls :meth:`rebuild_stories` once at the end, which computes
        the same stories in passes on every core instead of one article at a time. Articles
        deleted on request (tombstoned, as :meth:`store_article` sees them) are left out and
        not counted.
        """
        fetched_at = fetched_at or utc_now()
        count = 0

        def records() -> Iterator[dict[str, Any]]:
            nonlocal count
            for article in articles:
                if self._tombstoned(article, article_id(article["url"])):
                    continue
                record = self._record(article)
                record.update(self._search_forms(article))
                record.update(
                    id=article_id(article["url"]), first_seen_at=fetched_at, last_fetched_at=fetched_at
                )
                count += 1
                yield record

        with self.write():
            batch: list[dict[str, Any]] = []
            for record in records():
                batch.append(record)
                if len(batch) == batch_size:
                    self._insert_batch(batch, stories)
                    batch = []
            self._insert_batch(batch, stories)
        return count

    def _insert_batch(self, records: list[dict[str, Any]], stories: bool) -> None:
        """New article rows, then (``stories``) their stories in the order given: the stored order."""
        if records:
            self.db.table("articles").insert_all(records, batch_size=len(records))
        for record in records if stories else ():
            self._assign_story(record, record["search_body"])
