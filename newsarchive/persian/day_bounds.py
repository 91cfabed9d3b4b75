"""Day bounds: the one meaning of ``--since`` and ``--until`` in every command and the spider.

A bound is a whole Tehran day, written in either calendar (``2024-03-20``, ``1403-01-01``,
``۱ فروردین ۱۴۰۳``), and both ends are included. Search, export, reparse and the crawl's
``since`` all call `day_range`, so the same words select the same articles everywhere.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from newsarchive.persian.date_parser import parse_datetime
from newsarchive.persian.date_types import DateParseError
from newsarchive.persian.tehran import tehran_to_utc


def day_range(
    since: str | None = None, until: str | None = None, *, now: datetime | None = None
) -> tuple[datetime | None, datetime | None]:
    """The UTC instants ``[start, end)`` of the whole Tehran days from `since` to `until`.

    The one meaning of every command's ``--since``/``--until`` (and the spider's ``since``):
    both days are included, so `until` ``1403-01-01`` ends at the start of 2 Farvardin.
    Each is a day in either calendar as `parse_datetime` reads it (``2024-03-20``,
    ``1403-01-01``, ``۱ فروردین ۱۴۰۳``, ``دیروز``); a day years ahead is a bound here, not
    a misread. A missing side is None (open). Raises ValueError naming the value that is
    not a day (a time is not: a bound is a whole day), or both when `since` is after `until`.
    """
    far_future = datetime(2999, 1, 1, tzinfo=UTC)

    def day_of(text: str) -> date:
        try:
            try:
                parsed = parse_datetime(text, now=now)
            except DateParseError:
                parsed = parse_datetime(text, now=far_future)
        except DateParseError as error:
            raise ValueError(
                f"{text!r} is not a date (try 2024-03-20 or 1403-01-01): {error.reason}"
            ) from None
        if parsed.precision != "day":
            raise ValueError(
                f"{text!r} is a time, not a day: bounds are whole Tehran days (try 2024-03-20 or 1403-01-01)"
            )
        return parsed.local.date()

    first = day_of(since) if since else None
    last = day_of(until) if until else None
    if first and last and first > last:
        raise ValueError(f"the first day {since!r} is after the last day {until!r}")
    return (
        tehran_to_utc(first, None) if first else None,
        tehran_to_utc(last + timedelta(days=1), None) if last else None,
    )
