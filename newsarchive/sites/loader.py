"""Sites declared in TOML files: the bundled ones, ``./sites.toml`` and ``NEWSARCHIVE_SITES_FILE``.

A file holds one or more sites, each a table named after the site (its spider's name)::

    [sites.myblog]
    base_url = "https://blog.example.ir"
    article_paths = ['^/\\d{4}/\\d{2}/[^/]+/?$']

    [sites.myblog.selectors]
    title = ["h1.entry-title"]

Its keys are the fields of :class:`~newsarchive.sites.base.Site` (arrays of strings for
its tuples), with the tables ``selectors`` and ``listing`` for :class:`Selectors` and
:class:`Listing`; ``base_url`` and ``article_paths`` are required. Tables keyed by name
rather than ``[[site]]`` arrays: the name is the first thing a reader looks for, and TOML
itself refuses a name declared twice in one file. The package bundles one file per site,
``newsarchive/sites/<name>.toml``, in the same form, so any of them is a template.

A site entry may name its CMS family, ``cms = "nastooh"``: the family's defaults
(``newsarchive/cms/<family>.toml``, the keys of a site entry but the ones that name one site:
article and not-article paths, feeds, listings, sitemaps, selectors, noise, author prefixes)
are merged under the entry. The entry's own keys win, key by key inside ``selectors`` and
``listing``; an array the entry declares replaces the family's whole, it is not added to (to
keep a family's noise and add one selector, repeat the family's list). A family naming no
TOML file but a crawl profile (``wordpress``, :mod:`newsarchive.cms`) adds no defaults; any
other name is an error.

A user's site never replaces a bundled one by accident: an entry with a bundled site's name
must say ``override = true``, and then replaces the bundled entry whole.

Whatever is wrong (TOML syntax, an unknown key, a wrong type, a missing key, a regular
expression or CSS selector that does not compile) is a :class:`SiteConfigError` naming the
file, the line and the key.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import MISSING, fields
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cssselect import SelectorError
from lxml import etree
from parsel.csstranslator import HTMLTranslator

from newsarchive.cms import PROFILES
from newsarchive.sites.base import Listing, Selectors, Site, any_of

#: Where the bundled sites are: one ``<name>.toml`` each.
BUNDLED_DIR = Path(__file__).parent
#: Where the CMS families' defaults are: ``<family>.toml`` each.
FAMILY_DIR = Path(__file__).parent.parent / "cms"
#: Keys that name one site, which a CMS family cannot declare for all of its sites.
SITE_ONLY = ("base_url", "cms", "extra_hosts", "contract_urls")
#: The user's sites file looked for in the current directory.
USER_FILE = "sites.toml"
#: The key that lets a user's entry replace a bundled site of the same name.
OVERRIDE = "override"
#: Site names: spider names, archive sources and command-line words alike.
NAME = re.compile(r"[a-z][a-z0-9_-]*")
#: Fields holding regular expressions (path patterns, the author separators).
REGEX_FIELDS = frozenset({"article_paths", "not_article_paths", "sponsored_paths", "author_separators"})
#: The tables of a site entry, and the dataclass each becomes.
TABLES: dict[str, type] = {"selectors": Selectors, "listing": Listing}

_TRANSLATOR = HTMLTranslator()
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$|\s*\(at end of document\)$")


class SiteConfigError(ValueError):
    """A sites file that does not declare valid sites; the message names file, line and key."""

    def __init__(self, path: str | os.PathLike[str], problem: str, *, line: int | None = None, key: str = ""):
        self.path = str(path)
        self.line = line
        self.key = key
        self.problem = problem
        where = self.path + (f", line {line}" if line else "") + (f", key {key}" if key else "")
        super().__init__(f"{where}: {problem}")


# --- where a key is written ----------------------------------------------------------

_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_HEADER = re.compile(rf"\s*\[\[?\s*({_DOTTED})\s*\]")
_ASSIGNMENT = re.compile(rf"\s*({_DOTTED})\s*=")


def _key_parts(dotted: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in re.findall(rf"{_KEY_PART}", dotted))


def key_line(text: str, key: tuple[str, ...]) -> int | None:
    """The line (from 1) where ``key`` is written in TOML ``text``; for a key that is not
    written (a missing one), the line of the nearest enclosing table or key that is."""
    best: int | None = None
    best_depth = 0
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), 1):
        if header := _HEADER.match(line):
            table = path = _key_parts(header[1])
        elif assignment := _ASSIGNMENT.match(line):
            path = table + _key_parts(assignment[1])
        else:
            continue
        if path[: len(key)] == key:  # the key itself, or the first thing written inside it
            return number
        if key[: len(path)] == path and len(path) > best_depth:
            best, best_depth = number, len(path)
    return best


def _value_line(text: str, after: int | None, value: str) -> int | None:
    """The first line from ``after`` on that holds the string ``value`` as TOML writes it."""
    if after is None:
        return None
    written = (f"'{value}'", json.dumps(value, ensure_ascii=False))
    for number, line in enumerate(text.splitlines()[after - 1 :], after):
        if any(form in line for form in written):
            return number
    return after


class _Source:
    """One file's text, to point errors at the line of a key."""

    def __init__(self, path: str | os.PathLike[str], text: str):
        self.path = path
        self.text = text

    def error(self, key: tuple[str, ...], problem: str, value: str | None = None) -> SiteConfigError:
        line = key_line(self.text, key)
        if value is not None:
            line = _value_line(self.text, line, value)
        return SiteConfigError(self.path, problem, line=line, key=".".join(key))


