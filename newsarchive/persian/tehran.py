"""Iran's clock and calendar: the Tehran time zone and Jalali <-> Gregorian day conversion.

Every date the archive reads is either a Tehran wall time or a Jalali day, so these few
helpers sit under the whole date layer (reading dates, choosing one, day bounds of
``--since``/``--until``) and under the tests and benchmarks that build expected values.
Tehran time comes from the ``tzdata`` package through `zoneinfo`, never a fixed offset:
the zone was +04:30 in summers up to 2022 and is +03:30 all year from 1402 (2023).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

import jdatetime

TEHRAN = ZoneInfo("Asia/Tehran")


@lru_cache(maxsize=8192)
def jalali_to_gregorian(year: int, month: int, day: int) -> date:
    """Gregorian date of a Jalali date; ValueError if the Jalali date does not exist.

    Cached because a crawl meets the same few dates again and again, and jdatetime builds
    and validates an object (locale lookup included) on every call.
    """
    gregorian: date = jdatetime.date(year, month, day).togregorian()
    return gregorian


@lru_cache(maxsize=8192)
def gregorian_to_jalali(day: date) -> tuple[int, int, int]:
    """(year, month, day) of the Jalali date for a Gregorian date; cached like the reverse."""
    jalali = jdatetime.date.fromgregorian(date=day)
    return jalali.year, jalali.month, jalali.day


def tehran_to_utc(day: date, clock: time | None) -> datetime:
    """UTC instant of a Tehran wall time; fold=0 gives the documented DST rules."""
    return datetime.combine(day, clock or time(), tzinfo=TEHRAN).astimezone(UTC)
