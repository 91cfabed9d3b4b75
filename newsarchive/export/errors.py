"""What a refused export raises: plain exceptions that carry the values at fault.

Their messages name paths, formats and packages, never command-line options:
:mod:`newsarchive.cli` says which option to change, and exits 2.
"""

from __future__ import annotations


class ExportError(Exception):
    """A refused export: bad arguments, an unsafe path, a missing optional package."""
