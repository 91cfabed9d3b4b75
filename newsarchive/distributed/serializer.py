"""JSON instead of pickle for the requests in scrapy-redis's shared queue.

scrapy-redis pickles queued requests by default, and unpickling runs code:
anyone who could write to the Redis queue could run code in every worker. The
distributed add-on sets ``SCHEDULER_SERIALIZER = "newsarchive.distributed"``
(which re-exports :func:`dumps` and :func:`loads`), so a queued request is a
``Request.to_dict()`` written as JSON, with bytes and non-string dictionary keys
tagged so that they come back as they were. A request whose data holds anything
else (a callable, an object) cannot be queued: :func:`dumps` raises ``TypeError``.
"""

from __future__ import annotations

import base64
import json
from typing import Any


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {"__dict__": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot queue a request whose data holds a {type(value).__name__}: {value!r}")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "__bytes__" in value:
            return base64.b64decode(value["__bytes__"])
        return {_decode(k): _decode(v) for k, v in value["__dict__"]}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def dumps(obj: dict[str, Any]) -> bytes:
    """A request dict (``Request.to_dict``) as JSON; bytes and non-string keys survive."""
    return json.dumps(_encode(obj), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str) -> dict[str, Any]:
    """The request dict :func:`dumps` wrote."""
    return _decode(json.loads(data))
