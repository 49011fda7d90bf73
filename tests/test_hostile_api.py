"""Every public function of ``corrtherm.__all__`` against hostile arguments.

Table-driven: each entry is a valid call (checked to succeed) and, one argument at a time, that
argument is replaced by None, NaN, +-inf, a bool, a string, a wrong-shape or empty array, a
ragged list, an arbitrary object and a huge size. The only acceptable outcomes are a
:class:`corrtherm.CorrthermError` (one clear message naming the argument) or, for the few
values an argument legitimately accepts (``V=None``, ``mu=None``, ...), a normal result.
Never a TypeError/IndexError/LinAlgError traceback, a MemoryError, a hang or a silent NaN.
"""

from __future__ import annotations

import inspect
import math
from pathlib import Path

import numpy as np
import pytest

import corrtherm as ct

SZ = ct.sigma_z()
SP = ct.sigma_plus()
MODEL = ct.Bipartite(SZ, 0.5 * SZ, 0.2 * np.kron(SZ, SZ))
SX = ct.sigma_x()
DAVIES = ct.Bipartite(SZ, 0.5 * SZ, 0.2 * np.kron(SX, SX))
RESONANT = ct.Bipartite(SZ, SZ, 0.2 * (np.kron(SP, SP.T) + np.kron(SP.T, SP)))
FERMIONS = ct.models.fermion_hopping(eps_A=0.3, eps_B=0.3, kappa=0.7)
LOCAL = ct.locally_thermal_state(FERMIONS, 1.0, 1.0, 0.1, 0.0)
RHO_A = ct.gibbs_state(SZ, 0.5)
RHO_B = ct.gibbs_state(0.5 * SZ, 1.0)
RHO = np.kron(RHO_A, RHO_B) + 0.01 * np.kron(SZ, SZ)
TIMES = np.linspace(0.0, 0.5, 6)
JA = ct.thermal_jumps(SZ, 0.5, rate="paper")
JB = ct.thermal_jumps(0.5 * SZ, 1.0, rate="paper")
HUGE = 10**12


def _ds():
    return ct.evolve_isolated(MODEL, RHO, TIMES, store_states=True)


BAD = {
    "None": None,
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "True": True,
    "string": "zzz",
    "wrong shape": np.ones((3, 3)),
    "empty": np.zeros((0, 0)),
    "ragged": [[1, 2], [3]],
    "object": object(),
    "huge": HUGE,
}

