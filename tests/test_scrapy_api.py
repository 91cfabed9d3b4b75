"""Scrapy is used through its public API; each private name still relied on is listed here, with
the Scrapy version it was checked against, and fails its test when a release changes it.

The retry middleware asks :func:`~scrapy.downloadermiddlewares.retry.get_retry_request`, the
robots.txt middleware keeps Scrapy's robots.txt answer in ``process_response``, and ``scrapy
crawl`` runs its crawler with ``CrawlerProcess.create_crawler``/``crawl``/``start``; none of
them overrides a private method.
"""

from __future__ import annotations

import argparse
import inspect
import re
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import UsageError
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

import newsarchive.commands.crawl
import newsarchive.distributed
import newsarchive.distributed_scheduler
import newsarchive.extensions
import newsarchive.middlewares
import newsarchive.pipelines
import newsarchive.warc
from newsarchive.commands.crawl import Command
from newsarchive.middlewares import SharedRobotsTxtMiddleware
from newsarchive.outcomes import EXIT_CODE, EXIT_DEGRADED

MODULES = [
    newsarchive.commands.crawl,
    newsarchive.distributed,
    newsarchive.distributed_scheduler,
    newsarchive.extensions,
    newsarchive.middlewares,
    newsarchive.pipelines,
    newsarchive.warc,
]


def test_no_class_overrides_a_private_method_of_scrapy():
    overridden = []
    for module in MODULES:
        for cls in vars(module).values():
            if not (inspect.isclass(cls) and cls.__module__ == module.__name__):
                continue
            for name, value in vars(cls).items():
                if name.startswith("_") and not name.startswith("__") and callable(value):
                    bases = [base for base in cls.__mro__[1:] if base.__module__.startswith("scrapy.")]
                    overridden += [
                        f"{cls.__name__}.{name} ({base.__name__})" for base in bases if name in vars(base)
                    ]
    assert overridden == []


def test_the_private_methods_once_overridden_or_called_are_not_named_any_more():
    package = Path(newsarchive.middlewares.__file__).parent
    named = {
        f"{path.relative_to(package)}: {name}"
        for path in package.rglob("*.py")
        for name in re.findall(r"\.(_retry|_parse_robots|_create_crawler)\b", path.read_text("utf-8"))
    }
    assert named == set()


def test_the_retry_middleware_reads_what_scrapys_retry_middleware_still_sets():
    """BackoffRetryMiddleware reads these settings-made attributes of its base (Scrapy 2.19)."""
    middleware = RetryMiddleware.from_crawler(get_crawler(settings_dict={"RETRY_HTTP_CODES": [503]}))
    assert middleware.retry_http_codes == {503}
    assert isinstance(middleware.exceptions_to_retry, tuple) and middleware.exceptions_to_retry


def test_robots_txt_as_scrapy_fetched_it_is_kept_under_the_host_it_was_asked_of():
    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True})
    middleware = SharedRobotsTxtMiddleware.from_crawler(crawler)
    asked = "http://digiato.com/robots.txt"
    final = Request(
        "https://www.digiato.com/robots.txt",
        callback=NO_CALLBACK,
        meta={"dont_obey_robotstxt": True, "redirect_urls": [asked]},
    )
    response = Response(
        final.url, status=200, body=b"Sitemap: https://digiato.com/sitemap.xml", request=final
    )
    assert middleware.process_response(final, response) is response
    assert middleware._fetched == {"digiato.com": response}
    # The spider's own request for robots.txt, or another answer, is not kept.
    for request, status in [(Request(asked), 200), (final, 404)]:
        middleware._fetched.clear()
        middleware.process_response(request, Response(request.url, status=status, request=request))
        assert middleware._fetched == {}


class FakeProcess:
    """A CrawlerProcess as far as the crawl command uses it; its one run leaves ``code``."""

    def __init__(self, code: int, bootstrap_failed: bool = False):
        self.code = code
        self.bootstrap_failed = bootstrap_failed
        self.crawled: list[tuple[Crawler, dict]] = []

    def create_crawler(self, name):
        return get_crawler(Spider, {"BOT_NAME": name})

    def crawl(self, crawler, **spargs):
        self.crawled.append((crawler, spargs))

    def start(self):
        for crawler, _ in self.crawled:
            crawler.stats.set_value(EXIT_CODE, self.code)


def command(tmp_path, process) -> Command:
    cmd = Command()
    cmd.settings = Settings({"NEWSARCHIVE_DB": str(tmp_path / "archive.db")})
    cmd.crawler_process = process
    return cmd


