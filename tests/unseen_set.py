"""Loader for the "unseen pages" test set (``tests/unseen/``).

The set holds article pages in layouts the site entries were not written for
(older and newer themes, AMP, print views, Next.js, widgets moved into the body)
and pages of other Persian news sites, each with hand-written expected values in
``tests/unseen/expected.json``.  The pages were built from public evidence of each
site's markup, independently of the extraction code; ``tests/unseen/README.md``
lists the evidence and the junk each page carries.

This module only loads the cases; it defines no tests.  Importable from tests
(``from unseen_set import load_unseen``, the tests folder is on ``sys.path``) and
from ``bench/`` (``from tests.unseen_set import load_unseen`` with the project root
on ``sys.path``).

Expected values (see the README for the full list of keys):

* ``title``, ``lead``, ``authors``, ``categories``, ``tags`` and ``body_paragraphs``
  are in the archive's display form: Arabic yeh/kaf become Persian ی/ک, tatweel
  is dropped and whitespace runs collapse to one space; ZWNJ, digits (Persian or
  Latin, as written) and Latin tokens are kept exactly.  Compare after applying
  the same display normalization to the extracted value.
* ``published_utc`` is ``YYYY-MM-DDTHH:MM:SSZ`` (Tehran time converted with the
  real DST history), or null when the page only gives a day; then
  ``published_date`` holds the Gregorian day and ``published_precision`` is
  ``"day"``.
* ``site`` names the project's site entry for the seven known sites, else null.
* ``tags`` is null when the page shows no tags; ``lead`` and ``image_url`` are
  null when the page has none.
* ``noise`` lists strings found on the page that must not appear in the body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

#: The folder with the pages (``<host>/<name>.html``) and ``expected.json``.
UNSEEN_DIR = Path(__file__).resolve().parent / "unseen"
EXPECTED_PATH = UNSEEN_DIR / "expected.json"


@dataclass(frozen=True)
class Case:
    """One unseen page: its HTML text, where it lives, and its expected values."""

    path: Path
    html: str
    expected: dict = field(repr=False)

    @property
    def name(self) -> str:
        """The page's path relative to ``tests/unseen`` (``host/name.html``): a stable test id."""
        return self.expected["file"]

    @property
    def url(self) -> str:
        """The article's canonical URL (the address to pretend the page was fetched from)."""
        return self.expected["url"]

    @property
    def fetched_url(self) -> str:
        """The URL the page itself lives at: the AMP/print address when there is one, else ``url``."""
        return self.expected.get("fetched_url") or self.expected["url"]

    @property
    def site(self) -> str | None:
        """The project's site name for the seven known sites, else None."""
        return self.expected["site"]

    @property
    def body(self) -> bytes:
        """The page as UTF-8 bytes (what a crawler would receive)."""
        return self.html.encode("utf-8")


def load_expected() -> list[dict]:
    """The expected records, in file order of ``expected.json``."""
    return json.loads(EXPECTED_PATH.read_text(encoding="utf-8"))


def load_unseen(site: str | None = None, *, known_sites_only: bool = False) -> list[Case]:
    """Every unseen page with its expected values.

    ``site`` keeps only the pages of that site entry; ``known_sites_only`` keeps
    the pages of the seven project sites (``site`` not null).
    """
    cases = []
    for record in load_expected():
        if site is not None and record["site"] != site:
            continue
        if known_sites_only and record["site"] is None:
            continue
        path = UNSEEN_DIR / record["file"]
        cases.append(Case(path=path, html=path.read_text(encoding="utf-8"), expected=record))
    return cases


#: When the pages are taken to be fetched (relative dates and "today" lines are read against it).
FETCHED_AT = "2026-12-03T08:00:00Z"


def extract_case(case: Case) -> dict:
    """The record a crawl would store for the page (its module's layers for the seven sites,
    the generic layers only for the others), or ``{"dropped": reason}``: layered extraction,
    then the validation, normalization and date pipelines, without Scrapy."""
    from parsel import Selector

    from newsarchive.extract import extract_article
    from newsarchive.pipelines import DatePipeline, DropArticle, NormalizationPipeline, ValidationPipeline
    from newsarchive.sites import SITES

    raw = extract_article(Selector(text=case.html), case.fetched_url, SITES[case.site] if case.site else None)
    item = {**raw, "url": case.url, "source": case.site or "unseen", "fetched_at": FETCHED_AT}
    try:
        for pipeline in (ValidationPipeline(), NormalizationPipeline(), DatePipeline()):
            pipeline.process_item(item)
    except DropArticle as drop:
        return {"dropped": drop.reason}
    return item


__all__ = [
    "EXPECTED_PATH",
    "FETCHED_AT",
    "UNSEEN_DIR",
    "Case",
    "extract_case",
    "load_expected",
    "load_unseen",
]
