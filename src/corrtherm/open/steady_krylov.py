"""The large-d path of :func:`corrtherm.open.steady.steady_state`: Krylov, never d^2 x d^2.

The generator comes from :func:`structured_generator`; if it offers ``krylov_problem()``
(:class:`corrtherm.open.generator.LocalGenerator`: sector storage, preconditioner, uniqueness
certificate) that is used, otherwise :func:`corrtherm.open._problems.generic_problem` wraps its
``rhs`` on d x d matrices. The solver itself is :mod:`corrtherm.open._krylov`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import DynamicsError
from ..core.model import Bipartite
from ..core.trajectory import _hermitize
from ._krylov import smallest_eigenvalues, steady_states
from ._problems import KrylovSetup, generic_problem
from .dissipators import as_jumps
from .generator import LocalGenerator

#: Kernel tolerance of the anchor test (the dense path's singular-value threshold).
KERNEL_RTOL = 1e-10
#: Independent steady states collected before a degenerate kernel is reported as ">=".
MAX_KERNEL = 16
#: Eigenvalues computed for the optional spectral gap.
GAP_EIGENVALUES = 4


def structured_generator(model: Bipartite, jumps_A: np.ndarray, jumps_B: np.ndarray) -> Any:
    """The generator of the Krylov path for validated local jumps."""
    return LocalGenerator(model, jumps_A, jumps_B)


def _setup(gen: Any) -> KrylovSetup:
    if hasattr(gen, "krylov_problem"):
        return gen.krylov_problem()
    d = gen.d
    return KrylovSetup(generic_problem(gen), None, lambda x: x.reshape(d, d), None, "dense d^2")


def _orthonormal_hermitian(mats: list[np.ndarray]) -> np.ndarray:
    """Hilbert-Schmidt-orthonormal basis of the span of Hermitian matrices (Gram-Schmidt)."""
    out: list[np.ndarray] = []
    for M in mats:
        X = M.copy()
        for _ in range(2):
            for B in out:
                X -= np.vdot(B, X).real * B
        nrm = float(np.linalg.norm(X))
        if nrm > 1e-8 * float(np.linalg.norm(M)):
            out.append(X / nrm)
    return np.array(out)


def _krylov_steady_state(model, jumps_A, jumps_B, on_degenerate: str, spectral_gap):
    from .steady import SteadyStateReport

    dA, dB = model.dims
    JA, JB = as_jumps(jumps_A, dA, "jumps_A"), as_jumps(jumps_B, dB, "jumps_B")
    gen = structured_generator(model, JA, JB)
    setup = _setup(gen)
    p = setup.problem
    sols, k, matvecs = steady_states(
        p, certified=setup.certificate is not None, kernel_rtol=KERNEL_RTOL, max_kernel=MAX_KERNEL
    )
    states = [_hermitize(gen.from_internal(setup.to_dense(s.x))) for s in sols]
    gap = float("nan")
    if spectral_gap:
        lam, _ = smallest_eigenvalues(p, k=max(GAP_EIGENVALUES, k + 2))
        rest = lam[np.abs(lam) > KERNEL_RTOL * p.scale]
        gap = float(np.min(-rest.real)) if rest.size else float("inf")
    why = (
        f"certificate: {setup.certificate}"
        if setup.certificate
        else f"{len(sols) + (k == 1)} anchors, singular-value test at {KERNEL_RTOL:g} ||L||"
    )
    how = f"krylov: GMRES on {setup.storage}, {matvecs} products; uniqueness by {why}"
    if spectral_gap:
        how += "; gap over the eigenvalues of smallest modulus (Arnoldi, shift-invert)"
    if k != 1:
        basis = _orthonormal_hermitian(states)
        if on_degenerate == "raise":
            raise DynamicsError(
                f"steady state: not unique, dim ker L {'>=' if k >= MAX_KERNEL else '='} {k} "
                f"({k} independent steady states from random anchors); pass "
                "on_degenerate='report' for a basis of them"
            )
        return SteadyStateReport(None, k, basis, gap, float("nan"), float("nan"), how)
    rho = states[0] / np.trace(states[0]).real
    s = sols[0]
    pmin = (
        float(np.min(setup.eigvalsh(s.x))) if setup.eigvalsh else float(np.linalg.eigvalsh(rho)[0])
    )
    basis = (rho / np.linalg.norm(rho))[None]
    return SteadyStateReport(rho, 1, basis, gap, s.residual, pmin, how)
