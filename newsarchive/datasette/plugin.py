"""The newsarchive Datasette plugin (entry point ``datasette: newsarchive``).

On every attached database that is a newsarchive archive (found by its schema, whatever
the file name):

* ``get_metadata``: the shipped metadata (site title and description, column
  descriptions, facets, canned queries). Metadata given with ``-m`` still wins.
* ``prepare_connection``: the ``escape_fts`` SQL function that Datasette's table search
  wraps around ``?_search=`` is replaced by :func:`newsarchive.search.fts_query`, so the
  search box folds Persian (ي/ی, ۱۵/15, diacritics, kashida, ZWNJ/space/joined
  spellings, suffixes) and speaks the ``newsarchive search`` query language
  (``?_searchmode=raw`` still passes raw FTS5); ``jalali_month()`` gives the current
  Tehran month (``1405-09``) to the canned queries.
* a reader's pages: cells with their direction and JSON arrays as chips
  (:mod:`.cells`), story ids as links to the story's articles (``?story_id=``), the
  articles table without its long and search-only columns, searches ranked as
  ``newsarchive search`` ranks them with snippets, an article page (with the other
  articles of its story), Jalali year/month facets and a facet of the stories with
  copies (:mod:`.facets`), the site title on every page; the templates and CSS are in
  ``templates/`` and ``static/`` beside this module.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.utils import tilde_encode
from datasette.utils.asgi import asgi_static
from jinja2 import FileSystemLoader
from markupsafe import Markup

from newsarchive.archive import SEARCH_COLUMNS
from newsarchive.datasette import is_archive, metadata
from newsarchive.datasette.cells import CHIP_COLUMNS, cell_html, chip_url, direction, link_html, story_url
from newsarchive.datasette.facets import JalaliMonthFacet, JalaliYearFacet, StoryFacet
from newsarchive.datasette.pages import article_page, date_order, relevance
from newsarchive.export.chart import chart_svg
from newsarchive.persian.dates import TEHRAN, gregorian_to_jalali
from newsarchive.search import fts_query

#: An FTS5 expression that matches nothing (a query without words).
NOTHING = '""'
STATIC = Path(__file__).with_name("static")
TEMPLATES = Path(__file__).with_name("templates")
#: Where the plugin's CSS is served (whether or not newsarchive is pip-installed).
STATIC_ROUTE = "/-/newsarchive/static/"
#: The columns of the articles table view (others stay in the article page and the JSON API).
READER_COLUMNS = (
    "id",
    "title",
    "source",
    "published_jalali",
    "published_at",
    "lead",
    "tags",
    "story_id",
    "url",
    "image_url",
)
#: Columns never offered as facets: JSON objects, notes, text and its search forms, and
#: ``story_id`` (the story facet shows it, by title).
NOT_FACETS = ("field_sources", "notes", "body", "lead", "title", "story_id", *SEARCH_COLUMNS)
#: The canned query whose rows (month, source, articles) are drawn as a chart.
CHART_QUERY = "articles_per_month"
_archive_files: dict[tuple[str, str], bool] = {}


def escape_fts(query: str | None) -> str:
    """Datasette's ``escape_fts`` for archives: the user's text as a folded, safe FTS5 query."""
    return fts_query(query or "") or NOTHING


def jalali_month() -> str:
    """The current month in Tehran, Jalali (``1405-09``): "this month" of the canned queries."""
    year, month, _ = gregorian_to_jalali(datetime.now(UTC).astimezone(TEHRAN).date())
    return f"{year:04d}-{month:02d}"


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


def _archive_names(datasette: Any) -> list[str]:
    return [name for name, db in datasette.databases.items() if _is_archive_database(db)]


def month_chart(rows: list[Any]) -> Markup:
    """The articles-per-month chart (:func:`newsarchive.export.chart.chart_svg`) of the
    canned query's rows, as inline SVG (it escapes every text it draws)."""
    per_month: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        per_month[str(row["source"])][str(row["month"])] = int(row["articles"])
    return Markup(chart_svg(dict(per_month), title="Articles per month per source (Gregorian, UTC)"))


