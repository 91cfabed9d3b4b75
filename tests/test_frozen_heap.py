"""The start-up heap leaves the garbage collector's reach while the engine runs, and only then."""

import gc

from scrapy import signals
from scrapy.utils.test import get_crawler

from newsarchive.crawl import project_settings
from newsarchive.extensions import FrozenStartupHeap


def test_the_extension_is_on_in_the_project_settings():
    assert project_settings().getdict("EXTENSIONS")["newsarchive.extensions.FrozenStartupHeap"] is not None


def test_the_heap_is_frozen_from_engine_start_to_engine_stop():
    crawler = get_crawler(settings_dict={"EXTENSIONS_BASE": {}})
    _extension = FrozenStartupHeap.from_crawler(crawler)  # kept: signals hold handlers weakly
    try:
        crawler.signals.send_catch_log(signals.engine_started)
        assert gc.get_freeze_count() > 0
        crawler.signals.send_catch_log(signals.engine_stopped)
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
