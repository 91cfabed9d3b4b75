"""The datasheet: the manifest of an export written for people, as Markdown.

What the data file is and how to check it, the selection, the sources with their
ranges and sites, articles per month in both calendars (with the chart), every field
with its type in this file's format and its fill, how the format writes lists, times,
booleans and missing values, how the text was normalized, and code that loads the file
with the types given: pandas and Hugging Face ``datasets`` for JSON
(:func:`datasets_loading_code`), pandas and the ``csv`` module for CSV
(:func:`csv_loading_code`), pandas and ``datasets`` for Parquet. It reads only the
manifest, so the two never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from newsarchive.export.fields import FIELDS, VERSION_KEYS, VERSION_TIMES

_HF_TIME = 'Value("timestamp[s, tz=UTC]")'
_FORMAT_NAMES = {"jsonl": "JSON Lines", "json": "JSON", "csv": "CSV", "parquet": "Parquet"}


def _hf_feature(name: str) -> str:
    """The ``datasets`` feature of a field, as Python source."""
    kind = FIELDS[name].kind
    if kind == "versions":
        version = ", ".join(
            f'"{key}": ' + (_HF_TIME if key in VERSION_TIMES else 'Value("string")') for key in VERSION_KEYS
        )
        return "[{" + version + "}]"
    return {
        "string": 'Value("string")',
        "time": _HF_TIME,
        "strings": '[Value("string")]',
        "int": 'Value("int64")',
        "bool": 'Value("bool")',
    }[kind]


def datasets_loading_code(fields: Iterable[str], data_file: str) -> str:
    """Python that loads a JSON export with Hugging Face ``datasets``, types given.

    Without ``features`` the JSON loader guesses each column's type from the first
    10 MB: a column empty there (``modified_at`` of old articles, say) and filled
    later makes loading fail, and UTC times become naive timestamps.
    """
    lines = [
        "import datasets",
        "from datasets import Features, Value",
        "",
        "# Types given, not guessed from the first 10 MB of the file (times are UTC instants).",
        "features = Features({",
        *(f'    "{name}": {_hf_feature(name)},' for name in fields),
        "})",
        f'ds = datasets.load_dataset("json", data_files="{data_file}", split="train", features=features)',
    ]
    return "\n".join(lines) + "\n"


#: The pandas dtype a CSV column is read as, by the kind of its field (the others are
#: JSON text, decoded by a converter, or times, converted after reading).
_PANDAS_DTYPES = {"string": "string", "int": "Int64", "bool": "boolean", "time": "string"}


def csv_loading_code(fields: Iterable[str], data_file: str, *, excel: bool = False) -> str:
    """Python that loads a CSV export with pandas, and reads it row by row with ``csv``.

    Nothing is guessed: every column's type is given (an id of 16 digits stays text), only
    an empty cell is missing (pandas would read a title "NA" or an author "None" as
    missing), JSON array cells are decoded, times become UTC timestamps.
    """
    names = list(fields)
    kinds = {name: FIELDS[name].kind for name in names}
    dtypes = {name: _PANDAS_DTYPES[kind] for name, kind in kinds.items() if kind in _PANDAS_DTYPES}
    decoded = [name for name, kind in kinds.items() if kind in ("strings", "versions")]
    times = [name for name, kind in kinds.items() if kind == "time"]
    encoding = "utf-8-sig" if excel else "utf-8"
    gzipped = data_file.endswith(".gz")
    lines = [
        "import csv",
        *(["import gzip"] if gzipped else []),
        "import json",
        "",
        "import pandas as pd",
        "",
        "df = pd.read_csv(",
        f'    "{data_file}",',
        f'    encoding="{encoding}",',
        "    dtype={  # given, not guessed: an id of digits stays text",
        *(f'        "{name}": "{dtype}",' for name, dtype in dtypes.items()),
        "    },",
        '    keep_default_na=False,  # only an empty cell is missing: a title "NA" stays text',
        '    na_values=[""],',
        "    converters={" + ", ".join(f'"{name}": json.loads' for name in decoded) + "},  # JSON arrays",
        ")",
    ]
    if times:
        lines += [
            f"for column in {json.dumps(times)}:",
            '    df[column] = pd.to_datetime(df[column], utc=True, format="ISO8601")',
        ]
    lines += [
        "",
        "# Or row by row, without pandas: every cell is a str.",
        f'with {"gzip.open" if gzipped else "open"}("{data_file}", "rt", newline="", encoding="{encoding}") as file:',
        "    rows = list(csv.DictReader(file))",
    ]
    if decoded:
        lines.append(f'{decoded[0]} = json.loads(rows[0]["{decoded[0]}"]) if rows else []  # a list')
    return "\n".join(lines) + "\n"


def _md(text: Any) -> str:
    """A value for a Markdown table cell."""
    return str("—" if text is None else text).replace("|", "\\|").replace("\n", " ")


def _month_table(per_month: dict[str, dict[str, int]], label: str) -> list[str]:
    sources = sorted(per_month)
    months = sorted({month for counts in per_month.values() for month in counts})
    if not months:
        return ["(no articles)"]
    lines = [
        f"| {label} | " + " | ".join(map(_md, sources)) + " | total |",
        "|---|" + "---:|" * (len(sources) + 1),
    ]
    for month in months:
        counts = [per_month[source].get(month, 0) for source in sources]
        lines.append(f"| {month} | " + " | ".join(str(c) for c in counts) + f" | {sum(counts)} |")
    return lines


def _story_section(stories: dict[str, Any] | None, dedupe: str | None) -> list[str]:
    """The datasheet's *Stories* section: originals and copies per source and month."""
    if stories is None:
        return []
    lines = [
        "## Stories",
        "",
        stories["note"],
        "",
        f"{stories['stories']:,} stories, {stories['stories_with_copies']:,} of them with copies: "
        f"{stories['originals']:,} records are originals (their story's first publication), "
        f"{stories['copies']:,} copies. Articles are one story from a similarity of {stories['threshold']} "
        "on (`newsarchive stories --threshold X` regroups the archive at another).",
        "",
    ]
    if dedupe == "story":
        lines += [
            "One record per story (`--dedupe story`): the earliest of the story's articles the "
            "selection holds, with `story_size` (the story's articles in the archive) and `story_urls` "
            "(the others' URLs, the first publication first). A copy below is a record whose story was "
            "first published by an article outside the selection.",
            "",
        ]
    per_month = stories["per_month"]
    sources = sorted(per_month)
    months = sorted({month for counts in per_month.values() for month in counts})
    if not months:
        return [*lines, "(no articles)", ""]
    lines += [
        "Originals / copies per Gregorian month (UTC `published_at`) and source:",
        "",
        "| month | " + " | ".join(map(_md, sources)) + " | total |",
        "|---|" + "---:|" * (len(sources) + 1),
    ]
    for month in months:
        cells = [per_month[source].get(month, {"originals": 0, "copies": 0}) for source in sources]
        originals = sum(cell["originals"] for cell in cells)
        copies = sum(cell["copies"] for cell in cells)
        lines.append(
            f"| {month} | "
            + " | ".join(f"{cell['originals']} / {cell['copies']}" for cell in cells)
            + f" | {originals} / {copies} |"
        )
    return [*lines, ""]


