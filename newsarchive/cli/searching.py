"""The commands that read the archive: ``search``, ``sources``, ``stats`` and ``serve`` (Datasette).

They open the archive read-only and print; ``print_hits`` is the search results table,
shared with ``demo``. Search's query language and the meaning of its dates are told in
:data:`SEARCH_HELP`, shown by ``newsarchive search --help``.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sqlite3
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from newsarchive.archive import Archive, SearchHit, resolve_db_path
from newsarchive.cli.options import (
    MAX_LIMIT,
    Commands,
    UsageError,
    check_filter_names,
    day_bounds,
    db_argument,
    int_between,
    print_json_line,
    run_record,
)
from newsarchive.cli.stories import story_hits, story_size

SEARCH_HELP = """\
query language:
  words          all must match: پیام‌رسان داخلی
  "a phrase"     these words in this order: "شبکه ملی اطلاعات"
  a OR b         either term: آیفون OR سامسونگ
  -word          exclude: اینترنت -ماهواره   (also -"a phrase")
  word*          prefix, 2+ letters: پیام*  (a one-letter prefix, پ*, is refused)
  Anything else (quotes left open, brackets, NEAR, AND, column:, SQL) is plain text.
  A query that is one token starting with "-" goes after --: newsarchive search -- -word

A Persian word is found however it was typed: ي/ی, ك/ک, ۱۵/15, diacritics and
kashida make no difference; ZWNJ, space and joined spellings match each other
(پیام‌رسان, پیام رسان, پیامرسان); common suffixes are included (ها، های، ی، ای، ان،
تر، ترین، ش، م ...), so پیام‌رسان finds پیام‌رسان‌های, but ماه does not find ماهواره.

