"""Weaknesses of the shared extraction that the twenty configured sites worked around with
selectors, each fixed in the generic layers and shown here on a small fixture page written
as the CMS or theme writes it:

* Yoast's JSON-LD names the article's image by reference (``{"@id": "…#primaryimage"}``);
* ``articleSection`` names every category of a post, the BreadcrumbList the primary one;
* Rank Math's trail ends with the post itself, under a headline that carries the site's name;
* a tweet embedded with the classic editor is no text of the article;
* Drupal's ``node-promoted`` is a node's state, not an ad;
* WordPress themes wrap category names in a ``<span>``; a theme's prefixed breadcrumb class;
* tag lists without ``rel=tag``, a «join our Telegram channel» sentence, a live price box;
* a site's date line that cannot be read (a family's selector on a sister site's page), and a
  logo ``<h1>`` taken for the title by a site's ``h1`` selector.
"""

from __future__ import annotations

import json

import pytest
from parsel import Selector

from newsarchive.extract import extract_article
from newsarchive.extract.boilerplate import is_junk_line, is_junk_name
from newsarchive.extract.generic import image_urls
from newsarchive.persian.date_choice import choose_published
from newsarchive.sites import Selectors, Site

URL = "https://example.com/galaxy-s26-battery/"
TITLE = "تست باتری Galaxy S26 Ultra؛ ۱۴ ساعت نمایش‌روشن"
SITE = "تکراتو"
PARAGRAPHS = [
    "گلکسی S26 اولترا در تست استاندارد مرور وب ۱۴ ساعت و ۱۲ دقیقه دوام آورد؛ عددی که از نسل قبل "
    "بیش از یک ساعت بیشتر است و آن را در میان پرچم‌داران اندرویدی در رتبه نخست می‌نشاند.",
    "سامسونگ ظرفیت باتری را تغییر نداده و بهبود عمر باتری را به تراشه تازه و نمایشگر کم‌مصرف‌تر "
    "نسبت می‌دهد؛ شارژ ۴۵ واتی هم همچنان سریع‌ترین گزینه این گوشی است.",
]
BODY = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
UPLOADS = "https://example.com/wp-content/uploads/2026/11"


def extract(html: str, site: Site | None = None, url: str = URL) -> dict:
    return extract_article(Selector(text=html), url, site)


def page(head: str = "", body: str = "") -> str:
    return f"<html><head><title>{TITLE} - {SITE}</title>{head}</head><body>{body}</body></html>"


def graph(*objects: dict) -> str:
    data = {"@context": "https://schema.org", "@graph": list(objects)}
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


def article(**fields) -> dict:
    return {"@type": "Article", "@id": f"{URL}#article", "headline": TITLE, **fields}


def trail(*names: str) -> dict:
    items = [{"@type": "ListItem", "position": 1, "name": "خانه", "item": "https://example.com/"}]
    items += [{"@type": "ListItem", "position": n, "name": name} for n, name in enumerate(names, start=2)]
    return {"@type": "BreadcrumbList", "@id": f"{URL}#breadcrumb", "itemListElement": items}


# --- 1. Yoast's image reference ---------------------------------------------------------

PRIMARY = {"@id": f"{URL}#primaryimage"}
IMAGE_OBJECT = {
    "@type": "ImageObject",
    "@id": f"{URL}#primaryimage",
    "url": f"{UPLOADS}/galaxy-s26.jpg",
    "contentUrl": f"{UPLOADS}/galaxy-s26.jpg",
    "width": 1200,
}


def test_a_yoast_image_reference_is_the_image_object_it_names_in_the_graph():
    raw = extract(page(graph(article(image=PRIMARY), IMAGE_OBJECT), BODY))
    assert raw["image_url"] == f"{UPLOADS}/galaxy-s26.jpg"
    assert raw["field_sources"]["image_url"] == "jsonld"


