"""Datasette for Persian readers: the newsarchive plugin's pages through Datasette's test client.

One archive built through the storage path (articles, an earlier version, WARC captures,
a degraded crawl run); each test reads the HTML a reader gets (directions, the articles
table's columns, facets, relevance order and snippets, the article page, canned queries)
or the JSON the API keeps. :func:`add_reader_articles` also feeds the browser test.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest
from test_search import BASE, article

from newsarchive.archive import Archive
from newsarchive.datasette.cells import cell_html, direction, marked_html
from newsarchive.datasette.pages import jalali_date_line, jalali_days
from newsarchive.datasette.plugin import READER_COLUMNS, jalali_month

ZWNJ = "\u200c"
MIXED_TITLE = "GTA 6 منتشر شد"
NOW = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


READER_ARTICLES = [
    article(
        "gta",
        "راک‌استار نخستین تریلر GTA 6 را منتشر کرد.\n\nبازی در سال 2025 برای PS5 عرضه می‌شود.",
        title=MIXED_TITLE,
        lead="تریلر بازی GTA 6 منتشر شد.",
        authors=["مریم رضایی", "Sam Lee"],
        categories=["بازی"],
        tags=["بازی ویدیویی", "GTA 6"],
        published_at=NOW,
        published_jalali=f"{jalali_month()}-01 12:00",
        source="zoomit",
    ),
    # Older, with the words in its title: first by relevance, last by date.
    article(
        "title-match",
        "متنی درباره چیزی دیگر.",
        title="اینترنت ماهواره‌ای برای همه",
        published_at="2023-01-10T08:00:00Z",
        published_jalali="1401-10-20 11:30",
        tags=["ماهواره"],
    ),
    article(
        "body-match",
        "در این گزارش از اینترنت ماهواره‌ای استارلینک هم صحبت شد و بس.",
        title="گزارش هفته",
        published_at="2024-06-01T08:00:00Z",
        published_jalali="1403-03-12 11:30",
        sponsored=True,
        page_type="video",
    ),
    article("escape", "متن <b>پررنگ</b> نیست.", title="<script>alert(1)</script> عنوان"),
]
#: The earlier text of the GTA article: stored first, then replaced by READER_ARTICLES[0].
GTA_FIRST = dict(READER_ARTICLES[0], title="تریلر GTA 6 در راه است", body="تریلر به زودی.")
CAPTURE = {
    "url": BASE + "gta",
    "source": "zoomit",
    "kind": "article",
    "fetched_at": NOW,
    "status": 200,
    "content_type": "text/html",
    "payload_digest": "sha1:TEST",
    "record_type": "response",
    "warc_file": "zoomit/20240101-00000.warc.gz",
    "warc_offset": 1234,
    "warc_length": 5678,
}


def add_reader_articles(path: Path) -> None:
    """Store the reader articles, an earlier version of the GTA one, its capture and a degraded run."""
    with Archive(path) as archive:
        archive.save_article(GTA_FIRST, fetched_at="2024-01-01T00:00:00Z")
        for item in READER_ARTICLES:
            archive.save_article(item)
        run = archive.start_run("zoomit")
        archive.add_captures([dict(CAPTURE, run_id=run)])
        archive.finish_run(
            run,
            "degraded",
            {"requests": 3, "articles_new": 4, "problems": [{"check": "coverage", "field": "lead"}]},
            {},
        )


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("reader") / "archive.db"
    add_reader_articles(path)
    return path


def fetch(db: Path, *paths: str) -> list:
    """GET ``paths`` from a Datasette on ``db`` with the newsarchive plugin."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    from newsarchive.datasette import plugin

    if not pm.is_registered(plugin) and pm.get_plugin("newsarchive") is None:
        pm.register(plugin, "newsarchive")

    async def run():
        datasette = Datasette([str(db)])
        return [await datasette.client.get(path) for path in paths]

    responses = asyncio.run(run())
    for path, response in zip(paths, responses, strict=True):
        assert response.status_code == 200, (path, response.text[:2000])
    return responses


def page(db: Path, path: str) -> str:
    return fetch(db, path)[0].text


def header_columns(html: str) -> list[str]:
    table = html.split('<table class="rows-and-columns">', 1)[1].split("</thead>", 1)[0]
    return re.findall(r'<th [^>]*data-column="([^"]+)"', table)


