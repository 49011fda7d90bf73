"""Conversion between the Gaussian engine and the dense engine for small L.

Fermions: Jordan-Wigner with the strings of B running through A
(:func:`corrtherm.bipartite_fermions`), so c_{B,k} = P_A (x) c'_k with P_A the parity of A and
c'_k B's own Jordan-Wigner operator. Bosons: truncated Fock spaces of ``cutoff`` levels per mode
(exact for states and dynamics that never reach the top level; the error is the population of
the truncated levels).

Baths in the dense picture (``dense_jumps``): a *local* jump operator of the dense engine acts as
L (x) I_B or I_A (x) L. For A, the fermion operator d_k = c'_k (x) I_B is local. For B it is not:
I_A (x) c'_k = P_A c_{B,k} carries the parity of A, which flips the sign of every A-B
correlation it meets, so the dissipator D[I_A (x) c'_k] differs from the fermionic D[c_{B,k}]
on correlated states (and does not even keep states Gaussian). The B-local operator that *is*
the fermionic jump on physical (parity-even) states is I_A (x) P_B c'_k = P c_{B,k}, with P the
total parity: D[P c] rho = c rho c^dag - {c^dag c, rho}/2 whenever [P, rho] = 0. ``dense_jumps``
returns these, and the tests check both engines against each other with them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..core._validate import density_matrix
from ..core.errors import ModelError, StateError
from ..core.model import Bipartite
from ..core.operators import destroy
from ._inputs import correlation_matrix
from .baths import LocalBath, check_bath, mode_rates
from .model import FreeModel, check_model

__all__ = ["to_dense_model", "to_dense_state", "from_dense_state", "dense_jumps"]

#: Largest Hilbert-space dimension the conversions build (d x d dense matrices).
MAX_DENSE_DIM = 4096


def _ops(model: FreeModel, cutoff: int | None):
    """(c on the full space, c' local to A, c' local to B), annihilation operators."""
    LA, LB = model.modes
    if model.statistics == "fermion":
        if cutoff is not None:
            raise ModelError(f"cutoff: got {cutoff!r}; fermions need no cutoff (leave it None)")
        d = 2**model.L
        if d > MAX_DENSE_DIM:
            raise ModelError(
                f"model: L = {model.L} fermionic modes need d = 2^L = {d} > {MAX_DENSE_DIM}; "
                "the dense conversion is for small L"
            )
        locA, locB = _jordan_wigner(LA), _jordan_wigner(LB)
        # the strings of B run through A: c_B = P_A (x) c'_B (corrtherm.bipartite_fermions)
        PA = sp.diags(_parity_signs(LA)).tocsr()
        IB = sp.identity(2**LB, format="csr")
        full = [sp.kron(x, IB, format="csr") for x in locA]
        full += [sp.kron(PA, x, format="csr") for x in locB]
        return full, locA, locB
    if cutoff is None or int(cutoff) != cutoff or int(cutoff) < 2:
        raise ModelError(f"cutoff: got {cutoff!r}; bosons need a Fock cutoff, an integer >= 2")
    n = int(cutoff)
    if n**model.L > MAX_DENSE_DIM:
        raise ModelError(
            f"cutoff: {n}^{model.L} = {n**model.L} > {MAX_DENSE_DIM}; lower the cutoff or L"
        )
    a, eye = sp.csr_matrix(destroy(n)), sp.identity(n, format="csr")

    def site(k: int, count: int) -> sp.csr_matrix:
        out = sp.identity(1, format="csr")
        for j in range(count):
            out = sp.kron(out, a if j == k else eye, format="csr")
        return out

    locA = [site(k, LA) for k in range(LA)]
    locB = [site(k, LB) for k in range(LB)]
    IA, IB = sp.identity(n**LA, format="csr"), sp.identity(n**LB, format="csr")
    full = [sp.kron(x, IB, format="csr") for x in locA] + [
        sp.kron(IA, x, format="csr") for x in locB
    ]
    return full, locA, locB


def _parity_signs(n: int) -> np.ndarray:
    """Diagonal of the parity Z^(x n) = (-1)^(number of occupied modes), basis index order."""
    idx = np.arange(2**n)
    bits = np.zeros(idx.size, dtype=int)
    for j in range(n):
        bits += (idx >> j) & 1
    return np.where(bits % 2 == 0, 1.0, -1.0)


def _jordan_wigner(n: int) -> list[sp.csr_matrix]:
    """Sparse c_k = Z^(x k) (x) a (x) I, a = |0><1|: corrtherm.fermion_operators, sparse."""
    z = sp.diags([1.0, -1.0]).tocsr()
    a = sp.csr_matrix(np.array([[0.0, 1.0], [0.0, 0.0]]))
    eye = sp.identity(2, format="csr")
    out = []
    for k in range(n):
        op = sp.identity(1, format="csr")
        for j in range(n):
            op = sp.kron(op, z if j < k else (a if j == k else eye), format="csr")
        out.append(op)
    return out


def _quadratic(h: np.ndarray, ops: list) -> np.ndarray:
    """sum_ij h_ij c_i^dag c_j as a dense matrix (sparse products)."""
    d = ops[0].shape[0]
    out = sp.csr_matrix((d, d), dtype=complex)
    for i, ci in enumerate(ops):
        cid = ci.conj().T.tocsr()
        for j, cj in enumerate(ops):
            if h[i, j] != 0:
                out = out + h[i, j] * (cid @ cj)
    return out.toarray()


def _dense(ops: list) -> list[np.ndarray]:
    return [x.toarray().astype(complex) for x in ops]


def to_dense_model(model: FreeModel, cutoff: int | None = None) -> Bipartite:
    """The same model as a dense :class:`corrtherm.Bipartite` (H_A, H_B, V, N_A, N_B):
    H = sum_ij h_ij c_i^dag c_j with Jordan-Wigner fermions or bosons truncated at ``cutoff``."""
    m = check_model(model)
    full, locA, locB = _ops(m, cutoff)
    H = _quadratic(m.h, full)
    HA, HB = _quadratic(m.h_A, locA), _quadratic(m.h_B, locB)
    dA, dB = HA.shape[0], HB.shape[0]
    V = H - np.kron(HA, np.eye(dB)) - np.kron(np.eye(dA), HB)
    NA = _quadratic(np.eye(len(locA)), locA)
    NB = _quadratic(np.eye(len(locB)), locB)
    return Bipartite(HA, HB, 0.5 * (V + V.conj().T), NA, NB)


def to_dense_state(model: FreeModel, C: Any, cutoff: int | None = None) -> np.ndarray:
    """The Gaussian density matrix with correlation matrix C (d x d).

    With G = C^T = W diag(n) W^dag and the modes d_k = sum_j conj(W_jk) c_j: fermions
    rho = prod_k [n_k d_k^dag d_k + (1 - n_k) d_k d_k^dag] (exact, pure occupations included);
    bosons rho = exp(-sum_k kappa_k d_k^dag d_k)/Z with kappa = ln(1 + 1/n), built in the
    truncated space (occupations 0 map to the vacuum of that mode)."""
    m = check_model(model, StateError)
    Cm = correlation_matrix(C, "C", m.L, m.statistics)
    full, _, _ = _ops(m, cutoff)
    n, W = np.linalg.eigh(Cm.T)
    d = full[0].shape[0]
    if m.statistics == "fermion":
        n = np.clip(n, 0.0, 1.0)
        rho = np.eye(d, dtype=complex)
        for k in range(m.L):
            dk = sum(np.conj(W[j, k]) * full[j] for j in range(m.L))
            Nk = (dk.conj().T @ dk).toarray()
            rho = rho @ (n[k] * Nk + (1.0 - n[k]) * (np.eye(d) - Nk))
    else:
        kappa = np.log1p(1.0 / np.clip(n, 1e-300, None))
        Kop = _quadratic((W * kappa) @ W.conj().T, full)
        e, U = np.linalg.eigh(0.5 * (Kop + Kop.conj().T))
        w = np.exp(-(e - e[0]))
        rho = (U * (w / w.sum())) @ U.conj().T
    return 0.5 * (rho + rho.conj().T)


def from_dense_state(model: FreeModel, rho: Any, cutoff: int | None = None) -> np.ndarray:
    """C_ij = Tr[rho c_i^dag c_j] of a dense state (any state, Gaussian or not), with the
    operators of :func:`to_dense_model` (Jordan-Wigner or truncated Fock)."""
    m = check_model(model, StateError)
    full, _, _ = _ops(m, cutoff)
    R = density_matrix(rho, "rho", full[0].shape[0])
    # C_ij = Tr[rho c_i^dag c_j] = sum_ab conj((c_i)_ab) (c_j rho)_ab
    cr = [cj @ R for cj in full]
    C = np.array([[np.sum(ci.conj().multiply(x)) for x in cr] for ci in full], dtype=complex)
    C = 0.5 * (C + C.conj().T)
    return np.ascontiguousarray(C.real) if not np.any(C.imag) else C


def dense_jumps(
    model: FreeModel,
    bath_A: LocalBath | dict | None,
    bath_B: LocalBath | dict | None,
    cutoff: int | None = None,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Local jump operators (d_A x d_A, d_B x d_B) of the dense engine equivalent to the Gaussian
    baths: L = sqrt(kappa_down) d_k and L = sqrt(kappa_up) d_k^dag on the eigenmodes of h_X, with
    B's fermionic parity attached on B (L = P_B d_k there; module docstring)."""
    m = check_model(model)
    baths = {"A": check_bath(bath_A, "A"), "B": check_bath(bath_B, "B")}
    _, locA, locB = _ops(m, cutoff)
    locA, locB = _dense(locA), _dense(locB)
    out: dict[str, list[np.ndarray]] = {"A": [], "B": []}
    for side, loc, hX in (("A", locA, m.h_A), ("B", locB, m.h_B)):
        bath = baths[side]
        if bath is None:
            continue
        eps, V = np.linalg.eigh(hX)
        up, down = mode_rates(eps, bath, m.statistics, side)
        string = (
            np.diag(_parity_signs(len(loc)))
            if (side == "B" and m.statistics == "fermion")
            else None
        )
        for k in range(len(loc)):
            dk = sum(np.conj(V[j, k]) * loc[j] for j in range(len(loc)))
            if string is not None:
                dk = string @ dk
            out[side] += [np.sqrt(down[k]) * dk, np.sqrt(up[k]) * dk.conj().T]
    return out["A"], out["B"]
