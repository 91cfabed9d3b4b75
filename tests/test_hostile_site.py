"""A hostile site, end to end: real ``scrapy crawl`` runs against tests/faultserver.py.

The site's robots.txt and sitemaps name cloud-metadata, loopback, private and
``file:`` URLs, another site, an endless chain of sitemap indexes and a sitemap
index too wide to read; one page redirects to the metadata address, a
``/promoted/``-style page claims a real article's URL as canonical, and real
articles carry what naive checks take for a challenge or a 404. After the crawl:
no request left the site's hosts (the replay server sees the host of every
request), nothing from such hosts is stored or recorded in WARC files, the run
ended within its limits, no real article was lost, and the exit code and the
``newsarchive runs`` line say what happened. SECURITY.md describes the rules.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import ROOT, load_expected, scrapy_crawl
from faultserver import (
    BASE_URL,
    Fault,
    FaultHandler,
    FaultServer,
    article_variant,
    page,
    redirect,
    status,
)
from test_faults_http import FAST, ROBOTS, SITE, articles, assert_sound, fault_url, run_row, sitemap
from warcio.archiveiterator import ArchiveIterator

from newsarchive.sites import SITES

pytestmark = pytest.mark.slow  # every test runs a real crawl or reads the result of one

SITE_HOSTS = {"digiato.com", "www.digiato.com"}
CANARY = "canary-8f3a1c: this is not the site"
ORIGINAL_TITLE = next(
    e["title"]
    for e in load_expected("digiato.json")
    if e["url"].endswith("ios-17-2-released-with-journal-app")
)

#: URLs outside the site that a hostile sitemap index names; none may be fetched.
HOSTILE_SITEMAPS = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/token",
    "http://127.0.0.1:2375/containers/json",
    "http://10.0.0.5/sitemap.xml",
    "http://[::1]/sitemap.xml",
    "http://2130706433/sitemap.xml",
    "file:///etc/hostname",
    "ftp://digiato.com/sitemap.xml",
    "https://evil.example/sitemap.xml",
]


def sitemap_index(urls: list[str]) -> bytes:
    entries = "".join(f"<sitemap><loc>{url}</loc></sitemap>" for url in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{entries}</sitemapindex>"
    ).encode()


def endless_index(delay: float = 0.0):
    """A sitemap index that names the next one, ``?n=N+1``, for ever (after ``delay`` seconds)."""

    def act(handler: FaultHandler) -> None:
        number = int(parse_qs(urlsplit(handler.path).query).get("n", ["0"])[0])
        time.sleep(delay)
        handler.send_raw(
            200,
            {"Content-Type": "application/xml"},
            sitemap_index([f"{SITE}/endless-index.xml?n={number + 1}"]),
        )

    return act


def promoted_copy(html: str) -> str:
    """Another article (a paid post) whose rel=canonical, og:url and JSON-LD name BASE_URL."""
    html = html.replace(ORIGINAL_TITLE, "فروش ویژه: آیفون ۱۵ را امروز قسطی بخرید")
    return re.sub(
        r"(<div class=\"articlePost\"[^>]*>)",
        r"\1<p>این یک رپورتاژ آگهی است و متن آن با خبر اصلی فرق دارد.</p>",
        html,
        count=1,
    )


def with_cloudflare_jsd(html: str) -> str:
    """A healthy Cloudflare site's article: the bot-detection script in its head."""
    return html.replace(
        "</head>", '<script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js" defer></script></head>', 1
    )


def quoting_the_interstitial(html: str) -> str:
    return re.sub(
        r"(<div class=\"articlePost\"[^>]*>)",
        r"\1<p>کاربران هنگام ورود به برخی سایت‌ها پیام "
        r"«Checking your browser before accessing» را می‌بینند و باید چند ثانیه صبر کنند.</p>",
        html,
        count=1,
    )


def error404_in_a_comment(html: str) -> str:
    return html.replace("<body", '<!-- <body class="error404"> old theme -->\n<body', 1)


def deeply_nested_header(html: str) -> str:
    nest = "<div>" * 100_000 + "</div>" * 100_000
    return (
        html.replace("<body", "<body", 1).replace(">", ">" + nest, 1)
        if "<header" not in html
        else html.replace("<header", nest + "<header", 1)
    )


