"""A proposed site entry from what a probe found, and how well the generic layers read it.

:func:`propose` turns :class:`~newsarchive.siteprobe.spider.Findings` into a
:class:`Proposal`: the CMS family (:mod:`.fingerprints`), ``article_paths`` inferred from the
article URLs found and checked against the listings seen (:mod:`.patterns`), the feeds and
sitemaps that answered, and the field coverage of the sampled pages: the project's own
extraction (:func:`newsarchive.page.article_fields`) run on each with a :class:`Site` built
from the proposal and no selectors, so the table shows which generic layer gave each field.
When WordPress's REST API answered, the posts it gave are read the way the WordPress profile
reads them (:func:`newsarchive.cms.wordpress.post_fields`) for a second table.

A site that gives nothing to propose raises :class:`ProbeError` with the reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from newsarchive.cms.wordpress import post_fields
from newsarchive.page import article_fields
from newsarchive.siteprobe.entry import load_entry, render_entry
from newsarchive.siteprobe.fingerprints import Family, cms_family
from newsarchive.siteprobe.patterns import PatternCheck, infer_article_paths, pattern_check
from newsarchive.siteprobe.spider import MIN_BODY, Findings
from newsarchive.sites.base import Site
from newsarchive.sites.loader import SiteConfigError

#: The fields of the coverage table, in the order shown (``published``/``modified``: dates).
COVERAGE_FIELDS = (
    "title",
    "published",
    "body",
    "lead",
    "authors",
    "categories",
    "tags",
    "image_url",
    "modified",
)


#: The article path of WordPress's ``/%postname%/`` permalinks: every one-segment path.
ANY_ONE_SEGMENT = "^/[^/]+/?$"


class ProbeError(Exception):
    """The site gave nothing to propose an entry from: no answer, no HTML, no article."""


@dataclass(frozen=True)
class Coverage:
    """One field on the pages read: on how many it was found, and which layer gave it how often."""

    field: str
    found: int
    pages: int
    layers: dict[str, int]

    def record(self) -> dict[str, Any]:
        return {"found": self.found, "pages": self.pages, "layers": self.layers}


@dataclass
class Proposal:
    """A site entry for ``sites.toml`` and the evidence behind it."""

    name: str
    base_url: str
    family: Family
    article_paths: list[str]
    check: PatternCheck
    feeds: list[str]
    sitemaps: list[str]
    coverage: list[Coverage]
    rest_coverage: list[Coverage] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Whether the entry names the family (``cms``): only one this installation knows.
    cms: bool = True
    #: The entry as the crawl loads it (the family's defaults merged); set by :func:`propose`.
    site: Site | None = None

    def record(self) -> dict[str, Any]:
        """The proposal as one flat JSON record (``--json``)."""
        return {
            "name": self.name,
            "base_url": self.base_url,
            "cms": self.family.name if self.cms else "",
            "cms_family_detected": self.family.name,
            "cms_evidence": list(self.family.evidence),
            "article_paths": self.article_paths,
            "feeds": self.feeds,
            "sitemaps": self.sitemaps,
            "article_urls_matched": self.check.articles_matched,
            "article_urls_seen": self.check.articles_seen,
            "listing_urls_matched": list(self.check.listings_matched),
            "listing_urls_seen": self.check.listings_seen,
            "samples": self.samples,
            "coverage": {row.field: row.record() for row in self.coverage},
            "rest_coverage": {row.field: row.record() for row in self.rest_coverage},
            "notes": self.notes,
        }


def relative(url: str) -> str:
    """A URL of the site as the path (and query) a site entry gives it."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def coverage(records: Iterable[Mapping[str, Any]]) -> list[Coverage]:
    """Per field of :data:`COVERAGE_FIELDS`, how many of the item field dicts ``records`` have it
    and from which layer (``field_sources``; a date: the layer of its first candidate)."""
    rows = list(records)
    table = []
    for name in COVERAGE_FIELDS:
        layers: Counter[str] = Counter()
        for record in rows:
            if name in ("published", "modified"):
                candidates = record.get(f"{name}_candidates") or []
                layer = (
                    candidates[0][0] if candidates else ("site" if record.get(f"{name}_display") else None)
                )
            else:
                layer = record["field_sources"].get(name) if record.get(name) else None
            if layer:
                layers[layer] += 1
        table.append(Coverage(name, sum(layers.values()), len(rows), dict(layers.most_common())))
    return table


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _require_answers(findings: Findings) -> None:
    if not findings.answered:
        raise ProbeError(
            f"no answer from {findings.home_url} ({findings.home_problem or 'nothing answered'})"
        )
    home = findings.home_problem or ""
    if findings.home_html is None and home.startswith("not HTML") and not findings.samples:
        raise ProbeError(f"{findings.home_url} is {findings.home_problem}, and no HTML page was found")


