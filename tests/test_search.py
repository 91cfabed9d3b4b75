"""Search (#12): a Persian word is found however it was typed, from every client.

One archive, built by the storage path (``Archive.save_article`` with full article
dicts), searched through the library, the ``newsarchive`` CLI, raw ``sqlite-utils
search`` (its CLI, in a subprocess) and Datasette's test client.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from newsarchive import cli
from newsarchive.archive import MIGRATIONS, SCHEMA_VERSION, Archive
from newsarchive.search import MAX_TERMS, QueryError, fts_query, index_text, parse_query, snippet

ZWNJ = "\u200c"
BASE = "https://example.ir/news/"


def article(slug: str, body: str, **changes) -> dict:
    """A full article dict as the pipelines hand it to storage."""
    base = {
        "source": "digiato",
        "url": BASE + slug,
        "title": f"خبر {slug}",
        "lead": "",
        "body": body,
        "authors": ["زهرا ملکی"],
        "categories": ["اینترنت"],
        "tags": [],
        "image_url": f"https://static.example.ir/{slug}.jpg",
        "page_type": "article",
        "sponsored": False,
        "published_at": "2024-05-04T06:45:00Z",
        "published_jalali": "1403-02-15 10:15",
        "published_precision": "minute",
        "published_display": "۱۵ اردیبهشت ۱۴۰۳",
        "field_sources": {"title": "site"},
        "notes": [],
    }
    base.update(changes)
    return base


ARTICLES = [
    article(
        "zwnj",
        "وزیر ارتباطات: مجموع کاربران فعال در پیام‌رسان‌های داخلی ۱۵ میلیون است.",
        tags=["پیام‌رسان"],
        categories=["اینترنت", "موبایل"],
    ),
    article(
        "joined",
        "وزیر ارتباطات گفت کاربران پیامرسانهای داخلی به 15 میلیون رسیده‌اند.",
        source="zoomit",
        published_at="2024-03-19T10:00:00Z",
        published_jalali="1402-12-29 13:30",
    ),
    article(
        "spaced",
        "یک پیام رسان تازه با نام «بله» برای کاربران ایرانی منتشر شد.",
        source="itna",
        published_at="2024-03-21T10:00:00Z",
        published_jalali="1403-01-02 13:30",
    ),
    article("satellite", "ماهواره ناهید ۲ با موفقیت به مدار رسید.", categories=["فضا"], tags=["ماهواره"]),
    article("month", "قیمت اینترنت همراه در این ماه ثابت ماند.", categories=["اپراتور"]),
    article(
        "marks",
        "سَامانهٔ جدید احراز هویت از اول مهر ماه فعال می‌شود و حَذفِ پیامک را ممکن می‌کند.",
        title="ســامانه جدید احراز هویت",
    ),
    article("arabic", "مايكروسافت نسخه جديد ويندوز را با هوش مصنوعی عرضه كرد.", categories=["نرم‌افزار"]),
    article("title-match", "متنی درباره چیزی دیگر.", title="اپراتورها و اینترنت ماهواره‌ای"),
    article("body-match", "در این گزارش از اینترنت ماهواره‌ای استارلینک هم صحبت شد و بس.", title="گزارش هفته"),
]

# query -> the slugs it must find (exactly, when the set is marked exact).
SPELLINGS = {
    "پیام‌رسان": {"zwnj", "joined", "spaced"},
    "پیام رسان": {"zwnj", "joined", "spaced"},
    "پيام‌رسان": {"zwnj", "joined", "spaced"},  # Arabic yeh
    "پیام*": {"zwnj", "joined", "spaced", "marks"},  # and پیامک
    "پیامرسان": {"zwnj", "joined", "spaced"},  # the spaced one through the split "پیام رسان"
    "پیام‌رسان‌های": {"zwnj", "joined"},
    "۱۵ میلیون": {"zwnj", "joined"},
    "15 میلیون": {"zwnj", "joined"},
    "١٥ ميليون": {"zwnj", "joined"},  # Arabic-Indic digits, Arabic yeh
    "ماه": {"month", "marks"},
    "ماهواره": {"satellite", "title-match", "body-match"},
    "سامانه": {"marks"},  # the text has kashida in the title and diacritics in the body
    "ســامانه": {"marks"},  # kashida in the query
    "حذف": {"marks"},  # the text has حَذفِ
    "حَذف": {"marks"},
    "مایکروسافت ویندوز": {"arabic"},  # the text has Arabic yeh and kaf
}


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("search") / "archive.db"
    with Archive(path) as archive:
        for item in ARTICLES:
            assert archive.save_article(item) == "new"
    return path


@pytest.fixture
def archive(archive_path):
    with Archive(archive_path, readonly=True) as opened:
        yield opened


def slugs(urls) -> set[str]:
    return {url.removeprefix(BASE) for url in urls}


# --- the spelling table, through every client ------------------------------------


@pytest.mark.parametrize("query, expected", SPELLINGS.items())
def test_library_finds_every_spelling(archive, query, expected):
    assert slugs(hit.url for hit in archive.search(query)) == expected


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("query, expected", SPELLINGS.items())
def test_cli_finds_every_spelling(archive_path, capsys, query, expected):
    code, out, err = run_cli(capsys, "search", query, "--db", str(archive_path), "--json")
    assert code == 0, err
    assert slugs(json.loads(line)["url"] for line in out.splitlines()) == expected


def raw_sqlite_utils(db: Path, query: str) -> tuple[int, set[str], str]:
    result = subprocess.run(
        [sys.executable, "-m", "sqlite_utils", "search", str(db), "articles", query, "-c", "url"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = slugs(row["url"] for row in json.loads(result.stdout)) if result.returncode == 0 else set()
    return result.returncode, found, result.stderr


# Raw FTS5 queries, typed as a Persian keyboard types them (ZWNJ, Persian digits).
RAW = {
    "پیام‌رسان": {"zwnj", "spaced"},  # FTS5 reads it as the phrase "پیام رسان"
    "پیامرسانهای": {"zwnj", "joined"},
    "۱۵ میلیون": {"zwnj", "joined"},
    "15 میلیون": {"zwnj", "joined"},
    "سامانه": {"marks"},
    "ویندوز": {"arabic"},
}


@pytest.mark.slow
@pytest.mark.parametrize("query, expected", RAW.items())
def test_raw_sqlite_utils_search(archive_path, query, expected):
    code, found, err = raw_sqlite_utils(archive_path, query)
    assert code == 0, err
    assert found == expected


@pytest.mark.slow
def test_raw_queries_cannot_fold_what_the_index_does_not_hold(archive_path):
    """Documented limits of raw queries: Arabic letters and diacritics in the query."""
    assert raw_sqlite_utils(archive_path, "ويندوز")[1] == set()
    assert raw_sqlite_utils(archive_path, "حَذف")[1] == set()


def datasette_search(db: Path, query: str, *, plugin: bool = True, **params) -> tuple[int, set[str]]:
    from datasette.app import Datasette
    from datasette.plugins import pm

    from newsarchive.datasette import plugin as newsarchive_plugin

    registered = pm.is_registered(newsarchive_plugin)
    if plugin and not registered:
        pm.register(newsarchive_plugin, "newsarchive")
    if not plugin and registered:
        pm.unregister(newsarchive_plugin)
    try:

        async def fetch():
            datasette = Datasette([str(db)])
            return await datasette.client.get(
                f"/{db.stem}/articles.json",
                params={"_search": query, "_shape": "array", "_col": "url", **params},
            )

        response = asyncio.run(fetch())
    finally:
        if registered and not pm.is_registered(newsarchive_plugin):
            pm.register(newsarchive_plugin, "newsarchive")
        if not registered and pm.is_registered(newsarchive_plugin):
            pm.unregister(newsarchive_plugin)
    found = slugs(row["url"] for row in response.json()) if response.status_code == 200 else set()
    return response.status_code, found


@pytest.mark.parametrize("query, expected", SPELLINGS.items())
def test_datasette_search_box_with_the_plugin_folds_like_the_cli(archive_path, query, expected):
    assert datasette_search(archive_path, query) == (200, expected)


@pytest.mark.parametrize("query, expected", RAW.items())
def test_datasette_search_box_without_the_plugin_has_the_raw_guarantees(archive_path, query, expected):
    assert datasette_search(archive_path, query, plugin=False) == (200, expected)


def test_datasette_raw_search_mode_still_passes_fts5_syntax(archive_path):
    assert datasette_search(archive_path, "پیامرسانهای OR ناهید", _searchmode="raw") == (
        200,
        {"zwnj", "joined", "satellite"},
    )


def test_datasette_offers_search_facets_metadata_and_links(archive_path, tmp_path):
    from datasette.app import Datasette

    # Any file name: the plugin finds archives by their schema, not by name.
    renamed = tmp_path / "news-2024.db"
    renamed.write_bytes(archive_path.read_bytes())

    async def fetch():
        datasette = Datasette([str(renamed)])
        page = await datasette.client.get("/news-2024/articles")
        data = await datasette.client.get("/news-2024/articles.json", params={"_size": "1"})
        meta = await datasette.client.get("/-/metadata.json")
        return page, data, meta

    page, data, meta = asyncio.run(fetch())
    assert page.status_code == 200
    assert 'name="_search"' in page.text  # the search box
    assert f'href="{BASE}zwnj"' in page.text and 'href="https://static.example.ir/zwnj.jpg"' in page.text
    facets = data.json()["facet_results"]
    assert {"source", "categories", "tags"} <= set(facets)
    categories = {row["value"] for row in facets["categories"]["results"]}
    assert {"اینترنت", "موبایل"} <= categories  # JSON array facet: values, not arrays
    tables = meta.json()["databases"]["news-2024"]["tables"]
    assert tables["articles"]["columns"]["published_jalali"].startswith("Publication time in Tehran")


def test_shipped_metadata_file_works_with_plain_datasette(archive_path):
    from datasette.app import Datasette

    from newsarchive.datasette import METADATA_PATH

    metadata = json.loads(METADATA_PATH.read_text("utf-8"))
    assert archive_path.stem == "archive" and "archive" in metadata["databases"]

    async def fetch():
        datasette = Datasette([str(archive_path)], metadata=metadata)
        return await datasette.client.get("/"), await datasette.client.get("/archive/articles")

    index, page = asyncio.run(fetch())
    assert index.status_code == 200 and "Persian tech news archive" in index.text
    assert page.status_code == 200 and "One row per article" in page.text


def test_serve_prints_the_datasette_command(archive_path, capsys):
    code, out, _ = run_cli(capsys, "serve", "--db", str(archive_path), "--print-only", "--port", "8123")
    assert code == 0 and out.startswith("datasette serve ") and "--port 8123" in out
    code, _, err = run_cli(capsys, "serve", "--db", str(archive_path.with_name("missing.db")), "--print-only")
    assert code == 2 and "no archive" in err


# --- precision, suffixes, snippets, ranking, filters --------------------------------


def test_a_bare_word_is_not_a_blind_prefix(archive):
    assert "satellite" not in slugs(hit.url for hit in archive.search("ماه"))
    assert slugs(hit.url for hit in archive.search("ماه*")) >= {"satellite", "month"}


def test_suffixes_and_joined_neighbours():
    expression = fts_query("پیام رسان")
    assert '"پیامرسانهای"' in expression and '"پیام"' in expression and '"رسان"' in expression
    # A quoted word is exact: no suffixes, no splits.
    assert fts_query('"ماه"') == '"ماه"'
    # Latin words and numbers get no Persian suffixes.
    assert fts_query("iOS 17") == '"ios" AND "17"'


def test_snippet_shows_the_display_text_with_the_matched_words_marked(archive):
    (hit,) = [hit for hit in archive.search("پیام‌رسان") if hit.url.endswith("zwnj")]
    assert f"[پیام{ZWNJ}رسان{ZWNJ}های]" in hit.snippet  # ZWNJ intact, whole word marked
    assert "۱۵ میلیون" in hit.snippet  # original digits, not the folded 15
    (hit,) = archive.search("حذف")
    assert "[حَذفِ]" in hit.snippet
    (hit,) = [hit for hit in archive.search("15 میلیون") if hit.url.endswith("zwnj")]
    assert "[۱۵] [میلیون]" in hit.snippet


def test_snippet_cuts_a_window_around_the_matches():
    body = " ".join(["واژه"] * 100 + ["پیام‌رسان"] + ["دیگر"] * 100)
    cut = snippet([body], "پیامرسان", words=10)
    assert cut.startswith("… ") and cut.endswith(" …") and f"[پیام{ZWNJ}رسان]" in cut
    assert len(cut.split()) <= 13
    assert snippet(["بدون تطابق"], "پیام") == "بدون تطابق"


def test_title_matches_rank_above_body_matches(archive):
    urls = [hit.url.removeprefix(BASE) for hit in archive.search("اینترنت ماهواره‌ای")]
    assert urls.index("title-match") < urls.index("body-match")


def test_or_exclude_phrase_and_prefix(archive):
    def found(query):
        return slugs(hit.url for hit in archive.search(query))

    assert found("ناهید OR بله") == {"satellite", "spaced"}
    assert found("پیام‌رسان -بله") == {"zwnj", "joined"}
    assert found('"پیام رسان تازه"') == {"spaced"}
    assert found('"تازه پیام"') == set()
    assert found("مایکرو*") == {"arabic"}


def test_filters_source_dates_category_tag(archive_path, capsys):
    def found(*options):
        code, out, err = run_cli(capsys, "search", "پیام‌رسان", "--db", str(archive_path), "--json", *options)
        assert code == 0, err
        return slugs(json.loads(line)["url"] for line in out.splitlines())

    assert found("--source", "zoomit") == {"joined"}
    assert found("--source", "zoomit", "--source", "itna") == {"joined", "spaced"}
    # Jalali and Gregorian dates, told apart by the year; Tehran days, --until inclusive.
    assert found("--since", "1403-01-01") == {"zwnj", "spaced"}
    assert found("--since", "2024-03-20") == {"zwnj", "spaced"}
    assert found("--until", "1402-12-29") == {"joined"}
    assert found("--since", "۱۴۰۳/۰۱/۰۲", "--until", "1403-01-02") == {"spaced"}
    assert found("--category", "موبایل") == {"zwnj"}
    assert found("--tag", "پیام‌رسان") == {"zwnj"}
    assert found("--limit", "1") <= {"zwnj", "joined", "spaced"}


def test_cli_table_output(archive_path, capsys):
    code, out, _ = run_cli(capsys, "search", "پیام‌رسان", "--db", str(archive_path), "--limit", "2")
    assert code == 0
    assert out.startswith("  1. ") and "  2. " in out and "(Tehran)" in out and "[" in out
    code, out, _ = run_cli(capsys, "search", "واژه‌ای‌که‌نیست", "--db", str(archive_path))
    assert code == 0 and "no matches" in out


def test_help_documents_the_query_language(capsys):
    with pytest.raises(SystemExit):
        cli.main(["search", "--help"])
    out = capsys.readouterr().out
    for piece in ('"a phrase"', "a OR b", "-word", "word*", "--since", "--tag", "Exit status"):
        assert piece in out


# --- hostile queries -------------------------------------------------------------------

HOSTILE = [
    '"پیام‌رسان',
    'پیام"',
    '"""',
    "AND OR",
    "OR",
    "NOT",
    ")",
    "(",
    "((پیام",
    "articles_fts:",
    "search_body:پیام",
    "'; DROP TABLE articles; --",
    "NEAR(a b)",
    "NEAR(پیام رسان, 2)",
    "^",
    "^پیام",
    "*",
    "**",
    "-",
    "--",
    "-پیام",
    "پیام AND",
    "{search_title}: x",
    "x" * 10_000,
    "پیام " * 2_000,
    "",
    "   ",
    "\u200c",
    "\x00",
    "؟!",
    "پ*",
    "a" * 300 + "*",
]


