"""Distributed crawling (issue 11): throughput of 1, 2 and 4 worker processes and one ingester.

The generated Digiato mirror (``bench.mirror``, N article pages of 80-150 KB, default 2,000)
is served by the static server (``bench.server``); a ``redis-server`` of this benchmark's own
listens on a free loopback port. For each worker count, on a fresh archive and key prefix,
one ``newsarchive ingest`` process and that many ``scrapy crawl digiato`` workers
(``NEWSARCHIVE_REDIS_URL``) are launched together; the figure is article pages divided
by the wall time from the launch to the moment the archive holds every article (the
benchmark polls it read-only every 50 ms): process start-up, queueing through Redis and
the ingester's writes included, the workers' idle wait at the end not. The baseline is
one ordinary ``scrapy crawl digiato`` (no Redis), measured the same way. Every process
gets ``bench.crawl_runner.SHARED_SETTINGS`` (AutoThrottle off, no delay, 16 concurrent
requests per process).

**On 2 cores** (the project's machines) the workers, the ingester, Redis and the static
server share two CPUs: extraction is CPU-bound, so more than two workers cannot go faster
and the rows say what it costs. The figure that transfers to more machines is the
efficiency per worker (rate / workers / one worker's rate).

``python -m bench distributed [--quick]``; ``NEWSARCHIVE_BENCH_PAGES``, ``NEWSARCHIVE_BENCH_RUNS``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import row, summarize  # noqa: E402
from bench.crawl_runner import SHARED_SETTINGS  # noqa: E402
from bench.mirror import bench_dir, generated_mirror  # noqa: E402
from bench.server import StaticServer  # noqa: E402

WORKER_COUNTS = (1, 2, 4)
TIMEOUT = 1800


def _log(message: str) -> None:
    print(f"[bench] distributed: {message}", file=sys.stderr, flush=True)


class RedisServer:
    """A throw-away ``redis-server`` on a free loopback port (no persistence)."""

    def __init__(self, folder: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                if redis.Redis.from_url(self.url, socket_connect_timeout=1).ping():
                    break
            except redis.RedisError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def _settings_args(settings: dict) -> list[str]:
    return [arg for key, value in settings.items() for arg in ("-s", f"{key}={value}")]


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("select count(*) from articles").fetchone()[0]
    except sqlite3.Error:
        return 0


def one_crawl(server_url: str, work: Path, pages: int, workers: int, redis_url: str | None) -> dict:
    """Launch ``workers`` crawler processes (and an ingester when ``redis_url``); seconds until
    the archive holds ``pages`` articles, and the CPU time of every process."""
    name = f"{workers}w" if redis_url else "single"
    db = work / f"{name}-{uuid.uuid4().hex[:6]}.db"
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("NEWSARCHIVE_DB", None)
    env.pop("NEWSARCHIVE_REDIS_URL", None)
    settings = {
        **SHARED_SETTINGS,
        "NEWSARCHIVE_REPLAY_URL": server_url,
        "NEWSARCHIVE_DB": db,
        "NEWSARCHIVE_WARC": 0,
    }
    if redis_url:
        settings |= {
            "NEWSARCHIVE_REDIS_URL": redis_url,
            "NEWSARCHIVE_REDIS_PREFIX": prefix,
            "NEWSARCHIVE_REDIS_HEARTBEAT": 0.5,
            "NEWSARCHIVE_REDIS_IDLE_CLOSE": 1,
        }
    processes: list[tuple[str, subprocess.Popen, Path]] = []
    started = time.perf_counter()
    if redis_url:
        log = work / f"{name}-ingest.log"
        command = [
            sys.executable,
            "-m",
            "newsarchive",
            "ingest",
            "--redis",
            redis_url,
            "--db",
            str(db),
            "--prefix",
            prefix,
            "--exit-when-idle",
            "10",
            "--json",
        ]  # outlasts the workers' start-up
        processes.append(
            (
                "ingest",
                subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT),
                log,
            )
        )
    for number in range(workers):
        log = work / f"{name}-worker{number}.log"
        command = [sys.executable, "-m", "scrapy", "crawl", "digiato", *_settings_args(settings)]
        processes.append(
            (
                f"worker{number}",
                subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT),
                log,
            )
        )
    done_at = None
    cpu = 0.0
    finished: set[int] = set()
    while len(finished) < len(processes):
        if done_at is None and _count(db) >= pages:
            done_at = time.perf_counter()
        for _, process, _ in processes:
            if process.pid in finished:
                continue
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                finished.add(pid)
                process.returncode = os.waitstatus_to_exitcode(status)
                cpu += usage.ru_utime + usage.ru_stime
        if time.perf_counter() - started > TIMEOUT:
            for _, process, _ in processes:
                process.kill()
            raise RuntimeError(f"{name}: no end after {TIMEOUT} s")
        time.sleep(0.05)
    stored = _count(db)
    done_at = done_at or time.perf_counter()
    failed = [
        (label, process.returncode, log) for label, process, log in processes if process.returncode != 0
    ]
    if failed or stored != pages:
        label, code, log = failed[0] if failed else processes[-1]
        raise RuntimeError(
            f"{name}: {stored}/{pages} articles, {label} exit {code}; log {log}:\n"
            + log.read_text(errors="replace")[-3000:]
        )
    shares = []
    with sqlite3.connect(db) as conn:
        if redis_url:
            stats = json.loads(
                conn.execute("select stats from crawl_runs order by id desc limit 1").fetchone()[0]
            )
            shares = sorted(
                (w["items"] for w in stats.get("newsarchive/ingest/workers", {}).values()), reverse=True
            )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    seconds = done_at - started
    return {
        "seconds": seconds,
        "rate": pages / seconds,
        "cpu": cpu,
        "shares": shares,
        "load": os.getloadavg()[0],
    }


def run(quick: bool = False) -> list[dict]:
    pages = int(os.environ.get("NEWSARCHIVE_BENCH_PAGES") or (500 if quick else 2000))
    runs = int(os.environ.get("NEWSARCHIVE_BENCH_RUNS") or 1)
    mirror = generated_mirror(pages, progress=lambda done, total: _log(f"generating pages: {done}/{total}"))
    results: dict[str, list[dict]] = {}
    with (
        tempfile.TemporaryDirectory(dir=bench_dir(), prefix="distributed-") as tmp,
        StaticServer(mirror.roots, preload=mirror.request_targets()) as server,
    ):
        work = Path(tmp)
        redis = RedisServer(work)
        try:
            for run_number in range(runs):
                for label, workers, url in [
                    ("single", 1, None),
                    *((f"{n}", n, redis.url) for n in WORKER_COUNTS),
                ]:
                    result = one_crawl(server.url, work, pages, workers, url)
                    results.setdefault(label, []).append(result)
                    _log(
                        f"{label} (run {run_number + 1}/{runs}): {pages} pages in {result['seconds']:.1f} s = "
                        f"{result['rate']:.0f}/s, CPU {result['cpu']:.0f} s, shares {result['shares']}, "
                        f"load {os.getloadavg()[0]:.2f}"
                    )
        finally:
            redis.stop()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    single, single_spread = summarize(r["rate"] for r in results["single"])
    one, _ = summarize(r["rate"] for r in results["1"])
    single_cpu, _ = summarize(r["cpu"] for r in results["single"])
    rows = [
        row(
            "distributed",
            f"single-process crawl (no Redis), {pages:,} pages",
            single,
            "pages/s",
            target="none (the baseline)",
            met=None,
            runs=runs,
            spread=single_spread,
            note=(
                f"generated mirror, one static server; launch to last article committed; "
                f"CPU of the crawl process {summarize(r['cpu'] for r in results['single'])[0]:.0f} s; "
                f"{cores} usable cores"
            ),
        )
    ]
    for workers in WORKER_COUNTS:
        measured = results[str(workers)]
        rate, spread = summarize(r["rate"] for r in measured)
        cpu, _ = summarize(r["cpu"] for r in measured)
        shares = measured[len(measured) // 2]["shares"]
        loads = ", ".join(f"{r['load']:.1f}" for r in measured)
        baseline = ("single-process crawl", single) if workers == 1 else ("1 worker", one)
        ratio = rate / baseline[1] if baseline[1] else None
        efficiency = rate / (workers * one) if one else None
        rows.append(
            row(
                "distributed",
                f"{workers} worker{'s' if workers > 1 else ''} + ingester, {pages:,} pages",
                rate,
                "pages/s",
                baseline=baseline[0],
                baseline_value=baseline[1],
                ratio=ratio,
                target="none: reported for scaling (2-core machine)",
                met=None,
                runs=runs,
                spread=spread,
                note=(
                    f"launch to last article committed; articles per worker {shares}; CPU of all processes "
                    f"(workers + ingester) {cpu:.0f} s = {cpu / pages * 1e3:.1f} ms per page (single process: "
                    f"{single_cpu / pages * 1e3:.1f} ms); efficiency per worker {efficiency:.0%} of one worker's rate; "
                    f"load average after the runs {loads} (a machine shared "
                    f"with other jobs gives more processes a larger share of its CPU)"
                    + (
                        f"; {workers} workers + ingester + Redis + static server on {cores} cores: CPU-bound "
                        f"extraction cannot scale past the cores"
                        if workers > cores
                        else ""
                    )
                ),
            )
        )
    return rows


if __name__ == "__main__":
    from bench import format_table, machine

    print(format_table(run(quick="--quick" in sys.argv), [], machine(), " ".join(sys.argv)))
