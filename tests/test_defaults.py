"""A run says what it assumed: the settings a scenario left to the schema's defaults."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from corrtherm.cli import app
from corrtherm.scenarios import load_scenario, read_results, run_scenario, write_results
from corrtherm.scenarios.defaults import assumed_defaults
from corrtherm.scenarios.schema import ScenarioSpec

MINIMAL = """
[model]
sites = { A0 = "qubit", B0 = "qubit" }
H_A = "sz(A0)"
H_B = "0.5 * sz(B0)"
V = "0.2 * (sp(A0) * sm(B0) + h.c.)"

[state]
beta_A = 1.0
beta_B = 2.0
"""

EXPLICIT = """
[model]
sites = { A0 = "qubit", B0 = "qubit" }
H_A = "sz(A0)"
H_B = "0.5 * sz(B0)"
V = "0.2 * (sp(A0) * sm(B0) + h.c.)"

[state]
kind = "thermal"
beta_A = 1.0
beta_B = 2.0

[dynamics]
kind = "isolated"
alpha_A = 0.5

[time]
t_final = 2.0
n_points = 11
"""


def schema_default(path: str):
    """The default of a dotted field path, read from the pydantic models themselves."""
    model, value = ScenarioSpec, None
    for part in path.split("."):
        field = model.model_fields[part]
        value = field.get_default(call_default_factory=True)
        model = type(value)
    return value


def test_minimal_scenario_lists_the_defaults_it_runs_with():
    spec = load_scenario(MINIMAL).spec
    items = assumed_defaults(spec)
    assert 'dynamics.kind = "isolated"' in items
    assert "time.t_final = 1" in items and "time.n_points = 101" in items
    assert 'state.kind = "thermal"' in items and "dynamics.alpha_A = 0.5" in items
    # every reported value is the schema's own default (nothing hard-coded here)
    for item in items:
        path, value = item.split(" = ")
        default = schema_default(path)
        assert value == (json.dumps(default) if isinstance(default, str) else f"{default:g}")
    # settings the scenario makes irrelevant are not reported
    paths = {i.split(" = ")[0] for i in items}
    assert not paths & {"state.c", "state.phase", "state.mu_A", "tolerances.rtol", "title"}
    assert not any(p.startswith("analyses.") for p in paths)


def test_explicit_scenario_assumes_nothing():
    assert assumed_defaults(load_scenario(EXPLICIT).spec) == []


def test_assumed_defaults_kept_in_results_and_printed(tmp_path):
    ds = run_scenario(load_scenario(MINIMAL))
    assert 'dynamics.kind = "isolated"' in ds.attrs["assumed_defaults"]
    assert float(ds["time"][-1]) == 1.0 and ds.sizes["time"] == 101  # what was said is what ran
    back = read_results(write_results(ds, tmp_path / "r.nc"))
    assert back.attrs["assumed_defaults"] == ds.attrs["assumed_defaults"]
    assert run_scenario(load_scenario(EXPLICIT)).attrs["assumed_defaults"] == ""

    path = tmp_path / "mini.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    r = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out"), "--no-plots"])
    assert r.exit_code == 0, r.output
    block = r.stdout.split("defaults assumed (not set in the scenario):")[1]
    assert re.search(r'\[dynamics\] kind = "isolated", alpha_A = 0.5', block)
    assert "[time] t_final = 1, n_points = 101" in block
    assert "isolated dynamics, t = 0 to 1 in 101 save times" in r.stdout

    path.write_text(EXPLICIT, encoding="utf-8")
    r = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "o2"), "--no-plots"])
    assert r.exit_code == 0 and "defaults assumed" not in r.stdout


# ---------------------------------------------------------------- the rate family of a bath
OPEN = """
[dynamics]
kind = "open"
bath_A = { beta = 1.0, gamma0 = 0.05EXTRA_A }
bath_B = { beta = BETA_B, gamma0 = 0.05EXTRA_B }

[time]
t_final = 2.0
n_points = 5
"""


def _open(tmp_path, name, extra_A="", extra_B="", beta_B="1.5"):
    path = tmp_path / f"{name}.toml"
    text = OPEN.replace("EXTRA_A", extra_A).replace("EXTRA_B", extra_B).replace("BETA_B", beta_B)
    path.write_text(MINIMAL + text)
    return path


def _coupled(rate=""):
    return tuple(f', coupling = "sx({s}0)"' + (f', rate = "{rate}"' if rate else "") for s in "AB")


def test_bath_rate_default_follows_how_the_bath_is_given(tmp_path):
    """Unset `rate`: "paper" for jumps between all eigenstate pairs (paper 1), "ohmic" for a bath
    given by its coupling, as davies_jumps/redfield_bath/ThermalBath; the run says which."""
    import numpy as np

    import corrtherm as ct

    jumps = load_scenario(_open(tmp_path, "jumps"))
    assert 'dynamics.bath_A.rate = "paper"' in assumed_defaults(jumps.spec)
    coupled = load_scenario(_open(tmp_path, "coupled", *_coupled()))
    assert 'dynamics.bath_A.rate = "ohmic"' in assumed_defaults(coupled.spec)
    explicit = load_scenario(_open(tmp_path, "explicit", *_coupled("ohmic")))
    assert not any(".rate" in a for a in assumed_defaults(explicit.spec))
    # a qubit's only transition: the local jumps from sx carry gamma(omega) of the family, so the
    # default run equals the explicit "ohmic" one and differs from a "paper" one
    ds = run_scenario(coupled)
    # d = 4 runs the exact spectral propagator: no step control, so rtol/atol were not assumed
    assert (
        ds.attrs["method"].startswith("exact")
        and "tolerances.method" in ds.attrs["assumed_defaults"]
    )
    assert "tolerances.rtol" not in ds.attrs["assumed_defaults"]
    J = {"c": ds["J_A"].values, "e": run_scenario(explicit)["J_A"].values}
    np.testing.assert_array_equal(J["c"], J["e"])
    paper = load_scenario(_open(tmp_path, "paper", *_coupled("paper")))
    assert np.abs(run_scenario(paper)["J_A"].values - J["c"]).max() > 1e-6
    # the library's ThermalBath has the same default: one family for baths given by a coupling
    assert ct.ThermalBath(ct.sigma_x(), 1.0).rate == "ohmic"


def test_compare_prints_its_assumed_defaults_and_zeroes_round_off(tmp_path):
    """`compare` lists the defaults like `run`. With beta_A omega_A = beta_B omega_B (H_A = sz,
    H_B = sz / 2, beta_B = 2 beta_A) an exchange V commutes with beta_A H_A + beta_B H_B, so the
    local steady state is pi_A (x) pi_B (paper 1, Eq. 14 corrected) and its currents are exact
    zeros: they print as 0, not as round-off like 1e-20."""
    path = _open(tmp_path, "balanced", *_coupled(), beta_B="2.0")
    r = CliRunner().invoke(app, ["compare", str(path)])
    assert r.exit_code == 0, r.output
    assert "defaults assumed (not set in the scenario):" in r.output
    assert '[dynamics.bath_A] rate = "ohmic"' in r.output
    rows = {line[:34].strip(): line[34:].split() for line in r.output.splitlines()}
    assert rows["J_A steady (heat from bath A)"][0] == "0"
    assert rows["σ steady (≥ 0?)"][0] == "0"
    assert float(rows["J_A steady (heat from bath A)"][1]) > 1e-5  # global: heat flows hot -> cold
