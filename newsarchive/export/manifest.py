"""The manifest: everything a reader needs to trust and use a data file, as JSON.

:class:`Tally` counts while the rows stream past (per source, per month in both
calendars, how many records have each field), in memory that does not grow with the
export; :func:`build_manifest` puts those counts beside the command, the filters, the
archive's schema version, the field descriptions, the text normalization and the
sources' terms. The datasheet (:mod:`newsarchive.export.datasheet`) is the same for
people. Each field's type and the file's layout (:func:`layout`) are given as the data
file's format writes them: lists are JSON arrays in JSON and CSV, ``list<string>`` in
Parquet; times are text in JSON and CSV, ``timestamp[ms, tz=UTC]`` in Parquet.
"""

from __future__ import annotations

import inspect
import json
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from newsarchive import __version__
from newsarchive.archive import Archive, ArticleFilter
from newsarchive.export.fields import FIELDS, TYPES, jalali_slashes
from newsarchive.export.paths import Outputs, split_name
from newsarchive.export.stories import StoryTally
from newsarchive.persian import normalize

NORMALIZATION_SUMMARY = (
    "Titles, leads, bodies, author names, categories and tags are stored in the *display form* made by "
    "`newsarchive.persian.normalize` when the article was crawled: the author's spelling with canonical "
    "code points. Arabic kaf/yeh become Persian ک/ی and Arabic-Indic digits Persian digits, presentation "
    "forms become base letters, kashida (tatweel) and invisible marks (zero-width space, bidi controls, "
    "BOM) are removed, half-space marks between letters become ZWNJ (U+200C), and whitespace is reduced to "
    "single spaces with at most one blank line between paragraphs. ZWNJ inside words, Persian and Latin "
    "digits and punctuation stay as written, so Latin tokens such as `iOS 17.2` survive. This is not the "
    "folded search form: no letters are folded, no diacritics removed, no ZWNJ dropped."
)
TERMS = (
    "The articles are the work of their publishers and authors; copyright stays with them. This dataset "
    "is a research copy for text and data analysis (search, statistics, linguistics), not for "
    "republication: quote within fair use and cite and link the original article (every record has its "
    "`url`). Respect each site's terms of use, linked below, and honour takedown requests: "
    "`newsarchive delete URL...` (the article's URL or any of its aliases; "
    "`newsarchive delete --source S` for every article of a site) removes the articles, their earlier "
    "versions, aliases and search entries from the archive in one transaction and keeps a tombstone "
    "per URL, so that later crawls, reparse and ingest do not store them again (until "
    "`newsarchive delete --restore`); the raw responses stay in the WARC files. Then export again and "
    "replace the copies of this file you gave out."
)


