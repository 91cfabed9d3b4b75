"""HTML for the archive's cells, as a Persian reader needs them (pure functions, no Datasette).

A browser lays out a cell by its paragraph direction. ``dir="auto"`` takes it from the
first strong letter, which puts ``GTA 6 منتشر شد`` (a Persian sentence that starts with
a Latin name) left to right, with the verb in the middle. Text of this archive that
holds any Persian letter is a Persian sentence, so it is marked ``dir="rtl"``
(:func:`direction`); Latin-only text stays ``ltr`` and text without letters ``auto``.
JSON arrays (authors, categories, tags) become chips, URLs links that stay left to right.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

#: Letters of right-to-left scripts (Arabic and Persian, Hebrew, Syriac, Thaana, their forms).
RTL_LETTER = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
#: The marks a relevance snippet is cut with (control characters no article text holds),
#: turned into ``<mark>`` after the text is escaped (:func:`marked_html`).
SNIPPET_MARKS = ("\x02", "\x03")
#: Columns that hold a JSON array of names, shown as chips linking to the filtered table.
CHIP_COLUMNS = ("authors", "categories", "tags")


def chip_url(table_url: str, column: str, name: str) -> str:
    """The articles whose JSON array ``column`` holds ``name`` (what a chip links to)."""
    return f"{table_url}?{urllib.parse.urlencode({f'{column}__arraycontains': name})}"


def story_url(table_url: str, story_id: str) -> str:
    """The articles of a story (what a ``story_id`` links to)."""
    return f"{table_url}?{urllib.parse.urlencode({'story_id': story_id})}"


def direction(text: str) -> str:
    """``rtl`` for text with a Persian (right-to-left) letter, ``ltr`` for Latin-only text, else ``auto``."""
    if RTL_LETTER.search(text):
        return "rtl"
    return "ltr" if LATIN_LETTER.search(text) else "auto"


def text_html(text: str) -> Markup:
    """``text`` escaped in a block with its direction (see :func:`direction`)."""
    return Markup('<div class="na-text" dir="{0}">{1}</div>').format(direction(text), text)


def link_html(url: str, label: str | None = None, *, css_class: str = "na-link") -> Markup:
    """A link that keeps a URL left to right (and a Persian label right to left)."""
    label = url if label is None else label
    return Markup('<a class="{0}" href="{1}" dir="{2}">{3}</a>').format(
        css_class, url, "ltr" if label == url else direction(label), label
    )


def json_value(value: str) -> Any:
    """The JSON a cell holds (``None`` when it holds none: most text is no JSON)."""
    if value[:1] not in ("[", "{"):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def json_strings(value: str | None) -> list[str]:
    """The names a JSON array cell holds ([] for anything else)."""
    decoded = json_value(value.strip()) if value else None
    return [str(item) for item in decoded] if isinstance(decoded, list) else []


def chips_html(names: list[Any], link: Callable[[str], str] | None = None) -> Markup:
    """A list of names as chips, each with its own direction, linked when ``link`` is given."""
    items = []
    for name in names:
        text = str(name)
        inner = link_html(link(text), text, css_class="na-chip-link") if link else escape(text)
        items.append(Markup('<li class="na-chip" dir="{0}">{1}</li>').format(direction(text), inner))
    return Markup('<ul class="na-chips" dir="rtl">{}</ul>').format(Markup("").join(items))


def mapping_html(mapping: dict[str, Any]) -> Markup:
    """A JSON object (response counts, field coverage) as ``key: value`` chips, nested values as JSON."""
    items = [
        Markup('<li class="na-chip" dir="ltr"><b>{0}</b>: {1}</li>').format(
            key, value if isinstance(value, str | int | float) else json.dumps(value, ensure_ascii=False)
        )
        for key, value in mapping.items()
    ]
    return Markup('<ul class="na-chips na-mapping" dir="ltr">{}</ul>').format(Markup("").join(items))


def marked_html(snippet: str) -> Markup:
    """A snippet cut with :data:`SNIPPET_MARKS`, escaped, its matched words in ``<mark>``."""
    start, end = SNIPPET_MARKS
    escaped = str(escape(snippet))
    return Markup(escaped.replace(start, "<mark>").replace(end, "</mark>"))


def paragraphs(text: str | None) -> list[str]:
    """The paragraphs of an article body (stored separated by blank lines)."""
    return [part.strip() for part in re.split(r"\n\s*\n", text or "") if part.strip()]


def cell_html(
    value: Any,
    column: str,
    *,
    chip_link: Callable[[str, str], str] | None = None,
    title_link: str | None = None,
) -> Markup | None:
    """The HTML of one cell of an archive's table or query, or ``None`` to let Datasette render it.

    ``chip_link(column, name)`` gives the URL a chip of a :data:`CHIP_COLUMNS` array links to;
    ``title_link`` is the article page a title links to.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    stripped = value.strip()
    if stripped.startswith(("http://", "https://")) and not re.search(r"\s", stripped):
        return link_html(stripped)
    decoded = json_value(stripped)
    if isinstance(decoded, list) and all(isinstance(item, str | int | float) for item in decoded):
        link = (lambda name: chip_link(column, name)) if chip_link and column in CHIP_COLUMNS else None
        return chips_html(decoded, link)
    if isinstance(decoded, dict):
        return mapping_html(decoded)
    if isinstance(decoded, list):
        return Markup('<code class="na-json" dir="ltr">{}</code>').format(
            json.dumps(decoded, ensure_ascii=False)
        )
    if title_link:
        return Markup('<div class="na-text na-title" dir="{0}">{1}</div>').format(
            direction(value), link_html(title_link, value, css_class="na-title-link")
        )
    return text_html(value)
