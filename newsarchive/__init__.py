"""newsarchive: archive Persian tech news into a searchable SQLite archive.

The names a notebook needs are here, loaded on first use so that ``import newsarchive``
(which every crawl worker and command does) stays free of SQLite and search code:

>>> from newsarchive import Archive
>>> with Archive.open("archive.db") as archive:
...     hits = archive.search("پیام‌رسان", since="1403-01-01")
...     digiato = archive.articles(source="digiato", limit=100)
...     frame = archive.to_pandas(tag="اینترنت")  # needs pandas
>>> [hit.title for hit in hits], len(digiato), frame.loc[0, "published_at"]
(['پیام‌رسان بله به‌روزرسانی شد'], 2, Timestamp('2024-05-04 06:45:00+0000', tz='UTC'))

(The examples run in ``tests/test_api.py``, on a three-article ``archive.db``.)
:class:`Archive` (:mod:`newsarchive.archive`) says what each read returns;
:class:`ArchiveError` is raised when the archive cannot be opened, :class:`QueryError`
(a ``ValueError``) when a query or a date cannot be used, :class:`UnknownNames` (a
``ValueError`` too) when a source, category or tag filter names what no article has, and
:class:`SearchHit` is one search result.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsarchive.archive import Archive, ArchiveError, SearchHit
    from newsarchive.archive.vocabulary import UnknownNames
    from newsarchive.search import QueryError

__version__ = "0.1.0"

#: The public names, and the module each is loaded from on first use.
_PUBLIC = {
    "Archive": "newsarchive.archive",
    "ArchiveError": "newsarchive.archive",
    "SearchHit": "newsarchive.archive",
    "QueryError": "newsarchive.search",
    "UnknownNames": "newsarchive.archive.vocabulary",
}

__all__ = ["Archive", "ArchiveError", "QueryError", "SearchHit", "UnknownNames", "__version__"]


def __getattr__(name: str) -> Any:
    """Load a public name from its module the first time it is asked for (PEP 562)."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'newsarchive' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
