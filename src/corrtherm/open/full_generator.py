"""The generator with full-space baths (global jumps, Redfield), applied in the eigenbasis of H.

d rho/dt = -i[H, rho] + L_A[rho] + L_B[rho] where at least one L_X is not local (Davies jumps
of :func:`corrtherm.davies_jumps`, any d x d jumps, or a :class:`corrtherm.RedfieldBath`).
In the eigenbasis H = sum_m E_m |m><m| the Hamiltonian part is elementwise,
-i (E_m - E_n) rho_mn, and a Davies jump A(nu) has nonzero entries only where E_m - E_n = nu:

* a jump with a single entry c |m><n| (non-degenerate Bohr frequency) only moves population,
  c |m><n| rho |n><m| c* = |c|^2 rho_nn |m><m|: all of them form one rate matrix R[m, n];
* the others (degenerate frequencies, nu = 0) are applied entry pair by entry pair or as
  sparse matrices (:mod:`corrtherm.open._eigen_jumps`), and K = sum L^dag L (block diagonal
  by energy for Davies jumps) is elementwise when diagonal.

So a Davies right-hand side costs O(d^2) plus the sparse products, instead of O(K d^3); a
:class:`corrtherm.DaviesBath` is used as stored, without ever forming d x d jumps.
:class:`FullGenerator` exposes the methods of :class:`corrtherm.open.generator.LocalGenerator`
that the ODE driver uses; its *internal basis is the original basis* (W_A = W_B = I), so the
ledger needs no change; only :meth:`FullGenerator.propagate` integrates in the eigenbasis and
hands the states back in the original basis.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core.errors import ModelError
from ..core.model import Bipartite
from ..core.states import _pt
from ..core.trajectory import _hermitize
from ._eigen_jumps import EigenSandwich, entries_of
from .baths import Bath, as_bath, is_local
from .davies import DaviesBath
from .generator import LocalGenerator, ledger_dict, spectrum_entropies
from .redfield import RedfieldBath

__all__ = ["FullGenerator", "open_generator"]

#: Jump entries (eigenbasis) below this fraction of the bath's largest entry are structural
#: zeros (eigh round-off is ~1e-16 relative).
SUPPORT_RTOL = 1e-13


class _EigenRedfield:
    """A Redfield bath re-expressed in the generator's eigenbasis Q and applied there."""

    def __init__(self, bath: RedfieldBath, Q: np.ndarray):
        rotated = bath.in_basis(Q)
        self.apply, self.adjoint = rotated.apply_eig, rotated.adjoint_eig


class _Empty:
    def apply(self, X: np.ndarray) -> np.ndarray:
        return np.zeros_like(X)

    adjoint = apply


def _eigen_bath(bath: Bath, Q: np.ndarray):
    """The bath as a map on eigenbasis matrices of the generator (eigenvectors Q)."""
    if isinstance(bath, RedfieldBath):
        return _EigenRedfield(bath, Q)
    if len(bath) == 0:
        return _Empty()
    if isinstance(bath, DaviesBath) and np.array_equal(bath.Q, Q):
        return bath.sandwich()
    full = bath.jumps() if isinstance(bath, DaviesBath) else bath.full_jumps()
    jumps_e = np.matmul(Q.conj().T[None], np.matmul(np.asarray(full), Q[None]))
    return EigenSandwich(Q.shape[0], *entries_of(jumps_e, SUPPORT_RTOL))


