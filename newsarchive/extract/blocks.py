"""Plain text out of HTML: paragraphs of an article body, and single elements.

Works on lxml elements directly (parsel is a thin layer over them) and walks
the tree iteratively, so a page with 50,000 nested tags does not hit Python's
recursion limit.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from lxml import etree, html

from newsarchive.extract.boilerplate import (
    LINE,
    ad_boxes,
    has_junk_name,
    is_junk_line,
    is_link_list,
    junk_block,
)
from newsarchive.extract.tree import Element, Elements

#: Elements whose text is one paragraph of an article.
BLOCK_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "dt"})
#: Elements that never hold article text.
SKIP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "svg",
        "figure",
        "figcaption",
        "video",
        "audio",
        "picture",
        "form",
        "button",
        "input",
        "select",
        "textarea",
        "nav",
        "aside",
        "footer",
        "ins",
    }
)
#: Elements whose text is a heading: one right before a dropped list of links is that list's title.
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
#: Lists are judged by their links as a whole (a related-posts list), not item by item.
LIST_TAGS = frozenset({"ul", "ol", "dl"})


def collapse(text: str) -> str:
    """Whitespace runs to one space, trimmed; ZWNJ is not whitespace and stays."""
    return " ".join(text.split())


def _tag(element: Element) -> str:
    tag = element.tag
    return tag.lower() if isinstance(tag, str) else ""


def is_noise(element: Element, extra: Elements = frozenset()) -> bool:
    """True for elements that are never article text (scripts, ads, share boxes…)."""
    if element in extra or _tag(element) in SKIP_TAGS:
        return True
    return has_junk_name(element)


def element_text(element: Element, extra_noise: Elements = frozenset()) -> str:
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


def _has_block_descendant(element: Element) -> bool:
    return any(_tag(node) in BLOCK_TAGS for node in element.iterdescendants())


#: Rules a block can be removed by, as ``text_blocks`` counts them (see ``removed``).
SITE_NOISE, AD_NETWORK, CLASS_WORDS, LEXICON, LINK_DENSITY_RULE = (
    "site-noise",
    "ad-network",
    "class-words",
    "lexicon",
    "links",
)


def text_blocks(
    container: Element, extra_noise: Iterable[Element] = (), removed: Counter[str] | None = None
) -> list[str]:
    """The paragraphs of ``container``: text of block elements, in document order, without boilerplate.

    Noise (see :func:`is_noise`, ``extra_noise`` elements and boxes of ad networks' scripts) is
    skipped with everything inside it. A ``div`` holding only inline content counts as one
    paragraph; loose text beside blocks is kept as its own paragraph. Blocks that are lexicon
    lines or mostly links, and lists of links, are dropped (see :mod:`.boilerplate`), and so
    is a heading right before a list of links (the related list's own title): only right
    before a list, so an article's heading that an ad or a read-more line follows stays.
    ``removed``, when given, counts what went by rule (``site-noise``, ``ad-network``,
    ``class-words``, ``lexicon``, ``links``) for the crawl's report.
    """
    site_noise, ads = frozenset(extra_noise), ad_boxes(container)
    noise = site_noise.union(ads)
    tally: Counter[str] = removed if removed is not None else Counter()
    blocks: list[str] = []
    heading = -1  # index of a kept heading that nothing has followed yet

    def drop(list_of_links: bool = False) -> None:
        nonlocal heading
        if list_of_links and heading == len(blocks) - 1 >= 0:
            blocks.pop()
            tally[LINK_DENSITY_RULE] += 1
        heading = -1

    def add(text: str, node: Element | None = None, judge_links: bool = True) -> None:
        nonlocal heading
        text = collapse(text)
        if not text:
            return
        if node is None:  # loose text: no links to judge
            why = LINE if is_junk_line(text) else None
        else:
            why = junk_block(node, text, judge_links)
        if why:
            tally[LEXICON if why == LINE else LINK_DENSITY_RULE] += 1
            drop()
            return
        heading = len(blocks) if node is not None and _tag(node) in HEADING_TAGS else -1
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
            if isinstance(node.tag, str):
                heading = -1  # a box followed the heading: what comes next is not its content
                tally[SITE_NOISE if node in site_noise else AD_NETWORK if node in ads else CLASS_WORDS] += 1
            walker.skip_subtree()  # its "end" event still comes, with the tail
            continue
        tag = _tag(node)
        if tag in LIST_TAGS and is_link_list(node):
            tally[LINK_DENSITY_RULE] += 1
            drop(list_of_links=True)
            walker.skip_subtree()
        elif tag in BLOCK_TAGS or not _has_block_descendant(node):
            add(element_text(node, noise), node, judge_links=tag != "li")
            walker.skip_subtree()
        elif node.text:
            add(node.text)
    return blocks


#: Markup in a text field (a JSON-LD ``articleBody`` holding the post's HTML).
_MARKUP = re.compile(r"<(?:p|div|br|h[1-6]|ul|ol|li|blockquote|figure|span|a|strong)\b[^>]*>", re.IGNORECASE)


def plain_blocks(text: str) -> list[str]:
    """The paragraphs of a text field (a JSON-LD ``articleBody``): one per line, without
    lexicon lines (there are no links to judge). Markup in it is read as HTML."""
    if _MARKUP.search(text):
        try:
            return text_blocks(html.fragment_fromstring(text, create_parent="div"))
        except (etree.ParserError, ValueError):
            pass  # read as plain lines

    return [line for line in (collapse(line) for line in text.split("\n")) if line and not is_junk_line(line)]
