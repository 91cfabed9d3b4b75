"""What the article page and the relevance-ordered search show, read for the templates.

* :func:`article_page`: one article with its aliases, earlier versions, the WARC
  captures of its URLs (``captures`` indexes every response record: file, offset,
  length) and the other articles of its story (:func:`same_story`, read through
  :meth:`newsarchive.archive.Archive.story`), for ``row.html`` on the ``articles`` table.
* :func:`relevance`: a table search (``?_search=``) ranked as ``newsarchive search``
  ranks it, through :meth:`newsarchive.archive.Archive.search` itself (bm25 with
  :data:`newsarchive.archive.SEARCH_WEIGHTS`, snippets from the display text), with the
  table's facet selections that the search understands; a hit with copies links to its
  story's articles. ``_sort``/``_sort_desc`` (the
  "newest first" link) leave the order to Datasette.

Reads only, with parameters; Datasette's connections are read-only to the plugin.
"""

from __future__ import annotations

import asyncio
from typing import Any

import jdatetime
from datasette.utils import path_with_added_args, path_with_removed_args, tilde_decode, tilde_encode

from newsarchive.archive import Archive, ArchiveError
from newsarchive.datasette.cells import (
    CHIP_COLUMNS,
    SNIPPET_MARKS,
    chip_url,
    json_strings,
    marked_html,
    paragraphs,
    story_url,
)

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
#: Table arguments the relevance search turns into its own filters: argument -> search keyword.
SEARCH_FILTERS = {
    "source": "sources",
    "source__exact": "sources",
    "categories__arraycontains": "categories",
    "tags__arraycontains": "tags",
}
JALALI_FILTER = "published_jalali__startswith"
#: How many best matches the relevance order shows (the date order pages through all).
RELEVANCE_LIMIT = 50


def jalali_date_line(jalali: str | None) -> str:
    """``1402-12-24 20:15`` as a reader writes it: ``۲۴ اسفند ۱۴۰۲، ساعت ۲۰:۱۵``."""
    if not jalali or len(jalali) < 10 or not jalali[:4].isdigit() or not jalali[5:7].isdigit():
        return jalali or ""
    year, month, day = jalali[:4], int(jalali[5:7]), jalali[8:10].lstrip("0")
    if not 1 <= month <= 12:
        return jalali
    line = f"{day} {jdatetime.date.j_months_fa[month - 1]} {year}"
    if len(jalali) >= 16:
        line += f"، ساعت {jalali[11:16]}"
    return line.translate(PERSIAN_DIGITS)


async def article_page(datasette: Any, database: str, pks: str) -> dict[str, Any] | None:
    """The article at row path ``pks`` with everything its page shows (None: no such article)."""
    db = datasette.get_database(database)
    article_id = tilde_decode(pks)
    row = (await db.execute("select * from articles where id = ?", [article_id])).first()
    if row is None:
        return None
    article = dict(row)
    for column in CHIP_COLUMNS:
        article[column] = json_strings(article.get(column))
    aliases = [
        dict(r)
        for r in await db.execute(
            "select url, first_seen_at from article_aliases where article_id = ? order by first_seen_at",
            [article_id],
        )
    ]
    versions = [
        dict(r)
        for r in await db.execute(
            "select id, title, lead, body, fetched_at, replaced_at from article_versions "
            "where article_id = ? order by replaced_at desc, id desc",
            [article_id],
        )
    ]
    urls = [article["url"], *(alias["url"] for alias in aliases)]
    marks = ", ".join("?" for _ in urls)
    captures = [
        dict(r)
        for r in await db.execute(
            "select id, url, kind, fetched_at, status, record_type, warc_file, warc_offset, warc_length, run_id "
            f"from captures where url in ({marks}) order by fetched_at desc, id desc",
            urls,
        )
    ]
    for version in versions:
        version["paragraphs"] = paragraphs(version.pop("body"))
        version["link"] = datasette.urls.row(database, "article_versions", tilde_encode(str(version["id"])))
    for capture in captures:
        capture["link"] = datasette.urls.row(database, "captures", tilde_encode(str(capture["id"])))
    table = datasette.urls.table(database, "articles")
    return {
        "story": await same_story(datasette, database, article),
        "article": article,
        "date_line": jalali_date_line(article.get("published_jalali")),
        "paragraphs": paragraphs(article.get("body")),
        "aliases": aliases,
        "versions": versions,
        "captures": captures,
        "chip_links": {
            column: {name: chip_url(table, column, name) for name in article[column]}
            for column in CHIP_COLUMNS
        },
    }


