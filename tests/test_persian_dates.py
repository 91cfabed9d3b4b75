"""Tests for newsarchive.persian.dates.

Expected UTC values were worked out independently of the parser: Jalali -> Gregorian with
persiantools (33-year rule plus correction tables, a different algorithm from jdatetime's),
then Tehran wall time -> UTC with zoneinfo. Where a table lists an offset in a comment,
that is the Tehran offset in force for that instant.
"""

from __future__ import annotations

import pickle
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from persiantools import digits
from persiantools.jdatetime import JalaliDate

from newsarchive.persian.dates import (
    DateParseError,
    ParsedDate,
    choose_published,
    day_range,
    gregorian_to_jalali,
    parse_datetime,
)

TEHRAN = ZoneInfo("Asia/Tehran")
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
FAR_FUTURE = datetime(2200, 1, 1, tzinfo=UTC)


def parse(text: str, now: datetime = NOW) -> ParsedDate:
    return parse_datetime(text, now=now)


# (text, UTC, precision, kind, Jalali in Tehran time)
ABSOLUTE = [
    # Jalali with month names. Summer 2018 and 2022: +04:30; summer 2024: +03:30.
    ("۱۷ مرداد ۱۳۹۷", "2018-08-07T19:30:00Z", "day", "jalali-text", "1397-05-17"),
    ("چهارشنبه، ۱۷ مرداد ۱۳۹۷", "2018-08-07T19:30:00Z", "day", "jalali-text", "1397-05-17"),
    ("۱۷ مرداد ۹۷ - ۱۲:۳۰", "2018-08-08T08:00:00Z", "minute", "jalali-text", "1397-05-17 12:30"),
    ("۱۷ مرداد ۱۳۹۷ ساعت ۱۲:۳۰", "2018-08-08T08:00:00Z", "minute", "jalali-text", "1397-05-17 12:30"),
    ("۲۳ مرداد ۱۴۰۱ | ۱۸:۴۵", "2022-08-14T14:15:00Z", "minute", "jalali-text", "1401-05-23 18:45"),
    (
        "نوشته شده توسط زهرا ملکی | ۲۳ مرداد ۱۴۰۱ | ۱۸:۴۵",
        "2022-08-14T14:15:00Z",
        "minute",
        "jalali-text",
        "1401-05-23 18:45",
    ),
    ("۱۸:۴۵ - ۲۳ مرداد ۱۴۰۱", "2022-08-14T14:15:00Z", "minute", "jalali-text", "1401-05-23 18:45"),
    ("۲۳ مرداد ۱۴۰۱، ۱۸:۴۵", "2022-08-14T14:15:00Z", "minute", "jalali-text", "1401-05-23 18:45"),
    ("23 مرداد 1401, 18:45", "2022-08-14T14:15:00Z", "minute", "jalali-text", "1401-05-23 18:45"),
    ("٢٣ مرداد ١٤٠١ | ١٨:٤٥", "2022-08-14T14:15:00Z", "minute", "jalali-text", "1401-05-23 18:45"),
    ("۲3 مرداد 14۰۱ | 18:۴۵", "2022-08-14T14:15:00Z", "minute", "jalali-text", "1401-05-23 18:45"),
    ("۲۳ مرداد ۱۴۰۱ | ۱۸:۴۵:۳۰", "2022-08-14T14:15:30Z", "minute", "jalali-text", "1401-05-23 18:45"),
    ("۱ مرداد ۱۴۰۳ | ۰۹:۰۰", "2024-07-22T05:30:00Z", "minute", "jalali-text", "1403-05-01 09:00"),
    ("۱۵ شهریور ۱۴۰۲ | ۰۹:۳۰", "2023-09-06T06:00:00Z", "minute", "jalali-text", "1402-06-15 09:30"),
    # Numeric Jalali.
    ("۱۳۹۷/۰۵/۱۷", "2018-08-07T19:30:00Z", "day", "jalali-numeric", "1397-05-17"),
    ("1397-5-17", "2018-08-07T19:30:00Z", "day", "jalali-numeric", "1397-05-17"),
    ("۱۷/۰۵/۱۳۹۷", "2018-08-07T19:30:00Z", "day", "jalali-numeric", "1397-05-17"),
    ("97/05/17", "2018-08-07T19:30:00Z", "day", "jalali-numeric", "1397-05-17"),
    ("1397.05.17", "2018-08-07T19:30:00Z", "day", "jalali-numeric", "1397-05-17"),
    ("۱۳۹۷/۰۵/۱۷ ۱۲:۳۰", "2018-08-08T08:00:00Z", "minute", "jalali-numeric", "1397-05-17 12:30"),
    ("۱۲:۳۰ - ۱۷/۰۵/۱۳۹۷", "2018-08-08T08:00:00Z", "minute", "jalali-numeric", "1397-05-17 12:30"),
    ("03/02/15", "2024-05-03T20:30:00Z", "day", "jalali-numeric", "1403-02-15"),
    # ISO-shaped text with a Jalali year is Jalali.
    ("۱۴۰۳-۰۲-۱۵", "2024-05-03T20:30:00Z", "day", "jalali-numeric", "1403-02-15"),
    ("1403-02-15", "2024-05-03T20:30:00Z", "day", "jalali-numeric", "1403-02-15"),
    ("1403-02-15T10:00:00+03:30", "2024-05-04T06:30:00Z", "minute", "jalali-numeric", "1403-02-15 10:00"),
    ("1403-02-31", "2024-05-19T20:30:00Z", "day", "jalali-numeric", "1403-02-31"),
    # ISO 8601; without an offset the time is Tehran time.
    ("2024-05-04T10:15:00+03:30", "2024-05-04T06:45:00Z", "minute", "iso", "1403-02-15 10:15"),
    ("2024-05-04T06:45:00Z", "2024-05-04T06:45:00Z", "minute", "iso", "1403-02-15 10:15"),
    ("  2024-05-04T06:45:00Z\n", "2024-05-04T06:45:00Z", "minute", "iso", "1403-02-15 10:15"),
    ("2024-05-04 10:15:00", "2024-05-04T06:45:00Z", "minute", "iso", "1403-02-15 10:15"),
    ("2024-05-04T10:15:00.123456+03:30", "2024-05-04T06:45:00Z", "minute", "iso", "1403-02-15 10:15"),
    ("2024-05-04", "2024-05-03T20:30:00Z", "day", "iso", "1403-02-15"),
    ("2022-08-14T18:45:00", "2022-08-14T14:15:00Z", "minute", "iso", "1401-05-23 18:45"),
    ("۲۰۲۴-۰۵-۰۴T۱۰:۱۵:۰۰+۰۳:۳۰", "2024-05-04T06:45:00Z", "minute", "iso", "1403-02-15 10:15"),
    ("2024-5-4 10:15", "2024-05-04T06:45:00Z", "minute", "iso", "1403-02-15 10:15"),
    ("2024-05-04t06:45:00z", "2024-05-04T06:45:00Z", "minute", "iso", "1403-02-15 10:15"),
    ("2024/05/04 10:15", "2024-05-04T06:45:00Z", "minute", "gregorian-numeric", "1403-02-15 10:15"),
    # RFC 822 (feeds).
    ("Tue, 23 Aug 2022 14:15:00 +0000", "2022-08-23T14:15:00Z", "minute", "rfc822", "1401-06-01 18:45"),
    ("Tue, 23 Aug 2022 14:15:00 GMT", "2022-08-23T14:15:00Z", "minute", "rfc822", "1401-06-01 18:45"),
    ("23 Aug 2022 18:45:00 +0430", "2022-08-23T14:15:00Z", "minute", "rfc822", "1401-06-01 18:45"),
    # Nowruz and leap days: 1399 and 1403 are leap years.
    ("۱۳۹۹/۱۲/۳۰", "2021-03-19T20:30:00Z", "day", "jalali-numeric", "1399-12-30"),
    ("۳۰ اسفند ۱۴۰۳", "2025-03-19T20:30:00Z", "day", "jalali-text", "1403-12-30"),
    ("۱۴۰۴/۰۱/۰۱", "2025-03-20T20:30:00Z", "day", "jalali-numeric", "1404-01-01"),
    ("۲۹ اسفند ۱۴۰۰", "2022-03-19T20:30:00Z", "day", "jalali-text", "1400-12-29"),
    # DST 2022: 00:00-00:59 on 2022-03-22 never happened: read with +03:30, i.e. moved
    # forward to 01:30 +04:30. That day starts at 01:00 +04:30.
    ("۲ فروردین ۱۴۰۱ | ۰۰:۳۰", "2022-03-21T21:00:00Z", "minute", "jalali-text", "1401-01-02 01:30"),
    ("2022-03-22T00:30:00", "2022-03-21T21:00:00Z", "minute", "iso", "1401-01-02 01:30"),
    ("۲ فروردین ۱۴۰۱", "2022-03-21T20:30:00Z", "day", "jalali-text", "1401-01-02"),
    # 23:00-23:59 on 2022-09-21 happened twice: the first time (+04:30) is taken.
    ("۳۰ شهریور ۱۴۰۱ | ۲۳:۳۰", "2022-09-21T19:00:00Z", "minute", "jalali-text", "1401-06-30 23:30"),
    ("2022-09-21 23:30", "2022-09-21T19:00:00Z", "minute", "iso", "1401-06-30 23:30"),
    # The next day is +03:30, and so is every day from 1402 on.
    ("۳۱ شهریور ۱۴۰۱ | ۱۲:۰۰", "2022-09-22T08:30:00Z", "minute", "jalali-text", "1401-06-31 12:00"),
    ("۱ فروردین ۱۴۰۲ | ۱۲:۰۰", "2023-03-21T08:30:00Z", "minute", "jalali-text", "1402-01-01 12:00"),
]


