"""``newsarchive delete``: takedowns remove an article whole, in one transaction, and its
tombstones keep every writer (crawl, reparse, ingest, bulk_insert) from storing it again
until ``--restore``."""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil

import pytest
import sqlite_utils
from test_archive import article

from newsarchive.archive import MIGRATIONS, SCHEMA_VERSION, Archive, article_id
from newsarchive.archive.deletion import TOMBSTONED, NotInArchive
from newsarchive.archive.vocabulary import UnknownNames
from newsarchive.cli.deleting import add_delete_parser
from newsarchive.templates import template_blocks

try:  # a redis-server of the tests' own, for the ingester (test_distributed skips without the client)
    from test_distributed import prefix, redis_url  # fixtures
except pytest.skip.Exception as missing:
    _no_redis = str(missing)

    @pytest.fixture
    def redis_url():
        pytest.skip(_no_redis)

    prefix = redis_url

URL = "https://digiato.com/mobile/galaxy-s24"
OLD = "https://digiato.com/article/2023/05/10/galaxy-s24"
OTHER = "https://digiato.com/mobile/pixel-9"
ZOOMIT = "https://www.zoomit.ir/mobile/iphone-16"
INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def capture(url: str, source: str = "digiato", warc_file: str = "digiato-1.warc.gz") -> dict:
    return {
        "url": url,
        "source": source,
        "kind": "article",
        "fetched_at": "2024-05-04T07:00:00.000000Z",
        "status": 200,
        "record_type": "response",
        "payload_digest": f"sha1:{url[-6:]}",
        "warc_file": warc_file,
        "warc_offset": 0,
        "warc_length": 10,
    }


@pytest.fixture
def archive(tmp_path):
    """Three articles: one with an alias, an earlier version, captures and its own short
    paragraph; another of the same source; one of another source."""
    with Archive(tmp_path / "a.db") as opened:
        first = article(aliases=[OLD], body="متن خبر درباره 5G و iOS 17.2 است.\n\nمارا دنبال کنید.")
        opened.save_article({**first, "template_blocks": template_blocks(first["body"])})
        opened.save_article({**first, "body": "متن ویرایش‌شده درباره S24.\n\nمارا دنبال کنید."})
        other = article(
            url=OTHER, title="پیکسل ۹", lead="گوگل", tags=["گوگل"], body="پیکسل.\n\nمارا دنبال کنید."
        )
        opened.save_article({**other, "template_blocks": template_blocks(other["body"])})
        opened.save_article(article(source="zoomit", url=ZOOMIT, title="آیفون ۱۶", tags=["اپل"]))
        opened.add_captures([capture(URL), capture(OLD), capture(OTHER, warc_file="digiato-2.warc.gz")])
        yield opened


def tables(archive: Archive) -> dict[str, list]:
    """Every row of the tables a deletion touches, and what the full-text index matches."""
    names = ("articles", "article_versions", "article_aliases", "captures", "template_blocks", "tombstones")
    dump = {name: archive.db.execute(f"select * from {name} order by 1, 2").fetchall() for name in names}
    dump["fts"] = archive.db.execute(
        "select rowid from articles_fts where articles_fts match 'سامسونگ' order by rowid"
    ).fetchall()
    return dump


