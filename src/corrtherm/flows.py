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

with lhs_26 = (beta_A - beta_B) DeltaE_A - (beta_A mu_A - beta_B mu_B) DeltaN_A (Eq. 26).
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

from ._validate import density_matrix, finite_real, hermitian, to_array
from .errors import CorrthermError, FlowError
from .operators import commutator_norm
from .states import _pt, positivity_interval
from .system import Bipartite

__all__ = [
    "ConservationReport",
    "conservation_checks",
    "FlowReport",
    "flow_report",
    "flow_dataset",
    "linear_response_mutual_information",
    "thermal_marginals",
    "locally_thermal_state",
    "particle_exchange_coherence",
    "energy_exchange_coherence",
    "initial_particle_current",
    "initial_energy_current",
    "classify_flow",
    "CONSERVATION_RTOL",
    "THERMAL_TOL",
    "FLOW_ATOL",
]

#: A commutator counts as zero when ||[X, Y]||_F <= CONSERVATION_RTOL * max(1, ||X||_F ||Y||_F).
CONSERVATION_RTOL = 1e-10
#: Largest trace distance 1/2 ||rho_X(0) - gamma_X||_1 accepted as "thermal".
THERMAL_TOL = 1e-6
#: Default absolute tolerance below which a transfer or a force counts as zero.
FLOW_ATOL = 1e-9

FLOW_CLASSES = ("conventional", "anomalous", "none", "reversible")


# ------------------------------------------------------------------------- input validation
def _beta(value: Any, name: str) -> float:
    try:
        b = float(value)
    except (TypeError, ValueError):
        raise FlowError(
            f"{name}: got {value!r}; expected a finite inverse temperature > 0"
        ) from None
    if not np.isfinite(b) or b <= 0:
        raise FlowError(f"{name}: got {value!r}; expected a finite inverse temperature > 0")
    return b


def _mu(value: Any, name: str, model: Bipartite) -> float:
    m = finite_real(value, name, FlowError, "a finite chemical potential")
    if m != 0.0 and not model.has_numbers:
        raise FlowError(
            f"{name}: got {m!r}, but the model has no number operators N_A, N_B; a chemical "
            "potential needs them (give N_A, N_B to Bipartite, or use mu = 0)"
        )
    return m


def _finite_float(value: Any, name: str) -> float:
    return finite_real(value, name, FlowError)


def _model(model: Any) -> Bipartite:
    if not isinstance(model, Bipartite):
        raise FlowError(f"model: got {type(model).__name__}; expected a corrtherm.Bipartite")
    return model


def _state(rho: Any, name: str, d: int) -> np.ndarray:
    arr = to_array(rho, name)
    if arr.shape != (d, d):
        raise FlowError(f"{name}: has shape {arr.shape}; expected ({d}, {d}) like the model")
    try:
        return density_matrix(arr, name)
    except CorrthermError as exc:
        raise FlowError(str(exc)) from None


# ------------------------------------------------------------------------ conservation checks
@dataclass(frozen=True)
class ConservationReport:
    """Frobenius norms of the commutators behind paper 2's assumptions and whether each holds.

    A commutator [X, Y] "holds" (vanishes) when ||[X, Y]||_F <= rtol * max(1, ||X||_F ||Y||_F).
    Number-operator entries are None when the model has no N_A, N_B.
    """

    energy_commutator: float  # ||[H_A + H_B, V]||_F, Eq. 14
    number_commutator: float | None  # ||[N_A + N_B, H]||_F, Eq. 15
    local_commutator_A: float | None  # ||[H_A, N_A]||_F, Eq. 18
    local_commutator_B: float | None  # ||[H_B, N_B]||_F, Eq. 18
    energy_conserved: bool
    number_conserved: bool | None
    local_A_commutes: bool | None
    local_B_commutes: bool | None
    rtol: float = CONSERVATION_RTOL

    @property
    def all_hold(self) -> bool:
        """True when every applicable assumption (Eqs. 14, 15, 18) holds."""
        flags = (
            self.energy_conserved,
            self.number_conserved,
            self.local_A_commutes,
            self.local_B_commutes,
        )
        return all(f for f in flags if f is not None)

    def __str__(self) -> str:
        def row(label: str, eq: str, norm: float | None, ok: bool | None) -> str:
            if ok is None:
                return f"  {label:<22} ({eq})  n/a    (no number operators)"
            return f"  {label:<22} ({eq})  {'holds' if ok else 'FAILS'}  ||.||_F = {norm:.3g}"

        lines = [
            "Conservation checks (paper 2); [X, Y] counts as 0 when "
            f"||[X, Y]||_F <= {self.rtol:g} * max(1, ||X||_F ||Y||_F):",
            row("[H_A + H_B, V] = 0", "Eq. 14", self.energy_commutator, self.energy_conserved),
            row("[N_A + N_B, H] = 0", "Eq. 15", self.number_commutator, self.number_conserved),
            row("[H_A, N_A] = 0", "Eq. 18", self.local_commutator_A, self.local_A_commutes),
            row("[H_B, N_B] = 0", "Eq. 18", self.local_commutator_B, self.local_B_commutes),
        ]
        return "\n".join(lines)


