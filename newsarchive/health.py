"""Crawl health: is the end of this run a quiet day or a broken crawler?

An unattended hourly crawl that silently stores nothing looks exactly like a
day without news. So at the end of every finished run :func:`check_health`
compares the run's numbers (from :func:`newsarchive.extensions.run_summary`
and the crawl stats) with thresholds, and each miss is a *problem*. A run
with problems is recorded ``degraded``, logged at ERROR with the numbers, and
the crawl exits with :data:`~newsarchive.outcomes.EXIT_DEGRADED`, so cron mail or a failed systemd
unit shows it. This is how a site redesign is noticed on the first run after it.

The checks (settings, override with ``-s NAME=VALUE``; dicts as JSON):

* ``NEWSARCHIVE_HEALTH_MIN_COVERAGE`` (default :data:`DEFAULT_MIN_COVERAGE`):
  the least share of the run's articles (stored, updated and unchanged) that
  must have each field; a value given with ``-s`` changes only the fields it names.
* ``NEWSARCHIVE_HEALTH_MAX_EXTRACTION_DROPS`` (0.05): the largest share of
  article pages dropped for extraction reasons (:data:`EXTRACTION_REASONS`).
* ``NEWSARCHIVE_HEALTH_MIN_SAMPLE`` (5): both shares above are judged only
  when the run saw at least this many article pages (kept + dropped for
  extraction). An hourly run that fetched two articles, one without a lead,
  says nothing about the site; a share of one or two pages would cry wolf.
* Any ``blocked`` response (a challenge page) is a problem, whatever the sample:
  a site that blocks us must never look like a quiet day.
* Discovery that reached its bounds (``sitemap-depth``, ``sitemap-limit``) and URLs
  refused as unsafe (``unsafe-url``: local or private addresses, other schemes) are
  problems whatever the sample: both mean the site is not what it was.
* Articles listed as new by a sitemap or feed (``newsarchive/fetch/new``) but
  none kept (new, updated or unchanged) is a problem, whatever the sample,
  unless every one of them answered 404/410 and they were fewer than the sample
  (an article deleted after it was listed is not a broken crawler).
* ``NEWSARCHIVE_HEALTH_MAX_ERRORS`` (0): the most ERROR lines the run may log (Scrapy's
  ``log_count/ERROR``; an exception raised in a spider callback, ``spider_exceptions/<type>``,
  is one of them). The crawler logs at ERROR only what someone must look at, so by default
  any is a problem, whatever the sample.
* ``NEWSARCHIVE_HEALTH_MAX_FAILED_REQUESTS`` (0.2): the largest share of the run's requests
  whose download failed for good, retries spent (timeouts, cut connections:
  :data:`DOWNLOAD_ERROR_REASONS`), judged from :data:`FEWEST_FAILED_REQUESTS` such failures
  on, whatever the sample: a site that cannot be reached is not a quiet day either.
* ``NEWSARCHIVE_HEALTH_MAX_VALIDATION_ERRORS`` (0): with item validation on
  (``NEWSARCHIVE_ITEM_VALIDATION``, :mod:`newsarchive.monitors.validation`), the most
  schema errors Spidermon's ``ItemValidationPipeline`` may count (``spidermon/validation/fields/errors``).

How a run ended (a time limit, ``closespider_*``, a shutdown) is judged by the run extension
(:mod:`newsarchive.extensions`): such a run is ``failed``, not degraded.

Everything here is pure: numbers in, problems out, no Scrapy needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

# Exit codes are named in newsarchive.outcomes; the tests still import them from here.
from newsarchive.outcomes import (  # noqa: F401
    ARTICLE_OUTCOMES,
    EXIT_ARCHIVE,
    EXIT_BUSY,
    EXIT_CODE,
    EXIT_DEGRADED,
    EXIT_FAILED,
    EXIT_OK,
    FETCH_NEW,
    Drop,
    archive_exit_code,
    stats_under,
)

if TYPE_CHECKING:  # the checks themselves need no Scrapy: only its settings' type is named
    from scrapy.settings import BaseSettings

DEFAULT_MIN_COVERAGE = {"title": 1.0, "body": 0.95, "published": 1.0}
DEFAULT_MAX_EXTRACTION_DROPS = 0.05
DEFAULT_MIN_SAMPLE = 5
DEFAULT_MAX_ERRORS = 0
DEFAULT_MAX_FAILED_REQUESTS = 0.2
DEFAULT_MAX_VALIDATION_ERRORS = 0
#: Fewer requests failed for good than this are a network hiccup, whatever their share.
FEWEST_FAILED_REQUESTS = 2
#: Drop reasons that mean "an article page, but the extraction found too little".
EXTRACTION_REASONS = (Drop.NO_TITLE, Drop.NO_BODY, Drop.NO_DATE)
#: Drop reasons that mean "discovery reached a bound" (see NewsSpider._within_discovery_limits).
LIMIT_REASONS = (Drop.SITEMAP_DEPTH, Drop.SITEMAP_LIMIT)
#: Drop reasons of a request whose download raised, every retry too (an HTTP answer is no such error).
DOWNLOAD_ERROR_REASONS = (Drop.TIMEOUT, Drop.DATA_LOSS, Drop.CONNECTION_LOST, Drop.FETCH_ERROR)
#: Scrapy's stats: ERROR lines logged while the spider ran, callback exceptions by type, retries made.
LOG_ERRORS = "log_count/ERROR"
SPIDER_EXCEPTIONS = "spider_exceptions/"
RETRIES = "retry/count"
#: Spidermon's item validation stats: items validated, items with errors, schema errors
#: (``.../fields/errors/<error>/<field>`` one by one).
VALIDATED_ITEMS = "spidermon/validation/items"
INVALID_ITEMS = "spidermon/validation/items/errors"
VALIDATION_ERRORS = "spidermon/validation/fields/errors"


@dataclass(frozen=True)
class Thresholds:
    min_coverage: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MIN_COVERAGE))
    max_extraction_drops: float = DEFAULT_MAX_EXTRACTION_DROPS
    min_sample: int = DEFAULT_MIN_SAMPLE
    max_errors: int = DEFAULT_MAX_ERRORS
    max_failed_requests: float = DEFAULT_MAX_FAILED_REQUESTS
    max_validation_errors: int = DEFAULT_MAX_VALIDATION_ERRORS

    @classmethod
    def from_settings(cls, settings: BaseSettings, fields: tuple[str, ...] = ()) -> Thresholds:
        """From Scrapy settings; ``-s NEWSARCHIVE_HEALTH_MIN_COVERAGE='{"body": 0.9}'`` is JSON
        and changes only the fields it names (``0`` switches a field's check off).

        A coverage field not in ``fields`` (when given) is an error: a typo must not
        switch a check off without a word.
        """
        coverage = settings.get("NEWSARCHIVE_HEALTH_MIN_COVERAGE")
        if isinstance(coverage, str):
            coverage = json.loads(coverage)
        unknown = sorted(set(coverage or ()) - set(fields)) if fields else []
        if unknown:
            raise ValueError(
                f"NEWSARCHIVE_HEALTH_MIN_COVERAGE: unknown field(s) {unknown}; known: {list(fields)}"
            )
        return cls(
            min_coverage={k: float(v) for k, v in {**DEFAULT_MIN_COVERAGE, **(coverage or {})}.items()},
            max_extraction_drops=settings.getfloat(
                "NEWSARCHIVE_HEALTH_MAX_EXTRACTION_DROPS", DEFAULT_MAX_EXTRACTION_DROPS
            ),
            min_sample=settings.getint("NEWSARCHIVE_HEALTH_MIN_SAMPLE", DEFAULT_MIN_SAMPLE),
            max_errors=settings.getint("NEWSARCHIVE_HEALTH_MAX_ERRORS", DEFAULT_MAX_ERRORS),
            max_failed_requests=settings.getfloat(
                "NEWSARCHIVE_HEALTH_MAX_FAILED_REQUESTS", DEFAULT_MAX_FAILED_REQUESTS
            ),
            max_validation_errors=settings.getint(
                "NEWSARCHIVE_HEALTH_MAX_VALIDATION_ERRORS", DEFAULT_MAX_VALIDATION_ERRORS
            ),
        )


def problem(check: str, message: str, **numbers: Any) -> dict[str, Any]:
    """One failed check: a name to filter on, a sentence for people, and its numbers."""
    return {"check": check, "message": message, **numbers}


def check_health(
    site: str, summary: dict[str, Any], stats: dict[str, Any], thresholds: Thresholds | None = None
) -> list[dict[str, Any]]:
    """The problems of a finished run of ``site``; an empty list is a healthy run.

    ``summary`` is :func:`newsarchive.extensions.run_summary` of ``stats``.
    """
    thresholds = thresholds or Thresholds()
    problems = []
    dropped = summary.get("dropped") or {}
    kept = sum(summary.get(f"articles_{o}", 0) for o in ARTICLE_OUTCOMES)
    requests = summary.get("requests", 0)

    blocked = dropped.get(Drop.BLOCKED, 0)
    if blocked:
        problems.append(
            problem(
                "blocked",
                f"site {site} blocked {blocked} of {requests} requests — this is not a quiet day",
                blocked=blocked,
                requests=requests,
            )
        )

    limits = {reason: dropped[reason] for reason in LIMIT_REASONS if dropped.get(reason)}
    if limits:
        problems.append(
            problem(
                "discovery-limit",
                f"{site}: discovery stopped at its limits ({counts_text(limits)}); articles listed "
                "beyond them were not fetched (NEWSARCHIVE_MAX_SITEMAPS, NEWSARCHIVE_MAX_SITEMAP_DEPTH)",
                **limits,
            )
        )
    unsafe = dropped.get(Drop.UNSAFE_URL, 0)
    if unsafe:
        problems.append(
            problem(
                "unsafe-urls",
                f"{site}: {unsafe} URL(s) named by the site pointed at local, private or non-web "
                "addresses and were refused (see SECURITY.md)",
                unsafe=unsafe,
            )
        )

    listed = stats.get(FETCH_NEW, 0)
    gone = dropped.get(Drop.GONE, 0)
    # New items that answered 404/410 were deleted, not missed: one such is no alarm,
    # but a whole sample of them (new URLs that all 404) is how a URL scheme change looks.
    if not kept and (listed > gone or gone >= thresholds.min_sample):
        problems.append(
            problem(
                "nothing-kept",
                f"{site}: sitemaps/feeds listed {listed} new article(s) but the run kept none",
                listed_new=listed,
                kept=0,
            )
        )

    problems += error_problems(site, summary, stats, thresholds)
    problems += validation_problems(site, stats, thresholds)

    extraction = {reason: dropped[reason] for reason in EXTRACTION_REASONS if dropped.get(reason)}
    pages = kept + sum(extraction.values())
    if pages < thresholds.min_sample:
        return problems  # too few article pages for shares to mean anything (see module docstring)

    share = sum(extraction.values()) / pages
    if share > thresholds.max_extraction_drops:
        problems.append(
            problem(
                "extraction-drops",
                f"{site}: {share:.0%} of {pages} article pages dropped by extraction ({counts_text(extraction)}); "
                f"at most {thresholds.max_extraction_drops:.0%} allowed",
                share=round(share, 4),
                pages=pages,
                dropped=extraction,
                limit=thresholds.max_extraction_drops,
            )
        )

    fields = (summary.get("coverage") or {}).get("fields") or {}
    for name, least in thresholds.min_coverage.items():
        have = fields.get(name)
        if kept and have is not None and have < least:
            problems.append(
                problem(
                    "coverage",
                    f"{site}: {name} on {have:.0%} of {kept} articles; at least {least:.0%} expected",
                    field=name,
                    share=have,
                    articles=kept,
                    limit=least,
                )
            )
    return problems


def error_problems(
    site: str, summary: dict[str, Any], stats: dict[str, Any], thresholds: Thresholds
) -> list[dict[str, Any]]:
    """ERROR lines (spider exceptions among them) beyond the limit, and requests failed for good."""
    problems = []
    # By type; Scrapy also keeps their total as ``spider_exceptions/count``.
    exceptions = {name: n for name, n in stats_under(stats, SPIDER_EXCEPTIONS).items() if name != "count"}
    # Each callback exception is logged at ERROR; with LOG_LEVEL=CRITICAL only its own stat counts it.
    errors = max(stats.get(LOG_ERRORS, 0), sum(exceptions.values()))
    if errors > thresholds.max_errors:
        raised = f" (spider exceptions: {counts_text(exceptions)})" if exceptions else ""
        problems.append(
            problem(
                "errors",
                f"{site}: {errors} error(s) logged during the run{raised}; at most "
                f"{thresholds.max_errors} allowed (the crawl log has each one)",
                errors=errors,
                spider_exceptions=exceptions,
                limit=thresholds.max_errors,
            )
        )
    dropped = summary.get("dropped") or {}
    failed = {reason: dropped[reason] for reason in DOWNLOAD_ERROR_REASONS if dropped.get(reason)}
    # Retries are requests too: a request's share is judged once, however often it was tried.
    requests = summary.get("requests", 0) - stats.get(RETRIES, 0)
    count = sum(failed.values())
    if count >= FEWEST_FAILED_REQUESTS and requests > 0 and count / requests > thresholds.max_failed_requests:
        problems.append(
            problem(
                "failed-requests",
                f"{site}: {count} of {requests} requests failed after their retries ({counts_text(failed)}); "
                f"at most {thresholds.max_failed_requests:.0%} allowed",
                failed=count,
                requests=requests,
                share=round(count / requests, 4),
                reasons=failed,
                limit=thresholds.max_failed_requests,
            )
        )
    return problems


def validation_problems(site: str, stats: dict[str, Any], thresholds: Thresholds) -> list[dict[str, Any]]:
    """Schema errors Spidermon's item validation counted beyond the limit (none when it is off)."""
    errors = stats.get(VALIDATION_ERRORS, 0)
    if errors <= thresholds.max_validation_errors:
        return []
    by_field: dict[str, dict[str, int]] = {}
    for key, count in stats_under(stats, f"{VALIDATION_ERRORS}/").items():
        if "/" in key:  # <error>/<field>; a bare <error> is that error's total
            error, field_name = key.split("/", 1)
            by_field.setdefault(field_name, {})[error] = count
    items, invalid = stats.get(VALIDATED_ITEMS, 0), stats.get(INVALID_ITEMS, 0)
    details = field_errors_text(by_field)
    return [
        problem(
            "item-validation",
            f"{site}: {invalid} of {items} items failed validation, {errors} schema error(s) ({details}); "
            f"at most {thresholds.max_validation_errors} allowed",
            errors=errors,
            items=items,
            invalid_items=invalid,
            fields=by_field,
            limit=thresholds.max_validation_errors,
        )
    ]


def field_errors_text(by_field: dict[str, dict[str, int]], separator: str = ", ") -> str:
    """``{"image_url": {"regex_not_matched": 2}}`` as ``image_url regex not matched 2``."""
    return separator.join(
        f"{name} {error.replace('_', ' ')} {count}"
        for name, found in by_field.items()
        for error, count in found.items()
    )


def counts_text(counts: dict[str, int], separator: str = ", ") -> str:
    """``{"timeout": 2, "data-loss": 1}`` as ``timeout 2, data-loss 1`` (the alerts' Persian uses "، ")."""
    return separator.join(f"{name} {n}" for name, n in counts.items())
