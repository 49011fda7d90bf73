"""Operator builders: Pauli and spin-j matrices, truncated bosons, Jordan-Wigner fermions,
embedding of local operators into A (x) B, commutator checks, operator-Schmidt decomposition.

Conventions: sigma_z = diag(1, -1) in the basis |0>, |1>. For qubit "occupations"
(fermions, hard-core bosons) |1> is the occupied state, so n = |1><1| = (1 - sigma_z)/2 and the
annihilation operator is a = |0><1| (identical to ``qutip.destroy(2)``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import reduce
from typing import Any

import numpy as np

from ._validate import check_dims, finite_real, positive_int, square, to_array
from .errors import ModelError
from .limits import COMPLEX_BYTES, require_memory

__all__ = [
    "identity",
    "sigma_x",
    "sigma_y",
    "sigma_z",
    "sigma_plus",
    "sigma_minus",
    "pauli",
    "spin_operators",
    "destroy",
    "create",
    "number",
    "kron",
    "site_operator",
    "fermion_operators",
    "bipartite_fermions",
    "parity",
    "embed",
    "embed_A",
    "embed_B",
    "commutator",
    "anticommutator",
    "commutator_norm",
    "operator_schmidt",
    "dagger",
    "basis_projector",
]


def _dimension(n: Any, name: str, copies: int = 1) -> int:
    """A matrix dimension: an integer >= 1 whose n x n complex matrices fit the memory limit."""
    d = positive_int(n, name)
    what = "a complex matrix" if copies == 1 else f"{copies} complex matrices"
    require_memory(
        copies * COMPLEX_BYTES * d * d, f"{name} = {n}: {what} of {d} x {d}", f"a smaller {name}"
    )
    return d


def _modes(n: Any, name: str, copies: int = 1, minimum: int = 1) -> int:
    """A number of qubit modes n whose 2^n x 2^n matrices fit the memory limit (2^n is never
    formed for absurd n: 2**(10**12) alone would take minutes and gigabytes)."""
    n = positive_int(n, name, minimum=minimum)
    _dimension(2 ** min(n, 64), f"2^{name}" if n <= 64 else f"2^{name} (n = {n})", copies)
    return n


def identity(d: int) -> np.ndarray:
    """d x d identity (complex).

    The identity on one site or one side; ``kron`` of identities embeds local operators.
    """
    return np.eye(_dimension(d, "d"), dtype=complex)


def sigma_x() -> np.ndarray:
    """Pauli X = |0><1| + |1><0|.

    In the basis |0>, |1> with sigma_z = diag(1, -1); sigma_x = sigma_+ + sigma_-.
    """
    return np.array([[0, 1], [1, 0]], dtype=complex)


def sigma_y() -> np.ndarray:
    """Pauli Y = -i|0><1| + i|1><0|.

    In the basis |0>, |1> with sigma_z = diag(1, -1); sigma_y = -i (sigma_+ - sigma_-).
    """
    return np.array([[0, -1j], [1j, 0]], dtype=complex)


def sigma_z() -> np.ndarray:
    """Pauli Z = diag(1, -1) = |0><0| - |1><1|.

    |0> is the +1 eigenstate, so H = omega sigma_z has E_0 = +omega, E_1 = -omega (paper 1's
    example); the occupation of |1> is n = (1 - sigma_z)/2.
    """
    return np.array([[1, 0], [0, -1]], dtype=complex)


def sigma_plus() -> np.ndarray:
    """sigma_+ = |0><1| = (X + iY)/2: raises sigma_z from -1 to +1.

    As an occupation operator it is the annihilator a = |0><1| (identical to
    ``qutip.destroy(2)``), since |1> is the occupied state.
    """
    return np.array([[0, 1], [0, 0]], dtype=complex)


def sigma_minus() -> np.ndarray:
    """sigma_- = |1><0| = (X - iY)/2: lowers sigma_z from +1 to -1.

    The adjoint of :func:`sigma_plus`; for occupations it is the creator a^dag.
    """
    return np.array([[0, 0], [1, 0]], dtype=complex)


def pauli(label: str) -> np.ndarray:
    """Tensor product of Paulis from a label like ``"xz"`` or ``"IZ"`` (I, X, Y, Z).

    ``pauli("zz")`` = sigma_z (x) sigma_z, in the order of the label (first letter = first
    factor); letters are case-insensitive.
    """
    if not isinstance(label, str) or not label:
        raise ModelError(f"pauli label: got {label!r}; expected letters from I, X, Y, Z")
    table = {"i": identity(2), "x": sigma_x(), "y": sigma_y(), "z": sigma_z()}
    try:
        return kron(*[table[c] for c in label.lower()])
    except KeyError:
        raise ModelError(f"pauli label: got {label!r}; expected letters from I, X, Y, Z") from None


def spin_operators(j: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spin-j matrices (Jx, Jy, Jz) in the basis m = j, j-1, ..., -j (Jz descending).

    For j = 1/2 these are sigma/2 with sigma_z = diag(1, -1).
    """
    expected = "a positive half-integer (1/2, 1, 3/2, ...)"
    two_j = 2 * finite_real(j, "spin j", expected=expected)
    if two_j < 1 or abs(two_j - round(two_j)) > 1e-12:
        raise ModelError(f"spin j: got {j!r}; expected {expected}")
    j = float(j)
    _dimension(int(round(two_j)) + 1, "2j + 1", copies=4)
    m = j - np.arange(int(round(two_j)) + 1)
    # <m+1|J+|m> = sqrt(j(j+1) - m(m+1)); J+ sits just above the diagonal in descending order
    jp = np.diag(np.sqrt(j * (j + 1) - m[1:] * (m[1:] + 1)), k=1).astype(complex)
    jx = 0.5 * (jp + jp.conj().T)
    jy = -0.5j * (jp - jp.conj().T)
    return jx, jy, np.diag(m).astype(complex)


