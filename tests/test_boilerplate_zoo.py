"""A zoo of in-body junk from Persian news sites, injected into every mirror article's clean body.

Each shape is a small snippet as sites write it: ad boxes named in every class style, read-more
lines, related lists, share bars, newsletter boxes, «کد خبر» lines, Telegram prompts,
sponsored links, ad networks' script containers, bare «تبلیغات» labels. Dropped between the
blocks of a recorded article's body (``tests/mirror/<host>/…``), at random places, none of
them may reach the stored body: it must equal the clean one (``tests/expected/<site>.json``),
every sentence of the article kept.
"""

from __future__ import annotations

import lxml.html
import pytest
from conftest import EXPECTED_SITES, MIRROR, load_expected, make_spider, process_response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from parsel import Selector
from scrapy.http import HtmlResponse, Request

from newsarchive.extract.layers import page_body
from newsarchive.extract.page import Page
from newsarchive.sites import SITES
from newsarchive.urls import host_of

RELATED = "".join(
    f'<li><a href="https://example.com/news/{n}">خبر مرتبط شماره {n} درباره بازار گوشی</a></li>'
    for n in range(3)
)
SHAPES = {
    # ad boxes, by their names
    "adsBox, rel=sponsored": '<div class="adsBox"><a href="https://click.example.com/ads/c/1" rel="nofollow sponsored">'
    '<img src="/a.gif" alt=""><span>خرید اقساطی گوشی با بهترین قیمت</span></a></div>',
    "camelCase": '<div class="digiAds"><span>بیمه بدنه آنلاین با سی درصد تخفیف</span></div>',
    "BEM": '<section class="promo-box__item promo-box__item--wide"><p>جشنواره فروش ویژه پاییز فروشگاه</p></section>',
    "id": '<div id="adBox-inline"><p>سرور مجازی با ترافیک نامحدود و پشتیبانی</p></div>',
    "yn-": '<div class="yn-ad"><p>دوره آموزش پایتون با مدرک معتبر بین‌المللی</p></div>',
    "snake_case banner": '<div class="banner_top"><img src="/b.gif" alt=""><p>پیش‌خرید گلکسی با هدیه ویژه</p></div>',
    "advertisement, English": '<div class="advertisement"><p>Advertisement</p><p>Buy cheap hosting now and save</p></div>',
    "Joomla bannergroup": '<div class="bannergroup"><div class="banneritem"><a href="/component/banners/click/3">'
    '<img src="/images/banners/3.gif" alt="فروشگاه لوازم جانبی"></a></div></div>',
    "Jannah e3lan": '<div class="e3lan e3lan-in-post1"><a href="https://shop.example/x"><img src="/e.gif" alt=""></a>'
    "<span>فروش ویژه لپ‌تاپ‌های دانشجویی</span></div>",
    # read more, related, editor's picks
    "read-more line": '<p>بیشتر بخوانید: <a href="https://example.com/news/9">اپل رسما مراسم معرفی آیفون جدید را تایید کرد</a></p>',
    "read-more, strong label": '<p><strong>همچنین بخوانید:</strong> <a href="/news/8">نقد و بررسی کامل هدفون سونی</a></p>',
    "read-more, all linked": '<p><a href="/news/7"><strong>حتما بخوانید: افزایش دوباره قیمت بسته‌های اینترنت</strong></a></p>',
    "read-more card": '<div class="read-more"><a href="/news/6"><span>پیشنهاد سردبیر:</span><span>ده ترفند پنهان اندروید</span></a></div>',
    "card of a bare link": '<div><a href="https://example.com/news/5"><img src="/c.jpg" alt=""><span>نقد فیلم تازه نولان؛ '
    "شاهکاری دیگر</span></a></div>",
    "related list": f"<h3>مطالب مرتبط</h3><ul>{RELATED}</ul>",
    "related box": f'<div class="relatedPosts"><h4>اخبار مرتبط</h4><ul>{RELATED}</ul></div>',
    "editor's picks": f"<h4>پیشنهاد سردبیر</h4><ol>{RELATED}</ol>",
    "on the same subject": f"<p><strong>در همین زمینه</strong></p><ul>{RELATED}</ul>",
    # share bars, follow prompts, newsletters
    "share buttons": '<div class="shareButtons"><a href="https://t.me/share/url?url=x">تلگرام</a>'
    '<a href="https://twitter.com/intent/tweet?url=x">توییتر</a></div>',
    "share bar with a label": '<div class="social-share"><span>اشتراک‌گذاری:</span><a href="https://wa.me/?text=x">واتس‌اپ</a></div>',
    "AddToAny": '<div class="addtoany_share_save_container"><a class="a2a_button_telegram" href="#">Telegram</a></div>',
    "telegram prompt": "<p>ما را در تلگرام دنبال کنید</p>",
    "telegram channel link": '<p><a href="https://t.me/example_news">عضویت در کانال تلگرام خبرگزاری</a></p>',
    "instagram prompt": "<p>برای اطلاع از آخرین اخبار ما را در اینستاگرام دنبال کنید!</p>",
    "newsletter box": '<div class="newsletter-box"><p>عضویت در خبرنامه</p><form><input type="email"></form></div>',
    "newsletter line": "<p>برای دریافت آخرین اخبار در خبرنامه ما عضو شوید</p>",
    # lines no article says
    "news code": "<p>کد خبر: ۱۷۳۰۲</p>",
    "news code in a div": '<div class="news-id">كد مطلب: 45123</div>',
    "reporter code": "<p>کد خبرنگار: ۹۸۷</p>",
    "short link": "<p>لینک کوتاه: https://example.com/?p=1640077</p>",
    "end of message": "<p>انتهای پیام</p>",
    "bare source label": "<p>منبع:</p>",
    "tags line": '<p>برچسب‌ها: <a href="/tag/apple">اپل</a>، <a href="/tag/ios">iOS</a></p>',
    "tags box": '<div class="post-tags"><span>تگ‌ها</span> <a href="/tag/a">اپل</a> <a href="/tag/b">آیفون</a></div>',
    # sponsored links and ad networks
    "sponsored link": '<p><a href="https://shop.example/p" rel="sponsored">خرید گوشی سامسونگ با گارانتی معتبر</a></p>',
    "sponsored link with a label": '<div><span>تبلیغ</span> <a href="https://ads.example/click?id=3" rel="sponsored noopener">'
    "بلیط هواپیما ارزان</a></div>",
    "Yektanet slot": '<div id="pos-article-display-12345"></div>',
    "Yektanet script box": '<div class="inline-box"><script async src="https://cdn.yektanet.com/rg_woebegone/scripts_v3/x.js"></script>'
    "<span>پیشنهاد ویژه امروز</span></div>",
    "AdSense": '<ins class="adsbygoogle" style="display:block" data-ad-client="ca-pub-1"></ins>'
    "<script>(adsbygoogle = window.adsbygoogle || []).push({});</script>",
    "Mediaad": '<div id="mediaad-Xy12"><script src="https://s1.mediaad.org/serve/x.js"></script></div>',
    "Tapsell": '<div class="tapsell-native"><p>اپلیکیشن پیشنهادی این هفته</p></div>',
    # labels
    "inline ad label": "<span>تبلیغات</span>",
    "ad label paragraph": "<p>آگهی</p>",
    "ad label box": '<div class="ad-label">تبلیغات</div>',
    # boxes that are not the article
    "author box": '<div class="author-box"><p>درباره نویسنده</p><p>علی کریمی، روزنامه‌نگار حوزه فناوری</p></div>',
    "comments": '<div class="comments"><h3>دیدگاه‌ها</h3><p>خیلی مطلب خوبی بود، ممنون</p></div>',
    "WordPress caption": '<div class="wp-caption"><img src="/x.jpg" alt=""><p class="wp-caption-text">تصویری از محصول تازه</p></div>',
}


