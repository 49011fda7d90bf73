"""Building, checking and running ``[gaussian]`` scenarios on the free-particle engine."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from ..core.errors import CorrthermError, FlowError, ScenarioError
from ..gaussian import (
    FreeModel,
    LocalBath,
    chain_hamiltonian,
    correlation_interval,
    evolve,
    exchange_correlation,
    locally_thermal_correlation,
    thermal_correlation,
)
from ..gaussian.lindblad import OpenGenerator
from .files import load_npy
from .gaussian_schema import GaussianSideSpec

if TYPE_CHECKING:
    from .load import Scenario

__all__ = ["BuiltGaussian", "build_gaussian", "run_gaussian", "check_gaussian"]


@dataclass(frozen=True, eq=False)
class BuiltGaussian:
    """Everything needed to run a ``[gaussian]`` scenario, as arrays."""

    model: FreeModel
    C0: np.ndarray
    times: np.ndarray
    kind: str
    bath_A: LocalBath | None
    bath_B: LocalBath | None
    reference: dict[str, float]
    c_interval: tuple[float, float] | None
    c: float
    thermal_state: bool


def _num(scen: Scenario, value: Any, where: str, extra: dict | None = None) -> float:
    from .build import _num as num

    return num(scen, value, where, extra)


def _load(scen: Scenario, path: str, where: str) -> np.ndarray:
    p = Path(path)
    if not p.is_absolute():
        p = scen.base_dir / p
    # the header first: its shape and dtype are checked and the memory estimated before any
    # allocation, and a FIFO or an empty file is refused instead of blocking or crashing
    return load_npy(p, (None, None), f"{scen.source}: {where}")


def _side(scen: Scenario, spec: GaussianSideSpec, where: str) -> np.ndarray:
    if spec.kind == "matrix":
        if spec.matrix is None:
            raise ScenarioError(f'{scen.source}: {where}.matrix: missing for kind = "matrix"')
        return _load(scen, spec.matrix, f"{where}.matrix")
    if spec.matrix is not None:
        raise ScenarioError(f'{scen.source}: {where}.matrix: only used with kind = "matrix"')
    if spec.sites is None:
        raise ScenarioError(f"{scen.source}: {where}.sites: missing; a {spec.kind} needs sites")
    J = _num(scen, spec.hopping, f"{where}.hopping")
    eps = _num(scen, spec.onsite, f"{where}.onsite")
    n = _num(scen, spec.sites, f"{where}.sites")
    if n != round(n) or not 1 <= n <= 4096:
        raise ScenarioError(f"{scen.source}: {where}.sites: got {n:g}; expected an integer 1..4096")
    return chain_hamiltonian(int(round(n)), J, eps, periodic=spec.kind == "ring")


def _model(scen: Scenario) -> FreeModel:
    gs = scen.spec.gaussian
    src = scen.source
    hA = _side(scen, gs.A, "gaussian.A")
    hB = _side(scen, gs.B, "gaussian.B")
    LA, LB = np.shape(hA)[0], np.shape(hB)[0]
    g = _num(scen, gs.strength, "gaussian.strength")
    if gs.coupling == "matrix":
        if gs.coupling_matrix is None:
            raise ScenarioError(f'{src}: gaussian.coupling_matrix: missing for coupling = "matrix"')
        t = _load(scen, gs.coupling_matrix, "gaussian.coupling_matrix")
    elif gs.coupling == "rungs":
        if LA != LB:
            raise ScenarioError(
                f'{src}: gaussian.coupling: "rungs" needs L_A = L_B; got {LA} and {LB}'
            )
        t = -g * np.eye(LA)
    else:
        t = np.zeros((LA, LB))
        t[-1, 0] = -g
    try:
        return FreeModel(hA, hB, t, gs.statistics)
    except CorrthermError as exc:
        raise ScenarioError(f"{src}: gaussian: {exc}") from None


def _bath(scen: Scenario, model: FreeModel, side: str) -> LocalBath | None:
    bath = getattr(scen.spec.dynamics, f"bath_{side}")
    where = f"{scen.source}: dynamics.bath_{side}"
    if bath is None:
        return None
    if bath.jumps is not None or getattr(bath, "coupling", None) is not None:
        key = "jumps" if bath.jumps is not None else "coupling"
        raise ScenarioError(
            f"{where}.{key}: does not apply to a [gaussian] model (its baths act on the "
            "eigenmodes of h_X with beta, mu, gamma0 and rate)"
        )
    if bath.beta is None:
        raise ScenarioError(f"{where}.beta: missing; a thermal bath needs beta")
    mu = getattr(bath, "mu", None)
    try:
        return LocalBath(
            _num(scen, bath.beta, f"dynamics.bath_{side}.beta"),
            0.0 if mu is None else _num(scen, mu, f"dynamics.bath_{side}.mu"),
            _num(scen, bath.gamma0, f"dynamics.bath_{side}.gamma0"),
            bath.rate if "rate" in bath.model_fields_set else None,
        )
    except CorrthermError as exc:
        raise ScenarioError(f"{where}: {exc}") from None


def build_gaussian(scen: Scenario, check_state: bool = True) -> BuiltGaussian:
    """Turn a ``[gaussian]`` scenario into a FreeModel, C(0), baths and a time grid."""
    spec, src = scen.spec, scen.source
    from .build import time_grid  # build imports this module: resolved at call time

    model = _model(scen)
    times = time_grid(scen)
    st = spec.state
    ref = {"beta_A": math.nan, "beta_B": math.nan, "mu_A": 0.0, "mu_B": 0.0}
    c_interval, c, thermal = None, 0.0, st.kind == "thermal"
    try:
        if st.kind == "matrix":
            if st.matrix is None:
                raise ScenarioError(f"{src}: state.matrix: missing; give a .npy file with C(0)")
            C0 = _load(scen, st.matrix, "state.matrix")
        else:
            for nm in ("beta_A", "beta_B"):
                if getattr(st, nm) is None:
                    raise ScenarioError(f"{src}: state.{nm}: missing; a thermal state needs it")
            bA, bB = _num(scen, st.beta_A, "state.beta_A"), _num(scen, st.beta_B, "state.beta_B")
            mA, mB = _num(scen, st.mu_A, "state.mu_A"), _num(scen, st.mu_B, "state.mu_B")
            ref = {"beta_A": bA, "beta_B": bB, "mu_A": mA, "mu_B": mB}
            X = None
            if st.correlation is not None:
                if st.correlation.strip() == "particle-exchange":
                    phase = _num(scen, st.phase, "state.phase")
                    aligned = "phase" not in st.model_fields_set
                    X = exchange_correlation(model, bA, bB, mA, mB, None if aligned else phase)
                elif st.correlation.strip().endswith(".npy"):
                    X = _load(scen, st.correlation.strip(), "state.correlation")
                else:
                    raise ScenarioError(
                        f"{src}: state.correlation: got {st.correlation!r}; a [gaussian] "
                        'scenario takes "particle-exchange" or the path of a .npy block X'
                    )
                gA = thermal_correlation(model.h_A, bA, mA, model.statistics)
                gB = thermal_correlation(model.h_B, bB, mB, model.statistics)
                c_interval = correlation_interval(gA, gB, X, model.statistics)
                c = _num(scen, st.c, "state.c", {"c_min": c_interval[0], "c_max": c_interval[1]})
                if not check_state:
                    c = float(np.clip(c, *c_interval))
            elif st.c not in (0, 0.0, "0"):
                raise ScenarioError(f"{src}: state.c: given without state.correlation")
            C0 = locally_thermal_correlation(model, bA, bB, mA, mB, X, c)
    except FlowError as exc:
        raise ScenarioError(f"{src}: state: {exc}") from None
    except CorrthermError as exc:
        if isinstance(exc, ScenarioError):
            raise
        raise ScenarioError(f"{src}: state: {exc}") from None
    an = spec.analyses
    for nm in ("beta_A", "beta_B", "mu_A", "mu_B"):
        if getattr(an, nm) is not None:
            ref[nm] = _num(scen, getattr(an, nm), f"analyses.{nm}")
    dyn = spec.dynamics
    baths = {"A": None, "B": None}
    if getattr(dyn, "approach", "local") != "local":
        raise ScenarioError(
            f'{src}: dynamics.approach: got "{dyn.approach}"; a [gaussian] model has local baths '
            "only (corrtherm.gaussian.compare_with_master_equations scores local, global and "
            "Redfield against exact leads)"
        )
    if dyn.kind == "open":
        if dyn.bath_A is None and dyn.bath_B is None:
            raise ScenarioError(f'{src}: dynamics: kind = "open" needs bath_A and/or bath_B')
        baths = {s: _bath(scen, model, s) for s in ("A", "B")}
    elif dyn.bath_A is not None or dyn.bath_B is not None:
        raise ScenarioError(f'{src}: dynamics.bath_A: baths need kind = "open"')
    return BuiltGaussian(
        model, np.asarray(C0), times, dyn.kind, baths["A"], baths["B"], ref, c_interval, c, thermal
    )


def run_gaussian(b: BuiltGaussian, scen: Scenario) -> xr.Dataset:
    """Evolve a built Gaussian scenario; isolated runs with finite reference temperatures get
    the flow analysis of inequality (26) (exact when C(0) is locally thermal, else the
    fallback series of :func:`corrtherm.scenarios.run._flow_series`)."""
    spec = scen.spec
    ref = b.reference
    flows = (
        b.kind == "isolated"
        and spec.analyses.flows
        and np.isfinite(ref["beta_A"])
        and np.isfinite(ref["beta_B"])
    )
    kw: dict[str, Any] = {
        "bath_A": b.bath_A,
        "bath_B": b.bath_B,
        "store_correlations": spec.analyses.store_states,
    }
    refs = {k: ref[k] for k in ("beta_A", "beta_B", "mu_A", "mu_B")}
    try:
        try:
            return evolve(b.model, b.C0, b.times, **kw, **(refs if flows else {}))
        except FlowError:
            if not flows:
                raise
            from .run import _flow_series  # the same fallback as dense runs

            ds = evolve(b.model, b.C0, b.times, **kw)
            for k, v in _flow_series(ds, ref).items():
                ds[k] = ("time", v)
            return ds
    except CorrthermError as exc:
        raise ScenarioError(f"{scen.source}: dynamics: {exc}") from None


def check_gaussian(b: BuiltGaussian, tol: float = 1e-9) -> list[dict[str, Any]]:
    """The papers' conditions at the single-particle level (rows as in check_scenario).

    For quadratic H: [H_A + H_B, V] = sum_ij [h_0, v]_ij c_i^dag c_j, so Eq. 14 holds iff
    [h_0, v] = 0; N is conserved (Eq. 15) and [H_X, N_X] = 0 (Eq. 18) by construction. For open
    runs, d<H>/dt from the baths is Tr[h P] - Tr[K G] with K = sum_X {h, Gamma_X}/2, zero for
    every state (Eq. A4) iff K = 0 and Tr[h P] = 0."""
    m = b.model
    scale = max(1.0, float(np.linalg.norm(m.h)))
    rows = []

    def add(name: str, eq: str, value: float) -> None:
        rows.append(
            {"name": name, "equation": eq, "value": float(value), "holds": value <= tol * scale}
        )

    add("[H_A + H_B, V] = 0", "paper 1 (example); paper 2 Eq. 14", m.energy_commutator)
    if b.kind == "open":
        gen = OpenGenerator(m, b.bath_A, b.bath_B)
        K = sum(0.5 * (m.h @ G + G @ m.h) for G, _ in gen.parts.values())
        add(
            "L#_A[H] + L#_B[H] = 0 (single-particle)",
            "paper 1 Eq. A4 (condition ii)",
            float(np.linalg.norm(K)) + abs(float(np.sum(m.h * gen.P.T).real)),
        )
    add("[N_A + N_B, H] = 0", "paper 2 Eq. 15 (number-conserving h)", 0.0)
    add("[H_A, N_A] = 0", "paper 2 Eq. 18 (quadratic H_A)", 0.0)
    add("[H_B, N_B] = 0", "paper 2 Eq. 18 (quadratic H_B)", 0.0)
    return rows
