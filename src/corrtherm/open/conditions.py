"""Conditions for local-energy preservation and the theorem of paper 1 (Eqs. A2-A4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..core._report import Report
from ..core._validate import density_matrix
from ..core.energy import _effective, local_mean_field
from ..core.model import Bipartite
from ..core.states import _pt
from ..core.trajectory import _check_alpha, _check_model
from .baths import JumpBath, as_bath
from .redfield import RedfieldBath

__all__ = ["check_conditions", "ConditionsReport"]


@dataclass(frozen=True, eq=False, repr=False)
class ConditionsReport(Report):
    """Conditions for local-energy preservation (paper 1, Eqs. A2-A4), as Frobenius norms.

    A3_state: ||[H^_A + H^_B, V]|| at the given state's marginals (None without a state);
    A3_all_states: max over the affine hull of product marginals of ||P_chi [H^_A + H^_B, V]||,
        P_chi the projector on correlation operators (only that part enters Eq. A2);
        zero iff the first term of Eq. A2 vanishes for every state;
    A4: ||L#_A[H] + L#_B[H]|| (zero iff dU/dt = 0 for every state);
    H0_V: ||[H_A + H_B, V]|| (state independent; with [H0, V] = 0 and V = sum O_A (x) O_B ...);
    local_energy_preserving: dU_(x)/dt = 0 for all states, i.e. A3_all_states = A4 = 0 (within
        tol; necessary and sufficient, see :func:`check_conditions`);
    total_energy_conserved: A4 = 0; the theorem says local_energy_preserving implies it;
    dU_local_dt, dU_dt: the rates at the given state (Eq. A2 and Tr[H L[rho]]), or None.
    """

    A3_state: float | None
    A3_all_states: float
    A4: float
    H0_V: float
    local_energy_preserving: bool
    total_energy_conserved: bool
    dU_local_dt: float | None
    dU_dt: float | None
    tol: float

    _title: ClassVar[str] = (
        "Conditions for local-energy preservation (paper 1, Eqs. A2-A4; Frobenius norms)"
    )
    _labels: ClassVar[dict[str, str]] = {
        "A3_state": "‖[Ĥ_A + Ĥ_B, V]‖ at ρ (paper 1, Eq. A3)",
        "A3_all_states": "max over states of ‖P_χ [Ĥ_A + Ĥ_B, V]‖ (Eq. A3, all states)",
        "A4": "‖L#_A[H] + L#_B[H]‖ (Eq. A4)",
        "H0_V": "‖[H_A + H_B, V]‖ (state independent)",
        "local_energy_preserving": "U_A + U_B kept for every state (A3 and A4)",
        "total_energy_conserved": "U kept for every state (A4; the theorem)",
        "dU_local_dt": "d(U_A + U_B)/dt at ρ (Eq. A2)",
        "dU_dt": "dU/dt at ρ",
        "tol": "tolerance (relative)",
    }


def _project_correlations(X: np.ndarray, dA: int, dB: int) -> np.ndarray:
    """P_chi X = X - Tr_B X (x) I/d_B - I/d_A (x) Tr_A X + Tr X I/d: kills both partial traces."""
    XA, XB = _pt(X, dA, dB, "A"), _pt(X, dA, dB, "B")
    return (
        X
        - np.kron(XA, np.eye(dB)) / dB
        - np.kron(np.eye(dA), XB) / dA
        + np.trace(X) * np.eye(dA * dB) / (dA * dB)
    )


def check_conditions(
    model: Bipartite,
    jumps_A: Any = (),
    jumps_B: Any = (),
    rho: Any = None,
    alpha_A: float = 0.5,
    *,
    tol: float = 1e-9,
) -> ConditionsReport:
    """Check paper 1's sufficient conditions (A3), (A4) and the theorem's premise.

    Eq. A2: dU_(x)/dt = -i Tr[[H^_A + H^_B, V] chi] + Tr[(L#_A[H] + L#_B[H]) rho_A (x) rho_B],
    with H^_X the effective Hamiltonians (Eq. 5, embedded). For product states chi = 0 and the
    product states span all operators, so dU_(x)/dt = 0 for all states forces A4:
    L#_A[H] + L#_B[H] = 0, hence dU/dt = Tr[(L#_A[H] + L#_B[H]) rho] = 0 (the theorem). Given
    A4, the first term vanishes for all states iff P_chi C = 0 for all marginals, where
    C = [H_0 + Tr_B[V rho_B] (x) I + I (x) Tr_A[V rho_A], V] is affine in rho_A and in rho_B
    separately; it is checked at I/d_A, I/d_B and along every traceless direction.
    Norms are Frobenius; ``tol`` is relative to ||H||_F ||V||_F (A3) and ||H||_F sum ||L||^2 (A4).
    ``jumps_A``/``jumps_B`` are local or global jump lists, or bath objects
    (:func:`davies_bath`, :func:`redfield_bath`), as for :func:`evolve`.
    """
    model = _check_model(model)
    a = _check_alpha(alpha_A)
    dA, dB = model.dims
    d = model.d
    # local jumps (paper 1), global d x d jumps (davies_jumps) or a bath object (davies_bath,
    # redfield_bath): each gives L#_X[H] through its adjoint
    baths = [as_bath(jumps_A, model, "A", "jumps_A"), as_bath(jumps_B, model, "B", "jumps_B")]
    baths = [b for b in baths if isinstance(b, RedfieldBath) or len(b)]
    H, V = model.H, model.V

    def comm(X, Y):
        return X @ Y - Y @ X

    K = np.zeros((d, d), dtype=complex)
    for bath in baths:
        K += bath.adjoint(H)
    A4 = float(np.linalg.norm(K))
    H0V = float(np.linalg.norm(comm(model.H0, V)))

    def C_of(rA, rB):
        fA, fB, _ = local_mean_field(V, rA, rB, (dA, dB))
        Heff = model.H0 + np.kron(fA, np.eye(dB)) + np.kron(np.eye(dA), fB)
        return comm(Heff, V)

    worst = float(
        np.linalg.norm(_project_correlations(C_of(np.eye(dA) / dA, np.eye(dB) / dB), dA, dB))
    )
    # directions: traceless Hermitian operators on each side (from the correlation basis of
    # (dA, dB) x (dB, dA) we only need local traceless bases; build them as Tr of products)
    zA, zB = np.zeros((dA, dA)), np.zeros((dB, dB))
    for G in _local_traceless(dA):
        fB = local_mean_field(V, G, zB, (dA, dB))[1]
        worst = max(
            worst,
            float(np.linalg.norm(_project_correlations(comm(np.kron(np.eye(dA), fB), V), dA, dB))),
        )
    for G in _local_traceless(dB):
        fA = local_mean_field(V, zA, G, (dA, dB))[0]
        worst = max(
            worst,
            float(np.linalg.norm(_project_correlations(comm(np.kron(fA, np.eye(dB)), V), dA, dB))),
        )
    scale3 = max(1.0, float(np.linalg.norm(H)) * float(np.linalg.norm(V)))
    jump_w = sum(_rate_scale(b) for b in baths)
    scale4 = max(1.0, float(np.linalg.norm(H)) * max(1.0, jump_w))
    total = A4 <= tol * scale4
    local = total and worst <= tol * scale3
    A3s = dUl = dU = None
    if rho is not None:
        R = density_matrix(rho, "rho", d)
        rA, rB = _pt(R, dA, dB, "A"), _pt(R, dA, dB, "B")
        HA_eff, HB_eff, _ = _effective(model, rA, rB, a)
        Hsum = np.kron(HA_eff, np.eye(dB)) + np.kron(np.eye(dA), HB_eff)
        C = comm(Hsum, V)
        A3s = float(np.linalg.norm(C))
        chi = R - np.kron(rA, rB)
        dUl = float((-1j * np.trace(C @ chi) + np.trace(K @ np.kron(rA, rB))).real)
        dU = float(np.trace(K @ R).real)
    return ConditionsReport(A3s, worst, A4, H0V, bool(local), bool(total), dUl, dU, float(tol))


def _rate_scale(bath: Any) -> float:
    """Size of a dissipator, the unit of A4's tolerance: sum_l ||L_l||^2 for jumps; for a bath
    object without a jump list, max ||L#[X]|| / ||X|| over three fixed random Hermitian X (the
    same order of magnitude, the operator norm of the adjoint being at most 2 sum ||L_l||^2)."""
    if isinstance(bath, JumpBath):
        return sum(float(np.linalg.norm(L)) ** 2 for L in bath.jumps)
    rng = np.random.default_rng(0)
    d = int(np.prod(bath.dims))
    best = 0.0
    for _ in range(3):
        X = rng.standard_normal((d, d)) + 1j * rng.standard_normal((d, d))
        X = X + X.conj().T
        best = max(best, float(np.linalg.norm(bath.adjoint(X))) / float(np.linalg.norm(X)))
    return best


def _local_traceless(n: int) -> list[np.ndarray]:
    """Hermitian traceless basis of n x n matrices (generalized Gell-Mann, unnormalized)."""
    out = []
    for j in range(n):
        for k in range(j + 1, n):
            m = np.zeros((n, n), dtype=complex)
            m[j, k] = m[k, j] = 1.0
            out.append(m)
            m = np.zeros((n, n), dtype=complex)
            m[j, k], m[k, j] = -1j, 1j
            out.append(m)
    for l in range(1, n):
        out.append(np.diag(np.r_[np.ones(l), -l, np.zeros(n - l - 1)]).astype(complex))
    return out
