"""WARC records of every response, reparse from them, and replay of them (issue #8)."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import json
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils
from conftest import MIRROR, ROOT, load_expected, scrapy_crawl
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from newsarchive import warc
from newsarchive.archive import Archive
from newsarchive.crawl import project_settings
from newsarchive.reparse import reparse
from newsarchive.replay import NOT_FOUND_PAGE, Mirror, ReplayServer
from newsarchive.sites import SITES
from newsarchive.spiders.sites import SPIDERS
from newsarchive.warc import WarcMiddleware, WarcMirror, iter_records, payload_digest, read_capture, url_key

SITE = SITES["digiato"]
EXPECTED = load_expected("digiato.json")
#: A downloaded response; one flagged ``cached`` (robots.txt answered again) was not downloaded.
CRAWLED = re.compile(r"Crawled \((\d+)\) <(\w+) (\S+)>(?![^\n]*'cached')")
REDIRECTED = re.compile(r"Redirecting \((\d+)\) to <\w+ \S+> from <(\w+) (\S+)>")
#: Small, so that every crawl here rolls over to several files.
MAX_SIZE = 40_000
TEXT_FIELDS = ("title", "lead", "body")
LIST_FIELDS = ("authors", "categories", "tags")
#: warcio's command line, installed with it.
WARCIO = shutil.which("warcio") or str(Path(sys.executable).with_name("warcio"))


def crawl(db: Path, replay_url: str, warc_dir: Path | None, *extra: str, check: bool = True):
    settings = ["-s", f"NEWSARCHIVE_WARC_DIR={warc_dir}"] if warc_dir else []
    return scrapy_crawl(
        "digiato",
        db,
        replay_url,
        *settings,
        "-s",
        f"NEWSARCHIVE_WARC_MAX_SIZE={MAX_SIZE}",
        "-s",
        "LOG_LEVEL=DEBUG",
        *extra,
        check=check,
    )


def fetched(result) -> list[tuple[int, str]]:
    """(status, URL) of every response the crawl logged (Scrapy logs redirects apart)."""
    return [
        (int(status), url)
        for pattern in (CRAWLED, REDIRECTED)
        for status, _, url in pattern.findall(result.stderr)
    ]


def records(warc_dir: Path) -> list[dict]:
    """Every record of every file, read with warcio alone."""
    found = []
    for path in sorted(warc_dir.rglob("*.warc.gz")):
        with open(path, "rb") as handle:
            iterator = ArchiveIterator(handle)
            for record in iterator:
                http = record.http_headers
                payload = record.content_stream().read()  # before the offset: asking for it skips the record
                found.append(
                    {
                        "file": path.relative_to(warc_dir).as_posix(),
                        "offset": iterator.get_record_offset(),
                        "type": record.rec_type,
                        "uri": record.rec_headers.get_header("WARC-Target-URI"),
                        "date": record.rec_headers.get_header("WARC-Date"),
                        "headers": dict(record.rec_headers.headers),
                        "status": int(http.get_statuscode())
                        if http is not None and record.rec_type != "request"
                        else None,
                        "http": http,
                        "payload": payload,
                    }
                )
    return found


def rows(db: Path) -> dict[str, dict]:
    return {row["url"]: row for row in sqlite_utils.Database(db)["articles"].rows}


def copy_archive(db: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    sqlite_utils.Database(db).conn.execute(f"VACUUM INTO '{target}'")
    return target


@pytest.fixture(scope="module")
def warc_crawl(tmp_path_factory, replay_server):
    """One crawl of the mirror with WARC on: (archive, WARC dir, crawl result)."""
    base = tmp_path_factory.mktemp("warc")
    db, warc_dir = base / "archive.db", base / "records"
    result = crawl(db, replay_server.url, warc_dir)
    return db, warc_dir, result


@pytest.mark.slow
def test_every_response_is_recorded_with_what_the_server_sent(warc_crawl):
    _, warc_dir, result = warc_crawl
    responses = [r for r in records(warc_dir) if r["type"] in ("response", "revisit")]
    seen = fetched(result)
    assert seen and sorted(seen) == sorted((r["status"], r["uri"]) for r in responses)
    # robots.txt once (RobotsTxtMiddleware's fetch also answers the spider), a redirect, a 404.
    assert sum(1 for _, url in seen if url.endswith("/robots.txt")) == 1
    assert re.search(r"Crawled \(200\) <GET https://digiato.com/robots.txt> .*'cached'", result.stderr)
    assert {301, 404} <= {status for status, _ in seen}
    payloads = {
        (r["uri"], r["headers"].get("WARC-Payload-Digest")): r["payload"]
        for r in responses
        if r["type"] == "response"
    }
    mirror = Mirror(MIRROR)
    for record in responses:
        host, path = url_key(record["uri"])
        assert host == "digiato.com" and "127.0.0.1" not in record["uri"]  # the real URL, never the replay's
        if record["type"] == "revisit":
            headers = record["headers"]
            assert headers["WARC-Profile"].endswith("/revisit/identical-payload-digest")
            payload = payloads[(headers["WARC-Refers-To-Target-URI"], headers["WARC-Payload-Digest"])]
        else:
            payload = record["payload"]
        served = mirror.response(host, path)
        if served is None:
            assert (record["status"], payload) == (404, NOT_FOUND_PAGE)
            continue
        status, headers, body = served
        assert (record["status"], payload) == (status, body), record["uri"]
        stored = dict(record["http"].headers)
        for name, value in headers.items():
            assert stored[name] == value
        assert int(stored["Content-Length"]) == len(body)
    requests = [r for r in records(warc_dir) if r["type"] == "request"]
    assert len(requests) == len(responses)
    assert all(r["payload"] == b"" and r["http"].get_header("Host") == "digiato.com" for r in requests)


@pytest.mark.slow
def test_files_roll_over_and_open_with_warcio_check_and_index(warc_crawl):
    db, warc_dir, _ = warc_crawl
    files = sorted(warc_dir.rglob("*.warc.gz"))
    (run_id,) = [row["id"] for row in sqlite_utils.Database(db)["crawl_runs"].rows]
    assert len(files) > 1 and all(path.parent == warc_dir / "digiato" for path in files)
    assert [path.name.split("-", 2)[1:] for path in files] == [
        [str(run_id), f"{n:05d}.warc.gz"] for n in range(len(files))
    ]
    for path in files:
        with gzip.open(path) as handle:  # each file starts with its warcinfo record
            assert handle.read(200).startswith(b"WARC/1.1\r\nWARC-Type: warcinfo")
    check = subprocess.run([WARCIO, "check", "-v", *map(str, files)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "fail" not in check.stdout
    indexed = set()
    for path in files:
        index = subprocess.run(
            [WARCIO, "index", "-f", "warc-type,warc-target-uri,offset,length", str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        for line in index.stdout.splitlines():
            entry = json.loads(line)
            if entry["warc-type"] in ("response", "revisit"):
                indexed.add(
                    (
                        path.relative_to(warc_dir).as_posix(),
                        entry["warc-target-uri"],
                        int(entry["offset"]),
                        int(entry["length"]),
                    )
                )
    captures = {
        (c["warc_file"], c["url"], c["warc_offset"], c["warc_length"])
        for c in sqlite_utils.Database(db)["captures"].rows
    }
    assert captures == indexed


@pytest.mark.slow
def test_the_captures_table_indexes_every_record(warc_crawl):
    db, warc_dir, result = warc_crawl
    archive = Archive(db)
    captures = list(archive.db["captures"].rows)
    (run,) = archive.runs()
    assert len(captures) == len(fetched(result)) and {c["run_id"] for c in captures} == {run["id"]}
    kinds = {c["kind"] for c in captures}
    assert {"robots", "sitemap", "feed", "listing", "article"} <= kinds
    stats = json.loads(run["stats"])
    assert stats["newsarchive/warc/response"] + stats.get("newsarchive/warc/revisit", 0) == len(captures)
    for capture in captures:
        record = read_capture(archive, warc_dir, capture)
        assert record.url == capture["url"] and record.status == capture["status"]
        assert payload_digest(record.payload) == capture["payload_digest"]
        assert capture["fetched_at"] == record.date and capture["fetched_at"].endswith("Z")
    redirect = next(c for c in captures if c["status"] == 301)
    assert redirect["location"] == "https://digiato.com/iran-technology-news/irancell-5g-network-expansion"
    # An article's fetched_at is the second its response was captured.
    for url, row in rows(db).items():
        assert row["last_fetched_at"] == archive.latest_capture(url)["fetched_at"][:19] + "Z"
    archive.close()


@pytest.mark.slow
def test_a_second_crawl_writes_revisits_for_identical_payloads(warc_crawl, replay_server, tmp_path):
    db, warc_dir, _ = warc_crawl
    db2 = copy_archive(db, tmp_path / "archive.db")
    warc2 = tmp_path / "records"
    shutil.copytree(warc_dir, warc2)
    before = {
        (r["uri"], r["headers"].get("WARC-Payload-Digest")): r["date"]
        for r in records(warc2)
        if r["type"] == "response"
    }
    result = crawl(db2, replay_server.url, warc2)
    new_files = [p for p in warc2.rglob("*.warc.gz") if not (warc_dir / p.relative_to(warc2)).exists()]
    assert new_files
    second = [r for r in records(warc2) if r["file"] in {p.relative_to(warc2).as_posix() for p in new_files}]
    exchanges = [r for r in second if r["type"] in ("response", "revisit")]
    assert len(exchanges) == len(fetched(result)) > 0
    for record in exchanges:
        digest = record["headers"].get("WARC-Payload-Digest")
        if record["type"] == "revisit":
            headers = record["headers"]
            assert headers["WARC-Refers-To-Target-URI"] == record["uri"]
            assert before[(record["uri"], digest)] == headers["WARC-Refers-To-Date"]
            assert record["payload"] == b""
        else:  # only a payload never stored for this URL (or an empty one) is written again
            assert (record["uri"], digest) not in before or record["payload"] == b""
    assert any(r["type"] == "revisit" for r in exchanges)
    with Archive(db2) as archive:  # revisits read back as the original payload
        for capture in archive.db.query("select * from captures where record_type = 'revisit'"):
            assert payload_digest(read_capture(archive, warc2, capture).payload) == capture["payload_digest"]


@pytest.mark.slow
def test_reparse_after_a_normalization_change_updates_exactly_the_affected_fields(
    warc_crawl, tmp_path, monkeypatch
):
    db, warc_dir, _ = warc_crawl
    db2 = copy_archive(db, tmp_path / "archive.db")
    before = rows(db2)
    import newsarchive.pipelines as pipelines

    original = pipelines.normalize
    monkeypatch.setattr(pipelines, "normalize", lambda text: original(text).replace("آیفون", "iPhone"))
    report = reparse(str(db2), warc_dir=str(warc_dir))

    after = rows(db2)
    assert set(after) == set(before)
    versions = {row["article_id"]: row for row in sqlite_utils.Database(db2)["article_versions"].rows}
    changed_content = changed_other = 0
    for url, old in before.items():
        new = after[url]
        expected = {f: (old[f] or "").replace("آیفون", "iPhone") or old[f] for f in TEXT_FIELDS}
        expected |= {f: [v.replace("آیفون", "iPhone") for v in json.loads(old[f])] for f in LIST_FIELDS}
        assert {f: new[f] for f in TEXT_FIELDS} == {f: expected[f] for f in TEXT_FIELDS}, url
        assert {f: json.loads(new[f]) for f in LIST_FIELDS} == {f: expected[f] for f in LIST_FIELDS}, url
        differing = {k for k in old if old[k] != new[k]}
        content = any(old[f] != new[f] for f in TEXT_FIELDS)
        lists = any(old[f] != new[f] for f in LIST_FIELDS)
        if content:
            changed_content += 1
            version = versions[old["id"]]
            assert {f: version[f] for f in TEXT_FIELDS} == {f: old[f] for f in TEXT_FIELDS}
            assert differing <= {
                *TEXT_FIELDS,
                *LIST_FIELDS,
                "content_hash",
                "search_title",
                "search_lead",
                "search_body",
                "modified_at",
            }, (url, differing)
            assert new["modified_at"] == (
                old["modified_at"] if old["modified_at"] else new["last_fetched_at"]
            )
        elif lists:
            changed_other += 1
            assert old["id"] not in versions
            assert differing <= {*LIST_FIELDS, "search_lead"}, (url, differing)
        else:
            assert not differing and old["id"] not in versions, (url, differing)
    assert changed_content >= 3 and len(versions) == changed_content
    assert report.updated == changed_content + changed_other
    assert report.unchanged == len(before) - report.updated and report.new == 0
    assert report.read == len(before) + 1 and report.dropped == {
        "gone": 1
    }  # the 404 page is read, and dropped


@pytest.mark.slow
def test_reparse_corrects_metadata_without_a_version(warc_crawl, tmp_path, monkeypatch):
    """A changed site selector (tags): fields are updated in place, content and versions untouched."""
    db, warc_dir, _ = warc_crawl
    db2 = copy_archive(db, tmp_path / "archive.db")
    before = rows(db2)
    spider = SPIDERS["digiato"]
    broken = dataclasses.replace(
        spider.site, selectors=dataclasses.replace(spider.site.selectors, tags=(".no-such-thing a",))
    )
    monkeypatch.setattr(spider, "site", broken)
    report = reparse(str(db2), warc_dir=str(warc_dir), sources=["digiato"])
    after = rows(db2)
    assert sqlite_utils.Database(db2)["article_versions"].count == 0
    updated = [url for url in before if before[url] != after[url]]
    assert updated and report.updated == len(updated)
    for url in updated:
        differing = {k for k in before[url] if before[url][k] != after[url][k]}
        layers = [json.loads(row["field_sources"]).get("tags") for row in (before[url], after[url])]
        assert differing <= {"tags", "search_lead", "field_sources"}, (url, differing)
        assert (
            "tags" in differing or layers[0] != layers[1]
        )  # other tags, or the same ones from another layer


@pytest.mark.slow
def test_reparse_of_one_url_from_the_command_line(warc_crawl, tmp_path):
    db, warc_dir, _ = warc_crawl
    db2 = copy_archive(db, tmp_path / "archive.db")
    old_url = "https://digiato.com/article/2023/05/10/irancell-5g-network-expansion"  # redirects
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsarchive",
            "reparse",
            "--db",
            str(db2),
            "--warc-dir",
            str(warc_dir),
            "--url",
            old_url,
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(result.stdout)
    assert (report["read"], report["unchanged"], report["dropped"]) == (1, 1, {})


@pytest.mark.slow
def test_replaying_the_warc_gives_the_same_articles(warc_crawl, tmp_path):
    db, warc_dir, _ = warc_crawl
    replayed = tmp_path / "replayed.db"
    with ReplayServer(warc_dir) as server:
        assert isinstance(server.httpd.mirror, WarcMirror) and not server.httpd.mirror.problems
        crawl(replayed, server.url, tmp_path / "records")
    original, again = rows(db), rows(replayed)
    assert set(again) == set(original) == {SITE.canonical(e["url"]) for e in EXPECTED}
    for url, row in original.items():
        for column, value in row.items():
            if column in ("first_seen_at", "last_fetched_at"):
                continue
            if column == "field_sources":  # which path found a page first (feed or not) may differ
                value, other = json.loads(value), json.loads(again[url][column])
                value.pop("published", None), other.pop("published", None)
                assert value == other
                continue
            assert again[url][column] == value, (url, column)
    aliases = sqlite_utils.Database(replayed)["article_aliases"].count
    assert aliases == sqlite_utils.Database(db)["article_aliases"].count > 0


@pytest.mark.slow
def test_a_truncated_warc_is_reported_and_the_rest_still_read(warc_crawl, tmp_path):
    db, warc_dir, _ = warc_crawl
    source = sorted(warc_dir.rglob("*.warc.gz"))[0]
    complete = list(iter_records(source, problems := []))
    assert not problems and len(complete) >= 5
    # Cut inside the last article's response record, as a crash mid-write would (which
    # response the crawl wrote last, an article or a listing, depends on its timing).
    with Archive(db, readonly=True) as archive:
        articles = {
            offset
            for (offset,) in archive.db.execute(
                "select warc_offset from captures where kind = 'article' and warc_file = ?",
                [f"digiato/{source.name}"],
            )
        }
    last = [r for r in complete if r.rec_type == "response" and r.offset in articles][-1]
    cut = tmp_path / "cut" / "digiato" / source.name
    cut.parent.mkdir(parents=True)
    cut.write_bytes(source.read_bytes()[: last.offset + last.length // 2])
    read = list(iter_records(cut, problems := []))
    assert [r.offset for r in read] == [r.offset for r in complete if r.offset < last.offset]
    assert len(problems) == 1 and problems[0].offset == last.offset and "truncated" in problems[0].message
    # A damaged record in the middle: reported, and reading resumes at the next record.
    middle = complete[len(complete) // 2]
    damaged = bytearray(source.read_bytes())
    damaged[middle.offset + 20 : middle.offset + 60] = b"\x00" * 40
    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(bytes(damaged))
    read = list(iter_records(broken, problems := []))
    assert [r.offset for r in read] == [r.offset for r in complete if r.offset != middle.offset]
    assert [p.offset for p in problems] == [middle.offset]
    # The replay serves what is readable and reports the rest.
    mirror = WarcMirror(cut.parent.parent)
    assert len(mirror.problems) == 1
    robots = mirror.response("digiato.com", "/robots.txt")
    assert robots is not None and robots[0] == 200 and b"Sitemap" in robots[2]
    # reparse reads every other capture and counts the unreadable ones.
    db2 = copy_archive(db, tmp_path / "archive.db")
    shutil.copytree(warc_dir, tmp_path / "partial")
    (tmp_path / "partial" / "digiato" / source.name).write_bytes(cut.read_bytes())
    with Archive(db2) as archive:
        lost = archive.db.execute(
            "select count(*) from captures where kind = 'article' and warc_file = ? and warc_offset >= ?",
            [f"digiato/{source.name}", last.offset],
        ).fetchone()[0]
    report = reparse(str(db2), warc_dir=str(tmp_path / "partial"))
    assert lost and report.dropped.get("unreadable-capture") == lost
    assert report.unchanged == len(EXPECTED) - lost
    # The command line says so too.
    process = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "replay", str(cut.parent.parent), "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "replaying" in process.stdout.readline() + process.stdout.readline()
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    assert "truncated" in stderr


@pytest.mark.slow
def test_a_killed_crawl_leaves_readable_warc_files(replay_server, tmp_path):
    db, warc_dir = tmp_path / "archive.db", tmp_path / "records"
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "digiato",
        "-s",
        f"NEWSARCHIVE_REPLAY_URL={replay_server.url}",
        "-s",
        f"NEWSARCHIVE_DB={db}",
        "-s",
        f"NEWSARCHIVE_WARC_DIR={warc_dir}",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "DOWNLOAD_DELAY=0.3",
        "-s",
        "CONCURRENT_REQUESTS=1",
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if (
            db.exists()
            and sqlite_utils.Database(db)["captures"].exists()
            and sqlite_utils.Database(db)["captures"].count >= 6
        ):
            break
    process.send_signal(signal.SIGKILL)
    process.wait()
    problems: list = []
    read = [r for path in sorted(warc_dir.rglob("*.warc.gz")) for r in iter_records(path, problems)]
    assert all("truncated" in p.message for p in problems) and len(problems) <= 1
    with Archive(db) as archive:
        captures = list(archive.db["captures"].rows)
        assert len(captures) >= 6
        for capture in captures:  # every indexed capture is a complete record
            assert (
                payload_digest(read_capture(archive, warc_dir, capture).payload) == capture["payload_digest"]
            )
    assert {c["url"] for c in captures} <= {r.url for r in read}


@pytest.mark.slow
def test_warc_off_writes_nothing(replay_server, tmp_path):
    db = tmp_path / "archive.db"
    crawl(db, replay_server.url, tmp_path / "records", "-s", "NEWSARCHIVE_WARC=0")
    assert not (tmp_path / "records").exists() and not (tmp_path / "warc").exists()
    assert sqlite_utils.Database(db)["captures"].count == 0
    assert len(rows(db)) == len(EXPECTED)


def hand_driven(tmp_path: Path, **settings) -> tuple:
    """The digiato spider's crawler and a WARC middleware of it, to call by hand (no crawl)."""
    crawler = get_crawler(
        SPIDERS["digiato"],
        {
            **project_settings().copy_to_dict(),
            "TWISTED_REACTOR_ENABLED": False,
            "EXTENSIONS": {"newsarchive.extensions.CrawlRun": None},
            "NEWSARCHIVE_DB": str(tmp_path / "archive.db"),
            "NEWSARCHIVE_WARC_DIR": str(tmp_path / "records"),
            **settings,
        },
    )
    crawler.spider = SPIDERS["digiato"].from_crawler(crawler)
    return crawler, WarcMiddleware.from_crawler(crawler)


