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
the same way. Every name table is folded with that same function.
`choose_published` picks one date from a page's displayed and machine-readable candidates.
`is_todays_date_line` tells a site header's "today" line from an article's date line.
`day_range` turns ``--since``/``--until`` into the UTC bounds of whole Tehran days.

This module is where the rest of the project imports dates from, and where the rules
are written down; the work is done in modules of one job each:

- `newsarchive.persian.tehran`: the Tehran zone, Jalali <-> Gregorian days;
- `newsarchive.persian.date_words`: month, weekday, day-period and number names, regexes;
- `newsarchive.persian.date_readers`: one reader per written form and its fields;
- `newsarchive.persian.date_types`: `ParsedDate` and `DateParseError`;
- `newsarchive.persian.date_parser`: `parse_datetime` and `is_todays_date_line`;
- `newsarchive.persian.date_choice`: `choose_published`;
- `newsarchive.persian.day_bounds`: `day_range`.

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

from newsarchive.persian.date_choice import DateChoice, choose_published
from newsarchive.persian.date_parser import FUTURE_TOLERANCE, is_todays_date_line, parse_datetime
from newsarchive.persian.date_readers import FIRST_GREGORIAN_YEAR, JALALI_YEARS, TWO_DIGIT_YEAR_PIVOT
from newsarchive.persian.date_types import DateParseError, ParsedDate
from newsarchive.persian.day_bounds import day_range
from newsarchive.persian.tehran import TEHRAN, gregorian_to_jalali, jalali_to_gregorian

__all__ = [
    "FIRST_GREGORIAN_YEAR",
    "FUTURE_TOLERANCE",
    "JALALI_YEARS",
    "TEHRAN",
    "TWO_DIGIT_YEAR_PIVOT",
    "DateChoice",
    "DateParseError",
    "ParsedDate",
    "choose_published",
    "day_range",
    "gregorian_to_jalali",
    "is_todays_date_line",
    "jalali_to_gregorian",
    "parse_datetime",
]
