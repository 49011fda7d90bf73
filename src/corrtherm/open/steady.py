"""Steady states of the open dynamics with a uniqueness diagnosis (paper 1, Eq. 1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..core._report import Report
from ..core.errors import DynamicsError
from ..core.model import Bipartite
from ..core.trajectory import _check_model, _hermitize
from .dissipators import as_jumps, lindblad_superoperator

__all__ = ["steady_state", "SteadyStateReport"]

#: Singular values of the generator below KERNEL_RTOL * ||L||_2 span its kernel.
KERNEL_RTOL = 1e-10
#: Largest d for the dense d^2 x d^2 linear algebra of steady states and invariant subspaces.
DENSE_MAX_D = 32


@dataclass(frozen=True, eq=False, repr=False)
class SteadyStateReport(Report):
    """Steady state(s) of d rho/dt = L[rho] (paper 1, Eq. 1) with a uniqueness diagnosis.

    rho: the unique steady state (None if not unique); kernel_dimension: dim ker L;
    kernel_basis: Hermitian, Hilbert-Schmidt-orthonormal basis of ker L, shape (k, d, d);
    spectral_gap: min over nonzero eigenvalues of -Re(lambda) (relaxation rate; inf if none);
    residual: ||L[rho]||_F of the returned state (NaN if not unique);
    min_eigenvalue: smallest eigenvalue of rho (>= -1e-10 for a valid state).
    """

    rho: np.ndarray | None
    kernel_dimension: int
    kernel_basis: np.ndarray
    spectral_gap: float
    residual: float
    min_eigenvalue: float

    _title: ClassVar[str] = "Steady state of dρ/dt = L[ρ] (paper 1, Eq. 1)"
    _labels: ClassVar[dict[str, str]] = {
        "rho": "steady state ρ",
        "kernel_dimension": "dim ker L (1: unique)",
        "kernel_basis": "basis of ker L",
        "spectral_gap": "spectral gap (slowest relaxation rate)",
        "residual": "‖L[ρ]‖_F",
        "min_eigenvalue": "smallest eigenvalue of ρ",
        "unique": "unique",
    }
    _extra: ClassVar[tuple[str, ...]] = ("unique",)

    @property
    def unique(self) -> bool:
        return self.kernel_dimension == 1


def _dense_generator(model: Bipartite, jumps_A: Any, jumps_B: Any, what: str):
    model = _check_model(model)
    if model.d > DENSE_MAX_D:
        raise DynamicsError(
            f"model: d = {model.d} > {DENSE_MAX_D}; {what} uses dense d^2 x d^2 linear algebra. "
            "Evolve to long times with evolve(..., method='ode') instead"
        )
    dA, dB = model.dims
    JA, JB = as_jumps(jumps_A, dA, "jumps_A"), as_jumps(jumps_B, dB, "jumps_B")
    return model, JA, JB, lindblad_superoperator(model, JA, JB)


def _hermitian_span(vecs: np.ndarray, d: int, k: int) -> np.ndarray:
    """Hermitian orthonormal basis (k, d, d) of a dagger-closed span of the columns of vecs."""
    cands = []
    for v in vecs.T:
        X = v.reshape(d, d)
        cands += [0.5 * (X + X.conj().T), 0.5j * (X.conj().T - X)]
    # real coordinates (Re, Im) make the Hilbert-Schmidt product of Hermitian matrices a dot
    M = np.array([np.concatenate([c.real.ravel(), c.imag.ravel()]) for c in cands]).T
    u, _, _ = np.linalg.svd(M, full_matrices=False)
    u = u[:, :k]
    return (u[: d * d].T + 1j * u[d * d :].T).reshape(k, d, d)


def steady_state(
    model: Bipartite, jumps_A: Any = (), jumps_B: Any = (), *, on_degenerate: str = "raise"
) -> SteadyStateReport:
    """Steady state of -i[H, rho] + L_A[rho] + L_B[rho] = 0 (paper 1, Eq. 1), with diagnosis.

    ker L is found from the SVD of the dense generator (singular values below
    KERNEL_RTOL * ||L||_2). When dim ker L = 1 its (Hermitian, trace-normalized) element is the
    unique steady state. Otherwise ``on_degenerate="raise"`` (default) raises a
    :class:`DynamicsError` with the kernel dimension, and ``"report"`` returns a report with
    ``rho=None`` and a Hermitian basis of the kernel: no silent pick. Dense: d <= DENSE_MAX_D.
    """
    if on_degenerate not in ("raise", "report"):
        raise DynamicsError(f"on_degenerate: got {on_degenerate!r}; expected 'raise' or 'report'")
    model, _, _, S = _dense_generator(model, jumps_A, jumps_B, "steady_state")
    d = model.d
    _, sv, vh = np.linalg.svd(S)
    tol = KERNEL_RTOL * max(float(sv[0]), 1e-300)
    k = int(np.count_nonzero(sv <= tol))
    kernel = vh[sv.size - k :].conj().T if k else np.zeros((d * d, 0), dtype=complex)
    basis = _hermitian_span(kernel, d, k) if k else np.zeros((0, d, d), dtype=complex)
    lam = np.linalg.eigvals(S)
    order = np.argsort(np.abs(lam))
    rest = lam[order[k:]]
    gap = float(np.min(-rest.real)) if rest.size else float("inf")
    if k != 1:
        if on_degenerate == "raise" or k == 0:
            raise DynamicsError(
                f"steady state: not unique, dim ker L = {k} (smallest singular values "
                f"{np.array2string(sv[-min(sv.size, k + 1) :], precision=3)}, tolerance "
                f"{tol:.3g}); pass on_degenerate='report' for a basis of all steady states"
            )
        return SteadyStateReport(None, k, basis, gap, float("nan"), float("nan"))
    X = basis[0]
    tr = np.trace(X).real
    if abs(tr) < 1e-12:
        raise DynamicsError(
            "steady state: the kernel of L is traceless (generator is not trace "
            "preserving?); expected a state"
        )
    rho = _hermitize(X / tr)
    res = float(np.linalg.norm(S @ rho.reshape(-1)))
    return SteadyStateReport(rho, 1, basis, gap, res, float(np.linalg.eigvalsh(rho)[0]))
