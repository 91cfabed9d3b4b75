"""Read publication dates from Persian news pages: Jalali, ISO 8601, RFC 822 and relative forms.

`parse_datetime` reads one date out of a string and returns it as a `ParsedDate` (UTC,
Tehran local time and Jalali). It accepts what the crawl meets:

- displayed Jalali dates, alone or inside a longer line: ``۲۳ مرداد ۱۴۰۱ | ۱۸:۴۵``,
  ``چهارشنبه، ۱۷ مرداد ۱۳۹۷``, ``نوشته شده توسط زهرا ملکی | ۲۳ مرداد ۱۴۰۱ | ۱۸:۴۵``,
  with transliterated month names too: ``17 Mordad 1397``, ``29 Esfand 1399 - 14:05``;
- 12-hour clocks with a Persian or Latin marker: ``2 تير 1399 - 12:09:08 ب.ظ``;
- numeric Jalali: ``۱۳۹۷/۰۵/۱۷``, ``1397-5-17``, ``۱۷/۰۵/۱۳۹۷``, ``97/05/17``, also where a
  meta tag should hold ISO 8601: ``۱۳۹۹/۰۲/۲۱ - ۱۸:۵۹``, ``۱۳۹۹/۰۲/۲۱T۱۸:۵۹:۰۰Z``;
- machine-readable values from JSON-LD, meta tags, ``<time datetime>`` and feeds:
  ISO 8601 and RFC 822;
- relative phrases: ``۳ ساعت پیش``, ``نیم ساعت پیش``, ``دیروز ساعت ۱۸:۴۵``.

Input goes through `newsarchive.persian.text.fold` first, so Persian, Arabic-Indic and
Latin digits, Arabic yeh/kaf, and ZWNJ or space inside month and weekday names all read
the same way. Every name table below is folded with that same function.
`choose_published` picks one date from a page's displayed and machine-readable candidates.
`is_todays_date_line` tells a site header's "today" line from an article's date line.

Rules
-----
Time zone
    Wall-clock times are Iran time: ``ZoneInfo("Asia/Tehran")`` with tz data from the
    ``tzdata`` package, never a fixed offset. That zone is +04:30 in summers up to 2022
    and +03:30 all year from 1402 (2023).
Repeated hour (end of DST)
    2022-09-21 23:00–23:59 happened twice. It is read as the first occurrence, +04:30
    (``fold=0``), because that is what a site's clock showed before the switch:
    23:30 is 19:00Z.
Skipped hour (start of DST)
    2022-03-22 00:00–00:59 never happened. Such a time is read with the offset in force
    before the gap, +03:30. This is what zoneinfo does with ``fold=0``, and it moves the
    time forward by the gap: 00:30 is 2022-03-21T21:00Z, which ``local`` shows as
    01:30 +04:30.
ISO without an offset
    An ISO value without ``Z`` or an offset (``2024-05-04 10:15:00``) is Tehran wall time.
Jalali-looking years
    A four-digit year from 1300 to 1500 is Jalali in every form, ISO-shaped text
    included: ``1403-02-15T10:00:00+03:30`` is 15 Ordibehesht 1403, kind
    ``jalali-numeric``. Gregorian years must be 1990 or later; earlier ones come from
    placeholders such as the Unix epoch, not from news.
Two-digit years
    Always Jalali: ``yy <= 50`` means 14yy, otherwise 13yy. The rule is the same for
    ``۱۷ مرداد ۹۷`` and ``97/05/17``.
Numeric field order
    The four-digit field is the year, first or last (``۱۳۹۷/۰۵/۱۷``, ``۱۷/۰۵/۱۳۹۷``).
    When both outer fields have two digits the date is read year first. A day-first
    date with a Gregorian year (``04/05/2024``) is rejected: it could be day/month or
    month/day.
RFC 822
    Feed dates must carry their zone (``GMT``, ``UT``, ``Z`` or ``±hhmm``). A weekday
    that contradicts the date is an error, as in Persian text.
Future dates
    A date more than two days after ``now`` is an error. Clock skew and scheduled posts
    fit in two days; anything beyond that is a misread.
Precision
    ``minute`` when a clock time is known (seconds are kept if given, fractions
    dropped). ``hour`` for "N hours ago". ``day`` for a date alone, for "N days/weeks
    ago", and for "today"/"yesterday" without a time. A day-precision value stands for
    the start of that Tehran day: ``local`` is local midnight and ``utc`` its UTC
    equivalent. On 2 Farvardin 1401 (2022-03-22) midnight did not exist, so that day
    starts at 01:00 +04:30.
Relative dates
    These are resolved against ``now`` (default: the current time) in Tehran time, so
    "today" after 20:30Z is already the next UTC day. Minute and hour results are
    ``now`` minus the amount, with seconds dropped. Amounts are digits or the words
    یک to دوازده; ``نیم ساعت`` is 30 minutes; ``لحظاتی پیش`` and ``چند لحظه پیش`` are now.
Weekdays
    A weekday that contradicts the date is an error, not ignored. Persian, transliterated
    (``Doshanbeh``) and English (``Monday``) names are checked.
Transliterated month names
    Standard romanizations and a few common variants (``Farvardin``/``Farwardin``,
    ``Mordad``/``Amordad``, ``Dey``/``Dei``, ``Esfand``/``Isfand`` ...), any case. English
    ``day`` is not read as Dey, and misspellings are not guessed at.
12-hour clocks
    A day-period word right after the clock says which half of the day it is (CLDR ``fa``):
    ``ق.ظ``/``ق ظ``/``قبل‌ازظهر``/``am`` before noon, ``ب.ظ``/``ب ظ``/``بعدازظهر``/``pm``
    after noon; ``12:xx ق.ظ`` is 00:xx and ``12:xx ب.ظ`` is 12:xx. The flexible periods
    are read by their CLDR hours: ``بامداد`` and ``صبح`` morning, ``ظهر`` 12:xx, ``عصر``
    13:00-23:59, ``شب`` 19:00-23:59. A time that does not fit its word is an error
    (``۱۳:۰۵ ق.ظ``, ``۲:۳۰ شب``, ``۱۲:۳۰ صبح``), and so is ``نیمه‌شب``, which does not
    say which day's midnight it is. A 24-hour time with a word that agrees
    (``۱۳:۰۵ ب.ظ``) is read as written.
Zones after a clock
    ``Z``, ``UTC``, ``GMT`` or ``±hh:mm`` right after a displayed or numeric time is used,
    not dropped: ``۱۳۹۹/۰۲/۲۱T۱۸:۵۹:۰۰Z`` is 18:59Z. Without one the time is Tehran time.
The header's "today" line
    Iranian news sites print today's date in the page header: ``امروز: دوشنبه ۲ تير ۱۳۹۹``.
    It is the date the page was fetched, not the article's, so `parse_datetime` refuses
    any line that starts with ``امروز`` or ``تاریخ امروز`` followed by a weekday or a date,
    or labelled with a colon and holding a date. ``امروز ۱۲:۳۰`` (today at 12:30) is still
    a relative date. A bare weekday + date without a time (``دوشنبه ۲ تیر ۱۳۹۹``) is a
    header line only when it stands in the header, which the text alone cannot tell:
    only ``is_todays_date_line(text, in_header=True)`` says so, for the extraction to ask
    about date nodes it finds in a page header.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import jdatetime

from newsarchive.persian.text import fold

TEHRAN = ZoneInfo("Asia/Tehran")
JALALI_YEARS = range(1300, 1501)
FIRST_GREGORIAN_YEAR = 1990
TWO_DIGIT_YEAR_PIVOT = 50
FUTURE_TOLERANCE = timedelta(days=2)

_MONTH_SPELLINGS = {
    1: ("فروردین",),
    2: ("اردیبهشت",),
    3: ("خرداد",),
    4: ("تیر",),
    5: ("مرداد", "امرداد"),
    6: ("شهریور",),
    7: ("مهر",),
    8: ("آبان",),
    9: ("آذر",),
    10: ("دی",),
    11: ("بهمن",),
    12: ("اسفند",),
}
# Romanized names: standard forms (jdatetime, persiantools, CLDR) and common variants.
_MONTH_TRANSLITERATIONS = {
    1: ("Farvardin", "Farwardin"),
    2: ("Ordibehesht", "Ardibehesht"),
    3: ("Khordad",),
    4: ("Tir",),
    5: ("Mordad", "Amordad"),
    6: ("Shahrivar", "Shahriwar"),
    7: ("Mehr",),
    8: ("Aban",),
    9: ("Azar",),
    10: ("Dey", "Dei"),
    11: ("Bahman",),
    12: ("Esfand", "Isfand"),
}
# Keyed by Python's date.weekday() (Monday is 0). Spellings with ZWNJ and with a space:
# fold() removes the ZWNJ, which also covers the run-together spelling.
_WEEKDAY_SPELLINGS = {
    5: ("شنبه",),
    6: ("یک‌شنبه", "یک شنبه"),
    0: ("دوشنبه", "دو شنبه"),
    1: ("سه‌شنبه", "سه شنبه"),
    2: ("چهارشنبه", "چهار شنبه"),
    3: ("پنج‌شنبه", "پنج شنبه"),
    4: ("جمعه",),
}
# Transliterated (persiantools' spelling, with and without the final h) and English names.
_WEEKDAY_TRANSLITERATIONS = {
    5: ("Shanbeh", "Shanbe", "Saturday"),
    6: ("Yekshanbeh", "Yekshanbe", "Sunday"),
    0: ("Doshanbeh", "Doshanbe", "Monday"),
    1: ("Seshanbeh", "Seshanbe", "Tuesday"),
    2: ("Chaharshanbeh", "Chaharshanbe", "Wednesday"),
    3: ("Panjshanbeh", "Panjshanbe", "Thursday"),
    4: ("Jomeh", "Jome", "Friday"),
}
# Day-period words after a clock, keyed by their folded form without dots and spaces:
# (what they mean, the 24-hour hours they can stand for). Hours from CLDR ``fa``.
_DAY_PERIODS = {
    "قظ": ("before noon, 00:00-11:59", range(12)),
    "قبلازظهر": ("before noon, 00:00-11:59", range(12)),
    "am": ("before noon, 00:00-11:59", range(12)),
    "بظ": ("after noon, 12:00-23:59", range(12, 24)),
    "بعدازظهر": ("after noon, 12:00-23:59", range(12, 24)),
    "pm": ("after noon, 12:00-23:59", range(12, 24)),
    "بامداد": ("early morning, 00:00-11:59", range(12)),
    "صبح": ("morning, 01:00-11:59", range(1, 12)),
    "ظهر": ("noon, 12:00-12:59", range(12, 13)),
    "عصر": ("afternoon, 13:00-23:59", range(13, 24)),
    "شب": ("night, 19:00-23:59; after midnight is بامداد", range(19, 24)),
    "نیمهشب": ("midnight, but not which day's", range(0)),
}
# The same words as written in folded text: dots and a space or ZWNJ are optional.
_DAY_PERIOD = (
    r"ق\.?\s?ظ\.?|ب\.?\s?ظ\.?|قبل\s?از\s?ظهر|بعد\s?از\s?ظهر|a\.?\s?m\.?|p\.?\s?m\.?"
    r"|بامداد|صبح|ظهر|عصر|نیمه\s?شب|شب"
)
_DAY_PERIOD_PUNCTUATION = re.compile(r"[.\s]")
_NUMBER_WORDS = {
    "یک": 1,
    "دو": 2,
    "سه": 3,
    "چهار": 4,
    "پنج": 5,
    "شش": 6,
    "هفت": 7,
    "هشت": 8,
    "نه": 9,
    "ده": 10,
    "یازده": 11,
    "دوازده": 12,
}
# unit word -> (length of one unit, precision of "N units ago")
_UNIT_SPELLINGS = {
    "ثانیه": (timedelta(seconds=1), "minute"),
    "دقیقه": (timedelta(minutes=1), "minute"),
    "ساعت": (timedelta(hours=1), "hour"),
    "روز": (timedelta(days=1), "day"),
    "هفته": (timedelta(weeks=1), "day"),
}
_DAY_WORD_SPELLINGS = {"امروز": 0, "دیروز": 1, "پریروز": 2}
_MOMENT_SPELLINGS = ("لحظاتی", "چند لحظه", "لحظه‌ای", "لحظه ای")
_AGO_SPELLINGS = ("پیش", "قبل")
_HALF, _HOUR_WORD, _MONTH_WORD = fold("نیم"), fold("ساعت"), fold("ماه")

_ENGLISH_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_ENGLISH_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES_EN = (
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dey",
    "Bahman",
    "Esfand",
)


def _by_folded_spelling(spellings_by_value: dict) -> dict:
    """{value: spellings} -> {folded spelling: value}, to look up words of folded text."""
    return {
        fold(spelling): value for value, spellings in spellings_by_value.items() for spelling in spellings
    }


def _fold_keys(value_by_word: dict) -> dict:
    return {fold(word): value for word, value in value_by_word.items()}


def _alternation(spellings: Iterable[str]) -> str:
    """Regex alternation, longest first so that e.g. 'امرداد' wins over 'مرداد'."""
    return "|".join(re.escape(s) for s in sorted(set(spellings), key=len, reverse=True))


_MONTHS = _by_folded_spelling(_MONTH_SPELLINGS) | _by_folded_spelling(_MONTH_TRANSLITERATIONS)
_WEEKDAYS = _by_folded_spelling(_WEEKDAY_SPELLINGS) | _by_folded_spelling(_WEEKDAY_TRANSLITERATIONS)
_WEEKDAY_NAMES_FA = {number: spellings[0] for number, spellings in _WEEKDAY_SPELLINGS.items()}
_NUMBERS = _fold_keys(_NUMBER_WORDS)
_UNITS = _fold_keys(_UNIT_SPELLINGS)
_DAYS_BACK = _fold_keys(_DAY_WORD_SPELLINGS)
_AGO = _alternation(fold(word) for word in _AGO_SPELLINGS)

# All patterns run on folded text: ASCII digits, Latin lower-cased, single spaces.
_PLAIN_ISO_DATE_LENGTH = len("2024-05-04")
_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[t ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"\s*(z|utc|gmt|[+-]\d{2}(?::?\d{2})?)?)?"
)
_RFC822 = re.compile(
    r"(?:(mon|tue|wed|thu|fri|sat|sun)[a-z]*\s*,?\s*)?"
    r"(\d{1,2})\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{4})"
    r"\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(gmt|ut|utc|z|[+-]\d{4})"
)
_MONTH_DATE = re.compile(
    rf"(?<!\d)(\d{{1,2}})\s*({_alternation(_MONTHS)})(?:\s*{re.escape(_MONTH_WORD)})?"
    r"[\s,،]*(\d{4}|\d{2})(?![\d:])"
)
_YEAR_FIRST = re.compile(r"(?<![\d/.:-])(\d{4}|\d{2})([/.-])(\d{1,2})\2(\d{1,2})(?![\d/.:-])")
_DAY_FIRST = re.compile(r"(?<![\d/.:-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?![\d/.:-])")
# A clock, then an optional zone (``Z``, ``+03:30``, ``(GMT+3:30)``; never "-۱۷", the
# start of a date) and an optional day-period word (``ب.ظ``; never the start of a word).
_CLOCK = re.compile(
    r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?![\d:])"
    r"(?:\s*\(?((?:gmt|utc)\s*[+-]\d{1,2}(?::?\d{2})?|z|utc|gmt|[+-]\d{2}:?\d{2})(?![\w/.:+-])\)?)?"
    rf"(?:\s*({_DAY_PERIOD})(?!\w))?"
)
_WEEKDAY = re.compile(rf"(?<!\w)({_alternation(_WEEKDAYS)})(?!\w)")
# Every weekday name contains one of these; a cheap test before the regex.
_SHANBEH, _JOMEH = fold("شنبه"), fold("جمعه")
_TODAY, _DATE_WORD = fold("امروز"), fold("تاریخ")
# "امروز" or "تاریخ امروز" opening a line, and the punctuation after it.
_TODAY_LABEL = re.compile(rf"[\W_]*(?:{_DATE_WORD}\s*)?{_TODAY}(?!\w)\s*(:?)[\s:،,|\-–—]*")
_UNITS_AGO = re.compile(
    rf"(?<!\w)(\d{{1,4}}|{_alternation(_NUMBERS)}|{re.escape(_HALF)})\s*"
    rf"({_alternation(_UNITS)})\s*(?:{_AGO})(?!\w)"
)
_MOMENTS_AGO = re.compile(
    rf"(?<!\w)(?:{_alternation(fold(word) for word in _MOMENT_SPELLINGS)})\s*(?:{_AGO})(?!\w)"
)
_DAY_WORD = re.compile(rf"(?<!\w)({_alternation(_DAYS_BACK)})(?!\w)")


class DateParseError(ValueError):
    """The text holds no valid date. `text` is the input and `reason` says what was wrong."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(text, reason)
        self.text = text
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot read a date from {self.text!r}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """One instant read from a text, in UTC, in Tehran time and as a Jalali string.

    precision: ``minute``, ``hour`` or ``day``; for ``day``, ``local`` is the start of that
        Tehran day (local midnight) and ``utc`` its UTC equivalent.
    kind: the input form: ``jalali-text``, ``jalali-numeric``, ``gregorian-numeric``,
        ``iso``, ``rfc822`` or ``relative``.
    jalali: ``YYYY-MM-DD HH:MM`` in Tehran time, or ``YYYY-MM-DD`` for day precision.

    Compare and sort by ``utc``: under PEP 495, a ``local`` value in a repeated hour never
    compares equal to a datetime in another zone, even when it is the same instant.
    """

    utc: datetime
    local: datetime
    jalali: str
    precision: str
    kind: str

    @property
    def utc_iso(self) -> str:
        """UTC as ``YYYY-MM-DDTHH:MM:SSZ``."""
        return _utc_iso(self.utc)


