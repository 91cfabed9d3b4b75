"""Clean articles from pages nobody here wrote: boilerplate inside bodies, bodies chosen by
evidence, and generic metadata (authors, categories, image, titles).

* Boilerplate goes in every layer: the site's selectors, WordPress conventions, the densest
  block and JSON-LD ``articleBody`` alike; a real sentence never goes, even one that says
  «تبلیغات».
* Every lexicon entry (``newsarchive/extract/boilerplate.toml``) removes its examples, leaves
  its real sentences, and matches no paragraph of any expected article.
"""

from __future__ import annotations

import json

import pytest
from conftest import EXPECTED_SITES, load_expected
from parsel import Selector

from newsarchive.extract import extract_article
from newsarchive.extract.blocks import text_blocks
from newsarchive.extract.boilerplate import LEXICON, class_words, is_junk_line, is_junk_name, is_label
from newsarchive.sites import Selectors, Site

ZWNJ = "\u200c"
URL = "https://example.com/news/1"
TITLE = "اپل نسخه نهایی iOS 17.2 را منتشر کرد"
#: Article paragraphs: ZWNJ, Latin tokens, one inline link, one sentence that says «تبلیغات».
ARTICLE = [
    "اپل شامگاه دوشنبه نسخه نهایی iOS 17.2 را برای آیفون‌های سازگار منتشر کرد؛ این به‌روزرسانی "
    "قابلیت‌های تازه‌ای برای گلکسی S24 و مودم‌های 5G ندارد اما برای آیفون ۱۵ پرو مهم است.",
    'مهم‌ترین قابلیت جدید، اپلیکیشن <a href="https://example.com/tag/journal">Journal</a> است که به '
    "کاربران امکان می‌دهد خاطرات روزانه خود را همراه با عکس و موسیقی ثبت کنند.",
    "تبلیغات در اپ‌استور هم از ماه آینده در بخش جست‌وجو بیشتر می‌شود و توسعه‌دهندگان می‌توانند برای "
    "نمایش برنامه‌های خود هزینه بپردازند.",
    'برای مشاهده فهرست کامل تغییرات به <a href="https://shop.example/x" rel="sponsored nofollow">وب‌سایت '
    "فروشگاه</a> مراجعه کنید؛ حجم آپدیت بین ۱ تا ۲ گیگابایت است.",
]
PLAIN = [Selector(text=f"<p>{p}</p>").xpath("string(//p)").get() for p in ARTICLE]

#: Junk shapes of step 1, each a snippet placed between the article's paragraphs.
JUNK = {
    "read-more line": '<p>بیشتر بخوانید: <a href="https://example.com/news/2">اپل رسما مراسم ۱۶ شهریور را تایید کرد</a></p>',
    "read-more, strong label": '<p><strong>همچنین بخوانید:</strong> <a href="/news/3">نقد آیفون ۱۵</a></p>',
    "a paragraph that is one link": '<p><a href="https://example.com/news/4">سامسونگ از گلکسی S24 FE رونمایی کرد</a></p>',
    "related list with its heading": '<h3>مطالب مرتبط</h3><ul><li><a href="/a">خبر اول درباره اپل</a></li>'
    '<li><a href="/b">خبر دوم درباره آیفون</a></li></ul>',
    "editor's picks": '<div><h4>پیشنهاد سردبیر</h4><ul><li><a href="/c">بهترین گوشی‌های ۱۴۰۳</a></li></ul></div>',
    "related list under an unknown heading": '<h4>این‌ها را از دست ندهید</h4><ol><li><a href="/d">گزارش اول</a></li>'
    '<li><a href="/e">گزارش دوم</a></li></ol>',
    "ad box, camelCase": '<div class="digiAds"><a href="/x"><img src="a.gif"></a><span>خرید اقساطی لپ‌تاپ</span></div>',
    "ad box, BEM": '<section class="relatedPosts__item"><span>نقد گلکسی S24</span></section>',
    "ad box, yn-": '<div class="yn-ad"><span>بیمه بدنه آنلاین با تخفیف</span></div>',
    "newsletter box": '<div class="newsletter-box"><p>هر هفته خبرهای مهم را در ایمیل خود بخوانید</p></div>',
    "share buttons": '<div class="shareButtons"><span>تلگرام</span> <span>توییتر</span></div>',
    "sponsored link box": '<div><a href="https://shop.example/phone" rel="sponsored">گوشی اقساطی بدون پیش‌پرداخت</a></div>',
    "ad network script box": '<div><script src="https://cdn.yektanet.com/js/native.js"></script><span>پیشنهاد ویژه خرید</span></div>',
    "adsbygoogle": '<ins class="adsbygoogle" data-ad-slot="123"></ins>',
    "news code": "<p>کد خبر: ۱۷۳۰۲</p>",
    "ad label": "<div>تبلیغات</div>",
    "ad label over an ad link": '<div><span>تبلیغات</span> <a href="https://shop.example/x">بیمه بدنه آنلاین</a></div>',
    "telegram prompt": "<p>ما را در تلگرام دنبال کنید</p>",
    "short link": "<p>لینک کوتاه: https://example.com/?p=1640077</p>",
    "end of message": "<p>انتهای پیام</p>",
    "tags line": '<p>برچسب‌ها: <a href="/tag/apple">اپل</a>، <a href="/tag/ios">iOS</a></p>',
}


