"""Hostile inputs to the recently added features: compare and its --out, the global and
Redfield baths, the BLAS-thread and ODE-step settings, and the Gaussian engine (API and the
[gaussian] scenario table). Each test reproduces a case that was wrong (a traceback, a hang, a
silently accepted bad value, a clobbered file or a silently wrong number) and checks the one
clear line, the refusal, or the correct number that replaced it.
"""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

import corrtherm as ct

from .test_hostile_inputs import invoke, one_line_error, scenario_file

SX = ct.sigma_x()
SZ = ct.sigma_z()
SP = ct.sigma_plus()
EXCHANGE = ct.Bipartite(SZ, 0.5 * SZ, 0.1 * (np.kron(SP, SP.T) + np.kron(SP.T, SP)))
RHO0 = np.eye(4) / 4
TIMES = np.linspace(0.0, 1.0, 5)


# ============================================================================ compare --out
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_compare_out_never_replaces_a_device_or_fifo(tmp_path):
    # as root, `--out /dev/full` used to rename a regular file over the device node
    fifo = tmp_path / "table.nc"
    os.mkfifo(fifo)
    r = invoke("compare", "levy-kosloff-local", "--out", fifo)
    one_line_error(r, str(fifo), "exists; use --force")
    r = invoke("compare", "levy-kosloff-local", "--out", fifo, "--force")
    one_line_error(r, str(fifo), "not a regular file")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_compare_out_keeps_an_existing_file_unless_force(tmp_path):
    # like run (an existing --out directory) and plot-sweep: nothing is replaced silently
    target = tmp_path / "table.nc"
    target.write_text("an earlier table")
    r = invoke("compare", "levy-kosloff-local", "--out", target)
    one_line_error(r, str(target), "exists; use --force")
    assert target.read_text() == "an earlier table"
    r = invoke("compare", "levy-kosloff-local", "--out", target, "--force")
    assert r.exit_code == 0, r.output
    import xarray as xr

    with xr.open_dataset(target) as ds:
        assert "J_A" in ds


def test_compare_out_in_a_missing_directory_names_it(tmp_path):
    # used to name the hidden temporary file ".x.nc.<hex>.partial"
    target = tmp_path / "nodir" / "x.nc"
    r = invoke("compare", "levy-kosloff-local", "--out", target)
    line = one_line_error(r, "does not exist", str(tmp_path / "nodir"))
    assert ".partial" not in line


# ============================================================================ [gaussian] .npy
def _gaussian_matrix_scenario(tmp_path, name: str):
    return scenario_file(
        tmp_path,
        "gaussian-two-oscillators",
        (
            'A = { kind = "chain", sites = 1, onsite = "w" }',
            f'A = {{ kind = "matrix", matrix = "{name}" }}',
        ),
    )


def test_gaussian_npy_header_claiming_a_huge_matrix_is_refused_unread(tmp_path):
    from numpy.lib import format as npf

    with open(tmp_path / "h.npy", "wb") as fh:  # claims 320 GB, holds 64 bytes
        npf.write_array_header_1_0(
            fh, {"descr": "<f8", "fortran_order": False, "shape": (200_000, 200_000)}
        )
        fh.write(b"\0" * 64)
    r = invoke("check", _gaussian_matrix_scenario(tmp_path, "h.npy"))
    one_line_error(r, "gaussian.A.matrix", "memory limit")


def test_gaussian_npy_empty_file_is_a_user_error(tmp_path):
    (tmp_path / "h.npy").write_bytes(b"")  # was an internal error (EOFError), exit 1
    r = invoke("check", _gaussian_matrix_scenario(tmp_path, "h.npy"))
    one_line_error(r, "gaussian.A.matrix", "cannot read")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_gaussian_npy_fifo_is_refused_not_read(tmp_path):
    os.mkfifo(tmp_path / "h.npy")  # np.load blocked forever on it
    r = invoke("check", _gaussian_matrix_scenario(tmp_path, "h.npy"))
    one_line_error(r, "gaussian.A.matrix", "not a regular file")


def test_gaussian_npy_of_wrong_rank_names_the_key(tmp_path):
    np.save(tmp_path / "h.npy", np.ones(3))
    r = invoke("check", _gaussian_matrix_scenario(tmp_path, "h.npy"))
    one_line_error(r, "gaussian.A.matrix", "(3,)", "expected a matrix")


