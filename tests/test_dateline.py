"""The generic displayed-date finder (newsarchive/extract/dateline.py) and title cleaning.

Pages that give their date only as a text line (legacy tables, old themes, print views,
agency CMSs) are read without a site's selectors; the header's today line, a print
view's print date, comment, related-post and breaking-bar dates never become the
article's date. Every snippet here is made up from public descriptions of these
shapes (Targoman/PersianWebScraper selectors, ../shared/notes/sites.md), not taken
from tests/unseen, which stays an independent judge (``python -m bench unseen``).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from parsel import Selector

from newsarchive.extract import extract_article
from newsarchive.extract.dateline import find_dateline
from newsarchive.persian.dates import parse_datetime
from newsarchive.pipelines import DatePipeline, DropArticle, NormalizationPipeline, ValidationPipeline

URL = "https://news.example.ir/fa/news/120045/"
FETCHED_AT = "2024-12-01T08:00:00Z"
TITLE = "سامانه جدید ثبت‌نام اینترنت ماهواره‌ای راه‌اندازی شد"
BODY = "".join(
    f"<p>{text}</p>"
    for text in (
        "وزارت ارتباطات از راه‌اندازی سامانه‌ای خبر داد که متقاضیان اینترنت ماهواره‌ای از طریق آن ثبت‌نام می‌کنند و مجوز می‌گیرند.",
        "به گفته معاون وزیر، این سامانه ابتدا برای شرکت‌های دانش‌بنیان و سپس برای کاربران خانگی باز می‌شود و هزینه آن اعلام خواهد شد.",
        "کارشناسان می‌گویند پوشش Starlink در ایران هنوز محدود است و تجهیزات آن با قیمت‌های بالا در بازار دست‌به‌دست می‌شود.",
    )
)


def page(article: str, *, head: str = "", before: str = "", after: str = "") -> str:
    """A page: head, chrome before the article, the article, chrome after it."""
    return (
        f"<html><head><title>{TITLE} - خبرنامه</title>{head}</head><body>{before}"
        f"<div class='main'>{article}</div>{after}</body></html>"
    )


def found(html: str) -> str | None:
    """The date line the finder takes from ``html``, as text."""
    return find_dateline(Selector(text=html).root, (TITLE,))


def read(html: str) -> str | None:
    """The UTC instant of the finder's date line (None when it finds none)."""
    line = found(html)
    return None if line is None else parse_datetime(line, now=parse_datetime(FETCHED_AT).utc).utc_iso


def stored(html: str) -> dict:
    """What a crawl stores for ``html`` with the generic layers: extraction, then the pipelines."""
    raw = extract_article(Selector(text=html), URL)
    item = {**raw, "url": URL, "source": "unseen", "fetched_at": FETCHED_AT}
    for pipeline in (ValidationPipeline(), NormalizationPipeline(), DatePipeline()):
        pipeline.process_item(item)
    return item


# --- shapes of date lines ------------------------------------------------------------


def test_legacy_table_with_latin_digits_arabic_yeh_and_a_12_hour_clock():
    html = page(f"""<table class="tbl"><tr><td class="txt-time"><font size="1">5 دي 1398 - 03:15:20 ب.ظ</font></td></tr>
        <tr><td class="ttl"><b>{TITLE}</b></td></tr><tr><td>{BODY}</td></tr></table>""")
    assert read(html) == "2019-12-26T11:45:20Z"


def test_transliterated_month_name_in_a_post_date_span():
    html = page(f"""<h1>{TITLE}</h1><div class="entry-info"><span class="entry-date">3 Azar 1396</span> |
        <a href="/category/net/">شبکه</a></div><div class="entry">{BODY}</div>""")
    assert read(html) == "2017-11-23T20:30:00Z"


def test_numeric_jalali_in_persian_digits():
    html = page(f"""<h1>{TITLE}</h1><div class="news-time">۱۴۰۰/۰۳/۱۰ - ۰۸:۱۵</div>{BODY}""")
    assert read(html) == "2021-05-31T03:45:00Z"


def test_a_misspelled_tag_with_a_date_class():
    """Some agency CMSs write ``<sapn>``; libxml2 keeps it as an unknown element."""
    html = page(f"""<div class="nav_info"><span class="lbl">تاریخ انتشار: </span>
        <sapn class="pub_date">۱۹ مهر ۱۴۰۲ - ۰۹:۳۰</sapn> <span class="en_date">11 October 2023</span></div>
        <h1>{TITLE}</h1>{BODY}""")
    assert read(html) == "2023-10-11T06:00:00Z"


