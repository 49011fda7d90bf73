"""[gaussian] scenarios: presets, .npy matrices, checks, the CLI, a sweep and bad input.

Independent truths: the scenario must describe the model and state its text says (compared with
the same objects built by hand through corrtherm.gaussian's builders), the exact identity behind
inequality (26) and the conservation laws of the runs, and one clear error per bad file.
"""

import numpy as np
import pytest
from typer.testing import CliRunner

import corrtherm.gaussian as g
from corrtherm.cli import app
from corrtherm.core.errors import ScenarioError
from corrtherm.scenarios import (
    build_scenario,
    check_scenario,
    load_preset,
    load_scenario,
    run_scenario,
    summarize,
)

SMALL = """
[parameters]
g = 0.5
strength = 0.9

[gaussian]
statistics = "fermion"
A = { kind = "chain", sites = 12, hopping = 1.0 }
B = { kind = "chain", sites = 10, hopping = 1.0 }
coupling = "bond"
strength = "g"

[state]
beta_A = 1.0
beta_B = 1.0
mu_A = 0.5
mu_B = -0.5
correlation = "particle-exchange"
c = "strength * c_max"

[time]
t_final = 10.0
n_points = 11
"""


def test_scenario_builds_the_model_and_state_it_describes():
    b = build_scenario(load_scenario(SMALL))
    m = g.two_chains(12, 10, hopping=1.0, coupling=0.5)
    np.testing.assert_array_equal(b.model.h, m.h)
    X = g.exchange_correlation(m, 1.0, 1.0, 0.5, -0.5)
    C0 = g.locally_thermal_correlation(m, 1.0, 1.0, 0.5, -0.5, X, 0.9)
    np.testing.assert_allclose(b.C0, C0, atol=1e-14)
    assert b.c_interval == pytest.approx((-1.0, 1.0), abs=1e-9)


def test_anomalous_preset_flows_uphill_and_obeys_the_identity():
    ds = run_scenario(load_preset("gaussian-anomalous-reservoirs").with_parameters({"L": 30}))
    s = summarize(ds)
    assert s["DeltaN_A"] > 0 and s["particle_flow"] == "anomalous"
    assert s["classification"] == "anomalous" and s["DeltaI_AB"] < s["lhs_26"] < 0
    assert np.max(np.abs(ds.identity_residual.values)) < 1e-10
    assert ds.attrs["modes"] == [30, 30] and ds.attrs["engine"] == "gaussian"


def test_oscillators_preset_closes_its_balances_without_a_cutoff():
    ds = run_scenario(load_preset("gaussian-two-oscillators").with_parameters({"g": 0.2}))
    assert ds.attrs["kind"] == "open" and ds.attrs["second_law_local"] == "holds"
    assert ds.attrs["residual_energy_balance"] < 1e-10
    assert ds.attrs["residual_particle_balance"] < 1e-10
    # heat runs from the hot bath A (beta 0.5) to the cold bath B (beta 2) at long times
    assert ds.J_A.values[-1] > 0 > ds.J_B.values[-1]


def test_npy_matrices_and_rungs(tmp_path):
    hA = g.random_hamiltonian(4, seed=1)
    hB = g.random_hamiltonian(3, seed=2)
    t = 0.3 * np.ones((4, 3))
    for name, arr in (("hA", hA), ("hB", hB), ("t", t)):
        np.save(tmp_path / f"{name}.npy", arr)
    C0 = g.thermal_correlation(g.FreeModel(hA, hB, t).h, 2.0, 0.1)
    np.save(tmp_path / "C0.npy", C0)
    text = """
[gaussian]
A = { kind = "matrix", matrix = "hA.npy" }
B = { kind = "matrix", matrix = "hB.npy" }
coupling = "matrix"
coupling_matrix = "t.npy"

[state]
kind = "matrix"
matrix = "C0.npy"

[analyses]
beta_A = 2.0
beta_B = 2.0
"""
    path = tmp_path / "s.toml"
    path.write_text(text)
    ds = run_scenario(load_scenario(path))
    # the global Gibbs state is stationary: nothing moves
    np.testing.assert_allclose(ds.N_A.values, ds.N_A.values[0], atol=1e-12)
    assert "lhs_26" in ds  # marginals not thermal: the fallback flow series
    ladder = SMALL.replace("sites = 12", "sites = 10").replace('"bond"', '"rungs"')
    rows = check_scenario(load_scenario(ladder))
    assert rows[0]["name"].startswith("[H_A + H_B, V]") and rows[0]["holds"]
    ds = run_scenario(load_scenario(ladder))
    np.testing.assert_allclose(ds.slack.values, (ds.D_A + ds.D_B).values, atol=1e-10)