def _commutes(X: np.ndarray, Y: np.ndarray, rtol: float) -> tuple[float, bool]:
    norm = commutator_norm(X, Y)
    scale = max(1.0, float(np.linalg.norm(X)) * float(np.linalg.norm(Y)))
    return norm, norm <= rtol * scale


def conservation_checks(model: Bipartite, rtol: float = CONSERVATION_RTOL) -> ConservationReport:
    """Check paper 2's assumptions for ``model``, reporting Frobenius norms.

    Eq. 14: [H_A + H_B, V] = 0 (bare energy conserved, so DeltaE_A = -DeltaE_B);
    Eq. 15: [N_A + N_B, H] = 0 (particle number conserved, DeltaN_A = -DeltaN_B);
    Eq. 18: [H_A, N_A] = [H_B, N_B] = 0 (well-defined local energies and numbers).
    """
    m = _model(model)
    rtol = _finite_float(rtol, "rtol")
    if rtol <= 0:
        raise FlowError(f"rtol: got {rtol!r}; expected a finite positive tolerance")
    e_norm, e_ok = _commutes(m.H0, m.V, rtol)
    if not m.has_numbers:
        return ConservationReport(e_norm, None, None, None, e_ok, None, None, None, rtol)
    n_norm, n_ok = _commutes(m.N, m.H, rtol)
    a_norm, a_ok = _commutes(m.H_A, m.N_A, rtol)
    b_norm, b_ok = _commutes(m.H_B, m.N_B, rtol)
    return ConservationReport(e_norm, n_norm, a_norm, b_norm, e_ok, n_ok, a_ok, b_ok, rtol)


# ---------------------------------------------------------------------------- thermal states
@dataclass(frozen=True)
class _Thermal:
    """gamma = exp(-beta K)/Z with K = H - mu N, and ln Z (no [H, N] = 0 needed here)."""

    gamma: np.ndarray
    K: np.ndarray
    log_Z: float
    beta: float


def _thermal(H: np.ndarray, N: np.ndarray | None, beta: float, mu: float) -> _Thermal:
    K = H if N is None else H - mu * N
    e, U = np.linalg.eigh(K)
    x = -beta * (e - e[0])  # shifted exponent: no overflow at large beta
    w = np.exp(x)
    Z_shifted = float(w.sum())
    gamma = (U * (w / Z_shifted)) @ U.conj().T
    return _Thermal(0.5 * (gamma + gamma.conj().T), K, -beta * e[0] + np.log(Z_shifted), beta)


