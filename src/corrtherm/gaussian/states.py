"""Gaussian states as correlation matrices C_ij = <c_i^dag c_j>: thermal, locally thermal and
correlated (paper 2, Eqs. 16-17 for free particles), with the exact admissible range of a
correlation strength.

Convention: the grand-canonical state exp(-beta (H - mu N)) / Z of H = sum_ij h_ij c_i^dag c_j
has C = conj(W) diag(f(beta (eps - mu))) W^T for h = W diag(eps) W^dag, with
f(x) = 1 / (e^x + 1) (Fermi-Dirac) or 1 / (e^x - 1) (Bose-Einstein). (C is the transpose of the
one-body density matrix W f W^dag; the two coincide for real h.)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit

from ..core._validate import finite_real
from ..core.errors import FlowError, StateError
from ..core.states import positivity_interval
from ._inputs import (
    check_beta,
    check_mu,
    check_statistics,
    correlation_matrix,
    single_particle,
)
from .model import FreeModel, check_model

__all__ = [
    "occupation",
    "thermal_correlation",
    "correlation_interval",
    "locally_thermal_correlation",
    "exchange_correlation",
    "initial_currents",
]


def bose_gap_tolerance(eps: np.ndarray, mu: float) -> float:
    """Smallest eps - mu a bosonic mode may have: a few hundred ulps of the energy scale.

    Below it mu equals a mode energy within the round-off of the eigensolver, and the
    occupation 1/(e^{beta (eps - mu)} - 1) ~ 1e15 is noise that also swamps the other modes'
    occupations in C = W diag(n) W^dag (mu set to the lowest eigenvalue gave a C with a
    negative eigenvalue)."""
    scale = max(1.0, abs(float(mu)), float(np.max(np.abs(eps))) if np.size(eps) else 0.0)
    return 256 * np.finfo(float).eps * scale


def _occupation(eps: np.ndarray, beta: float, mu: float, statistics: str, what: str) -> np.ndarray:
    x = np.asarray(eps, dtype=float) - mu
    if statistics == "fermion":
        if np.isinf(beta):  # zero temperature: a filled Fermi sea, half filling at eps = mu
            return np.where(x < 0, 1.0, np.where(x > 0, 0.0, 0.5))
        return expit(-beta * x)
    if np.any(x <= bose_gap_tolerance(eps, mu)):
        k = int(np.argmin(x))
        raise StateError(
            f"mu{what}: got {mu!r} >= the lowest single-particle energy {eps[k]:.12g} (within "
            "round-off); a bosonic thermal state needs mu below every mode energy "
            "(Bose-Einstein occupations diverge)"
        )
    if np.isinf(beta):
        return np.zeros_like(x)
    return 1.0 / np.expm1(beta * x)


def occupation(
    energies: Any, beta: float, mu: float = 0.0, statistics: str = "fermion"
) -> np.ndarray:
    """Thermal occupations f(beta (eps - mu)): Fermi-Dirac 1/(e^x + 1) or Bose-Einstein
    1/(e^x - 1). ``beta = inf`` gives the zero-temperature limit (a step, or the vacuum)."""
    stat = check_statistics(statistics, StateError)
    b, m = check_beta(beta, "beta"), check_mu(mu, "mu")
    try:
        e = np.asarray(energies, dtype=float)
    except (TypeError, ValueError):
        raise StateError(f"energies: got {energies!r}; expected real numbers") from None
    if not np.all(np.isfinite(e)):
        raise StateError("energies: contain NaN or infinite values; expected finite energies")
    return _occupation(e, b, m, stat, "")


def _thermal(h: np.ndarray, beta: float, mu: float, statistics: str, what: str = "") -> np.ndarray:
    eps, W = np.linalg.eigh(h)
    f = _occupation(eps, beta, mu, statistics, what)
    C = (W.conj() * f) @ W.T
    return 0.5 * (C + C.conj().T)


def thermal_correlation(
    h: Any, beta: float, mu: float = 0.0, statistics: str = "fermion"
) -> np.ndarray:
    """Correlation matrix of the grand-canonical state exp(-beta (H - mu N)) / Z of
    H = sum_ij h_ij c_i^dag c_j: C = conj(W) diag(f) W^T (module docstring)."""
    stat = check_statistics(statistics, StateError)
    H = single_particle(h, "h", hermitian=True)
    return _thermal(H, check_beta(beta, "beta"), check_mu(mu, "mu"), stat)


def _blocks(model: FreeModel, beta_A, beta_B, mu_A, mu_B) -> tuple[np.ndarray, np.ndarray]:
    st = model.statistics
    bA, bB = check_beta(beta_A, "beta_A"), check_beta(beta_B, "beta_B")
    mA, mB = check_mu(mu_A, "mu_A"), check_mu(mu_B, "mu_B")
    return _thermal(model.h_A, bA, mA, st, "_A"), _thermal(model.h_B, bB, mB, st, "_B")


def correlation_interval(
    C_A: Any, C_B: Any, X: Any, statistics: str = "fermion"
) -> tuple[float, float]:
    """Exact admissible range [c_min, c_max] of c in C(c) = [[C_A, c X], [c X^dag, C_B]].

    C(c) is a Gaussian state iff C(c) >= 0 and, for fermions, 1 - C(c) >= 0. Both are
    positivity conditions P + c Y >= 0 on L x L matrices with Y = [[0, X], [X^dag, 0]] (and
    P = 1 - diag(C_A, C_B), Y -> -Y for the second), each solved exactly by
    :func:`corrtherm.positivity_interval` (kernels of P handled); the result is their
    intersection. The analogue of ``positivity_interval`` for dense states, in L x L instead
    of 2^L x 2^L.
    """
    stat = check_statistics(statistics, StateError)
    A = np.atleast_2d(np.asarray(_c(C_A, "C_A")))
    B = np.atleast_2d(np.asarray(_c(C_B, "C_B")))
    LA, LB = A.shape[0], B.shape[0]
    A = correlation_matrix(A, "C_A", LA, stat)
    B = correlation_matrix(B, "C_B", LB, stat)
    Xm = single_particle(X, "X", shape=(LA, LB))
    return _interval(A, B, Xm, stat)


def _c(x: Any, name: str) -> np.ndarray:
    from ..core._validate import to_array

    arr = to_array(x, name)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise StateError(f"{name}: has shape {arr.shape}; expected a square matrix")
    return arr


def _interval(A: np.ndarray, B: np.ndarray, X: np.ndarray, stat: str) -> tuple[float, float]:
    """[c_min, c_max] of P + c Y >= 0 (and 1 - P - c Y >= 0 for fermions), P = diag(A, B),
    Y = [[0, X], [X^dag, 0]]. For positive definite blocks the Schur complement gives it in
    closed form: c^2 X^dag A^-1 X <= B, i.e. |c| <= 1 / ||A^-1/2 X B^-1/2||_2 (two L_X-sized
    eigen-decompositions; 1 - P has the same eigenvectors). Blocks with (near) zero eigenvalues
    go through :func:`corrtherm.positivity_interval`, which handles kernels."""
    if not np.any(X):
        return (-np.inf, np.inf)
    a, Ua = np.linalg.eigh(A)
    b, Ub = np.linalg.eigh(B)
    tol = 1e-10
    pairs = [(a, b)] + ([(1.0 - a, 1.0 - b)] if stat == "fermion" else [])
    if any(p.min() <= tol or q.min() <= tol for p, q in pairs):
        return _interval_generic(A, B, X, stat)
    Xe = Ua.conj().T @ X @ Ub  # X in the eigenbases of A and B
    bound = np.inf
    for p, q in pairs:
        Z = Xe / np.sqrt(p)[:, None] / np.sqrt(q)[None, :]
        s = float(np.sqrt(max(np.linalg.eigvalsh(Z.conj().T @ Z)[-1], 0.0)))
        bound = min(bound, 1.0 / s if s > 0 else np.inf)
    return (-bound, bound)


def _interval_generic(A, B, X, stat) -> tuple[float, float]:
    LA, LB = A.shape[0], B.shape[0]
    P = np.zeros((LA + LB, LA + LB), dtype=complex)
    P[:LA, :LA], P[LA:, LA:] = A, B
    Y = np.zeros_like(P)
    Y[:LA, LA:], Y[LA:, :LA] = X, X.conj().T
    # the kernel of P (pure occupations) needs a relative tolerance like dense states do
    lo, hi = positivity_interval(P, Y, tol=1e-12)
    if stat == "fermion":
        lo2, hi2 = positivity_interval(np.eye(LA + LB) - P, -Y, tol=1e-12)
        lo, hi = max(lo, lo2), min(hi, hi2)
    return (float(lo), float(hi))


def locally_thermal_correlation(
    model: FreeModel,
    beta_A: float,
    beta_B: float,
    mu_A: float = 0.0,
    mu_B: float = 0.0,
    X: Any = None,
    c: float = 0.0,
) -> np.ndarray:
    """C(0) = [[gamma_A, c X], [c X^dag, gamma_B]] with exactly grand-canonical marginals
    gamma_X = thermal_correlation(h_X, beta_X, mu_X) (paper 2, Eq. 16) and correlations c X.

    ``c`` must lie in :func:`correlation_interval` (else a FlowError names the interval); any
    X (L_A x L_B) leaves the marginals untouched, so every admissible C(0) is locally thermal.
    """
    m = check_model(model, FlowError)
    try:
        gA, gB = _blocks(m, beta_A, beta_B, mu_A, mu_B)
    except StateError as exc:
        raise FlowError(str(exc)) from None
    cc = finite_real(c, "c", FlowError, "a finite real correlation strength")
    C = np.zeros((m.L, m.L), dtype=complex)
    C[: m.L_A, : m.L_A], C[m.L_A :, m.L_A :] = gA, gB
    if X is None:
        if cc != 0.0:
            raise FlowError(f"c: got {cc!r} but no correlation block X was given")
        return _tidy(C)
    Xm = single_particle(X, "X", shape=(m.L_A, m.L_B))
    lo, hi = _interval(gA, gB, Xm, m.statistics)
    slack = 1e-12 * max(1.0, abs(cc))
    if not lo - slack <= cc <= hi + slack:
        raise FlowError(
            f"c: got {cc:.12g}; expected c in the admissible interval [{lo:.12g}, {hi:.12g}] "
            f"(0 <= C <= 1 for fermions, C >= 0 for bosons)"
        )
    C[: m.L_A, m.L_A :] = cc * Xm
    C[m.L_A :, : m.L_A] = cc * Xm.conj().T
    return _tidy(C)


def _tidy(C: np.ndarray) -> np.ndarray:
    C = 0.5 * (C + C.conj().T)
    return np.ascontiguousarray(C.real) if not np.any(C.imag) else C


def exchange_correlation(
    model: FreeModel,
    beta_A: float,
    beta_B: float,
    mu_A: float = 0.0,
    mu_B: float = 0.0,
    phase: float | None = None,
) -> np.ndarray:
    """Correlation block X (L_A x L_B) pairing eigenmodes of h_A and h_B, normalized so that
    the admissible interval of :func:`locally_thermal_correlation` is exactly [-1, 1].

    With h_X = W_X diag(eps_X) W_X^dag, the k-th lowest eigenmode of A is paired with the k-th
    lowest of B (k < min(L_A, L_B); resonant pairs for identical halves, whose coherences then
    do not dephase): X = conj(W_A) diag(y_k) W_B^T, |y_k| = x_k. In the paired eigenbasis
    C(c) is a direct sum of 2 x 2 blocks [[f_A, c y], [c conj(y), f_B]], positive with
    1 - C >= 0 iff |c y|^2 <= f_A f_B and |c y|^2 <= (1 - f_A)(1 - f_B) (fermions; only the
    first for bosons), so x_k = sqrt(min(f_A f_B, (1 - f_A)(1 - f_B))) makes |c| <= 1 exact.

    Phases: ``phase=None`` (default) aligns each pair with the coupling,
    y_k = i x_k conj(u_k)/|u_k| with u_k = (W_A^dag t_AB W_B)_kk, so that every pair pushes
    particles into A: dN_A/dt(0) = 2 c sum_k x_k |u_k| (c > 0 fills A, c < 0 fills B; see
    :func:`initial_currents`). A number gives all pairs the phase e^{i phase}. The
    free-particle analogue of :func:`corrtherm.particle_exchange_coherence`.
    """
    m = check_model(model, FlowError)
    try:
        bA, bB = check_beta(beta_A, "beta_A", FlowError), check_beta(beta_B, "beta_B", FlowError)
        mA, mB = check_mu(mu_A, "mu_A", FlowError), check_mu(mu_B, "mu_B", FlowError)
        phi = None if phase is None else check_mu(phase, "phase", FlowError)
        eA, WA = np.linalg.eigh(m.h_A)
        eB, WB = np.linalg.eigh(m.h_B)
        fA = _occupation(eA, bA, mA, m.statistics, "_A")
        fB = _occupation(eB, bB, mB, m.statistics, "_B")
    except StateError as exc:
        raise FlowError(str(exc)) from None
    k = min(m.L_A, m.L_B)
    w = fA[:k] * fB[:k]
    if m.statistics == "fermion":
        w = np.minimum(w, (1.0 - fA[:k]) * (1.0 - fB[:k]))
    x = np.sqrt(np.clip(w, 0.0, None))
    if phi is None:
        u = np.einsum("ak,ab,bk->k", WA[:, :k].conj(), m.t_AB, WB[:, :k])
        big = np.abs(u) > 1e-14 * max(1.0, float(np.max(np.abs(u))))
        x = 1j * x * np.where(big, np.conj(u) / np.where(big, np.abs(u), 1.0), 1.0)
    else:
        x = np.exp(1j * phi) * x
    if not np.any(np.abs(x) > 0):
        raise FlowError(
            "exchange_correlation: every paired mode is pure (occupation 0 or 1), so no "
            "correlation is admissible; raise the temperature or move mu into the band"
        )
    X = (WA[:, :k].conj() * x) @ WB[:, :k].T
    return np.ascontiguousarray(X.real) if not np.any(X.imag) else X


def initial_currents(model: FreeModel, C: Any) -> tuple[float, float]:
    """(dN_A/dt, dE_A/dt) at the state C under the isolated dynamics (positive into A).

    From dC/dt = i[h^T, C]: dN_A/dt = 2 Im sum_ab (t_AB)_ab C_ab and
    dE_A/dt = 2 Im Tr[h_A t_AB C_AB^T] (bare local energy E_A = Tr[h_A^T C_AA])."""
    m = check_model(model, FlowError)
    try:
        Cm = correlation_matrix(C, "C", m.L, m.statistics)
    except StateError as exc:
        raise FlowError(str(exc)) from None
    C_AB = Cm[: m.L_A, m.L_A :]
    dN = 2.0 * float(np.sum(m.t_AB * C_AB).imag)
    dE = 2.0 * float(np.trace(m.h_A @ m.t_AB @ C_AB.T).imag)
    return dN, dE
