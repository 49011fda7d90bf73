"""Local GKLS dissipators and their adjoints (paper 1, Eqs. 2, 11) and the naive superoperator.

Thermalizing jumps and rate families live in :mod:`corrtherm.open.thermal`.

Jump operators are *local* d_X x d_X matrices with the rates folded in (L = sqrt(gamma) |m><n|),
embedded as L (x) I_B or I_A (x) L, or *global* d x d matrices on the whole space A (x) B (e.g.
the Davies jumps of :func:`corrtherm.davies_jumps`), used as they are. The shape decides.
Vectorization convention (row-major): vec(rho) = rho.reshape(-1), so that
vec(A rho B) = kron(A, B.T) vec(rho).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core._validate import square, to_array
from ..core.errors import DynamicsError, ModelError
from ..core.limits import COMPLEX_BYTES, check_rate_scale, require_memory
from ..core.model import Bipartite

__all__ = [
    "as_jumps",
    "dissipator",
    "adjoint_dissipator",
    "lindblad_superoperator",
]


def as_jumps(jumps: Any, dim: int, name: str = "jumps", full_dim: int | None = None) -> np.ndarray:
    """Validate jump operators and return them stacked as an array of shape (K, dim, dim).

    Accepts a sequence of matrices (ndarray / nested lists / ``qutip.Qobj``), a single matrix,
    or a stacked (K, dim, dim) array; an empty sequence means no dissipation. The jumps L_k enter
    the dissipator L[rho] = sum_k (L_k rho L_k^dag - 1/2 {L_k^dag L_k, rho}) (paper 1, Eq. 2)
    with their rates folded in (L_k = sqrt(gamma_k) |m><n|). With ``full_dim`` = d, jumps of
    shape (d, d) (global jumps on the whole space) are accepted too and returned as (K, d, d);
    all jumps of one bath must then have the same shape.
    """
    if jumps is None:
        return np.zeros((0, dim, dim), dtype=complex)
    shapes = {(dim, dim)} | ({(full_dim, full_dim)} if full_dim is not None else set())
    if (
        isinstance(jumps, np.ndarray)
        and jumps.ndim == 3
        and jumps.dtype == complex
        and jumps.shape[1:] in shapes
        and np.all(np.isfinite(jumps))
    ):
        return jumps  # already a validated stack: no copy (thousands of jumps at large d)
    if isinstance(jumps, np.ndarray) and jumps.ndim == 3:
        items = list(jumps)
    elif isinstance(jumps, np.ndarray) and jumps.ndim == 2:
        items = [jumps]
    elif hasattr(jumps, "full") and type(jumps).__name__ == "Qobj":
        items = [jumps]
    elif isinstance(jumps, Sequence) or hasattr(jumps, "__iter__"):
        items = list(jumps)
    else:
        raise DynamicsError(
            f"{name}: got {type(jumps).__name__}; expected a sequence of {dim} x {dim} matrices"
        )
    arrays = []
    for k, L in enumerate(items):
        try:
            arrays.append(to_array(L, f"{name}[{k}]"))
        except ModelError as exc:
            raise DynamicsError(str(exc)) from None
    shape = (dim, dim)
    if full_dim is not None and arrays and arrays[0].shape == (full_dim, full_dim):
        shape = (full_dim, full_dim)
    for k, arr in enumerate(arrays):
        if arr.shape != shape:
            what = (
                f"a local ({dim}, {dim}) jump operator (jumps act on one subsystem and are "
                "embedded automatically)"
                if full_dim is None
                else f"a local ({dim}, {dim}) or a global ({full_dim}, {full_dim}) jump "
                "operator, one shape for all jumps of a bath"
            )
            raise DynamicsError(f"{name}[{k}]: has shape {arr.shape}; expected {what}")
    out = np.zeros((len(arrays), *shape), dtype=complex)
    for k, arr in enumerate(arrays):
        out[k] = arr
    check_rate_scale(out, name, DynamicsError)
    return out


def _apply_local(
    L: np.ndarray, X: np.ndarray, dims: tuple[int, int] | None, side: str | None, left: bool
) -> np.ndarray:
    """L X (left) or X L (right) with L local on ``side`` of A (x) B (or on the whole space)."""
    if dims is None or L.shape[0] == X.shape[0]:
        return L @ X if left else X @ L
    dA, dB = dims
    X4 = X.reshape(dA, dB, dA, dB)
    if side == "A":
        Y = np.einsum("ac,cbde->abde", L, X4) if left else np.einsum("abce,cd->abde", X4, L)
    else:
        Y = np.einsum("bc,acde->abde", L, X4) if left else np.einsum("abdc,ce->abde", X4, L)
    return Y.reshape(dA * dB, dA * dB)


def _prepare(jumps: Any, X: Any, dims: Any, side: str | None, name: str):
    Xm = square(X, name)
    if dims is None:
        return as_jumps(jumps, Xm.shape[0]), Xm, None
    dA, dB = (int(v) for v in dims)
    if Xm.shape[0] != dA * dB:
        raise ModelError(f"{name}: has shape {Xm.shape}; expected ({dA * dB}, {dA * dB})")
    if side not in ("A", "B"):
        raise ModelError(f"side: got {side!r}; expected 'A' or 'B' when dims is given")
    return as_jumps(jumps, dA if side == "A" else dB, "jumps", dA * dB), Xm, (dA, dB)


def dissipator(jumps: Any, rho: Any, *, dims: Any = None, side: str | None = None) -> np.ndarray:
    """GKLS dissipator L[rho] = sum_k (L_k rho L_k^dag - 1/2 {L_k^dag L_k, rho}) (paper 1, Eq. 2).

    Without ``dims``, ``rho`` is an operator on the same space as the jumps. With
    ``dims=(d_A, d_B)`` and ``side="A"|"B"``, ``rho`` lives on A (x) B and the local jumps act
    as L_k (x) I_B or I_A (x) L_k (never materialized); (d, d) jumps act on the whole space.
    """
    Ls, R, dd = _prepare(jumps, rho, dims, side, "rho")
    out = np.zeros_like(R)
    for L in Ls:
        Ld = L.conj().T
        LR = _apply_local(L, R, dd, side, True)
        out += _apply_local(Ld, LR, dd, side, False)
        LdL = Ld @ L
        out -= 0.5 * (_apply_local(LdL, R, dd, side, True) + _apply_local(LdL, R, dd, side, False))
    return out


def adjoint_dissipator(
    jumps: Any, X: Any, *, dims: Any = None, side: str | None = None
) -> np.ndarray:
    """Hilbert-Schmidt adjoint L#[X] = sum_k (L_k^dag X L_k - 1/2 {L_k^dag L_k, X}) (paper 1,
    Eq. 11), defined by Tr[X L[rho]] = Tr[L#[X] rho]. ``dims``/``side`` as in :func:`dissipator`.
    """
    Ls, Xm, dd = _prepare(jumps, X, dims, side, "X")
    out = np.zeros_like(Xm)
    for L in Ls:
        Ld = L.conj().T
        out += _apply_local(Ld, _apply_local(L, Xm, dd, side, False), dd, side, True)
        LdL = Ld @ L
        out -= 0.5 * (
            _apply_local(LdL, Xm, dd, side, True) + _apply_local(LdL, Xm, dd, side, False)
        )
    return out


def embed_jumps(jumps: np.ndarray, dims: tuple[int, int], side: str) -> np.ndarray:
    """(K, d, d) full-space jumps: local (K, d_X, d_X) ones embedded, global ones unchanged."""
    dA, dB = dims
    if jumps.shape[1] == dA * dB:
        return jumps
    if side == "A":
        return np.einsum("kac,bd->kabcd", jumps, np.eye(dB)).reshape(-1, dA * dB, dA * dB)
    return np.einsum("ac,kbd->kabcd", np.eye(dA), jumps).reshape(-1, dA * dB, dA * dB)


def lindblad_superoperator(model: Bipartite, jumps_A: Any = (), jumps_B: Any = ()) -> np.ndarray:
    """The d^2 x d^2 generator of d rho/dt = -i[H, rho] + L_A[rho] + L_B[rho] (paper 1, Eq. 1).

    Row-major convention vec(rho) = rho.reshape(-1), vec(A rho B) = kron(A, B.T) vec(rho):
    -i[H, rho] -> -i (H (x) I - I (x) H^T), and each jump L (embedded if local, as given if it
    is a global d x d jump) contributes
    L (x) conj(L) - 1/2 (L^dag L (x) I + I (x) (L^dag L)^T).
    Deliberately naive (dense, obviously right): the reference for structured generators.
    """
    if not isinstance(model, Bipartite):
        raise ModelError(f"model: got {type(model).__name__}; expected a corrtherm.Bipartite")
    dA, dB = model.dims
    d = model.d
    require_memory(
        3 * COMPLEX_BYTES * d**4,
        f"lindblad_superoperator: the dense {d * d} x {d * d} generator (d = {d})",
        "use a smaller model (corrtherm.evolve never builds it for d > 16)",
    )
    out = hamiltonian_superoperator(model.H)
    for side, js in (
        ("A", as_jumps(jumps_A, dA, "jumps_A", d)),
        ("B", as_jumps(jumps_B, dB, "jumps_B", d)),
    ):
        out += jump_superoperator((embed_jumps(L[None], model.dims, side)[0] for L in js), d)
    return out


def hamiltonian_superoperator(H: np.ndarray) -> np.ndarray:
    """-i (H (x) I - I (x) H^T): the d^2 x d^2 matrix of -i[H, rho] (row-major vec)."""
    I = np.eye(H.shape[0])
    return -1j * (np.kron(H, I) - np.kron(I, H.T))


def jump_superoperator(full_jumps: Any, d: int) -> np.ndarray:
    """sum_L L (x) conj(L) - 1/2 (L^dag L (x) I + I (x) (L^dag L)^T): the d^2 x d^2 matrix of
    the dissipator of d x d jumps (row-major vec); ``full_jumps`` may be any iterable."""
    out = np.zeros((d * d, d * d), dtype=complex)
    I = np.eye(d)
    for L in full_jumps:
        LdL = L.conj().T @ L
        out += np.kron(L, L.conj()) - 0.5 * (np.kron(LdL, I) + np.kron(I, LdL.T))
    return out
