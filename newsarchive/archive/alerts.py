"""What was alerted, so an unchanged problem is not announced again every hour.

One row per site and rule (``coverage/lead``, ``blocked``...) with when it was last
sent and by which run; :mod:`newsarchive.monitors` asks it before sending.
It also reads back the verdict a run recorded (:func:`recorded_run`).
Functions over an open :class:`~newsarchive.archive.Archive` (its ``db`` and ``write``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from newsarchive.archive.schema import utc_now

if TYPE_CHECKING:
    from newsarchive.archive import Archive


def alerted_since(archive: Archive, site: str, rules: Iterable[str], since: str) -> set[str]:
    """The ``rules`` of ``site`` alerted at ``since`` (UTC, ISO) or later."""
    wanted = list(rules)
    if not wanted:
        return set()
    marks = ", ".join("?" for _ in wanted)
    rows = archive.db.execute(
        f"select rule from alerts_sent where site = ? and sent_at >= ? and rule in ({marks})",
        [site, since, *wanted],
    ).fetchall()
    return {rule for (rule,) in rows}


def remember_alerts(archive: Archive, site: str, rules: Iterable[str], run_id: int | None) -> None:
    """Mark ``rules`` of ``site`` alerted now, by ``run_id``."""
    now = utc_now()
    with archive.write():
        archive.db.table("alerts_sent").upsert_all(
            [{"site": site, "rule": rule, "sent_at": now, "run_id": run_id} for rule in rules],
            pk=("site", "rule"),
        )


def recorded_run(archive: Archive, run_id: int) -> dict[str, Any] | None:
    """The status and problems (decoded) that the run extension recorded for ``run_id``."""
    row = archive.db.execute(
        "select spider, status, problems from crawl_runs where id = ?", [run_id]
    ).fetchone()
    if row is None:
        return None
    spider, status, problems = row
    return {"id": run_id, "site": spider, "status": status, "problems": json.loads(problems or "[]")}
