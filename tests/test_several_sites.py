"""Several sites at once: ``scrapy list``, ``newsarchive crawl SITE SITE ...`` and ``newsarchive demo --all``.

One process runs the spiders one after another against the same archive; one replay server
serves every site's mirror folder (``tests/mirror/<host>/``). Nothing here names a site.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest
import sqlite_utils
from conftest import EXPECTED_SITES, ROOT, load_expected

from newsarchive.cli import main
from newsarchive.sites import SITES


def newsarchive(*argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("NEWSARCHIVE_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "newsarchive", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def stored(db) -> Counter:
    return Counter(row["source"] for row in sqlite_utils.Database(db)["articles"].rows)


def runs(db) -> list[tuple[str, str]]:
    return [
        (row["spider"], row["status"])
        for row in sqlite_utils.Database(db)["crawl_runs"].rows_where(order_by="id")
    ]


@pytest.mark.slow
def test_every_site_file_is_registered_and_scrapy_list_lists_every_site():
    files = {path.stem for path in (ROOT / "newsarchive" / "sites").glob("*.toml")}
    assert files == set(SITES)
    listed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert listed.stdout.split() == sorted(SITES)


@pytest.mark.slow
def test_demo_all_archives_every_site_from_one_replay(tmp_path):
    db = tmp_path / "demo.db"
    result = newsarchive("demo", "--all", "--db", str(db))
    assert result.returncode == 0, result.stderr[-3000:]
    counts = stored(db)
    assert set(counts) == set(SITES)
    for site in EXPECTED_SITES:
        assert counts[site] == len(load_expected(f"{site}.json")), site
    assert runs(db) == [(site, "finished") for site in SITES]
    assert f"archived {sum(counts.values())} articles" in result.stdout


@pytest.mark.slow
def test_crawl_named_sites_in_one_process_into_one_archive(tmp_path, replay_server):
    db = tmp_path / "archive.db"
    sites = [EXPECTED_SITES[-1], EXPECTED_SITES[0]]
    replay = f"NEWSARCHIVE_REPLAY_URL={replay_server.url}"
    result = newsarchive("crawl", *sites, "--db", str(db), "-s", replay, "-s", "LOG_LEVEL=INFO")
    assert result.returncode == 0, result.stderr[-3000:]
    assert stored(db) == {site: len(load_expected(f"{site}.json")) for site in sites}
    assert runs(db) == [(site, "finished") for site in sites]
    for site in sites:
        assert f"crawl report for {site}" in result.stderr
    # A second run of the same sites finds everything known: no new rows, each run recorded.
    again = newsarchive("crawl", *sites, "--db", str(db), "-s", replay)
    assert again.returncode == 0, again.stderr[-3000:]
    assert stored(db) == {site: len(load_expected(f"{site}.json")) for site in sites}
    assert runs(db) == [(site, "finished") for site in sites * 2]


@pytest.mark.parametrize(
    "argv", [["crawl"], ["crawl", "no-such-site"], ["crawl", next(iter(SITES)), "no-such-site"]]
)
def test_crawl_refuses_unknown_or_no_sites(argv, capsys):
    assert main(argv) == 2
    assert "known:" in capsys.readouterr().err