def destroy(n: int) -> np.ndarray:
    """Truncated bosonic annihilation operator on Fock states |0>, ..., |n-1>.

    a |k> = sqrt(k) |k-1>; the truncation keeps [a^dag a, a^dag] = a^dag exact, while
    [a, a^dag] = 1 fails on the last level.
    """
    n = _dimension(n, "boson cutoff n")
    return np.diag(np.sqrt(np.arange(1, n)), k=1).astype(complex)


def create(n: int) -> np.ndarray:
    """Truncated bosonic creation operator (adjoint of :func:`destroy`).

    a^dag |k> = sqrt(k+1) |k+1> for k < n-1; the top Fock level is mapped to 0.
    """
    return destroy(n).conj().T


def number(n: int) -> np.ndarray:
    """Number operator diag(0, 1, ..., n-1).

    Equal to a^dag a with ``a = destroy(n)``, exactly.
    """
    return np.diag(np.arange(_dimension(n, "boson cutoff n"))).astype(complex)


def dagger(x: Any) -> np.ndarray:
    """Hermitian conjugate X^dag = conj(X)^T.

    Accepts arrays, nested lists, sparse matrices and ``qutip.Qobj``.
    """
    return _matrix(x).conj().T


def basis_projector(d: int, m: int, n: int | None = None) -> np.ndarray:
    """|m><n| in dimension d (|m><m| if n is None).

    The thermal jumps of paper 1, Eq. 12 are sqrt(gamma_mn) |m><n| in the eigenbasis of H_X.
    """
    d = _dimension(d, "d")
    m = positive_int(m, "m", minimum=0, expected=f"an index 0 <= m < {d}")
    n = m if n is None else positive_int(n, "n", minimum=0, expected=f"an index 0 <= n < {d}")
    for name, k in (("m", m), ("n", n)):
        if k >= d:
            raise ModelError(f"{name}: got {k}; expected an index 0 <= {name} < {d}")
    out = np.zeros((d, d), dtype=complex)
    out[m, n] = 1.0
    return out


