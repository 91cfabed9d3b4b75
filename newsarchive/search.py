"""Search text and queries: the index form of Persian text, safe FTS5 queries, snippets.

Pure string functions, no SQL: :mod:`newsarchive.archive` stores :func:`index_text`
next to each article, runs the expressions of :func:`fts_query` and cuts snippets
from the display text with :func:`snippet`.

**The index form** of a text is its folded, *joined* form (see
:func:`newsarchive.persian.fold`: letter variants, diacritics, kashida, digit script,
case and ZWNJ folded away), then an appendix with

* the *spaced* form of every word that had a ZWNJ (``پیام‌رسان‌های`` is indexed as
  ``پیامرسانهای`` and again as ``پیام رسان های``), and
* every number again in Persian digits (``15`` also as ``۱۵``).

So, besides this module's queries, raw FTS5 queries typed on a Persian keyboard work
too (``sqlite-utils search``, Datasette's ``_search`` without the plugin): FTS5 reads a
ZWNJ word as a phrase of its parts, which the spaced appendix holds, a joined word
matches the joined form, and Persian digits match the Persian copies.

**The query language** (:func:`parse_query`): words (all must match), ``"phrases"``,
``OR`` between two terms, ``-word`` / ``-"phrase"`` to exclude, ``word*`` for a prefix
(two letters at least). Everything else a user types is text: it never reaches FTS5
as syntax, because every term is re-quoted from its folded words.

How one word matches (no lexicon, a small documented list instead):

* a Persian word also matches itself with one of :data:`SUFFIXES` attached
  (``پیامرسان`` → ``پیامرسانهای``, ``ماه`` → ``ماهها``) as exact tokens, never as a
  blind prefix (``ماه`` does not match ``ماهواره``);
* a Persian word of 6+ letters also matches itself written as two words
  (``پیامرسان`` → the phrase ``پیام رسان``, each part 3+ letters: two-letter words are
  the most frequent ones, and phrases of frequent words are slow and rarely meant);
* a ZWNJ word (``پیام‌رسان``) matches its spaced phrase and its joined form (with
  suffixes, unless its last part is one: ``پیام‌رسان‌های`` is searched as typed);
* adjacent words are also tried joined: ``پیام رسان`` matches ``پیامرسان`` (with
  suffixes) as well as both words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from newsarchive.persian import fold, normalize
from newsarchive.persian.text import _ARABIC_LETTER_RANGES, ARABIC_MARKS, FOLD_TABLE

__all__ = [
    "MAX_TERMS",
    "SUFFIXES",
    "Highlighter",
    "Query",
    "QueryError",
    "fts_query",
    "index_text",
    "parse_query",
    "snippet",
]

ZWNJ = "\u200c"

#: Inflection suffixes a Persian query word may carry in the text (written joined, or
#: with a ZWNJ, which the index folds away): plural ها/ان/ات (+ possessives and ی),
#: the ezafe/indefinite ی/ای/یی, comparative تر/ترین, possessive and copula endings.
SUFFIXES = (
    "ها",
    "های",
    "هایی",
    "هایم",
    "هایش",
    "هایمان",
    "هایتان",
    "هایشان",
    "هاست",
    "ان",
    "یان",
    "ات",
    "ی",
    "ای",
    "یی",
    "تر",
    "ترین",
    "تری",
    "م",
    "ام",
    "مان",
    "ش",
    "اش",
    "شان",
    "تان",
    "اند",
)
#: Queries with more terms than this are refused by :func:`query_problem` (and cut to
#: this many by :func:`fts_query`): a search, not a document comparison.
MAX_TERMS = 32
#: Words longer than this are searched as they are, without suffixes or splits.
MAX_EXPANDED_CHARS = 40
#: Words of this many letters or more are also tried as two words (``پیامرسان``).
MIN_SPLIT_PART = 3
MIN_SPLIT_CHARS = 2 * MIN_SPLIT_PART
#: A prefix (``word*``) needs this many characters; shorter ones are exact words.
MIN_PREFIX_CHARS = 2

_PERSIAN_LETTER = re.compile(f"[{_ARABIC_LETTER_RANGES}]")
_MARKS = "".join(sorted(ARABIC_MARKS))
# A word as the display text writes it: letters/digits (with their marks), parts joined by ZWNJ.
_PART = rf"(?:[^\W_]|[{_MARKS}])+"
_COMPOUND = re.compile(rf"{_PART}(?:{ZWNJ}{_PART})*")
_ZWNJ_WORD = re.compile(rf"\S*{ZWNJ}\S*")
_WORD_CHARS = re.compile(r"[^\W_]+")
# A whole unicode61 token made of ASCII digits only.
_NUMBER = re.compile(r"(?<![^\W_])[0-9]+(?![^\W_])")
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
#: One query term: an optional minus, then a "phrase" or a bare chunk.
_TERM = re.compile(r'(-?)"([^"]*)"|(\S+)')


class QueryError(ValueError):
    """A query that cannot be searched (no words, too many terms, a bad date)."""


# --- the index form ------------------------------------------------------------


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


# --- parsing queries -------------------------------------------------------------

#: A folded word: its ZWNJ parts (one part for a simple word).
Word = tuple[str, ...]


@dataclass(frozen=True)
class Term:
    """One searchable unit: a word (``phrase=False``, one word) or a phrase of words."""

    words: tuple[Word, ...]
    phrase: bool = False
    prefix: bool = False

    @property
    def single(self) -> Word | None:
        return self.words[0] if len(self.words) == 1 and not self.phrase else None


@dataclass
class Query:
    """A parsed query: ``clauses`` must all match (each is a list of OR alternatives),
    ``excluded`` must not; ``dropped`` counts terms past :data:`MAX_TERMS`."""

    clauses: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    dropped: int = 0

    @property
    def empty(self) -> bool:
        return not self.clauses


def _folded_words(text: str) -> list[Word]:
    """The words of ``text`` with their ZWNJ parts, folded as the index folds them."""
    words = []
    for compound in _COMPOUND.findall(normalize(text)):
        parts = tuple(token for part in compound.split(ZWNJ) for token in _WORD_CHARS.findall(fold(part)))
        if parts:
            words.append(parts)
    return words


def _term(text: str, *, quoted: bool) -> Term | None:
    prefix = not quoted and text.endswith("*")
    words = _folded_words(text.rstrip("*") if prefix else text)
    if not words:
        return None
    if prefix and len("".join(words[-1])) < MIN_PREFIX_CHARS:
        prefix = False
    return Term(tuple(words), phrase=quoted or len(words) > 1, prefix=prefix)


def parse_query(query: str) -> Query:
    """Parse the user's query language (see the module docstring); never raises."""
    parsed = Query()
    pending_or = False
    terms = 0
    for match in _TERM.finditer(query or ""):
        minus, quoted, bare = match.groups()
        if bare == "OR":
            pending_or = bool(parsed.clauses)
            continue
        if quoted is not None:
            term = _term(quoted, quoted=True)
        else:
            if bare.startswith("-") and len(bare) > 1:
                minus, bare = "-", bare[1:]
            term = _term(bare, quoted=False)
        if term is None:
            pending_or = False
            continue
        terms += 1
        if terms > MAX_TERMS:
            parsed.dropped += 1
            continue
        if minus:
            parsed.excluded.append(term)
        elif pending_or:
            parsed.clauses[-1].append(term)
        else:
            parsed.clauses.append([term])
        pending_or = False
    return parsed