def _pages() -> list[tuple[str, dict]]:
    return [(site, expected) for site in EXPECTED_SITES for expected in load_expected(f"{site}.json")]


PAGES = _pages()


@pytest.fixture(scope="module")
def spiders(tmp_path_factory):
    db = tmp_path_factory.mktemp("zoo") / "scratch.db"
    return {site: make_spider(site, db) for site in EXPECTED_SITES}


def body_container(site: str, root):
    """The element whose blocks are the article's body: the site's first body selector that
    matches, else (a site with no body selector) the container the generic layers choose."""
    for css in SITES[site].selectors.body:
        found = Selector(root=root).css(css)
        if found:
            return found[0].root
    body = page_body(Page(Selector(root=root), SITES[site].base_url, SITES[site]))
    if body is not None and body.container is not None:
        return body.container
    raise AssertionError(f"no body container on a {site} page")


def gaps(container) -> list[tuple[object, int]]:
    """Places between the blocks of a body: in its container and in wrappers that hold paragraphs."""
    places = []
    for parent in (container, *container.iterdescendants("div", "section")):
        if parent is container or any(child.tag == "p" for child in parent):
            places += [(parent, index) for index in range(len(parent) + 1)]
    return places


def injected(site: str, expected: dict, choices: list[tuple[str, int]]) -> bytes:
    """The page with each (shape, place) of ``choices`` injected; places count from the start of :func:`gaps`."""
    html = (MIRROR / host_of(SITES[site].base_url) / expected["path"]).read_bytes()
    root = lxml.html.document_fromstring(
        html.decode("utf-8")
    )  # the pages are UTF-8, some say so only in <meta>
    places = gaps(body_container(site, root))
    for shape, place in sorted(
        choices, key=lambda choice: -choice[1]
    ):  # the last place first: indexes stay valid
        parent, index = places[place % len(places)]
        for offset, element in enumerate(lxml.html.fragments_fromstring(SHAPES[shape])):
            parent.insert(index + offset, element)
    return lxml.html.tostring(root, encoding="utf-8", doctype="<!DOCTYPE html>")


