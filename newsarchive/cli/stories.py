"""The ``stories`` command and ``search --stories``: the same news on several sites as one story.

A story groups an article with its copies (exact, or edited: re-titled, a paragraph added)
across sites and on one site; its first publication says who was first. The archive keeps
them up to date as articles are stored (:meth:`Archive.stories`, :meth:`Archive.story`);
``--threshold`` regroups the stored pairs at another cut-off and ``--rebuild`` computes
everything again from the stored text. :func:`story_hits` is the search, one hit per story.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
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
    quiet_argument,
)
from newsarchive.cli.progress import Progress
from newsarchive.outcomes import EXIT_BUSY

STORIES_HELP = """\
A story is one piece of news however many sites carried it: an article and its copies,
exact or edited (re-titled, a paragraph added or removed, another lead), found by
comparing the folded body text (ZWNJ, ي/ك, ۱۵/15 and diacritics make no difference).
Its id is the id of the first article stored in it; "first" is its earliest publication.
Kinds of sameness: exact (the same text), near (a copy, edited), shared (a common source
quoted, under the copy threshold). Dates are whole Tehran days, Gregorian or Jalali,
both included, and select stories by their latest publication.

examples:
  newsarchive stories                          the latest stories with copies
  newsarchive stories --source zoomit --json   stories zoomit carried, as JSON lines
  newsarchive stories --story ID               one story's articles, kind and similarity
  newsarchive stories --threshold 0.8          regroup the stored pairs at another cut-off
  newsarchive stories --rebuild                compute every story again from the text"""


def _threshold(text: str) -> float:
    """An argparse type: a similarity above 0 and at most 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most 1 (got {text})")
    return value


