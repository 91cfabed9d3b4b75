"""What a refused export raises: plain exceptions that carry the values at fault.

Their messages name paths, formats and packages, never command-line options:
:mod:`newsarchive.cli` says which option to change, and exits 2.
"""

from __future__ import annotations

from pathlib import Path


class ExportError(Exception):
    """A refused export: bad arguments, an unsafe path, a missing optional package."""


class FormatMismatch(ExportError):
    """The data file's name says one format (``named``; None: no format's extension) and the
    format asked for is another. ``suffix``: the extension the name should end in."""

    def __init__(self, path: Path, named: str | None, chosen: str):
        self.path, self.named, self.chosen = path, named, chosen
        self.suffix = f".{chosen}"
        said = f"is named as {named}" if named else f"does not end in {self.suffix}"
        super().__init__(f"{path} {said} but the format asked for is {chosen}")


class ExcelFormat(ExportError):
    """The Excel form (a BOM, formula-safe cells) is a form of CSV; the format is another."""

    def __init__(self, fmt: str):
        super().__init__(f"the Excel form is a CSV form, and the format is {fmt}")
        self.format = fmt


class UnreadableValue(ExportError):
    """A value in the archive cannot have the type the format gives its field (Parquet
    timestamps need UTC instants such as ``2024-03-20T10:15:00Z``)."""

    def __init__(self, field: str, detail: str):
        super().__init__(f"the {field} field holds a value that is not a UTC instant: {detail}")
        self.field = field


class GzipName(ExportError):
    """A gzipped data file must be named so: its name ends in ``.gz``."""

    def __init__(self, path: Path):
        super().__init__(f"a gzipped file is named {path.name}.gz")
        self.path = path


class CompressedFormat(ExportError):
    """The format compresses its own content (Parquet: zstd); gzip on top is refused."""

    def __init__(self, fmt: str):
        super().__init__(f"{fmt.capitalize()} files are compressed inside (zstd); they are not gzipped")
        self.format = fmt


class NotStreamable(ExportError):
    """The format cannot go to stdout: Parquet is written with seeks, and has a footer."""

    def __init__(self, fmt: str):
        super().__init__(f"{fmt.capitalize()} is not sent to stdout")
        self.format = fmt


class MissingPackage(ExportError):
    """An optional package the format needs is not installed."""

    def __init__(self, package: str, extra: str, purpose: str):
        super().__init__(
            f"{purpose} needs {package}, which is not installed: "
            f"pip install 'newsarchive[{extra}]' (or pip install {package})"
        )
        self.package, self.extra = package, extra


class DestinationExists(ExportError):
    """A file is already at a destination, and overwriting was not asked for."""

    def __init__(self, path: Path, others: int):
        side = f" (and {others} of its manifest/datasheet/chart)" if others else ""
        super().__init__(f"{path} already exists{side}")
        self.path, self.others = path, others


class UnsafeDestination(ExportError):
    """Something other than a regular file is at a destination: ``os.replace`` would turn a
    device, FIFO or socket into a plain file, and a symlink rather than its target.
    ``data``: the path is the data file's (which a pipe could have been meant for)."""

    def __init__(self, path: Path, kind: str, *, data: bool = False):
        super().__init__(
            f"refusing to write {path}: it is {kind}, and export writes only regular files "
            f"or new names in an existing folder"
        )
        self.path, self.kind, self.data = path, kind, data
