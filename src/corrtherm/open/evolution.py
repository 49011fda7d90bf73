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

from ..core._validate import density_matrix
from ..core.errors import DynamicsError
from ..core.model import Bipartite
from ..core.trajectory import _check_alpha, _check_model, _check_times
from ._assemble import ENTROPIC_MAX_D
from .dissipators import as_jumps
from .exact import _evolve_exact
from .ode import _evolve_ode

__all__ = ["evolve"]

#: ``method="auto"`` uses the exact propagator up to this total dimension, the ODE above it.
EXACT_AUTO_MAX_D = 16
#: Largest d for which ``method="exact"`` (a dense d^2 x d^2 generator) is allowed at all.
EXACT_MAX_D = 48


def _check_tolerances(rtol: float, atol: float) -> tuple[float, float]:
    try:
        r, a = float(rtol), float(atol)
    except (TypeError, ValueError):
        raise DynamicsError(f"rtol, atol: got {rtol!r}, {atol!r}; expected real numbers") from None
    if not (np.isfinite(r) and 1e-13 <= r < 1):
        raise DynamicsError(f"rtol: got {rtol!r}; expected 1e-13 <= rtol < 1")
    if not (np.isfinite(a) and 0 < a < 1):
        raise DynamicsError(f"atol: got {atol!r}; expected 0 < atol < 1")
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
) -> xr.Dataset:
    """Open GKLS evolution d rho/dt = -i[H, rho] + L_A[rho] + L_B[rho] (paper 1, Eqs. 1-2) with
    the time-resolved, correlation-resolved energy ledger.

    ``jumps_A``, ``jumps_B``: local jump operators (d_A x d_A, d_B x d_B; rates folded in), e.g.
    from :func:`~corrtherm.open.thermal.thermal_jumps`. ``times[0]`` is the time of ``rho0``.

    Methods: "exact" diagonalizes the d^2 x d^2 generator once (falls back to exact matrix
    exponentials of the time steps if it is defective), so every save time, however late, is
    exact to round-off and the heats are integrated analytically; "ode" never builds the
    superoperator and integrates the structured generator of :mod:`~corrtherm.open.generator` with an
    adaptive 8th-order Runge-Kutta method at (rtol, atol), heats carried as extra ODE
    components; "auto" picks "exact" for d <= EXACT_AUTO_MAX_D.

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
    """
    model = _check_model(model)
    a = _check_alpha(alpha_A)
    t = _check_times(times)
    r_tol, a_tol = _check_tolerances(rtol, atol)
    dA, dB = model.dims
    d = model.d
    rho = density_matrix(rho0, "rho0", d)
    JA = as_jumps(jumps_A, dA, "jumps_A")
    JB = as_jumps(jumps_B, dB, "jumps_B")
    if method not in ("auto", "exact", "ode"):
        raise DynamicsError(f"method: got {method!r}; expected 'auto', 'exact' or 'ode'")
    if method == "auto":
        method = "exact" if d <= EXACT_AUTO_MAX_D else "ode"
    if method == "exact" and d > EXACT_MAX_D:
        raise DynamicsError(
            f"method: 'exact' builds a dense d^2 x d^2 = {d * d} x {d * d} generator; allowed up "
            f"to d = {EXACT_MAX_D}. Use method='ode' (or 'auto') for d = {d}"
        )
    # the split needs a full eigendecomposition of rho at every save (and the exact branch
    # refines the grid): on by default only where that is cheap next to the evolution
    entropic = d <= ENTROPIC_MAX_D if entropic_split is None else bool(entropic_split)
    if method == "exact":
        return _evolve_exact(model, rho, t, JA, JB, a, store_states, entropic)
    return _evolve_ode(model, rho, t, JA, JB, a, store_states, entropic, r_tol, a_tol, progress)
