"""The one switch ([dynamics] approach), the audit lines of `run`/`check`, `compare`, presets.

Truths used: the closed-form local current of tests/test_entropy_production.py and the Pauli
equation of the global one (the presets must reproduce the issue's numbers).
"""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

import corrtherm as ct
from corrtherm.cli import app
from corrtherm.scenarios import build_scenario, load_preset, load_scenario, run_scenario
from corrtherm.scenarios.compare import compare_scenario

from .test_entropy_production import BETA_A, BETA_B, GAMMA0, lk_local_closed_form

runner = CliRunner()

LK = """
[parameters]
g = 0.1
[model]
sites = { A0 = "qubit", B0 = "qubit" }
H_A = "sz(A0)"
H_B = "0.25 * sz(B0)"
V = "g * (sp(A0) * sm(B0) + h.c.)"
[state]
beta_A = 0.5
beta_B = 1.0
[dynamics]
kind = "open"
%s
[time]
t_final = 5.0
n_points = 11
"""


def scen(dynamics: str):
    return load_scenario(LK % dynamics)


def test_approach_switch_builds_local_global_and_redfield_baths():
    baths = (
        'bath_A = { beta = 0.5, rate = "ohmic", gamma0 = 0.05, coupling = "sx(A0)" }\n'
        'bath_B = { beta = 1.0, rate = "ohmic", gamma0 = 0.05, coupling = "sx(B0)" }'
    )
    loc = build_scenario(scen(baths))
    assert loc.approach == "local" and all(L.shape == (2, 2) for L in loc.jumps_A)
    glob = build_scenario(scen('approach = "global"\n' + baths))
    assert isinstance(glob.jumps_A, ct.DaviesBath) and glob.jumps_A.kind == "global"
    red = build_scenario(scen('approach = "redfield"\n' + baths))
    assert isinstance(red.jumps_B, ct.RedfieldBath)
    assert glob.bath_thermo == {"beta_A": 0.5, "beta_B": 1.0, "mu_A": None, "mu_B": None}
    # the audit runs inside run_scenario; steady currents match the closed form / Davies
    model = loc.model
    rep = ct.steady_state(model, loc.jumps_A, loc.jumps_B, beta_A=0.5, beta_B=1.0)
    J = lk_local_closed_form(2.0, 0.5, 0.1, BETA_A, BETA_B, "ohmic", GAMMA0)
    assert rep.J_A == pytest.approx(J, rel=1e-9)


@pytest.mark.parametrize(
    "dynamics, match",
    [
        (
            'approach = "global"\nbath_A = { beta = 0.5 }',
            r"dynamics.bath_A.coupling: missing; approach = .global. needs the system operator",
        ),
        (
            'approach = "redfield"\nbath_A = { jumps = ["sm(A0)"] }',
            "dynamics.bath_A.jumps: explicit jumps are local",
        ),
        (
            'bath_A = { beta = 0.5, coupling = "sx(B0)" }',
            "dynamics.bath_A.coupling: uses site B0 but may only involve sites of A",
        ),
        (
            'bath_A = { beta = 0.5, coupling = "sp(A0)" }',
            r"dynamics.bath_A.coupling: is not Hermitian",
        ),
        (
            'bath_A = { beta = 0.5, coupling = "sx(A0)", jumps = ["sm(A0)"] }',
            "dynamics.bath_A: give explicit jumps or a coupling, not both",
        ),
        (
            "bath_A = { beta = 0.5, mu = 0.3 }",
            "dynamics.bath_A.mu: a grand-canonical bath needs number operators",
        ),
        ('approach = "davies"\nbath_A = { beta = 0.5 }', "dynamics.approach"),
        ('bath_A = { beta = 0.5, rate = "bosonic" }', "dynamics.bath_A.rate"),
        ("bath_A = { beta = 0.5, coupling = [] }", "dynamics.bath_A.coupling: is empty"),
    ],
)
def test_scenario_bad_bath_keys(dynamics, match):
    with pytest.raises(ct.ScenarioError, match=match):
        build_scenario(scen(dynamics))


def test_isolated_scenario_rejects_a_non_local_approach():
    text = (LK % "").replace('kind = "open"', 'kind = "isolated"\napproach = "global"')
    with pytest.raises(ct.ScenarioError, match="dynamics.approach: 'global' needs kind"):
        build_scenario(load_scenario(text))


