"""Locally (grand-)canonical marginals and the correlations added to them (paper 2, Eqs. 16-17).

rho = gamma_A (x) gamma_B + c chi with gamma_X = e^{-beta_X (H_X - mu_X N_X)} / Z_X and chi a
correlation operator (Tr_A chi = Tr_B chi = 0): the marginals stay thermal while A and B are
correlated. The admissible c is given by :func:`corrtherm.positivity_interval`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core._validate import hermitian
from ..core.errors import CorrthermError, FlowError
from ..core.model import Bipartite
from ..core.states import _pt, positivity_interval
from ._inputs import _atol, _beta, _finite_float, _model, _mu
from .conservation import CONSERVATION_RTOL, _commutes

__all__ = [
    "thermal_marginals",
    "locally_thermal_state",
    "particle_exchange_coherence",
    "energy_exchange_coherence",
]


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

    Canonical exp(-beta_X H_X)/Z_X when mu_X = 0. Unlike :func:`~corrtherm.core.states.gibbs_state` this does not
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
