"""Sites as TOML files: the bundled ones, a user's own, and the errors of a malformed entry.

* every field of ``Site``/``Selectors``/``Listing`` can be written in TOML (found from the
  dataclasses, so a new field is covered when it is added);
* a malformed entry is one :class:`SiteConfigError` naming the file, the line and the key;
* a user's sites (``./sites.toml``, ``NEWSARCHIVE_SITES_FILE``) join the bundled ones, and
  replace one only with ``override = true``;
* ``scrapy list``/``scrapy crawl`` see them through the project's spider loader, and print
  a sites file's error without a traceback (exit 2).
"""

from __future__ import annotations

import os
import subprocess
import sys
import typing
from dataclasses import fields
from pathlib import Path

import pytest
import sqlite_utils
from conftest import ROOT, load_expected, scrapy_crawl
from scrapy.exceptions import UsageError
from scrapy.settings import Settings

from newsarchive.cli import main
from newsarchive.crawl import project_settings
from newsarchive.reparse import reparse
from newsarchive.sites import SITES, Listing, Selectors, Site, SiteConfigError, load_sites
from newsarchive.sites.loader import BUNDLED_DIR, REGEX_FIELDS, TABLES, key_line, read_sites
from newsarchive.spiderloader import SiteSpiderLoader
from newsarchive.spiders.base import NewsSpider
from newsarchive.spiders.sites import SPIDERS

USER_SITE = """\
# A site of my own.
[sites.my-blog]
base_url = "https://blog.example.com"
article_paths = ['^/\\d{4}/\\d{2}/\\d{2}/[^/]+/?$']
cms = "wordpress"

[sites.my-blog.selectors]
title = ["h1.entry-title"]
"""

#: The README's example of a sites.toml ("Your own sites"), word for word.
README_EXAMPLE = """\
# My own sites: one [sites.<name>] table each.
[sites.myblog]
base_url = "https://blog.example.ir"
article_paths = ['^/\\d{4}/\\d{2}/[^/]+/?$']  # regular expressions on the decoded URL path
feeds = ["/feed/"]
listings = ["/category/news/"]

# Optional: where this site's pages keep each field (CSS; each list is tried in order).
[sites.myblog.selectors]
title = ["h1.entry-title"]
body = [".entry-content"]
authors = [".byline a[rel=author]"]
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """A current directory of the test's own, where ``./sites.toml`` is looked for."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- the bundled sites ---------------------------------------------------------------


def test_each_bundled_file_declares_the_site_it_is_named_after():
    files = sorted(BUNDLED_DIR.glob("*.toml"))
    assert [path.stem for path in files] == list(SITES)
    for path in files:
        ((site, override),) = read_sites(path).values()
        assert site == SITES[path.stem] and site.name == path.stem and not override


def test_the_bundled_files_keep_their_public_evidence_as_comments():
    for path in BUNDLED_DIR.glob("*.toml"):
        comments = [line for line in path.read_text("utf-8").splitlines() if line.startswith("#")]
        assert len(comments) >= 8, f"{path.name}: where its selectors come from is written down"


def test_no_python_site_modules_are_left():
    modules = {path.stem for path in BUNDLED_DIR.glob("*.py")}
    assert modules == {"__init__", "base", "loader"}


# --- every field in TOML -------------------------------------------------------------


def sample(cls: type, name: str) -> object:
    """A valid value of the field ``name`` of ``cls`` (a regular expression, a CSS selector, a URL...)."""
    kind = typing.get_type_hints(cls)[name]
    text = (
        f"^/{name}/"
        if name in REGEX_FIELDS
        else "div.article h1"
        if cls in TABLES.values()
        else f"{name}-value"
    )
    if name == "base_url":
        text = "https://example.com"
    if name == "cms":
        text = "wordpress"  # a family must exist (newsarchive/cms)
    return (text,) if kind == tuple[str, ...] else text


def toml_value(value: object) -> str:
    items = value if isinstance(value, tuple) else (value,)
    written = ", ".join(f"'{item}'" for item in items)
    return f"[{written}]" if isinstance(value, tuple) else written


def every_field(cls: type) -> dict[str, object]:
    """A value for every field of ``cls`` but the name and the tables."""
    return {f.name: sample(cls, f.name) for f in fields(cls) if f.init and f.name not in ("name", *TABLES)}


