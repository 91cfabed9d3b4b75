"""The ``export`` command: its options, the messages of a refused export, and the progress bar.

:func:`newsarchive.export.export` raises plain errors that carry values
(:class:`~newsarchive.export.DestinationExists`, ...); :func:`_export_message` adds the
option to change. The library reports progress as numbers; :class:`Progress` draws them
on a terminal.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from typing import IO

from newsarchive.archive import Archive
from newsarchive.cli.options import Commands, day_bounds, db_argument


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
        since, until = day_bounds(args)
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


def add_export_parser(commands: Commands) -> None:
    """``newsarchive export``: a dataset with its manifest, datasheet and chart."""
    export = commands.add_parser(
        "export",
        help="write a dataset (JSONL, JSON or Parquet) with a manifest, datasheet and chart",
        description="Export articles for research. Dates are Gregorian (2024-03-20) or Jalali (1403-01-01), "
        "whole Tehran days; --since and --until are included. "
        "Default output: datasets/<what>_<dates>_exported-<day>.",
    )
    db_argument(export)
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
