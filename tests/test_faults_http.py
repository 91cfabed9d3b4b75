"""The hostile web, end to end: real ``scrapy crawl`` runs against tests/faultserver.py.

Three crawls: one with a fault on many pages (transient faults that must end in a
stored article, permanent ones that must end in a named drop), one with hostile
XML (billion laughs, XXE, a sitemap that is not XML), and one where the site
answers every request with a challenge. After each: the run finished, the archive
is sound, and the run's counts name what happened. tests/FAULTS.md lists them.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import load_expected, scrapy_crawl
from faultserver import (
    ARVAN_CHALLENGE,
    CLOUDFLARE_CHALLENGE,
    MIRROR,
    MIRROR_ROOT,
    SOFT_404,
    Fault,
    FaultServer,
    article_variant,
    as_windows_1256,
    deeply_nested,
    gzip_bomb,
    hang,
    oversize,
    page,
    redirect,
    reset,
    reset_mid_body,
    status,
    truncated,
    with_invalid_utf8,
    without_dates,
)

from newsarchive.sites import SITES

pytestmark = pytest.mark.slow  # every test runs a real crawl or reads the result of one

SITE = "https://digiato.com"
ROBOTS = (MIRROR_ROOT / "digiato.com" / "robots.txt").read_text("utf-8")
#: Tight limits so that the faults play out in seconds.
FAST = (
    "-s",
    # 2 s, not 1: on a loaded machine a connection can wait over a second to be accepted, and
    # an attempt that times out before the server sees it made the server's count one short.
    "DOWNLOAD_TIMEOUT=2",
    "-s",
    "RETRY_TIMES=2",
    "-s",
    "NEWSARCHIVE_RETRY_BACKOFF_BASE=0.3",
    "-s",
    "DOWNLOAD_MAXSIZE=2000000",
    "-s",
    "DOWNLOAD_WARNSIZE=1000000",
    "-s",
    "NEWSARCHIVE_WARC=0",
)

# Real mirror articles whose first answers fail: each must still be stored.
RETRY_AFTER_503 = "/article/2022/08/04/intel-13th-gen-processors"
RETRY_AFTER_429 = "/article/2022/08/14/car-import-is-possible-by-cryptocurrencies"
BACKOFF_5XX = "/article/2022/08/15/suggested-price-dignity-and-fidelity-in-commodity-exchange-mordad"
TIMEOUT_ONCE = "/article/2022/08/17/nissan-magniaght"
RESET_ONCE = "/article/2022/08/24/apple-announces-september-7-iphone-14-event"
TRUNCATED_ONCE = "/article/2022/08/24/feature-whatsapp-communities"


def fault_url(name: str) -> str:
    return f"{SITE}/mobile/fault-{name}"


def fault_pages() -> dict[str, Fault]:
    """Pages that never turn into an article (drop reason), or that do despite their bytes."""
    utf8_declared = "text/html; charset=utf-8"
    return {
        "500-forever": Fault(status(500)),
        "timeout-forever": Fault(hang(3)),
        "reset-forever": Fault(reset_mid_body(article_variant(fault_url("reset-forever")).encode())),
        "reset-no-answer": Fault(reset()),
        "truncated-forever": Fault(truncated(article_variant(fault_url("truncated-forever")).encode())),
        "404": Fault(status(404)),
        "oversize": Fault(oversize(8)),
        "gzip-bomb": Fault(gzip_bomb(64)),
        "redirect-loop": Fault(redirect(fault_url("redirect-loop") + "-b")),
        "redirect-loop-b": Fault(redirect(fault_url("redirect-loop"))),
        "offsite": Fault(redirect("https://evil.example.net/mobile/some-article")),
        "challenge-200": Fault(page(CLOUDFLARE_CHALLENGE, headers={"Server": "cloudflare"})),
        "challenge-403": Fault(page(ARVAN_CHALLENGE, status=403, headers={"Server": "ArvanCloud"})),
        "challenge-503": Fault(
            page(
                CLOUDFLARE_CHALLENGE,
                status=503,
                headers={"Server": "cloudflare", "cf-mitigated": "challenge"},
            )
        ),
        "soft-404": Fault(page(SOFT_404)),
        "empty": Fault(page(b"")),
        "no-date": Fault(page(article_variant(fault_url("no-date"), without_dates).encode())),
        "nested": Fault(page(article_variant(fault_url("nested"), deeply_nested()).encode())),
        "windows-1256": Fault(
            page(as_windows_1256(article_variant(fault_url("windows-1256"))), utf8_declared)
        ),
        "latin1-header": Fault(
            page(
                as_windows_1256(article_variant(fault_url("latin1-header"))), "text/html; charset=iso-8859-1"
            )
        ),
        "invalid-utf8": Fault(page(with_invalid_utf8(article_variant(fault_url("invalid-utf8"))))),
    }


def sitemap(urls: list[str]) -> bytes:
    entries = "".join(f"<url><loc>{url}</loc></url>" for url in urls)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'.encode()


def robots_with(*sitemaps: str) -> Fault:
    lines = "".join(f"Sitemap: {SITE}/{name}\n" for name in sitemaps)
    return Fault(page((ROBOTS + "\n" + lines).encode(), "text/plain; charset=utf-8"))


def run_row(db) -> dict:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        row = dict(conn.execute("select * from crawl_runs order by id desc limit 1").fetchone())
    row["dropped"] = json.loads(row["dropped"] or "{}")
    row["stats"] = json.loads(row["stats"] or "{}")
    return row


def articles(db) -> dict[str, dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return {row["url"]: dict(row) for row in conn.execute("select * from articles")}


def assert_sound(db) -> None:
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert (
            conn.execute(
                "select count(*) from articles where title is null or body is null or published_at is null"
            ).fetchone()[0]
            == 0
        )
        assert (
            conn.execute("select count(*) from articles").fetchone()[0]
            == conn.execute("select count(*) from articles_fts").fetchone()[0]
        )


@pytest.fixture(scope="module")
def page_faults(tmp_path_factory):
    """One crawl of the mirror with every page fault switched on; (db, server, crawl result)."""
    pages = fault_pages()
    faults = {f"/mobile/fault-{name}": fault for name, fault in pages.items()}
    faults |= {
        RETRY_AFTER_503: Fault(status(503, {"Retry-After": "1"}), MIRROR),
        RETRY_AFTER_429: Fault(status(429, {"Retry-After": "1"}), MIRROR),
        BACKOFF_5XX: Fault(status(500), status(502), MIRROR),
        TIMEOUT_ONCE: Fault(hang(3), MIRROR),
        RESET_ONCE: Fault(reset_mid_body(), MIRROR),
        TRUNCATED_ONCE: Fault(truncated(), MIRROR),
        "/robots.txt": robots_with("sitemap_index.xml", "fault-sitemap.xml"),
        "/fault-sitemap.xml": Fault(
            page(sitemap([fault_url(name) for name in pages if not name.endswith("-b")]), "application/xml")
        ),
    }
    db = tmp_path_factory.mktemp("faults") / "archive.db"
    with FaultServer(faults) as server:
        result = scrapy_crawl("digiato", db, server.url, *FAST, check=False)
    (db.parent / "crawl.log").write_text(result.stderr)  # for a failing test's reader
    return db, server, result


def test_the_faulty_crawl_finishes_with_a_sound_archive(page_faults):
    db, _, result = page_faults
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "'finish_reason': 'finished'" in result.stderr
    assert_sound(db)


def test_a_few_blocked_pages_among_many_articles_still_make_the_run_degraded(page_faults):
    db, _, result = page_faults
    row = run_row(db)
    assert row["status"] == "degraded"
    assert [problem["check"] for problem in json.loads(row["problems"])] == ["blocked"]
    assert result.returncode == 3


def test_every_mirror_article_is_stored_despite_transient_faults(page_faults):
    db, _, _ = page_faults
    stored = articles(db)
    expected = {SITES["digiato"].canonical(article["url"]) for article in load_expected("digiato.json")}
    assert expected <= set(stored)
    for path in (RETRY_AFTER_503, RETRY_AFTER_429, BACKOFF_5XX, TIMEOUT_ONCE, RESET_ONCE, TRUNCATED_ONCE):
        assert stored[SITE + path]["body"], path


@pytest.mark.parametrize(
    "reason, count",
    [
        ("blocked", 3),
        ("soft-404", 1),
        ("empty", 1),
        ("oversize", 2),
        ("redirect-loop", 1),
        ("offsite-redirect", 1),
        ("server-error", 1),
        ("timeout", 1),
        ("connection-lost", 1),
        ("data-loss", 2),
        ("no-date", 1),  # a reset mid-body is a body cut short: data-loss
    ],
)
def test_each_permanent_fault_is_counted_under_its_reason(page_faults, reason, count):
    db, _, _ = page_faults
    assert run_row(db)["dropped"].get(reason) == count


def test_no_fault_page_is_stored_as_an_article(page_faults):
    db, _, _ = page_faults
    stored = {url.removeprefix(f"{SITE}/mobile/fault-") for url in articles(db) if "/fault-" in url}
    assert stored == {"nested", "windows-1256", "latin1-header", "invalid-utf8"}


def test_retry_after_is_honoured(page_faults):
    _, server, _ = page_faults
    for path in (RETRY_AFTER_503, RETRY_AFTER_429):
        first, second, *rest = server.times(path)
        assert not rest, f"{path} fetched more than twice"
        assert second - first >= 1.0, f"{path} retried after {second - first:.2f}s despite Retry-After: 1"


def test_retries_back_off_exponentially(page_faults):
    _, server, _ = page_faults
    first, second, third = server.times(BACKOFF_5XX)
    # base 0.3 s, doubling, jittered by at most 25%
    assert second - first >= 0.3 * 0.75
    assert third - second >= 0.6 * 0.75


def test_permanent_errors_are_not_retried_and_transient_ones_are_retried_a_bounded_number_of_times(
    page_faults,
):
    _, server, _ = page_faults
    assert len(server.times("/mobile/fault-404")) == 1
    assert len(server.times("/mobile/fault-challenge-503")) == 1  # a challenge is not retried
    assert len(server.times("/mobile/fault-challenge-403")) == 1
    assert len(server.times("/mobile/fault-500-forever")) == 3  # RETRY_TIMES=2
    assert len(server.times("/mobile/fault-timeout-forever")) == 3


def test_a_page_with_a_lying_charset_header_is_read_in_its_real_charset(page_faults):
    db, _, _ = page_faults
    stored = articles(db)
    original = stored[SITE + "/mobile/ios-17-2-released-with-journal-app"]
    for name in ("windows-1256", "latin1-header"):
        article = stored[fault_url(name)]
        assert article["title"] == original["title"]
        assert article["body"] == original["body"]
        assert "\u200c" in article["body"]
        assert any("charset" in note for note in json.loads(article["notes"]))


def test_invalid_bytes_in_a_declared_charset_are_recorded_not_hidden(page_faults):
    db, _, _ = page_faults
    article = articles(db)[fault_url("invalid-utf8")]
    notes = json.loads(article["notes"])
    assert any("invalid in the declared utf-8" in note for note in notes), notes
    assert run_row(db)["stats"].get("newsarchive/charset/invalid") == 1


def test_fifty_thousand_nested_tags_do_not_stop_extraction(page_faults):
    db, _, _ = page_faults
    stored = articles(db)
    nested = stored[fault_url("nested")]
    original = stored[SITE + "/mobile/ios-17-2-released-with-journal-app"]
    assert nested["title"] == original["title"]
    assert nested["body"] == original["body"]


def test_a_redirect_off_the_site_is_never_followed(page_faults):
    db, server, _result = page_faults
    assert not any("evil.example.net" in url for url in articles(db))
    assert "/mobile/some-article" not in {path for _, path in server.httpd.requests}


def test_an_unreadable_date_is_a_named_drop_not_a_guess(page_faults):
    db, _, result = page_faults
    assert fault_url("no-date") not in articles(db)
    assert "no-date" in result.stderr


# --- hostile XML ------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://digiato.com/mobile/&lol9;</loc></url></urlset>
"""