def test_levy_kosloff_presets_reproduce_the_issue():
    ds = run_scenario(load_preset("levy-kosloff-global"))
    assert ds.attrs["second_law"] == "holds" and ds.attrs["approach"] == "global"
    with pytest.warns(RuntimeWarning, match="violated"):
        ds = run_scenario(load_preset("levy-kosloff-local"))
    assert ds.attrs["second_law"].startswith("violated")
    b = build_scenario(load_preset("levy-kosloff-local"))
    rep = ct.steady_state(b.model, b.jumps_A, b.jumps_B, beta_A=0.5, beta_B=1.0)
    assert rep.J_A == pytest.approx(-1.4613e-4, abs=5e-9)
    assert rep.sigma == pytest.approx(-7.306e-5, abs=5e-9)


def test_cli_check_and_run_print_the_audit(tmp_path):
    r = runner.invoke(app, ["check", "levy-kosloff-local"])
    assert r.exit_code == 0, r.output
    assert "WARNING: second law violated" in r.stdout and "sigma = -7.30648e-05" in r.stdout
    r = runner.invoke(app, ["check", "levy-kosloff-global"])
    assert r.exit_code == 0 and "sigma = 9.92813e-05 (second law sigma >= 0: holds)" in r.stdout
    r = runner.invoke(
        app, ["run", "levy-kosloff-local", "--out", str(tmp_path / "a"), "--no-plots"]
    )
    assert r.exit_code == 0, r.output  # a violation is a finding, not an error
    assert "WARNING: second law (local baths): sigma >= 0 violated" in r.stdout
    assert "local accounting (Tr[V L_X[rho]] booked as work): holds" in r.stdout
    r = runner.invoke(
        app, ["run", "levy-kosloff-global", "--out", str(tmp_path / "b"), "--no-plots"]
    )
    assert r.exit_code == 0 and "second law (global baths): sigma >= 0 holds" in r.stdout


CHAIN_64 = """
[parameters]
J = 1.0
[model]
sites = { A0 = "qubit", A1 = "qubit", A2 = "qubit", B0 = "qubit", B1 = "qubit", B2 = "qubit" }
H_A = "1.0 * n(A0) + 1.1 * n(A1) + 1.2 * n(A2) + J * (sp(A0) * sm(A1) + sp(A1) * sm(A2) + h.c.)"
H_B = "1.3 * n(B0) + 1.4 * n(B1) + 1.5 * n(B2) + J * (sp(B0) * sm(B1) + sp(B1) * sm(B2) + h.c.)"
V = "J * (sp(A2) * sm(B0) + h.c.)"
[state]
beta_A = 0.5
beta_B = 2.0
[dynamics]
kind = "open"
bath_A = { beta = 0.5, rate = "fermi", gamma0 = 0.1 }
bath_B = { beta = 2.0, rate = "fermi", gamma0 = 0.1 }
[time]
t_final = 300.0
n_points = 4
[analyses]
entropic_split = false
"""


def test_check_audits_the_steady_state_above_the_dense_limit(tmp_path):
    # found by a new user: `check` skipped the audit for d > 32 ("steady state needs d <= 32")
    # although steady_state now solves large d; the audit's steady current must be where an
    # independent long-time ODE run ends (t = 300 = 30 / gamma0)
    f = tmp_path / "chain.toml"
    f.write_text(CHAIN_64)
    r = runner.invoke(app, ["check", str(f)])
    assert r.exit_code == 0, r.output
    assert "skipped" not in r.stdout and "(second law sigma >= 0: holds)" in r.stdout
    J_A = float(r.stdout.split("J_A = ")[1].split(",")[0])
    ds = run_scenario(load_scenario(f))
    assert ds.attrs["method"].startswith("ode")
    assert J_A == pytest.approx(float(ds["J_A"][-1]), rel=1e-6)


