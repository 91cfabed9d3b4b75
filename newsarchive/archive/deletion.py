"""Deleting articles on request (takedowns), and the tombstones that keep them out.

A deletion (:meth:`DeletionMixin.delete_articles`, ``newsarchive delete``) is one
transaction that removes everything in the archive holding the article's text or
pointing at its stored responses:

* the ``articles`` row, and with it its ``articles_fts`` entry (the delete trigger);
* its earlier versions (``article_versions``) and its other URLs (``article_aliases``);
* the ``captures`` rows of each of its URLs: the index through which newsarchive reaches a
  stored response (``reparse``, revisits, the captures listed in Datasette);
* its place in a story (:mod:`.stories`): its pairs, its signature and band keys, and its
  ``story_id`` (the story's row is rewritten, and the story splits when this article was
  the only link between its parts; a story of this article alone is gone);
* its share of ``template_blocks``: the counts its body added go down by one, so a short
  paragraph that only this article carried (the row holds its text) is gone, and shared
  template lines keep an honest count.

It keeps:

* one ``tombstones`` row per URL of the article (URL, article id, source, time, reason, no
  text), so that no crawl, ``reparse``, ``ingest`` or ``bulk_insert`` stores it again
  (:meth:`ArticlesMixin.store_article` answers :data:`TOMBSTONED`) until
  :meth:`DeletionMixin.restore_articles` lifts the tombstones;
* ``gone_urls``, ``discovery_state`` and ``crawl_runs``: what crawls did, URLs and counts,
  no article text;
* the WARC files. They are append-only records outside the archive's SQL (``newsarchive
  replay`` reads them directly); a deletion names the files that hold captures of the
  article (:attr:`ArticleDeletion.warc_files`) so that an operator who must purge the
  raw responses too knows which files to rewrite or remove.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlite_utils

from newsarchive.archive.schema import utc_now
from newsarchive.archive.vocabulary import check_names
from newsarchive.templates import template_blocks

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

#: :meth:`store_article`'s outcome for an article whose URL (or id) is tombstoned: not stored.
TOMBSTONED = "tombstoned"


class NotInArchive(ValueError):
    """A deletion or restore named URLs (:attr:`names`) that no article or tombstone has; nothing changed."""

    def __init__(self, message: str, names: Sequence[str]):
        super().__init__(message)
        self.names = list(names)


@dataclass(frozen=True)
class ArticleDeletion:
    """One article a deletion removed (or, in a dry run, would remove)."""

    id: str
    url: str
    source: str
    title: str
    #: Every URL of the article, its own first: each gets a tombstone.
    urls: tuple[str, ...]
    versions: int
    captures: int
    #: The WARC files that still hold captures of its URLs (the archive only drops their index).
    warc_files: tuple[str, ...]


@dataclass
class Deletion:
    """What :meth:`DeletionMixin.delete_articles` did: the articles, and the URLs asked for that
    were deleted before (their tombstones, unchanged)."""

    articles: list[ArticleDeletion] = field(default_factory=list)
    already_deleted: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


class DeletionMixin:
    """Deleting articles, their tombstones, and lifting them (see the module docstring)."""

    db: sqlite_utils.Database

    if TYPE_CHECKING:

        def write(self) -> AbstractContextManager[None]: ...

        def find_article(self, url: str) -> dict[str, Any] | None: ...

        def _leave_story(self, article_id: str) -> None: ...

    # --- deleting -------------------------------------------------------

    def delete_articles(
        self,
        urls: Iterable[str] = (),
        *,
        sources: Iterable[str] = (),
        reason: str | None = None,
        dry_run: bool = False,
    ) -> Deletion:
        """Delete the articles stored under ``urls`` (their own URL or any alias, as given or in
        canonical form) and every article of ``sources``, in one transaction; see the module
        docstring for what goes and what stays. ``reason`` is kept in the tombstones.

        A URL deleted before is reported in ``already_deleted`` (a takedown run twice is not an
        error). A URL that names neither an article nor a tombstone raises
        :class:`NotInArchive`, a source without articles
        :class:`~newsarchive.archive.vocabulary.UnknownNames`, and nothing is deleted: a typo
        in a list of URLs never passes for a takedown done. With ``dry_run`` nothing changes.
        """
        urls, sources = list(dict.fromkeys(urls)), list(dict.fromkeys(sources))
        with self.write():
            result = Deletion(dry_run=dry_run)
            targets: dict[str, dict[str, Any]] = {}
            missing = []
            for url in urls:
                found = self._resolve(url, self.find_article)
                if found is not None:
                    targets.setdefault(found["id"], found)
                elif (stone := self._resolve(url, self.tombstone)) is not None:
                    result.already_deleted.append({"asked": url, **stone})
                else:
                    missing.append(url)
            if missing:
                raise NotInArchive(
                    f"not in the archive (no article has this URL or alias): {', '.join(missing)}", missing
                )
            check_names(self, sources=sources)  # type: ignore[arg-type]  # self is an Archive
            for source in sources:
                for row in self.db.query("select * from articles where source = ? order by url", [source]):
                    targets.setdefault(row["id"], row)
            deleted_at = utc_now()
            for row in targets.values():
                result.articles.append(self._describe(row))
                if not dry_run:
                    self._delete(result.articles[-1], reason, deleted_at)
        return result

    def delete_article(self, url: str, reason: str | None = None) -> bool:
        """Delete the article stored under ``url`` (see :meth:`delete_articles`); False when
        there is none."""
        try:
            return bool(self.delete_articles([url], reason=reason).articles)
        except NotInArchive:
            return False

    @staticmethod
    def _resolve(url: str, look_up: Any) -> dict[str, Any] | None:
        """``look_up(url)``, else ``look_up`` of its canonical form (a URL copied from a browser
        or a feed: http, ``utm_*``, a trailing slash, other percent-encoding)."""
        # Imported here: w3lib loads ssl and http.client, which the archive's readers never need.
        from newsarchive.urls import canonical_url

        found: dict[str, Any] | None = look_up(url)
        if found is None and (canonical := canonical_url(url)) != url:
            found = look_up(canonical)
        return found

    def _describe(self, row: dict[str, Any]) -> ArticleDeletion:
        aliases = [
            alias["url"]
            for alias in self.db.query(
                "select url from article_aliases where article_id = ? order by url", [row["id"]]
            )
        ]
        urls = (row["url"], *aliases)
        versions = self.db.execute(
            "select count(*) from article_versions where article_id = ?", [row["id"]]
        ).fetchone()[0]
        captures = list(
            self.db.query(f"select warc_file from captures where url in ({_marks(urls)})", list(urls))
        )
        return ArticleDeletion(
            id=row["id"],
            url=row["url"],
            source=row["source"],
            title=row["title"],
            urls=urls,
            versions=versions,
            captures=len(captures),
            warc_files=tuple(sorted({c["warc_file"] for c in captures if c["warc_file"]})),
        )

    def _delete(self, article: ArticleDeletion, reason: str | None, deleted_at: str) -> None:
        """Remove one article and tombstone its URLs, inside the caller's transaction."""
        urls = list(article.urls)
        self.db.conn.executemany(
            "insert or replace into tombstones (url, article_id, source, deleted_at, reason) values (?, ?, ?, ?, ?)",
            [(url, article.id, article.source, deleted_at, reason) for url in urls],
        )
        self.db.execute(f"delete from captures where url in ({_marks(urls)})", urls)
        self._uncount_template_blocks(article)
        self._leave_story(article.id)
        self.db.execute("delete from article_aliases where article_id = ?", [article.id])
        self.db.execute("delete from article_versions where article_id = ?", [article.id])
        self.db.execute("delete from articles where id = ?", [article.id])

    def _uncount_template_blocks(self, article: ArticleDeletion) -> None:
        """Take back what the article added to ``template_blocks`` when it was new: one count for
        each short paragraph of its first body (the oldest version, else the current one). A
        paragraph the template pipeline had already removed is not in that body and keeps its
        count: it is a line many other articles carry."""
        first = (
            self.db.execute(
                "select body from article_versions where article_id = ? order by id limit 1 ", [article.id]
            ).fetchone()
            or self.db.execute("select body from articles where id = ?", [article.id]).fetchone()
        )
        keys = list(template_blocks(first[0]))
        if not keys:
            return
        params = [article.source, *keys]
        self.db.execute(
            f"update template_blocks set articles = articles - 1 where source = ? and block in ({_marks(keys)})",
            params,
        )
        self.db.execute("delete from template_blocks where source = ? and articles <= 0", [article.source])

    # --- tombstones -----------------------------------------------------

    def tombstone(self, url: str) -> dict[str, Any] | None:
        """The tombstone of ``url`` (exactly as stored), or None."""
        return next(iter(self.db.query("select * from tombstones where url = ?", [url])), None)

    def tombstone_sources(self) -> list[str]:
        """The sources of the tombstoned articles: what a restore by source can name."""
        return [row[0] for row in self.db.execute("select distinct source from tombstones order by source")]

    def _tombstoned(self, article: dict[str, Any], article_id: str) -> bool:
        """True when any URL of an item (canonical, fetched, aliases) or its id is tombstoned."""
        urls = [
            url
            for url in {article.get("url"), article.get("fetched_url"), *(article.get("aliases") or [])}
            if url
        ]
        row = self.db.execute(
            f"select 1 from tombstones where url in ({_marks(urls)}) or article_id = ? limit 1",
            [*urls, article_id],
        ).fetchone()
        return row is not None

    def restore_articles(
        self, urls: Iterable[str] = (), *, sources: Iterable[str] = (), dry_run: bool = False
    ) -> list[dict[str, Any]]:
        """Lift the tombstones of the articles deleted under ``urls`` (any of their URLs) and of
        every deleted article of ``sources``, in one transaction, so that the next crawl stores
        them again; returns the tombstones lifted. A URL without a tombstone raises
        :class:`NotInArchive`, a source without one
        :class:`~newsarchive.archive.vocabulary.UnknownNames`, and nothing changes; nor with
        ``dry_run``. The articles' text is not brought back: the deletion removed it."""
        urls, sources = list(dict.fromkeys(urls)), list(dict.fromkeys(sources))
        with self.write():
            ids: dict[str, None] = {}
            missing = []
            for url in urls:
                stone = self._resolve(url, self.tombstone)
                if stone is None:
                    missing.append(url)
                else:
                    ids[stone["article_id"]] = None
            if missing:
                raise NotInArchive(
                    f"no tombstone for {', '.join(missing)} (never deleted, or restored already)", missing
                )
            check_names(self, sources=sources, known_sources=self.tombstone_sources())  # type: ignore[arg-type]
            for source in sources:
                ids.update(
                    dict.fromkeys(
                        row["article_id"]
                        for row in self.db.query(
                            "select distinct article_id from tombstones where source = ?", [source]
                        )
                    )
                )
            chosen = list(ids)
            lifted = list(
                self.db.query(
                    f"select * from tombstones where article_id in ({_marks(chosen)}) order by article_id, url",
                    chosen,
                )
            )
            if not dry_run:
                self.db.execute(f"delete from tombstones where article_id in ({_marks(chosen)})", chosen)
        return lifted
