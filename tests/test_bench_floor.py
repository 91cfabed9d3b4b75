"""The crawl benchmark's bound: the work every archived page needs, each part timed alone."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.floor import extraction_layers, necessary_work  # noqa: E402


def test_the_necessary_work_is_timed_part_by_part_on_generated_pages():
    parts, parser = necessary_work(pages=4)
    assert [part.split(" (")[0] for part in parts] == [
        "parse",
        "search form",
        "FTS5 row + story index rows, one transaction",
        "WARC gzip member + digest",
        "story fingerprint",
    ]
    assert parser in next(iter(parts)) and all(ms > 0 for ms in parts.values())


def test_the_extraction_layers_are_timed_beyond_their_parse():
    assert extraction_layers(pages=4) > 0