def _selection(filters: dict[str, Any]) -> str:
    """The filters of an export in words."""
    parts = []
    if filters["sources"]:
        parts.append("sources " + ", ".join(filters["sources"]))
    if filters["since"] or filters["until"]:
        bounds = [
            f"from {filters['since']} ({filters['published_at_from']})" if filters["since"] else "",
            f"up to {filters['until']} (before {filters['published_at_before']})" if filters["until"] else "",
        ]
        parts.append("published " + " ".join(b for b in bounds if b))
    for label in ("categories", "tags"):
        if filters[label]:
            parts.append(f"{label} (any of) " + ", ".join(filters[label]))
    if filters["query"]:
        parts.append(f"matching the search {filters['query']!r}")
    selection = "; ".join(parts) or "the whole archive"
    return selection + ("; one record per story" if filters.get("dedupe") == "story" else "")


def datasheet(manifest: dict[str, Any]) -> str:
    """The human-readable datasheet (Markdown) for a manifest."""
    data = manifest["data_file"]
    coverage = manifest["coverage"]
    name = manifest["name"]
    lines = [
        f"# Dataset `{name}`",
        "",
        f"{manifest['records']:,} Persian tech-news articles from "
        f"{', '.join(manifest['per_source']) or 'no source'}, exported from a newsarchive archive.",
        "",
        "| | |",
        "|---|---|",
        f"| data file | `{data['file']}` ({data['format']}"
        + (f", {data['encoding']}" if data["encoding"] else "")
        + (f", {data['compression']}" if data["compression"] else "")
        + f", {data['bytes']:,} bytes) |",
        f"| SHA-256 | `{data['sha256']}` |",
        f"| records | {manifest['records']:,} |",
        f"| selection | {_md(_selection(manifest['filters']))} |",
    ]
    if manifest["earlier_versions"] is not None:
        lines.append(f"| earlier versions | {manifest['earlier_versions']:,} (in `versions`) |")
    lines += [
        f"| published (UTC) | {_md(coverage['first_published_at'])} … {_md(coverage['last_published_at'])} |",
        f"| published (Jalali, Tehran) | {_md(coverage['first_published_jalali'])} … "
        f"{_md(coverage['last_published_jalali'])} |",
        f"| order | {', then '.join(manifest['order'])} |",
        f"| made by | `{manifest['command']}` |",
        f"| generated | {manifest['generated_at']} by newsarchive {manifest['newsarchive_version']} |",
        f"| archive | `{manifest['archive']['file']}`, schema version {manifest['archive']['schema_version']} |",
        "",
        "Check the file: `sha256sum " + data["file"] + "` must print the SHA-256 above.",
        "",
        "## Sources",
        "",
        "| source | records | first published (UTC) | last published (UTC) | Jalali range | site |",
        "|---|---:|---|---|---|---|",
    ]
    for source, entry in manifest["per_source"].items():
        lines.append(
            f"| {_md(source)} | {entry['records']:,} | {entry['first_published_at']} | {entry['last_published_at']} "
            f"| {_md(entry['first_published_jalali'])} … {_md(entry['last_published_jalali'])} "
            f"| {entry['site'] or '—'} |"
        )
    lines += [
        "",
        "## Articles per month",
        "",
        f"![Articles per month per source]({manifest['chart']})",
        "",
        "One lane per source; a shaded month inside a source's range had no articles (a gap in coverage).",
        "",
        "Gregorian months (of the UTC `published_at`):",
        "",
        *_month_table(manifest["per_month"]["gregorian"], "month"),
        "",
        "Jalali months (of the Tehran `published_jalali`):",
        "",
        *_month_table(manifest["per_month"]["jalali"], "ماه (month)"),
        "",
        *_story_section(manifest.get("stories"), manifest["filters"].get("dedupe")),
        "## Fields",
        "",
        f"Types as this {_FORMAT_NAMES[data['format']]} file writes them (see *The file* below).",
        "",
        "| field | type | non-empty | description |",
        "|---|---|---:|---|",
    ]
    for item in manifest["fields"]:
        lines.append(
            f"| `{item['name']}` | {item['type']} | {item['non_empty']:,} | {_md(item['description'])} |"
        )
    docstring = manifest["normalization"]["normalize_docstring"]
    lines += [
        "",
        "## The file",
        "",
        *(f"- {note}" for note in data["layout"]),
        "",
        "## Text",
        "",
        manifest["normalization"]["summary"],
        "",
        "From `newsarchive.persian.normalize`:",
        "",
        *(f"> {line}".rstrip() for line in docstring.splitlines()),
        "",
        "## Loading",
        "",
        "```python",
    ]
    names = [item["name"] for item in manifest["fields"]]
    if data["format"] == "parquet":
        lines += [
            "import pandas as pd",
            f'df = pd.read_parquet("{data["file"]}")  # times: datetime64[ms, UTC]; lists: arrays of str',
            "",
            "import datasets",
            f'ds = datasets.load_dataset("parquet", data_files="{data["file"]}", split="train")',
        ]
    elif data["format"] == "csv":
        lines += csv_loading_code(
            names, data["file"], excel=data["encoding"] == "utf-8 with BOM"
        ).splitlines()
    else:
        lines += [
            "import pandas as pd",
            f'df = pd.read_json("{data["file"]}"'
            + (", lines=True" if data["format"] == "jsonl" else "")
            + ", dtype=False)  # dtype=False: every value as written",
            "",
            *datasets_loading_code(names, data["file"]).splitlines(),
        ]
    lines += [
        "```",
        "",
        "## Terms",
        "",
        manifest["terms"]["note"],
        "",
        *(f"- {source}: {site or '(site unknown)'}" for source, site in manifest["terms"]["sites"].items()),
        "",
    ]
    return "\n".join(lines)
