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

# open-system dynamics (paper 1)
from .dissipators import (  # noqa: F401
    adjoint_dissipator,
    dissipator,
    lindblad_superoperator,
    thermal_jumps,
    thermal_rate,
)
from .dynamics import (  # noqa: F401
    ConditionsReport,
    InvariantSubspaceReport,
    SteadyStateReport,
    check_conditions,
    evolve,
    evolve_isolated,
    invariant_correlation_subspace,
    steady_state,
    trajectory_ledger,
)

# isolated dynamics, particle/energy flows, model library, extremal correlations (paper 2)
from . import extremal, flows, models  # noqa: F401
from .extremal import ExtremalReport, extremal_transfer, max_anomalous_transfer  # noqa: F401
from .flows import (  # noqa: F401
    ConservationReport,
    FlowReport,
    conservation_checks,
    energy_exchange_coherence,
    flow_dataset,
    flow_report,
    initial_energy_current,
    initial_particle_current,
    linear_response_mutual_information,
    locally_thermal_state,
    particle_exchange_coherence,
    thermal_marginals,
)

# scenario files, results files and parameter sweeps
from .scenarios import (  # noqa: F401
    Scenario,
    load_scenario,
    read_results,
    run_scenario,
    summarize,
    write_results,
)
from .sweeps import SweepResult, open_sweep, plot_sweep, run_sweep  # noqa: F401

try:
    __version__ = version("corrtherm")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"
