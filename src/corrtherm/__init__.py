"""corrtherm: correlation-resolved quantum thermodynamics.

Conventions: hbar = k_B = 1, entropies in nats, sigma_z = diag(1, -1) on |0>, |1>, and a heat
or particle current is positive when it flows *into* the system part named.
"""

from importlib.metadata import PackageNotFoundError, version

from .energy import EnergyLedger, correlation_energy, effective_hamiltonians, energy_ledger  # noqa: F401
from .errors import (  # noqa: F401
    CorrthermError,
    DynamicsError,
    FlowError,
    MissingDependencyError,
    ModelError,
    ScenarioError,
    StateError,
    SweepError,
)
from .information import Entropies, entropies, entropy, mutual_information, relative_entropy  # noqa: F401
from .operators import (  # noqa: F401
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
from .states import (  # noqa: F401
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
from .system import Bipartite  # noqa: F401

# --- dynamics exports (issue 3) ---
# --- flows exports (issue 4) ---
# --- scenario/cli exports (issue 5) ---
# --- sweep exports (issue 6) ---

try:
    __version__ = version("corrtherm")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"