@pytest.mark.parametrize(("text", "utc", "precision", "kind", "jalali"), ABSOLUTE)
def test_absolute_forms(text, utc, precision, kind, jalali):
    parsed = parse(text)
    assert (parsed.utc_iso, parsed.precision, parsed.kind, parsed.jalali) == (utc, precision, kind, jalali)
    assert parsed.utc.tzinfo is UTC
    assert parsed.local.tzinfo == TEHRAN
    # astimezone, not ==: Python never equates a time in a repeated hour across zones (PEP 495).
    assert parsed.local.astimezone(UTC) == parsed.utc


def test_local_time_shows_the_real_offset():
    assert parse("۲۳ مرداد ۱۴۰۱ | ۱۸:۴۵").local.isoformat() == "2022-08-14T18:45:00+04:30"
    assert parse("۱ مرداد ۱۴۰۳ | ۰۹:۰۰").local.isoformat() == "2024-07-22T09:00:00+03:30"
    assert parse("۲ فروردین ۱۴۰۱ | ۰۰:۳۰").local.isoformat() == "2022-03-22T01:30:00+04:30"


def test_day_precision_is_local_midnight():
    parsed = parse("۱۷ مرداد ۱۳۹۷")
    assert parsed.local.isoformat() == "2018-08-08T00:00:00+04:30"
    assert parsed.utc == datetime(2018, 8, 7, 19, 30, tzinfo=UTC)