def cell(html: str, column: str, contains: str) -> str:
    """The first ``<td>`` of ``column`` whose HTML contains ``contains``."""
    cells = re.findall(rf'<td class="col-{column} [^"]*"[^>]*>(.*?)</td>', html, re.S)
    return next(text for text in cells if contains in unescape(text))


# --- pure helpers -------------------------------------------------------------------------------


def test_persian_sentences_are_right_to_left_even_when_they_start_in_latin():
    assert direction(MIXED_TITLE) == "rtl"
    assert direction("iOS 17.2 منتشر شد") == "rtl"
    assert direction("Galaxy S24 Ultra") == "ltr"
    assert direction("1403-02-15") == "auto"


def test_cells_escape_text_and_render_arrays_as_chips():
    html = cell_html("<script>x</script> خبر", "title")
    assert "<script>" not in html and "&lt;script&gt;" in html and 'dir="rtl"' in html
    chips = cell_html('["هوش مصنوعی", "ChatGPT"]', "tags", chip_link=lambda c, n: f"/t?{c}={n}")
    assert chips.count('class="na-chip"') == 2 and "[&#34;" not in chips and '["' not in chips
    assert '<li class="na-chip" dir="ltr">' in chips and '<li class="na-chip" dir="rtl">' in chips
    assert cell_html("https://example.ir/a", "url") == (
        '<a class="na-link" href="https://example.ir/a" dir="ltr">https://example.ir/a</a>'
    )
    assert cell_html(None, "title") is None and cell_html(12, "sponsored") is None


def test_snippet_marks_become_mark_elements_after_escaping():
    assert marked_html("a \x02<b>\x03 c") == "a <mark>&lt;b&gt;</mark> c"


def test_jalali_helpers():
    assert jalali_date_line("1402-12-24 20:15") == "۲۴ اسفند ۱۴۰۲، ساعت ۲۰:۱۵"
    assert jalali_days("1403-12") == ("1403-12-01", "1403-12-30")  # 1403 is a leap year
    assert jalali_days("1402-12") == ("1402-12-01", "1402-12-29")
    assert jalali_days("1403-07") == ("1403-07-01", "1403-07-30")
    assert jalali_days("1403") == ("1403-01-01", "1403-12-30")
    assert jalali_days("14x3") is None and jalali_days("1403-13") is None


# --- the articles table --------------------------------------------------------------------------


def test_articles_table_shows_the_readers_columns_and_the_api_keeps_every_column(archive_path):
    table, data = fetch(archive_path, "/archive/articles", "/archive/articles.json?_shape=array")
    html = table.text
    assert header_columns(html) == list(READER_COLUMNS)
    assert 'data-column="body"' not in html and "search_title" not in header_columns(html)
    assert "راک‌استار نخستین تریلر" not in html  # the body is not in the table view
    row = next(item for item in data.json() if item["url"] == BASE + "gta")
    assert row["body"].startswith("راک‌استار") and row["search_title"]
    # Asked for explicitly, a hidden column is shown.
    assert "body" in header_columns(page(archive_path, "/archive/articles?_col=title&_col=body"))


def test_cells_and_inputs_carry_their_direction(archive_path):
    html = page(archive_path, "/archive/articles")
    title = cell(html, "title", MIXED_TITLE)
    assert '<div class="na-text na-title" dir="rtl">' in title and "/archive/articles/" in title
    assert re.search(r'<input id="_search" type="search" name="_search" value="" dir="auto">', html)
    assert all('dir="auto"' in td for td in re.findall(r"<td [^>]*>", html))
    tags = cell(html, "tags", "GTA 6")
    assert 'class="na-chips"' in tags and "tags__arraycontains=GTA+6" in tags and "[&#34;" not in tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html


def test_column_descriptions_are_folded_away(archive_path):
    html = page(archive_path, "/archive/articles")
    details = html.split('<details class="na-column-descriptions">', 1)[1].split("</details>", 1)[0]
    assert "<summary>Column descriptions (26)</summary>" in details and "<dt>published_jalali</dt>" in details
    assert html.index("na-column-descriptions") < html.index('<table class="rows-and-columns">')


