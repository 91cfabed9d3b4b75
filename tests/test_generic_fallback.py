"""When a site's selectors match nothing: every spider, driven by data, on pages it was not made for.

* A page of the wrong site (another site's mirror page at this site's article URL, as after a
  redirect or a redesign) still yields its title, body and a date it declares in machine-readable
  form; one whose only date is its displayed line has it read by the generic date-line finder
  (layer ``dateline``).
* A page with no site markup at all yields title, body and date from the generic layers
  (JSON-LD, meta, ``<time>``, WordPress, fallback), and ``field_sources`` says which.
* A page where even those find nothing is dropped with a named reason, counted under
  ``newsarchive/dropped/<reason>`` in the crawl stats.

Nothing here names a site: every site with expected values takes part.
"""

from __future__ import annotations

import re

import pytest
from conftest import EXPECTED_SITES, MIRROR, callback_output, load_expected, make_spider, process_response
from parsel import Selector
from scrapy.http import HtmlResponse, Request

from newsarchive.extract import extract_article
from newsarchive.persian.dates import parse_datetime
from newsarchive.pipelines import DropArticle
from newsarchive.sites import SITES, Selectors, Site
from newsarchive.urls import host_of

#: The sites with expected values; their sample pages (``contract_urls``) are the foreign pages.
SITE_NAMES = EXPECTED_SITES
GENERIC_LAYERS = {"jsonld", "meta", "time", "dateline", "wordpress", "fallback"}


@pytest.fixture(scope="module")
def spiders(tmp_path_factory):
    db = tmp_path_factory.mktemp("generic") / "scratch.db"
    return {name: make_spider(name, db) for name in SITE_NAMES}


def article_url(site: str) -> str:
    """An article URL of ``site`` (its first sample page)."""
    return SITES[site].contract_urls[0]


def run(spider, url: str, body: bytes) -> dict:
    return process_response(spider, HtmlResponse(url=url, body=body, request=Request(url)))


# --- a page of the wrong site -------------------------------------------------------


def foreign_pages():
    """(spider site, expected record of another site's sample page): every pair of sites."""
    samples = {}
    for name in SITE_NAMES:
        expected = {SITES[name].canonical(e["url"]): e for e in load_expected(f"{name}.json")}
        samples[name] = [expected[SITES[name].canonical(url)] for url in SITES[name].contract_urls]
    return [
        (name, other, page)
        for name in SITE_NAMES
        for other in SITE_NAMES
        if other != name
        for page in samples[other]
    ]


FOREIGN = foreign_pages()


def declared_dates(html: str) -> set[str]:
    """The publication dates a page declares in machine-readable form, read with plain XPath:
    ``article:published_time``, JSON-LD ``datePublished`` and ``<time datetime>`` outside comments."""
    page = Selector(text=html)
    values = page.xpath("//meta[@property='article:published_time']/@content").getall()
    for script in page.xpath("//script[@type='application/ld+json']/text()").getall():
        values += re.findall(r'"datePublished"\s*:\s*"([^"]+)"', script)
    values += page.xpath(
        "//time[not(ancestor::*[contains(@class, 'comment') or contains(@id, 'comment')])]/@datetime"
    ).getall()
    return {parse_datetime(value).utc_iso for value in values}


@pytest.mark.parametrize(
    ("site", "other", "expected"),
    FOREIGN,
    ids=[f"{site}<-{other}:{e['path'][-28:]}" for site, other, e in FOREIGN],
)
def test_a_page_of_the_wrong_site_yields_title_body_and_a_declared_or_displayed_date(
    spiders, site, other, expected
):
    html = (MIRROR / host_of(SITES[other].base_url) / expected["path"]).read_text("utf-8")
    dates = declared_dates(html)
    item = run(spiders[site], article_url(site), html.encode())
    assert item["title"] == expected["title"]
    assert expected["body"].split("\n\n")[0] in item["body"]
    if dates:
        assert item["published_at"] in dates
    else:  # its only date is the line this site's selectors do not know: the generic finder reads it
        assert item["published_at"] == expected["published_at"]
        assert item["field_sources"]["published"] in {"dateline"} | sister_layer(site, other)
    assert set(item["field_sources"].values()) <= GENERIC_LAYERS | {"site"}


def sister_layer(site: str, other: str) -> set[str]:
    """``{"site"}`` when both sites name the same CMS family: the family's selectors are made for
    the other's markup too, so what they read is the site layer's (ILNA's page read by Tasnim's)."""
    family = SITES[site].cms
    return {"site"} if family and family == SITES[other].cms else set()


# --- a page without any site markup ----------------------------------------------------

