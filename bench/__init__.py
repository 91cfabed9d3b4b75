"""Benchmarks, side by side with their baselines: ``python -m bench [NAME ...] [--quick] [--json PATH]``.

Every module ``bench/bench_<name>.py`` that defines ``run(quick: bool = False) -> list[dict]``
is a benchmark; ``python -m bench`` runs them all (or the names given) and prints one
table: each figure, its baseline, the ratio, the target and whether it is met, followed
by the notes and the machine (CPU model, cores, Python, Scrapy, SQLite...).

A row is a dict with the keys of :data:`ROW_KEYS`; two optional ones are understood too:
``runs`` (how many measurements the value is the median of) and ``spread`` (their
(max - min) / median). A figure whose spread is over :data:`NOISY_SPREAD` is marked
noisy. ``--repeat N`` runs each module N times and keeps, for each figure, the row of
the median run, with the spread over the runs.

Benchmark-only packages are in the ``bench`` extra (``pip install -e '.[bench]'``); a
module whose baseline is missing reports its own figures and says how to install it.
Generated data (mirrors, archives) is cached under ``$NEWSARCHIVE_BENCH_DIR`` (default
``<tmp>/newsarchive-bench``), never in the repository. See ``BENCHMARKS.md``.
"""

from __future__ import annotations

import importlib
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Iterable
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
ROW_KEYS = (
    "benchmark",
    "figure",
    "value",
    "unit",
    "baseline",
    "baseline_value",
    "ratio",
    "target",
    "met",
    "note",
)
#: A figure whose measurements spread more than this (relative to the median) is noisy.
NOISY_SPREAD = 0.10


# --- rows and measurements ---------------------------------------------------------


def spread(values: Iterable[float]) -> float | None:
    """(max - min) / median of ``values``; None for fewer than two values or a zero median."""
    values = list(values)
    if len(values) < 2:
        return None
    middle = statistics.median(values)
    return (max(values) - min(values)) / abs(middle) if middle else None


def summarize(values: Iterable[float]) -> tuple[float, float | None]:
    """The median of ``values`` and their spread."""
    values = list(values)
    return statistics.median(values), spread(values)


def row(
    benchmark: str,
    figure: str,
    value,
    unit: str,
    *,
    baseline: str | None = None,
    baseline_value=None,
    ratio=None,
    target: str | None = None,
    met: bool | None = None,
    note: str = "",
    **extra,
) -> dict:
    """A result row with every key of :data:`ROW_KEYS` (and any extra ones, e.g. runs, spread)."""
    return {
        "benchmark": benchmark,
        "figure": figure,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "baseline_value": baseline_value,
        "ratio": ratio,
        "target": target,
        "met": met,
        "note": note,
        **extra,
    }


def noisy(result: dict) -> bool:
    return (result.get("spread") or 0) > NOISY_SPREAD


# --- discovery and running ---------------------------------------------------------


def discover() -> dict[str, str]:
    """Benchmark name -> module name, for every ``bench/bench_<name>.py``, sorted by name."""
    return {
        path.stem.removeprefix("bench_"): f"bench.{path.stem}"
        for path in sorted(BENCH_DIR.glob("bench_*.py"))
    }


def _merge(runs: list[list[dict]]) -> list[dict]:
    """Rows of repeated runs of one module: per figure, the median run's row with the spread over runs."""
    if len(runs) == 1:
        return runs[0]
    by_figure: dict[tuple, list[dict]] = {}
    order: list[tuple] = []
    for rows in runs:
        for result in rows:
            key = (result.get("benchmark"), result.get("figure"))
            if key not in by_figure:
                order.append(key)
            by_figure.setdefault(key, []).append(result)
    merged = []
    for key in order:
        results = by_figure[key]
        numeric = [r for r in results if isinstance(r.get("value"), (int, float))]
        if not numeric:
            merged.append(results[0])
            continue
        numeric.sort(key=lambda r: r["value"])
        chosen = dict(numeric[(len(numeric) - 1) // 2])
        values = [r["value"] for r in numeric]
        chosen["runs"] = len(values) * (chosen.get("runs") or 1)
        chosen["spread"] = max(filter(None, [spread(values), chosen.get("spread")]), default=None)
        merged.append(chosen)
    return merged


def run_benchmarks(
    names: list[str] | None = None, *, quick: bool = False, repeat: int = 1, log=print
) -> tuple[list[dict], list[dict]]:
    """Run the named benchmarks (default: all). Returns (rows, problems); a module that fails
    or has no ``run`` is reported in problems and the others still run."""
    available = discover()
    names = names or list(available)
    rows: list[dict] = []
    problems: list[dict] = []
    for name in names:
        module_name = available.get(name) or available.get(name.removeprefix("bench_"))
        if module_name is None:
            problems.append(
                {"benchmark": name, "problem": f"no bench/bench_{name}.py (have: {', '.join(available)})"}
            )
            continue
        started = time.perf_counter()
        load = os.getloadavg()[0]
        try:
            module = importlib.import_module(module_name)
            if not callable(getattr(module, "run", None)):
                problems.append(
                    {"benchmark": name, "problem": "no run(quick) function: a script, not run by the harness"}
                )
                continue
            log(f"[bench] {name}: running{' (quick)' if quick else ''}, load {load:.2f}", file=sys.stderr)
            runs = [module.run(quick=quick) for _ in range(max(1, repeat))]
        except Exception as error:  # one broken module must not hide the others' results
            traceback.print_exc()
            problems.append({"benchmark": name, "problem": f"{type(error).__name__}: {error}"})
            continue
        seconds = time.perf_counter() - started
        log(f"[bench] {name}: done in {seconds:.0f} s, load {os.getloadavg()[0]:.2f}", file=sys.stderr)
        for result in _merge(runs):
            rows.append(
                {key: result.get(key) for key in ROW_KEYS}
                | {k: v for k, v in result.items() if k not in ROW_KEYS}
                | {"module_seconds": round(seconds, 1)}
            )
    return rows, problems


# --- the machine ---------------------------------------------------------------------


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def machine() -> dict:
    """What the figures were measured on."""
    import sqlite3

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        memory = None
    try:
        from lxml import etree

        libxml2 = ".".join(map(str, etree.LIBXML_VERSION))
    except ImportError:
        libxml2 = None
    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
            ).stdout.strip()
            or None
        )
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": round(memory, 1) if memory else None,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "scrapy": _version("scrapy"),
        "twisted": _version("twisted"),
        "lxml": _version("lxml"),
        "libxml2": libxml2,
        "sqlite": sqlite3.sqlite_version,
        "trafilatura": _version("trafilatura"),
        "hazm": _version("hazm"),
        "commit": commit,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