# --- facets -------------------------------------------------------------------------------------


def facet_names(html: str) -> list[str]:
    return re.findall(r'<p class="facet-info-name">\s*<strong>([^<]+?)\s*<span', html)


def test_facets_are_the_readers_and_none_is_listed_twice(archive_path):
    html = page(archive_path, "/archive/articles?_facet=source&_facet_array=tags")
    names = facet_names(html)
    assert sorted(names) == sorted(
        [
            "source",
            "published_jalali (jalali_year)",
            "published_jalali (jalali_month)",
            "categories (array)",
            "tags (array)",
            "story_id (story)",
            "sponsored",
            "page_type",
        ]
    )
    suggested = re.search(r'<p class="suggested-facets">(.*?)</p>', html, re.S)
    assert suggested and "published_at" in suggested.group(1)  # dates are still suggested
    offered = re.findall(r">(\w+)</a>(?: \((\w+)\))?", suggested.group(1))
    assert not {name for name, _ in offered} & {"field_sources", "notes", "search_body"}
    assert not {(name, kind) for name, kind in offered} & {("authors", ""), ("categories", ""), ("tags", "")}


def test_a_jalali_facet_of_an_unknown_column_is_ignored(archive_path):
    html = page(archive_path, "/archive/articles?_facet_jalali_year=nosuch&_facet_jalali_month=title]; drop")
    assert "nosuch" not in facet_names(html) and len(facet_names(html)) == 8


def test_jalali_month_facet_names_months_and_filters_by_them(archive_path):
    html = page(archive_path, "/archive/articles")
    assert "<bdi>خرداد 1403</bdi>" in html and "published_jalali__startswith=1403-03" in html
    filtered = page(archive_path, "/archive/articles.json?published_jalali__startswith=1403-03&_shape=array")
    assert [row["url"] for row in json.loads(filtered)] == [BASE + "body-match"]


# --- search ---------------------------------------------------------------------------------------


def hit_titles(html: str) -> list[str]:
    return [
        unescape(t) for t in re.findall(r'<h3 class="na-hit-title"[^>]*><a href="[^"]+">([^<]+)</a>', html)
    ]


def test_search_is_ordered_by_relevance_with_snippets_and_the_date_order_one_click_away(archive_path):
    query = "اینترنت ماهواره‌ای"
    html = page(archive_path, f"/archive/articles?_search={query}")
    assert hit_titles(html) == ["اینترنت ماهواره‌ای برای همه", "گزارش هفته"]  # the title match first
    assert "best match first" in html
    assert f"<mark>ماهواره{ZWNJ}ای</mark>" in html  # the display text, ZWNJ kept, not the search form
    date_link = re.search(r'<a href="([^"]+)" class="na-date-order">Newest first</a>', html).group(1)
    by_date = page(archive_path, unescape(date_link))
    assert "_sort_desc=published_at" in unescape(date_link) and "na-hit-title" not in by_date
    titles = [
        unescape(t)
        for t in re.findall(r'<a class="na-title-link" href="[^"]+" dir="rtl">([^<]+)</a>', by_date)
    ]
    assert titles == ["گزارش هفته", "اینترنت ماهواره‌ای برای همه"]
    assert 'class="na-relevance-order">Best match first</a>' in by_date


def test_search_keeps_facet_selections_it_can_apply(archive_path):
    html = page(archive_path, "/archive/articles?_search=اینترنت ماهواره‌ای&tags__arraycontains=ماهواره")
    assert hit_titles(html) == ["اینترنت ماهواره‌ای برای همه"]
    html = page(archive_path, "/archive/articles?_search=اینترنت&published_jalali__startswith=1403-03")
    assert hit_titles(html) == ["گزارش هفته"]


def test_a_search_with_a_filter_it_cannot_rank_says_so_and_orders_by_date(archive_path):
    html = page(archive_path, "/archive/articles?_search=اینترنت&sponsored=1")
    assert "na-hit-title" not in html and "Best match first ranks searches narrowed by" in html
    assert "na-relevance-order" not in html and ">گزارش هفته</a>" in html
    raw = page(archive_path, "/archive/articles?_search=اینترنت&_searchmode=raw")
    assert "na-hit-title" not in raw and "Best match first" not in raw


