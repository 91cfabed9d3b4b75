"""Lexbor (selectolax) against lxml as the page parser: parse time and what the extraction asks.

    python -m bench parsers [--quick]

The crawl parses every article page once with lxml (:func:`newsarchive.extract.tree.html_selector`)
and the extraction layers walk that tree. Lexbor, through selectolax, parses HTML faster; this
measures by how much on the same pages, and how much of what the extraction uses it offers:
the site files' CSS selectors (without parsel's ``::text``/``::attr()``, which selectolax
spells as methods) and the lxml tree operations the extraction code calls (XPath, parents,
tails). Needs the ``bench`` extra (selectolax); without it the module says so and measures
nothing.
"""

from __future__ import annotations

import dataclasses
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import row  # noqa: E402
from bench.bench_extraction import generated_pages  # noqa: E402
from newsarchive.extract.tree import html_selector  # noqa: E402
from newsarchive.sites import SITES  # noqa: E402

#: parsel's pseudo-elements, which selectolax replaces with ``.text()`` and ``.attributes``.
_PSEUDO = re.compile(r"::(text|attr\([^)]*\))")
#: lxml tree operations the extraction code calls, by the text that calls them.
_LXML_CALLS = {
    "XPath": re.compile(r"\.xpath\(|etree\.XPath\("),
    "getparent": re.compile(r"\.getparent\(\)"),
    "tail": re.compile(r"\.tail\b"),
    "itertext/iter": re.compile(r"\.iter(text)?\("),
}


def site_selectors() -> list[str]:
    found = []
    for site in SITES.values():
        for field in dataclasses.fields(site.selectors):
            found += getattr(site.selectors, field.name)
    return sorted(set(found))


def lxml_calls() -> dict[str, int]:
    text = "\n".join(path.read_text("utf-8") for path in (ROOT / "newsarchive" / "extract").glob("*.py"))
    return {name: len(pattern.findall(text)) for name, pattern in _LXML_CALLS.items()}


def time_per_page(parse, texts: list[str], rounds: int) -> float:
    """Median milliseconds per page over ``rounds`` passes."""
    passes = []
    for _ in range(rounds):
        started = time.perf_counter()
        for text in texts:
            parse(text)
        passes.append((time.perf_counter() - started) / len(texts) * 1e3)
    return statistics.median(passes)


def run(quick: bool = False) -> list[dict]:
    try:
        from selectolax.lexbor import LexborHTMLParser
    except ImportError as error:
        raise RuntimeError(f"selectolax unavailable ({error}): pip install -e '.[bench]'") from error
    mirror = [
        path.read_text("utf-8", errors="replace")
        for path in sorted((ROOT / "tests" / "mirror").rglob("*"))
        if path.is_file() and "<html" in path.read_text("utf-8", errors="replace")[:3000].lower()
    ]
    generated = [page["html"].decode("utf-8") for page in generated_pages(40 if quick else 200)]
    rounds = 3 if quick else 7
    rows = []
    for name, texts in (("mirror", mirror), ("generated", generated)):
        ours = time_per_page(html_selector, texts, rounds)
        lexbor = time_per_page(LexborHTMLParser, texts, rounds)
        size = statistics.mean(len(text.encode("utf-8")) for text in texts) / 1024
        rows.append(
            row(
                "parsers",
                f"Lexbor parse, {name} pages",
                lexbor,
                "ms",
                baseline="lxml parse as the crawl does it (html_selector)",
                baseline_value=ours,
                ratio=ours / lexbor if lexbor else None,
                target="none (an evaluation: would a switch pay?)",
                met=None,
                runs=rounds,
                note=f"{len(texts)} pages (~{size:.0f} KiB); median per page; ratio = lxml / Lexbor",
            )
        )
    probe = LexborHTMLParser("<html><body></body></html>")
    selectors = site_selectors()
    refused = []
    for css in selectors:
        try:
            probe.css(_PSEUDO.sub("", css) or "*")
        except Exception as error:  # selectolax raises its own types for unsupported syntax
            refused.append(f"{css} ({type(error).__name__})")
    calls = lxml_calls()
    rows.append(
        row(
            "parsers",
            "site selectors Lexbor's CSS accepts",
            (len(selectors) - len(refused)) / len(selectors),
            "share",
            target="none",
            met=None,
            note=(
                f"{len(selectors) - len(refused)} of {len(selectors)} distinct selectors of the site files"
                + (f"; refused: {', '.join(refused[:8])}" if refused else "")
                + "; a switch would also rewrite the lxml tree operations the extraction code calls "
                "against selectolax's node API (no XPath; text as nodes of their own, no tails): "
                + ", ".join(f"{name} {count}x" for name, count in calls.items())
            ),
        )
    )
    return rows
