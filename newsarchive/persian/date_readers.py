"""The readers of each written date form, and of the fields inside one (year, day, clock, zone).

`newsarchive.persian.date_parser` tries `READERS` in order on folded text (ASCII digits,
Latin lower-cased, single spaces): ISO 8601, RFC 822, Jalali with a month name, numeric
dates, then relative phrases. Each returns ``(utc, precision, kind)``, or None when its
form is absent; one that recognises its form but finds it invalid raises `DateParseError`
with the reason (a day that does not exist, a weekday or a day-period word that
contradicts the date, an impossible year), so that a misread is never stored silently.
The year constants below carry rules explained in the docstring of `newsarchive.persian.dates`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import jdatetime

from newsarchive.persian.date_types import DateParseError
from newsarchive.persian.date_words import (
    CLOCK,
    DAY_FIRST,
    DAY_PERIOD_PUNCTUATION,
    DAY_PERIODS,
    DAY_WORD,
    DAYS_BACK,
    ENGLISH_MONTHS,
    ENGLISH_WEEKDAYS,
    HALF,
    HOUR_WORD,
    ISO,
    JOMEH,
    MOMENTS_AGO,
    MONTH_DATE,
    MONTH_NAMES_EN,
    MONTHS,
    NUMBERS,
    RFC822,
    SHANBEH,
    UNITS,
    UNITS_AGO,
    WEEKDAY,
    WEEKDAY_NAMES_EN,
    WEEKDAY_NAMES_FA,
    WEEKDAYS,
    YEAR_FIRST,
)
from newsarchive.persian.tehran import TEHRAN, gregorian_to_jalali, jalali_to_gregorian, tehran_to_utc

#: Four-digit years read as Jalali in every form, ISO-shaped text included.
JALALI_YEARS = range(1300, 1501)
#: Earlier Gregorian years come from placeholders such as the Unix epoch, not from news.
FIRST_GREGORIAN_YEAR = 1990
#: A two-digit year up to this is 14yy, above it 13yy.
TWO_DIGIT_YEAR_PIVOT = 50

_PLAIN_ISO_DATE_LENGTH = len("2024-05-04")

#: What a reader found: (UTC instant, precision, kind).
Read = tuple[datetime, str, str]


def read_plain_iso(stripped: str) -> Read | None:
    """Fast path for ASCII ``YYYY-MM-DD[THH:MM[:SS][offset]]`` with a Gregorian year.

    The gate keeps fromisoformat's other forms (week dates, basic format) out; Jalali
    years and everything else fall through to the regex readers.
    """
    if not (len(stripped) >= 10 and stripped[4] == "-" and stripped[7] == "-" and stripped.isascii()):
        return None
    try:
        value = datetime.fromisoformat(stripped)
    except ValueError:
        return None
    if value.year < FIRST_GREGORIAN_YEAR:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=TEHRAN)
    precision = "day" if len(stripped) == _PLAIN_ISO_DATE_LENGTH else "minute"
    return value.astimezone(UTC), precision, "iso"


def _read_iso(text: str, folded: str, now_utc: datetime) -> Read | None:
    """ISO-shaped text the fast path left: Jalali years, Persian digits, ``2024-5-4``."""
    match = ISO.fullmatch(folded)
    if match is None:
        return None
    year = int(match[1])
    if _is_jalali_year(text, year):
        day, kind = _jalali_day(text, year, int(match[2]), int(match[3])), "jalali-numeric"
    else:
        day, kind = _gregorian_day(text, year, int(match[2]), int(match[3])), "iso"
    if match[4] is None:
        return tehran_to_utc(day, None), "day", kind
    clock = _clock(text, match[4], match[5], match[6])
    if match[7] is None:
        return tehran_to_utc(day, clock), "minute", kind
    moment = datetime.combine(day, clock, tzinfo=_fixed_offset(text, match[7]))
    return moment.astimezone(UTC), "minute", kind


def _read_rfc822(text: str, folded: str, now_utc: datetime) -> Read | None:
    """Feed dates: ``Tue, 23 Aug 2022 14:15:00 +0000`` (also GMT/UT/Z)."""
    match = RFC822.fullmatch(folded)
    if match is None:
        return None
    weekday, day_digits, month_name, year_digits, hour, minute, second, zone = match.groups()
    year = int(year_digits)
    if _is_jalali_year(text, year):
        raise DateParseError(text, f"RFC 822 dates are Gregorian, but {year} is a Jalali year")
    day = _gregorian_day(text, year, ENGLISH_MONTHS[month_name], int(day_digits))
    if weekday is not None and ENGLISH_WEEKDAYS.index(weekday) != day.weekday():
        raise DateParseError(
            text,
            f"weekday {weekday!r} contradicts the date {day.isoformat()}, "
            f"which is a {WEEKDAY_NAMES_EN[day.weekday()]}",
        )
    moment = datetime.combine(day, _clock(text, hour, minute, second), tzinfo=_fixed_offset(text, zone))
    return moment.astimezone(UTC), "minute", "rfc822"


def _read_jalali_text(text: str, folded: str, now_utc: datetime) -> Read | None:
    """Jalali dates with a month name: ``۱۷ مرداد ۹۷``, ``۱۷ مهر ماه ۱۳۹۷``, inside any line."""
    match = MONTH_DATE.search(folded)
    if match is None:
        return None
    day_digits, month_name, year_digits = match.groups()
    year = _jalali_year(text, year_digits)
    day = _jalali_day(text, year, MONTHS[month_name], int(day_digits))
    return _displayed(text, folded, match.end(), day, "jalali-text")


def _read_numeric(text: str, folded: str, now_utc: datetime) -> Read | None:
    """Numeric dates inside a line: year first (``۱۳۹۷/۰۵/۱۷``, ``97/05/17``) or day first."""
    match = YEAR_FIRST.search(folded)
    day_first = match is None
    if match is None:
        match = DAY_FIRST.search(folded)
        if match is None:
            return None
        day_digits, _, month_digits, year_digits = match.groups()
    else:
        year_digits, _, month_digits, day_digits = match.groups()
    month, day_number = int(month_digits), int(day_digits)
    if len(year_digits) == 2:
        year = _jalali_year(text, year_digits)
    else:
        year = int(year_digits)
        if not _is_jalali_year(text, year):
            if day_first:
                raise DateParseError(
                    text, f"{match[0]!r} is ambiguous: a Gregorian date written day/month or month/day"
                )
            day = _gregorian_day(text, year, month, day_number)
            return _displayed(text, folded, match.end(), day, "gregorian-numeric")
    return _displayed(text, folded, match.end(), _jalali_day(text, year, month, day_number), "jalali-numeric")


def _read_relative(text: str, folded: str, now_utc: datetime) -> Read | None:
    """``۳ ساعت پیش``, ``لحظاتی پیش``, ``دیروز ساعت ۱۸:۴۵``, resolved in Tehran time."""
    today = now_utc.astimezone(TEHRAN).date()
    match = UNITS_AGO.search(folded)
    if match is not None:
        amount_text, unit = match.groups()
        step, precision = UNITS[unit]
        if amount_text == HALF:
            if unit != HOUR_WORD:
                raise DateParseError(text, "'نیم' (half) is only read in 'نیم ساعت' (half an hour)")
            return _minute_floor(now_utc - step / 2), "minute", "relative"
        amount = NUMBERS[amount_text] if amount_text in NUMBERS else int(amount_text)
        if precision == "day":
            return tehran_to_utc(today - amount * step, None), "day", "relative"
        return _minute_floor(now_utc - amount * step), precision, "relative"
    if MOMENTS_AGO.search(folded) is not None:
        return _minute_floor(now_utc), "minute", "relative"
    match = DAY_WORD.search(folded)
    if match is not None:
        clock = _find_clock(text, folded, match.end())
        day = today - timedelta(days=DAYS_BACK[match[1]])
        return _at(day, clock), ("day" if clock is None else "minute"), "relative"
    return None


# Tried in this order on folded text. Each returns (utc, precision, kind), or None when its
# form is absent; one that recognises its form but finds it invalid raises DateParseError.
# Absolute forms come before relative words, which may also appear in a longer line.
READERS = (_read_iso, _read_rfc822, _read_jalali_text, _read_numeric, _read_relative)


def _displayed(text: str, folded: str, date_end: int, day: date, kind: str) -> Read:
    """Finish a displayed date: check a weekday if one is written, add the clock if any."""
    _check_weekday(text, folded, day)
    clock = _find_clock(text, folded, date_end)
    return _at(day, clock), ("day" if clock is None else "minute"), kind


def _check_weekday(text: str, folded: str, day: date) -> None:
    if (
        SHANBEH not in folded
        and JOMEH not in folded
        and "shanbe" not in folded
        and "jome" not in folded
        and "day" not in folded
    ):
        return  # a cheap test that spares most lines the regex
    match = WEEKDAY.search(folded)
    if match is None:
        return
    written = WEEKDAYS[match[1]]
    if written != day.weekday():
        year, month, day_of_month = gregorian_to_jalali(day)
        raise DateParseError(
            text,
            f"weekday {WEEKDAY_NAMES_FA[written]} ({WEEKDAY_NAMES_EN[written]}) contradicts "
            f"the date {year}/{month:02d}/{day_of_month:02d} ({day.isoformat()}), which is a "
            f"{WEEKDAY_NAMES_FA[day.weekday()]} ({WEEKDAY_NAMES_EN[day.weekday()]})",
        )


def _find_clock(text: str, folded: str, date_end: int) -> tuple[time, timezone | None] | None:
    """The clock time in the text and its zone if one is written; looked for after the
    date first, where sites put it."""
    match = CLOCK.search(folded, date_end) or CLOCK.search(folded)
    if match is None:
        return None
    hour, minute, second, zone, period = match.groups()
    return _clock(text, hour, minute, second, period), (None if zone is None else _fixed_offset(text, zone))


def _at(day: date, clock: tuple[time, timezone | None] | None) -> datetime:
    """UTC instant of a date and a found clock: Tehran wall time unless a zone was written."""
    if clock is None or clock[1] is None:
        return tehran_to_utc(day, None if clock is None else clock[0])
    return datetime.combine(day, clock[0], tzinfo=clock[1]).astimezone(UTC)


def _clock(text: str, hour: str, minute: str, second: str | None, period: str | None = None) -> time:
    h, m, s = int(hour), int(minute), int(second or 0)
    if h > 23 or m > 59 or s > 59:
        written = f"{hour}:{minute}" + (f":{second}" if second else "")
        raise DateParseError(text, f"invalid time {written}: hours run 0-23, minutes and seconds 0-59")
    if period is not None:
        h = _hour_in_period(text, h, f"{hour}:{minute}", period)
    return time(h, m, s)


def _hour_in_period(text: str, hour: int, written: str, period: str) -> int:
    """The 24-hour hour of `hour` followed by a day-period word; an error unless exactly one fits.

    0 and 13-23 are 24-hour already; 1-12 on a 12-hour clock stand for h or h+12 (12 for
    00 or 12), and the word's hours pick one. The words' hours never hold both.
    """
    meaning, hours = DAY_PERIODS[DAY_PERIOD_PUNCTUATION.sub("", period)]
    candidates = (hour,) if hour == 0 or hour > 12 else (hour % 12, hour % 12 + 12)
    fitting = [candidate for candidate in candidates if candidate in hours]
    if len(fitting) != 1:
        raise DateParseError(text, f"the time {written} does not fit {period!r} ({meaning})")
    return fitting[0]


def _fixed_offset(text: str, zone: str) -> timezone:
    """An explicit offset (``z``, ``gmt``, ``+03:30``, ``+0330``, ``-05``, ``gmt+3:30``) as a tzinfo."""
    if zone in ("z", "ut", "utc", "gmt"):
        return UTC
    zone = zone.removeprefix("gmt").removeprefix("utc").lstrip()
    body = zone[1:]
    if ":" in body:
        hours, minutes = map(int, body.split(":"))
    else:
        hours, minutes = (int(body[:-2]), int(body[-2:])) if len(body) > 2 else (int(body), 0)
    if hours > 23 or minutes > 59:
        raise DateParseError(text, f"invalid UTC offset {zone!r}")
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if zone[0] == "-" else offset)


def _is_jalali_year(text: str, year: int) -> bool:
    """True for Jalali years, False for plausible Gregorian ones; other years are errors."""
    if year in JALALI_YEARS:
        return True
    if year >= FIRST_GREGORIAN_YEAR:
        return False
    raise DateParseError(
        text,
        f"year {year} is neither Jalali ({JALALI_YEARS.start}-{JALALI_YEARS.stop - 1}) "
        f"nor Gregorian from {FIRST_GREGORIAN_YEAR} on",
    )


def _jalali_year(text: str, digits: str) -> int:
    """A year written next to a Jalali month or in a two-digit numeric date."""
    year = int(digits)
    if len(digits) == 2:
        return year + (1400 if year <= TWO_DIGIT_YEAR_PIVOT else 1300)
    if year not in JALALI_YEARS:
        raise DateParseError(
            text, f"year {year} is not a Jalali year ({JALALI_YEARS.start}-{JALALI_YEARS.stop - 1})"
        )
    return year


def _jalali_day(text: str, year: int, month: int, day: int) -> date:
    try:
        return jalali_to_gregorian(year, month, day)
    except ValueError:
        pass
    if not 1 <= month <= 12:
        reason = "months run 1-12"
    elif day < 1:
        reason = "days start at 1"
    elif month < 12:
        reason = f"{MONTH_NAMES_EN[month - 1]} has {jdatetime.j_days_in_month[month - 1]} days"
    elif jdatetime.date(year, 1, 1).isleap():
        reason = f"Esfand {year} has 30 days"
    else:
        reason = f"Esfand {year} has 29 days ({year} is not a leap year)"
    raise DateParseError(text, f"Jalali date {year}/{month:02d}/{day:02d} does not exist: {reason}")


def _gregorian_day(text: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError as error:
        raise DateParseError(text, f"date {year}-{month:02d}-{day:02d} does not exist: {error}") from None


def _minute_floor(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)
