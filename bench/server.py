"""The benchmarks' static server, kept in ``tests/static_server.py``.

The fault tests serve the generated mirror with it too, so it lives with the tests and
the benchmarks import it from there. ``python -m bench.server ROOT [ROOT ...]`` runs it.
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from static_server import StaticServer, main  # noqa: E402

__all__ = ["StaticServer"]

if __name__ == "__main__":
    main()
