"""The Python API a notebook uses: ``from newsarchive import Archive``, ``Archive.open``,
``search``, ``articles`` and ``to_pandas``, with the examples of their docstrings run as
doctests on the three-article archive they describe."""

from __future__ import annotations

import doctest
import subprocess
import sys
from pathlib import Path

import pytest

import newsarchive
import newsarchive.archive
import newsarchive.archive.queries
from newsarchive import Archive, ArchiveError, QueryError, UnknownNames
from newsarchive.archive import ArchiveWriteError

ZWNJ = "\u200c"


def article(source: str, slug: str, title: str, published_at: str, jalali: str, **fields) -> dict:
    """An article as the pipelines hand it to storage."""
    return {
        "source": source,
        "url": f"https://{source}.com/article/{slug}",
        "title": title,
        "lead": fields.get("lead"),
        "body": fields.get("body", f"متن خبر {title}"),
        "authors": fields.get("authors", []),
        "categories": fields.get("categories", []),
        "tags": fields.get("tags", []),
        "image_url": None,
        "page_type": "article",
        "sponsored": fields.get("sponsored", False),
        "published_at": published_at,
        "published_jalali": jalali,
        "published_precision": "minute",
        "published_display": jalali,
        "modified_at": fields.get("modified_at"),
        "field_sources": {},
        "notes": [],
    }


