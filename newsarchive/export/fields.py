"""The exported fields: what each one means, which archive columns it reads, how it is made.

A :class:`Field` is documentation (its type and description go into the manifest and the
datasheet) and a small function: ``value`` receives exactly the archive columns the field
declares in ``reads``, in that order, so what a field reads can never drift from what it
declares. :func:`columns_for` gathers those columns for the archive query;
:func:`record_builder` turns the chosen fields into one function from an archive row (a
dict of :data:`newsarchive.archive.EXPORT_COLUMNS`) to the record written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import call, itemgetter
from typing import Any

from newsarchive.archive import EXPORT_COLUMNS
from newsarchive.export.errors import ExportError

Row = dict[str, Any]
LANGUAGE = "fa"


#: The keys of one earlier version (``versions``), in order; those in ``VERSION_TIMES`` are instants.
VERSION_KEYS = ("title", "lead", "body", "content_hash", "fetched_at", "replaced_at")
VERSION_TIMES = ("fetched_at", "replaced_at")
_UTC = "UTC instant `YYYY-MM-DDTHH:MM:SSZ`"
_PARQUET_TIME = "timestamp[ms, tz=UTC]"  # Parquet has no unit of seconds
#: How each kind of field is written in each format (see :meth:`Field.type_in`).
TYPES = {
    "json": {
        "string": "string",
        "strings": "array of string",
        "int": "integer",
        "bool": "boolean",
        "time": f"string: {_UTC}",
        "versions": "array of object",
    },
    "csv": {
        "string": "text",
        "strings": 'JSON array of strings, as text: `["a","b"]`, `[]`',
        "int": "integer",
        "bool": "`true` or `false`",
        "time": f"text: {_UTC}",
        "versions": "JSON array of objects, as text",
    },
    "parquet": {
        "string": "string",
        "strings": "list<string>",
        "int": "int64",
        "bool": "bool",
        "time": _PARQUET_TIME,
        "versions": "list<struct<"
        + ", ".join(f"{key}: {_PARQUET_TIME if key in VERSION_TIMES else 'string'}" for key in VERSION_KEYS)
        + ">>",
    },
}


@dataclass(frozen=True)
class Field:
    """One exported field: its documentation, the columns it reads, and its value.

    ``value`` is called with the values of the columns in ``reads`` (by default the column
    of the same name, written as stored when ``value`` is None). ``kind``: what the value
    is (``string``, ``strings``, ``int``, ``bool``, ``time`` (a UTC instant) or
    ``versions``), which decides its type in each format (:meth:`type_in`); ``nullable``:
    it may be missing. ``checked``: the manifest counts how many records have it non-empty
    (the others always have it).
    """

    name: str
    description: str
    value: Callable[..., Any] | None = None
    reads: tuple[str, ...] | None = None
    kind: str = "string"
    nullable: bool = False
    checked: bool = True

    @property
    def columns(self) -> tuple[str, ...]:
        """The archive columns ``value`` is given."""
        return (self.name,) if self.reads is None else self.reads

    def type_in(self, fmt: str) -> str:
        """The field's type as the data file of format ``fmt`` writes it, in words."""
        family = "json" if fmt in ("jsonl", "json") else fmt
        written = TYPES[family][self.kind]
        if not self.nullable:
            return written
        return f"{written}; empty cell: none" if family == "csv" else f"{written}, or null"

    def getter(self) -> Callable[[Row], Any]:
        """A function from an archive row to this field's value."""
        columns, value = self.columns, self.value
        if value is None:
            return itemgetter(columns[0])
        if not columns:
            constant = value()
            return lambda row: constant
        if len(columns) == 1:
            column = columns[0]
            return lambda row: value(row[column])
        return lambda row: value(*(row[column] for column in columns))


_LIST_CACHE: dict[str, list] = {}