def query_problem(query: str) -> str | None:
    """Why ``query`` cannot be searched as typed, or None if it can."""
    parsed = parse_query(query)
    if parsed.dropped:
        return f"the query has {MAX_TERMS + parsed.dropped} terms; at most {MAX_TERMS} are searched at once"
    if parsed.empty:
        if parsed.excluded:
            return "the query only excludes words (-word); add a word to search for"
        return "nothing to search for: the query has no words"
    return None


# --- FTS5 expressions ------------------------------------------------------------


def _is_persian(word: str) -> bool:
    return bool(word) and _PERSIAN_LETTER.match(word[-1]) is not None


def _quote(tokens: Iterable[str]) -> str:
    # Tokens are runs of letters and digits only (no quote can hide in them).
    return '"' + " ".join(tokens) + '"'


@dataclass(frozen=True)
class Pattern:
    """What a term matches in the token stream: ``tokens`` in a row (the last one a
    prefix if ``prefix``). One token is one FTS5 token; several are a phrase."""

    tokens: tuple[str, ...]
    prefix: bool = False

    def fts(self) -> str:
        return _quote(self.tokens) + ("*" if self.prefix else "")


def _with_suffixes(joined: str) -> list[Pattern]:
    patterns = [Pattern((joined,))]
    if _is_persian(joined) and len(joined) <= MAX_EXPANDED_CHARS:
        patterns += [Pattern((joined + suffix,)) for suffix in SUFFIXES]
    return patterns


