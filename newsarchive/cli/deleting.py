"""``newsarchive delete``: takedown requests.

Removes articles (by any of their URLs, or every article of a ``--source``) with their
versions, aliases, captures index rows and search entries, in one transaction, and leaves
a tombstone per URL so that no later crawl, reparse or ingest stores them again;
``--restore`` lifts the tombstones. The library does the work
(:meth:`~newsarchive.archive.deletion.DeletionMixin.delete_articles`,
:meth:`~newsarchive.archive.deletion.DeletionMixin.restore_articles`); this command
checks the options, asks before a whole source goes, and prints what was done.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from newsarchive.archive import Archive, ArchiveError, resolve_db_path
from newsarchive.archive.deletion import Deletion, NotInArchive
from newsarchive.archive.vocabulary import UnknownNames
from newsarchive.cli.options import Commands, UsageError, check_filter_names, db_argument, print_json_line

DELETE_EPILOG = """\
A URL may be the article's own or any alias (an old URL, a redirect, an AMP page), as
stored or as a browser shows it (http, utm_* parameters and a trailing slash are ignored).
What goes: the article, its earlier versions, its aliases, its full-text index entries and
the captures index rows of its URLs. What stays: a tombstone per URL (the URL, the time,
--reason), so crawls, reparse and ingest never store it again, and the WARC files, which
the output names: rewrite or remove them to purge the raw responses too.