async def same_story(datasette: Any, database: str, article: dict[str, Any]) -> dict[str, Any] | None:
    """The story of ``article`` for its page: its size, sources, the link to its articles in
    the table, and the other articles (kind and similarity to the story's first, the first
    marked); None for an article without copies."""
    path = getattr(datasette.get_database(database), "path", None)
    story_id = article.get("story_id")
    if not path or not story_id:
        return None

    def read() -> dict[str, Any] | None:
        with Archive(path, readonly=True) as archive:
            return archive.story(story_id)

    story = await asyncio.to_thread(read)
    if story is None or len(story["articles"]) < 2:
        return None
    first = story["articles"][0]["id"]
    members = [
        {
            **member,
            "first": member["id"] == first,
            "similarity": None if member["similarity"] is None else f"{member['similarity']:.2f}",
            "link": datasette.urls.row(database, "articles", tilde_encode(member["id"])),
        }
        for member in story["articles"]
    ]
    return {
        **{key: story[key] for key in ("id", "title", "sources", "article_count", "first_source")},
        "this": next((member for member in members if member["id"] == article["id"]), None),
        "others": [member for member in members if member["id"] != article["id"]],
        "table_link": story_url(datasette.urls.table(database, "articles"), story["id"]),
    }


def story_sizes(archive: Archive, story_ids: set[str]) -> dict[str, int]:
    """How many articles each of these stories has (a search hit shows its story's size)."""
    sizes = {}
    for story_id in story_ids:
        story = archive.story(story_id)
        sizes[story_id] = story["article_count"] if story else 1
    return sizes


def jalali_days(prefix: str) -> tuple[str, str] | None:
    """The first and last day of a Jalali year (``1403``) or month (``1403-02``), or None."""
    year_text, _, month_text = prefix.partition("-")
    if not year_text.isdigit() or len(year_text) != 4 or (month_text and not month_text.isdigit()):
        return None
    year = int(year_text)
    if not month_text:
        return f"{year}-01-01", f"{year}-12-{30 if jdatetime.date(year, 1, 1).isleap() else 29}"
    month = int(month_text)
    if not 1 <= month <= 12:
        return None
    last = 31 if month <= 6 else 30 if month <= 11 or jdatetime.date(year, 1, 1).isleap() else 29
    return f"{year}-{month:02d}-01", f"{year}-{month:02d}-{last}"


def search_options(args: Any, *, any_order: bool = False) -> dict[str, Any] | None:
    """``Archive.search`` keywords of a table request's arguments, or None when the
    request asks for raw FTS5, for another order (unless ``any_order``) or filters the
    search cannot apply."""
    if args.get("_searchmode") == "raw":
        return None
    if not any_order and (args.get("_sort") or args.get("_sort_desc")):
        return None
    options: dict[str, Any] = {"sources": [], "categories": [], "tags": []}
    for key in args:
        if key.startswith("_search_"):
            return None
        if key.startswith("_"):
            continue
        values = args.getlist(key)
        if key in SEARCH_FILTERS:
            options[SEARCH_FILTERS[key]].extend(values)
        elif key == JALALI_FILTER and len(values) == 1 and (days := jalali_days(values[0])):
            options["since"], options["until"] = days
        else:
            return None
    return options


async def relevance(datasette: Any, database: str, request: Any) -> dict[str, Any] | None:
    """The best matches of the table's ``?_search=``, or None when Datasette's order stands."""
    query = (request.args.get("_search") or "").strip()
    path = getattr(datasette.get_database(database), "path", None)
    options = search_options(request.args)
    if not query or not path or options is None:
        return None
    date_order = datasette.urls.path(path_with_added_args(request, {"_sort_desc": "published_at"}))
    table = datasette.urls.table(database, "articles")

    def search() -> tuple[list[Any], dict[str, int]]:
        with Archive(path, readonly=True) as archive:
            hits = archive.search(query, limit=RELEVANCE_LIMIT, marks=SNIPPET_MARKS, **options)
            return hits, story_sizes(archive, {hit.story_id for hit in hits if hit.story_id})

    try:
        hits, sizes = await asyncio.to_thread(search)
    except (ValueError, ArchiveError) as error:  # QueryError and unknown names: messages for the reader
        return {"hits": [], "error": str(error), "date_order_url": date_order}
    return {
        "hits": [
            {
                "title": hit.title,
                "source": hit.source,
                "url": hit.url,
                "published_at": hit.published_at,
                "published_jalali": hit.published_jalali,
                "date_line": jalali_date_line(hit.published_jalali),
                "snippet": marked_html(hit.snippet),
                "link": datasette.urls.row(database, "articles", tilde_encode(hit.id)),
                "story": (
                    {"size": sizes[hit.story_id], "link": story_url(table, hit.story_id)}
                    if hit.story_id and sizes.get(hit.story_id, 1) > 1
                    else None
                ),
            }
            for hit in hits
        ],
        "error": None,
        "limit": RELEVANCE_LIMIT,
        "date_order_url": date_order,
    }


def date_order(datasette: Any, request: Any) -> dict[str, str] | None:
    """For a search that Datasette orders: the link back to best match first, or why there is none."""
    if not (request.args.get("_search") or "").strip() or request.args.get("_searchmode") == "raw":
        return None
    if search_options(request.args, any_order=True) is None:
        return {
            "note": "Best match first ranks searches narrowed by source, category, tag or Jalali date only."
        }
    return {
        "relevance_url": datasette.urls.path(
            path_with_removed_args(request, {"_sort", "_sort_desc", "_next"})
        )
    }