#: The archive the docstrings' examples describe (written in reverse date order on purpose).
ARTICLES = [
    article(
        "digiato",
        "starlink",
        "اینترنت ماهواره‌ای استارلینک در ایران",
        "2024-05-04T06:45:00Z",
        "1403-02-15 10:15",
        tags=["اینترنت", "ماهواره"],
        categories=["اینترنت"],
        modified_at="2024-05-05T08:00:00Z",
    ),
    article(
        "zoomit",
        "s24",
        "گلکسی S24 در ایران عرضه شد",
        "2024-04-10T08:00:00Z",
        "1403-01-22 11:30",
        tags=["سامسونگ", "گوشی"],
        categories=["موبایل"],
        authors=["زهرا ملکی"],
        sponsored=True,
    ),
    article(
        "digiato",
        "bale",
        "پیام‌رسان بله به‌روزرسانی شد",
        "2024-03-20T06:30:00Z",
        "1403-01-01 10:00",
        body="نسخه تازه پیام‌رسان بله برای iOS 17.2 و اندروید منتشر شد.",
        tags=["پیام‌رسان"],
        categories=["اپلیکیشن"],
    ),
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A folder holding the docstrings' ``archive.db``."""
    path = tmp_path_factory.mktemp("api")
    with Archive(path / "archive.db") as archive:
        for item in ARTICLES:
            archive.save_article(item, fetched_at="2024-06-01T00:00:00Z")
    return path


@pytest.fixture
def archive(folder):
    with Archive.open(folder / "archive.db") as opened:
        yield opened


@pytest.mark.parametrize(
    ("module", "examples"),
    [(newsarchive, 3), (newsarchive.archive, 3), (newsarchive.archive.queries, 9)],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_the_docstring_examples_run(folder, monkeypatch, module, examples):
    monkeypatch.chdir(folder)
    monkeypatch.delenv("NEWSARCHIVE_DB", raising=False)
    with Archive.open("archive.db") as archive:
        results = doctest.testmod(module, extraglobs={"archive": archive, "Archive": Archive}, report=True)
    assert results.attempted == examples
    assert results.failed == 0


def test_import_newsarchive_stays_cheap_and_exports_its_public_names():
    code = (
        "import sys, newsarchive; "
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sqlite_utils', 'sqlite3', 'pandas', 'scrapy'}); "
        "from newsarchive import Archive, ArchiveError, QueryError, SearchHit, UnknownNames; "
        "print(heavy, Archive.__module__, sorted(newsarchive.__all__))"
    )
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert printed.split() == [
        "[]",
        "newsarchive.archive",
        "['Archive',",
        "'ArchiveError',",
        "'QueryError',",
        "'SearchHit',",
        "'UnknownNames',",
        "'__version__']",
    ]


def test_an_unknown_name_is_an_attribute_error_and_submodules_still_import():
    with pytest.raises(AttributeError, match="no attribute 'Archives'"):
        newsarchive.Archives  # noqa: B018
    from newsarchive import search

    assert search.QueryError is QueryError


def test_open_is_read_only_and_a_missing_file_is_an_error(folder, tmp_path):
    with Archive.open(folder / "archive.db") as archive:
        assert archive.readonly
        with pytest.raises(ArchiveWriteError, match="is read-only"), archive.write():
            archive.db.execute("delete from articles")
    with Archive.open(folder / "archive.db") as archive:
        assert archive.count() == 3
    missing = tmp_path / "typo.db"
    with pytest.raises(ArchiveError, match=r"no archive at .*typo\.db"):
        Archive.open(missing)
    with pytest.raises(ArchiveError, match="no archive at"):
        Archive.open(missing, write=True)
    assert not missing.exists()
    with pytest.raises(ArchiveError, match="no archive at"):
        Archive.open(tmp_path)  # a folder is no archive
    notes = tmp_path / "notes.txt"
    notes.write_text("not an archive\n")
    with pytest.raises(ArchiveError, match="file is not a database"):
        Archive.open(notes)
    assert notes.read_text() == "not an archive\n"


def test_open_with_write_applies_writes(tmp_path):
    path = tmp_path / "archive.db"
    Archive(path).close()
    with Archive.open(path, write=True) as archive:
        assert not archive.readonly
        archive.save_article(ARTICLES[0])
    with Archive.open(path) as archive:
        assert archive.count() == 1
        assert "read-only: 1 articles" in repr(archive)
    assert "not readable" in repr(archive)


def test_open_reads_the_environment_default(folder, monkeypatch):
    monkeypatch.setenv("NEWSARCHIVE_DB", str(folder / "archive.db"))
    with Archive.open() as archive:
        assert archive.count() == 3


def test_articles_are_plain_values_in_date_order(archive):
    found = archive.articles()
    assert [row["published_at"] for row in found] == sorted(row["published_at"] for row in ARTICLES)
    s24 = found[1]
    assert s24["authors"] == ["زهرا ملکی"]
    assert s24["tags"] == ["سامسونگ", "گوشی"]
    assert s24["sponsored"] is True and found[0]["sponsored"] is False
    assert found[0]["lead"] is None
    assert set(s24) == set(newsarchive.archive.EXPORT_COLUMNS)
    assert not any(column.startswith("search_") for column in s24)
    assert ZWNJ in found[0]["title"]
    assert "iOS 17.2" in found[0]["body"]


@pytest.mark.parametrize(
    ("filters", "slugs"),
    [
        ({"source": "digiato"}, ["bale", "starlink"]),
        ({"source": ["zoomit", "digiato"]}, ["bale", "s24", "starlink"]),
        ({"tag": "گوشی"}, ["s24"]),
        ({"tag": ("پیام‌رسان", "ماهواره")}, ["bale", "starlink"]),
        ({"category": "موبایل"}, ["s24"]),
        # whole Tehran days: 1 Farvardin 1403 starts at 2024-03-19T20:30Z
        ({"since": "1403-01-01", "until": "1403-01-01"}, ["bale"]),
        ({"since": "2024-03-21"}, ["s24", "starlink"]),
        ({"until": "۲۲ فروردین ۱۴۰۳"}, ["bale", "s24"]),
        ({"since": "1403-02-15", "until": "2024-05-04"}, ["starlink"]),
        ({"query": "پیامرسان"}, ["bale"]),
        ({"query": "ایران"}, ["s24", "starlink"]),
        ({"limit": 2}, ["bale", "s24"]),
        ({"source": "digiato", "tag": "گوشی"}, []),
    ],
)
def test_articles_filters(archive, filters, slugs):
    found = [row["url"].rsplit("/", 1)[1] for row in archive.articles(**filters)]
    assert found == slugs


@pytest.mark.parametrize(
    ("filters", "error", "message"),
    [
        ({"since": "1403-02-01", "until": "1403-01-01"}, QueryError, "after the last day"),
        ({"since": "yesterday-ish"}, QueryError, "'yesterday-ish' is not a date"),
        ({"until": "2024-03-20 10:00"}, QueryError, "is a time, not a day"),
        ({"query": "-اینترنت"}, QueryError, "only excludes"),
        ({"limit": 0}, ValueError, "limit must be 1 or more"),
    ],
)
def test_articles_refuses_what_it_cannot_use(archive, filters, error, message):
    with pytest.raises(error, match=message):
        archive.articles(**filters)


def test_a_name_no_article_has_is_refused_with_the_close_names(archive):
    with pytest.raises(UnknownNames, match="no source 'Digiato' in this archive") as refused:
        archive.articles(source=["zoomit", "Digiato"])
    assert [(name.kind, name.value, name.suggestions) for name in refused.value.names] == [
        ("source", "Digiato", ("digiato",))
    ]
    with pytest.raises(UnknownNames) as refused:
        archive.to_pandas(tag="پیام رسان", category="موبایل")
    assert [(name.kind, name.suggestions) for name in refused.value.names] == [("tag", ("پیام‌رسان",))]
    assert isinstance(refused.value, ValueError)


def test_filter_values_reach_sql_only_as_parameters(archive):
    with pytest.raises(UnknownNames):
        archive.articles(source="x' or 1=1 --")
    with pytest.raises(UnknownNames):
        archive.articles(tag='") or 1 --')
    assert archive.articles(query='"unclosed NEAR( title:x') == []
    assert archive.count() == 3


def test_search_takes_one_name_as_a_name(archive):
    """A string is one source, not its letters (``sources="zoomit"`` once searched z, o, ...)."""
    assert [hit.source for hit in archive.search("ایران", sources="zoomit")] == ["zoomit"]
    assert {hit.source for hit in archive.search("ایران", sources=["zoomit", "digiato"])} == {
        "zoomit",
        "digiato",
    }


def test_to_pandas_has_datetimes_and_lists(archive):
    pandas = pytest.importorskip("pandas")
    frame = archive.to_pandas()
    assert list(frame.columns) == list(newsarchive.archive.EXPORT_COLUMNS)
    assert len(frame) == 3
    for column in ("published_at", "modified_at", "first_seen_at", "last_fetched_at"):
        assert isinstance(frame[column].dtype, pandas.DatetimeTZDtype), column
        assert str(frame[column].dt.tz) == "UTC"
    assert frame["published_at"].iloc[0] == pandas.Timestamp("2024-03-20T06:30:00Z")
    assert frame["modified_at"].isna().tolist() == [True, True, False]
    assert frame["tags"].iloc[1] == ["سامسونگ", "گوشی"]
    assert frame["sponsored"].tolist() == [False, True, False]
    assert frame["published_jalali"].iloc[2] == "1403-02-15 10:15"


def test_to_pandas_of_nothing_still_has_the_columns(archive):
    pandas = pytest.importorskip("pandas")
    frame = archive.to_pandas(source="zoomit", since="1403-02-01")
    assert frame.empty
    assert list(frame.columns) == list(newsarchive.archive.EXPORT_COLUMNS)
    assert isinstance(frame["published_at"].dtype, pandas.DatetimeTZDtype)


def test_to_pandas_without_pandas_names_the_package(archive, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # importing it now raises ImportError
    with pytest.raises(ImportError, match="needs pandas, which is not installed: pip install pandas"):
        archive.to_pandas()
