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
  folder is the root: one server can replay several sites.
* ``.replay.json`` in a root may hold ``{"redirects": {"/old": "https://site/new"}}``.
* Anything else is a 404.

A WARC file, or a folder of them, is served instead of a directory of pages
when given (:class:`newsarchive.warc.WarcMirror`): the latest capture of each
URL, with its status, headers and body.
"""

from __future__ import annotations

import json
import mimetypes
import threading
from functools import cached_property
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPLAY_HOST_HEADER = "X-Replay-Host"
NOT_FOUND_PAGE = (
    "<!DOCTYPE html><html><head><title>404</title></head>"
    "<body><h1>صفحه پیدا نشد</h1><p>Not found</p></body></html>"
).encode()


def sniff_content_type(path: Path, head: bytes) -> str:
    """A content type from the file name, else from the first bytes."""
    guessed, _ = mimetypes.guess_type(path.name)
    if guessed and path.suffix and "?" not in path.name:  # a recorded query says nothing of the type
        return guessed + ("; charset=utf-8" if guessed.startswith("text/") or guessed.endswith("xml") else "")
    stripped = head.lstrip()
    if stripped.startswith(b"<?xml") or stripped.startswith(b"<rss"):
        return "application/xml; charset=utf-8"
    if stripped.startswith(b"{") or stripped.startswith(b"["):
        return "application/json"
    return "text/html; charset=utf-8"


class Mirror:
    """A directory of recorded pages, possibly one folder per host."""

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise FileNotFoundError(f"replay mirror {self.root} is not a directory")

    def root_for(self, host: str | None) -> Path:
        if host:
            host = host.split(":")[0].lower().removeprefix("www.")
            candidate = self.root / host
            if host and candidate.is_dir():
                return candidate
        return self.root

    @staticmethod
    def _redirects(root: Path) -> dict[str, str]:
        manifest = root / ".replay.json"
        if not manifest.is_file():
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
        relative = path.strip("/")
        candidate = (root / relative).resolve()
        if candidate != root and root not in candidate.parents:
            return 404, None  # ../ escapes the mirror
        options = [candidate, candidate / "index.html"]
        query = unquote(url.query)
        if query and "/" not in query:
            options[:0] = [option.with_name(f"{option.name}?{query}") for option in options if option != root]
        for option in options:
            if option.is_file() and option.name != ".replay.json":
                return 200, option
        return 404, None

    def response(self, host: str | None, raw_path: str) -> tuple[int, dict[str, str], bytes] | None:
        """``(status, headers, body)`` for a request, or None for a 404 (the server's page)."""
        status, target = self.resolve(host, raw_path)
        if status == 200:
            body = target.read_bytes()
            return 200, {"Content-Type": sniff_content_type(target, body[:64])}, body
        if status == 301:
            return 301, {"Location": target}, b""
        return None


def open_mirror(source: str | Path):
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

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet by default
        if self.server.verbose:
            super().log_message(format, *args)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def _respond(self, send_body: bool) -> None:
        host = self.headers.get(REPLAY_HOST_HEADER) or self.headers.get("Host")
        found = self.server.mirror.response(host, self.path)
        if found is None:
            status, headers, body = 404, {"Content-Type": "text/html; charset=utf-8"}, NOT_FOUND_PAGE
        else:
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

    def __init__(self, mirror: Mirror, host: str = "127.0.0.1", port: int = 0, verbose: bool = False):
        self.mirror = mirror
        self.verbose = verbose
        super().__init__((host, port), _Handler)


class ReplayServer:
    """A replay server on a background thread: ``with ReplayServer(root) as server: server.url``."""

    def __init__(self, root: str | Path, host: str = "127.0.0.1", port: int = 0, verbose: bool = False):
        self.httpd = ReplayHTTPServer(open_mirror(root), host, port, verbose)
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="replay", daemon=True)

    @cached_property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
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