def xxe_feed(secret_url: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE rss [
  <!ENTITY remote SYSTEM "{secret_url}">
  <!ENTITY local SYSTEM "file:///etc/passwd">
]>
<rss version="2.0"><channel><title>دیجیاتو</title>
<item><title>&local;</title><link>https://digiato.com/mobile/xxe-&remote;</link>
<description>&local;</description><pubDate>Tue, 12 Dec 2023 06:00:00 +0000</pubDate></item>
</channel></rss>""".encode()


@pytest.fixture(scope="module")
def xml_faults(tmp_path_factory):
    faults = {
        "/robots.txt": robots_with("sitemap_index.xml", "bomb-sitemap.xml", "garbage-sitemap.xml"),
        "/bomb-sitemap.xml": Fault(page(BILLION_LAUGHS, "application/xml")),
        "/garbage-sitemap.xml": Fault(page(b"\x89PNG\r\n\x1a\n not xml at all \x00\x01", "application/xml")),
    }
    db = tmp_path_factory.mktemp("xml") / "archive.db"
    with FaultServer(faults) as server:
        faults["/feed"] = Fault(
            page(xxe_feed(server.url + "/xxe-secret"), "application/rss+xml; charset=utf-8")
        )
        result = scrapy_crawl("digiato", db, server.url, *FAST, check=False)
    return db, server, result


def test_no_xml_entity_is_expanded_or_fetched(xml_faults):
    db, server, result = xml_faults
    assert "'finish_reason': 'finished'" in result.stderr
    paths = {path for _, path in server.httpd.requests}
    assert "/xxe-secret" not in paths
    assert not any("lol" in path or "xxe" in path for path in paths)
    dropped = run_row(db)["dropped"]
    assert dropped.get("xml-entities") == 2  # the bomb sitemap and the XXE feed
    assert dropped.get("bad-sitemap") == 1
    with sqlite3.connect(db) as conn:
        assert (
            conn.execute(
                "select count(*) from articles where body like '%root:%' or title like '%lol%'"
            ).fetchone()[0]
            == 0
        )


def test_hostile_xml_does_not_stop_the_rest_of_the_crawl(xml_faults):
    db, _, _ = xml_faults
    assert_sound(db)
    sitemap_articles = {
        article["url"]
        for article in load_expected("digiato.json")
        if "sitemap" in article.get("discovered_via", "sitemap")
    }
    assert len(articles(db)) >= len(sitemap_articles) - 1


# --- a site that blocks everything ------------------------------------------------


@pytest.fixture(scope="module")
def blocked_everywhere(tmp_path_factory):
    challenge = Fault(
        page(CLOUDFLARE_CHALLENGE, status=403, headers={"Server": "cloudflare", "cf-mitigated": "challenge"})
    )
    db = tmp_path_factory.mktemp("blocked") / "archive.db"
    with FaultServer({"*": challenge}) as server:
        result = scrapy_crawl("digiato", db, server.url, *FAST, check=False)
    return db, server, result


def test_a_site_that_blocks_every_request_is_reported_loudly(blocked_everywhere):
    db, _server, result = blocked_everywhere
    row = run_row(db)
    assert row["dropped"].get("blocked", 0) >= 3  # robots.txt, the feed, the listing
    assert articles(db) == {}
    assert row["status"] == "degraded"
    assert "blocked 7 of 7 requests" in row["problems"]
    assert result.returncode == 3  # degraded: cron mail or a failed systemd unit shows it
    assert any("ERROR" in line and "blocked" in line for line in result.stderr.splitlines())
    assert_sound(db)
