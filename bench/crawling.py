"""Running crawls for the benchmarks: one child process per crawl, measured from outside.

:func:`crawl` starts ``python -m bench.crawl_runner`` and waits for it with ``os.wait4``,
which gives that process's own CPU time and peak resident memory (``ru_maxrss``; the
static server is another process and never counts). Its page workers (``NEWSARCHIVE_WORKERS``)
live under a fork server that ``wait4`` never accounts for: their CPU and the whole tree's
memory (PSS) are sampled from /proc while the crawl runs (:mod:`bench.proctree`). The crawl's
stats come back as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.proctree import cpu_seconds, descendants, tree_memory_kb  # noqa: E402


@dataclass
class CrawlResult:
    mode: str
    stats: dict
    wall_seconds: float  # the whole process, interpreter start-up included
    cpu_seconds: float  # the crawl process and every process under it
    max_rss_mb: float  # the crawl process alone
    tree_pss_mb: float  # peak of the whole tree's PSS (pages shared after fork counted once)
    log: Path

    @property
    def elapsed(self) -> float:
        """Seconds from the spider's start to its close (Scrapy's ``elapsed_time_seconds``)."""
        return float(self.stats.get("elapsed_time_seconds") or self.wall_seconds)

    @property
    def pages(self) -> int:
        """Article pages fetched: stored or dropped items (full), yielded URLs (bare)."""
        if self.mode == "bare":
            return int(self.stats.get("item_scraped_count", 0))
        return int(self.stats.get("item_scraped_count", 0) + self.stats.get("item_dropped_count", 0))

    @property
    def requests(self) -> int:
        return int(self.stats.get("downloader/request_count", 0))

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.elapsed if self.elapsed else 0.0


def crawl(
    mode: str,
    replay_url: str,
    workdir: Path,
    *,
    db: Path | None = None,
    settings: dict | None = None,
    name: str | None = None,
    timeout: float = 3600,
) -> CrawlResult:
    """One crawl (``full`` or ``bare``) in a child process; raises if it fails."""
    workdir.mkdir(parents=True, exist_ok=True)
    name = name or mode
    out, log = workdir / f"{name}.json", workdir / f"{name}.log"
    out.unlink(missing_ok=True)
    command = [sys.executable, "-m", "bench.crawl_runner", mode, "--replay", replay_url, "--out", str(out)]
    if db is not None:
        command += ["--db", str(db)]
    for key, value in (settings or {}).items():
        command += ["-s", f"{key}={value}"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("NEWSARCHIVE_DB", None)
    started = time.perf_counter()
    with log.open("w") as log_file:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        deadline = started + timeout
        below: dict[int, float] = {}  # CPU seconds of each process under the crawl, last seen
        peak_pss = 0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            for child in descendants(process.pid):
                seconds = cpu_seconds(child)
                if seconds is not None:
                    below[child] = seconds
            peak_pss = max(peak_pss, tree_memory_kb(process.pid)[0])
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.05)
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0 or not out.exists():
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{mode} crawl failed ({process.returncode}); log {log}:\n{tail}")
    data = json.loads(out.read_text("utf-8"))
    return CrawlResult(
        mode,
        data["stats"],
        wall,
        usage.ru_utime + usage.ru_stime + sum(below.values()),
        usage.ru_maxrss / 1024,
        peak_pss / 1024,
        log,
    )
