"""What several commands share in their options: ``--db``, bounded whole numbers, and
``--since``/``--until`` read as whole Tehran days.

Every command that takes dates reads them with :func:`day_bounds`, so one value means the
same days in ``crawl``, ``export`` and ``reparse``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeAlias

from newsarchive.persian.dates import day_range

#: The largest --limit: SQLite takes integers up to 2**63 - 1 and raises OverflowError beyond.
MAX_LIMIT = 1_000_000

#: What ``add_subparsers`` returns: each command module adds its parsers to it.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

_INSTANT = "%Y-%m-%dT%H:%M:%SZ"


def int_between(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``, else a usage error (exit 2)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:,} and {high:,} (got {text})")
        return value

    return parse


def db_argument(parser: argparse.ArgumentParser) -> None:
    """``--db``: the archive path, as every command that opens the archive takes it."""
    parser.add_argument("--db", help="archive path (default: $NEWSARCHIVE_DB or ./archive.db)")


def day_bounds(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """``--since``/``--until`` as UTC ``...Z`` instants ``[since, until)``: whole Tehran days,
    both included, as in every command (:func:`day_range`; ValueError naming a bad value)."""
    start, end = day_range(args.since, getattr(args, "until", None))
    return (
        start.strftime(_INSTANT) if start is not None else None,
        end.strftime(_INSTANT) if end is not None else None,
    )
