"""Stories in the archive: every article's ``story_id``, the ``stories`` table and the pairs.

An article joins a story in the transaction that stores it (:meth:`StoriesMixin._assign_story`,
called by ``store_article`` and ``bulk_insert``), never in a later pass over the archive:

1. its story text (:func:`newsarchive.stories.story_text`) in the folded search form, the
   source's standard paragraphs left out (``template_blocks`` counted in at least
   :data:`BOILERPLATE_ARTICLES` of its articles), gives a MinHash fingerprint;
2. the LSH index finds the candidates: ``story_bands`` holds one row per band key of each
   signature (``story_signatures``) and per key of its longest sentences (a quoted
   release), so a look-up is some 45 primary-key reads whatever the archive's size, and
   the index lives on disk, not in memory;
3. each candidate's similarity is estimated from the two signatures (or 1.0 for the same
   letters); every pair at or over :data:`~newsarchive.stories.SHARED_THRESHOLD` is kept in
   ``story_pairs`` with its kind, and ``same_site`` when both are of one source;
4. the article joins the stories of the candidates at or over the archive's cut-off
   (:data:`~newsarchive.stories.NEAR_THRESHOLD` unless :meth:`regroup_stories` chose
   another); when it links two stories they merge into the older. A story's id is the id
   of its first stored article (:func:`newsarchive.stories.group`).

Deleting an article (:mod:`.deletion`) or changing its text takes it out of its pairs,
the index and its story, which splits when the article was the only link between parts.

:mod:`newsarchive.stories` (numpy) is imported by the methods that compute, not here:
opening an archive to read it loads neither numpy nor the stories library.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import sqlite_utils

from newsarchive.archive.queries import Names, _checked_limit, filter_clauses, reader_filter
from newsarchive.archive.schema import utc_now
from newsarchive.archive.story_shingles import StoryShingles, StoryShinglesMixin
from newsarchive.archive.vocabulary import check_names
from newsarchive.templates import DEFAULT_MIN_ARTICLES

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from newsarchive.archive import Archive
    from newsarchive.stories import Fingerprint

#: Columns a story's row is made of (its title, first and latest publication, sources).
STORY_METADATA = frozenset({"title", "published_at", "source"})
#: A short paragraph counted in this many articles of a source is its boilerplate here: the
#: count at which the crawl's template learning removes it (an article's own paragraphs are
#: counted again by each AMP or print copy of it on the same site).
BOILERPLATE_ARTICLES = DEFAULT_MIN_ARTICLES
_CUTOFF_SETTING = "story_cutoff"

#: One row per story from its members: ``{members}`` is the clause choosing the articles.
_SUMMARY_SQL = """
with members as (
    select story_id, id, title, source, published_at, first_seen_at,
        row_number() over (partition by story_id order by published_at, rowid) as place
    from articles where {members}
)
insert or replace into stories (id, title, first_published_at, first_source, first_article_id,
    first_seen_at, last_published_at, sources, article_count, updated_at)
select story_id,
    max(case when place = 1 then title end),
    min(published_at),
    max(case when place = 1 then source end),
    max(case when place = 1 then id end),
    min(first_seen_at),
    max(published_at),
    (select json_group_array(source) from (
        select source from articles as others where others.story_id = members.story_id
        group by source order by min(published_at), source)),
    count(*),
    :now
from members group by story_id
"""
#: The row of a story of one article (the same values :data:`_SUMMARY_SQL` gives, cheaper).
_SINGLE_SQL = """
insert or replace into stories (id, title, first_published_at, first_source, first_article_id,
    first_seen_at, last_published_at, sources, article_count, updated_at)
