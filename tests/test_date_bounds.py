"""``--since``/``--until`` mean the same in every command: whole Tehran days, both included.

One archive holds articles published, and captures fetched, at the edges of 1-2 Farvardin
1403 (2024-03-20 and 21; Tehran is +03:30, so the days run from 2024-03-19T20:30Z to
2024-03-21T20:30Z). ``search``, ``export`` and ``reparse`` are given the same bounds,
spelled in either calendar, and must select the same instants; the spider's ``since`` is
the start of the same day. All through ``newsarchive.cli.main``, in this process.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from newsarchive.archive import Archive
from newsarchive.cli import main
from newsarchive.persian.dates import day_range
from newsarchive.spiders.sites import SPIDERS

#: (name, instant): the first and last second in the two days, and the seconds just outside.
EDGES = [
    ("before", "2024-03-19T20:29:59Z"),
    ("first", "2024-03-19T20:30:00Z"),
    ("middle", "2024-03-20T12:00:00Z"),
    ("last", "2024-03-21T20:29:59Z"),
    ("after", "2024-03-21T20:30:00Z"),
]
INSIDE = {"first", "middle", "last"}
SPELLINGS = [
    ("1403-01-01", "1403-01-02"),
    ("2024-03-20", "2024-03-21"),
    ("۱۴۰۳/۰۱/۰۱", "۲ فروردین ۱۴۰۳"),
]


def article(name: str, published_at: str) -> dict:
    return {
        "source": "digiato",
        "url": f"https://digiato.com/bounds/{name}",
        "title": f"مرز {name}",
        "lead": None,
        "body": f"پیام‌رسان و مرز روز: {name}.",
        "authors": [],
        "categories": [],
        "tags": [],
        "image_url": None,
        "page_type": "article",
        "sponsored": False,
        "published_at": published_at,
        "published_jalali": None,
        "published_precision": "minute",
        "published_display": None,
        "field_sources": {},
        "notes": [],
    }


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bounds") / "archive.db"
    with Archive(path) as archive:
        for name, instant in EDGES:
            archive.save_article(article(name, instant), fetched_at="2024-05-01T00:00:00Z")
        # WARC dates carry fractions of a second, or none; the files are missing, so
        # reparse counts every capture it selects as unreadable and changes nothing.
        archive.add_captures(
            [
                {
                    "url": f"https://digiato.com/capture/{name}",
                    "source": "digiato",
                    "kind": "article",
                    "fetched_at": instant if name != "last" else instant.replace("Z", ".999999Z"),
                    "status": 200,
                    "record_type": "response",
                    "warc_file": "missing.warc.gz",
                    "warc_offset": 0,
                    "warc_length": 1,
                }
                for name, instant in EDGES
            ]
        )
    return path


def searched(capsys, db: Path, *bounds: str) -> set[str]:
    assert main(["search", "پیام‌رسان", "--db", str(db), "--json", "--limit", "100", *bounds]) == 0
    return {json.loads(line)["url"].rsplit("/", 1)[1] for line in capsys.readouterr().out.splitlines()}


def exported(capsys, db: Path, out: Path, *bounds: str) -> tuple[set[str], dict]:
    assert main(["export", "--db", str(db), "--out", str(out), *bounds]) == 0
    capsys.readouterr()
    names = {json.loads(line)["url"].rsplit("/", 1)[1] for line in out.read_text("utf-8").splitlines()}
    return names, json.loads(out.with_name(out.name + ".manifest.json").read_text("utf-8"))


def reparsed(capsys, db: Path, *bounds: str) -> dict:
    assert main(["reparse", "--db", str(db), "--warc-dir", str(db.parent / "warc"), "--json", *bounds]) == 0
    return json.loads(capsys.readouterr().out)


def zulu(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(("since", "until"), SPELLINGS)
def test_the_same_bounds_select_the_same_instants_in_every_command(
    archive_path, tmp_path, capsys, since, until
):
    start, end = day_range(since, until)
    assert (zulu(start), zulu(end)) == ("2024-03-19T20:30:00Z", "2024-03-21T20:30:00Z")
    bounds = ("--since", since, "--until", until)

    assert searched(capsys, archive_path, *bounds) == INSIDE
    names, manifest = exported(capsys, archive_path, tmp_path / "data.jsonl", *bounds)
    assert names == INSIDE
    filters = manifest["filters"]
    assert (filters["published_at_from"], filters["published_at_before"]) == (zulu(start), zulu(end))
    report = reparsed(capsys, archive_path, *bounds)
    assert (report["read"], report["dropped"]) == (len(INSIDE), {"unreadable-capture": len(INSIDE)})
    assert SPIDERS["digiato"](since=since).since == start


def test_one_day_is_the_whole_day_in_every_command(archive_path, tmp_path, capsys):
    bounds = ("--since", "1403-01-02", "--until", "2024-03-21")
    assert searched(capsys, archive_path, *bounds) == {"last"}
    assert exported(capsys, archive_path, tmp_path / "day.jsonl", *bounds)[0] == {"last"}
    assert reparsed(capsys, archive_path, *bounds)["read"] == 1


def test_open_and_far_bounds(archive_path, tmp_path, capsys):
    everything = {name for name, _ in EDGES}
    assert searched(capsys, archive_path, "--until", "1410-01-01") == everything
    assert exported(capsys, archive_path, tmp_path / "far.jsonl", "--until", "1410-01-01")[0] == everything
    assert reparsed(capsys, archive_path, "--until", "1410-01-01")["read"] == len(EDGES)
    assert searched(capsys, archive_path, "--since", "2024-03-21") == {"last", "after"}
    assert reparsed(capsys, archive_path, "--until", "1403-01-01")["read"] == 3  # before, first, middle
    assert SPIDERS["digiato"]().since is None


@pytest.mark.parametrize(
    "command",
    [
        ["search", "پیام‌رسان"],
        ["export", "--out", "OUT"],
        ["reparse", "--warc-dir", "WARC"],
    ],
)
@pytest.mark.parametrize(
    ("since", "until", "named"),
    [
        ("1403-01-02", "1403-01-01", "'1403-01-02' is after the last day '1403-01-01'"),
        ("2024-03-21", "1403-01-01", "'2024-03-21' is after the last day '1403-01-01'"),
        ("fooday", "1403-01-01", "'fooday' is not a date"),
        ("1403-01-01", "2024-03-20 10:15", "'2024-03-20 10:15' is a time, not a day"),
    ],
)
def test_bounds_that_select_nothing_or_are_no_days_are_refused(
    archive_path, tmp_path, capsys, command, since, until, named
):
    argv = [
        arg.replace("OUT", str(tmp_path / "data.jsonl")).replace("WARC", str(tmp_path)) for arg in command
    ]
    before = archive_path.read_bytes()
    assert main([*argv, "--db", str(archive_path), "--since", since, "--until", until]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"newsarchive {command[0]}: ") and named in err
    assert list(tmp_path.iterdir()) == [] and archive_path.read_bytes() == before


def test_crawl_refuses_a_since_that_is_no_day_before_it_starts(tmp_path, capsys):
    assert main(["crawl", "digiato", "--since", "fooday", "--db", str(tmp_path / "archive.db")]) == 2
    assert "'fooday' is not a date" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
