"""The ``newsarchive`` command: a thin layer over the library.

``demo`` crawls the bundled offline replay, ``crawl`` runs spiders,
``search`` and ``stats`` read the archive.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import shlex
import shutil
import sqlite3
import sys
import textwrap
import time
from pathlib import Path
from typing import IO

from newsarchive.archive import Archive, ArchiveError, damaged_archive, resolve_db_path
from newsarchive.outcomes import EXIT_BUSY, EXIT_USAGE, archive_exit_code
from newsarchive.persian.dates import day_range
from newsarchive.replay import ReplayServer, bundled_mirror
from newsarchive.sites import SITES

DEMO_QUERY = "پیام‌رسان"
#: The largest --limit: SQLite takes integers up to 2**63 - 1 and raises OverflowError beyond.
MAX_LIMIT = 1_000_000


def _int_between(low: int, high: int):
    """An argparse type: a whole number from ``low`` to ``high``, else a usage error (exit 2)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:,} and {high:,} (got {text})")
        return value

    return parse


def _db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="archive path (default: $NEWSARCHIVE_DB or ./archive.db)")


def _day_bounds(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """``--since``/``--until`` as UTC ``...Z`` instants ``[since, until)``: whole Tehran days,
    both included, as in every command (:func:`day_range`; ValueError naming a bad value)."""
    start, end = day_range(args.since, getattr(args, "until", None))
    return (start and start.strftime("%Y-%m-%dT%H:%M:%SZ"), end and end.strftime("%Y-%m-%dT%H:%M:%SZ"))


def cmd_demo(args: argparse.Namespace) -> int:
    from newsarchive.crawl import run_spiders

    db = resolve_db_path(args.db)
    mirror = args.mirror or bundled_mirror()
    with ReplayServer(mirror) as server:
        print(f"replaying {mirror} at {server.url}; archive: {db}")
        run_spiders(
            list(SITES) if args.all else [args.site],
            {"NEWSARCHIVE_REPLAY_URL": server.url, "NEWSARCHIVE_DB": str(db), "LOG_LEVEL": args.log_level},
        )
    with Archive(db, readonly=True) as archive:
        print(f"\narchived {archive.count()} articles in {db}")
        print(f"sample search for «{DEMO_QUERY}»:")
        _print_hits(archive.search(DEMO_QUERY, limit=5))
    return 0


def cmd_crawl(args: argparse.Namespace) -> int:
    from newsarchive.crawl import exit_code, run_spiders

    names = list(SITES) if args.all else args.sites
    unknown = [n for n in names if n not in SITES]
    if unknown or not names:
        print(f"unknown or no site(s): {unknown or names}; known: {', '.join(SITES)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        _day_bounds(args)  # the spiders would refuse it too, but only after the crawl began
    except ValueError as error:
        print(f"newsarchive crawl: {error}", file=sys.stderr)
        return EXIT_USAGE
    overrides = dict(pair.split("=", 1) for pair in args.set or [])
    if args.db:
        overrides["NEWSARCHIVE_DB"] = args.db
    if args.redis:
        overrides["NEWSARCHIVE_REDIS_URL"] = args.redis
    spider_args = {"since": args.since} if args.since else {}
    try:
        stats = run_spiders(names, overrides, spider_args)
    except ArchiveError as error:
        print(f"newsarchive: not starting the crawl: {error}", file=sys.stderr)
        return archive_exit_code(error)
    # 3 a run was degraded, 4 the archive refused a write, 5 it was busy (see newsarchive.outcomes)
    return exit_code(stats)


SEARCH_HELP = """\
query language:
  words          all must match: پیام‌رسان داخلی
  "a phrase"     these words in this order: "شبکه ملی اطلاعات"
  a OR b         either term: آیفون OR سامسونگ
  -word          exclude: اینترنت -ماهواره   (also -"a phrase")
  word*          prefix, 2+ letters: پیام*
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
        with Archive(args.db, readonly=True) as archive:
            hits = archive.search(
                args.query,
                limit=args.limit,
                sources=args.source or (),
                since=args.since,
                until=args.until,
                categories=args.category or (),
                tags=args.tag or (),
                marks=marks,
            )
            if not hits and (found := archive.damage()):
                raise sqlite3.DatabaseError(found)  # "no matches" from a damaged file would be a lie
    except QueryError as error:
        print(f"newsarchive search: {error}", file=sys.stderr)
        return 2
    except ValueError:
        if (
            args.limit >= 1
        ):  # the library refuses a limit below 1 with a plain ValueError; anything else is a bug
            raise
        print(f"newsarchive search: --limit must be 1 or more (got {args.limit})", file=sys.stderr)
        return 2
    if args.json:
        for hit in hits:
            print(json.dumps(hit.as_dict(), ensure_ascii=False))
    else:
        _print_hits(hits)
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r  {done:,}/{total:,} articles", end="", file=sys.stderr, flush=True)

    from newsarchive.runlock import MAINTENANCE, RunLock, RunLocked

    try:
        # Crawls that start meanwhile see this lock and exit 5 at once (newsarchive.extensions.check_archive).
        with RunLock(resolve_db_path(args.db), MAINTENANCE), Archive(args.db) as archive:
            report = archive.reindex(progress=progress)
    except RunLocked:
        print("newsarchive reindex: another reindex of this archive is running", file=sys.stderr)
        return EXIT_BUSY
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    size = f", index {report['index_bytes'] / 1e6:.1f} MB" if report.get("index_bytes") is not None else ""
    print(
        f"reindexed {report['articles']:,} articles in {report['seconds']:.1f} s: search columns of "
        f"{report['changed']:,} changed, FTS index rebuilt and optimized{size}"
    )
    return 0


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


def _print_hits(hits) -> None:
    if not hits:
        print("  no matches")
    width = min(shutil.get_terminal_size((100, 20)).columns, 120)
    for number, hit in enumerate(hits, 1):
        print(f"{number:>3}. {hit.title}")
        print(f"     {hit.published_jalali or '?'} (Tehran) · {hit.published_at or '?'} · {hit.source}")
        print(f"     {hit.url}")
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
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=1))
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
    return 0


def _export_command(args: argparse.Namespace) -> str:
    """The export command line, rebuilt from the parsed arguments (for the manifest)."""
    words = ["newsarchive", "export"]
    for option, value in (
        ("--db", args.db),
        ("--out", args.out),
        ("--format", args.format),
        ("--since", args.since),
        ("--until", args.until),
        ("--query", args.query),
        ("--fields", args.fields),
    ):
        if value is not None:
            words += [option, str(value)]
    for option, values in (("--source", args.source), ("--category", args.category), ("--tag", args.tag)):
        for value in values or []:
            words += [option, value]
    words += [
        flag
        for flag, on in (
            ("--gzip", args.gzip),
            ("--with-versions", args.with_versions),
            ("--force", args.force),
        )
        if on
    ]
    return shlex.join(words)


class Progress:
    """The export's one-line progress bar on a terminal (``stream.isatty()``); silent otherwise.

    Called with (records written, records expected), at most every ``every`` seconds drawn;
    :meth:`close` draws the last state and ends the line.
    """

    def __init__(self, stream: IO[str] | None = None, *, every: float = 0.2):
        self.stream = sys.stderr if stream is None else stream
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = every
        self.started = self.last = time.monotonic()
        self.state: tuple[int, int] | None = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        self.state = (done, total)
        now = time.monotonic()
        if now - self.last >= self.every:
            self._draw(now)

    def _draw(self, now: float) -> None:
        self.last = now
        done, total = self.state or (0, 0)
        share = done / total if total else 1.0
        bar = "#" * int(share * 30)
        rate = done / max(now - self.started, 1e-9)
        self.stream.write(f"\rexport [{bar:<30}] {share:6.1%} {done:,}/{total:,} ({rate:,.0f}/s)")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.state is not None:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()
            self.state = None


def _export_message(error: Exception) -> str:
    """A refused export in the command's terms: the library names values; this adds the option to change."""
    from newsarchive.export import (
        CompressedFormat,
        DestinationExists,
        FormatMismatch,
        GzipName,
        MissingPackage,
        NotStreamable,
        UnsafeDestination,
    )

    if isinstance(error, DestinationExists):
        return f"{error}; use --force to overwrite"
    if isinstance(error, UnsafeDestination) and error.data and error.kind != "a directory":
        return f"{error}; to send the data into a pipe, use --out -"
    if isinstance(error, MissingPackage):
        return f"{error}, or use --format jsonl"
    if isinstance(error, FormatMismatch):
        return f"--out {error.path} says {error.named} but --format is {error.chosen}"
    if isinstance(error, GzipName):
        return f"--gzip given: name the file {error.path.name}.gz"
    if isinstance(error, CompressedFormat):
        return f"{error.format.capitalize()} files are compressed inside (zstd); drop --gzip"
    if isinstance(error, NotStreamable):
        return (
            f"{error.format.capitalize()} is not sent to stdout: give --out FILE.{error.format} "
            "(--out - streams JSON Lines or JSON)"
        )
    return str(error)


def cmd_export(args: argparse.Namespace) -> int:
    from newsarchive.archive import ArticleFilter
    from newsarchive.export import STDOUT, ExportError, ExportOptions, export

    try:
        since, until = _day_bounds(args)
    except ValueError as error:
        print(f"newsarchive export: {error}", file=sys.stderr)
        return 2
    try:
        filters = ArticleFilter(
            sources=tuple(args.source or ()),
            since=since,
            until=until,
            categories=tuple(args.category or ()),
            tags=tuple(args.tag or ()),
            query=args.query,
        )
        options = ExportOptions(
            out=args.out,
            format=args.format,
            gzip=args.gzip,
            filters=filters,
            fields=tuple(args.fields.split(",")) if args.fields else None,
            with_versions=args.with_versions,
            force=args.force,
            command=_export_command(args),
            bounds={"since": args.since, "until": args.until},
        )
        progress = Progress()
        try:
            with Archive(args.db, readonly=True) as archive:
                result = export(archive, options, progress=progress)
        finally:
            progress.close()
    except ExportError as error:
        print(f"newsarchive export: {_export_message(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "\nnewsarchive export: interrupted; "
            + ("the output is incomplete" if args.out == STDOUT else "no file was written"),
            file=sys.stderr,
        )
        return 130
    except BrokenPipeError:
        # The reader of --out - stopped (`| head`): end quietly, as a tool killed by SIGPIPE would.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 141
    if result.outputs is None:
        print(
            f"{result.records:,} articles → stdout ({result.bytes:,} bytes, sha256 {result.sha256}); "
            "no manifest, datasheet or chart with --out - (give --out FILE for them)",
            file=sys.stderr,
        )
        return 0
    print(
        f"{result.records:,} articles → {result.outputs.data} ({result.bytes:,} bytes, sha256 {result.sha256})"
    )
    print(
        f"manifest {result.outputs.manifest}, datasheet {result.outputs.datasheet}, chart {result.outputs.chart}"
    )
    return 0


def _export_parser(commands) -> None:
    export = commands.add_parser(
        "export",
        help="write a dataset (JSONL, JSON or Parquet) with a manifest, datasheet and chart",
        description="Export articles for research. Dates are Gregorian (2024-03-20) or Jalali (1403-01-01), "
        "whole Tehran days; --since and --until are included. "
        "Default output: datasets/<what>_<dates>_exported-<day>.",
    )
    _db_argument(export)
    export.add_argument(
        "--out",
        help="data file: a new name or a regular file (default: a descriptive name "
        "under datasets/); - streams JSON Lines or JSON to stdout, without side files",
    )
    export.add_argument(
        "--format", choices=("jsonl", "json", "parquet"), help="default: from --out, else jsonl"
    )
    export.add_argument(
        "--gzip", action="store_true", help="gzip the data file (deterministic: no time, no name)"
    )
    export.add_argument("--source", nargs="+", action="extend", metavar="S", help="only these sources")
    export.add_argument("--since", metavar="D", help="published on or after D")
    export.add_argument("--until", metavar="D", help="published on or before D")
    export.add_argument("--category", action="append", metavar="C", help="in category C (repeat: any of)")
    export.add_argument("--tag", action="append", metavar="T", help="tagged T (repeat: any of)")
    export.add_argument("--query", metavar="Q", help="matching Q, as `newsarchive search` matches")
    export.add_argument("--fields", metavar="f1,f2,...", help="fields to write, in this order")
    export.add_argument("--with-versions", action="store_true", help="add earlier versions of each article")
    export.add_argument("--force", action="store_true", help="overwrite existing files")
    export.set_defaults(func=cmd_export)


def cmd_replay(args: argparse.Namespace) -> int:
    try:
        server = ReplayServer(args.source, host=args.host, port=args.port, verbose=True)
    except FileNotFoundError as error:
        print(f"newsarchive replay: {error}", file=sys.stderr)
        return 2
    mirror = server.httpd.mirror
    for problem in getattr(mirror, "problems", []):
        print(f"warning: {problem} (the rest is served)", file=sys.stderr)
    if hasattr(mirror, "files"):
        print(f"{len(mirror)} URLs captured in {len(mirror.files)} WARC file(s)", flush=True)
    address, port = server.httpd.server_address[:2]
    if not ipaddress.ip_address(address).is_loopback:
        print(
            f"warning: listening on {address}: anyone on the network who can reach port {port} can read "
            f"everything in {args.source}; leave out --host to serve this machine only",
            file=sys.stderr,
            flush=True,
        )
    print(f"replaying {args.source} at {server.url} (Ctrl-C to stop)", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


def cmd_reparse(args: argparse.Namespace) -> int:
    from newsarchive.reparse import reparse, terminal_progress
    from newsarchive.runlock import RunLocked

    try:
        since, until = _day_bounds(args)
        report = reparse(
            args.db,
            warc_dir=args.warc_dir,
            sources=args.source or (),
            urls=args.url or (),
            since=since,
            until=until,
            progress=terminal_progress(),
        )
    except (ValueError, RunLocked) as error:
        print(f"newsarchive reparse: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
        return 0
    dropped = ", ".join(f"{reason} {count}" for reason, count in sorted(report.dropped.items())) or "none"
    print(
        f"reparsed {report.read} stored pages ({', '.join(report.sources) or 'no captures'}): "
        f"articles new {report.new}, updated {report.updated}, unchanged {report.unchanged}; dropped: {dropped}"
    )
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    import logging
    import signal

    from newsarchive.distributed import Ingester, IngestError

    logging.basicConfig(level=args.log_level, format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    stopping = []
    previous = signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        ingester = Ingester(args.redis, args.db, prefix=args.prefix, batch_size=args.batch)
        ingester.open()
    except (IngestError, RuntimeError) as error:
        print(f"newsarchive ingest: {error}", file=sys.stderr)
        return 2
    print(
        f"ingesting {args.redis} ({args.prefix}items) into {ingester.db_path}"
        + (
            f"; exits after {args.exit_when_idle:g} s idle with no live worker" if args.exit_when_idle else ""
        ),
        file=sys.stderr,
        flush=True,
    )
    try:
        report = ingester.run(idle_exit=args.exit_when_idle, stop=lambda: bool(stopping))
    except KeyboardInterrupt:
        report = ingester.report
    except Exception as error:
        if not type(error).__module__.startswith("redis"):
            raise
        # Unacknowledged records stay in the processing list; the next ingester puts them back.
        print(
            f"newsarchive ingest: lost Redis ({error}); what was not written is kept there", file=sys.stderr
        )
        return 1
    finally:
        ingester.close()
        signal.signal(signal.SIGTERM, previous)
    summary = {
        "records": report.records,
        **{f"articles_{k}": v for k, v in report.articles.items()},
        "recovered": report.recovered,
        "already_written": report.already_written,
        "rejected": report.rejected,
        "crawls_ended": report.crawls_ended,
    }
    print(
        json.dumps(summary, ensure_ascii=False)
        if args.json
        else f"ingested {report.records} records: articles new {report.articles['new']}, updated "
        f"{report.articles['updated']}, unchanged {report.articles['unchanged']}; crawls ended "
        f"{len(report.crawls_ended)}; recovered {report.recovered}; rejected {report.rejected}"
    )
    return 0


def _ingest_parser(commands) -> None:
    ingest = commands.add_parser(
        "ingest",
        help="write the items of distributed crawl workers into the archive (one per archive)",
        description="Move records from Redis (<prefix>items) into the archive with the normal storage logic, "
        "one transaction per batch, acknowledged after the commit; a killed ingester loses and "
        "duplicates nothing. Runs until SIGTERM/Ctrl-C, or --exit-when-idle.",
    )
    ingest.add_argument("--redis", required=True, metavar="URL", help="redis://HOST:PORT/DB, as the workers'")
    _db_argument(ingest)
    ingest.add_argument(
        "--prefix", default="newsarchive:", help="Redis key prefix (NEWSARCHIVE_REDIS_PREFIX)"
    )
    ingest.add_argument("--batch", type=int, default=100, help="records per transaction (default 100)")
    ingest.add_argument(
        "--exit-when-idle",
        type=float,
        metavar="SECONDS",
        help="exit after SECONDS without records while no worker is alive",
    )
    ingest.add_argument("--json", action="store_true", help="the report as one JSON object")
    ingest.add_argument("--log-level", default="INFO", help="INFO: one line per crawl begun and ended")
    ingest.set_defaults(func=cmd_ingest)


def _reparse_parser(commands) -> None:
    reparse = commands.add_parser(
        "reparse",
        help="extract the stored responses (WARC captures) again and update the archive, offline",
        description="Run extraction and the pipelines again on the latest capture of every article URL "
        "(following recorded redirects): new content is versioned, corrected fields updated. "
        "--since/--until bound the capture time (2024-03-20 or 1403-01-01: whole Tehran days, "
        "both included).",
    )
    _db_argument(reparse)
    reparse.add_argument(
        "--warc-dir", help="WARC folder (default: $NEWSARCHIVE_WARC_DIR or warc/ beside the archive)"
    )
    reparse.add_argument(
        "--source", action="append", metavar="S", help="only this source (repeat for several)"
    )
    reparse.add_argument("--since", metavar="D", help="captures fetched on or after D")
    reparse.add_argument("--until", metavar="D", help="captures fetched on or before D")
    reparse.add_argument(
        "--url", action="append", metavar="URL", help="only this article (repeat for several)"
    )
    reparse.add_argument("--json", action="store_true", help="the counts as one JSON object")
    reparse.set_defaults(func=cmd_reparse)


def cmd_runs(args: argparse.Namespace) -> int:
    with Archive(args.db, readonly=True) as archive:
        runs = archive.runs(args.limit)
        if not runs and (found := archive.damage()):
            raise sqlite3.DatabaseError(found)  # no runs to show may be no runs readable
    if args.json:
        for run in runs:
            print(json.dumps({k: v for k, v in run.items() if k != "stats"}, ensure_ascii=False))
        return 0
    print(
        f"{'run':>5}  {'spider':<16} {'status':<9} {'started (UTC)':<20} {'req':>6} {'new':>5} {'upd':>5} {'same':>5}  dropped"
    )
    for run in runs:
        dropped = ", ".join(f"{k} {v}" for k, v in json.loads(run["dropped"] or "{}").items()) or "-"
        print(
            f"{run['id']:>5}  {run['spider']:<16} {run['status']:<9} {run['started_at']:<20} "
            f"{run['requests'] or 0:>6} {run['articles_new'] or 0:>5} {run['articles_updated'] or 0:>5} "
            f"{run['articles_unchanged'] or 0:>5}  {dropped}"
        )
        boilerplate = json.loads(run.get("boilerplate") or "{}")
        if boilerplate:
            removed = ", ".join(f"{rule} {count}" for rule, count in sorted(boilerplate.items()))
            print(f"{'':>7}boilerplate blocks removed: {removed}")
        for problem in json.loads(run.get("problems") or "[]"):  # why degraded or failed
            print(f"{'':>7}{run['status']}: {problem['message']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsarchive", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo", help="crawl the bundled offline replay into ./archive.db and search it"
    )
    _db_argument(demo)
    demo.add_argument("--site", default="digiato", choices=sorted(SITES))
    demo.add_argument(
        "--all", action="store_true", help="every site, one after another (one replay serves every host)"
    )
    demo.add_argument("--mirror", help="replay this directory instead of the bundled mirror")
    demo.add_argument("--log-level", default="WARNING")
    demo.set_defaults(func=cmd_demo)

    crawl = commands.add_parser("crawl", help="run site spiders against the archive")
    crawl.add_argument("sites", nargs="*", help=f"sites to crawl ({', '.join(SITES)})")
    crawl.add_argument("--all", action="store_true", help="crawl every site")
    crawl.add_argument("--since", help="backfill from the start of this Tehran day: 2024-03-20 or 1403-01-01")
    crawl.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="a Scrapy setting")
    crawl.add_argument(
        "--redis",
        metavar="URL",
        help="be a worker of a distributed crawl: redis://HOST:PORT/DB "
        "(items go to `newsarchive ingest`; pip install 'newsarchive[redis]')",
    )
    _db_argument(crawl)
    crawl.set_defaults(func=cmd_crawl)

    search = commands.add_parser(
        "search",
        help="full-text search, best matches first",
        epilog=SEARCH_HELP,
        description="Search the archive: Persian words however they were typed, best matches first, "
        "with a snippet of the text around the matched words.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    search.add_argument("query", help="what to find (see the query language below)")
    _db_argument(search)
    search.add_argument("--source", action="append", metavar="S", help="only this source (repeat: any of)")
    search.add_argument("--since", metavar="D", help="published on or after D (2024-03-20 or 1403-01-01)")
    search.add_argument("--until", metavar="D", help="published on or before D")
    search.add_argument("--category", action="append", metavar="C", help="in category C (repeat: any of)")
    search.add_argument("--tag", action="append", metavar="T", help="tagged T (repeat: any of)")
    search.add_argument(
        "--limit",
        type=_int_between(1, MAX_LIMIT),
        default=20,
        help=f"at most this many matches, 1 to {MAX_LIMIT:,} (default 20)",
    )
    search.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    search.set_defaults(func=cmd_search)

    reindex = commands.add_parser(
        "reindex",
        help="recompute the search columns and rebuild the full-text index",
        description="Recompute every article's search form and rebuild the FTS5 index, in one transaction "
        "(after the folding rules changed, or to repair the index). Crawls wait meanwhile.",
    )
    _db_argument(reindex)
    reindex.add_argument("--json", action="store_true", help="the report as one JSON object")
    reindex.set_defaults(func=cmd_reindex)

    serve = commands.add_parser(
        "serve",
        help="browse and search the archive in Datasette (pip install 'newsarchive[datasette]')",
        description="Run Datasette on the archive with newsarchive's metadata (title, column descriptions, "
        "facets). Its search box folds Persian like `newsarchive search`. Arguments after -- go "
        "to `datasette serve`.",
    )
    _db_argument(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument(
        "--print-only", action="store_true", help="print the datasette command instead of running it"
    )
    serve.add_argument("datasette_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    serve.set_defaults(func=cmd_serve)

    stats = commands.add_parser("stats", help="articles per source, date range, last crawl")
    _db_argument(stats)
    stats.add_argument("--json", action="store_true")
    stats.add_argument(
        "--chart", type=Path, metavar="FILE.svg", help="also draw articles per month per source (SVG)"
    )
    stats.set_defaults(func=cmd_stats)
    _export_parser(commands)
    runs = commands.add_parser(
        "runs", help="crawl runs, newest first: status, requests, articles, drops, problems"
    )
    _db_argument(runs)
    runs.add_argument(
        "--limit",
        type=_int_between(1, MAX_LIMIT),
        default=20,
        help=f"the newest this many runs, 1 to {MAX_LIMIT:,} (default 20)",
    )
    runs.add_argument("--json", action="store_true", help="JSON lines (without the raw Scrapy stats)")
    runs.set_defaults(func=cmd_runs)

    replay = commands.add_parser("replay", help="serve recorded pages over HTTP for NEWSARCHIVE_REPLAY_URL")
    replay.add_argument(
        "source", help="a directory of pages laid out by URL path, or a WARC file or folder of them"
    )
    replay.add_argument(
        "--port", type=_int_between(0, 65535), default=8765, help="default 8765; 0: any free port"
    )
    replay.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; any other is warned about)",
    )
    replay.set_defaults(func=cmd_replay)
    _reparse_parser(commands)
    _ingest_parser(commands)
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
