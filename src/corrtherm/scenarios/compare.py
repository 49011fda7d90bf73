"""``corrtherm compare``: a scenario's model under the local, global and Redfield approaches."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from ..core._report import ZERO_RTOL
from ..core.errors import CorrthermError, ScenarioError
from ..open.compare import APPROACHES, compare_approaches
from .build import build_scenario

if TYPE_CHECKING:
    from .load import Scenario

__all__ = ["compare_scenario", "format_comparison"]


def compare_scenario(scen: Scenario) -> xr.Dataset:
    """:func:`corrtherm.compare_approaches` for a scenario: its model, each bath's coupling,
    beta, rate, gamma0 and mu, its initial state and time grid (``[dynamics] approach`` is
    ignored: all three are run; the scenario's approach is recorded in attrs)."""
    src = scen.source
    if scen.spec.gaussian is not None:
        # the Gaussian engine has local baths on eigenmodes only; its master-equation comparison
        # needs explicit leads, which a scenario does not describe
        raise ScenarioError(
            f"{src}: gaussian: compare works on [model] scenarios; for free particles use "
            "corrtherm.gaussian.compare_with_master_equations (exact leads as the reference)"
        )
    b = build_scenario(scen)
    if b.kind != "open":
        raise ScenarioError(f'{src}: dynamics.kind: compare needs kind = "open" with thermal baths')
    dyn = scen.spec.dynamics
    for side in ("A", "B"):
        bath = getattr(dyn, f"bath_{side}")
        if bath is not None and b.thermal_baths.get(side) is None:
            raise ScenarioError(
                f"{src}: dynamics.bath_{side}.coupling: missing; compare builds the three "
                f'approaches from each bath\'s coupling and beta (e.g. coupling = "sx({side}0)")'
            )
    try:
        out = compare_approaches(
            b.model,
            b.thermal_baths.get("A"),
            b.thermal_baths.get("B"),
            rho0=b.rho0,
            times=b.times,
            alpha_A=b.alpha_A,
            approaches=APPROACHES,
            method=b.method,
            rtol=b.rtol,
            atol=b.atol,
        )
    except ScenarioError:
        raise
    except CorrthermError as exc:
        raise ScenarioError(f"{src}: compare: {exc}") from None
    out.attrs.update({"scenario_name": scen.name, "scenario_approach": b.approach})
    return out


_ROWS = (
    ("J_A", "J_A steady (heat from bath A)"),
    ("J_B", "J_B steady (heat from bath B)"),
    ("heat_flow", "steady heat flow"),
    ("hot_to_cold", "hot -> cold?"),
    ("sigma", "σ steady (≥ 0?)"),
    ("second_law", "second law (steady)"),
    ("sigma_local", "σ_local steady (local acct.)"),
    ("min_eigenvalue", "min eigenvalue ρ_ss"),
    ("DeltaU_chi", "ΔU_χ (t0 -> t_final)"),
    ("DeltaU_A", "ΔU_A"),
    ("DeltaU_B", "ΔU_B"),
    ("min_sigma", "min σ(t) along the run"),
    ("heat_flow_changed", "heat flow differs from {ref}"),
    ("DeltaU_chi_sign_changed", "sign of ΔU_χ differs from {ref}"),
)


#: Rows in one unit; a value below ZERO_RTOL times the largest of its family prints as 0, as
#: in the summary of ``corrtherm run`` (round-off of an exact zero, not data).
_FAMILIES = (
    ("J_A", "J_B"),
    ("DeltaU_chi", "DeltaU_A", "DeltaU_B"),
    ("sigma", "sigma_local", "min_sigma"),
)


def _scales(table: xr.Dataset) -> dict[str, float]:
    """The zero threshold's scale of each numeric row: the largest magnitude in its family;
    for the entropy production at least max(beta) times the largest current, the size of each
    term of sigma = dS/dt - sum_X beta_X J_X."""

    def largest(names: tuple[str, ...]) -> float:
        vals = [np.abs(np.asarray(table[n].values, dtype=float)) for n in names if n in table]
        return float(np.nanmax(np.concatenate(vals))) if vals else 0.0

    currents = largest(_FAMILIES[0])
    betas = [abs(float(table.attrs.get(k, np.nan))) for k in ("beta_A", "beta_B")]
    beta = max([b for b in betas if math.isfinite(b)] or [0.0])
    scales = {}
    for family in _FAMILIES:
        s = largest(family)
        if family is _FAMILIES[2]:
            s = max(s, beta * currents)
        scales.update(dict.fromkeys(family, s))
    return scales


def _cell(v: object, scale: float | None = None) -> str:
    if isinstance(v, float | np.floating):
        if math.isnan(v):
            return "—"
        if scale is not None and abs(float(v)) < ZERO_RTOL * scale:
            return "0"
        return f"{float(v):.4g}"
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    return str(v)


def format_comparison(table: xr.Dataset) -> str:
    """The comparison as a text table, one column per approach; changes are relative to the
    first column (the reference, normally the local approach of paper 1)."""
    cols = [str(a) for a in table["approach"].values]
    ref = str(table.attrs.get("reference", cols[0]))
    rows = []
    scales = _scales(table)
    for k, label in _ROWS:
        if k not in table:
            continue
        label = label.format(ref=ref)
        cells = [_cell(v, scales.get(k)) for v in table[k].values]
        if k == "sigma_local":
            # the local accounting is the consistent one only for local baths
            cells = [c if a == "local" else "n/a" for c, a in zip(cells, cols)]
        rows.append((label, cells))
    w0 = max(len(r[0]) for r in rows)
    ws = [max(len(c), *(len(r[1][i]) for r in rows)) for i, c in enumerate(cols)]
    head = "  " + " " * w0 + "  " + "  ".join(f"{c:>{w}}" for c, w in zip(cols, ws))
    lines = [head]
    for label, cells in rows:
        lines.append(f"  {label:<{w0}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(cells, ws)))
    viol = [c for c, v in zip(cols, table["second_law"].values) if str(v) == "violated"]
    if viol:
        lines.append(
            f"  WARNING: second law violated at the steady state by: {', '.join(viol)} "
            "(heat flows against the temperature gradient: see sigma)"
        )
    undefined = [c for c, v in zip(cols, table["second_law"].values) if str(v) == "undefined"]
    if undefined:
        # say why the steady-state rows are blank instead of leaving "undefined" unexplained
        lines.append(
            f"  NOTE: no unique steady state for: {', '.join(undefined)} (several stationary "
            "states: a conserved quantity or a subspace the baths do not reach); the "
            "steady-state rows are undefined there, the rows along the run still apply"
        )
    return "\n".join(lines)
