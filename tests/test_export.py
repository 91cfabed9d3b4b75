"""Exports for researchers: round trips through pandas and datasets, determinism, filters,
manifest and datasheet, atomic writes, refused paths, Parquet."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils

from newsarchive.archive import Archive, ArticleFilter
from newsarchive.cli import main
from newsarchive.cli.exporting import Progress
from newsarchive.export import ExportOptions, chart_svg, export
from newsarchive.persian import parse_datetime

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)

# (source, url path, published_at UTC, tags, categories, authors)
ARTICLES = [
    (
        "digiato",
        "mobile/galaxy-s24",
        "2023-11-05T06:45:00Z",
        ["سامسونگ", "هوش‌مصنوعی"],
        ["موبایل"],
        ["زهرا ملکی"],
    ),
    ("digiato", "apple/ios-17-2", "2023-12-20T09:00:00Z", ["اپل"], ["موبایل"], ["علی رضایی", "مریم احمدی"]),
    ("digiato", "hardware/i9-13900k", "2024-02-10T15:10:00Z", ["اینتل"], ["سخت‌افزار"], []),
    # 1403-01-01 00:00 Tehran (+03:30) and one minute before it.
    ("digiato", "nowruz/first-minute", "2024-03-19T20:30:00Z", ["نوروز"], ["فرهنگ"], []),
    ("digiato", "nowruz/last-minute", "2024-03-19T20:29:00Z", ["نوروز"], ["فرهنگ"], []),
    ("digiato", "ai/chatgpt-fa", "2024-04-02T11:00:00Z", ["هوش‌مصنوعی"], ["هوش مصنوعی"], ["زهرا ملکی"]),
    ("zoomit", "tech/5g-iran", "2023-11-30T22:00:00Z", ["5G", "اینترنت"], ["ارتباطات"], ["حسین کریمی"]),
    ("zoomit", "tech/messenger", "2024-01-15T08:15:00Z", ["پیام‌رسان"], ["اینترنت"], []),
    ("zoomit", "tech/pixel-8", "2024-03-25T05:00:00Z", ["گوگل"], ["موبایل"], ["سارا محمدی"]),
    ("itiran", "news/startup", "2024-02-29T23:59:00Z", [], [], []),
]
HOSTS = {
    "digiato": "https://digiato.com/",
    "zoomit": "https://www.zoomit.ir/",
    "itiran": "https://itiran.com/",
}


def make_article(source, path, published_at, tags, categories, authors, number):
    url = HOSTS[source] + path
    parsed = parse_datetime(published_at)
    return {
        "source": source,
        "url": url,
        "title": f"خبر {number}: پیام‌رسان‌های ایرانی و iOS 17.2",
        "lead": None
        if number % 4 == 3
        else f"لید خبر {number} درباره i9-13900K و 5G."
        + ("\u2028خط دوم (U+2028, not normalized)" if number == 5 else ""),
        "body": f"متن خبر {number} درباره پیام‌رسان‌ها، iOS 17.2 و i9-13900K است.\n\nپاراگراف دوم — «نقل‌قول» "
        f"با لینک https://example.com/a?b=1 و عدد ۱۴۰۳.",
        "authors": authors,
        "categories": categories,
        "tags": tags,
        "image_url": None if number % 3 == 2 else f"{HOSTS[source]}img/{number}.jpg",
        "page_type": "article",
        "sponsored": number == 1,
        "published_at": published_at,
        "published_jalali": parsed.jalali,
        "published_precision": "minute",
        "published_display": parsed.jalali,
        "field_sources": {"title": "site"},
        "notes": [],
    }


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("archive") / "archive.db"
    with Archive(path) as archive:
        for number, spec in enumerate(ARTICLES):
            archive.save_article(make_article(*spec, number), fetched_at="2024-05-01T00:00:00Z")
        # Two edits of one article and one of another: three earlier versions.
        first = make_article(*ARTICLES[0], 0)
        archive.save_article(
            {**first, "body": first["body"] + "\n\nبه‌روزرسانی اول."}, fetched_at="2024-05-02T00:00:00Z"
        )
        archive.save_article(
            {**first, "body": first["body"] + "\n\nبه‌روزرسانی دوم."}, fetched_at="2024-05-03T00:00:00Z"
        )
        other = make_article(*ARTICLES[7], 7)
        archive.save_article({**other, "title": "عنوان ویرایش‌شده"}, fetched_at="2024-05-04T00:00:00Z")
    return path


def expected_records(archive_path: Path, *, versions: bool = False) -> list[dict]:
    """What an export must hold, read straight from the SQLite file."""
    db = sqlite_utils.Database(archive_path)
    records = []
    for row in sorted(db["articles"].rows, key=lambda r: (r["published_at"], r["url"])):
        record = {
            "id": row["id"],
            "source": row["source"],
            "url": row["url"],
            "title": row["title"],
            "lead": row["lead"],
            "body": row["body"],
            "authors": json.loads(row["authors"]),
            "categories": json.loads(row["categories"]),
            "tags": json.loads(row["tags"]),
            "image_url": row["image_url"],
            # Slashes in the export: loaders take 1402-08-14 for a Gregorian ISO date.
            "published_at": row["published_at"],
            "published_jalali": row["published_jalali"].replace("-", "/"),
            "modified_at": row["modified_at"],
            "word_count": len(row["body"].split()),
            "language": "fa",
            "story_id": row["story_id"],
        }
        if versions:
            record["versions"] = [
                {k: v[k] for k in ("title", "lead", "body", "content_hash", "fetched_at", "replaced_at")}
                for v in db["article_versions"].rows_where("article_id = ?", [row["id"]], order_by="id")
            ]
        records.append(record)
    db.close()
    return records


def run(*argv: str) -> int:
    return main(["export", *argv])


def read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as file:
        return [json.loads(line) for line in file]


def exported(archive_path: Path, out: Path, *args: str) -> list[dict]:
    assert run("--db", str(archive_path), "--out", str(out), *args) == 0
    return read_jsonl(out)


def as_text(value):
    """Undo a loader's reading of ``...Z`` strings as timestamps (datasets does that)."""
    if isinstance(value, datetime):
        assert value.utcoffset() in (None, UTC.utcoffset(None))
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dict):
        return {key: as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_text(item) for item in value]
    return value


