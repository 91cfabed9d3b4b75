"""The page checks and retry rules on their own, without a crawl (tests/test_faults_http.py runs them live)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from faultserver import ARVAN_CHALLENGE, CLOUDFLARE_CHALLENGE, SOFT_404, article_variant, as_windows_1256
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.utils.test import get_crawler
from twisted.internet.error import ConnectionLost
from twisted.python.failure import Failure

from newsarchive.middlewares import BackoffRetryMiddleware, retry_after_seconds
from newsarchive.pagecheck import challenge_vendor, choose_encoding, failure_reason, is_empty, is_soft_404
from newsarchive.spiders.base import declares_entities

ARTICLE = article_variant("https://digiato.com/mobile/x")


@pytest.mark.parametrize(
    "status, headers, body, vendor",
    [
        (403, {"server": "cloudflare"}, CLOUDFLARE_CHALLENGE, "cloudflare"),
        (200, {}, CLOUDFLARE_CHALLENGE, "generic"),  # the markup alone is enough
        (503, {"cf-mitigated": "challenge"}, b"", "cloudflare"),  # the header alone is enough
        (403, {"server": "ArvanCloud"}, ARVAN_CHALLENGE, "arvancloud"),
        (200, {}, ARVAN_CHALLENGE, "generic"),
    ],
)
def test_challenge_pages_are_recognised_whatever_their_status(status, headers, body, vendor):
    assert challenge_vendor(status, headers, body) == vendor


@pytest.mark.parametrize(
    "body",
    [
        ARTICLE.encode(),
        b"<html><body><p>Cloudflare raised prices; a challenge for startups.</p></body></html>",
        "<html><head><title>آروان‌کلاد</title></head><body>خبر درباره آروان کلاد</body></html>".encode(),
    ],
)
def test_pages_that_merely_mention_a_cdn_are_not_challenges(body):
    assert challenge_vendor(200, {"server": "cloudflare"}, body) is None


def test_soft_404_pages_are_recognised_and_articles_about_404_are_not():
    assert is_soft_404(SOFT_404.decode())
    assert is_soft_404(
        "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"
    )
    long_article = ARTICLE.replace("<title>", "<title>خطای 404 در iOS 17.2 یافت نشد؟ ", 1)
    assert not is_soft_404(long_article)
    assert not is_soft_404(ARTICLE)


@pytest.mark.parametrize("body, empty", [(b"", True), (b"  \r\n\t ", True), (b"<html></html>", False)])
def test_empty_bodies(body, empty):
    assert is_empty(body) is empty


def test_a_windows_1256_page_under_a_utf8_header_is_read_as_windows_1256():
    encoding, note = choose_encoding(as_windows_1256(ARTICLE), "text/html; charset=utf-8")
    assert encoding == "cp1256"
    assert "utf-8" in note


def test_a_windows_1256_page_under_a_latin1_header_is_read_as_windows_1256():
    # Latin-1 decodes any bytes, so only the Persian letters tell the two apart.
    encoding, _ = choose_encoding(as_windows_1256(ARTICLE), "text/html; charset=iso-8859-1")
    assert encoding == "cp1256"
    assert "\u200c" in as_windows_1256(ARTICLE).decode(encoding)


def test_a_utf8_page_declared_as_windows_1256_everywhere_is_read_as_utf8():
    body = ARTICLE.replace("<head>", '<head><meta charset="windows-1256">', 1).encode()
    encoding, note = choose_encoding(body, "text/html; charset=windows-1256")
    assert encoding == "utf-8"
    assert "valid UTF-8" in note
    assert choose_encoding(body, "text/html; charset=utf-8") == (None, None)


def test_an_ascii_page_needs_no_charset():
    assert choose_encoding(b"<html><body>iOS 17.2</body></html>", "text/html; charset=windows-1256") == (
        None,
        None,
    )


def test_broken_bytes_with_no_charset_that_fits_are_reported_not_guessed():
    body = ARTICLE.encode().replace("اپل".encode(), b"\xff\xfe", 1)
    encoding, note = choose_encoding(body, "text/html; charset=utf-8")
    assert encoding is None
    assert "invalid in the declared utf-8" in note


def test_a_sound_page_needs_no_correction():
    assert choose_encoding(ARTICLE.encode(), "text/html; charset=utf-8") == (None, None)
    assert choose_encoding(ARTICLE.encode(), None) == (None, None)


def test_xml_entity_declarations_are_spotted():
    assert declares_entities(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    assert declares_entities(b'<!DOCTYPE rss [<!entity remote SYSTEM "http://x/">]><rss/>')
    assert not declares_entities(
        b'<?xml version="1.0"?><urlset><url><loc>https://digiato.com/a</loc></url></urlset>'
    )


@pytest.mark.parametrize(
    "value, seconds",
    [
        ("120", 120.0),
        (b"0", 0.0),
        ("Sun, 29 Nov 2026 10:00:30 GMT", 30.0),
        ("Sun, 29 Nov 2026 09:00:00 GMT", 0.0),
        ("soon", None),
        (None, None),
        ("", None),
    ],
)
def test_retry_after_in_seconds_or_as_a_date(value, seconds):
    assert retry_after_seconds(value, now=datetime(2026, 11, 29, 10, 0, tzinfo=UTC)) == seconds


def test_backoff_doubles_per_attempt_with_bounded_jitter_and_a_cap():
    crawler = get_crawler(
        settings_dict={
            "NEWSARCHIVE_RETRY_BACKOFF_BASE": 1.0,
            "NEWSARCHIVE_RETRY_BACKOFF_MAX": 5.0,
            "NEWSARCHIVE_RETRY_AFTER_MAX": 60.0,
        }
    )
    middleware = BackoffRetryMiddleware.from_crawler(crawler)
    for attempt, nominal in [(0, 1.0), (1, 2.0), (2, 4.0), (3, 5.0), (8, 5.0)]:
        delays = [middleware.backoff(attempt) for _ in range(200)]
        assert nominal * 0.75 <= min(delays) and max(delays) <= nominal * 1.25


class _HttpError(Exception):
    def __init__(self, status):
        self.response = type("R", (), {"status": status})()


@pytest.mark.parametrize(
    "error, reason",
    [
        (_HttpError(404), "gone"),
        (_HttpError(410), "gone"),
        (_HttpError(429), "rate-limited"),
        (_HttpError(503), "server-error"),
        (_HttpError(403), "http-403"),
        (IgnoreRequest("max redirections reached"), "redirect-loop"),
        (ConnectionLost(), "connection-lost"),
        (ValueError("something else"), "fetch-error"),
    ],
)
def test_failures_get_stable_reasons(error, reason):
    failure = Failure(error)
    failure.request = Request("https://digiato.com/a")
    assert failure_reason(failure) == reason


def test_the_text_scrapy_decoded_as_utf8_gives_the_same_answers():
    """The middleware passes response.text so that a valid UTF-8 page is not decoded twice."""
    sound = ARTICLE.encode()
    assert choose_encoding(sound, "text/html; charset=utf-8", sound.decode("utf-8", "replace")) == (
        None,
        None,
    )
    broken = sound.replace("اپل".encode(), b"\xff\xfe", 1)
    with_text = choose_encoding(broken, "text/html; charset=utf-8", broken.decode("utf-8", "replace"))
    assert with_text == choose_encoding(broken, "text/html; charset=utf-8")
    assert with_text[0] is None and "invalid in the declared utf-8" in with_text[1]
    cp1256 = as_windows_1256(ARTICLE)
    assert (
        choose_encoding(cp1256, "text/html; charset=utf-8", cp1256.decode("utf-8", "replace"))[0] == "cp1256"
    )
