"""A proposal as a ``[sites.<name>]`` TOML entry, and that entry added to a user's sites file.

:func:`render_entry` writes the entry in the form of the bundled files (literal strings, so
regular expressions read as written), with the evidence as comments. :func:`add_entry`
appends it to a sites file without touching what the file holds (its entries and comments),
and only once the whole new file has loaded (:func:`~newsarchive.sites.loader.read_sites`)
and declares the new site: it is written to a temporary file beside the target and renamed
over it, so a failure never leaves a half-written file.

:func:`site_name` makes a name from the host; :func:`name_taken` says whether a bundled site
or one of the user's already has it.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from newsarchive.sites.base import Site
from newsarchive.sites.loader import NAME, SiteConfigError, bundled_sites, load_sites, read_sites

if TYPE_CHECKING:
    from newsarchive.siteprobe.proposal import Proposal

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def site_name(url: str) -> str:
    """A site name from the URL's host: ``https://www.itiran.com`` is ``itiran``, ``news.example.ir``
    ``news-example`` (the labels before the top-level domain, as a site name may be written)."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    labels = host.split(".")[:-1] or [host]
    name = re.sub(r"[^a-z0-9_-]+", "-", "-".join(labels)).strip("-")
    return name if NAME.fullmatch(name) else f"site-{name}".rstrip("-")


def toml_string(value: str) -> str:
    """``value`` as a TOML string: a literal string when it can be one, else a basic string."""
    if "'" not in value and not _CONTROL.search(value):
        return f"'{value}'"
    return json.dumps(value, ensure_ascii=False)


def _array(values: Iterable[str]) -> str:
    return "[" + ", ".join(map(toml_string, values)) + "]"


def render_entry(proposal: Proposal, command: str = "", *, cms: bool = True) -> str:
    """The proposal's ``[sites.<name>]`` table, with how it was made as comments; without its
    ``cms`` key when ``cms`` is false (a family this installation has no profile for)."""
    check = proposal.check
    lines = [f"# Proposed by `{command}` on {_today()}."] if command else []
    if proposal.family.name:
        unnamed = "" if cms else " (no profile or defaults for it in this newsarchive: not named below)"
        lines.append(f"# CMS family {proposal.family.name}{unnamed}: {', '.join(proposal.family.evidence)}.")
    lines.append(
        f"# article_paths match {check.articles_matched} of {check.articles_seen} article URLs seen "
        f"and {len(check.listings_matched)} of {check.listings_seen} listing URLs."
    )
    lines += [f"[sites.{proposal.name}]", f"base_url = {toml_string(proposal.base_url)}"]
    if proposal.family.name and cms:
        lines.append(f"cms = {toml_string(proposal.family.name)}")
    lines.append(f"article_paths = {_array(proposal.article_paths)}")
    lines.append(f"feeds = {_array(proposal.feeds)}")  # [] when none answered: none asked in vain
    if proposal.sitemaps:
        lines.append(f"sitemap_fallbacks = {_array(proposal.sitemaps)}")
    if proposal.samples:
        lines.append(f"contract_urls = {_array(proposal.samples[:3])}")
    return "\n".join(lines) + "\n"


def _written(text: str, directory: Path | str = ".") -> str:
    """A temporary file in ``directory`` holding ``text`` (flushed to disk): the caller removes it."""
    handle, temporary = tempfile.mkstemp(prefix=".sites.", suffix=".toml.tmp", dir=directory)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    return temporary


def load_entry(entry: str, name: str) -> Site:
    """The site ``entry`` declares, as the crawl would load it (a CMS family's defaults merged).
    Raises :class:`SiteConfigError` when it does not load."""
    temporary = _written(entry, tempfile.gettempdir())
    try:
        return read_sites(temporary)[name][0]
    finally:
        Path(temporary).unlink(missing_ok=True)


def _umask() -> int:
    """The process's umask (read by setting it, then put back): what a new file's mode obeys."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _today() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%d")


def name_taken(name: str, target: Path, sites_file: str | None = None) -> str | None:
    """Why ``name`` cannot be added to ``target``: a bundled site's name, or a site declared in
    ``target``, ``./sites.toml`` or ``sites_file`` (``NEWSARCHIVE_SITES_FILE``); None when free.
    Raises :class:`SiteConfigError` when one of those files does not load."""
    if name in bundled_sites():
        return f"{name!r} is a bundled site"
    if target.is_file() and name in read_sites(target):
        return f"a site named {name!r} is declared in {target} already"
    if name in load_sites(sites_file):
        return f"a site named {name!r} is declared in your sites already (./sites.toml or NEWSARCHIVE_SITES_FILE)"
    return None


def added_text(existing: str, entry: str) -> str:
    """``existing`` file text with ``entry`` appended after one blank line, kept as it is."""
    if not existing.strip():
        return existing + entry
    return existing.rstrip("\n") + "\n\n" + entry


def add_entry(target: Path, entry: str, name: str) -> None:
    """Append ``entry`` (declaring the site ``name``) to the sites file ``target`` (created when
    missing), through a temporary file renamed over it once the whole file loads and declares
    ``name``. Raises :class:`SiteConfigError` (naming ``target``) and leaves ``target`` as it was."""
    existing = target.read_text("utf-8") if target.is_file() else ""
    temporary = _written(added_text(existing, entry), target.parent)
    try:
        try:
            declared = read_sites(temporary)
        except SiteConfigError as error:
            raise SiteConfigError(target, error.problem, line=error.line, key=error.key) from None
        if name not in declared:
            raise SiteConfigError(target, f"the new entry does not declare [sites.{name}]")
        os.chmod(temporary, target.stat().st_mode & 0o777 if target.is_file() else 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
