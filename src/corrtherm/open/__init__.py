"""Paper 1, *energy exchange via correlation*: open GKLS dynamics of A+B with thermal baths.

d rho/dt = -i[H, rho] + L_A[rho] + L_B[rho] (Eq. 1), each bath acting on its own part (Eq. 2).

- :mod:`~corrtherm.open.dissipators` — the GKLS dissipator, its adjoint L# (Eq. 11), the naive
  d^2 x d^2 superoperator.
- :mod:`~corrtherm.open.thermal` — thermalizing jumps between eigenstates and their rate
  families (Eqs. 12-13).
- :mod:`~corrtherm.open.evolution` — :func:`evolve`, the time-resolved correlation-resolved ledger
  with heat currents; drivers :mod:`~corrtherm.open.exact` (small d) and
  :mod:`~corrtherm.open.ode` (the structured generator of :mod:`~corrtherm.open.generator`).
- :mod:`~corrtherm.open.heat_split` — the Remark's entropy-based heat/work split.
- :mod:`~corrtherm.open.steady` — steady states with a uniqueness diagnosis.
- :mod:`~corrtherm.open.conditions` — conditions (A3), (A4) and the theorem.
- :mod:`~corrtherm.open.invariant` — the special states: correlations evolving in themselves.
"""

from .conditions import ConditionsReport, check_conditions
from .dissipators import adjoint_dissipator, as_jumps, dissipator, lindblad_superoperator
from .evolution import evolve
from .generator import LocalGenerator
from .invariant import InvariantSubspaceReport, invariant_correlation_subspace
from .steady import SteadyStateReport, steady_state
from .thermal import RATE_FAMILIES, RATE_FUNCTIONS, RateFamily, thermal_jumps, thermal_rate

__all__ = [
    "ConditionsReport",
    "InvariantSubspaceReport",
    "LocalGenerator",
    "RATE_FAMILIES",
    "RATE_FUNCTIONS",
    "RateFamily",
    "SteadyStateReport",
    "adjoint_dissipator",
    "as_jumps",
    "check_conditions",
    "dissipator",
    "evolve",
    "invariant_correlation_subspace",
    "lindblad_superoperator",
    "steady_state",
    "thermal_jumps",
    "thermal_rate",
]
