"""Entropies, mutual information and relative entropies of Gaussian states from C alone.

A gauge-invariant Gaussian state with C_ij = <c_i^dag c_j> = sum_k n_k conj(w_ik) w_jk is a
product of independent modes with occupations n_k (the eigenvalues of C), so

    S = -sum_k [n_k ln n_k + (1 - n_k) ln(1 - n_k)]         (fermions)
    S =  sum_k [(n_k + 1) ln(n_k + 1) - n_k ln n_k]         (bosons)

and the marginal of a set of modes is the Gaussian state of the corresponding block of C.
Writing sigma = exp(-sum_ij K_ij c_i^dag c_j) / Z with C_sigma = (e^{K^T} + 1)^{-1} (fermions)
or (e^{K^T} - 1)^{-1} (bosons), ln sigma is quadratic, and with a(x) = ln x - ln(1 - x)
(fermions) or ln x - ln(1 + x) (bosons),

    D(rho || sigma) = -S(rho) - Tr[C_rho a(C_sigma)] - c_0,
    c_0 = sum_k ln(1 - n_k^sigma)   (fermions),   c_0 = -sum_k ln(1 + n_k^sigma)   (bosons),

which is the closed form used here (one L x L trace per state once a(C_sigma) is known).
Eigenvalues of C_sigma within PURE_TOL of 0 (or of 1 for fermions) are pure directions of sigma
where ln sigma = -inf: the term of such a direction is 0 if rho has weight <= PURE_TOL there,
and D = +inf otherwise (below ~1e-12 an eigenvalue computed in double precision has no reliable
digits, so its logarithm would be noise).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import xlogy

from ..core.errors import StateError
from ._inputs import check_statistics, correlation_matrix

__all__ = ["entropy", "mutual_information", "relative_entropy", "mode_entropy", "PURE_TOL"]

#: Occupations closer than this to 0 (or to 1 for fermions) are treated as exactly pure.
PURE_TOL = 1e-12


def mode_entropy(n: Any, statistics: str = "fermion") -> np.ndarray | float:
    """Entropy (nats) of independent modes with occupations ``n`` (summed over the last axis):
    S = -sum [n ln n + (1 - n) ln(1 - n)] (fermions), sum [(n + 1) ln(n + 1) - n ln n] (bosons).
    Round-off outside the physical range (n < 0, or n > 1 for fermions) is clipped.
    """
    statistics = check_statistics(statistics, StateError)
    try:
        n = np.asarray(n, dtype=float)
    except (TypeError, ValueError):
        raise StateError(f"n: got {n!r}; expected occupation numbers") from None
    return _mode_entropy(n, statistics)


def _eigvalsh(G: np.ndarray) -> np.ndarray:
    from scipy.linalg import eigh

    # 'evr' (MRRR) is the fastest LAPACK driver for eigenvalues only of dense Hermitian blocks
    return eigh(G, eigvals_only=True, driver="evr", check_finite=False)


def _mode_entropy(n: np.ndarray, statistics: str) -> np.ndarray | float:
    """:func:`mode_entropy` without validation (a float for one set of occupations)."""
    if statistics == "fermion":
        n = np.clip(n, 0.0, 1.0)
        out = -(xlogy(n, n) + xlogy(1.0 - n, 1.0 - n)).sum(axis=-1)
    else:
        n = np.clip(n, 0.0, None)
        out = (xlogy(n + 1.0, n + 1.0) - xlogy(n, n)).sum(axis=-1)
    return float(out) if np.ndim(out) == 0 else out


def block_entropy(G: np.ndarray, statistics: str) -> float:
    """S of the Gaussian state with (Hermitian) correlation block G; no validation."""
    return _mode_entropy(_eigvalsh(G), statistics)


def entropy(C: Any, statistics: str = "fermion") -> float:
    """Von Neumann entropy (nats) of the Gaussian state with correlation matrix C:
    S = sum_k s(n_k) over the eigenvalues n_k of C (module docstring)."""
    stat = check_statistics(statistics, StateError)
    arr = np_square(C, "C")
    arr = correlation_matrix(arr, "C", arr.shape[0], stat)
    return block_entropy(arr, stat)


def mutual_information(C: Any, L_A: int, statistics: str = "fermion") -> float:
    """I(A:B) = S(C_AA) + S(C_BB) - S(C) >= 0 for modes 0..L_A-1 in A and the rest in B
    (the marginal of a set of modes is the Gaussian state of its block of C)."""
    stat = check_statistics(statistics, StateError)
    arr = np_square(C, "C")
    L = arr.shape[0]
    if not isinstance(L_A, int | np.integer) or not 1 <= int(L_A) < L:
        raise StateError(f"L_A: got {L_A!r}; expected an integer with 1 <= L_A < L = {L}")
    arr = correlation_matrix(arr, "C", L, stat)
    a = int(L_A)
    val = (
        block_entropy(arr[:a, :a], stat)
        + block_entropy(arr[a:, a:], stat)
        - block_entropy(arr, stat)
    )
    return max(0.0, val)


def relative_entropy(C_rho: Any, C_sigma: Any, statistics: str = "fermion") -> float:
    """D(rho || sigma) (nats) of two Gaussian states in closed form,
    D = -S(rho) - Tr[C_rho a(C_sigma)] - c_0 (module docstring); +inf when rho has weight on a
    pure direction of sigma."""
    stat = check_statistics(statistics, StateError)
    r = np_square(C_rho, "C_rho")
    r = correlation_matrix(r, "C_rho", r.shape[0], stat)
    s = correlation_matrix(C_sigma, "C_sigma", r.shape[0], stat)
    ref = Reference.from_correlation(s, stat)
    return float(ref(r, block_entropy(r, stat)))


def np_square(C: Any, name: str) -> np.ndarray:
    from ..core._validate import to_array

    arr = to_array(C, name)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise StateError(f"{name}: has shape {arr.shape}; expected a square L x L matrix")
    return arr


class Reference:
    """A fixed Gaussian reference state sigma, for D(rho || sigma) = -S(rho) - Tr[G A] - c_0.

    ``A`` is a(C_sigma) (module docstring) in the convention of the blocks it is applied to;
    ``lo``/``hi`` are projectors on pure directions of sigma (occupation 0 / 1), or None.
    """

    def __init__(
        self, A: np.ndarray, c0: float, lo: np.ndarray | None = None, hi: np.ndarray | None = None
    ) -> None:
        self.A_T = np.ascontiguousarray(A.T)
        self.c0 = float(c0)
        self.lo, self.hi = lo, hi

    @classmethod
    def from_correlation(cls, C: np.ndarray, statistics: str) -> Reference:
        n, W = np.linalg.eigh(C)
        lo = n <= PURE_TOL
        hi = (n >= 1.0 - PURE_TOL) if statistics == "fermion" else np.zeros_like(lo)
        reg = ~(lo | hi)
        nr = np.where(reg, n, 0.5)
        if statistics == "fermion":
            a = np.log(nr) - np.log1p(-nr)
            c0 = float(np.sum(np.where(reg, np.log1p(-nr), 0.0)))
        else:
            a = np.log(nr) - np.log1p(nr)
            c0 = -float(np.sum(np.where(reg, np.log1p(nr), 0.0)))
        A = (W * np.where(reg, a, 0.0)) @ W.conj().T

        def proj(mask: np.ndarray) -> np.ndarray | None:
            return W[:, mask] @ W[:, mask].conj().T if mask.any() else None

        return cls(A, c0, proj(lo), proj(hi))

    @classmethod
    def thermal(cls, h: np.ndarray, beta: float, mu: float, statistics: str) -> Reference:
        """sigma = exp(-beta (H - mu N)) / Z for the single-particle matrix h (finite beta):
        D = -S(rho) + beta Tr[(h - mu) G_rho] + ln Z (paper 2, the identity behind inequality (26))."""
        eps = np.linalg.eigvalsh(h)
        x = beta * (eps - mu)
        if statistics == "fermion":
            log_Z = float(np.sum(np.logaddexp(0.0, -x)))
        else:
            log_Z = -float(np.sum(np.log(-np.expm1(-x))))
        A = -beta * (h - mu * np.eye(h.shape[0]))
        return cls(A, -log_Z)

    def __call__(self, G: np.ndarray, S_rho: float) -> float:
        """D(rho || sigma) for the block G of rho (same convention as A) with entropy S_rho."""
        val = -S_rho - float(np.sum(G * self.A_T).real) - self.c0
        if self.lo is not None and float(np.sum(G * self.lo.T).real) > PURE_TOL:
            return float("inf")
        if self.hi is not None:
            empty = float(np.trace(self.hi).real - np.sum(G * self.hi.T).real)
            if empty > PURE_TOL:
                return float("inf")
        return max(0.0, val)
