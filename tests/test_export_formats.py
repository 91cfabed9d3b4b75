"""Export formats a researcher can trust: side files named after their data file, CSV for
programs and for Excel, every format/extension pair checked, Parquet with real types, and
a datasheet that describes the format it sits beside."""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import sqlite3
from pathlib import Path

import pytest
from test_export import ARTICLES, archive_path, expected_records, make_article, read_jsonl, run  # noqa: F401

from newsarchive.archive import Archive
from newsarchive.cli.exporting import add_export_parser
from newsarchive.export import FORMATS, ExportOptions, export

ZWNJ = "\u200c"
SIDES = ("manifest.json", "datasheet.md", "chart.svg")


def side_files(data: Path) -> list[Path]:
    return [data.with_name(f"{data.name}.{side}") for side in SIDES]


def listing(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def read_csv(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", newline="", encoding=encoding) as file:
        return list(csv.DictReader(file))


#: How each field's CSV cell is read back (JSON arrays decoded, an empty cell is None).
def decode_csv_row(row: dict[str, str]) -> dict:
    decoded: dict = {}
    for name, cell in row.items():
        if name in ("authors", "categories", "tags", "versions"):
            decoded[name] = json.loads(cell)
        elif name == "word_count":
            decoded[name] = int(cell)
        elif name == "sponsored":
            decoded[name] = {"true": True, "false": False}[cell]
        else:
            decoded[name] = cell or None
    return decoded


def datasheet_code(sheet: Path, data_file: Path) -> str:
    """The datasheet's loading code, pointed at the file where the test wrote it."""
    code = re.search(r"```python\n(.*?)```", sheet.read_text("utf-8"), re.S).group(1)
    return code.replace(f'"{data_file.name}"', repr(str(data_file)))


# --- side files named after the data file ----------------------------------------------


@pytest.mark.slow
def test_the_readme_examples_run_in_order_without_collisions(archive_path, tmp_path, monkeypatch):  # noqa: F811
    """`newsarchive export` then `--with-versions --format parquet` (and CSV): once the side
    files of the two shared a name, and the second export failed."""
    monkeypatch.chdir(tmp_path)
    db = str(archive_path)
    assert run("--db", db) == 0
    assert run("--db", db, "--with-versions", "--format", "parquet") == 0
    assert run("--db", db, "--format", "csv") == 0
    names = sorted(path.name for path in Path("datasets").iterdir())
    data = [name for name in names if not name.endswith(SIDES)]
    assert len(names) == 12 and len(data) == 3
    assert {Path(name).suffix for name in data} == {".jsonl", ".parquet", ".csv"}
    assert any("with-versions" in name for name in data if name.endswith(".parquet"))
    for name in data:
        for side in side_files(Path("datasets", name)):
            assert side.name in names
        manifest = json.loads(Path("datasets", f"{name}.manifest.json").read_text("utf-8"))
        assert manifest["data_file"]["file"] == name
        assert (manifest["datasheet"], manifest["chart"]) == (f"{name}.datasheet.md", f"{name}.chart.svg")
        sheet = Path("datasets", f"{name}.datasheet.md").read_text("utf-8")
        assert f"![Articles per month per source]({name}.chart.svg)" in sheet


def test_force_replaces_only_the_files_of_its_own_export(archive_path, tmp_path):  # noqa: F811
    db = str(archive_path)
    for name in ("a.jsonl", "a.jsonl.gz", "a.csv", "a.json"):
        assert run("--db", db, "--out", str(tmp_path / name)) == 0
    before = listing(tmp_path)
    assert len(before) == 16
    # Without --force the export's own files are kept, and nothing else is looked at.
    assert run("--db", db, "--out", str(tmp_path / "a.csv"), "--source", "zoomit") == 2
    assert listing(tmp_path) == before
    assert run("--db", db, "--out", str(tmp_path / "a.csv"), "--source", "zoomit", "--force") == 0
    after = listing(tmp_path)
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {"a.csv", "a.csv.manifest.json", "a.csv.datasheet.md", "a.csv.chart.svg"}
    assert len(read_csv(tmp_path / "a.csv")) == 3


def test_a_name_too_long_for_its_side_files_is_refused(archive_path, tmp_path, capsys):  # noqa: F811
    out = tmp_path / ("x" * 230 + ".jsonl")  # a legal name; its side files' would not be
    assert run("--db", str(archive_path), "--out", str(out)) == 2
    assert "too long" in capsys.readouterr().err and list(tmp_path.iterdir()) == []


# --- every format/extension pair ---------------------------------------------------------


def outcome(chosen: str | None, ext: str, name_gz: bool, gzip_flag: bool) -> tuple[str, str]:
    """What an export must do: ("written", format) or ("refused", what the message says)."""
    if ext not in FORMATS:
        return "refused", "does not end in a format's extension"
    if chosen and chosen != ext:
        return "refused", f"says {ext} but --format is {chosen}"
    if ext == "parquet" and (name_gz or gzip_flag):
        return "refused", "drop --gzip"
    if gzip_flag and not name_gz:
        return "refused", "name the file"
    return "written", ext


def written_format(path: Path) -> str:
    """Which format a file holds, judged by its bytes."""
    raw = path.read_bytes()
    if raw.startswith(b"PAR1"):
        return "parquet"
    if raw.startswith(b"\x1f\x8b"):
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8")
    if text.startswith("id,source,url,"):
        return "csv"
    if text.startswith("["):
        return "json" if len(json.loads(text)) == len(ARTICLES) else "?"
    return "jsonl" if all(json.loads(line) for line in text.splitlines()) else "?"


@pytest.mark.parametrize("gzip_flag", [False, True], ids=["", "--gzip"])
@pytest.mark.parametrize("name_gz", [False, True], ids=["", ".gz"])
@pytest.mark.parametrize("ext", [*FORMATS, "txt", "xlsx", ""])
@pytest.mark.parametrize("chosen", [None, *FORMATS])
def test_every_format_and_extension_pair(archive_path, tmp_path, capsys, chosen, ext, name_gz, gzip_flag):  # noqa: F811
    name = "data" + (f".{ext}" if ext else "") + (".gz" if name_gz else "")
    argv = ["--db", str(archive_path), "--out", str(tmp_path / name)]
    argv += (["--format", chosen] if chosen else []) + (["--gzip"] if gzip_flag else [])
    verdict, detail = outcome(chosen, ext, name_gz, gzip_flag)
    status = run(*argv)
    if verdict == "refused":
        assert status == 2 and detail in capsys.readouterr().err
        assert list(tmp_path.iterdir()) == []
    else:
        assert status == 0 and written_format(tmp_path / name) == detail
        assert (tmp_path / name).read_bytes()[:2] == b"\x1f\x8b" if name_gz else True


def test_a_wrong_extension_gets_the_right_name_suggested(archive_path, tmp_path, capsys):  # noqa: F811
    db = str(archive_path)
    assert run("--db", db, "--out", str(tmp_path / "e.txt")) == 2
    assert "name it e.jsonl for jsonl" in capsys.readouterr().err
    assert run("--db", db, "--out", str(tmp_path / "e.gz"), "--format", "csv") == 2
    assert "name it e.csv.gz for csv" in capsys.readouterr().err
    assert run("--db", db, "--out", str(tmp_path / "E.CSV")) == 0  # extensions in any case
    assert len(read_csv(tmp_path / "E.CSV")) == len(ARTICLES)


def test_the_command_offers_the_library_formats():
    parser = argparse.ArgumentParser()
    add_export_parser(parser.add_subparsers())
    export_parser = parser._subparsers._group_actions[0].choices["export"]  # type: ignore[union-attr]
    options = {action.dest: action for action in export_parser._actions}
    assert tuple(options["format"].choices) == FORMATS
    # Every option says what it does: a sentence, not just a word.
    for dest, action in options.items():
        assert action.help and len(action.help.split()) >= 3, dest


# --- CSV -----------------------------------------------------------------------------------


def test_csv_round_trip_with_the_csv_module_and_pandas(archive_path, tmp_path):  # noqa: F811
    out = tmp_path / "articles.csv"
    assert run("--db", str(archive_path), "--out", str(out), "--with-versions") == 0
    raw = out.read_bytes()
    assert raw.startswith(b"id,source,url,title,") and not raw.startswith(b"\xef\xbb\xbf")
    assert ZWNJ.encode() in raw and b"\\u" not in raw  # characters, never escapes
    expected = expected_records(archive_path, versions=True)

    rows = read_csv(out)
    assert len(rows) == len(expected)  # bodies hold newlines, each stays in its quoted cell
    assert list(rows[0]) == list(expected[0])
    assert [decode_csv_row(row) for row in rows] == expected
    assert "\n\n" in rows[0]["body"] and any("\u2028" in row["lead"] for row in rows)

    pandas = pytest.importorskip("pandas")
    scope: dict = {}
    exec(datasheet_code(tmp_path / "articles.csv.datasheet.md", out), scope)
    frame = scope["df"]
    assert list(frame.columns) == list(expected[0]) and len(frame) == len(expected)
    for name in ("published_at", "modified_at"):
        assert isinstance(frame[name].dtype, pandas.DatetimeTZDtype) and str(frame[name].dtype.tz) == "UTC"
    assert frame["published_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").tolist() == [
        r["published_at"] for r in expected
    ]
    assert str(frame["word_count"].dtype) == "Int64"
    assert frame["tags"].tolist() == [r["tags"] for r in expected]
    assert frame["versions"].tolist() == [r["versions"] for r in expected]
    assert frame["title"].tolist() == [r["title"] for r in expected]
    assert frame["lead"].isna().tolist() == [r["lead"] is None for r in expected]
    assert scope["rows"] == rows and scope["authors"] == expected[0]["authors"]


TRICKY = {
    "title": '=HYPERLINK("https://example.com","پیام‌رسان")',
    "lead": "NA",
    "body": '-۵ درصد، «نقل‌قول» و "quotes", commas\nline two\r\nline three',
    "authors": ["None", "زهرا، ملکی"],
    "tags": ["a, b", 'نقل "قول"', "هوش‌مصنوعی", "@home"],
    "categories": [],
}


@pytest.fixture(scope="module")
def tricky_archive(tmp_path_factory) -> Path:
    """Two articles whose text a spreadsheet or a naive parser would get wrong."""
    path = tmp_path_factory.mktemp("tricky") / "archive.db"
    with Archive(path) as archive:
        for number in (0, 6):
            article = make_article(*ARTICLES[number], number)
            archive.save_article(article | (TRICKY if number == 0 else {}), fetched_at="2024-05-01T00:00:00Z")
    return path


def test_csv_keeps_every_text_exactly(tricky_archive, tmp_path):
    out = tmp_path / "tricky.csv"
    assert (
        run(
            "--db",
            str(tricky_archive),
            "--out",
            str(out),
            "--fields",
            "title,lead,body,authors,tags,categories",
        )
        == 0
    )
    rows = read_csv(out)
    stored = expected_records(tricky_archive)  # as the archive holds them
    assert {key: stored[0][key] for key in TRICKY} == TRICKY | {"body": stored[0]["body"]}
    body = stored[0]["body"]
    assert ZWNJ in body and "\n" in body
    assert [decode_csv_row(row) for row in rows] == [{key: r[key] for key in rows[0]} for r in stored]

    pandas = pytest.importorskip("pandas")
    scope: dict = {}
    exec(datasheet_code(tmp_path / "tricky.csv.datasheet.md", out), scope)
    frame = scope["df"]
    assert frame["lead"][0] == "NA" and frame["authors"][0] == ["None", "زهرا، ملکی"]  # not missing
    assert frame["title"][0] == TRICKY["title"] and frame["tags"][0] == TRICKY["tags"]
    assert frame["body"][0] == body and frame["tags"][1] == stored[1]["tags"]
    assert not pandas.isna(frame["lead"][1])


def test_excel_csv_has_a_bom_and_no_live_formulas(tricky_archive, tmp_path):
    out = tmp_path / "excel.csv"
    assert run("--db", str(tricky_archive), "--out", str(out), "--excel") == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid,source,")
    rows = read_csv(out, encoding="utf-8-sig")
    first = rows[0]
    assert next(iter(first)) == "id"  # the BOM is not part of the first name
    assert first["title"] == "'" + TRICKY["title"] and first["body"].startswith("'-۵ درصد")
    assert json.loads(first["tags"]) == TRICKY["tags"]  # a JSON array starts with [, never a formula
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())
    manifest = json.loads((tmp_path / "excel.csv.manifest.json").read_text("utf-8"))
    assert manifest["data_file"]["encoding"] == "utf-8 with BOM"
    assert "`'`" in " ".join(manifest["data_file"]["layout"])

    pytest.importorskip("pandas")
    scope: dict = {}
    exec(datasheet_code(tmp_path / "excel.csv.datasheet.md", out), scope)
    assert scope["df"].columns[0] == "id" and scope["df"]["tags"][0] == TRICKY["tags"]


def test_excel_means_csv(archive_path, tmp_path, capsys, monkeypatch):  # noqa: F811
    db = str(archive_path)
    assert run("--db", db, "--out", str(tmp_path / "x.jsonl"), "--excel") == 2
    assert "--excel writes CSV for Excel, but the format is jsonl" in capsys.readouterr().err
    assert run("--db", db, "--out", "-", "--format", "json", "--excel") == 2
    assert list(tmp_path.iterdir()) == []
    monkeypatch.chdir(tmp_path)
    assert run("--db", db, "--excel") == 0  # the default name ends in .csv
    (data,) = [p for p in Path("datasets").iterdir() if p.suffix == ".csv"]
    assert data.read_bytes().startswith(b"\xef\xbb\xbf")


def test_csv_streams_to_stdout_as_it_writes_a_file(archive_path, tmp_path, capsysbinary):  # noqa: F811
    assert run("--db", str(archive_path), "--out", str(tmp_path / "f.csv")) == 0
    capsysbinary.readouterr()
    assert run("--db", str(archive_path), "--out", "-", "--format", "csv") == 0
    assert capsysbinary.readouterr().out == (tmp_path / "f.csv").read_bytes()


def test_gzipped_csv_round_trip(archive_path, tmp_path):  # noqa: F811
    out = tmp_path / "a.csv.gz"
    assert run("--db", str(archive_path), "--out", str(out)) == 0
    assert [decode_csv_row(row) for row in read_csv(out)] == expected_records(archive_path)
    pytest.importorskip("pandas")
    scope: dict = {}
    exec(datasheet_code(tmp_path / "a.csv.gz.datasheet.md", out), scope)
    assert len(scope["df"]) == len(scope["rows"]) == len(ARTICLES)


# --- the datasheet and manifest describe the format beside them ------------------------------


TYPES = {
    # field: (JSON Lines / JSON, CSV, Parquet)
    "tags": ("array of string", 'JSON array of strings, as text: `["a","b"]`, `[]`', "list<string>"),
    "published_at": (
        "string: UTC instant `YYYY-MM-DDTHH:MM:SSZ`",
        "text: UTC instant `YYYY-MM-DDTHH:MM:SSZ`",
        "timestamp[ms, tz=UTC]",
    ),
    "lead": ("string, or null", "text; empty cell: none", "string, or null"),
    "word_count": ("integer", "integer", "int64"),
}


@pytest.mark.parametrize("suffix", ["jsonl", "json", "csv", "parquet"])
def test_the_datasheet_describes_its_own_format(archive_path, tmp_path, suffix):  # noqa: F811
    if suffix == "parquet":
        pytest.importorskip("pyarrow")
    out = tmp_path / f"d.{suffix}"
    assert run("--db", str(archive_path), "--out", str(out)) == 0
    manifest = json.loads((tmp_path / f"d.{suffix}.manifest.json").read_text("utf-8"))
    sheet = (tmp_path / f"d.{suffix}.datasheet.md").read_text("utf-8")
    column = {"jsonl": 0, "json": 0, "csv": 1, "parquet": 2}[suffix]
    declared = {item["name"]: item["type"] for item in manifest["fields"]}
    for name, types in TYPES.items():
        assert declared[name] == types[column], name
        assert f"| `{name}` | {types[column].replace('|', chr(92) + '|')} |" in sheet, name
    layout = manifest["data_file"]["layout"]
    assert layout and all(f"- {note}" in sheet for note in layout)
    words = " ".join(layout)
    assert {
        "jsonl": "one JSON object per line",
        "json": "one JSON array",
        "csv": "JSON arrays written as text",
        "parquet": "list<string>",
    }[suffix] in words
    assert ("utf-8" in sheet) == (suffix != "parquet")
    # Takedowns: the command that does them, named exactly.
    assert "`newsarchive delete URL...`" in sheet and "`newsarchive delete --source S`" in sheet
    assert "can delete an article" not in sheet


def test_a_csv_datasheet_loads_with_pandas_not_the_json_loader(archive_path, tmp_path):  # noqa: F811
    out = tmp_path / "c.csv"
    assert run("--db", str(archive_path), "--out", str(out)) == 0
    code = datasheet_code(tmp_path / "c.csv.datasheet.md", out)
    assert "pd.read_csv(" in code and "keep_default_na=False" in code and "read_json" not in code
    assert 'encoding="utf-8"' in code


# --- Parquet -----------------------------------------------------------------------------------


def test_parquet_refuses_a_time_that_is_not_an_instant(archive_path, tmp_path, capsys):  # noqa: F811
    pytest.importorskip("pyarrow")
    db = tmp_path / "odd.db"
    db.write_bytes(archive_path.read_bytes())
    with sqlite3.connect(db) as connection:  # a value a library user could have stored
        connection.execute("update articles set modified_at = 'yesterday' where url like '%pixel-8'")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    assert run("--db", str(db), "--out", str(out_dir / "d.parquet")) == 1
    message = capsys.readouterr().err
    assert "modified_at" in message and "'yesterday'" in message and "Traceback" not in message
    assert list(out_dir.iterdir()) == []
    assert run("--db", str(db), "--out", str(out_dir / "d.jsonl")) == 0  # JSON keeps the text
    assert any(r["modified_at"] == "yesterday" for r in read_jsonl(out_dir / "d.jsonl"))


def test_the_library_takes_the_excel_option(archive_path, tmp_path):  # noqa: F811
    with Archive(archive_path, readonly=True) as archive:
        result = export(archive, ExportOptions(out=tmp_path / "lib.csv", excel=True))
    assert result.manifest["data_file"]["format"] == "csv"
    rows = list(csv.DictReader(io.StringIO(result.outputs.data.read_text("utf-8-sig"), newline="")))
    assert len(rows) == len(ARTICLES)
