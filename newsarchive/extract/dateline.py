"""The article's own displayed date line, found on any page without a site's selectors.

Many pages show their date only as text: legacy agency tables (``2 تير 1399 - 12:09:08
ب.ظ``), old themes, print views, CMSs that write ``<sapn class="fa_date">``. The machine
layers (JSON-LD, meta, ``<time datetime>``) find nothing there, so such pages were dropped
as ``no-date``. :func:`find_dateline` reads the page's text nodes once and keeps short
lines that :func:`~newsarchive.persian.dates.parse_datetime` reads as a date, then ranks
them by what marks them as the article's date line: class/id words (date, time,
publish…), a label («تاریخ انتشار»), ``<time>``, a calendar or clock icon before it, and
closeness to the title. Only texts with a four-digit year (or a numeric ``97/05/17``)
are looked at: ``۱۷ مرداد ۹۷`` in a line is not found.

A date guessed from anything but the article's own date line is never used, so a line
is refused when it stands in the page's chrome (header, nav, top bar, footer, sidebar:
boxes that do not hold the title), in a comment, related, breaking-news or ticker box,
in a list that repeats dated items, after a «تاریخ چاپ» (print date) or update label, or
when it is the header's today line (:func:`~newsarchive.persian.dates.is_todays_date_line`);
relative dates («۳ ساعت پیش») and dates inside prose are not date lines. A line with no
mark at all counts only right beside the title. The words, labels and boxes that mark or
refuse a line are kept in :mod:`newsarchive.extract.dateline_marks`; this module finds the
lines and the title in the tree and ranks the lines.

:func:`dateline_layer` hands the line to the date pipeline as the last candidate (layer
``dateline``): metadata comes first, and the line is used only when no machine-readable
date can be read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from newsarchive.extract.blocks import collapse
from newsarchive.extract.dateline_marks import (
    DATE_WORDS,
    DIGIT,
    FIRST_DIGIT,
    LABEL_SPAN,
    MODIFIED_WORDS,
    OFF_WORDS,
    PUBLISH_WORDS,
    box_words,
    digits_at,
    in_chrome,
    is_icon,
    last_label,
)
from newsarchive.extract.page import Page
from newsarchive.extract.site_layer import displayed_date
from newsarchive.extract.tree import Element, Elements, TextNode, text_content
from newsarchive.persian.dates import DateParseError, is_todays_date_line, parse_datetime
from newsarchive.persian.text import fold

#: A date line is short: a longer text that mentions a date is prose.
MAX_LINE = 100
#: An element with neither a date class nor a label holds the date and little else: this
#: many characters, and this many words without digits (weekday, month, «ساعت», «ب.ظ»).
MAX_BARE_LINE = 50
MAX_BARE_WORDS = 4
#: Elements (in document order) between the title and an unmarked line still beside it.
NEAR_TITLE = 8
#: Elements before the title beyond which a line stands in the page's top: a bare weekday
#: and date there is the header's today line (menus and logos lie between).
ABOVE_TITLE = 20
#: Signature repeats from which dated lines are a list (related posts, comments, a feed box).
LIST_REPEATS = 3
#: Elements whose text is never page text.
SKIPPED_TAGS = frozenset(
    {"script", "style", "noscript", "template", "textarea", "select", "option", "head", "title"}
)

#: A year (13xx, 14xx, 19xx, 20xx in any digits) or a numeric d/m/y: a text worth parsing.
_D = DIGIT
_DATEISH = re.compile(
    rf"(?<!{_D})(?:[1۱١][34۳۴٣٤]|[1۱١][9۹٩]|[2۲٢][0۰٠]){_D}{_D}(?!{_D})"
    rf"|(?<!{_D}){_D}{{1,2}}\s?[/.\-]\s?{_D}{{1,2}}\s?[/.\-]\s?{_D}{{2}}(?!{_D})"
)
#: What every date-like text holds (four digits, or digits around a separator): a test the
#: regular expression engine runs fast, before the exact one above.
_DIGIT_RUN = re.compile(r"\d\d\d\d|\d\s?[/.\-]\s?\d")


#: A date-like text, the element whose text it is, and the element right before it (if any).
Hit = tuple[str, Element, Element | None]


@dataclass(frozen=True)
class Line:
    """A date-like piece of text, the line around it, where it stands, and what marks it."""

    piece: str
    text: str
    start: int
    index: int
    score: float


def dateline_layer(page: Page) -> dict[str, Any]:
    """The page's own date line as the last date candidate. Not looked for when the site's
    selectors found a readable displayed date (theirs is the more precise) or when the page's
    metadata holds a readable date (the pipeline takes that first and never reaches the line).
    A site's date that cannot be read (a family's selector that matched a comment's «۱۵ دی» on
    a sister site's page) does not stop the search: the line found is noted as standing in."""
    shown = displayed_date(page)
    if shown is not None and _parses(shown):
        return {}
    if _readable_machine_date(page):
        return {}
    line = find_dateline(page.selector.root, title_hints(page), page.site_noise)
    if line and shown is not None:
        page.notes.append(f"the site's date {shown!r} is unreadable; the page's date line {line!r} was read")
    return {"published_machine": line} if line else {}


