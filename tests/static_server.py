"""A fast static server for the benchmarks and the fault tests: mirrors over loopback, never the bottleneck.

``newsarchive.replay`` answers each request on a new thread of ``http.server`` and
reads the file every time: fine for tests, but a few hundred requests per second at
most. This server answers from asyncio on one thread, keeps connections alive, and
caches every response it has built (status line, headers and body in one ``bytes``),
so a repeated or pipelined request costs one ``transport.write``.

It resolves paths exactly as the replay server does (``newsarchive.replay.Mirror``:
percent-decoded paths, ``index.html``, host folders, ``.replay.json`` redirects), over
one or more roots tried in order: the generated mirrors put their site files (sitemaps,
feed, listings) in one root and the shared page pool in another. Requests are routed
to the host named by ``X-Replay-Host`` (what ``ReplayDownloadHandler`` sends); a request
without it (the bare Scrapy spider's) goes to ``--default-host``.

Run it in its own process so that its CPU time never counts as the crawler's::

    python tests/static_server.py ROOT [ROOT ...] [--port 0] [--default-host digiato.com]

(``python -m bench.server`` is the same.)

It prints ``READY <url>`` once listening; :class:`StaticServer` starts and stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from newsarchive.replay import NOT_FOUND_PAGE, REPLAY_HOST_HEADER, Mirror, sniff_content_type

ROOT = Path(__file__).resolve().parent.parent
#: Built responses kept in memory, up to this many bytes (beyond it files are read per request).
CACHE_BYTES = 1 << 30
_HOST_HEADER = REPLAY_HOST_HEADER.lower().encode()


class Responses:
    """Built HTTP responses by (host, request target), resolved over ``roots`` in order."""

    def __init__(self, roots: list[Path], default_host: str | None = None):
        self.mirrors = [Mirror(root) for root in roots]
        self.default_host = default_host
        self.cache: dict[tuple[str, str], bytes] = {}
        self.cached_bytes = 0
        self.served = 0

    def build(self, host: str, target: str) -> bytes:
        for mirror in self.mirrors:
            status, found = mirror.resolve(host, target)
            if status == 200:
                body = found.read_bytes()
                return self._response(200, "OK", sniff_content_type(found, body[:64]), body)
            if status == 301:
                head = (
                    f"HTTP/1.1 301 Moved Permanently\r\nLocation: {found}\r\nContent-Length: 0\r\n\r\n"
                ).encode("latin-1", "backslashreplace")
                return head
        return self._response(404, "Not Found", "text/html; charset=utf-8", NOT_FOUND_PAGE)

    @staticmethod
    def _response(status: int, reason: str, content_type: str, body: bytes) -> bytes:
        return (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    def get(self, host: str | None, target: str) -> bytes:
        key = (host or self.default_host or "", target)
        response = self.cache.get(key)
        if response is None:
            response = self.build(*key)
            if self.cached_bytes + len(response) <= CACHE_BYTES:
                self.cache[key] = response
                self.cached_bytes += len(response)
        self.served += 1
        return response


class _Connection(asyncio.Protocol):
    def __init__(self, responses: Responses):
        self.responses = responses
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            lines = head.split(b"\r\n")
            try:
                method, target, _ = lines[0].split(b" ", 2)
            except ValueError:
                self.transport.write(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
                self.transport.close()
                return
            host, close = None, False
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == _HOST_HEADER:
                    host = value.strip().decode("latin-1")
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            response = self.responses.get(host, target.decode("latin-1"))
            if method == b"HEAD":
                response = response[: response.find(b"\r\n\r\n") + 4]
            self.transport.write(response)
            if close:
                self.transport.close()
                return


async def serve(
    roots: list[Path], host: str, port: int, default_host: str | None, preload: Path | None = None
) -> None:
    responses = Responses(roots, default_host)
    if preload:  # build these responses before saying READY: no disk reads during a measurement
        for target in preload.read_text("utf-8").split():
            responses.get(None, target)
        responses.served = 0
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(responses), host, port, backlog=512)
    address = server.sockets[0].getsockname()
    print(f"READY http://{address[0]}:{address[1]}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    print(f"served {responses.served} responses, {len(responses.cache)} cached", file=sys.stderr, flush=True)


class StaticServer:
    """``with StaticServer([root, ...]) as server: server.url`` — the server in a child process."""

    def __init__(self, roots: list[Path], default_host: str | None = "digiato.com", preload: list[str] = ()):
        self.roots = [Path(root) for root in roots]
        self.default_host = default_host
        self.preload = list(preload)
        self._preload_file: Path | None = None
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> StaticServer:
        command = [sys.executable, str(Path(__file__).resolve()), *map(str, self.roots)]
        if self.default_host:
            command += ["--default-host", self.default_host]
        if self.preload:
            handle, name = tempfile.mkstemp(prefix="bench-preload-", suffix=".txt")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write("\n".join(self.preload))
            self._preload_file = Path(name)
            command += ["--preload", name]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        line = self.process.stdout.readline().strip()
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"static server did not start: {line!r}")
        self.url = line.split(" ", 1)[1]
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._preload_file:
            self._preload_file.unlink(missing_ok=True)
            self._preload_file = None

    def __enter__(self) -> StaticServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("roots", nargs="+", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--default-host", default=None, help="host folder for requests without X-Replay-Host")
    parser.add_argument(
        "--preload", type=Path, help="a file of request targets (URL paths) to build before READY"
    )
    args = parser.parse_args(argv)
    asyncio.run(serve(args.roots, args.host, args.port, args.default_host, args.preload))


if __name__ == "__main__":
    main()
