"""The generator of paper 1 (Eq. 1) with thermal sides, acting on sector-block storage.

In the internal basis (:mod:`corrtherm.open.generator`) with both sides thermal,

    L[rho] = D o rho - i[V, rho] + S_A[rho] + S_B[rho],
    D[i, j] = -i (e_i - e_j) - (k_i + k_j) / 2,   e = E^A + E^B,   k = Gamma^A + Gamma^B,
    S_A[rho][(m b), (m b')] = sum_a R_A[m, a] rho[(a b), (a b')],   S_B likewise,

where R_X[m, a] is the rate a -> m and Gamma^X_a = sum_m R_X[m, a]. :class:`SectorOperator`
applies it to the flat vector of a :class:`~corrtherm.open._sectors.SectorLayout`:

* D o rho: one elementwise product with the stored entries of D;
* V rho, block by block: inside sector c, V maps the rows of the local-sector pair
  (sA, sB) to those of (sA', sB') through its own operator-Schmidt terms, V_T = sum_k A_k (x) B_k
  (taken from the original V, rotated by the local eigenbases), two BLAS-3 calls per term;
  or, where that costs more (many tiny pairs), through the dense block V[c, c]. For Hermitian
  rho, -i[V, rho] = Y + Y^dag with Y = -i V rho;
* the rate sandwiches: gather rho[(a b), (a b')] into a (d_A, d_B^2) matrix, one product with
  R_A, scatter back (side B alike).

The same kernels give the Hilbert-Schmidt adjoints L#_X (paper 1, Eq. 11) for the heat
operators h_X = L#_X[H], so J_X = Tr[H L_X[rho]] = Tr[h_X rho] is one dot product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._kernels import _add_antihermitian_part, _is_real, _schmidt_rect
from ._sectors import SectorLayout

#: Fixed cost of one small BLAS call, in complex multiply-adds, for the V strategy choice.
CALL_COST = 5e4


@dataclass(frozen=True, eq=False)
class _Term:
    """V from one local-sector pair (rows src of a sector) to another (rows dst), as stacked
    Schmidt factors: Bstack = [B_1; ...; B_r] (r mB x nB), Acat[a', (a k)] = A_k[a', a]."""

    src: tuple[int, int]
    dst: tuple[int, int]
    nA: int
    nB: int
    mA: int
    mB: int
    r: int
    Bstack: np.ndarray
    Acat: np.ndarray
    real: bool

    def add(self, X: np.ndarray, Y: np.ndarray) -> None:
        """Y[dst] += V_T X[src] for a row block X of shape (s_c, m) (C-contiguous)."""
        (s0, s1), (t0, t1) = self.src, self.dst
        Xs, Yt = X[s0:s1], Y[t0:t1]
        if self.real:  # real factors act on Re and Im separately: half the flops
            Xs, Yt = Xs.view(np.float64), Yt.view(np.float64)
        m = Xs.shape[1]
        Z = np.matmul(self.Bstack, Xs.reshape(self.nA, self.nB, m))  # (nA, r mB, m)
        Yt += (self.Acat @ Z.reshape(self.nA * self.r, self.mB * m)).reshape(Yt.shape)

    @property
    def cost(self) -> float:
        """Complex multiply-adds per column."""
        w = 0.5 if self.real else 1.0
        return w * self.r * (self.nA * self.nB * self.mB + self.mA * self.nA * self.mB)


@dataclass(frozen=True, eq=False)
class SectorState:
    """A state in sector storage: the flat vector ``x`` of ``op.layout`` (internal basis)."""

    op: SectorOperator
    x: np.ndarray

    def dense(self) -> np.ndarray:
        """The d x d internal-basis matrix, Hermitian part."""
        X = self.op.layout.to_dense(self.x)
        return 0.5 * (X + X.conj().T)


class SectorOperator:
    """L (paper 1, Eq. 1) on the flat storage of ``layout``; see the module docstring.

    Parameters: the internal-basis data of a :class:`~corrtherm.open.generator.LocalGenerator`
    with two thermal sides: local energies eA, eB, rate matrices R_A, R_B (real), the original
    coupling V (d x d) and the local eigenbases W_A, W_B with their sector labels.
    """

    def __init__(self, layout: SectorLayout, eA, eB, R_A, R_B, V, W_A, W_B, sides) -> None:
        self.layout = lay = layout
        dA, dB = lay.dims
        self.dims, self.d = (dA, dB), lay.d
        self.eA, self.eB = np.asarray(eA, float), np.asarray(eB, float)
        self.R_A, self.R_B = np.asarray(R_A, float), np.asarray(R_B, float)
        self.G_A, self.G_B = self.R_A.sum(axis=0), self.R_B.sum(axis=0)
        e = np.add.outer(self.eA, self.eB).ravel()
        k = np.add.outer(self.G_A, self.G_B).ravel()
        self.g = -1j * e - 0.5 * k  # D[i, j] = g_i + conj(g_j)
        self.n = lay.n
        self.D = self._pairwise(self.g, np.conj(self.g))
        # gather/scatter tables of the rate sandwiches (side A: (a, (b b')), side B: (b, (a a')))
        self._tabA = self._table(lay.pos_A, dA, dB * dB)
        self._tabB = self._table(lay.pos_B, dB, dA * dA)
        self._plan = self._plan_V(V, W_A, W_B, sides)
        self.has_V = any(isinstance(p, np.ndarray) or len(p) > 0 for p in self._plan)
        self._heat: tuple[np.ndarray, np.ndarray] | None = None

    # ---------------------------------------------------------------- construction
    def _pairwise(self, u: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Flat vector of the entries u_i + w_j over the stored blocks."""
        out = np.empty(self.n, dtype=np.result_type(u, w))
        mem = self.layout.sectors.members
        for b, (c, c2) in enumerate(self.layout.blocks):
            self.layout.block(out, b)[...] = u[mem[c]][:, None] + w[mem[c2]][None, :]
        return out

    @staticmethod
    def _table(pos: np.ndarray, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
        flat = pos.reshape(rows, cols)
        where = np.flatnonzero(flat.ravel() >= 0)
        return where, flat.ravel()[where]

    def _plan_V(self, V, W_A, W_B, sides) -> list:
        """Per sector: a list of :class:`_Term` or one dense (real if possible) block V[c, c]."""
        lay = self.layout
        sec = lay.sectors
        dA, dB = self.dims
        (locA, origA), (locB, origB) = sides
        nA, nB = int(locA.max()) + 1, int(locB.max()) + 1
        oA = [np.flatnonzero(origA == s) for s in range(nA)]
        oB = [np.flatnonzero(origB == s) for s in range(nB)]
        WA = [W_A[np.ix_(oA[s], np.flatnonzero(locA == s))] for s in range(nA)]
        WB = [W_B[np.ix_(oB[s], np.flatnonzero(locB == s))] for s in range(nB)]
        real = _is_real(V) and all(_is_real(w) for w in (*WA, *WB))
        V4 = np.asarray(V).reshape(dA, dB, dA, dB)
        plan = []
        for c, pairs in enumerate(sec.pairs):
            terms = []
            for sA, sB, s0, s1 in pairs:
                for tA, tB, t0, t1 in pairs:
                    blk = V4[np.ix_(oA[tA], oB[tB], oA[sA], oB[sB])]
                    if not np.any(blk):
                        continue
                    A0, B0 = _schmidt_rect(blk)
                    if not A0:
                        continue
                    A = [WA[tA].conj().T @ a @ WA[sA] for a in A0]
                    B = [WB[tB].conj().T @ b @ WB[sB] for b in B0]
                    Bs = np.concatenate(B, axis=0)
                    Ac = np.stack(A, axis=2).reshape(A[0].shape[0], -1)
                    r = real and _is_real(Bs) and _is_real(Ac)
                    if r:
                        Bs, Ac = Bs.real, Ac.real
                    terms.append(
                        _Term(
                            (s0, s1),
                            (t0, t1),
                            A[0].shape[1],
                            B[0].shape[1],
                            A[0].shape[0],
                            B[0].shape[0],
                            len(A),
                            np.ascontiguousarray(Bs),
                            np.ascontiguousarray(Ac),
                            r,
                        )
                    )
            plan.append(self._choose(c, terms, real))
        return plan

    def _choose(self, c: int, terms: list[_Term], real: bool):
        """Schmidt terms, or the dense block V[c, c] when that is cheaper."""
        if not terms:
            return []
        s = int(self.layout.sizes[c])
        term_cost = s * sum(t.cost for t in terms) + 2 * len(terms) * CALL_COST
        dense_cost = s * s * s * (0.5 if real else 1.0) + CALL_COST
        if len(terms) == 1 or term_cost <= dense_cost:
            return terms
        Vc = np.zeros((s, s), dtype=float if all(t.real for t in terms) else complex)
        for t in terms:
            (s0, s1), (t0, t1) = t.src, t.dst
            Bs = t.Bstack.reshape(t.r, t.mB, t.nB)
            Ak = t.Acat.reshape(t.mA, t.nA, t.r)
            for k in range(t.r):
                Vc[t0:t1, s0:s1] += np.kron(Ak[:, :, k], Bs[k])
        return Vc

    # ---------------------------------------------------------------- kernels
    def apply_V(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Flat vector of V X (X given by its flat vector x)."""
        lay = self.layout
        if out is None:
            out = np.zeros(self.n, dtype=complex)
        else:
            out[...] = 0.0
        for b, (c, _) in enumerate(lay.blocks):
            p = self._plan[c]
            if isinstance(p, list) and not p:
                continue
            X, Y = lay.block(x, b), lay.block(out, b)
            if isinstance(p, np.ndarray):
                if p.dtype == float:
                    Y.view(np.float64)[...] = p @ X.view(np.float64)
                else:
                    Y[...] = p @ X
            else:
                for term in p:
                    term.add(X, Y)
        return out

    def _add_rates(self, x: np.ndarray, out: np.ndarray, adjoint: bool = False, sides="AB"):
        """out += S_A[x] + S_B[x] (or the adjoint sandwiches with R^T)."""
        dA, dB = self.dims
        for side in sides:
            R, (where, pos), rows, cols = (
                (self.R_A, self._tabA, dA, dB * dB)
                if side == "A"
                else (self.R_B, self._tabB, dB, dA * dA)
            )
            if not R.any():
                continue
            P = np.zeros(rows * cols, dtype=complex)
            P[where] = x[pos]
            Rm = R.T if adjoint else R
            Q = (Rm @ P.reshape(rows, cols).view(np.float64)).view(complex).ravel()
            out[pos] += Q[where]

    def _add_commutator_hermitian(self, Y: np.ndarray, out: np.ndarray) -> None:
        """out += -i (Y - Y^dag) for Y = V rho, rho Hermitian (so that Y^dag = rho V)."""
        lay = self.layout
        for b, (c, c2) in enumerate(lay.blocks):
            if c == c2:
                _add_antihermitian_part(lay.block(Y, b), lay.block(out, b))
            elif c < c2:
                b2 = lay.block_id[c2, c]
                Yb, Yt = lay.block(Y, b), lay.block(Y, b2)
                ob, ot = lay.block(out, b), lay.block(out, b2)
                ob += -1j * Yb + 1j * Yt.conj().T
                ot += -1j * Yt + 1j * Yb.conj().T

    def rhs_hermitian(self, x: np.ndarray, out: np.ndarray, work: np.ndarray | None = None):
        """out = L[rho] for Hermitian rho (real-linear in x; exact on Hermitian x)."""
        np.multiply(self.D, x, out=out)
        if self.has_V:
            Y = self.apply_V(x, work)
            self._add_commutator_hermitian(Y, out)
        self._add_rates(x, out)
        return out

    def apply(self, x: np.ndarray) -> np.ndarray:
        """L[X] for any (not necessarily Hermitian) X: complex-linear."""
        out = self.D * x
        if self.has_V:
            lay = self.layout
            VX = self.apply_V(x)
            XV = lay.dagger(self.apply_V(lay.dagger(x)))  # X V = (V X^dag)^dag
            out += -1j * (VX - XV)
        self._add_rates(x, out)
        return out

    def dissipator(self, side: str, x: np.ndarray, adjoint: bool = False) -> np.ndarray:
        """L_X[X] or L#_X[X] (paper 1, Eqs. 2 and 11) on flat vectors."""
        dA, dB = self.dims
        G = (
            np.add.outer(self.G_A, np.zeros(dB))
            if side == "A"
            else np.add.outer(np.zeros(dA), self.G_B)
        )
        G = G.ravel()
        out = -0.5 * self._pairwise(G, G) * x
        self._add_rates(x, out, adjoint=adjoint, sides=side)
        return out

    def hamiltonian_vector(self) -> np.ndarray:
        """Stored entries of H = diag(e) + V (internal basis)."""
        lay = self.layout
        eye = np.zeros(self.n, dtype=complex)
        ok = lay.diag >= 0
        eye[lay.diag[ok]] = 1.0
        H = self.apply_V(eye) if self.has_V else np.zeros(self.n, dtype=complex)
        e = np.add.outer(self.eA, self.eB).ravel()
        H[lay.diag[ok]] += e[ok]
        return H

    def heat(self) -> tuple[np.ndarray, np.ndarray]:
        """h_X = L#_X[H] on the stored entries (cached): J_X = Tr[h_X rho] = vdot(h_X, x)."""
        if self._heat is None:
            H = self.hamiltonian_vector()
            self._heat = (
                self.dissipator("A", H, adjoint=True),
                self.dissipator("B", H, adjoint=True),
            )
        return self._heat

    # ---------------------------------------------------------------- observables
    def marginals(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """rho_A[a, a'] = sum_b rho[(a b), (a' b)], rho_B[b, b'] = sum_a rho[(a b), (a b')]."""
        dA, dB = self.dims
        lay = self.layout
        vA = np.where(lay.pos_B >= 0, x[np.maximum(lay.pos_B, 0)], 0.0)  # (b, a, a')
        vB = np.where(lay.pos_A >= 0, x[np.maximum(lay.pos_A, 0)], 0.0)  # (a, b, b')
        return vA.sum(axis=0), vB.sum(axis=0)

    def trace_V(self, x: np.ndarray) -> float:
        """E_V = Tr[V rho]."""
        if not self.has_V:
            return 0.0
        lay = self.layout
        Y = self.apply_V(x)
        ok = lay.diag >= 0
        return float(np.sum(Y[lay.diag[ok]]).real)

    def eigvalsh(self, x: np.ndarray) -> np.ndarray:
        """Eigenvalues of the Hermitian state x: exact, one group of sectors at a time."""
        lay = self.layout
        mem = lay.sectors.members
        out = []
        for group in lay.diagonal_blocks():
            if lay.block_id[group[0], group[0]] < 0:
                continue  # no stored rows: the state vanishes there
            sizes = [mem[c].size for c in group]
            M = np.zeros((sum(sizes), sum(sizes)), dtype=complex)
            starts = np.concatenate([[0], np.cumsum(sizes)])
            for i, c in enumerate(group):
                for j, c2 in enumerate(group):
                    b = lay.block_id[c, c2]
                    if b >= 0:
                        M[starts[i] : starts[i + 1], starts[j] : starts[j + 1]] = lay.block(x, b)
            out.append(np.linalg.eigvalsh(M))
        missing = self.d - sum(v.size for v in out)
        return np.concatenate([*out, np.zeros(missing)])