def urls(records: list[dict]) -> list[str]:
    return [r["url"].split("/", 3)[3] for r in records]


# --- round trips -------------------------------------------------------------------


@pytest.mark.slow
def test_jsonl_round_trip_with_pandas_and_datasets(archive_path, tmp_path, monkeypatch):
    out = tmp_path / "articles.jsonl"
    assert run("--db", str(archive_path), "--out", str(out)) == 0
    expected = expected_records(archive_path)
    assert len(expected) == len(ARTICLES)

    text = out.read_text("utf-8")
    # Characters, never escapes -- except U+2028, a line break to str.splitlines().
    assert "پیام‌رسان‌های ایرانی" in text and text.replace("\\u2028", "").count("\\u") == 0
    assert "\u2028" not in text and len(text.splitlines()) == len(ARTICLES)
    assert read_jsonl(out) == expected
    assert next(list(record) for record in read_jsonl(out)) == list(expected[0])

    import pandas

    frame = pandas.read_json(out, lines=True, dtype=False)
    assert list(frame.columns) == list(expected[0])
    for row, want in zip(frame.to_dict(orient="records"), expected):
        for key, value in want.items():
            got = row[key]
            if value is None:
                assert got is None or pandas.isna(got), key
            else:
                assert got == value, key
    # The default reader converts the *_at columns to timestamps; they are the same instants.
    dated = pandas.read_json(out, lines=True)
    assert [ts.strftime("%Y-%m-%dT%H:%M:%SZ") for ts in dated["published_at"]] == [
        r["published_at"] for r in expected
    ]

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset("json", data_files=str(out), split="train", cache_dir=str(tmp_path / "hf"))
    assert loaded.num_rows == len(expected)
    assert loaded.column_names == list(expected[0])
    assert as_text([dict(row) for row in loaded]) == expected


@pytest.mark.slow
def test_gzip_and_versions_round_trip(archive_path, tmp_path, monkeypatch):
    out = tmp_path / "articles.jsonl.gz"
    records = exported(archive_path, out, "--with-versions")
    expected = expected_records(archive_path, versions=True)
    assert records == expected
    edited = {r["url"]: r["versions"] for r in records if r["versions"]}
    assert [len(v) for v in edited.values()] == [2, 1]
    first = edited[HOSTS["digiato"] + "mobile/galaxy-s24"]
    assert first[0]["replaced_at"] == "2024-05-02T00:00:00Z" and "به‌روزرسانی" not in first[0]["body"]
    assert first[1]["body"].endswith("به‌روزرسانی اول.")

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset("json", data_files=str(out), split="train", cache_dir=str(tmp_path / "hf"))
    assert as_text([dict(row) for row in loaded]) == expected


@pytest.mark.slow
def test_datasheet_code_loads_sparse_columns_with_datasets(archive_path, tmp_path, monkeypatch):
    """The datasheet's `datasets` snippet gives types, so a column empty at first still loads."""
    out = tmp_path / "late.jsonl"
    # From December on: the first records have no modified_at, a later one has.
    assert run("--db", str(archive_path), "--out", str(out), "--since", "2023-12-01", "--with-versions") == 0
    records = read_jsonl(out)
    assert records[0]["modified_at"] is None and any(r["modified_at"] for r in records)
    sheet = (tmp_path / "late.jsonl.datasheet.md").read_text("utf-8")
    code = re.search(r"```python\n(.*?)```", sheet, re.S).group(1)
    code = code[code.index("import datasets") :]
    # Tiny chunks make the loader type the file chunk by chunk, as it does every 10 MB.
    code = code.replace(
        'split="train",', f'split="train", cache_dir={str(tmp_path / "hf")!r}, chunksize=1024,'
    )
    code = code.replace('data_files="late.jsonl"', f"data_files={str(out)!r}")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pytest.importorskip("datasets")
    scope: dict = {}
    exec(code, scope)
    assert as_text([dict(row) for row in scope["ds"]]) == records


