"""Bloch-Redfield (non-secular) dissipators: the third approach next to local and global.

For a bath coupled through H_SB = sum_k S_k (x) B_k (S_k Hermitian on side X, independent B_k
with one spectrum), the Born-Markov master equation without the secular approximation is
(Redfield, IBM J. Res. Dev. 1, 19 (1957); Breuer & Petruccione, The Theory of Open Quantum
Systems (2002), Sec. 3.3.1)

    R_X[rho] = sum_k [Lambda_k rho, S_k] + [S_k, rho Lambda_k^dag],
    (Lambda_k)_mn = 1/2 gamma(nu_mn - mu q_mn) (S_k)_mn   (eigenbasis of the full H),

with nu_mn = E_m - E_n the system's energy change and gamma a rate family of
:func:`corrtherm.thermal_rate`. Only the real (dissipative) half of the one-sided bath
correlation is kept: no Lamb shift, as in QuTiP's ``bloch_redfield_tensor`` (which agrees
with this generator for real couplings in the eigenbasis; for complex ones QuTiP 5.3 returns the
generator of the transposed coupling, unlike its own documented element formula, which this
module follows: see tests/test_redfield.py). Keeping only the
terms A(nu) rho A(nu')^dag with |nu - nu'| <= ``secular_cutoff`` gives the partially secular
equation; ``secular_cutoff=0`` is the Davies generator of :func:`corrtherm.davies_jumps`.
R_X is trace preserving and has e^{-beta H}/Z as a fixed point only to second order in the
coupling; it is NOT completely positive: rho(t) can acquire negative eigenvalues, which
:func:`corrtherm.evolve` reports (``min_eigenvalue``) and flags instead of hiding.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..core._report import Report, fmt
from ..core._validate import finite_real
from ..core.errors import DynamicsError
from ..core.limits import check_coupling_scale
from ..core.model import Bipartite
from .davies import (
    DEGENERACY_TOL,
    _as_couplings,
    _check_scalars,
    _check_side,
    _eigen_for,
    _symmetric_frequencies,
)
from .thermal import _check_rates, thermal_rate

__all__ = ["redfield_bath", "RedfieldBath", "REDFIELD_TENSOR_MAX_D"]

#: Largest d for a partially secular Redfield bath (its d^2 x d^2 tensor is stored).
REDFIELD_TENSOR_MAX_D = 48


@dataclass(frozen=True, eq=False, repr=False)
class RedfieldBath(Report):
    """The Bloch-Redfield dissipator R_X of one bath, pass it as ``jumps_A``/``jumps_B``.

    Everything is stored in the eigenbasis of the full H: ``Q`` (eigenvectors as columns),
    ``S`` (couplings Q^dag (S_k (x) I) Q, shape (K, d, d)), ``Lam`` (Lambda_k, same shape) and,
    for a partially secular bath, ``tensor`` (the d^2 x d^2 dissipator, row-major vec).
    ``side``, ``beta``, ``mu``, ``secular_cutoff`` describe the bath.
    """

    side: str
    dims: tuple[int, int]
    beta: float
    mu: float | None
    secular_cutoff: float | None
    Q: np.ndarray
    S: np.ndarray
    Lam: np.ndarray
    tensor: np.ndarray | None

    kind = "redfield"
    _title: ClassVar[str] = "Bloch-Redfield bath (no Lamb shift)"

    def _rows(self) -> list[tuple[str, str]]:
        return [
            ("side", self.side),
            ("β", fmt(self.beta)),
            ("μ", fmt(self.mu)),
            ("d", str(self.d)),
            ("coupling channels S_k", str(self.S.shape[0])),
            (
                "secular cutoff",
                "none (full Redfield)" if self.secular_cutoff is None else fmt(self.secular_cutoff),
            ),
        ]

    @property
    def d(self) -> int:
        return self.Q.shape[0]

    def _S_Lam(self) -> np.ndarray:
        """S_k Lambda_k (cached; Lambda_k^dag S_k is its adjoint, S_k being Hermitian)."""
        cached = self.__dict__.get("_SLam")
        if cached is None:
            cached = self.S @ self.Lam
            self.__dict__["_SLam"] = cached  # frozen dataclass: a cache, not state
        return cached

    def apply_eig(self, rho_e: np.ndarray) -> np.ndarray:
        """R_X[rho] for rho given (and returned) in the eigenbasis of H:
        sum_k Lambda rho S - S Lambda rho + S rho Lambda^dag - rho Lambda^dag S."""
        if self.tensor is not None:
            return (self.tensor @ rho_e.reshape(-1)).reshape(self.d, self.d)
        out = np.zeros((self.d, self.d), dtype=complex)
        for S, L, SL in zip(self.S, self.Lam, self._S_Lam()):
            LX = L @ rho_e
            out += LX @ S - SL @ rho_e + (S @ rho_e) @ L.conj().T - rho_e @ SL.conj().T
        return out

    def adjoint_eig(self, X_e: np.ndarray) -> np.ndarray:
        """R_X^#[X] (Tr[X R_X[rho]] = Tr[R_X^#[X] rho]) in the eigenbasis:
        sum_k S X Lambda - X S Lambda + Lambda^dag X S - Lambda^dag S X."""
        if self.tensor is not None:
            # Tr[X^dag R[rho]] = vec(X)^dag T vec(rho) -> R#[X] = unvec(T^dag vec(X))
            return (self.tensor.conj().T @ X_e.reshape(-1)).reshape(self.d, self.d)
        out = np.zeros((self.d, self.d), dtype=complex)
        for S, L, SL in zip(self.S, self.Lam, self._S_Lam()):
            Ld = L.conj().T
            out += (S @ X_e) @ L - X_e @ SL + (Ld @ X_e) @ S - SL.conj().T @ X_e
        return out

    def in_basis(self, Q: np.ndarray) -> RedfieldBath:
        """The same bath stored in another eigenbasis Q of H (columns), e.g. a generator's."""
        U = Q.conj().T @ self.Q
        tensor = None
        if self.tensor is not None:
            W = np.kron(U, U.conj())
            tensor = W @ self.tensor @ W.conj().T
        return dataclasses.replace(
            self,
            Q=Q,
            S=np.einsum("ij,kjl,ml->kim", U, self.S, U.conj()),
            Lam=np.einsum("ij,kjl,ml->kim", U, self.Lam, U.conj()),
            tensor=tensor,
        )

    def apply(self, rho: np.ndarray) -> np.ndarray:
        """R_X[rho] in the original basis."""
        Q = self.Q
        return Q @ self.apply_eig(Q.conj().T @ rho @ Q) @ Q.conj().T

    def adjoint(self, X: np.ndarray) -> np.ndarray:
        """R_X^#[X] in the original basis."""
        Q = self.Q
        return Q @ self.adjoint_eig(Q.conj().T @ X @ Q) @ Q.conj().T

    def superoperator(self) -> np.ndarray:
        """The d^2 x d^2 matrix of R_X in the original basis (row-major vec)."""
        d = self.d
        if self.tensor is not None:
            T = self.tensor
        else:
            I = np.eye(d)
            T = np.zeros((d * d, d * d), dtype=complex)
            for S, L in zip(self.S, self.Lam):
                Ld = L.conj().T
                # vec(A rho B) = kron(A, B^T) vec(rho)
                T += np.kron(L, S.T) - np.kron(S @ L, I) + np.kron(S, Ld.T) - np.kron(I, (Ld @ S).T)
        U = np.kron(self.Q, self.Q.conj())
        return U @ T @ U.conj().T


