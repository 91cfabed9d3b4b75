"""CMS families as data (``newsarchive/cms/<family>.toml``): merged under a site entry that
names one, checked like a site entry, and each family's profile read on pages it was not
written for.

* merging: the entry's keys win, key by key inside ``selectors`` and ``listing``; an array
  replaces the family's whole;
* errors: an unknown family, a family file that declares one site's key or a wrong value, are
  :class:`SiteConfigError` naming the file, the line and the key;
* every family extracts title, body and date (and what else the page has) from pages written
  apart from its selectors: Shahr-e Sakht-Afzar's mirror for Joomla, Zoomit's for Next.js,
  and pages of other sites of each agency platform below (the agency desks' own mirrors run
  through ``test_sites.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MIRROR, load_expected
from parsel import Selector

from newsarchive.extract import extract_article
from newsarchive.persian import normalize
from newsarchive.sites import SITES, Site, SiteConfigError, loader
from newsarchive.sites.loader import cms_families, read_sites

FAMILIES = ("asam", "drupal", "iransamaneh", "joomla", "nastooh", "nextjs")


def site_of(tmp_path: Path, text: str) -> Site:
    path = tmp_path / "sites.toml"
    path.write_text(text, "utf-8")
    ((site, _),) = read_sites(path).values()
    return site


def extract(site: Site, html: str, url: str) -> dict:
    """The raw extraction (before the pipelines: compare text through ``normalize`` as they do)."""
    return extract_article(Selector(text=html), url, site)


# --- merging ---------------------------------------------------------------------------


def test_every_family_file_loads():
    assert set(cms_families()) == set(FAMILIES)


def test_the_entry_wins_key_by_key_and_its_arrays_replace_the_familys(tmp_path):
    family = cms_families()["nastooh"]
    site = site_of(
        tmp_path,
        """[sites.agency]
base_url = "https://agency.example.ir"
cms = "nastooh"
feeds = ["/fa/rss/science"]

[sites.agency.selectors]
title = ["h1.headline"]
noise = [".mine"]
""",
    )
    assert site.feeds == ("/fa/rss/science",)
    assert site.article_paths == tuple(family["article_paths"])
    assert site.not_article_paths == tuple(family["not_article_paths"])
    assert site.selectors.title == ("h1.headline",)
    assert site.selectors.body == tuple(family["selectors"]["body"])
    assert site.selectors.noise == (".mine",), "an array replaces the family's, it is not added to"
    assert site.listing.article_links == tuple(family["listing"]["article_links"])
    assert site.is_article_url("https://agency.example.ir/news/2045871/x")
    assert not site.is_article_url("https://agency.example.ir/page/archive.xhtml")


def test_a_family_with_a_crawl_profile_only_adds_nothing(tmp_path):
    site = site_of(
        tmp_path,
        '[sites.blog]\nbase_url = "https://blog.example.ir"\ncms = "wordpress"\narticle_paths = ["^/p/"]\n',
    )
    assert site.selectors == Site(name="x", base_url="https://x.ir", article_paths=("x",)).selectors
    assert site.feeds == ("/feed",)


def test_a_family_without_article_paths_needs_the_sites_own(tmp_path):
    with pytest.raises(SiteConfigError, match="article_paths: must name at least one pattern"):
        site_of(tmp_path, '[sites.next]\nbase_url = "https://n.example.ir"\ncms = "nextjs"\n')


# --- errors ------------------------------------------------------------------------------


def test_an_unknown_family_names_the_file_line_and_key(tmp_path):
    with pytest.raises(SiteConfigError) as error:
        site_of(tmp_path, '\n[sites.x]\nbase_url = "https://x.ir"\narticle_paths = ["^/a"]\ncms = "nastoh"\n')
    assert (error.value.line, error.value.key) == (5, "sites.x.cms")
    assert error.value.path.endswith("sites.toml")
    assert "unknown CMS family 'nastoh'" in str(error.value) and "nastooh" in str(error.value)


@pytest.fixture
def family_dir(tmp_path, monkeypatch):
    """An empty folder of families in place of the package's."""
    folder = tmp_path / "cms"
    folder.mkdir()
    monkeypatch.setattr(loader, "FAMILY_DIR", folder)
    cms_families.cache_clear()
    yield folder
    cms_families.cache_clear()


