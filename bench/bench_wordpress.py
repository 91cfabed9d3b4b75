"""A WordPress site through its REST API: the requests a run costs, and how long it takes.

A generated site (``tests/wordpress_mirror.py``: posts every three hours, served by the
replay server with WordPress's pagination headers) is crawled three times into one archive:
the first backfill, a scheduled run with 10 new articles, a scheduled run with nothing new.
Each figure is the run's ``downloader/request_count`` (robots.txt included). Baseline: the
requests the same runs would cost through the site's pages, one per article plus robots.txt
and the sitemap (the sitemap's ``lastmod`` already spares unchanged articles). Targets
(issue "Any Persian news site from one line"): <= 60, <= 3, <= 2. Wall time of each run is
in the note.

``python -m bench wordpress`` (``--quick``: a backfill of 1,000 posts, target scaled to 12).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from wordpress_mirror import crawl_site, generated_post, write_changes, write_rest_pages  # noqa: E402

from bench import row  # noqa: E402
from newsarchive.replay import ReplayServer  # noqa: E402

NEW = 10


def run(quick: bool = False) -> list[dict]:
    backfill = 1000 if quick else 5000
    budget = {"backfill": 12 if quick else 60, "new": 3, "nothing": 2}
    posts = [generated_post(n) for n in range(backfill)]
    new = [generated_post(n) for n in range(backfill, backfill + NEW)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root, db = Path(tmp) / "mirror", Path(tmp) / "archive.db"
        write_rest_pages(root, posts, None)
        with ReplayServer(root) as server:
            runs = [
                ("backfill", f"first backfill of {backfill:,} posts", backfill, lambda: None),
                ("new", f"scheduled run, {NEW} new articles", NEW, lambda: write_changes(root, posts, new)),
                ("nothing", "scheduled run, nothing new", 0, lambda: write_changes(root, posts + new, [])),
            ]
            for key, figure, articles, prepare in runs:
                prepare()
                started = time.perf_counter()
                stats = crawl_site(db, server.url)
                seconds = time.perf_counter() - started
                requests = int(stats.get("downloader/request_count", 0))
                stored = int(stats.get("newsarchive/articles/new", 0))
                rows.append(
                    row(
                        "wordpress",
                        figure,
                        requests,
                        "requests",
                        baseline="through the site's pages (robots.txt, sitemap, one per article)",
                        baseline_value=articles + 2,
                        ratio=round((articles + 2) / requests, 1) if requests else None,
                        target=f"<= {budget[key]}",
                        met=requests <= budget[key] and stored == articles,
                        note=f"{stored} new articles stored; {seconds:.1f} s wall, interpreter start included",
                    )
                )
    return rows
