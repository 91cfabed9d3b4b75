"""Dying processes and concurrent readers (issue 9, "Processes and concurrency").

* ``test_twenty_sigkills_leave_a_sound_archive_and_a_rerun_finishes``: 20 real
  ``scrapy crawl digiato`` subprocesses against a generated Digiato mirror
  (``tests/generated_mirror.py``: 120 pages of 80-150 KB), each SIGKILLed at a seeded random
  point: during start-up (the first kill while the new archive is made and migrated,
  others before Scrapy is up or just after "Spider opened": marking dead runs killed,
  the run's row), mid-crawl (after a random number of stored articles) or while the
  spider closes (aliases, the run's report, discovery state, WARC files). Between
  runs the mirror moves on as a live site does: one newer article appears, a few
  pages are edited (new versions) and five old URLs redirect to articles (aliases).
  Every run re-fetches
  every article (refresh window 10^6 h, interval 0), so each run writes throughout.
  After every kill the archive must pass :func:`archive_problems`; after the 20 kills
  a rerun finishes and the archive holds every mirror article exactly once, each
  with its latest edit.
* ``test_searches_and_exports_during_a_crawl_never_wait_or_see_half_an_article``:
  while three crawls write (new articles; updates, killed mid-crawl; the run after
  it), this process searches, exports and reads the archive in one read transaction,
  again and again; none may see a partial article, and none may wait more than a second.
* ``test_the_archive_checks_find_what_a_kill_could_leave``: the checks above name
  each kind of damage they look for.
* ``test_a_reader_after_a_kill_while_the_archive_was_made_is_told_what_happened``:
  a hot ``-journal`` left by a death before WAL mode is explained to readers.

Reproduce a failure with the seed it prints: ``NEWSARCHIVE_FAULTS_SEED=N pytest
tests/test_faults_process.py``. ``NEWSARCHIVE_FAULTS_SABOTAGE=split-fts`` makes the
crawl subprocesses write an article and its FTS row in two transactions (a
``sitecustomize`` put in front of them): both crawl tests must then fail.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import ROOT, scrapy_crawl
from generated_mirror import BASE, HOST, Entry, generated_mirror, pool_dir, write_site_files
from static_server import StaticServer

from newsarchive.archive import (
    SCHEMA_VERSION,
    Archive,
    ArchiveError,
    ArchiveWriteError,
    article_id,
    content_hash,
)
from newsarchive.export import ExportOptions, export
from newsarchive.replay import ReplayServer

PAGES = 100  # articles listed from the first run
NEWER = 20  # articles published later, one more listed before each run
ALIASES = 5  # old URLs that redirect to an article
KILLS = 20
SEED = int(os.environ.get("NEWSARCHIVE_FAULTS_SEED") or 1409)
SABOTAGE = os.environ.get("NEWSARCHIVE_FAULTS_SABOTAGE")
#: Every run re-fetches every article: a whole crawl of writes for every kill to land in.
CRAWL_SETTINGS = (
    "-s",
    "LOG_LEVEL=INFO",
    "-s",
    "LOGSTATS_INTERVAL=0.2",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=8",
    "-s",
    "NEWSARCHIVE_REFRESH_WINDOW_HOURS=1000000",
    "-s",
    "NEWSARCHIVE_REFETCH_INTERVAL_HOURS=0",
)
EDIT = re.compile(r"ویرایش EDIT(\d{3})")
REQUIRED = (
    "source",
    "url",
    "title",
    "body",
    "published_at",
    "content_hash",
    "first_seen_at",
    "last_fetched_at",
)


# --- the mirror: generated pages, a site that moves on between runs -------------------------


class MovingMirror:
    """A generated Digiato mirror copied to ``root``, changed between runs like a live site."""

    def __init__(self, root: Path, rng: random.Random):
        generated = generated_mirror(PAGES, new=NEWER)
        self.root = root
        self.site = root / HOST
        self.entries: list[Entry] = list(generated.entries)  # newest first: the NEWER ones, then PAGES
        self.listed = NEWER  # entries[listed:] are on the site
        self.edits: dict[str, int] = {}  # url -> generation of its latest edit
        self.rng = rng
        for entry in self.entries:
            target = self.site / self.path(entry.url)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(pool_dir() / HOST / self.path(entry.url), target)
        old = rng.sample(self.entries[NEWER:], ALIASES)
        #: old URL -> the article URL it redirects to
        self.aliases = {f"{BASE}/article/2019/0{n + 1}/1{n}/moved-{e.rank}": e.url for n, e in enumerate(old)}
        self.alias_entries = [dataclasses.replace(e, url=url) for url, e in zip(self.aliases, old)]
        (self.site / ".replay.json").write_text(
            json.dumps(
                {"redirects": {self.path(old_url, slash=True): new for old_url, new in self.aliases.items()}}
            ),
            "utf-8",
        )
        self.write_site()

    @staticmethod
    def path(url: str, *, slash: bool = False) -> str:
        return ("/" if slash else "") + unquote(url[len(BASE) + 1 :])

    @property
    def urls(self) -> set[str]:
        """The article URLs on the site now."""
        return {e.url for e in self.entries[self.listed :]}

    def write_site(self) -> None:
        """Sitemaps, feed and listings of the listed entries; the old URLs last in the sitemap."""
        write_site_files(self.root, self.entries[self.listed :] + self.alias_entries)

    def next_run(self, generation: int, *, edits: int = 3) -> None:
        """One more article published, ``edits`` pages edited (their sitemap lastmod moves)."""
        self.listed = max(0, self.listed - 1)
        now = datetime.now(UTC) + timedelta(seconds=2)
        for index in self.rng.sample(range(self.listed, len(self.entries)), edits):
            entry = self.entries[index]
            page = self.site / self.path(entry.url)
            html = re.sub(r"<p>ویرایش EDIT\d{3}\.</p>\n", "", page.read_text("utf-8"))
            marker = f"<p>ویرایش EDIT{generation:03d}.</p>\n"
            html = html.replace('<div class="shareBox">', marker + '<div class="shareBox">', 1)
            page.write_text(html, "utf-8")
            self.edits[entry.url] = generation
            self.entries[index] = dataclasses.replace(entry, modified=now)
        self.write_site()


# --- what every archive must be, whenever a process died --------------------------------------


def archive_problems(
    db: Path,
    *,
    urls: set[str] | None = None,
    aliases: dict[str, str] | None = None,
    edits: dict[str, int] | None = None,
) -> list[str]:
    """Everything wrong with the archive at ``db``: [] when sound.

    SQLite's integrity check; the FTS5 index agrees with ``articles`` (FTS5's own
    integrity check against the content table, and one ``articles_fts_docsize`` row per
    article); no article without its required fields, with a content hash that is not
    its content's, or under an id not made from its URL; no URL twice, no alias that is
    an article's URL or points nowhere (or elsewhere than ``aliases`` says); versions
    that belong to an article, hash right, and follow each other in time and in edit
    generation (``edits``); no URL outside ``urls``; crawl runs in a known state; every
    WARC record a capture names is whole in its file.
    """
    conn = sqlite3.connect(db, timeout=5) if db.exists() else None
    if conn is None:
        return []
    conn.row_factory = sqlite3.Row
    problems: list[str] = []
    try:
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if integrity != ["ok"]:
            problems.append(f"integrity_check: {integrity[:5]}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
        if version == 0 or not 0 <= version <= SCHEMA_VERSION:
            if version != 0 or tables:
                problems.append(f"schema version {version} with tables {sorted(tables)}")
            return problems
        problems += _fts_problems(db)
        rows = conn.execute("select rowid, * from articles").fetchall()
        by_id = {row["id"]: row for row in rows}
        indexed = {row[0] for row in conn.execute("select id from articles_fts_docsize")}
        rowids = {row["rowid"] for row in rows}
        if indexed != rowids:
            problems.append(
                f"articles without an FTS row: {sorted(rowids - indexed)[:5]}; "
                f"FTS rows without an article: {sorted(indexed - rowids)[:5]}"
            )
        if conn.execute("select count(*) from articles_fts").fetchone()[0] != len(rows):
            problems.append("articles_fts count differs from articles count")
        seen: dict[str, int] = {}
        for row in rows:
            seen[row["url"]] = seen.get(row["url"], 0) + 1
            missing = [name for name in REQUIRED if not row[name]]
            if missing:
                problems.append(f"partial article {row['url']}: no {', '.join(missing)}")
            if row["id"] != article_id(row["url"]):
                problems.append(f"article {row['url']} has id {row['id']}, not its URL's")
            if row["content_hash"] != content_hash(dict(row)):
                problems.append(f"article {row['url']}: content_hash is not its content's")
            if urls is not None and row["url"] not in urls:
                problems.append(f"article {row['url']} is no article of the mirror")
        problems += [f"{count} articles under {url}" for url, count in seen.items() if count > 1]
        for alias in conn.execute("select * from article_aliases"):
            target = by_id.get(alias["article_id"])
            if alias["url"] in seen:
                problems.append(f"alias {alias['url']} is also an article's URL")
            if target is None:
                problems.append(f"alias {alias['url']} points to no article ({alias['article_id']})")
            elif aliases is not None and aliases.get(alias["url"]) != target["url"]:
                problems.append(
                    f"alias {alias['url']} points to {target['url']}, not {aliases.get(alias['url'])}"
                )
        chains: dict[str, list[sqlite3.Row]] = {}
        for version_row in conn.execute("select * from article_versions order by id"):
            chains.setdefault(version_row["article_id"], []).append(version_row)
        for owner, versions in chains.items():
            article = by_id.get(owner)
            if article is None:
                problems.append(f"{len(versions)} versions of no article ({owner})")
                continue
            for earlier in versions:
                if earlier["content_hash"] != content_hash(dict(earlier)):
                    problems.append(f"a version of {article['url']}: content_hash is not its content's")
                if not earlier["fetched_at"] <= earlier["replaced_at"] <= article["last_fetched_at"]:
                    problems.append(
                        f"a version of {article['url']} replaced at {earlier['replaced_at']}, "
                        f"fetched {earlier['fetched_at']}, article fetched {article['last_fetched_at']}"
                    )
            chain = [*versions, article]
            hashes = [item["content_hash"] for item in chain]
            if any(a == b for a, b in itertools.pairwise(hashes)):
                problems.append(f"{article['url']}: a version the same as the content after it")
            if edits is not None:
                generations = [_generation(item["body"]) for item in chain]
                if generations != sorted(set(generations)):
                    problems.append(f"{article['url']}: versions out of edit order {generations}")
        ended = ("finished", "degraded", "failed")  # with finished_at; "running" and "killed" without
        for run in conn.execute("select * from crawl_runs"):
            if run["status"] not in ("running", "killed", *ended) or (run["status"] in ended) != bool(
                run["finished_at"]
            ):
                problems.append(
                    f"crawl run {run['id']}: status {run['status']}, finished_at {run['finished_at']}"
                )
        warc_dir = db.parent / "warc"
        # A kill between the migrations leaves a schema from before the captures table (v1).
        has_captures = conn.execute(
            "select 1 from sqlite_master where type = 'table' and name = 'captures'"
        ).fetchone()
        for capture in (
            conn.execute("select id, warc_file, warc_offset, warc_length from captures")
            if has_captures
            else ()
        ):
            path = warc_dir / capture["warc_file"]
            size = path.stat().st_size if path.exists() else -1
            if capture["warc_offset"] + capture["warc_length"] > size:
                problems.append(
                    f"capture {capture['id']} names bytes {capture['warc_offset']}+"
                    f"{capture['warc_length']} of {capture['warc_file']} ({size} bytes)"
                )
    finally:
        conn.close()
    return problems


def _fts_problems(db: Path) -> list[str]:
    """FTS5's integrity check with rank 1: the index against the ``articles`` columns."""
    conn = sqlite3.connect(db, timeout=5, isolation_level=None)
    try:
        conn.execute("insert into articles_fts(articles_fts, rank) values ('integrity-check', 1)")
        return []
    except sqlite3.DatabaseError as error:
        return [f"FTS index disagrees with articles: {error}"]
    finally:
        conn.close()