Ranking: bm25, title above lead (with tags and categories) above body. Dates:
Gregorian 2024-03-20 or Jalali 1403-01-01, whole Tehran days, --since and
--until both included. Exit status: 0 searched (with or without matches), 2 the
query or an option cannot be used (the message says why; --limit is 1 to
1,000,000), 1 the archive cannot be opened or is damaged (then it is never
"no matches")."""


def cmd_search(args: argparse.Namespace) -> int:
    from newsarchive.search import QueryError

    terminal = not args.json and sys.stdout.isatty()
    marks = ("\033[1;4m", "\033[0m") if terminal else ("[", "]")
    try:
        day_bounds(args)  # the library checks the days too; this names the option
        with Archive(args.db, readonly=True) as archive:
            check_filter_names(archive, sources=args.source, categories=args.category, tags=args.tag)
            filters = {
                "sources": args.source or (),
                "since": args.since,
                "until": args.until,
                "categories": args.category or (),
                "tags": args.tag or (),
                "marks": marks,
            }
            if args.stories:
                stories = story_hits(archive, args.query, limit=args.limit, **filters)
                hits = [story.hit for story in stories]
            else:
                hits = archive.search(args.query, limit=args.limit, **filters)
            if not hits and (found := archive.damage()):
                raise sqlite3.DatabaseError(found)  # "no matches" from a damaged file would be a lie
    except (QueryError, UsageError) as error:
        print(f"newsarchive search: {error}", file=sys.stderr)
        return 2
    except ValueError:
        if (
            args.limit >= 1
        ):  # the library refuses a limit below 1 with a plain ValueError; anything else is a bug
            raise
        print(f"newsarchive search: --limit must be 1 or more (got {args.limit})", file=sys.stderr)
        return 2
    if args.stories:
        if args.json:
            for story in stories:
                print_json_line(story.as_dict())
        else:
            print_hits(
                hits,
                [
                    f"{story_size(story.articles, story.sources)} · story {story.story_id}"
                    for story in stories
                ],
            )
        return 0
    if args.json:
        for hit in hits:
            print_json_line(hit.as_dict())
    else:
        print_hits(hits)
    return 0


def add_search_parser(commands: Commands) -> None:
    """``newsarchive search``: full-text search."""
    search = commands.add_parser(
        "search",
        help="full-text search, best matches first",
        epilog=SEARCH_HELP,
        description="Search the archive: Persian words however they were typed, best matches first, "
        "with a snippet of the text around the matched words.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    search.add_argument("query", help="what to find (see the query language below)")
    db_argument(search)
    search.add_argument("--source", action="append", metavar="S", help="only this source (repeat: any of)")
    search.add_argument("--since", metavar="D", help="published on or after D (2024-03-20 or 1403-01-01)")
    search.add_argument("--until", metavar="D", help="published on or before D")
    search.add_argument("--category", action="append", metavar="C", help="in category C (repeat: any of)")
    search.add_argument("--tag", action="append", metavar="T", help="tagged T (repeat: any of)")
    search.add_argument(
        "--limit",
        type=int_between(1, MAX_LIMIT),
        default=20,
        help=f"at most this many matches, 1 to {MAX_LIMIT:,} (default 20)",
    )
    search.add_argument(
        "--stories",
        action="store_true",
        help="one result per story (the same news on several sites): its best-ranked article, with "
        "the story's number of articles and sources (`newsarchive stories --story ID` lists them)",
    )
    search.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    search.set_defaults(func=cmd_search)


def print_hits(hits: Sequence[SearchHit], notes: Sequence[str] = ()) -> None:
    """Search hits as a numbered table: title, dates, source, URL, the hit's line of ``notes``
    if given (``--stories``: the story's size), and the wrapped snippet."""
    if not hits:
        print("  no matches")
    width = min(shutil.get_terminal_size((100, 20)).columns, 120)
    for number, hit in enumerate(hits, 1):
        print(f"{number:>3}. {hit.title}")
        print(f"     {hit.published_jalali or '?'} (Tehran) · {hit.published_at or '?'} · {hit.source}")
        print(f"     {hit.url}")
        if notes:
            print(f"     {notes[number - 1]}")
        # Wrap on spaces only: a ZWNJ word or an ANSI mark must never be cut.
        print(
            textwrap.fill(
                hit.snippet,
                width=width,
                initial_indent="     ",
                subsequent_indent="     ",
                break_long_words=False,
                break_on_hyphens=False,
            )
        )


def cmd_stats(args: argparse.Namespace) -> int:
    with Archive(args.db, readonly=True) as archive:
        stats = archive.stats()
        if args.chart:
            from newsarchive.export import ExportError, archive_chart

            try:
                print(
                    f"chart of articles per month per source: {archive_chart(archive, args.chart)}",
                    file=sys.stderr,
                )
            except ExportError as error:
                print(f"newsarchive stats: {error}", file=sys.stderr)
                return 2
            except OSError as error:
                print(f"newsarchive stats: cannot write {args.chart}: {error}", file=sys.stderr)
                return 2
        coverage = archive.site_coverage()
    profiles = site_profiles()
    for row in coverage:
        row["profile"] = profiles.get(row["site"], "unknown site")
    if args.json:
        record = {
            **stats,
            "last_run": stats["last_run"] and run_record(stats["last_run"]),
            "coverage": coverage,
        }
        print_json_line(record)
        return 0
    print(f"archive {stats['path']} (schema {stats['schema_version']})")
    for row in stats["sources"]:
        print(
            f"  {row['source']:<16} {row['articles']:>7} articles  {row['oldest']} … {row['newest']}"
            f"  last fetched {row['last_fetched']}"
        )
    run = stats["last_run"]
    if run:
        print(
            f"last crawl: #{run['id']} {run['spider']} {run['status']} {run['started_at']} → {run['finished_at'] or '…'}"
        )
    if coverage:
        print(
            "field coverage of each site's last run (share of its articles, and the layers that gave each field):"
        )
    for row in coverage:
        print(
            f"  {row['site']:<16} run #{row['run']} {row['status']} {row['finished_at']}, "
            f"{row['articles']} articles, profile: {row['profile']}"
        )
        # One field's figures never split across lines (kept together by no-break spaces).
        parts = [part.replace(" ", "\u00a0") for part in coverage_text(row).split(" · ")]
        wrapped = textwrap.fill(" · ".join(parts), width=100, initial_indent="    ", subsequent_indent="    ")
        print(wrapped.replace("\u00a0", " "))
    return 0


def site_profiles() -> dict[str, str]:
    """Each known site's extraction profile as ``stats`` names it: its CMS family, else
    ``selectors`` (its entry names some) or ``generic`` (the generic layers alone). A sites file
    that does not load (the user's own) leaves its sites out, not ``stats`` broken."""
    from newsarchive.sites import SiteConfigError, load_sites
    from newsarchive.sites.base import Selectors

    try:
        sites = load_sites()
    except SiteConfigError:
        from newsarchive.sites import SITES as sites
    return {
        name: site.cms or ("selectors" if site.selectors != Selectors() else "generic")
        for name, site in sites.items()
    }


def coverage_text(row: dict[str, Any]) -> str:
    """``title 100% (site 18) · published 94% (jsonld 7, meta 6, site 4) · lead —``."""
    parts = []
    for field, share in row["fields"].items():
        layers = sorted((row["layers"].get(field) or {}).items(), key=lambda item: (-item[1], item[0]))
        given = f" ({', '.join(f'{layer} {count}' for layer, count in layers)})" if layers else ""
        parts.append(f"{field} {share:.0%}{given}" if share is not None else f"{field} —")
    return " · ".join(parts)


def add_stats_parser(commands: Commands) -> None:
    """``newsarchive stats``: articles per source, last crawl."""
    stats = commands.add_parser(
        "stats",
        help="articles per source, date range, last crawl",
        description="The archive at a glance: its path and schema version, the articles of each source "
        "with their first and last publication (UTC) and last fetch, and the last crawl run.",
    )
    db_argument(stats)
    stats.add_argument(
        "--json",
        action="store_true",
        help="one JSON line: path, schema_version, sources (a list), last_run (an object)",
    )
    stats.add_argument(
        "--chart", type=Path, metavar="FILE.svg", help="also draw articles per month per source (SVG)"
    )
    stats.set_defaults(func=cmd_stats)


def cmd_sources(args: argparse.Namespace) -> int:
    with Archive(args.db, readonly=True) as archive:
        sources = archive.stats()["sources"]
    if args.json:
        for row in sources:
            print_json_line(row)
        return 0
    if not sources:
        print("  no articles yet: `newsarchive demo` or `newsarchive crawl SITE` fills the archive")
        return 0
    width = max(len("source"), *(len(row["source"]) for row in sources))
    print(f"{'source':<{width}}  {'articles':>8}  {'first published':<20}  {'last published':<20}")
    for row in sources:
        print(
            f"{row['source']:<{width}}  {row['articles']:>8,}  {row['oldest'] or '?':<20}  {row['newest'] or '?':<20}"
        )
    return 0


def add_sources_parser(commands: Commands) -> None:
    """``newsarchive sources``: the names ``--source`` takes, with counts and dates."""
    sources = commands.add_parser(
        "sources",
        help="the sources in the archive: articles, first and last publication",
        description="List the sources the archive holds articles of (the names --source takes), each "
        "with its number of articles and its first and last publication time (UTC).",
    )
    db_argument(sources)
    sources.add_argument(
        "--json",
        action="store_true",
        help="JSON lines: source, articles, oldest, newest, last_fetched (UTC)",
    )
    sources.set_defaults(func=cmd_sources)


def cmd_serve(args: argparse.Namespace) -> int:
    from newsarchive.datasette import run_datasette, serve_command

    try:
        arguments = serve_command(
            resolve_db_path(args.db), host=args.host, port=args.port, extra=args.datasette_args
        )
    except (ImportError, FileNotFoundError) as error:
        print(f"newsarchive serve: {error}", file=sys.stderr)
        return 2
    if args.print_only:
        print(shlex.join(["datasette", *arguments]))
        return 0
    return run_datasette(arguments)


def add_serve_parser(commands: Commands) -> None:
    """``newsarchive serve``: Datasette on the archive."""
    serve = commands.add_parser(
        "serve",
        help="browse and search the archive in Datasette (pip install 'newsarchive[datasette]')",
        description="Run Datasette on the archive with newsarchive's metadata (title, column descriptions, "
        "facets). Its search box folds Persian like newsarchive search. Arguments after -- go "
        "to datasette serve.",
    )
    db_argument(serve)
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    serve.add_argument("--port", type=int_between(0, 65535), default=8001, help="port (default 8001)")
    serve.add_argument(
        "--print-only", action="store_true", help="print the datasette command instead of running it"
    )
    serve.add_argument("datasette_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    serve.set_defaults(func=cmd_serve)