def layout(fmt: str, *, excel: bool = False) -> list[str]:
    """How a data file of format ``fmt`` is laid out and how each kind of value is written."""
    if fmt == "parquet":
        return [
            "Apache Parquet (zstd-compressed columns), one row per article, the columns in the order "
            "of the field list.",
            f"Typed columns: UTC times are `{TYPES['parquet']['time']}` (whole seconds), lists "
            f"(`authors`, `categories`, `tags`) are `{TYPES['parquet']['strings']}`, `sponsored` is "
            f"`{TYPES['parquet']['bool']}`, `word_count` is `{TYPES['parquet']['int']}`, earlier "
            "`versions` a list of structs; a missing value is null.",
        ]
    if fmt == "csv":
        notes = [
            "CSV (RFC 4180), UTF-8"
            + (" with a byte order mark" if excel else ", no byte order mark")
            + ": a header row of field names, then one row per article. Cells are separated by "
            'commas; a cell holding a comma, a `"` or a newline is quoted (a `"` doubled); rows end '
            "in CRLF, and the newlines inside a body stay inside its quoted cell.",
            "Lists (`authors`, `categories`, `tags`) and `versions` are JSON arrays written as text in "
            'their cell (`["اپل","iOS 17.2"]`, `[]` when empty): read them back with a JSON parser, '
            "never by splitting on commas (a name may hold one).",
            "Booleans are `true`/`false`, integers are digits, times are UTC instants as text "
            "`YYYY-MM-DDTHH:MM:SSZ`; an empty cell is a missing value (null in the JSON formats).",
        ]
        if excel:
            notes.append(
                "Written for Excel: the byte order mark makes Excel read it as UTF-8 (Python and pandas "
                "read it with the encoding `utf-8-sig`), and a cell that Excel would run as a formula "
                "(starting with `=`, `+`, `-`, `@`, a tab or a carriage return, or a full-width `=+-@`) "
                "starts with an added `'`. For analysis by program, use the CSV made without `--excel`, "
                "which holds every text exactly."
            )
        else:
            notes.append(
                "Without a byte order mark Excel reads the file in its local code page and Persian "
                "comes out garbled: for Excel, export with `--excel`."
            )
        notes.append(
            "Excel shows at most 32,767 characters in a cell and 1,048,576 rows; a longer body is "
            "cut off on screen, not in the file."
        )
        return notes
    shape = "one JSON object per line" if fmt == "jsonl" else "one JSON array of objects"
    return [
        f"UTF-8 JSON, {shape} (one per article), keys in the order of the field list; text is "
        "written as characters, never `\\uXXXX` escapes (except U+2028 and U+2029, which some "
        "readers take for line breaks).",
        "Lists are JSON arrays, a missing value is null, times are UTC instants as text "
        "`YYYY-MM-DDTHH:MM:SSZ`.",
    ]


class Tally:
    """Counts kept while streaming: per source, per month (both calendars), field fill, and
    with ``stories`` the originals and copies (:class:`StoryTally`).

    Memory is one counter entry per (source, Gregorian month, Jalali month), whatever
    the number of records; the rows arrive ordered by ``published_at``.
    """

    def __init__(self, fields: tuple[str, ...], stories: StoryTally | None = None):
        self.fields = fields
        self.stories = stories
        self.checked = tuple(name for name in fields if FIELDS[name].checked and name != "versions")
        self.with_versions = "versions" in fields
        self.months: Counter = Counter()
        self.filled: Counter = Counter()
        self.versions = 0
        self.first: dict[str, tuple[str, str | None]] = {}  # source → (published_at, published_jalali)
        self.last: dict[str, tuple[str, str | None]] = {}
        self.sites: dict[str, str | None] = {}

    def add(self, row: dict[str, Any]) -> None:
        """Count one archive row (raw columns: the record itself may be made elsewhere)."""
        self.add_key(row["source"], row["url"], row["published_at"], row["published_jalali"])
        self.add_fill(row)

    def add_key(self, source: str, url: str, published_at: str, jalali: str | None) -> None:
        self.months[source, published_at[:7], jalali[:7] if jalali else "unknown"] += 1
        if self.stories is not None:
            self.stories.add(source, url, published_at)
        self.last[source] = (published_at, jalali)
        if source not in self.first:
            self.first[source] = (published_at, jalali)
            parts = urlsplit(url)
            self.sites[source] = (
                f"{parts.scheme}://{parts.hostname}/" if parts.scheme and parts.hostname else None
            )

    def add_fill(self, row: dict[str, Any]) -> None:
        filled = self.filled
        for name in self.checked:  # text columns; JSON array columns hold "[]" when empty
            value = row[name]
            if value and value != "[]":
                filled[name] += 1
        if self.with_versions:
            versions = row["versions"]
            if versions and versions != "[]":
                filled["versions"] += 1
                self.versions += len(json.loads(versions))

    @property
    def records(self) -> int:
        return sum(self.months.values())

    def per_source(self) -> dict[str, int]:
        counts: Counter = Counter()
        for (source, _, _), count in self.months.items():
            counts[source] += count
        return dict(sorted(counts.items()))

    def coverage(self) -> tuple[tuple[str, str | None], tuple[str, str | None]] | None:
        """((published_at, published_jalali) of the first record, of the last) or None."""
        if not self.first:
            return None
        return min(self.first.values()), max(self.last.values())

    def non_empty(self, name: str) -> int:
        return self.filled[name] if FIELDS[name].checked else self.records

    def per_month(self, calendar: str) -> dict[str, dict[str, int]]:
        table: dict[str, Counter] = defaultdict(Counter)
        for (source, gregorian, jalali), count in self.months.items():
            table[source][gregorian if calendar == "gregorian" else jalali] += count
        return {source: dict(sorted(table[source].items())) for source in sorted(table)}


