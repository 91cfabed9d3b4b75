"""Cost of WARC recording per response, on the Digiato mirror pages.

    python bench/bench_warc.py [--rounds N]      (or: python -m bench warc [--quick])

Reports the time the crawl's reactor thread spends in WarcMiddleware.process_response
(hashing, the revisit decision, queueing) and the time the writer thread spends per
record (building, gzip, writing), for first captures and for revisits. No baseline and
no target (issue 8 sets none); the crawl benchmark shows the whole cost in a crawl.
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
    return [
        ("https://digiato.com/" + path.relative_to(site).as_posix(), path.read_bytes())
        for path in sorted(site.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    ]


def measure(rounds: int) -> dict:
    """Median milliseconds per response (reactor thread) and per record pair (writer)."""
    corpus = pages()
    with tempfile.TemporaryDirectory() as tmp:
        settings = {
            **project_settings().copy_to_dict(),
            "TWISTED_REACTOR_ENABLED": False,
            "EXTENSIONS": {"newsarchive.extensions.CrawlRun": None},
            "NEWSARCHIVE_DB": f"{tmp}/archive.db",
            "NEWSARCHIVE_WARC_DIR": f"{tmp}/warc",
        }
        crawler = get_crawler(SPIDERS["digiato"], settings)
        crawler.spider = SPIDERS["digiato"].from_crawler(crawler)
        middleware = WarcMiddleware.from_crawler(crawler)
        timings: dict[str, list[float]] = {"first": [], "revisit": []}
        for round_ in range(rounds):
            for url, body in corpus:
                # The same URLs and payloads every round: revisits after the first.
                request = Request(url, meta={"newsarchive_kind": "article"})
                response = HtmlResponse(
                    url, body=body, request=request, headers={"Content-Type": "text/html; charset=utf-8"}
                )
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
        for round_ in range(rounds):
            for url, body in corpus:
                date = warc_date(datetime.now(UTC))
                capture = Capture(
                    url,
                    "GET",
                    [("User-Agent", "bench")],
                    b"",
                    200,
                    [("Content-Type", "text/html; charset=utf-8")],
                    body,
                    date,
                    payload_digest(body),
                    revisit_of=(url, date) if round_ else None,
                )
                start = time.perf_counter()
                files.write(capture)
                writer_times["first" if round_ == 0 else "revisit"].append(time.perf_counter() - start)
        files.close()
    return {
        "pages": len(corpus),
        "kib": total / len(corpus) / 1024,
        "rounds": rounds,
        "drain": drain,
        "records": thread.records,
        "bytes": thread.files.bytes_written,
        "reactor": {k: statistics.median(v) * 1e3 for k, v in timings.items()},
        "writer": {k: statistics.median(v) * 1e3 for k, v in writer_times.items()},
    }


def run(quick: bool = False) -> list[dict]:
    from bench import row

    m = measure(5 if quick else 20)
    where = (
        f"{m['pages']} recorded Digiato mirror pages (~{m['kib']:.0f} KiB), {m['rounds']} rounds "
        f"(the first writes response records, later ones revisits); median per page"
    )
    return [
        row(
            "warc",
            f"reactor thread, {kind} capture",
            m["reactor"][kind],
            "ms",
            target="none",
            met=None,
            note=f"{where}; WarcMiddleware.process_response: hashing, revisit decision, queueing",
        )
        for kind in ("first", "revisit")
    ] + [
        row(
            "warc",
            f"writer thread, {kind} record pair",
            m["writer"][kind],
            "ms",
            target="none",
            met=None,
            note=f"{where}; WarcFiles.write: building the response/revisit + request records, gzip, writing",
        )
        for kind in ("first", "revisit")
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    m = measure(args.rounds)
    timings, writer_times, corpus_pages = m["reactor"], m["writer"], m["pages"]
    print(f"{corpus_pages} pages, {m['kib']:.0f} KiB average, {args.rounds} rounds")
    for kind, values in timings.items():
        print(f"reactor thread, {kind:<7}: median {values:.3f} ms/response")
    print(
        f"writer thread: {m['records']} records, {m['bytes']} bytes; {m['drain']:.3f} s still to write at close"
    )
    for kind, values in writer_times.items():
        print(f"writer thread,  {kind:<7}: median {values:.3f} ms/record pair")


if __name__ == "__main__":
    main()
