"""Steady states of large generators without the d^2 x d^2 matrix: preconditioned Krylov solves.

L[rho] = 0 with Tr rho = 1 is solved as rho = rho_a + x with an anchor state rho_a (Tr = 1) and
x traceless: L[x] = -L[rho_a]. Every L[.] is traceless (trace preservation), so this is a
square system on the traceless Hermitian operators, nonsingular exactly when the steady state
is unique. It is solved by right-preconditioned GMRES, L P^{-1} u = -L[rho_a], x = P^{-1} u,
in real arithmetic on the flat storage (L is real-linear on Hermitian matrices). P is the
generator's optional preconditioner (:mod:`corrtherm.open._precondition`: the exact inverse of
L without the coupling V, which maps traceless to traceless), else none.

Uniqueness without the kernel dimension of a d^2 x d^2 matrix:

* a certificate where the structure gives one (:func:`irreducible_rates`), or
* two anchors: the solution is rho = Pi rho_a with Pi the (oblique) projection onto ker L along
  P^{-1} ran L, linear in the anchor. If dim ker L = 1 every anchor gives the same state; if
  not, a random anchor gives a different one, and x1 - x2 is then a second kernel element:
  sigma = ||L[x1 - x2]|| / ||x1 - x2|| is the singular-value test of the dense path
  (sigma <= KERNEL_RTOL ||L|| means degenerate). Random anchors are added until the span of
  the solutions stops growing: a basis of the steady states.

The spectral gap (optional, :func:`smallest_eigenvalues`): the eigenvalues of smallest modulus
by Arnoldi (ARPACK) on the shift-inverted (L - s)^{-1}, s > 0 (never an eigenvalue of a GKLS
generator), each inverse applied by the same preconditioned GMRES.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..core.errors import DynamicsError

#: Relative residual of the GMRES steady-state solve.
STEADY_RTOL = 1e-12
#: GMRES restart length (Krylov vectors kept) and the cap on restart cycles.
RESTART = 40
MAX_CYCLES = 60
#: Bytes the GMRES basis may use: the restart length shrinks (not below 10) to fit.
GMRES_MEMORY_BUDGET = 2**30


@dataclass
class KrylovProblem:
    """What the steady-state solver needs from a generator, on flat complex vectors of length n.

    apply(x, out): out = L[x] for Hermitian x (may be real-linear only);
    exact(x): L[x] for any x (complex-linear), used for residuals and eigenvalues;
    precondition(y, theta): approximately (L - theta)^{-1} y on traceless y, or None;
    anchor: a state (Tr = 1); trace(x); dagger(x) -> x^dag; random_state(rng) -> a state;
    scale: a magnitude of ||L|| (relative tolerances).
    """

    n: int
    apply: Callable[[np.ndarray, np.ndarray], object]
    exact: Callable[[np.ndarray], np.ndarray]
    precondition: Callable[..., np.ndarray] | None
    anchor: np.ndarray
    trace: Callable[[np.ndarray], complex]
    dagger: Callable[[np.ndarray], np.ndarray]
    random_state: Callable[[np.random.Generator], np.ndarray]
    scale: float


@dataclass
class Solve:
    x: np.ndarray  # the steady state (flat, Hermitian, trace 1)
    residual: float  # ||L[x]||_F
    matvecs: int
    converged: bool


def _hermitian(p: KrylovProblem, x: np.ndarray) -> np.ndarray:
    return 0.5 * (x + p.dagger(x))


def gmres_solve(
    p: KrylovProblem,
    b: np.ndarray,
    *,
    theta: float = 0.0,
    rtol: float = STEADY_RTOL,
    restart: int = RESTART,
    max_cycles: int = MAX_CYCLES,
) -> tuple[np.ndarray, int, bool]:
    """x with (L - theta) x = b for Hermitian b, by right-preconditioned GMRES (real view)."""
    from scipy.sparse.linalg import LinearOperator, gmres

    n = p.n
    restart = max(10, min(restart, int(GMRES_MEMORY_BUDGET // (16 * n))))
    count = [0]
    out = np.empty(n, dtype=complex)

    def precond(u: np.ndarray) -> np.ndarray:
        y = u.view(complex)
        return y.copy() if p.precondition is None else p.precondition(y, theta)

    def matvec(u: np.ndarray) -> np.ndarray:
        count[0] += 1
        x = precond(u)
        p.apply(x, out)
        if theta:
            out[...] -= theta * x
        return out.view(np.float64).copy()

    op = LinearOperator((2 * n, 2 * n), matvec=matvec, dtype=np.float64)
    bf = np.ascontiguousarray(b).view(np.float64)
    if not np.any(bf):
        return np.zeros(n, dtype=complex), 0, True
    u, info = gmres(op, bf, rtol=rtol, atol=0.0, restart=restart, maxiter=max_cycles)
    return precond(u), count[0], info == 0


def solve_steady(p: KrylovProblem, anchor: np.ndarray | None = None, **kw) -> Solve:
    """rho = anchor + x, L[x] = -L[anchor], x traceless (module docstring)."""
    a = p.anchor if anchor is None else anchor
    La = np.empty(p.n, dtype=complex)
    p.apply(a, La)
    x, count, ok = gmres_solve(p, -La, **kw)
    rho = _hermitian(p, a + x)
    rho /= p.trace(rho).real
    res = float(np.linalg.norm(p.exact(rho)))
    # GMRES's criterion is relative to ||L[anchor]||, which vanishes when the anchor is already
    # (nearly) steady; the true residual against ||L|| is what the caller needs
    ok = ok or res <= STEADY_RTOL * p.scale
    return Solve(rho, res, count + 1, ok)


def irreducible_rates(R: np.ndarray, rtol: float = 1e-12) -> bool:
    """True if the directed graph a -> m of the rates R[m, a] > rtol max R is strongly
    connected (or the side has one level): then the jumps sqrt(R[m, a]) |m><a| generate the
    full matrix algebra of that side."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    d = R.shape[0]
    if d == 1:
        return True
    off = R - np.diag(np.diag(R))
    edges = off > rtol * max(float(off.max(initial=0.0)), 1e-300)
    if not edges.any():
        return False
    n, _ = connected_components(csr_matrix(edges.T), directed=True, connection="strong")
    return n == 1