REAL_FAULT_ARTICLES = {
    "cloudflare-jsd": with_cloudflare_jsd,
    "quotes-interstitial": quoting_the_interstitial,
    "error404-in-comment": error404_in_a_comment,
    "nested-100k": deeply_nested_header,
}
LONG_URL = f"{SITE}/mobile/{'a' * 66_000}"


class HostLoggingHandler(FaultHandler):
    """Records the host every request was meant for (the replay header), before answering."""

    def _respond(self, send_body: bool) -> None:
        self.server.hosts.append((self.headers.get("X-Replay-Host") or self.headers.get("Host"), self.path))
        super()._respond(send_body)


def hostile_server(faults: dict[str, Fault]) -> FaultServer:
    server = FaultServer(faults)
    server.httpd.RequestHandlerClass = HostLoggingHandler
    server.httpd.hosts = []
    return server


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """One crawl of the mirror served by a hostile site; (db, server, crawl result, seconds)."""
    extra = [fault_url(name) for name in REAL_FAULT_ARTICLES] + [
        fault_url("promoted-copy"),
        fault_url("to-metadata"),
        LONG_URL,
    ]
    faults = {
        "/robots.txt": Fault(
            page(
                (
                    ROBOTS + "\nSitemap: https://digiato.com/hostile-index.xml\n"
                    "Sitemap: https://digiato.com/extra-sitemap.xml\n"
                ).encode(),
                "text/plain",
            )
        ),
        "/hostile-index.xml": Fault(
            page(sitemap_index([*HOSTILE_SITEMAPS, f"{SITE}/endless-index.xml?n=1"]), "application/xml")
        ),
        "/endless-index.xml": Fault(endless_index()),
        "/extra-sitemap.xml": Fault(page(sitemap(extra), "application/xml")),
        "/feed": Fault(status(500)),  # a failing feed: counted, no TypeError from its errback
        # Answered after a 503 with Retry-After: 2, so the real article it claims is stored first
        # (the other order is tested in tests/test_security.py).
        "/mobile/fault-promoted-copy": Fault(
            status(503, {"Retry-After": "2"}), page(article_variant(BASE_URL, promoted_copy).encode())
        ),
        "/mobile/fault-to-metadata": Fault(redirect("http://169.254.169.254/latest/meta-data/")),
        **{
            f"/mobile/fault-{name}": Fault(page(article_variant(fault_url(name), transform).encode()))
            for name, transform in REAL_FAULT_ARTICLES.items()
        },
    }
    db = tmp_path_factory.mktemp("hostile") / "archive.db"
    server = hostile_server(faults)
    with server:
        started = time.monotonic()
        result = scrapy_crawl("digiato", db, server.url, *FAST, "-s", "NEWSARCHIVE_WARC=1", check=False)
        seconds = time.monotonic() - started
    (db.parent / "crawl.log").write_text(result.stderr)
    return db, server, result, seconds


def test_no_request_leaves_the_sites_hosts(hostile):
    _, server, result, _ = hostile
    hosts = {host for host, _ in server.httpd.hosts}
    assert hosts <= SITE_HOSTS, hosts
    paths = [path for _, path in server.httpd.hosts]
    assert not any("meta-data" in path or "containers" in path or "etc/hostname" in path for path in paths)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "No adapter found" not in result.stderr


def test_every_refused_url_is_counted_under_its_reason(hostile):
    db, *_ = hostile
    dropped = run_row(db)["dropped"]
    # Seven unsafe sitemaps, and the redirect to the metadata address.
    assert dropped.get("unsafe-url") == 8, dropped
    assert dropped.get("offsite-url") == 1, dropped  # evil.example
    assert dropped.get("url-too-long") == 1, dropped
    assert dropped.get("sitemap-depth") == 1, dropped  # the endless chain, at depth 4


def test_nothing_from_other_hosts_is_stored_or_recorded(hostile):
    db, *_ = hostile
    with sqlite3.connect(db) as conn:
        captured = [row[0] for row in conn.execute("select url from captures")]
        stored = [row[0] for row in conn.execute("select url from articles")]
    assert captured and stored
    for url in captured + stored:
        assert urlsplit(url).hostname in SITE_HOSTS, url
    recorded = []
    for path in (db.parent / "warc").rglob("*.warc.gz"):
        with path.open("rb") as stream:
            recorded += [
                record.rec_headers.get_header("WARC-Target-URI")
                for record in ArchiveIterator(stream)
                if record.rec_type in ("request", "response", "revisit")
            ]
    assert len(recorded) >= 40
    assert {urlsplit(url).hostname for url in recorded} <= SITE_HOSTS