def test_delete_by_url_removes_the_article_whole_and_tombstones_its_urls(archive):
    raw = sqlite_utils.Database(archive.path)["articles"]
    assert {hit.url for hit in archive.search("سامسونگ")} == {URL, ZOOMIT}
    assert [hit.url for hit in archive.search("ویرایش‌شده")] == [URL] and len(
        list(raw.search("ویرایششده"))
    ) == 1
    deletion = archive.delete_articles([URL], reason="takedown #12: the author's request")
    (gone,) = deletion.articles
    assert (gone.url, gone.urls, gone.versions, gone.captures) == (URL, (URL, OLD), 1, 2)
    assert gone.warc_files == ("digiato-1.warc.gz",)

    ident = article_id(URL)
    for table in ("article_versions", "article_aliases"):
        assert (
            archive.db.execute(f"select count(*) from {table} where article_id = ?", [ident]).fetchone()[0]
            == 0
        )
    assert archive.find_article(URL) is None and archive.find_article(OLD) is None
    assert [row["url"] for row in archive.db["captures"].rows] == [OTHER]
    # The search, the FTS index itself and a plain sqlite-utils search no longer find it.
    assert [hit.url for hit in archive.search("سامسونگ")] == [ZOOMIT]
    assert archive.search("ویرایش‌شده") == []
    assert list(raw.search("ویرایششده")) == []
    archive.db.execute("insert into articles_fts(articles_fts) values ('integrity-check')")
    assert archive.integrity_check() == "ok"

    stones = {row["url"]: row for row in archive.db["tombstones"].rows}
    assert set(stones) == {URL, OLD}
    for row in stones.values():
        assert (row["article_id"], row["source"], row["reason"]) == (
            ident,
            "digiato",
            "takedown #12: the author's request",
        )
        assert INSTANT.fullmatch(row["deleted_at"])


def test_template_counts_lose_the_deleted_article_only(archive):
    counts = {row["text"]: row["articles"] for row in archive.db["template_blocks"].rows}
    assert counts["مارا دنبال کنید."] == 2 and counts["متن خبر درباره 5G و iOS 17.2 است."] == 1
    archive.delete_articles([URL])
    counts = {row["text"]: row["articles"] for row in archive.db["template_blocks"].rows}
    # Its own paragraph (from the body first stored) is gone; the shared line counts one less.
    assert counts == {"مارا دنبال کنید.": 1, "پیکسل.": 1}


@pytest.mark.parametrize(
    "asked",
    [OLD, "http://digiato.com/mobile/galaxy-s24/?utm_source=telegram#comments"],
    ids=["alias", "as-a-browser-shows-it"],
)
def test_delete_by_alias_or_a_non_canonical_form(archive, asked):
    assert [a.url for a in archive.delete_articles([asked]).articles] == [URL]
    assert archive.count() == 2 and archive.tombstone(OLD)["article_id"] == article_id(URL)


def test_delete_by_source_takes_only_that_source(archive):
    deletion = archive.delete_articles(sources=["digiato"], reason="publisher's request")
    assert sorted(a.url for a in deletion.articles) == [URL, OTHER]
    assert [row["url"] for row in archive.db.query("select url from articles")] == [ZOOMIT]
    assert archive.db["captures"].count == 0 and archive.db["template_blocks"].count == 0
    assert {row["url"] for row in archive.db["tombstones"].rows} == {URL, OLD, OTHER}


def test_unknown_urls_or_sources_delete_nothing(archive):
    before = tables(archive)
    with pytest.raises(NotInArchive) as raised:
        archive.delete_articles([URL, "https://digiato.com/mobile/typo"])
    assert raised.value.names == ["https://digiato.com/mobile/typo"]
    with pytest.raises(UnknownNames):
        archive.delete_articles([URL], sources=["Digiato"])
    assert tables(archive) == before


def test_a_dry_run_changes_nothing_and_a_second_deletion_is_noted(archive):
    before = tables(archive)
    assert [a.url for a in archive.delete_articles([OLD], dry_run=True).articles] == [URL]
    assert tables(archive) == before
    archive.delete_articles([URL])
    again = archive.delete_articles([OLD])
    assert again.articles == [] and [(s["asked"], s["url"]) for s in again.already_deleted] == [(OLD, OLD)]
    assert archive.delete_article(URL) is False  # the old boolean form


def test_a_failure_midway_leaves_everything_as_before(archive, monkeypatch):
    before = tables(archive)
    assert len(before["fts"]) == 2 and len(before["tombstones"]) == 0
    real = Archive._delete
    calls = []

    def fail_on_the_second(self, *args):
        calls.append(args[0].url)
        if len(calls) == 2:
            raise RuntimeError("disk pulled out")
        real(self, *args)

    monkeypatch.setattr(Archive, "_delete", fail_on_the_second)
    with pytest.raises(RuntimeError):
        archive.delete_articles(sources=["digiato"])
    assert len(calls) == 2  # the first article was deleted inside the transaction, then rolled back
    assert tables(archive) == before
    assert {hit.url for hit in archive.search("سامسونگ")} == {URL, ZOOMIT}


