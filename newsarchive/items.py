"""The article item: every field documented in one place.

The spider fills the *raw* fields from extraction; the pipelines add the
*derived* ones. Everything goes through ``itemadapter``, so pipelines work the
same on this item or a plain dict (e.g. an item read back from Redis).
"""

import scrapy


class ArticleItem(scrapy.Item):
    # --- identity ---------------------------------------------------------
    url = scrapy.Field(doc="Canonical URL on the real site (never the replay server's).")
    source = scrapy.Field(doc="Site name, e.g. 'digiato'.")
    aliases = scrapy.Field(doc="Other URLs of the same article: redirects, pre-canonical URLs.")
    fetched_url = scrapy.Field(
        doc="The canonical form of the URL the page was fetched at (``url`` may be "
        "its rel=canonical); the archive trusts that claim only so far (see Archive)."
    )
    # --- text (normalized by NormalizationPipeline) -------------------------
    title = scrapy.Field(doc="Headline.")
    lead = scrapy.Field(doc="Standfirst/summary paragraph, or None.")
    body = scrapy.Field(doc="Plain text; paragraphs and subheadings separated by a blank line.")
    authors = scrapy.Field(doc="List of author names.")
    categories = scrapy.Field(doc="List of categories in breadcrumb order, without the site name.")
    tags = scrapy.Field(doc="List of tags in page order.")
    image_url = scrapy.Field(doc="Main image URL (not downloaded), or None.")
    page_type = scrapy.Field(doc="'article' or 'video'.")
    sponsored = scrapy.Field(doc="True for promoted/sponsored posts.")
    # --- dates as found ---------------------------------------------------
    published_display = scrapy.Field(doc="The date line exactly as the page shows it.")
    published_candidates = scrapy.Field(
        doc="[layer, text] machine-readable dates (jsonld, meta, time, feed)."
    )
    modified_display = scrapy.Field(doc="A displayed modification date, if any.")
    modified_candidates = scrapy.Field(doc="[layer, text] machine-readable modification dates.")
    # --- dates resolved by DatePipeline -----------------------------------
    published_at = scrapy.Field(doc="UTC, 'YYYY-MM-DDTHH:MM:SSZ'.")
    published_jalali = scrapy.Field(doc="Tehran local time, Jalali, 'YYYY-MM-DD HH:MM' (Latin digits).")
    published_precision = scrapy.Field(doc="'minute', 'hour' or 'day'.")
    modified_at = scrapy.Field(doc="UTC modification time from the page, or None.")
    # --- provenance -------------------------------------------------------
    field_sources = scrapy.Field(doc="{field: layer} - which extraction layer produced each field.")
    notes = scrapy.Field(doc="Extraction notes: disagreeing dates, unreadable metadata.")
    boilerplate = scrapy.Field(
        doc="{rule: blocks} the extraction left out of the body (site-noise, ad-network, "
        "class-words, lexicon, links, echoes); counted in the run, not stored."
    )
    template_blocks = scrapy.Field(
        doc="{key: paragraph} of the body's short paragraphs, counted per source "
        "by the archive (newsarchive.templates); not stored on the article."
    )
    fetched_at = scrapy.Field(doc="UTC time the page was fetched.")
    http_status = scrapy.Field(doc="HTTP status of the final response.")