def _generation(body: str) -> int:
    found = EDIT.findall(body or "")
    return int(found[-1]) if found else -1


# --- crawl subprocesses ---------------------------------------------------------------------


SABOTAGE_CODE = '''
"""Test sabotage (tests/test_faults_process.py): articles and their FTS rows in two transactions."""
import sys
import time

sys.path.insert(0, {root!r})  # sitecustomize runs before the editable install's path hook
from newsarchive import archive as _archive  # noqa: E402

_save = _archive.Archive.save_article


def _split_save(self, article, **kwargs):
    with self.write():
        self.db.execute("drop trigger if exists articles_ai")
    outcome = _save(self, article, **kwargs)
    if outcome == "new":
        time.sleep(0.03)
        with self.write():
            self.db.execute(
                "insert into articles_fts(rowid, search_title, search_lead, search_body) "
                "select rowid, search_title, search_lead, search_body from articles where url = ?",
                [article["url"]])
    return outcome


_archive.Archive.save_article = _split_save
'''


def crawl_env(tmp: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("NEWSARCHIVE_DB", None)
    if SABOTAGE == "split-fts":
        hook = tmp / "sabotage"
        hook.mkdir(exist_ok=True)
        (hook / "sitecustomize.py").write_text(SABOTAGE_CODE.replace("{root!r}", repr(str(ROOT))), "utf-8")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hook), env.get("PYTHONPATH")]))
    return env