def test_a_tombstone_blocks_every_way_of_storing_the_article(archive):
    archive.delete_articles([URL])
    page = article(aliases=[OLD])
    assert archive.store_article(page) == (TOMBSTONED, None)
    assert archive.save_article(article(url=OLD)) == TOMBSTONED  # under its old URL
    # A copy fetched elsewhere that names it canonical, or that was redirected from it.
    assert archive.save_article(article(fetched_url="https://digiato.com/promoted/galaxy-s24")) == TOMBSTONED
    moved = "https://digiato.com/mobile/galaxy-s24-ultra"
    assert archive.save_article(article(url=moved, aliases=[OLD])) == TOMBSTONED
    assert archive.bulk_insert([article(), article(url="https://digiato.com/mobile/new-one")]) == 1
    assert not archive.add_alias(OLD, OTHER)
    assert archive.find_article(URL) is None and archive.find_article(moved) is None
    assert archive.search("ویرایش‌شده") == []


def test_restore_lifts_the_tombstones_of_the_whole_article(archive):
    archive.delete_articles([URL])
    with pytest.raises(NotInArchive):
        archive.restore_articles([OTHER])  # never deleted
    assert archive.restore_articles([OLD], dry_run=True) and archive.tombstone(URL) is not None
    lifted = archive.restore_articles([OLD])
    assert sorted(row["url"] for row in lifted) == [OLD, URL]
    assert archive.db["tombstones"].count == 0
    assert archive.save_article(article(aliases=[OLD])) == "new"
    assert archive.find_article(OLD)["url"] == URL


def test_restore_by_source(archive):
    archive.delete_articles(sources=["digiato", "zoomit"])
    with pytest.raises(UnknownNames):
        archive.restore_articles(sources=["nosuchsite"])
    assert {row["url"] for row in archive.restore_articles(sources=["zoomit"])} == {ZOOMIT}
    assert archive.tombstone_sources() == ["digiato"]


def test_the_migration_adds_tombstones_to_an_existing_archive(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    for migration in MIGRATIONS[:6]:
        migration(db)
    db.execute("PRAGMA user_version = 6")
    record = {**Archive._record(article()), **Archive._search_forms(article())}
    db["articles"].insert({**record, "id": article_id(URL), "first_seen_at": "x", "last_fetched_at": "x"})
    db.conn.commit()
    db.close()
    with Archive(path) as archive:
        assert archive.schema_version() == SCHEMA_VERSION >= 7
        assert archive.db["tombstones"].count == 0
        assert [a.url for a in archive.delete_articles([URL]).articles] == [URL]
        assert archive.save_article(article()) == TOMBSTONED and archive.count() == 0


def test_an_export_no_longer_holds_a_deleted_article(archive, tmp_path):
    from newsarchive.export import ExportOptions, export

    archive.delete_articles([URL])
    result = export(archive, ExportOptions(out=tmp_path / "out.jsonl", with_versions=True))
    assert result.records == 2
    text = (tmp_path / "out.jsonl").read_text("utf-8")
    assert URL not in text and "ویرایش‌شده" not in text and "galaxy-s24" not in text


# --- the command ---------------------------------------------------------------------------


def run_delete(capsys, *argv: str) -> tuple[int, str, str]:
    """``newsarchive delete ARGV`` through its own parser (the lead registers it in the CLI)."""
    parser = argparse.ArgumentParser(prog="newsarchive")
    add_delete_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["delete", *argv])
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


class Terminal(io.StringIO):
    """A terminal's stdin with the person's answer typed in."""

    def isatty(self) -> bool:
        return True