def test_the_label_in_a_sibling_element_and_slashes_between_weekday_date_and_time():
    html = page(f"""<h1>{TITLE}</h1><ul class="meta"><li><span class="t">تاریخ انتشار:</span>
        <span class="v">یکشنبه / ۷ آبان ۱۴۰۲ / ۱۱:۰۵</span></li><li><span class="t">کد خبر:</span>
        <span class="v">120045</span></li></ul>{BODY}""")
    assert read(html) == "2023-10-29T07:35:00Z"


def test_a_line_without_any_date_class_right_under_the_title():
    html = page(f"""<h1>{TITLE}</h1><div class="info"><span>۲۷ بهمن ۱۴۰۱ - ۲۰:۴۰</span></div>{BODY}""")
    assert read(html) == "2023-02-16T17:10:00Z"


def test_date_and_clock_in_separate_elements_keep_the_minute():
    html = page(f"""<h1>{TITLE}</h1><div class="post-date"><span>۸ فروردین ۱۴۰۳</span>
        <span class="sep">ساعت</span> <span>۱۷:۴۵</span></div>{BODY}""")
    assert read(html) == "2024-03-27T14:15:00Z"


def test_time_element_text_without_a_datetime_attribute():
    html = page(f"""<article><h1>{TITLE}</h1><time>۱۴ اسفند ۱۴۰۲</time>{BODY}</article>""")
    assert read(html) == "2024-03-03T20:30:00Z"


def test_the_articles_own_header_element_is_not_the_page_header():
    html = page(f"""<article><header class="entry-header"><h1>{TITLE}</h1>
        <div class="byline">سه‌شنبه ۱۲ تیر ۱۴۰۳</div></header>{BODY}</article>""")
    assert read(html) == "2024-07-01T20:30:00Z"


LEAD = "<div class='summary'><p>خلاصه خبر در یک جمله.</p></div><figure><img src='/a.jpg' alt=''><figcaption>عکس</figcaption></figure>"


def test_an_icon_before_the_date_marks_it():
    """Themes put a calendar or clock icon (``fa-calendar``, ``icon-clock``) before the text."""
    html = page(f"""<h1>{TITLE}</h1>{LEAD}{LEAD}<div class="info-row2"><i class="fa fa-calendar"></i> ۱۹ مهر ۱۴۰۲ - ۰۹:۳۰
        <span class="cnt"><i class="fa fa-comment"></i> ۱۲ دیدگاه</span></div>{BODY}""")
    assert read(html) == "2023-10-11T06:00:00Z"


def test_a_byline_row_of_utility_classes_beside_the_title():
    """Tailwind-style rows: author, separators, date and reading time in bare spans."""
    html = page(f"""<h1 class="text-2xl font-bold">{TITLE}</h1><div class="flex items-center gap-2 text-xs">
        <a href="/user/n.rahimi/" class="font-bold">نرگس رحیمی</a><span>|</span><span>۱۹ مهر ۱۴۰۲ - ۰۹:۳۰</span>
        <span>|</span><span>۴ دقیقه مطالعه</span></div>{BODY}""")
    assert read(html) == "2023-10-11T06:00:00Z"


def test_a_date_marked_updated_counts_when_no_line_says_published():
    """hAtom has WordPress themes write ``entry-date updated`` on the only date they show."""
    only = f"""<h1>{TITLE}</h1>{LEAD}{LEAD}<span class="meta-date"><time class="entry-date updated">۱۴ اسفند ۱۴۰۲</time></span>{BODY}"""
    both = f"""<h1>{TITLE}</h1>{LEAD}{LEAD}<span class="pub-date">۱۹ مهر ۱۴۰۲ - ۰۹:۳۰</span>
        <span class="meta-date"><time class="entry-date updated">۱۴ اسفند ۱۴۰۲</time></span>{BODY}"""
    assert read(page(only)) == "2024-03-03T20:30:00Z"
    assert read(page(both)) == "2023-10-11T06:00:00Z"


def test_page_wide_classes_and_a_wrapper_around_article_and_comments_do_not_hide_the_date():
    html = page(f"""<div class="single-with-comments"><article><h1>{TITLE}</h1>
        <span class="post-date">۱۹ مهر ۱۴۰۲ - ۰۹:۳۰</span>{BODY}</article>
        <div class="comments"><span class="date">۱۵ خرداد ۱۴۰۳</span></div></div>""")
    html = html.replace("<body>", "<body class='has-sidebar comments-open menu-sticky'>")
    assert read(html) == "2023-10-11T06:00:00Z"


# --- what is never the article's date ------------------------------------------------


HEADER_TODAY = "<div class='topbar'><span>امروز: شنبه ۹ تیر ۱۴۰۳</span> <a href='/'>خانه</a></div>"
BARE_HEADER = "<header class='site-header'><div class='hdate'>شنبه ۹ تیر ۱۴۰۳</div><nav><a href='/'>خانه</a></nav></header>"
TOP_TABLE = "<table><tr><td class='top-date'><font>امروز : شنبه ۹ تير ۱۴۰۳</font></td></tr></table>"
ARTICLE = f"<h1>{TITLE}</h1><div class='date'>۱۹ مهر ۱۴۰۲ - ۰۹:۳۰</div>{BODY}"
UNDATED = f"<h1>{TITLE}</h1>{BODY}"


