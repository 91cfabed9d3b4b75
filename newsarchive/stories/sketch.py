"""MinHash signatures of story texts, their bytes, their LSH bands and what two of them estimate.

A signature is a datasketch :class:`~datasketch.MinHash` (scheme ``affine32``, fixed
seed and permutations), so signatures made by different processes and runs compare.
Its values are computed here with numpy alone, with datasketch's own arithmetic (its
permutations drawn from ``RandomState(SEED)``, MurmurHash3's finalizer, then
``a * h + b`` modulo 2**32 per permutation; ``tests/test_stories.py`` checks them against
``MinHash.update_batch``): importing datasketch loads SciPy and redis (0.6 s and 60 MB
in every crawl process), and ``update_batch`` calls a Python function per shingle,
which cost four times the rest. :func:`signature` hands back a real ``MinHash``.

The archive finds candidate copies by locality-sensitive hashing: the signature is cut
into :data:`BANDS` bands of :data:`ROWS` values, and two texts whose signatures agree on
a whole band share that band's key (:func:`band_keys`). Two texts with a Jaccard
similarity J share some band with probability ``1 - (1 - J**3)**40``: 0.995 at J = 0.5,
0.93 at 0.4, and 0.001 at 0.05 (two unrelated reports of one topic). Texts sharing less
(a quoted release in two different reports) are found through their longest sentences
(:func:`newsarchive.stories.text.sentence_keys`), which the index holds beside the bands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from newsarchive.stories.text import (
    MIN_SHINGLES,
    letter_shingles,
    letters_and_sentences,
    letters_key,
    sentence_keys,
    shingle_hashes,
    story_form,
)

if TYPE_CHECKING:
    from datasketch import LeanMinHash, MinHash

#: Permutations per signature: :data:`BANDS` bands of :data:`ROWS` values.
BANDS = 40
ROWS = 3
NUM_PERM = BANDS * ROWS
#: The seed of the permutations: changing it (or the shingles) needs ``rebuild_stories``.
SEED = 23
_SCHEME = "affine32"


def _permutations() -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """The ``(a, b)`` of datasketch's ``affine32`` permutations for :data:`SEED`, drawn as it
    draws them (``a`` odd, so each permutation is a bijection)."""
    generator = np.random.RandomState(SEED)
    low = generator.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    high = generator.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return low, high


_PERMUTATIONS = _permutations()
#: Shingles per step of :func:`minhash_values`: a 256 x 120 table of 32-bit values (120 KB)
#: stays in the CPU's cache and under malloc's mmap threshold (128 KB); 1,024 at a time cost
#: three times as much in a store, each table's pages mapped and zeroed by the kernel.
_CHUNK = 256
_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)


def _fmix32(values: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before its permutations."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def minhash_values(hashes: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """The MinHash values of shingle hashes: what ``MinHash.update_batch`` gives for them."""
    low, high = _PERMUTATIONS
    values = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)
    mixed = _fmix32(hashes.astype(np.uint32))
    for start in range(0, len(mixed), _CHUNK):
        chunk = np.outer(low, mixed[start : start + _CHUNK]) + high[:, None]
        np.minimum(values, chunk.min(axis=1), out=values)
    return values


def signature(text: str) -> MinHash:
    """The MinHash of a display text's shingles (see :mod:`newsarchive.stories.text`)."""
    from datasketch import MinHash  # loaded on first use (see the module docstring)

    values = minhash_values(shingle_hashes(story_form(text)))
    return MinHash(seed=SEED, hashvalues=values, permutations=_PERMUTATIONS, scheme=_SCHEME)


def signature_bytes(sig: MinHash) -> bytes:
    """A signature as ``NUM_PERM`` little-endian 32-bit values (480 bytes)."""
    return np.asarray(sig.hashvalues, dtype="<u4").tobytes()


