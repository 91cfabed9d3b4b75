"""Search text and queries: the index form of Persian text and safe FTS5 queries.

Pure string functions, no SQL: :mod:`newsarchive.archive` stores
:func:`index_text` next to each article and runs :func:`fts_query` results.

The index holds each text in its folded, *joined* form (ZWNJ removed, see
:func:`newsarchive.persian.fold`), followed by the *spaced* form of every word
that had a ZWNJ. So ``پیام‌رسان‌های`` is indexed as ``پیامرسانهای`` and
``پیام رسان های``: a joined query and a spaced phrase both find it, and so do
raw ``sqlite-utils search`` queries typed on a Persian keyboard (FTS5 reads a
ZWNJ word as a phrase of its parts).
"""

from __future__ import annotations

import re

from newsarchive.persian import fold

ZWNJ = "\u200c"
_ZWNJ_WORD = re.compile(rf"\S*{ZWNJ}\S*")
#: One query term: an optional minus, then a "phrase" or a bare word with optional *.
_TERM = re.compile(r'(-?)"([^"]*)"|(\S+)')
_WORD_CHARS = re.compile(r"[^\W_]+", re.UNICODE)


def index_text(text: str | None) -> str:
    """The form of ``text`` stored for the full-text index."""
    if not text:
        return ""
    folded = fold(text)
    spaced = [word.replace(ZWNJ, " ") for word in _ZWNJ_WORD.findall(text)]
    if not spaced:
        return folded
    return folded + "\n" + fold(" ".join(spaced).replace(ZWNJ, " "))


def _words(text: str) -> list[str]:
    """Folded word tokens of ``text``, as FTS5's unicode61 tokenizer would see them."""
    return _WORD_CHARS.findall(fold(text.replace(ZWNJ, " ")))


def _quote(words: list[str]) -> str:
    return '"' + " ".join(words) + '"'


def _term_expression(raw: str, prefix: bool) -> str | None:
    """FTS5 expression for one user term, matching its joined, ZWNJ and spaced spellings."""
    parts = _words(raw)
    if not parts:
        return None
    joined = "".join(_WORD_CHARS.findall(fold(raw)))
    options = [_quote(parts)]
    if len(parts) > 1 or joined != parts[0]:
        options.append(_quote([joined]))
    if prefix:
        options = [option + "*" for option in options]
    options = list(dict.fromkeys(options))
    return options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")"


def fts_query(query: str) -> str | None:
    """Turn a user query into a safe FTS5 MATCH expression (None if it has no words).

    The language: words (all must match), ``"phrases"``, ``OR`` between terms,
    ``-word`` to exclude, ``word*`` for a prefix. Everything else is text: FTS5
    operators, column filters, brackets and quotes typed by users never reach
    FTS5 as syntax, because every term is re-quoted from its folded words.
    """
    positive: list[str] = []
    negative: list[str] = []
    pending_or = False
    for match in _TERM.finditer(query):
        minus, phrase, bare = match.groups()
        if bare is not None and bare == "OR":
            pending_or = bool(positive)
            continue
        if phrase is not None:
            expression = _term_expression(phrase, prefix=False)
        else:
            minus = "-" if bare.startswith("-") and len(bare) > 1 else ""
            word = bare[1:] if minus else bare
            expression = _term_expression(word.rstrip("*"), prefix=word.endswith("*"))
        if expression is None:
            pending_or = False
            continue
        if minus:
            negative.append(expression)
        elif pending_or:
            positive[-1] = f"({positive[-1]} OR {expression})"
        else:
            positive.append(expression)
        pending_or = False
    if not positive:
        return None
    expression = " AND ".join(positive)
    for excluded in negative:
        expression = f"({expression}) NOT {excluded}"
    return expression
