"""Shared fixtures: the Digiato mirror, its replay server, and crawled archives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsarchive.replay import ReplayServer

ROOT = Path(__file__).resolve().parent.parent
MIRROR = ROOT / "tests" / "mirror"
EXPECTED = ROOT / "tests" / "expected"


def load_expected(name: str):
    return json.loads((EXPECTED / name).read_text("utf-8"))


@pytest.fixture(scope="session")
def replay_server():
    with ReplayServer(MIRROR) as server:
        yield server


def scrapy_crawl(spider: str, db: Path, replay_url: str, *extra: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the real ``scrapy crawl`` in a subprocess, as cron would."""
    command = [
        sys.executable, "-m", "scrapy", "crawl", spider,
        "-s", f"NEWSARCHIVE_REPLAY_URL={replay_url}", "-s", f"NEWSARCHIVE_DB={db}",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=INFO",
        *extra,
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("NEWSARCHIVE_DB", None)
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"scrapy crawl failed ({result.returncode}):\n{result.stderr[-5000:]}")
    return result


@pytest.fixture(scope="session")
def digiato_archive(tmp_path_factory, replay_server):
    """An archive made by one real crawl of the Digiato mirror; (path, crawl result)."""
    db = tmp_path_factory.mktemp("crawl") / "archive.db"
    result = scrapy_crawl("digiato", db, replay_server.url)
    return db, result
