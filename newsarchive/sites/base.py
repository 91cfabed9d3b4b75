"""What a news site is, declared as data.

A :class:`Site` holds a site's hosts, which URLs are articles, where discovery starts, and
the CSS selectors of its own layouts: the typed form of one ``[sites.<name>]`` entry of a
TOML file (:mod:`newsarchive.sites.loader`, e.g. ``newsarchive/sites/digiato.toml``).
Crawling (:mod:`newsarchive.spiders.base`) and layered extraction (:mod:`newsarchive.extract`)
are shared by every site, so adding a site means such an entry, fixtures and tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from newsarchive.urls import canonical_url, host_of


def any_of(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex matching any of ``patterns`` (None when there are none); raises ``re.error``."""
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


@dataclass(frozen=True)
class Selectors:
    """CSS selectors of one site's layouts; each list is tried in order.

    ``body`` and ``lead`` name containers whose text blocks are extracted;
    every other entry selects elements whose text (or ``::attr``) is the value.
    """

    title: tuple[str, ...] = ()
    lead: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    image: tuple[str, ...] = ()
    published: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    #: Elements inside the body that are never text: ads, related posts, shares.
    noise: tuple[str, ...] = ()
    #: A page matching one of these is a video page.
    video: tuple[str, ...] = ()
    #: A page matching one of these is sponsored (paid or promoted) wherever its URL is,
    #: e.g. the ``category-<slug>`` class WordPress puts on a post in a sponsored category.
    sponsored: tuple[str, ...] = ()


@dataclass(frozen=True)
class Listing:
    """Where listing pages keep their article links and the next page."""

    article_links: tuple[str, ...] = ()
    next_page: tuple[str, ...] = ()


@dataclass(frozen=True)
class Site:
    """A news site: identity, URL rules, discovery entry points, selectors."""

    name: str
    base_url: str
    article_paths: tuple[str, ...]
    #: The CMS family whose generic profile the site uses ("" when none), e.g. ``"wordpress"``.
    cms: str = ""
    not_article_paths: tuple[str, ...] = ()
    sponsored_paths: tuple[str, ...] = ()
    extra_hosts: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ("/feed",)
    listings: tuple[str, ...] = ()
    #: Sitemaps tried when robots.txt names none: the sitemaps.org location, then Yoast's and WordPress's.
    sitemap_fallbacks: tuple[str, ...] = ("/sitemap.xml", "/sitemap_index.xml", "/wp-sitemap.xml")
    selectors: Selectors = field(default_factory=Selectors)
    listing: Listing = field(default_factory=Listing)
    #: Words written before author names ("written by") that are not names.
    author_prefixes: tuple[str, ...] = ()
    #: Separators between several names in one author string.
    author_separators: str = r"\s+و\s+|،|,"
    #: Breadcrumb entries that name the site itself, never a category.
    site_names: tuple[str, ...] = ()
    #: Sample article URLs, one per layout, that ``scrapy check <site>`` extracts (see spiders.sites).
    contract_urls: tuple[str, ...] = ()
    # The path patterns compiled once, by __post_init__: not arguments, not compared or shown.
    _article_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _not_article_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _sponsored_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_article_re", any_of(self.article_paths))
        object.__setattr__(self, "_not_article_re", any_of(self.not_article_paths))
        object.__setattr__(self, "_sponsored_re", any_of(self.sponsored_paths))

    @property
    def host(self) -> str:
        """The canonical host, e.g. ``digiato.com``."""
        return urlsplit(self.base_url).hostname or ""

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every host that belongs to the site (``www.`` forms are implied)."""
        return (host_of(self.base_url), *self.extra_hosts)

    def url(self, path: str) -> str:
        """An absolute URL on the site for ``path``."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def owns(self, url: str) -> bool:
        """True when ``url`` is on one of the site's hosts."""
        return host_of(url) in self.hosts

    def canonical(self, url: str) -> str:
        """The canonical form of a URL of this site (see :func:`canonical_url`)."""
        return canonical_url(url, host=self.host if self.owns(url) else None)

    def is_article_url(self, url: str) -> bool:
        """True when ``url`` looks like an article of this site, judged by its path.

        The path is percent-decoded first so that patterns can be written for
        the text readers see.
        """
        if not self.owns(url) or self._article_re is None:
            return False
        path = unquote(urlsplit(url).path)
        if self._not_article_re is not None and self._not_article_re.search(path):
            return False
        return self._article_re.search(path) is not None

    def is_sponsored_url(self, url: str) -> bool:
        """True when the URL marks a sponsored (promoted) post."""
        return self._sponsored_re is not None and self._sponsored_re.search(urlsplit(url).path) is not None
