"""A replay server that misbehaves on purpose: the Digiato mirror with faults per path.

``FaultServer(mirror, faults)`` serves ``tests/mirror`` like :class:`newsarchive.replay.ReplayServer`,
except for the paths in ``faults``: each maps to a :class:`Fault`, a list of actions
played one per request (the last one repeats), so "503 twice, then the page" is
``Fault(status(503), status(503), MIRROR)``; the key ``"*"`` is every other path. Every request is logged with its time,
so tests can check retries, their pauses, and that a URL was never fetched.

The actions write raw HTTP on the socket, which is how the ugly cases are made:
a body cut short under a longer ``Content-Length``, a connection reset mid-body,
a server that never answers. See tests/FAULTS.md for the list and the outcomes.
"""

from __future__ import annotations

import contextlib
import gzip
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from newsarchive.replay import Mirror, ReplayHTTPServer, _Handler

MIRROR_ROOT = Path(__file__).parent / "mirror"
#: Serve the mirror's own answer for this request.
MIRROR = "mirror"

Action = Callable[["FaultHandler"], None] | str


@dataclass
class Fault:
    """Actions played in order, one per request to the path; the last one repeats."""

    actions: tuple[Action, ...]

    def __init__(self, *actions: Action):
        self.actions = actions

    def action(self, attempt: int) -> Action:
        return self.actions[min(attempt, len(self.actions) - 1)]


# --- actions --------------------------------------------------------------------


