"""How many processes a run uses, and the fork server they start from: standard library only,
so that a command can start the fork server before it imports Scrapy and the extraction code
(each takes a few tenths of a second), and the server imports them at the same time.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
from collections.abc import Sequence

#: The modules the fork server imports once when it starts several page workers, so that
#: each starts with them loaded and their pages are shared. One worker (two cores) imports
#: them itself: a fork server holding a copy that only one process uses costs the crawl
#: about 7 MB. (The process that writes the archive imports newsarchive.writer at its first
#: write: only one process needs it.)
PRELOAD = ["newsarchive.page"]


def configured_workers() -> int:
    """``NEWSARCHIVE_WORKERS`` from the environment, else the cores this process may run on."""
    return int(os.environ.get("NEWSARCHIVE_WORKERS") or len(os.sched_getaffinity(0)))


def forkserver_context(preload: Sequence[str] = ()) -> multiprocessing.context.ForkServerContext:
    """The fork server every worker and the writer process start from (one per process),
    importing ``preload`` if it is not running yet."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    return context


def start_fork_server(preload: Sequence[str]) -> None:
    """Start the fork server now, importing ``preload`` too, while the caller goes on: by the
    first page sent it is ready, and its workers start with those modules loaded instead of
    importing them at their first page (``newsarchive reparse``, whose workers read WARC
    records with Scrapy's response classes: ~0.5 s of a worker's time otherwise). A fork
    server already running is left as it is."""
    forkserver_context([*PRELOAD, *preload])
    multiprocessing.forkserver.ensure_running()
