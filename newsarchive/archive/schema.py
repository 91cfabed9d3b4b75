"""The archive's tables and how an archive file reaches them.

Migrations in order (``PRAGMA user_version`` counts those applied), the search columns
every article row carries (see :mod:`newsarchive.search`) and the rebuild of the FTS5
index over them; :class:`SchemaMixin` gives :class:`newsarchive.archive.Archive` its
schema version, migration and reindex methods.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlite_utils

from newsarchive.archive.errors import ArchiveError
from newsarchive.search import index_text

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from pathlib import Path

#: Columns that hold JSON arrays or objects.
JSON_COLUMNS = ("authors", "categories", "tags", "field_sources", "notes", "aliases")
#: Columns that make up an article's content; a change in them is a new version.
CONTENT_COLUMNS = ("title", "lead", "body")
#: The search columns, weighted in this order by bm25 (title above lead above body).
SEARCH_COLUMNS = ("search_title", "search_lead", "search_body")
SEARCH_WEIGHTS = (10.0, 4.0, 1.0)


def utc_now() -> str:
    """Now in UTC as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _migration_1(db: sqlite_utils.Database) -> None:
    """The first layout: articles, aliases, versions, crawl runs, FTS5 index."""
    db.table("articles").create(
        {
            "id": str,
            "source": str,
            "url": str,
            "title": str,
            "lead": str,
            "body": str,
            "authors": str,
            "categories": str,
            "tags": str,
            "image_url": str,
            "page_type": str,
            "sponsored": int,
            "published_at": str,
            "published_jalali": str,
            "published_precision": str,
            "published_display": str,
            "modified_at": str,
            "first_seen_at": str,
            "last_fetched_at": str,
            "content_hash": str,
            "field_sources": str,
            "notes": str,
            "search_title": str,
            "search_lead": str,
            "search_body": str,
        },
        pk="id",
        not_null={"source", "url", "title", "body", "published_at", "content_hash"},
    )
    db.table("articles").create_index(["url"], unique=True)
    db.table("articles").create_index(["source", "published_at"])
    db.table("article_aliases").create(
        {"url": str, "article_id": str, "first_seen_at": str},
        pk="url",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("article_versions").create(
        {
            "id": int,
            "article_id": str,
            "title": str,
            "lead": str,
            "body": str,
            "content_hash": str,
            "fetched_at": str,
            "replaced_at": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("article_versions").create_index(["article_id"])
    db.table("crawl_runs").create(
        {
            "id": int,
            "spider": str,
            "started_at": str,
            "finished_at": str,
            "status": str,
            "pid": int,
            "requests": int,
            "articles_new": int,
            "articles_updated": int,
            "articles_unchanged": int,
            "responses": str,
            "dropped": str,
            "coverage": str,
            "stats": str,
        },
        pk="id",
    )
    db.table("crawl_runs").create_index(["spider", "status"])
    # Discovery documents (sitemaps) and the lastmod seen on the last finished run.
    db.table("discovery_state").create({"url": str, "lastmod": str, "checked_at": str}, pk="url")
    # Article URLs that answered 404/410, so scheduled runs do not ask again and again.
    db.table("gone_urls").create({"url": str, "status": int, "seen_at": str}, pk="url")
    db.table("articles").enable_fts(list(SEARCH_COLUMNS), fts_version="FTS5", create_triggers=True)


def _migration_2(db: sqlite_utils.Database) -> None:
    """``captures``: every response recorded in a WARC file (see :mod:`newsarchive.warc`)."""
    db.table("captures").create(
        {
            "id": int,
            "url": str,
            "source": str,
            "kind": str,
            "fetched_at": str,
            "status": int,
            "content_type": str,
            "location": str,
            "payload_digest": str,
            "record_type": str,
            "warc_file": str,
            "warc_offset": int,
            "warc_length": int,
            "run_id": int,
            "meta": str,
        },
        pk="id",
    )
    db.table("captures").create_index(["url", "fetched_at"])
    db.table("captures").create_index(["payload_digest"])
    db.table("captures").create_index(["source", "kind", "fetched_at"])


def search_forms(
    title: str | None,
    lead: str | None,
    body: str | None,
    tags: Iterable[str] = (),
    categories: Iterable[str] = (),
) -> dict[str, str]:
    """The search columns of an article (see :func:`newsarchive.search.index_text`).

    Tags and categories are searched with the lead: short, topical words.
    """
    topical = " ".join([lead or "", *(tags or []), *(categories or [])])
    return {
        "search_title": index_text(title),
        "search_lead": index_text(topical),
        "search_body": index_text(body),
    }


def _json_list(value: str | None) -> list[str]:
    try:
        decoded = json.loads(value) if value else []
    except ValueError:
        return []
    return [str(item) for item in decoded] if isinstance(decoded, list) else []


def _rebuild_search_index(
    db: sqlite_utils.Database, *, batch_size: int = 2000, progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """Recompute every row's search columns and rebuild ``articles_fts`` from them.

    Runs inside the caller's transaction. The sync triggers are dropped while the
    columns are rewritten (a rebuild follows, so per-row index updates would be
    wasted work) and created again, with the same SQL, before it returns.
    """
    triggers = [
        (name, sql)
        for name, sql in db.execute(
            "select name, sql from sqlite_master where type = 'trigger' and tbl_name = 'articles' "
            "and sql like '%articles_fts%'"
        ).fetchall()
    ]
    for name, _ in triggers:
        db.execute(f"drop trigger [{name}]")
    total = db.execute("select count(*) from articles").fetchone()[0]
    changed = seen = 0
    last = -1
    while True:
        rows = db.execute(
            "select rowid, title, lead, body, tags, categories, search_title, search_lead, search_body "
            "from articles where rowid > ? order by rowid limit ?",
            [last, batch_size],
        ).fetchall()
        if not rows:
            break
        updates = []
        for rowid, title, lead, body, tags, categories, *stored in rows:
            forms = search_forms(title, lead, body, _json_list(tags), _json_list(categories))
            new = tuple(forms[column] for column in SEARCH_COLUMNS)
            if list(new) != stored:
                updates.append((*new, rowid))
        db.conn.executemany(
            "update articles set search_title = ?, search_lead = ?, search_body = ? where rowid = ?", updates
        )
        changed += len(updates)
        seen += len(rows)
        last = rows[-1][0]
        if progress:
            progress(seen, total)
    db.execute("insert into articles_fts(articles_fts) values ('rebuild')")
    db.execute("insert into articles_fts(articles_fts) values ('optimize')")
    for _, sql in triggers:
        db.execute(sql)
    return {"articles": seen, "changed": changed}


def _migration_3(db: sqlite_utils.Database) -> None:
    """Search columns rebuilt for numbers in Persian digits: the appendix after the folded text
    (:func:`newsarchive.search.index_text`), which held every ZWNJ word spaced, now also holds
    every number again in Persian digits (raw ``۱۵`` queries find ``15``). Rows are kept; only
    the search columns and the FTS index are rewritten."""
    _rebuild_search_index(db)


def _migration_4(db: sqlite_utils.Database) -> None:
    """``crawl_runs.problems``: why a run is ``degraded`` or ``failed`` (JSON list, see
    :mod:`newsarchive.health`)."""
    db.table("crawl_runs").add_column("problems", str)


def _migration_5(db: sqlite_utils.Database) -> None:
    """``template_blocks``: how many articles of each source carried each short paragraph
    (see :mod:`newsarchive.templates`); ``crawl_runs.boilerplate``: blocks removed per rule."""
    db.table("template_blocks").create(
        {
            "source": str,
            "block": str,
            "text": str,
            "articles": int,
            "first_seen_at": str,
            "last_seen_at": str,
        },
        pk=("source", "block"),
    )
    db.table("crawl_runs").add_column("boilerplate", str)


def _migration_6(db: sqlite_utils.Database) -> None:
    """The FTS update trigger fires only when a search column is written. sqlite-utils'
    trigger fired on every update, so recording a re-fetch (``last_fetched_at`` alone)
    deleted and re-inserted the article's whole entry in the index."""
    columns = ", ".join(f'"{column}"' for column in SEARCH_COLUMNS)
    old = ", ".join(f'old."{column}"' for column in SEARCH_COLUMNS)
    new = ", ".join(f'new."{column}"' for column in SEARCH_COLUMNS)
    db.execute('drop trigger if exists "articles_au"')
    db.execute(
        f'create trigger "articles_au" after update of {columns} on "articles" begin '
        f'insert into "articles_fts" ("articles_fts", rowid, {columns}) values (\'delete\', old.rowid, {old}); '
        f'insert into "articles_fts" (rowid, {columns}) values (new.rowid, {new}); '
        "end"
    )


def _migration_7(db: sqlite_utils.Database) -> None:
    """``tombstones``: every URL of an article deleted on request (``newsarchive delete``),
    so that no crawl, reparse or ingest stores it again (see :mod:`.deletion`). A row keeps
    no text of the article: only what refusing it again and answering "what was removed,
    when and why" need."""
    db.table("tombstones").create(
        {"url": str, "article_id": str, "source": str, "deleted_at": str, "reason": str},
        pk="url",
        not_null={"article_id", "deleted_at"},
    )
    db.table("tombstones").create_index(["article_id"])
    db.table("tombstones").create_index(["source"])


def _migration_8(db: sqlite_utils.Database) -> None:
    """``alerts_sent``: when each rule of each site was last alerted (:mod:`.alerts`), so a
    scheduled crawl does not announce the same unchanged problem every hour."""
    db.table("alerts_sent").create(
        {"site": str, "rule": str, "sent_at": str, "run_id": int},
        pk=("site", "rule"),
        not_null={"sent_at"},
    )


def _migration_9(db: sqlite_utils.Database) -> None:
    """Stories (see :mod:`.stories`): ``articles.story_id``, the ``stories`` they form, the
    ``story_pairs`` of alike articles (similarity and kind), and the LSH index over the
    articles' MinHash signatures (``story_signatures``, ``story_bands``). Tables and
    columns only: :meth:`~newsarchive.archive.Archive.rebuild_stories` fills an older archive's."""
    db.table("articles").add_column("story_id", str)
    db.table("articles").create_index(["story_id"])
    db.table("stories").create(
        {
            "id": str,
            "title": str,
            "first_published_at": str,
            "first_source": str,
            "first_article_id": str,
            "first_seen_at": str,
            "last_published_at": str,
            "sources": str,
            "article_count": int,
            "updated_at": str,
        },
        pk="id",
    )
    db.table("stories").create_index(["last_published_at", "id"])  # the listing's order
    db.table("story_pairs").create(
        {"article_id": str, "other_id": str, "similarity": float, "kind": str, "same_site": int},
        pk=("article_id", "other_id"),
        not_null={"similarity", "kind", "same_site"},
    )
    db.table("story_pairs").create_index(["other_id"])
    db.execute(
        "create table story_signatures (id integer primary key, article_id text not null unique, "
        "minhash blob not null, shingles integer not null, text_key text not null)"
    )
    db.execute(
        "create table story_bands (bucket integer not null, signature_id integer not null, "
        "primary key (bucket, signature_id)) without rowid"
    )
    db.table("story_settings").create({"name": str, "value": str}, pk="name")


#: Migrations in order; the archive's ``PRAGMA user_version`` counts those applied.
MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _migration_1,
    _migration_2,
    _migration_3,
    _migration_4,
    _migration_5,
    _migration_6,
    _migration_7,
    _migration_8,
    _migration_9,
)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaMixin:
    """The schema version, migrations and search index of an open archive."""

    db: sqlite_utils.Database
    path: Path

    if TYPE_CHECKING:

        def write(self) -> AbstractContextManager[None]: ...

    def schema_version(self) -> int:
        version: int = self.db.execute("PRAGMA user_version").fetchone()[0]
        return version

    def _too_new_message(self) -> str:
        return (
            f"archive {self.path} has schema version {self.schema_version()}, newer than this "
            f"newsarchive ({SCHEMA_VERSION}); upgrade newsarchive"
        )

    def migrate(self) -> int:
        """Apply pending migrations, each in its own transaction; returns the version.

        The version is read inside each transaction, so two processes opening a
        new archive at once never run a migration twice.
        """
        while True:
            with self.write():
                version = self.schema_version()
                if version > SCHEMA_VERSION:
                    raise ArchiveError(self._too_new_message())
                if version == SCHEMA_VERSION:
                    return SCHEMA_VERSION
                MIGRATIONS[version](self.db)
                self.db.execute(f"PRAGMA user_version = {version + 1}")

    def reindex(self, *, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """Recompute every article's search columns and rebuild the FTS index (one transaction).

        For archives made before a change of the folding rules or the index layout
        (:func:`newsarchive.search.index_text`). Returns ``articles`` (rows read),
        ``changed`` (rows whose search columns changed), ``seconds`` and ``index_bytes``.
        """
        started = datetime.now(UTC)
        with self.write():
            report: dict[str, Any] = _rebuild_search_index(self.db, progress=progress)
        report["seconds"] = round((datetime.now(UTC) - started).total_seconds(), 3)
        report["index_bytes"] = self.search_index_bytes()
        return report

    def search_index_bytes(self) -> int | None:
        """Bytes taken by the FTS5 index (its shadow tables), without the search columns.

        Needs SQLite's ``dbstat`` table (in Python's and Debian's builds); None without it.
        """
        try:
            row = self.db.execute(
                "select sum(pgsize) from dbstat where name like 'articles\\_fts\\_%' escape '\\'"
            ).fetchone()
        except sqlite3.OperationalError:
            return None
        return row[0] or 0