def _secular_tensor(
    S: np.ndarray, G: np.ndarray, nu: np.ndarray, cutoff: float, tol: float
) -> np.ndarray:
    """sum_{nu, nu' : |nu - nu'| <= cutoff} G(nu) (A(nu) rho A(nu')^dag - A(nu')^dag A(nu) rho)
    + h.c., as a d^2 x d^2 matrix in the eigenbasis (row-major vec).

    Elementwise with A(nu)_mn = S_mn [nu_mn = nu]:
    T[a b, n p] = S_an conj(S_bp) (G_an + G_bp) M(nu_an - nu_bp) - delta_bp X_an
    - delta_an conj(X_bp), X_an = sum_c conj(S_ca) S_cn G_cn M(nu_cn - nu_ca),
    M(x) = [|x| <= cutoff]."""
    d = S.shape[0]
    # M[a, b, n, p]: nu[a, n] and nu[b, p] within the cutoff
    M = np.abs(nu[:, None, :, None] - nu[None, :, None, :]) <= cutoff + tol
    Sab = S[:, None, :, None] * S.conj()[None, :, None, :]
    Gsum = G[:, None, :, None] + G[None, :, None, :]
    T = np.where(M, Sab * Gsum, 0.0)
    Mc = np.abs(nu[:, :, None] - nu[:, None, :]) <= cutoff + tol  # [c, n, a]: nu_cn vs nu_ca
    X = np.einsum("ca,cn,cn,cna->an", S.conj(), S, G, Mc)
    I = np.eye(d)
    T = T - np.einsum("bp,an->abnp", I, X) - np.einsum("an,bp->abnp", I, X.conj())
    return T.reshape(d * d, d * d)