def _not_article_like(findings: Findings) -> ProbeError:
    found = len(findings.candidates)
    sources = ", ".join(sorted(set(findings.candidates.values()))) or "no feed, sitemap or REST API"
    sampled = len(findings.samples) + len(findings.failed)
    return ProbeError(
        f"nothing article-like found at {findings.home_url}: {found} candidate URLs ({sources}), "
        f"{sampled} pages sampled, none read as an article (a title, a date and a body of text)"
    )


def propose(findings: Findings, name: str) -> Proposal:
    """The entry to propose for the probed site, named ``name``. Raises :class:`ProbeError`."""
    _require_answers(findings)
    articles = [sample for sample in findings.samples if sample.article][: findings.sample_size]
    if not articles:
        raise _not_article_like(findings)
    not_articles = {sample.url for sample in findings.samples if not sample.article}
    article_urls = [url for url in findings.candidates if url not in not_articles]
    article_urls += [sample.url for sample in articles]
    listing_urls = list(findings.listings)
    patterns = infer_article_paths(article_urls, [*listing_urls, *not_articles])
    pages = [html for html in (findings.home_html, *(sample.html for sample in findings.samples)) if html]
    family = cms_family(pages, wordpress_rest=bool(findings.rest_posts))
    proposal = Proposal(
        name=name,
        base_url=findings.base_url,
        family=family,
        article_paths=patterns,
        check=pattern_check(patterns, article_urls, listing_urls),
        feeds=list(dict.fromkeys(relative(url) for url in findings.feeds)),
        sitemaps=list(dict.fromkeys(relative(url) for url in findings.sitemaps)),
        coverage=[],
        samples=[sample.url for sample in articles],
    )
    site = proposal.site = _site(proposal)
    fetched_at = _now()
    read = [article_fields(site, sample.html, sample.url, fetched_at) for sample in articles]
    proposal.coverage = coverage(record for record in read if record is not None)
    if findings.rest_posts:
        posts = (post_fields(site, post, fetched_at) for post in findings.rest_posts[: len(articles)])
        proposal.rest_coverage = coverage(record for record in posts if record is not None)
    proposal.notes += _notes(findings, proposal)
    return proposal


def _site(proposal: Proposal) -> Site:
    """The proposal's entry as the crawl will load it (a CMS family's defaults merged). A family
    this installation knows neither a profile nor defaults for is left out of the entry
    (``proposal.cms`` false), and said so."""
    try:
        return load_entry(render_entry(proposal), proposal.name)
    except SiteConfigError as error:
        if not error.key.endswith(".cms"):
            raise
    proposal.cms = False
    proposal.notes.append(
        f"CMS family {proposal.family.name} recognised, but this newsarchive has no profile or defaults "
        "for it: the entry names none"
    )
    return load_entry(render_entry(proposal, cms=False), proposal.name)


def _notes(findings: Findings, proposal: Proposal) -> list[str]:
    """What a reader of the proposal should know: what did not answer, what the patterns miss."""
    notes = []
    if findings.home_problem:
        notes.append(f"the home page {findings.home_url} gave nothing: {findings.home_problem}")
    if not proposal.family.name:
        notes.append("no CMS family recognised: the site is crawled through its sitemaps, feeds and pages")
    if not proposal.feeds:
        notes.append("no feed answered")
    if not proposal.sitemaps:
        notes.append("no sitemap answered")
    elif not findings.robots_sitemaps:
        notes.append("robots.txt names no sitemap: sitemap_fallbacks names those found")
    check = proposal.check
    if ANY_ONE_SEGMENT in proposal.article_paths:
        notes.append(
            "article_paths take any one-segment path (/<slug>/) as an article: add not_article_paths "
            "for the site's other pages (/about/, /contact/, …)"
        )
    if check.articles_matched < check.articles_seen:
        notes.append(
            f"article_paths match {check.articles_matched} of the {check.articles_seen} article URLs seen"
        )
    if check.listings_matched:
        shown = ", ".join(check.listings_matched[:3])
        notes.append(f"article_paths also match {len(check.listings_matched)} listing URLs seen: {shown}")
    unread = [sample.url for sample in findings.samples if not sample.article]
    if unread:
        notes.append(
            f"{len(unread)} sampled pages did not read as articles with the generic layers "
            f"(a title, a date and {MIN_BODY}+ characters of body): {', '.join(unread[:3])}"
        )
    for url, why in list(findings.failed.items())[:5]:
        notes.append(f"sample {url} failed: {why}")
    return notes
