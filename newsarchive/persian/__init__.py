"""Persian text and date handling: the display form, the search form, and Jalali dates to UTC."""

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