# ============================================================================ global / Redfield
@pytest.mark.parametrize("build", ["davies_jumps", "davies_bath", "redfield_bath"])
@pytest.mark.parametrize(
    "coupling, kwargs",
    [(1e200 * SX, {}), (SX, {"gamma0": 1e300}), (SX, {"beta": 1e-300})],
    ids=["huge coupling", "huge gamma0", "tiny beta"],
)
def test_bath_from_an_overflowing_coupling_is_refused_when_built(build, coupling, kwargs):
    # davies_bath/redfield_bath used to return, and evolve then died in an OverflowError
    # (exp of the escape rates) or a LinAlgError (NaN generator)
    kwargs = dict(kwargs)
    beta = kwargs.pop("beta", 1.0)
    with pytest.raises(ct.CorrthermError, match=r"^coupling: the bath's total rate") as exc:
        getattr(ct, build)(EXCHANGE, coupling, "A", beta, **kwargs)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("approach", ["global", "redfield"])
def test_scenario_with_an_overflowing_coupling_is_one_line(tmp_path, approach):
    f = scenario_file(
        tmp_path,
        "levy-kosloff-local",
        ('approach = "local"\nbath_A', f'approach = "{approach}"\nbath_A'),
        ('coupling = "sx(A0)"', 'coupling = "1e200 * sx(A0)"'),
    )
    one_line_error(invoke("run", f, "--out", tmp_path / "o"), "dynamics.bath_A", "total rate")


# ============================================================================ thread/step settings
JA_EX = ct.thermal_jumps(EXCHANGE.H_A, 1.0, rate="paper")
JB_EX = ct.thermal_jumps(EXCHANGE.H_B, 2.0, rate="paper")


@pytest.mark.parametrize("threads", [0, -1, "x", 1.5, True])
def test_bad_blas_threads_fail_on_the_small_paths_too(threads):
    # only the ODE and Krylov paths used to look at them: a small model accepted anything
    with pytest.raises(ct.CorrthermError, match="^blas_threads: got"):
        ct.evolve(EXCHANGE, RHO0, TIMES, JA_EX, JB_EX, blas_threads=threads)
    with pytest.raises(ct.CorrthermError, match="^blas_threads: got"):
        ct.steady_state(EXCHANGE, JA_EX, JB_EX, blas_threads=threads)


@pytest.mark.parametrize(
    "var, value",
    [
        ("CORRTHERM_BLAS_THREADS", "x"),
        ("CORRTHERM_MAX_ODE_STEPS", "x"),
        ("CORRTHERM_MAX_ODE_STEPS", "1.5"),
    ],
)
def test_bad_environment_settings_fail_a_small_run(tmp_path, monkeypatch, var, value):
    # "1.5" steps was truncated to 1; garbage was ignored unless the ODE path ran
    monkeypatch.setenv(var, value)
    r = invoke("run", "levy-kosloff-local", "--out", tmp_path / "o", "--no-plots")
    one_line_error(r, var, repr(value))


# ============================================================================ Gaussian API
H3 = -np.eye(3, k=1) - np.eye(3, k=-1)
FREE = ct.gaussian.FreeModel(H3, H3, 0.1 * np.eye(3))
C_FREE = ct.gaussian.locally_thermal_correlation(FREE, 1.0, 2.0)


@pytest.mark.parametrize("bad", ["1", True, np.bool_(True)], ids=["string", "bool", "np.bool"])
@pytest.mark.parametrize(
    "call",
    [
        lambda v: ct.gaussian.thermal_correlation(H3, v),
        lambda v: ct.gaussian.thermal_correlation(H3, 1.0, v),
        lambda v: ct.gaussian.occupation([0.0, 1.0], v),
        lambda v: ct.gaussian.LocalBath(v),
        lambda v: ct.gaussian.LocalBath(1.0, mu=v),
        lambda v: ct.gaussian.LocalBath(1.0, gamma=v),
        lambda v: ct.gaussian.locally_thermal_correlation(FREE, 1.0, 1.0, c=v),
        lambda v: ct.gaussian.chain_hamiltonian(v),
    ],
    ids=["beta", "mu", "occupation beta", "bath beta", "bath mu", "bath gamma", "c", "L"],
)
def test_gaussian_numbers_are_not_strings_or_booleans(call, bad):
    # float("1") and float(True) used to be accepted (the dense engine refuses both)
    with pytest.raises(ct.CorrthermError, match=r"got (np\.True_|True|'1')"):
        call(bad)