def test_the_run_ends_within_its_limits_and_says_what_happened(hostile):
    db, server, result, seconds = hostile
    endless = [path for _, path in server.httpd.hosts if path.startswith("/endless-index.xml")]
    assert 1 <= len(endless) <= 4  # depth 3 below robots.txt's sitemaps
    assert seconds < 120
    row = run_row(db)
    assert row["status"] == "degraded"
    assert result.returncode == 3
    checks = {problem["check"] for problem in __import__("json").loads(row["problems"])}
    assert {"discovery-limit", "unsafe-urls"} <= checks
    runs = subprocess.run(
        [sys.executable, "-m", "newsarchive", "runs", "--db", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert runs.returncode == 0
    assert "degraded" in runs.stdout and "unsafe-url 8" in runs.stdout and "sitemap-depth 1" in runs.stdout
    assert "discovery stopped at its limits" in runs.stdout


def test_no_real_article_is_lost(hostile):
    db, *_ = hostile
    stored = articles(db)
    # Every mirror article but the one only the (failing) feed lists.
    expected = {
        SITES["digiato"].canonical(e["url"])
        for e in load_expected("digiato.json")
        if e["discovered_via"] != ["feed"]
    }
    assert len(expected) == 17 and expected <= set(stored)
    for name in REAL_FAULT_ARTICLES:
        row = stored.get(fault_url(name))
        assert row is not None, f"{name} was not stored"
        assert "اپل شامگاه دوشنبه نسخه نهایی iOS 17.2" in row["body"]
    assert_sound(db)


def test_a_page_claiming_another_articles_url_does_not_overwrite_it(hostile):
    db, *_ = hostile
    stored = articles(db)
    assert stored[BASE_URL]["title"] == ORIGINAL_TITLE
    assert "رپورتاژ" not in stored[BASE_URL]["body"]
    promoted = stored[fault_url("promoted-copy")]
    assert promoted["title"].startswith("فروش ویژه") and "rel=canonical names" in promoted["notes"]
    assert run_row(db)["dropped"].get("canonical-conflict") == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from article_versions").fetchone()[0] == 0


def test_a_run_that_reaches_its_time_limit_stops_and_says_so(tmp_path):
    faults = {
        "/robots.txt": Fault(
            page((ROBOTS + f"\nSitemap: {SITE}/endless-index.xml?n=1\n").encode(), "text/plain")
        ),
        "/endless-index.xml": Fault(endless_index(delay=0.4)),
    }
    db = tmp_path / "archive.db"
    server = hostile_server(faults)
    with server:
        started = time.monotonic()
        result = scrapy_crawl(
            "digiato",
            db,
            server.url,
            *FAST,
            "-s",
            "CLOSESPIDER_TIMEOUT=3",
            "-s",
            "NEWSARCHIVE_MAX_SITEMAP_DEPTH=100000",
            "-s",
            "NEWSARCHIVE_MAX_SITEMAPS=100000",
            check=False,
        )
        seconds = time.monotonic() - started
    assert seconds < 60
    row = run_row(db)
    assert row["status"] == "failed" and "time limit" in row["problems"]
    assert result.returncode == 1
    assert "Traceback" not in result.stderr


def test_a_sitemap_index_too_wide_to_read_stops_at_the_limit(tmp_path):
    faults = {
        "/robots.txt": Fault(page(f"User-agent: *\nSitemap: {SITE}/wide-index.xml\n".encode(), "text/plain")),
        "/wide-index.xml": Fault(
            page(sitemap_index([f"{SITE}/wide/{n}.xml" for n in range(60)]), "application/xml")
        ),
        **{f"/wide/{n}.xml": Fault(page(sitemap([]), "application/xml")) for n in range(60)},
    }
    db = tmp_path / "archive.db"
    server = hostile_server(faults)
    with server:
        result = scrapy_crawl(
            "digiato", db, server.url, *FAST, "-s", "NEWSARCHIVE_MAX_SITEMAPS=20", check=False
        )
    read = [path for _, path in server.httpd.hosts if path.startswith("/wide/")]
    assert len(read) == 19  # the index itself is the 20th
    row = run_row(db)
    assert row["dropped"].get("sitemap-limit") == 41
    assert "discovery stopped at its limits (sitemap-limit 41)" in row["problems"]
    assert result.returncode == 3
