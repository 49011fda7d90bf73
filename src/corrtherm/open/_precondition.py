"""Exact inverse of the generator without the coupling: the preconditioner of the Krylov solvers.

Without V, L0 = -i[H_A + H_B, .] + L_A + L_B with thermal sides is block diagonal in the
internal basis (the notation of :mod:`corrtherm.open._blocked`): with c^X[a, a'] =
-i (E^X_a - E^X_a') - (Gamma^X_a + Gamma^X_a') / 2 and the classical rate generators
M_X = R_X - diag(Gamma^X),

* rho[(a b), (a' b')], a != a', b != b': multiplied by c^A[a, a'] + c^B[b, b'] (= D);
* rho[(a b), (a b')], b != b', for fixed (b, b'): the vector over a evolves with
  M_A + c^B[b, b'] (populations of A carry the coherence of B); side B alike;
* populations p[a, b] = rho[(a b), (a b)]: M_A (x) 1 + 1 (x) M_B.

With M_X = S_X diag(l_X) S_X^{-1} (diagonalizable; detailed balance makes it similar to a
symmetric matrix) every block is inverted in O(d^2 (d_A + d_B)), for any shift theta:
(L0 - theta)^{-1}. At theta = 0 the stationary mode pi_A (x) pi_B (l_A + l_B = 0) is inverted as
0 (pseudo-inverse): on traceless inputs, whose component along it (the trace) vanishes, this is
the exact inverse of L0 on the traceless operators.
"""

from __future__ import annotations

import numpy as np

from ._blocked import SectorOperator

#: Eigenvector matrices of M_X above this condition number are not used (diagonal fallback).
EIG_COND_MAX = 1e10


def _rate_eig(R: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    M = R - np.diag(R.sum(axis=0))
    lam, S = np.linalg.eig(M)
    if not np.all(np.isfinite(lam)) or np.linalg.cond(S) > EIG_COND_MAX:
        return None
    return lam, S, np.linalg.inv(S)


def _stationary(eig, G: np.ndarray) -> np.ndarray:
    """Stationary distribution of M_X (eigenvector of the eigenvalue nearest 0), else uniform."""
    n = G.size
    if eig is not None:
        lam, S, _ = eig
        p = np.real(S[:, int(np.argmin(np.abs(lam)))])
        if p.sum() != 0:
            p = p / p.sum()
            if np.all(p >= -1e-12):
                return np.clip(p, 0.0, None) / np.clip(p, 0.0, None).sum()
    return np.full(n, 1.0 / n)


class LocalInverse:
    """(L0 - theta)^{-1} on the stored entries of ``op.layout`` (module docstring)."""

    def __init__(self, op: SectorOperator):
        self.op = op
        dA, dB = op.dims
        self.eigA, self.eigB = _rate_eig(op.R_A), _rate_eig(op.R_B)
        self.cA = -1j * np.subtract.outer(op.eA, op.eA) - 0.5 * np.add.outer(op.G_A, op.G_A)
        self.cB = -1j * np.subtract.outer(op.eB, op.eB) - 0.5 * np.add.outer(op.G_B, op.G_B)
        self.scale = max(float(np.abs(op.D).max(initial=0.0)), 1e-300)
        lay = op.layout
        self.diag_ok = np.flatnonzero(lay.diag >= 0)
        self.diag_pos = lay.diag[self.diag_ok]
        pA, pB = _stationary(self.eigA, op.G_A), _stationary(self.eigB, op.G_B)
        anchor = np.zeros(op.n, dtype=complex)
        anchor[self.diag_pos] = np.kron(pA, pB)[self.diag_ok]
        self.anchor = anchor / anchor.sum().real  # a state: pi_A (x) pi_B (stationary for L0)

    def _safe(self, z: np.ndarray) -> np.ndarray:
        """1/z, with z ~ 0 (undamped degenerate modes, the stationary mode) inverted as 0."""
        small = np.abs(z) <= 1e-13 * self.scale
        return np.where(small, 0.0, 1.0 / np.where(small, 1.0, z))

    def apply(self, y: np.ndarray, theta: complex = 0.0) -> np.ndarray:
        op = self.op
        dA, dB = op.dims
        x = y * self._safe(op.D - theta)
        for eig, (where, pos), rows, c in (
            (self.eigA, op._tabA, dA, self.cB),
            (self.eigB, op._tabB, dB, self.cA),
        ):
            if eig is None:
                continue
            lam, S, Si = eig
            P = np.zeros(rows * c.size, dtype=complex)
            P[where] = y[pos]
            z = (Si @ P.reshape(rows, c.size)) * self._safe(
                lam[:, None] + c.ravel()[None, :] - theta
            )
            x[pos] = (S @ z).ravel()[where]
        if self.eigA is not None and self.eigB is not None:
            (lA, SA, SAi), (lB, SB, SBi) = self.eigA, self.eigB
            p = np.zeros(dA * dB, dtype=complex)
            p[self.diag_ok] = y[self.diag_pos]
            z = SAi @ p.reshape(dA, dB) @ SBi.T
            z *= self._safe(lA[:, None] + lB[None, :] - theta)
            x[self.diag_pos] = (SA @ z @ SB.T).ravel()[self.diag_ok]
        return x
