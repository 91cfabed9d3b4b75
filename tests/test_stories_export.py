"""Stories in exports: ``story_id`` in every format, ``--dedupe story`` (one record per story
with the others' URLs), and the datasheet's originals and copies per source and month,
on the archive of :func:`test_stories_cli.build_story_archive`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from test_stories_cli import STORY_A, STORY_C, STORY_OF, build_story_archive, url

from newsarchive.archive import article_id
from newsarchive.cli import main

#: Every article in export order (published_at, then URL).
ORDER = [
    url("digiato", "a-first"),
    url("zoomit", "a-copy"),
    url("itna", "a-exact"),
    url("zoomit", "b-alone"),
    url("itna", "d-one"),
    url("digiato", "d-two"),
    url("zoomit", "c-first"),
    url("digiato", "c-copy"),
]


@pytest.fixture(scope="module")
def story_db(tmp_path_factory) -> Path:
    return build_story_archive(tmp_path_factory.mktemp("stories-export") / "archive.db")


def export(db: Path, out: Path, *argv: str) -> list[dict]:
    assert main(["export", "--db", str(db), "--out", str(out), "--quiet", *argv]) == 0
    if out.suffix == ".csv":
        with out.open(newline="", encoding="utf-8") as file:
            return list(csv.DictReader(file))
    if out.suffix == ".parquet":
        import pyarrow.parquet

        return pyarrow.parquet.read_table(out).to_pylist()
    return [json.loads(line) for line in out.read_text("utf-8").splitlines()]


def test_every_record_has_its_story_id_in_json_lines_csv_and_parquet(story_db, tmp_path):
    for name in ("all.jsonl", "all.csv", "all.parquet"):
        records = export(story_db, tmp_path / name)
        assert [record["url"] for record in records] == ORDER, name
        assert [record["story_id"] for record in records] == [STORY_OF[u] for u in ORDER], name
        assert "story_urls" not in records[0] and "story_size" not in records[0]
    manifest = json.loads((tmp_path / "all.parquet.manifest.json").read_text("utf-8"))
    [field] = [field for field in manifest["fields"] if field["name"] == "story_id"]
    assert field["type"] == "string, or null" and field["non_empty"] == len(ORDER)
    assert "copies" in field["description"]
    datasheet = (tmp_path / "all.csv.datasheet.md").read_text("utf-8")
    assert "| `story_id` | text; empty cell: none | 8 | The story the article belongs to" in datasheet


def test_dedupe_story_writes_the_first_publication_with_the_others_urls(story_db, tmp_path):
    records = export(story_db, tmp_path / "stories.jsonl", "--dedupe", "story")
    assert [(r["url"], r["story_id"], r["story_size"], r["story_urls"]) for r in records] == [
        (url("digiato", "a-first"), STORY_A, 3, [url("zoomit", "a-copy"), url("itna", "a-exact")]),
        (url("zoomit", "b-alone"), article_id(url("zoomit", "b-alone")), 1, []),
        (url("itna", "d-one"), article_id(url("itna", "d-one")), 1, []),
        (url("digiato", "d-two"), article_id(url("digiato", "d-two")), 1, []),
        (url("zoomit", "c-first"), STORY_C, 2, [url("digiato", "c-copy")]),
    ]
    assert list(records[0])[-3:] == ["story_id", "story_size", "story_urls"]
    manifest = json.loads((tmp_path / "stories.jsonl.manifest.json").read_text("utf-8"))
    assert manifest["records"] == 5 and manifest["filters"]["dedupe"] == "story"
    assert "--dedupe story" in manifest["command"]
    assert (manifest["stories"]["originals"], manifest["stories"]["copies"]) == (5, 0)
    datasheet = (tmp_path / "stories.jsonl.datasheet.md").read_text("utf-8")
    assert "One record per story (`--dedupe story`)" in datasheet
    assert "| selection | the whole archive; one record per story |" in datasheet


def test_dedupe_with_a_filter_keeps_the_earliest_article_the_filter_keeps(story_db, tmp_path):
    records = export(story_db, tmp_path / "zoomit.csv", "--dedupe", "story", "--source", "zoomit")
    assert [(r["url"], r["story_size"], json.loads(r["story_urls"])) for r in records] == [
        (url("zoomit", "a-copy"), "3", [url("digiato", "a-first"), url("itna", "a-exact")]),
        (url("zoomit", "b-alone"), "1", []),
        (url("zoomit", "c-first"), "2", [url("digiato", "c-copy")]),
    ]
    manifest = json.loads((tmp_path / "zoomit.csv.manifest.json").read_text("utf-8"))
    # zoomit copied A (digiato was first) and was first with C.
    assert manifest["stories"]["per_month"] == {
        "zoomit": {"2024-05": {"originals": 1, "copies": 1}, "2024-06": {"originals": 1, "copies": 0}}
    }


def test_dedupe_in_parquet_has_typed_story_fields(story_db, tmp_path):
    import pyarrow.parquet

    out = tmp_path / "stories.parquet"
    export(story_db, out, "--dedupe", "story")
    schema = pyarrow.parquet.read_schema(out)
    assert str(schema.field("story_size").type) == "int64"
    assert str(schema.field("story_urls").type) == "list<element: string>"
    table = pyarrow.parquet.read_table(out)
    assert table.column("story_urls").to_pylist()[-1] == [url("digiato", "c-copy")]


def test_datasheet_counts_originals_and_copies_per_source_and_month(story_db, tmp_path):
    export(story_db, tmp_path / "all.jsonl")
    manifest = json.loads((tmp_path / "all.jsonl.manifest.json").read_text("utf-8"))
    stories = manifest["stories"]
    assert (stories["stories"], stories["stories_with_copies"]) == (5, 2)
    assert (stories["originals"], stories["copies"]) == (5, 3)
    assert stories["per_month"] == {
        "digiato": {"2024-05": {"originals": 2, "copies": 0}, "2024-06": {"originals": 0, "copies": 1}},
        "itna": {"2024-05": {"originals": 1, "copies": 1}},
        "zoomit": {"2024-05": {"originals": 1, "copies": 1}, "2024-06": {"originals": 1, "copies": 0}},
    }
    datasheet = (tmp_path / "all.jsonl.datasheet.md").read_text("utf-8")
    section = datasheet.split("## Stories\n", 1)[1].split("\n## ", 1)[0]
    assert "5 stories, 2 of them with copies: 5 records are originals" in section
    assert "3 copies." in section
    assert "| month | digiato | itna | zoomit | total |" in section
    assert "| 2024-05 | 2 / 0 | 1 / 1 | 1 / 1 | 4 / 2 |" in section
    assert "| 2024-06 | 0 / 1 | 0 / 0 | 1 / 0 | 1 / 1 |" in section


def test_dedupe_to_stdout_and_in_the_default_name(story_db, tmp_path, capfd, monkeypatch):
    assert main(["export", "--db", str(story_db), "--out", "-", "--dedupe", "story", "--quiet"]) == 0
    out, err = capfd.readouterr()
    assert [json.loads(line)["url"] for line in out.splitlines()] == [
        url("digiato", "a-first"),
        url("zoomit", "b-alone"),
        url("itna", "d-one"),
        url("digiato", "d-two"),
        url("zoomit", "c-first"),
    ]
    assert err.startswith("5 stories (one article each) → stdout")
    monkeypatch.chdir(tmp_path)
    assert main(["export", "--db", str(story_db), "--dedupe", "story", "--quiet"]) == 0
    [data] = Path("datasets").glob("*.jsonl")
    assert "_one-per-story_exported-" in data.name


def test_fields_may_ask_for_the_story_fields_without_dedupe(story_db, tmp_path):
    records = export(story_db, tmp_path / "f.jsonl", "--fields", "url,story_id,story_size,story_urls")
    assert len(records) == len(ORDER)
    assert records[1] == {
        "url": url("zoomit", "a-copy"),
        "story_id": STORY_A,
        "story_size": 3,
        "story_urls": [url("digiato", "a-first"), url("itna", "a-exact")],
    }


def test_an_unknown_dedupe_is_a_usage_error(story_db, tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["export", "--db", str(story_db), "--out", str(tmp_path / "x.jsonl"), "--dedupe", "url"])
    assert exited.value.code == 2 and "--dedupe" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_encoder_processes_write_the_same_story_ids_and_counts(story_db, tmp_path):
    from newsarchive.archive import Archive
    from newsarchive.export import ExportOptions
    from newsarchive.export import export as export_archive

    results = {}
    with Archive(story_db, readonly=True) as archive:
        for parallel in (False, True):
            options = ExportOptions(out=tmp_path / f"{parallel}.jsonl", parallel=parallel)
            results[parallel] = export_archive(archive, options).manifest
    assert results[True]["data_file"]["sha256"] == results[False]["data_file"]["sha256"]
    assert results[True]["stories"] == results[False]["stories"]
    assert results[True]["stories"]["copies"] == 3