def crawl_command(db: Path, url: str) -> list[str]:
    """``scrapy crawl digiato`` as :func:`conftest.scrapy_crawl` runs it, with :data:`CRAWL_SETTINGS`."""
    return [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "digiato",
        "-s",
        f"NEWSARCHIVE_REPLAY_URL={url}",
        "-s",
        f"NEWSARCHIVE_DB={db}",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "DOWNLOAD_DELAY=0",
        *CRAWL_SETTINGS,
    ]


class Crawl:
    """A ``scrapy crawl`` subprocess whose log is read as it comes (what phase it is in)."""

    SCRAPED = re.compile(r"scraped (\d+) items")

    def __init__(self, command: list[str], env: dict[str, str]):
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        self.lines: list[str] = []
        self.scraped = 0
        self.opened = threading.Event()
        self.closing = threading.Event()
        self.reported = threading.Event()
        self.done = threading.Event()
        #: SIGKILL from the reading thread as soon as this is read ("Spider opened", "Closing spider"):
        #: opening the archive and closing the run take milliseconds
        self.kill_on: str | None = None
        self.killed = False
        self._killing = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)
            if self.kill_on and self.kill_on in line:
                self.kill()
            if "Spider opened" in line:
                self.opened.set()
            elif "Closing spider" in line:
                self.closing.set()
            elif "crawl report for" in line:
                self.reported.set()
            elif found := self.SCRAPED.search(line):
                self.scraped = int(found.group(1))
        self.done.set()

    def phase(self) -> str:
        """startup (before "Spider opened"), open (no item stored yet, by the log's count), mid or close."""
        if self.closing.is_set():
            return "close"
        return ("mid" if self.scraped else "open") if self.opened.is_set() else "startup"

    def kill(self) -> bool:
        """SIGKILL now (unless done already); False when the process had exited by itself."""
        with self._killing:
            if not self.killed and self.process.poll() is None:
                os.kill(self.process.pid, signal.SIGKILL)
                self.killed = True
            return self.killed

    def wait(self, timeout: float = 120) -> int:
        code = self.process.wait(timeout)
        self.done.wait(10)
        return code

    def log_tail(self, lines: int = 15) -> str:
        return "".join(self.lines[-lines:])


