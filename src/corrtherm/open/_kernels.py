"""Building blocks of the structured generator (:mod:`corrtherm.open.generator`).

Per-side structure analysis (does a local dissipator act as a rate matrix plus dephasing in the
eigenbasis of H_X?), the operator-Schmidt form of V applied as two BLAS-3 calls, strided views of
the diagonal blocks, and the block-wise spectrum of states that the ledger uses for S(rho).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..core._validate import square

#: Jump entries below this fraction of the largest jump entry count as structural zeros when
#: testing the thermal structure. Jumps |m><n| built from a user's own eigh of H_X differ from
#: the internal (per-symmetry-block) eigenbasis by the eigh round-off, eps ||H_X|| / gap, up to
#: ~1e-13 for gaps of 1e-2 (measured: 4e-14 on the 6-site XX half); anything larger is generic.
SUPPORT_RTOL = 1e-11
#: Relative gap below which two local energies are treated as degenerate.
DEGENERACY_RTOL = 1e-10
#: Operator-Schmidt terms with s_k <= SCHMIDT_RTOL * s_0 are dropped.
SCHMIDT_RTOL = 1e-15
#: Largest Gram-matrix check (rows^2 * jumps) attempted before falling back to the generic path.
_GRAM_BUDGET = 2e8
#: Generic side: use the local superoperator (d_X^4 entries) up to this size.
_SUPEROP_MAX = 2**20


@dataclass(frozen=True, eq=False)
class _Side:
    """One subsystem's data in the internal basis."""

    thermal: bool
    W: np.ndarray  # columns = internal basis vectors in the original basis
    H: np.ndarray  # local Hamiltonian, internal basis
    K: np.ndarray  # sum_l L_l^dag L_l, internal basis
    jumps: tuple[np.ndarray, ...]  # generic sides (original basis); () for thermal sides
    R: np.ndarray | None  # thermal: R[m, a] = rate a -> m (complex dtype for BLAS)
    Gamma: np.ndarray | None  # thermal: escape rates Gamma_a = sum_m R[m, a]
    T: np.ndarray | None  # generic with many jumps: local sandwich superoperator
    # symmetry sectors (components of the graph of H_X, merged where the degenerate split mixed
    # them): label of every internal basis vector and of every original basis state
    sector: np.ndarray | None = None
    orig_sector: np.ndarray | None = None

    @property
    def d(self) -> int:
        return self.H.shape[0]


# ----------------------------------------------------------------------------- analysis
def _is_real(X: np.ndarray) -> bool:
    return bool(np.all(X.imag == 0))


def _split_degenerate(E: np.ndarray, W: np.ndarray, ops: Sequence[np.ndarray]) -> np.ndarray:
    """Rotate eigh's arbitrary basis inside degenerate eigenspaces of H so that it also
    diagonalises the jump-derived Hermitian operators ``ops`` there (first one that splits)."""
    scale = max(1.0, float(np.max(np.abs(E)))) if E.size else 1.0
    W = W.copy()
    start = 0
    for stop in range(1, E.size + 1):
        if stop < E.size and E[stop] - E[stop - 1] <= DEGENERACY_RTOL * scale:
            continue
        if stop - start > 1:
            sub = W[:, start:stop]
            for op in ops:
                M = sub.conj().T @ op @ sub
                M = 0.5 * (M + M.conj().T)
                _, U = np.linalg.eigh(M.real if _is_real(M) else M)
                sub = sub @ U
            W[:, start:stop] = sub
        start = stop
    return W


def _components(mask: np.ndarray) -> tuple[int, np.ndarray]:
    """Connected components of the undirected graph with adjacency ``mask`` (n x n bool)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    return connected_components(csr_matrix(mask), directed=False)


def _block_eigh(H: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eigenbasis of H that respects its exact block structure: one ``eigh`` per connected
    component of the graph of the nonzero entries of H, eigenvalues sorted ascending.

    A full ``eigh`` mixes eigenvectors of different blocks by ~eps ||H|| / gap when their
    eigenvalues are close; per block the columns of W vanish exactly outside their block, so a
    conserved quantity of H (e.g. an excitation number) stays an exact zero pattern in every
    operator rotated with W. Returns (E, W, component of every original basis state).
    """
    d = H.shape[0]
    Hr = H.real if _is_real(H) else H
    n_comp, comp = _components(Hr != 0)
    if n_comp == 1:
        E, W = np.linalg.eigh(Hr)
        return E, W.astype(complex), comp
    E = np.empty(d)
    W = np.zeros((d, d), dtype=Hr.dtype)
    col = 0
    for c in range(n_comp):
        idx = np.flatnonzero(comp == c)
        e, u = np.linalg.eigh(Hr[np.ix_(idx, idx)])
        E[col : col + idx.size] = e
        W[idx, col : col + idx.size] = u
        col += idx.size
    order = np.argsort(E, kind="stable")
    return E[order], W[:, order].astype(complex), comp


