"""Errors, item validation and SMTPS in crawl health and alerts (#24).

The errors rule (ERROR lines, spider exceptions, requests failed after their retries) and
the item validation rule (Spidermon's ``ItemValidationPipeline`` with the article's JSON
schema) are judged in :mod:`newsarchive.health` like the others; the finish reason is the
run extension's. Real ``scrapy crawl`` runs of the Digiato mirror: a spider that raises on
one page, articles whose image is a lazy-loading placeholder, a run stopped early. Email
alerts also go over TLS from the first byte (SMTPS) to a loopback stand-in whose
self-signed certificate the test makes and trusts through ``SSL_CERT_FILE``.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import ROOT, load_expected, scrapy_crawl
from faultserver import Fault, FaultServer, reset
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from test_health import run_stats
from test_monitors import (
    SMTP_PASSWORD,
    SmtpStandIn,
    StandIn,
    _SmtpHandler,
    mirror_copy,
    recorded_stats,
    run_suite,
)

from newsarchive.crawl import project_settings
from newsarchive.extensions import run_summary
from newsarchive.health import EXIT_DEGRADED, Thresholds, check_health
from newsarchive.items import ArticleItem
from newsarchive.monitors.alerts import alert_text
from newsarchive.monitors.mail import EmailChannel, email_channel, send_email
from newsarchive.monitors.validation import ArticleValidation
from newsarchive.replay import ReplayServer


def problems_of(stats: dict, **settings) -> list[dict]:
    thresholds = Thresholds.from_settings(Settings(settings)) if settings else None
    return check_health("digiato", run_summary(stats), stats, thresholds)


# --- the errors rule -----------------------------------------------------------------


def test_any_error_line_or_spider_exception_is_a_problem_with_its_numbers():
    assert problems_of(run_stats(20)) == []
    stats = {**run_stats(20), "log_count/ERROR": 3, "spider_exceptions/count": 2}
    stats |= {"spider_exceptions/ValueError": 1, "spider_exceptions/KeyError": 1}
    (found,) = problems_of(stats)
    assert found == {
        "check": "errors",
        "message": "digiato: 3 error(s) logged during the run (spider exceptions: ValueError 1, "
        "KeyError 1); at most 0 allowed (the crawl log has each one)",
        "errors": 3,
        "spider_exceptions": {"ValueError": 1, "KeyError": 1},
        "limit": 0,
    }
    assert problems_of(stats, NEWSARCHIVE_HEALTH_MAX_ERRORS=3) == []
    # With LOG_LEVEL=CRITICAL no ERROR line is counted, but the exceptions still are.
    quiet = {**run_stats(20), "spider_exceptions/count": 1, "spider_exceptions/ValueError": 1}
    assert [(p["check"], p["errors"]) for p in problems_of(quiet)] == [("errors", 1)]
    # Whatever the sample: a quiet hour whose only page raised is not a quiet day.
    tiny = {**run_stats(0, requests=3, fetch_new=0), "log_count/ERROR": 1}
    assert [p["check"] for p in problems_of(tiny)] == ["errors"]


def test_requests_failed_after_their_retries_are_judged_by_share_from_two_on():
    # One timeout in an hourly run is a network hiccup, not a site that is down.
    assert problems_of(run_stats(3, requests=4, timeout=1)) == []
    (found,) = problems_of(run_stats(1, requests=4, timeout=1, connection_lost=2))
    assert found == {
        "check": "failed-requests",
        "message": "digiato: 3 of 4 requests failed after their retries (timeout 1, connection-lost 2); "
        "at most 20% allowed",
        "failed": 3,
        "requests": 4,
        "share": 0.75,
        "reasons": {"timeout": 1, "connection-lost": 2},
        "limit": 0.2,
    }
    # Retries are not requests of their own: 68 made, 17 of them retries, 4 failed (the HTTP
    # fault crawl of tests/test_faults_http.py): 8% of 51, healthy.
    faults = {**run_stats(22, requests=68, timeout=1, data_loss=2, connection_lost=1), "retry/count": 17}
    assert problems_of(faults) == []
    assert [p["share"] for p in problems_of(faults, NEWSARCHIVE_HEALTH_MAX_FAILED_REQUESTS=0.05)] == [0.0784]
    # 500s are answers (the server-error drop), 404s deleted articles: neither is a failed download.
    assert problems_of(run_stats(5, requests=8, server_error=2, gone=1)) == []


def test_item_validation_errors_are_judged_when_validation_is_on():
    assert problems_of(run_stats(20)) == []  # validation off: no Spidermon stats, nothing judged
    stats = {
        **run_stats(20),
        "spidermon/validation/items": 20,
        "spidermon/validation/items/errors": 2,
        "spidermon/validation/fields/errors": 3,
        "spidermon/validation/fields/errors/regex_not_matched": 3,
        "spidermon/validation/fields/errors/regex_not_matched/image_url": 2,
        "spidermon/validation/fields/errors/regex_not_matched/published_at": 1,
    }
    (found,) = problems_of(stats)
    assert found == {
        "check": "item-validation",
        "message": "digiato: 2 of 20 items failed validation, 3 schema error(s) (image_url regex not "
        "matched 2, published_at regex not matched 1); at most 0 allowed",
        "errors": 3,
        "items": 20,
        "invalid_items": 2,
        "fields": {"image_url": {"regex_not_matched": 2}, "published_at": {"regex_not_matched": 1}},
        "limit": 0,
    }
    assert problems_of(stats, NEWSARCHIVE_HEALTH_MAX_VALIDATION_ERRORS=3) == []


def test_each_new_rule_is_a_monitor_and_an_alert_in_both_languages():
    errors = {**run_stats(20), "log_count/ERROR": 1, "spider_exceptions/ValueError": 1}
    failed = run_stats(1, requests=4, timeout=1, connection_lost=2)
    invalid = {**run_stats(20), "spidermon/validation/items": 20, "spidermon/validation/items/errors": 1}
    invalid |= {"spidermon/validation/fields/errors": 1}
    invalid |= {"spidermon/validation/fields/errors/missing_required_field/title": 1}
    assert list(run_suite(problems_of(errors))) == ["newsarchive crawl health/errors during the crawl"]
    assert list(run_suite(problems_of(failed))) == ["newsarchive crawl health/errors during the crawl"]
    assert list(run_suite(problems_of(invalid))) == ["newsarchive crawl health/item validation"]
    problems = problems_of(errors) + problems_of(failed) + problems_of(invalid)
    verdict = {"id": 7, "site": "digiato", "status": "degraded", "problems": problems}
    assert alert_text(verdict, problems, "/srv/archive.db", "fa").split("\n")[1:4] == [
        "• errors: digiato: 1 خطا در گزارش این اجرا ثبت شد (استثناهای اسپایدر: ValueError 1)؛ "
        "حداکثر 0 مجاز است",
        "• failed-requests: digiato: 3 درخواست از 4 پس از همهٔ تلاش\u200cهای دوباره ناموفق ماند "
        "(timeout 1، connection-lost 2)؛ حداکثر 20% مجاز است",
        "• item-validation: digiato: 1 خبر از 20 در اعتبارسنجی رد شد، 1 خطای طرح\u200cواره "
        "(title missing required field 1)؛ "
        "حداکثر 0 مجاز است",
    ]
    english = alert_text(verdict, problems, "/srv/archive.db", "en").split("\n")
    assert english[1:4] == [f"• {p['check']}: {p['message']}" for p in problems]


# --- item validation -----------------------------------------------------------------


def mirror_items() -> list[dict]:
    """The Digiato mirror's articles as the pipelines hand them to the archive (tests/expected,
    whose ``notes`` are None where they are not checked)."""
    fetched = {"fetched_at": "2026-12-03T10:00:00Z", "http_status": 200, "source": "digiato"}
    keep = set(ArticleItem.fields) - {"notes"}
    return [
        {**{k: v for k, v in article.items() if k in keep}, **fetched}
        for article in load_expected("digiato.json")
    ]


def test_item_validation_is_off_by_default_and_needs_spidermon(monkeypatch):
    crawler = get_crawler(settings_dict={})
    off = ArticleValidation.from_crawler(crawler)
    item = ArticleItem(mirror_items()[0])
    assert off.process_item(item) is item and crawler.stats.get_stats() == {}
    assert project_settings().getbool("NEWSARCHIVE_ITEM_VALIDATION") is False
    assert "newsarchive.monitors.validation.ArticleValidation" in project_settings().getdict("ITEM_PIPELINES")
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *args: None)
    with pytest.raises(RuntimeError, match=r"pip install 'newsarchive\[alerts\]'"):
        ArticleValidation.from_crawler(get_crawler(settings_dict={"NEWSARCHIVE_ITEM_VALIDATION": True}))


def test_the_article_schema_takes_the_mirrors_articles_and_counts_errors_under_spidermon_names():
    crawler = get_crawler(settings_dict={"NEWSARCHIVE_ITEM_VALIDATION": True})
    pipeline = ArticleValidation.from_crawler(crawler)
    articles = mirror_items()
    for article in articles:
        assert pipeline.process_item(ArticleItem(article)) is not None
    stats = crawler.stats.get_stats()
    assert stats["spidermon/validation/items"] == len(articles) == 18
    assert "spidermon/validation/items/errors" not in stats
    broken = {**articles[0], "image_url": "data:image/gif;base64,R0lGODlhAQABAAAAACw="}
    broken |= {"published_at": "1402/12/24", "published_precision": "second"}
    del broken["title"]
    kept = pipeline.process_item(ArticleItem(broken))
    assert kept["image_url"] == broken["image_url"]  # counted, never changed nor dropped
    errors = {key: value for key, value in crawler.stats.get_stats().items() if "/errors" in key}
    assert errors == {
        "spidermon/validation/items/errors": 1,
        "spidermon/validation/fields/errors": 4,
        "spidermon/validation/fields/errors/missing_required_field": 1,
        "spidermon/validation/fields/errors/missing_required_field/title": 1,
        "spidermon/validation/fields/errors/regex_not_matched": 2,
        "spidermon/validation/fields/errors/regex_not_matched/image_url": 1,
        "spidermon/validation/fields/errors/regex_not_matched/published_at": 1,
        "spidermon/validation/fields/errors/value_not_in_choices": 1,
        "spidermon/validation/fields/errors/value_not_in_choices/published_precision": 1,
    }


# --- SMTP over TLS from the first byte -----------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files (made here, never shipped)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return folder / "cert.pem", folder / "key.pem"


class SmtpsStandIn(SmtpStandIn):
    """The SMTP stand-in behind TLS from the first byte (SMTPS), keeping each session's TLS version."""

    def __init__(self, certificate: Path, key: Path) -> None:
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(certificate, key)
        self.tls_versions: list[str | None] = []
        super().__init__()
        self.RequestHandlerClass = _SmtpsHandler

    def get_request(self):
        connection, address = super().get_request()
        connection.settimeout(10)
        try:
            return self.tls.wrap_socket(connection, server_side=True), address
        except OSError:  # a refused handshake: socketserver drops the request
            connection.close()
            raise