def test_cli_deletes_prints_and_says_what_stays(archive, capsys):
    db = str(archive.path)
    code, out, err = run_delete(capsys, OLD, "--db", db, "--reason", "DMCA 2024-17")
    assert code == 0, err
    assert out.startswith(f"deleted {URL} (digiato): گلکسی S24 اولترا با پیام‌رسان‌های جدید\n")
    assert f"  and its URL {OLD}" in out and "1 earlier version, 2 captures in the index" in out
    assert "deleted 1 article and tombstoned 2 URLs" in out
    assert "WARC files still hold their raw responses: digiato-1.warc.gz" in out
    assert archive.tombstone(URL)["reason"] == "DMCA 2024-17"

    code, out, _ = run_delete(capsys, URL, "--db", db)
    assert code == 0 and out.startswith(f"already deleted {URL} on ") and "DMCA 2024-17" in out


def test_cli_dry_run_and_json(archive, capsys):
    db = str(archive.path)
    code, out, err = run_delete(capsys, URL, OTHER, "--db", db, "--dry-run", "--json")
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [(r["action"], r["url"], r["urls"]) for r in records] == [
        ("would-delete", URL, [URL, OLD]),
        ("would-delete", OTHER, [OTHER]),
    ]
    assert archive.count() == 3
    code, out, _ = run_delete(capsys, URL, "--db", db, "--dry-run")
    assert code == 0 and "nothing changed (--dry-run)" in out and archive.count() == 3


def test_cli_refuses_an_unknown_url_and_deletes_nothing(archive, capsys):
    code, out, err = run_delete(capsys, URL, "https://digiato.com/mobile/typo", "--db", str(archive.path))
    assert code == 2 and out == ""
    assert "not in the archive" in err and "https://digiato.com/mobile/typo" in err and "Traceback" not in err
    assert archive.count() == 3


def test_cli_usage_errors_name_the_option(archive, capsys, tmp_path):
    db = str(archive.path)
    code, _, err = run_delete(capsys, "--db", db)
    assert code == 2 and "URL" in err and "--source" in err
    code, _, err = run_delete(capsys, "--source", "Digiato", "--db", db, "--yes")
    assert code == 2 and "--source 'Digiato'" in err and "'digiato'" in err
    code, _, err = run_delete(capsys, URL, "--restore", "--reason", "x", "--db", db)
    assert code == 2 and "--reason" in err
    code, _, err = run_delete(capsys, URL, "--db", str(tmp_path / "missing.db"))
    assert code == 1 and "no archive at" in err and not (tmp_path / "missing.db").exists()
    assert archive.count() == 3


def test_cli_source_needs_yes_or_a_confirmation(archive, capsys, monkeypatch):
    db = str(archive.path)
    code, _, err = run_delete(capsys, "--source", "digiato", "--db", db)  # pytest's stdin: no terminal
    assert code == 2 and "--yes" in err and archive.count() == 3

    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    code, _, err = run_delete(capsys, "--source", "digiato", "--db", db)
    assert code == 0 and "delete 2 articles of digiato" in err and "nothing deleted" in err
    assert archive.count() == 3

    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    code, out, _ = run_delete(capsys, "--source", "digiato", "--db", db)
    assert code == 0 and "deleted 2 articles and tombstoned 3 URLs" in out and archive.count() == 1

    code, out, _ = run_delete(capsys, "--source", "zoomit", "--db", db, "--yes")
    assert code == 0 and archive.count() == 0


def test_cli_restore(archive, capsys):
    db = str(archive.path)
    run_delete(capsys, URL, "--db", db)
    code, _, err = run_delete(capsys, OTHER, "--restore", "--db", db)
    assert code == 2 and "no tombstone" in err
    code, out, err = run_delete(capsys, URL, "--restore", "--db", db, "--json")
    assert code == 0, err
    assert sorted((r["action"], r["url"]) for r in map(json.loads, out.splitlines())) == [
        ("restored", OLD),
        ("restored", URL),
    ]
    assert archive.save_article(article()) == "new"


# --- the real writers: a crawl, reparse, ingest ---------------------------------------------


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, replay_server):
    """The bundled digiato replay crawled once, with its WARC files."""
    from conftest import scrapy_crawl

    folder = tmp_path_factory.mktemp("crawled")
    scrapy_crawl("digiato", folder / "archive.db", replay_server.url)
    return folder


