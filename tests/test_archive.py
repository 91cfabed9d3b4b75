"""The archive: upserts by canonical URL or alias, versions, transactions, FTS sync."""

import sqlite3

import pytest
import sqlite_utils

from newsarchive.archive import SCHEMA_VERSION, Archive, ArchiveError, article_id
from newsarchive.archive import articles as articles_module


def article(**changes):
    base = {
        "source": "digiato",
        "url": "https://digiato.com/mobile/galaxy-s24",
        "title": "گلکسی S24 اولترا با پیام‌رسان‌های جدید",
        "lead": "سامسونگ از گوشی جدید رونمایی کرد.",
        "body": "متن خبر درباره 5G و iOS 17.2 است.\n\nپاراگراف دوم.",
        "authors": ["زهرا ملکی"],
        "categories": ["موبایل"],
        "tags": ["سامسونگ"],
        "image_url": "https://static.digiato.com/x.jpg",
        "page_type": "article",
        "sponsored": False,
        "published_at": "2024-05-04T06:45:00Z",
        "published_jalali": "1403-02-15 10:15",
        "published_precision": "minute",
        "field_sources": {"title": "site"},
        "notes": [],
    }
    base.update(changes)
    return base


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "a.db") as opened:
        yield opened


def test_new_then_unchanged_then_updated_keeps_the_old_version(archive):
    assert archive.save_article(article(), fetched_at="2024-05-04T07:00:00Z") == "new"
    assert archive.save_article(article(), fetched_at="2024-05-04T08:00:00Z") == "unchanged"
    row = archive.find_article("https://digiato.com/mobile/galaxy-s24")
    assert row["first_seen_at"] == "2024-05-04T07:00:00Z" and row["last_fetched_at"] == "2024-05-04T08:00:00Z"
    assert row["modified_at"] is None

    edited = article(body="متن ویرایش‌شده.")
    assert archive.save_article(edited, fetched_at="2024-05-05T08:00:00Z") == "updated"
    row = archive.find_article("https://digiato.com/mobile/galaxy-s24")
    assert row["body"] == "متن ویرایش‌شده." and row["modified_at"] == "2024-05-05T08:00:00Z"
    versions = list(archive.db["article_versions"].rows)
    assert len(versions) == 1 and versions[0]["body"].startswith("متن خبر درباره 5G")
    assert versions[0]["fetched_at"] == "2024-05-04T08:00:00Z"
    assert archive.count() == 1


def test_aliases_map_to_one_row_and_keep_the_stable_id(archive):
    old = "https://digiato.com/article/2023/05/10/galaxy-s24"
    archive.save_article(article(aliases=[old]))
    assert archive.find_article(old)["url"] == "https://digiato.com/mobile/galaxy-s24"
    # The same article arriving under its old URL is still one row with the same id.
    assert archive.save_article(article(url=old)) == "unchanged"
    assert archive.count() == 1
    assert archive.find_article(old)["id"] == article_id("https://digiato.com/mobile/galaxy-s24")


def test_add_alias_only_for_stored_targets(archive):
    archive.save_article(article())
    assert archive.add_alias("https://digiato.com/article/x", "https://digiato.com/mobile/galaxy-s24")
    assert not archive.add_alias("https://digiato.com/article/y", "https://digiato.com/mobile/missing")
    assert archive.db["article_aliases"].count == 1


def test_zwnj_and_latin_tokens_are_stored_as_given(archive):
    archive.save_article(article())
    row = archive.find_article("https://digiato.com/mobile/galaxy-s24")
    assert "\u200c" in row["title"] and "iOS 17.2" in row["body"] and "5G" in row["body"]
    assert row["authors"] == '["زهرا ملکی"]'


def test_a_failed_write_leaves_nothing_half_written(archive):
    archive.save_article(article())
    with pytest.raises(sqlite3.IntegrityError):
        archive.save_article(article(url="https://digiato.com/mobile/other", published_at=None))
    assert archive.count() == 1
    assert archive.db["article_aliases"].count == 0
    assert archive.integrity_check() == "ok"


def test_fts_index_follows_inserts_updates_and_deletes(archive):
    archive.save_article(article())
    assert [hit.url for hit in archive.search("سامسونگ")] == ["https://digiato.com/mobile/galaxy-s24"]
    archive.save_article(article(body="درباره اپل", lead="اپل", tags=["اپل"]))
    assert archive.search("5G") == []
    assert len(archive.search("اپل")) == 1
    assert archive.delete_article("https://digiato.com/mobile/galaxy-s24")
    assert archive.search("اپل") == [] and archive.db["article_versions"].count == 0


def test_an_unchanged_refetch_neither_folds_the_text_again_nor_touches_the_search_index(archive, monkeypatch):
    archive.save_article(article(), fetched_at="2024-05-04T07:00:00Z")
    folded = []
    real = articles_module.search_forms
    monkeypatch.setattr(articles_module, "search_forms", lambda *args: folded.append(args) or real(*args))
    before = archive.db.conn.total_changes  # counts rows written by triggers too
    assert archive.save_article(article(), fetched_at="2024-05-04T08:00:00Z") == "unchanged"
    assert folded == [] and archive.db.conn.total_changes - before == 1  # the articles row alone
    assert [hit.url for hit in archive.search("سامسونگ")] == ["https://digiato.com/mobile/galaxy-s24"]


def test_a_refresh_that_changes_tags_refolds_the_search_columns(archive):
    """Tags are searched with the lead but are not part of the content hash."""
    archive.save_article(article(tags=["تبلت"]), fetched_at="2024-05-04T07:00:00Z")
    assert len(archive.search("تبلت")) == 1
    stored = archive.store_article(
        article(tags=["هوش مصنوعی"]), fetched_at="2024-05-04T08:00:00Z", refresh=True
    )
    assert stored[0] == "updated"
    assert len(archive.search("مصنوعی")) == 1 and archive.search("تبلت") == []