def test_every_field_of_a_site_and_its_tables_is_read_from_toml(tmp_path):
    site_fields = every_field(Site)
    lines = ["[sites.every]", *(f"{k} = {toml_value(v)}" for k, v in site_fields.items())]
    for table, cls in TABLES.items():
        lines += [f"[sites.every.{table}]", *(f"{k} = {toml_value(v)}" for k, v in every_field(cls).items())]
    ((site, _),) = read_sites(write(tmp_path / "every.toml", "\n".join(lines))).values()
    assert site == Site(
        name="every",
        **site_fields,
        selectors=Selectors(**every_field(Selectors)),
        listing=Listing(**every_field(Listing)),
    )
    assert site.cms == "wordpress" and site.selectors.sponsored == ("div.article h1",)
    assert site.is_article_url("https://example.com/article_paths/1")
    assert not site.is_article_url("https://example.com/not_article_paths/1")


def test_omitted_fields_keep_their_defaults(tmp_path):
    ((site, override),) = read_sites(write(tmp_path / "s.toml", USER_SITE)).values()
    assert site == Site(
        name="my-blog",
        base_url="https://blog.example.com",
        article_paths=(r"^/\d{4}/\d{2}/\d{2}/[^/]+/?$",),
        cms="wordpress",
        selectors=Selectors(title=("h1.entry-title",)),
    )
    assert not override
    assert site.feeds == ("/feed",) and site.listing == Listing()


# --- errors: file, line, key ---------------------------------------------------------

HEAD = '[sites.x]\nbase_url = "https://x.com"\n'
ERRORS = [
    (HEAD + 'article_paths = ["^/a"]\ntitel = "h1"\n', 4, "sites.x.titel", "unknown key"),
    (
        HEAD + 'article_paths = ["^/a"]\n[sites.x.selectors]\ntittle = ["h1"]\n',
        5,
        "sites.x.selectors.tittle",
        "did you mean 'title'",
    ),
    (
        HEAD + 'article_paths = "^/a"\n',
        3,
        "sites.x.article_paths",
        "must be an array of strings, not a string",
    ),
    (HEAD + 'article_paths = ["^/a", 3]\n', 3, "sites.x.article_paths", "an array holding an integer"),
    (
        HEAD + 'article_paths = ["^/a"]\ncms = ["wordpress"]\n',
        4,
        "sites.x.cms",
        "must be a string, not an array",
    ),
    (HEAD + 'article_paths = ["^/a"]\nselectors = ["h1"]\n', 4, "sites.x.selectors", "must be a table"),
    (HEAD, 1, "sites.x", "the required key 'article_paths' is missing"),
    ('[sites.x]\narticle_paths = ["^/a"]\n', 1, "sites.x", "the required key 'base_url' is missing"),
    (
        HEAD + "article_paths = [\n  '^/a',\n  '^/(b',\n]\n",
        5,
        "sites.x.article_paths",
        "not a valid regular expression '^/(b': missing ), unterminated subpattern at position 2",
    ),
    (
        HEAD + "article_paths = ['^/a']\nauthor_separators = '[،'\n",
        4,
        "sites.x.author_separators",
        "regular expression",
    ),
    (
        HEAD + "article_paths = ['(?P<id>a)', '(?P<id>b)']\n",
        3,
        "sites.x.article_paths",
        "do not compile as one",
    ),
    (
        HEAD + 'article_paths = ["^/a"]\n[sites.x.selectors]\nbody = [\n  ".entry",\n  "div >> p",\n]\n',
        7,
        "sites.x.selectors.body",
        "not a valid CSS selector 'div >> p'",
    ),
    (
        HEAD + 'article_paths = ["^/a"]\n[sites.x.listing]\nnext_page = ["a[rel=next"]\n',
        5,
        "sites.x.listing.next_page",
        "CSS selector",
    ),
    (
        HEAD + 'article_paths = ["^/a"]\nselectors = { title = ["h1["] }\n',
        4,
        "sites.x.selectors.title",
        "CSS selector",
    ),
    (
        HEAD + 'article_paths = ["^/a"]\nselectors.title = ["h1["]\n',
        4,
        "sites.x.selectors.title",
        "CSS selector",
    ),
    (HEAD + "article_paths = []\n", 3, "sites.x.article_paths", "at least one pattern"),
    ('[sites.x]\nbase_url = "x.com"\narticle_paths = ["^/a"]\n', 2, "sites.x.base_url", "http(s) URL"),
    (
        '[sites.My_Site]\nbase_url = "https://x.com"\narticle_paths = ["^/a"]\n',
        1,
        "sites.My_Site",
        "lower-case",
    ),
    (HEAD + 'article_paths = ["^/a"]\noverride = "yes"\n', 4, "sites.x.override", "true or false"),
    ('[site.x]\nbase_url = "https://x.com"\n', 1, "site", "did you mean 'sites'"),
    ("sites = 3\n", 1, "sites", "one per site"),
    ('[sites]\nx = "https://x.com"\n', 2, "sites.x", "must be a table"),
    (HEAD + 'article_paths = ["^/a"\n', 3, "", "not valid TOML"),
    ('[sites.x]\nbase_url = "https://x.com\n', 2, "", "not valid TOML (column"),
    (HEAD + "[sites.x]\n", 3, "", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "line", "key", "problem"), ERRORS)
