"""Free-particle (Gaussian) engine: the papers' thermodynamics for reservoirs of a thousand modes.

For a quadratic, number-conserving H = sum_ij h_ij c_i^dag c_j (fermions or bosons) and Gaussian
states, every quantity of both papers follows exactly from the single-particle correlation matrix
C_ij = <c_i^dag c_j> (L x L instead of 2^L x 2^L):

- :class:`FreeModel` (h_A, h_B, t_AB, statistics) and builders (:func:`two_chains`,
  :func:`ladder`, :func:`chain_hamiltonian`, :func:`random_model`, ...; :mod:`.reservoirs` for a
  small system between two explicit leads);
- states: :func:`thermal_correlation`, :func:`locally_thermal_correlation`,
  :func:`correlation_interval` (the admissible correlation strength), :func:`exchange_correlation`;
- :func:`evolve` (isolated, or open with :class:`LocalBath` on each side) returning the dense
  engine's Dataset variables (U, U_A, ..., I_AB, D_A, D_B, the flow analysis of inequality (26), currents,
  entropy production), and :func:`steady_state` (a Lyapunov solve);
- :func:`entropy`, :func:`mutual_information`, :func:`relative_entropy` in closed form;
- conversion to and from the dense engine for small L (:func:`to_dense_model`,
  :func:`to_dense_state`, :func:`from_dense_state`, :func:`dense_jumps`);
- exact reservoirs as ground truth: :func:`junction` (one or two levels between two leads of
  N modes), :func:`junction_currents`, :func:`landauer_currents`, and
  :func:`compare_with_master_equations` (local, global and Redfield against them).
"""

from .baths import LocalBath
from .builders import (
    chain_hamiltonian,
    joined,
    ladder,
    random_hamiltonian,
    random_model,
    ring_hamiltonian,
    two_chains,
)
from .compare import compare_with_master_equations, master_equation_currents
from .dense import dense_jumps, from_dense_state, to_dense_model, to_dense_state
from .evolution import GaussianSteadyState, evolve, steady_state
from .information import entropy, mode_entropy, mutual_information, relative_entropy
from .model import FreeModel
from .reservoirs import LeadJunction, band, junction, junction_currents, landauer_currents
from .states import (
    correlation_interval,
    exchange_correlation,
    initial_currents,
    locally_thermal_correlation,
    occupation,
    thermal_correlation,
)

__all__ = [
    "FreeModel",
    "LocalBath",
    "GaussianSteadyState",
    "chain_hamiltonian",
    "ring_hamiltonian",
    "random_hamiltonian",
    "two_chains",
    "ladder",
    "joined",
    "random_model",
    "occupation",
    "thermal_correlation",
    "correlation_interval",
    "locally_thermal_correlation",
    "exchange_correlation",
    "initial_currents",
    "entropy",
    "mode_entropy",
    "mutual_information",
    "relative_entropy",
    "evolve",
    "steady_state",
    "to_dense_model",
    "to_dense_state",
    "from_dense_state",
    "dense_jumps",
    "LeadJunction",
    "band",
    "junction",
    "junction_currents",
    "landauer_currents",
    "compare_with_master_equations",
    "master_equation_currents",
]
