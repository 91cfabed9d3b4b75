"""The commands that rework what is already in the archive: ``reindex`` (the search
columns and full-text index) and ``reparse`` (extraction again from the stored captures).

Both run offline over a whole archive; the library does the work
(:meth:`newsarchive.archive.Archive.reindex`, :func:`newsarchive.reparse.reparse`) and
reports progress as numbers, these commands parse the options, draw the progress bar
(:class:`~newsarchive.cli.progress.Progress`) and print the report.
"""

from __future__ import annotations

import argparse
import sys

from newsarchive.archive import Archive, resolve_db_path
from newsarchive.archive.vocabulary import captured_sources
from newsarchive.cli.options import (
    Commands,
    check_filter_names,
    day_bounds,
    db_argument,
    print_json_line,
    quiet_argument,
)
from newsarchive.cli.progress import Progress
from newsarchive.outcomes import EXIT_BUSY


def cmd_reindex(args: argparse.Namespace) -> int:
    from newsarchive.runlock import MAINTENANCE, RunLock, RunLocked

    try:
        # Crawls that start meanwhile see this lock and exit 5 at once (newsarchive.extensions.check_archive).
        with (
            RunLock(resolve_db_path(args.db), MAINTENANCE),
            Archive(args.db) as archive,
            Progress(desc="reindex", unit="articles", quiet=args.quiet) as progress,
        ):
            report = archive.reindex(progress=progress)
    except RunLocked:
        print("newsarchive reindex: another reindex of this archive is running", file=sys.stderr)
        return EXIT_BUSY
    if args.json:
        print_json_line(report)
        return 0
    size = f", index {report['index_bytes'] / 1e6:.1f} MB" if report.get("index_bytes") is not None else ""
    print(
        f"reindexed {report['articles']:,} articles in {report['seconds']:.1f} s: search columns of "
        f"{report['changed']:,} changed, FTS index rebuilt and optimized{size}"
    )
    return 0


def add_reindex_parser(commands: Commands) -> None:
    """``newsarchive reindex``: rebuild the search columns and the index."""
    reindex = commands.add_parser(
        "reindex",
        help="recompute the search columns and rebuild the full-text index",
        description="Recompute every article's search form and rebuild the FTS5 index, in one transaction "
        "(after the folding rules changed, or to repair the index). Crawls wait meanwhile.",
    )
    db_argument(reindex)
    reindex.add_argument("--json", action="store_true", help="the report as one JSON line")
    quiet_argument(reindex)
    reindex.set_defaults(func=cmd_reindex)


class SourceProgress:
    """A bar per source for ``reparse``, which reports (source, done, total)."""

    def __init__(self, *, quiet: bool = False):
        self.quiet = quiet
        self.source: str | None = None
        self.bar: Progress | None = None

    def __call__(self, source: str, done: int, total: int) -> None:
        if source != self.source or self.bar is None:
            self.close()
            self.source = source
            self.bar = Progress(desc=f"reparse {source}", unit="pages", quiet=self.quiet)
        self.bar(done, total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> SourceProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def cmd_reparse(args: argparse.Namespace) -> int:
    from newsarchive.processes import configured_workers, start_fork_server

    if configured_workers() > 1:  # its workers import reparse's code while this process does
        start_fork_server(["newsarchive.reparse"])
    from newsarchive.reparse import reparse
    from newsarchive.runlock import RunLocked

    try:
        since, until = day_bounds(args)
        if args.source:
            with Archive(args.db, readonly=True) as archive:
                check_filter_names(archive, sources=args.source, known_sources=captured_sources(archive))
        with SourceProgress(quiet=args.quiet) as progress:
            report = reparse(
                args.db,
                warc_dir=args.warc_dir,
                sources=args.source or (),
                urls=args.url or (),
                since=since,
                until=until,
                progress=progress,
            )
    except (ValueError, RunLocked) as error:
        print(f"newsarchive reparse: {error}", file=sys.stderr)
        return 2
    if args.json:
        print_json_line(report.as_dict())
        return 0
    dropped = ", ".join(f"{reason} {count}" for reason, count in sorted(report.dropped.items())) or "none"
    print(
        f"reparsed {report.read} stored pages ({', '.join(report.sources) or 'no captures'}): "
        f"articles new {report.new}, updated {report.updated}, unchanged {report.unchanged}; dropped: {dropped}"
    )
    return 0


def add_reparse_parser(commands: Commands) -> None:
    """``newsarchive reparse``: extract the stored captures again."""
    reparse = commands.add_parser(
        "reparse",
        help="extract the stored responses (WARC captures) again and update the archive, offline",
        description="Run extraction and the pipelines again on the latest capture of every article URL "
        "(following recorded redirects): new content is versioned, corrected fields updated. "
        "--since/--until bound the capture time (2024-03-20 or 1403-01-01: whole Tehran days, "
        "both included).",
    )
    db_argument(reparse)
    reparse.add_argument(
        "--warc-dir", help="WARC folder (default: $NEWSARCHIVE_WARC_DIR or warc/ beside the archive)"
    )
    reparse.add_argument(
        "--source",
        action="append",
        metavar="S",
        help="only this source, one with captures in the archive (repeat for several)",
    )
    reparse.add_argument("--since", metavar="D", help="captures fetched on or after D")
    reparse.add_argument("--until", metavar="D", help="captures fetched on or before D")
    reparse.add_argument(
        "--url", action="append", metavar="URL", help="only this article (repeat for several)"
    )
    reparse.add_argument("--json", action="store_true", help="the counts as one JSON line")
    quiet_argument(reparse)
    reparse.set_defaults(func=cmd_reparse)