def json_list(text: str | None) -> list:
    """A JSON array column as a list. Tag and author lists repeat a lot, so decoded
    lists are cached and shared (they are never modified)."""
    if not text:
        return []
    found = _LIST_CACHE.get(text)
    if found is None:
        if len(_LIST_CACHE) >= 8192:
            _LIST_CACHE.clear()
        found = _LIST_CACHE[text] = json.loads(text)
    return found


def jalali_slashes(value: str | None) -> str | None:
    """``1403-02-15 10:15`` → ``1403/02/15 10:15`` (see the ``published_jalali`` field)."""
    return value.replace("-", "/") if value else value


def word_count(text: str | None) -> int:
    """Whitespace-separated tokens, as ``wc -w`` counts (ZWNJ is not a space)."""
    return len(text.split()) if text else 0


def _versions(text: str | None) -> list:
    """The ``versions`` column (a JSON array of objects, see ``Archive.export_rows``)."""
    return json.loads(text) if text else []


FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field(
            "id",
            "Stable article id: the first 16 hex digits of the SHA-256 of the first "
            "canonical URL the article was archived under. It never changes, even when the URL does.",
            checked=False,
        ),
        Field(
            "source",
            "The site the article comes from (a newsarchive site name, e.g. `digiato`).",
            checked=False,
        ),
        Field("url", "Canonical URL of the article on the publisher's site.", checked=False),
        Field("title", "Headline (display form, see Text)."),
        Field("lead", "Lead paragraph or summary, if the page has one.", nullable=True),
        Field("body", "Article text; paragraphs separated by a blank line (`\\n\\n`)."),
        Field("authors", "Author names as the page gives them.", json_list, kind="strings"),
        Field("categories", "The site's categories (breadcrumb or metadata).", json_list, kind="strings"),
        Field("tags", "The site's tags.", json_list, kind="strings"),
        Field("image_url", "URL of the main image (images are not downloaded).", nullable=True),
        Field(
            "published_at",
            "Publication time in UTC. For articles dated only to the day it is the start of that day "
            "in Tehran.",
            kind="time",
            checked=False,
        ),
        Field(
            "published_jalali",
            "Publication time in Tehran local time, Jalali calendar: "
            "`YYYY/MM/DD HH:MM`, or `YYYY/MM/DD` when only the day is known. Written with slashes (the "
            "archive stores `YYYY-MM-DD HH:MM`) so that loaders never take it for a Gregorian ISO date: "
            "pyarrow, and so `datasets`, reads `1403-02-15 10:15` as 15 February of the year 1403.",
            jalali_slashes,
            nullable=True,
        ),
        Field(
            "modified_at",
            "Last modification in UTC: as the site states it, or when the archive first saw the "
            "changed text.",
            kind="time",
            nullable=True,
        ),
        Field(
            "word_count",
            "Words in `body`: whitespace-separated tokens, as `wc -w` counts "
            "(a ZWNJ joins, so پیام‌رسان is one word).",
            word_count,
            ("body",),
            "int",
            checked=False,
        ),
        Field(
            "language",
            "ISO 639-1 language code of the text: `fa` (Persian).",
            lambda: LANGUAGE,
            (),
            checked=False,
        ),
        Field(
            "story_id",
            "The story the article belongs to: the same news on several sites (or several URLs of one "
            "site), an article and its copies, exact or edited, grouped by their folded body text. The id "
            "of the story's first stored article; an article without copies is a story of its own. Equal "
            "`story_id`s mean copies of one story (`newsarchive stories --story ID` lists them).",
            nullable=True,
        ),
        # Not exported unless asked for with --fields (or --dedupe story):
        Field(
            "story_size",
            "How many articles the story has in the archive (1: no copies); with `--dedupe story`.",
            kind="int",
            checked=False,
        ),
        Field(
            "story_urls",
            "URLs of the story's other articles in the archive, the first publication first (empty: no "
            "copies); with `--dedupe story`.",
            kind="strings",
        ),
        Field("page_type", "Kind of page (`article`, `video`, ...).", nullable=True),
        Field("sponsored", "True for paid or promoted content.", bool, kind="bool", checked=False),
        Field(
            "published_precision",
            "How exact `published_at` is: `minute`, `hour` or `day`.",
            nullable=True,
        ),
        Field("published_display", "The date exactly as the page displayed it.", nullable=True),
        Field("first_seen_at", "When the archive first fetched the article.", kind="time", checked=False),
        Field("last_fetched_at", "When the archive last fetched the article.", kind="time", checked=False),
        Field(
            "content_hash",
            "SHA-256 of title, lead and body; equal hashes mean equal text.",
            checked=False,
        ),
        Field(
            "versions",
            "Earlier versions of the article, oldest first (only with "
            "`--with-versions`): `title`, `lead`, `body`, `content_hash`, `fetched_at` (when that text was "
            "last seen), `replaced_at` (when the newer text was first seen), times as UTC instants.",
            _versions,
            kind="versions",
        ),
    )
}
DEFAULT_FIELDS = (
    "id",
    "source",
    "url",
    "title",
    "lead",
    "body",
    "authors",
    "categories",
    "tags",
    "image_url",
    "published_at",
    "published_jalali",
    "modified_at",
    "word_count",
    "language",
    "story_id",
)
#: The fields :mod:`newsarchive.export.stories` makes (not archive columns); ``--dedupe story`` adds them.
STORY_FIELDS = ("story_size", "story_urls")
#: Columns read whatever the fields: the manifest counts by source, month and site.
TALLY_COLUMNS = ("source", "url", "published_at", "published_jalali")


