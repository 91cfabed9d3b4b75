"""One spider per registered site (``scrapy list``), made from :data:`newsarchive.sites.SITES`.

A site needs no spider code of its own: everything site-specific is data in
its site module, and :class:`~newsarchive.spiders.base.NewsSpider` does the
crawling. ``scrapy crawl digiato`` finds ``DigiatoSpider`` here.
"""

from newsarchive.sites import SITES
from newsarchive.spiders.base import NewsSpider


def spider_class(site) -> type[NewsSpider]:
    """A :class:`NewsSpider` subclass named after ``site``."""
    class_name = "".join(part.title() for part in site.name.split("_")) + "Spider"
    return type(class_name, (NewsSpider,), {
        "name": site.name,
        "site": site,
        "__module__": __name__,
        "__doc__": f"Crawls {site.base_url} (see newsarchive.sites.{site.name}).",
    })


SPIDERS = {name: spider_class(site) for name, site in SITES.items()}
globals().update({cls.__name__: cls for cls in SPIDERS.values()})