def article_html(paragraphs: list[str], junk: str = "") -> str:
    """The article's paragraphs with ``junk`` between the first two and at the end."""
    inner = [f"<p>{p}</p>" for p in paragraphs]
    return "\n".join([*inner[:1], junk, *inner[1:], junk])


SITE = Site(
    name="t",
    base_url="https://example.com",
    article_paths=(r"^/news/\d+$",),
    selectors=Selectors(title=("h1.headline",), body=(".story",)),
)


def page(layer: str, inner: str) -> tuple[str, Site | None]:
    """A page whose body only ``layer`` finds, with ``inner`` as the body's HTML."""
    head = f'<meta property="og:title" content="{TITLE}">'
    if layer == "site":
        return (
            f'<html><head>{head}</head><body><h1 class="headline">{TITLE}</h1><div class="story">{inner}</div></body></html>',
            SITE,
        )
    if layer == "wordpress":
        return (
            f'<html><head>{head}</head><body><h1 class="entry-title">{TITLE}</h1><div class="entry-content">{inner}</div></body></html>',
            None,
        )
    if layer == "fallback":
        return (
            f'<html><head>{head}</head><body><h1>{TITLE}</h1><div class="x"><div class="y">{inner}</div></div></body></html>',
            None,
        )
    text = "\n".join(Selector(text=f"<div>{inner}</div>").xpath("//div/*").xpath("string()").getall())
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": TITLE, "articleBody": text}
    return (
        f'<html><head><script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script></head><body></body></html>',
        None,
    )


def body_of(layer: str, inner: str) -> dict:
    html, site = page(layer, inner)
    return extract_article(Selector(text=html), URL, site)


# --- names ---------------------------------------------------------------------------

JUNK_NAMES = [
    "digiAds",
    "relatedPosts__item",
    "adBox",
    "yn-ad",
    "newsletter-box",
    "shareButtons",
    "adsBox adsBox--inArticle",
    "bannergroup",
    "e3lan-post",
    "jp-relatedposts",
    "addtoany",
    "a2a_kit",
    "pos-article-display-50077",
    "adsbygoogle",
    "wp-caption",
    "docRelated",
    "share-post",
    "related_posts",
    "js-comments-list",
    "postTools__keywords",
    "read-more",
    "readMore",
    "author-box",
    "post-tags",
    "sponsored-content",
    "promoBox",
    "breadcrumbs",
    "social-icons",
    "mediaad-native",
    "tapsell-banner",
]
NOT_JUNK_NAMES = [
    "header",
    "siteHeader",
    "shadow",
    "download",
    "adapter",
    "read",
    "address",
    "thread",
    "badge",
    "sc-ad418181-0",
    "commentary",
    "shareholder",
    "article-content",
    "entry-content",
    "post-body",
    "loaded",
    "heading",
    "articlePost",
    "advanced",
    "tag",
    "keyword-link",
    "gradient",
    "ipad",
    "leadText",
    "roadmap",
    "upload",
    "headline",
    "story",
]


def test_class_words_split_camel_case_bem_dashes_and_underscores():
    assert class_words("relatedPosts__item adsBox--inArticle yn-ad news_letter HTMLParser") == [
        "related",
        "posts",
        "item",
        "ads",
        "box",
        "in",
        "article",
        "yn",
        "ad",
        "news",
        "letter",
        "html",
        "parser",
    ]
    assert class_words("sc-ad418181-0 a2a_kit") == ["sc", "a2a", "kit"]


@pytest.mark.parametrize("name", JUNK_NAMES)
def test_junk_names(name):
    assert is_junk_name(name)


@pytest.mark.parametrize("name", NOT_JUNK_NAMES)
def test_false_friends_are_not_junk(name):
    assert not is_junk_name(name)


# --- the lexicon, entry by entry --------------------------------------------------------


@pytest.mark.parametrize("rule", LEXICON, ids=[rule.name for rule in LEXICON])
def test_every_lexicon_entry_removes_its_examples_and_keeps_real_sentences(rule):
    assert rule.junk, "every entry shows what it removes"
    assert rule.pattern.fullmatch("") is None, "an entry that matches nothing at all (a stray ' ?')"
    for line in rule.junk:
        assert rule.matches(line), line
        assert is_junk_line(line), line
        if rule.kind == "label":
            assert is_label(line), line
    for sentence in rule.keep:
        assert not is_junk_line(sentence), sentence
        assert text_blocks(Selector(text=f"<div><p>{sentence}</p></div>").css("div")[0].root) == [sentence]


EXPECTED_PARAGRAPHS = sorted(
    {p for site in EXPECTED_SITES for e in load_expected(f"{site}.json") for p in e["body"].split("\n\n")}
)


def test_no_lexicon_entry_matches_a_paragraph_of_an_expected_article():
    assert len(EXPECTED_PARAGRAPHS) > 300
    assert [p for p in EXPECTED_PARAGRAPHS if is_junk_line(p)] == []


def test_lines_match_after_persian_normalization_and_only_whole():
    assert is_junk_line("كد خبر: ١٧٣٠٢")  # Arabic kaf, Arabic-Indic digits
    assert is_junk_line("  اشتراک گذاری :")  # a space for the ZWNJ, a loose colon
    assert not is_junk_line(
        "کد خبر: ۱۷۳۰۲ را در جست‌وجوی سایت وارد کنید تا خبر اصلی را ببینید و آن را بخوانید"
    )
    assert not is_junk_line("این خبر را ما را در تلگرام دنبال کنید نوشت")


# --- bodies, in every layer -------------------------------------------------------------

LAYERS = ("site", "wordpress", "fallback")


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("shape", JUNK)
def test_junk_inside_a_body_goes_in_every_layer(layer, shape):
    raw = body_of(layer, article_html(ARTICLE, JUNK[shape]))
    assert raw["field_sources"]["body"] == layer
    assert raw["body"] == "\n\n".join(PLAIN)


@pytest.mark.parametrize("layer", LAYERS)
def test_a_clean_article_keeps_every_sentence_zwnj_and_latin_token(layer):
    raw = body_of(layer, article_html(ARTICLE))
    assert raw["body"] == "\n\n".join(PLAIN)
    assert raw["body"].count(ZWNJ) == sum(p.count(ZWNJ) for p in PLAIN)
    for token in ("iOS 17.2", "S24", "5G", "Journal"):
        assert token in raw["body"]


JSONLD_JUNK = [
    "کد خبر: ۱۷۳۰۲",
    "ما را در تلگرام دنبال کنید",
    "تبلیغات",
    "انتهای پیام",
    "بیشتر بخوانید: نقد آیفون ۱۵",
]


def test_json_ld_article_bodies_lose_their_lexicon_lines_too():
    lines = "".join(f"<p>{line}</p>" for line in JSONLD_JUNK)
    raw = body_of("jsonld", article_html(ARTICLE, lines))
    assert raw["field_sources"]["body"] == "jsonld"
    assert raw["body"] == "\n\n".join(PLAIN)


