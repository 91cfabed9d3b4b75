"""A filter name the archive does not know is a usage error, never an empty answer.

``--source``, ``--category`` and ``--tag`` values are checked against the archive
(:mod:`newsarchive.archive.vocabulary`) in every command that takes them; the message
lists the known names and what was probably meant. ``newsarchive sources`` lists the
sources with their counts and dates, and ``--since`` after ``--until`` is refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsarchive.archive import Archive
from newsarchive.archive.vocabulary import (
    UnknownNames,
    check_names,
    close_names,
    name_counts,
    unknown_names,
)
from newsarchive.cli import main
from newsarchive.cli.options import UsageError, check_filter_names
from newsarchive.sites import SITES

ZWNJ = "\u200c"


def article(number: int, source: str, tags: list[str], categories: list[str]) -> dict:
    return {
        "source": source,
        "url": f"https://example.ir/{source}/{number}",
        "title": f"خبر {number} درباره پیام{ZWNJ}رسان",
        "lead": None,
        "body": f"متن خبر {number}: پیام{ZWNJ}رسان‌ها و اینترنت.",
        "authors": [],
        "categories": categories,
        "tags": tags,
        "image_url": None,
        "page_type": "article",
        "sponsored": False,
        "published_at": f"2024-05-{1 + number:02d}T06:45:00Z",
        "published_jalali": None,
        "published_precision": "minute",
        "published_display": None,
        "field_sources": {},
        "notes": [],
    }


#: (source, tags, categories) of each article: digiato 3, zoomit 2.
ARTICLES = [
    ("digiato", [f"پیام{ZWNJ}رسان", "iOS 17.2"], ["موبایل"]),
    ("digiato", [f"پیام{ZWNJ}رسان"], ["موبایل", "اینترنت"]),
    ("digiato", [], ["اینترنت"]),
    ("zoomit", ["Galaxy S24"], ["موبایل"]),
    ("zoomit", [f"پیام{ZWNJ}رسان"], []),
]


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("names") / "archive.db"
    with Archive(path) as archive:
        for number, (source, tags, categories) in enumerate(ARTICLES):
            archive.save_article(article(number, source, tags, categories), fetched_at="2024-05-30T00:00:00Z")
        archive.add_captures(
            [
                {
                    "url": "https://digiato.com/capture/1",
                    "source": "digiato",
                    "kind": "article",
                    "fetched_at": "2024-05-02T00:00:00.000000Z",
                    "status": 200,
                    "record_type": "response",
                    "warc_file": "missing.warc.gz",
                    "warc_offset": 0,
                    "warc_length": 1,
                }
            ]
        )
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- the library -------------------------------------------------------------------------------


def test_name_counts_are_the_archive_names_most_frequent_first(archive_path):
    with Archive(archive_path, readonly=True) as archive:
        assert name_counts(archive, "source") == {"digiato": 3, "zoomit": 2}
        assert name_counts(archive, "tag") == {f"پیام{ZWNJ}رسان": 3, "Galaxy S24": 1, "iOS 17.2": 1}
        assert list(name_counts(archive, "category")) == ["موبایل", "اینترنت"]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Digiato", "digiato"),
        ("DIGIATO", "digiato"),
        ("digiatto", "digiato"),
        ("zoomt", "zoomit"),
        ("پیام رسان", f"پیام{ZWNJ}رسان"),  # a space for the ZWNJ
        ("پيام‌رسان", f"پیام{ZWNJ}رسان"),  # Arabic yeh
        ("galaxy s24", "Galaxy S24"),
    ],
)
def test_close_names_find_what_was_meant(typed, meant):
    known = ["digiato", "zoomit", f"پیام{ZWNJ}رسان", "Galaxy S24", "iOS 17.2"]
    assert close_names(typed, known)[0] == meant


def test_close_names_suggest_nothing_for_a_stranger():
    assert close_names("nosuchsite", ["digiato", "zoomit"]) == []


def test_unknown_names_carry_their_values(archive_path):
    with Archive(archive_path, readonly=True) as archive:
        assert unknown_names(archive, sources=["digiato"], tags=["iOS 17.2"], categories=["موبایل"]) == []
        [found] = unknown_names(archive, sources=["digiato", "Digiato"])
        assert (found.kind, found.value, found.suggestions) == ("source", "Digiato", ("digiato",))
        assert found.known == ("digiato", "zoomit")
        with pytest.raises(UnknownNames) as refused:
            check_names(archive, tags=["iOS 17.3"], categories=["nosuch"])
        assert [(name.kind, name.value) for name in refused.value.names] == [
            ("category", "nosuch"),
            ("tag", "iOS 17.3"),
        ]
        assert "--" not in str(refused.value)  # values, not options: the command names the option


def test_the_shared_cli_check_names_the_option_and_the_known_names(archive_path):
    with Archive(archive_path, readonly=True) as archive:
        check_filter_names(archive, sources=["zoomit"], categories=None, tags=())  # known: no error
        with pytest.raises(UsageError) as refused:
            check_filter_names(archive, sources=["Digiato"], tags=["پیام رسان"])
    message = str(refused.value)
    assert "--source 'Digiato'" in message and "did you mean 'digiato'?" in message
    assert "known sources (2): digiato, zoomit" in message and "newsarchive sources" in message
    assert "--tag 'پیام رسان'" in message and f"did you mean 'پیام{ZWNJ}رسان'?" in message  # ZWNJ kept
    assert "\\u200c" not in message


def test_a_long_list_of_known_names_is_cut(tmp_path):
    with Archive(tmp_path / "many.db") as archive:
        for number in range(30):
            archive.save_article(article(number % 27, "digiato", [f"tag{number:02d}"], []))
        with pytest.raises(UsageError) as refused:
            check_filter_names(archive, tags=["tag99"])
    message = str(refused.value)
    assert "known tags (27, the most frequent first): tag00, tag01," in message
    assert "and 7 more" in message and "tag26" not in message


# --- the commands ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "hint"),
    [
        ("--source", "Digiato", "did you mean 'digiato'?"),
        ("--source", "nosuchsite", "known sources (2): digiato, zoomit"),
        ("--category", "موبیل", "did you mean 'موبایل'?"),
        ("--tag", "ios 17.2", "did you mean 'iOS 17.2'?"),
    ],
)
def test_search_refuses_an_unknown_name(archive_path, capsys, option, value, hint):
    code, out, err = run(capsys, "search", "پیام‌رسان", "--db", str(archive_path), option, value)
    assert code == 2 and out == ""
    assert err.startswith(f"newsarchive search: {option} '{value}': no ") and hint in err


def test_known_names_still_search(archive_path, capsys):
    code, out, err = run(
        capsys, "search", "پیام‌رسان", "--db", str(archive_path), "--json", "--tag", "Galaxy S24"
    )
    assert code == 0, err
    assert [json.loads(line)["url"] for line in out.splitlines()] == ["https://example.ir/zoomit/3"]


def test_a_category_typed_with_arabic_letters_is_the_stored_one(archive_path, capsys):
    """Categories and tags are matched in their display form, however a reader typed them."""
    found = []
    for category in ("موبایل", "موبايل"):  # Persian yeh, then Arabic yeh
        code, out, err = run(
            capsys, "search", "پیام‌رسان", "--db", str(archive_path), "--json", "--category", category
        )
        assert code == 0, err
        found.append([json.loads(line)["url"] for line in out.splitlines()])
    assert found[0] and found[0] == found[1]


def test_reparse_checks_sources_against_the_captured_ones(archive_path, capsys):
    warc = str(archive_path.parent / "warc")
    code, out, err = run(
        capsys, "reparse", "--db", str(archive_path), "--warc-dir", warc, "--source", "zoomit"
    )
    assert code == 2 and out == ""
    assert "--source 'zoomit'" in err and "known sources (1): digiato" in err  # zoomit has no captures
    code, out, err = run(
        capsys, "reparse", "--db", str(archive_path), "--warc-dir", warc, "--source", "Digiato"
    )
    assert code == 2 and "did you mean 'digiato'?" in err
    code, out, err = run(
        capsys, "reparse", "--db", str(archive_path), "--warc-dir", warc, "--source", "digiato", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["read"] == 1


def test_crawl_suggests_the_site_meant(capsys, tmp_path):
    assert main(["crawl", "Digiato", "--db", str(tmp_path / "a.db")]) == 2
    err = capsys.readouterr().err
    assert "unknown site 'Digiato' (did you mean 'digiato'" in err and f"known: {', '.join(SITES)}" in err
    assert list(tmp_path.iterdir()) == []


def test_sources_lists_counts_and_dates(archive_path, capsys):
    code, out, err = run(capsys, "sources", "--db", str(archive_path))
    assert code == 0, err
    header, *rows = out.splitlines()
    assert header.split() == ["source", "articles", "first", "published", "last", "published"]
    assert [row.split() for row in rows] == [
        ["digiato", "3", "2024-05-01T06:45:00Z", "2024-05-03T06:45:00Z"],
        ["zoomit", "2", "2024-05-04T06:45:00Z", "2024-05-05T06:45:00Z"],
    ]
    code, out, _ = run(capsys, "sources", "--db", str(archive_path), "--json")
    records = [json.loads(line) for line in out.splitlines()]
    assert [(r["source"], r["articles"], r["oldest"], r["newest"]) for r in records] == [
        ("digiato", 3, "2024-05-01T06:45:00Z", "2024-05-03T06:45:00Z"),
        ("zoomit", 2, "2024-05-04T06:45:00Z", "2024-05-05T06:45:00Z"),
    ]


def test_sources_of_an_empty_archive_says_so(tmp_path, capsys):
    with Archive(tmp_path / "empty.db"):
        pass
    code, out, _ = run(capsys, "sources", "--db", str(tmp_path / "empty.db"))
    assert code == 0 and "no articles yet" in out
    code, out, _ = run(capsys, "sources", "--db", str(tmp_path / "empty.db"), "--json")
    assert code == 0 and out == ""
    code, out, err = run(capsys, "search", "x", "--db", str(tmp_path / "empty.db"), "--source", "digiato")
    assert code == 2 and out == ""
    assert (
        err
        == "newsarchive search: --source 'digiato': no source of that name in this archive (no sources to choose from yet)\n"
    )


def test_sources_of_a_missing_archive_is_an_error(tmp_path, capsys):
    code, out, err = run(capsys, "sources", "--db", str(tmp_path / "none.db"))
    assert code == 1 and out == "" and "no archive at" in err
    assert list(tmp_path.iterdir()) == []


# --- --since after --until -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [["search", "پیام‌رسان"], ["reparse", "--warc-dir", "WARC"], ["export", "--out", "OUT"]],
)
def test_since_after_until_is_refused_naming_both_options(archive_path, tmp_path, capsys, command):
    argv = [arg.replace("WARC", str(tmp_path)).replace("OUT", str(tmp_path / "d.jsonl")) for arg in command]
    code, out, err = run(
        capsys, *argv, "--db", str(archive_path), "--since", "2024-05-03", "--until", "1403-02-12"
    )
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith(f"newsarchive {command[0]}: ") and "--since" in err and "--until" in err
    assert "'2024-05-03' is after the last day '1403-02-12'" in err
    assert list(tmp_path.iterdir()) == []


def test_a_bad_day_names_its_option(archive_path, capsys):
    code, _, err = run(capsys, "search", "پیام", "--db", str(archive_path), "--until", "1403-13-45")
    assert code == 2 and err.startswith("newsarchive search: --until: '1403-13-45' is not a date")
