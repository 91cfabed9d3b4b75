"""The baseline of the crawl benchmark: bare Scrapy fetching the same article pages.

It reads the site as the project's spider does (robots.txt ``Sitemap:`` lines, the
sitemap index, the post sitemaps), asks the replay server directly for every page
they list, and yields each page's URL: no extraction, no pipelines, no storage, no
WARC records, no archive look-ups. It lives in ``bench/`` and is not a spider of the
project.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import scrapy
from protego import Protego
from scrapy.utils.sitemap import Sitemap


class BareSitemapSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, replay_url: str, **kwargs):
        super().__init__(**kwargs)
        self.replay_url = replay_url.rstrip("/")

    def local(self, url: str) -> str:
        """A site URL aimed at the replay server (path and query unchanged)."""
        parts = urlsplit(url)
        return f"{self.replay_url}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")

    async def start(self):
        yield scrapy.Request(f"{self.replay_url}/robots.txt", callback=self.parse_robots)

    def parse_robots(self, response):
        for url in Protego.parse(response.text).sitemaps:
            yield scrapy.Request(self.local(url), callback=self.parse_sitemap)

    def parse_sitemap(self, response):
        sitemap = Sitemap(response.body)
        for entry in sitemap:
            if not entry.get("loc"):
                continue
            if sitemap.type == "sitemapindex":
                yield scrapy.Request(self.local(entry["loc"]), callback=self.parse_sitemap)
            else:
                yield scrapy.Request(self.local(entry["loc"]), callback=self.parse_page)

    def parse_page(self, response):
        yield {"url": response.url}