def test_cli_run_check_and_a_sweep(tmp_path):
    runner = CliRunner()
    out = tmp_path / "osc"
    r = runner.invoke(app, ["run", "gaussian-two-oscillators", "-o", str(out), "--no-plots"])
    assert r.exit_code == 0, r.stdout
    assert (out / "results.nc").exists() and "Q_A" in r.stdout
    r = runner.invoke(app, ["check", "gaussian-anomalous-reservoirs"])
    assert r.exit_code == 0 and "modes (L_A, L_B) = (100, 100)" in r.stdout
    from distributed import Client, LocalCluster

    from corrtherm.sweeps import open_sweep, run_sweep

    scen = load_scenario(SMALL)
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False) as cluster,
        Client(cluster) as client,
    ):
        res = run_sweep(scen, store=tmp_path / "s.zarr", grid=["strength=-1:1:3"], client=client)
    assert res.done == 3
    store = open_sweep(tmp_path / "s.zarr")
    for k, c in enumerate(store["strength"].values):
        direct = summarize(run_scenario(scen.with_parameters({"strength": float(c)})))
        assert store["DeltaN_A"].values[k] == pytest.approx(direct["DeltaN_A"], abs=1e-12)
    dN = store["DeltaN_A"].values[np.argsort(store["strength"].values)]
    assert dN[0] < dN[1] < dN[2]  # c > 0 pushes particles into A


BAD = [
    (
        SMALL
        + '\n[model]\nsites = { A0 = "qubit", B0 = "qubit" }\nH_A = "sz(A0)"\nH_B = "sz(B0)"\n',
        "exactly one",
    ),
    (SMALL.replace('coupling = "bond"', 'coupling = "rungs"'), "rungs"),
    (SMALL.replace("sites = 12,", ""), "gaussian.A.sites: missing"),
    (SMALL.replace("sites = 12", "sites = 2.5"), "gaussian.A.sites"),
    (SMALL.replace('"particle-exchange"', '"sx(A0)"'), "state.correlation"),
    (SMALL.replace('"strength * c_max"', "1.5"), "admissible interval"),
    (
        SMALL.replace(
            'A = { kind = "chain", sites = 12, hopping = 1.0 }', 'A = { kind = "matrix" }'
        ),
        "gaussian.A.matrix: missing",
    ),
    (SMALL + '\n[dynamics]\nkind = "open"\nbath_A = { beta = 1.0, jumps = ["sm(A0)"] }\n', "jumps"),
    (SMALL + '\n[dynamics]\nkind = "open"\nbath_A = { beta = -1.0 }\n', "bath_A"),
    (SMALL.replace('statistics = "fermion"', 'statistics = "boson"'), "mu"),
    (
        SMALL + '\n[dynamics]\nkind = "open"\napproach = "global"\nbath_A = { beta = 1.0 }\n',
        "approach",
    ),
    (
        SMALL + '\n[dynamics]\nkind = "open"\nbath_A = { beta = 1.0, coupling = "sx(A0)" }\n',
        "coupling",
    ),
]


@pytest.mark.parametrize("text,match", BAD, ids=[b[1] for b in BAD])
def test_bad_gaussian_scenarios_give_one_clear_error(text, match):
    with pytest.raises(ScenarioError, match=match) as info:
        run_scenario(load_scenario(text))
    assert "\n" not in str(info.value)


def test_summary_calls_q_energy_when_the_baths_exchange_particles():
    """With grand-canonical baths Q_X = int Tr[H L_X rho] is the energy drawn, not the heat
    (the heat is Q_X - mu_X N_in,X): the summary labels it so; without mu it stays "heat"."""
    from corrtherm.scenarios.summary import summary_text

    opened = SMALL.replace("n_points = 11", "n_points = 3") + (
        '\n[dynamics]\nkind = "open"\nbath_A = { beta = 1.0, mu = MU, gamma0 = 0.1 }\n'
        "bath_B = { beta = 1.0, mu = -0.5, gamma0 = 0.1 }\n"
    )
    text = summary_text(run_scenario(load_scenario(opened.replace("MU", "0.5"))))
    assert "Q_A (energy from bath A)" in text and "heat from bath" not in text
    paper1 = summary_text(run_scenario(load_preset("paper1-two-qubits")))
    assert "Q_A (heat from bath A)" in paper1