@dataclasses.dataclass
class Kill:
    """One planned kill and what came of it."""

    plan: str  # create | startup | open | mid | close
    #: seconds after: the archive file appeared (create), spawn (startup), "Spider opened" (open),
    #: the target (mid), "Closing spider" (close)
    delay: float
    target: int = 0  # mid: kill once this many items are stored by the run
    phase: str = ""  # where the process was when killed ("exited": it had finished)
    at: float = 0.0  # seconds after spawn
    scraped: int = 0
    pid: int = 0
    reported: bool = False
    left: str = ""  # what the archive held after the kill

    def __str__(self) -> str:
        aim = {
            "create": f"archive file +{self.delay:.3f}s",
            "startup": f"{self.delay:.2f}s after spawn",
            "open": f"opened +{self.delay:.3f}s",
            "mid": f"item {self.target} +{self.delay:.2f}s",
            "close": f"close +{self.delay:.3f}s",
        }[self.plan]
        report = ", after the run report" if self.reported else ""
        return (
            f"planned {self.plan} ({aim}) -> killed in {self.phase} at {self.at:.2f}s, "
            f"{self.scraped} items, pid {self.pid}{report}; left {self.left}"
        )


def plan_kills(rng: random.Random, count: int, *, first: bool = False) -> list[Kill]:
    """``count`` kills spread over start-up (1/4), mid-crawl (1/2) and close (1/4), shuffled.

    Half the start-up kills come at a time after spawn (imports, settings, the run lock),
    half just after "Spider opened" (the archive opening: migrations on a new archive,
    marking dead runs killed, the run's row); with ``first`` the first kill comes up to
    15 ms after the archive file appears, so a new archive is killed while it is migrated.
    Kills with delay 0 come from the thread reading the log, the moment it reads the line.
    """
    plans = ["startup", "open"] * (count // 8) + ["close"] * (count // 4)
    plans += ["mid"] * (count - len(plans))
    rng.shuffle(plans)
    if first:
        plans.remove("startup")
    kills = [Kill("create", rng.uniform(0.0, 0.015))] if first else []
    for plan in plans:
        if plan == "startup":
            kills.append(Kill(plan, rng.uniform(0.05, 0.9)))
        elif plan == "open":
            kills.append(Kill(plan, rng.choice((0.0, rng.uniform(0.0, 0.05)))))
        elif plan == "mid":
            kills.append(Kill(plan, rng.uniform(0.0, 0.2), target=rng.randint(1, PAGES - 10)))
        else:  # half at once (from the thread reading the log), half up to 30 ms later
            kills.append(Kill(plan, rng.choice((0.0, rng.uniform(0.0, 0.03)))))
    return kills


def run_and_kill(crawl: Crawl, kill: Kill, db: Path, limit: float = 60) -> Kill:
    deadline = crawl.started + limit
    if kill.plan == "create":
        while not db.exists() and not crawl.done.is_set() and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(kill.delay)
    elif kill.plan == "startup":
        time.sleep(max(0.0, crawl.started + kill.delay - time.monotonic()))
    elif kill.plan == "open":
        crawl.kill_on = "Spider opened" if kill.delay == 0 else None
        crawl.opened.wait(max(0.0, deadline - time.monotonic()))
        time.sleep(kill.delay)
    elif kill.plan == "mid":
        while crawl.scraped < kill.target and not crawl.closing.is_set() and not crawl.done.is_set():
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        time.sleep(kill.delay)
    else:
        crawl.kill_on = "Closing spider" if kill.delay == 0 else None
        crawl.closing.wait(max(0.0, deadline - time.monotonic()))
        time.sleep(kill.delay)
    kill.pid, kill.at = crawl.process.pid, time.monotonic() - crawl.started
    killed = crawl.kill()
    code = crawl.wait()
    # Where it was: by everything it logged before it died (the log is read to its end by now).
    kill.phase, kill.scraped, kill.reported = crawl.phase(), crawl.scraped, crawl.reported.is_set()
    if killed:
        assert code == -signal.SIGKILL, f"crawl ended with {code}, not by SIGKILL:\n{crawl.log_tail()}"
    else:
        kill.phase = "exited"
        assert code == 0, f"crawl failed ({code}) before its kill:\n{crawl.log_tail()}"
    return kill


def crawl_runs(db: Path) -> list[dict]:
    """The ``crawl_runs`` rows (after a kill: of a :func:`checked_copy`, which this may recover)."""
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        if not conn.execute("select 1 from sqlite_master where name = 'crawl_runs'").fetchone():
            return []
        return [dict(row) for row in conn.execute("select * from crawl_runs order by id")]
    finally:
        conn.close()


def archive_summary(db: Path, run: dict | None) -> str:
    """Schema version, articles, versions, aliases and the run's status, for the kill report."""
    if not db.exists():
        return "no archive"
    conn = sqlite3.connect(db)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            return "an empty archive (schema v0)"
        counts = [
            conn.execute(f"select count(*) from {table}").fetchone()[0]
            for table in ("articles", "article_versions", "article_aliases")
        ]
    finally:
        conn.close()
    return (
        f"schema v{version}, {counts[0]} articles, {counts[1]} versions, {counts[2]} aliases, "
        f"run {run['status'] if run else 'not started'}"
    )


def checked_copy(db: Path, scratch: Path) -> Path:
    """A copy of the archive as the killed process left it (with its -wal and -shm files), to check
    without disturbing what the next run finds (a checking connection would checkpoint on close)."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    for suffix in ("", "-wal", "-shm"):
        source = db.with_name(db.name + suffix)
        if source.exists():
            shutil.copyfile(source, scratch / source.name)
    if (db.parent / "warc").exists():
        (scratch / "warc").symlink_to(db.parent / "warc")
    return scratch / db.name


# --- the tests ------------------------------------------------------------------------------


@pytest.fixture
def moving_mirror(tmp_path) -> MovingMirror:
    return MovingMirror(tmp_path / "mirror", random.Random(f"{SEED}:mirror"))


@pytest.mark.slow
def test_twenty_sigkills_leave_a_sound_archive_and_a_rerun_finishes(moving_mirror, tmp_path):
    mirror = moving_mirror
    db = tmp_path / "archive.db"
    env = crawl_env(tmp_path)
    rng = random.Random(SEED)
    planned = plan_kills(rng, KILLS, first=True)
    done: list[Kill] = []
    #: run id -> its status right after its process was killed (or finished before the kill)
    left_as: dict[int, str] = {}
    pending: list[int] = []  # runs left "running" by killed processes and not marked killed yet
    started = time.monotonic()

    def story() -> str:
        return f"seed {SEED} (NEWSARCHIVE_FAULTS_SEED={SEED} repeats these kill points):\n" + "\n".join(
            f"  {n + 1:2d}. {kill}" for n, kill in enumerate(done)
        )

    known: set[int] = set()  # run ids before the current run
    with ReplayServer(mirror.root) as server:
        server.httpd.handle_error = lambda request, address: None  # clients killed mid-request
        try:
            generation = 0
            while sum(kill.phase != "exited" for kill in done) < KILLS:
                assert len(done) < KILLS + 10, "too many runs finished before their kill"
                kill = planned.pop(0) if planned else plan_kills(rng, 4)[0]
                generation += 1
                mirror.next_run(generation)
                crawl = Crawl(crawl_command(db, server.url), env)
                done.append(run_and_kill(crawl, kill, db))
                copy = checked_copy(db, tmp_path / "check")  # read as left, for the next run to find
                runs = {run["id"]: run for run in crawl_runs(copy)}
                new = [run for run_id, run in runs.items() if run_id not in known]
                assert len(new) <= 1 and all(run["pid"] == kill.pid for run in new), new
                if new:  # the run got past marking the runs of dead processes killed
                    assert all(runs[run_id]["status"] == "killed" for run_id in pending), (
                        f"runs of killed processes not marked killed: {[runs[i] for i in pending]}"
                    )
                    pending.clear()
                    (row,) = new
                    left_as[row["id"]] = row["status"]
                    if kill.phase == "exited" or crawl.reported.is_set():  # finish_run is before the report
                        assert row["status"] == "finished", row
                    elif not crawl.closing.is_set():  # and after "Closing spider"
                        assert row["status"] == "running", row
                    if row["status"] == "running":
                        pending.append(row["id"])
                else:  # start_run comes before the first request
                    assert kill.phase in ("startup", "open"), (
                        f"killed in {kill.phase} without a crawl_runs row"
                    )
                known = set(runs)
                if kill.phase != "exited":
                    kill.left = archive_summary(copy, new[0] if new else None)
                    problems = archive_problems(
                        copy, urls=mirror.urls, aliases=mirror.aliases, edits=mirror.edits
                    )
                    assert not problems, "after the kill:\n" + "\n".join(problems)

            mirror.listed = 0
            mirror.write_site()
            rerun = scrapy_crawl("digiato", db, server.url, *CRAWL_SETTINGS)
            elapsed = time.monotonic() - started

            runs = crawl_runs(db)
            *earlier, last = runs
            assert last["status"] == "finished" and last["id"] not in left_as, last
            assert f"{len(pending)} earlier digiato run(s) had been killed" in rerun.stderr or not pending
            # A run the kill left running is now killed; one that finished before its kill stays finished.
            assert {run["id"]: run["status"] for run in earlier} == {
                run_id: "finished" if status == "finished" else "killed" for run_id, status in left_as.items()
            }
            problems = archive_problems(db, urls=mirror.urls, aliases=mirror.aliases, edits=mirror.edits)
            assert not problems, "after the rerun:\n" + "\n".join(problems)
            conn = sqlite3.connect(db)
            stored = dict(conn.execute("select url, body from articles").fetchall())
            aliases = dict(
                conn.execute(
                    "select l.url, a.url from article_aliases l join articles a on a.id = l.article_id"
                ).fetchall()
            )
            versions = conn.execute("select count(*) from article_versions").fetchone()[0]
            conn.close()
            # Every mirror article exactly once (urls are unique), each with its latest edit.
            assert sorted(stored) == sorted(mirror.urls) and len(stored) == PAGES + NEWER
            stale = [url for url, edit in mirror.edits.items() if _generation(stored[url]) != edit]
            assert not stale, f"articles without their latest edit: {stale}"
            assert aliases == mirror.aliases
            phases = [kill.phase for kill in done if kill.phase != "exited"]
            assert {"mid", "close"} <= set(phases) and {"startup", "open"} & set(phases), phases
        except Exception as error:  # whatever broke, say which kills came before it
            raise AssertionError(f"{type(error).__name__}: {error}\n{story()}") from error
    spread = ", ".join(f"{phase} {phases.count(phase)}" for phase in ("startup", "open", "mid", "close"))
    print(
        f"\n{len(phases)} kills ({spread}), "
        f"{len(done) - len(phases)} runs finished before their kill; after the rerun {len(stored)} articles, "
        f"{versions} versions, {len(aliases)} aliases; {elapsed:.1f} s\n{story()}"
    )


QUERIES = ("گوشی", "هوش مصنوعی", "اینترنت OR اپل", "گزارش")


class Reader:
    """What researchers do while a crawl writes: search, read, export; each step timed and checked."""

    def __init__(self, db: Path, out: Path):
        self.db, self.out = db, out
        self.latency: dict[str, list[float]] = {"open": [], "search": [], "read": [], "export": []}
        self.counts: list[int] = []
        self.problems: list[str] = []
        self.rounds = 0
        self.kept: Archive | None = None  # a connection kept open across the crawl, as Datasette keeps one

    def close(self) -> None:
        if self.kept is not None:
            self.kept.close()

    def timed(self, step: str, call):
        began = time.monotonic()
        result = call()
        self.latency[step].append(time.monotonic() - began)
        return result

    def round(self) -> bool:
        """Search, read and export once, on a new connection (as the CLI does) and read on the kept
        one; False (nothing done) while the archive is not there or not yet migrated."""
        if not self.db.exists():
            return False
        archive = self.timed("open", lambda: Archive(self.db, readonly=True))
        try:
            if archive.schema_version() < SCHEMA_VERSION:
                self.latency["open"].pop()
                return False
            self.kept = self.kept or Archive(self.db, readonly=True)
            self.timed("read", lambda: self.consistent_read(self.kept))
            query = QUERIES[self.rounds % len(QUERIES)]
            for hit in self.timed("search", lambda: archive.search(query, limit=30)):
                if not (hit.title and hit.url and hit.published_at and hit.snippet):
                    self.problems.append(f"search {query!r} found a partial article: {hit}")
            self.timed("read", lambda: self.consistent_read(archive))
            data = self.out / f"articles-{self.rounds % 2}.jsonl"
            result = self.timed("export", lambda: export(archive, ExportOptions(out=data, force=True)))
            records = [json.loads(line) for line in data.read_text("utf-8").splitlines()]
            if len(records) != result.records or len({r["id"] for r in records}) != len(records):
                self.problems.append(
                    f"export: {result.records} records said, {len(records)} lines, "
                    f"{len({r['id'] for r in records})} ids"
                )
            for record in records:
                missing = [name for name in ("title", "body", "published_at", "url") if not record.get(name)]
                if missing:
                    self.problems.append(f"export holds a partial article {record.get('url')}: no {missing}")
        finally:
            archive.close()
        self.rounds += 1
        return True

    def consistent_read(self, archive: Archive) -> None:
        """One read transaction: every article whole and in the FTS index, the newest findable."""
        db = archive.db
        db.execute("begin")
        try:
            count = db.execute("select count(*) from articles").fetchone()[0]
            self.counts.append(count)
            indexed = db.execute("select count(*) from articles_fts_docsize").fetchone()[0]
            unindexed = db.execute(
                "select url from articles where rowid not in (select id from articles_fts_docsize)"
            ).fetchall()
            blank = " or ".join(f"coalesce({name}, '') = ''" for name in REQUIRED)
            partial = db.execute(f"select url from articles where {blank}").fetchall()
            orphans = db.execute(
                "select count(*) from article_versions where article_id not in (select id from articles)"
            ).fetchone()[0]
            if indexed != count or unindexed or partial or orphans:
                self.problems.append(
                    f"a read saw {count} articles, {indexed} FTS rows, without FTS row "
                    f"{unindexed[:3]}, partial {partial[:3]}, {orphans} orphan versions"
                )
            newest = db.execute("select id, title from articles order by rowid desc limit 1").fetchone()
            if newest and newest[0] not in set(archive.search_ids(newest[1])):
                self.problems.append(f"the newest article {newest[0]} is not found by its title")
        finally:
            db.execute("rollback")


@pytest.mark.slow
def test_searches_and_exports_during_a_crawl_never_wait_or_see_half_an_article(moving_mirror, tmp_path):
    mirror = moving_mirror
    db = tmp_path / "archive.db"
    (tmp_path / "exports").mkdir()
    reader = Reader(db, tmp_path / "exports")
    env = crawl_env(tmp_path)
    during = 0
    # New articles; every article again with ten edited, killed after 30 stored items (readers
    # go on through the death and the next run's recovery); every article again with ten more edits.
    for generation in (1, 2, 3):
        if generation > 1:
            mirror.next_run(generation, edits=10)
        with StaticServer([mirror.root]) as server:
            crawl = Crawl(crawl_command(db, server.url), env)
            try:
                while crawl.process.poll() is None:
                    during += reader.round()
                    if generation == 2 and crawl.scraped >= 30:
                        crawl.kill()
                    time.sleep(0.02)
            finally:
                killed = crawl.kill()
                code = crawl.wait()
        log = "".join(crawl.lines)
        if generation == 2:
            assert code == -signal.SIGKILL and crawl.scraped >= 30 and not crawl.closing.is_set(), (
                code,
                log[-3000:],
            )
        else:
            assert code == 0 and not killed, f"the crawl failed ({code}):\n{crawl.log_tail()}"
            assert "crawl report for digiato" in log and ", finished)" in log, log[-3000:]
    assert reader.round()  # and once more after the crawls
    reader.close()

    worst = {step: max(values) for step, values in reader.latency.items()}
    print(
        f"\n{reader.rounds} rounds ({during} during the crawls), article counts seen "
        f"{sorted(set(reader.counts))[:3]}..{max(reader.counts)}; max latency "
        + ", ".join(f"{step} {seconds * 1000:.0f} ms" for step, seconds in worst.items())
    )
    assert not reader.problems, "\n".join(reader.problems[:10])
    assert all(seconds < 1.0 for seconds in worst.values()), worst
    # The reads did overlap the writes: many rounds, and the archive grew under them.
    assert during >= 10 and len(set(reader.counts)) >= 5, (during, sorted(set(reader.counts)))
    assert reader.counts[-1] == len(mirror.urls)
    assert [run["status"] for run in crawl_runs(db)] == ["finished", "killed", "finished"]
    assert not archive_problems(db, urls=mirror.urls, aliases=mirror.aliases, edits=mirror.edits)


def test_the_archive_checks_find_what_a_kill_could_leave(tmp_path):
    """:func:`archive_problems` is what the kill test relies on: it passes a sound archive and
    names each kind of damage (article without FTS row, partial row, duplicate by alias, bad version)."""
    db = tmp_path / "sound.db"
    article = {
        "source": "digiato",
        "url": f"{BASE}/mobile/one",
        "title": "گوشی تازه",
        "lead": "خبر",
        "body": "متن خبر گوشی",
        "published_at": "2025-01-01T10:00:00Z",
    }
    with Archive(db) as archive:
        archive.save_article(article)
        archive.save_article({**article, "url": f"{BASE}/mobile/two", "title": "دومی"})
        archive.save_article({**article, "body": "متن خبر گوشی ویرایش EDIT001."})
        archive.add_alias(f"{BASE}/article/2019/01/01/one", article["url"])
        run = archive.start_run("digiato")
        archive.finish_run(run, "finished", {}, {})
    urls = {article["url"], f"{BASE}/mobile/two"}
    assert (
        archive_problems(db, urls=urls, aliases={f"{BASE}/article/2019/01/01/one": article["url"]}, edits={})
        == []
    )

    damage = {
        "without an FTS row": "insert into articles_fts(articles_fts, rowid, search_title, search_lead, search_body) "
        "select 'delete', rowid, search_title, search_lead, search_body from articles limit 1",
        "partial article": "update articles set title = '' where url like '%two'",
        "also an article's URL": f"insert into article_aliases values ('{BASE}/mobile/two', "
        f"'{article_id(article['url'])}', '2025-01-01T10:00:00Z')",
        "a version of": "update article_versions set body = body || '.'",
        "out of edit order": "update article_versions set body = 'ویرایش EDIT002.', content_hash = null",
        "crawl run": "update crawl_runs set finished_at = null",
        "no article of the mirror": f"update articles set url = '{BASE}/mobile/three', "
        f"id = '{article_id(BASE + '/mobile/three')}' where url like '%two'",
    }
    for expected, sql in damage.items():
        broken = tmp_path / f"broken-{len(expected)}.db"
        shutil.copyfile(db, broken)
        with sqlite3.connect(broken) as conn:
            conn.execute(sql)
            if expected == "out of edit order":
                ((title, lead, body),) = conn.execute(
                    "select title, lead, body from article_versions"
                ).fetchall()
                conn.execute(
                    "update article_versions set content_hash = ?",
                    [content_hash({"title": title, "lead": lead, "body": body})],
                )
        conn.close()
        problems = archive_problems(broken, urls=urls, edits={})
        assert any(expected in problem for problem in problems), (expected, problems)


DIE_MID_TRANSACTION = """
import os, signal, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("pragma cache_size = 1")  # pages go to the file before the commit
conn.execute("begin immediate")
conn.execute("create table half (x)")
conn.executemany("insert into half values (?)", [("x" * 1000,)] * 200)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.slow
def test_a_reader_after_a_kill_while_the_archive_was_made_is_told_what_happened(tmp_path):
    """A crawl killed in the first milliseconds of a new archive (before WAL mode) leaves a hot
    -journal that a read-only connection may not roll back: searches say so (not "read-only"),
    and the next writer (a crawl) rolls it back and makes the archive."""
    db = tmp_path / "archive.db"
    died = subprocess.run([sys.executable, "-c", DIE_MID_TRANSACTION, str(db)])
    assert died.returncode == -signal.SIGKILL and db.with_name("archive.db-journal").exists()
    with pytest.raises(ArchiveError, match="a process that died") as refused:
        Archive(db, readonly=True)
    assert not isinstance(refused.value, ArchiveWriteError) and "read-only" not in str(refused.value)
    with Archive(db) as archive:
        assert archive.schema_version() == SCHEMA_VERSION and archive.count() == 0
    with Archive(db, readonly=True) as archive:
        assert archive.search("گوشی") == []
    assert archive_problems(db) == []
