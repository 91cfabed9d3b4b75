"""Datasette for the archive: shipped metadata, a plugin, and ``newsarchive serve``.

Three ways to browse an archive, from least to most newsarchive:

* ``datasette archive.db`` without newsarchive installed: the ``articles`` table
  offers full-text search (``articles_fts`` is external content on it). Its search
  box sends the words quoted to FTS5 without folding; the index layout (see
  :mod:`newsarchive.search.index`) makes words typed on a Persian keyboard match anyway.
* ``datasette archive.db -m "$(python3 -m newsarchive.datasette)"``: the same with the
  shipped metadata (:data:`METADATA_PATH`, keyed for a database named ``archive``).
* newsarchive installed (``pip install 'newsarchive[datasette]'``): its Datasette plugin
  (:mod:`newsarchive.datasette.plugin`, an entry point) gives every archive the
  metadata whatever its file name, makes the search box fold the query, speak the
  ``newsarchive search`` query language and rank as it does, and shows the pages a
  Persian reader needs (text in its direction, an article page, Jalali facets; the
  ``templates/`` and ``static/`` beside it). ``newsarchive serve`` runs that.

This module does not import Datasette, so the CLI can say when it is missing.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import sqlite3
from functools import cache
from pathlib import Path
from typing import Any

METADATA_PATH = Path(__file__).with_name("metadata.json")
#: The database name the shipped metadata is keyed under (``archive.db`` → ``archive``).
SHIPPED_DATABASE = "archive"


@cache
def _shipped() -> dict[str, Any]:
    return json.loads(METADATA_PATH.read_text("utf-8"))


def metadata(database: str = SHIPPED_DATABASE) -> dict[str, Any]:
    """The shipped metadata, for a database named ``database`` (a file's stem)."""
    shipped = copy.deepcopy(_shipped())
    shipped["databases"] = {database: shipped["databases"][SHIPPED_DATABASE]}
    return shipped


def is_archive(conn: sqlite3.Connection) -> bool:
    """Whether ``conn`` is a newsarchive archive (``articles`` with its search columns and index)."""
    try:
        names = {
            row[0]
            for row in conn.execute(
                "select name from sqlite_master where name in ('articles', 'articles_fts')"
            )
        }
        if names != {"articles", "articles_fts"}:
            return False
        columns = {row[1] for row in conn.execute("pragma table_info(articles)")}
    except sqlite3.Error:
        return False
    return {"search_title", "search_lead", "search_body"} <= columns


def serve_command(
    db: Path, *, host: str = "127.0.0.1", port: int = 8001, extra: list[str] | None = None
) -> list[str]:
    """The ``datasette`` arguments for ``newsarchive serve`` (after the program name).

    Raises ImportError when Datasette is not installed, FileNotFoundError without an archive.
    """
    if importlib.util.find_spec("datasette") is None:
        raise ImportError("Datasette is not installed: pip install 'newsarchive[datasette]'")
    if not Path(db).exists():
        raise FileNotFoundError(f"no archive at {db}")
    extra = list(extra or [])
    if extra[:1] == ["--"]:
        extra = extra[1:]
    return ["serve", str(db), "--host", host, "--port", str(port), *extra]


def run_datasette(arguments: list[str]) -> int:
    """Run the ``datasette`` command in this process with the newsarchive plugin registered
    (also when this checkout is not pip-installed, so its entry point is missing)."""
    from datasette.cli import cli
    from datasette.plugins import pm

    from newsarchive.datasette import plugin

    if not pm.is_registered(plugin) and pm.get_plugin("newsarchive") is None:
        pm.register(plugin, "newsarchive")
    try:
        cli.main(args=arguments, prog_name="datasette", standalone_mode=False)
    except KeyboardInterrupt:
        return 130
    return 0