def _parses(text: str) -> bool:
    try:
        parse_datetime(text)
    except DateParseError:
        return False
    return True


def _readable_machine_date(page: Page) -> bool:
    """True when a machine date the jsonld, meta or time layer hands on parses: JSON-LD
    ``datePublished``/``uploadDate``, the first ``article:published_time``, a ``<time datetime>``
    outside noise. Then the pipeline never reaches the date line, and the search is saved."""
    article = page.jsonld_article
    jsonld = [
        value
        for key in ("datePublished", "uploadDate")
        if isinstance(value := article.get(key), str) and value.strip()
    ]
    meta = page.meta("article:published_time", "og:published_time", "datePublished")
    times = (
        element.get("datetime")
        for element in page.selector.root.iter("time")
        if (element.get("datetime") or "").strip() and not page.in_noise(element)
    )
    return any(_parses(value) for value in (*jsonld[:1], *meta[:1], *times))


def title_hints(page: Page) -> list[str]:
    """Texts the title element may hold: og:title, JSON-LD headline, ``<title>`` and its parts."""
    hints = list(page.meta("og:title", "twitter:title"))
    headline = page.jsonld_article.get("headline")
    if isinstance(headline, str):
        hints.append(headline)
    element = next(page.selector.root.iter("title"), None)
    title = collapse(element.text or "") if element is not None else ""
    if title:
        hints += [title, *_title_parts(title)]
    return [collapse(hint) for hint in hints if hint and hint.strip()]


_TITLE_SEPARATORS = re.compile(r"\s+[-|–—:»«]\s+|\s+[|]\s*|\s*[|]\s+")


def _title_parts(title: str) -> list[str]:
    return [part for part in _TITLE_SEPARATORS.split(title) if len(part) >= 8]


def find_dateline(
    root: Element, title_hints: Iterable[str] = (), noise: Elements = frozenset()
) -> str | None:
    """The text of the article's displayed date line in the tree ``root``, or None.

    ``title_hints`` are texts the title element may hold (used when the page has no
    ``<h1>``), to measure closeness to the title; no line is taken inside the ``noise``
    elements (a site's comment and related boxes).
    """
    body = next(root.iter("body"), root)
    hits = _hits(body)
    if not hits:
        return None
    title = _title_element(body, [hint for hint in title_hints if hint])
    anchor = (_order(title), title) if title is not None else None
    anchor_path = _path(title) if title is not None else frozenset()
    shaped = [
        (hit, box) for hit in _one_per_owner(hits) if (box := _line_box(hit[1], anchor_path)) is not None
    ]
    repeated = Counter(_signature(hit[1], box) for hit, box in shaped)
    lines = [
        line
        for hit, box in shaped
        if repeated[_signature(hit[1], box)] < LIST_REPEATS
        and (line := _line(hit, box, anchor, anchor_path, noise)) is not None
    ]
    for line in sorted(lines, key=lambda line: (-line.score, line.index)):
        readable = _readable(line)
        if readable is not None:
            return readable
    return None