# (function name, positional args, keyword args, {param: names of BAD values it accepts})
CASES = [
    ("Bipartite", (SZ, SZ), {"V": np.kron(SZ, SZ)}, {"V": {"None"}}),
    ("adjoint_dissipator", (JA, SZ), {}, {"jumps": {"None"}}),
    ("dissipator", (JA, RHO_A), {}, {"jumps": {"None"}}),
    ("anticommutator", (SZ, SP), {}, {}),
    ("commutator", (SZ, SP), {}, {}),
    ("commutator_norm", (SZ, SP), {}, {}),
    ("basis_projector", (2, 0), {"n": 1}, {"n": {"None"}}),
    ("bipartite_fermions", (1, 1), {}, {}),
    (
        "check_conditions",
        (MODEL, JA, JB, RHO),
        {"alpha_A": 0.5},
        {"rho": {"None"}, "jumps_A": {"None"}, "jumps_B": {"None"}, "alpha_A": {"huge"}},
    ),
    ("conservation_checks", (MODEL,), {"rtol": 1e-10}, {}),
    ("correlation_basis", ((2, 2),), {}, {}),
    ("correlation_energy", (MODEL, RHO), {}, {}),
    ("create", (3,), {}, {}),
    ("destroy", (3,), {}, {}),
    ("number", (3,), {}, {}),
    ("identity", (3,), {}, {}),
    ("maximally_mixed", (3,), {}, {}),
    ("dagger", (SP,), {}, {"x": {"wrong shape"}}),
    ("decompose", (RHO, (2, 2)), {}, {}),
    ("effective_hamiltonians", (MODEL, RHO_A, RHO_B), {"alpha_A": 0.5}, {"alpha_A": {"huge"}}),
    ("embed", (SZ, (2, 2), "A"), {}, {}),
    ("embed_A", (SZ, 2), {}, {"op": {"wrong shape"}}),
    ("embed_B", (SZ, 2), {}, {"op": {"wrong shape"}}),
    ("energy_exchange_coherence", (RESONANT, 0.5, 1.0), {"phase": 0.0}, {"phase": {"huge"}}),
    ("energy_ledger", (MODEL, RHO), {"alpha_A": 0.5}, {"alpha_A": {"huge"}}),
    ("entropies", (RHO, (2, 2)), {"tol": 1e-8}, {}),
    ("entropy", (RHO,), {"tol": 1e-8}, {}),
    ("mutual_information", (RHO, (2, 2)), {"tol": 1e-8}, {}),
    ("relative_entropy", (RHO, np.eye(4) / 4), {}, {}),
    (
        "evolve",
        (MODEL, RHO, TIMES, JA, JB),
        {"alpha_A": 0.5, "method": "exact", "rtol": 1e-8, "atol": 1e-10},
        {"jumps_A": {"None"}, "jumps_B": {"None"}, "alpha_A": {"huge"}},
    ),
    ("evolve_isolated", (MODEL, RHO, TIMES), {"alpha_A": 0.5}, {"alpha_A": {"huge"}}),
    ("fermion_operators", (2,), {}, {}),
    ("parity", (2,), {}, {}),
    ("flow_report", (FERMIONS, LOCAL, np.eye(4) / 4, 1.0, 1.0), {"mu_A": 0.1}, {}),
    ("free_energy", (SZ, 1.0), {}, {"H": {"wrong shape"}}),
    ("gibbs_state", (SZ, 1.0), {}, {"H": {"wrong shape"}}),
    ("grand_potential", (SZ, 1.0), {}, {"H": {"wrong shape"}}),
    ("log_partition_function", (SZ, 1.0), {}, {"H": {"wrong shape"}}),
    ("partition_function", (SZ, 1.0), {}, {"H": {"wrong shape"}}),
    ("initial_energy_current", (MODEL, RHO), {}, {}),
    ("initial_particle_current", (FERMIONS, np.eye(4) / 4), {}, {}),
    ("invariant_correlation_subspace", (MODEL, JA, JB), {}, {}),
    ("is_density_matrix", (RHO,), {"tol": 1e-8}, {"rho": set(BAD)}),  # False, not an error
    ("kron", (SZ, SP), {}, {"ops": {"wrong shape", "huge"}}),
    ("lindblad_superoperator", (MODEL, JA, JB), {}, {"jumps_A": {"None"}, "jumps_B": {"None"}}),
    (
        "linear_response_mutual_information",
        (0.1, 0.1, 1.0, 0.5),
        {"mu_A": 0.1},
        {
            "DeltaE_A": {"huge", "wrong shape", "empty"},
            "DeltaN_A": {"huge", "wrong shape", "empty"},
            "mu_A": {"huge"},
        },
    ),
    ("locally_thermal_state", (FERMIONS, 1.0, 1.0), {"mu_A": 0.1, "c": 0.0}, {"mu_A": {"huge"}}),
    ("thermal_marginals", (FERMIONS, 1.0, 1.0), {"mu_A": 0.1}, {"mu_A": {"huge"}}),
    (
        "particle_exchange_coherence",
        (FERMIONS, 1.0, 1.0),
        {"mu_A": 0.1, "phase": 0.0},
        {"mu_A": {"huge"}, "phase": {"huge"}},
    ),
    ("operator_schmidt", (np.kron(SZ, SZ), (2, 2)), {}, {}),
    ("partial_trace", (RHO, (2, 2), "A"), {}, {}),
    ("pauli", ("xz",), {}, {"label": {"string"}}),
    ("positivity_interval", (np.kron(RHO_A, RHO_B), np.kron(SZ, SZ)), {}, {}),
    ("product_state", (RHO_A, RHO_B), {}, {}),
    ("pure_state", (np.array([1.0, 0.0]),), {}, {}),
    ("site_operator", (SZ, 0, (2, 2)), {}, {}),
    ("spin_operators", (1,), {}, {}),
    ("steady_state", (MODEL, JA, JB), {}, {}),
    ("thermal_jumps", (SZ, 1.0), {"rate": "fermi", "gamma0": 1.0}, {}),
    (
        "thermal_rate",
        (np.array([0.5, -0.5]), 1.0),
        {"rate": "fermi", "gamma0": 1.0},
        {"omega": {"wrong shape", "empty"}},
    ),
    ("validate_state", (RHO,), {"tol": 1e-8}, {}),
    ("load_scenario", ("paper1-two-qubits",), {}, {}),
    ("ThermalBath", (SX, 1.0), {"rate": "ohmic", "gamma0": 1.0}, {"coupling": {"wrong shape"}}),
    ("davies_jumps", (DAVIES, SX, "A", 1.0), {"gamma0": 1.0}, {}),
    ("davies_bath", (DAVIES, SX, "A", 1.0), {"gamma0": 1.0}, {}),
    ("redfield_bath", (DAVIES, SX, "A", 1.0), {"gamma0": 1.0}, {}),
    (
        "entropy_production_rate",
        (MODEL, RHO, JA, JB),
        {"beta_A": 0.5, "beta_B": 1.0},
        {"jumps_A": {"None"}, "jumps_B": {"None"}, "beta_A": {"None"}, "beta_B": {"None"}},
    ),
]