def test_parsed_date_is_frozen():
    parsed = parse("2024-05-04")
    with pytest.raises(AttributeError):
        parsed.kind = "other"


MONTH_VARIANTS = [
    ("فروردین", 1),
    ("اردیبهشت", 2),
    ("ارديبهشت", 2),
    ("خرداد", 3),
    ("تیر", 4),
    ("مرداد", 5),
    ("امرداد", 5),
    ("شهریور", 6),
    ("مهر", 7),
    ("مهر ماه", 7),
    ("مهرماه", 7),
    ("مهر‌ماه", 7),
    ("آبان", 8),
    ("آذر", 9),
    ("دی", 10),
    ("دى", 10),
    ("دي", 10),
    ("دی‌ماه", 10),
    ("بهمن", 11),
    ("اسفند", 12),
    ("اسفند ماه", 12),
]


@pytest.mark.parametrize(("spelling", "month"), MONTH_VARIANTS)
def test_month_name_variants(spelling, month):
    parsed = parse(f"۵ {spelling} ۱۴۰۲ | ۱۰:۰۰")
    expected = datetime.combine(JalaliDate(1402, month, 5).to_gregorian(), time(10), tzinfo=TEHRAN)
    assert parsed.jalali == f"1402-{month:02d}-05 10:00"
    assert parsed.utc == expected


