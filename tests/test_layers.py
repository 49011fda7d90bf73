"""The package's architecture, enforced: layers import only downwards, files stay small, and
every name of corrtherm 0.1's public API is still importable from where it was.

Layers (docs/architecture.md): core <- open, isolated (siblings) <- gaussian <- scenarios
<- sweeps <- plotting <- reproduce <- console <- cli. ``corrtherm/__init__.py`` and ``_compat.py`` sit on
top of everything. The import graph is read from the source with :mod:`ast`, so an import hidden
inside a function or under ``TYPE_CHECKING`` counts too.
"""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path

import pytest

import corrtherm

PACKAGE = Path(corrtherm.__file__).parent
LAYER = {
    "core": 0,
    "open": 1,
    "isolated": 1,
    "gaussian": 2,
    "scenarios": 3,
    "sweeps": 4,
    "plotting": 5,
    "reproduce": 6,
    "console": 7,
    "cli": 8,
}
TOP = {"__init__", "_compat"}
MAX_LINES = 600


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        out.append((".".join(("corrtherm", *rel.parts)), path))
    return out


def _unit(module: str) -> str:
    """First component below ``corrtherm`` (the layer unit), e.g. 'open' or 'cli'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(module: str, path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:  # from . import x, y: the submodules themselves
                    found += [(node.lineno, f"{target}.{a.name}") for a in node.names]
                    continue
            else:
                target = node.module or ""
            found.append((node.lineno, target))
    return [(ln, t) for ln, t in found if t == "corrtherm" or t.startswith("corrtherm.")]


MODULES = _modules()


@pytest.mark.parametrize("module,path", MODULES, ids=[m for m, _ in MODULES])
def test_imports_only_look_down(module, path):
    unit = _unit(module)
    if unit in TOP:
        return
    assert unit in LAYER, f"{module}: unknown layer unit {unit!r}; add it to LAYER and the docs"
    for line, target in _imports(module, path):
        where = f"{path.relative_to(PACKAGE)}:{line} imports {target}"
        assert target != "corrtherm", f"{where}: the top-level package sits above every layer"
        other = _unit(target)
        assert other not in TOP, f"{where}: the top-level package sits above every layer"
        assert other in LAYER, f"{where}: unknown layer unit {other!r}"
        if other == unit:
            continue
        assert LAYER[other] < LAYER[unit], (
            f"{where}: layer {unit} ({LAYER[unit]}) may only import lower layers, "
            f"{other} is {LAYER[other]}"
        )


@pytest.mark.parametrize("module,path", MODULES, ids=[m for m, _ in MODULES])
def test_source_files_stay_small(module, path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{module}: {n} lines > {MAX_LINES}; split it along its concepts"


API = json.loads((Path(__file__).parent / "data" / "api_0_1.json").read_text())


def test_every_0_1_top_level_name_is_still_importable():
    missing = [n for n in API["top"] if not hasattr(corrtherm, n)]
    assert not missing


@pytest.mark.parametrize("old", sorted(API["modules"]))
def test_every_0_1_module_path_still_works(old):
    module = importlib.import_module(f"corrtherm.{old}")
    # CLI command functions are registered on the typer app, not part of the library API
    skip = {"sweep_command", "plot_sweep_command"}
    missing = [n for n in API["modules"][old] if n not in skip and not hasattr(module, n)]
    assert not missing, f"corrtherm.{old}: {missing}"


def test_all_lists_exactly_importable_public_names():
    assert len(set(corrtherm.__all__)) == len(corrtherm.__all__)
    for name in corrtherm.__all__:
        assert hasattr(corrtherm, name), name
        assert not name.startswith("_")
    # a star import must not shadow Python builtins (the subpackage ``open`` especially)
    import builtins

    assert not set(corrtherm.__all__) & set(dir(builtins))


def test_help_lists_the_functions():
    import pydoc

    text = pydoc.render_doc(corrtherm, renderer=pydoc.plaintext)
    for name in ("evolve", "steady_state", "flow_report", "energy_ledger", "run_scenario"):
        assert f"\n    {name}(" in text, name


def test_help_shows_the_new_layout_and_old_paths_still_resolve():
    """0.1's flat modules stay reachable (attribute and import) but help() and dir() list only
    the subpackages, so the layers it describes are what a reader sees."""
    import pydoc

    text = pydoc.render_doc(corrtherm, renderer=pydoc.plaintext)
    assert "SUBMODULES" not in text
    for old in ("dynamics", "dissipators", "flows", "states", "system"):
        assert old not in dir(corrtherm)
        assert getattr(corrtherm, old) is importlib.import_module(f"corrtherm.{old}")
    assert corrtherm.dynamics.evolve is corrtherm.evolve
    for name in ("davies_jumps", "compare_approaches", "gaussian", "corrtherm show --template"):
        assert name in corrtherm.__doc__, name
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        corrtherm.no_such_name  # noqa: B018
