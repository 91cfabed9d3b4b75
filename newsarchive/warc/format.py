"""The WARC conventions that writing, reading and replay share.

How a capture's time is written (:func:`warc_date`) and turned back into the
archive's one-second timestamps (:func:`second_of`), how a payload digest is
spelled (:func:`payload_digest`, as warcio writes it), which HTTP headers are
never stored (:data:`HOP_BY_HOP`), and where a crawl's WARC files live
(:func:`resolve_warc_dir`). Kept apart so that the writer, the reader and the
replay mirror agree on each of them without importing one another.
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

from newsarchive.archive import resolve_db_path

#: Headers that describe the connection or the transfer, not the payload; never written.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def payload_digest(payload: bytes) -> str:
    """``sha1:<base32>``, as warcio writes ``WARC-Payload-Digest``."""
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")


def warc_date(moment: datetime) -> str:
    """A WARC 1.1 date: UTC with microseconds, ``2025-01-31T12:00:00.123456Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def second_of(date: str) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` (the archive's timestamps) of a WARC date."""
    return date[:19] + "Z"


def sortable_date(date: str) -> str:
    """A WARC date that sorts correctly whether or not it has fractional seconds."""
    base = date.rstrip("Z")
    return base if "." in base else base + ".000000"


def resolve_warc_dir(warc_dir: str | os.PathLike[str] | None, db: str | os.PathLike[str] | None) -> Path:
    """``NEWSARCHIVE_WARC_DIR``, else ``$NEWSARCHIVE_WARC_DIR``, else ``warc/`` beside the archive."""
    chosen = warc_dir or os.environ.get("NEWSARCHIVE_WARC_DIR")
    return Path(chosen) if chosen else resolve_db_path(db).resolve().parent / "warc"


def http_header(headers: list[tuple[str, str]], name: str) -> str | None:
    """The first value of header ``name`` (any case) in a stored HTTP head, or None."""
    return next((v for k, v in headers if k.lower() == name.lower()), None)
