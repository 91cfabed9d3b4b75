"""Stories: articles that are copies of one another, grouped (pure functions, no SQL).

The same press release or translated report appears on several sites within hours,
re-titled, a paragraph added, another lead. This package says when two texts are the
same story; :mod:`newsarchive.archive.stories` keeps the groups in the archive.

* :mod:`.text`: what a story is judged on (:func:`story_text`) and its Persian-aware
  shingles (:func:`shingles`), taken from the folded search form so that ZWNJ or a space,
  Arabic ي/ك, ``۱۵`` or ``15`` and diacritics never hide a copy;
* :mod:`.sketch`: the MinHash signature of a text (:func:`signature`, datasketch, fixed
  seed), its bytes, its LSH band keys and the similarity two signatures estimate;
* :mod:`.sameness`: :func:`compare` two texts exactly, the kinds of sameness and their
  thresholds;
* :mod:`.grouping`: stories as the connected groups of a list of pairs;
* :mod:`.index`: what the archive's index computes without SQL (an article's fingerprint,
  the candidates of a bucket listing, the pairs they make).
"""

from __future__ import annotations

from newsarchive.stories.grouping import components, group
from newsarchive.stories.sameness import (
    EXACT,
    KINDS,
    NEAR,
    NEAR_THRESHOLD,
    SHARED,
    SHARED_THRESHOLD,
    Sameness,
    compare,
    kind_of,
    overlap,
)
from newsarchive.stories.sketch import (
    BANDS,
    NUM_PERM,
    ROWS,
    SEED,
    Fingerprint,
    band_keys,
    estimate,
    fingerprint,
    signature,
    signature_bytes,
    signature_from_bytes,
)
from newsarchive.stories.text import (
    MIN_SHINGLES,
    SHINGLE_CHARS,
    letters,
    shingle_hashes,
    shingles,
    story_form,
    story_text,
    text_key,
)

__all__ = [
    "BANDS",
    "EXACT",
    "KINDS",
    "MIN_SHINGLES",
    "NEAR",
    "NEAR_THRESHOLD",
    "NUM_PERM",
    "ROWS",
    "SEED",
    "SHARED",
    "SHARED_THRESHOLD",
    "SHINGLE_CHARS",
    "Fingerprint",
    "Sameness",
    "band_keys",
    "compare",
    "components",
    "estimate",
    "fingerprint",
    "group",
    "kind_of",
    "letters",
    "overlap",
    "shingle_hashes",
    "shingles",
    "signature",
    "signature_bytes",
    "signature_from_bytes",
    "story_form",
    "story_text",
    "text_key",
]
