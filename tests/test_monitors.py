"""Crawl health through Spidermon, and alerts (#24).

The monitors turn the problems :mod:`newsarchive.health` recorded into one failing
Spidermon test per rule; alerts go to a server on 127.0.0.1 standing in for Telegram's
and Slack's APIs and for a plain webhook, and the exact payloads are asserted. Real
``scrapy crawl`` runs of the Digiato mirror: a healthy run sends nothing, a degraded one
sends one alert per channel and still exits 3, the same problem an hour later is not sent.
"""

from __future__ import annotations

import base64
import email
import email.policy
import importlib
import json
import logging
import shutil
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlite_utils
from conftest import MIRROR, load_expected, scrapy_crawl
from faultserver import CLOUDFLARE_CHALLENGE
from scrapy.exceptions import NotConfigured
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from spidermon.runners import MonitorRunner
from spidermon.utils.field_coverage import calculate_field_coverage
from test_health import LEAD_REQUIRED, problems_of, run_stats

import newsarchive.settings
from newsarchive.crawl import project_settings
from newsarchive.health import EXIT_DEGRADED, EXIT_OK
from newsarchive.monitors.alerts import Channel, alert_channels, alert_text, post_json
from newsarchive.monitors.extension import CrawlHealthMonitors, spidermon_field_coverage
from newsarchive.monitors.mail import EmailChannel, send_email
from newsarchive.monitors.suite import VERDICT, CrawlHealthMonitorSuite
from newsarchive.replay import ReplayServer

TOKEN = "123456:SECRET-bot-token"
CHAT = "-1001234"