class _SmtpsHandler(_SmtpHandler):
    server: SmtpsStandIn

    def handle(self) -> None:
        self.server.tls_versions.append(self.connection.version())
        super().handle()


@contextmanager
def serving(server: socketserver.BaseServer) -> Iterator:
    """``server`` answering on its own thread until the block ends."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def smtps_stand_in(certificate):
    with serving(SmtpsStandIn(*certificate)) as server:
        yield server


@pytest.fixture
def webhook():
    """A plain webhook's stand-in on loopback (tests/test_monitors.py's StandIn)."""
    with serving(StandIn()) as server:
        yield server


#: An email setup (to, from, server) without the port and TLS settings.
EMAIL = {
    "NEWSARCHIVE_ALERT_EMAIL_TO": "desk@example.org",
    "NEWSARCHIVE_ALERT_EMAIL_FROM": "newsarchive@example.org",
    "NEWSARCHIVE_ALERT_SMTP_HOST": "smtp.example.org",
}


def smtps(**settings) -> bool:
    channel = email_channel(Settings({**EMAIL, **settings}))
    assert channel is not None
    return channel.smtps


def test_smtps_is_a_setting_and_the_default_on_port_465():
    assert smtps() is False  # 587 and STARTTLS
    assert smtps(NEWSARCHIVE_ALERT_SMTP_PORT=465) is True
    assert smtps(NEWSARCHIVE_ALERT_SMTP_PORT="2465", NEWSARCHIVE_ALERT_SMTP_SSL="True") is True
    assert smtps(NEWSARCHIVE_ALERT_SMTP_PORT=465, NEWSARCHIVE_ALERT_SMTP_SSL="False") is False


@pytest.mark.slow  # a TLS server
def test_smtps_sends_over_tls_to_a_trusted_server_only(smtps_stand_in, certificate, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    port, password = smtps_stand_in.port, SMTP_PASSWORD
    channel = EmailChannel(
        "127.0.0.1", port, "a@example.org", ("b@example.org",), True, "archiver", password, smtps=True
    )
    # Not trusted (self-signed, not among the system's CAs): nothing is sent, the password neither.
    assert send_email(channel, "subject\nbody", 5) is False
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text
    assert smtps_stand_in.received == [] and smtps_stand_in.logins == []
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    # STARTTLS stays asked for (the default), but over SMTPS it is not: the link is TLS already.
    assert send_email(channel, "subject\nbody", 5) is True
    assert smtps_stand_in.tls_versions[-1] in ("TLSv1.2", "TLSv1.3")
    assert smtps_stand_in.logins == [f"\0archiver\0{SMTP_PASSWORD}".encode()]
    ((envelope, message),) = smtps_stand_in.received
    assert envelope == {"from": "<a@example.org>", "to": ["<b@example.org>"]}
    assert (message["Subject"], message.get_content()) == ("subject", "subject\nbody\n")
    assert SMTP_PASSWORD not in caplog.text


# --- real crawls ---------------------------------------------------------------------


def settings_args(settings: dict[str, object]) -> list[str]:
    return [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]


#: The Digiato mirror's article whose page the spider raises on (spider_bug.RaiseOnPage).
RAISING_ARTICLE = "https://digiato.com/article/2022/08/17/nissan-magniaght"


@pytest.mark.slow
def test_a_spider_that_raises_on_a_page_alerts_the_errors_rule_by_webhook_and_smtps(
    replay_server,
    webhook,
    smtps_stand_in,
    certificate,
    tmp_path,
):
    db = tmp_path / "archive.db"
    middlewares = {**project_settings().getdict("SPIDER_MIDDLEWARES"), "spider_bug.RaiseOnPage": 1000}
    settings = {
        "SPIDER_MIDDLEWARES": json.dumps(middlewares),
        "NEWSARCHIVE_TEST_RAISE_ON": RAISING_ARTICLE.rsplit("/", 1)[1],
        "NEWSARCHIVE_ALERT_WEBHOOK_URL": f"{webhook.url}/hook",
        **EMAIL,
        "NEWSARCHIVE_ALERT_SMTP_HOST": "127.0.0.1",
        "NEWSARCHIVE_ALERT_SMTP_PORT": smtps_stand_in.port,
        "NEWSARCHIVE_ALERT_SMTP_SSL": True,
    }
    tests_on_path = os.pathsep.join(filter(None, [str(ROOT / "tests"), os.environ.get("PYTHONPATH")]))
    environ = {"PYTHONPATH": tests_on_path, "SSL_CERT_FILE": str(certificate[0])}
    result = scrapy_crawl(
        "digiato", db, replay_server.url, *settings_args(settings), check=False, environ=environ
    )
    assert result.returncode == EXIT_DEGRADED, result.stderr[-3000:]
    assert f"ERROR: Spider error processing <GET {RAISING_ARTICLE}>" in result.stderr
    message = (
        "digiato: 1 error(s) logged during the run (spider exceptions: ValueError 1); at most 0 allowed "
        "(the crawl log has each one)"
    )
    ((path, body),) = webhook.received
    assert (path, body["site"], body["run_id"], body["status"]) == ("/hook", "digiato", 1, "degraded")
    assert body["problems"] == [
        {
            "check": "errors",
            "message": message,
            "errors": 1,
            "spider_exceptions": {"ValueError": 1},
            "limit": 0,
        }
    ]
    text = f"newsarchive: digiato run 1 is degraded\n• errors: {message}\ndetails: newsarchive runs --db {db}"
    assert body["text"] == text
    assert "[Spidermon] newsarchive crawl health/errors during the crawl... FAIL" in result.stderr
    assert recorded_stats(db)["newsarchive/articles/new"] == 17  # the other articles are stored
    # The same alert by email, over TLS from the first byte.
    ((envelope, email),) = smtps_stand_in.received
    assert smtps_stand_in.tls_versions[0] in ("TLSv1.2", "TLSv1.3")
    assert envelope == {"from": "<newsarchive@example.org>", "to": ["<desk@example.org>"]}
    assert email.get_content() == text + "\n"
    assert "crawl alert sent to webhook, email: errors" in result.stderr


#: A lazy-loading plugin's placeholder where the article's image should be.
PLACEHOLDER = "data:image/gif;base64,R0lGODlhAQABAAAAACw="
IMAGE_URL = re.compile(r"https?://[^\"'\s<>,]+?\.(?:jpe?g|png|webp)(?:\.webp)?")


@pytest.mark.slow
def test_articles_failing_the_schema_fail_the_item_validation_monitor(webhook, tmp_path):
    """Two articles whose every image URL is a ``data:`` placeholder: stored as they are, but
    the webhook hears of the item validation rule, with Spidermon's counts."""
    root, pages = mirror_copy(tmp_path)
    for page in pages[:2]:
        page.write_text(IMAGE_URL.sub(PLACEHOLDER, page.read_text("utf-8")), "utf-8")
    db = tmp_path / "archive.db"
    settings = {"NEWSARCHIVE_ITEM_VALIDATION": True, "NEWSARCHIVE_ALERT_WEBHOOK_URL": f"{webhook.url}/hook"}
    with ReplayServer(root) as server:
        result = scrapy_crawl("digiato", db, server.url, *settings_args(settings), check=False)
    assert result.returncode == EXIT_DEGRADED, result.stderr[-3000:]
    ((path, body),) = webhook.received
    assert (path, body["site"], body["run_id"], body["status"]) == ("/hook", "digiato", 1, "degraded")
    assert body["problems"] == [
        {
            "check": "item-validation",
            "message": "digiato: 2 of 18 items failed validation, 2 schema error(s) (image_url regex not "
            "matched 2); at most 0 allowed",
            "errors": 2,
            "items": 18,
            "invalid_items": 2,
            "fields": {"image_url": {"regex_not_matched": 2}},
            "limit": 0,
        }
    ]
    assert "[Spidermon] newsarchive crawl health/item validation... FAIL" in result.stderr
    stats = recorded_stats(db)
    assert stats["spidermon/validation/items"] == 18 and stats["newsarchive/articles/new"] == 18
    assert stats["spidermon/validation/fields/errors/regex_not_matched/image_url"] == 2


