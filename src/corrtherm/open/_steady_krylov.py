"""The large-d path of :func:`corrtherm.open.steady.steady_state`: Krylov, never d^2 x d^2.

The generator comes from :func:`~corrtherm.open.full_generator.open_generator` (local baths:
LocalGenerator; global, Davies or Redfield baths: FullGenerator). If it offers ``krylov_problem()``
(:class:`corrtherm.open.generator.LocalGenerator`: sector storage, preconditioner, uniqueness
certificate) that is used, otherwise :func:`corrtherm.open._problems.generic_problem` wraps its
``rhs`` on d x d internal-basis matrices (with ``superoperator_diagonal()`` as a Jacobi
preconditioner if the generator has it). The solver itself is :mod:`corrtherm.open._krylov`.
The report's currents and entropy production are those of
:func:`corrtherm.open.entropy_production.steady_state_production`, computed from the structured
dissipators (the dense jump-by-jump ones would cost O(K d^2 d_X)).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import DynamicsError
from ..core.trajectory import _hermitize
from ._krylov import smallest_eigenvalues, steady_states
from ._problems import KrylovSetup, generic_problem
from .baths import as_bath
from .entropy_production import (
    _currents,
    _nonempty,
    check_thermodynamics,
    steady_production_from_currents,
    warn_if_not_positive,
)
from .full_generator import open_generator
from .generator import LocalGenerator

#: Kernel tolerance of the anchor test (the dense path's singular-value threshold).
KERNEL_RTOL = 1e-10
#: Independent steady states collected before a degenerate kernel is reported as ">=".
MAX_KERNEL = 16
#: Eigenvalues computed for the optional spectral gap.
GAP_EIGENVALUES = 4


def _local_currents(gen: LocalGenerator, setup: KrylovSetup, x: np.ndarray) -> dict:
    """J_X, J_X_local, I_X, I_X_local of paper 1 / issue 12 from the sector storage: J_X =
    Tr[h_X rho] (heat vectors), the local ones from the marginals of D_X = L_X[rho]:
    Tr[(H_A (x) 1) D] = Tr[H_A' Tr_B D] (internal basis, H_A' diagonal), Tr[N D] likewise."""
    op = setup.op
    m = gen._orig
    eA, eB = np.diag(gen._A.H).real, np.diag(gen._B.H).real
    NA = None if m.N_A is None else gen.W_A.conj().T @ m.N_A @ gen.W_A
    NB = None if m.N_B is None else gen.W_B.conj().T @ m.N_B @ gen.W_B
    hA, hB = op.heat()
    out = {"J_A": np.vdot(hA, x).real, "J_B": np.vdot(hB, x).real}
    for X in ("A", "B"):
        rA, rB = op.marginals(op.dissipator(X, x))
        own = (eA, rA) if X == "A" else (eB, rB)
        out[f"J_{X}_local"] = float(np.sum(own[0] * np.diag(own[1]).real))
        if m.has_numbers:
            tA, tB = float(np.vdot(NA.conj(), rA).real), float(np.vdot(NB.conj(), rB).real)
            out[f"I_{X}"] = tA + tB
            out[f"I_{X}_local"] = tA if X == "A" else tB
        else:
            out[f"I_{X}"] = out[f"I_{X}_local"] = 0.0
    return {k: np.array([v]) for k, v in out.items()}


def _production(model, gen, setup, x, rho_int, bath_A, bath_B, th) -> dict[str, Any]:
    """The fields of :func:`corrtherm.open.entropy_production.steady_state_production`."""
    if setup.op is not None:
        c = _local_currents(gen, setup, x)
    else:
        DA = gen.from_internal(gen.dissipator_A(rho_int))[None]
        DB = gen.from_internal(gen.dissipator_B(rho_int))[None]
        c = _currents(model, DA, DB)
    return steady_production_from_currents(model, c, bath_A, bath_B, th)


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


def _krylov_steady_state(model, jumps_A, jumps_B, on_degenerate: str, spectral_gap, thermo):
    from .steady import SteadyStateReport

    bath_A = as_bath(jumps_A, model, "A", "jumps_A")
    bath_B = as_bath(jumps_B, model, "B", "jumps_B")
    th = check_thermodynamics(model, *thermo, _nonempty(bath_A), _nonempty(bath_B))
    gen = open_generator(model, bath_A, bath_B)
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
        return SteadyStateReport(None, k, basis, gap, float("nan"), float("nan"), method=how)
    rho = states[0] / np.trace(states[0]).real
    s = sols[0]
    pmin = (
        float(np.min(setup.eigvalsh(s.x))) if setup.eigvalsh else float(np.linalg.eigvalsh(rho)[0])
    )
    warn_if_not_positive(pmin, stacklevel=3)
    extra = _production(model, gen, setup, s.x, setup.to_dense(s.x), bath_A, bath_B, th)
    basis = (rho / np.linalg.norm(rho))[None]
    return SteadyStateReport(rho, 1, basis, gap, s.residual, pmin, **extra, method=how)