class StandIn(ThreadingHTTPServer):
    """Telegram's, Slack's and a webhook's APIs on loopback: every POST kept as (path, JSON)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict]] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: StandIn

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, json.loads(body)))
        status = 500 if self.path.startswith("/broken") else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args) -> None:  # the path holds the bot token: not in the test log
        pass


@pytest.fixture
def stand_in():
    server = StandIn()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


class SmtpStandIn(socketserver.ThreadingTCPServer):
    """An SMTP server on loopback: each message taken kept as (envelope, parsed message).
    It offers no STARTTLS; with ``login`` it asks for ``AUTH PLAIN`` and keeps the credentials."""

    daemon_threads = True

    def __init__(self) -> None:
        self.received: list[tuple[dict, email.message.EmailMessage]] = []
        self.logins: list[bytes] = []
        super().__init__(("127.0.0.1", 0), _SmtpHandler)

    @property
    def port(self) -> int:
        return self.server_address[1]


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: SmtpStandIn

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 127.0.0.1 stand-in")
        envelope: dict = {"to": []}
        while line := self.rfile.readline():
            command = line.decode("ascii").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-127.0.0.1")
                self.reply("250-8BITMIME")
                self.reply("250 AUTH PLAIN")
            elif verb == "AUTH":
                self.server.logins.append(base64.b64decode(command.split()[2]))
                self.reply("235 ok")
            elif verb == "MAIL":
                envelope["from"] = command.split(":", 1)[1].split()[0]
                self.reply("250 ok")
            elif verb == "RCPT":
                envelope["to"].append(command.split(":", 1)[1].strip())
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go on")
                lines = iter(lambda: self.rfile.readline(), b".\r\n")  # SMTP's lines, dot-stuffed
                data = b"".join(line[1:] if line.startswith(b"..") else line for line in lines)
                data = data.replace(b"\r\n", b"\n")
                message = email.message_from_bytes(data, policy=email.policy.default)
                self.server.received.append((dict(envelope), message))
                envelope = {"to": []}
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not here")


@pytest.fixture
def smtp_stand_in():
    server = SmtpStandIn()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def email_settings(server: SmtpStandIn, *extra: str) -> list[str]:
    settings = [
        "NEWSARCHIVE_ALERT_EMAIL_TO=desk@example.org, oncall@example.org",
        "NEWSARCHIVE_ALERT_EMAIL_FROM=newsarchive@example.org",
        "NEWSARCHIVE_ALERT_SMTP_HOST=127.0.0.1",
        f"NEWSARCHIVE_ALERT_SMTP_PORT={server.port}",
        "NEWSARCHIVE_ALERT_SMTP_STARTTLS=False",
        *extra,
    ]
    return [arg for setting in settings for arg in ("-s", setting)]


def alert_settings(server: StandIn, *extra: str) -> list[str]:
    settings = [
        f"NEWSARCHIVE_ALERT_TELEGRAM_TOKEN={TOKEN}",
        f"NEWSARCHIVE_ALERT_TELEGRAM_CHAT_ID={CHAT}",
        f"NEWSARCHIVE_ALERT_TELEGRAM_API={server.url}/telegram",
        f"NEWSARCHIVE_ALERT_SLACK_URL={server.url}/slack",
        *extra,
    ]
    return [arg for setting in settings for arg in ("-s", setting)]


# --- without a crawl -----------------------------------------------------------------


def test_field_coverage_is_published_under_spidermon_names_as_spidermon_computes_it():
    stats = run_stats(20, fields={"lead": 15, "tags": 0})
    published = spidermon_field_coverage(stats)
    assert published["spidermon_item_scraped_count/ArticleItem"] == 20
    assert published["spidermon_item_scraped_count/ArticleItem/lead"] == 15
    assert published["spidermon_field_coverage/ArticleItem/lead"] == 0.75
    assert "spidermon_field_coverage/ArticleItem/tags" not in published  # as Spidermon: unseen field
    assert calculate_field_coverage(published) == {
        key: value for key, value in published.items() if key.startswith("spidermon_field_coverage/")
    }


def run_suite(problems: list[dict], status: str = "degraded") -> dict[str, str]:
    """The failed monitor tests of the health suite on a run with ``problems``, by name."""
    verdict = {"id": 7, "site": "digiato", "status": status, "problems": problems}
    result = MonitorRunner().run(CrawlHealthMonitorSuite(), **{VERDICT: verdict, "crawler": None})
    return {item.item.name: item.error for item in result.monitors_failed_results}


def test_each_rule_is_one_monitor_failing_with_the_rules_numbers():
    assert run_suite([]) == {}
    failed = run_suite(problems_of(run_stats(20, fields={"body": 18}, blocked=3, requests=40)))
    assert sorted(failed) == [
        "newsarchive crawl health/blocked responses",
        "newsarchive crawl health/field coverage",
    ]
    assert (
        "digiato: body on 90% of 20 articles; at least 95% expected"
        in failed["newsarchive crawl health/field coverage"]
    )
    assert "site digiato blocked 3 of 40 requests" in failed["newsarchive crawl health/blocked responses"]
    failed = run_suite(problems_of(run_stats(0, requests=7, fetch_new=3, server_error=3)))
    assert list(failed) == ["newsarchive crawl health/listed articles kept"]
    failed = run_suite([{"check": "time-limit", "message": "the run reached its time limit"}])
    assert list(failed) == ["newsarchive crawl health/finish reason"]
    failed = run_suite([{"check": "something-new", "message": "a rule added later"}])
    assert list(failed) == ["newsarchive crawl health/no other problem"]
    # A suite run before the run extension judged the run must not pass for a healthy run.
    failed = run_suite([], status="running")
    assert list(failed) == ["newsarchive crawl health/no other problem"]
    assert "the run was not judged yet" in failed["newsarchive crawl health/no other problem"]


def test_the_alert_names_site_run_rule_numbers_and_the_runs_command_in_both_languages():
    problems = problems_of(run_stats(20, fields={"body": 18}))
    verdict = {"id": 7, "site": "digiato", "status": "degraded", "problems": problems}
    assert alert_text(verdict, problems, "/srv/archive.db", "en") == (
        "newsarchive: digiato run 7 is degraded\n"
        "• coverage/body: digiato: body on 90% of 20 articles; at least 95% expected\n"
        "details: newsarchive runs --db /srv/archive.db"
    )
    assert alert_text(verdict, problems, "/srv/archive.db", "fa") == (
        "newsarchive: خزش digiato، اجرای 7: degraded\n"
        "• coverage/body: digiato: فیلد body فقط در 90% از 20 خبر؛ دست\u200cکم 95% لازم است\n"
        "جزئیات: newsarchive runs --db /srv/archive.db"
    )


def test_alert_settings_are_off_by_default_and_refuse_half_a_telegram_setup():
    assert alert_channels(Settings()) == []
    with pytest.raises(ValueError, match="both"):
        alert_channels(Settings({"NEWSARCHIVE_ALERT_TELEGRAM_TOKEN": TOKEN}))
    with pytest.raises(ValueError, match="NEWSARCHIVE_ALERT_LANGUAGE"):
        alert_channels(Settings({"NEWSARCHIVE_ALERT_LANGUAGE": "de"}))


def test_the_extension_is_off_by_default_and_refuses_to_start_without_spidermon(monkeypatch):
    with pytest.raises(NotConfigured):
        CrawlHealthMonitors.from_crawler(get_crawler(settings_dict={}))
    telegram = {"NEWSARCHIVE_ALERT_TELEGRAM_TOKEN": TOKEN, "NEWSARCHIVE_ALERT_TELEGRAM_CHAT_ID": CHAT}
    assert CrawlHealthMonitors.from_crawler(get_crawler(settings_dict=telegram)).alerts is True
    assert (
        CrawlHealthMonitors.from_crawler(get_crawler(settings_dict={"NEWSARCHIVE_MONITORS": True})).alerts
        is False
    )
    with pytest.raises(ValueError, match="both"):
        CrawlHealthMonitors.from_crawler(
            get_crawler(settings_dict={"NEWSARCHIVE_ALERT_TELEGRAM_CHAT_ID": CHAT})
        )
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *args: None)  # Spidermon not installed
    with pytest.raises(RuntimeError, match=r"pip install 'newsarchive\[alerts\]'"):
        CrawlHealthMonitors.from_crawler(get_crawler(settings_dict=telegram))


def test_a_failed_delivery_is_logged_without_the_token(stand_in, caplog):
    caplog.set_level(logging.ERROR)
    broken = Channel("telegram", f"{stand_in.url}/broken/bot{TOKEN}/sendMessage", "telegram", secret=TOKEN)
    assert post_json(broken, {"text": "x"}) is False
    malformed = Channel("telegram", f"nonsense/bot{TOKEN}/sendMessage", "telegram", secret=TOKEN)
    assert post_json(malformed, {"text": "x"}) is False
    assert "crawl alert to telegram failed: HTTP Error 500" in caplog.text
    assert "unknown url type: 'nonsense/bot***/sendMessage'" in caplog.text
    assert TOKEN not in caplog.text


SMTP_PASSWORD = "s3cret-SMTP-pass"


def test_the_smtp_password_may_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("NEWSARCHIVE_ALERT_SMTP_PASSWORD", SMTP_PASSWORD)
    try:
        settings = Settings()
        settings.setmodule(importlib.reload(newsarchive.settings))
    finally:
        monkeypatch.delenv("NEWSARCHIVE_ALERT_SMTP_PASSWORD")
        importlib.reload(newsarchive.settings)
    settings.setdict({"NEWSARCHIVE_ALERT_EMAIL_TO": "desk@example.org", "NEWSARCHIVE_ALERT_SMTP_USER": "a"})
    settings.setdict({"NEWSARCHIVE_ALERT_EMAIL_FROM": "n@example.org", "NEWSARCHIVE_ALERT_SMTP_HOST": "smtp"})
    (channel,) = alert_channels(settings)
    assert isinstance(channel, EmailChannel) and channel.password == SMTP_PASSWORD
    assert newsarchive.settings.NEWSARCHIVE_ALERT_SMTP_PASSWORD is None


def test_email_settings_are_off_by_default_and_refuse_half_a_setup():
    full = {
        "NEWSARCHIVE_ALERT_EMAIL_TO": "desk@example.org,oncall@example.org",
        "NEWSARCHIVE_ALERT_EMAIL_FROM": "newsarchive@example.org",
        "NEWSARCHIVE_ALERT_SMTP_HOST": "smtp.example.org",
    }
    (channel,) = alert_channels(Settings(full))
    assert channel == EmailChannel(
        "smtp.example.org", 587, "newsarchive@example.org", ("desk@example.org", "oncall@example.org")
    )
    assert channel.starttls is True  # by default nothing goes out in clear
    for left_out in full:
        half = {name: value for name, value in full.items() if name != left_out}
        with pytest.raises(ValueError, match=left_out):
            alert_channels(Settings(half))
        with pytest.raises(ValueError, match=left_out):
            CrawlHealthMonitors.from_crawler(get_crawler(settings_dict=half))
    with pytest.raises(ValueError, match="SMTP_USER and _PASSWORD"):
        alert_channels(Settings({**full, "NEWSARCHIVE_ALERT_SMTP_PASSWORD": "pw"}))
    with pytest.raises(ValueError, match="NEWSARCHIVE_ALERT_EMAIL_TO"):  # a password from the env alone
        CrawlHealthMonitors.from_crawler(get_crawler(settings_dict={"NEWSARCHIVE_ALERT_SMTP_PASSWORD": "pw"}))
    assert CrawlHealthMonitors.from_crawler(get_crawler(settings_dict=full)).alerts is True


def test_email_logs_in_refuses_a_server_without_starttls_and_never_logs_the_password(smtp_stand_in, caplog):
    caplog.set_level(logging.DEBUG)
    password = SMTP_PASSWORD
    login = EmailChannel(
        "127.0.0.1", smtp_stand_in.port, "a@example.org", ("b@example.org",), False, "archiver", password
    )
    assert "s3cret" not in repr(login)
    assert send_email(login, "subject\nbody", 5) is True
    assert smtp_stand_in.logins == [f"\0archiver\0{password}".encode()]
    ((envelope, message),) = smtp_stand_in.received
    assert envelope == {"from": "<a@example.org>", "to": ["<b@example.org>"]}
    assert (message["Subject"], message.get_content()) == ("subject", "subject\nbody\n")
    # STARTTLS by default: a server that cannot is not sent the alert (nor the password) in clear.
    assert send_email(EmailChannel(**{**login.__dict__, "starttls": True}), "x", 5) is False
    assert "crawl alert to email (127.0.0.1:" in caplog.text
    assert "STARTTLS extension not supported by server" in caplog.text
    assert len(smtp_stand_in.received) == 1 and len(smtp_stand_in.logins) == 1
    closed = EmailChannel("127.0.0.1", 1, "a@example.org", ("b@example.org",), False, "archiver", password)
    assert send_email(closed, "x", 5) is False
    assert password not in caplog.text


# --- real crawls ---------------------------------------------------------------------


def recorded_stats(db: Path) -> dict:
    run = next(iter(sqlite_utils.Database(db).query("select stats from crawl_runs order by id desc limit 1")))
    return json.loads(run["stats"])


@pytest.mark.slow
def test_a_crawl_without_alert_settings_runs_no_monitor(replay_server, tmp_path):
    db = tmp_path / "archive.db"
    result = scrapy_crawl("digiato", db, replay_server.url, check=False)
    assert result.returncode == EXIT_OK, result.stderr[-3000:]
    assert "Spidermon" not in result.stderr
    assert not any(key.startswith("spidermon") for key in recorded_stats(db))


@pytest.mark.slow
def test_a_healthy_crawl_sends_nothing(replay_server, stand_in, tmp_path):
    db = tmp_path / "archive.db"
    reports = alert_settings(stand_in, "NEWSARCHIVE_HEALTH_REPORTS=True")
    result = scrapy_crawl("digiato", db, replay_server.url, *reports, check=False)
    assert result.returncode == EXIT_OK, result.stderr[-3000:]
    assert not (tmp_path / "reports").exists()  # reports are of degraded runs only
    assert "[Spidermon] newsarchive crawl health/field coverage... OK" in result.stderr
    assert stand_in.received == []
    assert "ScrapyDeprecationWarning" not in result.stderr  # Spidermon's runner logs through spider.logger
    # 15 of the mirror's 18 Digiato articles have a lead (tests/test_health.py).
    assert recorded_stats(db)["spidermon_field_coverage/ArticleItem/lead"] == 15 / 18


#: Re-fetch every known article, so a second run judges coverage again (else it keeps nothing).
REFETCH_ALL = [
    "-s",
    "NEWSARCHIVE_REFRESH_WINDOW_HOURS=10000000",
    "-s",
    "NEWSARCHIVE_REFETCH_INTERVAL_HOURS=0",
]


@pytest.mark.slow
def test_a_degraded_crawl_alerts_once_and_still_exits_3(replay_server, stand_in, tmp_path):
    db = tmp_path / "archive.db"
    crawl = ("digiato", db, replay_server.url, "-s", LEAD_REQUIRED, *REFETCH_ALL)
    # The first run as in cron: the bot token and chat id from the environment, off the command line.
    cron_environment = {"NEWSARCHIVE_ALERT_TELEGRAM_TOKEN": TOKEN, "NEWSARCHIVE_ALERT_TELEGRAM_CHAT_ID": CHAT}
    first = alert_settings(stand_in, "NEWSARCHIVE_ALERT_LANGUAGE=fa")[4:]  # without token and chat id
    assert not any(TOKEN in arg or CHAT in arg for arg in first)
    result = scrapy_crawl(*crawl, *first, check=False, environ=cron_environment)
    assert result.returncode == EXIT_DEGRADED, result.stderr[-3000:]
    persian = (
        "newsarchive: خزش digiato، اجرای 1: degraded\n"
        "• coverage/lead: digiato: فیلد lead فقط در 83% از 18 خبر؛ دست\u200cکم 100% لازم است\n"
        f"جزئیات: newsarchive runs --db {db}"
    )
    assert stand_in.received == [
        (
            f"/telegram/bot{TOKEN}/sendMessage",
            {"chat_id": CHAT, "text": persian, "disable_web_page_preview": True},
        ),
        ("/slack", {"text": persian}),
    ]
    assert "[Spidermon] newsarchive crawl health/field coverage... FAIL" in result.stderr
    assert TOKEN not in result.stderr

    # An hour later, the same rule still fails (on the 9 articles re-fetched): nothing is sent.
    stand_in.received.clear()
    again = scrapy_crawl(*crawl, *alert_settings(stand_in), check=False)
    assert again.returncode == EXIT_DEGRADED, again.stderr[-3000:]
    assert "ERROR: crawl health: digiato: lead on 78% of 9 articles" in again.stderr
    assert stand_in.received == []
    assert "SendCrawlAlert... SKIPPED (alerted less than 24 h ago: coverage/lead)" in again.stderr

    # Once the repeat interval has passed, it is sent again; here to a plain webhook.
    webhook = [f"NEWSARCHIVE_ALERT_WEBHOOK_URL={stand_in.url}/hook", "NEWSARCHIVE_ALERT_REPEAT_HOURS=0"]
    third = scrapy_crawl(*crawl, *[a for s in webhook for a in ("-s", s)], check=False)
    assert third.returncode == EXIT_DEGRADED, third.stderr[-3000:]
    ((path, body),) = stand_in.received
    (problem,) = body["problems"]
    assert (path, body["site"], body["run_id"], body["status"]) == ("/hook", "digiato", 3, "degraded")
    assert (problem["check"], problem["field"], problem["limit"]) == ("coverage", "lead", 1.0)
    assert body["text"] == (
        f"newsarchive: digiato run 3 is degraded\n• coverage/lead: {problem['message']}\n"
        f"details: newsarchive runs --db {db}"
    )


@pytest.mark.slow
def test_a_site_whose_articles_all_fail_alerts_the_webhook_with_the_listed_count(stand_in, tmp_path):
    """Every listed article answers 404 (as in tests/test_health.py): the webhook hears which
    rule failed, with its numbers, in English."""
    root = tmp_path / "mirror"
    shutil.copytree(MIRROR / "digiato.com", root / "digiato.com")
    for article in load_expected("digiato.json"):
        page = root / "digiato.com" / article["path"]
        (page / "index.html" if page.is_dir() else page).unlink()
    db = tmp_path / "archive.db"
    with ReplayServer(root) as server:
        hook = f"NEWSARCHIVE_ALERT_WEBHOOK_URL={stand_in.url}/hook"
        result = scrapy_crawl(
            "digiato", db, server.url, "-s", hook, "-s", "NEWSARCHIVE_HEALTH_REPORTS=True", check=False
        )
    assert result.returncode == EXIT_DEGRADED, result.stderr[-3000:]
    ((path, body),) = stand_in.received
    (problem,) = body["problems"]
    listed = problem["listed_new"]
    assert listed >= 18
    assert (path, body["site"], body["run_id"], body["status"]) == ("/hook", "digiato", 1, "degraded")
    assert problem == {
        "check": "nothing-kept",
        "message": f"digiato: sitemaps/feeds listed {listed} new article(s) but the run kept none",
        "listed_new": listed,
        "kept": 0,
    }
    assert body["text"] == (
        "newsarchive: digiato run 1 is degraded\n"
        f"• nothing-kept: digiato: sitemaps/feeds listed {listed} new article(s) but the run kept none\n"
        f"details: newsarchive runs --db {db}"
    )
    # Spidermon's HTML report of the run, beside the archive.
    report = (tmp_path / "reports" / "digiato-run-1.html").read_text("utf-8")
    assert "<html" in report and "listed articles kept" in report
    assert f"sitemaps/feeds listed {listed} new article(s) but the run kept none" in report


@pytest.mark.slow
def test_a_users_own_spidermon_suites_see_the_coverage_and_the_health_suite(replay_server, tmp_path):
    """Spidermon's own extension after the run extension (priority above 500), its built-in
    suite with FieldCoverageMonitor rules on ``ArticleItem`` fields (``published`` is
    newsarchive's resolved date), and newsarchive's health suite beside it."""
    extensions = {
        **project_settings().getdict("EXTENSIONS"),
        "spidermon.contrib.scrapy.extensions.Spidermon": 600,
    }
    settings = {
        "EXTENSIONS": json.dumps(extensions),
        "SPIDERMON_ENABLED": "True",
        "SPIDERMON_ADD_FIELD_COVERAGE": "True",
        "SPIDERMON_SPIDER_CLOSE_MONITORS": "spidermon.contrib.scrapy.monitors.SpiderCloseMonitorSuite,"
        "newsarchive.monitors.suite.CrawlHealthMonitorSuite",
        "SPIDERMON_FIELD_COVERAGE_RULES": json.dumps({"ArticleItem/lead": 0.9, "ArticleItem/published": 1.0}),
        # What the built-in suite's other monitors need to run at all.
        "SPIDERMON_MIN_ITEMS": "1",
        "SPIDERMON_MAX_ERRORS": "100",
        "SPIDERMON_MAX_WARNINGS": "1000",
        "SPIDERMON_MAX_DOWNLOADER_EXCEPTIONS": "100",
        "SPIDERMON_MAX_ITEM_VALIDATION_ERRORS": "0",
    }
    db = tmp_path / "archive.db"
    extra = [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]
    result = scrapy_crawl("digiato", db, replay_server.url, "-s", LEAD_REQUIRED, *extra, check=False)
    assert result.returncode == EXIT_DEGRADED, result.stderr[-3000:]
    assert (
        "[Spidermon] Field Coverage Monitor/test_check_if_field_coverage_rules_are_met... FAIL"
        in result.stderr
    )
    assert "ArticleItem/lead (expected 0.9, got 0.8333333333333334, tolerance: 0.0)" in result.stderr
    assert "ArticleItem/published (expected" not in result.stderr  # on every article: passed
    assert "[Spidermon] newsarchive crawl health/field coverage... FAIL" in result.stderr
    assert "AssertionError: digiato: lead on 83% of 18 articles; at least 100% expected" in result.stderr


@pytest.mark.slow
def test_a_degraded_crawl_emails_the_alert_once_in_persian(replay_server, smtp_stand_in, tmp_path):
    db = tmp_path / "archive.db"
    crawl = ("digiato", db, replay_server.url, "-s", LEAD_REQUIRED, *REFETCH_ALL)
    login = ("NEWSARCHIVE_ALERT_SMTP_USER=archiver", f"NEWSARCHIVE_ALERT_SMTP_PASSWORD={SMTP_PASSWORD}")
    farsi = email_settings(smtp_stand_in, "NEWSARCHIVE_ALERT_LANGUAGE=fa", *login)
    result = scrapy_crawl(*crawl, *farsi, check=False)
    assert result.returncode == EXIT_DEGRADED, result.stderr[-3000:]
    assert smtp_stand_in.logins == [f"\0archiver\0{SMTP_PASSWORD}".encode()]
    assert SMTP_PASSWORD not in result.stderr
    ((envelope, message),) = smtp_stand_in.received
    assert envelope == {
        "from": "<newsarchive@example.org>",
        "to": ["<desk@example.org>", "<oncall@example.org>"],
    }
    assert message["From"] == "newsarchive@example.org"
    assert message["To"] == "desk@example.org, oncall@example.org"
    assert message["Subject"] == "newsarchive: خزش digiato، اجرای 1: degraded"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content() == (
        "newsarchive: خزش digiato، اجرای 1: degraded\n"
        "• coverage/lead: digiato: فیلد lead فقط در 83% از 18 خبر؛ دست\u200cکم 100% لازم است\n"
        f"جزئیات: newsarchive runs --db {db}\n"
    )
    assert "crawl alert sent to email: coverage/lead" in result.stderr
    # The same problem on the next run is not mailed again.
    again = scrapy_crawl(*crawl, *email_settings(smtp_stand_in), check=False)
    assert again.returncode == EXIT_DEGRADED, again.stderr[-3000:]
    assert len(smtp_stand_in.received) == 1


def mirror_copy(tmp_path: Path) -> tuple[Path, list[Path]]:
    """A copy of the Digiato mirror to change, and its article pages."""
    root = tmp_path / "mirror"
    shutil.copytree(MIRROR / "digiato.com", root / "digiato.com")
    pages = [root / "digiato.com" / article["path"] for article in load_expected("digiato.json")]
    return root, [page / "index.html" if page.is_dir() else page for page in pages]


@pytest.mark.slow
def test_a_crawl_served_challenge_pages_alerts_the_blocked_rule_with_its_counts(stand_in, tmp_path):
    """Three article pages answer Cloudflare's challenge (status 200, as it often comes): the
    webhook hears of the blocked rule, with how many requests of how many, and nothing else."""
    root, pages = mirror_copy(tmp_path)
    for page in pages[:3]:
        page.write_bytes(CLOUDFLARE_CHALLENGE)
    db = tmp_path / "archive.db"
    with ReplayServer(root) as server:
        hook = f"NEWSARCHIVE_ALERT_WEBHOOK_URL={stand_in.url}/hook"
        result = scrapy_crawl("digiato", db, server.url, "-s", hook, check=False)
    assert result.returncode == EXIT_DEGRADED, result.stderr[-3000:]
    ((path, body),) = stand_in.received
    (problem,) = body["problems"]
    requests = recorded_stats(db)["downloader/request_count"]
    assert requests > 18
    assert (path, body["site"], body["run_id"], body["status"]) == ("/hook", "digiato", 1, "degraded")
    assert problem == {
        "check": "blocked",
        "message": f"site digiato blocked 3 of {requests} requests — this is not a quiet day",
        "blocked": 3,
        "requests": requests,
    }
    assert body["text"] == (
        "newsarchive: digiato run 1 is degraded\n"
        f"• blocked: site digiato blocked 3 of {requests} requests — this is not a quiet day\n"
        f"details: newsarchive runs --db {db}"
    )
    assert "[Spidermon] newsarchive crawl health/blocked responses... FAIL" in result.stderr


#: A newsroom that wants every article's categories (all 18 of the mirror's have them).
CATEGORIES_REQUIRED = 'NEWSARCHIVE_HEALTH_MIN_COVERAGE={"categories": 1.0}'


@pytest.mark.slow
def test_a_redesign_that_breaks_the_selectors_alerts_the_coverage_rule(replay_server, stand_in, tmp_path):
    """The site renames the classes its selectors use: JSON-LD and ``<meta>`` still give title,
    body and date, but four articles lose their categories, which the settings require."""
    settings = [*alert_settings(stand_in)[:6], "-s", CATEGORIES_REQUIRED]  # Telegram only
    before = scrapy_crawl("digiato", tmp_path / "before.db", replay_server.url, *settings, check=False)
    assert before.returncode == EXIT_OK, before.stderr[-3000:]  # the same settings, before the redesign
    assert stand_in.received == []

    root, pages = mirror_copy(tmp_path)
    renamed = {"articlePost": "post-body", "dailyNewsPageHead": "news-head", "breadcrumb": "trail"}
    renamed |= {"postTools": "post-tools"}
    for page in pages:
        html = page.read_text("utf-8")
        for old, new in renamed.items():
            html = html.replace(old, new)
        page.write_text(html, "utf-8")
    db = tmp_path / "archive.db"
    with ReplayServer(root) as server:
        result = scrapy_crawl("digiato", db, server.url, *settings, check=False)
    assert result.returncode == EXIT_DEGRADED, result.stderr[-3000:]
    stats = recorded_stats(db)
    healthy = recorded_stats(tmp_path / "before.db")
    assert (healthy["newsarchive/layer/body/site"], stats["newsarchive/layer/body/site"]) == (18, 2)
    assert stats["newsarchive/field/title"] == stats["newsarchive/field/body"] == 18  # metadata did
    text = (
        "newsarchive: digiato run 1 is degraded\n"
        "• coverage/categories: digiato: categories on 78% of 18 articles; at least 100% expected\n"
        f"details: newsarchive runs --db {db}"
    )
    assert stand_in.received == [
        (
            f"/telegram/bot{TOKEN}/sendMessage",
            {"chat_id": CHAT, "text": text, "disable_web_page_preview": True},
        ),
    ]
    assert "[Spidermon] newsarchive crawl health/field coverage... FAIL" in result.stderr
