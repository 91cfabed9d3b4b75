"""Crawl health through Spidermon, and alerts where people read them (issue 24).

:mod:`.suite` turns the problems :mod:`newsarchive.health` found in a run into
Spidermon monitor results, one test per rule; :mod:`.alerts` sends the failed rules to
Telegram, webhooks or email, once per rule per repeat interval; :mod:`.extension` runs both at
the end of a crawl and publishes field coverage under Spidermon's stats names; :mod:`.validation`
checks each article against its JSON schema with Spidermon's ``ItemValidationPipeline``. All off
by default; Spidermon comes with ``pip install 'newsarchive[alerts]'``.
"""
