"""Ready-made bipartite models for particle and energy exchange (paper 2, Eq. 13).

Every builder returns a :class:`corrtherm.Bipartite` H = H_A (x) I + I (x) H_B + V, with local
number operators N_A, N_B where a conserved particle number exists. Conventions follow
:mod:`corrtherm.core.operators`: for qubits and Jordan-Wigner fermions |1> is the occupied / excited
state, n = |1><1| and a = |0><1|; a B mode carries the parity string of A.

Which of the paper's assumptions hold is model- and parameter-dependent; check it with
:func:`corrtherm.conservation_checks` rather than trusting a builder's name:

* all fermion, dot, boson and spin-chain models conserve N_A + N_B (Eq. 15) and have
  [H_X, N_X] = 0 (Eq. 18) by construction;
* [H_A + H_B, V] = 0 (Eq. 14) holds only for resonant exchange, e.g. one fermionic mode per
  side with eps_A = eps_B, equal boson frequencies, or a uniform field on single-site halves.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core._validate import finite_real
from ..core.errors import ModelError
from ..core.model import Bipartite
from ..core.operators import (
    bipartite_fermions,
    create,
    destroy,
    fermion_operators,
    identity,
    number,
    sigma_minus,
    sigma_plus,
    sigma_z,
    site_operator,
)

__all__ = [
    "fermion_hopping",
    "multilevel_dots",
    "boson_beam_splitter",
    "xxz_chain",
    "partial_swap_qubits",
]


def _finite(value: float, name: str) -> float:
    return finite_real(value, name)


def _levels(values: float | Sequence[float], n: int, name: str) -> np.ndarray:
    """A scalar broadcast to n entries, or a sequence of exactly n finite reals."""
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.ndim != 1 or arr.size not in (1, n):
        raise ModelError(f"{name}: got {values!r}; expected a number or a sequence of {n} numbers")
    if not np.all(np.isfinite(arr)):
        raise ModelError(f"{name}: got {values!r}; expected finite numbers")
    return np.broadcast_to(arr, (n,)).astype(float)


def _n_modes(n: int, name: str, max_modes: int = 6) -> int:
    if int(n) != n or not 1 <= int(n) <= max_modes:
        raise ModelError(f"{name}: got {n!r}; expected an integer between 1 and {max_modes}")
    return int(n)


def _quadratic(c: list[np.ndarray], eps: np.ndarray, hop: np.ndarray) -> np.ndarray:
    """sum_k eps_k c_k^dag c_k + sum_{j<k} hop_jk (c_j^dag c_k + h.c.) on the space of ``c``."""
    out = sum(e * ck.conj().T @ ck for e, ck in zip(eps, c, strict=True))
    for j in range(len(c)):
        for k in range(j + 1, len(c)):
            if hop[j, k] != 0:
                term = hop[j, k] * c[j].conj().T @ c[k]
                out = out + term + term.conj().T
    return out


def _local_fermions(
    eps: np.ndarray, hop: np.ndarray, pair_U: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(H, N) of one side: quadratic part plus density-density terms pair_U[j, k] n_j n_k."""
    c = fermion_operators(len(eps))
    n_ops = [ck.conj().T @ ck for ck in c]
    H = _quadratic(c, eps, hop)
    for j in range(len(c)):
        for k in range(j + 1, len(c)):
            if pair_U[j, k] != 0:
                H = H + pair_U[j, k] * n_ops[j] @ n_ops[k]
    return H, sum(n_ops)