def thermal_marginals(
    model: Bipartite, beta_A: float, beta_B: float, mu_A: float = 0.0, mu_B: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """(gamma_A, gamma_B): gamma_X = exp(-beta_X (H_X - mu_X N_X)) / Z_X (paper 2, Eq. 16).

    Canonical exp(-beta_X H_X)/Z_X when mu_X = 0. Unlike ``states.gibbs_state`` this does not
    require [H_X, N_X] = 0 (Eq. 18): the identity behind (26) only needs
    ln gamma_X = -beta_X K_X - ln Z_X, and :func:`conservation_checks` reports Eq. 18.
    """
    m = _model(model)
    tA, tB = _thermals(m, beta_A, beta_B, mu_A, mu_B)
    return tA.gamma, tB.gamma


def _thermals(
    m: Bipartite, beta_A: Any, beta_B: Any, mu_A: Any, mu_B: Any
) -> tuple[_Thermal, _Thermal]:
    bA, bB = _beta(beta_A, "beta_A"), _beta(beta_B, "beta_B")
    mA, mB = _mu(mu_A, "mu_A", m), _mu(mu_B, "mu_B", m)
    return _thermal(m.H_A, m.N_A, bA, mA), _thermal(m.H_B, m.N_B, bB, mB)


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
    p = np.linalg.eigvalsh(rho)
    positive = p > 0
    plogp = np.where(positive, p * np.log(np.where(positive, p, 1.0)), 0.0)
    return -np.sum(plogp, axis=-1)


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
@dataclass(frozen=True)
class FlowReport:
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

    def __str__(self) -> str:
        f = lambda x: f"{x: .6g}"
        lines = [
            f"Flow report (beta_A={self.beta_A:g}, beta_B={self.beta_B:g}, mu_A={self.mu_A:g}, "
            f"mu_B={self.mu_B:g}); Delta = X(t) - X(0), positive into the side named",
            f"  DeltaE_A {f(self.DeltaE_A)}   DeltaE_B {f(self.DeltaE_B)}   "
            f"drift {f(self.energy_drift)}",
            f"  DeltaN_A {f(self.DeltaN_A)}   DeltaN_B {f(self.DeltaN_B)}   "
            f"drift {f(self.number_drift)}",
            f"  DeltaS_A {f(self.DeltaS_A)}   DeltaS_B {f(self.DeltaS_B)}   "
            f"DeltaS {f(self.DeltaS)}",
            f"  DeltaI_AB {f(self.DeltaI_AB)}   D_A {f(self.D_A)}   D_B {f(self.D_B)}",
            f"  (26): lhs {f(self.lhs_26)} >= DeltaI_AB, slack {f(self.slack)} = D_A + D_B "
            f"+ assumption terms {f(self.assumption_terms)}",
            f"  particle flow: {self.particle_flow}; energy flow: {self.energy_flow}",
            f"  {self.certificate}",
        ]
        return "\n".join(lines)


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
    bA, bB = tA.beta, tB.beta
    dEA, dEB, dNA, dNB = EA - EA[0], EB - EB[0], NA - NA[0], NB - NB[0]
    dSA, dSB, dS = SA - SA[0], SB - SB[0], S - S[0]
    dI = dSA + dSB - dS
    particle_force = -(bA * mu_A - bB * mu_B)
    # without number operators mu = 0 is enforced, so the particle term is exactly 0
    p_term = particle_force * dNA if m.has_numbers else np.zeros_like(EA)
    n_drift = (dNA + dNB) if m.has_numbers else np.zeros_like(EA)
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


def _atol(atol: Any) -> float:
    a = _finite_float(atol, "atol")
    if not (np.isfinite(a) and a >= 0):
        raise FlowError(f"atol: got {atol!r}; expected a finite tolerance >= 0")
    return a


def _thermal_tol(tol: Any) -> float:
    t = _finite_float(tol, "thermal_tol")
    if not (np.isfinite(t) and t > 0):
        raise FlowError(f"thermal_tol: got {tol!r}; expected a finite tolerance > 0")
    return t


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


_DESCRIPTIONS = {
    "DeltaE_A": "E_A(t) - E_A(0), bare local energy (paper 2, Eq. 22)",
    "DeltaE_B": "E_B(t) - E_B(0), bare local energy",
    "DeltaN_A": "N_A(t) - N_A(0) (Eq. 23)",
    "DeltaN_B": "N_B(t) - N_B(0)",
    "DeltaS_A": "S_A(t) - S_A(0) (Eq. 24)",
    "DeltaS_B": "S_B(t) - S_B(0)",
    "DeltaS": "S(t) - S(0), total entropy",
    "DeltaI_AB": "I_AB(t) - I_AB(0)",
    "D_A": "D(rho_A(t) || gamma_A)",
    "D_B": "D(rho_B(t) || gamma_B)",
    "D_A0": "D(rho_A(0) || gamma_A), ~0",
    "D_B0": "D(rho_B(0) || gamma_B), ~0",
    "lhs_26": "(beta_A - beta_B) DeltaE_A - (beta_A mu_A - beta_B mu_B) DeltaN_A (Eq. 26)",
    "slack": "lhs_26 - DeltaI_AB = D_A + D_B - D_A0 - D_B0 + assumption_terms",
    "energy_drift": "DeltaE_A + DeltaE_B (0 under Eq. 14)",
    "number_drift": "DeltaN_A + DeltaN_B (0 under Eq. 15)",
    "assumption_terms": "DeltaS - beta_B (energy_drift - mu_B number_drift)",
    "identity_residual": "slack - (D_A + D_B - D_A0 - D_B0 + assumption_terms), round-off",
    "particle_flow": "conventional | anomalous | none | reversible",
    "energy_flow": "conventional | anomalous | none | reversible",
    "requires_correlation_decrease": "lhs_26 < 0: (26) then forces DeltaI_AB < 0",
}


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

    Uses the stored marginals ``rho_A (time, a, a2)``, ``rho_B (time, b, b2)`` and the total
    entropy ``S (time)`` of a trajectory Dataset (``dynamics.evolve_isolated``); the marginals
    at the first time must be thermal. Returns a copy of ``ds`` with the variables listed in
    :class:`FlowReport` added over ``time`` (classifications as strings), and attributes
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
    new = {
        k: xr.DataArray(val, dims=("time",), attrs={"description": _DESCRIPTIONS[k]})
        for k, val in v.items()
    }
    out = ds.assign(new)
    out.attrs.update(
        flow_beta_A=tA.beta, flow_beta_B=tB.beta, flow_mu_A=float(mu_A), flow_mu_B=float(mu_B)
    )
    return out


# ----------------------------------------------------------------------- linear response
def linear_response_mutual_information(
    DeltaE_A: Any, DeltaN_A: Any, beta_A: float, beta_B: float, mu_A: float = 0.0, mu_B: float = 0.0
) -> np.ndarray | float:
    """Near-equilibrium change of mutual information (paper 2, Eqs. 6 and 10).

    With dS_X = beta_X (dE_X - mu_X dN_X) (Eq. 7), dS = 0 (Eq. 4), dE_B = -dE_A and
    dN_B = -dN_A (Eqs. 8-9): dI_AB = dS_A + dS_B =
    (beta_A - beta_B) dE_A - (beta_A mu_A - beta_B mu_B) dN_A, which is -beta (mu_A - mu_B) dN_A
    at equal temperatures (Eq. 10). The exact DeltaI_AB is this minus D_A + D_B, which is
    second order in the deviation of the marginals from equilibrium. Accepts arrays.
    """
    bA, bB = _beta(beta_A, "beta_A"), _beta(beta_B, "beta_B")
    mA, mB = _finite_float(mu_A, "mu_A"), _finite_float(mu_B, "mu_B")
    try:
        dE = np.asarray(DeltaE_A, dtype=float)
        dN = np.asarray(DeltaN_A, dtype=float)
    except (TypeError, ValueError):
        raise FlowError(
            f"DeltaE_A, DeltaN_A: got {DeltaE_A!r}, {DeltaN_A!r}; expected real numbers or arrays"
        ) from None
    res = (bA - bB) * dE - (bA * mA - bB * mB) * dN
    return float(res) if np.ndim(res) == 0 else res


# -------------------------------------------------------------- locally thermal initial states
def _partial_trace_norms(chi: np.ndarray, dims: tuple[int, int]) -> tuple[float, float]:
    dA, dB = dims
    return (
        float(np.linalg.norm(_pt(chi, dA, dB, "A"))),
        float(np.linalg.norm(_pt(chi, dA, dB, "B"))),
    )


def locally_thermal_state(
    model: Bipartite,
    beta_A: float,
    beta_B: float,
    mu_A: float = 0.0,
    mu_B: float = 0.0,
    chi: Any = None,
    c: float = 0.0,
) -> np.ndarray:
    """rho(0) = gamma_A (x) gamma_B + c chi with exactly thermal marginals (paper 2, Eq. 16).

    ``chi`` must be a correlation operator (Hermitian, Tr_A chi = Tr_B chi = 0, so the marginals
    stay gamma_A, gamma_B) and c must lie in the exact positivity interval
    [c_min, c_max] = ``states.positivity_interval(gamma_A (x) gamma_B, chi)``.
    """
    m = _model(model)
    gA, gB = thermal_marginals(m, beta_A, beta_B, mu_A, mu_B)
    prod = np.kron(gA, gB)
    c = _finite_float(c, "c")
    if chi is None:
        if c != 0.0:
            raise FlowError(f"c: got {c!r} but no correlation operator chi was given")
        return prod
    try:
        X = hermitian(chi, "chi", m.d)
    except CorrthermError as exc:
        raise FlowError(str(exc)) from None
    tr_a, tr_b = _partial_trace_norms(X, m.dims)
    tol = 1e-10 * max(1.0, float(np.linalg.norm(X)))
    if max(tr_a, tr_b) > tol:
        raise FlowError(
            f"chi: is not a correlation operator (||Tr_B chi||_F = {tr_b:.3g}, ||Tr_A chi||_F "
            f"= {tr_a:.3g}); expected both partial traces to vanish (tolerance {tol:.3g})"
        )
    c_min, c_max = positivity_interval(prod, X)
    slack = 1e-12 * max(1.0, abs(c))
    if not c_min - slack <= c <= c_max + slack:
        raise FlowError(
            f"c: got {c:.12g}; expected c in the positivity interval [{c_min:.12g}, "
            f"{c_max:.12g}] of gamma_A (x) gamma_B + c chi"
        )
    rho = prod + c * X
    return 0.5 * (rho + rho.conj().T)


def _joint_eigenbasis(H: np.ndarray, N: np.ndarray, side: str) -> tuple[np.ndarray, np.ndarray]:
    """Columns: common eigenvectors of commuting H, N; and their N eigenvalues."""
    norm, ok = _commutes(H, N, CONSERVATION_RTOL)
    if not ok:
        raise FlowError(
            f"model: [H_{side}, N_{side}] != 0 (||.||_F = {norm:.3g}); number-resolved "
            "coherences need a joint eigenbasis (paper 2, Eq. 18)"
        )
    n, W = np.linalg.eigh(N)
    labels = np.round(n, 8)
    vecs, nums = [], []
    for val in np.unique(labels):
        block = W[:, labels == val]
        # H restricted to one number sector; diagonalizing it there keeps N diagonal
        _, u = np.linalg.eigh(block.conj().T @ H @ block)
        vecs.append(block @ u)
        nums.extend([float(val)] * u.shape[1])
    return np.hstack(vecs), np.array(nums)


def particle_exchange_coherence(
    model: Bipartite,
    beta_A: float,
    beta_B: float,
    mu_A: float = 0.0,
    mu_B: float = 0.0,
    phase: float = 0.0,
) -> np.ndarray:
    """Correlation operator of coherences that move one particle from B to A.

    chi = sum w e^{i phase} |a', b'><a, b| + h.c. over joint eigenstates |a> of (H_A, N_A) and
    |b> of (H_B, N_B) with n(a') = n(a) + 1 and n(b') = n(b) - 1, weighted by
    w = sqrt(p_a p_b p_a' p_b') (p the thermal populations). Because a != a' and b != b' are
    orthogonal, Tr_A chi = Tr_B chi = 0 exactly. Use it as ``locally_thermal_state(...,
    chi=chi, c=c)``; for one level per side the admissible c is [-1, 1].

    The initial particle current into A is dN_A/dt(0) = c i Tr(chi [V, N_A]) (the product part
    commutes with N); for ``models.fermion_hopping(1, 1, ..., kappa)`` it is
    -2 kappa c w sin(phase), so phase = -pi/2 with c kappa > 0 pushes particles into A.
    """
    m = _model(model)
    if not m.has_numbers:
        raise FlowError(
            "model: has no number operators N_A, N_B; particle-exchange coherences need them"
        )
    phi = _finite_float(phase, "phase")
    gA, gB = thermal_marginals(m, beta_A, beta_B, mu_A, mu_B)
    WA, nA = _joint_eigenbasis(m.H_A, m.N_A, "A")
    WB, nB = _joint_eigenbasis(m.H_B, m.N_B, "B")
    pA = np.einsum("ia,ij,ja->a", WA.conj(), gA, WA).real
    pB = np.einsum("ib,ij,jb->b", WB.conj(), gB, WB).real
    d = m.d
    chi = np.zeros((d, d), dtype=complex)
    up_A = np.abs(nA[:, None] - nA[None, :] - 1.0) < 1e-8  # up_A[a', a]: n(a') = n(a) + 1
    down_B = np.abs(nB[:, None] - nB[None, :] + 1.0) < 1e-8  # down_B[b', b]: n(b') = n(b) - 1
    for a2, a in zip(*np.nonzero(up_A), strict=True):
        for b2, b in zip(*np.nonzero(down_B), strict=True):
            w = np.sqrt(max(pA[a] * pB[b] * pA[a2] * pB[b2], 0.0))
            ket = np.kron(WA[:, a2], WB[:, b2])
            bra = np.kron(WA[:, a], WB[:, b])
            chi += w * np.exp(1j * phi) * np.outer(ket, bra.conj())
    chi = chi + chi.conj().T
    if not np.any(chi):
        raise FlowError(
            "model: no pair of number sectors differs by one particle on each "
            "side; no particle-exchange coherence exists"
        )
    return chi


def energy_exchange_coherence(
    model: Bipartite, beta_A: float, beta_B: float, phase: float = 0.0, *, atol: float = 1e-9
) -> np.ndarray:
    """Correlation operator of resonant coherences that move energy from B to A.

    chi = sum w e^{i phase} |a', b'><a, b| + h.c. over eigenstates of H_A, H_B with
    E_a' - E_a = E_b - E_b' > atol (a quantum leaves B and enters A at no bare-energy cost),
    w = sqrt(p_a p_b p_a' p_b') with the canonical populations of (beta_A, beta_B). As for
    :func:`particle_exchange_coherence`, a != a' and b != b' make both partial traces vanish.
    For ``models.partial_swap_qubits(omega, g)`` chi = w (e^{i phase}|10><01| + h.c.) and the
    initial energy current into A is -2 g c w omega sin(phase).
    """
    m = _model(model)
    phi = _finite_float(phase, "phase")
    tol = _atol(atol)
    gA, gB = thermal_marginals(m, beta_A, beta_B)
    eA, WA = np.linalg.eigh(m.H_A)
    eB, WB = np.linalg.eigh(m.H_B)
    pA = np.einsum("ia,ij,ja->a", WA.conj(), gA, WA).real
    pB = np.einsum("ib,ij,jb->b", WB.conj(), gB, WB).real
    gain_A = eA[:, None] - eA[None, :]  # gain_A[a', a] = E_a' - E_a
    gain_B = eB[:, None] - eB[None, :]
    chi = np.zeros((m.d, m.d), dtype=complex)
    for a2, a in zip(*np.nonzero(gain_A > tol), strict=True):
        for b2, b in zip(*np.nonzero(np.abs(gain_B + gain_A[a2, a]) <= tol), strict=True):
            w = np.sqrt(max(pA[a] * pB[b] * pA[a2] * pB[b2], 0.0))
            ket = np.kron(WA[:, a2], WB[:, b2])
            bra = np.kron(WA[:, a], WB[:, b])
            chi += w * np.exp(1j * phi) * np.outer(ket, bra.conj())
    if not np.any(chi):
        raise FlowError(
            "model: no energy gap of H_A matches a gap of H_B (within atol); no resonant "
            "energy-exchange coherence exists"
        )
    return chi + chi.conj().T


def initial_energy_current(model: Bipartite, rho0: Any) -> float:
    """dE_A/dt at t = 0 under unitary evolution: i Tr(rho0 [H, H_A]) (bare energy, into A)."""
    m = _model(model)
    R = _state(rho0, "rho0", m.d)
    return float((1j * np.trace(R @ (m.H @ m.H_A_full - m.H_A_full @ m.H))).real)


def initial_particle_current(model: Bipartite, rho0: Any) -> float:
    """dN_A/dt at t = 0 under unitary evolution: i Tr(rho0 [H, N_A]) (positive into A)."""
    m = _model(model)
    if not m.has_numbers:
        raise FlowError("model: has no number operators; a particle current needs N_A")
    R = _state(rho0, "rho0", m.d)
    return float((1j * np.trace(R @ (m.H @ m.N_A_full - m.N_A_full @ m.H))).real)