def page(
    body: bytes,
    content_type: str = "text/html; charset=utf-8",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Action:
    """A complete response with this body."""

    def act(handler: FaultHandler) -> None:
        handler.send_raw(status, {"Content-Type": content_type, **(headers or {})}, body)

    return act


def status(
    code: int, headers: dict[str, str] | None = None, body: bytes = b"<html><body>error</body></html>"
) -> Action:
    return page(body, status=code, headers=headers)


def redirect(location: str, code: int = 301) -> Action:
    return page(b"", status=code, headers={"Location": location})


def hang(seconds: float = 5.0) -> Action:
    """Accept the request, answer nothing for ``seconds``, then close."""

    def act(handler: FaultHandler) -> None:
        time.sleep(seconds)
        handler.close_connection = True

    return act


def reset_mid_body(page_body: bytes | None = None) -> Action:
    """Headers and half of the page (``page_body`` or the mirror's), then a TCP reset."""

    def act(handler: FaultHandler) -> None:
        headers, body = handler.answer(page_body)
        handler.send_head(200, {**headers, "Content-Length": str(len(body))})
        handler.wfile.write(body[: len(body) // 2])
        handler.wfile.flush()
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.abort()

    return act


def reset() -> Action:
    """A TCP reset instead of any answer."""

    def act(handler: FaultHandler) -> None:
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.abort()

    return act


def truncated(page_body: bytes | None = None) -> Action:
    """The page (``page_body`` or the mirror's) cut to two thirds under a ``Content-Length``
    of the whole, then a clean close."""

    def act(handler: FaultHandler) -> None:
        headers, body = handler.answer(page_body)
        handler.send_head(200, {**headers, "Content-Length": str(len(body))})
        handler.wfile.write(body[: 2 * len(body) // 3])
        handler.wfile.flush()
        handler.abort()

    return act


def gzip_bomb(decompressed_mb: int = 64) -> Action:
    """A small gzip body that inflates to ``decompressed_mb`` MB of zeros."""
    body = gzip.compress(b"\0" * (decompressed_mb * 1024 * 1024), compresslevel=9)
    return page(body, headers={"Content-Encoding": "gzip"})


def oversize(megabytes: int = 8) -> Action:
    """A plain HTML response larger than the tests' size cap."""
    filler = b"<p>" + b"x" * 1000 + b"</p>\n"
    return page(b"<html><body>" + filler * (megabytes * 1024) + b"</body></html>")


def chunked_oversize(megabytes: int = 50) -> Action:
    """``megabytes`` MB of HTML in 64 KB chunks and no ``Content-Length``: only the bytes
    received tell the client it is too big. Stops when the client hangs up."""

    def act(handler: FaultHandler) -> None:
        handler.send_head(200, {"Content-Type": "text/html; charset=utf-8", "Transfer-Encoding": "chunked"})
        chunk = b"<p>" + b"x" * (64 * 1024 - 8) + b"</p>\n"
        framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
        try:
            for _ in range(megabytes * 16):
                handler.wfile.write(framed)
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client gave up reading: the point
        handler.abort()

    return act


def raw(data: bytes) -> Action:
    """These bytes as the whole answer (a status line no server should send, say), then a close."""

    def act(handler: FaultHandler) -> None:
        handler.wfile.write(data)
        handler.wfile.flush()
        handler.abort()

    return act


# --- pages made from a mirror article --------------------------------------------

BASE_ARTICLE = "mobile/ios-17-2-released-with-journal-app"
BASE_URL = f"https://digiato.com/{BASE_ARTICLE}"


def article_variant(url: str, transform: Callable[[str], str] = lambda html: html) -> str:
    """The base mirror article re-homed at ``url`` (canonical, og:url, JSON-LD), then transformed."""
    html = (MIRROR_ROOT / "digiato.com" / BASE_ARTICLE).read_text("utf-8")
    return transform(html.replace(BASE_URL, url))


def without_dates(html: str) -> str:
    """No date anywhere: the tools line unreadable, no JSON-LD, meta or <time> dates."""
    html = html.replace("۲۱ آذر ۱۴۰۲ | ۰۹:۳۰", "تاریخ: نامعلوم")
    html = re.sub(r'<script type="application/ld\+json".*?</script>', "", html, flags=re.DOTALL)
    html = re.sub(r"<meta[^>]+(?:published_time|modified_time|updated_time|date)[^>]*>", "", html)
    return re.sub(r"<time[^>]*>.*?</time>", "", html, flags=re.DOTALL)


def deeply_nested(depth: int = 50_000) -> Callable[[str], str]:
    """``depth`` nested tags in the comments section, after the article."""

    def transform(html: str) -> str:
        nest = "<div>" * depth + "ته" + "</div>" * depth
        return html.replace(
            '<section class="comments" id="comments">', f'<section class="comments" id="comments">{nest}'
        )

    return transform


def as_windows_1256(html: str) -> bytes:
    """The page in windows-1256 (which has every Persian letter and ZWNJ), declared so in a <meta>."""
    html = re.sub(r'<meta charset="[^"]*">', "", html, flags=re.IGNORECASE)
    html = html.replace(
        "<head>", '<head><meta http-equiv="Content-Type" content="text/html; charset=windows-1256">', 1
    )
    return html.encode("cp1256", errors="xmlcharrefreplace")


def with_invalid_utf8(html: str) -> bytes:
    """A UTF-8 page with a few bytes that are not UTF-8 inside its body text."""
    body = html.encode("utf-8")
    marker = "اپل".encode()
    first = body.index(marker, body.index(b"<article") if b"<article" in body else 0)
    return body[:first] + b"\xff\xfe\xc3" + body[first:]


CLOUDFLARE_CHALLENGE = (
    b'<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
    b'<meta http-equiv="refresh" content="390"></head><body><div class="main-wrapper">'
    b"<noscript>Enable JavaScript and cookies to continue</noscript>"
    b"<script>window._cf_chl_opt={cvId: '3',cZone: 'digiato.com',cType: 'managed'};"
    b"var a=document.createElement('script');a.src='/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1';"
    b"</script></div></body></html>"
)
ARVAN_CHALLENGE = (
    "<html><head><title>ArvanCloud</title></head><body><p>در حال بررسی مرورگر شما…</p>"
    "<script>function r(){document.cookie='__arcsjs=' + x + '; path=/';location.reload();}</script>"
    "</body></html>"
).encode()
SOFT_404 = (
    "<!DOCTYPE html><html lang='fa-IR'><head><title>صفحه مورد نظر یافت نشد - دیجیاتو</title></head>"
    "<body class='error404 wp-theme-digiato'><h1>اوه! این صفحه پیدا نشد</h1>"
    "<p>شاید آدرس را اشتباه وارد کرده‌اید.</p></body></html>"
).encode()


# --- the server -------------------------------------------------------------------


class FaultHandler(_Handler):
    server: FaultHTTPServer

    def _respond(self, send_body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        attempt = self.server.log_request(path)
        faults = self.server.faults
        fault = faults.get(path) or faults.get(path.rstrip("/")) or faults.get("*")
        action = fault.action(attempt) if fault else MIRROR
        if action == MIRROR:
            super()._respond(send_body)
        else:
            action(self)

    def answer(self, body: bytes | None) -> tuple[dict[str, str], bytes]:
        """Headers and body of ``body`` as HTML, or of the mirror's page for this path."""
        if body is not None:
            return {"Content-Type": "text/html; charset=utf-8"}, body
        host = self.headers.get("X-Replay-Host") or self.headers.get("Host")
        _, headers, mirrored = self.server.mirror.response(host, self.path)
        return headers, mirrored

    def send_head(self, code: int, headers: dict[str, str]) -> None:
        self.send_response(code)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def send_raw(self, code: int, headers: dict[str, str], body: bytes) -> None:
        self.send_head(code, {**headers, "Content-Length": str(len(body))})
        if self.command != "HEAD":
            self.wfile.write(body)

    def abort(self) -> None:
        """Close the socket now; the handler's own flush and close then have nothing to do."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.close()

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the connection was reset on purpose
            super().finish()


class FaultHTTPServer(ReplayHTTPServer):
    def __init__(self, mirror: Mirror, faults: dict[str, Fault]):
        self.faults = faults
        self.requests: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        super().__init__(mirror)
        self.RequestHandlerClass = FaultHandler

    def log_request(self, path: str) -> int:
        """Record a request; returns how many earlier requests the path had."""
        with self._lock:
            attempt = sum(1 for _, p in self.requests if p == path)
            self.requests.append((time.monotonic(), path))
            return attempt

    def handle_error(self, request, client_address) -> None:
        pass  # resets and hangs are the point here


@dataclass
class FaultServer:
    """``with FaultServer(faults) as server:`` a fault-injecting replay of tests/mirror on loopback."""

    faults: dict[str, Fault] = field(default_factory=dict)
    root: Path = MIRROR_ROOT

    def __post_init__(self):
        self.httpd = FaultHTTPServer(Mirror(self.root), self.faults)
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="faults", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def times(self, path: str) -> list[float]:
        """When ``path`` was requested, in order."""
        return [t for t, p in self.httpd.requests if p == path or p.rstrip("/") == path.rstrip("/")]

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