def test_orjson_and_the_standard_library_write_the_same_bytes(archive_path):
    from newsarchive.export import writers

    standard = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    records = [
        *expected_records(archive_path, versions=True),
        {"s": 'x\u2028y\x00\x1f\x7f\t\n\r\x08\x0c"\\/é\u200c😀', "n": None, "l": [], "t": True, "i": 12},
    ]
    for record in records:
        assert writers.dumps(record) == standard.encode(record).encode("utf-8")


def test_json_array_format_holds_the_same_records(archive_path, tmp_path):
    out = tmp_path / "articles.json"
    assert run("--db", str(archive_path), "--out", str(out)) == 0
    assert json.loads(out.read_text("utf-8")) == expected_records(archive_path)
    empty = tmp_path / "empty.json"
    # A source the archive does not have is refused (exit 2), never an empty dataset ...
    assert run("--db", str(archive_path), "--out", str(tmp_path / "x.json"), "--source", "nowhere") == 2
    assert not (tmp_path / "x.json").exists()
    # ... while filters that match no article give an empty one.
    assert run("--db", str(archive_path), "--out", str(empty), "--until", "1300-01-01") == 0
    assert json.loads(empty.read_text("utf-8")) == []


def test_fields_choose_and_order_the_columns(archive_path, tmp_path):
    records = exported(archive_path, tmp_path / "few.jsonl", "--fields", "url,word_count,sponsored,id")
    assert list(records[0]) == ["url", "word_count", "sponsored", "id"]
    assert sum(r["sponsored"] for r in records) == 1
    assert run("--db", str(archive_path), "--out", str(tmp_path / "bad.jsonl"), "--fields", "url,nope") == 2
    assert not (tmp_path / "bad.jsonl").exists()


# --- determinism ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["jsonl", "jsonl.gz", "json", "csv", "csv.gz"])
def test_same_archive_and_arguments_give_identical_bytes(archive_path, tmp_path, suffix):
    one, two = tmp_path / f"one.{suffix}", tmp_path / f"two.{suffix}"
    assert run("--db", str(archive_path), "--out", str(one), "--with-versions") == 0
    assert run("--db", str(archive_path), "--out", str(two), "--with-versions") == 0
    assert one.read_bytes() == two.read_bytes()
    if suffix.endswith(".gz"):
        header = one.read_bytes()[:10]
        assert header[:3] == b"\x1f\x8b\x08" and header[3] == 0  # no FNAME: no file name inside
        assert header[4:8] == b"\0\0\0\0"  # mtime 0


# --- filters -------------------------------------------------------------------------


def test_source_filter(archive_path, tmp_path):
    records = exported(archive_path, tmp_path / "z.jsonl", "--source", "zoomit", "itiran")
    assert {r["source"] for r in records} == {"zoomit", "itiran"} and len(records) == 4
    assert (
        exported(archive_path, tmp_path / "z2.jsonl", "--source", "zoomit", "--source", "itiran") == records
    )


@pytest.mark.parametrize(
    ("since", "until"),
    [("2024-03-20", None), ("1403-01-01", None), ("۱۴۰۳/۰۱/۰۱", None), ("۱ فروردین ۱۴۰۳", None)],
)
def test_since_is_a_tehran_day_in_either_calendar(archive_path, tmp_path, since, until):
    records = exported(archive_path, tmp_path / "s.jsonl", "--since", since)
    # 1403-01-01 00:00 Tehran is 2024-03-19T20:30Z: the article at 20:30 is in, 20:29 is out.
    assert urls(records) == ["nowruz/first-minute", "tech/pixel-8", "ai/chatgpt-fa"]


@pytest.mark.parametrize("until", ["2024-03-19", "1402-12-29"])
def test_until_includes_the_whole_day(archive_path, tmp_path, until):
    records = exported(archive_path, tmp_path / "u.jsonl", "--since", "1402-12-01", "--until", until)
    # 1402-12-01 is 2024-02-20: the last day of February (Tehran) and the minute before Nowruz.
    assert urls(records) == ["news/startup", "nowruz/last-minute"]


def test_until_in_the_future_and_bad_dates(archive_path, tmp_path):
    assert len(exported(archive_path, tmp_path / "f.jsonl", "--until", "1410-01-01")) == len(ARTICLES)
    assert run("--db", str(archive_path), "--out", str(tmp_path / "x.jsonl"), "--since", "fooday") == 2
    # Bounds are whole days: a time is refused, not silently widened to its day.
    assert (
        run("--db", str(archive_path), "--out", str(tmp_path / "x.jsonl"), "--until", "2024-03-20 10:15") == 2
    )
    assert not (tmp_path / "x.jsonl").exists()


