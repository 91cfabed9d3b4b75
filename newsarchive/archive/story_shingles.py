"""Exact re-measurement of story pairs too close to a threshold, and the shingles it keeps.

A pair whose MinHash estimate is near a threshold (:data:`newsarchive.stories.index.VERIFY_MARGIN`)
is measured on the two texts' shingles. Reading a stored article again and shingling it costs
about 0.6 ms, and the same stored articles come up again and again as candidates (a crawl's
articles, a reparse's): on the benchmark's 2,000 generated pages an article has five
borderline candidates, spread over every article stored before it. So the shingles of every
article assigned or measured are kept, up to :data:`SHINGLES_KEPT`, while their text and their
source's boilerplate among their paragraphs stay the same: on disk, in a private temporary
SQLite database (about 13 KB each; a read takes some 20 µs), not in the worker's memory.
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

import sqlite_utils

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from newsarchive.stories.index import Candidate

logger = logging.getLogger(__name__)

#: Articles whose shingles are kept between measurements (the oldest kept go first): at
#: about 13 KB each, at most some 260 MB of temporary disk, none of it in memory.
SHINGLES_KEPT = 20_000
#: Kept shingles beyond :data:`SHINGLES_KEPT` are deleted once per this many keeps.
_EVICT_EVERY = 256


class StoryShingles(NamedTuple):
    """A stored article's shingles and what they depend on: its text (``key``, None when it
    has no signature) and which of its short paragraphs (their keys: ``blocks``) were its
    source's boilerplate (``standard``, keys too)."""

    key: str | None
    blocks: tuple[str, ...]
    standard: tuple[str, ...]
    hashes: npt.NDArray[np.uint32]


class KeptShingles:
    """Articles' :class:`StoryShingles` by article id, in a temporary database of their own
    (deleted when closed or when the process ends). A failing temporary disk only makes the
    measurements slower: it is logged once and nothing more is kept."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._conn: sqlite3.Connection | None = None
        self._failed = False

    def get(self, article_id: str) -> StoryShingles | None:
        conn = self._connection()
        if conn is None:
            return None
        try:
            row = conn.execute(
                "select key, blocks, standard, hashes from kept where article_id = ?", [article_id]
            ).fetchone()
        except sqlite3.Error as error:
            self._fail(error)
            return None
        if row is None:
            return None
        import numpy as np

        key, blocks, standard, hashes = row
        return StoryShingles(
            key,
            tuple(json.loads(blocks)),
            tuple(json.loads(standard)),
            np.frombuffer(hashes, dtype=np.uint32),
        )

    def put(self, article_id: str, shingles: StoryShingles) -> None:
        conn = self._connection() if self.limit > 0 else None
        if conn is None:
            return
        try:
            newest = conn.execute(
                "insert or replace into kept (article_id, key, blocks, standard, hashes) values (?, ?, ?, ?, ?)",
                [
                    article_id,
                    shingles.key,
                    json.dumps(shingles.blocks),
                    json.dumps(shingles.standard),
                    shingles.hashes.astype("=u4", copy=False).tobytes(),
                ],
            ).lastrowid
            if (
                newest is not None
                and newest > self.limit
                and (newest % _EVICT_EVERY == 0 or self.limit < _EVICT_EVERY)
            ):
                conn.execute("delete from kept where rowid <= ?", [newest - self.limit])
        except sqlite3.Error as error:
            self._fail(error)

    def __len__(self) -> int:
        conn = self._connection()
        return 0 if conn is None else int(conn.execute("select count(*) from kept").fetchone()[0])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> sqlite3.Connection | None:
        if self._conn is None and not self._failed:
            try:
                # "": a private database in a temporary file, gone when its connection closes.
                conn = sqlite3.connect("", check_same_thread=False, isolation_level=None)
                conn.execute("pragma journal_mode = off")
                conn.execute("pragma synchronous = off")
                conn.execute(
                    "create table kept (article_id text primary key, key text, blocks text, "
                    "standard text, hashes blob not null)"
                )
            except sqlite3.Error as error:
                self._fail(error)
                return None
            self._conn = conn
        return self._conn

    def _fail(self, error: sqlite3.Error) -> None:
        logger.warning("story shingles are no longer kept between measurements: %s", error)
        self._failed = True
        self.close()


class StoryShinglesMixin:
    """``_overlap_with`` for :func:`newsarchive.stories.index.judge`, with the shingles it keeps."""

    db: sqlite_utils.Database

    if TYPE_CHECKING:

        def _learned_keys(self, source: str, keys: Iterable[str]) -> list[str]: ...

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
        its text (``key``) and its source's boilerplate among its paragraphs stay the same."""
        hit = self._shingles_kept.get(other.article_id)
        if (
            hit is not None
            and hit.key == other.key
            and self._learned_keys(other.source, hit.blocks) == list(hit.standard)
        ):
            return hit.hashes
        fresh = self._story_shingles(other.article_id)
        self._shingles_kept.put(other.article_id, fresh)
        return fresh.hashes

    @functools.cached_property
    def _shingles_kept(self) -> KeptShingles:
        return KeptShingles(SHINGLES_KEPT)

    def _close_kept_shingles(self) -> None:
        kept = self.__dict__.get("_shingles_kept")
        if kept is not None:
            kept.close()

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
        standard = self._learned_keys(source, blocks)
        paragraphs = [blocks[block] for block in standard]
        hashes = text_shingles(body, lead, search_body, paragraphs)
        if len(hashes) < MIN_SHINGLES and paragraphs:
            hashes = text_shingles(body, lead, search_body)
        return StoryShingles(key, tuple(blocks), tuple(standard), hashes)
