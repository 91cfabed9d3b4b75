"""The index form of Persian text: what the archive stores for its full-text index.

:mod:`newsarchive.archive` stores :func:`index_text` of an article's title, lead and
body in search columns beside the display text, and SQLite's FTS5 (tokenizer
``unicode61``) indexes those columns. Queries (:mod:`newsarchive.search.query`) are
folded the same way, so a word typed in any spelling meets the stored one.

The index form of a text is its folded, *joined* form (see
:func:`newsarchive.persian.fold`: letter variants, diacritics, kashida, digit script,
case and ZWNJ folded away), then an appendix with

* the *spaced* form of every word that had a ZWNJ (``پیام‌رسان‌های`` is indexed as
  ``پیامرسانهای`` and again as ``پیام رسان های``), and
* every number again in Persian digits (``15`` also as ``۱۵``).

So, besides this package's queries, raw FTS5 queries typed on a Persian keyboard work
too (``sqlite-utils search``, Datasette's ``_search`` without the plugin): FTS5 reads a
ZWNJ word as a phrase of its parts, which the spaced appendix holds, a joined word
matches the joined form, and Persian digits match the Persian copies.

The patterns of a word as display text writes it (:data:`COMPOUND_WORD`) live here too:
queries and snippets read words with them.
"""

from __future__ import annotations

import re

from newsarchive.persian import fold, normalize
from newsarchive.persian.text import ARABIC_MARKS

ZWNJ = "\u200c"

_MARKS = "".join(sorted(ARABIC_MARKS))
# A word as the display text writes it: letters/digits (with their marks), parts joined by ZWNJ.
_PART = rf"(?:[^\W_]|[{_MARKS}])+"
COMPOUND_WORD = re.compile(rf"{_PART}(?:{ZWNJ}{_PART})*")
#: A run of letters and digits: one ``unicode61`` token of folded text.
WORD_CHARS = re.compile(r"[^\W_]+")
_ZWNJ_WORD = re.compile(rf"\S*{ZWNJ}\S*")
# A whole unicode61 token made of ASCII digits only.
_NUMBER = re.compile(r"(?<![^\W_])[0-9]+(?![^\W_])")
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def index_text(text: str | None) -> str:
    """The form of ``text`` stored for the full-text index (see the module docstring)."""
    if not text:
        return ""
    display = normalize(text)
    folded = fold(display)
    extra = []
    if ZWNJ in display:
        extra.append(fold(" ".join(word.replace(ZWNJ, " ") for word in _ZWNJ_WORD.findall(display))))
    numbers = dict.fromkeys(_NUMBER.findall(folded))
    if numbers:
        extra.append(" ".join(numbers).translate(_PERSIAN_DIGITS))
    return "\n".join([folded, *extra]) if extra else folded