WEEKDAY_VARIANTS = [
    # 1403/02/15 is a Saturday (2024-05-04); the following days follow.
    ("شنبه", 15),
    ("یکشنبه", 16),
    ("یک‌شنبه", 16),
    ("یک شنبه", 16),
    ("يكشنبه", 16),
    ("دوشنبه", 17),
    ("سه شنبه", 18),
    ("سه‌شنبه", 18),
    ("سهشنبه", 18),
    ("چهارشنبه", 19),
    ("پنجشنبه", 20),
    ("پنج‌شنبه", 20),
    ("پنج شنبه", 20),
    ("جمعه", 21),
]


@pytest.mark.parametrize(("weekday", "day"), WEEKDAY_VARIANTS)
def test_weekday_variants(weekday, day):
    parsed = parse(f"{weekday}، {digits.en_to_fa(str(day))} اردیبهشت ۱۴۰۳")
    assert parsed.jalali == f"1403-02-{day}"
    assert parsed.local.date() == JalaliDate(1403, 2, day).to_gregorian()


def test_weekday_contradicting_the_date_is_an_error():
    with pytest.raises(DateParseError) as caught:
        parse("دوشنبه، ۱۷ مرداد ۱۳۹۷")
    message = str(caught.value)
    assert "دوشنبه" in message and "چهارشنبه" in message
    assert "1397/05/17" in message and "2018-08-08" in message


def test_weekday_is_checked_on_numeric_dates_and_feeds():
    with pytest.raises(DateParseError, match="Wednesday"):
        parse("جمعه ۱۳۹۷/۰۵/۱۷")  # 2018-08-08 is a Wednesday
    with pytest.raises(DateParseError, match="Tuesday"):
        parse("Wed, 23 Aug 2022 14:15:00 GMT")


def test_two_digit_year_pivot_is_the_same_for_names_and_numbers():
    for two_digits, year in (("50", 1450), ("51", 1351), ("00", 1400), ("99", 1399)):
        by_name = parse(f"۱ فروردین {two_digits}", now=FAR_FUTURE)
        by_number = parse(f"{two_digits}/01/01", now=FAR_FUTURE)
        assert by_name.jalali == by_number.jalali == f"{year}-01-01"


ERRORS = [
    ("", "empty"),
    ("   \n", "empty"),
    ("سلام دنیا", "no date found"),
    ("ساعت ۱۲:۳۰", "no date found"),
    ("۱۷ مرداد", "no date found"),
    ("Tue, 23 Aug 2022 14:15:00", "no date found"),
    ("۳۰ اسفند ۱۴۰۰", "1400 is not a leap year"),
    ("1404/12/30", "1404 is not a leap year"),
    ("۳۱ مهر ۱۴۰۱", "Mehr has 30 days"),
    ("۰ مرداد ۱۴۰۱", "days start at 1"),
    ("1401/13/01", "months run 1-12"),
    ("۲۳ مرداد ۱۴۰۱ | ۲۴:۰۰", "invalid time 24:00"),
    ("۲۳ مرداد ۱۴۰۱ | ۱۸:۶۰", "invalid time 18:60"),
    ("2024-05-04T24:00:00", "invalid time"),
    ("2024-02-30", "does not exist"),
    ("1970-01-01T00:00:00Z", "year 1970"),
    ("1985-05-04", "year 1985"),
    ("Tue, 23 Aug 1988 14:15:00 GMT", "year 1988"),
    ("۱۷ مرداد ۲۰۲۴", "not a Jalali year"),
    ("2027-01-01", "after now"),
    ("۱۷ مرداد ۱۴۰۵", "after now"),
    ("2025-06-04T12:00:01Z", "after now"),
    ("04/05/2024", "ambiguous"),
    ("نیم روز پیش", "half"),
]