def test_a_query_without_words_or_an_unknown_source_is_no_error_page(archive_path):
    html = page(archive_path, "/archive/articles?_search=-اینترنت")
    assert 'class="message-error"' in html
    html = page(archive_path, "/archive/articles?_search=اینترنت&source=nosuch")
    assert "na-hit-title" not in html and "0 rows" in html


# --- the article page ------------------------------------------------------------------------------


def test_article_page_shows_the_article_its_versions_and_captures(archive_path):
    data = json.loads(page(archive_path, "/archive/articles.json?url=" + BASE + "gta&_shape=array"))
    html = page(archive_path, f"/archive/articles/{data[0]['id']}")
    assert f'<h1 class="na-article-title" dir="rtl">{MIXED_TITLE}</h1>' in html
    assert jalali_date_line(READER_ARTICLES[0]["published_jalali"]) in html
    assert f'datetime="{NOW}"' in html
    for name in ("مریم رضایی", "Sam Lee", "بازی", "بازی ویدیویی", "GTA 6"):
        assert f">{name}</a></li>" in html
    assert '<img src="https://static.example.ir/gta.jpg"' in html
    body = html.split('<div class="na-body">', 1)[1].split("</div>", 1)[0]
    assert body.count("<p ") == 2 and "راک‌استار نخستین تریلر GTA 6" in body
    assert f'href="{BASE}gta" dir="ltr"' in html  # the original URL
    versions = html.split('id="versions"', 1)[1].split("</section>", 1)[0]
    assert (
        "Earlier versions (1)" in versions
        and "تریلر GTA 6 در راه است" in versions
        and "تریلر به زودی." in versions
    )
    captures = html.split('id="captures"', 1)[1].split("</section>", 1)[0]
    assert "zoomit/20240101-00000.warc.gz" in captures and ">1234<" in captures and ">5678<" in captures
    columns = html.split('id="columns"', 1)[1]
    assert ">search_title</th>" in columns and ">body</th>" in columns


def test_other_rows_show_their_columns_one_under_another(archive_path):
    html = page(archive_path, "/archive/captures/1")
    assert "na-article" not in html and '<table class="rows-and-columns na-columns">' in html
    assert re.search(
        r'<tr><th scope="row">warc_file</th><td class="col-warc_file" dir="auto">.*zoomit/20240101', html
    )


# --- canned queries and the site ---------------------------------------------------------------------


def test_canned_queries_run_and_return_rows(archive_path):
    months, runs, tags = (
        response.json()
        for response in fetch(
            archive_path,
            "/archive/articles_per_month.json?_shape=array",
            "/archive/latest_runs.json?_shape=array",
            "/archive/tags_this_month.json?_shape=array",
        )
    )
    assert {"month": NOW[:7], "source": "zoomit", "articles": 1} in months
    assert runs[0]["status"] == "degraded" and json.loads(runs[0]["problems"])[0]["field"] == "lead"
    assert {row["tag"] for row in tags} == {"بازی ویدیویی", "GTA 6"}
    chart = page(archive_path, "/archive/articles_per_month")
    assert '<figure class="na-chart"><svg' in chart and "zoomit" in chart


def test_every_page_has_the_site_title(archive_path):
    pages = fetch(
        archive_path, "/", "/archive", "/archive/articles", "/archive/latest_runs", "/archive/captures/1"
    )
    for response in pages:
        assert (
            '<a class="na-site-title" href="/">Persian tech news archive (newsarchive)</a>' in response.text
        )
    assert "<title>Persian tech news archive (newsarchive)" in pages[0].text


def test_other_databases_keep_datasettes_pages(tmp_path):
    import sqlite3

    plain = tmp_path / "plain.db"
    with sqlite3.connect(plain) as conn:
        conn.execute("create table notes (id integer primary key, text text, tags text)")
        conn.execute("insert into notes values (1, 'یادداشت', '[\"a\", \"b\"]')")
    index, table, row = fetch(plain, "/", "/plain/notes", "/plain/notes/1")
    for response in (index, table, row):
        assert "na-site" not in response.text
    assert '["a", "b"]' in unescape(table.text) and "na-chips" not in table.text  # no chips outside archives
    assert "na-columns" not in row.text and "یادداشت" in row.text
