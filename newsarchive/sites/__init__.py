"""The registry of sites: every site the crawler knows, by name.

`SITES` maps a site's name to the `Site` its module declares; one spider per entry is made
from it (`newsarchive.spiders.sites`) and the command line offers its names. Adding a
site is adding its module and one line here.
"""

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