def test_a_list_with_one_link_among_text_items_stays():
    items = [
        '<li>نصب از مسیر <a href="/settings">Settings</a> ممکن است</li>',
        "<li>حجم آپدیت ۲ گیگابایت است</li>",
    ]
    raw = body_of("site", article_html(ARTICLE, f"<ul>{''.join(items)}</ul>"))
    assert "نصب از مسیر Settings ممکن است" in raw["body"].split("\n\n")
    assert raw["body"].count("حجم آپدیت ۲ گیگابایت است") == 2


def test_a_heading_followed_by_paragraphs_stays_even_before_a_link_list():
    inner = (
        article_html(ARTICLE[:2])
        + '<h2>جمع‌بندی</h2><p>آپدیت را نصب کنید.</p><ul><li><a href="/z">خبر دیگر</a></li></ul>'
    )
    assert body_of("site", inner)["body"].split("\n\n")[-2:] == ["جمع‌بندی", "آپدیت را نصب کنید."]


# --- bodies chosen by evidence, not by layer order -------------------------------------------

STORY = [
    "سامسونگ امروز در رویدادی آنلاین از گلکسی S24 FE رونمایی کرد؛ گوشی‌ای که قرار است تجربه پرچم‌دارهای "
    "سری S24 را با قیمتی پایین‌تر در اختیار کاربران بگذارد.",
    "گلکسی S24 FE به نمایشگر Dynamic AMOLED 2X با اندازه ۶٫۷ اینچ و نرخ نوسازی ۱۲۰ هرتز مجهز شده است و "
    "حداکثر روشنایی این پنل به ۱۹۰۰ نیت می‌رسد.",
    "قلب تپنده گوشی، تراشه Exynos 2400e است که نسخه‌ای با فرکانس کمی پایین‌تر از تراشه گلکسی S24 به شمار "
    "می‌رود و با ۸ گیگابایت رم همراه شده است.",
    "دوربین اصلی ۵۰ مگاپیکسلی با لرزشگیر اپتیکال، دوربین تله‌فوتو ۸ مگاپیکسلی و دوربین فوق عریض ۱۲ "
    "مگاپیکسلی در پشت گوشی قرار گرفته‌اند.",
    "باتری ۴۷۰۰ میلی‌آمپر ساعتی این گوشی از شارژ سریع ۲۵ واتی پشتیبانی می‌کند و سامسونگ هفت سال "
    "به‌روزرسانی سیستم‌عامل را برای آن وعده داده است.",
    "قیمت پایه گلکسی S24 FE در آمریکا ۶۴۹ دلار اعلام شده است که با قیمت نسل قبل برابری می‌کند و عرضه آن "
    "از ۱۳ مهر آغاز می‌شود.",
]
DESCRIPTION = "سامسونگ از گلکسی S24 FE با نمایشگر ۶٫۷ اینچی و تراشه Exynos 2400e رونمایی کرد."
COMMENTS = [
    f"کاربر {n}: به نظر من قیمت این گوشی برای بازار ایران خیلی بالاست و با این شرایط ارزی بعید "
    f"می‌دانم کسی سراغ آن برود؛ مدل‌های چینی با همین پول امکانات بیشتری می‌دهند. نظر شماره {n}"
    for n in range(12)
]


def paragraphs_html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def story_page(body: str, head: str = "", extra: str = "") -> str:
    return (
        f'<html><head><meta name="description" content="{DESCRIPTION}">{head}</head><body>'
        f'<h1 class="headline">{TITLE}</h1>{body}{extra}</body></html>'
    )


def jsonld(article_body: str) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": TITLE,
        "articleBody": article_body,
    }
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


def test_a_site_selector_that_matches_a_fragment_gives_way_to_the_main_content():
    body = f'<div class="layout"><div class="story">{paragraphs_html(STORY[:1])}</div>{paragraphs_html(STORY[1:])}</div>'
    raw = extract_article(Selector(text=story_page(body)), URL, SITE)
    assert raw["body"] == "\n\n".join(STORY)
    assert raw["field_sources"]["body"] == "fallback"