def add_stories_parser(commands: Commands) -> None:
    """``newsarchive stories``: the latest stories, one story's articles, regroup, rebuild."""
    stories = commands.add_parser(
        "stories",
        help="the same news on several sites as one story: sources, who was first, copies",
        description="List the latest stories (newest publication first) with their sources, "
        "their number of articles and who published first; show one story's articles with "
        "how alike they are; regroup the stories at another similarity cut-off, or rebuild them.",
        epilog=STORIES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    db_argument(stories)
    stories.add_argument(
        "--source", action="append", metavar="S", help="only stories this source carried (repeat: any of)"
    )
    stories.add_argument(
        "--since", metavar="D", help="stories published on or after D (2024-03-20 or 1403-01-01)"
    )
    stories.add_argument("--until", metavar="D", help="stories published on or before D")
    stories.add_argument(
        "--min-articles",
        type=int_between(1, MAX_LIMIT),
        default=2,
        metavar="N",
        help="only stories of at least N articles (default 2: stories with copies; 1: every story)",
    )
    stories.add_argument(
        "--limit",
        type=int_between(1, MAX_LIMIT),
        default=20,
        help=f"at most this many stories, 1 to {MAX_LIMIT:,} (default 20)",
    )
    action = stories.add_mutually_exclusive_group()
    action.add_argument(
        "--story",
        metavar="ID",
        help="show this story's articles in publication order, each with its kind of sameness and "
        "similarity to the first",
    )
    action.add_argument(
        "--threshold",
        type=_threshold,
        metavar="X",
        help="regroup every story at similarity X from the stored pairs (no text read), in one "
        "transaction; a higher X splits stories, a lower one joins them",
    )
    action.add_argument(
        "--rebuild",
        action="store_true",
        help="compute every story again from the stored text (an archive made before stories, or "
        "after the comparison changed)",
    )
    stories.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    quiet_argument(stories)
    stories.set_defaults(func=cmd_stories)


def cmd_stories(args: argparse.Namespace) -> int:
    if args.rebuild or args.threshold is not None:
        return _rework(args)
    if args.story is not None:
        return _show_story(args)
    day_bounds(args)  # the library checks the days too; this names the option
    with Archive(args.db, readonly=True) as archive:
        check_filter_names(archive, sources=args.source)
        found = archive.stories(
            source=args.source,
            since=args.since,
            until=args.until,
            min_articles=args.min_articles,
            limit=args.limit,
        )
    if args.json:
        for story in found:
            print_json_line(story)
    else:
        print_stories(found, every=args.min_articles == 1)
    return 0


def print_stories(stories: Sequence[dict[str, Any]], *, every: bool = False) -> None:
    """Stories as a numbered list: title, who was first and when, size and sources, id.
    ``every``: stories of one article were asked for too (else the empty list says how)."""
    if not stories:
        print("  no stories" + ("" if every else " with copies (--min-articles 1 lists every story)"))
    for number, story in enumerate(stories, 1):
        print(f"{number:>3}. {story['title']}")
        print(
            f"     first: {story['first_source']} · {story['first_published_at'] or '?'} · {story['first_url']}"
        )
        print(f"     {story_size(story['article_count'], story['sources'])} · story {story['id']}")


def story_size(articles: int, sources: Sequence[str]) -> str:
    """``3 articles from 2 sources: digiato, zoomit``."""
    return (
        f"{articles} article{'s' * (articles != 1)} from {len(sources)} "
        f"source{'s' * (len(sources) != 1)}: {', '.join(sources)}"
    )


def _show_story(args: argparse.Namespace) -> int:
    with Archive(args.db, readonly=True) as archive:
        story = archive.story(args.story)
    if story is None:
        raise UsageError(
            f"--story {args.story}: no story of that id in this archive "
            "(`newsarchive stories` lists them with their ids)"
        )
    if args.json:
        print_json_line(story)
        return 0
    print(f"story {story['id']}: {story['title']}")
    size = story_size(story["article_count"], story["sources"])
    print(f"  {size}; first: {story['first_source']} at {story['first_published_at'] or '?'}")
    for article in story["articles"]:
        print(
            f"  {article['published_at'] or '?':<20}  {article['source']:<12}  "
            f"{_sameness(article, story['first_article_id']):<10}  {article['url']}"
        )
        print(f"  {'':<20}  {'':<12}  {'':<10}  {article['title']}")
    return 0


def _sameness(article: dict[str, Any], first_id: str) -> str:
    """``first``, ``near 0.83``, or ``linked`` (a copy of another copy, not of the first)."""
    if article["id"] == first_id:
        return "first"
    if article["kind"] is None:
        return "linked"
    return f"{article['kind']} {article['similarity']:.2f}"


def _rework(args: argparse.Namespace) -> int:
    """``--threshold`` and ``--rebuild``: write the stories again, while crawls wait."""
    from newsarchive.runlock import MAINTENANCE, RunLock, RunLocked

    try:
        with RunLock(resolve_db_path(args.db), MAINTENANCE), Archive(args.db) as archive:
            if args.rebuild:
                with Progress(desc="stories", unit="articles", quiet=args.quiet) as progress:
                    report = archive.rebuild_stories(progress=progress)
            else:
                try:
                    report = archive.regroup_stories(args.threshold)
                except ValueError as error:
                    raise UsageError(f"--threshold {args.threshold}: {error}") from None
    except RunLocked:
        print("newsarchive stories: another rebuild or reindex of this archive is running", file=sys.stderr)
        return EXIT_BUSY
    if args.json:
        print_json_line(report)
        return 0
    if args.rebuild:
        print(
            f"stories rebuilt from the text of {report['articles']:,} articles: "
            f"{report['stories']:,} stories, {report['pairs']:,} pairs kept"
        )
    else:
        print(
            f"stories regrouped at similarity {report['threshold']}: {report['articles']:,} articles "
            f"in {report['stories']:,} stories, {report['moved']:,} moved"
        )
    return 0


@dataclass(frozen=True)
class StoryHit:
    """A story's best-ranked search hit, with the story's size and sources."""

    hit: SearchHit
    story_id: str
    articles: int
    sources: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.hit.as_dict(),
            "story_id": self.story_id,
            "story_articles": self.articles,
            "story_sources": self.sources,
        }


def story_hits(archive: Archive, query: str, *, limit: int, **filters: Any) -> list[StoryHit]:
    """The best ``limit`` stories for ``query``: each story once, by its best-ranked article.

    ``filters`` are :meth:`Archive.search`'s. Hits are read in growing batches until
    ``limit`` stories are found or the matches run out.
    """
    wanted = min(limit * 4, MAX_LIMIT)
    while True:
        hits = archive.search(query, limit=wanted, **filters)
        best: dict[str, SearchHit] = {}
        for hit in hits:
            best.setdefault(hit.story_id or hit.id, hit)  # an article not grouped yet: its own
        if len(best) >= limit or len(hits) < wanted or wanted >= MAX_LIMIT:
            break
        wanted = min(wanted * 4, MAX_LIMIT)
    found = []
    for story_id, hit in list(best.items())[:limit]:
        story = archive.story(story_id)
        articles, sources = (story["article_count"], story["sources"]) if story else (1, [hit.source])
        found.append(StoryHit(hit, story_id, articles, sources))
    return found