def fermion_hopping(
    n_A: int = 1,
    n_B: int = 1,
    eps_A: float | Sequence[float] = 0.0,
    eps_B: float | Sequence[float] = 0.0,
    kappa: float = 1.0,
    *,
    t_A: float = 0.0,
    t_B: float = 0.0,
    U_A: float = 0.0,
    U_B: float = 0.0,
    W: float = 0.0,
) -> Bipartite:
    """Spinless fermion chain A_0 ... A_{n_A-1} | B_0 ... B_{n_B-1} cut between A_{n_A-1}, B_0.

    H_A = sum_k eps_A[k] n_k + t_A sum_k (c_k^dag c_{k+1} + h.c.) + U_A sum_k n_k n_{k+1}
    (H_B likewise), and the coupling across the cut, in Jordan-Wigner form with the B string
    running through A (:func:`~corrtherm.core.operators.bipartite_fermions`),

        V = kappa (c_{A,last}^dag c_{B,0} + c_{B,0}^dag c_{A,last}) + W n_{A,last} n_{B,0}.

    N_A, N_B are the local particle numbers. For n_A = n_B = 1 the one-particle block in the
    basis (|1_A 0_B>, |0_A 1_B>) is [[eps_A, kappa], [kappa, eps_B]].
    """
    nA, nB = _n_modes(n_A, "n_A"), _n_modes(n_B, "n_B")
    eA, eB = _levels(eps_A, nA, "eps_A"), _levels(eps_B, nB, "eps_B")
    tA, tB = _finite(t_A, "t_A"), _finite(t_B, "t_B")
    uA, uB = _finite(U_A, "U_A"), _finite(U_B, "U_B")
    HA, NA = _local_fermions(eA, np.diag(np.full(nA - 1, tA), 1), np.diag(np.full(nA - 1, uA), 1))
    HB, NB = _local_fermions(eB, np.diag(np.full(nB - 1, tB), 1), np.diag(np.full(nB - 1, uB), 1))
    cA, cB = bipartite_fermions(nA, nB)
    hop = _finite(kappa, "kappa") * cA[-1].conj().T @ cB[0]
    nA_last, nB_first = cA[-1].conj().T @ cA[-1], cB[0].conj().T @ cB[0]
    V = hop + hop.conj().T + _finite(W, "W") * nA_last @ nB_first
    return Bipartite(HA, HB, V, NA, NB)


def multilevel_dots(
    levels_A: Sequence[float],
    levels_B: Sequence[float],
    tunneling: float | Sequence[Sequence[float]] = 1.0,
    *,
    charging_A: float = 0.0,
    charging_B: float = 0.0,
) -> Bipartite:
    """Two multi-level quantum dots of spinless fermionic levels with tunneling between them.

    H_X = sum_k eps_X[k] n_k + (charging_X / 2) N_X (N_X - 1) (constant-interaction model),
    V = sum_{jk} T_jk (c_{A,j}^dag c_{B,k} + h.c.) with T the (len(levels_A), len(levels_B))
    tunneling matrix (a scalar means every level couples to every level with that amplitude).
    """
    eA = _levels(levels_A, len(np.atleast_1d(levels_A)), "levels_A")
    eB = _levels(levels_B, len(np.atleast_1d(levels_B)), "levels_B")
    nA, nB = _n_modes(eA.size, "len(levels_A)"), _n_modes(eB.size, "len(levels_B)")
    T = np.asarray(tunneling, dtype=float)
    if T.ndim == 0:
        T = np.full((nA, nB), float(T))
    if T.shape != (nA, nB) or not np.all(np.isfinite(T)):
        raise ModelError(
            f"tunneling: got shape {T.shape}; expected a finite scalar or a ({nA}, {nB}) matrix"
        )
    zA, zB = np.zeros((nA, nA)), np.zeros((nB, nB))
    HA, NA = _local_fermions(eA, zA, zA)
    HB, NB = _local_fermions(eB, zB, zB)
    dA, dB = NA.shape[0], NB.shape[0]
    HA = HA + 0.5 * _finite(charging_A, "charging_A") * NA @ (NA - identity(dA))
    HB = HB + 0.5 * _finite(charging_B, "charging_B") * NB @ (NB - identity(dB))
    cA, cB = bipartite_fermions(nA, nB)
    hop = sum(T[j, k] * cA[j].conj().T @ cB[k] for j in range(nA) for k in range(nB))
    return Bipartite(HA, HB, hop + hop.conj().T, NA, NB)


def boson_beam_splitter(
    cutoff: int = 4,
    omega_A: float = 1.0,
    omega_B: float = 1.0,
    g: float = 0.1,
    *,
    kerr_A: float = 0.0,
    kerr_B: float = 0.0,
    cutoff_B: int | None = None,
) -> Bipartite:
    """Two truncated bosonic modes with a beam-splitter coupling.

    H_X = omega_X n_X + (kerr_X / 2) n_X (n_X - 1), V = g (a^dag b + a b^dag), on Fock spaces
    of ``cutoff`` (and ``cutoff_B``, default the same) levels. The truncated operators still
    obey [n, a^dag] = a^dag exactly, so N_A + N_B is conserved exactly in the truncated space.
    """
    dA = int(cutoff)
    dB = dA if cutoff_B is None else int(cutoff_B)
    for name, d in (("cutoff", dA), ("cutoff_B", dB)):
        if not 2 <= d <= 40:
            raise ModelError(f"{name}: got {d}; expected an integer between 2 and 40")
    nA, nB = number(dA), number(dB)
    HA = _finite(omega_A, "omega_A") * nA + 0.5 * _finite(kerr_A, "kerr_A") * nA @ (
        nA - identity(dA)
    )
    HB = _finite(omega_B, "omega_B") * nB + 0.5 * _finite(kerr_B, "kerr_B") * nB @ (
        nB - identity(dB)
    )
    hop = _finite(g, "g") * np.kron(create(dA), destroy(dB))
    return Bipartite(HA, HB, hop + hop.conj().T, nA, nB)


