"""The parsed page: how it is built, and names for the parts the extraction code passes around.

Extraction works on lxml trees (``parsel.Selector.root``). This project's mypy configuration
reads lxml as untyped (lxml-stubs types the tree more narrowly than the ElementTree API used
here), so an element is ``Any`` to the type checker; the aliases below say in a signature what
a value is: an element, a set of elements to leave out, a text node.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from lxml import etree
from parsel import Selector
from parsel.selector import create_root_node

#: An lxml element (``lxml.etree._Element``, or ``lxml.html.HtmlElement`` in a tree parsed
#: by parsel's default parser) or, where the tree
#: is walked without a tag test, a comment or processing instruction.
Element: TypeAlias = Any
#: Elements whose text is left out: a site's noise boxes, ad boxes.
Elements: TypeAlias = frozenset[Element]
#: A text node found by XPath (``lxml.etree._ElementUnicodeResult``): a ``str`` that knows its
#: parent and whether it is a tail.
TextNode: TypeAlias = Any


class PageSelector(Selector):
    """A selector that keeps the HTML it was parsed from (``source``): a page nested deeper
    than libxml2 parses is parsed again from its flattened source (:mod:`.depth`)."""

    __slots__ = ("source",)
    source: str | bytes


def html_selector(html: str | bytes, base_url: str | None = None) -> Selector:
    """A selector over ``html`` (the page's text, or its UTF-8 bytes) parsed by lxml's plain
    HTML parser.

    The tree is the one parsel's default parser builds (the same libxml2 parse, with parsel's
    handling of NUL bytes, surrounding space and empty pages), without ``lxml.html``'s element
    classes: that parser calls a Python class lookup for every element the extraction walks,
    about 480 a page, a tenth of extraction's CPU. Use :func:`text_content` where
    ``HtmlElement.text_content()`` would be used. Bytes are parsed as they are (parsel encodes
    text to UTF-8 for libxml2 first): :func:`newsarchive.page.page_html` says when they parse
    as the text would.
    """
    if isinstance(html, bytes):
        root = create_root_node("", etree.HTMLParser, base_url=base_url, body=html)
    else:
        root = create_root_node(html, etree.HTMLParser, base_url=base_url)
    selector = PageSelector(root=root, type="html")
    selector.source = html
    return selector


#: An element's text with its descendants' (what ``HtmlElement.text_content()`` returns).
text_content = etree.XPath("string()", smart_strings=False)