def distinct_facets(facets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Facet results without repeats: a facet in the metadata and in ``?_facet=`` is computed twice."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for facet in facets:
        key = (facet["name"], facet.get("type") or "column")
        if key not in seen:
            seen.add(key)
            kept.append(facet)
    return kept


def offered_facets(suggested: list[dict[str, Any]], reader: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The suggested facets worth offering on an archive: none of :data:`NOT_FACETS`, and
    the JSON arrays only as arrays (their values), not as whole JSON strings."""
    if not reader or not reader.get("archive"):
        return suggested
    return [
        facet
        for facet in suggested
        if facet["name"] not in NOT_FACETS and (facet.get("type") or facet["name"] not in CHIP_COLUMNS)
    ]


@hookimpl
def get_metadata(datasette, key, database, table):
    names = _archive_names(datasette)
    if not names:
        return {}
    shipped = metadata()
    site = {name: shipped[name] for name in ("title", "description", "description_html") if name in shipped}
    return {**site, "databases": {name: metadata(name)["databases"][name] for name in names}}


@hookimpl(trylast=True)
def prepare_connection(conn, database, datasette):
    # trylast: after Datasette's own prepare_connection has registered its escape_fts.
    if is_archive(conn):
        conn.create_function("escape_fts", 1, escape_fts, deterministic=True)
        conn.create_function("jalali_month", 0, jalali_month)


@hookimpl
def register_facet_classes():
    return [JalaliYearFacet, JalaliMonthFacet, StoryFacet]


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if not _is_archive_database(datasette.databases.get(database)):
        return None
    articles = datasette.urls.table(database, "articles")

    def chip_link(column: str, name: str) -> str:
        return chip_url(articles, column, name)

    if column == "story_id" and isinstance(value, str) and value:
        return link_html(story_url(articles, value), value, css_class="na-story-link")
    if table == "stories" and column == "first_article_id" and isinstance(value, str) and value:
        return link_html(datasette.urls.row(database, "articles", tilde_encode(value)), value)
    title_link = None
    # sqlite3.Row: "in" would look among the values, keys() has the column names.
    if table == "articles" and column == "title" and "id" in row.keys():  # noqa: SIM118
        title_link = datasette.urls.row(database, "articles", tilde_encode(str(row["id"])))
    if table == "stories" and column == "title" and "id" in row.keys():  # noqa: SIM118
        title_link = story_url(articles, str(row["id"]))
    return cell_html(value, column, chip_link=chip_link, title_link=title_link)


@hookimpl
def register_routes(datasette):
    return [("^" + STATIC_ROUTE + r"(?P<path>.*)$", asgi_static(str(STATIC)))]


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path(STATIC_ROUTE + "newsarchive.css")]


@hookimpl
def extra_js_urls(datasette):
    return [datasette.urls.path(STATIC_ROUTE + "newsarchive.js")]


def add_templates(loader: Any) -> None:
    """Put ``templates/`` beside this module before Datasette's own templates (after a
    ``--template-dir``). Datasette looks for ``templates/`` in a plugin *package*; this
    plugin is a module of :mod:`newsarchive.datasette`, which ships the folder."""
    files = next(inner for inner in loader.loaders if isinstance(inner, FileSystemLoader))
    if str(TEMPLATES) not in files.searchpath:
        files.searchpath.insert(len(files.searchpath) - 1, str(TEMPLATES))


@hookimpl
def prepare_jinja2_environment(env, datasette):
    add_templates(env.loader)
    env.filters["distinct_facets"] = distinct_facets
    env.filters["newsarchive_offered"] = offered_facets
    env.filters["newsarchive_index"] = lambda name, names: names.index(name)
    env.filters["newsarchive_direction"] = lambda text: direction(str(text or ""))
    env.globals["newsarchive_month_chart"] = month_chart
    env.globals["newsarchive_chart_query"] = CHART_QUERY


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    async def variables() -> dict[str, Any]:
        names = _archive_names(datasette)
        reader: dict[str, Any] = {"site": None, "archive": False}
        if names:
            reader["site"] = {key: datasette.metadata(key) for key in ("title", "description")}
        if database in names:
            reader["archive"] = True
            if table == "articles" and view_name == "table" and request is not None:
                if not request.args.getlist("_col"):
                    reader["columns"] = READER_COLUMNS
                reader["relevance"] = await relevance(datasette, database, request)
                if reader["relevance"] is None:
                    reader["date_order"] = date_order(datasette, request)
            if table == "articles" and view_name == "row" and request is not None:
                reader["article"] = await article_page(datasette, database, request.url_vars["pks"])
        return {"newsarchive": reader}

    return variables