@pytest.mark.parametrize("query", HOSTILE, ids=[repr(q[:20]) for q in HOSTILE])
def test_hostile_queries_never_break_anything(archive_path, capsys, query):
    # "--" so that argparse takes a query starting with "-" as the query.
    code, out, err = run_cli(capsys, "search", "--db", str(archive_path), "--json", "--", query)
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:
        assert err.startswith("newsarchive search: ") and out == ""
    else:
        for line in out.splitlines():
            json.loads(line)
    status, _ = datasette_search(archive_path, query)
    assert status == 200
    with Archive(archive_path, readonly=True) as archive:
        try:
            archive.search(query)
        except QueryError as error:
            assert str(error)
        assert archive.count() == len(ARTICLES)


def test_clear_messages_for_queries_that_cannot_be_searched(archive_path, capsys):
    for query, message in (
        ("", "no words"),
        ("-پیام", "only excludes"),
        ("پیام " * 100, f"at most {MAX_TERMS}"),
    ):
        code, out, err = run_cli(capsys, "search", "--db", str(archive_path), "--", query)
        assert code == 2 and message in err and out == ""
    code, _, err = run_cli(capsys, "search", "پیام", "--db", str(archive_path), "--since", "1403-13-45")
    assert code == 2 and "is not a date" in err


