"""Steady states of the open dynamics with a uniqueness diagnosis (paper 1, Eq. 1).

Two paths behind one call, chosen by size: for d <= DENSE_MAX_D the SVD of the dense
d^2 x d^2 generator (kernel dimension, Hermitian kernel basis, every eigenvalue for the gap);
above, the structured generator of :mod:`corrtherm.open.generator` with a preconditioned Krylov
solve that never builds that matrix (:mod:`corrtherm.open._krylov`), uniqueness from a
structural certificate or from independent anchors, the gap optionally by Arnoldi.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import DynamicsError
from ..core.model import Bipartite
from ..core.trajectory import _check_model, _hermitize
from .dissipators import as_jumps, lindblad_superoperator

__all__ = ["steady_state", "SteadyStateReport"]

#: Singular values of the generator below KERNEL_RTOL * ||L||_2 span its kernel.
KERNEL_RTOL = 1e-10
#: Largest d for the dense d^2 x d^2 linear algebra of steady states and invariant subspaces.
DENSE_MAX_D = 32


@dataclass(frozen=True, eq=False)
class SteadyStateReport:
    """Steady state(s) of d rho/dt = L[rho] (paper 1, Eq. 1) with a uniqueness diagnosis.

    rho: the unique steady state (None if not unique); kernel_dimension: dim ker L;
    kernel_basis: Hermitian, Hilbert-Schmidt-orthonormal basis of ker L, shape (k, d, d);
    spectral_gap: min over nonzero eigenvalues of -Re(lambda) (relaxation rate; inf if none);
    residual: ||L[rho]||_F of the returned state (NaN if not unique);
    min_eigenvalue: smallest eigenvalue of rho (>= -1e-10 for a valid state);
    method: how it was computed and how uniqueness was established (the Krylov path's
    spectral_gap is NaN unless requested, and then taken over the few eigenvalues of smallest
    modulus, an upper bound of the dense definition).
    """

    rho: np.ndarray | None
    kernel_dimension: int
    kernel_basis: np.ndarray
    spectral_gap: float
    residual: float
    min_eigenvalue: float
    method: str = "dense"

    @property
    def unique(self) -> bool:
        return self.kernel_dimension == 1

    def __str__(self) -> str:
        d = self.kernel_basis.shape[-1]
        head = (
            f"steady state (d = {d}): unique, ||L[rho]|| = {self.residual:.2e}, "
            f"min eigenvalue {self.min_eigenvalue:.3e}"
            if self.unique
            else f"steady states (d = {d}): NOT unique, dim ker L = {self.kernel_dimension}"
        )
        gap = (
            "spectral gap: not computed (pass spectral_gap=True)"
            if np.isnan(self.spectral_gap)
            else f"spectral gap {self.spectral_gap:.6g}"
        )
        return f"{head}\n  {gap}\n  method: {self.method}"

    def _repr_html_(self) -> str:
        import html

        return "<pre>" + html.escape(str(self)) + "</pre>"


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
    model: Bipartite,
    jumps_A: Any = (),
    jumps_B: Any = (),
    *,
    on_degenerate: str = "raise",
    method: str = "auto",
    spectral_gap: bool | None = None,
    blas_threads: int | str | None = None,
) -> SteadyStateReport:
    """Steady state of -i[H, rho] + L_A[rho] + L_B[rho] = 0 (paper 1, Eq. 1), with diagnosis.

    ``method="dense"`` (default for d <= DENSE_MAX_D): ker L from the SVD of the dense
    generator (singular values below KERNEL_RTOL * ||L||_2), every eigenvalue for the gap.
    ``method="krylov"`` (default above): the structured generator, never the d^2 x d^2 matrix;
    rho from preconditioned GMRES on the traceless operators, uniqueness from a certificate
    (both baths thermal with irreducible rates: every steady state is faithful and the jumps'
    commutant is trivial, so dim ker L = 1) or from a second, random anchor (the singular-value
    test sigma = ||L[x1 - x2]|| / ||x1 - x2|| <= KERNEL_RTOL ||L|| on the two solutions; more
    anchors then span the kernel), see :mod:`corrtherm.open._krylov`. Its ``spectral_gap`` is
    NaN unless ``spectral_gap=True`` (Arnoldi, shift-invert, on the eigenvalues of smallest
    modulus: tens of solves). ``blas_threads``: BLAS threads of the Krylov path (default 1, env
    CORRTHERM_BLAS_THREADS, "auto" = the library's setting; :mod:`corrtherm.core._threads`).

    When dim ker L = 1 its (Hermitian, trace-normalized) element is the unique steady state.
    Otherwise ``on_degenerate="raise"`` (default) raises a :class:`DynamicsError` with the
    kernel dimension, and ``"report"`` returns a report with ``rho=None`` and a Hermitian basis
    of the kernel: no silent pick.
    """
    if on_degenerate not in ("raise", "report"):
        raise DynamicsError(f"on_degenerate: got {on_degenerate!r}; expected 'raise' or 'report'")
    if method not in ("auto", "dense", "krylov"):
        raise DynamicsError(f"method: got {method!r}; expected 'auto', 'dense' or 'krylov'")
    model = _check_model(model)
    if method == "auto":
        method = "dense" if model.d <= DENSE_MAX_D else "krylov"
    if method == "krylov":
        from ..core._threads import blas_threads as limit
        from .steady_krylov import _krylov_steady_state

        with limit(blas_threads):
            return _krylov_steady_state(model, jumps_A, jumps_B, on_degenerate, spectral_gap)
    model, _, _, S = _dense_generator(model, jumps_A, jumps_B, "steady_state")
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
    how = "dense: SVD of the d^2 x d^2 generator"
    if k != 1:
        if on_degenerate == "raise" or k == 0:
            raise DynamicsError(
                f"steady state: not unique, dim ker L = {k} (smallest singular values "
                f"{np.array2string(sv[-min(sv.size, k + 1) :], precision=3)}, tolerance "
                f"{tol:.3g}); pass on_degenerate='report' for a basis of all steady states"
            )
        return SteadyStateReport(None, k, basis, gap, float("nan"), float("nan"), how)
    X = basis[0]
    tr = np.trace(X).real
    if abs(tr) < 1e-12:
        raise DynamicsError(
            "steady state: the kernel of L is traceless (generator is not trace "
            "preserving?); expected a state"
        )
    rho = _hermitize(X / tr)
    res = float(np.linalg.norm(S @ rho.reshape(-1)))
    return SteadyStateReport(rho, 1, basis, gap, res, float(np.linalg.eigvalsh(rho)[0]), how)
