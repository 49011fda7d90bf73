"""Module paths of corrtherm 0.1 kept importable after the move to subpackages.

Version 0.1 had one flat module per concept (``corrtherm.dynamics``, ``corrtherm.states``, ...).
Code written against it (``from corrtherm.dynamics import evolve``) must keep working, so each
old path is registered in ``sys.modules``: a module that moved whole is the new module itself;
a module that was split is a read-only namespace holding its old public names. The package
resolves ``corrtherm.dynamics`` and the others through :func:`resolve` (its module
``__getattr__``) instead of holding them as attributes, so ``help(corrtherm)`` and ``dir`` show
the new layout only. New code should import from ``corrtherm`` or the subpackages.
"""

from __future__ import annotations

import importlib
import sys
import types

#: old module -> the module it became
MOVED = {
    "errors": "corrtherm.core.errors",
    "operators": "corrtherm.core.operators",
    "system": "corrtherm.core.model",
    "states": "corrtherm.core.states",
    "information": "corrtherm.core.information",
    "energy": "corrtherm.core.energy",
    "models": "corrtherm.isolated.models",
    "extremal": "corrtherm.isolated.extremal",
}

#: old module -> the modules its public names now live in
SPLIT = {
    "dynamics": (
        "corrtherm.core.trajectory",
        "corrtherm.isolated.unitary",
        "corrtherm.open.evolution",
        "corrtherm.open.steady",
        "corrtherm.open.conditions",
        "corrtherm.open.invariant",
    ),
    "dissipators": ("corrtherm.open.dissipators", "corrtherm.open.thermal"),
    "flows": (
        "corrtherm.isolated.conservation",
        "corrtherm.isolated.correlated_states",
        "corrtherm.isolated.flows",
        "corrtherm.isolated.response",
    ),
}


def install(package: types.ModuleType) -> None:
    """Register the old module paths under ``package`` (called once by ``corrtherm/__init__``)."""
    for old, new in MOVED.items():
        module = importlib.import_module(new)
        sys.modules[f"{package.__name__}.{old}"] = module
    for old, sources in SPLIT.items():
        name = f"{package.__name__}.{old}"
        module = types.ModuleType(name, f"corrtherm 0.1's `{old}`, now split into {sources}.")
        names: list[str] = []
        for src in sources:
            mod = importlib.import_module(src)
            for attr in mod.__all__:
                setattr(module, attr, getattr(mod, attr))
                names.append(attr)
        module.__all__ = names
        sys.modules[name] = module
    # 0.1 drew phase maps in corrtherm.sweeps; they now live with the other plots
    plotting = importlib.import_module(f"{package.__name__}.plotting")
    package.sweeps.plot_sweep = plotting.plot_sweep


def resolve(package_name: str, name: str) -> types.ModuleType:
    """``corrtherm.<name>`` for a 0.1 module path (the package's module ``__getattr__``)."""
    module = sys.modules.get(f"{package_name}.{name}") if name in (*MOVED, *SPLIT) else None
    if module is None:
        raise AttributeError(f"module {package_name!r} has no attribute {name!r}")
    return module