def steady_states(
    p: KrylovProblem,
    *,
    certified: bool,
    kernel_rtol: float,
    seed: int = 1,
    max_kernel: int = 16,
) -> tuple[list[Solve], int, int]:
    """The steady state(s): [unique state] with kernel dimension 1, or a list of states
    spanning ker L (module docstring), and the number of operator products used. Raises
    DynamicsError if GMRES does not converge."""
    first = solve_steady(p)
    if not first.converged:
        raise DynamicsError(
            f"steady state: GMRES did not reach the residual {STEADY_RTOL:g} in "
            f"{first.matvecs} products (||L[rho]|| = {first.residual:.3g}); the steady state "
            "may be degenerate or the relaxation extremely slow"
        )
    if certified:
        return [first], 1, first.matvecs
    rng = np.random.default_rng(seed)
    sols = [first]
    products = first.matvecs
    basis = [first.x / np.linalg.norm(first.x)]
    while len(sols) < max_kernel:
        s = solve_steady(p, anchor=p.random_state(rng))
        products += s.matvecs
        diff = s.x - first.x
        nd = float(np.linalg.norm(diff))
        sigma = float(np.linalg.norm(p.exact(diff))) / nd if nd else np.inf
        if not s.converged or sigma > kernel_rtol * p.scale:
            if len(sols) == 1 and not s.converged:
                continue  # a stagnating second solve alone decides nothing: try another anchor
            break
        # a new kernel direction only if s.x is not (numerically) in the span so far
        r = s.x.copy()
        for v in basis:
            r -= np.vdot(v, r) * v
        if float(np.linalg.norm(r)) <= 1e-6 * float(np.linalg.norm(s.x)):
            break
        basis.append(r / np.linalg.norm(r))
        sols.append(s)
    return sols, len(sols), products


def smallest_eigenvalues(
    p: KrylovProblem, k: int = 4, shift: float | None = None, rtol: float = 1e-8
) -> tuple[np.ndarray, int]:
    """The k eigenvalues of L of smallest modulus (ARPACK on the shift-inverted operator in
    real arithmetic: Hermitian parts through (L - s)^{-1}, anti-Hermitian parts mapped to a far
    eigenvalue -scale so they never mix in). Returns (eigenvalues, inner products)."""
    from scipy.sparse.linalg import LinearOperator, eigs

    n = p.n
    s = 1e-3 * p.scale if shift is None else shift
    far = -p.scale
    total = [0]

    def opinv(u: np.ndarray) -> np.ndarray:
        y = u.view(complex)
        h = _hermitian(p, y)
        x, count, _ = gmres_solve(p, h, theta=s, rtol=rtol)
        total[0] += count
        x = _hermitian(p, x) + (y - h) / (far - s)
        return x.view(np.float64).copy()

    op = LinearOperator((2 * n, 2 * n), matvec=opinv, dtype=np.float64)
    nu = eigs(op, k=min(k, 2 * n - 2), which="LM", tol=rtol, return_eigenvectors=False)
    lam = s + 1.0 / nu
    return lam[np.argsort(np.abs(lam))], total[0]
