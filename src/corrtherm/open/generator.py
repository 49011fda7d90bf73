"""Structured GKLS generator for local dissipators: never builds the d^2 x d^2 superoperator.

The generator of paper 1, Eqs. 1-2,

    L[rho] = -i[H, rho] + L_A[rho] + L_B[rho],
    L_X[rho] = sum_l (L_l rho L_l^dag - 1/2 {L_l^dag L_l, rho})   (L_l local to X),

is applied to the d x d density matrix directly, in an internal basis rho_int = W^dag rho W with
W = W_A (x) W_B chosen per side:

* "thermal" side: W_X diagonalises H_X and, in that basis, the local dissipator only couples
  populations to populations (a rate matrix R[m, a] = sum_l |L_l[m, a]|^2) and multiplies each
  coherence |a><a'| by -(Gamma_a + Gamma_a')/2 with Gamma_a = sum_m R[m, a]. This holds exactly
  iff the Gram matrix T[(m a), (n a')] = sum_l L_l[m, a] conj(L_l[n, a']) is diagonal, which is
  what :func:`_is_thermal` checks (jumps |m><n| between eigenstates with any rates pass; a
  dephasing jump sigma_z does not, because it couples |0><0| and |1><1| in T).
  Then H_X + dephasing is a diagonal (elementwise) factor on rho and the sandwich terms act only
  on the blocks rho[(a b), (a b')] (side A) or rho[(a b), (a' b)] (side B): O(d^2) work.
* "generic" side: W_X = I, jumps applied one by one (or through the local superoperator on the
  realigned matrix when there are many) on reshaped blocks.

The interaction is applied through its operator-Schmidt decomposition V = sum_k A_k (x) B_k,
stacked so that V rho costs two BLAS-3 calls and r (d_A + d_B) d^2 complex multiply-adds:
Z = [B_1; ...; B_r] rho (batched over a), then V rho = [A_1 | ... | A_r] Z (one gemm).
For Hermitian rho the commutator needs only V rho because rho V = (V rho)^dag.

Heat currents J_X = Tr[H L_X[rho]] = Tr[L_X^#[H] rho] are linear in rho with the fixed operator
h_X = L_X^#[H] (Hilbert-Schmidt adjoint, paper 1 Eq. 11), so Q_X(t) = int_0^t J_X ds is carried
as two extra ODE components at the cost of one inner product each.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

import numpy as np

from ..core._threads import blas_threads as blas_threads_limit
from ..core._threads import under_policy
from ..core.errors import DynamicsError, ModelError
from ..core.information import Entropies, _entropies, entropy_from_eigenvalues
from ..core.model import Bipartite
from ..core.states import _pt
from ._blocked import SectorOperator, SectorState
from ._integrate import METHODS, integrate
from ._kernels import (
    BlockSpectrum,
    _add_antihermitian_part,
    _analyze_side,
    _diag_blocks_A,
    _diag_blocks_B,
    _KronSum,
    _schmidt,
    _Side,
)
from ._problems import KrylovSetup, local_setup, superoperator_diagonal
from ._sectors import (
    MAX_STORED_FRACTION,
    SectorLayout,
    block_closure,
    find_sectors,
    single_sector,
    support_blocks,
)

#: Sector layouts with more sectors, or more local-sector pairs in one sector, are not used
#: (their per-block bookkeeping would cost more than the dense products it saves).
MAX_SECTORS = 512
MAX_PAIRS_PER_SECTOR = 64
#: ``method="auto"`` of :meth:`LocalGenerator.propagate` uses DOP853 while its ~21 stored
#: vectors (13 stages, work, right-hand side) fit in this many bytes, the 4-vector CK45 above.
DOP853_MEMORY_BUDGET = 2 * 2**30
#: Entries of rho(0) outside the sector blocks of its support are dropped when their
#: Frobenius norm is at most this (round-off of a state computed in another basis).
SUPPORT_DROP_MAX = 1e-13

__all__ = ["LocalGenerator"]

_STIFF_HINT = "use smaller rates, a shorter time span, or method='exact' (d <= 48)"


class LocalGenerator:
    """GKLS generator with local dissipators, applied in a structure-adapted internal basis.

    Parameters
    ----------
    model : :class:`corrtherm.Bipartite` (original basis).
    jumps_A, jumps_B : local jump operators (d_X x d_X, original basis, rates folded in:
        L = sqrt(gamma) |m><n|).

    Attributes
    ----------
    W_A, W_B : local unitaries; rho_int = W^dag rho W with W = W_A (x) W_B.
    model : the model in the internal basis (H_X' = W_X^dag H_X W_X, V' = W^dag V W, N_X').
    kinds : {"A": "thermal"|"generic", "B": ...}, schmidt_rank : number of terms of V.

    All methods take and return d x d complex arrays in the internal basis. The public
    ``hamiltonian``, ``dissipator_A``, ``dissipator_B``, ``rhs`` are the exact linear maps for
    any square input; :meth:`propagate` uses a faster right-hand side valid for Hermitian rho.
    """

    @under_policy
    def __init__(self, model: Bipartite, jumps_A: Sequence[Any] = (), jumps_B: Sequence[Any] = ()):
        if not isinstance(model, Bipartite):
            raise ModelError(f"model: got {type(model).__name__}; expected a corrtherm.Bipartite")
        self._orig = model
        dA, dB = model.dims
        self.dims = (dA, dB)
        self.d = dA * dB
        self._A = _analyze_side(model.H_A, jumps_A, "jumps_A")
        self._B = _analyze_side(model.H_B, jumps_B, "jumps_B")
        self.W_A, self.W_B = self._A.W, self._B.W
        self.kinds = {
            "A": "thermal" if self._A.thermal else "generic",
            "B": "thermal" if self._B.thermal else "generic",
        }
        # V in the internal basis through its Schmidt terms: local rotations only, no d^3 work
        A0, B0 = _schmidt(model.V, dA, dB)
        self._VA = [self.W_A.conj().T @ a @ self.W_A for a in A0]
        self._VB = [self.W_B.conj().T @ b @ self.W_B for b in B0]
        self.schmidt_rank = len(self._VA)
        self._V = _KronSum(self._VA, self._VB, dA, dB)
        IA, IB = np.eye(dA, dtype=complex), np.eye(dB, dtype=complex)
        # Diagonal (elementwise) parts from thermal sides: g_i = E_i - i k_i / 2, i = (a b)
        eA = np.diag(self._A.H).real.copy() if self._A.thermal else np.zeros(dA)
        eB = np.diag(self._B.H).real.copy() if self._B.thermal else np.zeros(dB)
        kA = self._A.Gamma if self._A.thermal else np.zeros(dA)
        kB = self._B.Gamma if self._B.thermal else np.zeros(dB)
        self._e = np.add.outer(eA, eB).ravel()
        self._k = np.add.outer(kA, kB).ravel()
        # Non-diagonal local parts (generic sides) as extra Kronecker terms
        hA = [(self._A.H, IB)] if not self._A.thermal else []
        hB = [(IA, self._B.H)] if not self._B.thermal else []
        self._Hnd = _KronSum([p[0] for p in hA + hB], [p[1] for p in hA + hB], dA, dB)
        # Hot path: M = V + sum_generic H_X (x) I, so that for Hermitian rho
        # L[rho] = D o rho + Y + Y^dag + generic anticommutators + sandwiches, Y = -i M rho.
        # The anticommutator -{K_X, rho}/2 of generic sides is NOT folded into M: applied
        # exactly (left and right), it keeps the anti-Hermitian round-off of rho decaying; with
        # the Y + Y^dag shortcut it would be driven by the sandwich alone and grow.
        mA = [*self._VA] + [p[0] for p in hA] + [IA for _ in hB]
        mB = [*self._VB] + [IB for _ in hA] + [p[1] for p in hB]
        self._M = _KronSum(mA, mB, dA, dB)
        self._D: np.ndarray | None = None  # built lazily: d x d
        self._heat: tuple[np.ndarray, np.ndarray] | None = None
        self._spectrum = BlockSpectrum()

    # ------------------------------------------------------------------ bases and model
    def to_internal(self, rho: np.ndarray) -> np.ndarray:
        """W^dag rho W with W = W_A (x) W_B, applied factor by factor (no d x d unitary)."""
        return self._rotate(np.asarray(rho, dtype=complex), self.W_A.conj().T, self.W_B.conj().T)

    def from_internal(self, rho_int: np.ndarray) -> np.ndarray:
        """W rho_int W^dag."""
        return self._rotate(np.asarray(rho_int, dtype=complex), self.W_A, self.W_B)

    @under_policy
    def _rotate(self, X: np.ndarray, UA: np.ndarray, UB: np.ndarray) -> np.ndarray:
        """(UA (x) UB) X (UA (x) UB)^dag, one factor at a time on chunks of columns (left
        action) and then of rows (right action, conj(UA) M UB^dag per row reshaped to M[a, b]):
        one output array and chunk temporaries, no d x d intermediates."""
        dA, dB = self.dims
        d = self.d
        out = np.empty((d, d), dtype=complex)
        step = max(1, 2**21 // d)  # ~32 MB of complex entries per chunk
        for c0 in range(0, d, step):
            C = X[:, c0 : c0 + step]
            m = C.shape[1]
            T = (UA @ C.reshape(dA, dB * m)).reshape(dA, dB, m)
            out[:, c0 : c0 + step] = np.matmul(UB, T).reshape(d, m)
        UAc, UBh = UA.conj(), UB.conj().T
        for r0 in range(0, d, step):
            R = np.matmul(out[r0 : r0 + step].reshape(-1, dA, dB), UBh)
            out[r0 : r0 + step] = np.matmul(UAc, R).reshape(-1, d)
        return out

    @cached_property
    def model(self) -> Bipartite:
        """The model in the internal basis (thermal sides: H_X' exactly diagonal)."""
        dA, dB = self.dims
        V = np.zeros((self.d, self.d), dtype=complex)
        for a, b in zip(self._VA, self._VB):
            V += np.kron(a, b)
        m = self._orig
        NA = None if m.N_A is None else self.W_A.conj().T @ m.N_A @ self.W_A
        NB = None if m.N_B is None else self.W_B.conj().T @ m.N_B @ self.W_B
        return Bipartite(self._A.H, self._B.H, V, NA, NB)

    # ------------------------------------------------------------------ exact linear maps
    def _left(self, ks: _KronSum, X: np.ndarray) -> np.ndarray:
        return ks.apply(X)

    def _right(self, ks: _KronSum, X: np.ndarray) -> np.ndarray:
        """X M = (M^dag X^dag)^dag."""
        return ks.dagger().apply(X.conj().T).conj().T

    def hamiltonian(self, rho: np.ndarray) -> np.ndarray:
        """-i[H, rho] with H = H_A' (x) I + I (x) H_B' + V' (internal basis)."""
        X = np.asarray(rho, dtype=complex)
        e = self._e
        out = -1j * (e[:, None] * X - X * e[None, :])
        for ks in (self._V, self._Hnd):
            if ks.r:
                out += -1j * (self._left(ks, X) - self._right(ks, X))
        return out

    def _dissipator(self, side: str, X: np.ndarray, adjoint: bool = False) -> np.ndarray:
        """L_X[X] (or its Hilbert-Schmidt adjoint L_X^#[X] = sum L^dag X L - {K, X}/2)."""
        dA, dB = self.dims
        s = self._A if side == "A" else self._B
        out = np.zeros_like(X)
        if s.thermal:
            k = (
                np.add.outer(s.Gamma, np.zeros(dB))
                if side == "A"
                else np.add.outer(np.zeros(dA), s.Gamma)
            )
            k = k.ravel()
            out -= 0.5 * (k[:, None] * X + X * k[None, :])
            R = s.R.T if adjoint else s.R
            self._add_rate(side, R, X, out)
        else:
            self._add_anticommutator(side, s.K, X, out)
            self._add_sandwich_generic(side, s, X, out, adjoint)
        return out

    def dissipator_A(self, rho: np.ndarray) -> np.ndarray:
        """L_A[rho] = sum_l (L_l (x) I) rho (L_l^dag (x) I) - {K_A (x) I, rho}/2 (Eq. 2)."""
        return self._dissipator("A", np.asarray(rho, dtype=complex))

    def dissipator_B(self, rho: np.ndarray) -> np.ndarray:
        """L_B[rho] = sum_l (I (x) L_l) rho (I (x) L_l^dag) - {I (x) K_B, rho}/2 (Eq. 2)."""
        return self._dissipator("B", np.asarray(rho, dtype=complex))

    def adjoint_dissipator(self, side: str, X: np.ndarray) -> np.ndarray:
        """L_X^#[X] = sum_l L_l^dag X L_l - {K_X, X}/2 (paper 1, Eq. 11), internal basis."""
        return self._dissipator(side, np.asarray(X, dtype=complex), adjoint=True)

    def rhs(self, rho: np.ndarray) -> np.ndarray:
        """-i[H, rho] + L_A[rho] + L_B[rho] (paper 1, Eq. 1)."""
        return self.hamiltonian(rho) + self.dissipator_A(rho) + self.dissipator_B(rho)

    def _add_rate(self, side: str, R: np.ndarray, X: np.ndarray, out: np.ndarray) -> None:
        """Thermal sandwich: out[(m b), (m b')] += sum_a R[m, a] X[(a b), (a b')] (side A),
        out[(a m), (a' m)] += sum_b R[m, b] X[(a b), (a' b)] (side B)."""
        dA, dB = self.dims
        view = _diag_blocks_A if side == "A" else _diag_blocks_B
        P = np.ascontiguousarray(view(X, dA, dB))
        n = P.shape[0]
        o = view(out, dA, dB)
        o += (R @ P.reshape(n, -1)).reshape(P.shape)

    def _add_anticommutator(self, side: str, K: np.ndarray, X: np.ndarray, out: np.ndarray) -> None:
        """out -= {K (x) I, X}/2 (side A) or {I (x) K, X}/2 (side B), exact for any X."""
        dA, dB = self.dims
        d = self.d
        if side == "A":
            out -= 0.5 * (K @ X.reshape(dA, dB * d)).reshape(d, d)
            out -= 0.5 * np.matmul(K.T, X.reshape(d, dA, dB)).reshape(d, d)
        else:
            out -= 0.5 * np.matmul(K, X.reshape(dA, dB, d)).reshape(d, d)
            out -= 0.5 * (X.reshape(d * dA, dB) @ K).reshape(d, d)

    def _add_sandwich_generic(
        self, side: str, s: _Side, X: np.ndarray, out: np.ndarray, adjoint: bool
    ) -> None:
        dA, dB = self.dims
        d = self.d
        if s.T is not None:
            # realign X to pairs (a a') of the side, apply the local superoperator, realign back
            X4 = X.reshape(dA, dB, dA, dB)
            T = s.T.conj().T if adjoint else s.T
            if side == "A":
                Y = T @ X4.transpose(0, 2, 1, 3).reshape(dA * dA, dB * dB)
                out += Y.reshape(dA, dA, dB, dB).transpose(0, 2, 1, 3).reshape(d, d)
            else:
                Y = T @ X4.transpose(1, 3, 0, 2).reshape(dB * dB, dA * dA)
                out += Y.reshape(dB, dB, dA, dA).transpose(2, 0, 3, 1).reshape(d, d)
            return
        for L0 in s.jumps:
            L = L0.conj().T if adjoint else L0
            if side == "A":
                Y = (L @ X.reshape(dA, dB * d)).reshape(d, dA, dB)  # (L (x) I) X
                out += np.matmul(L.conj(), Y).reshape(d, d)  # ... (L^dag (x) I)
            else:
                Y = np.matmul(L, X.reshape(dA, dB, d)).reshape(d * dA, dB)
                out += (Y @ L.conj().T).reshape(d, d)

    # ------------------------------------------------------------------ hot path
    def _diag_factor(self) -> np.ndarray:
        """D[i, j] = -i(e_i - e_j) - (k_i + k_j)/2 (thermal sides' H and dephasing)."""
        if self._D is None:
            e, k = self._e, self._k
            self._D = np.ascontiguousarray(-1j * np.subtract.outer(e, e) - 0.5 * np.add.outer(k, k))
        return self._D

    def _rhs_hermitian(self, rho: np.ndarray, out: np.ndarray) -> None:
        """out = L[rho] for Hermitian rho (writes every entry of ``out``)."""
        np.multiply(self._diag_factor(), rho, out=out)
        if self._M.r:
            _add_antihermitian_part(self._M.apply(rho), out)
        for side, s in (("A", self._A), ("B", self._B)):
            if s.thermal:
                if s.R is not None and s.R.any():
                    self._add_rate(side, s.R, rho, out)
            else:
                self._add_anticommutator(side, s.K, rho, out)
                self._add_sandwich_generic(side, s, rho, out, False)

    def heat_operators(self) -> tuple[np.ndarray, np.ndarray]:
        """h_X = L_X^#[H] (internal basis), so that J_X = Tr[H L_X[rho]] = Tr[h_X rho]."""
        H = np.diag(self._e.astype(complex))
        for ks in (self._V, self._Hnd):
            if ks.r:
                H = H + ks.apply(np.eye(self.d, dtype=complex))
        return self.adjoint_dissipator("A", H), self.adjoint_dissipator("B", H)

    # ------------------------------------------------------------------ observables
    def spectrum(self, rho_int: np.ndarray) -> np.ndarray:
        """Eigenvalues of a Hermitian internal-basis state by symmetry blocks (``BlockSpectrum``:
        every eigenvalue within 1e-12 of the dense result, else the dense result itself)."""
        return self._spectrum.eigvalsh(np.asarray(rho_int, dtype=complex))[0]

    def observables(
        self, rho_int: np.ndarray, alpha_A: float = 0.5, block_entropy: bool = True
    ) -> dict[str, Any]:
        """Ledger of paper 1 (Eqs. 5-8) and entropies of an internal-basis state, cheaply.

        With V = sum_k A_k (x) B_k, t^A_k = Tr[A_k rho_A], t^B_k = Tr[B_k rho_B]:
        v = Tr[V rho_A (x) rho_B] = sum_k t^A_k t^B_k, E_V = Tr[V rho] = sum_k vec(A_k^T)
        R(rho) vec(B_k^T) with the realigned R(rho)[(a' a), (b' b)] = rho[(a' b'), (a b)],
        U_chi = E_V - v, U_A = E_A + (1 - alpha_A) v, U_B = E_B + alpha_A v, U = E_A + E_B + E_V.
        Partial traces and entropies are invariant under the local basis change W_A (x) W_B.
        Returns floats U, U_A, U_B, U_chi, E_A, E_B, E_V, S, S_A, S_B, I_AB and rho_A, rho_B
        (internal basis). ``block_entropy``: S(rho) through ``BlockSpectrum`` (exact
        block structure from symmetry sectors; eigenvalue error <= 1e-12 by construction).
        Not thread-safe (the block partition is cached on the generator). A
        ``SectorState`` (open._blocked) is read from its blocks (E_V from one V product, S exactly from the
        spectra of its sector blocks).
        """
        dA, dB = self.dims
        if isinstance(rho_int, SectorState):
            op, x = rho_int.op, rho_int.x
            rA, rB = op.marginals(x)
            EA = float(np.sum(np.diag(rA).real * np.diag(self._A.H).real))
            EB = float(np.sum(np.diag(rB).real * np.diag(self._B.H).real))
            EV = op.trace_V(x)
            v = 0.0
            if self.schmidt_rank:
                tA = np.array([np.vdot(a.conj().T, rA) for a in self._VA])  # Tr[A_k rho_A]
                tB = np.array([np.vdot(b.conj().T, rB) for b in self._VB])
                v = float(np.sum(tA * tB).real)
            # one block: symmetry blocks found from the state itself (Weyl-bounded, BlockSpectrum)
            lay = op.layout
            spec = (
                self._spectrum.eigvalsh(lay.block(x, 0))[0]
                if len(lay.blocks) == 1
                else op.eigvalsh(x)
            )
            return ledger_dict(EA, EB, EV, v, spectrum_entropies(spec, rA, rB), rA, rB, alpha_A)
        rho = np.asarray(rho_int, dtype=complex)
        rA, rB = _pt(rho, dA, dB, "A"), _pt(rho, dA, dB, "B")
        EA = float(np.einsum("ij,ji->", rA, self._A.H).real)
        EB = float(np.einsum("ij,ji->", rB, self._B.H).real)
        v = EV = 0.0
        if self.schmidt_rank:
            Rr = rho.reshape(dA, dB, dA, dB).transpose(0, 2, 1, 3).reshape(dA * dA, dB * dB)
            At = np.stack([a.T.ravel() for a in self._VA])  # (r, dA^2)
            Bt = np.stack([b.T.ravel() for b in self._VB])  # (r, dB^2)
            EV = float(np.einsum("ki,ki->", At @ Rr, Bt).real)
            tA = At @ rA.ravel()  # Tr[A_k rA] = sum A^T[a', a] rA[a', a]
            tB = Bt @ rB.ravel()
            v = float(np.sum(tA * tB).real)
        if block_entropy:
            ent = spectrum_entropies(self._spectrum.eigvalsh(rho)[0], rA, rB)
        else:
            ent = _entropies(rho, dA, dB)
        return ledger_dict(EA, EB, EV, v, ent, rA, rB, alpha_A)

    # ------------------------------------------------------------------ sector storage
    @under_policy
    def sector_operator(
        self, rho0_int: np.ndarray | None = None, *, structured: bool = True
    ) -> SectorOperator | None:
        """The generator on sector-block storage (:mod:`corrtherm.open._sectors`), for two
        thermal sides (None otherwise): the blocks reachable from the support of ``rho0_int``
        (default: from the populations, which hold every steady state). ``structured=False``
        or no useful structure: one block holding all d^2 entries."""
        if not (self._A.thermal and self._B.thermal):
            return None
        dA, dB = self.dims
        sides = (
            (self._A.sector, self._A.orig_sector),
            (self._B.sector, self._B.orig_sector),
        )
        sec = None
        if structured:
            sec = find_sectors(self._orig.V, sides[0][0], sides[1][0], sides[0][1], sides[1][1])
            many = sec.count > MAX_SECTORS or max(len(p) for p in sec.pairs) > MAX_PAIRS_PER_SECTOR
            if sec.count == 1 or many:
                sec = None
        layout = None
        RA, RB = self._A.R.real, self._B.R.real
        if sec is not None:
            if rho0_int is None:
                start = np.eye(sec.count, dtype=bool)
            else:
                start = support_blocks(sec, rho0_int, SUPPORT_DROP_MAX)
            layout = SectorLayout(sec, block_closure(sec, RA, RB, start))
            if layout.stored_fraction > MAX_STORED_FRACTION:
                layout = None
        if layout is None:
            zA, zB = np.zeros(dA, dtype=np.int64), np.zeros(dB, dtype=np.int64)
            sides = ((zA, zA), (zB, zB))
            layout = SectorLayout(single_sector(self.dims), np.ones((1, 1), dtype=bool))
        return SectorOperator(
            layout,
            np.diag(self._A.H).real,
            np.diag(self._B.H).real,
            RA,
            RB,
            self._orig.V,
            self.W_A,
            self.W_B,
            sides,
        )

    def krylov_problem(self) -> KrylovSetup:
        """The steady-state problem of :mod:`corrtherm.open._krylov` (the optional generator
        hook of :func:`corrtherm.steady_state`): see :func:`corrtherm.open._problems.local_setup`."""
        return local_setup(self)

    def superoperator_diagonal(self) -> np.ndarray:
        """Diagonal of L as a d^2 superoperator (internal basis; a Jacobi preconditioner)."""
        return superoperator_diagonal(self)

    def initial_state(self, rho0_int: np.ndarray, *, structured: bool = True) -> Any:
        """rho0 (internal basis) in the storage :meth:`propagate` will use: a
        ``SectorState`` (open._blocked) for two thermal sides (so the caller can drop the d x d matrix
        before the integration starts), else the matrix itself."""
        op = self.sector_operator(rho0_int, structured=structured)
        return rho0_int if op is None else SectorState(op, op.layout.from_dense(rho0_int))

    def dense(self, state: Any) -> np.ndarray:
        """The d x d internal-basis matrix of a state passed to ``on_save`` (Hermitian part)."""
        if isinstance(state, SectorState):
            return state.dense()
        return np.asarray(state, dtype=complex)

    def currents(self, state: Any) -> tuple[float, float]:
        """J_A, J_B = Tr[h_X rho] with h_X = L#_X[H] (paper 1, Eq. 11)."""
        if isinstance(state, SectorState):
            hA, hB = state.op.heat()
            return float(np.vdot(hA, state.x).real), float(np.vdot(hB, state.x).real)
        if self._heat is None:
            self._heat = self.heat_operators()
        r = np.asarray(state)
        return tuple(float(np.vdot(h, r).real) for h in self._heat)

    # ------------------------------------------------------------------ propagation
    def propagate(
        self,
        rho0_int: np.ndarray,
        times: Sequence[float],
        rtol: float = 1e-8,
        atol: float = 1e-10,
        on_save: Callable | None = None,
        progress: Callable[[float], Any] | None = None,
        method: str = "auto",
        structured: bool = True,
        blas_threads: int | str | None = None,
    ) -> dict:
        """Integrate d rho/dt = L[rho] together with dQ_X/dt = Tr[h_X rho], h_X = L_X^#[H].

        ``on_save(i, state, Q_A, Q_B)`` is called at every ``times[i]``; ``state`` is the
        internal-basis rho (a d x d view, or a ``SectorState`` (open._blocked) for the sector storage of
        two thermal sides) valid during the call only: use :meth:`observables`,
        :meth:`currents` and :meth:`dense` on it. Q_X(times[0]) = 0. ``progress(fraction)``
        is called after every step. ``method``: "DOP853", "RK45", "CK45" (low storage,
        :mod:`corrtherm.open._integrate`) or "auto" (DOP853 while its storage fits in
        DOP853_MEMORY_BUDGET). ``blas_threads``: BLAS threads inside the loop
        (:mod:`corrtherm.core._threads`: default 1, env CORRTHERM_BLAS_THREADS). Returns solver
        statistics.
        """
        t = np.asarray(times, dtype=float).ravel()
        if t.size == 0 or not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
            raise DynamicsError("times: expected a non-empty, finite, strictly increasing array")
        if method != "auto" and method not in METHODS:
            raise DynamicsError(
                f"method: got {method!r}; expected 'auto' or one of {list(METHODS)}"
            )
        d = self.d
        t_start = _time.perf_counter()
        if isinstance(rho0_int, SectorState):  # already in sector storage (initial_state)
            op, rho0 = rho0_int.op, None
        else:
            rho0 = np.asarray(rho0_int, dtype=complex)
            if rho0.shape != (d, d):
                raise DynamicsError(f"rho0_int: has shape {rho0.shape}; expected ({d}, {d})")
            # duck-typed callers (FullGenerator's eigenbasis view) bring only d, kinds,
            # schmidt_rank, heat_operators and _rhs_hermitian: the dense branch below
            op = (
                self.sector_operator(rho0, structured=structured)
                if hasattr(self, "sector_operator")
                else None
            )
        if op is not None:
            n = op.n
            y0 = np.zeros(n + 2, dtype=complex)
            y0[:n] = op.layout.from_dense(rho0) if rho0 is not None else rho0_int.x
            hconj = np.ascontiguousarray(np.stack(op.heat()).conj())
            work = np.empty(n, dtype=complex)

            def rhs(_t: float, y: np.ndarray, out: np.ndarray) -> None:
                op.rhs_hermitian(y[:n], out[:n], work)
                out[n:] = (hconj @ y[:n]).real

            def state(y: np.ndarray):
                return SectorState(op, y[:n])
        else:
            n = d * d
            y0 = np.zeros(n + 2, dtype=complex)
            y0[:n] = rho0.ravel()
            hA, hB = self.heat_operators()
            # J_X = Tr[h_X rho] = sum conj(h_X) o rho (h_X Hermitian): one gemv for both baths
            hconj = np.ascontiguousarray(np.stack([hA.ravel(), hB.ravel()]).conj())
            del hA, hB

            def rhs(_t: float, y: np.ndarray, out: np.ndarray) -> None:
                self._rhs_hermitian(y[:n].reshape(d, d), out[:n].reshape(d, d))
                out[n:] = (hconj @ y[:n]).real

            def state(y: np.ndarray):
                return y[:n].reshape(d, d)

        if method == "auto":
            method = "DOP853" if 21 * 16 * (n + 2) <= DOP853_MEMORY_BUDGET else "CK45"

        def save(i: int, y: np.ndarray) -> None:
            if on_save is not None:
                on_save(i, state(y), float(y[n].real), float(y[n + 1].real))

        with blas_threads_limit(blas_threads) as threads:
            stats = integrate(
                rhs,
                y0,
                t,
                rtol=rtol,
                atol=atol,
                method=method,
                on_save=save,
                progress=progress,
                hint=_STIFF_HINT,
            )
        layout = None if op is None else op.layout
        stats.update(
            {
                "basis": dict(self.kinds),
                "schmidt_rank": self.schmidt_rank,
                "storage": "dense" if layout is None else f"sectors {len(layout.blocks)} blocks",
                "stored_fraction": 1.0 if layout is None else layout.stored_fraction,
                "blas_threads": "library default" if threads is None else threads,
                "wall_s": _time.perf_counter() - t_start,
            }
        )
        return stats


def spectrum_entropies(spectrum: np.ndarray, rA: np.ndarray, rB: np.ndarray) -> Entropies:
    """S from the eigenvalues of rho, S_A, S_B from its marginals, I_AB = S_A + S_B - S >= 0."""
    S, SA, SB = (
        entropy_from_eigenvalues(p)
        for p in (spectrum, np.linalg.eigvalsh(rA), np.linalg.eigvalsh(rB))
    )
    return Entropies(S, SA, SB, max(0.0, SA + SB - S))


def ledger_dict(EA, EB, EV, v, ent: Entropies, rA, rB, alpha_A: float) -> dict[str, Any]:
    """The generators' ``observables``: paper 1's ledger (Eqs. 5-8) from E_A, E_B,
    E_V = Tr[V rho], v = Tr[V rho_A (x) rho_B] and the entropies."""
    return {
        "U": EA + EB + EV,
        "U_A": EA + (1.0 - alpha_A) * v,
        "U_B": EB + alpha_A * v,
        "U_chi": EV - v,
        "E_A": EA,
        "E_B": EB,
        "E_V": EV,
        "S": ent.S,
        "S_A": ent.S_A,
        "S_B": ent.S_B,
        "I_AB": ent.I_AB,
        "rho_A": rA,
        "rho_B": rB,
    }