def test_a_malformed_entry_names_the_file_the_line_and_the_key(tmp_path, text, line, key, problem):
    path = write(tmp_path / "mine.toml", text)
    with pytest.raises(SiteConfigError) as raised:
        read_sites(path)
    error = raised.value
    assert (error.path, error.line, error.key) == (str(path), line, key)
    assert problem in error.problem
    assert str(error).startswith(f"{path}, line {line}" + (f", key {key}: " if key else ": "))


def test_unreadable_and_non_utf8_files_are_errors_too(tmp_path):
    with pytest.raises(SiteConfigError, match="cannot read the sites file"):
        read_sites(tmp_path / "missing.toml")
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"# caf\xe9\n")
    with pytest.raises(SiteConfigError, match="not UTF-8"):
        read_sites(latin)


def test_key_line_finds_headers_dotted_quoted_and_missing_keys():
    text = '[sites."a-b"]\nbase_url = "u"\n\n[sites.a-b.selectors]\n  title = ["h1"]\n[sites.c]\nlisting.next_page = []\n'
    assert key_line(text, ("sites", "a-b", "base_url")) == 2
    assert key_line(text, ("sites", "a-b", "selectors", "title")) == 5
    assert key_line(text, ("sites", "a-b", "selectors", "body")) == 4  # missing: its table
    assert key_line(text, ("sites", "c", "listing", "next_page")) == 7
    assert key_line(text, ("sites", "c", "feeds")) == 6
    assert key_line(text, ("elsewhere",)) is None


# --- the user's sites ----------------------------------------------------------------


def test_a_users_sites_toml_joins_the_bundled_sites(workdir):
    write(workdir / "sites.toml", USER_SITE)
    sites = load_sites()
    assert list(sites) == [*SITES, "my-blog"]
    assert all(sites[name] is SITES[name] for name in SITES)
    assert sites["my-blog"].cms == "wordpress"


def test_no_user_file_means_the_bundled_sites(workdir):
    assert load_sites() == SITES


def test_the_setting_names_a_file_of_several_sites_besides_sites_toml(workdir):
    write(workdir / "sites.toml", USER_SITE)
    other = write(
        workdir / "desk.toml",
        USER_SITE.replace("my-blog", "lab-news") + USER_SITE.replace("my-blog", "our-desk"),
    )
    assert list(load_sites(other))[-3:] == ["my-blog", "lab-news", "our-desk"]
    assert list(load_sites("sites.toml"))[-1] == "my-blog", "the same file twice is read once"


def test_a_setting_naming_no_file_is_an_error(workdir):
    with pytest.raises(
        SiteConfigError, match=r"nowhere\.toml: no such file \(named by NEWSARCHIVE_SITES_FILE\)"
    ):
        load_sites("nowhere.toml")


def bundled_copy(name: str, *, override: bool) -> str:
    text = (BUNDLED_DIR / f"{name}.toml").read_text("utf-8")
    return text.replace(
        f"[sites.{name}]", f"[sites.{name}]\noverride = true" if override else f"[sites.{name}]", 1
    )