def test_the_search_index_update_trigger_names_only_the_search_columns(archive):
    (sql,) = archive.db.execute("select sql from sqlite_master where name = 'articles_au'").fetchone()
    assert 'update of "search_title", "search_lead", "search_body" on "articles"' in sql


def test_raw_sqlite_utils_search_finds_articles(archive):
    archive.save_article(article())
    db = sqlite_utils.Database(archive.path)
    assert len(list(db["articles"].search("پیامرسانهای"))) == 1


def test_schema_version_and_newer_archives_refused(tmp_path):
    path = tmp_path / "a.db"
    with Archive(path) as archive:
        assert archive.schema_version() == SCHEMA_VERSION
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(ArchiveError, match="newer"):
        Archive(path)


def test_readonly_open_of_a_missing_archive_is_a_clear_error(tmp_path):
    with pytest.raises(ArchiveError, match="no archive"):
        Archive(tmp_path / "missing.db", readonly=True)


def test_crawl_runs_are_recorded(archive):
    run = archive.start_run("digiato")
    assert archive.runs()[0]["status"] == "running"
    archive.finish_run(run, "finished", {"requests": 3, "dropped": {"no-date": 1}}, {"a": 1})
    assert archive.runs()[0]["status"] == "finished"


def test_site_coverage_is_each_sites_last_run_that_stored_articles(archive):
    def run(spider: str, articles: int, title: float, layers: dict[str, int]) -> int:
        run_id = archive.start_run(spider)
        coverage = {"articles": articles, "fields": {"title": title}, "layers": {"title": layers}}
        archive.finish_run(run_id, "finished", {"coverage": coverage}, {})
        return run_id

    run("digiato", 10, 1.0, {"site": 10})
    latest = run("digiato", 4, 0.5, {"site": 1, "generic": 1})
    run("digiato", 0, 0.0, {})  # a run with nothing new does not hide the last real figures
    zoomit = run("zoomit", 2, 1.0, {"jsonld": 2})
    archive.start_run("zoomit")  # still running: no coverage yet
    coverage = {row["site"]: row for row in archive.site_coverage()}
    assert list(coverage) == ["digiato", "zoomit"]
    assert coverage["digiato"]["run"] == latest
    assert coverage["digiato"]["fields"] == {"title": 0.5}
    assert coverage["digiato"]["layers"] == {"title": {"site": 1, "generic": 1}}
    assert (coverage["zoomit"]["run"], coverage["zoomit"]["articles"]) == (zoomit, 2)


def test_last_run_completed_judges_the_latest_run_started_before_this_one(archive):
    def run(status: str, started_at: str) -> None:
        run_id = archive.start_run("digiato")
        archive.db["crawl_runs"].update(run_id, {"status": status, "started_at": started_at})

    assert not archive.last_run_completed("digiato", before="2026-01-01T10:00:00Z")  # no run yet
    run("finished", "2026-01-01T08:00:00Z")
    run("running", "2026-01-01T10:00:00Z")  # this run itself, started in the same second
    assert archive.last_run_completed("digiato", before="2026-01-01T10:00:00Z")
    assert not archive.last_run_completed("zoomit", before="2026-01-01T10:00:00Z")
    for status, completed in (("degraded", True), ("killed", False), ("failed", False), ("running", False)):
        run(status, "2026-01-01T11:00:00Z")
        assert archive.last_run_completed("digiato", before="2026-01-01T12:00:00Z") is completed, status


@pytest.mark.slow
def test_concurrent_writers_wait_for_each_other_instead_of_failing(tmp_path):
    """Two processes creating and writing one archive at once: both finish, nothing lost."""
    import subprocess
    import sys

    db = tmp_path / "shared.db"
    script = (
        "import sys\n"
        "from newsarchive.archive import Archive\n"
        "sys.path.insert(0, sys.argv[3])\n"
        "from test_archive import article\n"
        "with Archive(sys.argv[1]) as archive:\n"
        "    for n in range(40):\n"
        "        archive.save_article(article(url=f'https://digiato.com/mobile/{sys.argv[2]}-{n}'))\n"
    )
    tests_dir = str(__import__("pathlib").Path(__file__).parent)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(db), name, tests_dir], stderr=subprocess.PIPE, text=True
        )
        for name in ("a", "b")
    ]
    errors = [writer.communicate(timeout=120)[1] for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0], errors
    with Archive(db) as archive:
        assert archive.count() == 80 and archive.integrity_check() == "ok"


class _LockedFor:
    """A connection whose first ``times`` journal-mode changes meet another process's lock."""

    def __init__(self, times: int, message: str = "database is locked"):
        self.times, self.message, self.calls = times, message, 0

    def execute(self, sql):
        self.calls += 1
        if self.calls <= self.times:
            raise sqlite3.OperationalError(self.message)


def test_entering_wal_waits_out_a_second_process_creating_the_same_archive():
    """Two processes creating one archive can meet in SQLite's lock upgrade, which answers
    "locked" at once (a deadlock, not a wait): the first one retries instead of failing."""
    from newsarchive.archive import _enter_wal

    connection = _LockedFor(3)
    _enter_wal(connection)
    assert connection.calls == 4
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _enter_wal(_LockedFor(10**6), patience=0.2)  # gives up after its patience
    other = _LockedFor(1, "disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        _enter_wal(other)  # anything but a lock is not retried
    assert other.calls == 1
