"""The generated Digiato mirror of the benchmarks, kept in ``tests/generated_mirror.py``.

The fault tests crawl the same mirror, so the generator lives with the tests and the
benchmarks import it from there. ``python -m bench.mirror N`` builds (or shows) the
mirror of N pages and prints its roots.
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from generated_mirror import (  # noqa: E402
    BASE,
    HOST,
    Article,
    Entry,
    GeneratedMirror,
    bench_dir,
    generated_mirror,
    main,
    make_article,
    pool_dir,
    sample_articles,
    write_site_files,
)

__all__ = [
    "BASE",
    "HOST",
    "Article",
    "Entry",
    "GeneratedMirror",
    "bench_dir",
    "generated_mirror",
    "make_article",
    "pool_dir",
    "sample_articles",
    "write_site_files",
]

if __name__ == "__main__":
    main()