@lru_cache(maxsize=8192)
def jalali_to_gregorian(year: int, month: int, day: int) -> date:
    """Gregorian date of a Jalali date; ValueError if the Jalali date does not exist.

    Cached because a crawl meets the same few dates again and again, and jdatetime builds
    and validates an object (locale lookup included) on every call.
    """
    return jdatetime.date(year, month, day).togregorian()


@lru_cache(maxsize=8192)
def gregorian_to_jalali(day: date) -> tuple[int, int, int]:
    """(year, month, day) of the Jalali date for a Gregorian date; cached like the reverse."""
    jalali = jdatetime.date.fromgregorian(date=day)
    return jalali.year, jalali.month, jalali.day


def parse_datetime(text: str, *, now: datetime | None = None) -> ParsedDate:
    """Read the one date in `text`; raise DateParseError if it holds no valid date.

    `now` (aware; default: the current time) anchors relative phrases and the
    future-date check. The module docstring lists the rules.
    """
    now_utc = _as_utc_now(now)
    stripped = text.strip()
    if not stripped:
        raise DateParseError(text, "the text is empty")
    read = _read_plain_iso(stripped)
    if read is None:
        folded = fold(stripped).strip()
        if _TODAY in folded and _is_today_label(folded):
            raise DateParseError(
                text,
                "this is a site header's line with today's date (امروز: …), "
                "the day the page was fetched, not the article's date",
            )
        for reader in _READERS:
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
    if _TODAY in folded and _is_today_label(folded):
        return True
    return in_header and _is_bare_weekday_date(folded)