#: Parameters that are sizes or indices: a huge value must be refused (memory pre-flight).
SIZES = {"n", "d", "m", "n_modes", "n_A", "n_B", "j", "d_A", "d_B", "dims", "site", "label"}


def _attacks():
    for name, args, kwargs, accepts in CASES:
        params = list(inspect.signature(getattr(ct, name)).parameters)
        targets = [(i, params[min(i, len(params) - 1)]) for i in range(len(args))]
        targets += [(k, k) for k in kwargs]
        for where, pname in targets:
            ok = set(accepts.get(pname, set()))
            if pname not in SIZES:
                ok.add("huge")  # 10^12 is a legitimate value of a physical parameter
            for label in BAD:
                yield pytest.param(
                    name, args, kwargs, where, label, label in ok, id=f"{name}-{pname}-{label}"
                )


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_baseline_calls_succeed(name):
    _, args, kwargs, _ = next(c for c in CASES if c[0] == name)
    getattr(ct, name)(*args, **kwargs)


def test_every_public_callable_is_covered():
    """A new public function must be added to the table (or to the list of reports)."""
    reports = {
        "ConditionsReport", "ConservationReport", "Decomposition", "EnergyLedger", "Entropies",
        "DaviesBath", "RedfieldBath", "EntropyProduction",
        "ExtremalReport", "FlowReport", "InvariantSubspaceReport", "Scenario",
        "SteadyStateReport", "SweepResult",
    }  # fmt: skip
    covered = {c[0] for c in CASES} | reports | set(SEPARATE)
    public = {
        n
        for n in ct.__all__
        if callable(getattr(ct, n))
        and not (inspect.isclass(getattr(ct, n)) and issubclass(getattr(ct, n), BaseException))
        and inspect.signature(getattr(ct, n)).parameters
    }
    assert public - covered == set()


#: Public functions attacked in their own tests below (files, Dask, results datasets).
SEPARATE = (
    "extremal_transfer",
    "max_anomalous_transfer",
    "flow_dataset",
    "open_sweep",
    "plot_sweep",
    "read_results",
    "write_results",
    "run_scenario",
    "run_sweep",
    "summarize",
    "trajectory_ledger",
    "second_law_audit",
    "compare_approaches",
)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # e.g. the secular-approximation note
@pytest.mark.parametrize("name,args,kwargs,where,label,accepted", list(_attacks()))
def test_hostile_argument_is_one_clear_error(name, args, kwargs, where, label, accepted):
    fn = getattr(ct, name)
    args, kwargs = list(args), dict(kwargs)
    if isinstance(where, int):
        args[where] = BAD[label]
    else:
        kwargs[where] = BAD[label]
    try:
        out = fn(*args, **kwargs)
    except ct.CorrthermError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg.strip(), msg
        return
    assert accepted, f"{name}({where}={label}) returned {type(out).__name__} instead of raising"
    _assert_finite(out)