class FullGenerator:
    """GKLS/Redfield generator with full-space baths; same interface as LocalGenerator.

    Parameters: ``model`` (:class:`corrtherm.Bipartite`), ``jumps_A``, ``jumps_B`` (local
    jumps, global d x d jumps or a :class:`corrtherm.RedfieldBath` each).
    The internal basis is the original one (``to_internal`` copies, ``W_A``, ``W_B`` are
    identities, ``model`` is the given model), so all public methods take and return
    original-basis d x d arrays; :meth:`propagate` integrates in the eigenbasis of H.
    """

    def __init__(self, model: Bipartite, jumps_A: Any = (), jumps_B: Any = ()):
        if not isinstance(model, Bipartite):
            raise ModelError(f"model: got {type(model).__name__}; expected a corrtherm.Bipartite")
        self._orig = model
        self.dims = model.dims
        self.d = model.d
        bA = as_bath(jumps_A, model, "A", "jumps_A")
        bB = as_bath(jumps_B, model, "B", "jumps_B")
        H = model.H
        # a structured (Davies/Redfield) bath brings its eigenbasis: sharing it keeps its
        # sparse form (a different basis inside degenerate levels would densify it)
        shared = [b.Q for b in (bA, bB) if isinstance(b, DaviesBath | RedfieldBath)]
        if shared:
            Q = shared[0]
            E = np.diag(Q.conj().T @ H @ Q).real.copy()
        else:
            real = bool(np.all(H.imag == 0))
            E, Q = np.linalg.eigh(H.real if real else H)
            Q = Q.astype(complex)
        self._E = E
        self._Q = Q
        self._baths = {"A": _eigen_bath(bA, self._Q), "B": _eigen_bath(bB, self._Q)}
        self.kinds = {"A": _kind(bA), "B": _kind(bB)}
        self.W_A = np.eye(self.dims[0], dtype=complex)
        self.W_B = np.eye(self.dims[1], dtype=complex)
        self.schmidt_rank = 0
        self._phase = -1j * np.subtract.outer(E, E)

    # ------------------------------------------------------------------ bases and model
    @property
    def model(self) -> Bipartite:
        """The model (internal basis = original basis)."""
        return self._orig

    def to_internal(self, rho: np.ndarray) -> np.ndarray:
        return np.array(rho, dtype=complex)

    def from_internal(self, rho_int: np.ndarray) -> np.ndarray:
        return np.array(rho_int, dtype=complex)

    def _to_eig(self, X: np.ndarray) -> np.ndarray:
        return self._Q.conj().T @ X @ self._Q

    def _from_eig(self, X: np.ndarray) -> np.ndarray:
        return self._Q @ X @ self._Q.conj().T

    # ------------------------------------------------------------------ linear maps
    def hamiltonian(self, rho: np.ndarray) -> np.ndarray:
        """-i[H, rho]."""
        H = self._orig.H
        X = np.asarray(rho, dtype=complex)
        return -1j * (H @ X - X @ H)

    def dissipator_A(self, rho: np.ndarray) -> np.ndarray:
        """L_A[rho] (original basis)."""
        return self._from_eig(self._baths["A"].apply(self._to_eig(np.asarray(rho, complex))))

    def dissipator_B(self, rho: np.ndarray) -> np.ndarray:
        """L_B[rho] (original basis)."""
        return self._from_eig(self._baths["B"].apply(self._to_eig(np.asarray(rho, complex))))

    def adjoint_dissipator(self, side: str, X: np.ndarray) -> np.ndarray:
        """L_X^#[X] (original basis), Tr[X L_X[rho]] = Tr[L_X^#[X] rho]."""
        return self._from_eig(self._baths[side].adjoint(self._to_eig(np.asarray(X, complex))))

    def rhs(self, rho: np.ndarray) -> np.ndarray:
        """-i[H, rho] + L_A[rho] + L_B[rho]."""
        return self.hamiltonian(rho) + self.dissipator_A(rho) + self.dissipator_B(rho)

    def heat_operators(self) -> tuple[np.ndarray, np.ndarray]:
        """h_X = L_X^#[H], so that J_X = Tr[H L_X[rho]] = Tr[h_X rho] (original basis)."""
        H = self._orig.H
        return self.adjoint_dissipator("A", H), self.adjoint_dissipator("B", H)

    # ------------------------------------------------------------------ observables
    def spectrum(self, rho_int: np.ndarray) -> np.ndarray:
        return np.linalg.eigvalsh(np.asarray(rho_int, dtype=complex))

    def observables(
        self, rho_int: np.ndarray, alpha_A: float = 0.5, block_entropy: bool = True
    ) -> dict[str, Any]:
        """The ledger of paper 1 (Eqs. 5-8) and entropies of a state, as LocalGenerator's
        (``block_entropy`` is accepted for the same signature; S is from a dense eigvalsh)."""
        m = self._orig
        dA, dB = self.dims
        rho = np.asarray(rho_int, dtype=complex)
        rA, rB = _pt(rho, dA, dB, "A"), _pt(rho, dA, dB, "B")
        EA = float(np.einsum("ij,ji->", rA, m.H_A).real)
        EB = float(np.einsum("ij,ji->", rB, m.H_B).real)
        EV = float(np.einsum("ij,ji->", rho, m.V).real)
        v = float(np.einsum("abcd,ca,db->", m.V.reshape(dA, dB, dA, dB), rA, rB).real)
        ent = spectrum_entropies(np.linalg.eigvalsh(_hermitize(rho)), rA, rB)
        return ledger_dict(EA, EB, EV, v, ent, rA, rB, alpha_A)

    # ------------------------------------------------------------------ propagation
    def propagate(
        self,
        rho0_int: np.ndarray,
        times: Sequence[float],
        rtol: float = 1e-8,
        atol: float = 1e-10,
        on_save: Callable | None = None,
        progress: Callable[[float], Any] | None = None,
        method: str = "DOP853",
    ) -> dict:
        """As :meth:`LocalGenerator.propagate` (same integrator), integrated in the eigenbasis;
        ``on_save(i, rho, Q_A, Q_B)`` receives original-basis states."""
        view = _EigenView(self)

        def save(i: int, r: np.ndarray, QA: float, QB: float) -> None:
            if on_save is not None:
                on_save(i, self._from_eig(r), QA, QB)

        rho0 = self._to_eig(np.asarray(rho0_int, dtype=complex))
        stats = LocalGenerator.propagate(view, rho0, times, rtol, atol, save, progress, method)
        stats["basis"] = "eigenbasis of H"
        return stats