def _is_today_label(folded: str) -> bool:
    """``امروز``/``تاریخ امروز`` opening the line, then a weekday or a date (or ':' and a date)."""
    label = _TODAY_LABEL.match(folded)
    if label is None:
        return False
    rest = label.end()
    if _WEEKDAY.match(folded, rest) or _starts_with_date(folded, rest):
        return True
    labelled = bool(label[1]) or ":" in label[0] or _DATE_WORD in label[0]
    return labelled and _has_date(folded[rest:])


def _is_bare_weekday_date(folded: str) -> bool:
    return _WEEKDAY.search(folded) is not None and _has_date(folded) and _CLOCK.search(folded) is None


def _starts_with_date(folded: str, pos: int) -> bool:
    return any(pattern.match(folded, pos) for pattern in (_MONTH_DATE, _YEAR_FIRST, _DAY_FIRST))


def _has_date(folded: str) -> bool:
    return any(pattern.search(folded) for pattern in (_MONTH_DATE, _YEAR_FIRST, _DAY_FIRST))


class DateChoice(NamedTuple):
    """The outcome of :func:`choose_published`."""

    date: ParsedDate | None
    source: str | None
    notes: list[str]


def choose_published(
    displayed: str | None,
    machine: list[tuple[str, str]],
    *,
    now: datetime | None = None,
) -> DateChoice:
    """Pick a page's publication date from its displayed date and machine-readable ones.

    `machine` holds (source, text) pairs in order of preference, e.g. ("jsonld", ...),
    ("meta", ...), ("time", ...), ("feed", ...). The displayed date is what readers see, so
    it decides the day; a machine date that agrees with it to the (Tehran) day is more
    exact (seconds, offset) and wins, unless it is coarser than the displayed one.
    Without a readable displayed date the first readable machine date wins. Returns
    a :class:`DateChoice` whose ``source`` names the winner (``"displayed"`` or a
    machine source); ``(None, None, notes)`` when nothing is readable. Notes record unreadable candidates and
    disagreements.
    """
    notes: list[str] = []
    shown = None
    if displayed is not None:
        try:
            shown = parse_datetime(displayed, now=now)
        except DateParseError as error:
            notes.append(f"unreadable displayed date: {displayed!r} ({error.reason})")
    readable: list[tuple[str, ParsedDate]] = []
    for source, text in machine:
        try:
            readable.append((source, parse_datetime(text, now=now)))
        except DateParseError as error:
            notes.append(f"unreadable {source} date: {text!r} ({error.reason})")
    if shown is None:
        if not readable:
            return DateChoice(None, None, notes)
        source, parsed = readable[0]
        return DateChoice(parsed, source, notes)

    chosen = chosen_source = None
    for source, parsed in readable:
        if parsed.local.date() != shown.local.date():
            notes.append(
                f"date sources disagree: displayed {shown.jalali} vs {source} "
                f"{parsed.utc_iso} ({parsed.jalali} Tehran)"
            )
        elif chosen is None and _PRECISION_RANK[parsed.precision] <= _PRECISION_RANK[shown.precision]:
            chosen, chosen_source = parsed, source
            if shown.precision == "minute" and _hh_mm(parsed.local) != _hh_mm(shown.local):
                notes.append(
                    f"displayed time {_hh_mm(shown.local)} differs from {source} "
                    f"{_hh_mm(parsed.local)} (Tehran); kept {source}"
                )
    if chosen is None:
        return DateChoice(shown, "displayed", notes)
    return DateChoice(chosen, chosen_source, notes)


