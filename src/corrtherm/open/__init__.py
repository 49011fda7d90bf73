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
- :mod:`~corrtherm.open.davies` — global (Davies) jumps, thermal with respect to the full H;
  :mod:`~corrtherm.open.redfield` — Bloch-Redfield baths; :mod:`~corrtherm.open.baths` — one
  interface for local, global and Redfield baths; :mod:`~corrtherm.open.full_generator` — the
  generator with full-space baths (eigenbasis of H).
- :mod:`~corrtherm.open.entropy_production` — entropy production and the second-law audit;
  :mod:`~corrtherm.open.compare` — local vs global vs Redfield side by side.
"""

from .compare import APPROACHES, ThermalBath, compare_approaches
from .conditions import ConditionsReport, check_conditions
from .davies import DaviesBath, davies_bath, davies_jumps
from .dissipators import adjoint_dissipator, as_jumps, dissipator, lindblad_superoperator
from .entropy_production import EntropyProduction, entropy_production_rate, second_law_audit
from .evolution import evolve
from .full_generator import FullGenerator
from .generator import LocalGenerator
from .invariant import InvariantSubspaceReport, invariant_correlation_subspace
from .redfield import RedfieldBath, redfield_bath
from .steady import SteadyStateReport, steady_state
from .thermal import RATE_FAMILIES, RATE_FUNCTIONS, RateFamily, thermal_jumps, thermal_rate

__all__ = [
    "APPROACHES",
    "ConditionsReport",
    "DaviesBath",
    "EntropyProduction",
    "FullGenerator",
    "InvariantSubspaceReport",
    "LocalGenerator",
    "RATE_FAMILIES",
    "RATE_FUNCTIONS",
    "RateFamily",
    "RedfieldBath",
    "SteadyStateReport",
    "ThermalBath",
    "adjoint_dissipator",
    "as_jumps",
    "check_conditions",
    "compare_approaches",
    "davies_bath",
    "davies_jumps",
    "dissipator",
    "entropy_production_rate",
    "evolve",
    "invariant_correlation_subspace",
    "lindblad_superoperator",
    "redfield_bath",
    "second_law_audit",
    "steady_state",
    "thermal_jumps",
    "thermal_rate",
]
