"""Article URL patterns inferred from examples: the ``article_paths`` of a proposed site.

The article URLs a probe found (in feeds, post sitemaps, the REST API) are grouped by their
number of path segments, and each position of a group becomes the narrowest of a few
shapes that covers every value seen there: a word every URL shares (``news``), digits
(``\\d{4}`` for a year, ``\\d+`` for an id), an id with a slug (``\\d+-[^/]+``), or any one
segment (``[^/]+``, a slug in any script). The listing URLs seen (categories, tags,
archives) must not match: a position whose generality lets one match is narrowed to the
words seen there (``(?:news|articles-guides)``). :func:`pattern_check` tests the result on
everything seen, and the proposal reports it.

Patterns are matched against the percent-decoded path, as :meth:`Site.is_article_url` does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from newsarchive.sites.base import any_of

#: The most words a position is narrowed to before the inference gives up on it.
MAX_ALTERNATIVES = 12
_WORD = re.compile(r"[a-z][a-z-]{0,30}")
_ID_SLUG = re.compile(r"\d+-.+")
_EXTENSION = re.compile(r".+(\.(?:html?|php|aspx?))")
_ANY = "[^/]+"
#: The first two digits of a Gregorian or Jalali year.
_CENTURIES = frozenset({"13", "14", "19", "20"})


def path_segments(url: str) -> tuple[str, ...]:
    """The percent-decoded, non-empty segments of the URL's path."""
    return tuple(part for part in unquote(urlsplit(url).path).split("/") if part)


def _digits(values: list[str]) -> str:
    """Years (``\\d{4}``), months and days (``\\d{2}``, ``\\d{1,2}``), else ids of any length."""
    lengths = {len(value) for value in values}
    if lengths == {4} and all(value[:2] in _CENTURIES for value in values):
        return r"\d{4}"
    if lengths == {2}:
        return r"\d{2}"
    if max(lengths) <= 2:
        return r"\d{1,2}"
    return r"\d+"


def _shape(values: list[str], last: bool) -> str:
    """The narrowest shape covering the values seen at one position (see the module's docstring)."""
    if all(value.isascii() and value.isdigit() for value in values):
        return _digits(values)
    distinct = set(values)
    if len(distinct) == 1 and _WORD.fullmatch(values[0]) and (not last or len(values) > 1):
        return re.escape(values[0])
    if all(_ID_SLUG.fullmatch(value) for value in values):
        return r"\d+-[^/]+"
    extensions = {match[1] for value in values if (match := _EXTENSION.fullmatch(value))}
    if len(extensions) == 1 and all(_EXTENSION.fullmatch(value) for value in values):
        return _ANY.replace("+", "+?") + re.escape(extensions.pop())
    return _ANY


@dataclass
class _Group:
    """Article paths of one depth: the shape of each position and the values seen there."""

    columns: list[list[str]]
    shapes: list[str]

    def pattern(self) -> str:
        return "^/" + "/".join(self.shapes) + "/?$"

    def narrowable(self) -> list[int]:
        """Positions of any segment whose few values are words: they may become alternatives."""
        return [
            index
            for index, shape in enumerate(self.shapes)
            if shape == _ANY
            and len(set(self.columns[index])) <= MAX_ALTERNATIVES
            and all(_WORD.fullmatch(value) for value in self.columns[index])
        ]

    def narrow(self, index: int) -> None:
        words = sorted(set(self.columns[index]))
        self.shapes[index] = words[0] if len(words) == 1 else "(?:" + "|".join(map(re.escape, words)) + ")"


def _matches(pattern: str, paths: Iterable[str]) -> list[str]:
    compiled = re.compile(pattern)
    return [path for path in paths if compiled.search(path)]


def _exclude(group: _Group, listings: list[str]) -> None:
    """Narrow the group's word positions, left to right, while a listing path matches and
    narrowing one excludes some of them."""
    for index in group.narrowable():
        matching = _matches(group.pattern(), listings)
        if not matching:
            return
        before = group.shapes[index]
        group.narrow(index)
        if len(_matches(group.pattern(), matching)) == len(matching):
            group.shapes[index] = before  # narrowing here excludes none of them: keep it general


def _merged(patterns: list[list[str]]) -> list[str]:
    """Patterns whose segments are another's plus one more become one with that segment
    optional (``/news/\\d+`` and ``/news/\\d+/[^/]+`` as ``/news/\\d+(?:/[^/]+)?``)."""
    shapes = sorted(patterns, key=len)
    absorbed: set[int] = set()
    merged = []
    for index, short in enumerate(shapes):
        if index in absorbed:
            continue
        longer = next(
            (
                other
                for other_index, other in enumerate(shapes)
                if other_index not in absorbed and len(other) == len(short) + 1 and other[:-1] == short
            ),
            None,
        )
        if longer is not None:
            absorbed.add(shapes.index(longer))
            merged.append("^/" + "/".join(short) + f"(?:/{longer[-1]})?/?$")
        else:
            merged.append("^/" + "/".join(short) + "/?$")
    return merged


def infer_article_paths(articles: Iterable[str], listings: Iterable[str] = ()) -> list[str]:
    """Regular expressions on decoded paths that match every article URL in ``articles`` and,
    as far as the values seen allow, none of ``listings`` (see the module's docstring)."""
    by_depth: dict[int, list[tuple[str, ...]]] = {}
    for segments in dict.fromkeys(path_segments(url) for url in articles):
        if segments:
            by_depth.setdefault(len(segments), []).append(segments)
    listing_paths = [unquote(urlsplit(url).path) for url in listings]
    shapes = []
    for depth, paths in sorted(by_depth.items()):
        columns = [[path[index] for path in paths] for index in range(depth)]
        group = _Group(columns, [_shape(column, index == depth - 1) for index, column in enumerate(columns)])
        _exclude(group, listing_paths)
        shapes.append(group.shapes)
    return _merged(shapes)


@dataclass(frozen=True)
class PatternCheck:
    """How patterns fare on the URLs seen: articles matched of all, and listings matched."""

    articles_matched: int
    articles_seen: int
    listings_matched: tuple[str, ...]
    listings_seen: int

    @property
    def exact(self) -> bool:
        return self.articles_matched == self.articles_seen and not self.listings_matched


def pattern_check(patterns: Iterable[str], articles: Iterable[str], listings: Iterable[str]) -> PatternCheck:
    """Test ``patterns`` (as a site's ``article_paths``) on the article and listing URLs seen."""
    compiled = any_of(tuple(patterns))
    article_list, listing_list = list(dict.fromkeys(articles)), list(dict.fromkeys(listings))

    def matches(url: str) -> bool:
        return compiled is not None and compiled.search(unquote(urlsplit(url).path)) is not None

    return PatternCheck(
        articles_matched=sum(map(matches, article_list)),
        articles_seen=len(article_list),
        listings_matched=tuple(url for url in listing_list if matches(url)),
        listings_seen=len(listing_list),
    )
