"""The ``corrtherm`` command through typer's CliRunner and as the installed entry point."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tomllib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from corrtherm import __version__
from corrtherm.cli import app
from corrtherm.scenarios import preset_text, read_results

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def assert_clean_failure(result) -> None:
    """Exit 2, exactly one line on stderr, no traceback."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output


def test_version_and_presets():
    r = invoke("--version")
    assert r.exit_code == 0 and r.stdout.strip() == f"corrtherm {__version__}"
    r = invoke("presets")
    assert r.exit_code == 0
    assert "paper1-two-qubits" in r.stdout and "(default)" in r.stdout
    for name in ("paper2-fermions-anomalous", "xx-chain-two-baths", "boson-beam-splitter"):
        assert name in r.stdout


def test_show_prints_the_preset_as_toml():
    r = invoke("show", "paper2-fermions-anomalous")
    assert r.exit_code == 0
    assert r.stdout == preset_text("paper2-fermions-anomalous")
    assert tomllib.loads(r.stdout)["model"]["sites"] == {"A0": "fermion", "B0": "fermion"}
    assert_clean_failure(invoke("show", "paper3"))


def test_default_run_writes_results_plots_and_summary(tmp_path):
    out = tmp_path / "run"
    r = invoke("run", "--out", out)
    assert r.exit_code == 0, r.output
    assert "ΔU_χ" in r.stdout and "paper1-two-qubits" in r.stdout
    written = {"results.nc", "energy.png", "currents.png", "information.png"}
    assert {p.name for p in out.iterdir()} == {*written, ".corrtherm-manifest.json"}
    manifest = json.loads((out / ".corrtherm-manifest.json").read_text())
    assert manifest == {"files": sorted(written), "complete": True}
    ds = read_results(out / "results.nc")
    g, c = 0.2, 0.05  # preset values; Eq. 17 at t_final
    x, y = 0.5 * 1.0, 1.0 * 0.5
    lam = 2 * math.cosh(x) + 2 * math.cosh(y)
    t = ds["time"].values[-1]
    dU = ds["U_chi"].values[-1] - ds["U_chi"].values[0]
    assert dU == pytest.approx(4 * g * c * (math.exp(-lam * t) - 1), abs=1e-9)
    assert ds.attrs["scenario_name"] == "paper1-two-qubits"
    # an existing result is never clobbered silently
    before = (out / "results.nc").read_bytes()
    assert_clean_failure(invoke("run", "--out", out))
    assert (out / "results.nc").read_bytes() == before
    assert invoke("run", "--out", out, "--force", "--no-plots").exit_code == 0


def test_edited_preset_runs(tmp_path):
    text = preset_text("partial-swap-reversal").replace("strength = 0.95", "strength = 0.0")
    f = tmp_path / "swap.toml"
    f.write_text(text)
    r = invoke("run", f, "--out", tmp_path / "o")
    assert r.exit_code == 0, r.output
    ds = read_results(tmp_path / "o" / "results.nc")
    assert ds["E_A"].values[-1] < ds["E_A"].values[0]  # uncorrelated: hot qubit cools down
    assert "conventional" in r.stdout


BAD = {
    "unknown operator": ('V = "g * sz(A0) * sz(B0)"', 'V = "g * sq(A0) * sz(B0)"'),
    "wrong site": ('V = "g * sz(A0) * sz(B0)"', 'V = "g * sz(A0) * sz(B1)"'),
    "missing parameter": ("g = 0.2\n", ""),
    "toml syntax": ("g = 0.2", "g = = 0.2"),
    "non-positive state": ("c = 0.05 ", "c = 0.5 "),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_scenarios_exit_2_with_one_line(tmp_path, case):
    old, new = BAD[case]
    text = preset_text("paper1-two-qubits")
    assert old in text
    f = tmp_path / "bad.toml"
    f.write_text(text.replace(old, new, 1))
    for cmd in ("run", "check"):
        r = invoke(cmd, f, *(["--out", tmp_path / "o"] if cmd == "run" else []))
        assert_clean_failure(r)
        assert "bad.toml" in r.stderr
    assert not (tmp_path / "o" / "results.nc").exists()


def test_missing_scenario_file(tmp_path):
    assert_clean_failure(invoke("check", tmp_path / "nope.toml"))


def test_check_reports_both_papers_conditions():
    r = invoke("check", "paper1-two-qubits")
    assert r.exit_code == 0
    assert "L#_A[H] + L#_B[H] = 0" in r.stdout and "VIOLATED" in r.stdout  # paper 1 theorem
    assert "[H_A + H_B, V] = 0" in r.stdout
    r = invoke("check", "paper2-fermions-conventional")
    assert "paper 2 Eq. 15" in r.stdout and "VIOLATED" not in r.stdout
    assert "admissible" in r.stdout


def test_reproduce_agrees_with_closed_forms(tmp_path):
    r = invoke("reproduce", "--out", tmp_path / "rep")
    assert r.exit_code == 0, r.output
    assert " NO" not in r.stdout
    files = {p.name for p in (tmp_path / "rep").iterdir()}
    assert {"paper1.png", "paper2.png", "reproduce.csv", "reproduce.md"} <= files
    assert "anomalous" in r.stdout and "misprint" in r.stdout


@given(st.text(max_size=120))
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_garbage_scenario_files_exit_2(tmp_path, text):
    f = tmp_path / "garbage.toml"
    f.write_text(text, encoding="utf-8")
    r = invoke("check", f)
    assert r.exit_code in (0, 2)
    if r.exit_code == 2:
        assert_clean_failure(r)


def test_hostile_expression_does_not_execute(tmp_path):
    marker = tmp_path / "pwned"
    text = preset_text("paper1-two-qubits").replace(
        'V = "g * sz(A0) * sz(B0)"', f"V = \"__import__('os').system('touch {marker}')\""
    )
    f = tmp_path / "evil.toml"
    f.write_text(text)
    assert_clean_failure(invoke("run", f, "--out", tmp_path / "o"))
    assert not marker.exists()


# ------------------------------------------------------------------ the installed entry point
def _entry_point() -> list[str]:
    exe = shutil.which("corrtherm")
    return [exe] if exe else [sys.executable, "-m", "corrtherm.cli"]


def test_installed_entry_point_runs_and_fails_cleanly(tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    out = tmp_path / "anom"
    p = subprocess.run(
        [*_entry_point(), "run", "paper2-fermions-anomalous", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert "anomalous" in p.stdout
    ds = read_results(out / "results.nc")
    assert np.all(ds["slack"].values >= -1e-12)
    p = subprocess.run(
        [*_entry_point(), "run", "paper2-fermions-anomalous", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
    assert "--force" in p.stderr
