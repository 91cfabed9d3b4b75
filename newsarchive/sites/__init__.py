"""The registry of sites: one line per site module."""

from newsarchive.sites import digiato, gadgetnews, itna, peivast, shahrsakhtafzar, vigiato, zoomit
from newsarchive.sites.base import Listing, Selectors, Site

SITES: dict[str, Site] = {
    site.name: site
    for site in (
        digiato.SITE,
        zoomit.SITE,
        shahrsakhtafzar.SITE,
        itna.SITE,
        gadgetnews.SITE,
        vigiato.SITE,
        peivast.SITE,
    )
}

__all__ = ["SITES", "Listing", "Selectors", "Site"]