@pytest.mark.parametrize(("text", "reason"), ERRORS)
def test_errors_quote_the_input_and_say_why(text, reason):
    with pytest.raises(DateParseError) as caught:
        parse(text)
    assert isinstance(caught.value, ValueError)
    assert repr(text) in str(caught.value)
    assert reason in str(caught.value)


def test_error_survives_pickling():
    error = pickle.loads(pickle.dumps(DateParseError("۳۱ مهر ۱۴۰۱", "Mehr has 30 days")))
    assert (error.text, error.reason) == ("۳۱ مهر ۱۴۰۱", "Mehr has 30 days")


def test_two_days_ahead_is_still_accepted():
    assert parse("2025-06-03T12:00:00Z").utc_iso == "2025-06-03T12:00:00Z"


def test_naive_now_is_refused():
    with pytest.raises(TypeError):
        parse_datetime("۳ ساعت پیش", now=datetime(2024, 5, 4, 10, 0))


# 2024-05-04T10:37:20Z is 14:07:20 on 1403-02-15 in Tehran (+03:30).
REL_NOW = datetime(2024, 5, 4, 10, 37, 20, tzinfo=UTC)
RELATIVE = [
    ("۳ ساعت پیش", "2024-05-04T07:37:00Z", "hour"),
    ("یک ساعت پیش", "2024-05-04T09:37:00Z", "hour"),
    ("۱۵ دقیقه قبل", "2024-05-04T10:22:00Z", "minute"),
    ("دوازده دقیقه پیش", "2024-05-04T10:25:00Z", "minute"),
    ("۴۰ ثانیه پیش", "2024-05-04T10:36:00Z", "minute"),
    ("نیم ساعت پیش", "2024-05-04T10:07:00Z", "minute"),
    ("لحظاتی پیش", "2024-05-04T10:37:00Z", "minute"),
    ("چند لحظه پیش", "2024-05-04T10:37:00Z", "minute"),
    ("۲ روز پیش", "2024-05-01T20:30:00Z", "day"),  # Tehran 2024-05-02 00:00
    ("سه روز قبل", "2024-04-30T20:30:00Z", "day"),
    ("۱ هفته پیش", "2024-04-26T20:30:00Z", "day"),
    ("امروز", "2024-05-03T20:30:00Z", "day"),
    ("دیروز", "2024-05-02T20:30:00Z", "day"),
    ("امروز ۱۲:۳۰", "2024-05-04T09:00:00Z", "minute"),
    ("دیروز ساعت ۱۸:۴۵", "2024-05-03T15:15:00Z", "minute"),
    ("۱۲:۳۰ امروز", "2024-05-04T09:00:00Z", "minute"),
]


@pytest.mark.parametrize(("text", "utc", "precision"), RELATIVE)
def test_relative_forms(text, utc, precision):
    parsed = parse(text, now=REL_NOW)
    assert (parsed.utc_iso, parsed.precision, parsed.kind) == (utc, precision, "relative")