def choose_fields(
    names: Iterable[str] | None, *, with_versions: bool, with_stories: bool = False
) -> tuple[str, ...]:
    """The exported fields in order: ``names`` (checked) or the defaults, plus ``versions`` if
    asked, and ``story_size`` and ``story_urls`` with ``with_stories`` (one record per story)."""
    chosen = list(dict.fromkeys(n.strip() for n in names if n.strip())) if names else list(DEFAULT_FIELDS)
    unknown = [name for name in chosen if name not in FIELDS]
    if unknown or not chosen:
        raise ExportError(
            f"unknown field(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(FIELDS)}"
        )
    if with_versions and "versions" not in chosen:
        chosen.append("versions")
    if with_stories:
        chosen += [name for name in STORY_FIELDS if name not in chosen]
    return tuple(chosen)


def columns_for(fields: Iterable[str]) -> tuple[str, ...]:
    """The archive columns the records of ``fields`` and the tally read, in table order
    (``versions`` is not a column: ``Archive.export_rows`` adds it on request; nor are
    ``story_size`` and ``story_urls``: :mod:`newsarchive.export.stories` makes them)."""
    needed = set(TALLY_COLUMNS).union(*(FIELDS[name].columns for name in fields))
    return tuple(column for column in EXPORT_COLUMNS if column in needed)


def record_builder(fields: Iterable[str]) -> Callable[[Row], Row]:
    """A function from an archive row to the record of ``fields``, made once per export.

    The fields' getters run through ``map`` and the record is built by ``dict(zip())``:
    no Python loop per field, as this runs once per exported article.
    """
    names = tuple(fields)
    getters = tuple(FIELDS[name].getter() for name in names)

    def build(row: Row) -> Row:
        return dict(zip(names, map(call, getters, repeat(row))))

    return build


def separator_check(columns: Sequence[str], *, with_versions: bool) -> Callable[[Row], bool]:
    """A function telling whether a row's text holds U+2028 or U+2029 (almost never:
    :func:`newsarchive.persian.normalize` turns them into newlines). ``columns`` are
    those of :func:`columns_for`: several, so ``itemgetter`` gives a tuple."""
    names = [column for column in columns if column != "sponsored"] + (["versions"] if with_versions else [])
    texts = itemgetter(*names)

    def check(row: Row) -> bool:
        return any(text and ("\u2028" in text or "\u2029" in text) for text in texts(row))

    return check
