"""A GKLS dissipator whose jumps are sparse in the eigenbasis of H, applied without d^3 work.

Jump c has the entries (rows, cols, vals)[ptr[c]:ptr[c + 1]] (rate folded into vals):

* a single entry v |m><n| (non-degenerate Bohr frequency) only moves population,
  v |m><n| rho |n><m| v* = |v|^2 rho_nn |m><m|: all of them form one rate matrix R[m, n];
* a small jump (|P|^2 <= 2 |P| d entries pairs) contributes
  out[a, b] += v_an conj(v_bp) rho[n, p] for every pair of its entries: one gather-scatter for
  all small jumps together;
* a large jump (big degenerate clusters) is a sparse matrix: L rho L^dag in O(|P| d).
K = sum L^dag L is diagonal for non-degenerate Davies jumps (then elementwise), sparse
otherwise. Used by :class:`corrtherm.DaviesBath` and :class:`corrtherm.open.full_generator.
FullGenerator`.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

__all__ = ["EigenSandwich", "entries_of"]


def entries_of(jumps_e: np.ndarray, rtol: float) -> tuple[np.ndarray, ...]:
    """(ptr, rows, cols, vals) of dense (K, d, d) jumps, entries below rtol * max|L| dropped."""
    scale = float(np.max(np.abs(jumps_e))) if jumps_e.size else 0.0
    k, r, c = np.nonzero(np.abs(jumps_e) > rtol * scale) if scale else (np.zeros(0, int),) * 3
    counts = np.bincount(k, minlength=jumps_e.shape[0])
    ptr = np.concatenate([[0], np.cumsum(counts)]).astype(int)
    return ptr, r, c, jumps_e[k, r, c]


class EigenSandwich:
    """sum_c (L_c X L_c^dag - 1/2 {L_c^dag L_c, X}) and its adjoint for eigenbasis-sparse L_c."""

    def __init__(self, d: int, ptr: np.ndarray, rows: np.ndarray, cols: np.ndarray, vals):
        self.d = d
        counts = np.diff(ptr)
        self.R = np.zeros((d, d))
        single = np.flatnonzero(counts == 1)
        i = ptr[single]
        np.add.at(self.R, (rows[i], cols[i]), np.abs(vals[i]) ** 2)
        k_diag = np.bincount(cols[i], weights=np.abs(vals[i]) ** 2, minlength=d)
        # pairs of entries of the same small jump: out[a, b] += v_an conj(v_bp) X[n, p]
        small = np.flatnonzero((counts > 1) & (counts * counts <= 2 * counts * d))
        large = np.flatnonzero((counts > 1) & (counts * counts > 2 * counts * d))
        pa, pb, pn, pp, pv = [], [], [], [], []
        for c in small:
            sl = slice(ptr[c], ptr[c + 1])
            r, cc, v = rows[sl], cols[sl], vals[sl]
            ii, jj = np.meshgrid(np.arange(r.size), np.arange(r.size), indexing="ij")
            ii, jj = ii.ravel(), jj.ravel()
            pa.append(r[ii])
            pn.append(cc[ii])
            pb.append(r[jj])
            pp.append(cc[jj])
            pv.append(v[ii] * v[jj].conj())
        cat = lambda x, t: np.concatenate(x).astype(t) if x else np.zeros(0, t)  # noqa: E731
        self.pa, self.pb = cat(pa, int), cat(pb, int)
        self.pn, self.pp = cat(pn, int), cat(pp, int)
        self.pv = cat(pv, complex)
        self.ab = self.pa * d + self.pb
        self.np_ = self.pn * d + self.pp
        # K = sum L^dag L: (L^dag L)[n, p] = sum_a conj(v_an) v_ap, the pairs of one row
        same = self.pa == self.pb
        K_extra = sparse.csr_matrix(
            (self.pv[same].conj(), (self.pn[same], self.pp[same])), shape=(d, d)
        )
        self.large = []
        for c in large:
            sl = slice(ptr[c], ptr[c + 1])
            L = sparse.csr_matrix((vals[sl], (rows[sl], cols[sl])), shape=(d, d))
            K_extra = K_extra + (L.conj().T @ L)
            self.large.append(L)
        K_extra = K_extra.tocsr()
        K_extra.eliminate_zeros()
        off = K_extra - sparse.diags(K_extra.diagonal())
        scale = max(1e-300, float(np.max(np.abs(vals))) ** 2) if vals.size else 1.0
        if off.nnz == 0 or np.max(np.abs(off.data)) <= 1e-14 * scale:
            self.k_diag, self.K = k_diag + K_extra.diagonal().real, None
        else:
            # k_diag is an integer zero vector when no jump is a single entry
            self.k_diag, self.K = None, K_extra + sparse.diags(np.asarray(k_diag, dtype=float))
        self.has_rates = bool(single.size)

    def _anticommutator(self, X: np.ndarray) -> np.ndarray:
        if self.K is None:
            k = self.k_diag
            return 0.5 * (k[:, None] * X + X * k[None, :])
        KX = self.K @ X
        return 0.5 * (KX + (self.K.conj().T @ X.conj().T).conj().T)

    def _pairs(self, X: np.ndarray, src: np.ndarray, dst: np.ndarray, w: np.ndarray):
        v = w * X.reshape(-1)[src]
        n = self.d * self.d
        re = np.bincount(dst, weights=v.real, minlength=n)
        im = np.bincount(dst, weights=v.imag, minlength=n)
        return (re + 1j * im).reshape(self.d, self.d)

    def apply(self, X: np.ndarray) -> np.ndarray:
        """L[X] = sum_c L_c X L_c^dag - 1/2 {K, X}."""
        out = -self._anticommutator(X)
        if self.has_rates:
            out[np.diag_indices(self.d)] += self.R @ np.diag(X)
        if self.pv.size:
            out += self._pairs(X, self.np_, self.ab, self.pv)
        for L in self.large:
            Y = L @ X
            out += (L @ Y.conj().T).conj().T  # (L X) L^dag
        return out

    def adjoint(self, X: np.ndarray) -> np.ndarray:
        """L#[X] = sum_c L_c^dag X L_c - 1/2 {K, X}."""
        out = -self._anticommutator(X)
        if self.has_rates:
            out[np.diag_indices(self.d)] += self.R.T @ np.diag(X)
        if self.pv.size:
            # (L^dag X L)[n, p] = sum conj(v_an) X[a, b] v_bp: the pairs with roles swapped
            out += self._pairs(X, self.ab, self.np_, self.pv.conj())
        for L in self.large:
            Ld = L.conj().T.tocsr()
            Y = Ld @ X
            out += (Ld @ Y.conj().T).conj().T  # (L^dag X) L
        return out