def build_manifest(
    *,
    archive: Archive,
    command: str,
    bounds: dict[str, str | None],
    fmt: str,
    gzipped: bool,
    excel: bool = False,
    fields: tuple[str, ...],
    filters: ArticleFilter,
    tally: Tally,
    outputs: Outputs,
    sha256: str,
    size: int,
    generated: datetime,
    dedupe: str | None = None,
) -> dict[str, Any]:
    """Everything a reader needs to trust and use the data file, as JSON. ``command`` made
    the export; ``bounds`` are its ``since``/``until`` as given (``filters`` holds them in UTC);
    ``excel``: a CSV file written for Excel; ``dedupe``: ``story`` for one record per story."""
    coverage = tally.coverage()
    records = tally.records
    return {
        "name": split_name(outputs.data)[0],
        "data_file": {
            "file": outputs.data.name,
            "format": fmt,
            "compression": "gzip" if gzipped else ("zstd (inside Parquet)" if fmt == "parquet" else None),
            "encoding": None if fmt == "parquet" else ("utf-8 with BOM" if excel else "utf-8"),
            "layout": layout(fmt, excel=excel),
            "bytes": size,
            "sha256": sha256,
        },
        "datasheet": outputs.datasheet.name,
        "chart": outputs.chart.name,
        "records": records,
        "earlier_versions": tally.versions if "versions" in fields else None,
        "command": command,
        "filters": {
            "sources": list(filters.sources),
            "since": bounds.get("since"),
            "until": bounds.get("until"),
            "published_at_from": filters.since,
            "published_at_before": filters.until,
            "categories": list(filters.categories),
            "tags": list(filters.tags),
            "query": filters.query,
            "dedupe": dedupe,
        },
        "order": ["published_at", "url"],
        "generated_at": generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "newsarchive_version": __version__,
        "archive": {"file": archive.path.name, "schema_version": archive.schema_version()},
        "coverage": {
            "first_published_at": coverage and coverage[0][0],
            "last_published_at": coverage and coverage[1][0],
            "first_published_jalali": coverage and jalali_slashes(coverage[0][1]),
            "last_published_jalali": coverage and jalali_slashes(coverage[1][1]),
        },
        "per_source": {
            source: {
                "records": count,
                "first_published_at": tally.first[source][0],
                "last_published_at": tally.last[source][0],
                "first_published_jalali": jalali_slashes(tally.first[source][1]),
                "last_published_jalali": jalali_slashes(tally.last[source][1]),
                "site": tally.sites[source],
            }
            for source, count in tally.per_source().items()
        },
        "per_month": {
            "gregorian": tally.per_month("gregorian"),
            "jalali": tally.per_month("jalali"),
            "note": "Gregorian months of the UTC published_at; Jalali months of the Tehran published_jalali.",
        },
        "stories": (
            {**tally.stories.summary(), "threshold": archive.story_cutoff()}
            if tally.stories is not None
            else None
        ),
        "fields": [
            {
                "name": name,
                "type": FIELDS[name].type_in(fmt),
                "description": FIELDS[name].description,
                "non_empty": tally.non_empty(name),
            }
            for name in fields
        ],
        "normalization": {
            "summary": NORMALIZATION_SUMMARY,
            "normalize_docstring": inspect.cleandoc(normalize.__doc__ or ""),
        },
        "terms": {
            "note": TERMS,
            "sites": dict(sorted(tally.sites.items())),
        },
    }