def test_today_and_yesterday_are_tehran_days():
    # 2024-05-04T22:00Z is already 01:30 on 2024-05-05 (1403-02-16) in Tehran.
    late = datetime(2024, 5, 4, 22, 0, tzinfo=UTC)
    today = parse("امروز", now=late)
    assert today.utc_iso == "2024-05-04T20:30:00Z"
    assert today.jalali == "1403-02-16"
    assert parse("امروز ۰۱:۰۰", now=late).utc_iso == "2024-05-04T21:30:00Z"
    assert parse("دیروز ساعت ۱۸:۴۵", now=late).utc_iso == "2024-05-04T15:15:00Z"
    assert parse("۲۰ ساعت قبل", now=late).utc_iso == "2024-05-04T02:00:00Z"


def test_relative_default_now_is_the_current_time():
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    parsed = parse_datetime("لحظاتی پیش")
    assert before <= parsed.utc <= datetime.now(UTC)


# choose_published: 1401-05-23 18:45 Tehran (+04:30) is 2022-08-14T14:15Z.
DISPLAYED = "نوشته شده توسط زهرا ملکی | ۲۳ مرداد ۱۴۰۱ | ۱۸:۴۵"


def test_choose_prefers_machine_date_that_agrees_to_the_day():
    chosen, source, notes = choose_published(DISPLAYED, [("jsonld", "2022-08-14T18:45:30+04:30")], now=NOW)
    assert chosen.utc_iso == "2022-08-14T14:15:30Z" and chosen.kind == "iso"
    assert source == "jsonld" and notes == []


def test_choose_skips_a_disagreeing_machine_date_and_notes_it():
    machine = [("jsonld", "2022-08-15T10:00:00+04:30"), ("feed", "Sun, 14 Aug 2022 14:15:00 +0000")]
    chosen, source, notes = choose_published(DISPLAYED, machine, now=NOW)
    assert chosen.kind == "rfc822" and source == "feed"
    assert notes == [
        "date sources disagree: displayed 1401-05-23 18:45 vs jsonld 2022-08-15T05:30:00Z (1401-05-24 10:00 Tehran)"
    ]


def test_choose_keeps_displayed_when_all_machine_dates_disagree():
    chosen, source, notes = choose_published(DISPLAYED, [("meta", "2022-08-20T09:00:00Z")], now=NOW)
    assert chosen.kind == "jalali-text" and chosen.utc_iso == "2022-08-14T14:15:00Z" and source == "displayed"
    assert len(notes) == 1 and notes[0].startswith(
        "date sources disagree: displayed 1401-05-23 18:45 vs meta"
    )


def test_choose_notes_a_different_minute():
    chosen, _source, notes = choose_published(DISPLAYED, [("time", "2022-08-14T14:20:00Z")], now=NOW)
    assert chosen.utc_iso == "2022-08-14T14:20:00Z"
    assert notes == ["displayed time 18:45 differs from time 18:50 (Tehran); kept time"]


def test_choose_keeps_displayed_when_the_machine_date_is_coarser():
    chosen, _source, notes = choose_published(DISPLAYED, [("meta", "2022-08-14")], now=NOW)
    assert chosen.kind == "jalali-text" and chosen.precision == "minute"
    assert notes == []


def test_choose_compares_days_in_tehran_time():
    # 01:30 on 1403-02-16 in Tehran is 22:00Z on the previous UTC day.
    chosen, _source, notes = choose_published(
        "۱۶ اردیبهشت ۱۴۰۳ | ۰۱:۳۰", [("jsonld", "2024-05-04T22:00:00Z")], now=NOW
    )
    assert chosen.kind == "iso" and notes == []


def test_choose_relative_display_takes_the_exact_machine_date():
    now = datetime(2024, 5, 4, 12, 0, tzinfo=UTC)
    chosen, _source, notes = choose_published("۳ ساعت پیش", [("meta", "2024-05-04T08:47:12Z")], now=now)
    assert chosen.utc_iso == "2024-05-04T08:47:12Z" and notes == []


def test_choose_without_displayed_takes_first_readable_machine_date():
    machine = [
        ("meta", "not a date"),
        ("time", "2024-05-04T10:15:00+03:30"),
        ("feed", "Sat, 04 May 2024 09:00:00 GMT"),
    ]
    chosen, _source, notes = choose_published(None, machine, now=NOW)
    assert chosen.utc_iso == "2024-05-04T06:45:00Z"
    assert len(notes) == 1 and notes[0].startswith("unreadable meta date: 'not a date' (")


