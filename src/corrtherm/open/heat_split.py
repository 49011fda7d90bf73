"""The Remark's entropy-based heat/work split of an energy change (paper 1, Remark).

rho = sum_k p_k |k><k| gives dU = sum_k dp_k <k|H|k> + sum_k p_k d<k|H|k>: heat from changes of
the eigenvalues of rho, work from changes of its eigenvectors. :func:`_heat_rates` gives the heat
rate at given states exactly; :func:`_cumulative_heat` integrates it over the save grid.
"""

from __future__ import annotations

import numpy as np

#: Warn when the entropic quadrature error estimate exceeds this (relative).
ENTROPIC_WARN = 1e-5
#: Relative gap below which two eigenvalues of rho count as degenerate in the heat split.
DEGENERATE_P_TOL = 1e-10


def _heat_rates(
    R: np.ndarray, D: np.ndarray, H: np.ndarray, eig: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Entropy-based heat rate q = sum_k (dp_k/dt) <k|H|k> for states R (k, d, d).

    rho = sum_k p_k |k><k| gives dU = sum_k dp_k <k|H|k> + sum_k p_k d<k|H|k> (paper 1, Remark:
    heat from eigenvalue changes, work from eigenvector changes). By first-order perturbation
    theory dp_k/dt = <k|rho_dot|k>, and the unitary part -i[H, rho] has zero diagonal in the
    eigenbasis of rho, so only D = (L_A + L_B)[rho] contributes. In a degenerate eigenspace the
    eigenvectors at t+0 are those diagonalizing the block of D; there dp_k are the block's
    eigenvalues. ``eig``: ``np.linalg.eigh(R)`` when the caller has it already. Returns
    (q, eigenvalues of rho).
    """
    p, Y = np.linalg.eigh(R) if eig is None else eig
    Yc = Y.conj()
    Dk = np.einsum("tik,tij,tjk->tk", Yc, D, Y).real
    Hk = np.einsum("tik,ij,tjk->tk", Yc, H, Y).real
    q = np.sum(Dk * Hk, axis=-1)
    scale = np.maximum(1.0, np.abs(p).max(axis=-1, keepdims=True))
    degenerate = np.diff(p, axis=-1) <= DEGENERATE_P_TOL * scale
    rows = np.flatnonzero(degenerate.any(axis=-1))
    if rows.size == 0:
        return q, p
    # states with the same degeneracy pattern are corrected together (a symmetric model is
    # degenerate at every save time, with one pattern)
    patterns, which = np.unique(degenerate[rows], axis=0, return_inverse=True)
    for pattern, ts in zip(patterns, (rows[which.ravel() == k] for k in range(len(patterns)))):
        for idx in np.split(np.arange(p.shape[-1]), np.flatnonzero(~pattern) + 1):
            if idx.size < 2:
                continue
            Yb = Y[ts][:, :, idx]
            Ybh = Yb.conj().transpose(0, 2, 1)
            Db, Hb = Ybh @ D[ts] @ Yb, Ybh @ H @ Yb
            w, Z = np.linalg.eigh(0.5 * (Db + Db.conj().transpose(0, 2, 1)))
            Hz = np.einsum("tik,tij,tjk->tk", Z.conj(), Hb, Z).real
            diag_Db = np.diagonal(Db, axis1=1, axis2=2).real
            diag_Hb = np.diagonal(Hb, axis1=1, axis2=2).real
            q[ts] += np.sum(w * Hz, axis=-1) - np.sum(diag_Db * diag_Hb, axis=-1)
    return q, p


def _cumulative_heat(t: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, float]:
    """Cumulative int_{t0}^{t_k} q dt by composite Simpson on the grid, and an error estimate:
    the largest difference to Simpson on every other point (about 15x the error of the fine
    rule for smooth q), or to the trapezoid rule on grids of fewer than 5 points."""
    from scipy.integrate import cumulative_simpson, cumulative_trapezoid

    if t.size < 2:
        return np.zeros_like(t), 0.0
    simp = cumulative_simpson(q, x=t, initial=0.0)
    if t.size >= 5:
        coarse = cumulative_simpson(q[::2], x=t[::2], initial=0.0)
        return simp, float(np.max(np.abs(simp[::2] - coarse)))
    trap = cumulative_trapezoid(q, x=t, initial=0.0)
    return simp, float(np.max(np.abs(simp - trap)))
