"""What a hostile web sends instead of articles, recognised from status, headers and body.

Pure functions, tested without Scrapy; :class:`newsarchive.middlewares.PageCheckMiddleware`
applies them to every response and the spider's errbacks name every failure with
:func:`failure_reason`. Each outcome is a short reason counted in the crawl stats
(``newsarchive/dropped/<reason>``) and listed in ``tests/FAULTS.md``.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

#: How much of a body the checks read: challenge and error pages are small, and
#: their markers sit near the top of any page.
HEAD_BYTES = 64 * 1024

# Cloudflare: the `cf-mitigated: challenge` header and the interstitial's markup
# (developers.cloudflare.com, "Challenge pages"); ArvanCloud: its `__arcsjs` cookie
# challenge (see ../shared/notes/sites.md) and its Server header. Generic
# "checking your browser" interstitials (DDoS-Guard, Sucuri) are caught by text.
# Plain substrings of the lowercased head: a regex here cost more than extraction.
_CHALLENGE_MARKERS = (
    b"/cdn-cgi/challenge-platform/", b"_cf_chl_opt", b"cf-browser-verification", b"<title>just a moment...</title>",
    b"__arcsjs", b"checking your browser before accessing", b"ddos protection by", b"sucuri_cloudproxy_js",
)
_CHALLENGE_SERVERS = {"cloudflare": "cloudflare", "arvancloud": "arvancloud", "ddos-guard": "ddos-guard"}

_SOFT_404_CLASS = re.compile(rb"<body[^>]*\bclass=[\"'][^\"']*\berror404\b", re.IGNORECASE)
_SOFT_404_TITLE = re.compile(
    r"<title[^>]*>[^<]*(?:\b404\b|not found|یافت نشد|پیدا نشد|وجود ندارد|صفحه.{0,20}(?:حذف|نیست))",
    re.IGNORECASE,
)
#: A real article that merely mentions "404" in its title is long; a not-found page is not.
SOFT_404_MAX_TEXT = 3000
_TAGS = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.IGNORECASE | re.DOTALL)


def challenge_vendor(status: int, headers: Mapping[str, str], body: bytes) -> str | None:
    """The anti-bot service whose challenge this response is (``cloudflare``, ``arvancloud``,
    ``generic``), whatever its status: challenges come as 403, 503 and 200 alike."""
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return "cloudflare"
    head = body[:HEAD_BYTES].lower()
    if not any(marker in head for marker in _CHALLENGE_MARKERS):
        return None
    server = headers.get("server", "").lower()
    return next((name for key, name in _CHALLENGE_SERVERS.items() if key in server), "generic")


def is_soft_404(text: str) -> bool:
    """A page served with status 200 that says it is not there (WordPress's ``error404``
    body class, or a not-found ``<title>`` over little text)."""
    head = text[:HEAD_BYTES]
    if _SOFT_404_CLASS.search(head.encode("utf-8", "replace")):
        return True
    return bool(_SOFT_404_TITLE.search(head)) and len(_TAGS.sub(" ", text).split()) * 6 < SOFT_404_MAX_TEXT


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


def choose_encoding(body: bytes, content_type: str | None) -> tuple[str | None, str | None]:
    """``(encoding, note)`` for an HTML body whose declarations may lie.

    Candidates are what the response declares (BOM, ``Content-Type`` charset,
    ``<meta charset>``) and UTF-8, which checks itself: UTF-8 wins whenever the
    body is valid UTF-8 (Persian in a single-byte charset practically never is);
    otherwise the first declared charset that decodes the whole body and yields
    Persian letters, then the first that decodes at all.
    ``(None, note)`` when nothing decodes it: the bytes are broken, and the caller
    records that instead of guessing. ``(None, None)``: keep the response's choice.
    """
    if body.isascii():
        return None, None
    bom, _ = read_bom(body)
    header = http_content_type_encoding(content_type) if content_type else None
    meta = html_body_declared_encoding(body[:HEAD_BYTES])
    declared = list(dict.fromkeys(_codec_name(e) for e in (bom, header, meta) if e and _codec_name(e)))
    first = declared[0] if declared else "utf-8"
    if first == "utf-8" and _strict(body, "utf-8") is not None:
        return None, None  # the usual case: UTF-8, declared and valid
    decoded = {enc: text for enc in dict.fromkeys([*declared, "utf-8"]) if (text := _strict(body, enc)) is not None}
    persian = [enc for enc, text in decoded.items() if _has_persian(text)]
    chosen = "utf-8" if "utf-8" in decoded else (persian or list(decoded) or [None])[0]
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


def failure_reason(failure) -> str:
    """A short, stable reason for a failed request (a Twisted ``Failure``), for the crawl counts."""
    error = failure.value
    response = getattr(error, "response", None)
    if response is not None:
        status = response.status
        if status in (404, 410):
            return "gone"
        if status == 429:
            return "rate-limited"
        return "server-error" if status >= 500 else f"http-{status}"
    name = type(error).__name__
    message = str(error)
    if "max size" in message or "DOWNLOAD_MAXSIZE" in message:
        return "oversize"
    if "max redirections" in message:
        return "redirect-loop"
    if "offsite" in message.lower():
        return "offsite-redirect"
    if "Timeout" in name or "timed out" in message.lower():
        return "timeout"
    if "DataLoss" in name or "dataloss" in message.lower().replace(" ", ""):
        return "data-loss"
    if any(word in name for word in ("ConnectionLost", "ConnectionDone", "ResponseFailed", "ConnectionRefused",
                                     "DownloadFailed", "ConnectError")):
        return "connection-lost"
    return "fetch-error"
