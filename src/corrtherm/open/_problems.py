"""Krylov steady-state problems (:class:`corrtherm.open._krylov.KrylovProblem`) of generators.

* :func:`local_problem`: the structured generator with two thermal sides, on sector-block
  storage (the blocks reachable from the populations, which hold every steady state when it is
  unique), preconditioned by the exact inverse of L without V
  (:mod:`corrtherm.open._precondition`).
* :func:`generic_problem`: any generator with ``d``, ``rhs`` (the exact complex-linear map on
  d x d internal-basis matrices) and optionally ``_rhs_hermitian(rho, out)`` (faster, Hermitian
  rho only) and ``superoperator_diagonal()`` (Jacobi preconditioner); storage d^2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._blocked import SectorOperator
from ._krylov import KrylovProblem, irreducible_rates
from ._precondition import LocalInverse


@dataclass(frozen=True, eq=False)
class KrylovSetup:
    """A generator's steady-state problem: the problem, the uniqueness certificate (a reason,
    or None: test with anchors), flat -> d x d internal basis, exact spectra of flat states
    (or None), and a description of the storage."""

    problem: KrylovProblem
    certificate: str | None
    to_dense: Callable[[np.ndarray], np.ndarray]
    eigvalsh: Callable[[np.ndarray], np.ndarray] | None
    storage: str
    op: SectorOperator | None = None  # the sector storage, when there is one


def _random_hermitian_state(rng, n, diag_pos, dagger) -> np.ndarray:
    """Random Hermitian flat vector with positive diagonal, trace 1 (an anchor, not
    necessarily positive semidefinite)."""
    x = 0.1 * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
    x[diag_pos] = rng.uniform(0.5, 1.5, diag_pos.size)
    x = 0.5 * (x + dagger(x))
    return x / x[diag_pos].sum().real


def local_problem(op: SectorOperator) -> tuple[KrylovProblem, LocalInverse]:
    lay = op.layout
    pre = LocalInverse(op)
    diag_pos = lay.diag[lay.diag >= 0]

    def apply(x: np.ndarray, out: np.ndarray) -> None:
        op.rhs_hermitian(x, out)

    return (
        KrylovProblem(
            n=op.n,
            apply=apply,
            exact=op.apply,
            precondition=pre.apply,
            anchor=pre.anchor,
            trace=lay.trace,
            dagger=lay.dagger,
            random_state=lambda rng: _random_hermitian_state(rng, op.n, diag_pos, lay.dagger),
            scale=pre.scale,
        ),
        pre,
    )


def generic_problem(gen: Any) -> KrylovProblem:
    d = int(gen.d)
    n = d * d
    fast = getattr(gen, "_rhs_hermitian", None)
    diag = getattr(gen, "superoperator_diagonal", None)
    D = None if diag is None else np.asarray(diag(), dtype=complex).ravel()

    def exact(x: np.ndarray) -> np.ndarray:
        return np.asarray(gen.rhs(x.reshape(d, d)), dtype=complex).ravel()

    def apply(x: np.ndarray, out: np.ndarray) -> None:
        if fast is not None:
            fast(x.reshape(d, d), out.reshape(d, d))
        else:
            out[...] = exact(x)

    def dagger(x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(x.reshape(d, d).conj().T).ravel()

    precondition = None
    if D is not None:
        scale = float(np.abs(D).max(initial=1.0))

        def precondition(y: np.ndarray, theta: complex = 0.0) -> np.ndarray:
            z = D - theta
            small = np.abs(z) <= 1e-13 * scale
            return y * np.where(small, 0.0, 1.0 / np.where(small, 1.0, z))
    else:
        # ||L|| from a few power steps on a fixed random Hermitian matrix
        rng = np.random.default_rng(0)
        x = rng.standard_normal(n) + 1j * rng.standard_normal(n)
        x = 0.5 * (x + dagger(x))
        scale = 0.0
        for _ in range(6):
            x /= np.linalg.norm(x)
            x = exact(x)
            scale = max(scale, float(np.linalg.norm(x)))
    eye = np.eye(d, dtype=complex).ravel() / d
    diag_pos = np.arange(d) * (d + 1)
    return KrylovProblem(
        n=n,
        apply=apply,
        exact=exact,
        precondition=precondition,
        anchor=eye,
        trace=lambda x: complex(np.sum(x[diag_pos])),
        dagger=dagger,
        random_state=lambda rng: _random_hermitian_state(rng, n, diag_pos, dagger),
        scale=max(scale, 1e-300),
    )


def local_setup(gen: Any) -> KrylovSetup:
    """Steady-state setup of a :class:`~corrtherm.open.generator.LocalGenerator`.

    Certificate: two thermal sides with irreducible rates (strongly connected a -> m graphs).
    The jumps sqrt(R[m, a]) |m><a| (x) 1 and 1 (x) sqrt(R_B[n, b]) |n><b| then generate
    B(H_A) (x) 1 and 1 (x) B(H_B). The support of a steady state rho is invariant under every
    jump (Tr[Q L[rho]] = 0 with Q = 1 - supp rho forces Q L_k rho^(1/2) = 0), hence everything:
    steady states are faithful. With a faithful steady state, ker L# is the commutant of
    {H, L_k, L_k^dag} (the dissipation function L#[X^dag X] - X^dag L#[X] - L#[X^dag] X =
    sum_k [L_k, X]^dag [L_k, X] has zero expectation in rho), here C 1: dim ker L = 1. The
    populations' sector blocks then hold the steady state; without the certificate the storage
    is complete (a second steady state may live in other blocks) and anchors decide.
    """
    A, B = gen._A, gen._B
    certified = bool(
        A.thermal and B.thermal and irreducible_rates(A.R.real) and irreducible_rates(B.R.real)
    )
    op = gen.sector_operator(None, structured=certified)
    if op is None:
        d = gen.d
        return KrylovSetup(generic_problem(gen), None, lambda x: x.reshape(d, d), None, "d^2")
    problem, _ = local_problem(op)
    lay = op.layout
    storage = (
        f"{len(lay.blocks)} sector blocks ({lay.stored_fraction:.1%} of d^2)"
        if len(lay.blocks) > 1
        else "one block of all d^2 entries"
    )
    reason = "irreducible thermal rates on both sides (faithful, trivial commutant)"
    return KrylovSetup(
        problem, reason if certified else None, lay.to_dense, op.eigvalsh, storage, op
    )


def superoperator_diagonal(gen: Any) -> np.ndarray:
    """L[(i j), (i j)] of a LocalGenerator in its internal basis, i = (a b), j = (a' b').

    Thermal side A: D[i, j] (energies and escape rates) plus R_A[a, a] where a = a' (the
    a -> a part of the sandwich); generic side A: -i(H_aa - H_a'a') + sum_l L_aa conj(L_a'a')
    - (K_aa + K_a'a')/2; V: -i(V_ii - V_jj). Side B alike.
    """
    dA, dB = gen.dims
    d = gen.d
    diag = gen._diag_factor().copy()
    h = np.zeros(d, dtype=complex)
    for a, b in zip(gen._VA, gen._VB):
        h += np.kron(np.diag(a), np.diag(b))
    idx = np.arange(d)
    for side, s in (("A", gen._A), ("B", gen._B)):
        loc = idx // dB if side == "A" else idx % dB
        if s.thermal:
            same = loc[:, None] == loc[None, :]
            diag += np.where(same, np.diag(s.R).real[loc][:, None], 0.0)
            continue
        h += np.diag(s.H)[loc]
        kk = np.diag(s.K)[loc]
        diag -= 0.5 * (kk[:, None] + kk[None, :])
        for L in s.jumps:
            ld = np.diag(L)[loc]
            diag += ld[:, None] * ld.conj()[None, :]
    return diag - 1j * (h[:, None] - h.conj()[None, :])