@pytest.mark.parametrize(
    ("text", "line", "key", "problem"),
    [
        ('feeds = ["/rss"]\nbase_url = "https://x.ir"\n', 2, "base_url", "names one site"),
        ('feeds = ["/rss"]\n\n[selectors]\nbody = ["div..x"]\n', 4, "selectors.body", "not a valid CSS"),
        ('article_paths = ["^/news/(\\\\d+"]\n', 1, "article_paths", "not a valid regular expression"),
        ("[selectors]\ntitel = ['h1']\n", 2, "selectors.titel", "did you mean 'title'"),
    ],
)
def test_a_malformed_family_file_names_its_file_line_and_key(family_dir, text, line, key, problem):
    (family_dir / "broken.toml").write_text(text, "utf-8")
    with pytest.raises(SiteConfigError) as error:
        cms_families()
    assert error.value.path.endswith("broken.toml")
    assert (error.value.line, error.value.key) == (line, key)
    assert problem in str(error.value)


def test_a_new_family_file_is_a_family_sites_can_name(family_dir, tmp_path):
    (family_dir / "mycms.toml").write_text("article_paths = ['^/item/\\d+$']\n[selectors]\nbody = ['.txt']\n")
    site = site_of(tmp_path, '[sites.m]\nbase_url = "https://m.ir"\ncms = "mycms"\n')
    assert site.is_article_url("https://m.ir/item/12") and site.selectors.body == (".txt",)


# --- each family on pages it was not written for ----------------------------------------


def mirror_page(host: str, path: str) -> str:
    file = MIRROR / host / path
    return (file if file.is_file() else file / "index.html").read_text("utf-8")


def test_joomla_reads_shahrsakhtafzars_pages_without_their_selectors(tmp_path):
    site = site_of(tmp_path, '[sites.j]\nbase_url = "https://www.shahrsakhtafzar.com"\ncms = "joomla"\n')
    for expected in load_expected("shahrsakhtafzar.json"):
        article = extract(site, mirror_page("shahrsakhtafzar.com", expected["path"]), expected["url"])
        assert site.is_article_url(expected["url"])
        assert (normalize(article["title"]), normalize(article["body"])) == (
            expected["title"],
            expected["body"],
        )
        assert article["field_sources"]["title"] == article["field_sources"]["body"] == "site"
        assert article["published_candidates"][0][0] == "time"
        assert article.get("tags", []) == expected["tags"] or not article.get("tags")


def test_nextjs_reads_zoomits_pages_with_the_generic_layers(tmp_path):
    site = site_of(
        tmp_path,
        """[sites.z]
base_url = "https://www.zoomit.ir"
cms = "nextjs"
article_paths = ['^/[a-z0-9-]+/\\d{5,}-[a-z0-9-]+/?$']
""",
    )
    for expected in load_expected("zoomit.json"):
        article = extract(site, mirror_page("zoomit.ir", expected["path"]), expected["url"])
        assert site.is_article_url(expected["url"])
        assert (normalize(article["title"]), normalize(article["body"])) == (
            expected["title"],
            expected["body"],
        )
        assert article["field_sources"]["title"] != "site" and article["published_candidates"]


NEXT_PAGE = """<html lang="fa"><head><title>گزارش | نمونه</title></head><body><div id="__next">
<div class="a1b2c3"><div class="x9"><p>اشتراک</p></div></div>
<div class="q7r8"><p>کاربران ایرانی در سال گذشته بیش از ۳۰ میلیون ساعت ویدیو در سرویس‌های داخلی تماشا کردند.</p>
<p>بیشترین رشد مربوط به پخش زنده رویدادهای ورزشی بوده است که سهم آن به ۴۰ درصد رسید.</p>
<p>فعالان بازار می‌گویند کیفیت پخش و قیمت بسته‌های اینترنت دو عامل اصلی رشد این بازار است.</p></div>
<aside><p>پربازدیدترین مطالب این هفته را بخوانید و نظر خود را بنویسید.</p></aside></div>
<script id="__NEXT_DATA__" type="application/json">{"props": {"pageProps": {"post": {"id": 77,
"title": "رشد سه‌برابری تماشای ویدیو در سرویس‌های داخلی", "publishedAt": "2026-11-20T06:30:00.000Z",
"category": {"name": "رسانه"}, "author": {"fullName": "مریم احمدی"}, "excerpt": "گزارش سالانه"}}},
"page": "/post/[slug]", "buildId": "b1"}</script></body></html>"""


def test_nextjs_reads_the_article_object_of_next_data(tmp_path):
    site = site_of(
        tmp_path,
        '[sites.n]\nbase_url = "https://n.example.ir"\ncms = "nextjs"\narticle_paths = ["^/post/"]\n',
    )
    article = extract(site, NEXT_PAGE, "https://n.example.ir/post/video-growth")
    assert article["title"] == "رشد سه‌برابری تماشای ویدیو در سرویس‌های داخلی"
    assert article["authors"] == ["مریم احمدی"] and article["categories"] == ["رسانه"]
    assert article["published_candidates"] == [["fallback", "2026-11-20T06:30:00.000Z"]]
    assert article["body"].startswith("کاربران ایرانی") and "پربازدیدترین" not in article["body"]
    assert not site.is_article_url("https://n.example.ir/_next/data/b1/post/x.json")


