"""Kinds of sameness between two story texts, and the thresholds that separate them.

The measure is the *overlap*: the shingles two texts share over the shingles of the
longer one (``|A ∩ B| / max(|A|, |B|)``). A copy with a paragraph added or removed, or
its lead rewritten, keeps most of the longer text; a short brief quoted inside a long
round-up does not (Jaccard would say the same for additions, but punishes a rewritten
lead twice; containment in the shorter text would join a round-up to every brief it
quotes, and through it their stories to one another).

* :data:`EXACT`: the same letters once folded (:func:`newsarchive.stories.text.letters`);
* :data:`NEAR`: a copy, edited: overlap at least :data:`NEAR_THRESHOLD`;
* :data:`SHARED`: a shared source (a quoted release, an agency paragraph): overlap under
  the copy threshold but at least :data:`SHARED_THRESHOLD`.

Only exact and near copies are one story; a shared source is kept as a pair, for a
researcher to see (and to regroup at another cut-off). A site's standard sentences are
never the reason for either: they are left out before comparing (``boilerplate``;
in the archive, the paragraphs its template learning counted in several articles).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from newsarchive.stories.text import MIN_SHINGLES, letters, shingle_hashes, story_form

EXACT = "exact"
NEAR = "near"
SHARED = "shared"
#: The kinds, closest first.
KINDS = (EXACT, NEAR, SHARED)
#: The least overlap of a copy (one story). On the labelled set (``tests/stories_labelled.py``)
#: the pairs that only share a copying site's boilerplate reach 0.50 (short agency reports
#: wrapped in a site's opening and closing lines), and 98.7 % of the copies are over 0.55.
NEAR_THRESHOLD = 0.55
#: The least overlap of a shared source (kept as a pair, not one story).
SHARED_THRESHOLD = 0.15


@dataclass(frozen=True)
class Sameness:
    """How alike two texts are: a kind (None: not alike) and the overlap, 0 to 1."""

    kind: str | None
    similarity: float


def overlap(a: set[int], b: set[int]) -> float:
    """Shared shingles over the shingles of the larger set (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / max(len(a), len(b))


def hashes_overlap(a: npt.NDArray[np.uint32], b: npt.NDArray[np.uint32]) -> float:
    """:func:`overlap` of two texts' shingles as :func:`~newsarchive.stories.text.shingle_hashes`
    gives them (sorted, distinct): a few times faster than building two sets."""
    if not len(a) or not len(b):
        return 0.0
    return len(np.intersect1d(a, b, assume_unique=True)) / max(len(a), len(b))


def kind_of(similarity: float, *, exact: bool = False) -> str | None:
    """The kind a similarity makes (``exact``: the letters are equal)."""
    if exact:
        return EXACT
    if similarity >= NEAR_THRESHOLD:
        return NEAR
    if similarity >= SHARED_THRESHOLD:
        return SHARED
    return None


def compare(text_a: str | None, text_b: str | None, *, boilerplate: Iterable[str] = ()) -> Sameness:
    """How alike two display texts are, exactly (every shingle, no estimate).

    ``boilerplate`` paragraphs (a site's standard sentences) are left out of both first.
    A text of fewer than :data:`~newsarchive.stories.text.MIN_SHINGLES` shingles is too
    short to be anyone's copy: ``Sameness(None, 0.0)``, as the archive treats it.
    """
    paragraphs = list(boilerplate)
    form_a, form_b = story_form(text_a, paragraphs), story_form(text_b, paragraphs)
    hashes_a, hashes_b = shingle_hashes(form_a), shingle_hashes(form_b)
    if min(len(hashes_a), len(hashes_b)) < MIN_SHINGLES:
        return Sameness(None, 0.0)
    if letters(form_a) == letters(form_b):
        return Sameness(EXACT, 1.0)
    similarity = hashes_overlap(hashes_a, hashes_b)
    return Sameness(kind_of(similarity), round(similarity, 4))
