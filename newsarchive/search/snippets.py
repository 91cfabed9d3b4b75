"""Snippets: a window of an article's display text around the words a query matched.

``newsarchive search`` shows each hit with a snippet cut from the text as the reader sees
it (ZWNJ and digits as written), not from the folded index form, with the matched words
between marks. :class:`Highlighter` finds in display text the words that the query's
FTS5 patterns (:func:`newsarchive.search.query.clause_patterns`) would match, and
:func:`snippet` picks the window with the most of them. Pure string functions, no SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from newsarchive.persian import fold
from newsarchive.persian.text import FOLD_TABLE
from newsarchive.search.index import COMPOUND_WORD, ZWNJ
from newsarchive.search.query import Pattern, Query, Word, clause_patterns, parse_query


class Highlighter:
    """Finds, in display text, the words a parsed query matched."""

    def __init__(self, parsed: Query):
        patterns = [pattern for clause in clause_patterns(parsed) for pattern in clause]
        self.exact = {p.tokens[0] for p in patterns if len(p.tokens) == 1 and not p.prefix}
        self.prefixes = tuple({p.tokens[0] for p in patterns if len(p.tokens) == 1 and p.prefix})
        self.phrases: dict[str, list[Pattern]] = {}
        for pattern in patterns:
            if len(pattern.tokens) > 1:
                self.phrases.setdefault(pattern.tokens[0], []).append(pattern)

        # Substrings of the folded text that every match contains (suffixed forms contain their word).
        phrases = {
            joiner.join(p.tokens) for group in self.phrases.values() for p in group for joiner in (" ", "")
        }
        firsts = sorted(self.exact | set(self.prefixes) | phrases, key=len)
        self.needles: list[str] = []
        for token in firsts:
            if not any(needle in token for needle in self.needles):
                self.needles.append(token)

    def first_candidate(self, text: str) -> int | None:
        """A position at or before a possible match (None: ``text`` cannot match).

        Most matched words are written in the display text as in the search form, so
        the needles are looked for there first; folding the whole text (which only
        removes characters, so positions can only move left) is the fallback.
        """
        for form in (text, None):
            form = fold(text) if form is None else form
            positions = [position for needle in self.needles if (position := form.find(needle)) >= 0]
            if positions:
                return min(positions)
        return None

    def _token_matches(self, token: str) -> bool:
        return token in self.exact or (bool(self.prefixes) and token.startswith(self.prefixes))

    def matched_words(self, words: list[Word]) -> set[int]:
        """Indexes of the ``words`` (folded, with parts) that the query matched."""
        found = set()
        spaced = [(part, index) for index, word in enumerate(words) for part in word]
        for index, word in enumerate(words):
            if self._token_matches("".join(word)) or any(self._token_matches(part) for part in word):
                found.add(index)
        for stream in (spaced, [("".join(word), index) for index, word in enumerate(words)]):
            for start, (token, _) in enumerate(stream):
                for pattern in self.phrases.get(token, ()):
                    end = start + len(pattern.tokens)
                    window = stream[start:end]
                    if len(window) < len(pattern.tokens):
                        continue
                    *head, last = pattern.tokens
                    if [t for t, _ in window[:-1]] != head:
                        continue
                    tail = window[-1][0]
                    if tail == last or (pattern.prefix and tail.startswith(last)):
                        found.update(index for _, index in window)
        return found


# ``fold`` for one ZWNJ-free word of display text (letters, digits and their marks): the
# same character table in one call, without fold's whole-text context rules.
_FOLD_WORD = {**FOLD_TABLE, ord(ZWNJ): ZWNJ}


def _display_words(text: str) -> Iterator[tuple[int, int, Word]]:
    for match in COMPOUND_WORD.finditer(text):
        folded = match.group().translate(_FOLD_WORD).lower()
        parts = tuple(part for part in folded.split(ZWNJ) if part)
        if parts:
            yield match.start(), match.end(), parts


def snippet(
    texts: Iterable[str | None],
    query: Highlighter | Query | str,
    *,
    words: int = 24,
    marks: tuple[str, str] = ("[", "]"),
) -> str:
    """A window of about ``words`` words of the first of ``texts`` where the query
    matched, cut from the display text (ZWNJ and digits as written), with the
    matched words between ``marks``; the start of the first text if none matched.

    For many snippets of one query, pass one ``Highlighter(parse_query(query))``.
    """
    if isinstance(query, Highlighter):
        highlighter = query
    else:
        highlighter = Highlighter(parse_query(query) if isinstance(query, str) else query)
    candidates = [text for text in texts if text]
    for text in candidates:
        offset = highlighter.first_candidate(text)
        if offset is None:
            continue
        # Folding only removes characters, so the first match in the display text is at
        # ``offset`` or a little after it: look there first, then in the whole text.
        begin = text.rfind(" ", 0, offset - 200) + 1 if offset > 200 else 0
        stop = text.find(" ", offset + offset // 8 + 300 + 12 * words)
        for region_begin, region_end in ((begin, stop if stop > 0 else len(text)), (0, len(text))):
            region = text[region_begin:region_end]
            found = list(_display_words(region))
            matched = highlighter.matched_words([parts for _, _, parts in found])
            if matched:
                return _cut(
                    region,
                    found,
                    matched,
                    words,
                    marks,
                    before=region_begin > 0,
                    after=bool(text[region_end:].strip()),
                )
            if (region_begin, region_end) == (0, len(text)):
                break
    if not candidates:
        return ""
    text = candidates[0]
    return _cut(text, list(_display_words(text)), set(), words, marks)


def _cut(
    text: str,
    found: list[tuple[int, int, Word]],
    matched: set[int],
    size: int,
    marks: tuple[str, str],
    *,
    before: bool = False,
    after: bool = False,
) -> str:
    if not found:
        return " ".join(text.split())[: size * 8]
    hits = sorted(matched)
    start = 0
    if hits:
        # The window with the most matched words, the matches a little in from its start.
        best, best_count = hits[0], 0
        for first in hits:
            count = sum(1 for hit in hits if first <= hit < first + size)
            if count > best_count:
                best, best_count = first, count
        start = max(0, min(best - size // 4, len(found) - size))
    end = min(len(found), start + size)
    pieces, position = [], found[start][0]
    for index in range(start, end):
        word_start, word_end, _ = found[index]
        pieces.append(text[position:word_start])
        word = text[word_start:word_end]
        pieces.append(f"{marks[0]}{word}{marks[1]}" if index in matched else word)
        position = word_end
    cut = " ".join("".join(pieces).split())
    if start > 0 or before:
        cut = "… " + cut
    if end < len(found) or after:
        cut += " …"
    return cut
