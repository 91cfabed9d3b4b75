"""Benchmark parse_datetime on a realistic mix of date strings from Persian news pages.

The mix imitates what the crawl meets: Digiato tools lines, ``D month YYYY - HH:MM``
displays (some with a weekday), ISO 8601 from meta tags and JSON-LD, RFC 822 from feeds,
numeric Jalali dates and relative phrases. The baseline is ``jdatetime.datetime.strptime``
with one fixed format, on the inputs it can handle once author names and separators have
been stripped beforehand. That stripping is not timed, and strptime does less work:
it returns naive Jalali wall time, with no UTC conversion and no weekday check.

Run ``python bench/bench_dates.py`` (add ``--quick`` for a smaller, faster run).
"""

from __future__ import annotations

import random
import statistics
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from time import perf_counter

import jdatetime
from persiantools.digits import en_to_fa

from newsarchive.persian.dates import TEHRAN, gregorian_to_jalali, parse_datetime

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
TARGET_PER_SECOND = 50_000
STRPTIME_FORMAT = "%d %B %Y %H:%M"
MONTHS = jdatetime.date.j_months_fa  # the exact names strptime's %B accepts
WEEKDAYS = ("دوشنبه", "سه‌شنبه", "چهارشنبه", "پنج‌شنبه", "جمعه", "شنبه", "یک‌شنبه")
AUTHORS = ("زهرا ملکی", "علی رضایی", "مریم احمدی", "حسین کریمی", "سارا محمدی")
RELATIVE = (
    "۳ ساعت پیش",
    "۱۵ دقیقه قبل",
    "یک ساعت پیش",
    "۲ روز پیش",
    "دیروز ساعت ۱۸:۴۵",
    "امروز ۱۲:۳۰",
    "لحظاتی پیش",
    "نیم ساعت پیش",
    "دیروز",
    "۲۰ ساعت قبل",
)


def make_inputs(count: int, seed: int = 1401) -> tuple[list[str], list[str], list[str]]:
    """(mixed inputs, the displayed-date subset as written, that subset stripped for strptime)."""
    rng = random.Random(seed)
    span = int((NOW - datetime(2018, 1, 1, tzinfo=UTC)).total_seconds() // 60)
    mixed: list[str] = []
    displayed: list[str] = []
    stripped: list[str] = []
    for _ in range(count):
        moment = NOW - timedelta(minutes=rng.randrange(span))
        local = moment.astimezone(TEHRAN)
        year, month, day = gregorian_to_jalali(local.date())
        clock = f"{local.hour:02d}:{local.minute:02d}"
        date_text = en_to_fa(f"{day} ") + MONTHS[month - 1] + en_to_fa(f" {year}")
        roll = rng.random()
        if roll < 0.30:
            text = f"نوشته شده توسط {rng.choice(AUTHORS)} | {date_text} | {en_to_fa(clock)}"
        elif roll < 0.45:
            weekday = f"{WEEKDAYS[local.weekday()]}، " if rng.random() < 0.3 else ""
            text = f"{weekday}{date_text} - {en_to_fa(clock)}"
        elif roll < 0.55:
            text = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif roll < 0.65:
            text = local.isoformat(timespec="seconds")
        elif roll < 0.75:
            text = moment.strftime("%a, %d %b %Y %H:%M:%S +0000")
        elif roll < 0.85:
            text = en_to_fa(f"{year}/{month:02d}/{day:02d} {clock}")
        else:
            text = rng.choice(RELATIVE)
        mixed.append(text)
        if roll < 0.45:
            displayed.append(text)
            stripped.append(f"{date_text} {en_to_fa(clock)}")
    return mixed, displayed, stripped


def parses_per_second(parse: Callable[[str], object], inputs: list[str], runs: int) -> float:
    """Median rate over `runs` passes (the first pass also fills the conversion caches)."""
    rates = []
    for _ in range(runs):
        start = perf_counter()
        for text in inputs:
            parse(text)
        rates.append(len(inputs) / (perf_counter() - start))
    return statistics.median(rates)


def run(quick: bool = False) -> list[dict]:
    count, runs = (2_000, 3) if quick else (10_000, 5)
    mixed, displayed, stripped = make_inputs(count)

    def ours(text: str) -> object:
        return parse_datetime(text, now=NOW)

    def baseline(text: str) -> object:
        return jdatetime.datetime.strptime(text, STRPTIME_FORMAT)

    baseline_rate = parses_per_second(baseline, stripped, runs)
    baseline_name = (
        f"jdatetime.datetime.strptime({STRPTIME_FORMAT!r}) on {len(stripped)} pre-stripped displayed dates"
    )
    rows = []
    for figure, inputs, note in (
        (
            f"parse_datetime, mixed inputs (n={len(mixed)})",
            mixed,
            "30% tools lines, 15% 'D month YYYY - HH:MM', 20% ISO, 10% RFC 822, 10% numeric Jalali, "
            "15% relative",
        ),
        (
            f"parse_datetime, displayed dates as written (n={len(displayed)})",
            displayed,
            "same inputs as the baseline before stripping; parse_datetime also converts to UTC "
            "and checks weekdays",
        ),
    ):
        rate = parses_per_second(ours, inputs, runs)
        rows.append(
            {
                "benchmark": "dates",
                "figure": figure,
                "value": round(rate),
                "unit": "parses/s",
                "baseline": baseline_name,
                "baseline_value": round(baseline_rate),
                "ratio": round(rate / baseline_rate, 2),
                "target": ">= 50,000 parses/s",
                "met": rate >= TARGET_PER_SECOND,
                "note": f"{note}; median of {runs} runs",
            }
        )
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv[1:]):
        print(row)