Exit status: 0 done (URLs deleted before are noted, not errors; a --source deletion not
confirmed deletes nothing); 2 a URL that no article or tombstone has (then nothing is
deleted: a typo in a takedown list never passes for a takedown done), an unknown --source,
or --source without --yes where there is no terminal to ask on; 1 the archive cannot be
opened."""


def cmd_delete(args: argparse.Namespace) -> int:
    try:
        if not args.urls and not args.source:
            raise UsageError("name the articles: one or more URLs, or --source S")
        if args.restore and args.reason is not None:
            raise UsageError("--reason is kept with a deletion; a --restore lifts the tombstones whole")
        path = resolve_db_path(args.db)
        if not path.exists():  # opening would make an empty archive, and "not in the archive" would mislead
            raise ArchiveError(f"no archive at {path}")
        with Archive(path) as archive:
            if args.restore:
                check_filter_names(archive, sources=args.source, known_sources=archive.tombstone_sources())
                lifted = archive.restore_articles(args.urls, sources=args.source or (), dry_run=args.dry_run)
                _print_restored(lifted, args)
                return 0
            check_filter_names(archive, sources=args.source)
            if args.source and not args.dry_run and not args.yes:
                planned = archive.delete_articles(args.urls, sources=args.source, dry_run=True)
                if not _confirmed(planned, args.source):
                    print("nothing deleted", file=sys.stderr)
                    return 0
            deletion = archive.delete_articles(
                args.urls, sources=args.source or (), reason=args.reason, dry_run=args.dry_run
            )
    except (UsageError, NotInArchive, UnknownNames) as error:
        print(f"newsarchive delete: {error}", file=sys.stderr)
        return 2
    except ArchiveError as error:
        print(f"newsarchive delete: {error}", file=sys.stderr)
        return 1
    _print_deletion(deletion, args.json)
    return 0


def _confirmed(planned: Deletion, sources: Sequence[str]) -> bool:
    """Ask on the terminal whether every article of ``sources`` may go; off a terminal, a
    :class:`UsageError` naming ``--yes`` (a cron job or a pipe must say so itself)."""
    if not sys.stdin.isatty():
        raise UsageError(
            "--source deletes every article of the source; add --yes to confirm "
            "(there is no terminal to ask on), or --dry-run to list them"
        )
    print(
        f"delete {_count(len(planned.articles), 'article')} of {', '.join(sources)}, with their versions, "
        "aliases and captures index rows, and tombstone their URLs? [y/N] ",
        end="",
        file=sys.stderr,
        flush=True,
    )
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        answer = ""
    return answer.strip().lower() in ("y", "yes")


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _print_deletion(deletion: Deletion, as_json: bool) -> None:
    action = "would-delete" if deletion.dry_run else "deleted"
    if as_json:
        for article in deletion.articles:
            print_json_line({"action": action, **asdict(article)})
        for stone in deletion.already_deleted:
            print_json_line({"action": "already-deleted", **stone})
        return
    verb = action.replace("-", " ")
    for article in deletion.articles:
        print(f"{verb} {article.url} ({article.source}): {article.title}")
        for alias in article.urls[1:]:
            print(f"  and its URL {alias}")
        print(
            f"  {_count(article.versions, 'earlier version')}, {_count(article.captures, 'capture')} in the index"
        )
    for stone in deletion.already_deleted:
        reason = f", reason: {stone['reason']}" if stone["reason"] else ""
        print(f"already deleted {stone['asked']} on {stone['deleted_at']}{reason}")
    urls = sum(len(article.urls) for article in deletion.articles)
    warc_files = sorted({name for article in deletion.articles for name in article.warc_files})
    if deletion.dry_run:
        print(
            f"would delete {_count(len(deletion.articles), 'article')} and tombstone {_count(urls, 'URL')}; "
            "nothing changed (--dry-run)"
        )
    elif deletion.articles:
        print(
            f"deleted {_count(len(deletion.articles), 'article')} and tombstoned {_count(urls, 'URL')}: crawls, "
            "reparse and ingest will not store them again (newsarchive delete --restore URL lifts this)"
        )
    if warc_files:
        print(
            f"the WARC files still hold their raw responses: {', '.join(warc_files)} in the WARC folder "
            "(rewrite or remove them to purge those too)"
        )


def _print_restored(lifted: list[dict[str, Any]], args: argparse.Namespace) -> None:
    action = "would-restore" if args.dry_run else "restored"
    if args.json:
        for stone in lifted:
            print_json_line({"action": action, **stone})
        return
    for stone in lifted:
        print(
            f"{action.replace('-', ' ')} {stone['url']} ({stone['source']}, deleted on {stone['deleted_at']})"
        )
    articles = len({stone["article_id"] for stone in lifted})
    if args.dry_run:
        print(f"would lift {_count(len(lifted), 'tombstone')}; nothing changed (--dry-run)")
    else:
        print(
            f"lifted {_count(len(lifted), 'tombstone')} of {_count(articles, 'article')}: a crawl that "
            "lists them again fetches and stores them again (the deleted text is not brought back)"
        )


def add_delete_parser(commands: Commands) -> None:
    """``newsarchive delete``: takedown requests."""
    delete = commands.add_parser(
        "delete",
        help="delete articles on request (takedowns), keeping a tombstone so crawls do not add them again",
        description="Delete articles by URL, or every article of a source, in one transaction: the\n"
        "article, its versions, aliases, search entries and captures index rows. Each URL keeps a\n"
        "tombstone: crawls, reparse and ingest never store the article again until --restore.",
        epilog=DELETE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    db_argument(delete)
    delete.add_argument("urls", nargs="*", metavar="URL", help="an article's URL or any of its aliases")
    delete.add_argument(
        "--source",
        action="append",
        metavar="S",
        help="every article of source S (repeat for several); asks first, or needs --yes off a terminal",
    )
    delete.add_argument("--yes", action="store_true", help="delete a --source without asking")
    delete.add_argument(
        "--reason", metavar="TEXT", help="why (e.g. the request's reference), kept in the tombstones"
    )
    delete.add_argument(
        "--dry-run", action="store_true", help="list what would be deleted (or restored) and change nothing"
    )
    delete.add_argument(
        "--restore",
        action="store_true",
        help="lift the tombstones of these deleted URLs (or --source) so the next crawl stores them again",
    )
    delete.add_argument(
        "--json", action="store_true", help="one JSON line per article deleted (or tombstone lifted)"
    )
    delete.set_defaults(func=cmd_delete)
