"""Rebuilding the stories index of a whole archive in three passes (``rebuild_stories``).

Assigning one article at a time costs a rebuild of a million articles 40 million random
B-tree reads and writes. The same result comes cheaper in passes, inside the caller's
transaction:

1. every article's fingerprint, in stored order, on every core (the page workers of
   :mod:`newsarchive.workers`; the short paragraphs that the source's template learning
   counted often enough are left out, as :meth:`StoriesMixin._assign_story` does), its
   signature row, and its band keys gathered in a temporary table, then written to
   ``story_bands`` in key order (appending to the B-tree, not seeking in it);
2. the buckets holding more than one signature, read once in key order: each signature's
   candidates are those a store would have read then
   (:func:`newsarchive.stories.index.bucket_candidates`);
3. the candidates judged as a store judges them (:func:`newsarchive.stories.index.judge`),
   their pairs written; the caller then groups the articles from the pairs.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterator
from functools import partial
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import sqlite_utils

if TYPE_CHECKING:
    from newsarchive.stories.index import Candidate

#: Articles read (and fingerprinted) per step of the first pass.
BATCH = 2000
#: Signatures judged per step of the third pass.
JUDGED = 1000


def rebuild_index(
    db: sqlite_utils.Database,
    cutoff: float,
    boilerplate_articles: int,
    progress: Callable[[int, int], None] | None,
    workers: int | None,
    overlap_with: Callable[[str], Callable[[Candidate], float]],
) -> int:
    """Empty the stories tables and fill the index and ``story_pairs`` from every stored
    article (``overlap_with(article id)(candidate)`` measures a borderline pair exactly, as a store
    does); returns the pairs written. ``articles.story_id`` is left for the caller to
    regroup: an update rewrites a whole row, body and all, so only the articles whose
    story changed are written."""
    for table in ("story_pairs", "story_bands", "story_signatures", "stories"):
        db.execute(f"delete from {table}")
    _index_signatures(db, boilerplate_articles, progress, workers)
    candidates = _candidates(db)
    return _judge_all(db, candidates, cutoff, overlap_with)


def _index_signatures(
    db: sqlite_utils.Database,
    boilerplate_articles: int,
    progress: Callable[[int, int], None] | None,
    workers: int | None,
) -> None:
    """Pass 1: signatures in stored order, then their band keys in key order."""
    from newsarchive.stories.index import fingerprint_and_blocks, fingerprint_without
    from newsarchive.workers import in_order, page_reader

    learned = set(
        db.execute("select source, block from template_blocks where articles >= ?", [boilerplate_articles])
    )
    learning = {source for source, _ in learned}  # the others' paragraphs need no look-up
    reader = page_reader(workers if workers is not None else len(os.sched_getaffinity(0)))
    total = db.execute("select count(*) from articles").fetchone()[0]
    db.execute("create temp table rebuilt_bands (bucket integer, signature_id integer)")
    done, signature_id = 0, 0
    for rows in _article_batches(db):
        calls = [
            partial(fingerprint_and_blocks, body, lead, search, source in learning)
            for _, source, body, lead, search in rows
        ]
        signatures, bands = [], []
        for (article_id, source, body, lead, search), (print_, blocks) in zip(
            rows, in_order(reader, calls), strict=True
        ):
            standard = [text for key, text in blocks.items() if (source, key) in learned]
            if standard:
                print_ = fingerprint_without(body, lead, search, standard) or print_
            if print_ is None:
                continue
            signature_id += 1
            signatures.append((signature_id, article_id, print_.minhash, print_.size, print_.key))
            bands += [(bucket, signature_id) for bucket in print_.lookups]
        db.conn.executemany(
            "insert into story_signatures (id, article_id, minhash, shingles, text_key) values (?, ?, ?, ?, ?)",
            signatures,
        )
        db.conn.executemany("insert into rebuilt_bands (bucket, signature_id) values (?, ?)", bands)
        done += len(rows)
        if progress:
            progress(done, total)
    db.execute(
        "insert or ignore into story_bands (bucket, signature_id) "
        "select bucket, signature_id from rebuilt_bands order by bucket, signature_id"
    )
    db.execute("drop table temp.rebuilt_bands")


def _article_batches(db: sqlite_utils.Database) -> Iterator[list[tuple[Any, ...]]]:
    """``(id, source, body, lead, search_body)`` of every article in stored order, in batches."""
    last = -1
    while rows := db.execute(
        "select rowid, id, source, body, lead, search_body from articles where rowid > ? order by rowid limit ?",
        [last, BATCH],
    ).fetchall():
        last = rows[-1][0]
        yield [row[1:] for row in rows]


def _candidates(db: sqlite_utils.Database) -> dict[int, list[int]]:
    """Pass 2: each signature's candidates, from the buckets that hold more than one."""
    from newsarchive.stories.index import bucket_candidates

    shared = db.execute(
        "select bucket, signature_id from story_bands where bucket in "
        "(select bucket from story_bands group by bucket having count(*) > 1) order by bucket, signature_id"
    )
    return bucket_candidates(
        [signature for _, signature in members] for _, members in itertools.groupby(shared, key=itemgetter(0))
    )


def _judge_all(
    db: sqlite_utils.Database,
    candidates: dict[int, list[int]],
    cutoff: float,
    overlap_with: Callable[[str], Callable[[Candidate], float]],
) -> int:
    """Pass 3: the pairs of every signature with its candidates; returns how many were kept."""
    from newsarchive.stories.index import Candidate, judge
    from newsarchive.stories.sketch import Fingerprint, values_from_bytes

    kept = 0
    signatures = sorted(candidates)
    for start in range(0, len(signatures), JUDGED):
        chunk = signatures[start : start + JUDGED]
        wanted = set(chunk).union(*(candidates[signature] for signature in chunk))
        rows = {
            signature: Candidate(article_id, source, None, minhash, shingles, key)
            for signature, article_id, source, minhash, shingles, key in db.execute(
                "select story_signatures.id, article_id, articles.source, minhash, shingles, text_key "
                "from story_signatures join articles on articles.id = story_signatures.article_id "
                "where story_signatures.id in (select value from json_each(?))",
                [json.dumps(sorted(wanted))],
            )
        }
        for signature in chunk:
            own = rows[signature]
            print_ = Fingerprint(values_from_bytes(own.minhash), own.shingles, own.key)
            others = [rows[other] for other in candidates[signature]]
            pairs, _ = judge(own.article_id, own.source, print_, others, cutoff, overlap_with(own.article_id))
            db.conn.executemany(
                "insert or replace into story_pairs (article_id, other_id, similarity, kind, same_site) "
                "values (?, ?, ?, ?, ?)",
                pairs,
            )
            kept += len(pairs)
    return kept