def test_a_bundled_name_is_replaced_only_with_override(workdir):
    write(workdir / "sites.toml", bundled_copy("itna", override=False))
    with pytest.raises(SiteConfigError) as raised:
        load_sites()
    assert (
        raised.value.key == "sites.itna"
        and raised.value.line == bundled_copy("itna", override=False).splitlines().index("[sites.itna]") + 1
    )
    assert "'itna' is a bundled site: add 'override = true'" in str(raised.value)

    write(workdir / "sites.toml", bundled_copy("itna", override=True).replace("'/rss'", "'/feed.xml'"))
    sites = load_sites()
    assert list(sites) == list(SITES), "the override takes the bundled site's place"
    assert sites["itna"].feeds == ("/feed.xml",) and sites["itna"] != SITES["itna"]
    assert SITES["itna"].feeds == ("/rss",), "the bundled registry is untouched"


def test_override_of_a_site_that_is_not_bundled_is_an_error(workdir):
    write(workdir / "sites.toml", USER_SITE.replace('cms = "wordpress"', "override = true"))
    with pytest.raises(SiteConfigError, match="override = true, but no bundled site is named 'my-blog'"):
        load_sites()


def test_one_name_in_two_user_files_is_an_error_naming_both(workdir):
    write(workdir / "sites.toml", USER_SITE)
    other = write(workdir / "other.toml", "\n\n" + USER_SITE)
    with pytest.raises(SiteConfigError) as raised:
        load_sites(other)
    assert (raised.value.path, raised.value.line) == (str(other), 4)
    assert "declared in sites.toml too" in str(raised.value)


# --- Scrapy's spider loader ----------------------------------------------------------


def loader(**settings: str) -> SiteSpiderLoader:
    return SiteSpiderLoader.from_settings(Settings({"SPIDER_MODULES": ["newsarchive.spiders"], **settings}))


def test_the_project_uses_the_site_spider_loader():
    assert project_settings()["SPIDER_LOADER_CLASS"] == "newsarchive.spiderloader.SiteSpiderLoader"


def test_the_loader_adds_a_spider_per_user_site(workdir):
    write(workdir / "desk.toml", USER_SITE.replace("my-blog", "my-tejarat"))
    spiders = loader(NEWSARCHIVE_SITES_FILE="desk.toml")
    assert sorted(spiders.list()) == sorted([*SITES, "my-tejarat"])
    spider = spiders.load("my-tejarat")
    assert issubclass(spider, NewsSpider) and spider.__name__ == "MyTejaratSpider"
    assert spider.site == load_sites("desk.toml")["my-tejarat"]
    assert spiders.load("digiato") is SPIDERS["digiato"]


def test_an_overriding_site_replaces_the_bundled_spider(workdir):
    write(workdir / "sites.toml", bundled_copy("itna", override=True).replace("'/rss'", "'/feed.xml'"))
    spiders = loader()
    assert sorted(spiders.list()) == sorted(SITES)
    assert spiders.load("itna") is not SPIDERS["itna"] and spiders.load("itna").site.feeds == ("/feed.xml",)


def test_a_broken_sites_file_is_a_usage_error_when_spiders_are_asked_for(workdir):
    write(workdir / "sites.toml", HEAD + "article_paths = ['(']\n")
    spiders = loader()  # Scrapy makes the loader before the command runs: no exception there
    for ask in (spiders.list, lambda: spiders.load("digiato")):
        with pytest.raises(
            UsageError, match=r"sites\.toml, line 3, key sites\.x\.article_paths: not a valid regular"
        ):
            ask()


