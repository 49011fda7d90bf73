"""corrtherm: correlation-resolved quantum thermodynamics.

How energy and particles move between the two parts of an interacting quantum system A+B and
their environment, and how much of that is carried by the correlations between A and B.

Conventions: hbar = k_B = 1, entropies in nats, sigma_z = diag(1, -1) on |0>, |1>, operators on
A (x) B ordered (a, b), and a heat or particle current is positive when it flows *into* the
system part named. Every error a user can cause is a :class:`CorrthermError` (a ValueError)
naming the field, the value and what was expected.

Layers (each imports only from the ones above it in this list):

- ``corrtherm.core`` — operators, :class:`Bipartite`, states (rho = rho_A (x) rho_B + chi,
  Gibbs, positivity interval), information, the energy ledger U = U_A + U_B + U_chi.
- ``corrtherm.open`` — paper 1: GKLS dynamics with thermal baths, :func:`evolve`,
  :func:`steady_state` (to d = 4096), :func:`check_conditions`,
  :func:`invariant_correlation_subspace`; thermodynamic consistency: local
  (:func:`thermal_jumps`), global (:func:`davies_jumps`, :func:`davies_bath`) and Redfield
  (:func:`redfield_bath`) baths, :class:`ThermalBath`, :func:`compare_approaches`,
  :func:`entropy_production_rate`, :func:`second_law_audit`.
- ``corrtherm.isolated`` — paper 2: :func:`evolve_isolated`, :func:`flow_report`,
  inequality (26), model builders (``corrtherm.models``), extremal SDPs.
- ``corrtherm.gaussian`` — free particles (fermions or bosons) from their L x L correlation
  matrices: the same ledger and flows for reservoirs of hundreds of modes, exact leads.
- ``corrtherm.scenarios`` — TOML scenario files: :func:`load_scenario`, :func:`run_scenario`,
  :func:`summarize`, NetCDF results.
- ``corrtherm.sweeps`` — parameter sweeps on Dask: :func:`run_sweep`, :func:`open_sweep`.
- ``corrtherm.plotting``, ``corrtherm.reproduce``, ``corrtherm.cli`` — figures, the papers'
  worked examples, the ``corrtherm`` command.

Start with ``corrtherm.Bipartite``, ``corrtherm.gibbs_state``, ``corrtherm.energy_ledger`` and
``corrtherm.evolve`` (free particles: ``corrtherm.gaussian.FreeModel`` and
``corrtherm.gaussian.evolve``), or with the command line: ``corrtherm --help``,
``corrtherm run``, ``corrtherm show --template``. The documentation (README.md, docs/, or
``mkdocs serve``) maps every equation of both papers to its function.
"""

from importlib.metadata import PackageNotFoundError, version  # noqa: F401 (0.1 exported these)

from . import core, gaussian, isolated, open, scenarios, sweeps  # noqa: F401 (subpackages as attributes)

# the core layer: operators, model, states, information, energy ledger
from .core import (
    Bipartite,
    CorrthermError,
    Decomposition,
    DynamicsError,
    EnergyLedger,
    Entropies,
    FlowError,
    MissingDependencyError,
    ModelError,
    ResourceError,
    ScenarioError,
    StateError,
    SweepError,
    anticommutator,
    basis_projector,
    bipartite_fermions,
    commutator,
    commutator_norm,
    correlation_basis,
    correlation_energy,
    create,
    dagger,
    decompose,
    destroy,
    effective_hamiltonians,
    embed,
    embed_A,
    embed_B,
    energy_ledger,
    entropies,
    entropy,
    fermion_operators,
    free_energy,
    gibbs_state,
    grand_potential,
    identity,
    is_density_matrix,
    kron,
    log_partition_function,
    maximally_mixed,
    mutual_information,
    number,
    operator_schmidt,
    parity,
    partial_trace,
    partition_function,
    pauli,
    positivity_interval,
    product_state,
    pure_state,
    relative_entropy,
    sigma_minus,
    sigma_plus,
    sigma_x,
    sigma_y,
    sigma_z,
    site_operator,
    spin_operators,
    trajectory_ledger,
    validate_state,
)