# --- where the dates and the title are -------------------------------------------------

#: Every text node: libxml2 lists them faster than it could test each, and a regular
#: expression in Python picks the few that hold a year.
_TEXTS = etree.XPath("descendant::text()")
_ORDER = etree.XPath("count(preceding::*) + count(ancestor::*)")
_TEXT_EQUALS = etree.XPath("descendant::text()[normalize-space(.) = $text][1]")


def _hits(body: Element) -> list[Hit]:
    """Text pieces that look like dates, with the element whose text they are and the
    element right before them (an icon may stand there), if any."""
    hits: list[Hit] = []
    piece: TextNode
    for piece in _TEXTS(body):
        if _DIGIT_RUN.search(piece) and _DATEISH.search(piece):
            owner = piece.getparent()
            if piece.is_tail:
                owner, before = owner.getparent(), owner
            elif owner.tag in SKIPPED_TAGS:
                continue
            else:
                before = owner.getprevious()
            if owner is not None:
                hits.append((str(piece), owner, before))
    return hits


def _one_per_owner(hits: list[Hit]) -> list[Hit]:
    """The first date-like piece of each element: its line is the same for every piece."""
    seen: set[Element] = set()
    first: list[Hit] = []
    for hit in hits:
        if hit[1] not in seen:
            seen.add(hit[1])
            first.append(hit)
    return first


def _order(element: Element) -> int:
    """The element's position in document order."""
    return int(_ORDER(element))


def _title_element(body: Element, hints: list[str]) -> Element | None:
    """The title: the ``<h1>`` whose text the hints hold (the longest: a logo's ``<h1>`` holds
    the site name, which ``<title>`` holds too), else the first ``<h1>``, else the first
    element whose own text is a hint."""
    h1s = list(body.iter("h1"))
    if len(h1s) > 1 and hints:
        folded = [fold(hint) for hint in hints]
        matching = [
            (len(text), element)
            for element in h1s
            if (text := fold(collapse(text_content(element)))) and any(text in hint for hint in folded)
        ]
        if matching:
            return max(matching, key=lambda match: match[0])[1]
    if h1s:
        return h1s[0]
    for hint in hints:
        for text in _TEXT_EQUALS(body, text=hint):
            owner = text.getparent()
            owner = owner.getparent() if text.is_tail else owner
            if owner is not None:
                return owner
    return None


def _path(element: Element) -> Elements:
    """The element and its ancestors: the boxes that hold it."""
    return frozenset((element, *element.iterancestors()))


# --- one candidate ---------------------------------------------------------------------


def _line_box(owner: Element, anchor_path: Elements) -> Element | None:
    """The box of the line a date-like text stands in, or None when its element is not short
    (a year inside prose)."""
    return _widest_short(owner, anchor_path) if _short_length(owner) is not None else None


def _signature(owner: Element, box: Element) -> tuple[str | None, ...]:
    """What a line looks like: the same in every item of a list of dated items."""
    parent = box.getparent()
    return (
        owner.tag,
        owner.get("class"),
        box.tag,
        box.get("class"),
        None if parent is None else parent.get("class"),
    )


def _line(
    hit: Hit, box: Element, anchor: tuple[int, Element] | None, anchor_path: Elements, noise: Elements
) -> Line | None:
    """The date line in ``box`` with its score, or None when it is not the article's line.
    The cheap refusals come first: most hits are years in menus, prose and comment boxes."""
    piece, owner, before = hit
    chain = [owner, *owner.iterancestors()]
    boxes = _boxes_apart(chain, anchor_path)
    if box_words(boxes) & OFF_WORDS or not noise.isdisjoint(chain):
        return None
    text = _text(box)
    start = max(text.find(collapse(piece)), 0)
    label = last_label(fold(text[max(start - LABEL_SPAN, 0) : start + digits_at(piece)]))
    if label == "other":
        return None
    index = _order(owner)
    distance = abs(index - anchor[0]) if anchor else None
    near = distance is not None and distance <= NEAR_TITLE
    if in_chrome(boxes, near):
        return None
    near_words = box_words(chain[: chain.index(box) + 3])
    publication = label == "published" or bool(near_words & PUBLISH_WORDS)
    modified = bool(near_words & MODIFIED_WORDS) and not publication
    marked = (
        bool(near_words & DATE_WORDS)
        or any(element.tag == "time" for element in chain[:3])
        or is_icon(before)
    )
    if not (marked or label or (near and _bare_date(owner))):
        return None
    page_top = anchor is not None and anchor[0] - index > ABOVE_TITLE
    if any(is_todays_date_line(line, in_header=page_top) for line in (text, text[start:])):
        return None
    score = 2.0 * marked + 2.0 * bool(label) + 1.0 * publication + 2.0 * near - 3.0 * modified
    if distance is not None:
        score -= min(distance, 200) / 100
    return Line(collapse(piece), text, start, index, score)


