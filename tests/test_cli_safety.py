"""A file must never reach beyond its place: export and chart destinations, integer
options that reach SQLite, and a damaged archive, through the ``newsarchive`` command."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from newsarchive.archive import Archive
from newsarchive.cli import main
from newsarchive.export import ExportError, ExportOptions, export

ROOT = Path(__file__).resolve().parent.parent


def article(number: int, body: str = "") -> dict:
    """A full article dict as the pipelines hand it to storage."""
    day = 1 + number % 28
    return {
        "source": ("digiato", "zoomit")[number % 2],
        "url": f"https://example.ir/news/{number}",
        "title": f"خبر {number}: پیام‌رسان‌های ایرانی",
        "lead": f"لید خبر {number}",
        "body": body or f"متن خبر {number} درباره پیام‌رسان‌ها و اینترنت.",
        "authors": ["زهرا ملکی"],
        "categories": ["اینترنت"],
        "tags": ["پیام‌رسان"],
        "image_url": None,
        "page_type": "article",
        "sponsored": False,
        "published_at": f"2024-05-{day:02d}T06:45:00Z",
        "published_jalali": f"1403-02-{day:02d} 10:15",
        "published_precision": "minute",
        "published_display": "۱۵ اردیبهشت ۱۴۰۳",
        "field_sources": {"title": "site"},
        "notes": [],
    }


def newsarchive(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real command in a subprocess (its stdout is a pipe, as in ``… | jq``)."""
    return subprocess.run(
        [sys.executable, "-m", "newsarchive", *argv],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=120,
    )


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("small") / "archive.db"
    with Archive(path) as archive:
        for number in range(12):
            archive.save_article(article(number), fetched_at="2024-05-30T00:00:00Z")
    return path


WORDS = [
    "پیام\u200cرسان",
    "اینترنت",
    "ماهواره",
    "گوشی",
    "هوش",
    "مصنوعی",
    "سامسونگ",
    "اپل",
    "شبکه",
    "کاربران",
    "وزیر",
    "ارتباطات",
]


@pytest.fixture(scope="module")
def sound(tmp_path_factory) -> Path:
    """A real archive of 300 articles with 5 KB bodies: over a thousand pages."""
    path = tmp_path_factory.mktemp("sound") / "archive.db"
    rng = random.Random(7)
    with Archive(path) as archive:
        for number in range(300):
            body = " ".join(f"{rng.choice(WORDS)}{rng.randrange(1000)}" for _ in range(500))[:5000]
            archive.save_article(article(number, body), fetched_at="2024-05-30T00:00:00Z")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


@pytest.fixture(scope="module")
def damaged(sound, tmp_path_factory) -> Path:
    """The same archive with a few pages in the middle of its article rows overwritten with
    random bytes (chosen with SQLite's dbstat, so a schema change that moves pages cannot
    move the damage out of the rows every command reads)."""
    path = tmp_path_factory.mktemp("damaged") / "archive.db"
    path.write_bytes(sound.read_bytes())
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    rows = [
        page for (page,) in conn.execute("select pageno from dbstat where name = 'articles' order by pageno")
    ]
    conn.close()
    assert pages > 1000 and len(rows) > 100  # many pages: the damage is far from the schema
    rng = random.Random(7)
    with open(path, "r+b") as file:
        middle = len(rows) // 2
        for page in rows[middle : middle + 4]:
            file.seek((page - 1) * page_size)  # dbstat counts pages from 1
            file.write(rng.randbytes(page_size))
    return path


# --- export: only regular files or new paths, checked before anything is written ---------------


def folder_listing(folder: Path) -> dict[str, int]:
    """Every name in ``folder`` with its file type (a replaced FIFO becomes a regular file)."""
    return {path.name: stat.S_IFMT(path.lstat().st_mode) for path in folder.iterdir()}


def make_symlink(path: Path) -> None:
    target = path.parent / "elsewhere" / "target.txt"
    target.parent.mkdir(exist_ok=True)
    target.write_text("not yours\n")
    path.symlink_to(target)