# --- the table -----------------------------------------------------------------------


def fmt(value, unit: str | None = None) -> str:
    """A number for the table: thousands separators, three significant digits below 1000."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        text = f"{value:,}"
    elif isinstance(value, float):
        if value == 0 or abs(value) >= 1000:
            text = f"{value:,.0f}"
        elif abs(value) >= 100:
            text = f"{value:.0f}"
        elif abs(value) >= 10:
            text = f"{value:.1f}"
        elif abs(value) >= 1:
            text = f"{value:.2f}"
        else:
            text = f"{value:.3g}"
    else:
        text = str(value)
    return f"{text} {unit}" if unit else text


def _met(result: dict) -> str:
    met = result.get("met")
    return "MET" if met is True else "missed" if met is False else "n/a"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def format_table(rows: list[dict], problems: list[dict], info: dict, command: str | None = None) -> str:
    """The results as a Markdown table, the notes under it, then the machine."""
    header = (
        "benchmark",
        "figure",
        "value",
        "baseline",
        "baseline value",
        "ratio",
        "target",
        "met",
        "runs (spread)",
    )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    notes = []
    for result in rows:
        ratio = result.get("ratio")
        runs = result.get("runs")
        spread_ = result.get("spread")
        measured = str(runs) if runs else ""
        if spread_ is not None:
            measured += f" (±{spread_ / 2:.0%}{', NOISY' if noisy(result) else ''})"
        figure = result.get("figure") or ""
        if result.get("note"):
            notes.append(result["note"])
            figure += f" [{len(notes)}]"
        cells = (
            result.get("benchmark") or "",
            figure,
            fmt(result.get("value"), result.get("unit")),
            result.get("baseline") or "—",
            fmt(
                result.get("baseline_value"),
                result.get("unit") if result.get("baseline_value") is not None else None,
            ),
            f"{ratio:.2f}x" if isinstance(ratio, (int, float)) else "—",
            result.get("target") or "—",
            _met(result),
            measured or "—",
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    out = ["\n".join(lines), ""]
    if notes:
        out += ["Notes:"] + [f"[{n}] {note}" for n, note in enumerate(notes, start=1)] + [""]
    if problems:
        out += ["Not run:"] + [f"- {p['benchmark']}: {p['problem']}" for p in problems] + [""]
    met = sum(r.get("met") is True for r in rows)
    missed = sum(r.get("met") is False for r in rows)
    out.append(
        f"Targets: {met} met, {missed} missed, {len(rows) - met - missed} without a target or baseline."
    )
    out.append("")
    out.append(
        f"Machine: {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable), {info['memory_gib']} GiB, "
        f"{info['os']}; Python {info['python']}, Scrapy {info['scrapy']}, Twisted {info['twisted']}, "
        f"lxml {info['lxml']} (libxml2 {info['libxml2']}), SQLite {info['sqlite']}, "
        f"trafilatura {info['trafilatura'] or 'not installed'}, hazm {info['hazm'] or 'not installed'}; "
        f"commit {info['commit']}; load average at start {info['load_average']}"
        + (f", at end {info['load_average_end']}" if info.get("load_average_end") else "")
        + "."
    )
    if command:
        out.append(f"Command: {command}")
    return "\n".join(out)
