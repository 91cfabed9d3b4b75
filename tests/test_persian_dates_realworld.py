"""Date strings met on real Persian news pages that the first version of the parser did not read.

Issue "Clean articles from pages nobody here wrote", item 4. Expected UTC values were worked
out as in ``test_persian_dates.py``: Jalali -> Gregorian with persiantools, then Tehran wall
time -> UTC with zoneinfo (tzdata >= 2022b). Iran moved its clocks forward at 2 Farvardin
00:00 and back at the end of 30 Shahrivar every year up to 1401 (2022), so those two days
are the DST boundaries used below.

Where the forms come from:

- transliterated month names: jdatetime ``j_months_en`` and persiantools
  ``MONTH_NAMES_EN`` (Farvardin ... Esfand); Amordad and Ardibehesht are the Zoroastrian
  spellings; Dei follows the pronunciation [dei];
- 12-hour clocks: CLDR ``fa`` day periods (as shipped in Babel and Angular): ``ق.ظ.`` /
  ``ب.ظ.``, ``قبل‌ازظهر`` / ``بعدازظهر``, ``ق‌ظ`` / ``ب‌ظ``, and the flexible periods
  ``بامداد`` (01-04), ``صبح`` (04-12), ``ظهر`` (12-13), ``عصر`` (13-19), ``شب``
  (19-24), ``نیمه‌شب`` (00-01); the PHP jdf ``a`` format writes ``ق.ظ`` / ``ب.ظ``; Iranian
  form libraries also accept ``ق ظ`` / ``ب ظ``;
- ``امروز: دوشنبه ۲ تير ۱۳۹۹``: the "today" line in the header of Iranian news sites.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from persiantools import digits
from persiantools.jdatetime import JalaliDate

from newsarchive.persian.dates import (
    DateParseError,
    ParsedDate,
    choose_published,
    is_todays_date_line,
    parse_datetime,
)

TEHRAN = ZoneInfo("Asia/Tehran")
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
FAR_FUTURE = datetime(2200, 1, 1, tzinfo=UTC)
# 2024-05-04T10:37:20Z is 14:07:20 on 1403-02-15 in Tehran (+03:30).
REL_NOW = datetime(2024, 5, 4, 10, 37, 20, tzinfo=UTC)


def parse(text: str, now: datetime = NOW) -> ParsedDate:
    return parse_datetime(text, now=now)


def check(text, utc, precision, kind, jalali, now=NOW):
    parsed = parse(text, now)
    assert (parsed.utc_iso, parsed.precision, parsed.kind, parsed.jalali) == (utc, precision, kind, jalali)
    assert parsed.utc.tzinfo is UTC and parsed.local.tzinfo == TEHRAN
    assert parsed.local.astimezone(UTC) == parsed.utc
    return parsed


def tehran_utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """Independent expectation: persiantools for the calendar, zoneinfo (fold=0) for the zone."""
    local = datetime.combine(
        JalaliDate(year, month, day).to_gregorian(), time(hour, minute, second), tzinfo=TEHRAN
    )
    return local.astimezone(UTC)


# --- transliterated month names ---------------------------------------------------------

# (text, UTC, precision, kind, Jalali in Tehran time)
TRANSLITERATED = [
    ("17 Mordad 1397", "2018-08-07T19:30:00Z", "day", "jalali-text", "1397-05-17"),
    ("1 Farvardin 1400", "2021-03-20T20:30:00Z", "day", "jalali-text", "1400-01-01"),
    ("29 Esfand 1399 - 14:05", "2021-03-19T10:35:00Z", "minute", "jalali-text", "1399-12-29 14:05"),
    ("17 MORDAD 1397", "2018-08-07T19:30:00Z", "day", "jalali-text", "1397-05-17"),
    ("17 amordad 97", "2018-08-07T19:30:00Z", "day", "jalali-text", "1397-05-17"),
    ("17 Mordad, 1397", "2018-08-07T19:30:00Z", "day", "jalali-text", "1397-05-17"),
    ("۱۷ Mordad ۱۳۹۷ | ۱۶:۳۰", "2018-08-08T12:00:00Z", "minute", "jalali-text", "1397-05-17 16:30"),
    ("10 Dei 1402", "2023-12-30T20:30:00Z", "day", "jalali-text", "1402-10-10"),
    # Weekdays, transliterated or English, are checked like Persian ones: 1397-05-17 is a Wednesday.
    ("Chaharshanbeh, 17 Mordad 1397", "2018-08-07T19:30:00Z", "day", "jalali-text", "1397-05-17"),
    ("Wednesday, 17 Mordad 1397", "2018-08-07T19:30:00Z", "day", "jalali-text", "1397-05-17"),
    # DST boundaries. 2 Farvardin 1400 00:00-00:59 never happened (read with +03:30, so
    # 00:30 shows as 01:30 +04:30) and that day starts at 01:00 +04:30.
    ("1 Farvardin 1400 - 23:30", "2021-03-21T20:00:00Z", "minute", "jalali-text", "1400-01-01 23:30"),
    ("2 Farvardin 1400 - 00:30", "2021-03-21T21:00:00Z", "minute", "jalali-text", "1400-01-02 01:30"),
    ("2 Farvardin 1400", "2021-03-21T20:30:00Z", "day", "jalali-text", "1400-01-02"),
    ("2 Farvardin 1400 - 01:00:15", "2021-03-21T20:30:15Z", "minute", "jalali-text", "1400-01-02 01:00"),
    # 30 Shahrivar 23:00-23:59 happened twice: the first (+04:30) is taken; the next day is +03:30.
    ("30 Shahrivar 1400 - 23:30", "2021-09-21T19:00:00Z", "minute", "jalali-text", "1400-06-30 23:30"),
    ("31 Shahrivar 1401 - 00:30", "2022-09-21T21:00:00Z", "minute", "jalali-text", "1401-06-31 00:30"),
]


@pytest.mark.parametrize(("text", "utc", "precision", "kind", "jalali"), TRANSLITERATED)
def test_transliterated_month_names(text, utc, precision, kind, jalali):
    check(text, utc, precision, kind, jalali)


def test_transliterated_day_starts_after_the_dst_gap():
    assert parse("2 Farvardin 1400").local.isoformat() == "2021-03-22T01:00:00+04:30"
    assert parse("2 Farvardin 1400 - 00:30").local.isoformat() == "2021-03-22T01:30:00+04:30"


TRANSLITERATED_SPELLINGS = [
    ("Farvardin", 1),
    ("Farwardin", 1),
    ("Ordibehesht", 2),
    ("Ardibehesht", 2),
    ("Khordad", 3),
    ("Tir", 4),
    ("Mordad", 5),
    ("Amordad", 5),
    ("Shahrivar", 6),
    ("Shahriwar", 6),
    ("Mehr", 7),
    ("Aban", 8),
    ("Azar", 9),
    ("Dey", 10),
    ("Dei", 10),
    ("Bahman", 11),
    ("Esfand", 12),
    ("Isfand", 12),
]


@pytest.mark.parametrize(("spelling", "month"), TRANSLITERATED_SPELLINGS)
@pytest.mark.parametrize("case", [str, str.lower, str.upper])
def test_transliterated_spellings_any_case(spelling, month, case):
    parsed = parse(f"5 {case(spelling)} 1402 - 10:00")
    assert parsed.jalali == f"1402-{month:02d}-05 10:00"
    assert parsed.utc == tehran_utc(1402, month, 5, 10)


@pytest.mark.parametrize(
    "text",
    ["Doshanbeh, 17 Mordad 1397", "Monday, 17 Mordad 1397", "doshanbe 17 mordad 1397"],
)
def test_transliterated_weekday_contradicting_the_date_is_an_error(text):
    with pytest.raises(DateParseError, match="contradicts the date 1397/05/17"):
        parse(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31 Mehr 1401", "Mehr has 30 days"),
        ("30 Esfand 1400", "1400 is not a leap year"),
        ("17 Mordad", "no date found"),
        ("17 Mordadi 1397", "no date found"),  # not a month name: no guessing at misspellings
        ("17 Day 1397", "no date found"),  # English 'day' is not read as Dey
    ],
)
def test_transliterated_errors(text, reason):
    with pytest.raises(DateParseError, match=reason):
        parse(text)


# --- 12-hour clocks ---------------------------------------------------------------------

TWELVE_HOUR = [
    # Latin digits and Arabic yeh in تير, as on the page.
    ("2 تير 1399 - 12:09:08 ب.ظ", "2020-06-22T07:39:08Z", "minute", "jalali-text", "1399-04-02 12:09"),
    ("2 تير 1399 - 01:09:08 ب.ظ", "2020-06-22T08:39:08Z", "minute", "jalali-text", "1399-04-02 13:09"),
    ("2 تير 1399 - 12:09:08 ق.ظ", "2020-06-21T19:39:08Z", "minute", "jalali-text", "1399-04-02 00:09"),
    ("۲ تیر ۱۳۹۹ - ۰۹:۱۵ ق.ظ", "2020-06-22T04:45:00Z", "minute", "jalali-text", "1399-04-02 09:15"),
    ("۲ تیر ۱۳۹۹ - ۹:۱۵ ب ظ", "2020-06-22T16:45:00Z", "minute", "jalali-text", "1399-04-02 21:15"),
    ("۲ تیر ۱۳۹۹ - ۹:۱۵ ب.ظ.", "2020-06-22T16:45:00Z", "minute", "jalali-text", "1399-04-02 21:15"),
    ("۲ تیر ۱۳۹۹ - ۹:۱۵ ب‌ظ", "2020-06-22T16:45:00Z", "minute", "jalali-text", "1399-04-02 21:15"),
    ("۲ تیر ۱۳۹۹ - ۹:۱۵ بعدازظهر", "2020-06-22T16:45:00Z", "minute", "jalali-text", "1399-04-02 21:15"),
    ("۲ تیر ۱۳۹۹ - ۹:۱۵ بعد از ظهر", "2020-06-22T16:45:00Z", "minute", "jalali-text", "1399-04-02 21:15"),
    ("۲ تیر ۱۳۹۹ - ۹:۱۵ PM", "2020-06-22T16:45:00Z", "minute", "jalali-text", "1399-04-02 21:15"),
    ("۲ تیر ۱۳۹۹ - ۹:۱۵ قبل‌ازظهر", "2020-06-22T04:45:00Z", "minute", "jalali-text", "1399-04-02 09:15"),
    ("۲ تیر ۱۳۹۹ - ۹:۱۵ قبل از ظهر", "2020-06-22T04:45:00Z", "minute", "jalali-text", "1399-04-02 09:15"),
    ("۲ تیر ۱۳۹۹ - ۹:۱۵ ق ظ", "2020-06-22T04:45:00Z", "minute", "jalali-text", "1399-04-02 09:15"),
    ("۲ تیر ۱۳۹۹ - ۹:۱۵ a.m.", "2020-06-22T04:45:00Z", "minute", "jalali-text", "1399-04-02 09:15"),
    ("۲ تیر ۱۳۹۹ - ۹:۱۵ صبح", "2020-06-22T04:45:00Z", "minute", "jalali-text", "1399-04-02 09:15"),
    ("۲ تیر ۱۳۹۹ - ۵:۱۵ عصر", "2020-06-22T12:45:00Z", "minute", "jalali-text", "1399-04-02 17:15"),
    ("۲ تیر ۱۳۹۹ - ۹:۳۰ شب", "2020-06-22T17:00:00Z", "minute", "jalali-text", "1399-04-02 21:30"),
    ("۲ تیر ۱۳۹۹ - ۱۲:۰۵ ظهر", "2020-06-22T07:35:00Z", "minute", "jalali-text", "1399-04-02 12:05"),
    ("۲ تیر ۱۳۹۹ - ۰۲:۳۰ بامداد", "2020-06-21T22:00:00Z", "minute", "jalali-text", "1399-04-02 02:30"),
    # A 24-hour clock with a marker that agrees with it.
    ("۲ تیر ۱۳۹۹ - ۱۳:۰۵ ب.ظ", "2020-06-22T08:35:00Z", "minute", "jalali-text", "1399-04-02 13:05"),
    ("۲ تیر ۱۳۹۹ - ۰۰:۰۵ ق.ظ", "2020-06-21T19:35:00Z", "minute", "jalali-text", "1399-04-02 00:05"),
    # Weekday prefix and numeric dates.
    ("دوشنبه ۲ تير ۱۳۹۹ - ۰۱:۰۹ ب.ظ", "2020-06-22T08:39:00Z", "minute", "jalali-text", "1399-04-02 13:09"),
    ("۱۳۹۹/۰۲/۲۱ - ۰۶:۵۹ ب.ظ", "2020-05-10T14:29:00Z", "minute", "jalali-numeric", "1399-02-21 18:59"),
    # DST boundaries: 12:30 ق.ظ on 2 Farvardin is the skipped 00:30; 11:30 ب.ظ on 30 Shahrivar
    # is the repeated 23:30 (first occurrence); 12:30 ق.ظ on 31 Shahrivar is +03:30.
    ("2 فروردین 1401 - 12:30 ق.ظ", "2022-03-21T21:00:00Z", "minute", "jalali-text", "1401-01-02 01:30"),
    ("30 شهریور 1401 - 11:30 ب.ظ", "2022-09-21T19:00:00Z", "minute", "jalali-text", "1401-06-30 23:30"),
    ("31 شهریور 1401 - 12:30 ق.ظ", "2022-09-21T21:00:00Z", "minute", "jalali-text", "1401-06-31 00:30"),
    ("2 Farvardin 1400 - 12:30 AM", "2021-03-21T21:00:00Z", "minute", "jalali-text", "1400-01-02 01:30"),
    ("30 Shahrivar 1400 - 11:30:45 PM", "2021-09-21T19:00:45Z", "minute", "jalali-text", "1400-06-30 23:30"),
    ("1 Farvardin 1400 - 11:30 ب.ظ", "2021-03-21T20:00:00Z", "minute", "jalali-text", "1400-01-01 23:30"),
]


@pytest.mark.parametrize(("text", "utc", "precision", "kind", "jalali"), TWELVE_HOUR)
def test_twelve_hour_clocks(text, utc, precision, kind, jalali):
    check(text, utc, precision, kind, jalali)


def test_twelve_hour_clock_keeps_seconds_and_the_real_offset():
    parsed = parse("2 تير 1399 - 01:09:08 ب.ظ")
    assert parsed.local.isoformat() == "2020-06-22T13:09:08+04:30"
    assert parse("2 فروردین 1401 - 12:30 ق.ظ").local.isoformat() == "2022-03-22T01:30:00+04:30"


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("امروز ساعت ۱:۳۰ ب.ظ", "2024-05-04T10:00:00Z"),
        ("دیروز ۱۱:۴۵ ب.ظ", "2024-05-03T20:15:00Z"),
        ("امروز ۱۲:۱۵ ق.ظ", "2024-05-03T20:45:00Z"),
    ],
)
def test_twelve_hour_clocks_in_relative_dates(text, utc):
    parsed = parse(text, REL_NOW)
    assert (parsed.utc_iso, parsed.precision, parsed.kind) == (utc, "minute", "relative")


TWELVE_HOUR_ERRORS = [
    ("۲ تیر ۱۳۹۹ - ۱۳:۰۵ ق.ظ", "ق.ظ"),
    ("۲ تیر ۱۳۹۹ - ۰۰:۰۵ ب.ظ", "ب.ظ"),
    ("۲ تیر ۱۳۹۹ - ۱۳:۰۰ صبح", "صبح"),
    ("۲ تیر ۱۳۹۹ - ۱۲:۳۰ صبح", "صبح"),
    ("۲ تیر ۱۳۹۹ - ۱۲:۳۰ عصر", "عصر"),
    ("۲ تیر ۱۳۹۹ - ۲:۳۰ شب", "شب"),  # 02:30 or 14:30? CLDR calls 01-04 بامداد
    ("۲ تیر ۱۳۹۹ - ۱۲:۳۰ شب", "شب"),  # which day's midnight?
    ("۲ تیر ۱۳۹۹ - ۱۲:۳۰ نیمه‌شب", "نیمهشب"),
    ("۲ تیر ۱۳۹۹ - ۱:۳۰ ظهر", "ظهر"),
    ("2 Tir 1399 - 13:30 am", "am"),
]


@pytest.mark.parametrize(("text", "word"), TWELVE_HOUR_ERRORS)
def test_twelve_hour_clock_that_does_not_fit_its_marker_is_an_error(text, word):
    with pytest.raises(DateParseError) as caught:
        parse(text)
    assert repr(text) in str(caught.value)
    assert "does not fit" in caught.value.reason and word in caught.value.reason


def test_twelve_hour_clock_still_checks_the_clock():
    with pytest.raises(DateParseError, match="invalid time 24:00"):
        parse("۲ تیر ۱۳۹۹ - ۲۴:۰۰ ب.ظ")
    with pytest.raises(DateParseError, match="invalid time 9:60"):
        parse("۲ تیر ۱۳۹۹ - ۹:۶۰ ب.ظ")


def test_words_that_only_look_like_markers_are_not_read():
    # شبکه (network) and صبحانه (breakfast) start like شب and صبح.
    assert parse("۲ تیر ۱۳۹۹ - ۰۹:۱۵ شبکه سه").jalali == "1399-04-02 09:15"
    assert parse("۲ تیر ۱۳۹۹ - ۰۹:۱۵ صبحانه").jalali == "1399-04-02 09:15"


# --- Jalali in Persian digits where an ISO date is expected ------------------------------

JALALI_AS_ISO = [
    ("۱۳۹۹/۰۲/۲۱ - ۱۸:۵۹", "2020-05-10T14:29:00Z", "1399-02-21 18:59"),
    ("۱۳۹۹/۰۲/۲۱ ۱۸:۵۹:۰۰", "2020-05-10T14:29:00Z", "1399-02-21 18:59"),
    ("۱۳۹۹-۰۲-۲۱T۱۸:۵۹:۰۰", "2020-05-10T14:29:00Z", "1399-02-21 18:59"),
    # An explicit zone after the clock is used, not dropped.
    ("۱۳۹۹/۰۲/۲۱T۱۸:۵۹:۰۰Z", "2020-05-10T18:59:00Z", "1399-02-21 23:29"),
    ("۱۳۹۹/۰۲/۲۱ ۱۸:۵۹:۰۰ +۰۳:۳۰", "2020-05-10T15:29:00Z", "1399-02-21 19:59"),
    ("1399/02/21 18:59 GMT", "2020-05-10T18:59:00Z", "1399-02-21 23:29"),
    ("۱۳۹۹/۰۲/۲۱T۱۸:۵۹:۰۰.۰۰۰+۰۴:۳۰", "2020-05-10T14:29:00Z", "1399-02-21 18:59"),
    ("۱۳۹۹-۰۲-۲۱T۱۸:۵۹:۰۰.۰۰۰Z", "2020-05-10T18:59:00Z", "1399-02-21 23:29"),
    ("۲۱ اردیبهشت ۱۳۹۹ ۱۸:۵۹ +۰۴۳۰", "2020-05-10T14:29:00Z", "1399-02-21 18:59"),
    ("۱۳۹۹/۰۲/۲۱ ۱۸:۵۹ GMT+3:30", "2020-05-10T15:29:00Z", "1399-02-21 19:59"),
    ("۱۳۹۹/۰۲/۲۱ ۱۸:۵۹ (UTC+03:30)", "2020-05-10T15:29:00Z", "1399-02-21 19:59"),
]


@pytest.mark.parametrize(("text", "utc", "jalali"), JALALI_AS_ISO)
def test_jalali_in_persian_digits_in_a_machine_date(text, utc, jalali):
    parsed = parse(text)
    assert (parsed.utc_iso, parsed.precision, parsed.jalali) == (utc, "minute", jalali)
    assert parsed.kind in ("jalali-numeric", "jalali-text")


def test_a_date_after_the_clock_is_not_taken_for_an_offset():
    # "- ۱۷" after a clock is the start of the date, not a -17:00 offset.
    assert parse("۱۲:۳۰ - ۱۷/۰۵/۱۳۹۷").utc_iso == "2018-08-08T08:00:00Z"
    assert parse("۱۲:۳۰ -۱۷ مرداد ۱۳۹۷").utc_iso == "2018-08-08T08:00:00Z"


def test_persian_digit_meta_date_wins_over_the_displayed_day():
    chosen, source, notes = choose_published("۲۱ اردیبهشت ۱۳۹۹", [("meta", "۱۳۹۹/۰۲/۲۱ - ۱۸:۵۹")], now=NOW)
    assert (chosen.utc_iso, chosen.precision, source, notes) == ("2020-05-10T14:29:00Z", "minute", "meta", [])


# --- the header's "today" line -------------------------------------------------------------

HEADER_LINES = [
    "امروز: دوشنبه ۲ تير ۱۳۹۹",
    "امروز : دوشنبه ۲ تیر ۱۳۹۹",
    "امروز دوشنبه، ۲ تیر ۱۳۹۹",
    "امروز: ۱۳۹۹/۰۴/۰۲",
    "امروز ۲ تیر ۱۳۹۹",
    "تاریخ امروز: ۲ تیر ۱۳۹۹",
    "تاریخ امروز ۱۳۹۹/۰۴/۰۲",
    "امروز: دوشنبه ۲ تیر ۱۳۹۹ - ۲۲ ژوئن ۲۰۲۰",
    "امروز: دوشنبه، ۲ تیر ۱۳۹۹ ساعت ۱۲:۳۰",
    "  امروز:\u200f دوشنبه ۲ تیر ۱۳۹۹  ",
]


@pytest.mark.parametrize("text", HEADER_LINES)
def test_todays_date_line_is_recognised_and_refused(text):
    assert is_todays_date_line(text) is True
    assert is_todays_date_line(text, in_header=True) is True
    with pytest.raises(DateParseError) as caught:
        parse(text)
    assert "today" in caught.value.reason and "header" in caught.value.reason


@pytest.mark.parametrize(
    "text", ["دوشنبه ۲ تير ۱۳۹۹", "دوشنبه، ۲ تیر ۱۳۹۹", "Doshanbeh 2 Tir 1399", "دوشنبه ۱۳۹۹/۰۴/۰۲"]
)
def test_weekday_and_date_without_time_is_a_header_line_only_in_a_header(text):
    assert is_todays_date_line(text, in_header=True) is True
    assert is_todays_date_line(text) is False
    assert parse(text).jalali == "1399-04-02"  # as an article's date line it is read


NOT_HEADER_LINES = [
    "امروز",
    "امروز ۱۲:۳۰",
    "امروز ساعت ۱۸:۴۵",
    "امروز: ساعت ۱۸:۴۵",
    "امروزه ۲ تیر ۱۳۹۹",
    "۲ تیر ۱۳۹۹",
    "دوشنبه ۲ تیر ۱۳۹۹ - ۱۲:۳۰",
    "۳ ساعت پیش",
    "",
    "سلام",
]


@pytest.mark.parametrize("text", NOT_HEADER_LINES)
def test_article_date_lines_are_not_header_lines(text):
    assert is_todays_date_line(text) is False
    assert is_todays_date_line(text, in_header=True) is False


def test_choose_published_falls_back_to_the_machine_date_for_a_header_line():
    chosen, source, notes = choose_published(
        "امروز: دوشنبه ۲ تير ۱۳۹۹", [("jsonld", "2020-06-20T09:00:00+04:30")], now=NOW
    )
    assert (chosen.utc_iso, source) == ("2020-06-20T04:30:00Z", "jsonld")
    assert len(notes) == 1 and notes[0].startswith("unreadable displayed date: 'امروز: دوشنبه ۲ تير ۱۳۹۹'")


# --- properties ---------------------------------------------------------------------------

MONTHS_FA = [
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تير",
    "امرداد",
    "شهریور",
    "مهر ماه",
    "آبان",
    "آذر",
    "دى",
    "بهمن",
    "اسفند",
]
MONTHS_LATIN = [
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dei",
    "Bahman",
    "Esfand",
]
AM_MARKERS = ["ق.ظ", "ق ظ", "ق.ظ.", "قبل‌ازظهر", "قبل از ظهر", "AM", "am"]
PM_MARKERS = ["ب.ظ", "ب ظ", "ب.ظ.", "بعدازظهر", "بعد از ظهر", "PM", "pm"]
OTHER_MARKERS = ["صبح", "عصر", "شب", "ظهر", "نیمه‌شب", "بامداد"]
DIGIT_STYLES = [str, digits.en_to_fa, lambda latin: digits.fa_to_ar(digits.en_to_fa(latin))]


def _month_name(month: int, latin: bool, case) -> str:
    return case(MONTHS_LATIN[month - 1]) if latin else MONTHS_FA[month - 1]


@settings(max_examples=300, deadline=None)
# The second 23:30 of 30 Shahrivar 1401 and the skipped 00:30 of 2 Farvardin 1401 (rendered
# from UTC, so it shows as 01:30) are the DST edge cases.
@pytest.mark.slow
@example(moment=datetime(2022, 9, 21, 20, 0, tzinfo=UTC), latin=True, case=str, marker=0, digit_style=str)
@example(moment=datetime(2022, 3, 21, 21, 0, tzinfo=UTC), latin=False, case=str, marker=0, digit_style=str)
@example(
    moment=datetime(2021, 3, 20, 20, 30, tzinfo=UTC), latin=True, case=str.upper, marker=3, digit_style=str
)
@given(
    moment=st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),
    latin=st.booleans(),
    case=st.sampled_from([str, str.lower, str.upper]),
    marker=st.integers(min_value=0, max_value=len(AM_MARKERS) - 1),
    digit_style=st.sampled_from(DIGIT_STYLES),
)
def test_twelve_hour_displays_round_trip(moment, latin, case, marker, digit_style):
    moment = moment.replace(microsecond=0)
    local = moment.astimezone(TEHRAN)
    jalali = JalaliDate(local.date())
    hour12 = local.hour % 12 or 12
    markers = AM_MARKERS if local.hour < 12 else PM_MARKERS
    clock = digit_style(f"{hour12:02d}:{local.minute:02d}:{local.second:02d}")
    text = (
        digit_style(f"{jalali.day} ")
        + _month_name(jalali.month, latin, case)
        + digit_style(f" {jalali.year}")
        + f" - {clock} {markers[marker]}"
    )

    parsed = parse(text, now=FAR_FUTURE)

    # A wall time that happened twice reads as its first occurrence (one hour earlier).
    expected = moment if local.fold == 0 else moment - timedelta(hours=1)
    assert parsed.utc == expected
    assert parsed.precision == "minute"
    assert (
        parsed.jalali
        == f"{jalali.year:04d}-{jalali.month:02d}-{jalali.day:02d} {local.hour:02d}:{local.minute:02d}"
    )


def _expected_hour(hour: int, marker: str | None) -> int | str | None:
    """The 24-hour reading of `hour` written before `marker` (None: must be refused)."""
    if marker is None:
        return hour if hour <= 23 else None
    if hour > 23:
        return None
    if marker in AM_MARKERS:
        return 0 if hour == 12 else hour if hour <= 11 else None
    if marker in PM_MARKERS:
        return 12 if hour == 12 else hour + 12 if 1 <= hour <= 11 else hour if hour >= 13 else None
    return "other"  # the flexible periods are checked by the table tests above


PREFIXES = [
    "",
    "دوشنبه، ",
    "Monday ",
    "نوشته شده توسط علی رضایی | ",
    "تاریخ انتشار: ",
    "امروز: ",
    "تاریخ امروز ",
]


@pytest.mark.slow
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(
    prefix="",
    day=2,
    month=4,
    latin=False,
    year=1399,
    hour=12,
    minute=9,
    marker="ب.ظ",
    separator=" - ",
    digit_style=str,
)
@example(
    prefix="امروز: ",
    day=2,
    month=4,
    latin=False,
    year=1399,
    hour=None,
    minute=0,
    marker=None,
    separator=" ",
    digit_style=str,
)
@given(
    prefix=st.sampled_from(PREFIXES),
    day=st.integers(min_value=0, max_value=32),
    month=st.integers(min_value=1, max_value=12),
    latin=st.booleans(),
    year=st.one_of(
        st.integers(min_value=0, max_value=99),
        st.integers(min_value=1290, max_value=1510),
        st.integers(min_value=1000, max_value=9999),
    ),
    hour=st.one_of(st.none(), st.integers(min_value=0, max_value=25)),
    minute=st.integers(min_value=0, max_value=61),
    marker=st.one_of(st.none(), st.sampled_from(AM_MARKERS + PM_MARKERS + OTHER_MARKERS)),
    separator=st.sampled_from([" - ", " | ", " ساعت ", "، ", " "]),
    digit_style=st.sampled_from(DIGIT_STYLES),
)
def test_random_dates_parse_right_or_raise_date_parse_error(
    prefix, day, month, latin, year, hour, minute, marker, separator, digit_style
):
    year_text = f"{year:02d}" if year < 100 else str(year)
    text = prefix + digit_style(f"{day} ") + _month_name(month, latin, str) + digit_style(f" {year_text}")
    if hour is not None:
        text += separator + digit_style(f"{hour:02d}:{minute:02d}")
        if marker is not None:
            text += f" {marker}"
    try:
        parsed = parse(text, now=FAR_FUTURE)
    except DateParseError as error:
        assert error.text == text and error.reason
        return
    assert "امروز" not in prefix, "a header's today line must be refused"
    full_year = year if year >= 100 else year + (1400 if year <= 50 else 1300)
    assert parsed.jalali[:10] == f"{full_year:04d}-{month:02d}-{day:02d}"
    if hour is None:
        assert parsed.precision == "day" and parsed.utc == tehran_utc(full_year, month, day)
    else:
        expected_hour = _expected_hour(hour, marker)
        assert expected_hour is not None and minute <= 59, f"{text!r} should have been refused"
        if expected_hour != "other":
            assert parsed.utc == tehran_utc(full_year, month, day, expected_hour, minute)
    _assert_round_trips(parsed)


def _assert_round_trips(parsed: ParsedDate) -> None:
    """Written back as a Jalali display line, the value reads as the same instant and Jalali date."""
    local = parsed.local
    jalali = JalaliDate(local.date())
    assert parsed.jalali[:10] == f"{jalali.year:04d}-{jalali.month:02d}-{jalali.day:02d}"
    if not 1300 <= jalali.year <= 1500:
        return  # a Gregorian date after 2121 (now=FAR_FUTURE) has no Jalali year the parser reads
    again = f"{jalali.day} {MONTHS_LATIN[jalali.month - 1]} {jalali.year}"
    if parsed.precision != "day":
        again += f" - {local.hour:02d}:{local.minute:02d}:{local.second:02d}"
    reread = parse(again, now=FAR_FUTURE)
    assert (reread.utc, reread.jalali) == (parsed.utc, parsed.jalali)


PIECES = [
    "۱۲",
    "3",
    "99",
    "1399",
    "۱۴۰۱",
    "٢٣",
    "/",
    "-",
    ":",
    " ",
    "T",
    "Z",
    "+03:30",
    "+۰۴۳۰",
    ".",
    "،",
    "|",
    "مرداد",
    "تير",
    "Mordad",
    "dei",
    "ESFAND",
    "ماه",
    "ب.ظ",
    "ق ظ",
    "بعدازظهر",
    "صبح",
    "عصر",
    "شب",
    "ظهر",
    "am",
    "PM",
    "امروز",
    "امروز:",
    "تاریخ",
    "دوشنبه",
    "Doshanbeh",
    "Monday",
    "پیش",
    "ساعت",
    "روز",
    "نیم",
    "00",
    "12",
    "24",
    "13",
    "60",
    "\u200c",
    "\u200f",
    "𝟏",
    "४",
    "\n",
]


@pytest.mark.slow
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), st.lists(st.sampled_from(PIECES), max_size=14).map("".join)))
def test_any_text_reads_or_raises_date_parse_error(text):
    assert isinstance(is_todays_date_line(text), bool)
    assert isinstance(is_todays_date_line(text, in_header=True), bool)
    for now in (NOW, FAR_FUTURE):
        try:
            parsed = parse(text, now=now)
        except DateParseError as error:
            assert isinstance(error.reason, str) and error.reason
            continue
        _assert_round_trips(parsed)
