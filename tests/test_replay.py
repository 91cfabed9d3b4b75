"""The replay server maps URL paths to files, redirects and 404s like a site."""

import json
import urllib.error
import urllib.request

import pytest

from newsarchive.middlewares import replay_target
from newsarchive.replay import REPLAY_HOST_HEADER, ReplayServer


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
    (site / "fa" / "index.html?format=feed&type=rss").write_text('<?xml version="1.0"?><rss>joomla</rss>', "utf-8")
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
        assert (status, body) == (200, "<html>persian slug</html>".encode())


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
