"""The registry of sites: one line per site module."""

from newsarchive.sites import digiato
from newsarchive.sites.base import Listing, Selectors, Site

SITES: dict[str, Site] = {site.name: site for site in (digiato.SITE,)}

__all__ = ["SITES", "Listing", "Selectors", "Site"]
