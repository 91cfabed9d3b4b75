"""A local replay of a website: recorded pages served over HTTP on loopback.

With ``NEWSARCHIVE_REPLAY_URL`` set, :class:`~newsarchive.middlewares.ReplayDownloadHandler`
sends every request there, path and query unchanged, with the real host in an
``X-Replay-Host`` header. This server answers from a directory laid out by
path:

* ``/a/b`` is the file ``ROOT/a/b``, or ``ROOT/a/b/index.html``; ``/a/b/`` is
  ``ROOT/a/b/index.html`` (or the file ``ROOT/a/b``). Paths are percent-decoded,
  so Persian slugs are stored as Persian file names.
* Queries are ignored, unless a page was recorded for one: ``/a/?x=1&y=2`` is
  ``ROOT/a/index.html?x=1&y=2`` (or ``ROOT/a?x=1&y=2``) when that file exists,
  named as ``wget --mirror`` names it (e.g. Joomla's ``/fa/?format=feed&type=rss``).
* When ``ROOT/<host>/`` exists for the requested host (``www.`` ignored), that
  folder is the root: one server can replay several sites. Only a plain host
  name (letters, digits, dots, hyphens, an optional ``:port``) naming a direct
  subfolder counts; any other ``Host`` or ``X-Replay-Host`` means the root.
* Nothing outside the root is ever read: every file, after percent-decoding
  and resolving symlinks, must lie under it (a symlink pointing out is a 404).
  A NUL or control character in the path, query or host is a 400.
* ``.replay.json`` in a root may hold ``{"redirects": {"/old": "https://site/new"}}``.
* A recorded file may carry its own status and headers in a sidecar named after it plus
  ``.headers.json``: ``{"status": 200, "headers": {"X-WP-Total": "250", "X-WP-TotalPages":
  "3"}}`` next to ``ROOT/wp-json/wp/v2/posts?…&page=1`` (WordPress's pagination headers), or
  ``{"status": 401}`` for an API closed to the public. Both keys are optional; the headers
  are added to (or replace) the sniffed ``Content-Type``. A sidecar is never served itself,
  and one outside the root is never read.
* Anything else is a 404.

A WARC file, or a folder of them, is served instead of a directory of pages
when given (:class:`newsarchive.warc.WarcMirror`): the latest capture of each
URL, with its status, headers and body.
"""

from __future__ import annotations

import json
import mimetypes
import re
import threading
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Protocol, TypeAlias
from urllib.parse import unquote, urlsplit