def make_dangling_symlink(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere" / "new.jsonl")


MAKERS = {
    "symlink": make_symlink,
    "dangling-symlink": make_dangling_symlink,
    "fifo": os.mkfifo,
    "directory": Path.mkdir,
}


@pytest.mark.parametrize("kind", sorted(MAKERS))
@pytest.mark.parametrize(
    "where", ["data.jsonl", "data.jsonl.manifest.json", "data.jsonl.datasheet.md", "data.jsonl.chart.svg"]
)
def test_export_refuses_anything_but_a_regular_file(small_archive, tmp_path, capsys, kind, where):
    """At the data path or any side file's path, with --force: exit 2, a message, nothing written."""
    folder = tmp_path / "out"
    folder.mkdir()
    MAKERS[kind](folder / where)
    before = folder_listing(folder)
    assert main(["export", "--db", str(small_archive), "--out", str(folder / "data.jsonl"), "--force"]) == 2
    message = capsys.readouterr().err
    assert str(folder / where) in message and ("regular file" in message or "directory" in message)
    assert folder_listing(folder) == before  # not replaced, no data file, no side file, no temp file
    if kind == "symlink":
        assert (folder / "elsewhere" / "target.txt").read_text() == "not yours\n"


def test_export_library_names_the_refused_path(small_archive, tmp_path):
    os.mkfifo(tmp_path / "pipe.jsonl")
    with Archive(small_archive, readonly=True) as archive, pytest.raises(ExportError) as refused:
        export(archive, ExportOptions(out=tmp_path / "pipe.jsonl", force=True))
    assert (
        refused.value.path == tmp_path / "pipe.jsonl"
        and refused.value.kind == "a FIFO"
        and refused.value.data
    )
    assert "--" not in str(refused.value)  # values, not options: the command adds "--out -"
    assert stat.S_ISFIFO((tmp_path / "pipe.jsonl").lstat().st_mode) and len(list(tmp_path.iterdir())) == 1


@pytest.mark.parametrize("device", ["/dev/null", "/dev/full", "/dev/stdout"])
def test_export_never_replaces_a_device(small_archive, capsys, device):
    """As root, ``--out /dev/full --force`` once turned the device into a file and wrote side files into /dev."""
    mode = os.lstat(device).st_mode
    dev = set(os.listdir("/dev"))
    assert main(["export", "--db", str(small_archive), "--out", device, "--force"]) == 2
    assert os.lstat(device).st_mode == mode and set(os.listdir("/dev")) == dev
    message = capsys.readouterr().err
    assert device in message and "--out -" in message


def test_a_regular_file_is_still_overwritten_with_force(small_archive, tmp_path):
    out = tmp_path / "data.jsonl"
    out.write_text("old\n")
    datasheet = tmp_path / "data.jsonl.datasheet.md"
    datasheet.write_text("old notes\n")
    assert main(["export", "--db", str(small_archive), "--out", str(out)]) == 2
    assert main(["export", "--db", str(small_archive), "--out", str(out), "--force"]) == 0
    assert len(out.read_text().splitlines()) == 12 and datasheet.read_text() != "old notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "data.jsonl",
        "data.jsonl.chart.svg",
        "data.jsonl.datasheet.md",
        "data.jsonl.manifest.json",
    ]


def test_a_path_that_turns_into_a_fifo_during_the_export_is_not_replaced(
    small_archive, tmp_path, monkeypatch
):
    """Checked again just before the renames: a long export gives time for the folder to change."""
    from newsarchive.export import exporter as module

    out = tmp_path / "data.jsonl"
    real = module.chart_svg

    def meanwhile(*args, **kwargs):
        os.mkfifo(tmp_path / "data.jsonl.chart.svg")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "chart_svg", meanwhile)
    with Archive(small_archive, readonly=True) as archive, pytest.raises(ExportError):
        export(archive, ExportOptions(out=out))
    assert folder_listing(tmp_path) == {"data.jsonl.chart.svg": stat.S_IFIFO}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_out_dash_streams_the_data_to_stdout(small_archive, tmp_path, fmt):
    result = newsarchive("export", "--db", str(small_archive), "--out", "-", "--format", fmt, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    records = (
        [json.loads(line) for line in result.stdout.splitlines()]
        if fmt == "jsonl"
        else json.loads(result.stdout)
    )
    assert len(records) == 12 and records[0]["title"].startswith("خبر")
    assert [r["published_at"] for r in records] == sorted(r["published_at"] for r in records)
    assert "stdout" in result.stderr and "manifest" in result.stderr
    assert list(tmp_path.iterdir()) == [] and not (ROOT / "datasets" / "-").exists()


@pytest.mark.slow
def test_out_dash_gives_the_same_bytes_as_a_file(small_archive, tmp_path):
    streamed = subprocess.run(
        [sys.executable, "-m", "newsarchive", "export", "--db", str(small_archive), "--out", "-", "--gzip"],
        capture_output=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert streamed.returncode == 0, streamed.stderr
    assert main(["export", "--db", str(small_archive), "--out", str(tmp_path / "data.jsonl.gz")]) == 0
    assert streamed.stdout == (tmp_path / "data.jsonl.gz").read_bytes()


@pytest.mark.slow
def test_a_reader_that_stops_early_ends_the_stream_quietly(sound, tmp_path):
    """``newsarchive export --out - | head``: no traceback, the exit status of a SIGPIPE."""
    process = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "export", "--db", str(sound), "--out", "-"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    first = process.stdout.readline()
    process.stdout.close()  # 300 articles of 5 KB: far more than the pipe holds
    assert process.wait(timeout=120) == 141
    assert json.loads(first)["url"].startswith("https://example.ir/news/")
    assert process.stderr.read() == b"" and list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_parquet_to_stdout_is_refused(small_archive, tmp_path):
    result = newsarchive(
        "export", "--db", str(small_archive), "--out", "-", "--format", "parquet", cwd=tmp_path
    )
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    assert "parquet" in result.stderr.lower() and "stdout" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["fifo", "symlink"])
def test_stats_chart_writes_only_a_regular_file(small_archive, tmp_path, capsys, kind):
    chart = tmp_path / "chart.svg"
    MAKERS[kind](chart)
    before = folder_listing(tmp_path)
    assert main(["stats", "--db", str(small_archive), "--chart", str(chart)]) == 2
    assert str(chart) in capsys.readouterr().err and folder_listing(tmp_path) == before


# --- integer options that reach SQLite -----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv",
    [
        ["search", "پیام‌رسان", "--limit", "99999999999999999999"],
        ["search", "پیام‌رسان", "--limit", "1000001"],
        ["search", "پیام‌رسان", "--limit", "0"],
        ["search", "پیام‌رسان", "--limit", "-3"],
        ["runs", "--limit", "99999999999999999999"],
        ["runs", "--limit", "-1"],
        ["runs", "--limit", "0"],
        ["replay", "tests/mirror", "--port", "99999999999"],
    ],
)
def test_integer_options_out_of_range_are_a_usage_error(small_archive, argv):
    result = newsarchive(*argv, *(["--db", str(small_archive)] if argv[0] != "replay" else []))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "between" in result.stderr and argv[-1] in result.stderr