def test_gaussian_bath_checks_its_rate_family_and_scale_when_made():
    with pytest.raises(ct.CorrthermError, match=r"^bath.rate: got 'Ohmic'; expected None"):
        ct.gaussian.LocalBath(1.0, rate="Ohmic")  # used to fail only inside evolve
    # gamma = 1e300 used to run, and steady_state called every mode "undamped"
    with pytest.raises(ct.CorrthermError, match=r"^bath.gamma: got 1e\+300; expected a rate"):
        ct.gaussian.LocalBath(1.0, gamma=1e300)


def test_gaussian_model_with_overflowing_entries_is_refused():
    # evolve with a bath used to die in a LinAlgError inside scipy
    with pytest.raises(ct.CorrthermError, match=r"^h_A: entries as large as 1e\+200"):
        ct.gaussian.FreeModel(1e200 * H3, H3)


@pytest.mark.parametrize(
    "kwargs", [{"atol": -1.0}, {"atol": np.nan}, {"thermal_tol": -1.0}, {"thermal_tol": "x"}]
)
def test_gaussian_evolve_tolerances_are_checked_without_the_flow_analysis(kwargs):
    name = next(iter(kwargs))
    with pytest.raises(ct.CorrthermError, match=rf"^{name}: got"):
        ct.gaussian.evolve(FREE, C_FREE, TIMES, **kwargs)


def test_bosonic_mu_at_the_lowest_mode_within_round_off_is_refused():
    # mu = the lowest eigenvalue (from another eigensolver call) passed `eps - mu <= 0` by
    # 2e-16 and gave occupations 4.5e15 and a correlation matrix with eigenvalue -0.16
    h = H3 + 3.0 * np.eye(3)
    e0 = float(np.linalg.eigvalsh(h)[0])
    for mu in (e0, e0 - 1e-15):
        with pytest.raises(ct.CorrthermError, match=r"^mu: got .*within round-off"):
            ct.gaussian.thermal_correlation(h, 1.0, mu, statistics="boson")
    bosons = ct.gaussian.FreeModel(h, h, 0.1 * np.eye(3), "boson")
    with pytest.raises(ct.CorrthermError, match=r"^bath_A.mu: got .*within round-off"):
        ct.gaussian.steady_state(bosons, ct.gaussian.LocalBath(1.0, mu=e0))
    # just below condensation is still a valid (large) Bose-Einstein occupation
    n = np.linalg.eigvalsh(ct.gaussian.thermal_correlation(h, 1.0, e0 - 1e-6, "boson"))
    expected = 1.0 / np.expm1(np.linalg.eigvalsh(h) - (e0 - 1e-6))
    np.testing.assert_allclose(np.sort(n), np.sort(expected), rtol=1e-6)


@pytest.mark.parametrize(
    "old, new, field",
    [
        ("sites = 1, onsite", "sites = true, onsite", "gaussian.A.sites"),
        ('onsite = "w" }', "onsite = false }", "gaussian.A.onsite"),
        ('strength = "g"', "strength = true", "gaussian.strength"),
    ],
)
def test_gaussian_table_booleans_are_not_numbers(tmp_path, old, new, field):
    # `sites = true` ran as one site
    f = scenario_file(tmp_path, "gaussian-two-oscillators", (old, new))
    one_line_error(invoke("check", f), field, "booleans are not numbers")


@pytest.mark.parametrize("command", ["check", "compare"])
def test_negative_gamma0_of_a_coupling_bath_names_file_and_table(tmp_path, command):
    # was "error: gamma0: got -1.0; ..." without the scenario or the bath
    f = scenario_file(
        tmp_path,
        "levy-kosloff-local",
        ('gamma0 = "gamma0", coupling = "sx(A0)"', 'gamma0 = -1, coupling = "sx(A0)"'),
    )
    one_line_error(invoke(command, f), str(f), "dynamics.bath_A", "gamma0: got -1")


# ============================================================================ compare APIs
def test_compare_approaches_with_approaches_none_is_one_error():
    bath = ct.ThermalBath(SX, 1.0, "ohmic", 0.05)
    with pytest.raises(ct.CorrthermError, match=r"^approaches: got None"):  # was a TypeError
        ct.compare_approaches(EXCHANGE, bath, bath, approaches=None)