class _EigenView:
    """The hooks of LocalGenerator.propagate, in the eigenbasis of H (private)."""

    def __init__(self, gen: FullGenerator):
        self._gen = gen
        self.d = gen.d
        self.kinds = gen.kinds
        self.schmidt_rank = gen.schmidt_rank

    def heat_operators(self) -> tuple[np.ndarray, np.ndarray]:
        g = self._gen
        He = np.diag(g._E.astype(complex))
        return g._baths["A"].adjoint(He), g._baths["B"].adjoint(He)

    def _rhs_hermitian(self, rho: np.ndarray, out: np.ndarray) -> None:
        g = self._gen
        np.multiply(g._phase, rho, out=out)
        out += g._baths["A"].apply(rho)
        out += g._baths["B"].apply(rho)


def _kind(bath: Bath) -> str:
    if isinstance(bath, RedfieldBath):
        return "redfield"
    return "none" if len(bath) == 0 else bath.kind


def open_generator(model: Bipartite, jumps_A: Any = (), jumps_B: Any = ()):
    """LocalGenerator when both baths are local jumps (paper 1), FullGenerator otherwise.

    A Davies or Redfield bath is passed on as it is: FullGenerator validates it (its check
    against H is a d^3 basis change, not to be paid twice here)."""
    bA, bB = (
        j if isinstance(j, DaviesBath | RedfieldBath) else as_bath(j, model, side, f"jumps_{side}")
        for j, side in ((jumps_A, "A"), (jumps_B, "B"))
    )
    if is_local(bA) and is_local(bB):
        return LocalGenerator(model, bA.jumps, bB.jumps)
    return FullGenerator(model, bA, bB)
