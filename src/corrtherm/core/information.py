"""Information measures in nats: von Neumann entropy, mutual information, relative entropy."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._report import tuple_text
from ._validate import STATE_TOL, check_dims, density_matrix
from .states import _pt

__all__ = [
    "entropy",
    "entropy_from_eigenvalues",
    "mutual_information",
    "relative_entropy",
    "Entropies",
    "entropies",
    "SUPPORT_TOL",
]

#: Eigenvalues below this (relative to the largest) count as exact zeros in relative_entropy.
SUPPORT_TOL = 1e-12


def entropy_from_eigenvalues(p: np.ndarray) -> float:
    """-sum p ln p over p > 0 (negative round-off eigenvalues are dropped)."""
    return float(entropy_rows(p))


def entropy_rows(p: np.ndarray) -> np.ndarray:
    """-sum_k p_k ln p_k along the last axis of a stack of spectra (0 ln 0 = 0, round-off
    negative eigenvalues dropped): the entropies of many states at once, for the solvers."""
    p = np.asarray(p, dtype=float)
    positive = p > 0
    return -np.sum(np.where(positive, p * np.log(np.where(positive, p, 1.0)), 0.0), axis=-1)


def _entropy(rho: np.ndarray) -> float:
    return entropy_from_eigenvalues(np.linalg.eigvalsh(rho))


def entropy(rho: Any, tol: float = STATE_TOL) -> float:
    """Von Neumann entropy S(rho) = -Tr rho ln rho in nats (0 ln 0 = 0).

    From the eigenvalues of rho; round-off negative eigenvalues are dropped. Paper 2, Eq. 1
    uses it for S_AB, S_A, S_B.
    """
    return _entropy(density_matrix(rho, tol=tol))


class Entropies(NamedTuple):
    """S(rho), S(rho_A), S(rho_B) and I(A:B) = S_A + S_B - S >= 0.

    Returned by :func:`entropies`; all in nats. Paper 2, Eq. 1: S_AB = S_A + S_B - I_AB.
    """

    S: float
    S_A: float
    S_B: float
    I_AB: float

    def __str__(self) -> str:
        return tuple_text(self, "Entropies [nat]", _ENTROPY_LABELS)[0]

    def _repr_html_(self) -> str:
        return tuple_text(self, "Entropies [nat]", _ENTROPY_LABELS)[1]


_ENTROPY_LABELS = {
    "S": "S = −Tr[ρ ln ρ]",
    "S_A": "S_A",
    "S_B": "S_B",
    "I_AB": "I(A:B) = S_A + S_B − S",
}


def _entropies(rho: np.ndarray, dA: int, dB: int) -> Entropies:
    S = _entropy(rho)
    SA, SB = _entropy(_pt(rho, dA, dB, "A")), _entropy(_pt(rho, dA, dB, "B"))
    # subadditivity makes I >= 0 exactly; round-off can push it a hair below
    return Entropies(S, SA, SB, max(0.0, SA + SB - S))


def entropies(rho: Any, dims: Any, tol: float = STATE_TOL) -> Entropies:
    """All four entropies of a bipartite state in one pass (paper 2, Eq. 1).

    Returns :class:`Entropies` with S = S(rho), S_A = S(Tr_B rho), S_B = S(Tr_A rho) and
    I_AB = S_A + S_B - S (clipped at 0 against round-off).
    """
    R = density_matrix(rho, tol=tol)
    dA, dB = check_dims(dims, R.shape[0])
    return _entropies(R, dA, dB)


def mutual_information(rho: Any, dims: Any, tol: float = STATE_TOL) -> float:
    """I(A:B) = S(rho_A) + S(rho_B) - S(rho) >= 0 (clipped at 0 against round-off).

    In nats; ``dims = (d_A, d_B)``. Zero exactly for product states; 2 ln d for a maximally
    entangled pure state of two d-level systems (paper 2, Eq. 1).
    """
    return entropies(rho, dims, tol).I_AB


def relative_entropy(
    rho: Any, sigma: Any, tol: float = STATE_TOL, support_tol: float = SUPPORT_TOL
) -> float:
    """Quantum relative entropy D(rho || sigma) = Tr rho (ln rho - ln sigma) in nats.

    Returns ``inf`` when supp(rho) is not inside supp(sigma): eigenvalues of sigma below
    ``support_tol * lambda_max(sigma)`` are its kernel, and if rho puts weight above
    ``support_tol`` on that kernel the result is infinite. Clipped at 0 against round-off
    (Klein's inequality makes D >= 0).
    """
    R = density_matrix(rho, "rho", tol=tol)
    S = density_matrix(sigma, "sigma", R.shape[0], tol=tol)
    p = np.linalg.eigvalsh(R)
    s, W = np.linalg.eigh(S)
    kernel = s <= support_tol * max(float(s[-1]), 1e-300)
    # <w_j| rho |w_j>: weight of rho on each eigenvector of sigma
    weights = np.einsum("ij,ik,kj->j", W.conj(), R, W).real
    if np.any(kernel) and float(np.sum(weights[kernel])) > support_tol:
        return float("inf")
    cross = float(np.sum(weights[~kernel] * np.log(s[~kernel])))
    return max(0.0, -entropy_from_eigenvalues(p) - cross)