def redfield_bath(
    model: Bipartite,
    coupling: Any,
    side: str,
    beta: float,
    rate: str | Callable = "ohmic",
    gamma0: float = 1.0,
    mu: float | None = None,
    *,
    secular_cutoff: float | None = None,
    tol: float = DEGENERACY_TOL,
) -> RedfieldBath:
    """Bloch-Redfield dissipator of the bath on ``side`` (non-secular, no Lamb shift).

    R_X[rho] = sum_k [Lambda_k rho, S_k] + [S_k, rho Lambda_k^dag] with
    (Lambda_k)_mn = gamma(nu_mn - mu q_mn)/2 (S_k)_mn in the eigenbasis of the full H
    (Redfield 1957; Breuer & Petruccione Sec. 3.3.1), nu_mn = E_m - E_n the system's energy
    change, q_mn the particle change (only with ``mu``; needs [H, N] = 0). ``coupling``,
    ``rate``, ``gamma0``, ``mu`` and ``tol`` as in :func:`corrtherm.davies_jumps` (same
    grouping of degenerate Bohr frequencies, so that full secularization is exactly Davies).

    ``secular_cutoff``: None (default) keeps every term (Bloch-Redfield); a number c >= 0 keeps
    only the terms A(nu) rho A(nu')^dag with |nu - nu'| <= c (an absolute frequency; QuTiP's
    ``sec_cutoff`` is the same in units of the smallest nonzero Bohr frequency); c = 0 gives
    the Davies generator. A partially secular bath stores a d^2 x d^2 tensor
    (d <= REDFIELD_TENSOR_MAX_D).

    Returns a :class:`RedfieldBath` to pass as ``jumps_A``/``jumps_B`` of
    :func:`corrtherm.evolve` or :func:`corrtherm.steady_state` (the heat current keeps its
    definition J_X = Tr[H R_X[rho]]). Redfield dynamics is not completely positive; evolve
    reports the smallest eigenvalue of rho(t) and flags negative ones.
    """
    model, side = _check_side(model, side)
    b, g0, t = _check_scalars(beta, gamma0, mu, tol)
    mu_v = None if mu is None else float(mu)
    cut = None
    if secular_cutoff is not None:
        # finite_real refuses booleans and strings (True would otherwise be a cutoff of 1)
        cut = finite_real(
            secular_cutoff,
            "secular_cutoff",
            DynamicsError,
            "None (no secular approximation) or a frequency >= 0",
        )
        if cut < 0:
            raise DynamicsError(
                f"secular_cutoff: got {secular_cutoff!r}; expected None (no secular "
                "approximation) or a frequency >= 0"
            )
        if model.d > REDFIELD_TENSOR_MAX_D:
            raise DynamicsError(
                f"secular_cutoff: a partially secular bath stores a d^2 x d^2 tensor; allowed "
                f"up to d = {REDFIELD_TENSOR_MAX_D}, got d = {model.d}"
            )
    dX = model.dims[0] if side == "A" else model.dims[1]
    S_list = _as_couplings(coupling, dX)
    eig, embed = _eigen_for(model, side, False, mu_v, t)
    nu = _symmetric_frequencies(eig)[eig.label][:, eig.label]
    x = nu - (0.0 if mu_v is None else mu_v) * eig.dn
    gam = thermal_rate(x, b, rate, g0)
    flat = x.ravel()
    _check_rates(gam.ravel(), flat, b, callable(rate))
    check_coupling_scale(float(np.max(gam)), S_list, "coupling", DynamicsError)
    G = 0.5 * gam
    Q = eig.Q
    S_e = np.stack([Q.conj().T @ embed(S) @ Q for S in S_list])
    Lam = G[None] * S_e
    tensor = None
    if cut is not None:
        tensor = sum(_secular_tensor(S, G, nu, cut, eig.tol) for S in S_e)
    return RedfieldBath(side, model.dims, b, mu_v, cut, Q, S_e, Lam, tensor)
