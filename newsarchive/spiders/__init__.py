"""Spiders: one small class per site, all sharing :class:`~newsarchive.spiders.base.NewsSpider`."""
