"""The spider's edges: what it imports, the crawl memory it asks (picked by a setting), and how a
write the archive refuses reaches the run extension without the spider knowing the archive."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from newsarchive.archive import ArchiveWriteError
from newsarchive.crawl import project_settings
from newsarchive.extensions import CrawlRun
from newsarchive.memory import ArchiveMemory
from newsarchive.outcomes import ARCHIVE_ERROR, EXIT_ARCHIVE, EXIT_CODE, archive_failure
from newsarchive.spiders.sites import SPIDERS

PACKAGE = Path(__file__).resolve().parent.parent / "newsarchive"
#: What the spider may import from the project: data, extraction and the item (through the
#: page-to-item function), the date parser, the names of outcomes and the crawl memory's protocol.
SPIDER_MAY_IMPORT = {
    "newsarchive.sites.base",
    "newsarchive.extract",
    "newsarchive.items",
    "newsarchive.page",
    "newsarchive.persian.dates",
    "newsarchive.outcomes",
    "newsarchive.memory",
    "newsarchive.workers",  # who reads article pages: worker processes or the crawl's own
    "newsarchive.cms",  # a CMS family profile starts the run (e.g. WordPress's REST API)
}


def project_imports(path: Path) -> set[str]:
    """The project modules ``path`` imports, at module level or inside functions."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("newsarchive"):
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if alias.name.startswith("newsarchive"))
    return names


def test_the_spider_imports_no_pipeline_middleware_extension_or_redis():
    source = PACKAGE / "spiders" / "base.py"
    assert project_imports(source) <= SPIDER_MAY_IMPORT
    assert "redis" not in source.read_text("utf-8").lower()


def test_outcomes_imports_nothing_from_the_project():
    assert project_imports(PACKAGE / "outcomes.py") == set()


def crawler_for(db: Path, **settings):
    return get_crawler(
        SPIDERS["digiato"],
        {
            **project_settings().copy_to_dict(),
            "TWISTED_REACTOR_ENABLED": False,
            "EXTENSIONS": {"newsarchive.extensions.CrawlRun": None},
            "NEWSARCHIVE_DB": str(db),
            **settings,
        },
    )


class Remembered:
    """A crawl memory of a test: knows nothing, keeps what it is told."""

    def __init__(self):
        self.gone: list[tuple[str, int]] = []
        self.closed = False

    @classmethod
    def from_crawler(cls, crawler):
        return cls()

    def fetch_record(self, url):
        return None

    def discovery_lastmod(self, url):
        return None

    def last_run_completed(self, spider, before):
        return False

    def record_gone(self, url, status):
        self.gone.append((url, status))

    def remember_discovery(self, lastmods):
        pass

    def close(self):
        self.closed = True


def test_the_crawl_memory_is_the_archive_unless_a_setting_names_another(tmp_path):
    crawler = crawler_for(tmp_path / "archive.db")
    spider = SPIDERS["digiato"].from_crawler(crawler)
    assert isinstance(spider.archive, ArchiveMemory)
    assert spider.archive.fetch_record(spider.site.url("/anything/")) is None
    spider.closed("finished")

    crawler = crawler_for(tmp_path / "unused.db", NEWSARCHIVE_CRAWL_MEMORY=f"{__name__}.Remembered")
    spider = SPIDERS["digiato"].from_crawler(crawler)
    assert isinstance(spider.archive, Remembered)
    spider.closed("finished")
    assert spider.archive.closed and not (tmp_path / "unused.db").exists()


def test_the_distributed_addon_gives_workers_their_memory_and_every_sitemap_at_once():
    pytest.importorskip("scrapy_redis")
    from scrapy.settings import Settings

    from newsarchive.distributed import DistributedAddon

    settings = Settings(project_settings().copy_to_dict())
    settings.set("NEWSARCHIVE_REDIS_URL", "redis://127.0.0.1:1/0", priority="cmdline")
    DistributedAddon().update_settings(settings)
    assert settings.get("NEWSARCHIVE_CRAWL_MEMORY") == "newsarchive.distributed.WorkerArchive"
    assert settings.getbool("NEWSARCHIVE_QUEUE_ALL_SITEMAPS")


@pytest.mark.parametrize("all_at_once, expected", [(False, 1), (True, 3)])
def test_an_index_sitemaps_are_read_in_turn_unless_the_queue_is_shared(tmp_path, all_at_once, expected):
    crawler = crawler_for(tmp_path / "unused.db", NEWSARCHIVE_QUEUE_ALL_SITEMAPS=all_at_once)
    spider = SPIDERS["digiato"].from_crawler(crawler)
    spider.sitemap_queue.extend((spider.site.url(f"/sitemap-{n}.xml"), None, 1) for n in range(3))
    assert len(list(spider._next_sitemap())) == expected


class RefusingArchive:
    """An archive on a full disk: reads answer, writes are refused."""

    def record_gone(self, url, status):
        raise ArchiveWriteError("the disk holding the archive is full", "disk-full")

    def remember_discovery(self, lastmods):
        self.record_gone("", 0)

    def close(self):
        pass


def test_a_write_the_archive_refuses_reaches_the_run_extension_not_the_spider(tmp_path):
    crawler = crawler_for(tmp_path / "archive.db", EXTENSIONS={})
    run = CrawlRun.from_crawler(crawler)
    try:
        memory = ArchiveMemory(crawler, RefusingArchive())
        memory.record_gone("https://digiato.com/gone", 404)  # no exception
        assert "disk holding the archive is full" in crawler.stats.get_value(ARCHIVE_ERROR)
        assert crawler.stats.get_value(EXIT_CODE) == EXIT_ARCHIVE
    finally:
        run.lock.release()


def test_without_a_run_extension_a_refused_write_is_only_signalled(tmp_path):
    crawler = crawler_for(tmp_path / "archive.db")
    heard = []
    crawler.signals.connect(lambda error: heard.append(error), signal=archive_failure, weak=False)
    ArchiveMemory(crawler, RefusingArchive()).remember_discovery({"https://digiato.com/sitemap.xml": "x"})
    assert [error.reason for error in heard] == ["disk-full"]
    assert crawler.stats.get_value(ARCHIVE_ERROR) is None
