"""Crawl runs and what a crawl remembers between them.

``crawl_runs`` (a run's status, counts and stats), the URLs that answered 404/410
(``gone_urls``) and the sitemaps' last ``lastmod`` (``discovery_state``): what the
refresh rule and scheduled runs read so that unchanged pages are not asked again.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import sqlite_utils

from newsarchive.archive.schema import utc_now
from newsarchive.outcomes import RunStatus

if TYPE_CHECKING:
    from contextlib import AbstractContextManager


class RunsMixin:
    """Crawl runs and incremental-crawl state in an open archive."""

    db: sqlite_utils.Database

    if TYPE_CHECKING:

        def write(self) -> AbstractContextManager[None]: ...

    def start_run(self, spider: str) -> int:
        with self.write():
            run = self.db.table("crawl_runs").insert(
                {"spider": spider, "started_at": utc_now(), "status": RunStatus.RUNNING, "pid": os.getpid()}
            )
        # sqlite-utils types last_pk ``Any | None`` (None before any insert); after inserting
        # one row into this rowid table it is the new row's integer id.
        assert isinstance(run.last_pk, int)
        return run.last_pk

    def finish_run(self, run_id: int, status: str, summary: dict[str, Any], stats: dict[str, Any]) -> None:
        """Complete a run: ``summary`` fills the count columns (JSON for dicts and lists, e.g.
        ``problems``), ``stats`` is kept whole."""
        columns = {
            key: json.dumps(value, ensure_ascii=False, sort_keys=True)
            if isinstance(value, dict | list)
            else value
            for key, value in summary.items()
        }
        with self.write():
            self.db.table("crawl_runs").update(
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
            self.db.table("crawl_runs").update(
                run_id,
                {
                    **columns,
                    "status": RunStatus.RUNNING,
                    "stats": json.dumps(stats, ensure_ascii=False, sort_keys=True, default=str),
                },
            )

    def mark_run(self, run_id: int, status: str, problems: list[dict[str, Any]]) -> None:
        """Set only a run's status, end time and problems: the smallest write that says why a
        run failed, for when :meth:`finish_run` with its stats blob no longer fits on the disk."""
        with self.write():
            self.db.table("crawl_runs").update(
                run_id,
                {
                    "finished_at": utc_now(),
                    "status": status,
                    "problems": json.dumps(problems, ensure_ascii=False),
                },
            )

    def last_run_completed(self, spider: str, before: str) -> bool:
        """Whether the latest run of ``spider`` started before ``before`` (UTC ISO) went to its
        end (``finished`` or ``degraded``), rather than being killed, failing part-way or
        still showing ``running`` (a dead process not marked yet)."""
        row = next(
            iter(
                self.db.query(
                    "select status from crawl_runs where spider = ? and started_at < ? order by id desc limit 1",
                    [spider, before],
                )
            ),
            None,
        )
        return row is not None and row["status"] in RunStatus.COMPLETED

    def mark_killed_runs(self, spider: str) -> int:
        """Runs of ``spider`` still marked running belong to dead processes: mark them killed.

        Only call this while holding the spider's run lock (see ``newsarchive.runlock``).
        """
        with self.write():
            cursor = self.db.execute(
                "update crawl_runs set status = ? where spider = ? and status = ?",
                [RunStatus.KILLED, spider, RunStatus.RUNNING],
            )
        return cursor.rowcount

    # --- incremental crawling ---------------------------------------------

    def fetch_record(self, url: str) -> dict[str, Any] | None:
        """What the refresh rule needs to know of ``url``: ``first_seen_at``,
        ``last_fetched_at`` and ``published_at`` of its article (by URL or alias); for a
        URL deleted on request, ``tombstoned`` (never fetched again until restored); for
        a URL that answered 404/410, ``gone`` with both times the time it did."""
        rows = self.db.query(
            "select first_seen_at, last_fetched_at, published_at, 0 as gone, 0 as tombstoned "
            "from articles where url = :url union all "
            "select a.first_seen_at, a.last_fetched_at, a.published_at, 0, 0 "
            "from article_aliases l join articles a on a.id = l.article_id where l.url = :url union all "
            "select deleted_at, deleted_at, null, 1, 1 from tombstones where url = :url union all "
            "select seen_at, seen_at, null, 1, 0 from gone_urls where url = :url limit 1",
            {"url": url},
        )
        return next(iter(rows), None)

    def record_gone(self, url: str, status: int) -> None:
        """Remember that ``url`` answered ``status`` (404/410); a stored article stays as it is."""
        with self.write():
            self.db.table("gone_urls").upsert({"url": url, "status": status, "seen_at": utc_now()}, pk="url")

    def discovery_lastmod(self, url: str) -> str | None:
        """The ``lastmod`` a sitemap had when a finished run last read it."""
        row = next(iter(self.db.query("select lastmod from discovery_state where url = ?", [url])), None)
        return row["lastmod"] if row else None

    def remember_discovery(self, lastmods: dict[str, str]) -> None:
        """Record sitemaps read by a finished run, so unchanged ones are skipped next time."""
        now = utc_now()
        with self.write():
            self.db.table("discovery_state").upsert_all(
                [{"url": url, "lastmod": lastmod, "checked_at": now} for url, lastmod in lastmods.items()],
                pk="url",
            )

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        return list(self.db.query("select * from crawl_runs order by id desc limit :limit", {"limit": limit}))

    def site_coverage(self) -> list[dict[str, Any]]:
        """Per site, the field coverage of its last run that stored articles.

        One record per spider: ``run`` (its id), ``finished_at``, ``status``, ``articles``,
        ``fields`` (field: share of stored articles that have it) and ``layers`` (field:
        {layer: count}: which extraction path produced it). A weak site entry, or a
        redesign that sent fields to the fallback layers, shows here at once.
        """
        rows = self.db.query(
            """
            select id, spider, finished_at, status, coverage from crawl_runs
            where id in (
                select max(id) from crawl_runs
                where coverage is not null and json_extract(coverage, '$.articles') > 0
                group by spider
            )
            order by spider
            """
        )
        sites = []
        for row in rows:
            coverage = json.loads(row["coverage"])
            sites.append(
                {
                    "site": row["spider"],
                    "run": row["id"],
                    "finished_at": row["finished_at"],
                    "status": row["status"],
                    "articles": coverage.get("articles", 0),
                    "fields": coverage.get("fields") or {},
                    "layers": coverage.get("layers") or {},
                }
            )
        return sites
