"""A read-only archive and a full disk (#9): one clear ERROR, exit code 4, nothing damaged.

Both faults are real, not simulated: the archive lives on a small tmpfs that
the test mounts, then remounts read-only or fills up. (As root, ``chmod 0444``
stops nothing: root writes anyway, so a read-only *file system* is the case
that matters for a crawler run by root from cron.) Mounting needs root with
CAP_SYS_ADMIN; a non-root run gets a read-only archive by ``chmod`` instead
(which does stop a non-root writer) and cannot fill a disk, so that test is
skipped with the reason.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils
from conftest import ROOT, scrapy_crawl

from newsarchive.archive import Archive, ArchiveWriteError, content_hash
from newsarchive.health import EXIT_ARCHIVE


def _mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True)


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "4m"):
    """A small tmpfs at ``path`` for the test's archive, unmounted afterwards."""
    path.mkdir()
    mounted = _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); needs root with CAP_SYS_ADMIN")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def articles(db: Path) -> dict[str, str]:
    """url -> content hash of every stored article."""
    archive = sqlite_utils.Database(db)
    try:
        return dict(archive.execute("select url, content_hash from articles").fetchall())
    finally:
        archive.close()  # an open file keeps the file system from being remounted read-only


def assert_sound(db: Path) -> sqlite_utils.Database:
    """Integrity, the FTS index, and no half-written article: every row's hash is its content's."""
    archive = sqlite_utils.Database(db)
    assert archive.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    archive.execute("insert into articles_fts(articles_fts) values('integrity-check')")
    for row in archive.query("select * from articles"):
        assert row["title"] and row["body"] and row["published_at"], row["url"]
        assert row["content_hash"] == content_hash(row), row["url"]
    assert archive["articles_fts"].count == archive["articles"].count
    return archive


def newsarchive_crawl(site: str, db: Path, replay_url: str, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NEWSARCHIVE_DB"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "newsarchive",
            "crawl",
            site,
            "--db",
            str(db),
            "-s",
            f"NEWSARCHIVE_REPLAY_URL={replay_url}",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if " ERROR: " in line]


def test_a_read_only_connection_is_refused_with_a_reason(tmp_path):
    """The probe the crawl commands run first: no write happens, the reason is named."""
    db = tmp_path / "archive.db"
    Archive(db).close()
    with Archive(db) as archive:
        archive.probe_write()  # a writable archive passes, unchanged
    with Archive(db, readonly=True) as archive, pytest.raises(ArchiveWriteError) as refused:
        archive.probe_write()
    assert refused.value.reason == "read-only" and "is read-only" in str(refused.value)


@pytest.mark.slow
def test_a_read_only_archive_stops_the_crawl_before_any_request(replay_server, tmp_path):
    if os.geteuid() != 0:  # chmod stops a non-root writer; root needs a read-only file system
        pytest.skip("the read-only file system case needs root (chmod is tested by the probe test)")
    with tmpfs(tmp_path / "fs") as fs:
        db = fs / "archive.db"
        scrapy_crawl("digiato", db, replay_server.url, "-s", f"NEWSARCHIVE_WARC_DIR={tmp_path / 'warc'}")
        before = articles(db)
        assert len(before) == 18
        assert _mount("-o", "remount,ro", str(fs)).returncode == 0

        result = scrapy_crawl("digiato", db, replay_server.url, check=False)
        assert result.returncode == EXIT_ARCHIVE, result.stderr[-3000:]
        (error,) = error_lines(result.stderr)
        assert f"not starting the crawl: archive {db} is on a read-only file system" in error
        assert "Traceback" not in result.stderr
        assert "Spider opened" not in result.stderr and "Crawled (" not in result.stderr

        result = newsarchive_crawl("digiato", db, replay_server.url)
        assert result.returncode == EXIT_ARCHIVE, result.stderr[-3000:]
        assert result.stderr.strip() == (
            f"newsarchive: not starting the crawl: archive {db} is on a read-only "
            "file system (unable to open database file); nothing can be stored"
        )

        # Reading still works: what happened, and the archive itself.
        runs = subprocess.run(
            [sys.executable, "-m", "newsarchive", "runs", "--db", str(db)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert runs.returncode == 0 and "finished" in runs.stdout, runs.stderr
        with Archive(db, readonly=True) as archive:
            assert archive.count() == 18

        assert _mount("-o", "remount,rw", str(fs)).returncode == 0
        assert articles(db) == before
        archive = assert_sound(db)
        assert [run["status"] for run in archive.query("select status from crawl_runs")] == ["finished"]


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2], ids=["writes-inline", "writer-process"])
def test_a_full_disk_stops_the_crawl_with_one_error_and_keeps_what_was_stored(
    replay_server, tmp_path, workers
):
    with tmpfs(tmp_path / "fs") as fs:
        db = fs / "archive.db"
        # WARC files elsewhere: this test fills the archive's disk, not theirs. With 2 workers
        # the archive is written by the writer process (newsarchive/writer.py).
        warc = ("-s", f"NEWSARCHIVE_WARC_DIR={tmp_path / 'warc'}", "-s", f"NEWSARCHIVE_WORKERS={workers}")
        scrapy_crawl("digiato", db, replay_server.url, *warc)
        before = articles(db)
        assert len(before) == 18
        # Leave room for the run to start and an article or so, not for the 8 of Zoomit.
        free = os.statvfs(fs).f_bavail * os.statvfs(fs).f_frsize
        (fs / "filler").write_bytes(b"\0" * (free - 200 * 1024))

        result = scrapy_crawl("zoomit", db, replay_server.url, *warc, check=False)
        assert result.returncode == EXIT_ARCHIVE, result.stderr[-3000:]
        (error,) = error_lines(result.stderr)
        assert (
            f"stopping the crawl: the disk holding archive {db} is full (database or disk is full)" in error
        )
        assert "Traceback" not in result.stderr
        assert "Closing spider (archive-error)" in result.stderr

        archive = assert_sound(db)
        after = articles(db)
        assert {url: after[url] for url in before} == before  # every earlier article as it was
        zoomit = [url for url in after if "zoomit" in url]
        assert len(zoomit) < 8  # the disk did fill before the end
        assert archive["article_versions"].count == 0
        run = next(iter(archive.query("select * from crawl_runs where spider = 'zoomit'")))
        assert run["status"] == "failed" and run["finished_at"]
        (problem,) = json.loads(run["problems"])
        assert problem["check"] == "archive" and "is full" in problem["message"]

        # Space freed, the next run finishes the job.
        (fs / "filler").unlink()
        scrapy_crawl("zoomit", db, replay_server.url, *warc)
        assert len([url for url in articles(db) if "zoomit" in url]) == 8
        assert_sound(db)