def _xxz_bond(J: float, Delta: float, i: int, dims: list[int]) -> np.ndarray:
    """J (S^x_i S^x_j + S^y_i S^y_j + Delta S^z_i S^z_j), j = i + 1, with S = sigma / 2."""
    sp, sm, sz = sigma_plus(), sigma_minus(), sigma_z()
    flip = site_operator(sp, i, dims) @ site_operator(sm, i + 1, dims)
    zz = site_operator(sz, i, dims) @ site_operator(sz, i + 1, dims)
    # S^x S^x + S^y S^y = (sigma^+ sigma^- + sigma^- sigma^+) / 2
    return J * (0.5 * (flip + flip.conj().T) + 0.25 * Delta * zz)


def _chain(n: int, J: float, Delta: float, h: np.ndarray) -> np.ndarray:
    dims = [2] * n
    H = sum(0.5 * h[k] * site_operator(sigma_z(), k, dims) for k in range(n))
    for k in range(n - 1):
        H = H + _xxz_bond(J, Delta, k, dims)
    return np.asarray(H, dtype=complex)


def xxz_chain(
    n_A: int = 1,
    n_B: int = 1,
    J: float = 1.0,
    Delta: float = 0.0,
    h: float | Sequence[float] = 0.0,
    *,
    J_cut: float | None = None,
) -> Bipartite:
    """Open spin-1/2 XXZ chain of n_A + n_B sites split into halves A | B.

    H = sum_k J (S^x_k S^x_{k+1} + S^y_k S^y_{k+1} + Delta S^z_k S^z_{k+1}) + sum_k h_k S^z_k,
    S = sigma / 2 with sigma_z = diag(1, -1); the bond across the cut (coupling ``J_cut``,
    default J) is V. The conserved number is the number of excitations (spins in |1>,
    i.e. down spins), N_X = sum_{k in X} (1 - sigma^z_k) / 2, so N_A + N_B is conserved
    (total S^z) for any J, Delta, h. ``h`` is one field or one per site (a gradient breaks
    Eq. 14 even for single-site halves).
    """
    nA, nB = _n_modes(n_A, "n_A", 7), _n_modes(n_B, "n_B", 7)
    J = _finite(J, "J")
    Jc = J if J_cut is None else _finite(J_cut, "J_cut")
    Dz = _finite(Delta, "Delta")
    fields = _levels(h, nA + nB, "h")
    HA, HB = _chain(nA, J, Dz, fields[:nA]), _chain(nB, J, Dz, fields[nA:])
    V = _xxz_bond(Jc, Dz, nA - 1, [2] * (nA + nB))
    n1 = np.diag([0.0, 1.0]).astype(complex)
    NA = sum(site_operator(n1, k, [2] * nA) for k in range(nA))
    NB = sum(site_operator(n1, k, [2] * nB) for k in range(nB))
    return Bipartite(HA, HB, V, NA, NB)


def partial_swap_qubits(
    omega: float = 1.0, g: float = 1.0, *, omega_B: float | None = None
) -> Bipartite:
    """Two qubits exchanging energy by a partial swap: H_X = omega_X |1><1|, V = g SWAP.

    For omega_B = omega, [H_A + H_B, SWAP] = 0, so U(t) = exp(-i H_0 t) (cos gt - i sin gt SWAP):
    a partial swap of angle g t. Energy flow only: no number operators (N_A = N_B = None).
    """
    wA = _finite(omega, "omega")
    wB = wA if omega_B is None else _finite(omega_B, "omega_B")
    swap = np.zeros((4, 4), dtype=complex)
    for a in range(2):
        for b in range(2):
            swap[2 * b + a, 2 * a + b] = 1.0
    excited = np.diag([0.0, 1.0]).astype(complex)
    return Bipartite(wA * excited, wB * excited, _finite(g, "g") * swap)