def capture_page(middleware: WarcMiddleware, number: int) -> None:
    request = Request(f"https://digiato.com/article/{number}", meta={"newsarchive_kind": "article"})
    response = Response(request.url, status=200, body=f"<p>{number}</p>".encode(), request=request)
    middleware.process_response(request, response)


def test_records_are_indexed_in_batches_not_one_transaction_each(tmp_path, monkeypatch):
    """Each message to the archive's writer (a transaction, with workers a message to another
    process) carries CAPTURES_PER_SEND records but the last; every record is indexed at the end."""
    monkeypatch.setattr(warc, "CAPTURES_SEND_SECONDS", 3600.0)
    sent: list[int] = []
    add_captures = Archive.add_captures
    monkeypatch.setattr(
        Archive, "add_captures", lambda self, rows: (sent.append(len(rows)), add_captures(self, rows))[1]
    )
    crawler, middleware = hand_driven(tmp_path, NEWSARCHIVE_WORKERS=1)
    total = 2 * warc.CAPTURES_PER_SEND + 5
    for number in range(total):
        capture_page(middleware, number)
    middleware.spider_closed(crawler.spider, "finished")
    assert sum(sent) == total and all(size >= warc.CAPTURES_PER_SEND for size in sent[:-1])
    assert len(sent) <= total // warc.CAPTURES_PER_SEND + 1
    with Archive(tmp_path / "archive.db") as archive:
        assert archive.db["captures"].count == total