def test_category_and_tag_filters_use_the_json_arrays(archive_path, tmp_path):
    records = exported(archive_path, tmp_path / "c.jsonl", "--category", "موبایل")
    assert urls(records) == ["mobile/galaxy-s24", "apple/ios-17-2", "tech/pixel-8"]
    records = exported(archive_path, tmp_path / "t.jsonl", "--tag", "هوش‌مصنوعی")
    assert urls(records) == ["mobile/galaxy-s24", "ai/chatgpt-fa"]
    # The argument is normalized like the archive's text (Arabic yeh here).
    assert exported(archive_path, tmp_path / "t2.jsonl", "--tag", "پیام‌رسان") == exported(
        archive_path, tmp_path / "t3.jsonl", "--tag", "پيام‌رسان"
    )
    records = exported(
        archive_path, tmp_path / "t4.jsonl", "--tag", "اپل", "--tag", "گوگل", "--source", "zoomit"
    )
    assert urls(records) == ["tech/pixel-8"]
    # A tag is matched as a whole array element, not as a substring of the JSON text: a part
    # of a tag is no tag of the archive, refused (exit 2) rather than an empty dataset.
    assert run("--db", str(archive_path), "--out", str(tmp_path / "t5.jsonl"), "--tag", "هوش") == 2
    assert not (tmp_path / "t5.jsonl").exists()


def test_query_filter_matches_the_search(archive_path, tmp_path):
    with Archive(archive_path, readonly=True) as archive:
        found = set(archive.search_ids("سخت‌افزار OR نوروز"))
        hits = {hit.id for hit in archive.search("سخت‌افزار OR نوروز", limit=100)}
    assert found == hits and len(found) == 3
    records = exported(archive_path, tmp_path / "q.jsonl", "--query", "سخت‌افزار OR نوروز")
    assert {r["id"] for r in records} == found
    records = exported(archive_path, tmp_path / "q2.jsonl", "--query", "نوروز", "--since", "1403-01-01")
    assert urls(records) == ["nowruz/first-minute"]
    sheet = (tmp_path / "q2.jsonl.datasheet.md").read_text("utf-8")
    assert "published from 1403-01-01 (2024-03-19T20:30:00Z); matching the search 'نوروز'" in sheet
    # A query without words is refused, as newsarchive search refuses it.
    assert run("--db", str(archive_path), "--out", str(tmp_path / "q3.jsonl"), "--query", "...") == 2
    assert not (tmp_path / "q3.jsonl").exists()


def test_query_filter_keeps_no_state_between_exports(archive_path, tmp_path):
    """A second export on the same connection sees what a crawl committed in between."""
    import shutil

    db = tmp_path / "copy.db"
    shutil.copy(archive_path, db)
    query = ArticleFilter(query="نوروز")
    with Archive(db, readonly=True) as archive:
        first = export(archive, ExportOptions(out=tmp_path / "one.jsonl", filters=query), now=NOW)
        with Archive(db) as writer:
            article = make_article(*ARTICLES[9], 9)
            writer.save_article(
                {**article, "body": "متن تازه درباره نوروز."}, fetched_at="2024-05-09T00:00:00Z"
            )
        second = export(archive, ExportOptions(out=tmp_path / "two.jsonl", filters=query), now=NOW)
    assert (first.records, second.records) == (2, 3)
    assert urls(read_jsonl(tmp_path / "two.jsonl")) == [
        "news/startup",
        "nowruz/last-minute",
        "nowruz/first-minute",
    ]


# --- manifest, datasheet, chart -------------------------------------------------------


