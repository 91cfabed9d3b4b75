"""Jalali year and month facets: the calendar a Persian reader counts in.

``published_jalali`` is stored as ``YYYY-MM-DD HH:MM`` (Tehran), so a year is its first
four characters and a month its first seven; selecting one filters the table with
``published_jalali__startswith=1403-02``. Newest first, months labelled with their
Persian names. Configured like Datasette's own facets: ``{"jalali_month":
"published_jalali"}`` in the metadata or ``?_facet_jalali_month=published_jalali``.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import jdatetime
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args


class JalaliFacet(Facet):
    """Counts by the first ``width`` characters of a Jalali date column."""

    width = 0

    def label(self, value: str) -> str:
        return value

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        columns = await self.get_columns(self.sql, self.params)
        pairs = urllib.parse.parse_qsl(self.request.query_string, keep_blank_values=True)
        size = self.get_facet_size()
        for config in self.get_configs():
            column = config["config"].get("column") or config["config"]["simple"]
            if column not in columns:
                continue
            prefix = f"substr({escape_sqlite(column)}, 1, {self.width})"
            try:
                rows = await self.ds.execute(
                    self.database,
                    f"select {prefix} as value, count(*) as count from ({self.sql}) "
                    f"where length({escape_sqlite(column)}) >= {self.width} "
                    f"group by value order by value desc limit {size + 1}",
                    self.params,
                    truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )
            except QueryInterrupted:
                timed_out.append(column)
                continue
            lookup = f"{column}__startswith"
            values = []
            for row in rows.rows[:size]:
                selected = (lookup, row["value"]) in pairs
                change = path_with_removed_args if selected else path_with_added_args
                values.append(
                    {
                        "value": row["value"],
                        "label": self.label(row["value"]),
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(
                            self.request, self.ds.urls.path(change(self.request, {lookup: row["value"]}))
                        ),
                        "selected": selected,
                    }
                )
            results.append(
                {
                    "name": column,
                    "type": self.type,
                    "hideable": config["source"] != "metadata",
                    "toggle_url": self.ds.urls.path(
                        path_with_removed_args(self.request, {f"_facet_{self.type}": column})
                    ),
                    "results": values,
                    "truncated": len(rows.rows) > size,
                }
            )
        return results, timed_out


class JalaliYearFacet(JalaliFacet):
    type = "jalali_year"
    width = 4


class JalaliMonthFacet(JalaliFacet):
    type = "jalali_month"
    width = 7

    def label(self, value: str) -> str:
        """``اردیبهشت 1403`` for ``1403-02``, as a reader names a month (the value filters)."""
        month = int(value[5:7]) if value[5:7].isdigit() else 0
        names = jdatetime.date.j_months_fa
        return f"{names[month - 1]} {value[:4]}" if 1 <= month <= len(names) else value