def test_a_pause_between_responses_leaves_no_record_unindexed_for_long(tmp_path, monkeypatch):
    """During a crawl (an event loop running) the records written are indexed every
    CAPTURES_SEND_SECONDS, with no next response to carry them: a run killed in a pause
    leaves its WARC files indexed."""
    monkeypatch.setattr(warc, "CAPTURES_SEND_SECONDS", 0.2)
    crawler, middleware = hand_driven(tmp_path, NEWSARCHIVE_WORKERS=1)

    def indexed() -> int:
        with sqlite3.connect(tmp_path / "archive.db") as conn:
            return conn.execute("select count(*) from captures").fetchone()[0]

    async def crawl_then_pause() -> int:
        capture_page(middleware, 1)  # the first response starts the writer and its indexing
        await asyncio.sleep(0.05)
        capture_page(middleware, 2)
        deadline = time.monotonic() + 10
        while indexed() < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return indexed()

    assert asyncio.run(crawl_then_pause()) == 2
    middleware.spider_closed(crawler.spider, "finished")
    assert not middleware.indexer.running


def test_a_failing_step_of_the_indexer_is_logged_and_the_next_one_indexes(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(warc, "CAPTURES_SEND_SECONDS", 0.1)
    crawler, middleware = hand_driven(tmp_path, NEWSARCHIVE_WORKERS=1)
    index = middleware._index
    failures = [RuntimeError("cannot schedule new futures after shutdown")]

    def index_once_failing(thread, **kwargs):
        if failures and not kwargs:
            raise failures.pop()
        return index(thread, **kwargs)

    monkeypatch.setattr(middleware, "_index", index_once_failing)

    async def crawl_then_pause() -> int:
        capture_page(middleware, 1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            with sqlite3.connect(tmp_path / "archive.db") as conn:
                if conn.execute("select count(*) from captures").fetchone()[0]:
                    return 1
        return 0

    assert asyncio.run(crawl_then_pause()) == 1 and not failures
    assert "could not send the WARC records" in caplog.text
    middleware.spider_closed(crawler.spider, "finished")


def test_compressed_bodies_are_stored_as_received(tmp_path):
    """Before HttpCompressionMiddleware: the gzip body with its Content-Encoding (scrapy#1988)."""
    crawler, middleware = hand_driven(tmp_path)
    html = "<html><body><p>سلام دنیا</p></body></html>".encode()
    compressed = gzip.compress(html, mtime=0)
    request = Request("https://digiato.com/feed", meta={"newsarchive_kind": "feed"})
    response = Response(
        request.url,
        status=200,
        body=compressed,
        request=request,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Encoding": "gzip",
            "Content-Length": str(len(compressed)),
            "Transfer-Encoding": "chunked",
        },
    )
    assert middleware.process_response(request, response) is response
    middleware.spider_closed(crawler.spider, "finished")
    (record,) = [r for r in records(tmp_path / "records") if r["type"] == "response"]
    assert record["payload"] == html  # warcio decodes the stored gzip payload
    stored = dict(record["http"].headers)
    assert stored["Content-Encoding"] == "gzip" and stored["Content-Length"] == str(len(compressed))
    assert "Transfer-Encoding" not in stored
    with Archive(tmp_path / "archive.db") as archive:
        (capture,) = archive.db["captures"].rows
        assert read_capture(archive, tmp_path / "records", capture).payload == compressed
        assert capture["payload_digest"] == payload_digest(compressed)


def test_a_raw_utf8_location_is_stored_percent_encoded_and_followed(tmp_path):
    """Persian sites send raw UTF-8 in Location: stored as %XX (ASCII heads), the same URL Scrapy follows."""
    crawler, middleware = hand_driven(tmp_path)
    request = Request("https://digiato.com/article/2022/08/18/old", meta={"newsarchive_kind": "article"})
    target = "/article/2022/08/18/فورد-موستانگ".encode()
    response = Response(request.url, status=301, request=request, headers={b"Location": target})
    middleware.process_response(request, response)
    middleware.spider_closed(crawler.spider, "finished")
    (record,) = [r for r in records(tmp_path / "records") if r["type"] == "response"]
    expected = "https://digiato.com/article/2022/08/18/%D9%81%D9%88%D8%B1%D8%AF-%D9%85%D9%88%D8%B3%D8%AA%D8%A7%D9%86%DA%AF"
    assert "https://digiato.com" + record["http"].get_header("Location") == expected
    with Archive(tmp_path / "archive.db") as archive:
        assert archive.latest_capture(request.url)["location"] == expected


@pytest.mark.slow
def test_reparse_names_a_capture_whose_status_was_impossible(warc_crawl, tmp_path):
    """A status outside 100-999 is indexed as NULL (see warc); reparse counts it, never crashes."""
    db, warc_dir, _ = warc_crawl
    db2 = copy_archive(db, tmp_path / "archive.db")
    with sqlite3.connect(db2) as conn:
        target = conn.execute(
            "select url from captures where status = 200 and url like '%ios-17-2%' limit 1"
        ).fetchone()[0]
        conn.execute("update captures set status = null where url = ?", [target])
    report = reparse(str(db2), warc_dir=str(warc_dir), urls=[target])
    assert report.dropped == {"bad-status": 1}


@pytest.mark.slow
def test_reparse_in_worker_processes_stores_what_reparse_in_one_process_does(
    warc_crawl, tmp_path, monkeypatch
):
    """A changed normalization makes every article an update: the two runs must agree row for row."""
    db, warc_dir, _ = warc_crawl
    import newsarchive.pipelines as pipelines

    original = pipelines.normalize
    monkeypatch.setattr(pipelines, "normalize", lambda text: original(text).replace("آیفون", "iPhone"))
    results = {}
    for workers in (1, 3):
        copy = copy_archive(db, tmp_path / f"archive-{workers}.db")
        report = reparse(str(copy), warc_dir=str(warc_dir), settings={"NEWSARCHIVE_WORKERS": workers})
        ignored = {"last_fetched_at", "modified_at"}
        results[workers] = (
            report.as_dict(),
            {url: {k: v for k, v in row.items() if k not in ignored} for url, row in rows(copy).items()},
        )
    assert results[1][0]["updated"] > 0
    assert results[1] == results[3]