def test_choose_with_unreadable_displayed_takes_machine_date():
    chosen, _source, notes = choose_published(
        "۳۱ مهر ۱۴۰۱ | ۱۰:۰۰", [("jsonld", "2022-10-23T10:00:00+03:30")], now=NOW
    )
    assert chosen.kind == "iso"
    assert len(notes) == 1 and notes[0].startswith("unreadable displayed date: '۳۱ مهر ۱۴۰۱ | ۱۰:۰۰' (")


def test_choose_returns_none_when_nothing_is_readable():
    chosen, _source, notes = choose_published("", [("feed", "yesterday-ish")], now=NOW)
    assert chosen is None
    assert [note.split(":")[0] for note in notes] == ["unreadable displayed date", "unreadable feed date"]
    assert choose_published(None, [], now=NOW) == (None, None, [])


def _all_days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


@pytest.mark.slow
def test_every_day_from_1300_to_1500_matches_persiantools():
    """Jalali -> Gregorian through the parser, and Gregorian -> Jalali through the helper."""
    first, last = JalaliDate(1300, 1, 1).to_gregorian(), JalaliDate(1500, 12, 29).to_gregorian()
    count = 0
    for day in _all_days(first, last):
        expected = JalaliDate(day)
        jalali = (expected.year, expected.month, expected.day)
        parsed = parse(f"{jalali[0]}/{jalali[1]:02d}/{jalali[2]:02d}", now=FAR_FUTURE)
        assert parsed.local.date() == day, jalali
        assert gregorian_to_jalali(day) == jalali, day
        count += 1
    assert count == (last - first).days + 1 > 73_000


@pytest.mark.slow
def test_every_gregorian_day_from_1990_reads_back_as_persiantools_jalali():
    last = JalaliDate(1500, 12, 29).to_gregorian()
    for day in _all_days(date(1990, 1, 1), last):
        expected = JalaliDate(day)
        parsed = parse(day.isoformat(), now=FAR_FUTURE)
        assert parsed.jalali == f"{expected.year:04d}-{expected.month:02d}-{expected.day:02d}", day


MONTH_SPELLINGS = {
    1: ["فروردین"],
    2: ["اردیبهشت", "ارديبهشت"],
    3: ["خرداد"],
    4: ["تیر"],
    5: ["مرداد", "امرداد"],
    6: ["شهریور"],
    7: ["مهر", "مهر ماه", "مهرماه"],
    8: ["آبان"],
    9: ["آذر"],
    10: ["دی", "دى"],
    11: ["بهمن"],
    12: ["اسفند"],
}
DIGIT_STYLES = [str, digits.en_to_fa, lambda latin: digits.fa_to_ar(digits.en_to_fa(latin))]


@settings(max_examples=300, deadline=None)
# 20:00Z on 2022-09-21 is the second 23:30 of that night in Tehran.
@pytest.mark.slow
@example(moment=datetime(2022, 9, 21, 20, 0, tzinfo=UTC), spelling=0, digit_style=str, separator=" | ")
@given(
    moment=st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),
    spelling=st.integers(min_value=0, max_value=2),
    digit_style=st.sampled_from(DIGIT_STYLES),
    separator=st.sampled_from([" | ", " - ", " ساعت ", "، "]),
)
def test_displayed_format_round_trips(moment, spelling, digit_style, separator):
    moment = moment.replace(second=0, microsecond=0)
    local = moment.astimezone(TEHRAN)
    jalali = JalaliDate(local.date())
    names = MONTH_SPELLINGS[jalali.month]
    clock = f"{local.hour:02d}:{local.minute:02d}"
    text = digit_style(f"{jalali.day} {names[spelling % len(names)]} {jalali.year}{separator}{clock}")

    parsed = parse(text, now=FAR_FUTURE)

    # A wall time that happened twice reads as its first occurrence (one hour earlier).
    expected = moment if local.fold == 0 else moment - timedelta(hours=1)
    assert parsed.utc == expected
    assert parsed.jalali == f"{jalali.year:04d}-{jalali.month:02d}-{jalali.day:02d} {clock}"


