"""URL canonicalization: one key per article, however a link to it was written.

Feeds add ``utm_*`` parameters, listings add fragments, sitemaps percent-encode
Persian slugs in lower or upper case: without one canonical form the same
article would be fetched and stored several times.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

#: Query parameters that only track where a reader came from.
TRACKING_PARAMETERS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "utm_id",
    "fbclid",
    "gclid",
    "yclid",
    "mc_cid",
    "mc_eid",
    "ref",
    "amp",
    "_ga",
)


def canonical_url(url: str, *, host: str | None = None) -> str:
    """Return the canonical form of ``url``.

    Tracking parameters and the fragment are dropped, the remaining query is
    sorted, percent-encoding is made uniform (w3lib), the scheme becomes https,
    the host is lower-cased (or replaced by ``host``, a site's canonical host),
    and a trailing slash on a non-root path is removed.
    """
    cleaned = url_query_cleaner(url, TRACKING_PARAMETERS, remove=True, keep_fragments=False)
    _scheme, netloc, path, query, _ = urlsplit(canonicalize_url(cleaned))
    if path != "/" and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return urlunsplit(("https", (host or netloc).lower(), path or "/", query, ""))


def host_of(url: str) -> str:
    """The lower-cased host of ``url`` without port and without a leading ``www.``."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")
