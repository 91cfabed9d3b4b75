"""Stories in an export: which articles are copies, one record per story, the others' URLs.

A story groups an article with its copies on other sites (and on its own: print, AMP or
mobile URLs); its first publication is the original, every other article a copy
(:meth:`newsarchive.archive.Archive.story`). :class:`StoryIndex` reads the archive's
stories of two articles or more once, at the start of an export; a story of one article
needs no entry (its article is its original). What it holds grows with the articles that
have copies, not with the archive. It tells the tally which records are copies
(:class:`StoryTally`), drops the later articles of a story for ``dedupe="story"``
(:meth:`StoryIndex.first_of_story`) and gives each record its story's size and the other
articles' URLs (:meth:`StoryIndex.columns`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsarchive.archive import Archive

#: The ``dedupe`` an export takes: one record per story.
DEDUPE = ("story",)
#: How many stories with copies an export reads: all of them.
_ALL_STORIES = 1 << 62


class StoryIndex:
    """The articles of the archive's stories with copies, by URL, in publication order."""

    def __init__(self, archive: Archive):
        self.story_of: dict[str, str] = {}  # article URL → story id (stories with copies only)
        self.urls: dict[str, list[str]] = {}  # story id → its articles' URLs, the first publication first
        for story in archive.stories(min_articles=2, limit=_ALL_STORIES):
            found = archive.story(story["id"])
            if found is None:  # deleted since the list was read
                continue
            urls = [article["url"] for article in found["articles"]]
            self.urls[story["id"]] = urls
            for url in urls:
                self.story_of[url] = story["id"]

    def is_copy(self, url: str) -> bool:
        """Whether the article at ``url`` repeats a story first published by another article."""
        story_id = self.story_of.get(url)
        return story_id is not None and self.urls[story_id][0] != url

    def first_of_story(self) -> Callable[[str], bool]:
        """A function telling, for each URL of one pass over the export's rows, whether it is the
        first article of its story in that pass: as rows come in publication order, the story's
        earliest article the export selects (``dedupe="story"`` keeps only those)."""
        kept: set[str] = set()  # stories with copies already written

        def first(url: str) -> bool:
            story_id = self.story_of.get(url)
            if story_id is None:
                return True
            if story_id in kept:
                return False
            kept.add(story_id)
            return True

        return first

    def columns(self, url: str) -> dict[str, Any]:
        """``story_size`` and ``story_urls`` (the other articles, first publication first) of ``url``."""
        story_id = self.story_of.get(url)
        if story_id is None:
            return {"story_size": 1, "story_urls": []}
        urls = self.urls[story_id]
        return {"story_size": len(urls), "story_urls": [other for other in urls if other != url]}


class StoryTally:
    """Originals and copies per source and Gregorian month, and the stories the records belong to."""

    def __init__(self, index: StoryIndex):
        self.index = index
        self.counts: Counter = Counter()  # (source, month, "originals" | "copies") → records
        self.alone = 0  # records whose story has no other article
        self.with_copies: set[str] = set()  # stories with copies the records belong to

    def add(self, source: str, url: str, published_at: str) -> None:
        story_id = self.index.story_of.get(url)
        if story_id is None:
            self.alone += 1
        else:
            self.with_copies.add(story_id)
        self.counts[source, published_at[:7], "copies" if self.index.is_copy(url) else "originals"] += 1

    def summary(self) -> dict[str, Any]:
        """The manifest's ``stories`` section."""
        per_month: dict[str, dict[str, dict[str, int]]] = {}
        for (source, month, kind), count in sorted(self.counts.items()):
            per_month.setdefault(source, {}).setdefault(month, {"originals": 0, "copies": 0})[kind] = count
        copies = sum(count for (_, _, kind), count in self.counts.items() if kind == "copies")
        return {
            "stories": self.alone + len(self.with_copies),
            "stories_with_copies": len(self.with_copies),
            "originals": sum(self.counts.values()) - copies,
            "copies": copies,
            "per_month": per_month,
            "note": "A story is an article and its copies (exact or edited) on any site; its first "
            "publication is the original, the other articles copies. Counted per source and Gregorian "
            "month of the UTC published_at, as the archive grouped the stories when the export was made.",
        }
