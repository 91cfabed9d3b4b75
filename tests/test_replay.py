"""The replay server maps URL paths to files, redirects and 404s like a site."""

import json
import urllib.error
import urllib.request

import pytest

from newsarchive.middlewares import replay_target
from newsarchive.replay import NOT_FOUND_PAGE, REPLAY_HOST_HEADER, ReplayServer
from newsarchive.warc import WarcMirror


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, host: str | None = None):
    request = urllib.request.Request(url, headers={REPLAY_HOST_HEADER: host} if host else {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def mirror(tmp_path):
    site = tmp_path / "example.com"
    (site / "topic" / "tech").mkdir(parents=True)
    (site / "topic" / "tech" / "index.html").write_text("<html>listing</html>", "utf-8")
    (site / "article" / "2022").mkdir(parents=True)
    (site / "article" / "2022" / "فورد-موستانگ").write_text("<html>persian slug</html>", "utf-8")
    (site / "feed").write_text('<?xml version="1.0"?><rss></rss>', "utf-8")
    (site / "fa").mkdir()
    (site / "fa" / "index.html").write_text("<html>home</html>", "utf-8")
    (site / "fa" / "index.html?format=feed&type=rss").write_text(
        '<?xml version="1.0"?><rss>joomla</rss>', "utf-8"
    )
    (site / ".replay.json").write_text(json.dumps({"redirects": {"/old": "https://example.com/topic/tech/"}}))
    (tmp_path / "secret.txt").write_text("outside the site root")
    (tmp_path / "plain.html").write_text("<html>no host folder</html>")
    with ReplayServer(tmp_path) as server:
        yield server


def test_directory_index_with_and_without_slash(mirror):
    for path in ("/topic/tech/", "/topic/tech"):
        status, headers, body = fetch(mirror.url + path, "example.com")
        assert (status, body) == (200, b"<html>listing</html>")
        assert headers["Content-Type"].startswith("text/html")


def test_percent_encoded_persian_slug_in_either_case(mirror):
    slug = "فورد-موستانگ".encode()
    for encoded in ("".join(f"%{b:02x}" for b in slug), "".join(f"%{b:02X}" for b in slug)):
        status, _, body = fetch(f"{mirror.url}/article/2022/{encoded}?utm_source=rss", "www.example.com")
        assert (status, body) == (200, b"<html>persian slug</html>")


def test_feed_without_extension_is_served_as_xml(mirror):
    status, headers, _ = fetch(mirror.url + "/feed", "example.com")
    assert status == 200 and "xml" in headers["Content-Type"]


def test_a_page_recorded_for_a_query_is_served_for_that_query_only(mirror):
    status, headers, body = fetch(mirror.url + "/fa/?format=feed&type=rss", "www.example.com")
    assert (status, body) == (200, b'<?xml version="1.0"?><rss>joomla</rss>')
    assert "xml" in headers["Content-Type"]
    for other in ("/fa/", "/fa/?format=html", "/fa/?next=/a/b"):
        assert fetch(mirror.url + other, "example.com")[2] == b"<html>home</html>"
    assert fetch(mirror.url + "/?format=feed&type=rss", "example.com")[0] == 404


def test_redirect_and_not_found(mirror):
    status, headers, _ = fetch(mirror.url + "/old", "example.com")
    assert status == 301 and headers["Location"] == "https://example.com/topic/tech/"
    assert fetch(mirror.url + "/missing", "example.com")[0] == 404
    assert fetch(mirror.url + "/.replay.json", "example.com")[0] == 404


def test_paths_cannot_escape_the_mirror(mirror):
    assert fetch(mirror.url + "/../secret.txt", "example.com")[0] == 404
    assert fetch(mirror.url + "/%2e%2e/secret.txt", "example.com")[0] == 404


def test_unknown_host_is_served_from_the_root(mirror):
    assert fetch(mirror.url + "/plain.html")[2] == b"<html>no host folder</html>"


def test_replay_target_keeps_path_and_query():
    target = replay_target("https://digiato.com/topic/tech/page/2/?a=1#x", "http://127.0.0.1:9")
    assert target == "http://127.0.0.1:9/topic/tech/page/2/?a=1"


# --- confinement: a host header, a path or a symlink never reaches beyond the mirror ---------


def raw_request(server, target: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Send one request exactly as written (as curl would) and read the whole answer.

    A handler that raises drops the connection: that reads as status 0."""
    import socket

    host, port = server.httpd.server_address[:2]
    lines = [
        f"GET {target} HTTP/1.1",
        *(f"{k}: {v}" for k, v in {"Host": "x", **(headers or {})}.items()),
        "Connection: close",
        "",
        "",
    ]
    with socket.create_connection((host, port), timeout=5) as connection:
        connection.sendall("\r\n".join(lines).encode("utf-8", "surrogateescape"))
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    if not answer:
        return 0, b""
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.fixture
def confined(tmp_path):
    """A mirror at ``tmp_path/mirror`` with a secret beside it and symlinks pointing out."""
    root = tmp_path / "mirror"
    site = root / "example.com"
    site.mkdir(parents=True)
    (site / "page").write_text("<html>inside</html>")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("SECRET")
    (outside / "index.html").write_text("SECRET INDEX")
    (site / "leak").symlink_to(outside / "secret.txt")
    (site / "leakdir").symlink_to(outside)
    (site / "feed?x=1").symlink_to(outside / "secret.txt")
    (root / "evil.com").symlink_to(outside)  # a host folder that is a way out
    with ReplayServer(root) as server:
        yield server, outside


@pytest.mark.parametrize(
    "target, headers",
    [
        ("/hostname", {REPLAY_HOST_HEADER: "/etc"}),  # curl -H 'X-Replay-Host: /etc' …/hostname
        ("/etc/passwd", {"Host": "/"}),  # curl -H 'Host: /' …/etc/passwd
        ("/passwd", {"Host": "/etc"}),
        ("/secret.txt", {REPLAY_HOST_HEADER: "OUTSIDE"}),  # an absolute folder of this machine
        ("/secret.txt", {REPLAY_HOST_HEADER: ".."}),
        ("/outside/secret.txt", {REPLAY_HOST_HEADER: ".."}),
        ("/secret.txt", {REPLAY_HOST_HEADER: "../outside"}),
        ("/secret.txt", {REPLAY_HOST_HEADER: "evil.com"}),  # a host folder symlinked outside
        ("/../outside/secret.txt", {}),
        ("/%2e%2e/outside/secret.txt", {}),
        ("/%2E%2E/%2e%2e/outside/secret.txt", {REPLAY_HOST_HEADER: "example.com"}),
        ("/..%2foutside%2fsecret.txt", {}),
        ("/leak", {REPLAY_HOST_HEADER: "example.com"}),  # a symlink inside the mirror
        ("/leakdir/secret.txt", {REPLAY_HOST_HEADER: "example.com"}),
        ("/leakdir/", {REPLAY_HOST_HEADER: "example.com"}),  # its index.html
        ("/feed?x=1", {REPLAY_HOST_HEADER: "example.com"}),  # a recorded query that is a symlink
        ("/" + "a" * 300, {}),  # a name too long for the file system
    ],
)
def test_requests_never_read_outside_the_mirror(confined, target, headers):
    server, outside = confined
    headers = {k: v.replace("OUTSIDE", str(outside)) for k, v in headers.items()}
    status, body = raw_request(server, target, headers)
    assert status == 404, (target, headers, status)
    assert b"SECRET" not in body and b"root:" not in body and body == NOT_FOUND_PAGE


def test_a_plain_host_header_still_picks_its_folder(confined):
    server, _ = confined
    for headers in (
        {REPLAY_HOST_HEADER: "example.com"},
        {"Host": "www.example.com:8765"},
        {"Host": "EXAMPLE.COM"},
    ):
        assert raw_request(server, "/page", headers) == (200, b"<html>inside</html>")


@pytest.mark.parametrize(
    "target, headers",
    [
        ("/page%00x", {}),
        ("/page%00x", {REPLAY_HOST_HEADER: "example.com"}),
        ("/page?x=%00", {REPLAY_HOST_HEADER: "example.com"}),
        ("/page%0d%0aSet-Cookie:%20a=b", {}),
        ("/page", {REPLAY_HOST_HEADER: "example.com\x01"}),
        ("/page", {"Host": "exa\x7fmple.com"}),
    ],
)
def test_nul_and_control_bytes_are_a_bad_request_not_a_dropped_connection(confined, target, headers):
    server, _ = confined
    assert raw_request(server, target, headers)[0] == 400
    assert raw_request(server, "/page", {REPLAY_HOST_HEADER: "example.com"})[0] == 200  # still serving


def make_warc(path, captures):
    """A small gzipped WARC file of ``(url, body)`` responses."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as file:
        writer = WARCWriter(file, gzip=True)
        for url, body in captures:
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http)
            )


def test_a_warc_mirror_takes_hosts_as_names_only(tmp_path):
    make_warc(tmp_path / "a.warc.gz", [("https://example.com/page", b"<html>captured</html>")])
    (tmp_path / "secret.txt").write_text("SECRET")
    with ReplayServer(tmp_path) as server:
        assert isinstance(server.httpd.mirror, WarcMirror)
        assert raw_request(server, "/page", {REPLAY_HOST_HEADER: "example.com"}) == (
            200,
            b"<html>captured</html>",
        )
        for target, headers in (
            ("/hostname", {REPLAY_HOST_HEADER: "/etc"}),
            ("/etc/passwd", {"Host": "/"}),
            ("/secret.txt", {REPLAY_HOST_HEADER: str(tmp_path)}),
            ("/../secret.txt", {}),
            ("/%2e%2e/secret.txt", {}),
        ):
            status, body = raw_request(server, target, headers)
            assert status == 404 and b"SECRET" not in body and b"root:" not in body
        assert raw_request(server, "/page%00x", {REPLAY_HOST_HEADER: "example.com"})[0] == 400
        assert raw_request(server, "/page", {REPLAY_HOST_HEADER: "example.com\x00"})[0] == 400


# --- the command: loopback unless told, and a warning when not ----------------------------------


def start_replay(source, *options):
    """``newsarchive replay`` in a subprocess; (process, the URL it prints)."""
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "replay", str(source), "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    assert " at http://" in line, (line, process.stderr.read() if process.poll() is not None else "")
    return process, line.split(" at ")[1].split()[0]


def stop_replay(process) -> str:
    """Stop the server; its stderr."""
    process.terminate()
    try:
        return process.communicate(timeout=10)[1]
    finally:
        process.kill()


@pytest.mark.slow
def test_replay_command_binds_to_loopback_by_default(tmp_path):
    (tmp_path / "page").write_text("<html>here</html>")
    process, url = start_replay(tmp_path)
    try:
        assert url.startswith("http://127.0.0.1:")
        assert fetch(url + "/page")[2] == b"<html>here</html>"
    finally:
        stderr = stop_replay(process)
    assert "network" not in stderr.lower()


@pytest.mark.slow
def test_replay_command_warns_when_bound_beyond_loopback(tmp_path):
    (tmp_path / "page").write_text("<html>here</html>")
    process, url = start_replay(tmp_path, "--host", "0.0.0.0")
    try:
        port = url.rsplit(":", 1)[1]
        assert fetch(f"http://127.0.0.1:{port}/page")[2] == b"<html>here</html>"
    finally:
        stderr = stop_replay(process)
    assert "warning" in stderr.lower() and "anyone on the network" in stderr.lower() and "0.0.0.0" in stderr
