"""What a hostile site, sitemap or archive file must never make newsarchive do (SECURITY.md).

Unit level: the URL allow-rule, the DNS answer check, the XML entity check, the
archive's refusal of a rel=canonical that would overwrite another article, and
the archive health checks before a crawl. The hostile site end to end is in
tests/test_hostile_site.py.
"""

from __future__ import annotations

import os
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_archive import article
from twisted.internet.error import DNSLookupError

from newsarchive.archive import Archive, ArchiveBusy, ArchiveDamaged, damaged_archive, storage_error
from newsarchive.extensions import check_archive
from newsarchive.health import EXIT_BUSY, EXIT_FAILED, archive_exit_code, check_health
from newsarchive.resolver import PublicAddressResolver
from newsarchive.runlock import MAINTENANCE, RunLock
from newsarchive.spiders.base import declares_entities
from newsarchive.urlpolicy import is_public_address, refusal

HOSTS = ("digiato.com", "static.digiato.com")


# --- the allow-rule -------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://digiato.com/mobile/x",
        "http://www.digiato.com/sitemap.xml",
        "https://static.digiato.com/a.jpg",
        "https://DIGIATO.com./robots.txt",
        "https://digiato.com:443/x",
    ],
)
def test_the_sites_own_urls_pass(url):
    assert refusal(url, HOSTS) is None


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://169.254.169.254/latest/meta-data/token", "unsafe-url"),  # cloud metadata
        ("http://127.0.0.1:2375/containers/json", "unsafe-url"),  # docker socket over TCP
        ("http://127.0.0.1/", "unsafe-url"),
        ("http://10.0.0.5/", "unsafe-url"),
        ("http://192.168.1.1/", "unsafe-url"),
        ("http://172.16.0.9/", "unsafe-url"),
        ("http://100.64.0.1/", "unsafe-url"),  # carrier-grade NAT
        ("http://0.0.0.0/", "unsafe-url"),
        ("http://224.0.0.1/", "unsafe-url"),
        ("http://240.0.0.1/", "unsafe-url"),
        ("http://[::1]/", "unsafe-url"),
        ("http://[fe80::1%25eth0]/", "unsafe-url"),
        ("http://[fd00::1]/", "unsafe-url"),
        ("http://[::ffff:169.254.169.254]/", "unsafe-url"),  # IPv4-mapped
        ("http://2130706433/", "unsafe-url"),
        ("http://0x7f000001/", "unsafe-url"),
        ("http://0177.0.0.1/", "unsafe-url"),
        ("http://localhost/", "unsafe-url"),
        ("http://admin.localhost/", "unsafe-url"),
        ("file:///etc/hostname", "unsafe-url"),
        ("ftp://digiato.com/x", "unsafe-url"),
        ("s3://bucket/key", "unsafe-url"),
        ("data:text/html,<h1>x</h1>", "unsafe-url"),
        ("gopher://digiato.com/", "unsafe-url"),
        ("https://user:pass@digiato.com/", "unsafe-url"),
        ("https://digiato.com@127.0.0.1/", "unsafe-url"),
        ("https://digiato.com:8080/x", "unsafe-url"),
        ("http://[not-an-ip/", "unsafe-url"),
        ("https://evil.example/", "offsite-url"),
        ("https://digiato.com.evil.example/", "offsite-url"),
        ("https://notdigiato.com/", "offsite-url"),
        ("https://digiato.com/" + "a" * 70_000, "url-too-long"),
    ],
)
def test_everything_else_is_refused_with_a_reason(url, reason):
    refused = refusal(url, HOSTS)
    assert refused is not None and refused[0] == reason, refused


