"""Full-text search over the archive, as pure string functions (no SQL).

:mod:`newsarchive.archive` stores the index form of each article's text and runs the
queries; this package says what those hold:

* :mod:`.index`: the index form of Persian text (:func:`index_text`), folded so that
  spelling variants, ZWNJ and digit script do not keep a word from matching;
* :mod:`.query`: the query language users type (:func:`parse_query`), turned into safe
  FTS5 expressions (:func:`fts_query`) that never pass user text as FTS5 syntax;
* :mod:`.snippets`: the piece of display text shown with each hit, the matched words
  marked (:func:`snippet`).

The names below are the package's interface; the archive, the CLI and the Datasette
plugin import them from here.
"""

from __future__ import annotations

from newsarchive.search.index import index_text
from newsarchive.search.query import (
    MAX_TERMS,
    SUFFIXES,
    Query,
    QueryError,
    fts_query,
    parse_query,
    query_problem,
)
from newsarchive.search.snippets import Highlighter, snippet

__all__ = [
    "MAX_TERMS",
    "SUFFIXES",
    "Highlighter",
    "Query",
    "QueryError",
    "fts_query",
    "index_text",
    "parse_query",
    "query_problem",
    "snippet",
]