def test_manifest_counts_and_checksum_match_the_file(archive_path, tmp_path):
    out = tmp_path / "data.jsonl.gz"
    assert run("--db", str(archive_path), "--out", str(out), "--with-versions") == 0
    manifest = json.loads((tmp_path / "data.jsonl.gz.manifest.json").read_text("utf-8"))
    records = read_jsonl(out)

    assert manifest["data_file"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert manifest["data_file"]["bytes"] == out.stat().st_size
    assert manifest["data_file"]["file"] == "data.jsonl.gz" and manifest["data_file"]["compression"] == "gzip"
    assert manifest["records"] == len(records) == len(ARTICLES)
    assert manifest["earlier_versions"] == 3
    assert manifest["archive"]["schema_version"] >= 1
    assert (
        manifest["command"].startswith("newsarchive export --db ")
        and "--with-versions" in manifest["command"]
    )
    assert manifest["generated_at"].endswith("Z")
    for source, entry in manifest["per_source"].items():
        mine = [r for r in records if r["source"] == source]
        assert entry["records"] == len(mine)
        assert entry["first_published_at"] == mine[0]["published_at"]
        assert entry["last_published_at"] == mine[-1]["published_at"]
        assert entry["site"] == HOSTS[source]
    for calendar, column in (("gregorian", "published_at"), ("jalali", "published_jalali")):
        counted: dict = {}
        for r in records:
            months = counted.setdefault(r["source"], {})
            month = r[column][:7].replace("/", "-")
            months[month] = months.get(month, 0) + 1
        assert manifest["per_month"][calendar] == counted
    assert manifest["per_month"]["jalali"]["digiato"]["1403-01"] == 2  # first-minute and chatgpt-fa
    assert manifest["coverage"]["first_published_at"] == records[0]["published_at"]
    assert manifest["coverage"]["last_published_jalali"] == records[-1]["published_jalali"]
    fields = {f["name"]: f for f in manifest["fields"]}
    assert list(fields) == list(records[0])
    assert fields["lead"]["non_empty"] == sum(1 for r in records if r["lead"])
    assert all(f["type"] and f["description"] for f in fields.values())
    assert "ZWNJ" in manifest["normalization"]["summary"] and manifest["normalization"]["normalize_docstring"]
    assert "copyright" in manifest["terms"]["note"]

    sheet = (tmp_path / "data.jsonl.gz.datasheet.md").read_text("utf-8")
    assert (
        manifest["data_file"]["sha256"] in sheet
        and "![Articles per month per source](data.jsonl.gz.chart.svg)" in sheet
    )
    assert "pd.read_json" in sheet and "load_dataset" in sheet and "| 1403-01 | 2 |" in sheet
    assert "| selection | the whole archive |" in sheet
    svg = ET.parse(tmp_path / "data.jsonl.gz.chart.svg").getroot()
    texts = "".join(svg.itertext())
    assert "digiato" in texts and "2023-11" in texts
    # Gaps inside a source's range are shaded: digiato has nothing in 2024-01.
    assert "digiato 2024-01: 0 (gap)" in texts


def test_default_name_under_datasets_says_what_it_holds(archive_path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Archive(archive_path, readonly=True) as archive:
        result = export(
            archive, ExportOptions(filters=ArticleFilter(sources=("zoomit",)), gzip=True), now=NOW
        )
    name = "zoomit_2023-11-30_2024-03-25_exported-2024-06-01"
    assert result.outputs.data == Path("datasets", f"{name}.jsonl.gz")
    assert sorted(p.name for p in Path("datasets").iterdir()) == sorted(
        [
            f"{name}.jsonl.gz",
            *(f"{name}.jsonl.gz.{side}" for side in ("manifest.json", "datasheet.md", "chart.svg")),
        ]
    )
    assert result.records == 3


def test_stats_chart_draws_the_whole_archive(archive_path, tmp_path, capsys):
    chart = tmp_path / "archive.svg"
    assert main(["stats", "--db", str(archive_path), "--chart", str(chart)]) == 0
    root = ET.parse(chart).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = "".join(root.itertext())
    for source in HOSTS:
        assert source in texts
    assert "zoomit 2023-12: 0 (gap)" in texts and "digiato 2023-11: 1" in texts
    assert main(["stats", "--db", str(archive_path), "--chart", str(tmp_path)]) == 2


def test_chart_isolates_persian_names_and_handles_no_data():
    svg = chart_svg({"دیجی‌کالا مگ": {"2024-01": 3, "2024-03": 1}})
    assert "\u2068دیجی‌کالا مگ\u2069" in svg and "(gap)" in svg
    ET.fromstring(svg)
    ET.fromstring(chart_svg({}))


class Terminal:
    """A stand-in for stderr: a terminal (``tty``) or not, keeping what is written."""

    def __init__(self, tty: bool = True):
        self.tty, self.text = tty, ""

    def isatty(self):
        return self.tty

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_progress_bar_only_on_a_terminal():
    off, on, quiet = Terminal(False), Terminal(True), Terminal(True)
    for stream, hush in ((off, False), (on, False), (quiet, True)):
        bar = Progress(stream, desc="export", unit="articles", quiet=hush, every=0)
        bar(5, 10)
        bar(10, 10)
        bar.close()
    assert off.text == "" and quiet.text == ""
    assert "export" in on.text and "5/10" in on.text and "articles" in on.text
    assert "10/10" in on.text.rsplit("\r", 1)[1] and on.text.endswith("\n")  # close() ends the line


@pytest.mark.parametrize("quiet", [False, True])
def test_the_export_command_draws_its_bar_on_a_terminal_unless_quiet(
    archive_path, tmp_path, monkeypatch, quiet
):
    terminal = Terminal(True)
    monkeypatch.setattr(sys, "stderr", terminal)
    out = tmp_path / "bar.jsonl"
    assert run("--db", str(archive_path), "--out", str(out), *(["--quiet"] if quiet else [])) == 0
    if quiet:
        assert terminal.text == ""
    else:
        last = terminal.text.rsplit("\r", 1)[1]
        assert last.startswith("export") and f"{len(ARTICLES)}/{len(ARTICLES)}" in last and "articles" in last


def test_the_library_reports_progress_and_draws_nothing(archive_path, tmp_path, monkeypatch):
    """The bar is the command's: export() only calls back with (written, expected)."""
    terminal, calls = Terminal(), []
    monkeypatch.setattr(sys, "stderr", terminal)
    with Archive(archive_path, readonly=True) as archive:
        result = export(
            archive, ExportOptions(out=tmp_path / "p.jsonl"), progress=lambda *a: calls.append(a), now=NOW
        )
    assert terminal.text == "" and calls[-1] == (result.records, len(ARTICLES))


# --- the field catalogue -----------------------------------------------------------------


def test_each_field_reads_only_the_columns_it_declares():
    from newsarchive.export.fields import FIELDS, TALLY_COLUMNS, columns_for, record_builder

    assert columns_for(["word_count"]) == (*TALLY_COLUMNS[:2], "body", *TALLY_COLUMNS[2:])
    assert columns_for(["language", "sponsored"]) == (
        "source",
        "url",
        "sponsored",
        "published_at",
        "published_jalali",
    )
    assert "versions" not in columns_for(["versions"])  # added by Archive.export_rows, not a column
    # A value function is given its declared columns and nothing else: a row holding only
    # those builds the record.
    from newsarchive.archive import EXPORT_COLUMNS

    row = {column: f"text of {column}" for column in EXPORT_COLUMNS} | {
        "body": "یک دو\u200cسه",
        "authors": '["الف"]',
        "categories": "[]",
        "tags": "[]",
        "sponsored": 1,
        "published_jalali": "1403-02-15 10:15",
        "versions": '[{"title": "پیشین"}]',
        # Made by newsarchive.export.stories, not archive columns:
        "story_size": 2,
        "story_urls": ["https://example.ir/copy"],
    }
    for name, field in FIELDS.items():
        only = {column: row.get(column) for column in field.columns}
        assert record_builder([name])(only) == {name: record_builder([name])(row)[name]}
    assert record_builder(["word_count", "language", "sponsored", "published_jalali", "authors"])(row) == {
        "word_count": 2,
        "language": "fa",
        "sponsored": True,
        "published_jalali": "1403/02/15 10:15",
        "authors": ["الف"],
    }


def test_the_encoder_processes_get_a_frozen_spec():
    import dataclasses
    import pickle

    from newsarchive.export import ExportSpec

    spec = ExportSpec.of(Path("a.db"), ("url", "word_count", "versions"))
    assert spec == ExportSpec(
        "a.db",
        ("url", "word_count", "versions"),
        ("source", "url", "body", "published_at", "published_jalali"),
        True,
        "jsonl",
        False,
    )
    assert ExportSpec.of(Path("a.db"), spec.fields, "csv", excel=True).excel
    assert pickle.loads(pickle.dumps(spec)) == spec and hash(spec) == hash(
        ExportSpec.of(Path("a.db"), spec.fields)
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.fields = ("id",)


# --- encoder processes -----------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["jsonl", "json", "jsonl.gz", "csv", "csv.gz"])
def test_encoder_processes_write_the_same_bytes(archive_path, tmp_path, monkeypatch, suffix):
    from newsarchive.export import stream

    monkeypatch.setattr(stream, "_BATCH_ROWS", 3)  # several batches in flight
    results = {}
    with Archive(archive_path, readonly=True) as archive:
        for parallel in (False, True):
            out = tmp_path / f"{parallel}.{suffix}"
            results[parallel] = export(
                archive, ExportOptions(out=out, parallel=parallel, with_versions=True), now=NOW
            )
    assert (tmp_path / f"False.{suffix}").read_bytes() == (tmp_path / f"True.{suffix}").read_bytes()
    serial, parallel = (results[False].manifest, results[True].manifest)
    for key in ("records", "earlier_versions", "per_source", "per_month", "fields", "coverage", "data_file"):
        if key == "data_file":
            assert serial[key]["sha256"] == parallel[key]["sha256"]
        else:
            assert serial[key] == parallel[key], key


def test_a_commit_during_a_parallel_export_means_one_more_pass(archive_path, tmp_path, monkeypatch):
    import shutil

    from newsarchive.export import stream

    db = tmp_path / "copy.db"
    shutil.copy(archive_path, db)
    monkeypatch.setattr(stream, "_BATCH_ROWS", 3)
    real = Archive.iter_export_keys
    passes = []

    def keys_then_a_crawl(self, *args, **kwargs):
        passes.append(1)
        for number, batch in enumerate(real(self, *args, **kwargs)):
            yield batch
            if number == 0 and len(passes) == 1:  # a crawl saves an edit meanwhile
                with Archive(db) as writer:
                    article = make_article(*ARTICLES[9], 9)
                    writer.save_article({**article, "body": "متن تازه."}, fetched_at="2024-05-09T00:00:00Z")

    monkeypatch.setattr(Archive, "iter_export_keys", keys_then_a_crawl)
    with Archive(db, readonly=True) as archive:
        export(archive, ExportOptions(out=tmp_path / "p.jsonl", parallel=True))
    assert len(passes) == 2
    monkeypatch.setattr(Archive, "iter_export_keys", real)
    with Archive(db, readonly=True) as archive:
        export(archive, ExportOptions(out=tmp_path / "s.jsonl", parallel=False))
    assert (tmp_path / "p.jsonl").read_bytes() == (tmp_path / "s.jsonl").read_bytes()
    assert any(r["body"] == "متن تازه." for r in read_jsonl(tmp_path / "p.jsonl"))


def test_interrupted_parallel_export_leaves_no_file(archive_path, tmp_path, monkeypatch):
    from newsarchive.export import stream

    monkeypatch.setattr(stream, "_BATCH_ROWS", 2)
    real = Archive.iter_export_keys

    def failing(self, *args, **kwargs):
        for number, batch in enumerate(real(self, *args, **kwargs)):
            if number == 3:
                raise KeyboardInterrupt
            yield batch

    monkeypatch.setattr(Archive, "iter_export_keys", failing)
    with Archive(archive_path, readonly=True) as archive, pytest.raises(KeyboardInterrupt):
        export(archive, ExportOptions(out=tmp_path / "data.jsonl", parallel=True))
    assert list(tmp_path.iterdir()) == []


# --- atomic writes and refused paths ----------------------------------------------------


@pytest.mark.parametrize("error", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_interrupted_export_leaves_no_file(archive_path, tmp_path, monkeypatch, error):
    real = Archive.iter_export_rows

    def failing(self, *args, **kwargs):
        for number, row in enumerate(real(self, *args, **kwargs)):
            if number == 4:
                raise error
            yield row

    monkeypatch.setattr(Archive, "iter_export_rows", failing)
    out = tmp_path / "out" / "data.jsonl"
    out.parent.mkdir()
    with Archive(archive_path, readonly=True) as archive, pytest.raises(type(error)):
        export(archive, ExportOptions(out=out))
    assert list(out.parent.iterdir()) == []
    # Through the command: Ctrl-C is reported, exit status 130, still nothing left.
    if isinstance(error, KeyboardInterrupt):
        assert run("--db", str(archive_path), "--out", str(out)) == 130
        assert list(out.parent.iterdir()) == []


def test_interrupted_overwrite_keeps_the_old_file(archive_path, tmp_path, monkeypatch):
    out = tmp_path / "data.jsonl"
    out.write_text("old\n")

    def failing(self, *args, **kwargs):
        yield from ()
        raise RuntimeError("boom")

    monkeypatch.setattr(Archive, "iter_export_rows", failing)
    with Archive(archive_path, readonly=True) as archive, pytest.raises(RuntimeError):
        export(archive, ExportOptions(out=out, force=True))
    assert out.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl"]


def test_out_paths_are_checked(archive_path, tmp_path, capsys):
    db = str(archive_path)
    existing = tmp_path / "there.jsonl"
    existing.write_text("keep\n")
    assert run("--db", db, "--out", str(existing)) == 2
    assert existing.read_text() == "keep\n" and "--force" in capsys.readouterr().err
    assert run("--db", db, "--out", str(existing), "--force") == 0
    assert len(read_jsonl(existing)) == len(ARTICLES)

    # A sidecar in the way counts too.
    (tmp_path / "side.jsonl.datasheet.md").write_text("notes")
    assert run("--db", db, "--out", str(tmp_path / "side.jsonl")) == 2
    assert not (tmp_path / "side.jsonl").exists()

    assert run("--db", db, "--out", str(tmp_path / "missing" / "x.jsonl")) == 2
    assert not (tmp_path / "missing").exists()
    assert run("--db", db, "--out", str(tmp_path)) == 2
    assert run("--db", db, "--out", str(tmp_path / "newdir") + "/") == 2
    assert "directory" in capsys.readouterr().err

    before = archive_path.read_bytes()
    assert run("--db", db, "--out", db, "--force") == 2
    link = tmp_path / "link.jsonl"
    link.symlink_to(archive_path)
    assert run("--db", db, "--out", str(link), "--force") == 2
    assert "archive" in capsys.readouterr().err and archive_path.read_bytes() == before

    assert run("--db", db, "--out", str(tmp_path / "a.jsonl"), "--format", "parquet") == 2
    assert run("--db", db, "--out", str(tmp_path / "a.parquet"), "--gzip") == 2
    assert run("--db", db, "--out", str(tmp_path / "a.jsonl"), "--gzip") == 2
    assert not (tmp_path / "a.jsonl").exists()


REFUSALS = [
    # (ExportOptions, error class, its values, CLI arguments, what the command adds)
    (
        {"out": "a.jsonl", "format": "json"},
        "FormatMismatch",
        {"named": "jsonl", "chosen": "json"},
        ["--out", "{dir}/a.jsonl", "--format", "json"],
        "--out {dir}/a.jsonl says jsonl but --format is json",
    ),
    (
        {"out": "a.jsonl", "gzip": True},
        "GzipName",
        {},
        ["--out", "{dir}/a.jsonl", "--gzip"],
        "--gzip given: name the file a.jsonl.gz",
    ),
    (
        {"out": "a.parquet", "gzip": True},
        "CompressedFormat",
        {"format": "parquet"},
        ["--out", "{dir}/a.parquet", "--gzip"],
        "drop --gzip",
    ),
    (
        {"out": "-", "format": "parquet"},
        "NotStreamable",
        {"format": "parquet"},
        ["--out", "-", "--format", "parquet"],
        "give --out FILE.parquet",
    ),
    (
        {"out": "there.jsonl"},
        "DestinationExists",
        {"others": 0},
        ["--out", "{dir}/there.jsonl"],
        "there.jsonl already exists; use --force to overwrite",
    ),
]


@pytest.mark.parametrize(
    ("options", "kind", "values", "argv", "hint"), REFUSALS, ids=[r[1] for r in REFUSALS]
)
def test_the_library_names_values_and_the_command_names_options(
    archive_path, tmp_path, capsys, options, kind, values, argv, hint
):
    import newsarchive.export as package

    (tmp_path / "there.jsonl").write_text("keep\n")
    options = {**options, "out": options["out"] if options["out"] == "-" else tmp_path / options["out"]}
    with Archive(archive_path, readonly=True) as archive, pytest.raises(getattr(package, kind)) as refused:
        export(archive, ExportOptions(**options), now=NOW)
    assert isinstance(refused.value, package.ExportError) and "--" not in str(refused.value)
    assert {key: getattr(refused.value, key) for key in values} == values
    assert run("--db", str(archive_path), *(arg.format(dir=tmp_path) for arg in argv)) == 2
    assert hint.format(dir=tmp_path) in capsys.readouterr().err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["there.jsonl"]


# --- parquet ---------------------------------------------------------------------------


def test_parquet_without_pyarrow_is_a_clear_error(archive_path, tmp_path, monkeypatch, capsys):
    for name in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow → ImportError
    out = tmp_path / "data.parquet"
    assert run("--db", str(archive_path), "--out", str(out)) == 2
    message = capsys.readouterr().err
    assert "pyarrow" in message and "newsarchive[parquet]" in message
    assert list(tmp_path.iterdir()) == []


def test_parquet_round_trip_with_real_types(archive_path, tmp_path):
    pytest.importorskip("pyarrow")
    pandas = pytest.importorskip("pandas")
    one, two = tmp_path / "one.parquet", tmp_path / "two.parquet"
    assert run("--db", str(archive_path), "--out", str(one), "--with-versions") == 0
    assert run("--db", str(archive_path), "--out", str(two), "--with-versions") == 0
    assert one.read_bytes() == two.read_bytes()
    manifest = json.loads((tmp_path / "one.parquet.manifest.json").read_text("utf-8"))
    assert manifest["data_file"]["sha256"] == hashlib.sha256(one.read_bytes()).hexdigest()
    expected = expected_records(archive_path, versions=True)
    import pyarrow.parquet

    table = pyarrow.parquet.read_table(one)
    types = {field.name: str(field.type) for field in table.schema}
    for name in ("published_at", "modified_at"):
        assert types[name] == "timestamp[ms, tz=UTC]", name
    for name in ("authors", "categories", "tags"):
        assert types[name] == "list<element: string>", name
    assert types["published_jalali"] == "string" and types["word_count"] == "int64"
    assert "fetched_at: timestamp[ms, tz=UTC], replaced_at: timestamp[ms, tz=UTC]" in types["versions"]
    rows = table.to_pylist()
    assert all(row["published_at"].tzinfo is not None for row in rows)
    assert as_text(rows) == expected  # the same instants, as UTC timestamps
    # The manifest says what the file holds, in Parquet's terms.
    declared = {item["name"]: item["type"] for item in manifest["fields"]}
    assert declared["published_at"] == "timestamp[ms, tz=UTC]" and declared["tags"] == "list<string>"
    assert declared["modified_at"] == "timestamp[ms, tz=UTC], or null"

    frame = pandas.read_parquet(one)
    assert list(frame.columns) == list(expected[0]) and len(frame) == len(expected)
    for name in ("published_at", "modified_at"):
        assert isinstance(frame[name].dtype, pandas.DatetimeTZDtype) and str(frame[name].dtype.tz) == "UTC"
    assert frame["published_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").tolist() == [
        r["published_at"] for r in expected
    ]
    assert frame["modified_at"].isna().sum() == sum(r["modified_at"] is None for r in expected)
    assert str(frame["word_count"].dtype) == "int64"
    assert list(frame["tags"][0]) == expected[0]["tags"]

    extra = tmp_path / "extra.parquet"
    assert (
        run(
            "--db",
            str(archive_path),
            "--out",
            str(extra),
            "--fields",
            "url,sponsored,first_seen_at,last_fetched_at",
        )
        == 0
    )
    extra_types = {field.name: str(field.type) for field in pyarrow.parquet.read_schema(extra)}
    assert extra_types == {
        "url": "string",
        "sponsored": "bool",
        "first_seen_at": "timestamp[ms, tz=UTC]",
        "last_fetched_at": "timestamp[ms, tz=UTC]",
    }
    frame = pandas.read_parquet(extra)
    assert str(frame["sponsored"].dtype) == "bool" and frame["sponsored"].sum() == 1


# --- scrapy feeds ---------------------------------------------------------------------


def test_scrapy_feeds_write_utf8_characters(monkeypatch):
    """``scrapy crawl digiato -O items.jsonl`` writes Persian as characters, not \\u escapes."""
    from scrapy.utils.project import get_project_settings

    import newsarchive.settings

    assert newsarchive.settings.FEED_EXPORT_ENCODING == "utf-8"
    monkeypatch.chdir(ROOT)  # where scrapy.cfg names newsarchive.settings
    monkeypatch.delenv("SCRAPY_SETTINGS_MODULE", raising=False)
    assert get_project_settings().get("FEED_EXPORT_ENCODING") == "utf-8"
