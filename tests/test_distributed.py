"""Distributed crawling (issue 11): ``scrapy crawl`` workers sharing scrapy-redis's queue and one
``newsarchive ingest`` process, against a real ``redis-server`` and the replay mirror.

Redis: ``$NEWSARCHIVE_TEST_REDIS_URL`` when it answers (``.ci/run`` starts one on loopback),
else a ``redis-server`` this module starts on a free loopback port; the tests skip only
when no ``redis-server`` exists on the machine. Every test uses its own key prefix.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import ROOT

redis = pytest.importorskip("redis", reason="the test extra installs redis (pip install -e '.[test]')")

#: Columns that differ between two crawls of the same pages (when, not what).
RUN_COLUMNS = {"first_seen_at", "last_fetched_at"}
FAST = ("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    url = os.environ.get("NEWSARCHIVE_TEST_REDIS_URL")
    if url and _answers(url):
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip(
            "no Redis: redis-server is not installed (apt-get install redis-server; .ci/run does) "
            "and $NEWSARCHIVE_TEST_REDIS_URL does not answer"
        )
    port = _free_port()
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
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
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while not _answers(url):
        assert server.poll() is None and time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.05)
    yield url
    server.terminate()
    server.wait(10)


@pytest.fixture
def prefix(redis_url):
    """A key prefix of this test's own; its keys are deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:8]}:"
    yield name
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{name}*"))
    if keys:
        client.delete(*keys)


def _env() -> dict:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name in ("NEWSARCHIVE_DB", "NEWSARCHIVE_REDIS_URL", "NEWSARCHIVE_INGEST_FAULT"):
        env.pop(name, None)
    return env


def worker(
    db: Path, replay_url: str, redis_url: str, prefix: str, log: Path, *extra: str
) -> subprocess.Popen:
    """A real ``scrapy crawl digiato`` worker process."""
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "digiato",
        "-s",
        f"NEWSARCHIVE_REPLAY_URL={replay_url}",
        "-s",
        f"NEWSARCHIVE_DB={db}",
        "-s",
        f"NEWSARCHIVE_REDIS_URL={redis_url}",
        "-s",
        f"NEWSARCHIVE_REDIS_PREFIX={prefix}",
        "-s",
        "NEWSARCHIVE_REDIS_HEARTBEAT=0.5",
        "-s",
        "NEWSARCHIVE_REDIS_IDLE_CLOSE=1",
        "-s",
        "LOG_LEVEL=INFO",
        *extra,
    ]
    return subprocess.Popen(command, cwd=ROOT, env=_env(), stdout=log.open("w"), stderr=subprocess.STDOUT)


def ingester(
    db: Path, redis_url: str, prefix: str, *extra: str, fault: str | None = None
) -> subprocess.Popen:
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
        "--json",
        *extra,
    ]
    env = _env() | ({"NEWSARCHIVE_INGEST_FAULT": fault} if fault else {})
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def ingester_once_joined(db: Path, redis_url: str, prefix: str) -> subprocess.Popen:
    """An ingester that exits when idle, started once a worker has joined (before that, "no
    live worker" would be true and it could exit before the crawl began)."""
    client = redis.Redis.from_url(redis_url)
    _wait_for(lambda: client.scard(f"{prefix}digiato:workers") > 0, what="a worker joining")
    return ingester(db, redis_url, prefix, "--exit-when-idle", "2")


def finish(process: subprocess.Popen, timeout: float = 120) -> subprocess.Popen:
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process


def ingest_all(db: Path, redis_url: str, prefix: str, *extra: str) -> dict:
    """Run an ingester until the queue is drained and no worker is alive; its JSON report."""
    process = finish(ingester(db, redis_url, prefix, "--exit-when-idle", "1", *extra))
    out, err = process.communicate()
    assert process.returncode == 0, err[-3000:]
    return json.loads(out)


def log_of(path: Path) -> str:
    return path.read_text(errors="replace")[-4000:]


def articles(db: Path) -> dict[str, dict]:
    """Article rows by URL, without the run-specific columns. Of ``field_sources``, the layer of
    ``published`` is left out: when the page and the feed give the same date, it names the
    feed if the feed queued the article first, which depends on the order of responses (in
    one process as in several); ``published_at`` itself is compared."""
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = {
            # .keys(): iterating a sqlite3.Row gives its values, not its column names.
            row["url"]: {k: row[k] for k in row.keys() if k not in RUN_COLUMNS}  # noqa: SIM118
            for row in conn.execute("select * from articles")
        }
    for row in rows.values():
        sources = json.loads(row["field_sources"])
        sources.pop("published", None)
        row["field_sources"] = sources
    return rows