@pytest.mark.slow
def test_a_run_stopped_early_fails_the_finish_reason_monitor(replay_server, webhook, tmp_path):
    db = tmp_path / "archive.db"
    settings = {"CLOSESPIDER_ITEMCOUNT": 3, "NEWSARCHIVE_ALERT_WEBHOOK_URL": f"{webhook.url}/hook"}
    result = scrapy_crawl("digiato", db, replay_server.url, *settings_args(settings), check=False)
    assert "'finish_reason': 'closespider_itemcount'" in result.stderr
    assert result.returncode == 1, "a run that did not finish is failed: exit 1"
    ((path, body),) = webhook.received
    assert (path, body["run_id"], body["status"]) == ("/hook", 1, "failed")
    assert body["problems"] == [
        {
            "check": "closed",
            "message": "the crawl stopped early (closespider_itemcount)",
            "reason": "closespider_itemcount",
        }
    ]
    assert "[Spidermon] newsarchive crawl health/finish reason... FAIL" in result.stderr


@pytest.mark.slow
def test_a_site_that_stops_answering_alerts_the_failed_requests_rule(webhook, tmp_path):
    """Eight of the eighteen article pages reset the connection at every try: stored are the
    others, and the webhook hears how many requests failed of how many (retries not counted)."""
    faults = {f"/{article['path']}": Fault(reset()) for article in load_expected("digiato.json")[:8]}
    db = tmp_path / "archive.db"
    settings = {
        "RETRY_TIMES": 1,
        "NEWSARCHIVE_RETRY_BACKOFF_BASE": 0.1,
        "NEWSARCHIVE_WARC": 0,
        "NEWSARCHIVE_ALERT_WEBHOOK_URL": f"{webhook.url}/hook",
    }
    with FaultServer(faults) as server:
        result = scrapy_crawl("digiato", db, server.url, *settings_args(settings), check=False)
    assert result.returncode == EXIT_DEGRADED, result.stderr[-3000:]
    stats = recorded_stats(db)
    assert (stats["newsarchive/articles/new"], stats["newsarchive/dropped/connection-lost"]) == (10, 8)
    requests = stats["downloader/request_count"] - stats["retry/count"]
    ((path, body),) = webhook.received
    assert (path, body["status"]) == ("/hook", "degraded")
    (problem,) = body["problems"]
    assert problem == {
        "check": "failed-requests",
        "message": f"digiato: 8 of {requests} requests failed after their retries (connection-lost 8); "
        "at most 20% allowed",
        "failed": 8,
        "requests": requests,
        "share": round(8 / requests, 4),
        "reasons": {"connection-lost": 8},
        "limit": 0.2,
    }
    assert "[Spidermon] newsarchive crawl health/errors during the crawl... FAIL" in result.stderr
