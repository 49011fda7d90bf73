"""``gaussian.evolve`` and ``gaussian.steady_state``: the papers' ledger for free particles.

Same variable names, units and sign conventions as the dense engine (:func:`corrtherm.evolve`,
:func:`corrtherm.evolve_isolated`, :func:`corrtherm.flow_dataset`), computed from the L x L
correlation matrix instead of the 2^L x 2^L density matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import xarray as xr
from scipy.linalg import eigh

from ..core._report import Report
from ..core._validate import finite_real, flag
from ..core.errors import DynamicsError, FlowError, StateError
from ..core.trajectory import _check_times
from ..isolated.flows import FLOW_ATOL, THERMAL_TOL, flow_series
from ._inputs import check_beta, check_mu, correlation_matrix
from ._ledger import Series, annotate
from .baths import LocalBath, check_bath
from .information import PURE_TOL, Reference, _mode_entropy, block_entropy
from .lindblad import EIG_COND_MAX, OpenGenerator
from .model import FreeModel, check_model
from .states import _thermal
from .unitary import isolated_blocks

__all__ = ["evolve", "steady_state", "GaussianSteadyState"]

#: Largest number of stored correlation-matrix entries (time x L x L, complex): 1 GB.
STORE_MAX_ENTRIES = 2**26
#: sigma < -SIGMA_RTOL * (its natural scale) counts as a second-law violation.
SIGMA_RTOL = 1e-8


def _flow_refs(model, G0, beta_A, beta_B, mu_A, mu_B, thermal_tol):
    """Thermal references of the flow analysis; the initial marginals must be thermal."""
    if (beta_A is None) != (beta_B is None):
        raise FlowError("beta_A, beta_B: give both reference temperatures for the flow analysis")
    bA = check_beta(beta_A, "beta_A", FlowError)
    bB = check_beta(beta_B, "beta_B", FlowError)
    for name, b in (("beta_A", bA), ("beta_B", bB)):
        if not np.isfinite(b):
            raise FlowError(f"{name}: got {b!r}; the flow analysis needs a finite beta > 0")
    mA, mB = check_mu(mu_A, "mu_A", FlowError), check_mu(mu_B, "mu_B", FlowError)
    tol = check_mu(thermal_tol, "thermal_tol", FlowError)
    if tol <= 0:
        raise FlowError(f"thermal_tol: got {thermal_tol!r}; expected a tolerance > 0")
    LA, st = model.L_A, model.statistics
    refs = []
    for side, h, b, m, block in (
        ("A", model.h_A, bA, mA, G0[:LA, :LA]),
        ("B", model.h_B, bB, mB, G0[LA:, LA:]),
    ):
        try:
            gamma = _thermal(h, b, m, st, f"_{side}").T  # G convention
        except StateError as exc:
            raise FlowError(str(exc)) from None
        dist = float(np.linalg.norm(block - gamma, 2))
        if dist > tol:
            raise FlowError(
                f"C0: its block C_{side}{side} is not the thermal correlation matrix of beta_{side} "
                f"= {b:g}, mu_{side} = {m:g} (||C_{side}{side}(0) - gamma_{side}||_2 = {dist:.3g} > "
                f"thermal_tol = {tol:g}); the flow analysis (paper 2, inequality (26)) needs locally "
                "grand-canonical initial marginals"
            )
        refs.append(Reference.thermal(h, b, m, st))
    return tuple(refs), (bA, bB, mA, mB)


def _verdict(sig: np.ndarray, scale: np.ndarray, times: np.ndarray) -> str:
    tol = SIGMA_RTOL * np.maximum(scale, 1e-300) + 1e-14
    viol = np.isfinite(sig) & (sig < -tol)
    if not np.any(viol):
        return "holds"
    k = int(np.argmin(np.where(viol, sig, np.inf)))
    return f"violated: min sigma = {float(sig[k]):.4g} at t = {float(times[k]):.6g}"


def _entropy_rate(G: np.ndarray, gen: OpenGenerator, stat: str) -> tuple[float, float]:
    """(S, dS/dt) at G: with G = U diag(n) U^dag, dS/dt = sum_k (U^dag dG/dt U)_kk s'(n_k),
    s'(n) = ln((1 - n)/n) (fermions) or ln((1 + n)/n) (bosons). Since G commutes with U's
    projectors and X + X^dag = -Gamma, (U^dag dG/dt U)_kk = (U^dag P U)_kk - n_k (U^dag Gamma U)_kk
    (the unitary part drops out), and P, Gamma live on the bath blocks only. A pure occupation
    (within PURE_TOL of 0, or 1 for fermions) that is being filled (emptied) makes dS/dt = +inf,
    the true limit; one that stays put contributes 0."""
    n, U = eigh(G, driver="evr", check_finite=False)
    pd = np.zeros(n.size)
    gd = np.zeros(n.size)
    for sl, (Gam, P) in gen.blocks:
        UX = U[sl]
        UXc = UX.conj()
        pd += np.sum(UXc * (P @ UX), axis=0).real
        gd += np.sum(UXc * (Gam @ UX), axis=0).real
    gd = pd - n * gd
    lo = n <= PURE_TOL
    hi = (n >= 1.0 - PURE_TOL) if stat == "fermion" else np.zeros_like(lo)
    reg = ~(lo | hi)
    nr = np.where(reg, n, 0.5)
    ds = np.log1p(-nr) - np.log(nr) if stat == "fermion" else np.log1p(nr) - np.log(nr)
    rate = float(np.sum(np.where(reg, gd * ds, 0.0)))
    tol = PURE_TOL * max(1.0, float(np.max(np.abs(pd))))
    if np.any(lo & (gd > tol)) or np.any(hi & (gd < -tol)):
        rate = float("inf")
    return _mode_entropy(n, stat), rate


def evolve(
    model: FreeModel,
    C0: Any,
    times: Any,
    *,
    bath_A: LocalBath | dict | None = None,
    bath_B: LocalBath | dict | None = None,
    beta_A: float | None = None,
    beta_B: float | None = None,
    mu_A: float = 0.0,
    mu_B: float = 0.0,
    store_correlations: bool = False,
    atol: float = FLOW_ATOL,
    thermal_tol: float = THERMAL_TOL,
) -> xr.Dataset:
    """Exact Gaussian evolution of C(t) with the correlation-resolved ledger (papers 1 and 2).

    ``C0``: initial correlation matrix C_ij = <c_i^dag c_j> (L x L, modes A then B);
    ``times[0]`` is its time. Without baths the evolution is unitary (C(t) = conj(U) C0 U^T,
    :mod:`~corrtherm.gaussian.unitary`); with ``bath_A`` and/or ``bath_B``
    (:class:`LocalBath`, local thermal baths on the eigenmodes of h_X) it is the exact Gaussian
    master equation of :mod:`~corrtherm.gaussian.lindblad`.

    Variables over ``time`` (every one with ``units`` and ``long_name``): U, U_A, U_B, U_chi,
    E_A, E_B, E_V, N_A, N_B, S, S_A, S_B, I_AB, D_A = D(rho_A(t) || rho_A(0)), D_B; with baths
    also J_A, J_B, J_A_local, J_B_local, I_A, I_B (currents into the system), Q_A, Q_B,
    N_in_A, N_in_B (exact time integrals), sigma, sigma_local and Sigma (entropy production,
    attrs ``second_law``, ``second_law_local``). With ``beta_A``, ``beta_B`` (and ``mu_A``,
    ``mu_B``) the flow analysis of paper 2 is added (the variables of
    :func:`corrtherm.flow_dataset`: DeltaE_A, ..., lhs_26, slack, the exact identity
    slack = D_A + D_B - D_A0 - D_B0 + assumption_terms, particle_flow, energy_flow); C0's
    diagonal blocks must then be the thermal ones within ``thermal_tol`` (spectral norm) and
    D_X is relative to the thermal state gamma_X, as in the dense engine.
    ``store_correlations`` adds C (time, i, j) (up to STORE_MAX_ENTRIES entries).
    """
    m = check_model(model, DynamicsError)
    t = _check_times(times)
    # the flow analysis' tolerances, checked whether or not it runs (as every other argument)
    if finite_real(atol, "atol", FlowError, "a finite tolerance >= 0") < 0:
        raise FlowError(f"atol: got {atol!r}; expected a finite tolerance >= 0")
    if finite_real(thermal_tol, "thermal_tol", FlowError, "a finite tolerance > 0") <= 0:
        raise FlowError(f"thermal_tol: got {thermal_tol!r}; expected a finite tolerance > 0")
    C = correlation_matrix(C0, "C0", m.L, m.statistics)
    bA, bB = check_bath(bath_A, "A"), check_bath(bath_B, "B")
    store_correlations = flag(store_correlations, "store_correlations", DynamicsError)
    if store_correlations and t.size * m.L * m.L > STORE_MAX_ENTRIES:
        raise DynamicsError(
            f"store_correlations: {t.size} times x {m.L}^2 entries exceed {STORE_MAX_ENTRIES} "
            "(1 GB); save fewer times or leave it off"
        )
    G0 = np.ascontiguousarray(C.T)
    LA = m.L_A
    flows = beta_A is not None or beta_B is not None
    if flows:
        refs, ref_vals = _flow_refs(m, G0, beta_A, beta_B, mu_A, mu_B, thermal_tol)
    else:
        refs = (
            Reference.from_correlation(G0[:LA, :LA], m.statistics),
            Reference.from_correlation(G0[LA:, LA:], m.statistics),
        )
    series = Series(m, t.size, refs)
    stored = np.zeros((t.size, m.L, m.L), dtype=complex) if store_correlations else None
    if bA is None and bB is None:
        ds = _isolated(m, G0, t, series, stored)
    else:
        ds = _open(m, G0, t, series, stored, bA, bB)
    if flows:
        ds = _add_flows(ds, ref_vals, atol)
    return ds


def _isolated(m, G0, t, series, stored) -> xr.Dataset:
    c = series.cols
    c["U"][:] = float(np.sum(m.h * G0.T).real)
    c["S"][:] = block_entropy(G0, m.statistics)
    for k, GA, GB, G in isolated_blocks(m, G0, t, full=stored is not None):
        series.add_blocks(k, GA, GB)
        if stored is not None:
            stored[k] = G.T
    extra = {} if stored is None else {"C": (("time", "i", "j"), stored)}
    attrs = {"kind": "isolated", "method": "spectral", "residual_energy_balance": 0.0}
    return series.dataset(t, extra, attrs)


def _open(m, G0, t, series, stored, bath_A, bath_B) -> xr.Dataset:
    gen = OpenGenerator(m, bath_A, bath_B)
    st, L, LA = m.statistics, m.L, m.L_A
    h = m.h
    sides = list(gen.parts)
    observables, const = [], {}
    for side in sides:
        Gam, P = gen.parts[side]
        hX = np.zeros((L, L), dtype=h.dtype)
        sl = slice(0, LA) if side == "A" else slice(LA, L)
        hX[sl, sl] = h[sl, sl]
        observables += [0.5 * (h @ Gam + Gam @ h), Gam, 0.5 * (hX @ Gam + Gam @ hX)]
        const[side] = (
            float(np.sum(h * P.T).real),
            float(np.trace(P).real),
            float(np.sum(hX * P.T).real),
        )
    n = t.size
    cur = {f"{v}_{s}": np.zeros(n) for s in ("A", "B") for v in ("J", "I", "Q", "N_in", "J_loc")}
    dS = np.zeros(n)
    c = series.cols
    tau = t - t[0]
    for k, G, integrals in gen.propagate(G0, t, observables):
        c["U"][k] = float(np.sum(h * G.T).real)
        series.add_blocks(k, G[:LA, :LA], G[LA:, LA:])
        c["S"][k], dS[k] = _entropy_rate(G, gen, st)
        for j, side in enumerate(sides):
            hP, trP, hXP = const[side]
            K, Gam, Kloc = observables[3 * j : 3 * j + 3]
            cur[f"J_{side}"][k] = hP - float(np.sum(K * G.T).real)
            cur[f"I_{side}"][k] = trP - float(np.sum(Gam * G.T).real)
            cur[f"J_loc_{side}"][k] = hXP - float(np.sum(Kloc * G.T).real)
            cur[f"Q_{side}"][k] = hP * tau[k] - integrals[3 * j]
            cur[f"N_in_{side}"][k] = trP * tau[k] - integrals[3 * j + 1]
        if stored is not None:
            stored[k] = G.T
    # entropy production: only the baths present contribute
    flux = np.zeros(n)
    flux_loc = np.zeros(n)
    Sigma = c["S"] - c["S"][0]
    scale = np.abs(dS)
    for side in sides:
        b = gen.baths[side]
        flux += b.beta * (cur[f"J_{side}"] - b.mu * cur[f"I_{side}"])
        flux_loc += b.beta * (cur[f"J_loc_{side}"] - b.mu * cur[f"I_{side}"])
        Sigma -= b.beta * (cur[f"Q_{side}"] - b.mu * cur[f"N_in_{side}"])
        scale = scale + np.abs(b.beta * (cur[f"J_{side}"] - b.mu * cur[f"I_{side}"]))
    sigma, sigma_local = dS - flux, dS - flux_loc
    extra = {
        "J_A": cur["J_A"],
        "J_B": cur["J_B"],
        "J_A_local": cur["J_loc_A"],
        "J_B_local": cur["J_loc_B"],
        "I_A": cur["I_A"],
        "I_B": cur["I_B"],
        "Q_A": cur["Q_A"],
        "Q_B": cur["Q_B"],
        "N_in_A": cur["N_in_A"],
        "N_in_B": cur["N_in_B"],
        "sigma": sigma,
        "sigma_local": sigma_local,
        "Sigma": Sigma,
    }
    if stored is not None:
        extra["C"] = (("time", "i", "j"), stored)
    U = c["U"]
    attrs = {
        "kind": "open",
        "method": "exact-spectral" if gen.cond <= EIG_COND_MAX else "exact-steps",
        "residual_energy_balance": float(np.max(np.abs(U - U[0] - cur["Q_A"] - cur["Q_B"]))),
        "residual_particle_balance": float(
            np.max(
                np.abs(
                    c["N_A"] + c["N_B"] - c["N_A"][0] - c["N_B"][0] - cur["N_in_A"] - cur["N_in_B"]
                )
            )
        ),
        "second_law": _verdict(sigma, scale, t),
        "second_law_local": _verdict(sigma_local, scale, t),
    }
    for side in ("A", "B"):
        b = gen.baths[side]
        if b is not None:
            attrs[f"bath_{side}"] = str(b)
            attrs[f"bath_beta_{side}"], attrs[f"bath_mu_{side}"] = b.beta, b.mu
    return series.dataset(t, extra, attrs)


def _add_flows(ds: xr.Dataset, ref_vals, atol: float) -> xr.Dataset:
    bA, bB, mA, mB = ref_vals
    a = check_mu(atol, "atol", FlowError)
    if a < 0:
        raise FlowError(f"atol: got {atol!r}; expected a finite tolerance >= 0")
    col = {k: ds[k].values for k in ("E_A", "E_B", "N_A", "N_B", "S_A", "S_B", "S", "D_A", "D_B")}
    v = flow_series(
        col["E_A"],
        col["E_B"],
        col["N_A"],
        col["N_B"],
        col["S_A"],
        col["S_B"],
        col["S"],
        col["D_A"],
        col["D_B"],
        bA,
        bB,
        mA,
        mB,
        a,
    )
    out = ds.assign({k: ("time", val) for k, val in v.items() if k not in ("D_A", "D_B")})
    out["D_A"].attrs.clear()
    out["D_B"].attrs.clear()
    out = annotate(out)  # D_X now relative to the thermal gamma_X, as in the dense engine
    out.attrs.update(flow_beta_A=bA, flow_beta_B=bB, flow_mu_A=mA, flow_mu_B=mB)
    return out


# ============================================================================ steady state
@dataclass(frozen=True, eq=False, repr=False)
class GaussianSteadyState(Report):
    """Unique steady state of the Gaussian master equation with local baths.

    C: its correlation matrix; J_X = Tr[H L_X], J_X_local = Tr[H_X L_X] (energy/time),
    I_X (particles/time), all positive INTO the system; sigma = -sum_X beta_X (J_X - mu_X I_X)
    and sigma_local (nats/time; dS/dt = 0); E_A, E_B, E_V, N_A, N_B, S, S_A, S_B, I_AB;
    relaxation_rate = min_k -Re(lam_k) of X (the slowest mode's decay rate of G).
    """

    C: np.ndarray
    J_A: float
    J_B: float
    J_A_local: float
    J_B_local: float
    I_A: float
    I_B: float
    sigma: float
    sigma_local: float
    E_A: float
    E_B: float
    E_V: float
    N_A: float
    N_B: float
    S: float
    S_A: float
    S_B: float
    I_AB: float
    relaxation_rate: float

    _title: ClassVar[str] = "Gaussian steady state (currents positive INTO the system)"
    _labels: ClassVar[dict[str, str]] = {
        "C": "C (correlation matrix)",
        "sigma": "σ = −Σ_X β_X (J_X − μ_X I_X)",
        "sigma_local": "σ_local",
        "relaxation_rate": "relaxation rate (slowest mode)",
        "second_law_violated": "second law violated",
    }
    _extra: ClassVar[tuple[str, ...]] = ("second_law_violated",)

    @property
    def second_law_violated(self) -> bool:
        """sigma < 0 beyond round-off (the local approach can do this)."""
        scale = max(abs(self.J_A), abs(self.J_B), abs(self.I_A), abs(self.I_B), 1e-300)
        return self.sigma < -SIGMA_RTOL * scale - 1e-14


def steady_state(
    model: FreeModel,
    bath_A: LocalBath | dict | None = None,
    bath_B: LocalBath | dict | None = None,
) -> GaussianSteadyState:
    """Steady state of dG/dt = X G + G X^dag + P = 0 by a Lyapunov solve, with its currents.

    Unique iff every mode is damped (else a DynamicsError names the undamped mode)."""
    m = check_model(model, DynamicsError)
    bA, bB = check_bath(bath_A, "A"), check_bath(bath_B, "B")
    if bA is None and bB is None:
        raise DynamicsError("bath_A, bath_B: a steady state needs at least one bath")
    gen = OpenGenerator(m, bA, bB)
    G = gen.steady()
    h, L, LA, st = m.h, m.L, m.L_A, m.statistics
    vals = {f"{v}_{s}": 0.0 for v in ("J", "J_loc", "I") for s in ("A", "B")}
    sigma = sigma_loc = 0.0
    for side, (Gam, P) in gen.parts.items():
        hX = np.zeros((L, L), dtype=h.dtype)
        sl = slice(0, LA) if side == "A" else slice(LA, L)
        hX[sl, sl] = h[sl, sl]
        dG = P - 0.5 * (Gam @ G + G @ Gam)
        J = float(np.sum(h * dG.T).real)
        Jl = float(np.sum(hX * dG.T).real)
        I = float(np.trace(dG).real)
        vals[f"J_{side}"], vals[f"J_loc_{side}"], vals[f"I_{side}"] = J, Jl, I
        b = gen.baths[side]
        sigma -= b.beta * (J - b.mu * I)
        sigma_loc -= b.beta * (Jl - b.mu * I)
    S, SA, SB = (block_entropy(x, st) for x in (G, G[:LA, :LA], G[LA:, LA:]))
    EA = float(np.sum(m.h_A * G[:LA, :LA].T).real)
    EB = float(np.sum(m.h_B * G[LA:, LA:].T).real)
    return GaussianSteadyState(
        C=np.ascontiguousarray(G.T),
        J_A=vals["J_A"],
        J_B=vals["J_B"],
        J_A_local=vals["J_loc_A"],
        J_B_local=vals["J_loc_B"],
        I_A=vals["I_A"],
        I_B=vals["I_B"],
        sigma=sigma,
        sigma_local=sigma_loc,
        E_A=EA,
        E_B=EB,
        E_V=float(np.sum(h * G.T).real) - EA - EB,
        N_A=float(np.trace(G[:LA, :LA]).real),
        N_B=float(np.trace(G[LA:, LA:]).real),
        S=S,
        S_A=SA,
        S_B=SB,
        I_AB=max(0.0, SA + SB - S),
        relaxation_rate=float(np.min(-gen.lam.real)),
    )
