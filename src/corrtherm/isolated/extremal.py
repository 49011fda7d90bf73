"""Extremal correlations: the largest particle or energy transfer that initial correlations
allow at fixed marginals (paper 2, Sec. III; semidefinite programming).

For unitary evolution U(t) = exp(-i H t), the transfer into A,

    DeltaX_A(t) = Tr[(U^dag X_A U - X_A) rho0],   X_A = N_A (x) I or H_A (x) I,

is linear in rho0, so its maximum over all states with fixed marginals
(rho0 >= 0, Tr_B rho0 = rho_A, Tr_A rho0 = rho_B) is a semidefinite program. Adding
rho0^{T_B} >= 0 restricts to PPT states (equal to the separable set for 2 x 2 and 2 x 3), and
restricting rho0 to be diagonal in the eigenbases of the marginals (a linear program over
joint distributions with the given marginals) gives the classically correlated baseline;
the product state rho_A (x) rho_B is the uncorrelated reference. The gaps between these
numbers show what entanglement, and correlations in general, buy.

cvxpy (with the open-source Clarabel or SCS solvers) is an optional dependency:
``pip install 'corrtherm[sdp]'``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..core._report import Report, fmt
from ..core._validate import density_matrix, finite_real, is_real_number
from ..core.errors import CorrthermError, FlowError, MissingDependencyError
from ..core.limits import require_memory
from ..core.model import Bipartite
from ._inputs import _beta, _model
from .correlated_states import thermal_marginals

__all__ = ["ExtremalReport", "extremal_transfer", "max_anomalous_transfer", "transfer_operator"]

_QUANTITIES = ("particles", "energy")


@dataclass(frozen=True, eq=False, repr=False)
class ExtremalReport(Report):
    """Largest value of direction * DeltaX_A(t) over initial states with fixed marginals.

    ``optimum`` is over all states, ``optimum_ppt`` over PPT states, ``optimum_classical`` over
    states diagonal in the marginals' eigenbases (None when not computed), ``product_value``
    the product state's value. ``rho_opt`` is the optimal state of the unrestricted problem;
    ``status`` the solver status of each SDP ("optimal" or "optimal_inaccurate").
    A positive value with the anomalous direction means an anomalous transfer of that size
    is possible.
    """

    quantity: str
    time: float
    direction: int
    optimum: float
    optimum_ppt: float | None
    optimum_classical: float | None
    product_value: float
    rho_opt: np.ndarray
    solver: str
    status: tuple[str, ...] = ()  # solver status of the full and (if solved) the PPT SDP

    @property
    def entanglement_gain(self) -> float | None:
        """optimum - optimum_ppt: what non-PPT (entangled) states add."""
        return None if self.optimum_ppt is None else self.optimum - self.optimum_ppt

    _labels: ClassVar[dict[str, str]] = {"rho_opt": "optimal initial state"}

    def _heading(self) -> str:
        what = "ΔN_A" if self.quantity == "particles" else "ΔE_A"
        sign = "" if self.direction > 0 else "−"
        return (
            f"max {sign}{what}(t={self.time:g}) over initial states with fixed marginals "
            f"({self.solver})"
        )

    def _rows(self) -> list[tuple[str, str]]:
        val = lambda x: "not computed" if x is None else f"{x:.8g}"
        return [
            ("all states", val(self.optimum)),
            ("PPT states", val(self.optimum_ppt)),
            ("classical (diagonal)", val(self.optimum_classical)),
            ("product state", val(self.product_value)),
            ("entanglement gain", val(self.entanglement_gain)),
            ("optimal initial state", fmt(self.rho_opt)),
            ("solver status", ", ".join(self.status) or "n/a"),
        ]


def _cvxpy():
    try:
        import cvxpy
    except ImportError:
        raise MissingDependencyError(
            "cvxpy: not installed; the extremal-correlation SDPs need it. Install with "
            "pip install 'corrtherm[sdp]' (cvxpy + clarabel)"
        ) from None
    return cvxpy


def transfer_operator(model: Bipartite, t: float, quantity: str = "particles") -> np.ndarray:
    """Heisenberg-picture transfer O(t) = U^dag X_A U - X_A, so DeltaX_A(t) = Tr[O rho0].

    X_A = N_A (x) I for ``"particles"``, H_A (x) I (bare local energy, Eq. 22) for ``"energy"``.
    """
    m = _model(model)
    if not isinstance(quantity, str) or quantity not in _QUANTITIES:
        raise FlowError(f"quantity: got {quantity!r}; expected one of {_QUANTITIES}")
    if quantity == "particles" and not m.has_numbers:
        raise FlowError("quantity: 'particles' needs number operators; the model has none")
    time = finite_real(t, "t", FlowError, "a finite time")
    X = m.N_A_full if quantity == "particles" else m.H_A_full
    e, W = np.linalg.eigh(m.H)
    U = (W * np.exp(-1j * e * time)) @ W.conj().T
    O = U.conj().T @ X @ U - X
    return 0.5 * (O + O.conj().T)


def _psd_projection(rho: np.ndarray) -> np.ndarray:
    """Clip the round-off negative eigenvalues that validation tolerates (|lambda| <= 1e-8):
    with them the SDP is infeasible, and interior-point solvers may fail outright."""
    lam, W = np.linalg.eigh(rho)
    lam = np.clip(lam, 0.0, None)
    R = (W * (lam / lam.sum())) @ W.conj().T
    return 0.5 * (R + R.conj().T)


def _classical_optimum(O: np.ndarray, rA: np.ndarray, rB: np.ndarray) -> float:
    """max Tr[O P] over P = sum_ij p_ij |a_i b_j><a_i b_j| with the given marginals (LP)."""
    pA, WA = np.linalg.eigh(rA)
    pB, WB = np.linalg.eigh(rB)
    dA, dB = len(pA), len(pB)
    W = np.kron(WA, WB)
    cost = np.einsum("ik,ij,jk->k", W.conj(), O, W).real  # index k = (i_A, j_B)
    A_eq = np.vstack([np.kron(np.eye(dA), np.ones(dB)), np.kron(np.ones(dA), np.eye(dB))])
    b_eq = np.concatenate([np.clip(pA, 0, None), np.clip(pB, 0, None)])
    b_eq[:dA] /= b_eq[:dA].sum()
    b_eq[dA:] /= b_eq[dA:].sum()
    from scipy.optimize import linprog  # imported on use: it costs ~0.3 s at import

    res = linprog(-cost, A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if res.status != 0:
        raise FlowError(f"classical baseline: linear program failed ({res.message})")
    return float(-res.fun)


def _solve(
    cp: Any,
    O: np.ndarray,
    rA: np.ndarray,
    rB: np.ndarray,
    dims: tuple[int, int],
    ppt: bool,
    solver: str,
) -> tuple[float, np.ndarray, str]:
    d = dims[0] * dims[1]
    rho = cp.Variable((d, d), hermitian=True)
    cons = [
        rho >> 0,
        cp.partial_trace(rho, dims, axis=1) == rA,
        cp.partial_trace(rho, dims, axis=0) == rB,
    ]
    if ppt:
        cons.append(cp.partial_transpose(rho, dims, axis=1) >> 0)
    prob = cp.Problem(cp.Maximize(cp.real(cp.trace(O @ rho))), cons)
    try:
        with warnings.catch_warnings():
            # "Solution may be inaccurate" is reported as status 'optimal_inaccurate' instead
            warnings.simplefilter("ignore", UserWarning)
            prob.solve(solver=solver)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: B036 - Clarabel can raise a Rust PanicException
        raise FlowError(
            f"solver: {solver} failed on the extremal-transfer SDP{' with PPT' if ppt else ''} "
            f"({type(exc).__name__}: {exc}); try another solver, e.g. solver='SCS'"
        ) from None
    if prob.status not in ("optimal", "optimal_inaccurate") or rho.value is None:
        raise FlowError(
            f"solver: {solver} returned status {prob.status!r} for the extremal-transfer SDP"
            f"{' with PPT' if ppt else ''}; expected 'optimal' (are the marginals valid?)"
        )
    R = np.asarray(rho.value)
    return float(prob.value), 0.5 * (R + R.conj().T), str(prob.status)


def _pick_solver(cp: Any, solver: str | None) -> str:
    installed = cp.installed_solvers()
    if solver is None:
        for name in ("CLARABEL", "SCS"):
            if name in installed:
                return name
        raise MissingDependencyError(
            "solver: neither CLARABEL nor SCS is installed; pip install 'corrtherm[sdp]'"
        )
    if solver.upper() not in installed:
        raise FlowError(f"solver: got {solver!r}; expected one of the installed {installed}")
    return solver.upper()


def extremal_transfer(
    model: Bipartite,
    t: float,
    rho_A: Any,
    rho_B: Any,
    quantity: str = "particles",
    direction: int = 1,
    *,
    ppt: bool = True,
    classical: bool = True,
    solver: str | None = None,
) -> ExtremalReport:
    """Maximize direction * DeltaX_A(t) = Tr[direction O(t) rho0] over rho0 with marginals
    rho_A, rho_B (see :func:`transfer_operator` and the module docstring).

    direction = +1 maximizes the transfer into A, -1 out of A. ``ppt`` also solves the PPT
    relaxation of separability; ``classical`` the LP over states diagonal in the marginals'
    eigenbases (for degenerate marginals, one eigenbasis: a lower bound).
    """
    m = _model(model)
    if not is_real_number(direction) or direction not in (1, -1):
        raise FlowError(f"direction: got {direction!r}; expected +1 (into A) or -1 (out of A)")
    dA, dB = m.dims
    # interior-point SDP solvers factor a dense KKT system over the 2 d^2 real unknowns of a
    # Hermitian d x d variable (times two with the PPT constraint)
    require_memory(
        8 * (2 * m.d * m.d) ** 2 * (2 if ppt else 1),
        f"extremal_transfer: the SDP over {m.d} x {m.d} states",
        "use a smaller model" + (" or ppt=False" if ppt else ""),
    )
    try:
        rA = _psd_projection(density_matrix(rho_A, "rho_A", dA))
        rB = _psd_projection(density_matrix(rho_B, "rho_B", dB))
    except CorrthermError as exc:
        raise FlowError(str(exc)) from None
    O = direction * transfer_operator(m, t, quantity)
    cp = _cvxpy()
    name = _pick_solver(cp, solver)
    best, R, status = _solve(cp, O, rA, rB, (dA, dB), False, name)
    statuses = [status]
    best_ppt = None
    if ppt:
        best_ppt, _, status_ppt = _solve(cp, O, rA, rB, (dA, dB), True, name)
        statuses.append(status_ppt)
    best_cl = _classical_optimum(O, rA, rB) if classical else None
    prod = float(np.einsum("ij,ji->", O, np.kron(rA, rB)).real)
    return ExtremalReport(
        quantity, float(t), int(direction), best, best_ppt, best_cl, prod, R, name, tuple(statuses)
    )


def max_anomalous_transfer(
    model: Bipartite,
    t: float,
    beta_A: float,
    beta_B: float,
    mu_A: float = 0.0,
    mu_B: float = 0.0,
    quantity: str = "particles",
    *,
    ppt: bool = True,
    classical: bool = True,
    solver: str | None = None,
) -> ExtremalReport:
    """Largest anomalous transfer at time t over initial states with thermal marginals.

    Marginals gamma_X of (beta_X, mu_X) (paper 2, Eq. 16). Anomalous means against the force
    of (26): for particles DeltaN_A with the sign of beta_A mu_A - beta_B mu_B (e.g. into A when
    mu_A > mu_B at equal temperatures), for energy DeltaE_A with the sign of beta_B - beta_A
    (out of the colder side). Returns :func:`extremal_transfer` in that direction; its
    ``optimum`` > 0 means an anomalous transfer of that size is reachable.
    """
    m = _model(model)
    bA, bB = _beta(beta_A, "beta_A"), _beta(beta_B, "beta_B")
    gA, gB = thermal_marginals(m, bA, bB, mu_A, mu_B)
    if quantity == "particles":
        if not m.has_numbers:
            raise FlowError("quantity: 'particles' needs number operators; the model has none")
        force = bA * float(mu_A) - bB * float(mu_B)
        need = "beta_A mu_A != beta_B mu_B"
    elif quantity == "energy":
        force = bB - bA
        need = "beta_A != beta_B"
    else:
        raise FlowError(f"quantity: got {quantity!r}; expected one of {_QUANTITIES}")
    if abs(force) <= 1e-12 * max(1.0, bA * abs(float(mu_A)), bB * abs(float(mu_B)), bA, bB):
        raise FlowError(
            f"{quantity}: no thermodynamic force (needs {need}), so no direction is anomalous; "
            "use extremal_transfer with an explicit direction"
        )
    return extremal_transfer(
        m, t, gA, gB, quantity, 1 if force > 0 else -1, ppt=ppt, classical=classical, solver=solver
    )