def test_a_json_ld_excerpt_gives_way_to_the_page_text():
    body = f'<div class="entry-content">{paragraphs_html(STORY)}</div>'
    raw = extract_article(Selector(text=story_page(body, head=jsonld(STORY[0]))), URL)
    assert raw["body"] == "\n\n".join(STORY)
    assert raw["field_sources"]["body"] == "wordpress"


def test_the_site_body_wins_when_it_is_the_article():
    body = f'<div class="entry-content"><div class="story">{paragraphs_html(STORY)}</div></div>'
    raw = extract_article(Selector(text=story_page(body, head=jsonld("\n".join(STORY)))), URL, SITE)
    assert raw["body"] == "\n\n".join(STORY)
    assert raw["field_sources"]["body"] == "site"


def test_a_json_ld_body_as_long_as_the_page_text_keeps_its_place_before_wordpress():
    body = f'<div class="entry-content">{paragraphs_html(STORY)}</div>'
    raw = extract_article(Selector(text=story_page(body, head=jsonld("\n".join(STORY)))), URL)
    assert raw["field_sources"]["body"] == "jsonld"
    assert raw["body"] == "\n\n".join(STORY)


@pytest.mark.parametrize("site", [SITE, None], ids=["site", "wordpress"])
def test_a_longer_block_about_something_else_never_wins(site):
    """Readers' comments outweigh the article in text but share nothing with the description."""
    body = f'<div class="entry-content"><div class="story">{paragraphs_html(STORY[:3])}</div></div>'
    discussion = f'<div class="discussion"><div class="thread">{paragraphs_html(COMMENTS)}</div></div>'
    raw = extract_article(Selector(text=story_page(body, extra=discussion)), URL, site)
    assert raw["body"] == "\n\n".join(STORY[:3])
    assert raw["field_sources"]["body"] == ("site" if site else "wordpress")


def test_a_block_of_teasers_never_outweighs_the_site_body():
    teasers = "".join(
        f'<p><a href="/news/{n}">{STORY[n % 6][:70]}</a> {COMMENTS[n][:60]}</p>' for n in range(12)
    )
    body = f'<div class="story">{paragraphs_html(STORY[:2])}</div><div class="cards">{teasers}</div>'
    raw = extract_article(Selector(text=story_page(body)), URL, SITE)
    assert raw["body"] == "\n\n".join(STORY[:2])
    assert raw["field_sources"]["body"] == "site"


# --- generic metadata: authors, categories, image, titles ------------------------------------

BODY = f'<div class="entry-content">{paragraphs_html(STORY)}</div>'


def generic(head: str = "", body: str = BODY, site: Site | None = None) -> dict:
    return extract_article(Selector(text=f"<html><head>{head}</head><body>{body}</body></html>"), URL, site)


def ld(**fields) -> str:
    data = {"@context": "https://schema.org", "@type": "NewsArticle", **fields}
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


SITE_NAME = '<meta property="og:site_name" content="خبرگزاری آریا">'


def test_json_ld_authors_are_people_never_an_organization_or_the_site_itself():
    authors = [
        {"@type": "Person", "name": "مریم رضایی"},
        {"@type": "Organization", "name": "ایرنا"},
        {"@type": "Person", "name": "خبرگزاری آریا"},
        "علی کریمی",
    ]
    raw = generic(
        SITE_NAME + ld(headline=TITLE, author=authors, publisher={"@type": "Organization", "name": "آریا"})
    )
    assert raw["authors"] == ["مریم رضایی", "علی کریمی"] and raw["field_sources"]["authors"] == "jsonld"
    assert "authors" not in generic(
        SITE_NAME + ld(headline=TITLE, author={"@type": "Organization", "name": "خبرگزاری آریا"})
    )
    publisher_only = generic(
        ld(headline=TITLE, author="آریا", publisher={"@type": "Organization", "name": "آریا"})
    )
    assert "authors" not in publisher_only


def test_a_meta_author_that_is_the_site_is_no_author():
    assert "authors" not in generic(SITE_NAME + '<meta name="author" content="خبرگزاری آریا">')
    assert generic('<meta name="author" content="سارا احمدی">')["authors"] == ["سارا احمدی"]


