"""``newsarchive add-site``'s library: probe a site nobody has configured, propose its entry.

* :mod:`.spider`: the probe, one short Scrapy run through the crawl's own discovery
  (:func:`~.spider.run_probe` gives its :class:`~.spider.Findings`);
* :mod:`.fingerprints`: the CMS family from the pages' marks;
* :mod:`.patterns`: ``article_paths`` inferred from article URLs and tested on listings;
* :mod:`.proposal`: the proposed entry and the generic layers' field coverage
  (:func:`~.proposal.propose`);
* :mod:`.entry`: the entry as TOML, appended to a sites file safely.

The probe spider is not in ``SPIDER_MODULES``: ``scrapy list`` shows sites, not it.
"""
