"""CSS selectors on a page, evaluated from an index of the page's classes.

A site's selectors mostly start with a class (``.articlePost``, ``.breadcrumb ul li a``),
and the XPath that cssselect makes of a class test (``contains(concat(' ',
normalize-space(@class), ' '), ' articlePost ')``) costs libxml2 about 0.2 µs for each
element of the page: 0.2 ms per selector on a 100 KB news page, for each of the twenty
or so selectors an extraction tries. :class:`ClassIndex` reads every ``class``
attribute once, and :meth:`ClassIndex.select` then starts each selector from the few
elements that carry its first class, evaluating the rest of the selector from there.

Results are the same as ``parsel``'s ``Selector.css(...)`` (elements, or strings for
``::text``/``::attr()``), in document order. When the anchors could give an order that
is not document order (several anchors with matches under a combinator) the whole
selector is evaluated from the root instead, as are selectors that do not start with a
class.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from cssselect import SelectorError, parse
from cssselect.parser import Class, CombinedSelector
from cssselect.parser import Element as AnyElement
from lxml import etree
from parsel.csstranslator import HTMLTranslator

from newsarchive.extract.tree import Element

_TRANSLATOR = HTMLTranslator()
#: XPath's normalize-space separators: what a class test in cssselect's XPath splits on.
_CLASS_SEPARATORS = re.compile(r"[ \t\r\n]+")
#: A compiled ``etree.XPath``: called on an element, it returns what the selector selects.
Selects = Callable[[Element], list[Element | str]]


@dataclass(frozen=True)
class _Plan:
    """How to evaluate one selector: from the root, or from the elements with ``anchor`` as a class."""

    whole: Selects
    anchor: str | None = None
    relative: Selects | None = None
    #: One compound selector without a pseudo-element: its matches are the anchors themselves.
    anchors_only: bool = False
    #: The selector is the anchor's class alone (``.articlePost``): every anchor matches.
    anchor_alone: bool = False


@lru_cache(maxsize=1024)
def plan(css: str) -> _Plan:
    whole = etree.XPath(_TRANSLATOR.css_to_xpath(css), smart_strings=False)
    try:
        (selector,) = parse(css)
    except (SelectorError, ValueError):  # a group (a, b) or something cssselect reads differently
        return _Plan(whole)
    tree = selector.parsed_tree
    combined = isinstance(tree, CombinedSelector)
    while isinstance(tree, CombinedSelector):
        tree = tree.selector
    anchor: str | None = None
    node: object = tree
    while node is not None:  # the leftmost compound: Attrib(Class(Element)), Pseudo(...), ...
        if isinstance(node, Class):
            anchor = node.class_name
            break
        node = getattr(node, "selector", None)
    if anchor is None:
        return _Plan(whole)
    relative = etree.XPath(_TRANSLATOR.css_to_xpath(css, prefix="self::"), smart_strings=False)
    anchors_only = not combined and selector.pseudo_element is None
    bare = tree.selector if isinstance(tree, Class) else None
    alone = isinstance(bare, AnyElement) and bare.element is None and bare.namespace is None
    return _Plan(whole, anchor, relative, anchors_only=anchors_only, anchor_alone=anchors_only and alone)


class ClassIndex:
    """The elements of a tree by class name, in document order."""

    def __init__(self, root: Element) -> None:
        self.root = root
        self.by_class: dict[str, list[Element]] = {}
        by_class = self.by_class
        # Walking the tree costs less than the XPath ``descendant-or-self::*[@class]``
        # (0.26 against 0.35 ms on a 110 KB page): libxml2 tests the predicate on every node
        # and lxml then makes an element for each match anyway. Only elements: a processing
        # instruction answers get("class") from its pseudo-attributes.
        for element in root.iter(etree.Element):
            value = element.get("class")
            if not value:
                continue
            if "\t" in value or "\n" in value or "\r" in value:
                names = _CLASS_SEPARATORS.split(value)
            elif " " in value:
                names = value.split(" ")
            else:  # one name, the usual case
                found = by_class.get(value)
                if found is None:
                    by_class[value] = [element]
                else:
                    found.append(element)
                continue
            for name in names:
                if name:
                    found = by_class.get(name)
                    if found is None:
                        by_class[name] = [element]
                    elif found[-1] is not element:  # class="a a" lists the element once
                        found.append(element)

    def select(self, css: str) -> list[Element | str]:
        """What ``Selector(root=self.root).css(css)`` would select, as lxml results: elements,
        or strings for ``::text``/``::attr()``."""
        how = plan(css)
        if how.anchor is None or how.relative is None:  # a plan has both or neither
            return how.whole(self.root)
        anchors = self.by_class.get(how.anchor, [])
        if how.anchor_alone:
            return list(anchors)
        if how.anchors_only:
            return [anchor for anchor in anchors if how.relative(anchor)]
        found: list[Element | str] = []
        for anchor in anchors:
            matches = how.relative(anchor)
            if matches:
                if found:  # a second anchor with matches: only the root keeps document order for sure
                    return how.whole(self.root)
                found = matches
        return found