@pytest.mark.parametrize("href", ["/author/sara-ahmadi/", "https://example.com/user/1234", "/writer/sara"])
def test_author_links_name_the_author(href):
    body = (
        f'<header class="site"><a href="/user/login">ورود</a></header><article><h1>{TITLE}</h1>'
        f'<div class="byline">نوشته شده توسط <a href="{href}">سارا احمدی</a></div>{BODY}</article>'
        f'<aside><a href="/author/someone-else">نویسنده دیگر</a></aside>'
    )
    raw = generic(body=body)
    assert raw["authors"] == ["سارا احمدی"] and raw["field_sources"]["authors"] == "fallback"


def test_rel_author_names_the_author_and_strips_a_byline_prefix():
    body = f'<h1>{TITLE}</h1><p class="meta"><a rel="author" href="/a/1">نویسنده: علی کریمی</a></p>{BODY}'
    assert generic(body=body)["authors"] == ["علی کریمی"]


NEXT = {
    "props": {
        "pageProps": {
            "post": {
                "title": TITLE,
                "slug": "s24-fe",
                "publishedAt": "2024-09-26T10:30:00+03:30",
                "author": {"name": "نگار شفیعی", "slug": "negar"},
                "category": {"title": "موبایل", "slug": "mobile"},
            }
        }
    },
    "page": "/[slug]",
}


def test_next_js_data_gives_title_author_category_and_date():
    head = (
        f'<script id="__NEXT_DATA__" type="application/json">{json.dumps(NEXT, ensure_ascii=False)}</script>'
    )
    raw = generic(body=f'<div id="__next">{head}{BODY}</div>')
    assert raw["title"] == TITLE
    assert raw["authors"] == ["نگار شفیعی"]
    assert raw["categories"] == ["موبایل"]
    assert ["fallback", "2024-09-26T10:30:00+03:30"] in raw["published_candidates"]


BREADCRUMBS = {
    "nav aria-label": '<nav aria-label="Breadcrumb"><ol><li><a href="/">خانه</a></li><li><a href="/tech">فناوری</a></li>'
    '<li><a href="/tech/mobile">موبایل</a></li><li>{title}</li></ol></nav>',
    ".breadcrumb": '<div class="breadcrumb"><a href="https://example.com/">خبرگزاری آریا</a> » <a href="/tech">فناوری</a> » '
    '<a href="/tech/mobile">موبایل</a> » <span>{title}</span></div>',
    "JSON-LD BreadcrumbList": '<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "BreadcrumbList", '
    '"itemListElement": [{{"@type": "ListItem", "position": 1, "name": "خبرگزاری آریا", "item": "https://example.com/"}}, '
    '{{"@type": "ListItem", "position": 2, "name": "فناوری"}}, {{"@type": "ListItem", "position": 3, "name": "موبایل"}}, '
    '{{"@type": "ListItem", "position": 4, "name": "{title}"}}]}}</script>',
}


@pytest.mark.parametrize("shape", BREADCRUMBS)
def test_categories_come_from_breadcrumbs_without_home_site_and_page(shape):
    crumbs = BREADCRUMBS[shape].format(title=TITLE)
    raw = generic(SITE_NAME + ld(headline=TITLE), body=f"{crumbs}<h1>{TITLE}</h1>{BODY}")
    assert raw["categories"] == ["فناوری", "موبایل"]


UPLOADS = "https://example.com/wp-content/uploads/2024/09"


def test_the_full_size_image_when_the_page_names_the_original():
    head = f'<meta property="og:image" content="{UPLOADS}/s24-fe-1200x675.jpg">'
    named = f'<figure><a href="{UPLOADS}/s24-fe.jpg"><img src="{UPLOADS}/s24-fe-780x470.jpg"></a></figure>'
    assert generic(head, body=named + BODY)["image_url"] == f"{UPLOADS}/s24-fe.jpg"
    assert generic(head)["image_url"] == f"{UPLOADS}/s24-fe-1200x675.jpg"  # no original named: kept


def test_json_ld_image_objects_give_their_url():
    image = {"@type": "ImageObject", "url": f"{UPLOADS}/s24-fe.jpg", "name": "گلکسی S24 FE", "width": 1200}
    assert generic(ld(headline=TITLE, image=[image]))["image_url"] == f"{UPLOADS}/s24-fe.jpg"


