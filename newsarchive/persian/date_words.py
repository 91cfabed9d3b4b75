"""The words and patterns of written dates: month, weekday, day-period and number names, regexes.

Sites write the same date many ways: Persian and transliterated month names (``مرداد``,
``Amordad``), weekdays with or without ZWNJ, 12-hour clocks with ``ب.ظ``, "three hours
ago" in digits or words, ISO 8601 and RFC 822. Every spelling here is folded with
`newsarchive.persian.text.fold`, the function the parser applies to its input first, so
Persian, Arabic-Indic and Latin digits, Arabic yeh/kaf, and ZWNJ or space inside a name
all match the same way. The tables are data; the readers in
`newsarchive.persian.date_readers` give them their meaning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import TypeVar

from newsarchive.persian.text import fold

_V = TypeVar("_V")

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
DAY_PERIODS = {
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
DAY_PERIOD_PUNCTUATION = re.compile(r"[.\s]")
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
HALF, HOUR_WORD, _MONTH_WORD = fold("نیم"), fold("ساعت"), fold("ماه")

ENGLISH_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
ENGLISH_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES_EN = (
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


def _by_folded_spelling(spellings_by_value: Mapping[_V, tuple[str, ...]]) -> dict[str, _V]:
    """{value: spellings} -> {folded spelling: value}, to look up words of folded text."""
    return {
        fold(spelling): value for value, spellings in spellings_by_value.items() for spelling in spellings
    }


def _fold_keys(value_by_word: dict[str, _V]) -> dict[str, _V]:
    return {fold(word): value for word, value in value_by_word.items()}


def _alternation(spellings: Iterable[str]) -> str:
    """Regex alternation, longest first so that e.g. 'امرداد' wins over 'مرداد'."""
    return "|".join(re.escape(s) for s in sorted(set(spellings), key=len, reverse=True))


MONTHS = _by_folded_spelling(_MONTH_SPELLINGS) | _by_folded_spelling(_MONTH_TRANSLITERATIONS)
WEEKDAYS = _by_folded_spelling(_WEEKDAY_SPELLINGS) | _by_folded_spelling(_WEEKDAY_TRANSLITERATIONS)
WEEKDAY_NAMES_FA = {number: spellings[0] for number, spellings in _WEEKDAY_SPELLINGS.items()}
NUMBERS = _fold_keys(_NUMBER_WORDS)
UNITS = _fold_keys(_UNIT_SPELLINGS)
DAYS_BACK = _fold_keys(_DAY_WORD_SPELLINGS)
_AGO = _alternation(fold(word) for word in _AGO_SPELLINGS)

# All patterns run on folded text: ASCII digits, Latin lower-cased, single spaces.
ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[t ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"\s*(z|utc|gmt|[+-]\d{2}(?::?\d{2})?)?)?"
)
RFC822 = re.compile(
    r"(?:(mon|tue|wed|thu|fri|sat|sun)[a-z]*\s*,?\s*)?"
    r"(\d{1,2})\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{4})"
    r"\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(gmt|ut|utc|z|[+-]\d{4})"
)
MONTH_DATE = re.compile(
    rf"(?<!\d)(\d{{1,2}})\s*({_alternation(MONTHS)})(?:\s*{re.escape(_MONTH_WORD)})?"
    r"[\s,،]*(\d{4}|\d{2})(?![\d:])"
)
YEAR_FIRST = re.compile(r"(?<![\d/.:-])(\d{4}|\d{2})([/.-])(\d{1,2})\2(\d{1,2})(?![\d/.:-])")
DAY_FIRST = re.compile(r"(?<![\d/.:-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?![\d/.:-])")
# A clock, then an optional zone (``Z``, ``+03:30``, ``(GMT+3:30)``; never "-۱۷", the
# start of a date) and an optional day-period word (``ب.ظ``; never the start of a word).
CLOCK = re.compile(
    r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?![\d:])"
    r"(?:\s*\(?((?:gmt|utc)\s*[+-]\d{1,2}(?::?\d{2})?|z|utc|gmt|[+-]\d{2}:?\d{2})(?![\w/.:+-])\)?)?"
    rf"(?:\s*({_DAY_PERIOD})(?!\w))?"
)
WEEKDAY = re.compile(rf"(?<!\w)({_alternation(WEEKDAYS)})(?!\w)")
# Every weekday name contains one of these; a cheap test before the regex.
SHANBEH, JOMEH = fold("شنبه"), fold("جمعه")
TODAY, DATE_WORD = fold("امروز"), fold("تاریخ")
# "امروز" or "تاریخ امروز" opening a line, and the punctuation after it.
TODAY_LABEL = re.compile(rf"[\W_]*(?:{DATE_WORD}\s*)?{TODAY}(?!\w)\s*(:?)[\s:،,|\-–—]*")
UNITS_AGO = re.compile(
    rf"(?<!\w)(\d{{1,4}}|{_alternation(NUMBERS)}|{re.escape(HALF)})\s*"
    rf"({_alternation(UNITS)})\s*(?:{_AGO})(?!\w)"
)
MOMENTS_AGO = re.compile(
    rf"(?<!\w)(?:{_alternation(fold(word) for word in _MOMENT_SPELLINGS)})\s*(?:{_AGO})(?!\w)"
)
DAY_WORD = re.compile(rf"(?<!\w)({_alternation(DAYS_BACK)})(?!\w)")
