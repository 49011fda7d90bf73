"""Open GKLS evolution with the time-resolved, correlation-resolved energy ledger (paper 1).

d rho/dt = -i[H, rho] + L_A[rho] + L_B[rho] (paper 1, Eq. 1) with local dissipators (Eq. 2).
:func:`evolve` validates the input and dispatches to the exact spectral propagator
(:mod:`corrtherm.open.exact`, small d) or the structured ODE driver (:mod:`corrtherm.open.ode`,
large d); both hand their states to the shared ledger of :mod:`corrtherm.core.trajectory` and
finish here, in :func:`_finish`, which adds the heat currents J_X = Tr[H L_X[rho]] (positive into
the system), their time integrals Q_X and the Remark's entropy-based heat/work split.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from ..core._threads import resolve as resolve_threads
from ..core._validate import density_matrix, finite_real, flag
from ..core.errors import DynamicsError
from ..core.limits import COMPLEX_BYTES, require_memory
from ..core.model import Bipartite
from ..core.trajectory import _check_alpha, _check_model, _check_time_span, _check_times
from ._assemble import ENTROPIC_MAX_D
from ._guard import max_ode_steps
from ._kernels import BlockSpectrum
from .baths import approach_of, as_bath, is_local
from .entropy_production import (
    SIGMA_FLOOR,
    ProductionLedger,
    check_thermodynamics,
    flux_floor,
)
from .exact import _evolve_exact
from .generator import DOP853_MEMORY_BUDGET
from .ode import _evolve_ode
from .redfield import RedfieldBath

__all__ = ["evolve"]

#: The solvers of :func:`evolve`.
METHODS = ("auto", "exact", "ode")
#: ``method="auto"`` uses the exact propagator up to this total dimension, the ODE above it.
EXACT_AUTO_MAX_D = 16
#: Largest d for which ``method="exact"`` (a dense d^2 x d^2 generator) is allowed at all.
EXACT_MAX_D = 48


#: Smallest relative tolerance of the ODE driver: ~500 ulps of float64.
RTOL_MIN = 1e-13
#: Smallest absolute tolerance: states have unit trace, so entries are O(1) and float64 resolves
#: them to eps ~ 2.2e-16; an atol far below that (1e-25 measured: 1000x more steps, then a stall)
#: asks the solver for digits that round-off in the right-hand side keeps destroying.
ATOL_MIN = 1e-18


def solver_bytes(d: int, method: str) -> int:
    """Working memory of a solver at dimension d: "exact" holds the d^2 x d^2 generator, its
    eigenvectors and their inverse (3 dense d^4 complex arrays); "ode" at most 21 stored
    vectors of d^2 complex entries (DOP853: 13 stages, 3 work vectors, the right-hand side's
    ~5) while that fits in DOP853_MEMORY_BUDGET, else 9 (the 4-vector CK45 and the same
    right-hand side work): an upper bound, since sector storage keeps only part of d^2."""
    if method == "exact":
        return 3 * COMPLEX_BYTES * d**4
    dop853 = 21 * COMPLEX_BYTES * d * d
    return dop853 if dop853 <= DOP853_MEMORY_BUDGET else 9 * COMPLEX_BYTES * d * d


def _check_tolerances(rtol: float, atol: float) -> tuple[float, float]:
    r = finite_real(rtol, "rtol", DynamicsError, f"a real number {RTOL_MIN:g} <= rtol < 1")
    a = finite_real(atol, "atol", DynamicsError, f"a real number {ATOL_MIN:g} <= atol < 1")
    if not (np.isfinite(r) and RTOL_MIN <= r < 1):
        raise DynamicsError(f"rtol: got {rtol!r}; expected {RTOL_MIN:g} <= rtol < 1")
    if not (np.isfinite(a) and ATOL_MIN <= a < 1):
        raise DynamicsError(
            f"atol: got {atol!r}; expected {ATOL_MIN:g} <= atol < 1 (smaller absolute errors "
            "are below double-precision resolution at the state's scale, Tr rho = 1)"
        )
    return r, a


def evolve(
    model: Bipartite,
    rho0: Any,
    times: Any,
    jumps_A: Any = (),
    jumps_B: Any = (),
    *,
    alpha_A: float = 0.5,
    method: str = "auto",
    rtol: float = 1e-8,
    atol: float = 1e-10,
    store_states: bool = False,
    progress: bool = False,
    entropic_split: bool | None = None,
    beta_A: float | None = None,
    beta_B: float | None = None,
    mu_A: float | None = None,
    mu_B: float | None = None,
    blas_threads: int | str | None = None,
) -> xr.Dataset:
    """Open GKLS evolution d rho/dt = -i[H, rho] + L_A[rho] + L_B[rho] (paper 1, Eqs. 1-2) with
    the time-resolved, correlation-resolved energy ledger.

    ``jumps_A``, ``jumps_B``: each bath's dissipator, as local jump operators (d_A x d_A,
    d_B x d_B; rates folded in), e.g. from :func:`~corrtherm.open.thermal.thermal_jumps`
    (paper 1's local approach), as global jump operators on the whole space (d x d), e.g. from
    :func:`~corrtherm.open.davies.davies_jumps`, as a :class:`~corrtherm.open.davies.DaviesBath`
    (global approach, sparse) or as a :class:`~corrtherm.open.redfield.RedfieldBath`
    (Bloch-Redfield). ``times[0]`` is the time of ``rho0``.

    Methods: "exact" diagonalizes the d^2 x d^2 generator once (falls back to exact matrix
    exponentials of the time steps if it is defective), so every save time, however late, is
    exact to round-off and the heats are integrated analytically; "ode" never builds the
    superoperator and integrates the structured generator of :mod:`~corrtherm.open.generator`
    (with two thermal baths: on the symmetry-sector blocks of rho that the dynamics reaches)
    with an adaptive 8th-order Runge-Kutta method at (rtol, atol) (the 4-vector, 4th-order CK45
    when DOP853's storage would exceed 2 GB), heats carried as extra ODE components; "auto"
    picks "exact" for d <= EXACT_AUTO_MAX_D. ``blas_threads``: BLAS threads inside the ODE loop
    (default 1, or the environment variable CORRTHERM_BLAS_THREADS; "auto" keeps the
    library's setting), see :mod:`corrtherm.core._threads`.

    Variables (over ``time``) of :func:`trajectory_ledger`, plus
    J_X = Tr[H L_X[rho]] = Tr[L#_X[H] rho] (Eq. 11; positive = heat into the system),
    Q_X(t) = int_{t0}^t J_X ds, and the Remark's entropy-based split of U(t) - U(t0):
    Q_entropic = int sum_k (dp_k/dt) <k|H|k> dt (eigenvalue changes), W_entropic = the rest
    (eigenvector changes; H is constant). The conventional definition dQ = Tr[d rho H] makes
    all of U(t) - U(t0) = Q_A + Q_B heat. The entropic heat rate is exact at each save time;
    its time integral is composite Simpson, on a grid the exact branch refines until two levels
    agree to ENTROPIC_TOL, and on the save grid refined ENTROPIC_ODE_REFINE-fold (dense output)
    for "ode"; a RuntimeWarning asks for more save times when the error estimate
    attrs["entropic_quadrature_error"] exceeds ENTROPIC_WARN (relative). ``entropic_split=None``
    computes it for d <= ENTROPIC_MAX_D and skips it (NaN) above: it needs a full
    eigendecomposition of rho at every save time, which would dominate the cost at large d;
    True or False forces it on or off.
    attrs: kind="open", method, rtol, atol, n_rhs, n_steps, residual_energy_balance =
    max_t |U(t) - U(t0) - Q_A(t) - Q_B(t)|, residual_ledger, entropic_split,
    entropic_quadrature_error.

    Entropy production (with ``beta_A``/``beta_B``, required for each side that has a bath;
    ``mu_A``/``mu_B`` need number operators; see :mod:`corrtherm.open.entropy_production`):
    sigma = dS/dt - sum_X beta_X (J_X - mu_X I_X) (>= 0 for global baths, Spohn 1978),
    Sigma(t) = Delta S - sum_X beta_X (Q_X - mu_X N_X), J_X_local = Tr[H_X L_X[rho]],
    sigma_local (>= 0 for local baths: the local accounting, Tr[V L_X[rho]] booked as work),
    min_eigenvalue of rho(t); with chemical potentials also I_X = Tr[N L_X[rho]] and N_X(t)
    (``N_in_A``, ``N_in_B``: integrated exactly by "exact", by Simpson on the save grid by
    "ode"). attrs second_law / second_law_local = "holds" or "violated: min sigma = ... at
    t = ..." (a violation also warns), positivity. A Redfield bath always gets min_eigenvalue
    and the positivity attr (negative eigenvalues warn: Redfield is not completely positive).
    """
    model = _check_model(model)
    # the settings of the ODE path are checked on every path: a bad value (argument or
    # environment) fails the small exact runs too, not only the first large one
    resolve_threads(blas_threads)
    max_ode_steps()
    a = _check_alpha(alpha_A)
    t = _check_times(times)
    _check_time_span(t, model)
    r_tol, a_tol = _check_tolerances(rtol, atol)
    dA, dB = model.dims
    d = model.d
    # positivity of a large rho0 from its symmetry blocks (exact within 1e-12, Weyl), not one
    # dense d x d eigendecomposition (30-60 s and 1 GB at d = 4096)
    rho = density_matrix(rho0, "rho0", d, eigvalsh=_block_eigvalsh if d > 256 else None)
    bath_A = as_bath(jumps_A, model, "A", "jumps_A")
    bath_B = as_bath(jumps_B, model, "B", "jumps_B")
    th = check_thermodynamics(model, beta_A, beta_B, mu_A, mu_B, _has(bath_A), _has(bath_B))
    redfield = isinstance(bath_A, RedfieldBath) or isinstance(bath_B, RedfieldBath)
    if th is None and redfield:
        # positivity is monitored along every Redfield trajectory; sigma needs betas
        th = {
            "beta_A": 0.0,
            "beta_B": 0.0,
            "mu_A": 0.0,
            "mu_B": 0.0,
            "particles": 0.0,
            "rates_only": 1.0,
        }
    if is_local(bath_A) and is_local(bath_B):
        JA, JB = bath_A.jumps, bath_B.jumps  # paper 1: the structured local paths
    else:
        JA, JB = bath_A, bath_B
    if not isinstance(method, str) or method not in METHODS:
        raise DynamicsError(f"method: got {method!r}; expected 'auto', 'exact' or 'ode'")
    if method == "auto":
        method = "exact" if d <= EXACT_AUTO_MAX_D else "ode"
    if method == "exact" and d > EXACT_MAX_D:
        raise DynamicsError(
            f"method: 'exact' builds a dense d^2 x d^2 = {d * d} x {d * d} generator; allowed up "
            f"to d = {EXACT_MAX_D}. Use method='ode' (or 'auto') for d = {d}"
        )
    require_memory(
        solver_bytes(d, method),
        f"method {method!r} at d = {d}: "
        + (
            "the dense d^2 x d^2 generator and its eigenvectors"
            if method == "exact"
            else "the ODE solver's stored vectors (at most 21 d x d arrays, 9 above 2 GB)"
        ),
        "use a smaller model" + (" or method='ode'" if method == "exact" else ""),
    )
    # the split needs a full eigendecomposition of rho at every save (and the exact branch
    # refines the grid): on by default only where that is cheap next to the evolution
    entropic_split = flag(entropic_split, "entropic_split", DynamicsError, none=True)
    store_states = flag(store_states, "store_states", DynamicsError)
    progress = flag(progress, "progress", DynamicsError)
    entropic = d <= ENTROPIC_MAX_D if entropic_split is None else entropic_split
    if th is not None:
        th["approach"] = approach_of(bath_A, bath_B)
        # sigma's noise floor: round-off (exact) or the integrator's tolerance (ode)
        rel = SIGMA_FLOOR if method == "exact" else max(SIGMA_FLOOR, r_tol)
        th["floor"] = flux_floor(model, bath_A, bath_B, th, rel)
    prod = None if th is None else ProductionLedger(model, t.size, th)
    if method == "exact":
        return _evolve_exact(model, rho, t, JA, JB, a, store_states, entropic, prod)
    # hand the validated rho0 and jump stacks over: the ODE path needs them only to build the
    # generator and its initial state, and holding them through the solve cost 0.8 GB at d = 4096
    inputs = [rho, JA, JB]
    del rho, JA, JB, bath_A, bath_B
    return _evolve_ode(
        model,
        inputs,
        t,
        a,
        store_states,
        entropic,
        r_tol,
        a_tol,
        progress,
        prod,
        blas_threads=blas_threads,
    )


def _block_eigvalsh(rho: np.ndarray) -> np.ndarray:
    return BlockSpectrum().eigvalsh(rho)[0]


def _has(bath) -> bool:
    return isinstance(bath, RedfieldBath) or len(bath) > 0
