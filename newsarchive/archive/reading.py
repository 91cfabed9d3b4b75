"""Archive rows as a reader's Python values: plain dicts, and a pandas ``DataFrame``.

The archive stores lists as JSON text and times as UTC ``...Z`` strings (what SQLite,
Datasette and ``sqlite-utils`` show); a notebook wants lists and datetimes.
:func:`article_record` decodes one ``articles`` row, :func:`dataframe` makes a frame of
many. No SQL here: :mod:`.queries` reads the rows. pandas is optional and imported only
when a frame is asked for, so that neither the archive nor the CLI pays for it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pandas import DataFrame

#: The ``articles`` columns that hold a JSON array of strings.
LIST_COLUMNS = ("authors", "categories", "tags")
#: The ``articles`` columns that hold a UTC time (``YYYY-MM-DDTHH:MM:SSZ``) or nothing.
TIME_COLUMNS = ("published_at", "modified_at", "first_seen_at", "last_fetched_at")


def article_record(row: dict[str, Any]) -> dict[str, Any]:
    """An ``articles`` row as plain Python values: the JSON arrays as lists (empty when
    missing) and ``sponsored`` as a bool; every other column as stored."""
    record = dict(row)
    for column in LIST_COLUMNS:
        if column in record:
            record[column] = json.loads(record[column]) if record[column] else []
    if "sponsored" in record:
        record["sponsored"] = bool(record["sponsored"])
    return record


def dataframe(records: Iterable[dict[str, Any]], columns: Iterable[str]) -> DataFrame:
    """A pandas ``DataFrame`` of ``records`` (from :func:`article_record`) with ``columns``
    in that order (present even when there is no record) and the :data:`TIME_COLUMNS`
    as UTC datetimes (``NaT`` where empty).

    Raises ``ImportError`` naming pandas and how to install it when it is missing.
    """
    try:
        import pandas
    except ImportError as error:
        raise ImportError(
            "a DataFrame needs pandas, which is not installed: pip install pandas "
            "(or use Archive.articles(), which returns plain dicts)"
        ) from error
    frame = pandas.DataFrame.from_records(list(records), columns=list(columns))
    for column in TIME_COLUMNS:
        if column in frame:
            frame[column] = pandas.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame
