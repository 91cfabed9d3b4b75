"""Scrapy commands of this project (``COMMANDS_MODULE``): they replace built-ins of the same name.

``scrapy.cmdline`` loads Scrapy's commands, then entry points, then this module,
each into the same dict by name, so ``crawl`` here overrides Scrapy's ``crawl``.
"""