def _bare_date(owner: Element) -> bool:
    """True for an element that holds the date and little else: what an unmarked line beside
    the title must be."""
    length = _short_length(owner)
    return length is not None and length <= MAX_BARE_LINE and _mostly_date(owner)


def _mostly_date(element: Element) -> bool:
    """True when the element's words are the date's (a weekday, a month, «ساعت», a day period)
    and little else: a subtitle that names a date has more words without digits."""
    words = [word for word in " ".join(element.itertext()).split() if not FIRST_DIGIT.search(word)]
    return sum(len(word) > 1 for word in words) <= MAX_BARE_WORDS


def _short_length(element: Element) -> int | None:
    """The length of the element's text when it is one short line, else None; stops reading
    at :data:`MAX_LINE`, so a hit inside a whole article costs no more than a short one."""
    total = 0
    for piece in element.itertext():
        total += len(" ".join(piece.split())) + 1
        if total > MAX_LINE + 1:
            return None
    return max(total - 1, 0)


def _text(element: Element) -> str:
    """An element's text with its elements' texts apart: a date and the clock after it in
    another element must not run together (``۱۴۰۱`` + ``۲۰:۳۰``)."""
    return collapse(" ".join(_pieces(element)))


def _pieces(element: Element) -> list[str]:
    """Text pieces in reading order, without scripts and styles (comments have no text here)."""
    pieces = [element.text or ""] if isinstance(element.tag, str) and element.tag not in SKIPPED_TAGS else []
    for child in element:
        pieces += _pieces(child)
        pieces.append(child.tail or "")
    return pieces


def _widest_short(owner: Element, anchor_path: Elements) -> Element:
    """The widest box around ``owner`` whose text is still one short line (a label and the
    date, or date and clock in separate elements), without the title."""
    box = owner
    for parent in owner.iterancestors():
        if parent.tag in ("body", "html") or parent in anchor_path or _short_length(parent) is None:
            break
        box = parent
    return box


def _boxes_apart(chain: list[Element], anchor_path: Elements) -> list[Element]:
    """The boxes holding a line up to the first that holds the title too: only those can be
    a comment box, a related box or the page's chrome (``<body class="has-sidebar">`` and a
    wrapper around article and comments are neither)."""
    boxes = []
    for element in chain:
        if element in anchor_path or element.tag in ("body", "html"):
            break
        boxes.append(element)
    return boxes


def _readable(line: Line) -> str | None:
    """The date the line's own piece of text holds, when it is an absolute date (relative dates
    are not date lines), read on into the line when the clock stands in the next element
    (``<span>۸ فروردین ۱۴۰۳</span> <span>۱۷:۴۵</span>``). A date elsewhere in the line is not
    this piece's: the line may hold the header's today line too. Asked of the best-ranked
    lines first, so a page pays for about one parse."""
    try:
        alone = parse_datetime(line.piece)
    except DateParseError:
        return None
    if alone.kind == "relative":
        return None
    if alone.precision == "day":
        onward = line.text[line.start :]
        try:
            wider = parse_datetime(onward)
        except DateParseError:
            return line.piece
        if wider.precision != "day" and wider.local.date() == alone.local.date():
            return onward
    return line.piece


__all__ = ["dateline_layer", "find_dateline", "title_hints"]