def _assert_finite(out) -> None:
    if isinstance(out, np.ndarray) and out.dtype.kind in "fc":
        assert np.all(np.isfinite(out))
    elif isinstance(out, tuple | list):
        for o in out:
            _assert_finite(o)


# ---------------------------------------------------------------- the separately attacked ones
@pytest.mark.parametrize("label", list(BAD))
def test_trajectory_ledger_and_flow_dataset_hostile(label):
    bad = BAD[label]
    states = np.stack([RHO] * TIMES.size)
    calls = [
        lambda: ct.trajectory_ledger(MODEL, bad, TIMES),
        lambda: ct.trajectory_ledger(MODEL, states, bad),
        lambda: ct.flow_dataset(MODEL, bad, 1.0, 1.0),
        lambda: ct.summarize(bad),
        lambda: ct.second_law_audit(bad),
        lambda: ct.compare_approaches(bad, ct.ThermalBath(SX, 1.0), None),
    ]
    if bad is not None:  # no bath and default times are valid
        calls += [
            lambda: ct.compare_approaches(DAVIES, bad, None),
            lambda: ct.compare_approaches(DAVIES, ct.ThermalBath(SX, 1.0), None, times=bad),
        ]
    if label != "huge":  # 10^12 is a legitimate alpha_A and inverse temperature
        calls += [
            lambda: ct.trajectory_ledger(MODEL, states, TIMES, alpha_A=bad),
            lambda: ct.flow_dataset(MODEL, _ds(), bad, 1.0),
        ]
    for call in calls:
        with pytest.raises(ct.CorrthermError):
            call()


@pytest.mark.parametrize("label", list(BAD))
def test_extremal_sdps_hostile(label):
    bad = BAD[label]
    gA, gB = ct.thermal_marginals(FERMIONS, 1.0, 1.0, 0.5, -0.5)
    calls = [
        lambda: ct.extremal_transfer(FERMIONS, 0.3, bad, gB),
        lambda: ct.extremal_transfer(FERMIONS, 0.3, gA, gB, direction=bad),
        lambda: ct.extremal_transfer(FERMIONS, 0.3, gA, gB, quantity=bad),
    ]
    if label != "huge":  # a time, temperature or chemical potential of 10^12 is legitimate
        calls += [
            lambda: ct.extremal_transfer(FERMIONS, bad, gA, gB),
            lambda: ct.max_anomalous_transfer(FERMIONS, 0.3, bad, 1.0, 0.5, -0.5),
            lambda: ct.max_anomalous_transfer(FERMIONS, 0.3, 1.0, 1.0, bad, -0.5),
        ]
    for call in calls:
        with pytest.raises(ct.CorrthermError):
            call()


@pytest.mark.parametrize("label", list(BAD))
def test_files_and_sweeps_hostile(label, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = BAD[label]
    scen = ct.load_scenario("paper1-two-qubits")
    calls = [
        lambda: ct.read_results(bad),
        lambda: ct.write_results(bad, tmp_path / "r.nc"),
        lambda: ct.open_sweep(bad),
        lambda: ct.plot_sweep(bad),
        lambda: ct.run_scenario(bad),
        lambda: ct.load_scenario(bad),
        # never reaches a cluster: the bad argument is refused first
        lambda: ct.run_sweep(scen, store=bad if label != "string" else 3, grid=["g=0:1:3"]),
        lambda: ct.run_sweep(scen, store="s.zarr", grid=bad),
        lambda: ct.run_sweep(bad, store="s.zarr", grid=["g=0:1:3"]),
        lambda: ct.run_sweep(scen, store="s.zarr", random=["g=0:1"], samples=bad),
    ]
    if bad is not None:  # None is the valid default of these two
        calls += [
            lambda: ct.run_sweep(scen, store="s.zarr", grid=["g=0:1:3"], workers=bad),
            lambda: ct.run_sweep(
                scen, store="s.zarr", grid=["g=0:1:3"], batch_size=bad if label != "huge" else 0
            ),
        ]
    for k, call in enumerate(calls):
        try:
            call()
        except ct.CorrthermError:
            continue
        raise AssertionError(f"call {k}: no CorrthermError for {label}")
    assert not Path("s.zarr").exists()
