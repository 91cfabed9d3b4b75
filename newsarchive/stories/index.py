"""What the archive's LSH index computes, without SQL: an article's fingerprint, the candidates
a listing of band buckets gives, and the pairs its candidates make.

The archive (:mod:`newsarchive.archive.stories`) stores one row per band key of each
signature. A new article reads, in each of its buckets, the :data:`BUCKET_READ` newest
signatures, and verifies the :data:`MAX_CANDIDATES` that share the most buckets with it.
A rebuild reads every bucket once instead (:func:`bucket_candidates`) and finds the same
candidates: those an article would have found when it was stored, in stored order.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from newsarchive.search import index_text
from newsarchive.stories.sameness import NEAR_THRESHOLD, SHARED_THRESHOLD, kind_of
from newsarchive.stories.sketch import Fingerprint, estimate, fingerprint, values_from_bytes
from newsarchive.stories.text import folded_part, letter_shingles, letters, text_key, without_boilerplate
from newsarchive.templates import template_blocks

#: The newest signatures read from one bucket: a story copied a thousand times needs only
#: some of them to be found, and a look-up stays bounded.
BUCKET_READ = 20
#: Candidates verified per article, those sharing the most buckets first (then the newest).
MAX_CANDIDATES = 50
#: An estimate this close to a threshold is checked on the two texts' shingles: the
#: estimate's error (about 0.05 with 120 permutations) must not decide a pair's kind.
VERIFY_MARGIN = 0.1


def story_form_of(body: str | None, lead: str | None, search_body: str | None) -> str:
    """The folded story text of a stored article (see :func:`newsarchive.stories.story_text`):
    its search column when it has a body (folded when stored), else its lead folded now."""
    if body and search_body:
        return folded_part(search_body)
    return folded_part(index_text(body or lead or ""))


def fingerprint_and_blocks(
    body: str | None, lead: str | None, search_body: str | None, blocks: bool = True
) -> tuple[Fingerprint | None, dict[str, str]]:
    """An article's fingerprint and its short paragraphs (``{key: paragraph}``, see
    :func:`newsarchive.templates.template_blocks`), whose counts say which are boilerplate:
    the part of a story assignment that needs no archive (a rebuild runs it on every core).
    ``blocks`` false: no paragraphs (its source has no boilerplate learned: none would count)."""
    return fingerprint(story_form_of(body, lead, search_body)), template_blocks(
        body or lead or ""
    ) if blocks else {}


def fingerprint_without(
    body: str | None, lead: str | None, search_body: str | None, boilerplate: Iterable[str]
) -> Fingerprint | None:
    """The fingerprint of an article whose ``boilerplate`` paragraphs are left out, keeping the
    exact key of its whole text: two copies of one page stay an exact pair whichever of them
    was stored after its site's count made a paragraph boilerplate."""
    form = story_form_of(body, lead, search_body)
    print_ = fingerprint(without_boilerplate(form, boilerplate))
    return dataclasses.replace(print_, key=text_key(form)) if print_ is not None else None


def text_shingles(
    body: str | None, lead: str | None, search_body: str | None, boilerplate: Iterable[str] = ()
) -> npt.NDArray[np.uint32]:
    """The shingles of a stored article's story text (sorted hashes, as a fingerprint takes
    them: :attr:`Fingerprint.hashes`), ``boilerplate`` paragraphs left out."""
    form = without_boilerplate(story_form_of(body, lead, search_body), boilerplate)
    return letter_shingles(letters(form))


def bucket_candidates(buckets: Iterable[Sequence[int]]) -> dict[int, list[int]]:
    """``{signature: candidates}`` from the signature ids of each bucket (ascending, the
    stored order): in each bucket, the :data:`BUCKET_READ` signatures stored just before;
    the :data:`MAX_CANDIDATES` sharing the most buckets, then the newest, as a store chose them."""
    shared: defaultdict[int, Counter[int]] = defaultdict(Counter)
    for members in buckets:
        for place, signature in enumerate(members):
            shared[signature].update(members[max(0, place - BUCKET_READ) : place])
    return {
        signature: [other for other, _ in sorted(counts.items(), key=lambda item: (-item[1], -item[0]))][
            :MAX_CANDIDATES
        ]
        for signature, counts in shared.items()
    }


@dataclass(frozen=True)
class Candidate:
    """A stored article that shares a bucket with a new one, as the index holds it."""

    article_id: str
    source: str
    story_id: str | None
    minhash: bytes
    shingles: int
    key: str


def judge(
    article_id: str,
    source: str,
    print_: Fingerprint,
    candidates: Iterable[Candidate],
    cutoff: float,
    exactly: Callable[[Candidate], float] | None = None,
) -> tuple[list[tuple[str, str, float, str, int]], list[str]]:
    """The pairs the article makes with its candidates (``story_pairs`` rows: every one at or
    over the shared threshold, with kind and same_site) and the stories it joins (those of the
    candidates at or over ``cutoff``). An estimate within :data:`VERIFY_MARGIN` of a threshold
    is replaced by ``exactly(candidate)``, the overlap of the two texts."""
    pairs, joined = [], []
    for other in candidates:
        exact = other.key == print_.key
        similarity = (
            1.0
            if exact
            else estimate(print_.values, print_.size, values_from_bytes(other.minhash), other.shingles)
        )
        if not exact and exactly is not None and _borderline(similarity, cutoff):
            similarity = exactly(other)
        kind = kind_of(similarity, exact=exact)
        if kind is None:
            continue
        pairs.append((article_id, other.article_id, round(similarity, 4), kind, int(source == other.source)))
        if similarity >= cutoff and other.story_id:
            joined.append(other.story_id)
    return pairs, joined


def _borderline(similarity: float, cutoff: float) -> bool:
    return any(
        abs(similarity - limit) < VERIFY_MARGIN for limit in (SHARED_THRESHOLD, NEAR_THRESHOLD, cutoff)
    )