def _splits(word: str) -> list[Pattern]:
    """``word`` written as two words, each of MIN_SPLIT_PART letters or more."""
    if not (MIN_SPLIT_CHARS <= len(word) <= MAX_EXPANDED_CHARS) or not word.isalpha():
        return []
    if not all(_PERSIAN_LETTER.match(char) for char in word):
        return []
    return [
        Pattern((word[:cut], word[cut:])) for cut in range(MIN_SPLIT_PART, len(word) - MIN_SPLIT_PART + 1)
    ]


def term_patterns(term: Term, *, excluded: bool = False) -> list[Pattern]:
    """The alternatives one term matches (see the module docstring)."""
    if term.single is None:
        # A phrase: its words spaced (ZWNJ parts as words) or joined (ZWNJ parts together).
        spaced = tuple(part for word in term.words for part in word)
        joined_words = tuple("".join(word) for word in term.words)
        return list(dict.fromkeys([Pattern(spaced, term.prefix), Pattern(joined_words, term.prefix)]))
    parts = term.single
    joined = "".join(parts)
    if term.prefix:
        patterns = [Pattern(parts, True), Pattern((joined,), True)]
    elif len(parts) > 1 and parts[-1] in SUFFIXES:
        # Already inflected (پیام‌رسان‌های): spaced or joined, as typed.
        patterns = [Pattern(parts), Pattern((joined,))]
    elif len(parts) > 1:
        patterns = [Pattern(parts)]
        if _is_persian(parts[-1]) and len(joined) <= MAX_EXPANDED_CHARS:
            patterns += [Pattern((*parts[:-1], parts[-1] + suffix)) for suffix in SUFFIXES]
        patterns += _with_suffixes(joined)
    else:
        patterns = _with_suffixes(joined)
        if not excluded:
            patterns += _splits(joined)
    return list(dict.fromkeys(patterns))


def _joinable(clause: list[Term]) -> Word | None:
    """The word of a clause that can be joined with its neighbours (a bare word, no OR)."""
    if len(clause) != 1:
        return None
    word = clause[0].single
    if word is None or clause[0].prefix or not _is_persian(word[0]) or not _is_persian(word[-1]):
        return None
    return word


def clause_patterns(parsed: Query) -> list[list[Pattern]]:
    """Per clause, the alternatives that satisfy it, adjacent words tried joined.

    For clauses ``a b`` this is ``(a OR ab) AND (b OR ab)``, which is ``(a AND b) OR ab``;
    for three words, each word may also be satisfied by its join with either neighbour.
    """
    words = [_joinable(clause) for clause in parsed.clauses]
    result = []
    for index, clause in enumerate(parsed.clauses):
        patterns = [pattern for term in clause for pattern in term_patterns(term)]
        for left, right in ((index - 1, index), (index, index + 1)):
            if left < 0 or right >= len(words):
                continue
            first, second = words[left], words[right]
            if first and second:
                patterns += _with_suffixes("".join(first) + "".join(second))
        result.append(list(dict.fromkeys(patterns)))
    return result


def _any_of(patterns: list[Pattern]) -> str:
    expressions = [pattern.fts() for pattern in patterns]
    return expressions[0] if len(expressions) == 1 else "(" + " OR ".join(expressions) + ")"


def fts_query(query: str) -> str | None:
    """Turn a user query into a safe FTS5 MATCH expression (None if it has no words).

    Terms past :data:`MAX_TERMS` are left out (:func:`query_problem` says so).
    """
    parsed = parse_query(query)
    if parsed.empty:
        return None
    expression = " AND ".join(_any_of(patterns) for patterns in clause_patterns(parsed))
    for term in parsed.excluded:
        expression = f"({expression}) NOT {_any_of(term_patterns(term, excluded=True))}"
    return expression


# --- snippets from the display text -----------------------------------------------


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
    for match in _COMPOUND.finditer(text):
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
