"""Scenario files: a bipartite model, an initial state, dynamics and analyses described in TOML.

A scenario is a small TOML document (see ``corrtherm show paper1-two-qubits``)::

    [parameters]          # name = number; referenced by name in expressions
    [model]               # sites (A0, A1, ..., B0, ...) with kinds; H_A, H_B, V, N_A, N_B
    [state]               # thermal marginals + c * correlation (an expression or
                          # "particle-exchange"; c may use c_min, c_max), or a .npy matrix
    [dynamics]            # "open" (bath_A, bath_B: thermal or explicit jumps) or "isolated"
    [time]                # t_final, n_points
    [tolerances]          # rtol, atol, method
    [analyses]            # reference beta/mu for the flow analysis, plots on/off

Operators are written as expressions over named local operators, e.g.
``"g * sz(A0) * sz(B0)"`` or ``"kappa * (cdag(A0) * c(B0) + h.c.)"``
(:mod:`~corrtherm.scenarios.expressions`, parsed, never evaluated). The flow of a scenario:

- :mod:`~corrtherm.scenarios.schema` — the pydantic models of the TOML tables (the reference);
- :mod:`~corrtherm.scenarios.load` — text, files and presets into a validated :class:`Scenario`;
- :mod:`~corrtherm.scenarios.build` — expressions, states, baths and times into arrays;
- :mod:`~corrtherm.scenarios.checks` — the condition checks of both papers;
- :mod:`~corrtherm.scenarios.run` — evolve, add the flow analysis, summarize;
- :mod:`~corrtherm.scenarios.results` — NetCDF results files.
"""

from .build import CORRELATION_KINDS, BuiltScenario, build_scenario
from .checks import check_scenario
from .expressions import ExpressionError, SiteSpec, evaluate_expression, parse_expression
from .load import (
    DEFAULT_PRESET,
    Scenario,
    list_presets,
    load_preset,
    load_scenario,
    preset_text,
    to_toml,
)
from .results import netcdf_engine, read_results, write_results
from .run import run_scenario, summarize
from .schema import ScenarioSpec

__all__ = [
    "BuiltScenario",
    "CORRELATION_KINDS",
    "DEFAULT_PRESET",
    "ExpressionError",
    "Scenario",
    "ScenarioSpec",
    "SiteSpec",
    "build_scenario",
    "check_scenario",
    "evaluate_expression",
    "list_presets",
    "load_preset",
    "load_scenario",
    "netcdf_engine",
    "parse_expression",
    "preset_text",
    "read_results",
    "run_scenario",
    "summarize",
    "to_toml",
    "write_results",
]
