"""State algebra: partial traces, the decomposition rho = rho_A (x) rho_B + chi (paper 1, Eq. 3),
Gibbs / grand-canonical states, correlation operators and the exact positivity interval."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._report import tuple_repr, tuple_text
from ._validate import (
    STATE_TOL,
    check_dims,
    density_matrix,
    finite_real,
    hermitian,
    positive_int,
    square,
    to_array,
    tolerance,
)
from .errors import ModelError, StateError
from .limits import COMPLEX_BYTES, require_memory

__all__ = [
    "partial_trace",
    "decompose",
    "Decomposition",
    "product_state",
    "gibbs_state",
    "partition_function",
    "log_partition_function",
    "grand_potential",
    "free_energy",
    "correlation_basis",
    "positivity_interval",
    "is_density_matrix",
    "validate_state",
    "maximally_mixed",
    "pure_state",
]


def _pt(rho: np.ndarray, dA: int, dB: int, keep: str) -> np.ndarray:
    r = rho.reshape(dA, dB, dA, dB)
    if keep == "A":
        return np.trace(r, axis1=1, axis2=3)
    return np.trace(r, axis1=0, axis2=2)


def partial_trace(rho: Any, dims: Any, keep: str) -> np.ndarray:
    """Reduced operator on A (``keep="A"``, i.e. Tr_B) or B (``keep="B"``, i.e. Tr_A).

    Works for any operator on C^{d_A} (x) C^{d_B} (not only states), index order (a, b).
    """
    X = square(rho, "rho")
    dA, dB = check_dims(dims, X.shape[0])
    if not isinstance(keep, str) or keep not in ("A", "B"):
        raise ModelError(f"keep: got {keep!r}; expected 'A' or 'B'")
    return _pt(X, dA, dB, keep)


class Decomposition(NamedTuple):
    """rho = rho_A (x) rho_B + chi, with Tr_A chi = Tr_B chi = 0 (paper 1, Eq. 3).

    Returned by :func:`decompose`: the marginals ``rho_A`` (d_A x d_A), ``rho_B`` (d_B x d_B)
    and the correlation operator ``chi`` on the full space.
    """

    rho_A: np.ndarray
    rho_B: np.ndarray
    chi: np.ndarray

    def __str__(self) -> str:
        return _decomposition_text(self)[0]

    def _repr_html_(self) -> str:
        return _decomposition_text(self)[1]

    def __repr__(self) -> str:
        return tuple_repr(self)


def _decomposition_text(d: Decomposition) -> tuple[str, str]:
    labels = {
        "rho_A": "ρ_A = Tr_B ρ",
        "rho_B": "ρ_B = Tr_A ρ",
        "chi": "χ = ρ − ρ_A ⊗ ρ_B (correlations)",
    }
    return tuple_text(d, "ρ = ρ_A ⊗ ρ_B + χ (paper 1, Eq. 3)", labels)


def decompose(rho: Any, dims: Any) -> Decomposition:
    """Split an operator (normally a state) into marginals and correlation operator.

    rho_A = Tr_B rho, rho_B = Tr_A rho, chi = rho - rho_A (x) rho_B (paper 1, Eq. 3).
    For Tr rho = 1, both partial traces of chi vanish exactly:
    Tr_B chi = rho_A - rho_A Tr(rho_B) = 0.
    """
    X = square(rho, "rho")
    dA, dB = check_dims(dims, X.shape[0])
    tr = np.trace(X)
    if abs(tr - 1) > STATE_TOL:
        raise StateError(f"rho: has trace {tr.real:.12g}; expected 1 (off by {abs(tr - 1):.3g})")
    rA, rB = _pt(X, dA, dB, "A"), _pt(X, dA, dB, "B")
    return Decomposition(rA, rB, X - np.kron(rA, rB))


def product_state(rho_A: Any, rho_B: Any) -> np.ndarray:
    """rho_A (x) rho_B, the uncorrelated state with the given marginals.

    Both arguments are validated as density matrices; the result has chi = 0 (paper 1, Eq. 3).
    """
    return np.kron(density_matrix(rho_A, "rho_A"), density_matrix(rho_B, "rho_B"))


def maximally_mixed(d: int) -> np.ndarray:
    """I/d, the maximally mixed state of dimension d.

    Its entropy is ln d, the largest possible; it is the infinite-temperature Gibbs state.
    """
    d = positive_int(d, "d", StateError)
    require_memory(COMPLEX_BYTES * d * d, f"d = {d}: a {d} x {d} complex matrix", "a smaller d")
    return np.eye(d, dtype=complex) / d


def pure_state(psi: Any) -> np.ndarray:
    """|psi><psi| / <psi|psi>, the density matrix of a state vector.

    ``psi`` is normalized here; the zero vector raises :class:`StateError`.
    """
    v = to_array(psi, "psi")
    if v.ndim != 1 and not (v.ndim == 2 and 1 in v.shape):
        raise StateError(f"psi: has shape {v.shape}; expected a state vector")
    v = v.reshape(-1)
    require_memory(
        COMPLEX_BYTES * v.size**2, f"psi: the {v.size} x {v.size} density matrix", "a shorter psi"
    )
    nrm = np.vdot(v, v).real
    if nrm <= 0:
        raise StateError("psi: is the zero vector")
    return np.outer(v, v.conj()) / nrm


def is_density_matrix(rho: Any, tol: float = STATE_TOL) -> bool:
    """True if rho is Hermitian, has unit trace and no eigenvalue below -tol.

    The boolean form of :func:`validate_state`: never raises for a malformed array, returns
    False instead.
    """
    tol = tolerance(tol, "tol", StateError)  # a bad tolerance is an error, not "False"
    try:
        density_matrix(rho, tol=tol)
    except (StateError, ModelError):
        return False
    return True


def validate_state(
    rho: Any, name: str = "rho", dim: int | None = None, tol: float = STATE_TOL
) -> np.ndarray:
    """Return rho as a validated density matrix or raise :class:`StateError` saying how far off.

    Checks: square, finite, Hermitian (relative tolerance ``HERMITIAN_RTOL``), |Tr rho - 1| <=
    tol and lambda_min(rho) >= -tol; ``dim`` fixes the expected dimension.
    """
    return density_matrix(rho, name, dim, tol)


# ----------------------------------------------------------------------------- thermal states
def _thermal_generator(H: Any, beta: float, N: Any, mu: float | None) -> tuple[np.ndarray, float]:
    Hm = hermitian(H, "H")
    beta = finite_real(beta, "beta", ModelError, "a finite real inverse temperature")
    if mu is not None:
        mu = finite_real(mu, "mu", ModelError, "a finite real chemical potential")
    if N is None:
        if mu not in (None, 0, 0.0):
            raise ModelError(f"mu: got {mu!r} but no number operator N was given")
        return Hm, float(beta)
    Nm = hermitian(N, "N", Hm.shape[0])
    comm = float(np.linalg.norm(Hm @ Nm - Nm @ Hm))
    scale = max(1.0, float(np.linalg.norm(Hm)) * float(np.linalg.norm(Nm)))
    if comm > 1e-10 * scale:
        raise ModelError(
            f"N: does not commute with H (||[H, N]||_F = {comm:.3g}); the grand-canonical state "
            "exp(-beta(H - mu N))/Z needs [H, N] = 0"
        )
    return Hm - (0.0 if mu is None else float(mu)) * Nm, float(beta)


def log_partition_function(H: Any, beta: float, N: Any = None, mu: float | None = None) -> float:
    """ln Z with Z = Tr exp(-beta (H - mu N)), computed with a shifted exponent (no overflow).

    ln Z = m + ln sum_k exp(-beta k_k - m) over the eigenvalues k_k of K = H - mu N, with
    m = max(-beta k_k) (paper 2, Eq. 17). ``N`` and ``mu`` together give the grand-canonical
    function; [H, N] = 0 is required then.
    """
    K, b = _thermal_generator(H, beta, N, mu)
    x = -b * np.linalg.eigvalsh(K)
    m = float(np.max(x))
    return m + float(np.log(np.sum(np.exp(x - m))))


def partition_function(H: Any, beta: float, N: Any = None, mu: float | None = None) -> float:
    """Z = Tr exp(-beta (H - mu N)) (paper 2, Eq. 17).

    exp of :func:`log_partition_function`; it may overflow for very large beta |E|, where ln Z
    is the number to use.
    """
    lnZ = log_partition_function(H, beta, N, mu)
    if lnZ > 709.0:
        raise ModelError(
            f"partition_function: Z = exp({lnZ:.6g}) overflows double precision; use "
            "log_partition_function"
        )
    return float(np.exp(lnZ))


def grand_potential(H: Any, beta: float, N: Any = None, mu: float | None = None) -> float:
    """Omega = -ln Z / beta, the grand potential (paper 2, Eq. 21).

    The Helmholtz free energy F when N is None. At the thermal state gamma,
    ln Z = S(gamma) - beta Tr[gamma (H - mu N)] (Eq. 21). beta = 0 is refused.
    """
    beta = finite_real(beta, "beta", ModelError, "a finite real inverse temperature")
    if beta == 0:
        raise ModelError("beta: got 0; the grand potential -ln Z / beta needs beta != 0")
    return -log_partition_function(H, beta, N, mu) / beta


def free_energy(H: Any, beta: float) -> float:
    """Helmholtz free energy F = -ln Z / beta of exp(-beta H)/Z.

    The canonical case of :func:`grand_potential` (no number operator); F = U - S / beta at the
    Gibbs state.
    """
    return grand_potential(H, beta)


def gibbs_state(H: Any, beta: float, N: Any = None, mu: float | None = None) -> np.ndarray:
    """Canonical exp(-beta H)/Z, or grand-canonical exp(-beta (H - mu N))/Z (paper 2, Eq. 16).

    Requires [H, N] = 0 when N is given. Computed in the eigenbasis with a shifted exponent,
    so it is accurate for large beta.
    """
    K, b = _thermal_generator(H, beta, N, mu)
    e, U = np.linalg.eigh(K)
    w = np.exp(-b * (e - (e[0] if b >= 0 else e[-1])))
    w /= w.sum()
    rho = (U * w) @ U.conj().T
    return 0.5 * (rho + rho.conj().T)


# ------------------------------------------------------------------- correlation operators
def _traceless_hermitian_basis(d: int) -> np.ndarray:
    """Orthonormal (Hilbert-Schmidt) basis of traceless Hermitian d x d matrices (d^2 - 1)."""
    out = []
    for j in range(d):
        for k in range(j + 1, d):
            m = np.zeros((d, d), dtype=complex)
            m[j, k] = m[k, j] = 1 / np.sqrt(2)
            out.append(m)
            m = np.zeros((d, d), dtype=complex)
            m[j, k], m[k, j] = -1j / np.sqrt(2), 1j / np.sqrt(2)
            out.append(m)
    for l in range(1, d):
        diag = np.zeros(d)
        diag[:l] = 1.0
        diag[l] = -l
        out.append(np.diag(diag / np.sqrt(l * (l + 1))).astype(complex))
    return np.array(out).reshape(-1, d, d)


def correlation_basis(dims: Any) -> np.ndarray:
    """Orthonormal basis of correlation operators on A (x) B.

    These are the Hermitian chi with Tr_A chi = 0 and Tr_B chi = 0; the space is spanned by
    G_i (x) G'_j with {G_i}, {G'_j} traceless Hermitian bases of A and B, so it has dimension
    (d_A^2 - 1)(d_B^2 - 1). Returns an array of shape (n, d_A d_B, d_A d_B),
    orthonormal in the Hilbert-Schmidt inner product Tr[X^dag Y].
    """
    dA, dB = check_dims(dims)
    GA, GB = _traceless_hermitian_basis(dA), _traceless_hermitian_basis(dB)
    d = dA * dB
    if len(GA) == 0 or len(GB) == 0:
        return np.zeros((0, d, d), dtype=complex)
    out = np.einsum("iac,jbd->ijabcd", GA, GB).reshape(len(GA) * len(GB), d, d)
    return out


def _max_step(rho: np.ndarray, chi: np.ndarray, tol: float) -> float:
    """Largest c >= 0 with rho + c chi >= 0 (inf if unbounded), for rho >= 0.

    rho + c chi >= 0 for c > 0  <=>  chi + t rho >= 0 with t = 1/c, and feasibility is monotone
    in t. Splitting C^d into supp(rho) = S and ker(rho) = K: chi_KK must be >= 0; on the kernel
    K0 of chi_KK the block chi_{S,K0} must vanish; the rest is the Schur complement
    C = chi_SS - chi_{S,K+} chi_{K+K+}^{-1} chi_{K+,S}, and t* = max(0, -lambda_min(
    rho_S^{-1/2} C rho_S^{-1/2})). Then c_max = 1/t*.
    """
    lam, U = np.linalg.eigh(rho)
    scale = max(float(lam[-1]), 1e-300)
    supp = lam > tol * scale
    Us, Uk = U[:, supp], U[:, ~supp]
    chi_nrm = max(float(np.linalg.norm(chi, 2)), 1e-300)
    X = U.conj().T @ chi @ U
    Xss = X[np.ix_(supp, supp)]
    if Uk.shape[1]:
        Xkk = X[np.ix_(~supp, ~supp)]
        Xsk = X[np.ix_(supp, ~supp)]
        mu, W = np.linalg.eigh(Xkk)
        if mu[0] < -tol * chi_nrm:
            return 0.0
        plus = mu > tol * chi_nrm
        Xs0 = Xsk @ W[:, ~plus]
        if Xs0.size and float(np.max(np.abs(Xs0))) > np.sqrt(tol) * chi_nrm:
            return 0.0
        Xsp = Xsk @ W[:, plus]
        C = Xss - (Xsp / mu[plus]) @ Xsp.conj().T
    else:
        C = Xss
    if Us.shape[1] == 0:
        return np.inf
    lam_s = lam[supp]
    M = C / np.sqrt(np.outer(lam_s, lam_s))
    m_min = float(np.linalg.eigvalsh(0.5 * (M + M.conj().T))[0])
    return np.inf if m_min >= 0 else 1.0 / (-m_min)


def positivity_interval(rho: Any, chi: Any, tol: float = 1e-14) -> tuple[float, float]:
    """Exact largest closed interval [c_min, c_max] with rho + c chi >= 0.

    ``rho`` must be positive semidefinite (it need not have unit trace nor full rank);
    ``chi`` any Hermitian operator of the same size. Edges are +-inf when unbounded.
    Eigenvalues of rho below ``tol * lambda_max(rho)`` are treated as its kernel; on a kernel
    direction chi must be >= 0 (for c > 0) and not couple to the support, otherwise the
    corresponding edge is 0. See :func:`_max_step` for the derivation.
    """
    R = hermitian(rho, "rho")
    X = hermitian(chi, "chi", R.shape[0])
    lam_min = float(np.linalg.eigvalsh(R)[0])
    if lam_min < -STATE_TOL * max(1.0, float(np.max(np.abs(R)))):
        raise StateError(f"rho: is not positive semidefinite (smallest eigenvalue {lam_min:.3g})")
    return (-_max_step(R, -X, tol), _max_step(R, X, tol))
