"""When to fetch an article again: the one rule behind incremental crawling.

Scheduled runs must cost a handful of discovery requests plus one request per
new or changed article. An article URL is fetched when:

1. it is **new**: not in the archive under its URL or an alias;
2. it **changed**: its sitemap ``lastmod`` is newer than the archive's
   ``last_fetched_at``;
3. it is **young**: published less than ``NEWSARCHIVE_REFRESH_WINDOW_HOURS``
   (default 48) ago and last fetched at least
   ``NEWSARCHIVE_REFETCH_INTERVAL_HOURS`` (default 6) ago: fresh news gets
   corrected in its first days, often without a new ``lastmod``.

A URL that answered 404 or 410 is asked again only when its sitemap
``lastmod`` moves past that answer. Otherwise it is skipped. Listing pages stop
paginating at the first page on which every article is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


def _utc(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class RefreshPolicy:
    window: timedelta = timedelta(hours=48)
    interval: timedelta = timedelta(hours=6)

    @classmethod
    def from_settings(cls, settings) -> RefreshPolicy:
        return cls(
            window=timedelta(hours=settings.getfloat("NEWSARCHIVE_REFRESH_WINDOW_HOURS", 48)),
            interval=timedelta(hours=settings.getfloat("NEWSARCHIVE_REFETCH_INTERVAL_HOURS", 6)),
        )

    def reason_to_fetch(
        self, known: dict[str, Any] | None, lastmod: datetime | None, now: datetime
    ) -> str | None:
        """``"new"``, ``"changed"`` or ``"young"`` when the article should be fetched, else None.

        ``known`` is the archive's record (``last_fetched_at``, ``published_at``
        as UTC ISO strings, ``gone``, ``tombstoned``) or None; ``lastmod`` the sitemap's, if any.
        """
        if known is None:
            return "new"
        if known.get("tombstoned"):  # deleted on request: not even a changed lastmod brings it back
            return None
        last_fetched = _utc(known["last_fetched_at"])
        if lastmod is not None and (last_fetched is None or lastmod > last_fetched):
            return "changed"
        if known.get("gone"):
            return None
        published = _utc(known["published_at"])
        if (
            published
            and now - published < self.window
            and (last_fetched is None or now - last_fetched >= self.interval)
        ):
            return "young"
        return None
