"""Running a scenario: build, evolve, add the flow analysis and summarize."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from ..core._version import package_version
from ..core.errors import CorrthermError, ScenarioError
from ..core.metadata import annotate
from ..isolated.flows import flow_dataset
from ..isolated.unitary import evolve_isolated
from ..open.evolution import evolve
from .build import BuiltScenario, build_scenario
from .checks import check_scenario
from .defaults import assumed_defaults
from .gaussian_build import BuiltGaussian, run_gaussian

if TYPE_CHECKING:
    from .load import Scenario

__all__ = ["run_scenario", "summarize"]


def _flow_series(ds: xr.Dataset, ref: Mapping[str, float]) -> dict[str, np.ndarray]:
    """Fallback time series of the paper-2 flow analysis (inequality (26)) relative to t0, used
    when :func:`~corrtherm.isolated.flows.flow_dataset` does not apply (e.g. non-thermal initial
    marginals).

    lhs_26(t) = (beta_A - beta_B) DeltaE_A - (beta_A mu_A - beta_B mu_B) DeltaN_A, and for an
    isolated system with conserved E_A + E_B and N_A + N_B, lhs_26 >= DeltaI_AB (inequality (26)), so
    slack = lhs_26 - DeltaI_AB >= 0.
    """
    bA, bB = ref["beta_A"], ref["beta_B"]
    muA, muB = ref["mu_A"], ref["mu_B"]
    dE = ds["E_A"].values - ds["E_A"].values[0]
    dN = ds["N_A"].values - ds["N_A"].values[0] if "N_A" in ds else np.zeros_like(dE)
    dI = ds["I_AB"].values - ds["I_AB"].values[0]
    lhs = (bA - bB) * dE - (bA * muA - bB * muB) * dN
    return {"DeltaE_A": dE, "DeltaN_A": dN, "DeltaI_AB": dI, "lhs_26": lhs, "slack": lhs - dI}


def _classify(lhs: float, biased: bool, atol: float = 1e-9) -> str:
    """conventional: the transfer goes down the (beta, beta mu) gradient (lhs_26 > 0), i.e. it
    produces entropy; anomalous: against it (lhs_26 < 0, possible only if I(A:B) drops)."""
    if not biased:
        return "no bias (equal beta and beta*mu)"
    if abs(lhs) <= atol:
        return "no flow"
    return "conventional" if lhs > 0 else "anomalous"


def _add_flows(b: BuiltScenario, ds: xr.Dataset) -> xr.Dataset:
    ref = b.reference
    try:
        return flow_dataset(b.model, ds, ref["beta_A"], ref["beta_B"], ref["mu_A"], ref["mu_B"])
    except CorrthermError:
        # e.g. a matrix initial state whose marginals are not thermal at the references
        for k, v in _flow_series(ds, ref).items():
            ds[k] = ("time", v)
        return ds


def _bath_thermodynamics(b: BuiltScenario) -> dict[str, float | None]:
    """beta_X, mu_X of the baths for the entropy production, when every bath has a beta
    (thermal baths, or explicit jumps with ``beta``); otherwise none (no audit)."""
    t = b.bath_thermo
    sides = [s for s, J in (("A", b.jumps_A), ("B", b.jumps_B)) if _has_bath(J)]
    if not sides or any(t.get(f"beta_{s}") is None for s in sides):
        return {}
    return {f"{k}_{s}": t.get(f"{k}_{s}") for s in sides for k in ("beta", "mu")}


def _has_bath(J) -> bool:
    return not isinstance(J, tuple) or len(J) > 0


def run_scenario(
    scenario: Scenario, progress: bool = False, *, entropic_split: bool | None = None
) -> xr.Dataset:
    """Build and evolve a scenario; returns the trajectory dataset with flow variables and attrs.

    ``entropic_split`` overrides ``[analyses] entropic_split`` when the scenario leaves it unset
    (the entropy-based heat/work split of paper 1's Remark, see :func:`corrtherm.evolve`).

    attrs added: scenario (TOML text), scenario_sha256, scenario_name, corrtherm_version,
    condition_checks (JSON), assumed_defaults (the settings the scenario left to the schema's
    defaults that decide what runs, ``"; "``-separated ``section.key = value``, see
    :func:`corrtherm.scenarios.defaults.assumed_defaults`), beta_A/beta_B/mu_A/mu_B
    (references of the flow analysis), c, c_min, c_max (when a correlation operator is used)
    and wall_time_s. Every variable carries ``units`` and ``long_name``
    (:mod:`corrtherm.core.metadata`). Open runs whose baths all have a temperature also carry
    the entropy production of :func:`~corrtherm.open.evolution.evolve` (sigma, Sigma,
    J_X_local, sigma_local, min_eigenvalue; attrs second_law, approach, positivity).
    """
    t0 = time.perf_counter()
    from .load import Scenario  # load imports build, which imports this module's siblings

    if not isinstance(scenario, Scenario):
        raise ScenarioError(
            f"scenario: got {type(scenario).__name__}; expected a corrtherm.Scenario "
            "(from load_scenario)"
        )
    b = build_scenario(scenario)
    spec = scenario.spec
    try:
        if isinstance(b, BuiltGaussian):
            ds = run_gaussian(b, scenario)
        elif b.kind == "isolated":
            ds = evolve_isolated(
                b.model, b.rho0, b.times, alpha_A=b.alpha_A, store_states=spec.analyses.store_states
            )
        else:
            ds = evolve(
                b.model,
                b.rho0,
                b.times,
                b.jumps_A,
                b.jumps_B,
                alpha_A=b.alpha_A,
                method=b.method,
                rtol=b.rtol,
                atol=b.atol,
                store_states=spec.analyses.store_states,
                progress=progress,
                entropic_split=(
                    spec.analyses.entropic_split
                    if spec.analyses.entropic_split is not None
                    else entropic_split
                ),
                **_bath_thermodynamics(b),
            )
    except ScenarioError:
        raise
    except CorrthermError as exc:
        raise ScenarioError(f"{scenario.source}: dynamics: {exc}") from None
    ref = b.reference
    if (
        not isinstance(b, BuiltGaussian)
        and b.kind == "isolated"
        and spec.analyses.flows
        and np.isfinite(ref["beta_A"])
        and np.isfinite(ref["beta_B"])
    ):
        ds = _add_flows(b, ds)
    checks = check_scenario(scenario) if spec.analyses.conditions else []
    assumed = assumed_defaults(spec)
    if str(ds.attrs.get("method", "")).startswith("exact"):
        # the spectral propagator has no step control: its tolerances were not used
        assumed = [a for a in assumed if not a.startswith(("tolerances.rtol", "tolerances.atol"))]
    ds.attrs.update(
        {
            "scenario": scenario.text,
            "scenario_sha256": scenario.sha256,
            "scenario_name": scenario.name,
            "corrtherm_version": package_version(),
            "condition_checks": json.dumps(checks),
            "assumed_defaults": "; ".join(assumed),
            **{k: float(v) for k, v in ref.items()},
            "wall_time_s": time.perf_counter() - t0,
        }
    )
    if b.c_interval is not None:
        ds.attrs.update(
            {"c": b.c, "c_min": float(b.c_interval[0]), "c_max": float(b.c_interval[1])}
        )
    return annotate(ds)


def summarize(ds: xr.Dataset) -> dict[str, float | str]:
    """Final changes and diagnostics of a run (values at the last time minus the first).

    Keys: kind, t_final, DeltaU, DeltaU_A, DeltaU_B, DeltaU_chi, DeltaE_A, DeltaE_B, DeltaN_A,
    DeltaI_AB, Q_A, Q_B (open only), lhs_26 and slack of inequality (26), the overall
    classification (conventional/anomalous sign of lhs_26) and, from
    :mod:`~corrtherm.isolated.flows`, particle_flow and
    energy_flow (isolated runs with reference beta/mu), residual_ledger, residual_energy_balance, n_steps,
    n_rhs, wall_time_s; with entropy production min_sigma, Sigma (final), second_law (and
    second_law_local for local baths), min_eigenvalue and positivity.
    """

    if not isinstance(ds, xr.Dataset) or "time" not in ds.dims or ds.sizes["time"] < 1:
        raise ScenarioError(
            f"ds: got {type(ds).__name__}; expected the trajectory Dataset of a run"
        )

    def delta(name: str) -> float:
        if name not in ds:
            return math.nan
        v = ds[name].values
        return float(v[-1] - v[0])

    out: dict[str, float | str] = {
        "kind": str(ds.attrs.get("kind", "")),
        "t_final": float(ds["time"].values[-1]),
    }
    for name in ("U", "U_A", "U_B", "U_chi", "E_A", "E_B", "N_A", "I_AB"):
        out[f"Delta{name}"] = delta(name)
    for name in ("Q_A", "Q_B"):
        if name in ds:
            out[name] = float(ds[name].values[-1])
    if "slack" in ds and "lhs_26" in ds:
        lhs = float(ds["lhs_26"].values[-1])
        out["lhs_26"], out["slack"] = lhs, float(ds["slack"].values[-1])
        bA, bB = float(ds.attrs.get("beta_A", math.nan)), float(ds.attrs.get("beta_B", math.nan))
        muA, muB = float(ds.attrs.get("mu_A", 0.0)), float(ds.attrs.get("mu_B", 0.0))
        biased = not (math.isclose(bA, bB) and math.isclose(bA * muA, bB * muB))
        out["classification"] = _classify(lhs, biased)
        for name in ("particle_flow", "energy_flow"):
            if name in ds:
                out[name] = str(ds[name].values[-1])
    if "sigma" in ds:
        sig = ds["sigma"].values
        out["min_sigma"] = float(np.nanmin(sig)) if np.any(np.isfinite(sig)) else math.nan
        out["Sigma"] = float(ds["Sigma"].values[-1])
        out["second_law"] = str(ds.attrs.get("second_law", ""))
        if ds.attrs.get("approach") == "local":
            out["second_law_local"] = str(ds.attrs.get("second_law_local", ""))
    if "min_eigenvalue" in ds:
        out["min_eigenvalue"] = float(np.min(ds["min_eigenvalue"].values))
        out["positivity"] = str(ds.attrs.get("positivity", ""))
    for name in ("residual_ledger", "residual_energy_balance", "n_steps", "n_rhs", "wall_time_s"):
        if name in ds.attrs:
            out[name] = float(ds.attrs[name])
    return out
