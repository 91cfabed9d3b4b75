"""Benchmark ``newsarchive export``: articles per second and peak memory on large archives.

A synthetic archive (three sources, 2018–2025, Persian bodies of ~300 words with ZWNJ
words and Latin tokens, some tags and authors) is built through
:meth:`newsarchive.archive.Archive.bulk_insert`, then exported to JSONL and JSONL.gz by
``python -m newsarchive export`` in a subprocess. Each figure is the wall time of that
whole process (interpreter start-up included) and its peak resident memory: the largest
``VmHWM`` of the process tree, sampled (above 20,000 articles the export forks two encoder
processes; see :func:`measure` for why not ``ru_maxrss``), with the total PSS of the tree
in the note.

The baseline is ``sqlite-utils rows DB articles --nl`` with the columns the export reads,
writing to a file: a plain dump, with no ordering, no JSON decoding of the array columns,
no word counts, no manifest and ``\\uXXXX`` escapes instead of UTF-8 characters.

Targets: at least 20,000 articles per second to plain JSONL, and peak resident memory
under 200 MB at 1,000,000 articles (memory must not grow with the archive).

Run ``python bench/bench_export.py`` (``--quick``: 100,000 articles only).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.proctree import tree_memory_kb
from newsarchive.archive import EXPORT_COLUMNS, Archive
from newsarchive.export import GZIP_LEVEL, PARALLEL_WORKERS
from newsarchive.persian.dates import TEHRAN, gregorian_to_jalali

TARGET_PER_SECOND = 20_000
TARGET_PEAK_MB = 200
SOURCES = {
    "digiato": "https://digiato.com",
    "zoomit": "https://www.zoomit.ir",
    "itiran": "https://itiran.com",
}
WORDS = [
    "پیام\u200cرسان\u200cهای",
    "ایرانی",
    "گوشی",
    "هوشمند",
    "اپلیکیشن",
    "اینترنت",
    "ملی",
    "فیلترینگ",
    "سامسونگ",
    "اپل",
    "گوگل",
    "هوش\u200cمصنوعی",
    "پردازنده",
    "کارت\u200cگرافیک",
    "باتری",
    "شارژ",
    "سریع",
    "دوربین",
    "نمایشگر",
    "قیمت",
    "بازار",
    "رمزارز",
    "بیت\u200cکوین",
    "استارتاپ",
    "سرمایه\u200cگذاری",
    "دیجی\u200cکالا",
    "اسنپ",
    "تپسی",
    "اپراتور",
    "همراه\u200cاول",
    "ایرانسل",
    "اینترنت\u200cثابت",
    "پهنای\u200cباند",
    "کاربران",
    "می\u200cشود",
    "می\u200cکند",
    "کرده\u200cاند",
    "خواهد\u200cبود",
    "است",
    "بود",
    "شد",
    "را",
    "که",
    "از",
    "به",
    "با",
    "در",
    "برای",
    "این",
    "آن",
    "یک",
    "دو",
    "سه",
    "iOS",
    "17.2",
    "Android",
    "14",
    "i9-13900K",
    "RTX",
    "4090",
    "5G",
    "Wi-Fi",
    "7",
    "USB-C",
    "ChatGPT",
    "Galaxy",
    "S24",
    "Pixel",
    "8",
]
TAGS = ("هوش‌مصنوعی", "موبایل", "اپل", "سامسونگ", "اینترنت", "استارتاپ", "رمزارز", "سخت‌افزار", "بازی")
AUTHORS = ("زهرا ملکی", "علی رضایی", "مریم احمدی", "حسین کریمی", "سارا محمدی")


def _sentences(rng: random.Random, count: int) -> list[str]:
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 22))) + "." for _ in range(count)]


def synthetic_articles(count: int, seed: int = 1403):
    """``count`` articles in random order of date, spread over 2018–2025."""
    rng = random.Random(seed)
    pool = _sentences(rng, 3000)
    start = datetime(2018, 1, 1, tzinfo=UTC)
    span = int((datetime(2025, 6, 1, tzinfo=UTC) - start).total_seconds() // 60)
    names = list(SOURCES)
    for number in range(count):
        source = names[number % len(names)]
        moment = start + timedelta(minutes=rng.randrange(span))
        local = moment.astimezone(TEHRAN)
        year, month, day = gregorian_to_jalali(local.date())
        paragraphs = ["".join(" " + s for s in rng.sample(pool, 5)).strip() for _ in range(3)]
        yield {
            "source": source,
            "url": f"{SOURCES[source]}/news/{number}",
            "title": f"خبر شماره {number}: " + rng.choice(pool)[:60],
            "lead": rng.choice(pool) if number % 5 else None,
            "body": f"متن خبر {number}. " + "\n\n".join(paragraphs),
            "authors": [rng.choice(AUTHORS)] if number % 3 else [],
            "categories": [rng.choice(TAGS)],
            "tags": rng.sample(TAGS, rng.randint(0, 3)),
            "image_url": f"{SOURCES[source]}/img/{number}.jpg",
            "page_type": "article",
            "sponsored": number % 50 == 0,
            "published_at": moment.strftime("%Y-%m-%dT%H:%M:00Z"),
            "published_jalali": f"{year:04d}-{month:02d}-{day:02d} {local.hour:02d}:{local.minute:02d}",
            "published_precision": "minute",
            "modified_at": (moment + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:00Z")
            if number % 7 == 0
            else None,
            "field_sources": {},
            "notes": [],
        }


def build_archive(path: Path, count: int) -> Path:
    with Archive(path) as archive:
        archive.bulk_insert(synthetic_articles(count), fetched_at="2025-06-01T00:00:00Z", batch_size=2000)
        archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def measure(command: list[str], stdout_path: Path | None = None) -> tuple[float, float, float]:
    """(seconds, peak RSS in MB, peak total PSS in MB) of one child process and its children.

    Peak RSS is the largest ``VmHWM`` (peak RSS) of any process of the tree, sampled every
    50 ms; ``ru_maxrss`` from ``os.wait4`` is only the fallback for a process too short to
    sample, because on Linux a child's ``ru_maxrss`` starts at the RSS of the parent it was
    forked from (the benchmark, which has just built a large archive), so it measured the
    benchmark, not the export. The total PSS of the tree (pages shared after fork counted
    once) is sampled at the same time.
    """
    stdout = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    peak_pss = peak_hwm = 0
    try:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.DEVNULL, env=env)
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            pss, hwm = tree_memory_kb(process.pid)
            peak_pss, peak_hwm = max(peak_pss, pss), max(peak_hwm, hwm)
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        if stdout_path:
            stdout.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{command} failed with exit status {code}")
    return elapsed, (peak_hwm or usage.ru_maxrss) / 1024, peak_pss / 1024  # all in KiB on Linux


def run(quick: bool = False) -> list[dict]:
    sizes = (100_000,) if quick else (100_000, 1_000_000)
    rows: list[dict] = []
    work = Path(tempfile.mkdtemp(prefix="bench-export-"))
    try:
        for size in sizes:
            db = build_archive(work / f"archive-{size}.db", size)
            sqlite_utils = shutil.which("sqlite-utils")
            columns = [arg for column in EXPORT_COLUMNS for arg in ("-c", column)]
            base_command = [sqlite_utils] if sqlite_utils else [sys.executable, "-m", "sqlite_utils"]
            base_seconds, base_peak, base_pss = measure(
                [*base_command, "rows", str(db), "articles", "--nl", *columns], work / "baseline.jsonl"
            )
            base_rate = size / base_seconds
            baseline = f"sqlite-utils rows DB articles --nl (same {len(EXPORT_COLUMNS)} columns) to a file"
            for suffix, note in (
                ("jsonl", "plain JSON Lines"),
                ("jsonl.gz", f"gzip level {GZIP_LEVEL}, mtime 0"),
            ):
                out = work / f"export-{size}.{suffix}"
                seconds, peak, pss = measure(
                    [
                        sys.executable,
                        "-m",
                        "newsarchive",
                        "export",
                        "--db",
                        str(db),
                        "--out",
                        str(out),
                        "--force",
                    ]
                )
                rate = size / seconds
                size_mb = out.stat().st_size / 1e6
                rows.append(
                    {
                        "benchmark": "export",
                        "figure": f"export {size:,} articles to {suffix.upper()}: speed",
                        "value": round(rate),
                        "unit": "articles/s",
                        "baseline": baseline,
                        "baseline_value": round(base_rate),
                        "ratio": round(rate / base_rate, 2),
                        "target": f">= {TARGET_PER_SECOND:,} articles/s"
                        if suffix == "jsonl"
                        else "none (gzip costs CPU)",
                        "met": rate >= TARGET_PER_SECOND if suffix == "jsonl" else None,
                        "note": f"{note}; whole process wall time incl. start-up and manifest; {size_mb:,.0f} MB written",
                    }
                )
                rows.append(
                    {
                        "benchmark": "export",
                        "figure": f"export {size:,} articles to {suffix.upper()}: peak resident memory",
                        "value": round(peak, 1),
                        "unit": "MB",
                        "baseline": baseline,
                        "baseline_value": round(base_peak, 1),
                        "ratio": round(peak / base_peak, 2),
                        "target": f"< {TARGET_PEAK_MB} MB at 1,000,000 articles",
                        "met": peak < TARGET_PEAK_MB if size >= 1_000_000 else None,
                        "note": f"largest VmHWM (sampled) of the export and its {PARALLEL_WORKERS} forked "
                        f"encoder processes; their total PSS peaked at {pss:.0f} MB (sqlite-utils: "
                        f"{base_pss:.0f} MB); flat memory means the same at 100k and 1M",
                    }
                )
                out.unlink()
            for leftover in work.glob(f"export-{size}*"):
                leftover.unlink()
            for leftover in work.glob(f"archive-{size}.db*"):
                leftover.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv[1:]):
        print(row)