def extract(spiders, site: str, expected: dict, body: bytes) -> dict:
    url = expected["url"]
    return process_response(spiders[site], HtmlResponse(url=url, body=body, request=Request(url)))


def assert_clean(item: dict, expected: dict) -> None:
    paragraphs = item["body"].split("\n\n")
    lost = [p for p in expected["body"].split("\n\n") if p not in paragraphs]
    assert lost == [], "sentences of the article were lost"
    assert item["body"] == expected["body"], "junk reached the body"


def test_the_zoo_has_thirty_shapes_or_more():
    assert len(SHAPES) >= 30


@pytest.mark.parametrize(("site", "expected"), PAGES, ids=[f"{s}:{e['path'][-30:]}" for s, e in PAGES])
def test_a_page_passed_through_the_injector_without_junk_is_unchanged(spiders, site, expected):
    assert_clean(extract(spiders, site, expected, injected(site, expected, [])), expected)


FIRST_PAGES = {site: load_expected(f"{site}.json")[0] for site in EXPECTED_SITES}


@pytest.mark.parametrize("site", EXPECTED_SITES)
@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_goes_from_every_site(spiders, site, shape):
    expected = FIRST_PAGES[site]
    places = len(
        gaps(
            body_container(
                site,
                lxml.html.document_fromstring(
                    (MIRROR / host_of(SITES[site].base_url) / expected["path"]).read_bytes()
                ),
            )
        )
    )
    assert_clean(extract(spiders, site, expected, injected(site, expected, [(shape, places // 2)])), expected)


@pytest.mark.slow
@settings(
    max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    page=st.sampled_from(PAGES),
    choices=st.lists(
        st.tuples(st.sampled_from(sorted(SHAPES)), st.integers(min_value=0, max_value=10_000)),
        min_size=1,
        max_size=5,
    ),
)
def test_junk_at_random_places_never_reaches_the_body(spiders, page, choices):
    site, expected = page
    assert_clean(extract(spiders, site, expected, injected(site, expected, choices)), expected)