def signature_from_bytes(data: bytes) -> LeanMinHash:
    """A signature back from :func:`signature_bytes` (or the archive's stored form: its first
    ``NUM_PERM`` values), lean: no permutations."""
    from datasketch import LeanMinHash

    values = values_from_bytes(data).astype(np.uint32)
    return LeanMinHash(seed=SEED, hashvalues=values, scheme=_SCHEME)


def band_keys(values: npt.NDArray[np.uint32]) -> list[int]:
    """The LSH key of each band of a signature's values: 48-bit integers, the band's number
    mixed in so that equal values in two bands never share a key."""
    rows = values.astype(np.uint64).reshape(BANDS, ROWS)
    keys = np.arange(BANDS, dtype=np.uint64)
    for column in range(ROWS):
        keys = (keys + rows[:, column]) * _BAND_MIX
        keys ^= keys >> np.uint64(29)
    return [int(key) for key in (keys >> np.uint64(16))]


def estimate(
    values_a: npt.NDArray[np.uint32], size_a: int, values_b: npt.NDArray[np.uint32], size_b: int
) -> float:
    """The overlap two signatures estimate (see :func:`newsarchive.stories.sameness.overlap`):
    the shared shingles, from the Jaccard estimate and the two set sizes, over the larger set."""
    if not size_a or not size_b:
        return 0.0
    jaccard = float(np.count_nonzero(values_a == values_b)) / NUM_PERM
    shared = jaccard / (1 + jaccard) * (size_a + size_b)
    return min(1.0, shared / max(size_a, size_b))


@dataclass(frozen=True)
class Fingerprint:
    """What the archive keeps of a story text: its signature's values, shingle count, exact
    key, and the keys of its longest sentences (:func:`newsarchive.stories.text.sentence_keys`)."""

    values: npt.NDArray[np.uint32]
    size: int
    key: str
    sentences: tuple[int, ...] = ()
    #: The shingles the signature was computed from (sorted hashes) while the text is at
    #: hand: a borderline pair is measured on them exactly. Not stored.
    hashes: npt.NDArray[np.uint32] | None = field(default=None, compare=False, repr=False)

    @property
    def minhash(self) -> bytes:
        """The stored form: the signature's values (:func:`signature_bytes`), then the sentence
        keys, 8 bytes each (:func:`values_from_bytes`, :func:`sentences_from_bytes`)."""
        values = np.asarray(self.values, dtype="<u4").tobytes()
        return values + np.asarray(self.sentences, dtype="<u8").tobytes()

    @property
    def bands(self) -> list[int]:
        return band_keys(self.values)

    @property
    def lookups(self) -> list[int]:
        """The keys the archive's index holds for this text: its band keys and sentence keys."""
        return [*self.bands, *self.sentences]


def fingerprint(form: str) -> Fingerprint | None:
    """The fingerprint of a folded text; None when it has under :data:`MIN_SHINGLES` shingles."""
    stream, sentences = letters_and_sentences(form)
    hashes = letter_shingles(stream)
    if len(hashes) < MIN_SHINGLES:
        return None
    return Fingerprint(
        values=minhash_values(hashes),
        size=len(hashes),
        key=letters_key(stream),
        sentences=sentence_keys(sentences),
        hashes=hashes,
    )


def values_from_bytes(data: bytes) -> npt.NDArray[np.uint32]:
    """A stored signature's values (see :attr:`Fingerprint.minhash`)."""
    return np.frombuffer(data, dtype="<u4", count=NUM_PERM)


def sentences_from_bytes(data: bytes) -> list[int]:
    """A stored signature's sentence keys (see :attr:`Fingerprint.minhash`)."""
    return [int(key) for key in np.frombuffer(data, dtype="<u8", offset=NUM_PERM * 4)]


def lookups_from_bytes(data: bytes) -> list[int]:
    """The index keys of a stored signature (see :attr:`Fingerprint.lookups`)."""
    return [*band_keys(values_from_bytes(data)), *sentences_from_bytes(data)]
