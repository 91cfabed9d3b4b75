"""What every command shares: one ``--json`` convention, help for every command and option,
``--version``, a plain top-level help, search's one-letter prefix refused, an honest
``demo`` report, progress bars only on a terminal, ``serve`` on loopback by default."""

from __future__ import annotations

import argparse
import fcntl
import io
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from importlib.metadata import version
from pathlib import Path

import pytest

from newsarchive.archive import Archive
from newsarchive.cli import build_parser, main
from newsarchive.cli.crawling import CrawlProgress
from newsarchive.search import QueryError, fts_query, query_problem

ROOT = Path(__file__).resolve().parent.parent
ZWNJ = "\u200c"


def article(number: int) -> dict:
    return {
        "source": "digiato",
        "url": f"https://digiato.com/news/{number}",
        "title": f"خبر {number}: پیام{ZWNJ}رسان",
        "lead": None,
        "body": f"پیام{ZWNJ}رسان‌ها و پ در متن {number}.",
        "authors": ["زهرا ملکی"],
        "categories": ["اینترنت"],
        "tags": ["پیام‌رسان"],
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


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("conventions") / "archive.db"
    with Archive(path) as archive:
        for number in range(5):
            archive.save_article(article(number), fetched_at="2024-05-30T00:00:00Z")
        run = archive.start_run("digiato")
        archive.finish_run(
            run,
            "degraded",
            {
                "requests": 7,
                "articles_new": 5,
                "responses": {"200": 5, "404": 2},
                "dropped": {"offsite-url": 1},
                "problems": [{"check": "x", "message": "a problem"}],
            },
            {"downloader/request_count": 7},
        )
    return path


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as stderr is when a person runs a command."""

    def isatty(self) -> bool:
        return True


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(text: str) -> list[dict]:
    records = [json.loads(line) for line in text.splitlines()]
    assert all(isinstance(record, dict) for record in records)
    return records


def no_json_in_strings(value: object) -> None:
    """Nothing nested is JSON text inside a string (the double encoding ``runs --json`` had)."""
    if isinstance(value, dict):
        for item in value.values():
            no_json_in_strings(item)
    elif isinstance(value, list):
        for item in value:
            no_json_in_strings(item)
    elif isinstance(value, str) and value[:1] in "[{":
        with pytest.raises(ValueError):
            json.loads(value)


# --- one --json convention ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "lines"),
    [
        (["search", "پیام‌رسان"], 5),
        (["runs"], 1),
        (["stats"], 1),
        (["sources"], 1),
    ],
)
def test_json_is_json_lines_of_objects_never_double_encoded(archive_path, capsys, argv, lines):
    code, out, err = run(capsys, *argv, "--db", str(archive_path), "--json")
    assert code == 0, err
    records = json_lines(out)
    assert len(records) == lines
    for record in records:
        no_json_in_strings(record)


def test_runs_json_has_nested_values_as_json(archive_path, capsys):
    _, out, _ = run(capsys, "runs", "--db", str(archive_path), "--json")
    [record] = json_lines(out)
    assert record["responses"] == {"200": 5, "404": 2} and record["dropped"] == {"offsite-url": 1}
    assert record["problems"] == [{"check": "x", "message": "a problem"}]
    assert "stats" not in record and record["status"] == "degraded"


def test_stats_json_is_one_line_with_the_last_run_decoded(archive_path, capsys):
    _, out, _ = run(capsys, "stats", "--db", str(archive_path), "--json")
    [record] = json_lines(out)
    assert record["sources"] == [
        {
            "source": "digiato",
            "articles": 5,
            "oldest": "2024-05-01T06:45:00Z",
            "newest": "2024-05-05T06:45:00Z",
            "last_fetched": "2024-05-30T00:00:00Z",
        }
    ]
    assert record["last_run"]["responses"] == {"200": 5, "404": 2} and "stats" not in record["last_run"]


def test_stats_shows_each_sites_field_coverage_layers_and_profile(tmp_path, capsys):
    path = tmp_path / "archive.db"
    with Archive(path) as archive:
        for site, coverage in (
            (
                "digiato",
                {
                    "articles": 4,
                    "fields": {"title": 1.0, "lead": 0.5},
                    "layers": {"title": {"site": 4}, "lead": {"meta": 1, "site": 1}},
                },
            ),
            (
                "itiran",
                {"articles": 2, "fields": {"title": 1.0, "lead": None}, "layers": {"title": {"wp-rest": 2}}},
            ),
            ("gone-site", {"articles": 1, "fields": {"title": 1.0}, "layers": {"title": {"generic": 1}}}),
        ):
            archive.finish_run(archive.start_run(site), "finished", {"coverage": coverage}, {})
    code, out, _ = run(capsys, "stats", "--db", str(path))
    assert code == 0
    lines = [" ".join(line.split()) for line in out.splitlines()]
    digiato = lines.index(next(line for line in lines if line.startswith("digiato run #1 finished")))
    assert lines[digiato].endswith("4 articles, profile: selectors")
    assert lines[digiato + 1] == "lead 50% (meta 1, site 1) · title 100% (site 4)"
    itiran = lines.index(next(line for line in lines if line.startswith("itiran run #2")))
    assert (
        lines[itiran].endswith("profile: wordpress")
        and lines[itiran + 1] == "lead — · title 100% (wp-rest 2)"
    )
    assert any(
        line.startswith("gone-site run #3") and line.endswith("profile: unknown site") for line in lines
    )
    _, out, _ = run(capsys, "stats", "--db", str(path), "--json")
    [record] = json_lines(out)
    assert [(row["site"], row["profile"], row["articles"]) for row in record["coverage"]] == [
        ("digiato", "selectors", 4),
        ("gone-site", "unknown site", 1),
        ("itiran", "wordpress", 2),
    ]


def test_the_convention_is_told_in_the_top_level_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--json, in every command that has it, prints JSON lines" in text
    assert "never as JSON text inside a string" in text


# --- help, version ---------------------------------------------------------------------------------


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_every_command_and_option_has_a_help_text():
    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    listed = {choice.dest: choice.help for choice in commands._choices_actions}
    missing = []
    for name, command in subparsers(parser).items():
        if not listed.get(name):
            missing.append(name)
        if not command.description:
            missing.append(f"{name} (description)")
        for action in command._actions:
            if action.help is None:
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


def test_stats_and_runs_help_describe_them(capsys):
    for command in ("stats", "runs", "sources"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = capsys.readouterr().out
        assert len(out.split("\n\n")[1]) > 60, out  # a paragraph after the usage lines


def test_version_is_the_installed_one(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"newsarchive {version('newsarchive')}"


def test_the_top_level_help_is_plain_text(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert ":mod:" not in out and ":func:" not in out and "``" not in out
    assert "Persian" in out and "sources" in out and "--version" in out


def test_serve_binds_to_loopback_by_default(archive_path, capsys):
    pytest.importorskip("datasette", reason="newsarchive[datasette] is not installed")
    code, out, err = run(capsys, "serve", "--db", str(archive_path), "--print-only")
    assert code == 0, err
    assert "--host 127.0.0.1" in out


# --- a one-letter prefix --------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["پ*", "a*", "5*", "پیام پ*", "-پ*", "پ**"])
def test_a_one_letter_prefix_is_refused_with_a_reason(query):
    problem = query_problem(query)
    assert problem is not None and "prefix needs 2 letters" in problem


def test_two_letters_are_a_prefix():
    assert query_problem("پی*") is None and fts_query("پی*") == '"پی"*'


def test_the_command_refuses_a_one_letter_prefix(archive_path, capsys):
    code, out, err = run(capsys, "search", "پ*", "--db", str(archive_path))
    assert code == 2 and out == ""
    assert err.startswith("newsarchive search: پ*: a prefix needs 2 letters") and "leave the * out" in err
    code, out, err = run(capsys, "search", "پ", "--db", str(archive_path), "--json")  # the word itself
    assert code == 0 and len(json_lines(out)) == 5
    with Archive(archive_path, readonly=True) as archive, pytest.raises(QueryError):
        archive.search("پ*")


def test_search_help_tells_the_prefix_rule(capsys):
    with pytest.raises(SystemExit):
        main(["search", "--help"])
    assert "one-letter prefix, پ*, is refused" in capsys.readouterr().out


# --- progress -------------------------------------------------------------------------------------


def test_reindex_draws_a_bar_on_a_terminal_only(archive_path, tmp_path, capsys, monkeypatch):
    copy = tmp_path / "archive.db"
    with Archive(archive_path, readonly=True) as source, Archive(copy) as target:
        source.db.conn.backup(target.db.conn)
    for argv, drawn in ((["--json"], True), (["--json", "--quiet"], False)):
        terminal = Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        assert main(["reindex", "--db", str(copy), *argv]) == 0
        assert json.loads(capsys.readouterr().out)["articles"] == 5
        assert ("reindex" in terminal.getvalue() and "5/5" in terminal.getvalue()) is drawn
        assert drawn or terminal.getvalue() == ""


def test_reparse_draws_a_bar_per_source_on_a_terminal(archive_path, tmp_path, capsys, monkeypatch):
    copy = tmp_path / "archive.db"
    with Archive(archive_path, readonly=True) as source, Archive(copy) as target:
        source.db.conn.backup(target.db.conn)
        target.add_captures(
            [
                {
                    "url": f"https://digiato.com/news/{number}",
                    "source": "digiato",
                    "kind": "article",
                    "fetched_at": "2024-05-30T00:00:00.000000Z",
                    "status": 200,
                    "record_type": "response",
                    "warc_file": "missing.warc.gz",
                    "warc_offset": 0,
                    "warc_length": 1,
                }
                for number in range(3)
            ]
        )
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["reparse", "--db", str(copy), "--warc-dir", str(tmp_path / "warc"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["read"] == 3
    assert "reparse digiato" in terminal.getvalue() and "3/3" in terminal.getvalue()


def test_crawl_progress_counts_pages_from_the_crawl_signals():
    """Any crawler's response_received moves the bar; each spider gets its own line."""
    from scrapy import signals
    from scrapy.signalmanager import SignalManager

    class Spider:
        name = "digiato"

    crawler_signals = SignalManager(object())  # what a crawler of this process sends through
    terminal = Terminal()
    with CrawlProgress(terminal, quiet=False) as progress:
        crawler_signals.send_catch_log(signals.spider_opened, spider=Spider())
        for _ in range(3):
            crawler_signals.send_catch_log(signals.response_received, response=None, request=None)
        crawler_signals.send_catch_log(signals.spider_closed, spider=Spider(), reason="finished")
        assert progress.pages == 3
    drawn = terminal.getvalue()
    assert "crawl digiato" in drawn and "3 pages" in drawn and drawn.endswith("\n")


def test_crawl_log_lines_go_above_the_bar_at_their_own_level(monkeypatch):
    """Scrapy logs to stderr through a handler on the root logger: while the bar is drawn, its
    lines are written on lines of their own (the bar cleared and redrawn), still at its level."""
    import logging

    from scrapy import signals
    from scrapy.signalmanager import SignalManager

    class Spider:
        name = "zoomit"

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    crawler_signals = SignalManager(object())
    try:
        with CrawlProgress() as progress:
            crawler_signals.send_catch_log(signals.spider_opened, spider=Spider())
            crawler_signals.send_catch_log(signals.response_received, response=None, request=None)
            logging.getLogger("zoomit").warning("a warning while the bar is drawn")
            logging.getLogger("zoomit").info("an info line the handler's level keeps out")
            crawler_signals.send_catch_log(signals.response_received, response=None, request=None)
            crawler_signals.send_catch_log(signals.spider_closed, spider=Spider(), reason="finished")
            assert progress.pages == 2
        logging.getLogger("zoomit").warning("after the crawl")
    finally:
        root.removeHandler(handler)
    lines = [line.rsplit("\r", 1)[-1].strip() for line in terminal.getvalue().split("\n")]
    assert "a warning while the bar is drawn" in lines  # a line of its own, not glued to the bar
    assert "an info line" not in terminal.getvalue()
    assert handler.stream is terminal and lines[-2:] == ["after the crawl", ""]
    assert any(line.startswith("crawl zoomit: 2 pages") for line in lines)


@pytest.mark.parametrize(("stream", "quiet"), [(io.StringIO(), False), (Terminal(), True)])
def test_crawl_progress_adds_no_receiver_off_a_terminal_or_when_quiet(stream, quiet):
    from scrapy import signals
    from scrapy.utils.signal import getAllReceivers, liveReceivers  # PyDispatcher's, as Scrapy reads them

    sender = object()

    def receivers() -> list:
        return list(liveReceivers(getAllReceivers(sender, signals.response_received)))

    before = receivers()
    with CrawlProgress(stream, quiet=quiet):
        assert receivers() == before
    assert stream.getvalue() == ""


# --- demo: new articles and the archive total, told apart -----------------------------------------


def demo_on_a_terminal(db: Path, tmp_path: Path) -> tuple[int, str, str]:
    """``newsarchive demo`` with stderr on a pseudo-terminal (stdout a pipe)."""
    main_fd, terminal_fd = pty.openpty()
    fcntl.ioctl(terminal_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))  # a new pty is 0 wide
    process = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "demo", "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=terminal_fd,
        cwd=tmp_path,
        text=True,
    )
    os.close(terminal_fd)
    drawn = b""
    while True:
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    out = process.stdout.read()
    code = process.wait(timeout=300)
    os.close(main_fd)
    return code, out, drawn.decode(errors="replace")


@pytest.mark.slow
def test_demo_reports_new_articles_and_the_total_apart(tmp_path):
    db = tmp_path / "archive.db"
    code, first, drawn = demo_on_a_terminal(db, tmp_path)
    assert code == 0, drawn[-3000:]
    found = re.search(
        r"archived (\d+) articles \(new in this run; 0 updated, \d+ unchanged\); .* holds (\d+) articles in all",
        first,
    )
    assert found and found[1] == found[2] and int(found[1]) > 0, first
    assert "crawl digiato" in drawn and "pages" in drawn  # the bar, drawn on the terminal
    again = subprocess.run(
        [sys.executable, "-m", "newsarchive", "demo", "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    again_found = re.search(
        r"archived 0 articles \(new in this run; \d+ updated, \d+ unchanged\); .* holds (\d+)", again.stdout
    )
    assert again_found and again_found[1] == found[2], again.stdout
    assert "pages" not in again.stderr  # not a terminal: no bar
