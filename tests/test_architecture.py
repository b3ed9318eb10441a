"""The layers of sohoa, and a check that imports only run downward.

    sohoa.core -> models -> pipeline, samples -> storage -> app -> flows -> web, cli, demo

A module may import its own layer and the layers to its left. Run with ``-s``
to print the import graph between layers.
"""

from __future__ import annotations

import ast
import os
import tomllib
from collections import defaultdict
from pathlib import Path

import sohoa

PACKAGE_ROOT = Path(sohoa.__file__).parent
LAYERS: dict[str, int] = {
    "sohoa.core": 0,
    "sohoa.models": 1,
    "sohoa.pipeline": 2,
    "sohoa.samples": 2,
    "sohoa.storage": 3,
    "sohoa.app": 4,
    "sohoa.flows": 5,
    "sohoa.web": 6,
    "sohoa.cli": 6,
    "sohoa.demo": 6,
    "sohoa.__main__": 6,
    "sohoa": 6,
}
# The design card's folders, which must only ever be imported through sohoa.
BARE_NAMES = {"models", "pipeline", "storage", "flows", "app", "web"}


def package_files() -> list[Path]:
    """Every module of the package; the design-card folders are symlinked into it."""
    return [
        Path(folder, name)
        for folder, _, names in os.walk(PACKAGE_ROOT, followlinks=True)
        for name in names
        if name.endswith(".py")
    ]


def layer_of(module: str) -> str:
    parts = module.split(".")
    for size in (2, 1):
        name = ".".join(parts[:size])
        if name in LAYERS:
            return name
    raise AssertionError(f"{module} is in no layer; add it to LAYERS")


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE_ROOT).with_suffix("")
    parts = ["sohoa", *relative.parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def import_edges() -> set[tuple[str, str, str]]:
    """(importing module, its layer, imported layer) for every sohoa import."""
    edges = set()
    for path in package_files():
        module = module_name(path)
        for imported in imports_of(path):
            top = imported.split(".")[0]
            assert top not in BARE_NAMES, f"{module} imports {imported}: use sohoa.{imported}"
            if top == "sohoa":
                edges.add((module, layer_of(module), layer_of(imported)))
    return edges


def test_every_package_folder_is_in_a_layer() -> None:
    for path in package_files():
        layer_of(module_name(path))


def test_imports_only_run_downward() -> None:
    edges = import_edges()
    upward = sorted(
        f"{module} ({layer}) imports {target}"
        for module, layer, target in edges
        if LAYERS[target] > LAYERS[layer]
    )
    graph: defaultdict[str, set[str]] = defaultdict(set)
    for _, layer, target in edges:
        if target != layer:
            graph[layer].add(target)
    for layer in sorted(graph, key=LAYERS.__getitem__):
        print(f"{layer:<16} -> {', '.join(sorted(graph[layer], key=LAYERS.__getitem__))}")
    assert not upward, "imports running up the layers:\n" + "\n".join(upward)
    assert len(edges) > 50  # the walk really found the package's imports


def test_the_wheel_lists_every_package_and_claims_only_sohoa() -> None:
    """pyproject names the packages one by one (the folders are symlinked in),
    so a new sub-package must be added there or the wheel would lack it."""
    pyproject = tomllib.loads((PACKAGE_ROOT.parent / "pyproject.toml").read_text("utf-8"))
    listed = set(pyproject["tool"]["setuptools"]["packages"])
    on_disk = {module_name(path) for path in package_files() if path.name == "__init__.py"}
    assert listed == on_disk
    assert {name.split(".")[0] for name in listed} == {"sohoa"}
