"""Article pages read in worker processes give the items the crawl's own process gives."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from functools import partial

import pytest
import sqlite_utils
from conftest import EXPECTED_SITES, load_expected, mirror_response, scrapy_crawl

from newsarchive.page import article_fields, request_facts
from newsarchive.sites import SITES
from newsarchive.workers import (
    BACKLOG_PER_WORKER,
    InProcessReader,
    WorkerPoolReader,
    in_order,
    page_read,
    page_reader,
)

FETCHED_AT = "2024-05-04T07:00:00Z"


def sample_pages(per_site: int = 2) -> list[tuple[str, object]]:
    pages = []
    for site in EXPECTED_SITES:
        for expected in load_expected(f"{site}.json")[:per_site]:
            pages.append((site, mirror_response(site, expected["url"], expected["path"])))
    return pages


def read_all(reader, pages) -> list:
    async def read() -> list:
        return await asyncio.gather(
            *(
                reader.read(
                    page_read(
                        SITES[site], response.text, response.url, FETCHED_AT, **request_facts(response.meta)
                    )
                )
                for site, response in pages
            )
        )

    return asyncio.run(read())


def test_one_worker_means_the_crawls_own_process():
    assert isinstance(page_reader(1), InProcessReader)
    assert isinstance(page_reader(0), InProcessReader)


@pytest.mark.slow
def test_a_pool_is_shared_and_gives_the_items_of_the_crawls_own_process():
    pool = page_reader(3)
    assert isinstance(pool, WorkerPoolReader) and pool.processes == 2
    assert page_reader(3) is pool
    pages = sample_pages()
    assert len(pages) >= 2 * len(EXPECTED_SITES)
    pool.backlog = len(pages)  # every page to the workers, none read here
    try:
        from_pool = read_all(pool, pages)
    finally:
        pool.backlog = BACKLOG_PER_WORKER * pool.processes
    here = [
        article_fields(SITES[site], response.text, response.url, FETCHED_AT, **request_facts(response.meta))
        for site, response in pages
    ]
    assert [dict(item) for item in from_pool] == [dict(item) for item in here]
    assert all(item is not None and item["body"] for item in from_pool)


@pytest.mark.slow
def test_while_the_workers_are_behind_the_crawls_own_process_reads_pages_too(monkeypatch):
    pool = page_reader(2)
    assert pool.backlog == BACKLOG_PER_WORKER
    sent = []
    submit = pool.submit
    monkeypatch.setattr(pool, "submit", lambda read: sent.append(read) or submit(read))
    pages = sample_pages(1)
    items = read_all(pool, pages)  # every read starts before the first is back
    assert len(sent) == BACKLOG_PER_WORKER < len(pages) and pool.pending == 0
    assert [dict(item) for item in items] == [
        dict(article_fields(SITES[site], r.text, r.url, FETCHED_AT, **request_facts(r.meta)))
        for site, r in pages
    ]


@pytest.mark.slow
def test_a_dead_worker_costs_nothing_the_rest_is_read_here(caplog):
    pool = page_reader(2)
    pages = sample_pages(1)
    read_all(pool, pages[:1])  # the worker has started
    (worker,) = pool.executor._processes.values()  # the test kills it on purpose
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(10)
    with caplog.at_level(logging.WARNING, logger="newsarchive.workers"):
        items = read_all(pool, pages)
    assert pool.broken and "worker process died" in caplog.text
    assert [item["url"] for item in items] == [
        article_fields(SITES[site], r.text, r.url, FETCHED_AT)["url"] for site, r in pages
    ]
    renewed = page_reader(2)  # the next spider of the process gets a sound pool
    assert renewed is not pool and not renewed.broken
    assert read_all(renewed, pages[:1])[0]["url"] == items[0]["url"]


def archived(db) -> dict[str, dict]:
    ignored = {"first_seen_at", "last_fetched_at"}
    return {
        row["url"]: {key: value for key, value in row.items() if key not in ignored}
        for row in sqlite_utils.Database(db)["articles"].rows
    }


@pytest.mark.slow
def test_a_crawl_with_workers_archives_what_a_crawl_without_them_does(replay_server, tmp_path):
    with_pool = tmp_path / "pool.db"
    alone = tmp_path / "alone.db"
    result = scrapy_crawl("digiato", with_pool, replay_server.url, "-s", "NEWSARCHIVE_WORKERS=3")
    assert "article pages are read in 2 worker processes" in result.stderr
    scrapy_crawl("digiato", alone, replay_server.url, "-s", "NEWSARCHIVE_WORKERS=1")
    pooled = archived(with_pool)
    assert len(pooled) >= 5
    assert pooled == archived(alone)


CRAWL_STAND_IN = """
import os, sys, time
from newsarchive.workers import page_reader

