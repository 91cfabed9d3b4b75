"""The ``newsarchive`` command: a thin layer over the library.

``demo`` crawls the bundled offline replay, ``crawl`` runs spiders,
``search`` and ``stats`` read the archive.

The library raises plain exceptions that carry values; the commands turn them into
messages that name the option to change, and into exit codes (:mod:`newsarchive.outcomes`).
Each group of commands is a module of this package, with its parsers next to its commands:

* :mod:`~newsarchive.cli.crawling`: ``demo``, ``crawl``, ``runs``, ``replay``, ``ingest``;
* :mod:`~newsarchive.cli.searching`: ``search``, ``stats``, ``serve``;
* :mod:`~newsarchive.cli.exporting`: ``export`` and its progress bar;
* :mod:`~newsarchive.cli.maintenance`: ``reindex``, ``reparse``;
* :mod:`~newsarchive.cli.options`: the options several commands share.

This module builds the parser and runs a command (:func:`main`, the console script and
``python -m newsarchive``), and reports an archive that cannot be opened or is damaged
once, for every command. Nothing here imports Scrapy: the commands that only read the
archive start without it.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys

from newsarchive.archive import ArchiveError, damaged_archive
from newsarchive.cli.crawling import (
    DEMO_QUERY,
    add_crawl_parser,
    add_demo_parser,
    add_ingest_parser,
    add_replay_parser,
    add_runs_parser,
    cmd_crawl,
    cmd_demo,
    cmd_ingest,
    cmd_replay,
    cmd_runs,
)
from newsarchive.cli.exporting import Progress, add_export_parser, cmd_export
from newsarchive.cli.maintenance import add_reindex_parser, add_reparse_parser, cmd_reindex, cmd_reparse
from newsarchive.cli.options import MAX_LIMIT
from newsarchive.cli.searching import (
    SEARCH_HELP,
    add_search_parser,
    add_serve_parser,
    add_stats_parser,
    cmd_search,
    cmd_serve,
    cmd_stats,
)

__all__ = [
    "DEMO_QUERY",
    "MAX_LIMIT",
    "SEARCH_HELP",
    "Progress",
    "build_parser",
    "cmd_crawl",
    "cmd_demo",
    "cmd_export",
    "cmd_ingest",
    "cmd_reindex",
    "cmd_reparse",
    "cmd_replay",
    "cmd_runs",
    "cmd_search",
    "cmd_serve",
    "cmd_stats",
    "main",
]


def build_parser() -> argparse.ArgumentParser:
    """The ``newsarchive`` parser, its commands in the order ``--help`` lists them."""
    parser = argparse.ArgumentParser(prog="newsarchive", description=(__doc__ or "").partition("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for add_parser in (
        add_demo_parser,
        add_crawl_parser,
        add_search_parser,
        add_reindex_parser,
        add_serve_parser,
        add_stats_parser,
        add_export_parser,
        add_runs_parser,
        add_replay_parser,
        add_reparse_parser,
        add_ingest_parser,
    ):
        add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ArchiveError as error:
        print(f"newsarchive: {error}", file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as error:
        # A damaged page fails the first read that touches it, in any command: say so once, here.
        damaged = damaged_archive(getattr(args, "db", None), error)
        if damaged is None:
            raise
        print(f"newsarchive: {damaged}", file=sys.stderr)
        return 1
