"""A generated WordPress site answering the REST API, for the tests and the benchmarks.

:data:`SITE` is a one-line WordPress entry (``cms = "wordpress"``, no selectors);
:func:`write_rest_pages` writes, under a replay root, the pages of posts WordPress would
answer to the profile's queries (one file per page of 100, the pagination headers in its
sidecar, see :mod:`newsarchive.replay`), and :func:`write_changes` the answer a scheduled run
gets after a finished one. :func:`crawl_site` crawls it in a child process (Twisted's reactor
runs once per process) and returns the run's stats: ``tests/test_wordpress.py`` checks the
request budget with it, ``bench/bench_wordpress.py`` reports it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from newsarchive.cms.wordpress import PER_PAGE, latest_modified, modified_after, parse_gmt, posts_url
from newsarchive.sites.base import Site

ROOT = Path(__file__).resolve().parent.parent
SITE = Site(
    name="wptest",
    base_url="https://wp.example",
    article_paths=(r"^/\d{4}/\d{2}/\d{2}/[^/]+/?$",),
    cms="wordpress",
    feeds=(),
)
#: Runs a spider made from a site given as JSON with settings given as JSON; prints its int stats.
CRAWL_SCRIPT = """
import json, sys
from newsarchive.crawl import run_spiders
from newsarchive.sites.base import Site
from newsarchive.spiders.sites import spider_class
site = Site(**{k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(sys.argv[1]).items()})
(stats,) = run_spiders([spider_class(site)], json.loads(sys.argv[2])).values()
print(json.dumps({k: v for k, v in stats.items() if isinstance(v, (int, float))}))
"""


def generated_post(number: int) -> dict:
    """Post ``number``: published every three hours from 2024, modified an hour later."""
    published = datetime(2024, 1, 1, 8, tzinfo=UTC) + timedelta(hours=3 * number)
    return {
        "link": f"{SITE.base_url}/{published:%Y/%m/%d}/post-{number}/",
        "title": {"rendered": f"خبر شماره {number} درباره 5G"},
        "excerpt": {"rendered": f"<p>خلاصه خبر {number} [&hellip;]</p>"},
        "content": {
            "rendered": f"<p>متن خبر {number} با نیم\u200cفاصله.</p><div class='sharedaddy'>اشتراک</div>"
        },
        "date_gmt": f"{published:%Y-%m-%dT%H:%M:%S}",
        "modified_gmt": f"{published + timedelta(hours=1):%Y-%m-%dT%H:%M:%S}",
        "format": "standard",
        "_links": {},
        "_embedded": {
            "author": [{"name": "نویسنده"}],
            "wp:term": [[{"taxonomy": "category", "name": "اخبار"}]],
        },
    }


def write_rest_pages(root: Path, posts: list[dict], after: datetime | None) -> None:
    """The pages of ``posts`` (changed after ``after``) under the site's folder of ``root``."""
    pages = max(1, -(-len(posts) // PER_PAGE))
    for page in range(1, pages + 1):
        url = urlsplit(posts_url(SITE, page, after))
        folder = root / SITE.host / url.path.strip("/")
        folder.parent.mkdir(parents=True, exist_ok=True)
        answer = folder.with_name(f"posts?{unquote(url.query)}")
        answer.write_text(json.dumps(posts[(page - 1) * PER_PAGE : page * PER_PAGE], ensure_ascii=False))
        headers = {"X-WP-Total": str(len(posts)), "X-WP-TotalPages": str(pages)}
        answer.with_name(answer.name + ".headers.json").write_text(json.dumps({"headers": headers}))


def write_changes(root: Path, stored: list[dict], new: list[dict]) -> int:
    """The answer to the run after one that read ``stored``: ``new`` and the stored posts
    changed within the profile's margin before the watermark. Returns how many of those."""
    after = modified_after(latest_modified(stored), None)
    assert after is not None
    repeated = [post for post in stored if (parse_gmt(post["modified_gmt"]) or after) > after]
    write_rest_pages(root, repeated + new, after)
    return len(repeated)


def crawl_site(db: Path, replay_url: str, site: Site = SITE) -> dict[str, float]:
    """Crawl ``site`` through the replay server at ``replay_url`` into ``db``; the run's stats."""
    entry = {
        "name": site.name,
        "base_url": site.base_url,
        "cms": site.cms,
        "article_paths": list(site.article_paths),
        "feeds": list(site.feeds),
    }
    settings = {"NEWSARCHIVE_REPLAY_URL": replay_url, "NEWSARCHIVE_DB": str(db), "LOG_LEVEL": "WARNING"}
    env = {name: value for name, value in os.environ.items() if not name.startswith("NEWSARCHIVE_")}
    result = subprocess.run(
        [sys.executable, "-c", CRAWL_SCRIPT, json.dumps(entry), json.dumps(settings)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise AssertionError(f"crawl failed ({result.returncode}):\n{result.stderr[-5000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])
