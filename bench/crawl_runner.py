"""One crawl in this process, for the crawl and memory benchmarks (run as a child process).

    python -m bench.crawl_runner full --replay URL --db PATH --out STATS.json [-s NAME=VALUE ...]
    python -m bench.crawl_runner bare --replay URL --out STATS.json [-s NAME=VALUE ...]

``full`` is the project's own path: ``newsarchive.crawl.run_spiders(["digiato"])`` with the
project settings (every pipeline, the archive, WARC records, the run extension), aimed
at the replay server by ``NEWSARCHIVE_REPLAY_URL``. ``bare`` is
:class:`bench.bare_spider.BareSitemapSpider` under Scrapy's default settings. Both get
:data:`SHARED_SETTINGS` (politeness off, the same concurrency) plus any ``-s``.

The crawl's stats and this process's resource usage are written to ``--out`` as JSON;
the parent reads peak memory from ``os.wait4`` too.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: The settings both crawls share: no politeness delays, the same parallelism, INFO logs.
SHARED_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "LOG_LEVEL": "INFO",
    "TELNETCONSOLE_ENABLED": False,
}


def run_full(replay: str, db: str, extra: dict) -> dict:
    from newsarchive.crawl import run_spiders

    overrides = {**SHARED_SETTINGS, "NEWSARCHIVE_REPLAY_URL": replay, "NEWSARCHIVE_DB": db, **extra}
    return run_spiders(["digiato"], overrides)["digiato"]


def run_bare(replay: str, extra: dict) -> dict:
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from bench.bare_spider import BareSitemapSpider
    from newsarchive.settings import DOWNLOAD_MAXSIZE, DOWNLOAD_TIMEOUT, ROBOTSTXT_OBEY, USER_AGENT

    settings = Settings()
    settings.setdict(
        {
            **SHARED_SETTINGS,
            # What the project sets that changes the wire: same robots.txt handling, agent, limits.
            "ROBOTSTXT_OBEY": ROBOTSTXT_OBEY,
            "USER_AGENT": USER_AGENT,
            "DOWNLOAD_MAXSIZE": DOWNLOAD_MAXSIZE,
            "DOWNLOAD_TIMEOUT": DOWNLOAD_TIMEOUT,
            **extra,
        },
        priority="cmdline",
    )
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSitemapSpider)
    process.crawl(crawler, replay_url=replay)
    process.start()
    return crawler.stats.get_stats()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("full", "bare"))
    parser.add_argument("--replay", required=True)
    parser.add_argument("--db")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    extra = dict(item.split("=", 1) for item in args.settings)
    started = time.perf_counter()
    stats = run_full(args.replay, args.db, extra) if args.mode == "full" else run_bare(args.replay, extra)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    args.out.write_text(
        json.dumps(
            {
                "stats": stats,
                "process_seconds": time.perf_counter() - started,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "max_rss_kb": usage.ru_maxrss,
            },
            default=str,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