# paper 1: open dynamics with thermal baths
from .open import (
    ConditionsReport,
    DaviesBath,
    EntropyProduction,
    InvariantSubspaceReport,
    RedfieldBath,
    SteadyStateReport,
    ThermalBath,
    adjoint_dissipator,
    check_conditions,
    compare_approaches,
    davies_bath,
    davies_jumps,
    dissipator,
    entropy_production_rate,
    evolve,
    invariant_correlation_subspace,
    lindblad_superoperator,
    redfield_bath,
    second_law_audit,
    steady_state,
    thermal_jumps,
    thermal_rate,
)

# paper 2: isolated dynamics, particle and energy flows, models, extremal SDPs
from .isolated import (
    CONSERVATION_RTOL,
    ConservationReport,
    ExtremalReport,
    FLOW_ATOL,
    FlowReport,
    THERMAL_TOL,
    conservation_checks,
    energy_exchange_coherence,
    evolve_isolated,
    extremal_transfer,
    flow_dataset,
    flow_report,
    initial_energy_current,
    initial_particle_current,
    linear_response_mutual_information,
    locally_thermal_state,
    max_anomalous_transfer,
    particle_exchange_coherence,
    thermal_marginals,
)

# scenario files and results files
from .scenarios import (
    Scenario,
    load_scenario,
    read_results,
    run_scenario,
    summarize,
    write_results,
)

# parameter sweeps
from .sweeps import (
    SweepResult,
    open_sweep,
    run_sweep,
)

# figures
from .plotting import (
    plot_sweep,
)
from . import _compat

_compat.install(__import__(__name__))


def __getattr__(name: str):  # noqa: ANN202 (module __getattr__)
    # 0.1's module paths (corrtherm.dynamics, ...): reachable, but not listed by help() or dir()
    return _compat.resolve(__name__, name)


__all__ = [
    "Bipartite",
    "CONSERVATION_RTOL",
    "ConditionsReport",
    "ConservationReport",
    "DaviesBath",
    "CorrthermError",
    "Decomposition",
    "DynamicsError",
    "EnergyLedger",
    "Entropies",
    "EntropyProduction",
    "ExtremalReport",
    "FLOW_ATOL",
    "FlowError",
    "FlowReport",
    "InvariantSubspaceReport",
    "MissingDependencyError",
    "ModelError",
    "RedfieldBath",
    "ResourceError",
    "Scenario",
    "ScenarioError",
    "StateError",
    "SteadyStateReport",
    "SweepError",
    "SweepResult",
    "THERMAL_TOL",
    "ThermalBath",
    "adjoint_dissipator",
    "anticommutator",
    "basis_projector",
    "bipartite_fermions",
    "check_conditions",
    "commutator",
    "commutator_norm",
    "compare_approaches",
    "conservation_checks",
    "correlation_basis",
    "correlation_energy",
    "create",
    "dagger",
    "davies_bath",
    "davies_jumps",
    "decompose",
    "destroy",
    "dissipator",
    "effective_hamiltonians",
    "embed",
    "embed_A",
    "embed_B",
    "energy_exchange_coherence",
    "energy_ledger",
    "entropies",
    "entropy",
    "entropy_production_rate",
    "evolve",
    "evolve_isolated",
    "extremal_transfer",
    "fermion_operators",
    "flow_dataset",
    "flow_report",
    "free_energy",
    "gibbs_state",
    "grand_potential",
    "identity",
    "initial_energy_current",
    "initial_particle_current",
    "invariant_correlation_subspace",
    "is_density_matrix",
    "kron",
    "lindblad_superoperator",
    "linear_response_mutual_information",
    "load_scenario",
    "locally_thermal_state",
    "log_partition_function",
    "max_anomalous_transfer",
    "maximally_mixed",
    "mutual_information",
    "number",
    "open_sweep",
    "operator_schmidt",
    "parity",
    "partial_trace",
    "particle_exchange_coherence",
    "partition_function",
    "pauli",
    "plot_sweep",
    "positivity_interval",
    "product_state",
    "pure_state",
    "read_results",
    "redfield_bath",
    "relative_entropy",
    "run_scenario",
    "run_sweep",
    "second_law_audit",
    "sigma_minus",
    "sigma_plus",
    "sigma_x",
    "sigma_y",
    "sigma_z",
    "site_operator",
    "spin_operators",
    "steady_state",
    "summarize",
    "thermal_jumps",
    "thermal_marginals",
    "thermal_rate",
    "trajectory_ledger",
    "validate_state",
    "write_results",
]

try:
    __version__ = version("corrtherm")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"
