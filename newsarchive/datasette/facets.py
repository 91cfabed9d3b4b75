"""Jalali year and month facets (the calendar a Persian reader counts in) and the story facet.

``published_jalali`` is stored as ``YYYY-MM-DD HH:MM`` (Tehran), so a year is its first
four characters and a month its first seven; selecting one filters the table with
``published_jalali__startswith=1403-02``. Newest first, months labelled with their
Persian names. Configured like Datasette's own facets: ``{"jalali_month":
"published_jalali"}`` in the metadata or ``?_facet_jalali_month=published_jalali``.

The story facet (``{"story": "story_id"}``) lists the stories with copies among the rows,
the largest first, by their titles: the same news on several sites, one click away.
:class:`GroupFacet` is what they share: a count per group, a filter per selected value.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import jdatetime
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args


class GroupFacet(Facet):
    """Counts of the table's rows grouped by an expression of a column; selecting a value
    filters the table with ``column__lookup=value``. Subclasses say how to group, which
    groups to keep, their order, the lookup and the labels."""

    #: The filter a selected value adds (``startswith``, ``exact``).
    lookup = "exact"

    def grouping(self, column: str) -> tuple[str, str, str]:
        """(value expression, where, having-and-order) of the facet's query for ``column``."""
        raise NotImplementedError

    async def labels(self, values: list[Any]) -> dict[Any, str]:
        """A reader's label of each value (the value itself when missing)."""
        return {}

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
            value, where, tail = self.grouping(escape_sqlite(column))
            try:
                rows = await self.ds.execute(
                    self.database,
                    f"select {value} as value, count(*) as count from ({self.sql}) "
                    f"where {where} group by value {tail} limit {size + 1}",
                    self.params,
                    truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )
            except QueryInterrupted:
                timed_out.append(column)
                continue
            lookup = f"{column}__{self.lookup}"
            shown = rows.rows[:size]
            labels = await self.labels([row["value"] for row in shown])
            values = []
            for row in shown:
                selected = (lookup, row["value"]) in pairs
                change = path_with_removed_args if selected else path_with_added_args
                values.append(
                    {
                        "value": row["value"],
                        "label": labels.get(row["value"]) or row["value"],
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


class JalaliFacet(GroupFacet):
    """Counts by the first ``width`` characters of a Jalali date column."""

    width = 0
    lookup = "startswith"

    def label(self, value: str) -> str:
        return value

    def grouping(self, column: str) -> tuple[str, str, str]:
        return (
            f"substr({column}, 1, {self.width})",
            f"length({column}) >= {self.width}",
            "order by value desc",
        )

    async def labels(self, values: list[Any]) -> dict[Any, str]:
        return {value: self.label(value) for value in values}


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


class StoryFacet(GroupFacet):
    """The stories with copies among the table's rows, the largest first, labelled with their
    titles; selecting one filters the table with ``story_id__exact=``. Configured as
    ``{"story": "story_id"}``."""

    type = "story"

    def grouping(self, column: str) -> tuple[str, str, str]:
        return column, f"{column} is not null", "having count(*) > 1 order by count desc, value"

    async def labels(self, values: list[Any]) -> dict[Any, str]:
        if not values:
            return {}
        marks = ", ".join("?" for _ in values)
        rows = await self.ds.execute(
            self.database, f"select id, title from stories where id in ({marks})", values
        )
        return {row["id"]: row["title"] for row in rows}
