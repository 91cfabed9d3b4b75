"""A body's first and last blocks that repeat the page's header (title, byline, date line,
categories) are not article text: the article's own paragraphs stay, wherever they stand."""

from __future__ import annotations

import pytest

from newsarchive.extract.echoes import strip_echoes

TITLE = "ChatGPT یک‌ساله شد؛ سالی که هوش مصنوعی همه چیز را تغییر داد"
OWN = [
    "اوپن‌ای‌آی یک سال پیش ChatGPT را منتشر کرد و از آن زمان بیش از ۱۰۰ میلیون نفر از آن استفاده کرده‌اند.",
    "این گزارش نگاهی است به اتفاقات مهم این یک سال، از GPT-4 تا نسخه‌های iOS 17.2.",
]


def body(*blocks: str) -> str:
    return "\n\n".join(blocks)


@pytest.mark.parametrize(
    "header",
    [
        [TITLE],
        [TITLE, "۹ آذر ۱۴۰۲ - ۳۰ نوامبر ۲۰۲۳"],
        ["۱ سال پیش"],
        ["امیر صالحی"],
        ["3 ساعت پیش", "امیر صالحی"],
        ["دسته‌ها: موبایل، پردازنده"],
        [TITLE.replace("ی", "ي")],
        ["12 آبان 1402 - 14:30"],
        ["**"],
        ["• • •", TITLE],
        ["نویسنده,سیما کریمی", "نقش,بی‌بی‌سی فارسی", "۲۱ فروردین ۱۳۹۸ - ۱۰ آوریل ۲۰۱۹"],
        ["ترجمه: علی احمدی"],
    ],
)
def test_header_echoes_at_the_start_go(header):
    assert strip_echoes(body(*header, *OWN), TITLE, ["امیر صالحی"]) == body(*OWN)


def test_echoes_at_the_end_go_and_the_middle_stays():
    middle = "امیر صالحی"  # a paragraph inside the text is the article's, whatever it says
    text = body(OWN[0], middle, OWN[1], "امیر صالحی", "۹ آذر ۱۴۰۲")
    assert strip_echoes(text, TITLE, ["امیر صالحی"]) == body(OWN[0], middle, OWN[1])


def test_sentences_that_mention_the_date_or_title_stay():
    keep = [
        f"{TITLE} عنوان گزارشی بود که دیروز منتشر شد و بحث زیادی به پا کرد.",
        "روز ۹ آذر ۱۴۰۲ اوپن‌ای‌آی اعلام کرد که مدیرعامل سابق به شرکت بازگشته است.",
    ]
    assert strip_echoes(body(*keep), TITLE, []) == body(*keep)


def test_never_empties_a_body():
    assert strip_echoes(TITLE, TITLE, []) == TITLE
    assert strip_echoes(None, TITLE, []) is None
