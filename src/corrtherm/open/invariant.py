"""Special initial states: correlations that evolve inside themselves (paper 1, Eqs. 14-16)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..core._report import Report
from ..core._validate import density_matrix
from ..core.model import Bipartite
from ..core.states import _pt, correlation_basis
from .steady import _dense_generator, steady_state

__all__ = ["invariant_correlation_subspace", "InvariantSubspaceReport"]


@dataclass(frozen=True, eq=False, repr=False)
class InvariantSubspaceReport(Report):
    """Largest generator-invariant subspace of correlation operators (paper 1, Eqs. 14-16).

    dimension; basis: Hermitian, Hilbert-Schmidt-orthonormal, shape (dimension, d, d), every
    element has Tr_A = Tr_B = 0 and so does its evolution e^{Lt}[chi] for all t;
    eigenvalues: of the generator restricted to the subspace (chi(t) ~ e^{lambda t});
    decay_rates: -Re(eigenvalues), sorted; product_state: pi_A (x) pi_B from the steady state's
    marginals; product_steady_residual: ||L[pi_A (x) pi_B]||_F; product_steady: residual <= tol.
    When pi_A (x) pi_B is steady, rho(0) = pi_A (x) pi_B + chi(0) with chi(0) in the subspace
    keeps rho_A, rho_B (hence U_A, U_B) constant while chi, U_chi evolve; rho(0) >= 0 restricts
    chi(0) (see :func:`corrtherm.positivity_interval`).
    """

    dimension: int
    basis: np.ndarray
    eigenvalues: np.ndarray
    decay_rates: np.ndarray
    product_state: np.ndarray
    product_steady_residual: float
    product_steady: bool

    _title: ClassVar[str] = "Generator-invariant subspace of correlations (paper 1, Eqs. 14-16)"
    _labels: ClassVar[dict[str, str]] = {
        "dimension": "dimension",
        "basis": "basis (Hermitian, Tr_A = Tr_B = 0)",
        "eigenvalues": "eigenvalues of L on the subspace",
        "decay_rates": "decay rates −Re λ",
        "product_state": "π_A ⊗ π_B (steady marginals)",
        "product_steady_residual": "‖L[π_A ⊗ π_B]‖_F",
        "product_steady": "π_A ⊗ π_B is steady",
    }


def invariant_correlation_subspace(
    model: Bipartite, jumps_A: Any = (), jumps_B: Any = (), steady: Any = None, *, tol: float = 1e-9
) -> InvariantSubspaceReport:
    """Largest L-invariant subspace inside ker Tr_A cap ker Tr_B (paper 1's special states).

    Starting from W_0 = correlation operators (dimension (d_A^2 - 1)(d_B^2 - 1)), iterate
    W_{j+1} = {x in W_j : L x in W_j} until the dimension is stable; every x in the limit has
    e^{Lt} x in W_0 for all t. Computed in real coordinates of a Hermitian orthonormal basis
    (L preserves Hermiticity), null spaces by SVD with threshold ``tol`` * ||L||.
    ``steady``: the steady state whose marginals define pi_A (x) pi_B (default: the unique
    steady state from :func:`steady_state`). Dense: d <= DENSE_MAX_D.
    """
    model, _, _, S = _dense_generator(model, jumps_A, jumps_B, "invariant_correlation_subspace")
    dA, dB = model.dims
    d = model.d
    if steady is None:
        steady = steady_state(model, jumps_A, jumps_B).rho
    R = density_matrix(steady, "steady", d)
    prod = np.kron(_pt(R, dA, dB, "A"), _pt(R, dA, dB, "B"))
    res = float(np.linalg.norm(S @ prod.reshape(-1)))
    Snorm = max(float(np.linalg.norm(S, 2)), 1e-300)
    B = correlation_basis((dA, dB))  # (m0, d, d), Hermitian orthonormal
    m0 = B.shape[0]
    if m0 == 0:
        empty = np.zeros((0, d, d), dtype=complex)
        return InvariantSubspaceReport(
            0, empty, np.zeros(0, complex), np.zeros(0), prod, res, res <= tol * Snorm
        )
    LB = (B.reshape(m0, -1) @ S.T).reshape(m0, d, d)  # L applied to each basis element
    # coordinates inside W_0 (real for Hermitian operators) and the part outside W_0
    C = np.einsum("iab,jab->ij", B.conj(), LB).real  # C[i, j] = <B_i, L B_j>
    outside = LB - np.einsum("ij,iab->jab", C, B)
    O = np.concatenate([outside.real.reshape(m0, -1), outside.imag.reshape(m0, -1)], axis=1).T
    Y = np.eye(m0)
    while Y.shape[1]:
        P_out = np.eye(m0) - Y @ Y.T
        M = np.concatenate([O @ Y, P_out @ C @ Y], axis=0)
        _, sv, vt = np.linalg.svd(M, full_matrices=True)
        rank = int(np.count_nonzero(sv > tol * Snorm))
        if rank == 0:
            break
        Y = Y @ vt[rank:].T
    k = Y.shape[1]
    basis = np.einsum("ik,iab->kab", Y, B)
    A = Y.T @ C @ Y
    ev = np.linalg.eigvals(A) if k else np.zeros(0, complex)
    ev = ev[np.argsort(-ev.real)]
    return InvariantSubspaceReport(
        k, basis, ev, np.sort(-ev.real), prod, res, bool(res <= tol * Snorm)
    )