def kron(*ops: Any) -> np.ndarray:
    """Kronecker product of several operators, left to right.

    ``kron(a, b, c)`` = a (x) b (x) c, so the first factor carries the slowest index (the
    ordering convention (a, b) of A (x) B).
    """
    if not ops:
        return np.ones((1, 1), dtype=complex)
    arrs = [to_array(o, f"operator {k}") for k, o in enumerate(ops)]
    for k, a in enumerate(arrs):
        if a.size == 0:
            raise ModelError(f"operator {k}: is empty; expected a non-empty matrix")
    # in logs first: the exact size of 10^6 factors would itself be a huge integer
    bits = sum(math.log2(max(1, a.size)) for a in arrs)
    size = 2**80 if bits > 80 else math.prod(max(1, a.size) for a in arrs)
    require_memory(COMPLEX_BYTES * size, "kron: the Kronecker product", "fewer or smaller factors")
    return reduce(np.kron, arrs)


def site_operator(op: Any, site: int, dims: Sequence[int]) -> np.ndarray:
    """Embed a single-site operator at position ``site`` of a chain with local dims ``dims``.

    I (x) ... (x) op (x) ... (x) I with ``op`` at index ``site``; no Jordan-Wigner string (use
    :func:`fermion_operators` for fermions).
    """
    try:
        dims = [positive_int(d, "dims") for d in dims]
    except TypeError:
        raise ModelError(f"dims: got {dims!r}; expected a sequence of integers >= 1") from None
    site = positive_int(site, "site", minimum=0)
    if not 0 <= site < len(dims):
        raise ModelError(f"site: got {site}; expected 0 <= site < {len(dims)}")
    o = square(op, "op", dims[site])
    return kron(*[o if k == site else identity(d) for k, d in enumerate(dims)])


def parity(n_modes: int) -> np.ndarray:
    """Fermion parity (-1)^N on n_modes Jordan-Wigner qubits: sigma_z^{(x) n_modes}.

    (-1)^n = sigma_z on one mode because |1> is occupied; the string of a B mode is the parity of
    A (:func:`bipartite_fermions`).
    """
    n_modes = _modes(n_modes, "n_modes", minimum=0)
    return kron(*([sigma_z()] * n_modes)) if n_modes else np.ones((1, 1), dtype=complex)


def fermion_operators(n_modes: int) -> list[np.ndarray]:
    """Annihilation operators c_k, k = 0..n_modes-1, via Jordan-Wigner on qubits.

    c_k = Z^{(x) k} (x) a (x) I^{(x)(n-k-1)} with a = |0><1| and Z = diag(1, -1) = (-1)^n,
    so that {c_j, c_k^dag} = delta_jk and {c_j, c_k} = 0.
    """
    n_modes = _modes(n_modes, "n_modes")
    _dimension(2**n_modes, "2^n_modes", copies=n_modes)
    z, a, eye = sigma_z(), sigma_plus(), identity(2)
    return [kron(*([z] * k + [a] + [eye] * (n_modes - k - 1))) for k in range(n_modes)]


