"""Packaging: what newsarchive imports is declared, and the tests import the packages they name.

* Every third-party module a ``newsarchive`` module imports comes from a distribution that
  ``pyproject.toml`` declares: a dependency, or an extra of the package itself (``redis``,
  ``parquet``, ``datasette``), never only the test or benchmark extras.
* ``datasets`` is the Hugging Face package, not the repository's ``datasets/`` folder
  (where exports land): ``tests/conftest.py`` takes the repository root off ``sys.path``.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import os
import re
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "newsarchive"
#: Extras for the tools around the package (tests, benchmarks); the package never needs them.
TOOL_EXTRAS = {"test", "bench", "bench-hazm"}


def canonical(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement(spec: str) -> tuple[str, list[str]]:
    """(name, extras) of a PEP 508 requirement such as ``newsarchive[redis,parquet]>=1; ...``."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?", spec)
    assert match, spec
    extras = [extra.strip() for extra in (match.group(2) or "").split(",") if extra.strip()]
    return canonical(match.group(1)), extras


def declared_distributions() -> set[str]:
    """Distributions the package may import: its dependencies and its own extras' (self-references followed)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    optional = project.get("optional-dependencies", {})
    declared: set[str] = set()
    pending = [(spec, "dependencies") for spec in project["dependencies"]]
    pending += [
        (spec, extra) for extra, specs in optional.items() if extra not in TOOL_EXTRAS for spec in specs
    ]
    seen: set[str] = set()
    while pending:
        spec, where = pending.pop()
        name, extras = requirement(spec)
        if name == canonical(project["name"]):
            for extra in extras:
                assert extra in optional, f"{where} names the unknown extra {project['name']}[{extra}]"
                if extra not in seen:
                    seen.add(extra)
                    pending += [(s, extra) for s in optional[extra]]
        else:
            declared.add(name)
    return declared


def third_party_imports() -> dict[str, set[str]]:
    """Top-level names of the absolute imports outside the standard library -> modules that import them."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top not in sys.stdlib_module_names and top != PACKAGE.name:
                    found.setdefault(top, set()).add(path.relative_to(PACKAGE.parent).as_posix())
    return found


def test_every_import_of_the_package_is_a_declared_distribution():
    declared = declared_distributions()
    providers = importlib.metadata.packages_distributions()
    imports = third_party_imports()
    assert {"scrapy", "parsel", "lxml"} <= imports.keys()  # the scan sees the package's imports
    undeclared = []
    for name, modules in sorted(imports.items()):
        distributions = {canonical(d) for d in providers.get(name, [])}
        if not distributions:
            undeclared.append(
                f"{name} (no installed distribution provides it), imported by {sorted(modules)}"
            )
        elif not distributions & declared:
            undeclared.append(f"{name} (from {sorted(distributions)}), imported by {sorted(modules)}")
    assert not undeclared, "declare these in pyproject.toml:\n" + "\n".join(undeclared)


def test_the_test_extra_takes_the_optional_features_from_their_extras():
    """The test extra names ``newsarchive[...]`` instead of repeating an extra's packages."""
    optional = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["optional-dependencies"]
    test = [requirement(spec) for spec in optional["test"]]
    included = {extra for name, extras in test if name == "newsarchive" for extra in extras}
    assert {"redis", "parquet", "datasette"} <= included
    repeated = {name for name, _ in test} & {
        requirement(spec)[0] for extra in included for spec in optional[extra]
    }
    assert not repeated


def test_the_repository_root_is_not_on_sys_path():
    """From the root, ``python3 -m pytest`` would put it first; its ``datasets/`` folder would then
    be imported as a namespace package ``datasets`` whenever the Hugging Face package is missing."""
    assert [entry for entry in sys.path if Path(entry or os.curdir).resolve() == ROOT] == []


def test_datasets_resolves_to_the_hugging_face_package_not_the_folder():
    spec = importlib.util.find_spec("datasets")
    assert spec is not None and spec.origin, "the test extra installs datasets (pip install -e '.[test]')"
    assert ROOT not in Path(spec.origin).resolve().parents, spec.origin
    assert str(ROOT / "datasets") not in [
        str(Path(p).resolve()) for p in spec.submodule_search_locations or []
    ]


@pytest.mark.slow
def test_import_datasets_gives_the_hugging_face_package():
    import datasets

    assert datasets.__file__ and ROOT not in Path(datasets.__file__).resolve().parents, datasets.__file__
    assert callable(datasets.load_dataset)
    assert importlib.metadata.version("datasets")
