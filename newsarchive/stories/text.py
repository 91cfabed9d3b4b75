"""What a story is judged on, and its shingles.

A story is judged on an article's body (its lead when it has no body): titles are
rewritten by every site that copies a report, the body much less. The text is taken in
its folded search form (:func:`newsarchive.search.index_text`: ZWNJ, Arabic ي/ك,
digits ``۱۵``/``15``, diacritics and Latin case folded), and then only its letters and
digits are kept, without spaces or punctuation: ``پیام‌رسان``, ``پیام رسان`` and
``پیامرسان`` become the same letters, as do two texts that only punctuate differently.

A shingle is a run of :data:`SHINGLE_CHARS` consecutive letters of that stream (about
two words), hashed to 32 bits; a text is the set of its shingles. Ten letters are long
enough that two unrelated tech reports share almost none (at most 3 % of their
shingles in the recorded pages of seven sites), short enough that an edit changes only
the shingles around it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from newsarchive.search import index_text
from newsarchive.search.index import WORD_CHARS

#: Letters per shingle (see the module docstring).
SHINGLE_CHARS = 10
#: A text with fewer shingles is too short to say whom it copies: it is a story of its own.
MIN_SHINGLES = 10

#: A sentence of at least this many letters is also looked up whole: a quoted release's
#: sentence finds the other articles quoting it, however little else they share.
SENTENCE_LETTERS = 100
#: The longest sentences of a text that are looked up.
MAX_SENTENCES = 8
#: Sentence keys carry this bit, so that they never equal a band key (48 bits).
SENTENCE_FLAG = 1 << 48

_SENTENCE_END = re.compile(r"[.!?؟؛…]+")
_BREAK = "\x00"
# Everything but letters, digits and the sentence break: what letters() leaves out.
_NOT_LETTER = re.compile(r"[^\w\x00]+|_+")
_BASE = np.uint64(1099511628211)
_MIX = np.uint64(0xBF58476D1CE4E5B9)


def story_text(article: Mapping[str, Any]) -> str:
    """The text a story is judged on: the body; the lead when there is no body."""
    return str(article.get("body") or article.get("lead") or "")


def folded_part(index_form: str | None) -> str:
    """The folded text of an :func:`~newsarchive.search.index_text` value, without the
    appendix of spaced ZWNJ words and Persian digits that follows its first line (the
    archive's search columns hold that value, so a stored article is not folded twice)."""
    return (index_form or "").partition("\n")[0]


def without_boilerplate(form: str, boilerplate: Iterable[str]) -> str:
    """``form`` (a folded text) without the paragraphs of ``boilerplate`` (display text): a
    site's standard sentences must not make two of its articles look alike."""
    for paragraph in boilerplate:
        folded = folded_part(index_text(paragraph))
        if folded:
            form = form.replace(folded, " ")
    return form


def story_form(text: str | None, boilerplate: Iterable[str] = ()) -> str:
    """The folded search form of ``text``, without ``boilerplate`` paragraphs."""
    return without_boilerplate(folded_part(index_text(text)), boilerplate)


def letters(form: str) -> str:
    """The letters and digits of a folded text, nothing between them (see the module docstring)."""
    return "".join(WORD_CHARS.findall(form))


def text_key(form: str) -> str:
    """A digest of a folded text's letters: equal keys are an exact copy."""
    return letters_key(letters(form))


def letters_key(stream: str) -> str:
    """:func:`text_key` of a text's letters (:func:`letters`)."""
    return hashlib.blake2b(stream.encode("utf-8"), digest_size=8).hexdigest()


def shingle_hashes(form: str) -> npt.NDArray[np.uint32]:
    """The distinct shingles of a folded text, as sorted 32-bit hashes (see :func:`letter_shingles`)."""
    return letter_shingles(letters(form))


def letter_shingles(stream: str) -> npt.NDArray[np.uint32]:
    """The distinct shingles of a stream of letters (:func:`letters`), as sorted 32-bit hashes.

    A polynomial hash of each run of :data:`SHINGLE_CHARS` code points (numpy, wrapping at
    64 bits), mixed and cut to its high 32 bits: stable across processes and runs,
    unlike Python's ``hash``.
    """
    points = np.frombuffer(stream.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = len(points) - SHINGLE_CHARS + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint32)
    hashes = np.zeros(count, dtype=np.uint64)
    for offset in range(SHINGLE_CHARS):
        hashes = hashes * _BASE + points[offset : offset + count]
    hashes ^= hashes >> np.uint64(31)
    hashes *= _MIX
    hashes ^= hashes >> np.uint64(29)
    ordered = np.sort((hashes >> np.uint64(32)).astype(np.uint32))
    # Sorted, then each value once: what np.unique gives, 15 times faster on such arrays (numpy 2.4).
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def letters_and_sentences(form: str) -> tuple[str, list[str]]:
    """:func:`letters` of a folded text, and the letters of each of its sentences, in one pass."""
    sentences = _NOT_LETTER.sub("", _SENTENCE_END.sub(_BREAK, form)).split(_BREAK)
    return "".join(sentences), sentences


def sentence_keys(sentences: Iterable[str]) -> tuple[int, ...]:
    """Keys of the :data:`MAX_SENTENCES` longest ``sentences`` (their letters, see
    :func:`letters_and_sentences`) of at least :data:`SENTENCE_LETTERS` letters: each
    hashed, :data:`SENTENCE_FLAG` set."""
    longest = sorted({s for s in sentences if len(s) >= SENTENCE_LETTERS}, key=lambda s: (-len(s), s))
    return tuple(
        sorted(
            int.from_bytes(hashlib.blake2b(sentence.encode("utf-8"), digest_size=6).digest(), "little")
            | SENTENCE_FLAG
            for sentence in longest[:MAX_SENTENCES]
        )
    )


def shingles(text: str | None, *, boilerplate: Iterable[str] = ()) -> set[int]:
    """The shingles of a display text (see the module docstring), ``boilerplate``
    paragraphs left out."""
    return set(shingle_hashes(story_form(text, boilerplate)).tolist())