def test_the_largest_srcset_candidate():
    srcset = (
        f"{UPLOADS}/s24-fe-300x169.jpg 300w, {UPLOADS}/s24-fe.jpg 1600w, {UPLOADS}/s24-fe-1024x576.jpg 1024w"
    )
    body = (
        f'<article><h1>{TITLE}</h1><img src="{UPLOADS}/s24-fe-300x169.jpg" srcset="{srcset}">{BODY}</article>'
    )
    raw = generic(body=body)
    assert raw["image_url"] == f"{UPLOADS}/s24-fe.jpg" and raw["field_sources"]["image_url"] == "fallback"


TITLES = {
    "prefix in <title>": ("<title>خبرگزاری آریا - {t}</title>" + SITE_NAME, ""),
    "suffix in og:title": ('<meta property="og:title" content="{t} | خبرگزاری آریا">' + SITE_NAME, ""),
    "suffix learned from <title> and h1": (
        '<meta property="og:title" content="{t} - ایسنا"><title>{t} - ایسنا</title>',
        "<h1>{t}</h1>",
    ),
    "JSON-LD headline with the site name": (
        '<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{t} - خبرگزاری آریا"}}</script>'
        + SITE_NAME,
        "",
    ),
}


@pytest.mark.parametrize("shape", TITLES)
def test_titles_lose_the_site_name(shape):
    head, body = TITLES[shape]
    raw = generic(head.format(t=TITLE), body=body.format(t=TITLE) + BODY)
    assert raw["title"] == TITLE


def test_a_title_keeps_a_dash_that_is_not_before_a_site_name():
    title = "iOS 17.2 - نسخه نهایی با اپلیکیشن Journal"
    raw = generic(f'<meta property="og:title" content="{title}">' + SITE_NAME)
    assert raw["title"] == title


def test_an_h1_that_is_the_site_logo_is_not_the_title():
    body = f'<header><h1 class="logo"><a href="/">خبرگزاری آریا</a></h1></header><h2>{TITLE}</h2>{BODY}'
    raw = generic(f"<title>{TITLE} - خبرگزاری آریا</title>" + SITE_NAME, body=body)
    assert raw["title"] == TITLE


def test_a_body_written_as_lines_between_line_breaks_is_found():
    lines = "<br><br>".join(STORY)
    raw = generic(
        body=f'<h1>{TITLE}</h1><div class="matn">{lines}</div><div class="side"><p>پربازدیدترین‌ها</p></div>'
    )
    assert raw["field_sources"]["body"] == "fallback"
    assert raw["body"] == "\n\n".join(STORY)


# --- pages that try to break the generic layers ----------------------------------------------

HOSTILE = {
    "an href that is no URL": '<div class="breadcrumb"><a href="http://[::1/tech">فناوری</a></div>'
    '<a href="http://[::1/author/x">سارا</a><h1><a href="http://[">لوگو</a></h1>',
    "Next.js data of the wrong shape": '<script id="__NEXT_DATA__" type="application/json">{"props": [1, 2], "page": "/"}</script>',
    "Next.js data nested past the parser": '<script id="__NEXT_DATA__" type="application/json">'
    + "[" * 100_000
    + "]" * 100_000
    + "</script>",
    "JSON-LD nested past the parser": '<script type="application/ld+json">'
    + "[" * 100_000
    + "]" * 100_000
    + "</script>",
    "broken articleBody markup": ld(headline=TITLE, articleBody="<p>پاراگراف <b>ناتمام</p></div><li"),
    "srcset garbage": '<article><img srcset=", ,, 12w x.jpg 3q"><img data-srcset="a.jpg 9999999999999999999999w"></article>',
    "image URLs that are no URL": '<meta property="og:image" content="http://[x/a-10x10.jpg"><img src="http://[x/a.jpg">',
}


@pytest.mark.parametrize("shape", HOSTILE)
def test_hostile_markup_never_breaks_extraction(shape):
    raw = generic(body=HOSTILE[shape] + f"<h2>{TITLE}</h2>" + BODY)
    assert raw["body"] == "\n\n".join(STORY)
