"""``newsarchive add-site URL``: probe a news site and propose its ``sites.toml`` entry.

A thin layer over :mod:`newsarchive.siteprobe`: the probe (a short Scrapy run, offline with
``-s NEWSARCHIVE_REPLAY_URL=…``), the proposal with its coverage table, and, after a "y" on
a terminal or with ``--yes``, the entry appended to ``./sites.toml`` (or ``--sites-file``).
A name already taken (a bundled site, or one of the user's) is refused before any request.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from newsarchive.cli.options import Commands, UsageError, int_between, print_json_line
from newsarchive.outcomes import EXIT_FAILED, EXIT_USAGE
from newsarchive.sites.base import Selectors
from newsarchive.sites.loader import NAME, USER_FILE, SiteConfigError

if TYPE_CHECKING:
    from newsarchive.siteprobe.proposal import Coverage, Proposal

#: The most sample pages ``--sample`` may ask for.
MAX_SAMPLE = 50

EPILOG = f"""\
exit status: 0 proposed (and written when asked), {EXIT_USAGE} an option cannot be used (a bad URL,
a name already taken, a sites file that does not load), {EXIT_FAILED} the site gave nothing to propose
an entry from (no answer, not HTML, nothing article-like).

offline: newsarchive replay tests/mirror & newsarchive add-site https://itiran.com --name itiran2
-s NEWSARCHIVE_REPLAY_URL=http://127.0.0.1:8765 --yes, then scrapy crawl itiran2."""


