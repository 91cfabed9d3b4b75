"""The newsarchive Datasette plugin (entry point ``datasette: newsarchive``).

* ``get_metadata``: every attached database that is a newsarchive archive gets the
  shipped metadata (title, column descriptions, facets), whatever its file name.
  Metadata given with ``-m`` still wins.
* ``prepare_connection``: on archive connections, the ``escape_fts`` SQL function that
  Datasette's table search wraps around ``?_search=`` is replaced by
  :func:`newsarchive.search.fts_query`, so the search box folds Persian (ي/ی, ۱۵/15,
  diacritics, kashida, ZWNJ/space/joined spellings, suffixes) and speaks the
  ``newsarchive search`` query language. ``?_searchmode=raw`` still passes raw FTS5.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from datasette import hookimpl

from newsarchive.datasette import is_archive, metadata
from newsarchive.search import fts_query

#: An FTS5 expression that matches nothing (a query without words).
NOTHING = '""'
_archive_files: dict[tuple[str, str], bool] = {}


def escape_fts(query: str | None) -> str:
    """Datasette's ``escape_fts`` for archives: the user's text as a folded, safe FTS5 query."""
    return fts_query(query or "") or NOTHING


def _is_archive_database(database: Any) -> bool:
    path = getattr(database, "path", None)
    if not path:
        return False
    key = (database.name, str(path))
    if key not in _archive_files:
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        except sqlite3.Error:
            return False
        try:
            _archive_files[key] = is_archive(conn)
        finally:
            conn.close()
    return _archive_files[key]


@hookimpl
def get_metadata(datasette, key, database, table):
    databases = {}
    for name, db in datasette.databases.items():
        if _is_archive_database(db):
            databases[name] = metadata(name)["databases"][name]
    return {"databases": databases} if databases else {}


@hookimpl(trylast=True)
def prepare_connection(conn, database, datasette):
    # trylast: after Datasette's own prepare_connection has registered its escape_fts.
    if is_archive(conn):
        conn.create_function("escape_fts", 1, escape_fts, deterministic=True)
