"""Cost of WARC recording per response, on the Digiato mirror pages.

    python bench/bench_warc.py [--rounds N]

Reports the time the crawl's reactor thread spends in WarcMiddleware.process_response
(hashing, the revisit decision, queueing) and the time the writer thread spends per
record (building, gzip, writing), for first captures and for revisits.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsarchive.crawl import project_settings  # noqa: E402
from newsarchive.spiders.sites import SPIDERS  # noqa: E402
from newsarchive.warc import Capture, WarcFiles, WarcMiddleware, payload_digest, warc_date  # noqa: E402


def pages() -> list[tuple[str, bytes]]:
    site = ROOT / "tests" / "mirror" / "digiato.com"
    return [("https://digiato.com/" + path.relative_to(site).as_posix(), path.read_bytes())
            for path in sorted(site.rglob("*")) if path.is_file() and not path.name.startswith(".")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    corpus = pages()
    with tempfile.TemporaryDirectory() as tmp:
        settings = {**project_settings().copy_to_dict(), "TWISTED_REACTOR_ENABLED": False,
                    "EXTENSIONS": {"newsarchive.extensions.CrawlRun": None},
                    "NEWSARCHIVE_DB": f"{tmp}/archive.db", "NEWSARCHIVE_WARC_DIR": f"{tmp}/warc"}
        crawler = get_crawler(SPIDERS["digiato"], settings)
        crawler.spider = SPIDERS["digiato"].from_crawler(crawler)
        middleware = WarcMiddleware.from_crawler(crawler)
        timings: dict[str, list[float]] = {"first": [], "revisit": []}
        for round_ in range(args.rounds):
            for url, body in corpus:
                # The same URLs and payloads every round: revisits after the first.
                request = Request(url, meta={"newsarchive_kind": "article"})
                response = HtmlResponse(url, body=body, request=request,
                                        headers={"Content-Type": "text/html; charset=utf-8"})
                start = time.perf_counter()
                middleware.process_response(request, response)
                timings["first" if round_ == 0 else "revisit"].append(time.perf_counter() - start)
        start = time.perf_counter()
        middleware.spider_closed(crawler.spider, "finished")
        drain = time.perf_counter() - start
        thread = middleware.thread
        total = sum(len(b) for _, b in corpus)
        writer_times: dict[str, list[float]] = {"first": [], "revisit": []}
        files = WarcFiles(Path(tmp) / "sync", "digiato", 0, datetime.now(UTC))
        for round_ in range(args.rounds):
            for url, body in corpus:
                date = warc_date(datetime.now(UTC))
                capture = Capture(url, "GET", [("User-Agent", "bench")], b"", 200,
                                  [("Content-Type", "text/html; charset=utf-8")], body, date, payload_digest(body),
                                  revisit_of=(url, date) if round_ else None)
                start = time.perf_counter()
                files.write(capture)
                writer_times["first" if round_ == 0 else "revisit"].append(time.perf_counter() - start)
        files.close()
    print(f"{len(corpus)} pages, {total / len(corpus) / 1024:.0f} KiB average, {args.rounds} rounds")
    for kind, values in timings.items():
        print(f"reactor thread, {kind:<7}: median {statistics.median(values) * 1e3:.3f} ms/response")
    print(f"writer thread: {thread.records} records, {thread.files.bytes_written} bytes; "
          f"{drain:.3f} s still to write at close")
    for kind, values in writer_times.items():
        print(f"writer thread,  {kind:<7}: median {statistics.median(values) * 1e3:.3f} ms/record pair")


if __name__ == "__main__":
    main()
