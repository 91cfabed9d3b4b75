"""Shared fixtures: the Digiato mirror, its replay server, and crawled archives."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def _is_the_root(entry: str) -> bool:
    return Path(entry).resolve() == ROOT


def drop_the_root_from_sys_path() -> None:
    """Keep the repository root off ``sys.path``.

    With the root on it, the ``datasets/`` folder (where exports land) imports as a namespace
    package called ``datasets`` in place of a missing Hugging Face ``datasets``, and
    ``importorskip("datasets")`` does not skip. ``python3 -m pytest`` run from the root puts the
    root first; Scrapy's ``get_project_settings()`` appends the folder of ``scrapy.cfg``, the
    root again. Nothing the tests import lives there: newsarchive is installed, and the shared
    helpers are modules in tests/, which pytest puts on ``sys.path``.
    """
    sys.path[:] = [entry for entry in sys.path if not (_is_the_root(entry) if entry else Path.cwd() == ROOT)]


drop_the_root_from_sys_path()  # before anything else is imported

import pytest
from itemadapter import ItemAdapter
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from newsarchive.crawl import project_settings
from newsarchive.pipelines import DatePipeline, NormalizationPipeline, ValidationPipeline
from newsarchive.replay import ReplayServer
from newsarchive.sites import SITES
from newsarchive.spiders.sites import SPIDERS
from newsarchive.urls import host_of

MIRROR = ROOT / "tests" / "mirror"
EXPECTED = ROOT / "tests" / "expected"
#: Every site with expected values (``tests/expected/<site>.json``).
EXPECTED_SITES = sorted(path.stem for path in EXPECTED.glob("*.json") if not path.stem.endswith("_pages"))


def pytest_runtest_setup(item):
    drop_the_root_from_sys_path()  # again: an earlier test may have read the project settings


def load_expected(name: str):
    return json.loads((EXPECTED / name).read_text("utf-8"))


@pytest.fixture(scope="session")
def replay_server():
    with ReplayServer(MIRROR) as server:
        yield server


def scrapy_crawl(
    spider: str,
    db: Path,
    replay_url: str,
    *extra: str,
    check: bool = True,
    environ: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run the real ``scrapy crawl`` in a subprocess, as cron would; ``environ`` adds to its
    environment (the test's own, without the developer's NEWSARCHIVE_DB and alert settings)."""
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        spider,
        "-s",
        f"NEWSARCHIVE_REPLAY_URL={replay_url}",
        "-s",
        f"NEWSARCHIVE_DB={db}",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "LOG_LEVEL=INFO",
        *extra,
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("NEWSARCHIVE_DB", None)
    # A developer's own alert settings must never send real alerts from test crawls.
    for name in [name for name in env if name.startswith("NEWSARCHIVE_ALERT_")]:
        del env[name]
    env.update(environ or {})
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


# --- extraction without a crawl -----------------------------------------------


def make_spider(site: str, db: Path):
    """A site's spider bound to a crawler with the project settings (no run lock, archive ``db``)."""
    settings = {
        **project_settings().copy_to_dict(),
        "TWISTED_REACTOR_ENABLED": False,
        "EXTENSIONS": {"newsarchive.extensions.CrawlRun": None},
        "NEWSARCHIVE_DB": str(db),
        "NEWSARCHIVE_WORKERS": 1,  # pages read in this process (tests/test_workers.py: the pool)
    }
    return SPIDERS[site].from_crawler(get_crawler(SPIDERS[site], settings))


def callback_output(output) -> list:
    """What a spider callback yielded, whether it is a generator or an async generator
    (``parse_article`` awaits the page reader), without a reactor."""
    if not hasattr(output, "__aiter__"):
        return list(output)

    async def drain() -> list:
        return [value async for value in output]

    return asyncio.run(drain())


def mirror_response(site: str, url: str, path: str, **meta) -> HtmlResponse:
    """The mirror file ``path`` of ``site`` as a response for its real ``url``.

    Like the replay server, the mirror folder is the host without ``www.``.
    """
    body = (MIRROR / host_of(SITES[site].base_url) / path).read_bytes()
    return HtmlResponse(url=url, body=body, request=Request(url, meta=meta))


def process_response(spider, response) -> dict:
    """The item a crawl would store for one response: ``parse_article`` then the validation,
    normalization and date pipelines, called directly. A drop raises ``DropArticle`` and is
    counted in the spider's crawl stats, as in a crawl."""
    (item,) = callback_output(spider.parse_article(response))
    for step in (ValidationPipeline, NormalizationPipeline, DatePipeline):
        item = step(spider.crawler).process_item(item)
    return ItemAdapter(item).asdict()


def process_page(spider, url: str, path: str) -> dict:
    """The item a crawl would store for one mirror page (see :func:`process_response`)."""
    return process_response(spider, mirror_response(spider.name, url, path))


@pytest.fixture(scope="module")
def scratch_db(tmp_path_factory) -> Path:
    """An archive path for spiders that look up known articles outside a crawl."""
    return tmp_path_factory.mktemp("scratch") / "scratch.db"
