"""The ``newsarchive`` command: a thin layer over the library.

``demo`` crawls the bundled offline replay, ``crawl`` runs spiders,
``search`` and ``stats`` read the archive.

The library raises plain exceptions that carry values; the commands turn them into
messages that name the option to change, and into exit codes (:mod:`newsarchive.outcomes`);
a :class:`~newsarchive.cli.options.UsageError` is printed here with exit status 2.
Each group of commands is a module of this package, with its parsers next to its commands:

* :mod:`~newsarchive.cli.crawling`: ``demo``, ``crawl``, ``runs``, ``replay``, ``ingest``;
* :mod:`~newsarchive.cli.addsite`: ``add-site`` (probe a site, propose its sites.toml entry);
* :mod:`~newsarchive.cli.searching`: ``search``, ``sources``, ``stats``, ``serve``;
* :mod:`~newsarchive.cli.exporting`: ``export``;
* :mod:`~newsarchive.cli.stories`: ``stories`` (and ``search --stories``'s grouping);
* :mod:`~newsarchive.cli.progress`: the progress bar of the long commands;
* :mod:`~newsarchive.cli.maintenance`: ``reindex``, ``reparse``;
* :mod:`~newsarchive.cli.deleting`: ``delete`` (takedown requests, tombstones);
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
from newsarchive.cli.addsite import add_add_site_parser, cmd_add_site
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
from newsarchive.cli.deleting import add_delete_parser, cmd_delete
from newsarchive.cli.exporting import add_export_parser, cmd_export
from newsarchive.cli.maintenance import add_reindex_parser, add_reparse_parser, cmd_reindex, cmd_reparse
from newsarchive.cli.options import MAX_LIMIT, UsageError
from newsarchive.cli.progress import Progress
from newsarchive.cli.searching import (
    SEARCH_HELP,
    add_search_parser,
    add_serve_parser,
    add_sources_parser,
    add_stats_parser,
    cmd_search,
    cmd_serve,
    cmd_sources,
    cmd_stats,
)
from newsarchive.cli.stories import add_stories_parser, cmd_stories
from newsarchive.sites import SiteConfigError

DESCRIPTION = """\
Archive Persian tech news into a searchable SQLite archive: crawl news sites, search
the articles however a Persian word was typed, browse them in Datasette, export datasets.
Try `newsarchive demo` (offline), then `newsarchive search WORD`."""

EPILOG = """\
every command: newsarchive COMMAND --help. The archive is ./archive.db unless --db or
$NEWSARCHIVE_DB says otherwise.

--json, in every command that has it, prints JSON lines: one flat JSON object per line
(one record per line, or one line for a single report), with lists and objects as JSON
values, never as JSON text inside a string; read them with jq or pandas.read_json(...,
lines=True).

--quiet: no progress bar; bars are drawn only on a terminal, never in a pipe, a log or
cron mail. Exit status: 0 done, 1 the archive cannot be opened or is damaged, 2 an option
or the query cannot be used (the message names it); crawls also 3 degraded, 4 the archive
refused a write, 5 the archive is busy."""

__all__ = [
    "DEMO_QUERY",
    "MAX_LIMIT",
    "SEARCH_HELP",
    "Progress",
    "build_parser",
    "cmd_add_site",
    "cmd_crawl",
    "cmd_delete",
    "cmd_demo",
    "cmd_export",
    "cmd_ingest",
    "cmd_reindex",
    "cmd_reparse",
    "cmd_replay",
    "cmd_runs",
    "cmd_search",
    "cmd_serve",
    "cmd_sources",
    "cmd_stats",
    "cmd_stories",
    "main",
]


def build_parser() -> argparse.ArgumentParser:
    """The ``newsarchive`` parser, its commands in the order ``--help`` lists them."""
    parser = argparse.ArgumentParser(
        prog="newsarchive",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version, help="print the installed version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add_parser in (
        add_demo_parser,
        add_crawl_parser,
        add_add_site_parser,
        add_search_parser,
        add_stories_parser,
        add_sources_parser,
        add_reindex_parser,
        add_serve_parser,
        add_stats_parser,
        add_export_parser,
        add_runs_parser,
        add_replay_parser,
        add_reparse_parser,
        add_delete_parser,
        add_ingest_parser,
    ):
        add_parser(commands)
    return parser


class _Version(argparse.Action):
    """``--version``: the installed distribution's version, looked up only when asked
    (importlib.metadata would add ~10 ms to every command)."""

    def __init__(self, option_strings: list[str], dest: str, help: str | None = None):
        super().__init__(
            option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0, help=help
        )

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            installed = version("newsarchive")
        except PackageNotFoundError:  # run from a source tree that was never installed
            from newsarchive import __version__ as installed
        print(f"{parser.prog} {installed}")
        parser.exit()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, SiteConfigError) as error:  # a sites file names its file, line and key
        print(f"newsarchive {args.command}: {error}", file=sys.stderr)
        return 2
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
