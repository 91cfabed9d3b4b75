"""Peak memory of a full crawl at two sizes: it must not grow with the pages beyond the dupe filter.

The full ``digiato`` crawl (as in ``bench_crawl``: every pipeline, the archive, WARC
records, politeness off) runs on generated mirrors of 2,000 and 20,000 pages
(``--quick``: 500 and 2,000), each in its own child process; its peak memory is the peak
PSS of the crawl process and its page workers (``NEWSARCHIVE_WORKERS``), sampled from /proc
(:mod:`bench.proctree`; pages shared after fork counted once; the static server is
another process and never counts).
With psutil installed the child's RSS is also sampled while it runs, to show where the
peak happens.

What may grow with the number of pages is the dupe filter: Scrapy keeps one fingerprint
per URL seen. Its cost per 1,000 URLs is measured here with tracemalloc (an
``RFPDupeFilter`` fed the mirror's article URLs). Target: memory growth per 1,000 pages
no more than that, with 5 % of the smaller crawl's peak as slack for the allocator.

``python -m bench memory [--quick]``.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import row, summarize  # noqa: E402
from bench.bench_crawl import _settings_note  # noqa: E402
from bench.crawling import crawl  # noqa: E402
from bench.mirror import bench_dir, generated_mirror  # noqa: E402
from bench.server import StaticServer  # noqa: E402

SLACK = 0.05


def _log(message: str) -> None:
    print(f"[bench] memory: {message}", file=sys.stderr, flush=True)


def dupefilter_bytes_per_url(urls: list[str]) -> float:
    """Bytes the dupe filter keeps per URL (its fingerprint set), measured with tracemalloc."""
    from scrapy import Request
    from scrapy.dupefilters import RFPDupeFilter
    from scrapy.utils.request import RequestFingerprinter

    dupefilter = RFPDupeFilter(fingerprinter=RequestFingerprinter())
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for url in urls:
        dupefilter.request_seen(Request(url))
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / len(urls)


class _Sampler(threading.Thread):
    """RSS of the newest child crawl process, sampled every ``interval`` seconds (psutil)."""

    def __init__(self, interval: float = 0.5):
        super().__init__(daemon=True)
        self.interval = interval
        self.samples: list[float] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            import psutil
        except ImportError:
            return
        me = psutil.Process()
        while not self.stopped.wait(self.interval):
            for child in me.children():
                try:
                    if "bench.crawl_runner" in " ".join(child.cmdline()):
                        self.samples.append(child.memory_info().rss / 2**20)
                except psutil.Error:
                    pass

    def profile(self) -> str:
        if not self.samples:
            return "no RSS samples (pip install psutil)"
        n = len(self.samples)
        points = [self.samples[min(n - 1, int(n * share))] for share in (0.1, 0.25, 0.5, 0.75)] + [
            max(self.samples)
        ]
        return "RSS at 10/25/50/75 % of the run and max: " + " / ".join(f"{p:.0f}" for p in points) + " MB"


def measure(pages: int, runs: int) -> tuple[list[float], str, list[str]]:
    mirror = generated_mirror(pages, progress=lambda done, total: _log(f"generating pages: {done}/{total}"))
    peaks, profile = [], ""
    with (
        tempfile.TemporaryDirectory(dir=bench_dir(), prefix="memory-") as tmp,
        StaticServer(mirror.roots, preload=mirror.request_targets()) as server,
    ):
        for run in range(runs):
            sampler = _Sampler()
            sampler.start()
            started = time.perf_counter()
            result = crawl(
                "full",
                server.url,
                Path(tmp),
                db=Path(tmp) / f"archive-{run}.db",
                settings={"NEWSARCHIVE_WARC_DIR": Path(tmp) / f"warc-{run}"},
                name=f"memory-{pages}-{run}",
            )
            sampler.stopped.set()
            sampler.join()
            if result.pages != pages:
                raise RuntimeError(
                    f"the {pages}-page crawl fetched {result.pages} article pages; log {result.log}"
                )
            peaks.append(result.tree_pss_mb)
            profile = sampler.profile()
            _log(
                f"{pages} pages, run {run + 1}/{runs}: peak {result.tree_pss_mb:.0f} MB in "
                f"{time.perf_counter() - started:.0f} s ({profile})"
            )
    return peaks, profile, mirror.article_urls


def run(quick: bool = False) -> list[dict]:
    small, large = (500, 2000) if quick else (2000, 20_000)
    runs = int(os.environ.get("NEWSARCHIVE_BENCH_RUNS") or (1 if quick else 2))
    small_peaks, small_profile, _ = measure(small, runs)
    large_peaks, large_profile, urls = measure(large, max(1, runs - 1))
    small_mb, small_spread = summarize(small_peaks)
    large_mb, large_spread = summarize(large_peaks)
    per_url = dupefilter_bytes_per_url(urls)
    thousands = (large - small) / 1000
    growth = (large_mb - small_mb) / thousands
    allowed = per_url * 1000 / 2**20
    slack = SLACK * small_mb / thousands
    where = f"full digiato crawl of a generated mirror, {_settings_note()}, WARC on; peak = PSS of the crawl process and its page workers"
    return [
        row(
            "memory",
            f"peak memory (PSS, crawl + workers), {small:,} pages",
            small_mb,
            "MB",
            target="none",
            met=None,
            runs=len(small_peaks),
            spread=small_spread,
            note=f"{where}; {small_profile}",
        ),
        row(
            "memory",
            f"peak memory (PSS, crawl + workers), {large:,} pages",
            large_mb,
            "MB",
            target="none",
            met=None,
            runs=len(large_peaks),
            spread=large_spread,
            note=f"{where}; {large_profile}",
        ),
        row(
            "memory",
            f"memory growth per 1,000 pages ({small:,} -> {large:,})",
            growth,
            "MB",
            baseline="dupe filter per 1,000 URLs",
            baseline_value=allowed,
            ratio=growth / allowed if allowed else None,
            target=f"<= dupe filter (+{SLACK:.0%} of the {small:,}-page peak: {slack:.2f} MB)",
            met=growth <= allowed + slack,
            note=(
                f"difference {large_mb - small_mb:+.0f} MB over {large - small:,} more pages; the dupe filter keeps "
                f"{per_url:.0f} bytes per URL (tracemalloc, RFPDupeFilter with the default fingerprinter)"
            ),
        ),
    ]


if __name__ == "__main__":
    from bench import format_table, machine

    print(format_table(run(quick="--quick" in sys.argv), [], machine(), " ".join(sys.argv)))