_PRECISION_RANK = {"minute": 0, "hour": 1, "day": 2}


def _hh_mm(moment: datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _utc_iso(moment: datetime) -> str:
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


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
            f"{_utc_iso(utc)} is more than {FUTURE_TOLERANCE.days} days after now ({_utc_iso(now_utc)})",
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


def _tehran_to_utc(day: date, clock: time | None) -> datetime:
    """UTC instant of a Tehran wall time; fold=0 gives the documented DST rules."""
    return datetime.combine(day, clock or time(), tzinfo=TEHRAN).astimezone(UTC)


def _read_plain_iso(stripped: str) -> tuple[datetime, str, str] | None:
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


def _read_iso(text: str, folded: str, now_utc: datetime) -> tuple[datetime, str, str] | None:
    """ISO-shaped text the fast path left: Jalali years, Persian digits, ``2024-5-4``."""
    match = _ISO.fullmatch(folded)
    if match is None:
        return None
    year = int(match[1])
    if _is_jalali_year(text, year):
        day, kind = _jalali_day(text, year, int(match[2]), int(match[3])), "jalali-numeric"
    else:
        day, kind = _gregorian_day(text, year, int(match[2]), int(match[3])), "iso"
    if match[4] is None:
        return _tehran_to_utc(day, None), "day", kind
    clock = _clock(text, match[4], match[5], match[6])
    if match[7] is None:
        return _tehran_to_utc(day, clock), "minute", kind
    moment = datetime.combine(day, clock, tzinfo=_fixed_offset(text, match[7]))
    return moment.astimezone(UTC), "minute", kind


def _read_rfc822(text: str, folded: str, now_utc: datetime) -> tuple[datetime, str, str] | None:
    """Feed dates: ``Tue, 23 Aug 2022 14:15:00 +0000`` (also GMT/UT/Z)."""
    match = _RFC822.fullmatch(folded)
    if match is None:
        return None
    weekday, day_digits, month_name, year_digits, hour, minute, second, zone = match.groups()
    year = int(year_digits)
    if _is_jalali_year(text, year):
        raise DateParseError(text, f"RFC 822 dates are Gregorian, but {year} is a Jalali year")
    day = _gregorian_day(text, year, _ENGLISH_MONTHS[month_name], int(day_digits))
    if weekday is not None and _ENGLISH_WEEKDAYS.index(weekday) != day.weekday():
        raise DateParseError(
            text,
            f"weekday {weekday!r} contradicts the date {day.isoformat()}, "
            f"which is a {_WEEKDAY_NAMES_EN[day.weekday()]}",
        )
    moment = datetime.combine(day, _clock(text, hour, minute, second), tzinfo=_fixed_offset(text, zone))
    return moment.astimezone(UTC), "minute", "rfc822"


def _read_jalali_text(text: str, folded: str, now_utc: datetime) -> tuple[datetime, str, str] | None:
    """Jalali dates with a month name: ``۱۷ مرداد ۹۷``, ``۱۷ مهر ماه ۱۳۹۷``, inside any line."""
    match = _MONTH_DATE.search(folded)
    if match is None:
        return None
    day_digits, month_name, year_digits = match.groups()
    year = _jalali_year(text, year_digits)
    day = _jalali_day(text, year, _MONTHS[month_name], int(day_digits))
    return _displayed(text, folded, match.end(), day, "jalali-text")


def _read_numeric(text: str, folded: str, now_utc: datetime) -> tuple[datetime, str, str] | None:
    """Numeric dates inside a line: year first (``۱۳۹۷/۰۵/۱۷``, ``97/05/17``) or day first."""
    match = _YEAR_FIRST.search(folded)
    day_first = match is None
    if day_first:
        match = _DAY_FIRST.search(folded)
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


def _read_relative(text: str, folded: str, now_utc: datetime) -> tuple[datetime, str, str] | None:
    """``۳ ساعت پیش``, ``لحظاتی پیش``, ``دیروز ساعت ۱۸:۴۵``, resolved in Tehran time."""
    today = now_utc.astimezone(TEHRAN).date()
    match = _UNITS_AGO.search(folded)
    if match is not None:
        amount_text, unit = match.groups()
        step, precision = _UNITS[unit]
        if amount_text == _HALF:
            if unit != _HOUR_WORD:
                raise DateParseError(text, "'نیم' (half) is only read in 'نیم ساعت' (half an hour)")
            return _minute_floor(now_utc - step / 2), "minute", "relative"
        amount = _NUMBERS[amount_text] if amount_text in _NUMBERS else int(amount_text)
        if precision == "day":
            return _tehran_to_utc(today - amount * step, None), "day", "relative"
        return _minute_floor(now_utc - amount * step), precision, "relative"
    if _MOMENTS_AGO.search(folded) is not None:
        return _minute_floor(now_utc), "minute", "relative"
    match = _DAY_WORD.search(folded)
    if match is not None:
        clock = _find_clock(text, folded, match.end())
        day = today - timedelta(days=_DAYS_BACK[match[1]])
        return _at(day, clock), ("day" if clock is None else "minute"), "relative"
    return None


# Tried in this order on folded text. Each returns (utc, precision, kind), or None when its
# form is absent; one that recognises its form but finds it invalid raises DateParseError.
# Absolute forms come before relative words, which may also appear in a longer line.
_READERS = (_read_iso, _read_rfc822, _read_jalali_text, _read_numeric, _read_relative)


def _displayed(text: str, folded: str, date_end: int, day: date, kind: str) -> tuple[datetime, str, str]:
    """Finish a displayed date: check a weekday if one is written, add the clock if any."""
    _check_weekday(text, folded, day)
    clock = _find_clock(text, folded, date_end)
    return _at(day, clock), ("day" if clock is None else "minute"), kind


def _check_weekday(text: str, folded: str, day: date) -> None:
    if (
        _SHANBEH not in folded
        and _JOMEH not in folded
        and "shanbe" not in folded
        and "jome" not in folded
        and "day" not in folded
    ):
        return  # a cheap test that spares most lines the regex
    match = _WEEKDAY.search(folded)
    if match is None:
        return
    written = _WEEKDAYS[match[1]]
    if written != day.weekday():
        year, month, day_of_month = gregorian_to_jalali(day)
        raise DateParseError(
            text,
            f"weekday {_WEEKDAY_NAMES_FA[written]} ({_WEEKDAY_NAMES_EN[written]}) contradicts "
            f"the date {year}/{month:02d}/{day_of_month:02d} ({day.isoformat()}), which is a "
            f"{_WEEKDAY_NAMES_FA[day.weekday()]} ({_WEEKDAY_NAMES_EN[day.weekday()]})",
        )


def _find_clock(text: str, folded: str, date_end: int) -> tuple[time, timezone | None] | None:
    """The clock time in the text and its zone if one is written; looked for after the
    date first, where sites put it."""
    match = _CLOCK.search(folded, date_end) or _CLOCK.search(folded)
    if match is None:
        return None
    hour, minute, second, zone, period = match.groups()
    return _clock(text, hour, minute, second, period), (None if zone is None else _fixed_offset(text, zone))


def _at(day: date, clock: tuple[time, timezone | None] | None) -> datetime:
    """UTC instant of a date and a found clock: Tehran wall time unless a zone was written."""
    if clock is None or clock[1] is None:
        return _tehran_to_utc(day, None if clock is None else clock[0])
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
    meaning, hours = _DAY_PERIODS[_DAY_PERIOD_PUNCTUATION.sub("", period)]
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
        reason = f"{_MONTH_NAMES_EN[month - 1]} has {jdatetime.j_days_in_month[month - 1]} days"
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
        _tehran_to_utc(first, None) if first else None,
        _tehran_to_utc(last + timedelta(days=1), None) if last else None,
    )
