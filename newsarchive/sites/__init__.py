"""The registry of sites: every site the crawler knows, by name.

`SITES` maps the name of each bundled site to its `Site`, read from the package's
``<name>.toml`` files (:mod:`newsarchive.sites.loader`); adding a bundled site is adding
one such file. One spider per entry is made from it (`newsarchive.spiders.sites`) and the
command line offers its names. `load_sites` adds the user's own sites (``./sites.toml``,
the ``NEWSARCHIVE_SITES_FILE`` setting) to the bundled ones.
"""

from newsarchive.sites.base import Listing, Selectors, Site
from newsarchive.sites.loader import SiteConfigError, bundled_sites, load_sites

SITES: dict[str, Site] = bundled_sites()

__all__ = ["SITES", "Listing", "Selectors", "Site", "SiteConfigError", "load_sites"]
