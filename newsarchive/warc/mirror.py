"""WARC files served like a mirror directory: what ``newsarchive replay`` serves from WARC input.

:class:`WarcMirror` indexes the responses and revisits of one file or a folder
of files by ``(host, path + query)`` (:func:`url_key`), keeps the latest capture
of each URL, and answers with the stored status, headers and payload, a revisit
with its own status and headers and the payload of the response it refers to.
It answers the same question as the directory mirror of
:mod:`newsarchive.replay`, so a recorded crawl can be crawled again offline.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from newsarchive.warc.format import HOP_BY_HOP, sortable_date
from newsarchive.warc.reader import (
    StoredRecord,
    WarcProblem,
    WarcReadError,
    iter_records,
    read_record,
    warc_files,
)

logger = logging.getLogger(__name__)


def url_key(url: str) -> tuple[str, str]:
    """``(host without www., decoded path + query)``: how replay finds a capture."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = unquote(parts.path or "/")
    return host, path + (f"?{parts.query}" if parts.query else "")


@dataclass
class _Entry:
    sort_key: str
    path: Path
    offset: int
    length: int
    rec_type: str
    url: str
    digest: str | None
    refers_to: str | None


class WarcMirror:
    """Captures in WARC files served like a mirror directory (see :mod:`newsarchive.replay`).

    Responses and revisits are indexed by ``(host, path + query)``; the latest
    capture of a URL wins; a revisit is served with its own status and headers
    and the payload of the response it refers to. Damaged files are reported in
    ``problems`` and every readable record is still served.
    """

    def __init__(self, source: str | os.PathLike):
        self.source = Path(source)
        self.files = warc_files(self.source)
        if not self.files:
            raise FileNotFoundError(f"no WARC files in {self.source}")
        self.problems: list[WarcProblem] = []
        self.index: dict[tuple[str, str], _Entry] = {}
        #: (url, digest) and digest -> the response record holding that payload.
        self.payloads: dict[tuple[str, str] | str, _Entry] = {}
        for path in self.files:
            for record in iter_records(path, self.problems):
                if record.rec_type not in ("response", "revisit"):
                    continue
                entry = _Entry(
                    sortable_date(record.date),
                    path,
                    record.offset,
                    record.length,
                    record.rec_type,
                    record.url,
                    record.digest,
                    record.headers.get("WARC-Refers-To-Target-URI"),
                )
                key = url_key(record.url)
                if key not in self.index or self.index[key].sort_key <= entry.sort_key:
                    self.index[key] = entry
                if record.rec_type == "response" and record.digest:
                    self.payloads[(record.url, record.digest)] = entry
                    self.payloads.setdefault(record.digest, entry)
        self.hosts = {host for host, _ in self.index}

    def __len__(self) -> int:
        return len(self.index)

    def _entry(self, host: str | None, raw_path: str) -> _Entry | None:
        parts = urlsplit(raw_path)
        path = unquote(parts.path or "/")
        query = f"?{parts.query}" if parts.query else ""
        if host:
            host = host.split(":")[0].lower().removeprefix("www.")
        elif len(self.hosts) == 1:
            host = next(iter(self.hosts))
        return self.index.get((host or "", path + query)) or (
            self.index.get((host or "", path)) if query else None
        )

    def _read(self, entry: _Entry) -> StoredRecord:
        record = read_record(entry.path, entry.offset, entry.length)
        if record.rec_type == "revisit":
            original = None
            if entry.digest:  # payloads are indexed by digest: a revisit without one has no original
                original = self.payloads.get(
                    (entry.refers_to or entry.url, entry.digest)
                ) or self.payloads.get(entry.digest)
            if original is None:
                raise WarcReadError(f"revisit of {entry.url}: the original response is not in {self.source}")
            record.payload = read_record(original.path, original.offset, original.length).payload
        return record

    def response(
        self, host: str | None, raw_path: str
    ) -> tuple[int, dict[str, str] | list[tuple[str, str]], bytes] | None:
        """``(status, headers, body)`` of the latest capture, or None when there is none."""
        entry = self._entry(host, raw_path)
        if entry is None:
            return None
        try:
            record = self._read(entry)
        except WarcReadError as error:
            logger.warning("%s", error)
            return None
        headers = [
            (k, v)
            for k, v in record.http_headers
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"
        ]
        return record.status or 200, headers, record.payload