def test_a_spider_without_hosts_is_still_kept_off_private_addresses():
    assert refusal("https://example.org/", ()) is None
    assert refusal("http://10.1.2.3/", ())[0] == "unsafe-url"


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_the_allow_rule_never_raises_and_answers_a_known_reason(text):
    for url in (text, "https://" + text, "http://digiato.com/" + text):
        refused = refusal(url, HOSTS)
        assert refused is None or refused[0] in {"unsafe-url", "offsite-url", "url-too-long"}


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.ip_addresses())
def test_only_global_unicast_addresses_are_public(address):
    expected = address.is_global and not address.is_multicast
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        expected = mapped.is_global and not mapped.is_multicast
    assert is_public_address(str(address)) is expected
    host = f"[{address}]" if address.version == 6 else str(address)
    assert (refusal(f"http://{host}/", ()) is None) is expected


def test_dns_answers_in_private_ranges_are_refused():
    assert PublicAddressResolver._refuse_local("93.184.216.34", "digiato.com") == "93.184.216.34"
    for address in ("127.0.0.1", "169.254.169.254", "10.0.0.5"):
        with pytest.raises(DNSLookupError, match="private"):
            PublicAddressResolver._refuse_local(address, "evil.digiato.com")


# --- XML entities -----------------------------------------------------------------

BILLION_LAUGHS = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><urlset>&lol2;</urlset>'


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS.encode(),
        b"<?xml version='1.0'?><!-- " + b"x" * 70_000 + b" -->" + BILLION_LAUGHS.split("?>", 1)[1].encode(),
        BILLION_LAUGHS.encode("utf-16"),  # with a BOM
        BILLION_LAUGHS.encode("utf-16-le"),  # without one
        BILLION_LAUGHS.encode("utf-16-be"),
        BILLION_LAUGHS.encode("utf-32"),
        BILLION_LAUGHS.replace("ENTITY", "entity").encode(),
    ],
)
def test_entity_declarations_are_found_however_they_are_hidden(body):
    assert declares_entities(body)


def test_plain_sitemaps_and_feeds_declare_no_entities():
    sitemap = (
        '<?xml version="1.0" encoding="UTF-8"?><urlset><url><loc>https://digiato.com/a</loc></url></urlset>'
    )
    assert not declares_entities(sitemap.encode())
    assert not declares_entities(sitemap.encode("utf-16"))
    assert not declares_entities("<rss><channel><title>اخبار &amp; فناوری</title></channel></rss>".encode())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_the_entity_check_never_raises(body):
    assert declares_entities(body) in (True, False)


# --- rel=canonical ------------------------------------------------------------------

OWN = "https://digiato.com/mobile/galaxy-s24"
PROMOTED = "https://digiato.com/promoted/buy-now"


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "a.db") as opened:
        yield opened


def test_a_page_naming_another_articles_url_never_overwrites_it(archive):
    assert archive.save_article(article(fetched_url=OWN)) == "new"
    copy = article(
        url=OWN, fetched_url=PROMOTED, aliases=[PROMOTED], title="تبلیغ: بخرید", body="متن تبلیغی."
    )
    outcome, rejected = archive.store_article(copy)
    assert (outcome, rejected) == ("new", OWN)
    original = archive.find_article(OWN)
    assert original["title"] == article()["title"] and original["url"] == OWN
    assert archive.db["article_versions"].count == 0
    promoted = archive.find_article(PROMOTED)
    assert promoted["id"] != original["id"] and promoted["title"] == "تبلیغ: بخرید"
    assert "rel=canonical names" in promoted["notes"]
    # Every later run: the same answer, no new version, no flip.
    for _ in range(3):
        assert archive.store_article(copy) == ("unchanged", OWN)
        assert archive.store_article(article(fetched_url=OWN)) == ("unchanged", None)
    assert archive.db["article_versions"].count == 0 and archive.count() == 2


def test_a_canonical_claim_with_the_same_content_is_an_alias(archive):
    archive.save_article(article(fetched_url=OWN))
    amp = "https://digiato.com/mobile/galaxy-s24/amp"
    assert archive.store_article(article(fetched_url=amp, aliases=[amp])) == ("unchanged", None)
    assert archive.find_article(amp)["url"] == OWN and archive.count() == 1