def test_an_unresolved_image_reference_gives_way_to_thumbnail_url_and_is_never_the_image():
    thumbnail = article(image=PRIMARY, thumbnailUrl=f"{UPLOADS}/thumb.jpg")
    assert extract(page(graph(thumbnail), BODY))["image_url"] == f"{UPLOADS}/thumb.jpg"
    og = f'<meta property="og:image" content="{UPLOADS}/og.jpg">'
    raw = extract(page(og + graph(article(image=PRIMARY)), BODY))
    assert raw["image_url"] == f"{UPLOADS}/og.jpg" and raw["field_sources"]["image_url"] == "meta"


def test_image_urls_reads_references_and_takes_an_id_only_when_it_is_no_fragment():
    objects = {IMAGE_OBJECT["@id"]: IMAGE_OBJECT}
    assert image_urls(PRIMARY, objects) == [f"{UPLOADS}/galaxy-s26.jpg"]
    assert image_urls(PRIMARY) == []
    assert image_urls({"@id": f"{UPLOADS}/photo.jpg"}) == [f"{UPLOADS}/photo.jpg"]
    assert image_urls([PRIMARY, f"{UPLOADS}/second.jpg"], objects) == [
        f"{UPLOADS}/galaxy-s26.jpg",
        f"{UPLOADS}/second.jpg",
    ]


# --- 2. articleSection and the trail -----------------------------------------------------


def test_yoast_article_section_names_every_category_the_trail_only_the_primary():
    ld = graph(article(articleSection=["موبایل", "بررسی"]), trail("موبایل", TITLE))
    raw = extract(page(ld, BODY))
    assert raw["categories"] == ["موبایل", "بررسی"]
    assert raw["field_sources"]["categories"] == "jsonld"


def test_a_section_that_does_not_name_the_trail_category_leaves_the_trail():
    """An agency's ``articleSection`` is its desk in another form: the trail stays."""
    ld = graph(article(articleSection="Science"), trail("علم و فناوری", "ارتباطات", TITLE))
    assert extract(page(ld, BODY))["categories"] == ["علم و فناوری", "ارتباطات"]


def test_a_joined_section_keeps_only_the_pieces_linked_as_categories_or_in_the_trail():
    """Rank Math joins the categories with commas; All in One SEO adds the tags."""
    links = (
        '<a href="https://example.com/category/mobile/">موبایل</a>'
        '<a href="https://example.com/category/mobile/review/">بررسی</a>'
        '<a href="https://example.com/tag/samsung/">سامسونگ</a>'
    )
    ld = graph(article(articleSection="موبایل, بررسی, سامسونگ"), trail("موبایل", TITLE))
    assert extract(page(ld, links + BODY))["categories"] == ["موبایل", "بررسی"]
    unlinked = graph(article(articleSection="موبایل, سامسونگ, Galaxy S26"), trail("موبایل", TITLE))
    assert extract(page(unlinked, BODY))["categories"] == ["موبایل"]


# --- 3. the post's own title at the end of the trail ------------------------------------


@pytest.mark.parametrize("separator", [" - ", " | "])
def test_the_last_crumb_that_is_the_post_is_dropped_when_the_headline_carries_the_site_name(separator):
    headline = f"{TITLE}{separator}دیجی‌کالا مگ"
    head = f'<meta property="og:title" content="{headline}">' + graph(
        article(headline=headline, articleSection="تکنولوژی"), trail("تکنولوژی", TITLE.replace("‌", " "))
    )
    html = f"<html><head><title>{headline}</title>{head}</head><body>{BODY}</body></html>"
    assert extract(html)["categories"] == ["تکنولوژی"]


def test_a_last_crumb_that_is_not_the_title_stays():
    ld = graph(article(), trail("موبایل", "سامسونگ"))
    assert extract(page(ld, BODY))["categories"] == ["موبایل", "سامسونگ"]


# --- 4. social embeds --------------------------------------------------------------------

