"""What a scenario leaves to the schema's defaults, so a run can say what it assumed.

The list is read from the validated pydantic models: a field the file did not set is absent
from ``model_fields_set``, and its value is the schema's default. Only settings that change
what is computed are reported: titles, parameters and ``[analyses]`` (output choices) are not,
and neither are settings the rest of the scenario makes irrelevant (tolerances of exact
isolated evolution, ``c`` without a correlation, chemical potentials without number
operators, bath rates next to explicit jumps, ...).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from .schema import ScenarioSpec

__all__ = ["assumed_defaults", "format_assumed"]

#: Top-level entries that never change the physics of a run (output choices, labels).
QUIET = frozenset({"title", "description", "parameters", "analyses"})


def _unset(model: BaseModel, prefix: str) -> list[tuple[str, Any]]:
    """(dotted path, default value) of every field the file did not set, recursively."""
    out = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            out += _unset(value, f"{path}.")
        elif name not in model.model_fields_set and value is not None:
            out.append((path, value))
        elif name == "rate" and value is None and getattr(model, "jumps", None) is None:
            out.append((path, model.rate_family))  # its default depends on `coupling`
    return out


def _irrelevant(spec: ScenarioSpec, path: str) -> bool:
    """True when the rest of the scenario makes this setting unused."""
    section, _, key = path.partition(".")
    st = spec.state
    if section in QUIET:
        return True
    if section == "tolerances":
        # exact spectral evolution, and every Gaussian propagator: no solver
        return spec.dynamics.kind == "isolated" or spec.gaussian is not None
    if spec.gaussian is not None and (
        path in ("dynamics.alpha_A", "state.phase") or path.endswith(".rate")
    ):
        return True  # v = 0; no phase: aligned correlations; no rate: flat Gaussian rates
    if section == "state":
        if st.kind == "matrix":
            return True
        if key in ("c", "phase") and st.correlation is None:
            return True
        if key == "phase" and (st.correlation or "").strip() != "particle-exchange":
            return True
        if key in ("mu_A", "mu_B") and spec.model is not None and spec.model.N_A is None:
            return True  # no number operators: no chemical potential
    if section == "dynamics" and key == "approach":
        # only a bath given by its coupling can be built another way than paper 1's
        baths = [b for b in (spec.dynamics.bath_A, spec.dynamics.bath_B) if b is not None]
        return spec.dynamics.kind == "isolated" or all(b.coupling is None for b in baths)
    if section == "dynamics" and key.startswith("bath_"):
        bath = getattr(spec.dynamics, key.split(".")[0])
        return bath is not None and bath.jumps is not None  # explicit jumps: no rate family
    return False


def _value(v: Any) -> str:
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def assumed_defaults(spec: ScenarioSpec) -> list[str]:
    """Settings the scenario left to their defaults that decide what runs, e.g.
    ``['dynamics.kind = "isolated"', 'time.t_final = 1', 'time.n_points = 101']``."""
    return [f"{p} = {_value(v)}" for p, v in _unset(spec, "") if not _irrelevant(spec, p)]


def format_assumed(items: list[str]) -> list[str]:
    """Summary lines grouping ``section.key = value`` items by TOML table."""
    groups: dict[str, list[str]] = {}
    for item in items:
        path, _, value = item.partition(" = ")
        table, _, key = path.rpartition(".")
        groups.setdefault(table, []).append(f"{key} = {value}")
    return [f"[{t}] " + ", ".join(kv) for t, kv in groups.items()]
