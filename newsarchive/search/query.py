"""The search query language, and its translation into safe FTS5 expressions.

What a user types in ``newsarchive search`` (or the Datasette search box) is parsed by
:func:`parse_query` and turned by :func:`fts_query` into an FTS5 ``MATCH`` expression
over the index form (:mod:`newsarchive.search.index`); :func:`query_problem` says why a
query cannot be searched. Pure string functions, no SQL.

**The language**: words (all must match), ``"phrases"``, ``OR`` between two terms,
``-word`` / ``-"phrase"`` to exclude, ``word*`` for a prefix (two letters at least: a
one-letter prefix such as ``پ*`` would match a large part of the archive, so
:func:`query_problem` refuses it rather than search something else; :func:`fts_query`,
which never refuses, searches such a term as the word itself). Everything else a user types is text: it never reaches FTS5 as syntax, because every
term is re-quoted from its folded words.

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
from collections.abc import Iterable
from dataclasses import dataclass, field

from newsarchive.persian import fold, normalize
from newsarchive.persian.text import _ARABIC_LETTER_RANGES
from newsarchive.search.index import COMPOUND_WORD, WORD_CHARS, ZWNJ

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
#: A prefix (``word*``) needs this many characters: a shorter one is refused by
#: :func:`query_problem` (and searched as the exact word by :func:`fts_query`).
MIN_PREFIX_CHARS = 2

_PERSIAN_LETTER = re.compile(f"[{_ARABIC_LETTER_RANGES}]")
#: One query term: an optional minus, then a "phrase" or a bare chunk.
_TERM = re.compile(r'(-?)"([^"]*)"|(\S+)')


class QueryError(ValueError):
    """A query that cannot be searched (no words, too many terms, a bad date)."""


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
    ``excluded`` must not; ``dropped`` counts terms past :data:`MAX_TERMS`;
    ``short_prefixes`` are the ``word*`` terms too short to be prefixes, as typed."""

    clauses: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    dropped: int = 0
    short_prefixes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.clauses


def _folded_words(text: str) -> list[Word]:
    """The words of ``text`` with their ZWNJ parts, folded as the index folds them."""
    words = []
    for compound in COMPOUND_WORD.findall(normalize(text)):
        parts = tuple(token for part in compound.split(ZWNJ) for token in WORD_CHARS.findall(fold(part)))
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
        if bare is not None and bare.endswith("*") and not term.prefix:
            parsed.short_prefixes.append(bare)
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
    if parsed.short_prefixes:
        typed = parsed.short_prefixes[0]
        return (
            f"{typed}: a prefix needs {MIN_PREFIX_CHARS} letters or more (a shorter one would match a large "
            f"part of the archive); type more letters before the *, or leave the * out to find "
            f"{typed.rstrip('*')} as a word"
        )
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