def test_limits_at_the_bounds_still_work(small_archive, capsys):
    assert main(["search", "پیام‌رسان", "--db", str(small_archive), "--limit", "1000000", "--json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 12
    assert main(["search", "پیام‌رسان", "--db", str(small_archive), "--limit", "1", "--json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1
    assert main(["runs", "--db", str(small_archive), "--limit", "1"]) == 0


def test_search_help_names_the_limit_range(capsys):
    with pytest.raises(SystemExit):
        main(["search", "--help"])
    assert "1,000,000" in " ".join(capsys.readouterr().out.split())


# --- a damaged archive: one clear message, exit 1 ----------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv",
    [
        ["stats"],
        ["stats", "--json"],
        ["search", "پیام‌رسان", "--limit", "1000"],  # every article is read for its snippet
        ["search", "خبر", "--json", "--limit", "1000"],
        ["search", "zzzz"],  # no match: nothing damaged is read, yet "no matches" would be a lie
        ["runs"],
        ["runs", "--json"],
        ["export", "--out", "OUT"],
        ["export", "--out", "-"],
        ["reindex"],
    ],
)
def test_a_damaged_archive_is_one_clear_message(damaged, tmp_path, argv):
    argv = [arg.replace("OUT", str(tmp_path / "data.jsonl")) for arg in argv]
    copy = tmp_path / "archive.db"
    copy.write_bytes(damaged.read_bytes())  # reindex writes; each case gets the same damage
    result = newsarchive(*argv, "--db", str(copy), cwd=tmp_path)
    assert "Traceback" not in result.stderr and result.returncode == 1, result.stderr
    assert result.stderr.startswith(f"newsarchive: archive {copy} is damaged")  # one message, nothing else
    assert "no matches" not in result.stdout
    # No export file, no temp file (the archive's own -wal, -shm, lock files aside).
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("archive.db")] == []


def test_an_empty_answer_from_a_sound_archive_is_still_an_answer(small_archive, capsys):
    """The damage check behind an empty answer passes a sound archive: exit 0, "no matches"."""
    assert main(["search", "zzzz", "--db", str(small_archive)]) == 0
    assert "no matches" in capsys.readouterr().out
    assert main(["runs", "--db", str(small_archive), "--json"]) == 0
    assert capsys.readouterr() == ("", "")


@pytest.mark.slow
def test_a_search_of_a_damaged_archive_fails_or_answers_in_full(sound, damaged):
    """No silent partial answer: each query either fails or finds what the sound archive finds."""
    queries = [f"{word}{number}" for word in WORDS for number in range(0, 1000, 97)] + [
        f"{w}*" for w in WORDS
    ]
    failed = 0
    with Archive(sound, readonly=True) as whole, Archive(damaged, readonly=True) as broken:
        for query in queries:
            try:
                found = [hit.url for hit in broken.search(query, limit=1000)]
            except sqlite3.DatabaseError:
                failed += 1
                continue
            assert found == [hit.url for hit in whole.search(query, limit=1000)], query
    assert 0 < failed < len(queries)  # the damage is where some searches read, not all
