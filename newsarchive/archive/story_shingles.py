"""Exact re-measurement of story pairs too close to a threshold, and the shingles it keeps.

A pair whose MinHash estimate is near a threshold (:data:`newsarchive.stories.index.VERIFY_MARGIN`)
is measured on the two texts' shingles. Reading a stored article again and shingling it costs
about 0.8 ms, and the same stored articles come up again and again as candidates (a crawl's
recent articles, a reparse's), so the shingles of the last :data:`SHINGLES_KEPT` articles are
kept while their text and their source's boilerplate among their paragraphs stay the same.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, NamedTuple

import sqlite_utils

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from newsarchive.stories.index import Candidate

#: Articles' shingles kept between measurements (about 10 KB each): few in a crawl, whose
#: worker's memory counts; ``newsarchive reparse`` keeps more
#: (:attr:`StoryShinglesMixin.shingles_kept`, :data:`newsarchive.writer.REPARSE_SHINGLES_KEPT`).
SHINGLES_KEPT = 128


class StoryShingles(NamedTuple):
    """A stored article's shingles and what they depend on: its text (``key``, None when it
    has no signature) and which of its short paragraphs (``blocks``) were its source's
    boilerplate (``standard``)."""

    key: str | None
    blocks: Mapping[str, str]
    standard: list[str]
    hashes: npt.NDArray[np.uint32]


class StoryShinglesMixin:
    """``_overlap_with`` for :func:`newsarchive.stories.index.judge`, with the shingles it keeps."""

    db: sqlite_utils.Database
    #: How many articles' shingles this archive object keeps (:data:`SHINGLES_KEPT` unless set).
    shingles_kept: int | None = None

    if TYPE_CHECKING:

        def _learned(self, source: str, blocks: Mapping[str, str]) -> list[str]: ...

    def _overlap_with(
        self, article_id: str, own: npt.NDArray[np.uint32] | None = None
    ) -> Callable[[Candidate], float]:
        """``measure(candidate)``: the exact overlap of two stored articles' story texts, for
        an estimate too close to a threshold to decide. ``own``: the article's shingles when
        the caller has them (its fingerprint's), else read once at the first measure."""
        from newsarchive.stories.sameness import hashes_overlap

        mine = [own] if own is not None else []

        def measure(other: Candidate) -> float:
            if not mine:
                mine.append(self._story_shingles(article_id).hashes)
            return hashes_overlap(mine[0], self._candidate_shingles(other))

        return measure

    def _candidate_shingles(self, other: Candidate) -> npt.NDArray[np.uint32]:
        """A candidate's shingles, kept (from its own assignment or an earlier measure) while
        its text (``key``) and its source's boilerplate among its paragraphs stay the same: a
        crawl's borderline candidates are mostly its own recent articles, each re-read and
        re-shingled in about 0.8 ms otherwise."""
        kept = self._shingles_kept
        hit = kept.get(other.article_id)
        if (
            hit is not None
            and hit.key == other.key
            and self._learned(other.source, hit.blocks) == hit.standard
        ):
            kept.move_to_end(other.article_id)
            return hit.hashes
        fresh = self._story_shingles(other.article_id)
        self._keep_shingles(other.article_id, fresh)
        return fresh.hashes

    def _keep_shingles(self, article_id: str, shingles: StoryShingles) -> None:
        kept = self._shingles_kept
        kept[article_id] = shingles
        kept.move_to_end(article_id)
        while len(kept) > (SHINGLES_KEPT if self.shingles_kept is None else self.shingles_kept):
            kept.popitem(last=False)

    @functools.cached_property
    def _shingles_kept(self) -> OrderedDict[str, StoryShingles]:
        return OrderedDict()

    def _story_shingles(self, article_id: str) -> StoryShingles:
        """The shingles of a stored article's story text as its fingerprint takes them (its
        source's learned boilerplate left out, unless nothing else would be left)."""
        from newsarchive.stories import MIN_SHINGLES
        from newsarchive.stories.index import text_shingles
        from newsarchive.templates import template_blocks

        source, body, lead, search_body, key = self.db.execute(
            "select source, body, lead, search_body, text_key from articles "
            "left join story_signatures on story_signatures.article_id = articles.id where articles.id = ?",
            [article_id],
        ).fetchone()
        blocks = template_blocks(body or lead or "")
        standard = self._learned(source, blocks)
        hashes = text_shingles(body, lead, search_body, standard)
        if len(hashes) < MIN_SHINGLES and standard:
            hashes = text_shingles(body, lead, search_body)
        return StoryShingles(key, blocks, standard, hashes)
