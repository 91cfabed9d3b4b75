"""Pages nested deeper than libxml2 parses: notice the cut, parse again without the excess.

libxml2 gives up on a document at its depth limit (2048 open elements with parsel's
``huge_tree``, 256 without) and keeps only what it had read, so 100,000 nested ``<div>`` in
a page's header take the whole article with them. When that happens the tree ends in a
chain of last children that deep, which costs a few steps to check on a normal page
(:func:`cut_short`). Only then is the source flattened (:func:`flatten`: tags that would
open an element past :data:`MAX_DEPTH` are dropped with their end tags) and parsed again.
"""

from __future__ import annotations

import re

from parsel import Selector

from newsarchive.extract.tree import Element

#: The lowest depth at which libxml2 stops (its limit without ``huge_tree``), less a margin.
CUT_DEPTH = 250
#: Depth a flattened page may reach: far above real pages (under 60), far below libxml2's limit.
MAX_DEPTH = 128

#: Elements that never have content (no end tag).
VOID_TAGS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
#: Elements an opening tag of the same name closes (``<li>a<li>b``): not deeper, beside.
SELF_CLOSING_SIBLINGS = frozenset({"p", "li", "dt", "dd", "option", "tr", "td", "th"})

#: A comment, a raw-text element as a whole (its ``<div>`` strings are not tags), or a tag.
_MARKUP = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<(script|style|textarea|title|xmp|noembed|noframes)\b[^>]*>.*?(?:</\1\s*>|\Z)"
    r"|<(/?)([a-zA-Z][^\s/>]*)[^>]*>",
    re.DOTALL | re.IGNORECASE,
)


def cut_short(root: Element, depth: int = CUT_DEPTH) -> bool:
    """True when the tree ends ``depth`` levels down a chain of last children: where libxml2 stopped.

    A parse that stopped leaves its open elements as the last ones of the document; a whole
    page ends a few levels below ``<html>``. The walk stops at ``depth``.
    """
    node, level = root, 0
    while level < depth:
        if not len(node):
            return False
        node, level = node[-1], level + 1
    return True


def flatten(html: str, limit: int = MAX_DEPTH) -> str:
    """``html`` without the tags that would open an element deeper than ``limit``, nor their end tags.

    Depth is counted with the little HTML knowledge that matters here (void elements, siblings
    that close each other, end tags that close what is open inside them), so it can only err
    high on odd markup, and then only where the page is deeper than ``limit`` anyway.
    """
    stack: list[tuple[str, bool]] = []  # (tag name, kept)
    open_count: dict[str, int] = {}
    out: list[str] = []
    position = 0
    for match in _MARKUP.finditer(html):
        name = match.group(3)
        if name is None:  # a comment or a raw-text element: one unit, kept
            continue
        name = name.lower()
        keep = True
        if match.group(2):  # an end tag: close up to its element, or ignore it if none is open
            if open_count.get(name):
                while True:
                    opened, kept = stack.pop()
                    open_count[opened] -= 1
                    if opened == name:
                        keep = kept
                        break
        elif name not in VOID_TAGS and not match.group(0).endswith("/>"):
            if name in SELF_CLOSING_SIBLINGS and stack and stack[-1][0] == name:
                stack.pop()
                open_count[name] -= 1
            keep = len(stack) < limit
            stack.append((name, keep))
            open_count[name] = open_count.get(name, 0) + 1
        if not keep:
            out.append(html[position : match.start()])
            position = match.end()
    out.append(html[position:])
    return "".join(out)


def source_text(selector: Selector) -> str | None:
    """The text ``selector`` was parsed from: :func:`.tree.html_selector`'s keeps it (or the
    page's UTF-8 bytes) as ``source``, parsel's own as ``_text``, Scrapy's has its response."""
    text = getattr(selector, "source", None) or getattr(selector, "_text", None)
    response = getattr(selector, "response", None)  # only on scrapy.Selector, a parsel subclass
    if text is None and response is not None:
        text = response.text
    if isinstance(text, bytes):  # a UTF-8 page parsed from its bytes (newsarchive.page.page_html)
        return text.decode("utf-8", "replace")
    return text if isinstance(text, str) else None


def reparse_flat(selector: Selector) -> tuple[Selector, str]:
    """``selector`` parsed again from its flattened source, and a note saying so (or why not)."""
    text = source_text(selector)
    if text is None:
        return (
            selector,
            "page nested deeper than libxml2 parses; its source is not at hand, text after the nest lost",
        )
    flat = Selector(text=flatten(text), type="html")
    return (
        flat,
        f"page nested deeper than libxml2 parses; parsed again with tags below depth {MAX_DEPTH} dropped",
    )
