"""``newsarchive add-site``: the probe, the inferred article paths, the CMS family, the coverage
table, the entry written safely, and crawls of the written entries on the replayed mirrors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import sqlite_utils
from conftest import EXPECTED, MIRROR, load_expected, scrapy_crawl

from newsarchive.cli.addsite import main
from newsarchive.replay import ReplayServer
from newsarchive.siteprobe.entry import (
    add_entry,
    added_text,
    name_taken,
    render_entry,
    site_name,
    toml_string,
)
from newsarchive.siteprobe.fingerprints import cms_family, page_marks
from newsarchive.siteprobe.patterns import infer_article_paths, pattern_check
from newsarchive.siteprobe.proposal import ProbeError, propose
from newsarchive.siteprobe.spider import (
    PROBE_NAME,
    Findings,
    ProbeMemory,
    ProbeSpider,
    Sample,
    feed_guesses,
    is_listing_url,
)
from newsarchive.sites import SITES, Selectors
from newsarchive.sites.loader import SiteConfigError, cms_families, read_sites

ITIRAN_PAGE = next((MIRROR / "itiran.com" / "2026" / "11" / "23").rglob("index.html"))
JOOMLA_PAGE = MIRROR / "shahrsakhtafzar.com" / "fa" / "news" / "security" / "48933-snapfood-hacked"
NEXT_PAGE = MIRROR / "zoomit.ir" / "mobile" / "416872-samsung-galaxy-s24-fe-launch" / "index.html"


def urls(base: str, *paths: str) -> list[str]:
    return [base + path for path in paths]


# --- article paths ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("articles", "listings", "expected"),
    [
        (  # WordPress dates and a Persian slug; a day archive has one segment less
            ["/2026/11/23/پوشش-5g-تا-پایان-سال/", "/1403/09/02/x-y/"],
            ["/2026/06/06/", "/category/news/"],
            [r"^/\d{4}/\d{2}/\d{2}/[^/]+/?$"],
        ),
        (  # Joomla: sections vary, an id with a slug ends the path
            [
                "/fa/news/internet/49420-starlink-iran-users",
                "/fa/articles-guides/review/49210-asus-rog-ally-x-review",
            ],
            ["/fa/news", "/fa/news/security"],
            [r"^/fa/[^/]+/[^/]+/\d+-[^/]+/?$"],
        ),
        (  # an optional slug after the id: two depths merged
            ["/news/79876", "/news/81234/حمله-سایبری"],
            ["/archive"],
            [r"^/news/\d+(?:/[^/]+)?/?$"],
        ),
        (["/p/221450"], [], [r"^/p/\d+/?$"]),  # one id: any id, not that one's length
    ],
)
def test_article_paths_generalise_digits_and_slugs(articles, listings, expected):
    base = "https://example.ir"
    assert infer_article_paths(urls(base, *articles), urls(base, *listings)) == expected
    assert pattern_check(expected, urls(base, *articles), urls(base, *listings)).exact


def test_a_section_word_is_narrowed_only_as_far_as_the_listings_seen_need():
    base = "https://example.ir"
    articles = urls(base, "/mobile/ios-17-2", "/energy/solar-power", "/article/2022/08/17/nissan")
    listings = urls(base, "/label/apple/", "/topic/tech/")
    patterns = infer_article_paths(articles, listings)
    assert patterns == [r"^/(?:energy|mobile)/[^/]+/?$", r"^/article/\d{4}/\d{2}/\d{2}/[^/]+/?$"]
    check = pattern_check(patterns, articles, listings)
    assert (check.articles_matched, check.listings_matched) == (3, ())
    # with no listing in the way, the section stays any segment
    assert infer_article_paths(articles[:2]) == [r"^/[^/]+/[^/]+/?$"]


def test_a_pattern_check_names_the_listings_it_matches():
    check = pattern_check([r"^/[^/]+/?$"], ["https://e.ir/a-b"], ["https://e.ir/tag", "https://e.ir/x/y"])
    assert not check.exact
    assert check.listings_matched == ("https://e.ir/tag",)


def test_the_home_page_gives_the_base_url_its_feeds_and_listings():
    from scrapy.http import HtmlResponse

    spider = ProbeSpider(url="http://e.ir")
    html = (
        '<html><head><link rel="alternate" type="application/rss+xml" href="/rss"></head><body>'
        '<a href="/tag/5g/">5G</a><a href="/news/12/x">x</a><a href="https://other.ir/a">o</a></body></html>'
    )
    redirected = HtmlResponse(
        url="https://www.e.ir/", body=html.encode(), headers={"Content-Type": "text/html"}
    )
    requests = list(spider.parse_home(redirected))
    assert [request.url for request in requests] == ["https://www.e.ir/rss"]
    assert spider.findings.base_url == "https://www.e.ir"
    assert list(spider.findings.listings) == ["https://e.ir/tag/5g"]  # canonical: https, no www, no slash
    assert list(spider.findings.links) == ["https://e.ir/news/12/x"]


def test_the_probe_asks_wordpress_and_every_cms_familys_feed():
    guesses = feed_guesses()
    assert guesses[0] == "/feed/"
    for family in cms_families().values():
        assert set(family.get("feeds", [])) <= set(guesses)


def test_the_probe_never_stores_nor_joins_a_distributed_crawl():
    settings = ProbeSpider.custom_settings
    assert settings["ITEM_PIPELINES"] == {} and settings["EXTENSIONS"] == {}
    assert settings["NEWSARCHIVE_WARC"] == "0" and settings["NEWSARCHIVE_REDIS_URL"] is None
    memory = ProbeMemory.from_crawler(None)
    assert (
        memory.fetch_record("https://e.ir/a") is None
        and memory.discovery_lastmod("https://e.ir/s.xml") is None
    )


def test_listing_urls_are_told_by_their_path_words():
    assert is_listing_url("https://e.ir/")
    assert is_listing_url("https://e.ir/tag/5g/")
    assert is_listing_url("https://e.ir/category/news/page/2/")
    assert not is_listing_url("https://e.ir/2026/11/23/tagged-story/")


# --- CMS families -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "family", "evidence"),
    [
        (ITIRAN_PAGE, "wordpress", "generator 'WordPress 6.7.1'"),
        (JOOMLA_PAGE, "joomla", "generator 'Joomla! - Open Source Content Management'"),
        (NEXT_PAGE, "nextjs", "__NEXT_DATA__"),
    ],
)
def test_the_cms_family_of_mirror_pages(page, family, evidence):
    found = cms_family([page.read_text("utf-8")])
    assert found.name == family
    assert evidence in found.evidence


def test_drupal_marks_and_no_marks():
    drupal = '<html><body data-drupal-selector="x"><script>var s = drupalSettings;</script></body></html>'
    assert cms_family([drupal]).name == "drupal"
    assert cms_family(["<html><body><p>سلام</p></body></html>"]).name == ""
    assert page_marks('<a href="/index.php?option=com_content&view=article&id=4">x</a>') == [
        ("joomla", "option=com_content", 1)
    ]


def test_an_answering_rest_api_outweighs_other_marks():
    next_page = NEXT_PAGE.read_text("utf-8")
    assert cms_family([next_page]).name == "nextjs"
    found = cms_family([next_page], wordpress_rest=True)
    assert found.name == "wordpress"
    assert found.evidence == ("REST API /wp-json/wp/v2/posts answered",)


# --- the proposal from findings ---------------------------------------------------------


def joomla_findings(**changes) -> Findings:
    base = "https://www.shahrsakhtafzar.com"
    pages = {
        f"{base}/fa/news/security/48933-snapfood-hacked": JOOMLA_PAGE,
        f"{base}/fa/articles-guides/review/49210-asus-rog-ally-x-review": JOOMLA_PAGE.parents[2]
        / "articles-guides"
        / "review"
        / "49210-asus-rog-ally-x-review",
    }
    findings = Findings(home_url=f"{base}/fa/", base_url=base, sample_size=2)
    findings.candidates = dict.fromkeys(pages, "sitemap")
    findings.listings = dict.fromkeys(urls(base, "/fa/news", "/fa/news/security", "/"))
    findings.sitemaps = [f"{base}/sitemap.xml"]
    findings.feeds = [f"{base}/fa/?format=feed&type=rss"]
    findings.samples = [Sample(url, path.read_text("utf-8"), True) for url, path in pages.items()]
    for name, value in changes.items():
        setattr(findings, name, value)
    return findings


def test_a_proposal_names_what_answered_and_the_generic_layers_per_field():
    proposal = propose(joomla_findings(), "ssa")
    assert proposal.family.name == "joomla"
    assert proposal.article_paths == [r"^/fa/[^/]+/[^/]+/\d+-[^/]+/?$"]
    assert proposal.feeds == ["/fa/?format=feed&type=rss"]
    assert proposal.sitemaps == ["/sitemap.xml"]
    coverage = {row.field: row for row in proposal.coverage}
    for name in ("title", "published", "body"):
        assert (coverage[name].found, coverage[name].pages) == (2, 2), name
    assert proposal.site is not None
    if proposal.site.selectors == Selectors():  # no selectors, not even a CMS family's: generic layers
        assert not any("site" in row.layers for row in proposal.coverage)
    assert sum(coverage["body"].layers.values()) == 2
    record = proposal.record()
    assert json.loads(json.dumps(record, ensure_ascii=False)) == record
    assert record["cms_family_detected"] == "joomla"


def test_the_entry_loads_as_written_and_reads_regular_expressions_as_written(tmp_path):
    proposal = propose(joomla_findings(), "ssa")
    entry = render_entry(
        proposal, "newsarchive add-site https://www.shahrsakhtafzar.com/fa/", cms=proposal.cms
    )
    (tmp_path / "sites.toml").write_text(entry, "utf-8")
    site, _ = read_sites(tmp_path / "sites.toml")["ssa"]
    assert site.article_paths == (r"^/fa/[^/]+/[^/]+/\d+-[^/]+/?$",)
    assert site.feeds == ("/fa/?format=feed&type=rss",)
    assert site.is_article_url("https://www.shahrsakhtafzar.com/fa/news/mobile/49355-معرفی-شیائومی-14T-Pro")
    assert not site.is_article_url("https://www.shahrsakhtafzar.com/fa/news/mobile")
    assert site.selectors == proposal.site.selectors  # none of its own: its family's, if any


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {
                "candidates": {},
                "listings": {},
                "sitemaps": [],
                "feeds": [],
                "samples": [],
                "home_problem": "DNS lookup failed",
            },
            "no answer from https://www.shahrsakhtafzar.com/fa/ (DNS lookup failed)",
        ),
        (
            {"samples": [], "home_answered": True, "home_problem": "not HTML (application/json)"},
            "is not HTML (application/json), and no HTML page was found",
        ),
        (
            {"samples": [Sample("https://www.shahrsakhtafzar.com/fa/x", "<html></html>", False)]},
            "nothing article-like",
        ),
    ],
)
def test_a_site_with_nothing_to_propose_is_a_clear_error(changes, message):
    with pytest.raises(ProbeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        propose(joomla_findings(**changes), "ssa")


# --- the entry in a sites file ----------------------------------------------------------


def test_site_names_from_hosts():
    assert site_name("https://www.itiran.com/") == "itiran"
    assert site_name("https://news.example.ir") == "news-example"
    assert site_name("https://1404.ir") == "site-1404"


@pytest.mark.parametrize("value", [r"^/\d+-[^/]+/?$", "it's", "a\\b 'q' \"d\"", "نیم‌فاصله", "tab\there"])
def test_toml_strings_read_back_as_written(value):
    assert tomllib.loads(f"key = {toml_string(value)}")["key"] == value


def test_adding_keeps_the_files_content_and_comments(tmp_path):
    target = tmp_path / "sites.toml"
    original = (
        "# my desk\n[sites.mine]  # kept\nbase_url = 'https://blog.example.ir'\narticle_paths = ['^/p/']\n"
    )
    target.write_text(original, "utf-8")
    entry = "[sites.second]\nbase_url = 'https://second.example.ir'\narticle_paths = ['^/n/\\d+/?$']\n"
    add_entry(target, entry, "second")
    text = target.read_text("utf-8")
    assert text.startswith(original) and text.endswith(entry)
    assert list(read_sites(target)) == ["mine", "second"]
    assert added_text("", entry) == entry
    assert [path.name for path in tmp_path.iterdir()] == ["sites.toml"]  # no temporary file left


def test_an_entry_that_would_not_load_leaves_the_file_as_it_was(tmp_path):
    target = tmp_path / "sites.toml"
    original = "[sites.mine]\nbase_url = 'https://blog.example.ir'\narticle_paths = ['^/p/']\n"
    target.write_text(original, "utf-8")
    with pytest.raises(SiteConfigError, match=r"sites\.toml, line 5: not valid TOML .*'mine'\) twice"):
        add_entry(target, "[sites.mine]\nbase_url = 'https://x.ir'\narticle_paths = ['^/']\n", "mine")
    with pytest.raises(SiteConfigError, match="not a valid regular expression"):
        add_entry(target, "[sites.other]\nbase_url = 'https://x.ir'\narticle_paths = ['^/(']\n", "other")
    assert target.read_text("utf-8") == original
    assert [path.name for path in tmp_path.iterdir()] == ["sites.toml"]


def test_a_taken_name_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "desk.toml"
    target.write_text(
        "[sites.mine]\nbase_url = 'https://blog.example.ir'\narticle_paths = ['^/p/']\n", "utf-8"
    )
    assert name_taken("itiran", target) == "'itiran' is a bundled site"
    assert name_taken("mine", target) == f"a site named 'mine' is declared in {target} already"
    assert name_taken("fresh", target) is None


# --- the command's usage errors (before any request) --------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["https://itiran.com"],
            "'itiran' is a bundled site: choose another name with --name (e.g. --name itiran2)",
        ),
        (["ftp://itiran.com", "--name", "x"], "URL 'ftp://itiran.com': must be an http(s) URL"),
        (["https://e.ir", "--name", "Bad Name"], "--name 'Bad Name': lower-case letters"),
        (
            ["https://e.ir", "--sites-file", "sites.txt"],
            "--sites-file sites.txt: a sites file's name ends in .toml",
        ),
        (
            ["https://e.ir", "--sites-file", "no/such/dir/s.toml"],
            "--sites-file no/such/dir/s.toml: not a file in an existing folder",
        ),
        (["https://e.ir", "-s", "NOEQUALS"], "-s 'NOEQUALS': a setting is NAME=VALUE"),
    ],
)
def test_usage_errors_exit_2_before_probing(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert f"newsarchive add-site: {message}" in capsys.readouterr().err


def test_yes_and_dry_run_together_are_refused(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["https://e.ir", "--yes", "--dry-run"])
    assert exit.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("terminal", "answer", "added"), [(True, "y", True), (True, "", False), (False, "y", False)]
)
def test_only_a_yes_on_a_terminal_adds_the_entry(terminal, answer, added, monkeypatch, tmp_path):
    from newsarchive.cli import addsite

    class Stdin:
        def isatty(self):
            return terminal

    monkeypatch.setattr(sys, "stdin", Stdin())
    monkeypatch.setattr(
        "builtins.input", lambda prompt: answer if prompt == "Add to sites.toml? [y/N] " else ""
    )
    assert addsite._confirmed(Path("sites.toml")) is added


def test_the_probe_spider_is_not_a_site_spider():
    from scrapy.spiderloader import get_spider_loader

    from newsarchive.crawl import project_settings

    names = get_spider_loader(project_settings()).list()
    assert PROBE_NAME not in names
    assert set(SITES) <= set(names)


# --- end to end on the replayed mirrors ---------------------------------------------------


def add_site(tmp_path: Path, *argv: str, replay: str) -> subprocess.CompletedProcess:
    """``add-site`` as a user runs it, in a subprocess (its probe runs a reactor), from ``tmp_path``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("NEWSARCHIVE_SITES_FILE", "NEWSARCHIVE_DB")
    }
    return subprocess.run(
        [sys.executable, "-m", "newsarchive.cli.addsite", *argv, "-s", f"NEWSARCHIVE_REPLAY_URL={replay}"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )


MIRRORS = {
    # URL, family named in the entry, family detected, the mirror's articles, listings seen on it
    "itiran": (
        "https://itiran.com",
        "wordpress",  # a profile: always named
        "wordpress",
        [
            article["url"]
            for article in json.loads((EXPECTED / "wordpress" / "itiran.json").read_text("utf-8"))
        ],
        ["https://itiran.com/2026/06/06/", "https://itiran.com/category/news/", "https://itiran.com/tag/5g/"],
    ),
    "shahrsakhtafzar": (
        "https://www.shahrsakhtafzar.com/fa/",
        None,
        "joomla",
        [article["url"] for article in load_expected("shahrsakhtafzar.json")],
        ["https://www.shahrsakhtafzar.com/fa/news", "https://www.shahrsakhtafzar.com/fa/news/security"],
    ),
    "zoomit": (
        "https://www.zoomit.ir",
        None,
        "nextjs",
        [article["url"] for article in load_expected("zoomit.json")],
        ["https://www.zoomit.ir/mobile/", "https://www.zoomit.ir/tag/samsung/", "https://www.zoomit.ir/"],
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("site", sorted(MIRRORS))
def test_add_site_then_scrapy_crawl_on_a_mirror(site, tmp_path, replay_server):
    url, named, detected, articles, listings = MIRRORS[site]
    name = f"{site}2"
    asked = add_site(tmp_path, url, "--name", name, replay=replay_server.url)  # not a terminal, no --yes
    assert asked.returncode == 0, asked.stderr[-3000:]
    assert f"[sites.{name}]" in asked.stdout and "Field coverage on" in asked.stdout
    assert "not added" in asked.stderr and not (tmp_path / "sites.toml").exists()

    result = add_site(tmp_path, url, "--name", name, "--yes", "--json", replay=replay_server.url)
    assert result.returncode == 0, result.stderr[-3000:]
    proposal = json.loads(result.stdout)
    assert proposal["cms_family_detected"] == detected
    # the family is named when this newsarchive has a profile or defaults for it
    assert proposal["cms"] == (named or proposal["cms"]) and proposal["cms"] in (detected, "")
    if not proposal["cms"]:
        assert any(f"CMS family {detected} recognised" in note for note in proposal["notes"])
    for field in ("title", "published", "body"):
        coverage = proposal["coverage"][field]
        assert coverage["found"] == coverage["pages"] >= 3, (field, coverage)
    if named == "wordpress":
        assert proposal["rest_coverage"]["body"]["layers"] == {
            "wp-rest": proposal["rest_coverage"]["body"]["pages"]
        }
    check = pattern_check(proposal["article_paths"], articles, listings)
    assert check.exact, (proposal["article_paths"], check)
    assert proposal["written"] == "sites.toml"

    sites_file = tmp_path / "sites.toml"
    site_entry, _ = read_sites(sites_file)[name]
    assert site_entry.cms == proposal["cms"]
    again = add_site(tmp_path, url, "--name", name, "--yes", replay=replay_server.url)
    assert again.returncode == 2 and "declared in sites.toml already" in again.stderr

    db = tmp_path / "archive.db"
    scrapy_crawl(name, db, replay_server.url, "-s", f"NEWSARCHIVE_SITES_FILE={sites_file}")
    stored = list(sqlite_utils.Database(db)["articles"].rows)
    assert len(stored) >= 3
    assert {row["source"] for row in stored} == {name}
    assert all(row["title"] and row["body"] and row["published_at"] for row in stored)


@pytest.mark.slow
def test_a_site_that_gives_nothing_is_a_clear_error(tmp_path, replay_server):
    quiet = add_site(tmp_path, "https://nothing-here.example.ir", "--dry-run", replay=replay_server.url)
    assert quiet.returncode == 1
    assert (
        "newsarchive add-site: nothing article-like found at https://nothing-here.example.ir" in quiet.stderr
    )
    assert "Traceback" not in quiet.stderr
    unreachable = add_site(tmp_path, "https://e.example.ir", "--dry-run", replay="http://127.0.0.1:9")
    assert unreachable.returncode == 1
    assert "newsarchive add-site: no answer from https://e.example.ir" in unreachable.stderr
    assert not (tmp_path / "sites.toml").exists()


@pytest.mark.slow
def test_a_site_without_feeds_or_sitemaps_is_sampled_from_its_home_pages_links(tmp_path):
    """No robots.txt, sitemap, feed or REST API: the home page's links are sampled, the pages that
    read as articles give the paths, and a JSON home page is not HTML."""
    site = tmp_path / "mirror" / "links.example.ir"
    article = ITIRAN_PAGE.read_text("utf-8")
    stories = ["/story/1201/first-report", "/story/1202/گزارش-دوم", "/story/1310/third-one"]
    for path in stories:
        (site / path.strip("/")).mkdir(parents=True)
        (site / path.strip("/") / "index.html").write_text(article, "utf-8")
    (site / "about").mkdir()
    (site / "about" / "index.html").write_text("<html><body><h1>About</h1><p>Us.</p></body></html>", "utf-8")
    links = "".join(f'<a href="{path}">x</a>' for path in [*stories, "/about", "/tag/ai/"])
    (site / "index.html").write_text(f"<html><body>{links}</body></html>", "utf-8")
    (tmp_path / "mirror" / "data.example.ir").mkdir()
    (tmp_path / "mirror" / "data.example.ir" / "data.json").write_text('{"a": 1}', "utf-8")
    with ReplayServer(tmp_path / "mirror") as server:
        result = add_site(tmp_path, "https://links.example.ir", "--json", replay=server.url)
        not_html = add_site(tmp_path, "https://data.example.ir/data.json", "--dry-run", replay=server.url)
    assert result.returncode == 0, result.stderr[-3000:]
    proposal = json.loads(result.stdout)
    assert proposal["article_paths"] == [r"^/story/\d+/[^/]+/?$"]
    assert proposal["feeds"] == [] and proposal["sitemaps"] == [] and proposal["written"] is None
    assert proposal["cms_family_detected"] == "wordpress"  # the copied pages' marks
    assert len(proposal["samples"]) == 3
    assert any("did not read as articles" in note and "/about" in note for note in proposal["notes"])
    assert not_html.returncode == 1
    assert "data.json is not HTML (application/json), and no HTML page was found" in not_html.stderr
