"""Item validation through Spidermon: every article checked against its JSON schema before it is stored.

``NEWSARCHIVE_ITEM_VALIDATION = True`` puts Spidermon's own ``ItemValidationPipeline`` in the
pipeline (at 850, after the dates are resolved, before the archive) with
:data:`ARTICLE_SCHEMA`. Its counts are Spidermon's (``spidermon/validation/items``,
``spidermon/validation/items/errors``, ``spidermon/validation/fields/errors/<error>/<field>``),
so Spidermon's ``ItemValidationMonitor`` works unchanged, and the health rule
:func:`newsarchive.health.validation_problems` judges them (``NEWSARCHIVE_HEALTH_MAX_VALIDATION_ERRORS``).
Items are neither dropped nor changed: the archive keeps the article, the run says what was wrong.

Off by default: it needs Spidermon (``pip install 'newsarchive[alerts]'``) and costs CPU on every
article (jsonschema builds its validator for each item). This module imports no Spidermon
until asked: every crawl loads it.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from scrapy.crawler import Crawler

#: A UTC time as the archive writes it: ``2024-03-14T16:45:00Z``.
UTC_TIME = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"
#: An absolute web URL (a lazy-loading ``data:`` placeholder or a ``javascript:`` link is none).
WEB_URL = r"^https?://[^\s]+$"
_TEXT = {"type": "string", "minLength": 1}
_TEXTS = {"type": "array", "items": _TEXT}

#: The article item (newsarchive.items.ArticleItem) as the pipelines hand it to the archive.
ARTICLE_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "newsarchive article",
    "type": "object",
    "required": ["url", "source", "title", "body", "published_at"],
    "properties": {
        "url": {"type": "string", "pattern": WEB_URL},
        "fetched_url": {"type": "string", "pattern": WEB_URL},
        "aliases": {"type": "array", "items": {"type": "string", "pattern": WEB_URL}},
        "source": _TEXT,
        "title": _TEXT,
        "lead": {"type": ["string", "null"]},
        "body": _TEXT,
        "authors": _TEXTS,
        "categories": _TEXTS,
        "tags": _TEXTS,
        "image_url": {"type": ["string", "null"], "pattern": WEB_URL},
        "page_type": {"enum": ["article", "video"]},
        "sponsored": {"type": "boolean"},
        "published_at": {"type": "string", "pattern": UTC_TIME},
        # Tehran local time in the Jalali calendar, Latin digits: 1402-12-24 20:15.
        "published_jalali": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\d \d\d:\d\d$"},
        "published_precision": {"enum": ["minute", "hour", "day"]},
        "modified_at": {"type": ["string", "null"], "pattern": UTC_TIME},
        "fetched_at": {"type": "string", "pattern": UTC_TIME},
        "http_status": {"type": "integer", "minimum": 100, "maximum": 599},
        "field_sources": {"type": "object", "additionalProperties": {"type": "string"}},
        "notes": {"type": "array", "items": {"type": "string"}},
    },
}


class ArticleValidation:
    """The pipeline entry of item validation: Spidermon's ``ItemValidationPipeline`` with
    :data:`ARTICLE_SCHEMA` when ``NEWSARCHIVE_ITEM_VALIDATION`` is on, else this pass-through.

    Off, it passes items on rather than raising ``NotConfigured``: ``newsarchive reparse``
    builds the pipelines itself (:func:`newsarchive.pipelines.build_pipelines`), without
    Scrapy's skipping of components not configured.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        """Asked for without Spidermon, the crawl does not start (a check that silently never
        runs is worse than none)."""
        if not crawler.settings.getbool("NEWSARCHIVE_ITEM_VALIDATION"):
            return cls()
        if importlib.util.find_spec("spidermon") is None:
            raise RuntimeError("item validation needs Spidermon: pip install 'newsarchive[alerts]'")
        from scrapy import Item
        from spidermon.contrib.scrapy.pipelines import ItemValidationPipeline
        from spidermon.contrib.validation import JSONSchemaValidator

        # Keyed by Scrapy's Item: Spidermon's fallback for every item class, plain dicts included.
        validators = {Item.__name__: [JSONSchemaValidator(ARTICLE_SCHEMA)]}
        return ItemValidationPipeline(validators=validators, stats=crawler.stats)

    def process_item(self, item: Any) -> Any:
        return item
