"""Steady states of the open dynamics with a uniqueness diagnosis (paper 1, Eq. 1).

Two paths behind one call, chosen by size: for d <= DENSE_MAX_D the SVD of the dense
d^2 x d^2 generator (kernel dimension, Hermitian kernel basis, every eigenvalue for the gap);
above, the structured generator with a preconditioned Krylov solve that never builds that
matrix (:mod:`corrtherm.open._steady_krylov`), uniqueness from a structural certificate or from
independent anchors, the gap optionally by Arnoldi.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..core._report import Report
from ..core._threads import resolve as resolve_threads
from ..core._validate import flag
from ..core.errors import DynamicsError
from ..core.model import Bipartite
from ..core.trajectory import _check_model, _hermitize
from .baths import as_bath, generator_superoperator
from .entropy_production import (
    _nonempty,
    check_thermodynamics,
    steady_state_production,
    warn_if_not_positive,
)

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
    min_eigenvalue: smallest eigenvalue of rho (>= -1e-10 for a valid state; a Redfield
    steady state can be negative).
    Steady-state currents and entropy production (:mod:`corrtherm.open.entropy_production`;
    NaN/None when not unique): J_A, J_B = Tr[H L_X[rho]] and J_A_local, J_B_local =
    Tr[H_X L_X[rho]] (positive into the system); with beta_A/beta_B given, sigma =
    -sum_X beta_X (J_X - mu_X I_X) (dS/dt = 0), sigma_local likewise with the local currents,
    and second_law_violated = sigma < 0 beyond round-off (None without betas).
    method: how it was computed and how uniqueness was established (the Krylov path's
    spectral_gap is NaN unless requested, and then taken over the few eigenvalues of smallest
    modulus: an upper bound of the dense definition).
    """

    rho: np.ndarray | None
    kernel_dimension: int
    kernel_basis: np.ndarray
    spectral_gap: float
    residual: float
    min_eigenvalue: float
    J_A: float = float("nan")
    J_B: float = float("nan")
    J_A_local: float = float("nan")
    J_B_local: float = float("nan")
    sigma: float = float("nan")
    sigma_local: float = float("nan")
    second_law_violated: bool | None = None
    method: str = "dense: SVD of the d^2 x d^2 generator"

    _title: ClassVar[str] = (
        "Steady state of dρ/dt = L[ρ] (paper 1, Eq. 1; currents positive INTO the system)"
    )
    _labels: ClassVar[dict[str, str]] = {
        "rho": "steady state ρ",
        "J_A": "J_A = Tr[H L_A[ρ]] (heat from bath A)",
        "J_B": "J_B = Tr[H L_B[ρ]] (heat from bath B)",
        "J_A_local": "J_A,local = Tr[H_A L_A[ρ]]",
        "J_B_local": "J_B,local = Tr[H_B L_B[ρ]]",
        "sigma": "σ = −Σ_X β_X (J_X − μ_X I_X)",
        "sigma_local": "σ_local (local accounting)",
        "second_law_violated": "second law violated (σ < 0)",
        "kernel_dimension": "dim ker L (1: unique)",
        "kernel_basis": "basis of ker L",
        "spectral_gap": "spectral gap (slowest relaxation rate; — = not computed)",
        "residual": "‖L[ρ]‖_F",
        "min_eigenvalue": "smallest eigenvalue of ρ",
        "method": "method (uniqueness evidence)",
        "unique": "unique",
    }
    _extra: ClassVar[tuple[str, ...]] = ("unique",)

    @property
    def unique(self) -> bool:
        return self.kernel_dimension == 1


