"""Persian text and date handling: the display form, the search form, and Jalali dates to UTC.

The archive stores what sites wrote (`normalize`), searches a folded form in which
spellings that differ only in letter forms, digits or ZWNJ match (`fold`), and keeps
publication dates in UTC however a page wrote them (`parse_datetime`). The text forms
live in `newsarchive.persian.text`, the dates in `newsarchive.persian.dates`; the names
most callers need are re-exported here.
"""

from newsarchive.persian.dates import DateParseError, ParsedDate, parse_datetime
from newsarchive.persian.text import fold, normalize, repair_spacing

__all__ = [
    "DateParseError",
    "ParsedDate",
    "fold",
    "normalize",
    "parse_datetime",
    "repair_spacing",
]
