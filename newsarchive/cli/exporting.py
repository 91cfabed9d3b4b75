"""The ``export`` command: its options, the messages of a refused export, and the progress bar.

:func:`newsarchive.export.export` raises plain errors that carry values
(:class:`~newsarchive.export.DestinationExists`, ...); :func:`_export_message` adds the
option to change. The library reports progress as numbers; :class:`Progress`
(:mod:`newsarchive.cli.progress`, imported here for :mod:`newsarchive.cli`) draws them on a
terminal, unless ``--quiet``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from newsarchive.archive import Archive
from newsarchive.cli.options import Commands, check_filter_names, day_bounds, db_argument, quiet_argument
from newsarchive.cli.progress import Progress

#: ``newsarchive.export.FORMATS`` (tests/test_export_formats.py checks they agree), not
#: imported: the export package would add ~40 ms to every command.
FORMATS = ("jsonl", "json", "csv", "parquet")


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
        ("--dedupe", args.dedupe),
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
            ("--excel", args.excel),
            ("--with-versions", args.with_versions),
            ("--force", args.force),
        )
        if on
    ]
    return shlex.join(words)


def _named_as(path: Path, fmt: str) -> str:
    """The name ``path`` would have as a ``fmt`` file (``data.txt`` → ``data.jsonl``)."""
    name, gzipped = path.name, path.name.lower().endswith(".gz")
    base = Path(name[:-3] if gzipped else name)
    return base.with_suffix(f".{fmt}").name + (".gz" if gzipped else "")


def _export_message(error: Exception) -> str:
    """A refused export in the command's terms: the library names values; this adds the option to change."""
    from newsarchive.export import (
        CompressedFormat,
        DestinationExists,
        ExcelFormat,
        FormatMismatch,
        GzipName,
        MissingPackage,
        NotStreamable,
        UnreadableValue,
        UnsafeDestination,
    )

    if isinstance(error, DestinationExists):
        return f"{error}; use --force to overwrite"
    if isinstance(error, UnsafeDestination) and error.data and error.kind != "a directory":
        return f"{error}; to send the data into a pipe, use --out -"
    if isinstance(error, MissingPackage):
        return f"{error}, or export JSON Lines or CSV (--out NAME.jsonl or NAME.csv)"
    if isinstance(error, FormatMismatch) and error.named:
        return f"--out {error.path} says {error.named} but --format is {error.chosen}"
    if isinstance(error, FormatMismatch):
        extensions = ", ".join(f".{fmt}" for fmt in FORMATS)
        return (
            f"--out {error.path} does not end in a format's extension ({extensions}, then .gz if "
            f"gzipped): name it {_named_as(error.path, error.chosen)} for {error.chosen}, the format "
            "follows from the name"
        )
    if isinstance(error, ExcelFormat):
        return f"--excel writes CSV for Excel, but the format is {error.format}: use --format csv or --out NAME.csv"
    if isinstance(error, UnreadableValue):
        return f"{error}; Parquet stores it as a timestamp: export JSON Lines or CSV, which keep the text"
    if isinstance(error, GzipName):
        return f"--gzip given: name the file {error.path.name}.gz"
    if isinstance(error, CompressedFormat):
        return f"{error.format.capitalize()} files are compressed inside (zstd); drop --gzip"
    if isinstance(error, NotStreamable):
        return (
            f"{error.format.capitalize()} is not sent to stdout: give --out FILE.{error.format} "
            "(--out - streams JSON Lines, JSON or CSV)"
        )
    return str(error)