def test_every_expression_is_valid_fts5():
    conn = sqlite3.connect(":memory:")
    conn.execute("create virtual table t using fts5(a, b, c)")
    for query in [*HOSTILE, *SPELLINGS, *RAW]:
        expression = fts_query(query)
        if expression is not None:
            conn.execute("select * from t where t match ?", [expression]).fetchall()


# --- the index form and its maintenance ----------------------------------------------


def test_index_form_holds_joined_spaced_and_persian_digit_forms():
    form = index_text("کاربران پیام‌رسان‌های داخلی ۱۵ میلیون و iOS 17.2")
    assert form.splitlines() == ["کاربران پیامرسانهای داخلی 15 میلیون و ios 17.2", "پیام رسان های", "۱۵ ۱۷ ۲"]
    assert index_text("") == "" and index_text("ساده") == "ساده"


def test_index_follows_updates_and_deletes(tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        archive.save_article(ARTICLES[0])
        assert len(archive.search("پیامرسان")) == 1
        archive.save_article({**ARTICLES[0], "body": "متن تازه درباره ماهواره."})
        assert archive.search("میلیون") == []
        assert len(archive.search("پیامرسان")) == 1  # the tag still holds it
        assert [hit.url for hit in archive.search("ماهواره")] == [ARTICLES[0]["url"]]
        archive.delete_article(ARTICLES[0]["url"])
        assert archive.search("ماهواره") == []


def test_reindex_rebuilds_search_columns_and_index(tmp_path, capsys):
    path = tmp_path / "a.db"
    with Archive(path) as archive:
        for item in ARTICLES[:3]:
            archive.save_article(item)
    with sqlite3.connect(path) as conn:  # as if the folding rules had been different
        conn.execute("update articles set search_body = 'x' where url like '%zwnj'")
    triggers_sql = "select name, sql from sqlite_master where type = 'trigger' order by name"
    with Archive(path) as archive:
        assert "zwnj" not in slugs(hit.url for hit in archive.search("میلیون"))
        triggers = archive.db.execute(triggers_sql).fetchall()
    code, out, err = run_cli(capsys, "reindex", "--db", str(path), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["articles"] == 3 and report["changed"] == 1 and report["index_bytes"] > 0
    with Archive(path) as archive:
        assert slugs(hit.url for hit in archive.search("میلیون")) == {"zwnj", "joined"}
        assert archive.db.execute(triggers_sql).fetchall() == triggers  # the sync triggers are back
        archive.save_article(article("after", "پیام‌رسان پس از بازسازی"))
        assert "after" in slugs(hit.url for hit in archive.search("پیامرسان"))
        assert archive.integrity_check() == "ok"
    code, out, _ = run_cli(capsys, "reindex", "--db", str(path))
    assert code == 0 and out.startswith("reindexed 4 articles") and "of 0 changed" in out


PERSIAN_DIGITS = set("۰۱۲۳۴۵۶۷۸۹")


def _old_layout(form: str) -> str:
    """The search form of schema version 2: the same without the Persian-digit line."""
    return "\n".join(line for line in form.split("\n") if not PERSIAN_DIGITS & set(line))


def test_migration_moves_a_version_2_archive_to_the_new_layout(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    for migration in MIGRATIONS[:2]:
        migration(db)
    db.execute("PRAGMA user_version = 2")
    for item in ARTICLES:
        record = {**Archive._record(item), **Archive._search_forms(item)}
        for column in ("search_title", "search_lead", "search_body"):
            record[column] = _old_layout(record[column])
        record.update(
            id=item["url"][-12:], first_seen_at="2024-05-04T07:00:00Z", last_fetched_at="2024-05-04T07:00:00Z"
        )
        db["articles"].insert(record)
    db.conn.commit()
    db.close()
    # Before: a raw Persian-digit query finds nothing.
    assert list(sqlite_utils.Database(path)["articles"].search("۱۵")) == []

    with Archive(path) as archive:
        assert archive.schema_version() == SCHEMA_VERSION >= 3
        assert archive.count() == len(ARTICLES)
        assert slugs(hit.url for hit in archive.search("پیام‌رسان")) == {"zwnj", "joined", "spaced"}
        assert archive.integrity_check() == "ok"
    assert slugs(row["url"] for row in sqlite_utils.Database(path)["articles"].search("۱۵")) == {
        "zwnj",
        "joined",
    }


def test_parse_query_keeps_operators_as_text():
    parsed = parse_query('a OR b -c "d e" f* AND NEAR')
    assert [[t.words for t in clause] for clause in parsed.clauses] == [
        [(("a",),), (("b",),)],
        [(("d",), ("e",))],
        [(("f",),)],
        [(("and",),)],
        [(("near",),)],
    ]
    assert parsed.excluded[0].words == (("c",),)