if __name__ == "__main__":
    pool = page_reader(3)
    futures = [pool.executor.submit(time.sleep, 0.2) for _ in range(4)]
    [future.result() for future in futures]
    print(" ".join(str(pid) for pid in pool.executor._processes), flush=True)
    time.sleep(60)
"""


@pytest.mark.slow
def test_workers_leave_with_a_crawl_killed_by_sigkill(tmp_path):
    script = tmp_path / "crawl.py"
    script.write_text(CRAWL_STAND_IN)
    crawl = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    workers = [int(pid) for pid in crawl.stdout.readline().split()]
    assert len(workers) == 2 and all(alive(pid) for pid in workers)
    crawl.kill()
    crawl.wait(10)
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in workers)


def alive(pid: int) -> bool:
    """A process that runs (not a zombie waiting for the fork server to reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_in_order_without_workers_calls_each_in_turn():
    assert list(in_order(page_reader(1), [partial(pow, n, 2) for n in range(5)])) == [0, 1, 4, 9, 16]


@pytest.mark.slow
def test_in_order_gives_the_results_in_their_order_from_workers_and_this_process():
    pool = page_reader(3)
    calls = [partial(pow, n, 2) for n in range(200)]
    assert list(in_order(pool, calls, batch=3)) == [n * n for n in range(200)]
    # While the first call keeps a worker busy, this process runs the calls after it.
    slow_first = [partial(time.sleep, 0.5), *[partial(os.getpid) for _ in range(40)]]
    results = list(in_order(pool, slow_first, batch=1))
    assert results[0] is None and len(results) == 41
    assert os.getpid() in results[1:]
    assert set(results[1:]) - {os.getpid()} <= {process.pid for process in pool.executor._processes.values()}


@pytest.mark.slow
def test_in_order_raises_a_calls_error_after_the_results_before_it():
    calls = [partial(int, "1"), partial(int, "2"), partial(int, "three"), partial(int, "4")]
    results = in_order(page_reader(3), calls, batch=1)
    assert [next(results), next(results)] == [1, 2]
    with pytest.raises(ValueError, match="three"):
        next(results)


@pytest.mark.slow
def test_in_order_after_a_worker_died_reads_the_rest_here():
    pool = page_reader(2)
    list(in_order(pool, [partial(os.getpid)] * 4))  # the worker has started
    (worker,) = pool.executor._processes.values()  # the test kills it on purpose
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(10)
    assert list(in_order(pool, [partial(pow, n, 3) for n in range(30)], batch=4)) == [n**3 for n in range(30)]
    assert pool.broken


FORK_SERVER_PROBE = """
import sys
from newsarchive.processes import start_fork_server
from newsarchive.workers import page_reader


def loaded():
    return sorted(name for name in ("newsarchive.reparse", "scrapy") if name in sys.modules)


if __name__ == "__main__":
    if sys.argv[1:] == ["reparse"]:
        start_fork_server(["newsarchive.reparse"])
    print(page_reader(2).executor.submit(loaded).result(), flush=True)
"""


@pytest.mark.slow
def test_a_fork_server_started_early_gives_workers_its_modules_and_a_crawls_gives_none(tmp_path):
    script = tmp_path / "probe.py"
    script.write_text(FORK_SERVER_PROBE)

    def probe(*args: str) -> str:
        return subprocess.run(
            [sys.executable, str(script), *args], capture_output=True, text=True, check=True, timeout=60
        ).stdout.strip()

    assert probe("reparse") == "['newsarchive.reparse', 'scrapy']"
    assert probe() == "[]"  # a crawl's workers load no Scrapy


REPARSE_START_PROBE = """
import os, sys
import newsarchive.processes


def started(preload):
    print(sorted(name for name in ("scrapy", "newsarchive.page", "newsarchive.reparse") if name in sys.modules))
    os._exit(0)


newsarchive.processes.start_fork_server = started
from newsarchive.cli import main

if __name__ == "__main__":
    main(["reparse", "--db", sys.argv[1]])
"""


def test_reparse_starts_its_fork_server_before_it_imports_scrapy_or_the_extraction_code(tmp_path):
    """The server then imports them while this process does: its first page does not wait."""
    script = tmp_path / "probe.py"
    script.write_text(REPARSE_START_PROBE)
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "archive.db")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NEWSARCHIVE_WORKERS": "2"},
    )
    assert result.stdout.strip() == "[]", result.stderr