def table(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute(sql).fetchall())


def assert_same_archive(db: Path, reference: Path) -> None:
    """The same articles, field by field (minus when they were fetched), aliases and gone URLs."""
    got, expected = articles(db), articles(reference)
    assert set(got) == set(expected)
    for url, row in expected.items():
        assert got[url] == row, url
    alias_sql = "select l.url, a.url from article_aliases l join articles a on a.id = l.article_id"
    assert table(db, alias_sql) == table(reference, alias_sql)
    assert table(db, "select url, status from gone_urls") == table(
        reference, "select url, status from gone_urls"
    )
    assert table(db, "select count(*) from article_versions") == [(0,)]


def ingester_runs(db: Path) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(row) for row in conn.execute("select * from crawl_runs order by id")]
    for row in rows:
        row["stats"] = json.loads(row["stats"] or "{}")
    return rows


# --- the switch -------------------------------------------------------------------------

SETTINGS_PROBE = """
import json, sys
from scrapy.crawler import Crawler
from newsarchive.crawl import project_settings
from newsarchive.spiders.sites import SPIDERS
overrides = json.loads(sys.argv[1])
crawler = Crawler(SPIDERS["digiato"], project_settings({**overrides, "TWISTED_REACTOR_ENABLED": False}))
crawler._apply_settings()
s = crawler.settings
name = lambda c: c if isinstance(c, str) else f"{c.__module__}.{c.__qualname__}"
print(json.dumps({
    "scheduler": s["SCHEDULER"], "dupefilter": s["DUPEFILTER_CLASS"],
    "pipelines": {name(k): v for k, v in s.getdict("ITEM_PIPELINES").items()},
    "extensions": {name(k): v for k, v in s.getdict("EXTENSIONS").items()},
    "middlewares": {name(k): v for k, v in s.getdict("DOWNLOADER_MIDDLEWARES").items()},
    "redis_imported": "redis" in sys.modules or "scrapy_redis" in sys.modules,
}))
"""


def probe(overrides: dict) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE, json.dumps(overrides)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_without_the_setting_nothing_changes_and_redis_is_not_imported():
    settings = probe({})
    assert settings["scheduler"] == "scrapy.core.scheduler.Scheduler"
    assert settings["dupefilter"] == "scrapy.dupefilters.RFPDupeFilter"
    assert settings["pipelines"]["newsarchive.pipelines.StoragePipeline"] == 900
    assert settings["extensions"]["newsarchive.extensions.CrawlRun"] == 500
    assert settings["middlewares"]["newsarchive.warc.WarcMiddleware"] == 950
    assert not any("distributed" in name for name in settings["pipelines"] | settings["extensions"])
    assert settings["redis_imported"] is False