def test_a_claim_stored_first_is_detached_once_the_article_is_fetched_at_its_own_url(archive):
    copy = article(url=OWN, fetched_url=PROMOTED, aliases=[PROMOTED], title="تبلیغ", body="متن تبلیغی.")
    assert archive.store_article(copy) == ("new", None)  # nothing to protect yet
    assert archive.store_article(article(fetched_url=OWN)) == ("updated", None)
    assert archive.store_article(copy) == ("new", OWN)  # now refused, and detached
    assert archive.find_article(OWN)["title"] == article()["title"]
    assert archive.find_article(PROMOTED)["title"] == "تبلیغ"
    assert archive.store_article(copy) == ("unchanged", OWN)
    assert archive.store_article(article(fetched_url=OWN)) == ("unchanged", None)


# --- the archive's health before and during a crawl -----------------------------------


def damaged_copy(tmp_path) -> str:
    """A real archive with a few hundred articles, pages in its middle overwritten."""
    path = tmp_path / "damaged.db"
    with Archive(path) as archive:
        for number in range(300):
            archive.save_article(article(url=f"{OWN}-{number}", body=f"متن {number} " + "کلمه‌ها " * 700))
        archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = archive.db.execute("PRAGMA page_size").fetchone()[0]
    size = os.path.getsize(path)
    with open(path, "r+b") as file:
        for page in range(size // page_size // 2, size // page_size // 2 + 6):
            file.seek(page * page_size)
            file.write(b"\xde\xad\xbe\xef" * (page_size // 4))
    return str(path)


@pytest.mark.slow
def test_a_damaged_archive_stops_a_crawl_before_it_starts(tmp_path):
    path = damaged_copy(tmp_path)
    with pytest.raises(ArchiveDamaged, match=r"damaged.*quick_check") as raised:
        check_archive(path)
    assert archive_exit_code(raised.value) == EXIT_FAILED
    assert damaged_archive(path, sqlite3.DatabaseError("database disk image is malformed")) is not None
    assert damaged_archive(path, sqlite3.OperationalError("database is locked")) is None


def test_a_reindex_in_progress_is_named_and_has_its_own_exit_code(tmp_path):
    path = tmp_path / "a.db"
    with Archive(path):
        pass
    with (
        RunLock(path, MAINTENANCE),
        pytest.raises(ArchiveBusy, match=r"newsarchive reindex.*pid \d+") as raised,
    ):
        check_archive(path)
    assert archive_exit_code(raised.value) == EXIT_BUSY == 5
    check_archive(path)  # free again


def test_sqlite_errors_become_messages_a_person_can_act_on(tmp_path):
    busy = sqlite3.OperationalError("database is locked")
    busy.sqlite_errorname = "SQLITE_BUSY"
    assert isinstance(storage_error(tmp_path / "a.db", busy), ArchiveBusy)
    corrupt = sqlite3.DatabaseError("database disk image is malformed")
    corrupt.sqlite_errorname = "SQLITE_CORRUPT"
    assert isinstance(storage_error(tmp_path / "a.db", corrupt), ArchiveDamaged)


def test_discovery_limits_and_unsafe_urls_degrade_a_run():
    summary = {"requests": 40, "articles_new": 10, "dropped": {"sitemap-limit": 3, "unsafe-url": 2}}
    checks = {found["check"] for found in check_health("digiato", summary, {})}
    assert {"discovery-limit", "unsafe-urls"} <= checks
    assert not check_health(
        "digiato", {"requests": 40, "articles_new": 10, "dropped": {"offsite-url": 1}}, {}
    )


def test_a_crawl_started_during_a_reindex_is_told_so_at_once(tmp_path, monkeypatch):
    """`newsarchive reindex` holds the maintenance lock while it rebuilds; a crawl's
    preflight names it (exit 5) instead of waiting 30 s and blaming the disk."""
    import threading

    from newsarchive import cli

    path = tmp_path / "a.db"
    with Archive(path) as archive:
        archive.save_article(article())
    inside, release = threading.Event(), threading.Event()
    real_reindex = Archive.reindex

    def slow_reindex(self, **kwargs):
        inside.set()
        release.wait(10)
        return real_reindex(self, **kwargs)

    monkeypatch.setattr(Archive, "reindex", slow_reindex)
    codes = []
    worker = threading.Thread(target=lambda: codes.append(cli.main(["reindex", "--db", str(path), "--json"])))
    worker.start()
    try:
        assert inside.wait(10)
        started = __import__("time").monotonic()
        assert cli.main(["crawl", "digiato", "--db", str(path)]) == EXIT_BUSY
        assert __import__("time").monotonic() - started < 5
    finally:
        release.set()
        worker.join(30)
    assert codes == [0]


@pytest.mark.slow
def test_a_storage_error_met_mid_crawl_stops_the_run_and_it_is_never_finished(tmp_path):
    """A callback (the spider's fetch decisions) that meets a damaged archive: the crawl stops,
    the run is judged failed with the damage named, and the exit code is 1."""
    from scrapy.utils.test import get_crawler
    from twisted.python.failure import Failure

    from newsarchive.extensions import ARCHIVE_ERROR, CrawlRun, run_summary
    from newsarchive.health import EXIT_CODE
    from newsarchive.spiders.sites import SPIDERS

    path = damaged_copy(tmp_path)
    crawler = get_crawler(SPIDERS["digiato"], {"NEWSARCHIVE_DB": path})
    extension = CrawlRun(crawler)
    extension.thresholds = None
    try:
        raise sqlite3.DatabaseError("database disk image is malformed")
    except sqlite3.DatabaseError:
        extension.callback_failed(Failure())
    stats = crawler.stats.get_stats()
    assert "is damaged" in stats[ARCHIVE_ERROR] and stats[EXIT_CODE] == EXIT_FAILED
    status, problems = extension._judge("digiato", "finished", run_summary(stats))
    assert status == "failed" and "damaged" in problems[0]["message"]
    try:
        raise ValueError("a bug, not the archive")
    except ValueError:
        CrawlRun(get_crawler(SPIDERS["digiato"], {"NEWSARCHIVE_DB": path})).callback_failed(Failure())


def test_a_run_holds_room_for_its_own_record_and_gives_it_back(tmp_path):
    from newsarchive.runlock import SpaceReserve

    reserve = SpaceReserve(tmp_path / "a.db", "digiato")
    reserve.hold()
    assert 0 < reserve.path.stat().st_blocks * 512 <= SpaceReserve.MAX_BYTES + 4096
    reserve.release()
    assert not reserve.path.exists()
    reserve.release()  # twice is fine (a killed run's reserve is replaced by the next run's)


# --- nothing listens -------------------------------------------------------------


def test_a_crawl_loads_no_extension_that_listens_on_a_port():
    """Scrapy's telnet console and remote control (an HTTP server that runs code it is sent)
    are not merely disabled: their modules are never imported (the remote control would
    bring aiohttp into every crawl), and a crawler's extensions are the rest of Scrapy's."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from scrapy.crawler import Crawler\n"
        "from newsarchive.crawl import project_settings\n"
        "from newsarchive.spiderloader import SiteSpiderLoader\n"
        "settings = project_settings({'TWISTED_REACTOR_ENABLED': False, 'TWISTED_REACTOR': None})\n"
        "crawler = Crawler(SiteSpiderLoader.from_settings(settings).load('digiato'), settings)\n"
        "crawler._apply_settings()\n"
        "names = sorted(type(e).__name__ for e in crawler.extensions.middlewares)\n"
        "loaded = [m for m in ('aiohttp', 'scrapy.extensions.remote_control', 'scrapy.extensions.telnet') "
        "if m in sys.modules]\n"
        "print(names, loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    names, loaded = done.stdout.strip().rsplit("] ", 1)
    assert loaded == "[]"
    assert "'CoreStats'" in names and "'CrawlRun'" in names and "'CloseSpider'" in names
    assert "RemoteControl" not in names and "TelnetConsole" not in names