@pytest.mark.parametrize(
    "code, bootstrap_failed, expected", [(0, False, 0), (EXIT_DEGRADED, False, EXIT_DEGRADED), (0, True, 1)]
)
def test_scrapy_crawl_exits_with_the_code_its_run_left(tmp_path, code, bootstrap_failed, expected):
    process = FakeProcess(code, bootstrap_failed)
    cmd = command(tmp_path, process)
    cmd.run(["digiato"], argparse.Namespace(spargs={"since": "1403-01-01"}))
    assert cmd.exitcode == expected
    assert [spargs for _, spargs in process.crawled] == [{"since": "1403-01-01"}]


@pytest.mark.parametrize("args", [[], ["digiato", "zoomit"]])
def test_scrapy_crawl_keeps_scrapys_usage_errors(tmp_path, args):
    with pytest.raises(UsageError):
        command(tmp_path, FakeProcess(0)).run(args, argparse.Namespace(spargs={}))


# --- private names still relied on (checked against Scrapy 2.19) --------------------------


def test_reparse_applies_a_crawlers_settings_without_crawling():
    """newsarchive.reparse.reparse_crawler: ``Crawler._apply_settings()`` builds stats,
    add-ons and settings as a crawl has them, without starting one (no public way in 2.19)."""
    assert list(inspect.signature(Crawler._apply_settings).parameters) == ["self"]


def test_a_worker_reads_the_engines_state_it_needs():
    """newsarchive.distributed.WorkerRun: ``engine._start`` (start requests left),
    ``engine.scraper.slot.is_idle()``, ``engine.downloader.active`` and
    ``engine._slot.nextcall.schedule()`` tell a worker it is busy and wake an idle one (2.19)."""
    from scrapy.core.engine import ExecutionEngine, _Slot
    from scrapy.core.scraper import Slot
    from scrapy.utils.reactor import CallLaterOnce

    crawler = get_crawler(Spider)
    engine = ExecutionEngine(crawler, lambda _: None)
    assert engine._start is None and engine._slot is None and engine.downloader.active == set()
    assert callable(Slot.is_idle) and callable(CallLaterOnce.schedule)
    assert "nextcall" in inspect.signature(_Slot.__init__).parameters


def test_a_local_replay_gets_no_politeness_delays_unless_the_command_line_sets_them():
    """``scrapy crawl -s NEWSARCHIVE_REPLAY_URL=...`` runs as fast as ``newsarchive crawl``
    against the replay; a delay given on the command line is kept; the live site keeps them."""
    from scrapy.settings import Settings

    from newsarchive.crawl import REPLAY_SPEED_SETTINGS, replay_speed
    from newsarchive.settings import AUTOTHROTTLE_ENABLED, DOWNLOAD_DELAY

    live = Settings(
        {"DOWNLOAD_DELAY": DOWNLOAD_DELAY, "AUTOTHROTTLE_ENABLED": AUTOTHROTTLE_ENABLED}, priority="project"
    )
    replay_speed(live)
    assert live.getfloat("DOWNLOAD_DELAY") == DOWNLOAD_DELAY > 0 and live.getbool("AUTOTHROTTLE_ENABLED")

    replayed = Settings({"DOWNLOAD_DELAY": DOWNLOAD_DELAY, "AUTOTHROTTLE_ENABLED": True}, priority="project")
    replayed.set("NEWSARCHIVE_REPLAY_URL", "http://127.0.0.1:8765", priority="cmdline")
    replayed.set("CONCURRENT_REQUESTS_PER_DOMAIN", 2, priority="cmdline")  # the user's own -s
    replay_speed(replayed)
    assert replayed.getfloat("DOWNLOAD_DELAY") == 0 and not replayed.getbool("AUTOTHROTTLE_ENABLED")
    assert (
        replayed.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        == 2
        != REPLAY_SPEED_SETTINGS["CONCURRENT_REQUESTS_PER_DOMAIN"]
    )


def test_scrapy_crawl_applies_the_replay_speed():
    import argparse

    from scrapy.settings import Settings

    from newsarchive.commands.crawl import Command

    command = Command()
    command.settings = Settings({"DOWNLOAD_DELAY": 0.5, "AUTOTHROTTLE_ENABLED": True}, priority="project")
    parser = argparse.ArgumentParser()
    command.add_options(parser)
    opts = parser.parse_args(["-s", "NEWSARCHIVE_REPLAY_URL=http://127.0.0.1:8765"])
    command.process_options(["digiato"], opts)
    assert command.settings.getfloat("DOWNLOAD_DELAY") == 0
