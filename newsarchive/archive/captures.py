"""The index of WARC captures: one ``captures`` row per response or revisit record.

The records themselves live in WARC files (see :mod:`newsarchive.warc`); this index
says where each is (file, offset, length) so that a replay or a revisit finds it
without reading the files.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from typing import TYPE_CHECKING, Any

import sqlite_utils

if TYPE_CHECKING:
    from contextlib import AbstractContextManager


class CapturesMixin:
    """Writing and reading the captures index of an open archive."""

    db: sqlite_utils.Database

    if TYPE_CHECKING:

        def write(self) -> AbstractContextManager[None]: ...

    def add_captures(self, rows: list[dict[str, Any]]) -> None:
        """Index WARC records: one ``captures`` row per response or revisit record.

        Plain INSERTs, one statement per set of columns: sqlite-utils' ``insert_all`` reads
        the table's schema on every call, which cost a crawl more than its rows."""
        with self.write():
            for columns, group in groupby(rows, key=tuple):
                names = ", ".join(f"[{column}]" for column in columns)
                marks = ", ".join("?" for _ in columns)
                self.db.conn.executemany(
                    f"insert into captures ({names}) values ({marks})", [tuple(row.values()) for row in group]
                )

    def capture_of_payload(self, url: str, digest: str) -> dict[str, Any] | None:
        """The latest ``response`` record of ``url`` with this payload digest (what a revisit refers to)."""
        rows = self.db.query(
            "select * from captures where url = ? and payload_digest = ? and record_type = 'response' "
            "order by fetched_at desc limit 1",
            [url, digest],
        )
        return next(iter(rows), None)

    def latest_capture(self, url: str) -> dict[str, Any] | None:
        """The latest capture of ``url``, whatever it was (a redirect, an error, a page)."""
        rows = self.db.query(
            "select * from captures where url = ? order by fetched_at desc, id desc limit 1", [url]
        )
        return next(iter(rows), None)

    def latest_captures(
        self,
        *,
        kind: str = "article",
        sources: Iterable[str] = (),
        since: str | None = None,
        until: str | None = None,
        urls: Iterable[str] = (),
    ) -> list[dict[str, Any]]:
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
