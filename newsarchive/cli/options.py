"""What several commands share in their options: ``--db``, bounded whole numbers,
``--since``/``--until`` read as whole Tehran days, ``--source``/``--category``/``--tag``
checked against the archive, ``--json`` lines and ``--quiet``.

Every command that takes dates reads them with :func:`day_bounds`, so one value means the
same days in ``crawl``, ``export`` and ``reparse``; every command that filters by name
checks the names with :func:`check_filter_names`, so a misspelt source is a usage error
(exit 2) and never an empty answer. A :class:`UsageError` raised by a command is printed
by :func:`newsarchive.cli.main` as ``newsarchive COMMAND: message`` with exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from newsarchive.archive.vocabulary import UnknownName, unknown_names
from newsarchive.persian.dates import day_range

if TYPE_CHECKING:
    from newsarchive.archive import Archive

#: The largest --limit: SQLite takes integers up to 2**63 - 1 and raises OverflowError beyond.
MAX_LIMIT = 1_000_000

#: What ``add_subparsers`` returns: each command module adds its parsers to it.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

_INSTANT = "%Y-%m-%dT%H:%M:%SZ"

#: How many known names an "unknown name" message lists before "and N more".
SHOWN_NAMES = 20


class UsageError(ValueError):
    """An option value the command cannot use: ``newsarchive COMMAND: message``, exit 2.
    A ValueError, so the commands that catch the library's ValueErrors report it alike."""


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
    both included, as in every command (:func:`day_range`). :class:`UsageError` naming the
    option of a value that is no day, or both when ``--since`` is after ``--until``."""
    since, until = args.since, getattr(args, "until", None)
    for option, bounds in (("--since", (since, None)), ("--until", (None, until))):
        try:
            day_range(*bounds)
        except ValueError as error:
            raise UsageError(f"{option}: {error}") from None
    try:
        start, end = day_range(since, until)
    except ValueError as error:
        raise UsageError(f"--since/--until: {error}, so nothing could match") from None
    return (
        start.strftime(_INSTANT) if start is not None else None,
        end.strftime(_INSTANT) if end is not None else None,
    )


def quiet_argument(parser: argparse.ArgumentParser) -> None:
    """``--quiet``: no progress bar (one is drawn only on a terminal anyway)."""
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar (none is drawn off a terminal anyway)"
    )


#: The ``crawl_runs`` columns the archive stores as JSON text (counts per status, per drop
#: reason, per boilerplate rule; field coverage; problems). ``stats`` is Scrapy's whole
#: stats, left out of ``--json`` (``sqlite-utils`` reads it).
RUN_JSON_COLUMNS = ("responses", "dropped", "coverage", "boilerplate", "problems")


def json_record(record: Mapping[str, Any], json_columns: Iterable[str] = ()) -> dict[str, Any]:
    """``record`` with its ``json_columns`` stored as JSON text decoded into JSON values."""
    decoded = dict(record)
    for column in json_columns:
        if isinstance(decoded.get(column), str):
            with contextlib.suppress(ValueError):  # not JSON after all: kept as the text it is
                decoded[column] = json.loads(decoded[column])
    return decoded


def run_record(run: Mapping[str, Any]) -> dict[str, Any]:
    """A ``crawl_runs`` row for ``--json``: its JSON columns decoded, without the raw stats."""
    return json_record({key: value for key, value in run.items() if key != "stats"}, RUN_JSON_COLUMNS)


def print_json_line(record: Mapping[str, Any]) -> None:
    """One record as one JSON line, the convention of every ``--json``: a flat object whose
    nested values (lists, objects) are JSON values, never JSON text in a string."""
    print(json.dumps(record, ensure_ascii=False))


def quoted(name: str) -> str:
    """A name between quotes as typed: ``repr`` would write a ZWNJ as ``\\u200c``."""
    return f"'{name}'"


_OPTIONS = {"source": "--source", "category": "--category", "tag": "--tag"}
_PLURALS = {"source": "sources", "category": "categories", "tag": "tags"}


def _unknown_message(name: UnknownName) -> str:
    option, plural = _OPTIONS[name.kind], _PLURALS[name.kind]
    message = f"{option} {quoted(name.value)}: no {name.kind} of that name in this archive"
    if name.suggestions:
        message += "; did you mean " + " or ".join(quoted(s) for s in name.suggestions) + "?"
    if not name.known:
        return message + f" (no {plural} to choose from yet)"
    shown = ", ".join(name.known[:SHOWN_NAMES])
    more = len(name.known) - SHOWN_NAMES
    order = "" if name.kind == "source" else ", the most frequent first"
    message += f"\n  known {plural} ({len(name.known):,}{order}): {shown}"
    if more > 0:
        message += f", and {more:,} more"
    if name.kind == "source":
        message += "\n  (`newsarchive sources` lists them with their article counts and dates)"
    return message


def check_filter_names(
    archive: Archive,
    *,
    sources: Iterable[str] | None = None,
    categories: Iterable[str] | None = None,
    tags: Iterable[str] | None = None,
    known_sources: Iterable[str] | None = None,
) -> None:
    """Raise :class:`UsageError` (exit 2) naming each ``--source``/``--category``/``--tag``
    value that no article of ``archive`` has, with the close names and the known ones.
    ``known_sources`` replaces the archive's article sources (``reparse``: the captured ones)."""
    unknown = unknown_names(
        archive,
        sources=sources or (),
        categories=categories or (),
        tags=tags or (),
        known_sources=known_sources,
    )
    if unknown:
        raise UsageError("\n".join(_unknown_message(name) for name in unknown))
