"""The names an archive knows: its sources, categories and tags, for checking filters.

A filter value the archive does not know (``--source Digiato`` for ``digiato``) selects
nothing, and an empty answer would look like "no such articles". :func:`check_names`
refuses such values instead, with the close names a person probably meant
(:func:`close_names`). Read-only SQL over an open :class:`~newsarchive.archive.Archive`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsarchive.persian import fold, normalize

if TYPE_CHECKING:
    from newsarchive.archive import Archive

#: The kinds of name a filter can hold, and the ``articles`` column holding each. Categories
#: and tags are JSON arrays in their columns; a source is a plain value.
KINDS = {"source": "source", "category": "categories", "tag": "tags"}


def name_counts(archive: Archive, kind: str) -> dict[str, int]:
    """Every ``kind`` name (``source``, ``category``, ``tag``) in the archive's articles with
    its number of articles, the most frequent first."""
    column = KINDS[kind]  # a fixed column name, never user text
    if kind == "source":
        sql = "select source as name, count(*) as articles from articles group by source"
    else:
        sql = (
            f"select value as name, count(*) as articles from articles, json_each(articles.{column}) "
            f"where json_valid(articles.{column}) and json_type(articles.{column}) = 'array' group by value"
        )
    rows = archive.db.execute(f"{sql} order by articles desc, name").fetchall()
    return {name: count for name, count in rows if isinstance(name, str)}


def has_name(archive: Archive, kind: str, name: str) -> bool:
    """Whether some article has ``name`` as its ``kind``: an index look-up for a source, a
    scan that stops at the first article for a category or tag."""
    column = KINDS[kind]
    if kind == "source":
        sql = "select exists(select 1 from articles where source = ?)"
    else:
        sql = (
            f"select exists(select 1 from articles, json_each(articles.{column}) "
            f"where json_valid(articles.{column}) and json_type(articles.{column}) = 'array' and value = ?)"
        )
    return bool(archive.db.execute(sql, [name]).fetchone()[0])


def captured_sources(archive: Archive) -> list[str]:
    """The sources with article pages in the WARC captures index: what ``reparse`` can read."""
    rows = archive.db.execute("select distinct source from captures where kind = 'article' order by source")
    return [source for (source,) in rows if source]


def _squeezed(name: str) -> str:
    """A name as a person may have meant it: case, Persian letter variants, ZWNJ and spaces folded."""
    return fold(name).replace(" ", "").replace("-", "").replace("_", "")


def close_names(value: str, known: Iterable[str], *, limit: int = 3) -> list[str]:
    """The known names ``value`` was probably meant to be: the same name in another case or
    spelling first (``Digiato`` → ``digiato``, ``پیام رسان`` → ``پیام‌رسان``), then near misses."""
    known = list(known)
    squeezed = _squeezed(value)
    same = [name for name in known if _squeezed(name) == squeezed]
    by_form: dict[str, list[str]] = {}
    for name in known:
        by_form.setdefault(_squeezed(name), []).append(name)
    near = difflib.get_close_matches(squeezed, list(by_form), n=limit, cutoff=0.75)
    found = same + [name for form in near for name in by_form[form]]
    return list(dict.fromkeys(found))[:limit]


@dataclass(frozen=True)
class UnknownName:
    """A filter value the archive does not know: its ``kind`` (``source``, ``category``,
    ``tag``), the ``value`` given, the ``suggestions`` close to it, and every ``known`` name,
    the most frequent first."""

    kind: str
    value: str
    suggestions: tuple[str, ...]
    known: tuple[str, ...]


class UnknownNames(ValueError):
    """Filter values the archive does not know (:attr:`names`)."""

    def __init__(self, names: Sequence[UnknownName]):
        self.names = tuple(names)
        super().__init__("; ".join(f"no {name.kind} {name.value!r} in this archive" for name in self.names))


def unknown_names(
    archive: Archive,
    *,
    sources: Iterable[str] = (),
    categories: Iterable[str] = (),
    tags: Iterable[str] = (),
    known_sources: Iterable[str] | None = None,
) -> list[UnknownName]:
    """The values among ``sources``, ``categories`` and ``tags`` that no article of the archive
    has (as the filters match them: sources exactly, categories and tags in display form). ``known_sources`` replaces the archive's
    article sources as the known ones (``reparse`` reads the captured sources)."""
    listed = None if known_sources is None else list(known_sources)
    unknown = []
    for kind, values in (("source", sources), ("category", categories), ("tag", tags)):
        given = list(dict.fromkeys(values or ()))
        if kind == "source" and listed is not None:
            missing = [value for value in given if value not in listed]
        else:
            # A category or tag filter matches the display form (normalize), as stored.
            missing = [
                value
                for value in given
                if not has_name(archive, kind, value if kind == "source" else normalize(value))
            ]
        if missing:
            known = listed if kind == "source" and listed is not None else list(name_counts(archive, kind))
            unknown += [
                UnknownName(kind, value, tuple(close_names(value, known)), tuple(known)) for value in missing
            ]
    return unknown


def check_names(
    archive: Archive,
    *,
    sources: Iterable[str] = (),
    categories: Iterable[str] = (),
    tags: Iterable[str] = (),
    known_sources: Iterable[str] | None = None,
) -> None:
    """Raise :class:`UnknownNames` if a filter value is unknown (see :func:`unknown_names`)."""
    unknown = unknown_names(
        archive, sources=sources, categories=categories, tags=tags, known_sources=known_sources
    )
    if unknown:
        raise UnknownNames(unknown)