TWEET = (
    '<blockquote class="twitter-tweet"><p lang="en">iOS 26.2 is now available with AirDrop over internet '
    '<a href="https://t.co/x">pic.twitter.com/abc</a></p>— Apple Support (@AppleSupport) '
    '<a href="https://twitter.com/AppleSupport/status/1">November 20, 2026</a></blockquote>'
    '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
)
INSTAGRAM = '<blockquote class="instagram-media" data-instgrm-permalink="https://www.instagram.com/p/x/"><p>A post shared by Samsung</p></blockquote>'
TIKTOK = '<blockquote class="tiktok-embed" cite="https://www.tiktok.com/@x/video/1"><section><p>Samsung on TikTok</p></section></blockquote>'


@pytest.mark.parametrize("embed", [TWEET, INSTAGRAM, TIKTOK], ids=["tweet", "instagram", "tiktok"])
def test_a_bare_social_embed_is_not_the_article_text(embed):
    body = f'<div class="entry-content">{BODY[: BODY.index("</p>") + 4]}{embed}<p>{PARAGRAPHS[1]}</p></div>'
    raw = extract(page(graph(article()), body))
    assert raw["body"] == "\n\n".join(PARAGRAPHS)


def test_a_quote_of_the_article_stays():
    quote = "<blockquote><p>ما عمر باتری را بدون افزایش ظرفیت بهتر کردیم و این نتیجه تراشه تازه است.</p></blockquote>"
    body = f'<div class="entry-content">{BODY}{quote}</div>'
    assert "تراشه تازه است" in extract(page(graph(article()), body))["body"]


# --- 5. Drupal's promoted nodes -----------------------------------------------------------

DRUPAL = """<html><head><title>{title} | ماهنامه شبکه</title><meta property="og:title" content="{title}">
<meta name="generator" content="Drupal 7 (http://drupal.org)"></head><body class="html not-front">
<h1 class="title" id="page-title">{title}</h1>
<div id="node-27890" class="node node-article node-promoted node-sticky clearfix">
<div class="submitted"><span property="dc:date dc:created" content="2026-11-25T16:50:00+03:30">ارسال شده توسط
<a href="/user/205" class="username">حمیدرضا تائبی</a> در ۴ آذر ۱۴۰۵ ساعت ۱۶:۵۰</span></div>
<div class="content"><div class="field field-name-body"><div class="field-items"><div class="field-item even">{body}
{ad}</div></div></div>
<div class="field field-name-field-tags"><div class="field-label">برچسب:&nbsp;</div><div class="field-items">
<div class="field-item even"><a href="/tags/NAS">NAS</a></div><div class="field-item odd"><a href="/tags/storage">ذخیره‌سازی</a></div>
</div></div></div></div></body></html>"""
PROMOTED_AD = (
    '<div class="promoted-box"><p>خرید NAS با ۲۰ درصد تخفیف فقط تا پایان هفته در فروشگاه ما</p></div>'
)


def test_a_promoted_drupal_node_is_the_article_not_an_ad():
    raw = extract(DRUPAL.format(title=TITLE, body=BODY, ad=PROMOTED_AD))
    assert raw["body"] == "\n\n".join(PARAGRAPHS)  # the promoted ad box inside it still goes
    assert raw["authors"] == ["حمیدرضا تائبی"]
    assert raw["published_candidates"] == [["dateline", "در ۴ آذر ۱۴۰۵ ساعت ۱۶:۵۰"]]
    assert raw["tags"] == ["NAS", "ذخیره‌سازی"] and raw["field_sources"]["tags"] == "fallback"


@pytest.mark.parametrize(
    "name", ["node node-article node-promoted clearfix", "node node-sticky", "node-unpublished"]
)
def test_drupal_node_states_are_no_junk_name(name):
    assert not is_junk_name(name)


@pytest.mark.parametrize(
    "name", ["promoted", "promoted-box", "promoted-content", "node-promoted-ads", "node-promoted ad"]
)
def test_promoted_boxes_are_still_junk(name):
    assert is_junk_name(name)


# --- 6. WordPress categories in a <span>, a theme's breadcrumb ------------------------------


def test_a_category_name_in_a_span_inside_the_category_link():
    link = '<a class="penci-cat-name" href="https://example.com/fa/category/startup/" rel="category tag"><span>استارتاپ</span></a>'
    raw = extract(page("", f'<div class="penci-standard-cat"><span class="cat">{link}</span></div>{BODY}'))
    assert raw["categories"] == ["استارتاپ"] and raw["field_sources"]["categories"] == "wordpress"


def test_a_prefixed_breadcrumb_class_is_a_trail():
    crumbs = (
        '<div class="penci-breadcrumb single-breadcrumb"><span><a class="crumb" href="https://example.com/fa/">'
        '<i class="icon"></i></a></span><span><a class="crumb" href="https://example.com/fa/category/report/">'
        f"گزارش</a></span><span>{TITLE}</span></div>"
    )
    raw = extract(page("", crumbs + BODY))
    assert raw["categories"] == ["گزارش"] and raw["field_sources"]["categories"] == "fallback"


# --- 7. tag lists without rel=tag, calls to join, price boxes ------------------------------


def test_tag_divs_newspaper_tags_in_the_articles_own_footer():
    tags = (
        '<footer><div class="td-post-source-tags"><ul class="td-tags td-post-small-box clearfix"><li><span>برچسب ها</span></li>'
        '<li><a href="https://example.com/tag/samsung/">سامسونگ</a></li><li><a href="https://example.com/tag/ssd/">SSD</a></li>'
        "</ul></div></footer>"
    )
    raw = extract(page("", f'<article><div class="td-post-content">{BODY}</div>{tags}</article>'))
    assert raw["tags"] == ["سامسونگ", "SSD"] and raw["field_sources"]["tags"] == "fallback"


def test_plain_tag_links_in_a_tags_box_but_never_a_tag_cloud_or_the_page_chrome():
    box = '<div class="tags"><span>برچسب‌ها:</span><a class="tag" href="/tag/GTA-6/">GTA 6</a><a class="tag" href="/tag/rockstar/">راک‌استار</a></div>'
    cloud = (
        '<div class="widget tag-cloud"><a href="/tag/apple/">اپل</a><a href="/tag/android/">اندروید</a></div>'
    )
    footer = '<footer class="site-footer"><div class="tags"><a href="/tag/news/">اخبار</a></div></footer>'
    assert extract(page("", f"{cloud}<article>{BODY}{box}</article>{footer}"))["tags"] == [
        "GTA 6",
        "راک‌استار",
    ]
    assert "tags" not in extract(page("", f"<article>{BODY}</article>{cloud}{footer}"))


def test_a_call_to_join_the_telegram_channel_written_as_a_sentence_goes():
    call = '<p>برای دریافت آخرین اخبار اقتصادی و تکنولوژی به <a href="https://telegram.me/tejaratnews">کانال تلگرام تجارت‌نیوز</a> بپیوندید.</p>'
    assert extract(page(graph(article()), f'<div class="entry-content">{BODY}{call}</div>'))[
        "body"
    ] == "\n\n".join(PARAGRAPHS)


def test_a_long_sentence_about_a_telegram_channel_stays():
    sentence = "برای دریافت آخرین اخبار، بسیاری از کاربران به کانال تلگرام این خبرگزاری پیوسته‌اند و شمار آنها از یک میلیون گذشته است."
    assert not is_junk_line(sentence)


def test_a_live_coin_price_box_inside_the_post_goes():
    box = (
        '<div class="arz-coin-box" data-coin="ethereum"><span class="arz-coin-box__name">قیمت لحظه‌ای اتریوم</span>'
        '<span class="arz-coin-box__price">$3,120</span><a href="https://example.com/coins/ethereum/">نمودار</a></div>'
    )
    body = f'<div class="entry-content"><p>{PARAGRAPHS[0]}</p>{box}<p>{PARAGRAPHS[1]}</p></div>'
    assert extract(page(graph(article()), body))["body"] == "\n\n".join(PARAGRAPHS)


