"""What reading a date gives back: `ParsedDate`, or `DateParseError` with the reason.

Kept apart from the parser so that the readers of each date form, the choice between a
page's dates and the day bounds can all name them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class DateParseError(ValueError):
    """The text holds no valid date. `text` is the input and `reason` says what was wrong."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(text, reason)
        self.text = text
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot read a date from {self.text!r}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """One instant read from a text, in UTC, in Tehran time and as a Jalali string.

    precision: ``minute``, ``hour`` or ``day``; for ``day``, ``local`` is the start of that
        Tehran day (local midnight) and ``utc`` its UTC equivalent.
    kind: the input form: ``jalali-text``, ``jalali-numeric``, ``gregorian-numeric``,
        ``iso``, ``rfc822`` or ``relative``.
    jalali: ``YYYY-MM-DD HH:MM`` in Tehran time, or ``YYYY-MM-DD`` for day precision.

    Compare and sort by ``utc``: under PEP 495, a ``local`` value in a repeated hour never
    compares equal to a datetime in another zone, even when it is the same instant.
    """

    utc: datetime
    local: datetime
    jalali: str
    precision: str
    kind: str

    @property
    def utc_iso(self) -> str:
        """UTC as ``YYYY-MM-DDTHH:MM:SSZ``."""
        return format_utc_iso(self.utc)


def format_utc_iso(moment: datetime) -> str:
    """A UTC instant as ``YYYY-MM-DDTHH:MM:SSZ``, the form the archive stores."""
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )
