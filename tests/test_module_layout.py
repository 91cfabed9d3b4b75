"""The package's shape stays readable: small modules, no import cycles (the spider's imports:
tests/test_memory.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import newsarchive

PACKAGE = Path(newsarchive.__file__).resolve().parent
#: A module past this many lines is doing more than one job; split it by responsibility.
MAX_LINES = 500


def module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] != "__main__":  # runs the command line when imported
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_no_module_is_over_the_line_limit():
    long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


@pytest.mark.slow
def test_every_module_imports_first_on_its_own():
    """An import cycle shows as an ImportError when one of its modules is imported first."""
    script = (
        "import importlib, sys\n"
        "failed = []\n"
        "for name in sys.argv[1:]:\n"
        "    for loaded in [m for m in sys.modules if m == 'newsarchive' or m.startswith('newsarchive.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ImportError as error:\n"
        "        failed.append(f'{name}: {error}')\n"
        "print('\\n'.join(failed))\n"
    )
    optional = ("newsarchive.datasette",)  # needs the datasette extra, which the test extra installs
    names = [name for name in module_names() if not name.startswith(optional)] + list(optional)
    result = subprocess.run(
        [sys.executable, "-c", script, *names], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == ""