def test_thermal_bath_refuses_a_non_hermitian_coupling_when_made():
    # the docstring promises validation when made; sigma_+ used to fail only in dissipator()
    with pytest.raises(ct.CorrthermError, match=r"^coupling: is not Hermitian"):
        ct.ThermalBath(SP, 1.0)
    with pytest.raises(ct.CorrthermError, match=r"^coupling\[1\]: has shape \(3, 3\)"):
        ct.ThermalBath([SX, np.eye(3)], 1.0)


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"n_samples": 0}, "n_samples: got 0"),  # ValueError from an empty max()
        ({"n_samples": 10**9}, "n_samples: got 1000000000"),  # a 7.5 GiB MemoryError
        ({"n_modes": "50"}, "n_modes: got '50'"),  # read as the lead sizes 5 and 0
    ],
)
def test_compare_with_master_equations_sampling_arguments(kwargs, needle):
    h_S = np.array([[0.0, 0.1], [0.1, 0.0]])
    args = {"beta_A": 1.0, "beta_B": 2.0, "n_modes": (20,), **kwargs}
    with pytest.raises(ct.CorrthermError, match="^" + needle.replace("(", r"\(")):
        ct.gaussian.compare_with_master_equations(h_S, 0.1, **args)


@pytest.mark.parametrize(
    "evolve",
    [
        lambda t: ct.evolve(EXCHANGE, RHO0, t, JA_EX, JB_EX),
        lambda t: ct.gaussian.evolve(FREE, C_FREE, t),
    ],
    ids=["dense", "gaussian"],
)
def test_two_dimensional_times_are_refused_not_flattened(evolve):
    # [[0, 1], [2, 3]] ran as four save times; [[0, 0.5], [0, 0.5]] was reported as "not
    # strictly increasing (times[0] = np.float64(0.0) ...)"
    with pytest.raises(ct.CorrthermError, match=r"^times: has shape \(2, 2\); expected a 1-D"):
        evolve(np.array([[0.0, 1.0], [2.0, 3.0]]))
    with pytest.raises(ct.CorrthermError, match=r"times\[0\] = 1.0 >= times\[1\] = 0.5"):
        evolve([1.0, 0.5])


def test_compare_explains_a_degenerate_steady_state(tmp_path):
    # gamma0 = 0: every state is stationary; the table said "undefined" without a reason
    f = scenario_file(tmp_path, "levy-kosloff-local", ("gamma0 = 0.05", "gamma0 = 0.0"))
    r = invoke("compare", f)
    assert r.exit_code == 0, r.output
    assert "NOTE: no unique steady state for: local, global, redfield" in r.stdout


# ------------------------------------------------------------------ options that are flags
@pytest.mark.parametrize("value", ["no", "yes", 1, 0.0, "x", [True]])
def test_boolean_options_refuse_truthy_values(value):
    """A flag given as "no" (truthy) or 1 would switch an option silently; each is refused
    with one line naming the option (core._validate.flag)."""
    import corrtherm as ct
    from corrtherm import gaussian as gs

    sz, sx = ct.sigma_z(), ct.sigma_x()
    model = ct.Bipartite(sz, 0.5 * sz, 0.1 * np.kron(sx, sx))
    jA, jB = ct.thermal_jumps(sz, beta=1.0), ct.thermal_jumps(0.5 * sz, beta=2.0)
    rho = np.eye(4) / 4
    calls = {
        "store_states": lambda: ct.evolve(model, rho, [0, 1], jA, jB, store_states=value),
        "entropic_split": lambda: ct.evolve(model, rho, [0, 1], jA, jB, entropic_split=value),
        "progress": lambda: ct.evolve(model, rho, [0, 1], jA, jB, progress=value),
        "spectral_gap": lambda: ct.steady_state(model, jA, jB, spectral_gap=value),
        "local": lambda: ct.davies_jumps(model, sx, "A", 1.0, local=value),
        "store_correlations": lambda: gs.evolve(
            gs.two_chains(2, 2), np.eye(4) * 0.5, [0, 1], store_correlations=value
        ),
    }
    for name, call in calls.items():
        with pytest.raises(ct.CorrthermError, match=rf"^{name}: got .*; expected True"):
            call()


def test_secular_cutoff_refuses_a_boolean():
    import corrtherm as ct

    sz, sx = ct.sigma_z(), ct.sigma_x()
    model = ct.Bipartite(sz, 0.5 * sz, 0.1 * np.kron(sx, sx))
    with pytest.raises(ct.CorrthermError, match="secular_cutoff: got True"):
        ct.redfield_bath(model, sx, "A", 1.0, secular_cutoff=True)
    assert ct.redfield_bath(model, sx, "A", 1.0, secular_cutoff=0.5).secular_cutoff == 0.5
