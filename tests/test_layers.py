"""The house in order, kept so: each package imports only the floors below it, no private name crosses
a module boundary, and the fake embedder is known to the tests alone."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT

# package -> the packages it may import (besides itself and third-party libraries)
BELOW = {
    "measure": set(),
    "assistant": set(),
    "ingest": {"assistant"},
    "evals": {"assistant", "ingest", "measure"},
    "app_pages": {"assistant", "ingest"},
    "benchmarks": {"assistant", "ingest", "measure", "evals", "app_pages"},  # load.py times the app's own path
    "capacities": {"assistant", "ingest", "evals", "benchmarks"},
}
OURS = set(BELOW) | {"tests"}


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import in the file, lazy ones inside functions included."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.module, [a.name for a in node.names]))
    return out


def _sources(package: str) -> list[Path]:
    return sorted((PROJECT_ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(BELOW))
def test_a_package_imports_only_the_floors_below_it(package):
    wrong = [
        f"{path.relative_to(PROJECT_ROOT)} imports {module}"
        for path in _sources(package)
        for module, _ in _imports(path)
        if module.split(".")[0] in OURS and module.split(".")[0] not in BELOW[package] | {package}
    ]
    assert not wrong


def test_no_private_name_crosses_a_module_boundary():
    crossing = [
        f"{path.relative_to(PROJECT_ROOT)}: from {module} import {name}"
        for package in BELOW
        for path in [*_sources(package), PROJECT_ROOT / "app.py"]
        for module, names in _imports(path)
        if module.split(".")[0] in OURS
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not crossing


def test_only_the_tests_know_the_fake_embedder():
    knowing = [
        str(path.relative_to(PROJECT_ROOT))
        for package in BELOW
        for path in _sources(package)
        if "HashEmbedder" in path.read_text(encoding="utf-8") or '"hash' in path.read_text(encoding="utf-8")
    ]
    assert not knowing


def test_every_import_of_our_modules_resolves():
    """Lazy imports inside functions included: a name moved elsewhere is caught here, not by a user."""
    import importlib

    missing = []
    for package in BELOW:
        for path in _sources(package):
            for module, names in _imports(path):
                if module.split(".")[0] not in OURS:
                    continue
                found = importlib.import_module(module)
                for name in names:
                    if hasattr(found, name):
                        continue
                    try:
                        importlib.import_module(f"{module}.{name}")  # a submodule: from evals import composers
                    except ModuleNotFoundError:
                        missing.append(f"{path.relative_to(PROJECT_ROOT)}: {module}.{name}")
    assert not missing