TITLE = "اپراتورها تعرفه اینترنت ثابت را ۲۰ درصد افزایش دادند"
PARAGRAPHS = [
    "تعرفه بسته‌های اینترنت ثابت از ابتدای ماه آینده ۲۰ درصد گران‌تر می‌شود؛ این افزایش پس از تصویب در کمیسیون تنظیم مقررات اعمال خواهد شد.",
    "به گفته سخنگوی انجمن صنفی، هزینه‌های توسعه شبکه FTTH و واردات تجهیزات دلیل اصلی این تصمیم است و کاربران خانگی بیشترین تأثیر را خواهند دید.",
]
PUBLISHED = ("2024-07-02T10:30:00+03:30", "2024-07-02T07:00:00Z")
GENERIC_PAGES = {
    "json-ld": (
        """<html><head><script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
        "headline": "{title}", "datePublished": "{published}", "articleBody": "{p1}\\n{p2}"}}</script></head>
        <body><div class="layout"><span>خانه</span></div></body></html>""",
        {"title": "jsonld", "body": "jsonld", "published": "jsonld"},
    ),
    "meta + densest paragraphs": (
        """<html><head><title>{title} - نشریه</title><meta property="og:title" content="{title}">
        <meta property="article:published_time" content="{published}"></head>
        <body><div class="layout"><section><div class="story"><p>{p1}</p><p>{p2}</p></div></section>
        <ul class="menu"><li>خانه</li><li>تماس</li></ul></div></body></html>""",
        {"title": "meta", "body": "fallback", "published": "meta"},
    ),
    "WordPress conventions": (
        """<html><head></head><body class="single"><div id="primary"><h2 class="entry-title">{title}</h2>
        <span class="posted-on"><time class="entry-date published" datetime="{published}">۱۲ تیر ۱۴۰۳</time></span>
        <div class="entry-content"><p>{p1}</p><p>{p2}</p></div></div>
        <ol class="comment-list"><li><time datetime="2024-07-03T09:00:00+03:30">دیروز</time><p>دیدگاه</p></li></ol>
        </body></html>""",
        {"title": "wordpress", "body": "wordpress", "published": "time"},
    ),
}


@pytest.mark.parametrize("site", SITE_NAMES)
@pytest.mark.parametrize("kind", GENERIC_PAGES)
def test_a_page_without_site_markup_yields_title_body_and_date_from_the_generic_layers(spiders, site, kind):
    template, sources = GENERIC_PAGES[kind]
    html = template.format(title=TITLE, p1=PARAGRAPHS[0], p2=PARAGRAPHS[1], published=PUBLISHED[0])
    item = run(spiders[site], article_url(site), html.encode())
    assert item["title"] == TITLE
    assert item["body"] == "\n\n".join(PARAGRAPHS)
    assert item["published_at"] == PUBLISHED[1]
    assert item["published_display"] is None
    assert {field: item["field_sources"][field] for field in sources} == sources


# --- nothing to find: dropped with a named reason -----------------------------------------

EMPTY_PAGES = {
    "no-title": "<html><head></head><body><div><p>{p1}</p><p>{p2}</p></div></body></html>",
    "no-body": '<html><head><meta property="article:published_time" content="{published}"></head>'
    "<body><h1>{title}</h1><p>خبر کوتاه.</p></body></html>",
    "no-date": "<html><head><title>{title}</title></head><body><h1>{title}</h1><div><p>{p1}</p><p>{p2}</p></div></body></html>",
}


@pytest.mark.parametrize("site", SITE_NAMES)
@pytest.mark.parametrize("reason", EMPTY_PAGES)
def test_a_page_with_nothing_to_find_is_dropped_with_a_named_reason(tmp_path, site, reason):
    spider = make_spider(site, tmp_path / "scratch.db")  # its own stats
    html = EMPTY_PAGES[reason].format(title=TITLE, p1=PARAGRAPHS[0], p2=PARAGRAPHS[1], published=PUBLISHED[0])
    with pytest.raises(DropArticle) as dropped:
        run(spider, article_url(site), html.encode())
    assert dropped.value.reason == reason
    stats = spider.crawler.stats.get_stats()
    assert {key: value for key, value in stats.items() if key.startswith("newsarchive/dropped/")} == {
        f"newsarchive/dropped/{reason}": 1
    }


def test_a_page_that_is_not_an_article_is_dropped_before_extraction(tmp_path):
    site = SITE_NAMES[0]
    spider = make_spider(site, tmp_path / "scratch.db")
    url = SITES[site].url("/")
    assert (
        callback_output(
            spider.parse_article(HtmlResponse(url=url, body=b"<html><h1>x</h1></html>", request=Request(url)))
        )
        == []
    )
    assert spider.crawler.stats.get_value("newsarchive/dropped/not-article") == 1


# --- shared machinery the WordPress sites needed ------------------------------------------


def test_a_sponsored_marker_flags_a_page_whose_url_looks_like_any_other():
    site = Site(
        name="t",
        base_url="https://example.com",
        article_paths=(r"^/p/\d+$",),
        selectors=Selectors(sponsored=("article.category-reportage",)),
    )
    html = '<html><body class="single-post"><article class="post category-{}"><h1>عنوان</h1></article></body></html>'
    assert (
        extract_article(Selector(text=html.format("reportage")), "https://example.com/p/1", site)["sponsored"]
        is True
    )
    assert (
        extract_article(Selector(text=html.format("news")), "https://example.com/p/1", site)["sponsored"]
        is False
    )
    assert (
        extract_article(Selector(text=html.format("reportage")), "https://example.com/p/1")["sponsored"]
        is False
    )


def test_the_wordpress_layer_does_not_take_category_links_for_tags():
    """``the_category()`` writes ``rel="category tag"``; ``the_tags()`` writes ``rel="tag"``."""
    html = """<html><body><span class="cat-links"><a href="/category/mobile/" rel="category tag">موبایل</a></span>
    <div class="entry-content"><p>متن</p></div>{}</body></html>"""
    without_tags = extract_article(Selector(text=html.format("")), "https://example.com/p/1")
    assert "tags" not in without_tags
    assert (
        without_tags["categories"] == ["موبایل"]
        and without_tags["field_sources"]["categories"] == "wordpress"
    )
    with_tags = extract_article(
        Selector(text=html.format('<a href="/tag/samsung/" rel="tag">سامسونگ</a>')), "https://example.com/p/1"
    )
    assert with_tags["tags"] == ["سامسونگ"]
