"""`parse_datetime`: one date read out of a string, and the refusal of a header's "today" line.

The front of the date layer. It strips and folds the text, refuses a site header's line
with today's date (the day the page was fetched, never the article's), tries the readers
of `newsarchive.persian.date_readers` in their order, rejects dates too far ahead, and
returns a `ParsedDate` in UTC, Tehran time and Jalali. The rules it follows are written
out once, in the docstring of `newsarchive.persian.dates`, where callers import it from.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newsarchive.persian.date_readers import READERS, read_plain_iso
from newsarchive.persian.date_types import DateParseError, ParsedDate, format_utc_iso
from newsarchive.persian.date_words import (
    CLOCK,
    DATE_WORD,
    DAY_FIRST,
    MONTH_DATE,
    TODAY,
    TODAY_LABEL,
    WEEKDAY,
    YEAR_FIRST,
)
from newsarchive.persian.tehran import TEHRAN, gregorian_to_jalali
from newsarchive.persian.text import fold

#: How far after ``now`` a date may lie: clock skew and scheduled posts fit in two days;
#: anything beyond that is a misread.
FUTURE_TOLERANCE = timedelta(days=2)


def parse_datetime(text: str, *, now: datetime | None = None) -> ParsedDate:
    """Read the one date in `text`; raise DateParseError if it holds no valid date.

    `now` (aware; default: the current time) anchors relative phrases and the
    future-date check. The docstring of `newsarchive.persian.dates` lists the rules.
    """
    now_utc = _as_utc_now(now)
    stripped = text.strip()
    if not stripped:
        raise DateParseError(text, "the text is empty")
    read = read_plain_iso(stripped)
    if read is None:
        folded = fold(stripped).strip()
        if TODAY in folded and _is_today_label(folded):
            raise DateParseError(
                text,
                "this is a site header's line with today's date (امروز: …), "
                "the day the page was fetched, not the article's date",
            )
        for reader in READERS:
            read = reader(text, folded, now_utc)
            if read is not None:
                break
        else:
            raise DateParseError(
                text,
                "no date found; expected a Jalali date such as '۲۳ مرداد ۱۴۰۱' or "
                "'۱۴۰۱/۰۵/۲۳', ISO 8601, RFC 822, or a relative date such as '۳ ساعت پیش'",
            )
    utc, precision, kind = read
    return _finish(text, utc, precision, kind, now_utc)


def is_todays_date_line(text: str, *, in_header: bool = False) -> bool:
    """True for a page header's "today" line, which must not be taken for an article's date.

    ``امروز: دوشنبه ۲ تير ۱۳۹۹`` and ``تاریخ امروز: ۱۴۰۳/۰۲/۱۵`` are such lines wherever
    they stand. A bare weekday + date with no time (``دوشنبه ۲ تير ۱۳۹۹``) is one only
    when the caller found it in the header (``in_header=True``): as an article's date line
    it is read normally. Never raises.
    """
    folded = fold(text)
    if TODAY in folded and _is_today_label(folded):
        return True
    return in_header and _is_bare_weekday_date(folded)


def _is_today_label(folded: str) -> bool:
    """``امروز``/``تاریخ امروز`` opening the line, then a weekday or a date (or ':' and a date)."""
    label = TODAY_LABEL.match(folded)
    if label is None:
        return False
    rest = label.end()
    if WEEKDAY.match(folded, rest) or _starts_with_date(folded, rest):
        return True
    labelled = bool(label[1]) or ":" in label[0] or DATE_WORD in label[0]
    return labelled and _has_date(folded[rest:])


def _is_bare_weekday_date(folded: str) -> bool:
    return WEEKDAY.search(folded) is not None and _has_date(folded) and CLOCK.search(folded) is None


def _starts_with_date(folded: str, pos: int) -> bool:
    return any(pattern.match(folded, pos) for pattern in (MONTH_DATE, YEAR_FIRST, DAY_FIRST))


def _has_date(folded: str) -> bool:
    return any(pattern.search(folded) for pattern in (MONTH_DATE, YEAR_FIRST, DAY_FIRST))


def _as_utc_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.utcoffset() is None:
        raise TypeError("now must be a timezone-aware datetime")
    return now.astimezone(UTC)


def _finish(text: str, utc: datetime, precision: str, kind: str, now_utc: datetime) -> ParsedDate:
    """Reject dates too far in the future and add the Tehran and Jalali forms."""
    if utc - now_utc > FUTURE_TOLERANCE:
        raise DateParseError(
            text,
            f"{format_utc_iso(utc)} is more than {FUTURE_TOLERANCE.days} days after now ({format_utc_iso(now_utc)})",
        )
    if utc.microsecond:
        utc = utc.replace(microsecond=0)
    local = utc.astimezone(TEHRAN)
    year, month, day = gregorian_to_jalali(local.date())
    if precision == "day":
        jalali = f"{year:04d}-{month:02d}-{day:02d}"
    else:
        jalali = f"{year:04d}-{month:02d}-{day:02d} {local.hour:02d}:{local.minute:02d}"
    return ParsedDate(utc=utc, local=local, jalali=jalali, precision=precision, kind=kind)