def add_add_site_parser(commands: Commands) -> None:
    """``newsarchive add-site``: probe a site, propose its entry, add it to a sites file."""
    parser = commands.add_parser(
        "add-site",
        help="probe a news site and propose its sites.toml entry (then crawl it by name)",
        description="Probe a news site (robots.txt, sitemaps, feeds, WordPress's REST API, the home "
        "page's CMS marks, a few article pages) and propose a sites.toml entry: a name, the CMS family, "
        "article_paths inferred from the article URLs found (tested on the listings seen), the feeds and "
        "sitemaps that answered, and which generic extraction layer gives each field on the sampled "
        "pages. Then asks whether to add it to ./sites.toml.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("url", help="the site's home page, e.g. https://itiran.com")
    parser.add_argument("--name", help="the site's name (default: from the host, e.g. itiran)")
    parser.add_argument(
        "--sample",
        type=int_between(1, MAX_SAMPLE),
        default=5,
        help=f"article pages to read for the coverage table, 1 to {MAX_SAMPLE} (default 5)",
    )
    answer = parser.add_mutually_exclusive_group()
    answer.add_argument("-y", "--yes", action="store_true", help="add the entry without asking (for scripts)")
    answer.add_argument("--dry-run", action="store_true", help="only print the proposal; write nothing")
    parser.add_argument(
        "--sites-file", metavar="PATH", help=f"the sites file to add it to (default ./{USER_FILE})"
    )
    parser.add_argument(
        "--json", action="store_true", help="the proposal as one JSON line (never asks: --yes adds it)"
    )
    parser.add_argument(
        "-s", "--set", action="append", metavar="NAME=VALUE", help="a Scrapy setting (repeat for several)"
    )
    parser.add_argument("--log-level", default="ERROR", help="Scrapy's log level on stderr (default ERROR)")
    parser.set_defaults(func=cmd_add_site)


def _url(text: str) -> str:
    url = text if "://" in text else f"https://{text}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"URL {text!r}: must be an http(s) URL with a host, e.g. https://itiran.com")
    return url


def _overrides(args: argparse.Namespace) -> dict[str, str]:
    overrides = {"LOG_LEVEL": args.log_level}
    for pair in args.set or []:
        name, equals, value = pair.partition("=")
        if not equals or not name:
            raise UsageError(f"-s {pair!r}: a setting is NAME=VALUE")
        overrides[name] = value
    return overrides


def _target(args: argparse.Namespace) -> Path:
    target = Path(args.sites_file or USER_FILE)
    if args.sites_file and target.suffix != ".toml":
        raise UsageError(f"--sites-file {args.sites_file}: a sites file's name ends in .toml")
    if target.is_dir() or not (target.parent if str(target.parent) else Path(".")).is_dir():
        raise UsageError(f"--sites-file {target}: not a file in an existing folder")
    return target


def _name(args: argparse.Namespace, url: str, target: Path, sites_file: str | None) -> str:
    from newsarchive.siteprobe.entry import name_taken, site_name

    name = args.name or site_name(url)
    if not NAME.fullmatch(name):
        raise UsageError(f"--name {name!r}: lower-case letters, digits, '_' and '-', starting with a letter")
    try:
        taken = name_taken(name, target, sites_file)
    except SiteConfigError as error:
        raise UsageError(str(error)) from None
    if taken:
        raise UsageError(f"{taken}: choose another name with --name (e.g. --name {name}2)")
    return name


def _table(title: str, rows: list[Coverage]) -> list[str]:
    lines = [title, f"  {'field':<11} {'pages':>7}  layers"]
    for row in rows:
        layers = ", ".join(f"{layer} {count}" for layer, count in row.layers.items()) or "-"
        lines.append(f"  {row.field:<11} {f'{row.found}/{row.pages}':>7}  {layers}")
    return lines


def _report(proposal: Proposal, entry: str) -> str:
    lines = [entry.rstrip("\n"), ""]
    site = proposal.site
    if site is not None and site.selectors != Selectors():
        layers = f"no selectors of its own; layer 'site' is the {site.cms} family's"
    else:
        layers = "no selectors: generic layers only"
    lines += _table(
        f"Field coverage on {len(proposal.samples)} sampled article pages ({layers}):", proposal.coverage
    )
    if proposal.rest_coverage:
        lines += _table("Through the WordPress REST API (what the crawl reads):", proposal.rest_coverage)
    lines += [f"note: {note}" for note in proposal.notes]
    return "\n".join(lines)


def _confirmed(target: Path) -> bool:
    if not sys.stdin.isatty():
        return False
    try:
        return input(f"Add to {target}? [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def cmd_add_site(args: argparse.Namespace) -> int:
    from newsarchive.crawl import project_settings
    from newsarchive.siteprobe.entry import add_entry, render_entry
    from newsarchive.siteprobe.proposal import ProbeError, propose
    from newsarchive.siteprobe.spider import run_probe

    url = _url(args.url)
    overrides = _overrides(args)
    target = _target(args)
    sites_file = project_settings(overrides).get("NEWSARCHIVE_SITES_FILE")
    name = _name(args, url, target, sites_file)
    print(
        f"probing {url}: robots.txt, sitemaps, feeds, the REST API, {args.sample} article pages",
        file=sys.stderr,
    )
    try:
        proposal = propose(run_probe(url, sample=args.sample, overrides=overrides), name)
    except ProbeError as error:
        print(f"newsarchive add-site: {error}", file=sys.stderr)
        return EXIT_FAILED
    command = "newsarchive add-site " + shlex.join([args.url, "--name", name])
    entry = render_entry(proposal, command, cms=proposal.cms)
    write = args.yes or (not args.dry_run and not args.json and _confirmed(target))
    if args.json:
        print_json_line({**proposal.record(), "toml": entry, "written": str(target) if write else None})
    else:
        print(_report(proposal, entry))
    if not write:
        if not (args.dry_run or args.json):
            print(f"not added (answer y on a terminal, or --yes, to add it to {target})", file=sys.stderr)
        return 0
    try:
        add_entry(target, entry, name)
    except (SiteConfigError, OSError) as error:
        raise UsageError(f"not added, {target} is unchanged: {error}") from None
    crawl = f"scrapy crawl {name}" + (
        "" if str(target) == USER_FILE else f" -s NEWSARCHIVE_SITES_FILE={target}"
    )
    print(
        f"added [sites.{name}] to {target}; crawl it with: {crawl}",
        file=sys.stderr if args.json else sys.stdout,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """``add-site`` on its own (``python -m newsarchive.cli.addsite URL …``), as ``newsarchive``
    runs it: a usage error is ``newsarchive add-site: message`` with exit status 2."""
    parser = argparse.ArgumentParser(prog="newsarchive")
    add_add_site_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["add-site", *(sys.argv[1:] if argv is None else argv)])
    try:
        return int(args.func(args))
    except UsageError as error:
        print(f"newsarchive add-site: {error}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
