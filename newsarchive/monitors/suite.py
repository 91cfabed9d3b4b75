"""The crawl health rules as Spidermon monitors: one test per rule, failing with its numbers.

The monitors judge nothing themselves. :mod:`newsarchive.health` (and the run extension,
for the finish reason and the archive) already judged the run and recorded its problems
in ``crawl_runs``; each test fails when a problem of its rule is among them, with the
rule's own message. So the thresholds live in one place, and Spidermon's report, its
actions and a user's own suites see exactly what ``newsarchive runs`` shows.

Spidermon needs ``pip install 'newsarchive[alerts]'``; this module imports it.
"""

from __future__ import annotations

from typing import Any

from spidermon import Monitor, MonitorSuite, monitors

from newsarchive.archive import Archive, ArchiveError, resolve_db_path
from newsarchive.archive.alerts import recorded_run
from newsarchive.outcomes import ARCHIVE_ERROR, RUN_ID, RunStatus

#: The checks (``problem["check"]``) each monitor test stands for.
RULES = {
    "coverage": ("coverage",),
    "extraction": ("extraction-drops",),
    "blocked": ("blocked",),
    "kept": ("nothing-kept",),
    "discovery": ("discovery-limit",),
    "unsafe": ("unsafe-urls",),
    "finish": ("time-limit", "closed"),
    "errors": ("errors", "failed-requests"),
    "validation": ("item-validation",),
    "archive": ("archive",),
}
KNOWN_CHECKS = frozenset(check for checks in RULES.values() for check in checks)
#: Why a suite found the run still ``running``: it ran before the run extension judged it.
NOT_JUDGED = (
    "the run was not judged yet: run this suite after newsarchive.extensions.CrawlRun "
    "(Spidermon's extension at a priority above 500)"
)
#: Key of the run's verdict in the monitors' data (see :func:`run_verdict`).
VERDICT = "newsarchive_run"


def rule_of(problem: dict[str, Any]) -> str:
    """The name an alert is remembered by: the check, and the field for coverage."""
    field = problem.get("field")
    return f"{problem['check']}/{field}" if field else str(problem["check"])


def run_verdict(crawler: Any) -> dict[str, Any]:
    """What the run extension recorded for this run: ``{id, site, status, problems}``.

    A run that never got a row (the archive refused it at the start) has only the archive
    error to show.
    """
    stats = crawler.stats.get_stats()
    site = crawler.spidercls.name
    run_id = stats.get(RUN_ID)
    found = None
    if run_id is not None:
        try:
            with Archive(resolve_db_path(crawler.settings.get("NEWSARCHIVE_DB")), readonly=True) as archive:
                found = recorded_run(archive, run_id)
        except ArchiveError:
            found = None
    if found is not None:
        return found
    error = stats.get(ARCHIVE_ERROR)
    problems = [{"check": "archive", "message": error}] if error else []
    return {"id": run_id, "site": site, "status": None, "problems": problems}


@monitors.name("newsarchive crawl health")
class CrawlHealthMonitor(Monitor):
    """The run's health rules (newsarchive.health), one test per rule."""

    @monitors.name("field coverage")
    def test_field_coverage(self) -> None:
        self.assert_rule_passed("coverage")

    @monitors.name("extraction drops")
    def test_extraction_drops(self) -> None:
        self.assert_rule_passed("extraction")

    @monitors.name("blocked responses")
    def test_blocked_responses(self) -> None:
        self.assert_rule_passed("blocked")

    @monitors.name("listed articles kept")
    def test_listed_articles_kept(self) -> None:
        self.assert_rule_passed("kept")

    @monitors.name("discovery within its limits")
    def test_discovery_limits(self) -> None:
        self.assert_rule_passed("discovery")

    @monitors.name("no unsafe URLs")
    def test_unsafe_urls(self) -> None:
        self.assert_rule_passed("unsafe")

    @monitors.name("finish reason")
    def test_finish_reason(self) -> None:
        self.assert_rule_passed("finish")

    @monitors.name("errors during the crawl")
    def test_errors(self) -> None:
        self.assert_rule_passed("errors")

    @monitors.name("item validation")
    def test_item_validation(self) -> None:
        self.assert_rule_passed("validation")

    @monitors.name("archive written")
    def test_archive(self) -> None:
        self.assert_rule_passed("archive")

    @monitors.name("no other problem")
    def test_no_other_problem(self) -> None:
        """A check added to health.py later still fails a monitor, until it gets its own."""
        found = [p for p in self.problems() if p["check"] not in KNOWN_CHECKS]
        if found:
            self.fail("; ".join(str(p["message"]) for p in found))

    def problems(self) -> list[dict[str, Any]]:
        verdict = self.data.get(VERDICT) or run_verdict(self.data.crawler)
        if verdict["status"] == RunStatus.RUNNING:  # a check of its own, failing "no other problem"
            return [{"check": "not-judged", "message": NOT_JUDGED}]
        problems: list[dict[str, Any]] = verdict["problems"]
        return problems

    def assert_rule_passed(self, rule: str) -> None:
        found = [p for p in self.problems() if p["check"] in RULES[rule]]
        if found:
            self.fail("; ".join(str(p["message"]) for p in found))


class CrawlHealthMonitorSuite(MonitorSuite):
    """newsarchive's health rules; usable in ``SPIDERMON_SPIDER_CLOSE_MONITORS`` too when
    Spidermon's extension comes after the run extension (priority above 500)."""

    monitors = (CrawlHealthMonitor,)
