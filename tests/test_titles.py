"""A page with nothing but its ``<title>``: the site's name goes, whichever side it is on."""

import pytest
from parsel import Selector

from newsarchive.extract import extract_article

BODY = "<p>" + "متن خبر درباره اختلال اینترنت همراه در شمال غرب کشور. " * 20 + "</p>"


@pytest.mark.parametrize(
    "tag, expected",
    [
        (
            "خبرگزاری نمونه - اختلال در اینترنت همراه شمال غرب کشور در پی قطع فیبر نوری",
            "اختلال در اینترنت همراه شمال غرب کشور در پی قطع فیبر نوری",
        ),
        (
            "اختلال در اینترنت همراه شمال غرب کشور در پی قطع فیبر نوری - خبرگزاری نمونه",
            "اختلال در اینترنت همراه شمال غرب کشور در پی قطع فیبر نوری",
        ),
        ("گلکسی S24 در ایران - قیمت و مشخصات | نمونه", "گلکسی S24 در ایران - قیمت و مشخصات"),
        ("بدون نام سایت", "بدون نام سایت"),
    ],
)
def test_the_title_tag_loses_the_shorter_end(tag, expected):
    html = f"<html><head><title>{tag}</title></head><body><div>{BODY}</div></body></html>"
    assert extract_article(Selector(text=html), "https://example.ir/news/1")["title"] == expected