def cmd_export(args: argparse.Namespace) -> int:
    from newsarchive.archive import ArticleFilter
    from newsarchive.export import STDOUT, ExportError, ExportOptions, UnreadableValue, export
    from newsarchive.search import query_problem

    try:
        since, until = day_bounds(args)
    except ValueError as error:
        print(f"newsarchive export: {error}", file=sys.stderr)
        return 2
    if args.query is not None and (problem := query_problem(args.query)):
        print(f"newsarchive export: --query: {problem}", file=sys.stderr)
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
            excel=args.excel,
            filters=filters,
            fields=tuple(args.fields.split(",")) if args.fields else None,
            with_versions=args.with_versions,
            dedupe=args.dedupe,
            force=args.force,
            command=_export_command(args),
            bounds={"since": args.since, "until": args.until},
        )
        progress = Progress(desc="export", unit="articles", quiet=args.quiet)
        try:
            with Archive(args.db, readonly=True) as archive:
                # An unknown --source/--category/--tag is exit 2 naming the known ones (UsageError),
                # never an empty dataset.
                check_filter_names(archive, sources=args.source, categories=args.category, tags=args.tag)
                result = export(archive, options, progress=progress)
        finally:
            progress.close()
    except ExportError as error:
        print(f"newsarchive export: {_export_message(error)}", file=sys.stderr)
        return 1 if isinstance(error, UnreadableValue) else 2  # the archive's data, not the command
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
    what = "stories (one article each)" if args.dedupe else "articles"
    if result.outputs is None:
        print(
            f"{result.records:,} {what} → stdout ({result.bytes:,} bytes, sha256 {result.sha256}); "
            "no manifest, datasheet or chart with --out - (give --out FILE for them)",
            file=sys.stderr,
        )
        return 0
    print(
        f"{result.records:,} {what} → {result.outputs.data} ({result.bytes:,} bytes, sha256 {result.sha256})"
    )
    print(
        f"manifest {result.outputs.manifest}, datasheet {result.outputs.datasheet}, chart {result.outputs.chart}"
    )
    return 0


def add_export_parser(commands: Commands) -> None:
    """``newsarchive export``: a dataset with its manifest, datasheet and chart."""
    export = commands.add_parser(
        "export",
        help="write a dataset (JSON Lines, JSON, CSV or Parquet) with a manifest, datasheet and chart",
        description="Export articles for research: a data file and, named after it, its manifest "
        "(NAME.jsonl.manifest.json), datasheet (NAME.jsonl.datasheet.md) and chart (NAME.jsonl.chart.svg). "
        "Dates are Gregorian (2024-03-20) or Jalali (1403-01-01), whole Tehran days; --since and --until "
        "are included. Default output: datasets/<what>_<dates>_exported-<day>.jsonl.",
    )
    db_argument(export)
    export.add_argument(
        "--out",
        metavar="FILE",
        help="the data file, ending in its format's extension (.jsonl, .json, .csv, .parquet; "
        "then .gz with --gzip): a new name or a regular file. Default: a descriptive name under "
        "datasets/. - streams JSON Lines, JSON or CSV to stdout, without side files",
    )
    export.add_argument(
        "--format",
        choices=FORMATS,
        help="jsonl: one JSON object per line; json: one JSON array; csv: one row per article, lists "
        "as JSON arrays in their cell; parquet: typed columns (UTC timestamps, lists), needs pyarrow. "
        "Default: from the --out extension, else jsonl (csv with --excel); must agree with --out",
    )
    export.add_argument(
        "--gzip", action="store_true", help="gzip the data file (deterministic: no time, no name inside)"
    )
    export.add_argument(
        "--excel",
        action="store_true",
        help="CSV for Excel: UTF-8 with a byte order mark so Excel shows Persian, and cells Excel would "
        "run as formulas (=, +, -, @) prefixed with '; implies --format csv",
    )
    export.add_argument(
        "--source", nargs="+", action="extend", metavar="S", help="only articles from these sources"
    )
    export.add_argument("--since", metavar="D", help="only articles published on or after day D")
    export.add_argument("--until", metavar="D", help="only articles published on or before day D")
    export.add_argument(
        "--category", action="append", metavar="C", help="only articles in category C (repeat: any of them)"
    )
    export.add_argument(
        "--tag", action="append", metavar="T", help="only articles tagged T (repeat: any of them)"
    )
    export.add_argument(
        "--query", metavar="Q", help="only articles matching Q, as `newsarchive search` matches"
    )
    export.add_argument(
        "--fields",
        metavar="f1,f2,...",
        help="the fields to write, in this order (default: the standard fields, which the datasheet "
        "describes; an unknown name is refused with the list of known ones)",
    )
    export.add_argument(
        "--with-versions", action="store_true", help="add each article's earlier versions (field versions)"
    )
    export.add_argument(
        "--dedupe",
        choices=("story",),
        help="story: one record per story (the same news on several sites), the earliest of its "
        "articles the filters keep, with story_size and story_urls (the story's other articles)",
    )
    export.add_argument(
        "--force",
        action="store_true",
        help="overwrite this export's data file and its own side files if they exist",
    )
    quiet_argument(export)
    export.set_defaults(func=cmd_export)