# --- 8. a site's date line that cannot be read; a logo <h1> ---------------------------------

FAMILY = Site(
    name="agency",
    base_url="https://agency.example",
    article_paths=(r"^/news/\d+",),
    cms="asam",
    selectors=Selectors(title=("h1",), published=("article time",)),
)
SISTER_PAGE = """<html><head><title>{title}</title></head><body>
<header><h1 class="logo">پیوست - رسانه اقتصاد دیجیتال<a href="https://peivast.example/" rel="home"><img src="/logo.png"></a></h1></header>
<article><h2 class="post-title">{title}</h2><div class="post-meta"><span class="post-author">نوشته: زینب قاسمی</span> |
<span class="post-date">۳ اردیبهشت ۱۳۹۸</span> <time class="updated">۱۵ دی</time></div><div class="post-content">{body}</div>
<div class="comment-list"><div class="comment-metadata"><time datetime="2020-01-05T10:00:00+03:30">۲۰ دی ۱۳۹۸</time></div>
<p>مطلب خوبی بود</p></div></article></body></html>"""


def test_a_site_date_that_cannot_be_read_lets_the_date_line_answer_and_says_so():
    raw = extract(SISTER_PAGE.format(title=TITLE, body=BODY), FAMILY, "https://agency.example/news/1")
    assert raw["published_display"] == "۱۵ دی"
    assert raw["published_candidates"] == [["dateline", "۳ اردیبهشت ۱۳۹۸"]]
    assert any("'۱۵ دی' is unreadable" in note for note in raw["notes"])
    chosen = choose_published(raw["published_display"], [tuple(c) for c in raw["published_candidates"]])
    assert (
        chosen.source == "dateline"
        and chosen.date is not None
        and chosen.date.jalali.startswith("1398-02-03")
    )
    assert any("unreadable displayed date" in note for note in chosen.notes)


def test_a_readable_site_date_keeps_the_date_line_unread():
    html = SISTER_PAGE.format(title=TITLE, body=BODY).replace(">۱۵ دی<", ">۱۵ دی ۱۳۹۸<")
    raw = extract(html, FAMILY, "https://agency.example/news/1")
    assert raw["published_display"] == "۱۵ دی ۱۳۹۸" and raw["published_candidates"] == []


def test_a_date_in_a_comment_or_a_sidebar_card_is_not_the_site_date():
    """``article time`` also finds a comment's time and the ``<time>`` of a most-viewed card
    (an ``<article>`` too): neither is the article's date, whatever the hour."""
    html = SISTER_PAGE.format(title=TITLE, body=BODY).replace(' <time class="updated">۱۵ دی</time>', "")
    html = html.replace(
        "</article></body>",
        '</article><aside class="sidebar"><section class="box most-viewed"><article class="item">'
        "<h3>قیمت دلار امروز</h3><time>۱ ساعت پیش</time></article></section></aside></body>",
    )
    raw = extract(html, FAMILY, "https://agency.example/news/1")
    assert "published_display" not in raw
    assert raw["published_candidates"] == [["dateline", "۳ اردیبهشت ۱۳۹۸"]]


def test_a_logo_h1_is_no_title_for_a_sites_h1_selector():
    raw = extract(SISTER_PAGE.format(title=TITLE, body=BODY), FAMILY, "https://agency.example/news/1")
    assert raw["title"] == TITLE and raw["field_sources"]["title"] != "site"
    own = (
        SISTER_PAGE.format(title=TITLE, body=BODY)
        .replace('<h2 class="post-title">', "<h1>")
        .replace("</h2>", "</h1>")
    )
    raw = extract(own, FAMILY, "https://agency.example/news/1")
    assert raw["title"] == TITLE and raw["field_sources"]["title"] == "site"
