"""One spider per bundled site (``scrapy list``), made from :data:`newsarchive.sites.SITES`.

A site needs no spider code of its own: everything site-specific is data in its TOML
entry, and :class:`~newsarchive.spiders.base.NewsSpider` does the crawling.
``scrapy crawl digiato`` finds ``DigiatoSpider`` here. The user's own sites get theirs from
:func:`site_spiders`, through :class:`newsarchive.spiderloader.SiteSpiderLoader` for Scrapy.
"""

import re
from collections.abc import AsyncIterator, Callable
from typing import Any

from scrapy.http import Response

from newsarchive.contracts import article_contract_docstring
from newsarchive.sites import SITES, load_sites
from newsarchive.sites.base import Site
from newsarchive.spiders.base import NewsSpider


def _contract_method(name: str, url: str) -> Callable[[NewsSpider, Response], AsyncIterator[Any]]:
    """A ``scrapy check`` contract: ``parse_article`` on the sample page ``url``."""

    async def check(self: NewsSpider, response: Response) -> AsyncIterator[Any]:
        # An async generator itself: Scrapy's contracts accept async callbacks only when
        # they are defined with async def.
        async for value in self.parse_article(response):
            yield value

    check.__name__ = check.__qualname__ = name
    check.__doc__ = article_contract_docstring(url)
    return check


def spider_class(site: Site) -> type[NewsSpider]:
    """A :class:`NewsSpider` subclass named after ``site``, with a contract per sample URL."""
    class_name = "".join(part.title() for part in re.split(r"[_-]", site.name)) + "Spider"
    names = [f"check_article_{n}" for n in range(1, len(site.contract_urls) + 1)]
    contracts = {name: _contract_method(name, url) for name, url in zip(names, site.contract_urls)}
    return type(
        class_name,
        (NewsSpider,),
        {
            "name": site.name,
            "site": site,
            "__module__": __name__,
            "__doc__": f"Crawls {site.base_url} (the site {site.name!r} of a sites TOML file).",
            **contracts,
        },
    )


SPIDERS = {name: spider_class(site) for name, site in SITES.items()}
globals().update({cls.__name__: cls for cls in SPIDERS.values()})


def site_spiders(sites_file: str | None = None) -> dict[str, type[NewsSpider]]:
    """A spider per site of :func:`~newsarchive.sites.load_sites` (the bundled ones and the
    user's): :data:`SPIDERS` for the bundled sites, new classes for the user's.
    Raises :class:`~newsarchive.sites.SiteConfigError`."""
    return {
        name: SPIDERS[name] if site is SITES.get(name) else spider_class(site)
        for name, site in load_sites(sites_file).items()
    }