@pytest.mark.slow
def test_the_setting_makes_a_worker(redis_url):
    settings = probe({"NEWSARCHIVE_REDIS_URL": redis_url})
    assert settings["scheduler"] == "newsarchive.distributed_scheduler.Scheduler"
    assert settings["dupefilter"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings["pipelines"]["newsarchive.distributed.RedisItemPipeline"] == 900
    assert "newsarchive.pipelines.StoragePipeline" not in settings["pipelines"]
    assert settings["pipelines"]["newsarchive.pipelines.DatePipeline"] == 300  # the same pipelines before it
    assert settings["extensions"]["newsarchive.distributed.WorkerRun"] == 500
    assert "newsarchive.extensions.CrawlRun" not in settings["extensions"]
    assert settings["middlewares"]["newsarchive.warc.WarcMiddleware"] is None  # WARC indexing writes SQLite


@pytest.mark.slow
def test_a_worker_without_scrapy_redis_stops_instead_of_writing_sqlite(redis_url, tmp_path):
    code = "import sys; sys.modules['scrapy_redis'] = None\n" + SETTINGS_PROBE
    overrides = {"NEWSARCHIVE_REDIS_URL": redis_url, "NEWSARCHIVE_DB": str(tmp_path / "a.db")}
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(overrides)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "NEWSARCHIVE_REDIS_URL is set but distributed crawling needs scrapy-redis" in result.stderr
    assert "pip install 'newsarchive[redis]'" in result.stderr
    assert not (tmp_path / "a.db").exists()


def test_queued_requests_round_trip_as_json_never_pickle():
    from scrapy import Request
    from scrapy.utils.request import request_from_dict

    from newsarchive.distributed import dumps, loads
    from newsarchive.spiders.sites import SPIDERS

    spider = SPIDERS["digiato"]()
    request = Request(
        "https://digiato.com/label/x?a=1",
        callback=spider.parse_listing,
        errback=spider.request_failed,
        headers={"X-A": "ب"},
        body=b"\x00\xff",
        priority=-1,
        dont_filter=True,
        meta={"redirect_urls": ["https://digiato.com/a"], "lastmod": None, "n": 2, "t": (1, "x")},
    )
    data = dumps(request.to_dict(spider=spider))
    assert b"pickle" not in data and data.startswith(b"{")
    again = request_from_dict(loads(data), spider=spider)
    assert (again.url, again.body, again.priority, again.dont_filter) == (request.url, b"\x00\xff", -1, True)
    assert again.headers.getlist("X-A") == request.headers.getlist("X-A")
    assert again.callback == spider.parse_listing and again.errback == spider.request_failed
    assert again.meta["redirect_urls"] == ["https://digiato.com/a"] and again.meta["n"] == 2
    with pytest.raises(TypeError, match="cannot queue"):
        dumps({"meta": {"x": object()}})


# --- end to end ---------------------------------------------------------------------------

#: Slow enough that two workers both take part, even if one starts seconds later (30 requests, ~0.3 s apart).
SHARED_PACE = (
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
    "-s",
    "DOWNLOAD_DELAY=0.3",
    "-s",
    "CONCURRENT_REQUESTS=2",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=2",
)


@pytest.mark.slow
def test_two_workers_and_an_ingester_archive_what_one_crawl_does(
    tmp_path, replay_server, redis_url, prefix, digiato_archive
):
    reference, _ = digiato_archive
    db = tmp_path / "archive.db"
    workers = [
        worker(db, replay_server.url, redis_url, prefix, tmp_path / f"w{n}.log", *SHARED_PACE) for n in (1, 2)
    ]
    ingest = ingester_once_joined(db, redis_url, prefix)
    for n, process in enumerate(workers, 1):
        assert finish(process).returncode == 0, log_of(tmp_path / f"w{n}.log")
        # scrapy-redis through the adapter: none of its calls that Scrapy 2.19 deprecates.
        warned = [
            line
            for line in (tmp_path / f"w{n}.log").read_text().splitlines()
            if "Deprecation" in line and "scrapy_redis" in line
        ]
        assert warned == []
    out, err = ingest.communicate(timeout=120)
    assert ingest.returncode == 0, err[-3000:]
    report = json.loads(out)

    assert_same_archive(db, reference)
    (run,) = ingester_runs(db)
    (single,) = ingester_runs(reference)
    assert run["status"] == single["status"] == "finished" and run["spider"] == "digiato"
    assert json.loads(run["problems"]) == []  # the health checks ran on the added-up numbers
    coverage, single_coverage = json.loads(run["coverage"]), json.loads(single["coverage"])
    assert (coverage["articles"], coverage["fields"]) == (
        single_coverage["articles"],
        single_coverage["fields"],
    )
    # Every article stored once: all new, nothing stored twice, both workers did part of it.
    count = len(articles(reference))
    assert (run["articles_new"], run["articles_updated"], run["articles_unchanged"]) == (count, 0, 0)
    assert report["articles_new"] == count and report["crawls_ended"][0]["workers"] == 2
    shares = [w["items"] for w in run["stats"]["newsarchive/ingest/workers"].values()]
    assert len(shares) == 2 and all(share > 0 for share in shares) and sum(shares) == count, shares
    # Every page fetched once between them: the single crawl's requests, plus one robots.txt per worker.
    robots = run["stats"]["robotstxt/request_count"]
    assert robots == 2
    assert run["requests"] - robots == single["requests"] - 1
    assert json.loads(run["dropped"]) == json.loads(single["dropped"])
    # A finished crawl remembers its sitemaps; its Redis state is gone (the dupe filter too).
    sitemaps = "select url, lastmod from discovery_state"
    assert table(db, sitemaps) == table(reference, sitemaps) != []
    assert list(redis.Redis.from_url(redis_url).scan_iter(match=f"{prefix}*")) == []

    # The next crawl: the archive's knowledge, not old fingerprints, says nothing is new.
    log = tmp_path / "again.log"
    assert finish(worker(db, replay_server.url, redis_url, prefix, log, *FAST)).returncode == 0, log_of(log)
    ingest_all(db, redis_url, prefix)
    again = ingester_runs(db)[-1]
    assert again["status"] == "finished" and again["articles_new"] == 0 and again["articles_unchanged"] == 0
    assert again["stats"]["newsarchive/skipped/known"] > 0
    assert again["requests"] < run["requests"] // 2
    assert_same_archive(db, reference)


def _wait_for(condition, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return conn.execute("select count(*) from articles").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_a_killed_worker_loses_nothing(tmp_path, replay_server, redis_url, prefix, digiato_archive):
    reference, _ = digiato_archive
    db = tmp_path / "archive.db"
    client = redis.Redis.from_url(redis_url)
    pace = (
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "DOWNLOAD_DELAY=0.4",
        "-s",
        "CONCURRENT_REQUESTS=2",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=2",
    )
    doomed = worker(db, replay_server.url, redis_url, prefix, tmp_path / "doomed.log", *pace)
    other = worker(db, replay_server.url, redis_url, prefix, tmp_path / "other.log", *pace)
    ingest = ingester_once_joined(db, redis_url, prefix)
    _wait_for(
        lambda: client.scard(f"{prefix}digiato:workers") == 2 and _count(db) >= 3,
        what="both workers in the crawl and three articles ingested",
    )
    # The dupe filter is bounded while a crawl runs too: it expires unless live workers renew it.
    assert 0 < client.ttl(f"{prefix}digiato:dupefilter") <= 24 * 3600
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(10)
    assert finish(other).returncode == 0, log_of(tmp_path / "other.log")
    _out, err = ingest.communicate(timeout=120)
    assert ingest.returncode == 0, err[-3000:]
    (run,) = ingester_runs(db)
    assert run["status"] == "killed"
    assert len(run["stats"]["newsarchive/ingest/dead_workers"]) == 1
    assert [p["check"] for p in json.loads(run["problems"])] == ["workers"]
    # A crawl with a dead worker does not remember its sitemaps as read: the next one reads them again.
    assert table(db, "select count(*) from discovery_state") == [(0,)]

    log = tmp_path / "rerun.log"
    assert finish(worker(db, replay_server.url, redis_url, prefix, log, *FAST)).returncode == 0, log_of(log)
    ingest_all(db, redis_url, prefix)
    assert_same_archive(db, reference)
    runs = ingester_runs(db)
    assert runs[-1]["status"] == "finished"
    # The rerun stored exactly what the killed crawl had missed (at most a page found under
    # another URL, e.g. a redirect the dead worker followed, is fetched again: unchanged).
    assert sum(r["articles_new"] for r in runs) == len(articles(reference))
    assert sum(r["articles_updated"] for r in runs) == 0
    assert runs[-1]["articles_unchanged"] <= len(table(reference, "select url from article_aliases"))


@pytest.mark.slow
def test_a_killed_ingester_loses_nothing_and_duplicates_nothing(
    tmp_path, replay_server, redis_url, prefix, digiato_archive
):
    reference, _ = digiato_archive
    db = tmp_path / "archive.db"
    client = redis.Redis.from_url(redis_url)
    items, processing = f"{prefix}items", f"{prefix}items:processing"
    log = tmp_path / "worker.log"
    assert finish(worker(db, replay_server.url, redis_url, prefix, log, *FAST)).returncode == 0, log_of(log)
    assert not db.exists()  # `scrapy crawl` as a worker wrote no SQLite either
    queued = client.llen(items)
    count = len(articles(reference))
    assert queued >= count + 2  # the articles, a 404, the worker's end and the crawl's end

    # 1. Killed after committing a batch, before acknowledging it.
    first = finish(ingester(db, redis_url, prefix, "--batch", "5", fault="after-commit"))
    assert first.returncode == -signal.SIGKILL
    assert client.llen(processing) == 5 and client.llen(items) == queued - 5
    stored = _count(db)
    assert 0 < stored <= 5

    # 2. On start, the next ingester acknowledges those 5 (committed: their ids are in the run
    # row) without writing them again; killed in the middle of its first batch of 8.
    second = ingester(db, redis_url, prefix, "--batch", "8", fault="slow")
    _wait_for(lambda: client.llen(processing) == 8, what="a batch being written")
    time.sleep(0.5)
    second.send_signal(signal.SIGKILL)
    second.wait(10)
    assert _count(db) == stored  # nothing of the killed batch was committed (SQLite rolled it back)
    assert client.llen(processing) == 8 and client.llen(items) == queued - 5 - 8

    # 3. A normal ingester puts the 8 back first and writes everything.
    report = ingest_all(db, redis_url, prefix)
    assert report["recovered"] == 8 and report["already_written"] == 0
    assert report["records"] == queued - 5
    assert client.llen(items) == client.llen(processing) == 0
    assert_same_archive(db, reference)
    (run,) = ingester_runs(db)
    assert run["status"] == "finished"
    assert (run["articles_new"], run["articles_updated"], run["articles_unchanged"]) == (count, 0, 0)


@pytest.mark.slow
def test_an_ingester_at_a_time_and_unreadable_records_are_set_aside(tmp_path, redis_url, prefix):
    db = tmp_path / "archive.db"
    client = redis.Redis.from_url(redis_url)
    client.lpush(f"{prefix}items", b"not json", json.dumps({"id": "x", "kind": "article"}))
    report = ingest_all(db, redis_url, prefix)
    assert report["rejected"] == 2 and client.llen(f"{prefix}items:rejected") == 2

    from newsarchive.runlock import RunLock

    lock = RunLock(db, "ingest").acquire()
    try:
        process = finish(ingester(db, redis_url, prefix, "--exit-when-idle", "1"))
        assert process.returncode == 2
        assert "another ingest run" in process.stderr.read()
    finally:
        lock.release()


@pytest.mark.slow
def test_the_ingester_waits_for_a_single_process_run_of_the_same_spider(tmp_path, redis_url, prefix):
    from newsarchive.runlock import RunLock

    db = tmp_path / "archive.db"
    client = redis.Redis.from_url(redis_url)
    for record in (
        {
            "id": "r1",
            "kind": "gone",
            "spider": "digiato",
            "crawl": "c1",
            "url": "https://digiato.com/gone",
            "status": 404,
        },
        {"id": "r2", "kind": "crawl-end", "spider": "digiato", "crawl": "c1", "dead": []},
    ):
        client.lpush(f"{prefix}items", json.dumps(record))
    lock = RunLock(db, "digiato").acquire()  # a `scrapy crawl digiato` on this archive
    try:
        process = ingester(db, redis_url, prefix, "--exit-when-idle", "1")
        _wait_for(lambda: client.llen(f"{prefix}items:processing") == 2, what="the records taken")
        time.sleep(1.5)
        assert process.poll() is None
        assert table(db, "select url from gone_urls") == []  # nothing written while the run holds the lock
    finally:
        lock.release()
    _out, err = finish(process).communicate()
    assert process.returncode == 0, err[-3000:]
    assert "another digiato run" in err and "waiting" in err
    assert table(db, "select url from gone_urls") == [("https://digiato.com/gone",)]
    (run,) = ingester_runs(db)
    assert run["spider"] == "digiato" and run["status"] == "failed"  # no worker reported finishing
    assert client.llen(f"{prefix}items:processing") == 0


@pytest.mark.slow
def test_newsarchive_crawl_redis_is_a_worker_that_writes_no_sqlite(
    tmp_path, replay_server, redis_url, prefix, digiato_archive
):
    db = tmp_path / "archive.db"
    command = [
        sys.executable,
        "-m",
        "newsarchive",
        "crawl",
        "digiato",
        "--redis",
        redis_url,
        "--db",
        str(db),
        "-s",
        f"NEWSARCHIVE_REPLAY_URL={replay_server.url}",
        "-s",
        f"NEWSARCHIVE_REDIS_PREFIX={prefix}",
        "-s",
        "NEWSARCHIVE_REDIS_HEARTBEAT=0.5",
        "-s",
        "NEWSARCHIVE_REDIS_IDLE_CLOSE=1",
    ]
    result = subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert list(tmp_path.iterdir()) == []  # no archive, lock or WARC file: everything went to Redis
    records = [json.loads(raw) for raw in redis.Redis.from_url(redis_url).lrange(f"{prefix}items", 0, -1)]
    kinds = [record["kind"] for record in records]
    assert kinds.count("article") == len(articles(digiato_archive[0]))
    assert kinds[0] == "crawl-end" and "gone" in kinds  # newest first
