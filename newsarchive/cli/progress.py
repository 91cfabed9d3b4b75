"""Progress bars for long commands (crawl, export, reparse, reindex), drawn by tqdm.

A bar is drawn only for a person: on a terminal (``stream.isatty()``) and without
``--quiet``. Anywhere else (cron mail, a pipe, a log file) nothing is written, so the
output of a scheduled run stays what it was. The library reports progress as numbers
(done, total); the commands turn them into a bar here.
"""

from __future__ import annotations

import sys
from typing import IO, Any


class Progress:
    """A progress bar called with (done, total); silent off a terminal or when ``quiet``.

    ``total`` may be 0 or unknown (``None``) when the amount of work is not known ahead
    (a crawl): tqdm then shows a count and a rate instead of a bar. :meth:`close` draws the
    last state and ends the line; the bar is also a context manager that closes itself.
    """

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        desc: str = "",
        unit: str = "it",
        quiet: bool = False,
        every: float = 0.2,
    ):
        self.stream = sys.stderr if stream is None else stream
        self.enabled = not quiet and bool(getattr(self.stream, "isatty", lambda: False)())
        self.desc = desc
        self.unit = unit
        self.every = every
        self._bar: Any = None

    def __call__(self, done: int, total: int | None = None) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            from tqdm import tqdm  # only when a bar is drawn: scheduled runs never import it

            self._bar = tqdm(
                total=total or None,
                desc=self.desc,
                unit=f" {self.unit}",
                unit_scale=False,
                file=self.stream,
                mininterval=self.every,
                dynamic_ncols=True,
                leave=True,
            )
        if total and self._bar.total != total:
            self._bar.total = total
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