REPLAY_HOST_HEADER = "X-Replay-Host"
#: The suffix of a recorded file's sidecar of status and headers.
SIDECAR = ".headers.json"
#: The only host headers that choose a folder: a header is the client's to write.
PLAIN_HOST = re.compile(r"[A-Za-z0-9.-]+(?::[0-9]+)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
NOT_FOUND_PAGE = (
    "<!DOCTYPE html><html><head><title>404</title></head>"
    "<body><h1>صفحه پیدا نشد</h1><p>Not found</p></body></html>"
).encode()
BAD_REQUEST_PAGE = (
    b"<!DOCTYPE html><html><head><title>400</title></head><body><p>Bad request</p></body></html>"
)

#: ``(status, headers, body)``: headers a dict, or the (name, value) pairs a capture recorded.
Reply: TypeAlias = tuple[int, dict[str, str] | list[tuple[str, str]], bytes]


class Recording(Protocol):
    """What the server replays: a :class:`Mirror` directory or a
    :class:`~newsarchive.warc.WarcMirror` of captures."""

    def response(self, host: str | None, raw_path: str) -> Reply | None:
        """``(status, headers, body)`` for a request, or None for a 404 (the server's page)."""


def bad_request(host: str | None, raw_path: str) -> bool:
    """True when the host or the percent-decoded path or query holds a NUL or control character
    (no file name has one; a NUL would make the file system calls raise)."""
    return bool(_CONTROL.search(host or "") or _CONTROL.search(unquote(raw_path)))


def _confined_file(root: Path, path: Path) -> Path | None:
    """``path`` with every symlink resolved, when that is a file under ``root``; else None."""
    try:
        resolved = path.resolve()
        return resolved if root in resolved.parents and resolved.is_file() else None
    except (OSError, ValueError):  # a name too long for the file system, a NUL: not a recorded page
        return None


def sniff_content_type(path: Path, head: bytes) -> str:
    """A content type from the file name, else from the first bytes."""
    guessed, _ = mimetypes.guess_type(path.name)
    if guessed and path.suffix and "?" not in path.name:  # a recorded query says nothing of the type
        return guessed + ("; charset=utf-8" if guessed.startswith("text/") or guessed.endswith("xml") else "")
    stripped = head.lstrip()
    if stripped.startswith((b"<?xml", b"<rss")):
        return "application/xml; charset=utf-8"
    if stripped.startswith((b"{", b"[")):
        return "application/json"
    return "text/html; charset=utf-8"


class Mirror:
    """A directory of recorded pages, possibly one folder per host."""

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise FileNotFoundError(f"replay mirror {self.root} is not a directory")

    def root_for(self, host: str | None) -> Path:
        """The folder of a plain host name that is a direct subfolder of the root (symlinks
        resolved: ``..``, ``/etc`` or a link pointing out never qualify), else the root."""
        if host and PLAIN_HOST.fullmatch(host):
            candidate = (self.root / host.split(":")[0].lower().removeprefix("www.")).resolve()
            if candidate.parent == self.root and candidate.is_dir():
                return candidate
        return self.root

    @staticmethod
    def _redirects(root: Path) -> dict[str, str]:
        manifest = _confined_file(root, root / ".replay.json")
        if manifest is None:
            return {}
        return json.loads(manifest.read_text("utf-8")).get("redirects", {})

    def resolve(self, host: str | None, raw_path: str) -> tuple[int, Path | str | None]:
        """``(200, file)``, ``(301, location)`` or ``(404, None)`` for a request path."""
        root = self.root_for(host)
        url = urlsplit(raw_path)
        path = unquote(url.path) or "/"
        redirects = self._redirects(root)
        for key in (path, path.rstrip("/"), path.rstrip("/") + "/"):
            if key in redirects:
                return 301, redirects[key]
        candidate = root / path.strip("/")
        options = [candidate, candidate / "index.html"]
        query = unquote(url.query)
        if query and "/" not in query:
            options[:0] = [option.with_name(f"{option.name}?{query}") for option in options if option != root]
        for option in options:
            # Resolved, then checked: ``..``, ``%2e%2e`` and symlinks pointing out all end here.
            found = _confined_file(root, option)
            if found is not None and found.name != ".replay.json" and not found.name.endswith(SIDECAR):
                return 200, found
        return 404, None

    def _sidecar(self, target: Path) -> tuple[int, dict[str, str]]:
        """The status and headers recorded beside ``target`` (see the module's docstring)."""
        sidecar = _confined_file(self.root, target.with_name(target.name + SIDECAR))
        if sidecar is None:
            return 200, {}
        recorded = json.loads(sidecar.read_text("utf-8"))
        headers = {str(name): str(value) for name, value in recorded.get("headers", {}).items()}
        return int(recorded.get("status", 200)), headers

    def response(self, host: str | None, raw_path: str) -> tuple[int, dict[str, str], bytes] | None:
        """``(status, headers, body)`` for a request, or None for a 404 (the server's page)."""
        status, target = self.resolve(host, raw_path)
        if status == 200 and isinstance(target, Path):
            body = target.read_bytes()
            recorded_status, headers = self._sidecar(target)
            return recorded_status, {"Content-Type": sniff_content_type(target, body[:64]), **headers}, body
        if status == 301 and isinstance(target, str):
            return 301, {"Location": target}, b""
        return None


def open_mirror(source: str | Path) -> Recording:
    """A :class:`Mirror` for a directory of pages, a :class:`~newsarchive.warc.WarcMirror`
    for a WARC file or a folder holding WARC files (see :mod:`newsarchive.warc`)."""
    from newsarchive.warc import WarcMirror, warc_files

    path = Path(source)
    if path.is_file() or (path.is_dir() and warc_files(path)):
        return WarcMirror(path)
    return Mirror(path)


class _Handler(BaseHTTPRequestHandler):
    server: ReplayHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def _respond(self, send_body: bool) -> None:
        host = self.headers.get(REPLAY_HOST_HEADER) or self.headers.get("Host")
        found: Reply | None
        if bad_request(host, self.path):
            found = 400, {"Content-Type": "text/html; charset=utf-8"}, BAD_REQUEST_PAGE
        else:
            found = self.server.mirror.response(
                host if host and PLAIN_HOST.fullmatch(host) else None, self.path
            )
        if found is None:
            found = 404, {"Content-Type": "text/html; charset=utf-8"}, NOT_FOUND_PAGE
        status, headers, body = found
        self.send_response(status)
        for name, value in headers.items() if isinstance(headers, dict) else headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)


class ReplayHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, mirror: Recording, host: str = "127.0.0.1", port: int = 0, verbose: bool = False):
        self.mirror = mirror
        self.verbose = verbose
        super().__init__((host, port), _Handler)

    @property
    def address(self) -> tuple[str, int]:
        """The host and port it listens on (the port the system chose, when asked for 0)."""
        host, port = self.server_address[:2]
        assert isinstance(host, str)  # typeshed allows bytes; the socket module gives an AF_INET host as str
        return host, port


class ReplayServer:
    """A replay server on a background thread: ``with ReplayServer(root) as server: server.url``."""

    def __init__(self, root: str | Path, host: str = "127.0.0.1", port: int = 0, verbose: bool = False):
        self.httpd = ReplayHTTPServer(open_mirror(root), host, port, verbose)
        # A short poll: stop() returns within 50 ms instead of serve_forever's default 0.5 s.
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="replay", daemon=True
        )

    @cached_property
    def url(self) -> str:
        host, port = self.httpd.address
        return f"http://{host}:{port}"

    def start(self) -> ReplayServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def bundled_mirror() -> Path:
    """The Digiato (and other sites') mirror shipped in the source tree under ``tests/mirror``."""
    return Path(__file__).resolve().parent.parent / "tests" / "mirror"
