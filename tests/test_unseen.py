"""The unseen pages (tests/unseen): extraction never crashes on them, and what it cannot read is named.

How well the layers do on these pages, beside trafilatura, is measured by
``python -m bench unseen`` (BENCHMARKS.md); here only what must hold on every page.
"""

from __future__ import annotations

import pytest
from unseen_set import extract_case, load_unseen

KNOWN_DROPS = {"no-title", "no-body", "no-date"}


@pytest.mark.parametrize("case", load_unseen(), ids=lambda case: case.name)
def test_every_unseen_page_gives_a_record_or_a_named_drop(case):
    record = extract_case(case)
    if "dropped" in record:
        assert record["dropped"] in KNOWN_DROPS
        return
    assert record["title"] and record["body"] and record["published_at"].endswith("Z")


def test_the_set_covers_every_site_and_ten_others():
    cases = load_unseen()
    per_site = {}
    for case in cases:
        per_site.setdefault(case.site, []).append(case)
    assert all(
        len(per_site.get(site, [])) >= 2
        for site in ("digiato", "zoomit", "gadgetnews", "itna", "peivast", "shahrsakhtafzar", "vigiato")
    )
    assert len({case.name.split("/")[0] for case in per_site[None]}) >= 10
