"""Paper 2, *anomalous particle flow*: isolated A+B, locally (grand-)canonical but correlated.

- :mod:`~corrtherm.isolated.unitary` — exact unitary evolution with the ledger.
- :mod:`~corrtherm.isolated.conservation` — the conditions Eqs. 14, 15, 18.
- :mod:`~corrtherm.isolated.correlated_states` — thermal marginals plus correlations
  (Eqs. 16-17) and the coherences that drive anomalous flow.
- :mod:`~corrtherm.isolated.flows` — the flow ledger, inequality (26) and its exact slack
  D_A + D_B, the conventional/anomalous classification.
- :mod:`~corrtherm.isolated.response` — linear response (Eqs. 6, 10) and initial currents.
- :mod:`~corrtherm.isolated.models` — model builders (hopping fermions, dots, chains, ...).
- :mod:`~corrtherm.isolated.extremal` — SDPs for the largest anomalous transfer.
"""

from . import extremal, models
from .conservation import CONSERVATION_RTOL, ConservationReport, conservation_checks
from .correlated_states import (
    energy_exchange_coherence,
    locally_thermal_state,
    particle_exchange_coherence,
    thermal_marginals,
)
from .extremal import ExtremalReport, extremal_transfer, max_anomalous_transfer
from .flows import FLOW_ATOL, THERMAL_TOL, FlowReport, classify_flow, flow_dataset, flow_report
from .response import (
    initial_energy_current,
    initial_particle_current,
    linear_response_mutual_information,
)
from .unitary import evolve_isolated

__all__ = [
    "CONSERVATION_RTOL",
    "ConservationReport",
    "ExtremalReport",
    "FLOW_ATOL",
    "FlowReport",
    "THERMAL_TOL",
    "classify_flow",
    "conservation_checks",
    "energy_exchange_coherence",
    "evolve_isolated",
    "extremal",
    "extremal_transfer",
    "flow_dataset",
    "flow_report",
    "initial_energy_current",
    "initial_particle_current",
    "linear_response_mutual_information",
    "locally_thermal_state",
    "max_anomalous_transfer",
    "models",
    "particle_exchange_coherence",
    "thermal_marginals",
]