@pytest.mark.parametrize("header", [HEADER_TODAY, BARE_HEADER, TOP_TABLE], ids=["labelled", "bare", "table"])
def test_the_headers_today_line_is_never_the_date(header):
    assert read(page(ARTICLE, before=header)) == "2023-10-11T06:00:00Z"
    assert found(page(UNDATED, before=header)) is None


def test_a_bare_weekday_date_in_a_top_bar_without_header_markup():
    top = "<div id='top'><div class='today'>شنبه ۹ تیر ۱۴۰۳</div><ul class='menu'><li>اخبار</li></ul></div>"
    assert found(page(UNDATED, before=top)) is None


def test_the_print_date_of_a_print_view_is_not_the_publication_date():
    footer = "<p class='print-footer'>نشانی مطلب: https://news.example.ir/n/120045<br>تاریخ چاپ: ۱۰ آذر ۱۴۰۳ ساعت ۱۱:۳۰</p>"
    published = "<p class='print-pub'>تاریخ انتشار: ۲۲ اردیبهشت ۱۳۹۹ - ۱۰:۰۵</p>"
    assert read(page(f"<h2>{TITLE}</h2>{published}{BODY}", after=footer)) == "2020-05-11T05:35:00Z"
    assert found(page(f"<h2>{TITLE}</h2>{BODY}", after=footer)) is None


def test_comment_dates_are_not_the_articles():
    comments = """<div class="comments-area"><div class="c-item"><b>مهمان</b><span class="c-date">۱۵ خرداد ۱۴۰۳</span>
        <p>کی برای همه باز می‌شود؟</p></div></div>"""
    assert found(page(UNDATED + comments)) is None
    assert read(page(ARTICLE + comments)) == "2023-10-11T06:00:00Z"


def test_related_post_dates_are_not_the_articles():
    related = "".join(
        f"<li><a href='/n/{n}'>خبر مرتبط شماره {n}</a><span class='date'>۱{n} خرداد ۱۴۰۳</span></li>"
        for n in range(1, 5)
    )
    for box in (
        f"<div class='related-news'><ul>{related}</ul></div>",
        f"<div class='box'><ul>{related}</ul></div>",
    ):
        assert found(page(UNDATED + box)) is None
        assert read(page(ARTICLE + box)) == "2023-10-11T06:00:00Z"


def test_a_list_of_dated_items_right_under_the_title_is_a_list_even_where_it_is_near():
    """Only the first items stand beside the title; the list is known by all of them."""
    items = "".join(
        f"<li><a href='/n/{n}'>خبر کوتاه {n}</a> <span>{n} مهر ۱۴۰۲</span></li>" for n in range(1, 30)
    )
    assert found(page(f"<h1>{TITLE}</h1><ul>{items}</ul>{BODY}")) is None


def test_a_breaking_news_bar_is_not_the_articles_date():
    bar = "<div class='breaking-bar'><span>خبر فوری</span><span class='date'>شنبه ۹ تیر ۱۴۰۳ - ۱۲:۵۸</span></div>"
    assert found(page(UNDATED, before=bar)) is None
    assert read(page(ARTICLE, before=bar)) == "2023-10-11T06:00:00Z"


def test_an_updated_line_is_not_the_published_one():
    lines = f"""<h1>{TITLE}</h1><div class="dates"><span>به‌روزرسانی: ۱۰ آذر ۱۴۰۲ - ۱۲:۰۰</span></div>
        <div class="dates"><span>انتشار: ۱۹ مهر ۱۴۰۲ - ۰۹:۳۰</span></div>{BODY}"""
    assert read(page(lines)) == "2023-10-11T06:00:00Z"


def test_relative_dates_and_dates_inside_prose_are_not_guessed_from():
    relative = f"<h1>{TITLE}</h1><div class='date'>۳ ساعت پیش</div>{BODY}"
    prose = f"<h1>{TITLE}</h1>{BODY}<p>این طرح نخستین بار در ۱۵ خرداد ۱۴۰۳ در جلسه کمیسیون مطرح شد و تصویب آن چند ماه طول کشید.</p>"
    footer = f"<h1>{TITLE}</h1>{BODY}<footer><p>© ۱۴۰۳ خبرنامه — ۱۰ آذر ۱۴۰۳</p></footer>"
    assert found(page(relative)) is None
    assert found(page(prose)) is None
    assert found(page(footer)) is None