# --- one file ------------------------------------------------------------------------


def _field_types(cls: type) -> dict[str, Any]:
    """The TOML-settable fields of a dataclass and their types (a new dict: callers change it)."""
    return dict(_resolved_field_types(cls))


@cache  # resolving the annotations costs more than reading a site file
def _resolved_field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in fields(cls) if f.init}


def _required(cls: type) -> list[str]:
    return [
        f.name
        for f in fields(cls)
        if f.init and f.default is MISSING and f.default_factory is MISSING and f.name != "name"
    ]


def _unknown_key(source: _Source, key: tuple[str, ...], known: list[str]) -> SiteConfigError:
    close = difflib.get_close_matches(key[-1], known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return source.error(key, f"unknown key{hint}; known keys: {', '.join(known)}")


def _check_css(source: _Source, key: tuple[str, ...], css: str) -> None:
    try:
        etree.XPath(_TRANSLATOR.css_to_xpath(css))
    except (SelectorError, ValueError, etree.XPathError) as error:
        raise source.error(key, f"not a valid CSS selector '{css}': {error}", css) from None


def _check_regex(source: _Source, key: tuple[str, ...], pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as error:
        raise source.error(key, f"not a valid regular expression '{pattern}': {error}", pattern) from None


def _convert(source: _Source, key: tuple[str, ...], value: Any, kind: Any) -> Any:
    """``value`` as the field type ``kind`` (``str``, ``tuple[str, ...]``, ``Selectors``,
    ``Listing``), checked: CSS selectors and regular expressions must compile."""
    name = key[-1]
    if kind is str:
        if not isinstance(value, str):
            raise source.error(key, f"must be a string, not {_toml_type(value)}")
        if name in REGEX_FIELDS:
            _check_regex(source, key, value)
        return value
    if kind in TABLES.values():
        if not isinstance(value, dict):
            raise source.error(key, f"must be a table ([{'.'.join(key)}]), not {_toml_type(value)}")
        return kind(**_table(source, key, value, kind))
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise source.error(key, f"must be an array of strings, not {_toml_type(value)}")
    for item in value:
        if name in REGEX_FIELDS:
            _check_regex(source, key, item)
        elif len(key) > 1 and key[-2] in TABLES:
            _check_css(source, key, item)
    if name in REGEX_FIELDS:
        try:
            any_of(tuple(value))
        except re.error as error:  # each compiles alone, not together (a group name twice...)
            raise source.error(key, f"the patterns do not compile as one: {error}") from None
    return tuple(value)


def _toml_type(value: Any) -> str:
    """How TOML calls the type of ``value``, for messages."""
    if isinstance(value, list):
        odd = next((item for item in value if not isinstance(item, str)), None)
        return "an array" if odd is None else f"an array holding {_toml_type(odd)}"
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", dict: "a table"}
    return names.get(type(value), "a date or time")


def _table(
    source: _Source, key: tuple[str, ...], table: Mapping[str, Any], cls: type, *, complete: bool = True
) -> dict[str, Any]:
    """The keyword arguments of ``cls`` that the TOML ``table`` at ``key`` declares; unless
    ``complete`` is false (a CMS family's defaults), its required keys must be there."""
    types = _field_types(cls)
    if cls is Site:
        types.pop("name")
    for name in table:
        if name not in types:
            raise _unknown_key(source, (*key, name), list(types))
    for name in _required(cls) if complete else ():
        if name not in table:
            raise source.error(key, f"the required key {name!r} is missing")
    return {name: _convert(source, (*key, name), value, types[name]) for name, value in table.items()}


def _site(source: _Source, name: str, entry: Mapping[str, Any]) -> tuple[Site, bool]:
    """The site a ``[sites.<name>]`` table declares, and whether it says ``override = true``."""
    key = ("sites", name)
    if not NAME.fullmatch(name):
        raise source.error(
            key, "a site name is lower-case letters, digits, '_' and '-', starting with a letter"
        )
    if not isinstance(entry, dict):
        raise source.error(key, f"must be a table ([sites.{name}]), not {_toml_type(entry)}")
    override = entry.get(OVERRIDE, False)
    if not isinstance(override, bool):
        raise source.error((*key, OVERRIDE), f"must be true or false, not {_toml_type(override)}")
    declared = {k: v for k, v in entry.items() if k != OVERRIDE}
    arguments = _table(source, key, _over_family(source, key, declared), Site)
    url = urlsplit(arguments["base_url"])
    if url.scheme not in ("http", "https") or not url.hostname:
        raise source.error(
            (*key, "base_url"), "must be an http(s) URL with a host, e.g. 'https://example.com'"
        )
    if not arguments["article_paths"]:
        raise source.error((*key, "article_paths"), "must name at least one pattern of article paths")
    return Site(name=name, **arguments), override


def _over_family(source: _Source, key: tuple[str, ...], entry: dict[str, Any]) -> dict[str, Any]:
    """``entry`` merged over the defaults of the CMS family it names (see the module's docs)."""
    family = entry.get("cms")
    if not isinstance(family, str):  # none named, or a wrong type (said where the types are checked)
        return entry
    families = cms_families()
    if family not in families and family not in PROFILES:
        known = ", ".join(sorted({*families, *PROFILES}))
        raise source.error((*key, "cms"), f"unknown CMS family {family!r}; known families: {known}")
    defaults = families.get(family, {})
    merged = {**defaults, **entry}
    for table in TABLES:
        if isinstance(defaults.get(table), dict) and isinstance(entry.get(table), dict):
            merged[table] = {**defaults[table], **entry[table]}
    return merged


@cache
def cms_families() -> dict[str, dict[str, Any]]:
    """Each CMS family's defaults by name, as its ``newsarchive/cms/<family>.toml`` declares
    them (checked like a site entry: a wrong key or value is a :class:`SiteConfigError`)."""
    families = {}
    for path in sorted(FAMILY_DIR.glob("*.toml")):
        source, document = _read_toml(path)
        for name in SITE_ONLY:
            if name in document:
                raise source.error((name,), "names one site: a CMS family declares only what its sites share")
        _table(source, (), document, Site, complete=False)
        families[path.stem] = document
    return families


def _read_toml(path: str | os.PathLike[str]) -> tuple[_Source, dict[str, Any]]:
    """The file at ``path`` and the TOML document it holds; raises :class:`SiteConfigError`."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as error:
        raise SiteConfigError(path, f"cannot read the sites file: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise SiteConfigError(path, f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    try:
        return _Source(path, text), tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _syntax_error(path, text, error) from None


def _syntax_error(path: str | os.PathLike[str], text: str, error: tomllib.TOMLDecodeError) -> SiteConfigError:
    """tomllib's message, with the position it ends with (in its text in Python 3.11) as the line."""
    message = str(error)
    position = _TOML_POSITION.search(message)
    if position is None:
        return SiteConfigError(path, f"not valid TOML: {message}")
    where = f" (column {position[2]})" if position[2] else " (at the end of the file)"
    line = int(position[1]) if position[1] else len(text.splitlines()) or None
    return SiteConfigError(path, f"not valid TOML{where}: {message[: position.start()]}", line=line)


def read_sites(path: str | os.PathLike[str]) -> dict[str, tuple[Site, bool]]:
    """Each site the TOML file at ``path`` declares, by name, with its ``override`` flag.

    Raises :class:`SiteConfigError` for a file that cannot be read or declares anything wrong.
    """
    source, document = _read_toml(path)
    for name in document:
        if name != "sites":
            raise _unknown_key(source, (name,), ["sites"])
    sites = document.get("sites", {})
    if not isinstance(sites, dict):
        raise source.error(("sites",), "must be tables, one per site: [sites.<name>]")
    return {name: _site(source, name, entry) for name, entry in sites.items()}


# --- every site ----------------------------------------------------------------------


def _entry_error(path: str | os.PathLike[str], name: str, problem: str) -> SiteConfigError:
    """An error about the whole ``[sites.<name>]`` entry of the file at ``path``."""
    line = key_line(Path(path).read_text("utf-8"), ("sites", name))
    return SiteConfigError(path, problem, line=line, key=f"sites.{name}")


@cache
def bundled_sites() -> dict[str, Site]:
    """The sites the package bundles, by name in alphabetical order: ``<name>.toml`` each."""
    sites: dict[str, Site] = {}
    for path in sorted(BUNDLED_DIR.glob("*.toml")):
        declared = read_sites(path)
        if list(declared) != [path.stem]:
            raise SiteConfigError(
                path, f"a bundled file declares one site, named after the file: [sites.{path.stem}]"
            )
        site, override = declared[path.stem]
        if override:
            raise _entry_error(path, site.name, "a bundled site overrides nothing: remove 'override'")
        sites[site.name] = site
    return sites


def user_site_files(sites_file: str | os.PathLike[str] | None = None) -> list[Path]:
    """The user's sites files: ``./sites.toml`` when there is one, and ``sites_file`` (the
    ``NEWSARCHIVE_SITES_FILE`` setting), which must exist when given."""
    files = [Path(USER_FILE)] if Path(USER_FILE).is_file() else []
    if sites_file:
        path = Path(sites_file)
        if not path.is_file():
            raise SiteConfigError(path, "no such file (named by NEWSARCHIVE_SITES_FILE)")
        if not any(path.resolve() == known.resolve() for known in files):
            files.append(path)
    return files


def load_sites(sites_file: str | os.PathLike[str] | None = None) -> dict[str, Site]:
    """Every site by name: the bundled ones, then the user's (see :func:`user_site_files`).

    A user's entry named like a bundled site replaces it only with ``override = true``; a
    name declared in two of the user's files is an error. Raises :class:`SiteConfigError`.
    """
    bundled = bundled_sites()
    sites = dict(bundled)
    declared_in: dict[str, Path] = {}
    for path in user_site_files(sites_file):
        for name, (site, override) in read_sites(path).items():
            if name in declared_in:
                raise _entry_error(path, name, f"the site {name!r} is declared in {declared_in[name]} too")
            if override and name not in bundled:
                raise _entry_error(
                    path,
                    name,
                    f"override = true, but no bundled site is named {name!r} (bundled: {', '.join(bundled)})",
                )
            if name in bundled and not override:
                raise _entry_error(
                    path,
                    name,
                    f"{name!r} is a bundled site: add 'override = true' to this table to replace it, "
                    "or give your site another name",
                )
            declared_in[name] = path
            sites[name] = site
    return sites