def _dense_generator(model: Bipartite, jumps_A: Any, jumps_B: Any, what: str):
    model = _check_model(model)
    if model.d > DENSE_MAX_D:
        hint = (
            "use steady_state(..., method='krylov') (the default above this size)"
            if what == "steady_state"
            else "no structured method exists for it; use a model with d <= "
            f"{DENSE_MAX_D}, or steady_state and evolve(..., method='ode') for large d"
        )
        raise DynamicsError(
            f"model: d = {model.d} > DENSE_MAX_D = {DENSE_MAX_D}; {what} needs the dense "
            f"d^2 x d^2 = {model.d**2} x {model.d**2} generator: {hint}"
        )
    bA = as_bath(jumps_A, model, "A", "jumps_A")
    bB = as_bath(jumps_B, model, "B", "jumps_B")
    return model, bA, bB, generator_superoperator(model, bA, bB)


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
    model: Bipartite,
    jumps_A: Any = (),
    jumps_B: Any = (),
    *,
    on_degenerate: str = "raise",
    beta_A: float | None = None,
    beta_B: float | None = None,
    mu_A: float | None = None,
    mu_B: float | None = None,
    method: str = "auto",
    spectral_gap: bool | None = None,
    blas_threads: int | str | None = None,
) -> SteadyStateReport:
    """Steady state of -i[H, rho] + L_A[rho] + L_B[rho] = 0 (paper 1, Eq. 1), with diagnosis.

    ker L is found from the SVD of the dense generator (singular values below
    KERNEL_RTOL * ||L||_2). When dim ker L = 1 its (Hermitian, trace-normalized) element is the
    unique steady state. Otherwise ``on_degenerate="raise"`` (default) raises a
    :class:`DynamicsError` with the kernel dimension, and ``"report"`` returns a report with
    ``rho=None`` and a Hermitian basis of the kernel: no silent pick. Dense: d <= DENSE_MAX_D.
    ``jumps_A``/``jumps_B`` as in :func:`corrtherm.evolve` (local, global d x d, or Redfield).
    ``beta_A``, ``beta_B`` (and ``mu_A``, ``mu_B``) add the entropy production and the
    second-law verdict to the report (see :class:`SteadyStateReport`).

    ``method="dense"`` (default for d <= DENSE_MAX_D) is the above. ``method="krylov"`` (default
    above): the structured generator, never the d^2 x d^2 matrix; rho from preconditioned GMRES
    on the traceless operators, uniqueness from a certificate (both baths local, thermal, with
    irreducible rates: every steady state is faithful and the jumps' commutant is trivial, so
    dim ker L = 1) or from a second, random anchor (the singular-value test
    ||L[x1 - x2]|| / ||x1 - x2|| <= KERNEL_RTOL ||L|| on the two solutions; more anchors then
    span the kernel), see :mod:`corrtherm.open._krylov`. Its ``spectral_gap`` is NaN unless
    ``spectral_gap=True`` (Arnoldi, shift-invert, on the eigenvalues of smallest modulus: tens
    of solves); ``spectral_gap=False`` also skips the dense path's full eigendecomposition.
    ``blas_threads``: BLAS threads of the Krylov path (default 1, env CORRTHERM_BLAS_THREADS,
    "auto" = the library's setting; :mod:`corrtherm.core._threads`).
    """
    if on_degenerate not in ("raise", "report"):
        raise DynamicsError(f"on_degenerate: got {on_degenerate!r}; expected 'raise' or 'report'")
    if method not in ("auto", "dense", "krylov"):
        raise DynamicsError(f"method: got {method!r}; expected 'auto', 'dense' or 'krylov'")
    resolve_threads(blas_threads)  # checked on the dense path too, where it is not used
    spectral_gap = flag(spectral_gap, "spectral_gap", DynamicsError, none=True)
    model = _check_model(model)
    if method == "auto":
        method = "dense" if model.d <= DENSE_MAX_D else "krylov"
    if method == "krylov":
        from ..core._threads import blas_threads as limit
        from ._steady_krylov import _krylov_steady_state

        with limit(blas_threads):
            return _krylov_steady_state(
                model, jumps_A, jumps_B, on_degenerate, spectral_gap, (beta_A, beta_B, mu_A, mu_B)
            )
    model, bath_A, bath_B, S = _dense_generator(model, jumps_A, jumps_B, "steady_state")
    th = check_thermodynamics(
        model, beta_A, beta_B, mu_A, mu_B, _nonempty(bath_A), _nonempty(bath_B)
    )
    d = model.d
    _, sv, vh = np.linalg.svd(S)
    tol = KERNEL_RTOL * max(float(sv[0]), 1e-300)
    k = int(np.count_nonzero(sv <= tol))
    kernel = vh[sv.size - k :].conj().T if k else np.zeros((d * d, 0), dtype=complex)
    basis = _hermitian_span(kernel, d, k) if k else np.zeros((0, d, d), dtype=complex)
    gap = float("nan")
    if spectral_gap is None or spectral_gap:
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
    extra = steady_state_production(model, rho, bath_A, bath_B, th)
    p_min = float(np.linalg.eigvalsh(rho)[0])
    warn_if_not_positive(p_min, stacklevel=2)
    return SteadyStateReport(rho, 1, basis, gap, res, p_min, **extra)
