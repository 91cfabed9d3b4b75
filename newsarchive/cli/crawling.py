"""The commands around crawling: ``demo`` and ``crawl`` run spiders, ``runs`` lists what the
runs did, ``replay`` serves recorded pages for offline crawls, and ``ingest`` writes the
items of distributed workers into the archive.

Each is a thin layer over the library: :mod:`newsarchive.crawl` runs the spiders,
:mod:`newsarchive.replay` serves recorded pages, :mod:`newsarchive.distributed` ingests.
Scrapy (and Twisted) are imported inside the commands that need them, so that the commands
which only read the archive start without them. :class:`CrawlProgress` draws a crawl's
progress on a terminal from the crawl's own signals.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import logging
import sqlite3
import sys
from collections.abc import Iterator
from typing import IO, Any

from newsarchive.archive import Archive, ArchiveError, resolve_db_path
from newsarchive.archive.vocabulary import close_names
from newsarchive.cli.options import (
    MAX_LIMIT,
    Commands,
    day_bounds,
    db_argument,
    int_between,
    print_json_line,
    quiet_argument,
    quoted,
    run_record,
)
from newsarchive.cli.progress import Progress
from newsarchive.cli.searching import print_hits
from newsarchive.outcomes import ARTICLE_OUTCOMES, ARTICLES, EXIT_USAGE, archive_exit_code, stats_under
from newsarchive.replay import ReplayServer, bundled_mirror
from newsarchive.sites import SITES, Site, load_sites

#: What ``demo`` searches for once its crawl is done.
DEMO_QUERY = "پیام‌رسان"


class _AboveTheBar:
    """A stream whose lines tqdm writes above its bars (it clears them, writes, redraws)."""

    def __init__(self, stream: IO[str]):
        self.stream = stream

    def write(self, text: str) -> None:
        from tqdm import tqdm

        tqdm.write(text.removesuffix("\n"), file=self.stream)

    def flush(self) -> None:
        self.stream.flush()


@contextlib.contextmanager
def _logs_above_the_bar() -> Iterator[None]:
    """The root logger's console handlers write above the progress bar, not into its line;
    their level, filters and format stay theirs (tqdm's own redirect drops the level)."""
    console = [
        handler
        for handler in logging.getLogger().handlers
        if type(handler) is logging.StreamHandler and handler.stream in (sys.stderr, sys.stdout)
    ]
    streams = [handler.setStream(_AboveTheBar(handler.stream)) for handler in console]
    try:
        yield
    finally:
        for handler, stream in zip(console, streams, strict=True):
            handler.setStream(stream)


class CrawlProgress:
    """The pages each spider receives, counted with their rate on a terminal (the total of a
    crawl is not known ahead), one line per spider.

    The counts come from the crawl itself: Scrapy's ``response_received`` signal of every
    crawler of this process (receivers connected for any sender). While a line is drawn, the
    crawl's log lines are written above it, not into it. Off a
    terminal or with ``quiet`` nothing is connected, so the crawl does no extra work at all.
    """

    def __init__(self, stream: IO[str] | None = None, *, quiet: bool = False):
        self.stream = stream
        self.enabled = Progress(stream, quiet=quiet).enabled
        self.pages = 0
        self.bar: Progress | None = None
        self._signals: Any = None
        self._spider = contextlib.ExitStack()  # the bar and log redirect of the spider running

    def _receivers(self) -> list[tuple[Any, Any]]:
        from scrapy import signals

        return [
            (self.spider_opened, signals.spider_opened),
            (self.response_received, signals.response_received),
            (self.spider_closed, signals.spider_closed),
        ]

    def __enter__(self) -> CrawlProgress:
        if self.enabled:
            from scrapy.signalmanager import SignalManager
            from scrapy.utils.signal import Any as any_sender  # PyDispatcher's "any sender"

            self._signals = SignalManager(any_sender)
            for receiver, signal in self._receivers():
                self._signals.connect(receiver, signal)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._signals is not None:
            for receiver, signal in self._receivers():
                self._signals.disconnect(receiver, signal)
            self._signals = None
        self.spider_closed()

    def spider_opened(self, spider: Any = None, **_: Any) -> None:
        self.spider_closed()
        self.pages = 0
        self._spider.enter_context(_logs_above_the_bar())  # Scrapy's console log handler exists by now
        self.bar = self._spider.enter_context(
            Progress(self.stream, desc=f"crawl {getattr(spider, 'name', '')}".strip(), unit="pages")
        )
        self.bar(0)

    def response_received(self, **_: Any) -> None:
        self.pages += 1
        if self.bar is not None:
            self.bar(self.pages)

    def spider_closed(self, **_: Any) -> None:
        self._spider.close()
        self.bar = None


def cmd_demo(args: argparse.Namespace) -> int:
    from newsarchive.crawl import run_spiders

    db = resolve_db_path(args.db)
    mirror = args.mirror or bundled_mirror()
    with ReplayServer(mirror) as server:
        print(f"replaying {mirror} at {server.url}; archive: {db}")
        with CrawlProgress(quiet=args.quiet):
            stats = run_spiders(
                list(SITES) if args.all else [args.site],
                {
                    "NEWSARCHIVE_REPLAY_URL": server.url,
                    "NEWSARCHIVE_DB": str(db),
                    "LOG_LEVEL": args.log_level,
                },
            )
    kept = dict.fromkeys(ARTICLE_OUTCOMES, 0)
    for run in stats.values():
        for outcome, count in stats_under(run, ARTICLES).items():
            kept[outcome] = kept.get(outcome, 0) + count
    with Archive(db, readonly=True) as archive:
        print(
            f"\narchived {kept['new']} articles (new in this run; {kept['updated']} updated, "
            f"{kept['unchanged']} unchanged); {db} holds {archive.count()} articles in all"
        )
        print(f"sample search for «{DEMO_QUERY}»:")
        print_hits(archive.search(DEMO_QUERY, limit=5))
    return 0


def add_demo_parser(commands: Commands) -> None:
    """``newsarchive demo``: crawl the bundled replay and search it."""
    demo = commands.add_parser(
        "demo",
        help="crawl the bundled offline replay into ./archive.db and search it",
        description="Crawl recorded pages of the news sites, served from this machine (no network), "
        "into the archive, then search it: what newsarchive does, in a minute. Says how many "
        "articles this run added or updated, and how many the archive holds.",
    )
    db_argument(demo)
    demo.add_argument(
        "--site", default="digiato", choices=sorted(SITES), help="the site to crawl (default digiato)"
    )
    demo.add_argument(
        "--all", action="store_true", help="every site, one after another (one replay serves every host)"
    )
    demo.add_argument("--mirror", help="replay this directory instead of the bundled mirror")
    demo.add_argument(
        "--log-level",
        default="WARNING",
        help="Scrapy's log level on stderr (default WARNING; INFO adds each run's report)",
    )
    quiet_argument(demo)
    demo.set_defaults(func=cmd_demo)


def _unknown_site(name: str, sites: dict[str, Site]) -> str:
    close = close_names(name, sites)
    return quoted(name) + (" (did you mean " + " or ".join(quoted(c) for c in close) + "?)" if close else "")


def cmd_crawl(args: argparse.Namespace) -> int:
    from newsarchive.crawl import exit_code, project_settings, run_spiders

    overrides = dict(pair.split("=", 1) for pair in args.set or [])
    if args.db:
        overrides["NEWSARCHIVE_DB"] = args.db
    if args.redis:
        overrides["NEWSARCHIVE_REDIS_URL"] = args.redis
    # The bundled sites and the user's (./sites.toml, NEWSARCHIVE_SITES_FILE, also with -s)
    sites = load_sites(project_settings(overrides).get("NEWSARCHIVE_SITES_FILE"))
    names = list(sites) if args.all else args.sites
    unknown = [name for name in names if name not in sites]
    if unknown or not names:
        problem = (
            f"unknown site {', '.join(_unknown_site(name, sites) for name in unknown)}"
            if unknown
            else "no site given (name sites, or --all)"
        )
        print(f"newsarchive crawl: {problem}; known: {', '.join(sites)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        day_bounds(args)  # the spiders would refuse it too, but only after the crawl began
    except ValueError as error:
        print(f"newsarchive crawl: {error}", file=sys.stderr)
        return EXIT_USAGE
    spider_args = {"since": args.since} if args.since else {}
    try:
        with CrawlProgress(quiet=args.quiet):
            stats = run_spiders(names, overrides, spider_args)
    except ArchiveError as error:
        print(f"newsarchive: not starting the crawl: {error}", file=sys.stderr)
        return archive_exit_code(error)
    # 3 a run was degraded, 4 the archive refused a write, 5 it was busy (see newsarchive.outcomes)
    return exit_code(stats)


def add_crawl_parser(commands: Commands) -> None:
    """``newsarchive crawl``: run site spiders."""
    crawl = commands.add_parser(
        "crawl",
        help="run site spiders against the archive",
        description="Crawl news sites into the archive, one after another in this process: new and "
        "changed articles are stored (earlier versions kept), each run recorded (newsarchive runs). "
        "On a terminal, a line per site counts the pages fetched.",
    )
    crawl.add_argument(
        "sites", nargs="*", help=f"sites to crawl ({', '.join(SITES)}, and your own from ./sites.toml)"
    )
    crawl.add_argument("--all", action="store_true", help="crawl every site, bundled and your own")
    crawl.add_argument("--since", help="backfill from the start of this Tehran day: 2024-03-20 or 1403-01-01")
    crawl.add_argument(
        "-s", "--set", action="append", metavar="NAME=VALUE", help="a Scrapy setting (repeat for several)"
    )
    crawl.add_argument(
        "--redis",
        metavar="URL",
        help="be a worker of a distributed crawl: redis://HOST:PORT/DB "
        "(items go to `newsarchive ingest`; pip install 'newsarchive[redis]')",
    )
    db_argument(crawl)
    quiet_argument(crawl)
    crawl.set_defaults(func=cmd_crawl)


def cmd_runs(args: argparse.Namespace) -> int:
    with Archive(args.db, readonly=True) as archive:
        runs = [run_record(run) for run in archive.runs(args.limit)]
        if not runs and (found := archive.damage()):
            raise sqlite3.DatabaseError(found)  # no runs to show may be no runs readable
    if args.json:
        for run in runs:
            print_json_line(run)
        return 0
    print(
        f"{'run':>5}  {'spider':<16} {'status':<9} {'started (UTC)':<20} {'req':>6} {'new':>5} {'upd':>5} {'same':>5}  dropped"
    )
    for run in runs:
        dropped = ", ".join(f"{k} {v}" for k, v in (run["dropped"] or {}).items()) or "-"
        print(
            f"{run['id']:>5}  {run['spider']:<16} {run['status']:<9} {run['started_at']:<20} "
            f"{run['requests'] or 0:>6} {run['articles_new'] or 0:>5} {run['articles_updated'] or 0:>5} "
            f"{run['articles_unchanged'] or 0:>5}  {dropped}"
        )
        if run.get("boilerplate"):
            removed = ", ".join(f"{rule} {count}" for rule, count in sorted(run["boilerplate"].items()))
            print(f"{'':>7}boilerplate blocks removed: {removed}")
        for problem in run.get("problems") or []:  # why degraded or failed
            print(f"{'':>7}{run['status']}: {problem['message']}")
    return 0


def add_runs_parser(commands: Commands) -> None:
    """``newsarchive runs``: the crawl runs, newest first."""
    runs = commands.add_parser(
        "runs",
        help="crawl runs, newest first: status, requests, articles, drops, problems",
        description="The crawl runs recorded in the archive, newest first: status (finished, degraded, "
        "failed, killed, running), requests, articles new/updated/unchanged, what was dropped and "
        "why, boilerplate removed, and the problems of a degraded or failed run.",
    )
    db_argument(runs)
    runs.add_argument(
        "--limit",
        type=int_between(1, MAX_LIMIT),
        default=20,
        help=f"the newest this many runs, 1 to {MAX_LIMIT:,} (default 20)",
    )
    runs.add_argument(
        "--json",
        action="store_true",
        help="JSON lines, one run each: counts per status, drop reason and rule as JSON objects "
        "(without the raw Scrapy stats)",
    )
    runs.set_defaults(func=cmd_runs)


def cmd_replay(args: argparse.Namespace) -> int:
    try:
        server = ReplayServer(args.source, host=args.host, port=args.port, verbose=True)
    except FileNotFoundError as error:
        print(f"newsarchive replay: {error}", file=sys.stderr)
        return 2
    from newsarchive.warc import WarcMirror  # already imported by open_mirror

    mirror = server.httpd.mirror
    if isinstance(mirror, WarcMirror):
        for problem in mirror.problems:
            print(f"warning: {problem} (the rest is served)", file=sys.stderr)
        print(f"{len(mirror)} URLs captured in {len(mirror.files)} WARC file(s)", flush=True)
    address, port = server.httpd.address
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


def add_replay_parser(commands: Commands) -> None:
    """``newsarchive replay``: serve recorded pages over HTTP."""
    replay = commands.add_parser(
        "replay",
        help="serve recorded pages over HTTP for NEWSARCHIVE_REPLAY_URL",
        description="Serve recorded pages (a folder laid out by URL path, or WARC files) over HTTP, "
        "so that a crawl with NEWSARCHIVE_REPLAY_URL set reads them instead of the live sites.",
    )
    replay.add_argument(
        "source", help="a directory of pages laid out by URL path, or a WARC file or folder of them"
    )
    replay.add_argument(
        "--port", type=int_between(0, 65535), default=8765, help="default 8765; 0: any free port"
    )
    replay.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; any other is warned about)",
    )
    replay.set_defaults(func=cmd_replay)


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
    if args.json:
        print_json_line(summary)
        return 0
    print(
        f"ingested {report.records} records: articles new {report.articles['new']}, updated "
        f"{report.articles['updated']}, unchanged {report.articles['unchanged']}; crawls ended "
        f"{len(report.crawls_ended)}; recovered {report.recovered}; rejected {report.rejected}"
    )
    return 0


def add_ingest_parser(commands: Commands) -> None:
    """``newsarchive ingest``: the distributed workers' items into the archive."""
    ingest = commands.add_parser(
        "ingest",
        help="write the items of distributed crawl workers into the archive (one per archive)",
        description="Move records from Redis (<prefix>items) into the archive with the normal storage logic, "
        "one transaction per batch, acknowledged after the commit; a killed ingester loses and "
        "duplicates nothing. Runs until SIGTERM/Ctrl-C, or --exit-when-idle.",
    )
    ingest.add_argument("--redis", required=True, metavar="URL", help="redis://HOST:PORT/DB, as the workers'")
    db_argument(ingest)
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
    ingest.add_argument("--json", action="store_true", help="the report as one JSON line")
    ingest.add_argument("--log-level", default="INFO", help="INFO: one line per crawl begun and ended")
    ingest.set_defaults(func=cmd_ingest)
