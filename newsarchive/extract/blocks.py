"""Plain text out of HTML: paragraphs of an article body, and single elements.

Works on lxml elements directly (parsel is a thin layer over them) and walks
the tree iteratively, so a page with 50,000 nested tags does not hit Python's
recursion limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree

#: Elements whose text is one paragraph of an article.
BLOCK_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "dt"}
)
#: Elements that never hold article text.
SKIP_TAGS = frozenset(
    {
        "script", "style", "noscript", "template", "iframe", "object", "embed", "svg",
        "figure", "figcaption", "video", "audio", "picture", "form", "button", "input",
        "select", "textarea", "nav", "aside", "footer", "ins",
    }
)
#: Class or id words that mark boxes inside a body that are not the article.
NOISE_WORDS = re.compile(
    r"(?:^|[\s_-])(?:ads?|adsbox|advert\w*|banner\w*|related\w*|share\w*|social\w*|"
    r"comments?|comment-list|newsletter|sponsor\w*|breadcrumbs?|subscribe\w*|"
    r"read-?more|more-?news|tags?-?box|post-?tags|author-?box)(?:$|[\s_-])",
    re.IGNORECASE,
)


def collapse(text: str) -> str:
    """Whitespace runs to one space, trimmed; ZWNJ is not whitespace and stays."""
    return " ".join(text.split())


def _tag(element) -> str:
    tag = element.tag
    return tag.lower() if isinstance(tag, str) else ""


def is_noise(element, extra: frozenset = frozenset()) -> bool:
    """True for elements that are never article text (scripts, ads, share boxes…)."""
    if element in extra or _tag(element) in SKIP_TAGS:
        return True
    return has_noise_marks(element)


def has_noise_marks(element) -> bool:
    """True when the element's class or id names a box that is not the article (ads, comments…)."""
    marks = f"{element.get('class', '')} {element.get('id', '')}".strip()
    return bool(marks) and NOISE_WORDS.search(marks) is not None


def element_text(element, extra_noise: frozenset = frozenset()) -> str:
    """The visible text of one element, without scripts and noise, collapsed."""
    if not isinstance(element.tag, str):
        return ""
    if len(element) == 0:
        return collapse(element.text or "")
    parts: list[str] = []
    walker = etree.iterwalk(element, events=("start", "end"))
    for event, node in walker:
        if event == "start":
            if node is not element and (not isinstance(node.tag, str) or is_noise(node, extra_noise)):
                walker.skip_subtree()  # its "end" event still comes, with the tail
                continue
            if node.text:
                parts.append(node.text)
            if _tag(node) == "br":
                parts.append(" ")
        elif node is not element and node.tail:
            parts.append(node.tail)
    return collapse("".join(parts))


def _has_block_descendant(element) -> bool:
    return any(_tag(node) in BLOCK_TAGS for node in element.iterdescendants())


def text_blocks(container, extra_noise: Iterable = ()) -> list[str]:
    """The paragraphs of ``container``: text of block elements, in document order.

    Noise (see :func:`is_noise`, plus ``extra_noise`` elements) is skipped with
    everything inside it. A ``div`` holding only inline content counts as one
    paragraph; loose text beside blocks is kept as its own paragraph.
    """
    noise = frozenset(extra_noise)
    blocks: list[str] = []

    def add(text: str) -> None:
        text = collapse(text)
        if text:
            blocks.append(text)

    walker = etree.iterwalk(container, events=("start", "end"))
    for event, node in walker:
        if node is container:
            if event == "start" and node.text:
                add(node.text)
            continue
        if event == "end":
            if node.tail and node.getparent() is not None:
                add(node.tail)
            continue
        if not isinstance(node.tag, str) or is_noise(node, noise):
            walker.skip_subtree()  # its "end" event still comes, with the tail
            continue
        if _tag(node) in BLOCK_TAGS or not _has_block_descendant(node):
            add(element_text(node, noise))
            walker.skip_subtree()
        elif node.text:
            add(node.text)
    return blocks

