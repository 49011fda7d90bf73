"""The core layer: operators, the bipartite model, states, information and the energy ledger.

Everything here is independent of any dynamics: it is what both papers build on.

- :mod:`~corrtherm.core.operators` — Pauli, spin, bosonic and Jordan-Wigner fermionic operators,
  embeddings into A(x)B, the operator-Schmidt decomposition.
- :mod:`~corrtherm.core.model` — :class:`Bipartite` (H = H_A + H_B + V, optional N_A, N_B).
- :mod:`~corrtherm.core.states` — partial traces, rho = rho_A (x) rho_B + chi, Gibbs and
  grand-canonical states, correlation operators and the exact positivity interval.
- :mod:`~corrtherm.core.information` — von Neumann entropy, mutual information, relative entropy.
- :mod:`~corrtherm.core.energy` — paper 1's ledger U = U_A + U_B + U_chi (Eqs. 3-8).
- :mod:`~corrtherm.core.trajectory` — the same ledger along a trajectory, as an xarray Dataset.
- :mod:`~corrtherm.core.errors` — :class:`CorrthermError` and its subclasses.
"""

from .energy import EnergyLedger, correlation_energy, effective_hamiltonians, energy_ledger
from .errors import (
    CorrthermError,
    DynamicsError,
    FlowError,
    MissingDependencyError,
    ModelError,
    ResourceError,
    ScenarioError,
    StateError,
    SweepError,
)
from .information import Entropies, entropies, entropy, mutual_information, relative_entropy
from .model import Bipartite
from .operators import (
    anticommutator,
    basis_projector,
    bipartite_fermions,
    commutator,
    commutator_norm,
    create,
    dagger,
    destroy,
    embed,
    embed_A,
    embed_B,
    fermion_operators,
    identity,
    kron,
    number,
    operator_schmidt,
    parity,
    pauli,
    sigma_minus,
    sigma_plus,
    sigma_x,
    sigma_y,
    sigma_z,
    site_operator,
    spin_operators,
)
from .states import (
    Decomposition,
    correlation_basis,
    decompose,
    free_energy,
    gibbs_state,
    grand_potential,
    is_density_matrix,
    log_partition_function,
    maximally_mixed,
    partial_trace,
    partition_function,
    positivity_interval,
    product_state,
    pure_state,
    validate_state,
)
from .trajectory import trajectory_ledger

__all__ = [
    "Bipartite",
    "CorrthermError",
    "Decomposition",
    "DynamicsError",
    "EnergyLedger",
    "Entropies",
    "FlowError",
    "MissingDependencyError",
    "ModelError",
    "ResourceError",
    "ScenarioError",
    "StateError",
    "SweepError",
    "anticommutator",
    "basis_projector",
    "bipartite_fermions",
    "commutator",
    "commutator_norm",
    "correlation_basis",
    "correlation_energy",
    "create",
    "dagger",
    "decompose",
    "destroy",
    "effective_hamiltonians",
    "embed",
    "embed_A",
    "embed_B",
    "energy_ledger",
    "entropies",
    "entropy",
    "fermion_operators",
    "free_energy",
    "gibbs_state",
    "grand_potential",
    "identity",
    "is_density_matrix",
    "kron",
    "log_partition_function",
    "maximally_mixed",
    "mutual_information",
    "number",
    "operator_schmidt",
    "parity",
    "partial_trace",
    "partition_function",
    "pauli",
    "positivity_interval",
    "product_state",
    "pure_state",
    "relative_entropy",
    "sigma_minus",
    "sigma_plus",
    "sigma_x",
    "sigma_y",
    "sigma_z",
    "site_operator",
    "spin_operators",
    "trajectory_ledger",
    "validate_state",
]