def bipartite_fermions(n_A: int, n_B: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Fermionic annihilation operators of n_A modes in A and n_B modes in B on the full space.

    The Jordan-Wigner string of a B mode runs through all of A: c_{B,k} = P_A (x) c'_k with
    P_A the parity of A, so that A and B operators anticommute across the cut. The local
    number operators are then N_A = sum_k c_{A,k}^dag c_{A,k} = n_A-local (x) I, etc.
    Returns (c_A, c_B), each a list of (2^(n_A+n_B))-dimensional matrices.
    """
    n_A = _modes(n_A, "n_A")
    n_B = _modes(n_B, "n_B")
    _modes(n_A + n_B, "n_A + n_B", copies=min(n_A + n_B, 64))
    dA, dB = 2**n_A, 2**n_B
    cA = [np.kron(c, identity(dB)) for c in fermion_operators(n_A)]
    pA = parity(n_A)
    cB = [np.kron(pA, c) for c in fermion_operators(n_B)]
    del dA
    return cA, cB


def embed(op: Any, dims: Sequence[int], side: str) -> np.ndarray:
    """Embed a local operator of A (``side="A"``) or B (``side="B"``) into A (x) B.

    op (x) I_B for side A, I_A (x) op for side B, with ``dims = (d_A, d_B)``.
    """
    dA, dB = check_dims(dims)
    _dimension(dA * dB, "d_A d_B")
    if not isinstance(side, str) or side not in ("A", "B"):
        raise ModelError(f"side: got {side!r}; expected 'A' or 'B'")
    if side == "A":
        return np.kron(square(op, "op", dA), identity(dB))
    if side == "B":
        return np.kron(identity(dA), square(op, "op", dB))
    raise ModelError(f"side: got {side!r}; expected 'A' or 'B'")


def _matrix(op: Any) -> np.ndarray:
    o = to_array(op, "op")
    if o.ndim != 2 or 0 in o.shape:
        raise ModelError(f"op: has shape {o.shape}; expected a non-empty matrix")
    return o


def embed_A(op: Any, d_B: int) -> np.ndarray:
    """op (x) I_B: an operator of A on the full space A (x) B.

    ``d_B`` is the dimension of B; see :func:`embed`.
    """
    o = _matrix(op)
    _dimension(o.shape[0] * positive_int(d_B, "d_B"), "d_A d_B")
    return np.kron(o, identity(d_B))


def embed_B(op: Any, d_A: int) -> np.ndarray:
    """I_A (x) op: an operator of B on the full space A (x) B.

    ``d_A`` is the dimension of A; see :func:`embed`.
    """
    o = _matrix(op)
    _dimension(o.shape[0] * positive_int(d_A, "d_A"), "d_A d_B")
    return np.kron(identity(d_A), o)


def _pair(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    A, B = square(a, "a"), square(b, "b")
    if A.shape != B.shape:
        raise ModelError(f"a, b: have shapes {A.shape} and {B.shape}; expected equal shapes")
    return A, B


def commutator(a: Any, b: Any) -> np.ndarray:
    """[a, b] = ab - ba.

    The conditions of both papers are commutators: paper 1, Eq. A3; paper 2, Eqs. 14, 15, 18.
    """
    a, b = _pair(a, b)
    return a @ b - b @ a


def anticommutator(a: Any, b: Any) -> np.ndarray:
    """{a, b} = ab + ba.

    Appears in the GKLS dissipator, -1/2 {L^dag L, rho} (paper 1, Eq. 2).
    """
    a, b = _pair(a, b)
    return a @ b + b @ a


def commutator_norm(a: Any, b: Any) -> float:
    """Frobenius norm ||[a, b]||_F, the measure used by all condition checks.

    ||X||_F = sqrt(Tr X^dag X); a condition [a, b] = 0 is reported as this number and compared
    with a relative tolerance by the callers.
    """
    return float(np.linalg.norm(commutator(a, b)))


def operator_schmidt(
    V: Any, dims: Sequence[int], rtol: float = 1e-12
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Operator-Schmidt decomposition V = sum_k s_k A_k (x) B_k.

    Computed by an SVD of the realigned matrix R[(a a'), (b b')] = V[(a b), (a' b')];
    {A_k} and {B_k} are Hilbert-Schmidt orthonormal. Terms with s_k <= rtol * s_0 are dropped.
    Returns (s, A_list, B_list).
    """
    dA, dB = check_dims(dims)
    V = square(V, "V", dA * dB)
    R = V.reshape(dA, dB, dA, dB).transpose(0, 2, 1, 3).reshape(dA * dA, dB * dB)
    u, s, vh = np.linalg.svd(R, full_matrices=False)
    keep = s > rtol * (s[0] if s.size and s[0] > 0 else 1.0)
    keep &= s > 0
    A = [u[:, k].reshape(dA, dA) for k in np.flatnonzero(keep)]
    B = [vh[k, :].reshape(dB, dB) for k in np.flatnonzero(keep)]
    return s[keep], A, B