def test_a_bare_weekday_and_date_far_above_the_title_is_the_headers():
    menu = "<ul>" + "".join(f"<li><a href='/s/{n}'>سرویس {n}</a></li>" for n in range(12)) + "</ul>"
    top = f"<div class='date'>شنبه ۹ تیر ۱۴۰۳</div>{menu}"
    assert found(page(UNDATED, before=top)) is None


def test_a_short_subtitle_that_names_a_date_is_not_the_date_line():
    kicker = f"<h1>{TITLE}</h1><h2>الکامپ از ۱۵ خرداد ۱۴۰۳ آغاز می‌شود</h2>{BODY}"
    assert found(page(kicker)) is None


def test_an_unmarked_date_far_from_the_title_is_not_taken():
    far = f"<h1>{TITLE}</h1>{BODY}{BODY}<div><div><span>۱۵ خرداد ۱۴۰۳</span></div></div>{BODY}"
    assert found(page(far)) is None


# --- through extraction and the date pipeline ----------------------------------------------


def test_a_page_with_only_a_date_line_is_stored_with_it_and_says_where_it_came_from():
    item = stored(
        page(
            f"<h1>{TITLE}</h1><div class='news-date'>۲۲ اردیبهشت ۱۳۹۹ - ۱۰:۰۵</div>{BODY}",
            before=HEADER_TODAY,
        )
    )
    assert item["published_at"] == "2020-05-11T05:35:00Z"
    assert item["published_precision"] == "minute"
    assert item["field_sources"]["published"] == "dateline"


def test_a_machine_date_comes_before_the_generic_date_line():
    head = "<meta property='article:published_time' content='2023-10-11T06:00:12+00:00'>"
    item = stored(page(f"<h1>{TITLE}</h1><div class='date'>۱۸ مهر ۱۴۰۲ - ۰۹:۳۰</div>{BODY}", head=head))
    assert item["published_at"] == "2023-10-11T06:00:12Z"
    assert item["field_sources"]["published"] == "meta"


def test_a_page_whose_only_date_is_the_headers_today_line_is_dropped():
    with pytest.raises(DropArticle) as dropped:
        stored(page(UNDATED, before=TOP_TABLE))
    assert dropped.value.reason == "no-date"


def test_a_jalali_string_in_persian_digits_in_article_published_time_is_read():
    head = "<meta property='article:published_time' content='۱۳۹۹/۰۲/۲۲ - ۱۰:۰۵'>"
    item = stored(page(UNDATED, head=head))
    assert item["published_at"] == "2020-05-11T05:35:00Z"
    assert item["field_sources"]["published"] == "meta"


# --- whatever the markup -----------------------------------------------------------------

TAGS = ("div", "span", "p", "td", "li", "header", "footer", "time", "sapn", "b", "h1", "h2", "a", "i")
CLASSES = (
    "",
    "date",
    "news-date",
    "top-bar",
    "comments",
    "related-posts",
    "today",
    "post-meta",
    "print-footer",
    "fa fa-calendar",
    "entry-date updated",
    "breaking",
    "sidebar",
    "td-post-date",
)
TEXTS = (
    "۲۲ اردیبهشت ۱۳۹۹ - ۱۰:۰۵",
    "امروز: شنبه ۹ تیر ۱۴۰۳",
    "تاریخ چاپ: ۱۰ آذر ۱۴۰۳",
    "3 Azar 1396",
    "۳ ساعت پیش",
    "2 تير 1399 - 12:09:08 ب.ظ",
    "کد خبر: 120045",
    "۱۴۰۰/۰۳/۱۰",
    TITLE,
    "متن",
    "۳۱ اسفند ۱۴۰۰",
    "تاریخ انتشار:",
    "|",
    "© ۱۴۰۳",
    "۱۳:۰۵ ق.ظ ۱ مهر ۱۴۰۲",
)


@st.composite
def markup(draw, depth=0):
    """Random nests of the tags, classes and texts date lines are made of."""
    parts = []
    for _ in range(draw(st.integers(0, 4 if depth < 3 else 0))):
        tag, css = draw(st.sampled_from(TAGS)), draw(st.sampled_from(CLASSES))
        inner = draw(markup(depth + 1)) if draw(st.booleans()) else draw(st.sampled_from(TEXTS))
        parts.append(
            f"<{tag} class='{css}'>{inner}</{tag}>{draw(st.sampled_from(TEXTS)) if draw(st.booleans()) else ''}"
        )
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(markup())
def test_the_finder_never_raises_and_never_returns_a_relative_today_or_print_date(html):
    line = found(page(html))
    if line is not None:
        parsed = parse_datetime(line)
        assert parsed.kind != "relative"
        assert parsed.jalali[:10] not in ("1403-04-09", "1403-09-10"), (
            line
        )  # the today line's, the print date's
