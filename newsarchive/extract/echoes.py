"""Header echoes: a body's first or last blocks that repeat the page's header.

A layer that takes a whole article container (a generic densest block, an AMP
page, a redesign whose selectors match the wrapper) gets the headline, the
byline, the date line and the category line along with the text. They are the
article's metadata, already extracted into their own fields; in the body they
are noise that search and datasets would count twice. Only the blocks at the
edges of the body are judged, and only when they are nothing but such an echo:
a paragraph inside the text is the article's, whatever it says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from newsarchive.persian import fold
from newsarchive.persian.dates import DateParseError, parse_datetime

#: A header date line is short; a sentence that mentions a date is not.
MAX_DATE_LINE = 48
_RELATIVE = re.compile(r"^\d{1,3} (ثانیه|دقیقه|ساعت|روز|هفته|ماه|سال) (پیش|قبل)$")
#: A byline's labelled line («نویسنده: …», BBC's «نقش، بی‌بی‌سی فارسی»): who wrote it, not what.
_BYLINE = re.compile(
    r"^(نویسنده|نقش|گزارشگر|خبرنگار|عکاس|مترجم|ترجمه|به قلم|author|role|by)\s*[,:،]\s*.{1,60}$"
)
_TAXONOMY_LINE = re.compile(r"^(دسته ?ها|دسته ?بندی|دسته|categories|category)\s*[:：]\s*.{1,80}$")


def _key(text: str) -> str:
    return " ".join(fold(text).split())


def _is_date_line(text: str) -> bool:
    if len(text) > MAX_DATE_LINE:
        return False
    if _RELATIVE.match(_key(text)):
        return True
    try:
        parse_datetime(text)
    except DateParseError:
        return False
    return not re.search(
        r"[\u0600-\u06ff]{3,}\s+[\u0600-\u06ff]{3,}\s+[\u0600-\u06ff]{3,}\s+[\u0600-\u06ff]{3,}", text
    )


def _is_echo(block: str, header: set[str]) -> bool:
    key = _key(block)
    ornament = not any(char.isalnum() for char in block)  # "**", "—", "• • •": a separator, not text
    return (
        ornament
        or key in header
        or _is_date_line(block)
        or bool(_TAXONOMY_LINE.match(key) or _BYLINE.match(key))
    )


def strip_echoes(body: str | None, title: str | None, authors: Iterable[str]) -> str | None:
    """``body`` without its leading and trailing blocks that echo the title, an author, a
    date line or a category line, or are only an ornament (``**``). Never emptied: an
    article that is only such blocks stays as it is."""
    if not body:
        return body
    header = {_key(text) for text in (title, *authors) if text}
    blocks = body.split("\n\n")
    start, end = 0, len(blocks)
    while start < end and _is_echo(blocks[start], header):
        start += 1
    while end > start and _is_echo(blocks[end - 1], header):
        end -= 1
    return body if start == end else "\n\n".join(blocks[start:end])
