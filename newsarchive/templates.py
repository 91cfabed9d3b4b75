"""Template learning: lines that repeat across a site's articles are its template, not news.

Every rule that cleans a body (link density, class words, the lexicon in
:mod:`newsarchive.extract`) is written before a site changes its template. The
archive sees what no rule foresaw: a paragraph such as «برای دریافت آخرین اخبار
ما را در اینستاگرام دنبال کنید» or a desk signature that stands, word for word,
in many articles of one source. So every new article's short paragraphs are
counted per source (in the archive, the same transaction that stores the
article), and a paragraph seen in at least ``NEWSARCHIVE_TEMPLATE_MIN_ARTICLES``
different articles of the source is removed from bodies during crawls and
``newsarchive reparse`` (``newsarchive/boilerplate/template`` in the run's counts).

Paragraphs are compared in the folded search form (:func:`newsarchive.persian.fold`),
so ی/ي, digits and ZWNJ spellings do not hide a repeat. Only short paragraphs
take part: template lines are short, and a long paragraph shared by several
articles is a quotation or a syndicated story, which the archive must keep.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from newsarchive.persian import fold

#: Longer paragraphs are never learned or removed (see the module docstring).
MAX_TEMPLATE_CHARS = 300
#: The fewest different articles of one source a paragraph must stand in to be template.
DEFAULT_MIN_ARTICLES = 5


def paragraphs(body: str | None) -> list[str]:
    """A stored body's paragraphs (they are separated by blank lines)."""
    return [part for part in (body or "").split("\n\n") if part.strip()]


def block_key(paragraph: str) -> str | None:
    """The key a paragraph is counted under, or None when it is too long to be template."""
    if len(paragraph) > MAX_TEMPLATE_CHARS:  # before folding: most of a body is long paragraphs
        return None
    text = " ".join(fold(paragraph).split())
    if not text:
        return None
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


#: A body's paragraphs, each with its key (None: too long to be template): what both the
#: counting and the stripping read, so that a pipeline keys each paragraph once.
KeyedParagraphs = list[tuple[str, str | None]]


def keyed_paragraphs(body: str | None) -> KeyedParagraphs:
    """``[(paragraph, block_key(paragraph))]`` of a body, in order."""
    return [(paragraph, block_key(paragraph)) for paragraph in paragraphs(body)]


def template_blocks(body: str | None) -> dict[str, str]:
    """``{key: paragraph}`` of a body's short paragraphs, each once: what an article adds to the counts."""
    return blocks_of(keyed_paragraphs(body))


def blocks_of(keyed: KeyedParagraphs) -> dict[str, str]:
    """:func:`template_blocks` of a body's :func:`keyed_paragraphs`."""
    blocks: dict[str, str] = {}
    for paragraph, key in keyed:
        if key is not None:
            blocks.setdefault(key, paragraph)
    return blocks


def strip_template(
    body: str | None, learned: Mapping[str, object] | Iterable[str], keyed: KeyedParagraphs | None = None
) -> tuple[str | None, int]:
    """The body without the paragraphs whose key is in ``learned``, and how many were removed
    (``keyed``: the body's :func:`keyed_paragraphs` when the caller has them).

    A body made only of learned paragraphs is returned unchanged: an article is never
    emptied by what other articles share (the validation would drop it as ``no-body``).
    """
    if not body or not learned:
        return body, 0
    every = keyed if keyed is not None else keyed_paragraphs(body)
    kept = [paragraph for paragraph, key in every if key is None or key not in learned]
    removed = len(every) - len(kept)
    if not removed or not kept:
        return body, 0
    return "\n\n".join(kept), removed
