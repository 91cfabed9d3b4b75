"""The archive: the only module that writes SQL.

An SQLite file written through sqlite-utils: articles with a stable id, their
earlier versions, URL aliases, crawl runs, and an FTS5 index over the folded
search form of the text (see :mod:`newsarchive.search`). Every write is one
transaction; WAL mode lets searches read while a crawl writes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from newsarchive.outcomes import RunStatus
from newsarchive.persian.dates import day_range
from newsarchive.search import (
    Highlighter, QueryError, fts_query, index_text, parse_query, query_problem, snippet,
)

DEFAULT_DB = "archive.db"
#: Columns that hold JSON arrays or objects.
JSON_COLUMNS = ("authors", "categories", "tags", "field_sources", "notes", "aliases")
#: Columns that make up an article's content; a change in them is a new version.
CONTENT_COLUMNS = ("title", "lead", "body")
#: The search columns, weighted in this order by bm25 (title above lead above body).
SEARCH_COLUMNS = ("search_title", "search_lead", "search_body")
SEARCH_WEIGHTS = (10.0, 4.0, 1.0)


class ArchiveError(RuntimeError):
    """The archive cannot be opened or written (read-only, full disk, newer schema)."""


class ArchiveWriteError(ArchiveError):
    """The storage under the archive refuses writes: ``reason`` is ``disk-full``,
    ``read-only`` or ``io-error``. Retrying cannot help until a person acts, so a
    crawl stops at the first one (see ``StoragePipeline``) instead of failing every item."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


class ArchiveDamaged(ArchiveWriteError):
    """The archive file is corrupt (``PRAGMA quick_check`` fails): restore it from a backup."""

    def __init__(self, path: str | os.PathLike, found: str):
        super().__init__(
            f"archive {path} is damaged (PRAGMA quick_check: {found}); nothing more is read or written. "
            "Restore it from a backup, or recover what is readable with `sqlite3 FILE .recover`", "damaged")


class ArchiveBusy(ArchiveWriteError):
    """Another process holds the archive's write lock for longer than ``busy_timeout`` (a
    ``newsarchive reindex`` rebuilding the index): waiting more is the only remedy."""

    def __init__(self, message: str):
        super().__init__(message, "busy")


def quick_check(path: str | os.PathLike) -> str | None:
    """None when ``PRAGMA quick_check`` finds the file at ``path`` sound, else what it found.

    A damaged page makes queries fail with a bare ``sqlite3.DatabaseError`` at the first
    read that touches it (or, for a page no query reads, never); this finds it up front.
    A file that cannot be checked here (locked, or not openable: a read-only file system
    without its WAL index) is not called damaged: opening it for real says what it is."""
    immutable = "&immutable=1" if _read_only_fs(Path(path)) else ""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro{immutable}", uri=True, timeout=30)
        try:
            rows = [row[0] for row in conn.execute("PRAGMA quick_check(5)").fetchall()]
        finally:
            conn.close()
    except sqlite3.OperationalError as error:
        return str(error) if "malformed" in str(error) or "decode to UTF-8" in str(error) else None
    except sqlite3.DatabaseError as error:
        return str(error)
    return None if rows == ["ok"] else "; ".join(" ".join(row.split()) for row in rows)


def damaged_archive(path: str | os.PathLike | None, error: Exception) -> ArchiveDamaged | None:
    """An :class:`ArchiveDamaged` naming the damage when ``error`` came from a corrupt file
    at ``path``, else None (the error is something else: a bug, a lock, a full disk)."""
    # A lock, a full disk or a missing table is an OperationalError; damage is a plain DatabaseError,
    # or text that is not UTF-8 (the archive only ever writes UTF-8).
    if not isinstance(error, sqlite3.DatabaseError) or (
            isinstance(error, sqlite3.OperationalError)
            and "malformed" not in str(error) and "decode to UTF-8" not in str(error)):
        return None
    found = quick_check(resolve_db_path(path))
    return ArchiveDamaged(resolve_db_path(path), found) if found else None


def _read_only_fs(path: Path) -> bool:
    """True when the file system holding ``path`` (or its folder) is mounted read-only."""
    for candidate in (path, path.parent):
        try:
            return bool(os.statvfs(candidate).f_flag & os.ST_RDONLY)
        except OSError:
            continue
    return False