def test_compare_table_and_cli(tmp_path):
    table = compare_scenario(load_preset("levy-kosloff-local"))
    assert list(table["approach"].values) == ["local", "global", "redfield"]
    assert list(table["heat_flow"].values) == ["B -> A", "A -> B", "A -> B"]
    assert list(table["hot_to_cold"].values) == ["no", "yes", "yes"]
    assert list(table["second_law"].values) == ["violated", "holds", "holds"]
    assert list(table["heat_flow_changed"].values) == [False, True, True]
    assert table["J_A"].attrs["units"] == "[E]/[t]"  # the registry's units (core.metadata)
    assert table["sigma"].attrs["units"] == "nat/[t]" and table["heat_flow"].attrs["units"] == "1"
    r = runner.invoke(app, ["compare", "levy-kosloff-local", "--out", str(tmp_path / "c.nc")])
    assert r.exit_code == 0, r.output
    assert "heat flow differs from local" in r.stdout
    assert "WARNING: second law violated at the steady state by: local" in r.stdout
    back = ct.read_results(tmp_path / "c.nc")
    assert list(back["second_law"].values) == ["violated", "holds", "holds"]


def test_compare_needs_couplings():
    r = runner.invoke(app, ["compare", "xx-chain-two-baths"])
    assert r.exit_code == 2 and "dynamics.bath_A.coupling: missing" in r.stderr


def test_compare_refuses_gaussian_scenarios_with_one_line():
    # found by a new user: a [gaussian] preset crashed compare with an AttributeError
    for preset in ("gaussian-two-oscillators", "gaussian-anomalous-reservoirs"):
        r = runner.invoke(app, ["compare", preset])
        assert r.exit_code == 2, r.output
        assert "gaussian: compare works on [model] scenarios" in r.stderr
        assert "internal error" not in r.stderr


def test_compare_approaches_python_bad_input():
    model = build_scenario(load_preset("levy-kosloff-local")).model
    bath = ct.ThermalBath(ct.sigma_x(), 0.5, "ohmic", 0.05)
    with pytest.raises(ct.DynamicsError, match="approaches: got"):
        ct.compare_approaches(model, bath, bath, approaches=["local", "lindblad"])
    with pytest.raises(ct.DynamicsError, match="bath_A: got dict"):
        ct.compare_approaches(model, {"beta": 1.0}, bath)
    with pytest.raises(ct.DynamicsError, match="rho0, times: give both"):
        ct.compare_approaches(model, bath, bath, rho0=np.eye(4) / 4)
    with pytest.raises(ct.DynamicsError, match="bath_A, bath_B: both None"):
        ct.compare_approaches(model, None, None)


def test_compare_sign_of_delta_u_chi_ignores_round_off():
    """beta_A omega_A = beta_B omega_B (splittings 2 and 1, beta 0.5 and 1): an exchange V
    commutes with beta_A H_A + beta_B H_B, so pi_A (x) pi_B is the local steady state and the
    local Delta U_chi is exactly zero; its computed value is round-off (eps ||V||, here
    -1e-19), whose sign must not count. Global and Redfield do change U_chi (physically, by
    ~6e-5, with opposite signs), so both differ from the local zero. With g = 1e-14 all three
    are below the round-off scale: no change at all."""
    import warnings

    sz, sx, sp, sm = ct.sigma_z(), ct.sigma_x(), ct.sigma_plus(), ct.sigma_minus()
    rho0 = np.kron(ct.gibbs_state(sz, 0.5), ct.gibbs_state(0.5 * sz, 1.0))
    baths = (ct.ThermalBath(sx, 0.5, gamma0=0.05), ct.ThermalBath(sx, 1.0, gamma0=0.05))
    tables = {}
    for g in (0.1, 1e-14):
        model = ct.Bipartite(sz, 0.5 * sz, g * (np.kron(sp, sm) + np.kron(sm, sp)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # secular-approximation notes
            tables[g] = ct.compare_approaches(model, *baths, rho0=rho0, times=np.linspace(0, 5, 6))
    dU = tables[0.1]["DeltaU_chi"].values
    assert abs(dU[0]) < 1e-15 and min(abs(dU[1]), abs(dU[2])) > 1e-6 and dU[1] * dU[2] < 0
    assert tables[0.1]["DeltaU_chi_sign_changed"].values.tolist() == [False, True, True]
    assert np.abs(tables[1e-14]["DeltaU_chi"].values).max() < 1e-26
    assert not tables[1e-14]["DeltaU_chi_sign_changed"].values.any()