select id, title, published_at, source, id, first_seen_at, published_at, json_array(source), 1, :now
from articles where id = :id
"""
#: The members of the stories named in ``:ids`` (a JSON list), read through the story_id index.
_SOME_STORIES = "story_id in (select value from json_each(:ids))"

_STORY_COLUMNS = (
    "stories.id, stories.title, stories.first_published_at, stories.first_source, "
    "firsts.url as first_url, stories.first_article_id, stories.first_seen_at, "
    "stories.last_published_at, stories.sources, stories.article_count, stories.updated_at"
)


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


@functools.cache
def _candidates_sql(bands: int) -> str:
    """The signatures sharing one of ``bands`` band keys with an article, as
    :mod:`newsarchive.stories.index` chooses them (the newest of each bucket, then those
    sharing the most)."""
    from newsarchive.stories.index import BUCKET_READ, MAX_CANDIDATES

    buckets = " union all ".join(
        "select * from (select signature_id from story_bands where bucket = ? "
        f"order by signature_id desc limit {BUCKET_READ})"
        for _ in range(bands)
    )
    return (
        f"select signature_id from ({buckets}) group by signature_id "
        f"order by count(*) desc, signature_id desc limit {MAX_CANDIDATES}"
    )


#: The candidates' rows (:class:`newsarchive.stories.index.Candidate`) for ``{marks}`` signature ids.
_CANDIDATE_ROWS = (
    "select articles.id, articles.source, articles.story_id, minhash, shingles, text_key "
    "from story_signatures join articles on articles.id = story_signatures.article_id "
    "where story_signatures.id in ({marks})"
)
_PAIR_INSERT = "insert or replace into story_pairs (article_id, other_id, similarity, kind, same_site) values (?, ?, ?, ?, ?)"


def _group(order: Sequence[str], pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    from newsarchive.stories import group

    return group(order, pairs)


def _story_record(row: Mapping[str, Any]) -> dict[str, Any]:
    record = dict(row)
    record["sources"] = json.loads(record["sources"] or "[]")
    return record


class StoriesMixin(StoryShinglesMixin):
    """Story assignment inside a store's transaction, and reading, regrouping and rebuilding stories."""

    db: sqlite_utils.Database

    if TYPE_CHECKING:

        def write(self) -> AbstractContextManager[None]: ...

    # --- assignment (inside the caller's transaction) ------------------------

    def story_cutoff(self) -> float:
        """The similarity at which two articles are one story in this archive."""
        from newsarchive.stories import NEAR_THRESHOLD

        row = self.db.execute("select value from story_settings where name = ?", [_CUTOFF_SETTING]).fetchone()
        return float(row[0]) if row else NEAR_THRESHOLD

    def _assign_story(self, article: Mapping[str, Any], search_body: str | None = None) -> str:
        """Give the stored article ``article`` (its row's values: ``id``, ``source``, ``body``,
        ``lead``) its story, pairs and index rows; returns its story id. ``search_body`` is the
        row's search column when the caller has it (the body is then not folded again)."""
        from newsarchive.stories.index import fingerprint_and_blocks

        body, lead = article.get("body"), article.get("lead")
        print_, blocks = fingerprint_and_blocks(body, lead, search_body)
        standard = self._learned_keys(article["source"], blocks)
        print_ = self._without_boilerplate(
            print_, [blocks[key] for key in standard], (body, lead, search_body)
        )
        joined: list[str] = []
        if print_ is not None:
            if print_.hashes is not None:  # the next articles' candidate, likely: its shingles are at hand
                kept = StoryShingles(print_.key, tuple(blocks), tuple(standard), print_.hashes)
                self._shingles_kept.put(article["id"], kept)
            joined = self._index_and_pair(article["id"], article["source"], print_)
        return self._join_stories(article["id"], joined)

    def _without_boilerplate(
        self,
        print_: Fingerprint | None,
        standard: list[str],
        texts: tuple[str | None, str | None, str | None],
    ) -> Fingerprint | None:
        """The fingerprint again without the short paragraphs (``standard``) that the source's
        template learning counted in at least :data:`BOILERPLATE_ARTICLES` articles (see
        :meth:`_learned_keys`; ``texts``: body, lead, search column); else ``print_``, as when
        nothing else would be left (a page stored again and again under other URLs is not
        its own boilerplate)."""
        if not standard:
            return print_
        from newsarchive.stories.index import fingerprint_without

        return fingerprint_without(*texts, standard) or print_

    def _learned_keys(self, source: str, keys: Iterable[str]) -> list[str]:
        """The keys among ``keys`` (of short paragraphs, see :func:`newsarchive.templates.block_key`)
        that ``source``'s template learning counted in at least :data:`BOILERPLATE_ARTICLES`
        articles, in key order."""
        keys = list(keys)
        if not keys:
            return []
        rows = self.db.execute(
            f"select block from template_blocks where source = ? and articles >= ? and block in ({_marks(keys)}) "
            "order by block",
            [source, BOILERPLATE_ARTICLES, *keys],
        ).fetchall()
        return [key for (key,) in rows]

    def _index_and_pair(self, article_id: str, source: str, print_: Fingerprint) -> list[str]:
        """Index the fingerprint, keep the article's pairs; returns the stories it joins."""
        from newsarchive.stories.index import Candidate, judge

        conn = self.db.conn
        keys = print_.lookups
        chosen = [row[0] for row in conn.execute(_candidates_sql(len(keys)), keys)]
        signature_id = conn.execute(
            "insert into story_signatures (article_id, minhash, shingles, text_key) values (?, ?, ?, ?)",
            [article_id, print_.minhash, print_.size, print_.key],
        ).lastrowid
        conn.executemany(
            "insert or ignore into story_bands (bucket, signature_id) values (?, ?)",
            [(bucket, signature_id) for bucket in keys],
        )
        if not chosen:
            return []
        candidates = [
            Candidate(*row) for row in conn.execute(_CANDIDATE_ROWS.format(marks=_marks(chosen)), chosen)
        ]
        pairs, joined = judge(
            article_id,
            source,
            print_,
            candidates,
            self.story_cutoff(),
            self._overlap_with(article_id, print_.hashes),
        )
        conn.executemany(_PAIR_INSERT, pairs)
        return joined

    def _join_stories(self, article_id: str, stories: Iterable[str]) -> str:
        """Put the article in the oldest of ``stories`` (its own when none), merging the others
        into it; returns the story id."""
        stories = list(dict.fromkeys(stories))
        story = article_id
        if stories:
            oldest_first = [
                row[0]
                for row in self.db.execute(
                    f"select id from articles where id in ({_marks(stories)}) order by rowid", stories
                )
            ]
            story, merged = oldest_first[0], oldest_first[1:]
            if merged:
                self.db.execute(
                    f"update articles set story_id = ? where story_id in ({_marks(merged)})", [story, *merged]
                )
                self.db.execute(f"delete from stories where id in ({_marks(merged)})", merged)
        self.db.execute("update articles set story_id = ? where id = ?", [story, article_id])
        if story == article_id:  # a story of its own: its row is the article's
            self.db.execute(_SINGLE_SQL, {"id": article_id, "now": utc_now()})
        else:
            self._summarize_stories([story])
        return story

    def _summarize_stories(self, ids: Sequence[str] | None) -> None:
        """Write the ``stories`` rows of ``ids`` from their members (all stories: None); a story
        left without members loses its row."""
        if ids is None:
            self.db.execute(_SUMMARY_SQL.format(members="story_id is not null"), {"now": utc_now()})
            return
        self.db.execute(
            _SUMMARY_SQL.format(members=_SOME_STORIES), {"ids": json.dumps(list(ids)), "now": utc_now()}
        )
        if ids:
            self.db.execute(
                f"delete from stories where id in ({_marks(ids)}) "
                "and not exists (select 1 from articles where articles.story_id = stories.id)",
                list(ids),
            )

    def _leave_story(self, article_id: str) -> None:
        """Take an article out of the index, its pairs and its story (before its row is deleted
        or its text re-assigned); the rest of the story is regrouped without it."""
        from newsarchive.stories.sketch import lookups_from_bytes

        row = self.db.execute("select story_id from articles where id = ?", [article_id]).fetchone()
        signature = self.db.execute(
            "select id, minhash from story_signatures where article_id = ?", [article_id]
        ).fetchone()
        if signature is not None:
            signature_id, minhash = signature
            buckets = lookups_from_bytes(minhash)
            self.db.execute(
                f"delete from story_bands where signature_id = ? and bucket in ({_marks(buckets)})",
                [signature_id, *buckets],
            )
            self.db.execute("delete from story_signatures where id = ?", [signature_id])
        self.db.execute(
            "delete from story_pairs where article_id = ? or other_id = ?", [article_id, article_id]
        )
        self.db.execute("update articles set story_id = null where id = ?", [article_id])
        if row is not None and row[0]:
            self._regroup_story(row[0])

    def _regroup_story(self, story_id: str) -> None:
        """Split a story into the groups its members' pairs still join (after one left)."""
        members = [
            row[0]
            for row in self.db.execute(
                "select id from articles where story_id = ? order by rowid", [story_id]
            )
        ]
        pairs = self.db.execute(
            "select story_pairs.article_id, story_pairs.other_id from story_pairs "
            "join articles on articles.id = story_pairs.article_id "
            "where articles.story_id = ? and story_pairs.similarity >= ?",
            [story_id, self.story_cutoff()],
        ).fetchall()
        groups = _group(members, pairs)
        moved = [(new, member) for member, new in groups.items() if new != story_id]
        self.db.conn.executemany("update articles set story_id = ? where id = ?", moved)
        self._summarize_stories(sorted({story_id, *groups.values()}))

    def _follow_story(self, existing: Mapping[str, Any], changes: Mapping[str, Any]) -> None:
        """Keep an updated article's story true: assigned again when its story text changed
        (or it has none yet), its story's row rewritten when its title, date or source did."""
        from newsarchive.stories import story_text

        updated = {**existing, **changes}
        if existing.get("story_id") is None or story_text(updated) != story_text(existing):
            self._leave_story(existing["id"])
            self._assign_story(updated, changes.get("search_body"))
        elif STORY_METADATA & changes.keys():
            self._summarize_stories([existing["story_id"]])

    # --- reading ---------------------------------------------------------------

    def stories(
        self,
        *,
        source: Names = None,
        since: str | None = None,
        until: str | None = None,
        min_articles: int = 1,
        limit: int = 20,
    ) -> list[dict[str, Any]]:
        """Stories, the latest publication first, as plain dicts (``sources`` a list).

        A story is listed when one of its articles matches ``source`` (a name or several)
        and ``since``/``until`` (days, Gregorian or Jalali, both included, as in
        :meth:`articles`), and it has at least ``min_articles`` articles. An unknown source
        raises :class:`~newsarchive.archive.vocabulary.UnknownNames`; a bad day
        :class:`~newsarchive.search.QueryError`; a ``limit`` below 1 a ``ValueError``.
        """
        filters = reader_filter(sources=source, since=since, until=until)
        check_names(cast("Archive", self), sources=filters.sources)
        clauses, params = filter_clauses(filters)
        where = ["stories.article_count >= :min_articles"]
        if clauses:
            where.append(
                "exists (select 1 from articles where articles.story_id = stories.id and "
                + " and ".join(clauses)
                + ")"
            )
        params.update(min_articles=int(min_articles), limit=_checked_limit(limit))
        sql = (
            f"select {_STORY_COLUMNS} from stories left join articles as firsts on firsts.id = stories.first_article_id "
            f"where {' and '.join(where)} order by stories.last_published_at desc, stories.id desc limit :limit"
        )
        return [_story_record(row) for row in self.db.query(sql, params)]

    def story(self, story_id: str) -> dict[str, Any] | None:
        """One story with its ``articles`` in publication order: ``id, url, source, title,
        published_at``, and ``kind``/``similarity`` against the story's first article (None
        for the first itself, and for an article joined through others)."""
        row = next(
            iter(
                self.db.query(
                    f"select {_STORY_COLUMNS} from stories left join articles as firsts "
                    "on firsts.id = stories.first_article_id where stories.id = ?",
                    [story_id],
                )
            ),
            None,
        )
        if row is None:
            return None
        story = _story_record(row)
        story["articles"] = list(
            self.db.query(
                "select articles.id, url, source, title, published_at, pairs.kind, pairs.similarity "
                "from articles left join story_pairs as pairs on "
                "(pairs.article_id = articles.id and pairs.other_id = :first) or "
                "(pairs.other_id = articles.id and pairs.article_id = :first) "
                "where articles.story_id = :story order by published_at, articles.rowid",
                {"story": story_id, "first": story["first_article_id"]},
            )
        )
        return story

    # --- regrouping and rebuilding -------------------------------------------------

    def regroup_stories(self, threshold: float) -> dict[str, Any]:
        """Group the articles again from the kept pairs alone (no text is read), joining those
        at or over ``threshold``, in one transaction; later stores use the same cut-off.

        ``threshold`` goes from :data:`~newsarchive.stories.SHARED_THRESHOLD` (pairs under
        it are not kept) to 1; anything else raises ``ValueError``. Returns ``threshold``,
        ``articles``, ``stories`` and ``moved`` (articles whose story changed).
        """
        from newsarchive.stories import SHARED_THRESHOLD

        if not SHARED_THRESHOLD <= float(threshold) <= 1:
            raise ValueError(
                f"threshold must be between {SHARED_THRESHOLD} (the least similarity kept) and 1 (got {threshold})"
            )
        with self.write():
            report = self._regroup(float(threshold))
            self.db.execute(
                "insert or replace into story_settings (name, value) values (?, ?)",
                [_CUTOFF_SETTING, str(float(threshold))],
            )
        return {"threshold": float(threshold), **report}

    def _regroup(self, threshold: float) -> dict[str, int]:
        """Every article's story from the pairs at or over ``threshold``, and every story's row
        (inside the caller's transaction); returns ``articles``, ``stories`` and ``moved``.
        Only the articles in such pairs are held in memory, by rowid."""
        from newsarchive.stories import components

        roots = components(
            self.db.execute(
                "select one.rowid, other.rowid from story_pairs join articles as one on one.id = article_id "
                "join articles as other on other.id = other_id where similarity >= ?",
                [threshold],
            )
        )
        first_ids = dict(
            self.db.execute(
                "select rowid, id from articles where rowid in (select value from json_each(?))",
                [json.dumps(sorted(set(roots.values())))],
            )
        )
        moved, articles = [], 0
        for rowid, article_id, story_id in self.db.execute("select rowid, id, story_id from articles"):
            articles += 1
            story = first_ids[roots[rowid]] if rowid in roots else article_id
            if story != story_id:
                moved.append((story, rowid))
        self.db.conn.executemany("update articles set story_id = ? where rowid = ?", moved)
        self.db.execute("delete from stories")
        self._summarize_stories(None)
        count = self.db.execute("select count(*) from stories").fetchone()[0]
        return {"articles": articles, "stories": count, "moved": len(moved)}

    def rebuild_stories(
        self, progress: Callable[[int, int], None] | None = None, *, workers: int | None = None
    ) -> dict[str, Any]:
        """Compute every article's story from its stored text, as the incremental assignment
        would have in stored order (an archive made before stories, or after a change of the
        shingles or signatures), in one transaction. Fingerprints are computed on ``workers``
        cores (default: every core this process may use); ``progress(done, total)`` follows
        them. Returns ``articles``, ``stories`` and ``pairs``
        (see :mod:`newsarchive.archive.stories_rebuild`)."""
        from newsarchive.archive.stories_rebuild import rebuild_index

        with self.write():
            pairs = rebuild_index(
                self.db, self.story_cutoff(), BOILERPLATE_ARTICLES, progress, workers, self._overlap_with
            )
            report = self._regroup(self.story_cutoff())
        return {"articles": report["articles"], "stories": report["stories"], "pairs": pairs}