def test_newsarchive_crawl_knows_the_users_sites(workdir, capsys):
    write(workdir / "sites.toml", USER_SITE)
    write(workdir / "desk.toml", USER_SITE.replace("my-blog", "lab-news"))
    argv = ["crawl", "my-blgo", "-s", "NEWSARCHIVE_SITES_FILE=desk.toml", "--db", str(workdir / "a.db")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "unknown site 'my-blgo' (did you mean 'my-blog'?)" in err
    assert err.rstrip().endswith(", my-blog, lab-news")
    assert not (workdir / "a.db").exists()


# --- scrapy list / crawl -------------------------------------------------------------


def scrapy(*argv: str, cwd: Path, environ: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Scrapy run in ``cwd`` (a folder of the test's own) with the project's settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("NEWSARCHIVE_SITES_FILE", "NEWSARCHIVE_DB")
    }
    env.update({"SCRAPY_SETTINGS_MODULE": "newsarchive.settings", **(environ or {})})
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_scrapy_list_shows_sites_toml_the_setting_and_the_environment(tmp_path):
    write(tmp_path / "sites.toml", README_EXAMPLE)
    write(tmp_path / "desk.toml", USER_SITE)
    by_setting = scrapy("list", "-s", "NEWSARCHIVE_SITES_FILE=desk.toml", cwd=tmp_path)
    assert by_setting.returncode == 0, by_setting.stderr[-2000:]
    assert by_setting.stdout.split() == sorted([*SITES, "myblog", "my-blog"])
    by_environment = scrapy(
        "list", cwd=tmp_path, environ={"NEWSARCHIVE_SITES_FILE": str(tmp_path / "desk.toml")}
    )
    assert by_environment.stdout.split() == by_setting.stdout.split()


@pytest.mark.slow
@pytest.mark.parametrize("command", [["list"], ["crawl", "digiato"]])
def test_scrapy_prints_a_broken_sites_file_without_a_traceback(tmp_path, command):
    write(tmp_path / "sites.toml", HEAD + 'article_paths = ["^/a"]\n[sites.x.selectors]\ntitle = ["h1["]\n')
    result = scrapy(*command, "-s", f"NEWSARCHIVE_DB={tmp_path / 'a.db'}", cwd=tmp_path)
    assert result.returncode == 2
    assert "sites.toml, line 5, key sites.x.selectors.title: not a valid CSS selector 'h1['" in result.stderr
    assert "Traceback" not in result.stderr
    assert (
        not (tmp_path / "a.db").exists() or not sqlite_utils.Database(tmp_path / "a.db")["crawl_runs"].count
    )


@pytest.mark.slow
def test_a_users_site_is_crawled_by_scrapy_crawl_without_python(tmp_path, replay_server):
    """A bundled file copied under a new name is a user's site: ``scrapy crawl`` stores its articles."""
    sites_file = write(
        tmp_path / "desk.toml",
        (BUNDLED_DIR / "itna.toml").read_text("utf-8").replace("[sites.itna", "[sites.my-itna"),
    )
    db = tmp_path / "archive.db"
    scrapy_crawl("my-itna", db, replay_server.url, "-s", f"NEWSARCHIVE_SITES_FILE={sites_file}")
    sources = [row["source"] for row in sqlite_utils.Database(db)["articles"].rows]
    assert sources == ["my-itna"] * len(load_expected("itna.json"))
    # Its captures are the user's to reparse too, with the same sites file.
    report = reparse(str(db), settings={"NEWSARCHIVE_SITES_FILE": str(sites_file), "NEWSARCHIVE_WORKERS": 1})
    assert report.sources == ["my-itna"] and report.new == 0, report.as_dict()
    assert report.updated + report.unchanged >= len(sources), report.as_dict()  # a redirect's capture too
    assert sqlite_utils.Database(db)["articles"].count == len(sources)


def test_the_repository_has_no_sites_toml_of_its_own():
    # The tests run scrapy from the repository root: a sites.toml there would join every run.
    assert not (ROOT / "sites.toml").exists()


@pytest.mark.parametrize("argv", [["crawl", "digiato"], ["crawl", "--all"], ["demo"]])
def test_newsarchive_names_a_broken_sites_file_and_exits_2(workdir, capsys, argv):
    write(workdir / "sites.toml", HEAD + "article_paths = ['(']\n")
    assert main([*argv, "--db", str(workdir / "a.db")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"newsarchive {argv[0]}: sites.toml, line 3, key sites.x.article_paths: not a valid regular"
    )
    assert not (workdir / "a.db").exists(), "nothing starts"


def test_newsarchive_crawl_refuses_a_sites_file_setting_naming_no_file(workdir, capsys):
    assert main(["crawl", "digiato", "-s", "NEWSARCHIVE_SITES_FILE=nowhere.toml"]) == 2
    assert "nowhere.toml: no such file (named by NEWSARCHIVE_SITES_FILE)" in capsys.readouterr().err
