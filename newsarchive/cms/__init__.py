"""CMS family profiles: a site whose entry names its CMS (``Site.cms``) is crawled through
what that CMS offers every site built on it, with no code of its own.

A profile decides a run's first requests and parses their answers (:class:`CmsProfile`); the
spider (:class:`newsarchive.spiders.base.NewsSpider`) asks :func:`open_profile` for one and
hands it the responses of the requests it made. When the CMS's API does not answer, the
profile falls back to the spider's own discovery (robots.txt, sitemaps, feeds, listings) and
its HTML extraction. A site naming a family with no profile here is crawled that way too.

* ``wordpress``: the REST API's posts collection (:mod:`newsarchive.cms.wordpress` builds the
  URLs and reads the posts, :mod:`newsarchive.cms.wordpress_crawl` runs it in a crawl).

HTML families (``nastooh``, ``asam``, ``iransamaneh``, ``joomla``, ``drupal``, ``nextjs``) are
data, not code: ``<family>.toml`` here declares the defaults (URL patterns, discovery,
selectors, noise) that :mod:`newsarchive.sites.loader` merges under a site entry naming it.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module
from typing import Any, Protocol

#: CMS family -> ``module:class`` of its profile, imported when a site names it.
PROFILES = {"wordpress": "newsarchive.cms.wordpress_crawl:WordPressProfile"}


class CmsProfile(Protocol):
    """What the spider asks of a CMS profile."""

    def start_requests(self) -> Iterable[Any]:
        """The run's first requests (callbacks: the spider's ``parse_cms`` and ``cms_failed``)."""

    def parse(self, response: Any) -> Iterable[Any]:
        """Items and further requests from one answer."""

    def failed(self, failure: Any) -> Iterable[Any]:
        """What follows a failed request: the spider's own discovery, when the API is not there."""

    def remembered(self) -> dict[str, str]:
        """Discovery state (URL -> value) to keep when the run finishes (the crawl memory's
        ``remember_discovery``): what the next run starts from."""


def open_profile(spider: Any) -> CmsProfile | None:
    """The profile of ``spider.site.cms`` for this spider, or None (no CMS named, or none known)."""
    path = PROFILES.get(spider.site.cms)
    if path is None:
        return None
    module, name = path.split(":")
    profile: CmsProfile = getattr(import_module(module), name)(spider)
    return profile
