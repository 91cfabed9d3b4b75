"""Names for the parts of a parsed page that the extraction code passes around.

Extraction works on lxml trees (``parsel.Selector.root``). This project's mypy configuration
reads lxml as untyped (lxml-stubs types the tree more narrowly than the ElementTree API used
here), so an element is ``Any`` to the type checker; the aliases below say in a signature what
a value is: an element, a set of elements to leave out, a text node.
"""

from __future__ import annotations

from typing import Any, TypeAlias

#: An lxml element (``lxml.html.HtmlElement`` or ``lxml.etree._Element``) or, where the tree
#: is walked without a tag test, a comment or processing instruction.
Element: TypeAlias = Any
#: Elements whose text is left out: a site's noise boxes, ad boxes.
Elements: TypeAlias = frozenset[Element]
#: A text node found by XPath (``lxml.etree._ElementUnicodeResult``): a ``str`` that knows its
#: parent and whether it is a tail.
TextNode: TypeAlias = Any
