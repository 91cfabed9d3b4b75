"""Which CMS family built a site, from what its pages give away.

Each family leaves marks in the HTML of every page it serves: the ``<meta name=generator>``
it writes, the paths of its assets (WordPress's ``/wp-content/``, Joomla's ``/media/jui/``),
its query parameters (``option=com_content``), its scripts' globals (``Drupal.settings``,
Next.js's ``__NEXT_DATA__``). :func:`page_marks` lists the marks one page carries,
:func:`cms_family` weighs the marks of all the pages probed (and an answering WordPress
REST API, the strongest) into one family: the name a site entry's ``cms`` takes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from parsel import Selector

#: Family -> (what the mark is, a pattern on the page's HTML).
MARKS: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    "wordpress": (
        ("wp-content paths", re.compile(r"/wp-(?:content|includes)/")),
        ("REST API link", re.compile(r"""rel=["']https://api\.w\.org/["']""")),
    ),
    "joomla": (
        ("/media/jui/ assets", re.compile(r"/media/(?:jui|system/js)/")),
        ("option=com_content", re.compile(r"option=com_content")),
    ),
    "drupal": (
        ("data-drupal-* attributes", re.compile(r"\bdata-drupal-[a-z-]+")),
        ("Drupal.settings", re.compile(r"\bDrupal\.settings|drupalSettings")),
        ("/sites/default/files/ paths", re.compile(r"/sites/default/files/")),
    ),
    # The Iranian agency platforms, by the classes public scrapers read (Targoman/PersianWebScraper
    # NastoohBased.ts, AsamBased.ts, IranSamanehBased.ts; see newsarchive/cms/<family>.toml).
    "nastooh": (("item-body/item-text classes", re.compile(r"""class=["'][^"']*\bitem-text\b""")),),
    "asam": (("echo_detail body", re.compile(r"\becho_detail\b")),),
    "iransamaneh": (("news_path/news_pdate_c classes", re.compile(r"\bnews_(?:path|pdate_c)\b")),),
    "nextjs": (
        ("__NEXT_DATA__", re.compile(r"""id=["']__NEXT_DATA__["']""")),
        ("/_next/static/ assets", re.compile(r"/_next/static/")),
        ("React Server Components payload", re.compile(r"self\.__next_f\.push")),
    ),
}
#: The family a ``<meta name=generator>`` names, by a word it starts with.
GENERATORS = {"wordpress": "wordpress", "joomla": "joomla", "drupal": "drupal", "next.js": "nextjs"}
#: What an answering WordPress REST API weighs against a page's marks.
REST_WEIGHT = 10
#: How a page's generator line weighs against its other marks.
GENERATOR_WEIGHT = 3

_GENERATOR = "meta[name=generator]::attr(content), meta[name=Generator]::attr(content)"


@dataclass(frozen=True)
class Family:
    """The CMS family chosen ("" when none shows) and the evidence for it, as it reads."""

    name: str
    evidence: tuple[str, ...]


def generator(html: str) -> str | None:
    """The page's ``<meta name=generator>`` content, if any."""
    found = Selector(text=html).css(_GENERATOR).get()
    return found.strip() if found and found.strip() else None


def page_marks(html: str) -> list[tuple[str, str, int]]:
    """``(family, evidence, weight)`` of each mark the page's HTML carries."""
    marks = []
    named = generator(html)
    if named:
        for word, family in GENERATORS.items():
            if named.lower().startswith(word):
                marks.append((family, f"generator {named!r}", GENERATOR_WEIGHT))
    for family, patterns in MARKS.items():
        marks.extend((family, what, 1) for what, pattern in patterns if pattern.search(html))
    return marks


def cms_family(pages: Iterable[str], *, wordpress_rest: bool = False) -> Family:
    """The family with the heaviest marks on ``pages`` (HTML texts), a REST API that answered
    counting for WordPress; ``Family("", ())`` when no page carries any mark."""
    weights: Counter[str] = Counter()
    evidence: dict[str, dict[str, None]] = {}
    if wordpress_rest:
        weights["wordpress"] += REST_WEIGHT
        evidence.setdefault("wordpress", {})["REST API /wp-json/wp/v2/posts answered"] = None
    for html in pages:
        for family, what, weight in page_marks(html):
            weights[family] += weight
            evidence.setdefault(family, {})[what] = None
    if not weights:
        return Family("", ())
    name = max(weights, key=lambda family: (weights[family], family == "wordpress"))
    return Family(name, tuple(evidence[name]))
