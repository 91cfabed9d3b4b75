"""What marks a text as an article's date line, and what refuses it: words, labels, icons, chrome.

:mod:`newsarchive.extract.dateline` finds short date-like lines anywhere on a page; whether one
is the article's own date line is read from its surroundings, by the vocabulary kept here:

* class/id words of the boxes around it (``post-date``, ``publish_time``, ``tarikh``), split
  into words by :func:`~newsarchive.extract.boilerplate.class_words`; a modification date's
  words (``updated``) rank it below any other;
* a label before the date, folded like the text: the publication's («تاریخ انتشار»), or
  another date's («تاریخ چاپ», «به‌روزرسانی», «امروز»), which refuses the line;
* an icon right before it (``fa fa-calendar``, ``icon-clock``);
* boxes whose dates are never the article's (comments, related posts, tickers) and the
  page's chrome (header, nav, top bar, footer, sidebar).
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

from newsarchive.extract.blocks import collapse
from newsarchive.extract.boilerplate import class_words
from newsarchive.extract.tree import Element
from newsarchive.persian.text import fold

#: Class/id words that mark a date line (``submitted``: Drupal's «Submitted by … on …» line).
DATE_WORDS = frozenset(
    {
        "date",
        "dates",
        "time",
        "datetime",
        "timestamp",
        "pdate",
        "pubdate",
        "publish",
        "published",
        "publishing",
        "publication",
        "posted",
        "created",
        "submitted",
        "tarikh",
        "calendar",
        "dateline",
    }
)
#: Of those, the words that say which date: the publication's.
PUBLISH_WORDS = frozenset(
    {
        "pdate",
        "pubdate",
        "publish",
        "published",
        "publishing",
        "publication",
        "posted",
        "created",
        "submitted",
    }
)
#: Class/id words of an icon (``fa-calendar``, ``icon-clock``) put before a date.
ICON_WORDS = DATE_WORDS | {"clock", "calendar", "event"}
#: Class/id words of a modification date: such a line loses to any other (hAtom has WordPress
#: themes write ``entry-date updated`` on the only date they show, so it is not refused).
MODIFIED_WORDS = frozenset({"update", "updated", "modified", "modify", "edited", "lastmod"})
#: Class/id words of boxes whose dates are never the article's.
OFF_WORDS = frozenset(
    {
        "comment",
        "comments",
        "reply",
        "replies",
        "related",
        "similar",
        "today",
        "breaking",
        "ticker",
        "marquee",
        "urgent",
        "weather",
        "popular",
        "mostviewed",
        "latest",
        "archive",
    }
)
#: Class/id words of page chrome (header, nav, top bar, footer, sidebar).
CHROME_WORDS = frozenset(
    {
        "header",
        "masthead",
        "topbar",
        "navbar",
        "nav",
        "navigation",
        "menu",
        "footer",
        "sidebar",
        "aside",
        "toolbar",
        "copyright",
    }
)
#: ``top`` alone names many boxes; with one of these it is the page's top bar.
TOP_PARTS = frozenset({"bar", "date", "nav", "menu", "header", "links", "line", "strip"})
#: Elements that are page chrome whatever their class.
CHROME_TAGS = frozenset({"header", "nav", "footer", "aside"})

#: Labels before a date, folded like the text they are looked for in (ZWNJ dropped, digits
#: ASCII): the publication's, or another date's (print, update, breaking news, today).
PUBLISHED_LABELS = tuple(
    fold(label)
    for label in (
        "تاریخ انتشار",
        "زمان انتشار",
        "انتشار",
        "منتشر شده",
        "تاریخ خبر",
        "تاریخ",
        "published",
        "posted",
    )
)
OTHER_LABELS = tuple(
    fold(label)
    for label in (
        "تاریخ چاپ",
        "چاپ",
        "به‌روزرسانی",
        "به روز رسانی",
        "بروزرسانی",
        "بروز رسانی",
        "آخرین ویرایش",
        "ویرایش",
        "اصلاح",
        "خبر فوری",
        "فوری",
        "امروز",
        "updated",
        "modified",
        "printed",
    )
)
#: How far back from a date its label may stand.
LABEL_SPAN = 30

#: A digit in any of the scripts pages write them in: where a date starts.
DIGIT = r"[0-9۰-۹٠-٩]"
FIRST_DIGIT = re.compile(DIGIT)


def _marks(element: Element) -> str:
    """The element's ``class`` and ``id``, as one string of class words."""
    return " ".join(filter(None, (element.get("class"), element.get("id"))))


@lru_cache(maxsize=4096)
def _words(marks: str) -> frozenset[str]:
    """Class/id words, cached: a page's boxes share their few class names."""
    return frozenset(class_words(marks))


def is_icon(element: Element | None) -> bool:
    """True for an empty element (an icon font's ``<i>``, a ``<span>``, an ``<svg>``) whose
    class names a date or time: ``fa fa-calendar``, ``icon-clock``."""
    if element is None or not isinstance(element.tag, str) or (element.text or "").strip() or len(element):
        return False
    marks = _marks(element)
    return bool(marks) and bool(_words(marks) & ICON_WORDS)


def box_words(boxes: list[Element]) -> set[str]:
    """Class/id words of the boxes (``itemprop="datePublished"`` counts as a publication word)."""
    words: set[str] = set()
    for element in boxes:
        marks = _marks(element)
        if marks:
            words.update(_words(marks))
        if element.get("itemprop") == "datePublished":
            words.add("published")
    return words


def in_chrome(boxes: list[Element], near: bool) -> bool:
    """True when a box holding the line (and not the title) is page chrome: a ``<header>``,
    ``<nav>``, ``<footer>`` or ``<aside>``, or (away from the title) a box named so."""
    return any(
        element.tag in CHROME_TAGS or (not near and _chrome_name(_marks(element))) for element in boxes
    )


def _chrome_name(marks: str) -> bool:
    """True when class/id words name page chrome («top» only with a part after it, or alone)."""
    if not marks:
        return False
    words = class_words(marks)  # in order: "top" is chrome only with the word after it
    if CHROME_WORDS.intersection(words):
        return True
    return "top" in words and (
        len(words) == 1 or any(a == "top" and b in TOP_PARTS for a, b in itertools.pairwise(words))
    )


def digits_at(piece: str) -> int:
    """Characters of the piece before its first digit (its own label)."""
    match = FIRST_DIGIT.search(collapse(piece))
    return match.start() if match else 0


def last_label(before: str) -> str | None:
    """Which date the label nearest before a date names: ``published``, ``other`` or None."""
    best, kind = (-1, 0), None
    for labels, name in ((PUBLISHED_LABELS, "published"), (OTHER_LABELS, "other")):
        for label in labels:
            at = before.rfind(label)
            if at >= 0 and (at + len(label), len(label)) > best:
                best, kind = (at + len(label), len(label)), name
    return kind


__all__ = [
    "CHROME_TAGS",
    "CHROME_WORDS",
    "DATE_WORDS",
    "DIGIT",
    "FIRST_DIGIT",
    "ICON_WORDS",
    "LABEL_SPAN",
    "MODIFIED_WORDS",
    "OFF_WORDS",
    "OTHER_LABELS",
    "PUBLISHED_LABELS",
    "PUBLISH_WORDS",
    "TOP_PARTS",
    "box_words",
    "digits_at",
    "in_chrome",
    "is_icon",
    "last_label",
]
