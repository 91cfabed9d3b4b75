"""The tech sites configured as data (``newsarchive/sites/<site>.toml``): what
tests/test_sites.py does not check for them.

* a WordPress site whose REST API answers (at the root or in a folder: /mag/, /fa/) is crawled
  from it: every post from one page of posts, and a scheduled run with nothing new costs
  robots.txt and the page of posts changed since the watermark (less the margin) only;
* a WordPress site whose REST API is closed (403 ``rest_disabled``, 401 ``rest_not_logged_in``)
  or gone (404) is crawled from its sitemaps, feed and pages to the same articles, each read
  from its page;
* the sites that are not WordPress name no CMS profile.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from datetime import timedelta
from urllib.parse import unquote, urlsplit

import pytest
import sqlite_utils
from conftest import MIRROR, load_expected, make_spider, scrapy_crawl

from newsarchive.cms.wordpress import LAYER, latest_modified, modified_after, parse_gmt, posts_url, read_posts
from newsarchive.replay import ReplayServer
from newsarchive.sites import SITES


def request_count(result: subprocess.CompletedProcess) -> int:
    """``downloader/request_count`` of the crawl's stats dump in its log."""
    line = next(line for line in result.stderr.splitlines() if "'downloader/request_count':" in line)
    return int(line.split("'downloader/request_count':")[1].split(",")[0])


def stored(db) -> dict[str, dict]:
    return {row["url"]: row for row in sqlite_utils.Database(db)["articles"].rows}


REST_SITES = ["techrato", "click", "itresan", "digikalamag", "techrasa"]
CLOSED_SITES = ["tejaratnews", "arzdigital", "sakhtafzarmag"]
NOT_WORDPRESS = ["shabakehmag", "zoomg"]


def test_the_wordpress_tech_sites_name_the_profile_and_the_others_none():
    for name in REST_SITES + CLOSED_SITES:
        assert SITES[name].cms == "wordpress", name
    for name in NOT_WORDPRESS:
        assert SITES[name].cms == "", name


@pytest.mark.slow
@pytest.mark.parametrize("site", REST_SITES)
def test_a_rest_site_takes_every_post_from_one_page_and_a_run_with_nothing_new_costs_two_requests(
    site, tmp_path, replay_server
):
    db = tmp_path / "archive.db"
    first = scrapy_crawl(site, db, replay_server.url)
    assert request_count(first) == 2  # robots.txt and page 1 of the posts
    expected = {SITES[site].canonical(e["url"]): e for e in load_expected(f"{site}.json")}
    rows = stored(db)
    assert set(rows) == set(expected)
    for url, row in rows.items():
        assert json.loads(row["field_sources"])["body"] == LAYER
        assert row["body"] == expected[url]["body"]
    again = scrapy_crawl(site, db, replay_server.url)
    assert request_count(again) <= 2
    assert "newsarchive/articles/new" not in again.stderr
    assert len(stored(db)) == len(expected)


@pytest.mark.slow
@pytest.mark.parametrize("site", CLOSED_SITES)
def test_a_closed_or_missing_rest_api_falls_back_to_the_sitemaps_feed_and_pages(
    site, tmp_path, replay_server
):
    db = tmp_path / "archive.db"
    result = scrapy_crawl(site, db, replay_server.url)
    assert "WordPress REST API not usable" in result.stderr
    expected = {SITES[site].canonical(e["url"]): e for e in load_expected(f"{site}.json")}
    rows = stored(db)
    assert set(rows) == set(expected)
    for url, row in rows.items():
        assert json.loads(row["field_sources"])["body"] != LAYER
        for name in ("title", "body", "published_at", "modified_at"):
            assert row[name] == expected[url][name], (name, url)


def rest_answer(site: str, root, after=None):
    """The mirror file of page 1 of ``site``'s posts (changed after ``after``)."""
    url = urlsplit(posts_url(SITES[site], 1, after))
    return (
        root / SITES[site].host.removeprefix("www.") / f"{unquote(url.path).strip('/')}?{unquote(url.query)}"
    )


@pytest.mark.slow
def test_ten_new_posts_in_a_folder_site_cost_at_most_three_requests(tmp_path):
    """Techrasa (/fa/): after a first run, ten new posts come from one page of changes."""
    root = tmp_path / "mirror"
    shutil.copytree(MIRROR / "techrasa.com", root / "techrasa.com")
    posts = read_posts(rest_answer("techrasa", root).read_bytes())
    assert posts
    db = tmp_path / "archive.db"
    with ReplayServer(root) as server:
        assert request_count(scrapy_crawl("techrasa", db, server.url)) == 2
        after = modified_after(latest_modified(posts), None)
        newest = max(parse_gmt(post["modified_gmt"]) for post in posts)
        new = []
        for number in range(10):
            post = copy.deepcopy(posts[0])
            moment = newest + timedelta(hours=number + 1)
            post["link"] = f"https://techrasa.com/fa/{moment:%Y/%m/%d}/new-post-{number}/"
            post["title"]["rendered"] = f"خبر تازه شماره {number} درباره استارتاپ‌ها"
            post["date_gmt"] = post["modified_gmt"] = f"{moment:%Y-%m-%dT%H:%M:%S}"
            new.append(post)
        repeated = [post for post in posts if parse_gmt(post["modified_gmt"]) > after]
        answer = rest_answer("techrasa", root, after)
        answer.write_text(json.dumps(repeated + new, ensure_ascii=False), "utf-8")
        answer.with_name(answer.name + ".headers.json").write_text(
            json.dumps({"headers": {"X-WP-Total": str(len(repeated) + 10), "X-WP-TotalPages": "1"}})
        )
        second = scrapy_crawl("techrasa", db, server.url)
    assert request_count(second) <= 3
    assert "'newsarchive/articles/new': 10" in second.stderr
    assert len(stored(db)) == len(posts) + 10


@pytest.mark.parametrize(
    ("site", "robots"),
    [
        ("digikalamag", "https://www.digikala.com/robots.txt"),
        ("techrasa", "https://techrasa.com/robots.txt"),
        ("digiato", "https://digiato.com/robots.txt"),
    ],
)
def test_robots_txt_is_asked_at_the_hosts_root_even_for_a_site_in_a_folder(site, robots, tmp_path):
    spider = make_spider(site, tmp_path / "archive.db")
    assert next(iter(spider.discovery_requests())).url == robots