def storage_error(path: Path, error: sqlite3.Error) -> ArchiveWriteError | None:
    """``error`` as an :class:`ArchiveWriteError` with a message a person can act on, when it
    comes from the storage (full, read-only, I/O, damaged, locked by another process for
    longer than ``busy_timeout``); None for anything else (a bug, a constraint).

    SQLite says "unable to open database file" both for a missing folder and for a
    read-only file system (WAL needs its ``-shm`` file), so the file system is asked too.
    """
    name = getattr(error, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_FULL"):
        return ArchiveWriteError(f"the disk holding archive {path} is full ({error}); "
                                 "free space and run again", "disk-full")
    if name.startswith("SQLITE_READONLY") or (name.startswith("SQLITE_CANTOPEN") and _read_only_fs(path)):
        where = "is on a read-only file system" if _read_only_fs(path) else "is read-only"
        return ArchiveWriteError(f"archive {path} {where} ({error}); nothing can be stored", "read-only")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return ArchiveDamaged(path, quick_check(path) or str(error))
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return ArchiveBusy(f"archive {path} stayed locked by another process (a `newsarchive reindex`?) "
                           f"for longer than the 30 s this process waits ({error}); run again when it has ended")
    if name.startswith("SQLITE_IOERR"):
        return ArchiveWriteError(f"cannot write archive {path}: I/O error ({error})", "io-error")
    return None


class _ProbeDone(Exception):
    """Rolls back :meth:`Archive.probe_write`."""


def utc_now() -> str:
    """Now in UTC as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def resolve_db_path(path: str | os.PathLike | None = None) -> Path:
    """The archive path: the argument, else ``$NEWSARCHIVE_DB``, else ``archive.db``."""
    return Path(path or os.environ.get("NEWSARCHIVE_DB") or DEFAULT_DB)


def article_id(url: str) -> str:
    """A stable id from the first canonical URL an article was stored under."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def content_hash(article: dict[str, Any]) -> str:
    """SHA-256 over the content columns; equal hashes mean an unchanged article."""
    joined = "\x1f".join(article.get(column) or "" for column in CONTENT_COLUMNS)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


# --- schema and migrations --------------------------------------------------


def _migration_1(db: sqlite_utils.Database) -> None:
    """The first layout: articles, aliases, versions, crawl runs, FTS5 index."""
    db["articles"].create(
        {
            "id": str, "source": str, "url": str,
            "title": str, "lead": str, "body": str,
            "authors": str, "categories": str, "tags": str,
            "image_url": str, "page_type": str, "sponsored": int,
            "published_at": str, "published_jalali": str, "published_precision": str,
            "published_display": str, "modified_at": str,
            "first_seen_at": str, "last_fetched_at": str, "content_hash": str,
            "field_sources": str, "notes": str,
            "search_title": str, "search_lead": str, "search_body": str,
        },
        pk="id",
        not_null={"source", "url", "title", "body", "published_at", "content_hash"},
    )
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["source", "published_at"])
    db["article_aliases"].create(
        {"url": str, "article_id": str, "first_seen_at": str},
        pk="url", foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_versions"].create(
        {
            "id": int, "article_id": str, "title": str, "lead": str, "body": str,
            "content_hash": str, "fetched_at": str, "replaced_at": str,
        },
        pk="id", foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_versions"].create_index(["article_id"])
    db["crawl_runs"].create(
        {
            "id": int, "spider": str, "started_at": str, "finished_at": str, "status": str, "pid": int,
            "requests": int, "articles_new": int, "articles_updated": int, "articles_unchanged": int,
            "responses": str, "dropped": str, "coverage": str, "stats": str,
        },
        pk="id",
    )
    db["crawl_runs"].create_index(["spider", "status"])
    # Discovery documents (sitemaps) and the lastmod seen on the last finished run.
    db["discovery_state"].create({"url": str, "lastmod": str, "checked_at": str}, pk="url")
    # Article URLs that answered 404/410, so scheduled runs do not ask again and again.
    db["gone_urls"].create({"url": str, "status": int, "seen_at": str}, pk="url")
    db["articles"].enable_fts(list(SEARCH_COLUMNS), fts_version="FTS5", create_triggers=True)


def _migration_2(db: sqlite_utils.Database) -> None:
    """``captures``: every response recorded in a WARC file (see :mod:`newsarchive.warc`)."""
    db["captures"].create(
        {
            "id": int, "url": str, "source": str, "kind": str, "fetched_at": str, "status": int,
            "content_type": str, "location": str, "payload_digest": str, "record_type": str,
            "warc_file": str, "warc_offset": int, "warc_length": int, "run_id": int, "meta": str,
        },
        pk="id",
    )
    db["captures"].create_index(["url", "fetched_at"])
    db["captures"].create_index(["payload_digest"])
    db["captures"].create_index(["source", "kind", "fetched_at"])


def search_forms(title: str | None, lead: str | None, body: str | None, tags: Iterable[str] = (),
                 categories: Iterable[str] = ()) -> dict[str, str]:
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


def _rebuild_search_index(db: sqlite_utils.Database, *, batch_size: int = 2000,
                          progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Recompute every row's search columns and rebuild ``articles_fts`` from them.

    Runs inside the caller's transaction. The sync triggers are dropped while the
    columns are rewritten (a rebuild follows, so per-row index updates would be
    wasted work) and created again, with the same SQL, before it returns.
    """
    triggers = [
        (name, sql) for name, sql in db.execute(
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
            "from articles where rowid > ? order by rowid limit ?", [last, batch_size],
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
    """Search columns in the layout of issue 12: the spaced-ZWNJ appendix now also holds
    every number in Persian digits (raw ``۱۵`` queries find ``15``). Rows are kept; only
    the search columns and the FTS index are rewritten."""
    _rebuild_search_index(db)


def _migration_4(db: sqlite_utils.Database) -> None:
    """``crawl_runs.problems``: why a run is ``degraded`` or ``failed`` (JSON list, see
    :mod:`newsarchive.health`)."""
    db["crawl_runs"].add_column("problems", str)


def _migration_5(db: sqlite_utils.Database) -> None:
    """``template_blocks``: how many articles of each source carried each short paragraph
    (see :mod:`newsarchive.templates`); ``crawl_runs.boilerplate``: blocks removed per rule."""
    db["template_blocks"].create(
        {"source": str, "block": str, "text": str, "articles": int, "first_seen_at": str, "last_seen_at": str},
        pk=("source", "block"),
    )
    db["crawl_runs"].add_column("boilerplate", str)


#: Migrations in order; the archive's ``PRAGMA user_version`` counts those applied.
MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _migration_1, _migration_2, _migration_3, _migration_4, _migration_5)
SCHEMA_VERSION = len(MIGRATIONS)


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

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


#: The ``articles`` columns an export reads (not the search forms).
EXPORT_COLUMNS = (
    "id", "source", "url", "title", "lead", "body", "authors", "categories", "tags", "image_url",
    "page_type", "sponsored", "published_at", "published_jalali", "published_precision",
    "published_display", "modified_at", "first_seen_at", "last_fetched_at", "content_hash",
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


class Archive:
    """An open archive. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | os.PathLike | None = None, *, readonly: bool = False):
        self.path = resolve_db_path(path)
        try:
            if readonly:
                if not self.path.exists():
                    raise ArchiveError(f"no archive at {self.path}")
                # On a read-only file system SQLite cannot make the WAL's -shm file; nobody can
                # write there either, so the file may be read as immutable (searches, runs still
                # work). Transactions still only in a -wal file left there are not seen.
                immutable = "&immutable=1" if _read_only_fs(self.path) else ""
                conn = sqlite3.connect(f"file:{self.path}?mode=ro{immutable}", uri=True, timeout=30)
            else:
                conn = sqlite3.connect(self.path, timeout=30)
            self.db = sqlite_utils.Database(conn)
            self.db.execute("PRAGMA busy_timeout = 30000")
            if not readonly:
                self.db.execute("PRAGMA journal_mode = WAL")
                self.db.execute("PRAGMA synchronous = NORMAL")
                self.db.execute("PRAGMA foreign_keys = ON")
                self.migrate()
            elif self.schema_version() > SCHEMA_VERSION:
                raise ArchiveError(self._too_new_message())
        except sqlite3.Error as error:
            if readonly and getattr(error, "sqlite_errorname", "") == "SQLITE_READONLY_ROLLBACK":
                # A process died mid-transaction before the archive was in WAL mode (its first
                # moments): a read-only connection may not roll the -journal back. Not a read-only archive.
                raise ArchiveError(
                    f"archive {self.path} holds a transaction of a process that died (its -journal file); "
                    "the next crawl, or any command that writes, rolls it back") from error
            raise storage_error(self.path, error) or ArchiveError(f"cannot open archive {self.path}: {error}") from error

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction, started with ``BEGIN IMMEDIATE``.

        A plain ``BEGIN`` takes the write lock only at the first write; if
        another process (a second spider, an ingester) wrote in between, SQLite
        fails at once with "database is locked" instead of waiting. Taking the
        lock up front lets ``busy_timeout`` make concurrent writers wait their
        turn. Nested blocks become savepoints.

        A full disk, a read-only file system or an I/O error raises
        :class:`ArchiveWriteError` after the rollback: the transaction left no
        trace, and the caller gets a message instead of a bare ``sqlite3`` error.
        """
        if self.db.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self.db.conn.in_transaction:
                    self.db.conn.execute("ROLLBACK")
                raise
            self.db.conn.execute("COMMIT")
        except sqlite3.Error as error:
            if self.db.conn.in_transaction:  # a failed COMMIT leaves the transaction open
                self.db.conn.execute("ROLLBACK")
            problem = storage_error(self.path, error)
            if problem is None:
                raise
            raise problem from error

    def probe_write(self) -> None:
        """Raise :class:`ArchiveWriteError` unless the archive takes writes: rewrites the
        schema version with its own value and rolls back, so nothing changes. A file that
        only its owner may write, opened by root, is writable; root is refused only by a
        read-only file system, which is the case this sees."""
        with contextlib.suppress(_ProbeDone), self.write():
            self.db.execute(f"PRAGMA user_version = {self.schema_version()}")
            raise _ProbeDone

    # --- schema ---------------------------------------------------------

    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

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

    # --- articles -------------------------------------------------------

    def find_article(self, url: str) -> dict[str, Any] | None:
        """The article stored under ``url`` or one of its aliases."""
        rows = self.db.query(
            "select * from articles where url = :url union all "
            "select articles.* from article_aliases join articles on articles.id = article_aliases.article_id "
            "where article_aliases.url = :url limit 1",
            {"url": url},
        )
        return next(iter(rows), None)

    def save_article(self, article: dict[str, Any], *, fetched_at: str | None = None, refresh: bool = False) -> str:
        """:meth:`store_article`'s outcome alone."""
        return self.store_article(article, fetched_at=fetched_at, refresh=refresh)[0]

    def store_article(self, article: dict[str, Any], *, fetched_at: str | None = None,
                      refresh: bool = False) -> tuple[str, str | None]:
        """Insert or update one article in a single transaction; returns the outcome and, when
        the page's ``rel=canonical`` was not trusted, the URL it named (else None).

        Returns ``"new"``, ``"updated"`` (content changed: the previous content
        is kept in ``article_versions``) or ``"unchanged"`` (only
        ``last_fetched_at`` moves). The article is found by its URL or any alias,
        so a redirected or re-canonicalized URL never makes a second row.

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
            rejected = self._rejected_canonical(article)
            if rejected:
                article = {
                    **article, "url": article["fetched_url"],
                    "aliases": [url for url in article.get("aliases") or [] if url not in (rejected, article["fetched_url"])],
                    "notes": [*(article.get("notes") or []),
                              f"rel=canonical names {rejected}, another article archived with other content; "
                              "stored under this page's own URL"],
                }
                self.db.execute("delete from article_aliases where url = ?", [article["url"]])
            return self._upsert(article, fetched_at, refresh), rejected

    def _rejected_canonical(self, article: dict[str, Any]) -> str | None:
        """The canonical URL an article claims, when an article with other content is archived under it."""
        own = article.get("fetched_url")
        if not own or own == article["url"]:
            return None
        claimed = next(iter(self.db.query("select content_hash from articles where url = ?", [article["url"]])), None)
        if claimed is None or claimed["content_hash"] == content_hash(article):
            return None
        return article["url"]

    def _upsert(self, article: dict[str, Any], fetched_at: str, refresh: bool) -> str:
        """The body of :meth:`store_article`, inside its transaction."""
        urls = [article["url"], *(article.get("aliases") or [])]
        record = self._record(article)
        existing = next(filter(None, (self.find_article(url) for url in urls)), None)
        if existing is None:
            record.update(id=article_id(article["url"]), first_seen_at=fetched_at, last_fetched_at=fetched_at)
            self.db["articles"].insert(record)
            outcome, target = "new", record["id"]
            self._count_template_blocks(article.get("source"), article.get("template_blocks") or {}, fetched_at)
        else:
            target = existing["id"]
            if existing["content_hash"] == record["content_hash"]:
                changes = {"last_fetched_at": fetched_at}
                outcome = "unchanged"
                corrected = {
                    key: value for key, value in record.items()
                    if key != "url" and existing.get(key) != value and not (key == "modified_at" and value is None)
                } if refresh else {}
                if corrected:
                    changes.update(corrected)
                    outcome = "updated"
            else:
                self.db["article_versions"].insert(
                    {
                        "article_id": target,
                        **{c: existing[c] for c in CONTENT_COLUMNS},
                        "content_hash": existing["content_hash"],
                        "fetched_at": existing["last_fetched_at"],
                        "replaced_at": fetched_at,
                    }
                )
                record.pop("url")  # the first canonical URL stays the row's URL
                changes = {**record, "last_fetched_at": fetched_at}
                changes["modified_at"] = record.get("modified_at") or fetched_at
                outcome = "updated"
            self.db["articles"].update(target, changes)
        row_url = existing["url"] if existing else article["url"]
        for url in urls:
            if url != row_url:
                self.db["article_aliases"].insert(
                    {"url": url, "article_id": target, "first_seen_at": fetched_at}, ignore=True
                )
        return outcome

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
        return {row["block"]: row["text"] for row in self.db.query(
            "select block, text from template_blocks where source = ? and articles >= ?", [source, min_articles])}

    def add_alias(self, alias: str, url: str) -> bool:
        """Record ``alias`` as another URL of the article stored under ``url``."""
        with self.write():
            target = self.find_article(url)
            if target is None or alias == target["url"]:
                return False
            self.db["article_aliases"].insert(
                {"url": alias, "article_id": target["id"], "first_seen_at": utc_now()}, ignore=True
            )
        return True

    def delete_article(self, url: str) -> bool:
        """Remove an article with its aliases and versions (e.g. a takedown request)."""
        with self.write():
            target = self.find_article(url)
            if target is None:
                return False
            for table in ("article_aliases", "article_versions"):
                self.db[table].delete_where("article_id = ?", [target["id"]])
            self.db["articles"].delete(target["id"])
        return True

    @staticmethod
    def _record(article: dict[str, Any]) -> dict[str, Any]:
        """The ``articles`` row for an item: JSON columns encoded, search forms added."""
        columns = {
            "source", "url", "title", "lead", "body", "authors", "categories", "tags", "image_url",
            "page_type", "sponsored", "published_at", "published_jalali", "published_precision",
            "published_display", "modified_at", "field_sources", "notes",
        }
        record = {key: article.get(key) for key in columns}
        for key in JSON_COLUMNS:
            if key in record:
                record[key] = json.dumps(record[key] or ([] if key != "field_sources" else {}), ensure_ascii=False)
        record["sponsored"] = int(bool(record["sponsored"]))
        record["content_hash"] = content_hash(article)
        record.update(search_forms(article.get("title"), article.get("lead"), article.get("body"),
                                   article.get("tags") or [], article.get("categories") or []))
        return record

    def articles(self, where: str | None = None, params: dict | None = None) -> Iterator[dict[str, Any]]:
        """Rows of ``articles`` ordered by ``published_at`` then ``url``."""
        sql = "select * from articles" + (f" where {where}" if where else "") + " order by published_at, url"
        yield from self.db.query(sql, params or {})

    def count(self) -> int:
        return self.db["articles"].count

    # --- search ---------------------------------------------------------

    def search(
        self, query: str, *, limit: int = 20, sources: Iterable[str] = (), since: str | None = None,
        until: str | None = None, categories: Iterable[str] = (), tags: Iterable[str] = (),
        marks: tuple[str, str] = ("[", "]"), snippet_words: int = 24,
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
        is after ``until``.
        """
        problem = query_problem(query)
        if problem:
            raise QueryError(problem)
        limit = int(limit)
        if limit < 1:
            raise QueryError(f"--limit must be 1 or more (got {limit})")
        try:
            start, end = day_range(since, until)
        except ValueError as error:
            raise QueryError(str(error)) from None
        filters = ArticleFilter(
            sources=tuple(sources or ()), categories=tuple(categories or ()), tags=tuple(tags or ()),
            since=start and start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            until=end and end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        where, params = self._filter_sql(filters)
        weights = ", ".join(str(w) for w in SEARCH_WEIGHTS)
        # Rank first, then read the top rows: text columns read for every match would go
        # through the sorter (2-3x slower for common words).
        matches = (
            f"select articles_fts.rowid, bm25(articles_fts, {weights}) as rank from articles_fts "
            + (f"join articles on articles.rowid = articles_fts.rowid where articles_fts match :expression "
               f"{where.replace(' where ', ' and ', 1)}" if where else "where articles_fts match :expression")
        )
        sql = f"""
            with top as ({matches} order by rank limit :limit)
            select articles.id, articles.source, articles.url, articles.title, articles.lead, articles.body,
                   articles.published_at, articles.published_jalali, top.rank
            from top join articles on articles.rowid = top.rowid
            order by top.rank
        """
        params.update(expression=fts_query(query), limit=limit)
        highlighter = Highlighter(parse_query(query))
        hits = []
        for row in self.db.query(sql, params):
            text = snippet((row.pop("body"), row.pop("lead"), row["title"]), highlighter,
                           words=snippet_words, marks=marks)
            hits.append(SearchHit(**row, snippet=text))
        return hits

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

    # --- crawl runs -----------------------------------------------------

    def start_run(self, spider: str) -> int:
        with self.write():
            return self.db["crawl_runs"].insert(
                {"spider": spider, "started_at": utc_now(), "status": RunStatus.RUNNING, "pid": os.getpid()}
            ).last_pk

    def finish_run(self, run_id: int, status: str, summary: dict[str, Any], stats: dict[str, Any]) -> None:
        """Complete a run: ``summary`` fills the count columns (JSON for dicts and lists, e.g.
        ``problems``), ``stats`` is kept whole."""
        columns = {
            key: json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict | list) else value
            for key, value in summary.items()
        }
        with self.write():
            self.db["crawl_runs"].update(
                run_id,
                {
                    **columns,
                    "finished_at": utc_now(),
                    "status": status,
                    "stats": json.dumps(stats, ensure_ascii=False, sort_keys=True, default=str),
                },
            )

    def progress_run(self, run_id: int, summary: dict[str, Any], stats: dict[str, Any]) -> None:
        """A run's counts so far, the run still ``running`` (``newsarchive ingest`` writes them
        in the transaction of each batch: its state survives a kill with the articles)."""
        columns = {
            key: json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict) else value
            for key, value in summary.items()
        }
        with self.write():
            self.db["crawl_runs"].update(run_id, {
                **columns, "status": RunStatus.RUNNING,
                "stats": json.dumps(stats, ensure_ascii=False, sort_keys=True, default=str),
            })

    def mark_run(self, run_id: int, status: str, problems: list[dict[str, Any]]) -> None:
        """Set only a run's status, end time and problems: the smallest write that says why a
        run failed, for when :meth:`finish_run` with its stats blob no longer fits on the disk."""
        with self.write():
            self.db["crawl_runs"].update(run_id, {"finished_at": utc_now(), "status": status,
                                                  "problems": json.dumps(problems, ensure_ascii=False)})

    def last_run_completed(self, spider: str, before: str) -> bool:
        """Whether the latest run of ``spider`` started before ``before`` (UTC ISO) went to its
        end (``finished`` or ``degraded``), rather than being killed, failing part-way or
        still showing ``running`` (a dead process not marked yet)."""
        row = next(iter(self.db.query(
            "select status from crawl_runs where spider = ? and started_at < ? order by id desc limit 1",
            [spider, before])), None)
        return row is not None and row["status"] in RunStatus.COMPLETED

    def mark_killed_runs(self, spider: str) -> int:
        """Runs of ``spider`` still marked running belong to dead processes: mark them killed.

        Only call this while holding the spider's run lock (see ``newsarchive.runlock``).
        """
        with self.write():
            cursor = self.db.execute(
                "update crawl_runs set status = ? where spider = ? and status = ?",
                [RunStatus.KILLED, spider, RunStatus.RUNNING]
            )
        return cursor.rowcount

    # --- incremental crawling ---------------------------------------------

    def fetch_record(self, url: str) -> dict[str, Any] | None:
        """What the refresh rule needs to know of ``url``: ``first_seen_at``,
        ``last_fetched_at`` and ``published_at`` of its article (by URL or alias), or,
        for a URL that answered 404/410, ``gone`` with both times the time it did."""
        rows = self.db.query(
            "select first_seen_at, last_fetched_at, published_at, 0 as gone from articles where url = :url union all "
            "select a.first_seen_at, a.last_fetched_at, a.published_at, 0 "
            "from article_aliases l join articles a on a.id = l.article_id where l.url = :url union all "
            "select seen_at, seen_at, null, 1 from gone_urls where url = :url limit 1",
            {"url": url},
        )
        return next(iter(rows), None)

    def record_gone(self, url: str, status: int) -> None:
        """Remember that ``url`` answered ``status`` (404/410); a stored article stays as it is."""
        with self.write():
            self.db["gone_urls"].upsert({"url": url, "status": status, "seen_at": utc_now()}, pk="url")

    def discovery_lastmod(self, url: str) -> str | None:
        """The ``lastmod`` a sitemap had when a finished run last read it."""
        row = next(iter(self.db.query("select lastmod from discovery_state where url = ?", [url])), None)
        return row["lastmod"] if row else None

    def remember_discovery(self, lastmods: dict[str, str]) -> None:
        """Record sitemaps read by a finished run, so unchanged ones are skipped next time."""
        now = utc_now()
        with self.write():
            self.db["discovery_state"].upsert_all(
                [{"url": url, "lastmod": lastmod, "checked_at": now} for url, lastmod in lastmods.items()], pk="url"
            )

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        return list(self.db.query("select * from crawl_runs order by id desc limit :limit", {"limit": limit}))

    def stats(self) -> dict[str, Any]:
        """Articles per source with their date range, and the last crawl run."""
        per_source = list(
            self.db.query(
                "select source, count(*) as articles, min(published_at) as oldest, "
                "max(published_at) as newest, max(last_fetched_at) as last_fetched "
                "from articles group by source order by source"
            )
        )
        last = next(iter(self.runs(1)), None)
        return {"path": str(self.path), "schema_version": self.schema_version(), "sources": per_source, "last_run": last}

    def integrity_check(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]

    def damage(self) -> str | None:
        """None when the file is sound, else what ``PRAGMA quick_check`` found (see :func:`quick_check`)."""
        return quick_check(self.path)

    # --- captures (newsarchive.warc) ----------------------------------------

    def add_captures(self, rows: list[dict[str, Any]]) -> None:
        """Index WARC records: one ``captures`` row per response or revisit record."""
        with self.write():
            self.db["captures"].insert_all(rows)

    def capture_of_payload(self, url: str, digest: str) -> dict[str, Any] | None:
        """The latest ``response`` record of ``url`` with this payload digest (what a revisit refers to)."""
        rows = self.db.query(
            "select * from captures where url = ? and payload_digest = ? and record_type = 'response' "
            "order by fetched_at desc limit 1", [url, digest],
        )
        return next(iter(rows), None)

    def latest_capture(self, url: str) -> dict[str, Any] | None:
        """The latest capture of ``url``, whatever it was (a redirect, an error, a page)."""
        rows = self.db.query("select * from captures where url = ? order by fetched_at desc, id desc limit 1", [url])
        return next(iter(rows), None)

    def latest_captures(self, *, kind: str = "article", sources: Iterable[str] = (), since: str | None = None,
                        until: str | None = None, urls: Iterable[str] = ()) -> list[dict[str, Any]]:
        """The latest capture of each URL requested as ``kind``, ordered by time.

        ``since``/``until`` bound ``fetched_at`` (WARC dates; since inclusive, until
        exclusive) before the latest is taken; ``sources`` and ``urls`` narrow it.
        """
        clauses, params = ["kind = :kind"], {"kind": kind}
        for column, values in (("source", list(sources)), ("url", list(urls))):
            if values:
                names = {f"{column}{n}": value for n, value in enumerate(values)}
                params.update(names)
                clauses.append(f"{column} in ({', '.join(':' + name for name in names)})")
        if since:
            clauses.append("fetched_at >= :since")
            params["since"] = since
        if until:
            clauses.append("fetched_at < :until")
            params["until"] = until
        where = " and ".join(clauses)
        sql = (
            f"select * from (select *, row_number() over (partition by url order by fetched_at desc, id desc) as n "
            f"from captures where {where}) where n = 1 order by fetched_at, url"
        )
        return [{k: v for k, v in row.items() if k != "n"} for row in self.db.query(sql, params)]

    # --- export (newsarchive.export) --------------------------------------

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
        """`` where ...`` (or ``""``) and its parameters. Nothing is kept between calls: a
        query is matched inside each statement that uses it (SQLite runs the subquery once)."""
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
                clauses.append("articles.rowid in (select rowid from articles_fts where articles_fts match :match)")
                params["match"] = expression
        return (" where " + " and ".join(clauses) if clauses else ""), params

    def export_summary(self, filters: ArticleFilter | None = None) -> dict[str, Any]:
        """``articles``, ``first`` and ``last`` ``published_at`` of the filtered articles."""
        where, params = self._filter_sql(filters)
        sql = f"select count(*) as articles, min(published_at) as first, max(published_at) as last from articles{where}"
        return next(iter(self.db.query(sql, params)))

    def iter_export_keys(self, filters: ArticleFilter | None = None, *, batch_size: int = 512
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

    def export_rows(self, rowids: list[int], *, columns: Iterable[str] | None = None,
                    with_versions: bool = False) -> list[dict[str, Any]]:
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
        rows = {row.pop("_rowid"): row for row in self.db.query(
            f"select {selected} from articles where rowid in ({marks})", rowids
        )}
        return [rows[rowid] for rowid in rowids]

    def iter_export_rows(
        self, filters: ArticleFilter | None = None, *, columns: Iterable[str] | None = None,
        with_versions: bool = False, batch_size: int = 512,
    ) -> Iterator[dict[str, Any]]:
        """Filtered rows in export order, streamed from one snapshot: whole rows are
        read by rowid, ``batch_size`` at a time (see :meth:`iter_export_keys`)."""
        for batch in self.iter_export_keys(filters, batch_size=batch_size):
            yield from self.export_rows([key[0] for key in batch], columns=columns, with_versions=with_versions)

    def data_version(self) -> int:
        """Changes when another connection commits (``PRAGMA data_version``)."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    def monthly_counts(self, filters: ArticleFilter | None = None, *, calendar: str = "gregorian") -> list[dict[str, Any]]:
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

    def bulk_insert(self, articles: Iterable[dict[str, Any]], *, fetched_at: str | None = None,
                    batch_size: int = 1000) -> int:
        """Insert many *new* articles fast, in one transaction (benchmarks, imports).

        Rows are built as :meth:`save_article` builds them (ids, JSON columns, search
        forms; the FTS index follows through its triggers), but nothing is looked up:
        every URL must be new, and aliases and versions are not recorded.
        """
        fetched_at = fetched_at or utc_now()
        count = 0

        def records() -> Iterator[dict[str, Any]]:
            nonlocal count
            for article in articles:
                record = self._record(article)
                record.update(id=article_id(article["url"]), first_seen_at=fetched_at, last_fetched_at=fetched_at)
                count += 1
                yield record

        with self.write():
            self.db["articles"].insert_all(records(), batch_size=batch_size)
        return count
