"""`choose_published`: one publication date out of a page's displayed and machine-readable dates.

A page often states its date several times: the line readers see, JSON-LD, meta tags,
``<time datetime>``, the feed. They do not always agree, so the displayed date decides
the day and a machine date that agrees with it supplies the exact time. The notes say
which candidates were unreadable or disagreed; they are kept with the stored article.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from newsarchive.persian.date_parser import parse_datetime
from newsarchive.persian.date_types import DateParseError, ParsedDate


class DateChoice(NamedTuple):
    """The outcome of :func:`choose_published`."""

    date: ParsedDate | None
    source: str | None
    notes: list[str]


def choose_published(
    displayed: str | None,
    machine: list[tuple[str, str]],
    *,
    now: datetime | None = None,
) -> DateChoice:
    """Pick a page's publication date from its displayed date and machine-readable ones.

    `machine` holds (source, text) pairs in order of preference, e.g. ("jsonld", ...),
    ("meta", ...), ("time", ...), ("feed", ...). The displayed date is what readers see, so
    it decides the day; a machine date that agrees with it to the (Tehran) day is more
    exact (seconds, offset) and wins, unless it is coarser than the displayed one.
    Without a readable displayed date the first readable machine date wins. Returns
    a :class:`DateChoice` whose ``source`` names the winner (``"displayed"`` or a
    machine source); ``(None, None, notes)`` when nothing is readable. Notes record unreadable candidates and
    disagreements.
    """
    notes: list[str] = []
    shown = None
    if displayed is not None:
        try:
            shown = parse_datetime(displayed, now=now)
        except DateParseError as error:
            notes.append(f"unreadable displayed date: {displayed!r} ({error.reason})")
    readable: list[tuple[str, ParsedDate]] = []
    for source, text in machine:
        try:
            readable.append((source, parse_datetime(text, now=now)))
        except DateParseError as error:
            notes.append(f"unreadable {source} date: {text!r} ({error.reason})")
    if shown is None:
        if not readable:
            return DateChoice(None, None, notes)
        source, parsed = readable[0]
        return DateChoice(parsed, source, notes)

    chosen = chosen_source = None
    for source, parsed in readable:
        if parsed.local.date() != shown.local.date():
            notes.append(
                f"date sources disagree: displayed {shown.jalali} vs {source} "
                f"{parsed.utc_iso} ({parsed.jalali} Tehran)"
            )
        elif chosen is None and _PRECISION_RANK[parsed.precision] <= _PRECISION_RANK[shown.precision]:
            chosen, chosen_source = parsed, source
            if shown.precision == "minute" and _hh_mm(parsed.local) != _hh_mm(shown.local):
                notes.append(
                    f"displayed time {_hh_mm(shown.local)} differs from {source} "
                    f"{_hh_mm(parsed.local)} (Tehran); kept {source}"
                )
    if chosen is None:
        return DateChoice(shown, "displayed", notes)
    return DateChoice(chosen, chosen_source, notes)


_PRECISION_RANK = {"minute": 0, "hour": 1, "day": 2}


def _hh_mm(moment: datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"
