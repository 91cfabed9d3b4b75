"""An HTML report of each degraded run, beside the archive: ``reports/<site>-run-<id>.html``.

Spidermon's own report action and template (its monitors' results, the run's stats and
timings), only with a file name per run next to the archive, where ``newsarchive runs``
already points. Switched on by ``NEWSARCHIVE_HEALTH_REPORTS = True``; the template needs
Jinja2 (in the ``alerts`` extra).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spidermon.contrib.actions.reports.files import CreateFileReport

from newsarchive.archive import resolve_db_path
from newsarchive.monitors.suite import VERDICT

#: Spidermon's HTML template of a suite's results.
TEMPLATE = "reports/email/monitors/result.jinja"


def report_path(db_path: str | Path, site: str, run_id: Any) -> Path:
    """Where the report of ``site``'s run ``run_id`` goes: ``reports/`` beside the archive."""
    return Path(db_path).resolve().parent / "reports" / f"{site}-run-{run_id}.html"


class WriteRunReport(CreateFileReport):
    """Spidermon's report of the monitors, written to :func:`report_path`."""

    def __init__(self, db_path: str):
        super().__init__(filename=db_path, template=TEMPLATE)
        self.db_path = db_path

    @classmethod
    def from_crawler_kwargs(cls, crawler: Any) -> dict[str, Any]:
        return {"db_path": str(resolve_db_path(crawler.settings.get("NEWSARCHIVE_DB")))}

    def after_render_report(self) -> None:
        verdict = self.data[VERDICT]
        path = report_path(self.db_path, verdict["site"], verdict["id"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.report, encoding="utf-8")