# --- day_range: the --since/--until of every command ---------------------------------------


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


@pytest.mark.parametrize(
    ("since", "until", "start", "end"),
    [
        # 1 Farvardin 1403 = 2024-03-20, +03:30 all day: both ends of one whole Tehran day.
        ("1403-01-01", "1403-01-01", utc(2024, 3, 19, 20, 30), utc(2024, 3, 20, 20, 30)),
        ("2024-03-20", "۱ فروردین ۱۴۰۳", utc(2024, 3, 19, 20, 30), utc(2024, 3, 20, 20, 30)),
        ("۱۴۰۳/۰۱/۰۱", None, utc(2024, 3, 19, 20, 30), None),
        (None, "1402-12-29", None, utc(2024, 3, 19, 20, 30)),
        # 2 Farvardin 1401 had no midnight (DST began): it starts at 01:00 +04:30 and lasts 23 hours.
        ("1401-01-02", "1401-01-02", utc(2022, 3, 21, 20, 30), utc(2022, 3, 22, 19, 30)),
        # 30 Shahrivar 1401 (2022-09-21) had 23:00-23:59 twice: 25 hours.
        ("2022-09-21", "1401-06-30", utc(2022, 9, 20, 19, 30), utc(2022, 9, 21, 20, 30)),
        # Years ahead is a bound, not a misread page date.
        (None, "1410-01-01", None, utc(2031, 3, 21, 20, 30)),
        (None, None, None, None),
        ("", "", None, None),
    ],
)
def test_day_range_is_whole_tehran_days_both_included(since, until, start, end):
    assert day_range(since, until, now=NOW) == (start, end)


def test_day_range_reads_relative_days_against_now():
    # 2025-06-01 12:00Z is 15:30 in Tehran: yesterday is 10 Khordad 1404 (31 May).
    assert day_range("دیروز", "امروز", now=NOW) == (utc(2025, 5, 30, 20, 30), utc(2025, 6, 1, 20, 30))


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("fooday", None, "'fooday' is not a date"),
        (None, "1403-13-45", "'1403-13-45' is not a date"),
        ("1403-12-31", None, "Esfand 1403 has 30 days"),
        ("2024-03-20 10:15", None, "'2024-03-20 10:15' is a time, not a day"),
        (None, "۳ ساعت پیش", "is a time, not a day"),
        ("1403-01-02", "1403-01-01", "the first day '1403-01-02' is after the last day '1403-01-01'"),
        ("2024-03-21", "1403-01-01", "the first day '2024-03-21' is after the last day '1403-01-01'"),
    ],
)
def test_day_range_names_the_value_it_refuses(since, until, message):
    with pytest.raises(ValueError, match=re.escape(message)) as refused:
        day_range(since, until, now=NOW)
    assert "--" not in str(refused.value)  # values, not options: the command names those


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=date(1990, 1, 1), max_value=date(2080, 12, 31)))
def test_day_range_is_the_same_day_in_either_calendar(day):
    jalali = JalaliDate(day)
    start, end = day_range(day.isoformat(), f"{jalali.year}-{jalali.month:02d}-{jalali.day:02d}", now=NOW)
    assert start == datetime.combine(day, time(), tzinfo=TEHRAN).astimezone(UTC)
    assert (
        start.astimezone(TEHRAN).date() == day
        and (end - timedelta(seconds=1)).astimezone(TEHRAN).date() == day
    )
    assert end == datetime.combine(day + timedelta(days=1), time(), tzinfo=TEHRAN).astimezone(UTC)
    assert timedelta(hours=23) <= end - start <= timedelta(hours=25)