@pytest.fixture
def crawled_copy(crawled, tmp_path):
    folder = tmp_path / "crawl"
    shutil.copytree(crawled, folder)
    return folder / "archive.db"


def last_run(db) -> dict:
    return next(sqlite_utils.Database(db).query("select * from crawl_runs order by id desc limit 1"))


@pytest.mark.slow
def test_a_crawl_does_not_bring_a_deleted_article_back_until_restored(crawled_copy, tmp_path):
    """The crawl does not even fetch a tombstoned URL listed again (the crawl memory knows it)."""
    from conftest import MIRROR, scrapy_crawl
    from test_incremental import touch_sitemap_entry

    from newsarchive.replay import ReplayServer

    root = tmp_path / "mirror"
    shutil.copytree(MIRROR / "digiato.com", root / "digiato.com")
    listed = re.findall(
        r"<loc>([^<]+)</loc>", (root / "digiato.com/digi_posts-sitemap.xml").read_text("utf-8")
    )
    with Archive(crawled_copy) as archive:
        total = archive.count()
        url = next(url for url in listed if archive.find_article(url))  # one touch_sitemap_entry can relist
        archive.delete_articles([url], reason="test")
    with ReplayServer(root) as server:
        touch_sitemap_entry(root / "digiato.com", url)  # listed again, as edited: a known URL is fetched
        scrapy_crawl("digiato", crawled_copy, server.url)  # exit 0: a healthy run, not "kept none"
        run = last_run(crawled_copy)
        assert run["status"] == "finished" and run["articles_new"] == 0, run
        with Archive(crawled_copy) as archive:
            assert archive.find_article(url) is None and archive.count() == total - 1
            # Not fetched again either: the taken-down page is not recorded anew in the WARC files.
            assert archive.latest_capture(url) is None
            archive.restore_articles([url])

        touch_sitemap_entry(root / "digiato.com", url)
        scrapy_crawl("digiato", crawled_copy, server.url)
        assert last_run(crawled_copy)["articles_new"] == 1
        with Archive(crawled_copy) as archive:
            assert archive.find_article(url) is not None and archive.count() == total


@pytest.mark.slow
def test_reparse_does_not_bring_a_deleted_article_back(crawled_copy):
    """A capture indexed after the deletion (a crawl that ran meanwhile) is refused by reparse."""
    from newsarchive.reparse import reparse

    with Archive(crawled_copy) as archive:
        url = next(archive.db.query("select url from articles order by url limit 1"))["url"]
        kept = [
            {key: value for key, value in row.items() if key != "id"}
            for row in archive.db.query("select * from captures where url = ?", [url])
        ]
        archive.delete_articles([url])
        archive.add_captures(kept)
    report = reparse(crawled_copy, urls=[url])
    assert (report.read, report.new, report.updated) == (1, 0, 0)
    with Archive(crawled_copy) as archive:
        assert archive.find_article(url) is None
        archive.restore_articles([url])
    assert reparse(crawled_copy, urls=[url]).new == 1


@pytest.mark.slow
def test_ingest_does_not_bring_a_deleted_article_back(tmp_path, redis_url, prefix):
    from newsarchive.distributed.ingest import Ingester

    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        archive.save_article(article())
        archive.delete_articles([URL])
    item = {**article(), "fetched_at": "2024-05-04T07:00:00Z"}
    record = {"id": "r1", "spider": "digiato", "crawl": "c1", "kind": "article", "item": item}
    ingester = Ingester(redis_url, db, prefix=prefix)
    ingester.open()
    try:
        ingester.write_batch([json.dumps(record, ensure_ascii=False)])
    finally:
        ingester.close()
    assert ingester.report.articles.get(TOMBSTONED) == 1
    with Archive(db) as archive:
        assert archive.find_article(URL) is None and archive.count() == 0
        (run,) = archive.db["crawl_runs"].rows
        assert json.loads(run["stats"])[f"newsarchive/articles/{TOMBSTONED}"] == 1
