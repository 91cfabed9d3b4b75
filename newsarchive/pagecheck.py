"""What a hostile web sends instead of articles, recognised from status, headers and body.

Pure functions, tested without Scrapy; :class:`newsarchive.middlewares.PageCheckMiddleware`
applies them to every response, and the spider's errbacks name every failure with
:func:`newsarchive.outcomes.failure_reason`. Each outcome is a short reason counted in the crawl stats
(``newsarchive/dropped/<reason>``) and listed in ``tests/FAULTS.md``.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

# Named with the other drop reasons in newsarchive.outcomes (the spider imports it there);
# the tests still import it from here.
from newsarchive.outcomes import failure_reason  # noqa: F401

#: How much of a body the checks read: challenge and error pages are small, and
#: their markers sit near the top of any page.
HEAD_BYTES = 64 * 1024

#: What no check reads as markup: comments (an unclosed one runs to the end, as in a
#: browser) and the contents of scripts and styles; whichever opens first wins, as in
#: a browser's tokenizer. Applied only to pages a cheap scan already suspects.
_HIDDEN = r"<!--.*?(?:-->|\Z)|<(script|style)\b.*?(?:</\1\s*>|\Z)"
_HIDDEN_TEXT = re.compile(_HIDDEN, re.IGNORECASE | re.DOTALL)
_HIDDEN_BYTES = re.compile(_HIDDEN.encode(), re.IGNORECASE | re.DOTALL)
# Every repeat below stops at the next "<": a page of 64 KB of "<" or "<title" stays linear.
_TAG_TEXT = re.compile(r"<[^<>]*>")
_TAG_BYTES = re.compile(rb"<[^<>]*>")

# A challenge is an interstitial, not a page that mentions one: Cloudflare's JS-detection
# script (/cdn-cgi/challenge-platform/scripts/jsd/) sits on healthy pages, and articles
# quote "Checking your browser before accessing". So a page is a challenge when it has
# the `cf-mitigated: challenge` header, or when its status is one challenges come with,
# it has an interstitial's title or its own markup (developers.cloudflare.com, "Challenge
# pages"; ArvanCloud's script that computes its `__arcsjs` cookie and reloads; DDoS-Guard's
# and Sucuri's checks), and it has no article content: no <article>, few words.
_CHALLENGE_STATUSES = frozenset({200, 403, 429, 503})
#: Interstitial titles, lowercased with spaces collapsed.
_CHALLENGE_TITLES = frozenset(
    {
        b"just a moment...",
        "just a moment\u2026".encode(),
        b"attention required! | cloudflare",
        b"ddos-guard",
        b"arvancloud",
        b"sucuri website firewall - access denied",
        b"access denied - sucuri website firewall",
    }
)
#: A cheap first look for any of those titles.
_CHALLENGE_TITLE_SCAN = re.compile(
    rb"<title[^<>]*>\s*(?:just a moment|attention required|ddos-guard|arvancloud|"
    rb"sucuri website firewall|access denied - sucuri)",
    re.IGNORECASE,
)
#: Names only an interstitial's own markup and scripts carry, never the JS-detection script
#: (Cloudflare's managed, JS and captcha challenges all set ``_cf_chl_opt``; its older
#: "under attack" page and its block pages have these classes). Matched as written: each
#: search costs a few microseconds on every response.
_CHALLENGE_MARKERS = (
    b"_cf_chl_opt",
    b"cf-browser-verification",
    b"cf-error-details",
    b"__arcsjs",
    b"/.well-known/ddos-guard/",
    b"sucuri_cloudproxy_js",
)
_TITLE = re.compile(rb"<title[^<>]*>([^<]*)", re.IGNORECASE)
#: More visible words than any interstitial shows (Cloudflare's block page has ~130).
CHALLENGE_MAX_WORDS = 300
_CHALLENGE_SERVERS = {
    "cloudflare": "cloudflare",
    "arvancloud": "arvancloud",
    "ddos-guard": "ddos-guard",
    "sucuri": "sucuri",
}

_SOFT_404_CLASS = re.compile(r"<body[^<>]*\bclass=[\"'][^\"'<>]*\berror404\b", re.IGNORECASE)
_SOFT_404_TITLE = re.compile(
    r"<title[^<>]*>[^<]*(?:\b404\b|not found|یافت نشد|پیدا نشد|وجود ندارد|صفحه.{0,20}(?:حذف|نیست))",
    re.IGNORECASE,
)
#: A real article that merely mentions "404" in its title is long; a not-found page is not.
SOFT_404_MAX_TEXT = 3000


def _without_comments(match: re.Match) -> bytes:
    return match[0] if match[1] else b""


def challenge_vendor(status: int, headers: Mapping[str, str], body: bytes) -> str | None:
    """The anti-bot service whose challenge this response is (``cloudflare``, ``arvancloud``,
    ``ddos-guard``, ``sucuri``, ``generic``): challenges come as 403, 503, 429 and 200 alike."""
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return "cloudflare"
    if status not in _CHALLENGE_STATUSES:
        return None
    head = body[:HEAD_BYTES]
    if not (_CHALLENGE_TITLE_SCAN.search(head) or any(marker in head for marker in _CHALLENGE_MARKERS)):
        return None  # what nearly every page answers, without cleaning its markup
    shown = _HIDDEN_BYTES.sub(b" ", head)
    title = _TITLE.search(shown)
    if title is None or b" ".join(title[1].lower().split()) not in _CHALLENGE_TITLES:
        code = _HIDDEN_BYTES.sub(_without_comments, head)  # scripts kept: the markers live there
        if not any(marker in code for marker in _CHALLENGE_MARKERS):
            return None
    if b"<article" in shown.lower() or len(_TAG_BYTES.sub(b" ", shown).split()) > CHALLENGE_MAX_WORDS:
        return None  # an article page, whatever it carries
    server = headers.get("server", "").lower()
    return next((name for key, name in _CHALLENGE_SERVERS.items() if key in server), "generic")


def is_soft_404(text: str) -> bool:
    """A page served with status 200 that says it is not there (WordPress's ``error404``
    body class, or a not-found ``<title>`` over little text)."""
    head = text[:HEAD_BYTES]
    if not (_SOFT_404_CLASS.search(head) or _SOFT_404_TITLE.search(head)):
        return False  # what nearly every page answers, without cleaning its markup
    shown = _HIDDEN_TEXT.sub(" ", head)
    if _SOFT_404_CLASS.search(shown):
        return True
    if not _SOFT_404_TITLE.search(shown):
        return False
    return len(_TAG_TEXT.sub(" ", _HIDDEN_TEXT.sub(" ", text)).split()) * 6 < SOFT_404_MAX_TEXT


def is_empty(body: bytes) -> bool:
    """No content at all: zero bytes or only whitespace."""
    return not body.strip()


_PERSIAN_LETTER = re.compile("[\u0600-\u06ff]")


def _has_persian(text: str) -> bool:
    return _PERSIAN_LETTER.search(text, 0, HEAD_BYTES) is not None


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def choose_encoding(
    body: bytes, content_type: str | None, utf8_text: str | None = None
) -> tuple[str | None, str | None]:
    """``(encoding, note)`` for an HTML body whose declarations may lie.

    Candidates are what the response declares (BOM, ``Content-Type`` charset,
    ``<meta charset>``) and UTF-8, which checks itself: UTF-8 wins whenever the
    body is valid UTF-8 (Persian in a single-byte charset practically never is);
    otherwise the first declared charset that decodes the whole body and yields
    Persian letters, then the first that decodes at all.
    ``(None, note)`` when nothing decodes it: the bytes are broken, and the caller
    records that instead of guessing. ``(None, None)``: keep the response's choice.

    ``utf8_text`` is the body as already decoded as UTF-8 with replacement (Scrapy's
    ``response.text``): without a U+FFFD in it the body is valid UTF-8, and the usual case
    needs no second decoding of the whole page.
    """
    if body.isascii():
        return None, None
    bom, _ = read_bom(body)
    header = http_content_type_encoding(content_type) if content_type else None
    meta = html_body_declared_encoding(body[:HEAD_BYTES])
    codecs_named = (_codec_name(e) for e in (bom, header, meta) if e)
    declared = list(dict.fromkeys(name for name in codecs_named if name))
    first = declared[0] if declared else "utf-8"
    valid_utf8 = "\ufffd" not in utf8_text if utf8_text is not None else False
    if first == "utf-8" and (valid_utf8 or _strict(body, "utf-8") is not None):
        return None, None  # the usual case: UTF-8, declared and valid
    decoded = {
        enc: text for enc in dict.fromkeys([*declared, "utf-8"]) if (text := _strict(body, enc)) is not None
    }
    persian = [enc for enc, text in decoded.items() if _has_persian(text)]
    chosen = "utf-8" if "utf-8" in decoded else next(iter(persian or decoded), None)
    if chosen is None:
        bad = body.decode(first, "replace").count("\ufffd")
        return None, f"charset: {bad} byte sequence(s) invalid in the declared {first}; replaced with U+FFFD"
    if chosen == first:
        return None, None
    why = "declared in the page" if chosen in declared else "the bytes are valid UTF-8"
    return chosen, f"charset: declared {first} does not fit the page; read as {chosen} ({why})"


def _codec_name(encoding: str) -> str | None:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None
