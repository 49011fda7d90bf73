"""Particle and energy flow between two locally thermal, correlated halves (paper 2).

The exact identity behind inequality (26)
-----------------------------------------
Let gamma_X = exp(-beta_X K_X) / Z_X with K_X = H_X - mu_X N_X be the grand-canonical state of
side X (paper 2, Eq. 16). Since ln gamma_X = -beta_X K_X - ln Z_X, for *any* state r,

    D(r || gamma_X) = -S(r) + beta_X Tr[r K_X] + ln Z_X.

Subtracting the same expression at time 0 gives, with no approximation,

    D_X(t) - D_X(0) = beta_X (DeltaE_X - mu_X DeltaN_X) - DeltaS_X,          (Eqs. 20, 25)

where D_X(s) = D(rho_X(s) || gamma_X) and D_X(0) = 0 when rho_X(0) = gamma_X. Add the two
sides, use DeltaS_A + DeltaS_B = DeltaI_AB + DeltaS (Eq. 1, I = S_A + S_B - S) and write
DeltaE_B = -DeltaE_A + DeltaE_tot, DeltaN_B = -DeltaN_A + DeltaN_tot:

    lhs_26 - DeltaI_AB = D_A + D_B + [DeltaS - beta_B (DeltaE_tot - mu_B DeltaN_tot)]
                         - D_A(0) - D_B(0),

with lhs_26 = (beta_A - beta_B) DeltaE_A - (beta_A mu_A - beta_B mu_B) DeltaN_A (inequality (26)).
The bracket (``assumption_terms``) vanishes exactly when the evolution is unitary
(DeltaS = 0), the bare energy H_A + H_B is conserved (Eq. 14: d<H_0>/dt = i<[V, H_0]>) and the
particle number is conserved (Eq. 15). Then the slack of (26) is D_A + D_B >= 0, the
relative entropies of the final marginals to the initial thermal ones.

Sign conventions: DeltaX = X(t) - X(0); a positive DeltaE_A, DeltaN_A flows *into* A. The
particle "force" in (26) is beta_A mu_A - beta_B mu_B (beta (mu_A - mu_B) at equal
temperatures); the energy force is beta_A - beta_B.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from ..core._report import Report, fmt
from ..core._validate import to_array
from ..core.errors import FlowError
from ..core.information import entropy_rows
from ..core.metadata import annotate
from ..core.model import Bipartite
from ..core.states import _pt
from ._inputs import _atol, _model, _state, _thermal_tol
from .correlated_states import _Thermal, _thermals

__all__ = [
    "FlowReport",
    "flow_report",
    "flow_dataset",
    "flow_series",
    "classify_flow",
    "THERMAL_TOL",
    "FLOW_ATOL",
]

#: Largest trace distance 1/2 ||rho_X(0) - gamma_X||_1 accepted as "thermal".
THERMAL_TOL = 1e-6
#: Default absolute tolerance below which a transfer or a force counts as zero.
FLOW_ATOL = 1e-9

FLOW_CLASSES = ("conventional", "anomalous", "none", "reversible")


def _trace_distance(x: np.ndarray, y: np.ndarray) -> float:
    return 0.5 * float(np.sum(np.abs(np.linalg.eigvalsh(x - y))))


def _require_thermal(rho_X: np.ndarray, th: _Thermal, side: str, tol: float) -> None:
    dist = _trace_distance(rho_X, th.gamma)
    if dist > tol:
        raise FlowError(
            f"rho0: its marginal rho_{side}(0) is not the thermal state of beta_{side} = "
            f"{th.beta:g} (trace distance 1/2||rho_{side}(0) - gamma_{side}||_1 = {dist:.3g} > "
            f"thermal_tol = {tol:g}); expected a locally (grand-)canonical initial marginal "
            "(paper 2, Eq. 16)"
        )


def _relative_to_thermal(S: np.ndarray, rho_X: np.ndarray, th: _Thermal) -> np.ndarray:
    """D(rho_X || gamma) = -S + beta Tr[rho_X K] + ln Z, batched over a leading axis."""
    K_mean = np.einsum("...ij,ji->...", rho_X, th.K).real
    return np.maximum(-S + th.beta * K_mean + th.log_Z, 0.0)


def _entropy_batch(rho: np.ndarray) -> np.ndarray:
    """Von Neumann entropies of a stack of states (round-off negative eigenvalues dropped)."""
    return entropy_rows(np.linalg.eigvalsh(rho))


# ---------------------------------------------------------------------------- classification
def classify_flow(delta: Any, force: Any, atol: float = FLOW_ATOL) -> np.ndarray | str:
    """Classify transfers ``delta`` (into A) driven by a thermodynamic ``force``.

    The entropy-production term of (26) is force * delta, with force = beta_A - beta_B for
    energy (delta = DeltaE_A) and force = -(beta_A mu_A - beta_B mu_B) for particles
    (delta = DeltaN_A). Returns, elementwise:
    "none" if |delta| <= atol; "reversible" if there is a transfer but no force (|force| <=
    atol): it contributes nothing to (26), the paper's reversible exchange at equal mu;
    "conventional" if force * delta > 0 (hot -> cold, high -> low beta mu); "anomalous" if
    force * delta < 0. NaN deltas (no number operators) give "none".
    """
    d = np.asarray(delta, dtype=float)
    f = np.broadcast_to(np.asarray(force, dtype=float), d.shape)
    out = np.where(f * d > 0, "conventional", "anomalous").astype("<U12")
    out = np.where(np.abs(f) <= atol, "reversible", out)
    out = np.where(~(np.abs(d) > atol), "none", out)  # also catches NaN
    return str(out) if out.ndim == 0 else out


# ------------------------------------------------------------------------------ flow ledger
@dataclass(frozen=True, repr=False)
class FlowReport(Report):
    """Flow ledger between times 0 and t (paper 2, Eqs. 20-26), all changes X(t) - X(0).

    DeltaE_X = Tr[(rho_X(t) - rho_X(0)) H_X] (Eq. 22, bare local energy), DeltaN_X (Eq. 23;
    NaN without number operators), DeltaS_X (Eq. 24), DeltaS (total), DeltaI_AB.
    D_A = D(rho_A(t) || gamma_A), equal to D(rho_A(t) || rho_A(0)) because rho_A(0) = gamma_A
    within ``thermal_tol``. lhs_26 = (beta_A - beta_B) DeltaE_A - (beta_A mu_A - beta_B mu_B)
    DeltaN_A; slack = lhs_26 - DeltaI_AB. Exact identity (module docstring):
    slack = D_A + D_B - D_A0 - D_B0 + assumption_terms, with
    assumption_terms = DeltaS - beta_B (DeltaE_tot - mu_B DeltaN_tot), zero for unitary
    evolution under Eqs. 14 and 15; identity_residual is what round-off leaves of it.
    """

    DeltaE_A: float
    DeltaE_B: float
    DeltaN_A: float
    DeltaN_B: float
    DeltaS_A: float
    DeltaS_B: float
    DeltaS: float
    DeltaI_AB: float
    D_A: float
    D_B: float
    D_A0: float
    D_B0: float
    lhs_26: float
    slack: float
    energy_drift: float  # DeltaE_A + DeltaE_B (0 under Eq. 14)
    number_drift: float  # DeltaN_A + DeltaN_B (0 under Eq. 15)
    assumption_terms: float
    identity_residual: float
    particle_flow: str
    energy_flow: str
    requires_correlation_decrease: bool
    certificate: str
    beta_A: float
    beta_B: float
    mu_A: float
    mu_B: float

    @property
    def assumptions_hold(self) -> bool:
        """True when the drift terms of the identity vanish (|assumption_terms| <= 1e-9)."""
        return abs(self.assumption_terms) <= 1e-9

    @property
    def inequality_holds(self) -> bool:
        """True when inequality (26) holds: slack = lhs_26 - DeltaI_AB >= -FLOW_ATOL."""
        return self.slack >= -FLOW_ATOL

    def _heading(self) -> str:
        return (
            f"Flow ledger (paper 2, Eqs. 20-26) at β_A = {self.beta_A:g}, β_B = {self.beta_B:g}, "
            f"μ_A = {self.mu_A:g}, μ_B = {self.mu_B:g}; Δ = X(t) − X(0), positive into the side "
            "named"
        )

    def _rows(self) -> list[tuple[str, str]]:
        scale = max(1.0, *(abs(v) for v in (self.DeltaE_A, self.lhs_26, self.DeltaI_AB)))
        f = lambda x: fmt(x, scale)
        verdict = (
            "holds"
            if self.inequality_holds
            else f"VIOLATED (lhs_26 < ΔI(A:B) by {-self.slack:.3g})"
        )
        return [
            ("ΔE_A (bare, Eq. 22)", f(self.DeltaE_A)),
            ("ΔE_B (bare)", f(self.DeltaE_B)),
            ("ΔE_A + ΔE_B (0 under Eq. 14)", f(self.energy_drift)),
            ("ΔN_A (Eq. 23)", f(self.DeltaN_A)),
            ("ΔN_B", f(self.DeltaN_B)),
            ("ΔN_A + ΔN_B (0 under Eq. 15)", f(self.number_drift)),
            ("ΔS_A, ΔS_B (Eq. 24)", f"{f(self.DeltaS_A)}, {f(self.DeltaS_B)}"),
            ("ΔS (total)", f(self.DeltaS)),
            ("ΔI(A:B)", f(self.DeltaI_AB)),
            ("D_A = D(ρ_A(t)‖γ_A)", f(self.D_A)),
            ("D_B = D(ρ_B(t)‖γ_B)", f(self.D_B)),
            ("(26) left side", f(self.lhs_26)),
            ("(26) left side ≥ ΔI(A:B)", verdict),
            ("(26) slack = left side − ΔI(A:B)", f(self.slack)),
            ("assumption terms (0 under Eqs. 14-15)", f(self.assumption_terms)),
            ("identity residual (round-off)", fmt(self.identity_residual)),
            ("particle flow", self.particle_flow),
            ("energy flow", self.energy_flow),
        ]

    def _notes(self) -> list[str]:
        return [
            "(26): left side = (β_A−β_B)ΔE_A − (β_Aμ_A−β_Bμ_B)ΔN_A; exactly, slack = D_A + D_B "
            "− D_A(0) − D_B(0) + assumption terms (+ identity residual)",
            self.certificate,
        ]


def _certificate(
    lhs: float, dI: float, slack_terms: float, particle: str, energy: str, atol: float
) -> tuple[bool, str]:
    anomalous = [k for k, c in (("particle", particle), ("energy", energy)) if c == "anomalous"]
    if lhs < -atol:
        text = (
            f"certificate: lhs_26 = {lhs:.6g} < 0, so (26) forces DeltaI_AB <= lhs_26 < 0; "
            f"measured DeltaI_AB = {dI:.6g}"
        )
        if abs(slack_terms) > 1e-9:
            text += (
                f" (warning: assumption terms {slack_terms:.3g} != 0, so (26) is not "
                "guaranteed here)"
            )
        return True, text
    if anomalous:
        return False, (
            f"no certificate: {' and '.join(anomalous)} flow is anomalous but "
            f"lhs_26 = {lhs:.6g} >= 0 (the other, conventional term outweighs it)"
        )
    return False, f"no anomalous flow; lhs_26 = {lhs:.6g}, DeltaI_AB = {dI:.6g}"


def _flow_arrays(
    m: Bipartite,
    tA: _Thermal,
    tB: _Thermal,
    rA: np.ndarray,
    rB: np.ndarray,
    S: np.ndarray,
    mu_A: float,
    mu_B: float,
    atol: float,
) -> dict[str, np.ndarray]:
    """All flow variables for marginals rA (T, dA, dA), rB (T, dB, dB), total entropies S (T,);
    index 0 is the initial time."""
    EA = np.einsum("tij,ji->t", rA, m.H_A).real
    EB = np.einsum("tij,ji->t", rB, m.H_B).real
    if m.has_numbers:
        NA = np.einsum("tij,ji->t", rA, m.N_A).real
        NB = np.einsum("tij,ji->t", rB, m.N_B).real
    else:
        NA = NB = np.full(EA.shape, np.nan)
    SA, SB = _entropy_batch(rA), _entropy_batch(rB)
    DA, DB = _relative_to_thermal(SA, rA, tA), _relative_to_thermal(SB, rB, tB)
    return flow_series(
        EA, EB, NA, NB, SA, SB, S, DA, DB, tA.beta, tB.beta, mu_A, mu_B, atol, m.has_numbers
    )


def flow_series(
    EA: np.ndarray,
    EB: np.ndarray,
    NA: np.ndarray,
    NB: np.ndarray,
    SA: np.ndarray,
    SB: np.ndarray,
    S: np.ndarray,
    DA: np.ndarray,
    DB: np.ndarray,
    beta_A: float,
    beta_B: float,
    mu_A: float,
    mu_B: float,
    atol: float = FLOW_ATOL,
    has_numbers: bool = True,
) -> dict[str, np.ndarray]:
    """The flow variables of inequality (26) from time series of bare local energies E_X,
    numbers N_X, entropies S_X, S and relative entropies D_X = D(rho_X(t) || gamma_X)
    (index 0 the initial time; module docstring for the identity). Shared by every engine
    that can produce these series (the dense one above, the Gaussian one in
    :mod:`corrtherm.gaussian`). Keys and meanings: :data:`corrtherm.core.metadata.VARIABLES`."""
    bA, bB = beta_A, beta_B
    dEA, dEB, dNA, dNB = EA - EA[0], EB - EB[0], NA - NA[0], NB - NB[0]
    dSA, dSB, dS = SA - SA[0], SB - SB[0], S - S[0]
    dI = dSA + dSB - dS
    particle_force = -(bA * mu_A - bB * mu_B)
    # without number operators mu = 0 is enforced, so the particle term is exactly 0
    p_term = particle_force * dNA if has_numbers else np.zeros_like(EA)
    n_drift = (dNA + dNB) if has_numbers else np.zeros_like(EA)
    lhs = (bA - bB) * dEA + p_term
    slack = lhs - dI
    e_drift = dEA + dEB
    assumption = dS - bB * (e_drift - mu_B * n_drift)
    residual = slack - (DA - DA[0] + DB - DB[0] + assumption)
    return {
        "DeltaE_A": dEA,
        "DeltaE_B": dEB,
        "DeltaN_A": dNA,
        "DeltaN_B": dNB,
        "DeltaS_A": dSA,
        "DeltaS_B": dSB,
        "DeltaS": dS,
        "DeltaI_AB": dI,
        "D_A": DA,
        "D_B": DB,
        "D_A0": np.full_like(DA, DA[0]),
        "D_B0": np.full_like(DB, DB[0]),
        "lhs_26": lhs,
        "slack": slack,
        "energy_drift": e_drift,
        "number_drift": n_drift,
        "assumption_terms": assumption,
        "identity_residual": residual,
        "particle_flow": np.atleast_1d(classify_flow(dNA, particle_force, atol)),
        "energy_flow": np.atleast_1d(classify_flow(dEA, bA - bB, atol)),
        "requires_correlation_decrease": lhs < -atol,
    }


def flow_report(
    model: Bipartite,
    rho0: Any,
    rho_t: Any,
    beta_A: float,
    beta_B: float,
    mu_A: float = 0.0,
    mu_B: float = 0.0,
    *,
    atol: float = FLOW_ATOL,
    thermal_tol: float = THERMAL_TOL,
) -> FlowReport:
    """Flow ledger between an initial state with thermal marginals and a later state.

    rho0's marginals must be gamma_A, gamma_B of (beta_A, mu_A), (beta_B, mu_B) (Eq. 16) within
    trace distance ``thermal_tol``. ``rho_t`` is any state of the same dimension (normally
    U rho0 U^dag). Returns the terms of inequality (26),
    (beta_A - beta_B) DeltaE_A - (beta_A mu_A - beta_B mu_B) DeltaN_A >= DeltaI_AB,
    its slack and the exact identity slack = D_A + D_B + assumption_terms (module docstring),
    and the classification of the particle and energy flows (:func:`classify_flow`).
    """
    m = _model(model)
    tA, tB = _thermals(m, beta_A, beta_B, mu_A, mu_B)
    atol, thermal_tol = _atol(atol), _thermal_tol(thermal_tol)
    R0 = _state(rho0, "rho0", m.d)
    Rt_raw = to_array(rho_t, "rho_t")
    if Rt_raw.shape != R0.shape:
        raise FlowError(f"rho_t: has shape {Rt_raw.shape}; expected {R0.shape}, the shape of rho0")
    Rt = _state(Rt_raw, "rho_t", m.d)
    dA, dB = m.dims
    rA = np.stack([_pt(R0, dA, dB, "A"), _pt(Rt, dA, dB, "A")])
    rB = np.stack([_pt(R0, dA, dB, "B"), _pt(Rt, dA, dB, "B")])
    _require_thermal(rA[0], tA, "A", thermal_tol)
    _require_thermal(rB[0], tB, "B", thermal_tol)
    S = _entropy_batch(np.stack([R0, Rt]))
    v = _flow_arrays(m, tA, tB, rA, rB, S, float(mu_A), float(mu_B), atol)
    x = {k: val[-1] for k, val in v.items()}
    ok, text = _certificate(
        float(x["lhs_26"]),
        float(x["DeltaI_AB"]),
        float(x["assumption_terms"]),
        str(x["particle_flow"]),
        str(x["energy_flow"]),
        atol,
    )
    floats = {
        k: float(val)
        for k, val in x.items()
        if k not in ("particle_flow", "energy_flow", "requires_correlation_decrease")
    }
    return FlowReport(
        **floats,
        particle_flow=str(x["particle_flow"]),
        energy_flow=str(x["energy_flow"]),
        requires_correlation_decrease=ok,
        certificate=text,
        beta_A=tA.beta,
        beta_B=tB.beta,
        mu_A=float(mu_A),
        mu_B=float(mu_B),
    )


def flow_dataset(
    model: Bipartite,
    ds: xr.Dataset,
    beta_A: float,
    beta_B: float,
    mu_A: float = 0.0,
    mu_B: float = 0.0,
    *,
    atol: float = FLOW_ATOL,
    thermal_tol: float = THERMAL_TOL,
) -> xr.Dataset:
    """Flow variables of :func:`flow_report` along a trajectory, relative to its first time.

    For every save time t: DeltaE_X = Tr[(rho_X(t) - rho_X(0)) H_X], DeltaN_X, DeltaS_X,
    DeltaI_AB (paper 2, Eqs. 22-24), D_X = D(rho_X(t) || gamma_X) (Eqs. 20, 25),
    lhs_26 = (beta_A - beta_B) DeltaE_A - (beta_A mu_A - beta_B mu_B) DeltaN_A and
    slack = lhs_26 - DeltaI_AB (inequality (26)), with the classifications of :func:`classify_flow`.

    Uses the stored marginals ``rho_A (time, a, a2)``, ``rho_B (time, b, b2)`` and the total
    entropy ``S (time)`` of a trajectory Dataset (:func:`~corrtherm.isolated.unitary.evolve_isolated`);
    the marginals at the first time must be thermal. Returns a copy of ``ds`` with the variables
    listed in :class:`FlowReport` added over ``time`` (classifications as strings), and attributes
    ``flow_beta_A``, ``flow_beta_B``, ``flow_mu_A``, ``flow_mu_B``.
    """
    m = _model(model)
    tA, tB = _thermals(m, beta_A, beta_B, mu_A, mu_B)
    atol, thermal_tol = _atol(atol), _thermal_tol(thermal_tol)
    if not isinstance(ds, xr.Dataset):
        raise FlowError(f"ds: got {type(ds).__name__}; expected an xarray.Dataset trajectory")
    missing = [k for k in ("rho_A", "rho_B", "S") if k not in ds]
    if missing or "time" not in ds.dims:
        raise FlowError(
            f"ds: lacks {missing or ['time dimension']}; expected a trajectory Dataset with "
            "dimension 'time' and variables rho_A (time, a, a2), rho_B (time, b, b2), S (time)"
        )
    if ds.sizes["time"] < 1:
        raise FlowError("ds: has no time points; expected at least one")
    rA = np.asarray(ds["rho_A"].transpose("time", ...).values, dtype=complex)
    rB = np.asarray(ds["rho_B"].transpose("time", ...).values, dtype=complex)
    dA, dB = m.dims
    if rA.shape[1:] != (dA, dA) or rB.shape[1:] != (dB, dB):
        raise FlowError(
            f"ds: marginals have shapes {rA.shape[1:]} and {rB.shape[1:]}; expected "
            f"({dA}, {dA}) and ({dB}, {dB}) for a model with dims {m.dims}"
        )
    S = np.asarray(ds["S"].transpose("time").values, dtype=float)
    if not (np.all(np.isfinite(rA)) and np.all(np.isfinite(rB)) and np.all(np.isfinite(S))):
        raise FlowError("ds: rho_A, rho_B or S contain NaN or infinite values")
    _require_thermal(rA[0], tA, "A", thermal_tol)
    _require_thermal(rB[0], tB, "B", thermal_tol)
    v = _flow_arrays(m, tA, tB, rA, rB, S, float(mu_A), float(mu_B), atol)
    out = ds.assign({k: xr.DataArray(val, dims=("time",)) for k, val in v.items()})
    out.attrs.update(
        flow_beta_A=tA.beta, flow_beta_B=tB.beta, flow_mu_A=float(mu_A), flow_mu_B=float(mu_B)
    )
    return annotate(out)


# ----------------------------------------------------------------------- linear response