# Pages of other sites on the same platforms, in markup the families' first selectors do
# not expect (a Hamshahri-like Nastooh page, an ILNA-like ASAM page, a Tabnak-like
# IranSamaneh page, a Drupal 10 node), each with the noise such pages carry.
PLATFORM_PAGES = {
    "nastooh": (
        "https://www.hamshahrionline.ir/news/912345/x",
        """<html><body><ol class="breadcrumb"><li><a href="/">صفحه نخست</a></li>
<li><a href="/service/ict">فناوری اطلاعات</a></li></ol><article class="main-content">
<div class="item-header"><h1 class="title">اتصال ۲۰۰ مدرسه به اینترنت پرسرعت</h1></div>
<div class="item-date"><span>۸ آذر ۱۴۰۵ - ۰۹:۱۰</span></div><div class="item-code">کد خبر ۹۱۲۳۴۵</div>
<p class="summary">شهرداری تهران ۲۰۰ مدرسه را به شبکه فیبر نوری شهری متصل کرد.</p>
<div class="item-body"><div class="item-text"><p>به گزارش همشهری آنلاین، این طرح با همکاری آموزش‌وپرورش اجرا شده است.</p>
<div class="share">اشتراک‌گذاری در تلگرام</div><p>سرعت اتصال هر مدرسه ۱۰۰ مگابیت (Mbps) است.</p></div></div>
<section class="tags"><ul><li><a href="/tags/1">مدرسه</a></li><li><a href="/tags/2">فیبر نوری</a></li></ul></section>
</article></body></html>""",
        {
            "title": "اتصال ۲۰۰ مدرسه به اینترنت پرسرعت",
            "lead": "شهرداری تهران ۲۰۰ مدرسه را به شبکه فیبر نوری شهری متصل کرد.",
            "body": "به گزارش همشهری آنلاین، این طرح با همکاری آموزش‌وپرورش اجرا شده است."
            "\n\nسرعت اتصال هر مدرسه ۱۰۰ مگابیت (Mbps) است.",
            "categories": ["فناوری اطلاعات"],
            "tags": ["مدرسه", "فیبر نوری"],
            "published_display": "۸ آذر ۱۴۰۵ - ۰۹:۱۰",
        },
    ),
    "asam": (
        "https://www.ilna.ir/fa/news/1402345/x",
        """<html><body><article><ul class="breadcrumb_list"><li><a href="/">صفحه اصلی</a></li>
<li><a href="/fa/service/science">علم و فناوری</a></li></ul><h2 class="uptitle">وزیر ارتباطات:</h2>
<h1 class="title">تعرفه اینترنت ثابت تغییر نمی‌کند</h1><p class="news-lead">وزیر ارتباطات افزایش تعرفه اینترنت ثابت را رد کرد.</p>
<time datetime="2026-11-29T10:00:00+03:30">۸ آذر ۱۴۰۵ - ۱۰:۰۰</time>
<div class="article_body"><div id="echo_detail"><p>به گزارش ایلنا، وزیر ارتباطات در حاشیه جلسه هیئت دولت گفت تعرفه‌ها ثابت می‌ماند.</p>
<div class="share_news">اشتراک‌گذاری</div><p>او افزود بسته‌های 4G همراه نیز تا پایان سال گران نمی‌شوند.</p>
<div class="short_link_cnt">لینک کوتاه: ilna.ir/x1</div></div></div>
<div class="article_tag"><a href="/fa/tag/1">تعرفه اینترنت</a></div></article></body></html>""",
        {
            "title": "تعرفه اینترنت ثابت تغییر نمی‌کند",
            "lead": "وزیر ارتباطات افزایش تعرفه اینترنت ثابت را رد کرد.",
            "body": "به گزارش ایلنا، وزیر ارتباطات در حاشیه جلسه هیئت دولت گفت تعرفه‌ها ثابت می‌ماند."
            "\n\nاو افزود بسته‌های 4G همراه نیز تا پایان سال گران نمی‌شوند.",
            "categories": ["علم و فناوری"],
            "published_display": "۸ آذر ۱۴۰۵ - ۱۰:۰۰",
        },
    ),
    "iransamaneh": (
        "https://www.tabnak.ir/fa/news/1298765/x",
        """<html><body><div class="news_path"><a href="/fa/service/6">علمی</a><a href="/fa/service/6/42">فناوری</a></div>
<article><div class="rutitr">گزارش</div><h1 class="title">رونمایی از سامانه هشدار زلزله</h1>
<div class="subtitle">سامانه هشدار سریع زلزله در تهران به‌صورت آزمایشی راه‌اندازی شد.</div>
<div class="news_pdate_c">تاریخ انتشار: ۹ آذر ۱۴۰۵ - ۱۱:۴۵</div><div class="news_id_c">کد خبر: ۱۲۹۸۷۶۵</div>
<div class="body"><p>این سامانه با ۱۲۰ حسگر (sensor) چند ثانیه پیش از رسیدن امواج هشدار می‌دهد.</p>
<div class="share_news">اشتراک</div><p>هشدارها از طریق پیامک و اپلیکیشن‌های پیام‌رسان ارسال می‌شود.</p></div>
<div class="tags_title"><a href="/fa/tag/1">زلزله</a><a href="/fa/tag/2">هشدار</a></div></article></body></html>""",
        {
            "title": "رونمایی از سامانه هشدار زلزله",
            "lead": "سامانه هشدار سریع زلزله در تهران به‌صورت آزمایشی راه‌اندازی شد.",
            "body": "این سامانه با ۱۲۰ حسگر (sensor) چند ثانیه پیش از رسیدن امواج هشدار می‌دهد."
            "\n\nهشدارها از طریق پیامک و اپلیکیشن‌های پیام‌رسان ارسال می‌شود.",
            "categories": ["علمی", "فناوری"],
            "tags": ["زلزله", "هشدار"],
            "published_display": "تاریخ انتشار: ۹ آذر ۱۴۰۵ - ۱۱:۴۵",
        },
    ),
    "drupal": (
        "https://news.example.ir/node/4521",
        """<html><body><div data-drupal-messages-fallback class="hidden"></div>
<h1 class="page-title"><span class="field field--name-title">دانشگاه‌ها مجوز رایانش ابری گرفتند</span></h1>
<article data-history-node-id="4521" class="node node--type-article node--view-mode-full">
<footer class="node__meta"><div class="node__submitted">ارسال شده توسط <span class="field field--name-uid"><a href="/user/3">سارا کریمی</a></span>
در <time datetime="2026-11-30T05:00:00Z">۹ آذر ۱۴۰۵</time></div></footer>
<div class="node__content"><div class="clearfix text-formatted field field--name-body field--type-text-with-summary">
<p>وزارت علوم به ۱۵ دانشگاه مجوز ارائه خدمات رایانش ابری (Cloud) به پژوهشگران داد.</p>
<p>دانشگاه‌ها می‌توانند ظرفیت پردازشی خود را به شرکت‌های دانش‌بنیان نیز اجاره دهند.</p></div>
<div class="field field--name-field-tags"><div class="field__item"><a href="/taxonomy/term/9">رایانش ابری</a></div></div>
<ul class="links inline"><li><a href="/comment/reply/4521">افزودن دیدگاه</a></li></ul></div></article></body></html>""",
        {
            "title": "دانشگاه‌ها مجوز رایانش ابری گرفتند",
            "body": "وزارت علوم به ۱۵ دانشگاه مجوز ارائه خدمات رایانش ابری (Cloud) به پژوهشگران داد."
            "\n\nدانشگاه‌ها می‌توانند ظرفیت پردازشی خود را به شرکت‌های دانش‌بنیان نیز اجاره دهند.",
            "authors": ["سارا کریمی"],
            "tags": ["رایانش ابری"],
        },
    ),
}


@pytest.mark.parametrize("family", sorted(PLATFORM_PAGES))
def test_a_family_reads_a_page_of_another_site_on_its_platform(tmp_path, family):
    url, html, wanted = PLATFORM_PAGES[family]
    host = url.split("/")[2]
    site = site_of(tmp_path, f'[sites.other]\nbase_url = "https://{host}"\ncms = "{family}"\n')
    assert site.is_article_url(url)
    article = extract(site, html, url)
    for field, value in wanted.items():
        assert article.get(field) == value, field
    assert article["field_sources"]["title"] == article["field_sources"]["body"] == "site"
    for noise in ("اشتراک", "کد خبر", "لینک کوتاه", "افزودن دیدگاه"):
        assert noise not in article["body"]


def test_the_agency_sites_name_their_family_in_one_line():
    families = {name: site.cms for name, site in SITES.items() if site.cms in FAMILIES}
    assert {"isna", "khabaronline", "irna", "mehr", "tasnim", "fars"} <= set(families)
    for name in ("isna", "khabaronline", "irna", "mehr", "tasnim"):
        text = (loader.BUNDLED_DIR / f"{name}.toml").read_text("utf-8")
        assert f"[sites.{name}.selectors]" not in text, f"{name}: its family's selectors are enough"
