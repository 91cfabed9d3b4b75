"""``scrapy check`` for every site: sample article pages must still extract.

Each site lists sample article URLs, one per layout, as data
(:attr:`~newsarchive.sites.base.Site.contract_urls`); :mod:`newsarchive.spiders.sites`
turns each into a contract method of the site's spider. Run against the live
site, ``scrapy check <site>`` tells within seconds whether a redesign broke
the selectors; run with ``-s NEWSARCHIVE_REPLAY_URL=…`` it checks the mirror.

Scrapy's own ``@scrapes`` only asks that a field be *set*, and ``parse_article``
sets every field, if only to None. ``@fills`` asks for a value.
"""

from __future__ import annotations

from itemadapter import ItemAdapter, is_item
from scrapy.contracts import Contract
from scrapy.exceptions import ContractFail

#: The contracts of one sample article page.
ARTICLE_CONTRACTS = (
    "@returns items 1 1",
    "@returns requests 0 0",
    "@fills url title body published_display|published_candidates",
)


class FillsContract(Contract):
    """``@fills a b|c``: every item has a non-empty ``a``, and ``b`` or ``c`` non-empty."""

    name = "fills"

    def post_process(self, output: list) -> None:
        for item in (value for value in output if is_item(value)):
            adapter = ItemAdapter(item)
            empty = [wanted for wanted in self.args if not any(adapter.get(f) for f in wanted.split("|"))]
            if empty:
                raise ContractFail(f"empty field(s) {', '.join(empty)} in {adapter.get('url')}")


def article_contract_docstring(url: str) -> str:
    """The docstring of a contract method that extracts the article at ``url``."""
    lines = "\n".join(f"    {contract}" for contract in ARTICLE_CONTRACTS)
    return f"Sample article page: it must still extract.\n\n    @url {url}\n{lines}\n"