def _vector_sectors(W: np.ndarray, comp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sector labels (internal vectors, original states): components of the original basis
    merged whenever one column of W has support in several of them."""
    n_comp = int(comp.max()) + 1 if comp.size else 0
    touch = np.zeros((W.shape[1], n_comp), dtype=bool)
    rows, cols = np.nonzero(W)
    touch[cols, comp[rows]] = True
    link = (touch.T.astype(np.int64) @ touch.astype(np.int64)) > 0
    _, merged = _components(link | np.eye(n_comp, dtype=bool))
    vec = merged[np.argmax(touch, axis=1)]
    return vec, merged[comp]


def _is_thermal(jumps: Sequence[np.ndarray]) -> bool:
    """True iff T[(m a), (n a')] = sum_l L_l[m, a] conj(L_l[n, a']) is diagonal, i.e. the local
    dissipator is a rate matrix on populations plus pure decay -(Gamma_a + Gamma_a')/2 of each
    coherence |a><a'| (entries below SUPPORT_RTOL of the largest count as zero)."""
    if not jumps:
        return True
    X = np.stack([L.ravel() for L in jumps], axis=1)
    scale = float(np.max(np.abs(X)))
    if scale == 0.0:
        return True
    sig = np.abs(X) > SUPPORT_RTOL * scale
    if np.all(sig.sum(axis=0) <= 1):
        return True  # every jump is a single |m><n| (times a number): T is diagonal
    rows = np.flatnonzero(sig.any(axis=1))
    if rows.size**2 * X.shape[1] > _GRAM_BUDGET:
        return False
    Xs = np.where(sig[rows], X[rows], 0.0)
    G = Xs @ Xs.conj().T
    off = G - np.diag(np.diag(G))
    return bool(np.max(np.abs(off)) <= SUPPORT_RTOL * scale * scale * X.shape[1])


def _analyze_side(H: np.ndarray, jumps: Sequence[Any], name: str) -> _Side:
    """Internal basis and dissipator structure of one side, streaming over the jumps.

    Pass 1 validates each jump and sums K = sum L^dag L, S = sum L L^dag (they split
    degenerate eigenspaces); pass 2 rotates one jump at a time into the eigenbasis, summing the
    rates R[m, a] = sum_l |L_l[m, a]|^2 and recording the two largest entries of each rotated
    jump: when every jump has a single entry above SUPPORT_RTOL of the largest, the side is
    thermal and no jump is kept (thousands of all-pairs jumps cost O(d^2) memory, not
    O(n_jumps d^2)); otherwise the full Gram test of :func:`_is_thermal` decides.
    """
    d = H.shape[0]
    K = np.zeros((d, d), dtype=complex)
    S = np.zeros((d, d), dtype=complex)
    n_jumps = 0
    for i, L0 in enumerate(jumps):
        L = square(L0, f"{name}[{i}]", d)
        K += L.conj().T @ L
        S += L @ L.conj().T
        n_jumps += 1
    # a real symmetric H gets a real W, so real couplings stay real (half-cost BLAS below)
    E, W, comp = _block_eigh(H)
    W = _split_degenerate(E, W, (K, S))
    Wh = W.conj().T
    R = np.zeros((d, d))
    top = np.zeros((n_jumps, 2))
    for i, L0 in enumerate(jumps):
        Lw = Wh @ square(L0, f"{name}[{i}]", d) @ W
        a = np.abs(Lw)
        R += a * a
        flat = a.ravel()
        j = int(np.argmax(flat))
        top[i, 0] = flat[j]
        flat[j] = 0.0
        top[i, 1] = flat.max(initial=0.0)
    scale = float(top[:, 0].max(initial=0.0))
    thermal = scale == 0.0 or bool(np.all(top[:, 1] <= SUPPORT_RTOL * scale))
    if not thermal and n_jumps * d * d * 16 <= 2**31:  # the Gram test needs every jump
        thermal = _is_thermal([Wh @ square(L, name, d) @ W for L in jumps])
    if thermal:
        # rates below the structural-zero level are round-off of the rotation
        R[R <= (SUPPORT_RTOL**2) * float(R.max(initial=0.0)) * max(1, n_jumps)] = 0.0
        Gamma = R.sum(axis=0)
        sector, orig_sector = _vector_sectors(W, comp)
        return _Side(
            True,
            W,
            np.diag(E).astype(complex),
            np.diag(Gamma).astype(complex),
            (),
            R.astype(complex),
            Gamma,
            None,
            sector,
            orig_sector,
        )
    # Generic: stay in the original basis, where user jumps are usually sparse.
    Ls = [square(L, f"{name}[{i}]", d) for i, L in enumerate(jumps)]
    T = None
    if len(Ls) > d // 2 and d**4 <= _SUPEROP_MAX:
        X = np.stack([L.ravel() for L in Ls], axis=1)
        T = X @ X.conj().T  # T[(m a), (n a')]
        # realigned as a map on pairs (a a') -> (m n): Tsup[(m n), (a a')]
        T = T.reshape(d, d, d, d).transpose(0, 2, 1, 3).reshape(d * d, d * d).copy()
    return _Side(False, np.eye(d, dtype=complex), H.astype(complex), K, tuple(Ls), None, None, T)


def _schmidt(V: np.ndarray, dA: int, dB: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """V = sum_k A_k (x) B_k (singular values folded into A_k): :func:`_schmidt_rect` of V."""
    return _schmidt_rect(V.reshape(dA, dB, dA, dB))


def _schmidt_rect(blk: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """blk[x', y', x, y] = sum_k a_k[x', x] b_k[y', y] (singular values folded into a_k), from
    an SVD of the realigned block R[(x' x), (y' y)] restricted to its nonzero rows and columns
    (exact: zero rows/columns carry no weight), so sparse couplings cost almost nothing."""
    mA, mB, nA, nB = blk.shape
    Rm = blk.transpose(0, 2, 1, 3).reshape(mA * nA, mB * nB)
    nz = Rm != 0
    rows, cols = np.flatnonzero(nz.any(axis=1)), np.flatnonzero(nz.any(axis=0))
    if rows.size == 0:
        return [], []
    sub = Rm[np.ix_(rows, cols)]
    # a real V gets real factors (a complex SVD would attach arbitrary phases)
    u, s, vh = np.linalg.svd(sub.real if _is_real(sub) else sub, full_matrices=False)
    A, B = [], []
    for k in np.flatnonzero(s > SCHMIDT_RTOL * s[0]):
        a = np.zeros(mA * nA, dtype=complex)
        b = np.zeros(mB * nB, dtype=complex)
        a[rows] = u[:, k] * s[k]
        b[cols] = vh[k]
        A.append(a.reshape(mA, nA))
        B.append(b.reshape(mB, nB))
    return A, B


class _KronSum:
    """M = sum_k A_k (x) B_k applied as M X with two BLAS-3 calls (see module docstring)."""

    def __init__(self, A: Sequence[np.ndarray], B: Sequence[np.ndarray], dA: int, dB: int):
        self.r = len(A)
        self.dA, self.dB = dA, dB
        self.real = False
        if self.r:
            self.Bstack = np.ascontiguousarray(np.concatenate(list(B), axis=0))  # (r dB, dB)
            # Acat[a, (a' k)] = A_k[a, a'] matches the row order (a', k) of Z below
            self.Acat = np.ascontiguousarray(np.stack(list(A), axis=2).reshape(dA, dA * self.r))
            # real factors act on the real and imaginary parts of X separately: a real gemm
            # on the float64 view of X has half the flops of the complex gemm
            self.real = _is_real(self.Bstack) and _is_real(self.Acat)
            if self.real:
                self.Bstack_r = np.ascontiguousarray(self.Bstack.real)
                self.Acat_r = np.ascontiguousarray(self.Acat.real)

    def apply(self, X: np.ndarray) -> np.ndarray:
        """M X for X of shape (d, m), any m."""
        dA, dB = self.dA, self.dB
        m = X.shape[1]
        if not self.r:
            return np.zeros_like(X)
        if self.real and X.flags.c_contiguous and X.dtype == np.complex128:
            Xr = X.view(np.float64).reshape(dA, dB, 2 * m)
            Z = np.matmul(self.Bstack_r, Xr)
            out = self.Acat_r @ Z.reshape(dA * self.r, dB * 2 * m)
            return out.view(np.complex128).reshape(dA * dB, m)
        Z = np.matmul(self.Bstack, X.reshape(dA, dB, m))  # (dA, r dB, m): rows (a', k, b)
        return (self.Acat @ Z.reshape(dA * self.r, dB * m)).reshape(dA * dB, m)

    def dagger(self) -> _KronSum:
        out = _KronSum([], [], self.dA, self.dB)
        if self.r:
            A = self.Acat.reshape(self.dA, self.dA, self.r)
            B = self.Bstack.reshape(self.r, self.dB, self.dB)
            out = _KronSum(
                [A[:, :, k].conj().T for k in range(self.r)],
                [B[k].conj().T for k in range(self.r)],
                self.dA,
                self.dB,
            )
        return out


def _diag_blocks_A(X: np.ndarray, dA: int, dB: int) -> np.ndarray:
    """Strided view P[a, b, b'] = X[(a b), (a b')] (writable if X is)."""
    s0, s1 = X.strides
    return as_strided(X, shape=(dA, dB, dB), strides=(dB * (s0 + s1), s0, s1))


def _diag_blocks_B(X: np.ndarray, dA: int, dB: int) -> np.ndarray:
    """Strided view P[b, a, a'] = X[(a b), (a' b)] (writable if X is)."""
    s0, s1 = X.strides
    return as_strided(X, shape=(dB, dA, dA), strides=(s0 + s1, dB * s0, dB * s1))


class BlockSpectrum:
    """Eigenvalues of Hermitian matrices that are block diagonal up to a permutation.

    Symmetry sectors (e.g. a conserved total excitation number) make a density matrix block
    diagonal in a suitable basis; diagonalising the blocks costs O(sum_k d_k^3) instead of
    O(d^3). Exactness: with E the part of rho outside the blocks, Weyl's inequality bounds the
    error of every eigenvalue by ||E||_2 <= ||E||_F =: ``dropped``, computed on every call; the
    partition is accepted only if dropped <= ``max_dropped`` (1e-12), otherwise the full matrix
    is diagonalised. A partition is found from the connected components of the entries above
    ``drop_rtol`` * max|rho| and reused for the next matrices while it still passes the bound
    (consecutive states of a trajectory share their sectors).
    """

    def __init__(self, drop_rtol: float = 1e-14, max_dropped: float = 1e-12):
        self.drop_rtol, self.max_dropped = drop_rtol, max_dropped
        self._part: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # order, bounds, off

    def _dropped(self, a: np.ndarray, off: np.ndarray) -> float:
        return float(np.sqrt(np.sum(np.square(a, where=off, out=np.zeros_like(a)))))

    def _partition(self, a: np.ndarray) -> None:
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import connected_components

        # Round-off in "forbidden" entries grows with d (eigh of larger local blocks), so the
        # cut is raised step by step; Weyl's bound on the dropped part decides, not the cut.
        amax = float(a.max())
        best = None
        for rel in (self.drop_rtol, 1e2 * self.drop_rtol, 1e4 * self.drop_rtol):
            n_comp, labels = connected_components(csr_matrix(a > rel * amax), directed=False)
            if n_comp == 1:
                continue
            off = labels[:, None] != labels[None, :]
            if self._dropped(a, off) <= self.max_dropped:
                best = (n_comp, labels, off)
                break
        if best is None:
            n_comp, labels, off = 1, np.zeros(a.shape[0], dtype=int), None
        else:
            n_comp, labels, off = best
        if off is None:
            off = np.zeros(a.shape, dtype=bool)
        order = np.argsort(labels, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=n_comp))])
        self._part = (order, bounds, off)

    def eigvalsh(self, rho: np.ndarray) -> tuple[np.ndarray, int, float]:
        """Returns (eigenvalues, number of blocks used, dropped Frobenius norm)."""
        a = np.abs(rho)
        dropped = np.inf
        # a cached single block is re-examined every time: its full diagonalisation costs far
        # more than the partition search
        if self._part is not None and self._part[1].size > 2:
            dropped = self._dropped(a, self._part[2])
        if dropped > self.max_dropped:
            self._partition(a)
            dropped = self._dropped(a, self._part[2])
        order, bounds, _ = self._part
        if dropped > self.max_dropped or bounds.size == 2:
            return np.linalg.eigvalsh(rho), 1, 0.0
        out = np.empty(rho.shape[0])
        for c in range(bounds.size - 1):
            idx = order[bounds[c] : bounds[c + 1]]
            out[bounds[c] : bounds[c + 1]] = (
                np.linalg.eigvalsh(rho[np.ix_(idx, idx)])
                if idx.size > 1
                else rho[idx[0], idx[0]].real
            )
        return out, bounds.size - 1, dropped


def _add_antihermitian_part(X: np.ndarray, out: np.ndarray, slab: int = 64) -> None:
    """out += -i (X - X^dag) = Y + Y^dag with Y = -i X.

    Done in row slabs: out[s] += -i X[s, :] + i conj(X[:, s])^T, so the transposed operand is
    read in contiguous chunks of ``slab`` entries per row; numpy's plain ``X.conj().T`` walks
    columns with a stride of d entries and is ~2x slower at d = 1024 (bench/rhs_profile.py).
    """
    d = X.shape[0]
    for s in range(0, d, slab):
        o = out[s : s + slab]
        o += X[s : s + slab] * -1j
        o += np.conjugate(X[:, s : s + slab].T) * 1j


# ----------------------------------------------------------------------------- generator
