"""Issue 16's hostile inputs, one test each: every one is now one clear line (exit status 2 on
the command line), runs correctly, or is refused before it allocates or spins.

Each test reproduces the example of the issue (or its class) and checks the outcome the issue
asks for: the message names the field and what to change, nothing is allocated or written
outside ``--out``, the directory never mixes two runs, no store is left behind.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.lib import format as npf
from typer.testing import CliRunner

import corrtherm as ct
from corrtherm.cli import app
from corrtherm.scenarios import load_scenario, preset_text
from corrtherm.scenarios.files import MANIFEST

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def one_line_error(r, *needles: str) -> str:
    """Exit 2 and exactly one line on stderr, which contains every needle."""
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


def scenario_file(tmp_path: Path, preset: str, *edits: tuple[str, str], prefix: str = "") -> Path:
    text = preset_text(preset)
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    f = tmp_path / "s.toml"
    f.write_text(prefix + text, encoding="utf-8")
    return f


# ============================================================================ crashes
def test_npy_header_claiming_a_huge_array_is_refused_unread(tmp_path):
    f = tmp_path / "huge.npy"
    with open(f, "wb") as fh:  # header of a 100000 x 100000 complex array, no data
        npf.write_array_header_1_0(
            fh, {"descr": "<c16", "fortran_order": False, "shape": (100000, 100000)}
        )
    s = scenario_file(
        tmp_path,
        "paper1-two-qubits",
        ('kind = "thermal"', 'kind = "matrix"\nmatrix = "huge.npy"'),
        ('correlation = "sz(A0) * sz(B0)"\n', ""),
        ('c = "c"\n', ""),
    )
    one_line_error(invoke("check", s), "state.matrix", "(100000, 100000)", "expected (4, 4)")
    # right shape, truncated data: read error, not a traceback
    with open(f, "wb") as fh:
        npf.write_array_header_1_0(fh, {"descr": "<c16", "fortran_order": False, "shape": (4, 4)})
    one_line_error(invoke("check", s), "state.matrix", "cannot read")


def test_npy_within_shape_but_over_the_memory_limit(tmp_path, monkeypatch):
    f = tmp_path / "rho.npy"
    np.save(f, np.eye(4, dtype=complex) / 4)
    s = scenario_file(
        tmp_path,
        "paper1-two-qubits",
        ('kind = "thermal"', 'kind = "matrix"\nmatrix = "rho.npy"'),
        ('correlation = "sz(A0) * sz(B0)"\n', ""),
        ('c = "c"\n', ""),
    )
    assert invoke("check", s).exit_code == 0
    monkeypatch.setenv("CORRTHERM_MEMORY_LIMIT", "100B")
    one_line_error(invoke("check", s), "needs", "memory limit of 100 B", "CORRTHERM_MEMORY_LIMIT")


def test_stored_trajectory_beyond_memory_is_refused_by_check_and_run(tmp_path):
    sites = ", ".join(f'{s}{k} = "qubit"' for s in "AB" for k in range(4))
    text = textwrap.dedent(
        f"""
        [model]
        sites = {{ {sites} }}
        H_A = "n(A0) + n(A1) + 0.7 * n(A2) + 0.3 * n(A3)"
        H_B = "n(B0) + n(B1) + 0.6 * n(B2) + 0.2 * n(B3)"
        V = "0.1 * (sp(A3) * sm(B0) + h.c.)"
        [state]
        beta_A = 1
        beta_B = 2
        [time]
        n_points = 100000
        [analyses]
        store_states = true
        """
    )
    f = tmp_path / "big.toml"
    f.write_text(text)
    for cmd in (("check", f), ("run", f, "--out", tmp_path / "o")):
        one_line_error(invoke(*cmd), "100000 save times at d = 256", "GiB", "store_states")
    assert not (tmp_path / "o").exists()
    # the override raises the limit (the run is then only refused by the machine)
    r = invoke("check", f, "--memory-limit", "1TB")
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize(
    "preset,edit,field",
    [
        ("xx-chain-two-baths", ("gamma0 = 0.1", "gamma0 = 1e308"), "dynamics.bath_A.gamma0"),
        (
            "paper1-two-qubits",
            ('"sqrt(gamma0) * exp(-beta_A * omega_A / 2) * sp(A0)"', '"1e160 * sp(A0)"'),
            "dynamics.bath_A.jumps",
        ),
        ("paper1-two-qubits", ("gamma0 = 1.0", "gamma0 = 1e308"), "dynamics.bath_A.jumps"),
    ],
)
def test_overflowing_rates_name_the_field(tmp_path, preset, edit, field):
    s = scenario_file(tmp_path, preset, edit)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no RuntimeWarning on the way
        for cmd in (("check", s), ("run", s, "--out", tmp_path / "o")):
            one_line_error(invoke(*cmd), field, "rate")


def test_api_evolve_with_overflowing_rate_raises():
    sz = ct.sigma_z()
    m = ct.Bipartite(sz, sz, 0.2 * np.kron(sz, sz))
    rho = np.eye(4) / 4
    with pytest.raises(ct.DynamicsError, match="jumps_A: the total rate"):
        ct.evolve(m, rho, [0, 1], ct.thermal_jumps(sz, 1.0, gamma0=1e308))


def test_read_only_output_and_results_nc_directory(tmp_path, monkeypatch):
    out = tmp_path / "o"
    (out / "results.nc").mkdir(parents=True)
    one_line_error(invoke("run", "--out", out, "--force"), "results.nc is a directory")
    # a permission error while writing (root ignores chmod, so the OS call is made to fail)
    import corrtherm.scenarios.files as files

    def denied(*_a, **_k):
        raise PermissionError(13, "Permission denied", str(tmp_path / "ro"))

    monkeypatch.setattr(files, "_new_temporary", denied)
    one_line_error(invoke("run", "--out", tmp_path / "ro", "--no-plots"), "Permission denied")
    assert not (tmp_path / "ro").exists()  # the directory this run created is removed again
    (tmp_path / "f").write_text("x")
    one_line_error(invoke("run", "--out", tmp_path / "f" / "sub"), "Not a directory")


def test_huge_grid_is_refused_before_allocation(tmp_path):
    t0 = time.perf_counter()
    with pytest.raises(ct.ResourceError, match="10,000,000,000 points"):
        ct.run_sweep(
            "xx-chain-two-baths",
            store=tmp_path / "g.zarr",
            grid=["J=0:1:100000", "gamma0=0:1:100000"],
        )
    assert time.perf_counter() - t0 < 30 and not (tmp_path / "g.zarr").exists()


# ============================================================================ hangs
def test_extreme_rate_on_the_ode_path_stops_quickly(tmp_path):
    s = scenario_file(tmp_path, "xx-chain-two-baths", ("gamma0 = 0.1", "gamma0 = 1e6"))
    line = one_line_error(invoke("run", s, "--out", tmp_path / "o"), "step size collapsed")
    assert "method='exact'" in line


def test_api_ode_guard_on_a_stiff_generator():
    sz = ct.sigma_z()
    m = ct.Bipartite(sz, sz, 0.2 * np.kron(sz, sz))
    jumps = [1e8 * L for L in ct.thermal_jumps(sz, 1.0, rate="paper")]
    t0 = time.perf_counter()
    with pytest.raises(ct.DynamicsError, match="too stiff"):
        ct.evolve(m, np.eye(4) / 4, np.linspace(0, 10, 5), jumps, method="ode")
    assert time.perf_counter() - t0 < 30


def test_tolerance_below_double_precision_is_refused(tmp_path):
    s = scenario_file(tmp_path, "xx-chain-two-baths", ("atol = 1e-11", "atol = 1e-320"))
    for cmd in (("check", s), ("run", s, "--out", tmp_path / "o")):
        one_line_error(invoke(*cmd), "tolerances.atol", "1e-18")


# ============================================================================ silent nonsense
def test_silent_nonsense_is_refused():
    with pytest.raises(ct.ModelError, match="non-empty"):
        ct.Bipartite(np.zeros((0, 0)), np.eye(2))
    with pytest.raises(ct.ModelError, match="got 2.5"):
        ct.destroy(2.5)
    with pytest.raises(ct.ModelError, match="got '3'"):
        ct.destroy("3")
    with pytest.raises(ct.ModelError, match="got None; expected a numeric array"):
        ct.Bipartite(None, np.eye(2))
    assert ct.destroy(3.0).shape == (3, 3)  # an integral float is still a size


def test_booleans_are_not_numbers_and_check_validates_what_run_does(tmp_path):
    s = scenario_file(tmp_path, "paper1-two-qubits", ("g = 0.2", "g = true"))
    one_line_error(invoke("check", s), "parameters.g", "got true", "booleans are not numbers")
    s = scenario_file(tmp_path, "boson-beam-splitter", ("n_points = 61", "n_points = true"))
    one_line_error(invoke("check", s), "time.n_points")
    s = scenario_file(tmp_path, "paper1-two-qubits", ("rtol = 1e-9", 'rtol = 1e-9\nmethod = "rk4"'))
    one_line_error(invoke("check", s), "tolerances.method", "'rk4'")
    s = scenario_file(tmp_path, "paper1-two-qubits", ("rtol = 1e-9", "rtol = 1e-15"))
    one_line_error(invoke("check", s), "tolerances.rtol")


# ============================================================================ unclear messages
def test_unknown_key_is_named_with_a_suggestion(tmp_path):
    s = scenario_file(
        tmp_path,
        "boson-beam-splitter",
        ('A0 = { kind = "boson", cutoff = 6 }', 'A0 = { kind = "boson", cutof = 6 }'),
    )
    one_line_error(invoke("check", s), "model.sites.A0.cutof", "did you mean `cutoff`")


def test_all_schema_problems_are_listed(tmp_path):
    s = scenario_file(
        tmp_path,
        "xx-chain-two-baths",
        ('bath_A = { beta = "beta_A", rate = "fermi"', 'bath_A = { beta = "beta_A", rate = "ohmc"'),
        ('bath_B = { beta = "beta_B", rate = "fermi"', 'bath_B = { beta = "beta_B", rate = "ohmc"'),
    )
    line = one_line_error(invoke("check", s), "dynamics.bath_A.rate", "dynamics.bath_B.rate")
    assert "more problems" not in line


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    s = scenario_file(tmp_path, "paper1-two-qubits", prefix="\ufeff")
    r = invoke("check", s)
    assert r.exit_code == 0, r.output
    assert load_scenario(s).sha256 == load_scenario(preset_text("paper1-two-qubits")).sha256


def test_warnings_never_precede_the_error_line():
    from corrtherm.console import handled

    @handled
    def noisy() -> None:
        warnings.warn("overflow encountered in multiply", RuntimeWarning, stacklevel=1)
        raise ct.ScenarioError("s.toml: model.V: bad")

    @handled
    def noisy_ok() -> None:
        warnings.warn("something minor", RuntimeWarning, stacklevel=1)
        print("result")

    import typer

    app2 = typer.Typer()
    app2.command("a")(noisy)
    app2.command("b")(noisy_ok)
    r = runner.invoke(app2, ["a"])
    assert r.exit_code == 2 and r.stderr == "error: s.toml: model.V: bad\n"
    r = runner.invoke(app2, ["b"])
    assert r.exit_code == 0
    assert r.stdout == "result\n" and r.stderr.startswith("warning: RuntimeWarning: something")


def test_internal_errors_exit_1_with_a_log_and_interrupts_130(tmp_path, monkeypatch):
    import typer

    from corrtherm.console import handled

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))

    @handled
    def bug() -> None:
        raise IndexError("list index out of range")

    @handled
    def interrupted() -> None:
        raise KeyboardInterrupt

    @handled
    def oom() -> None:
        raise MemoryError("Unable to allocate 97.7 GiB")

    app2 = typer.Typer()
    for f in (bug, interrupted, oom):
        app2.command(f.__name__)(f)
    r = runner.invoke(app2, ["bug"])
    assert r.exit_code == 1 and len(r.stderr.strip().splitlines()) == 1
    assert "internal error, please report" in r.stderr
    log = Path(r.stderr.split("traceback in ")[1].strip())
    assert log.parent == tmp_path and "IndexError" in log.read_text()
    r = runner.invoke(app2, ["interrupted"])
    assert r.exit_code == 130 and r.stderr == "error: interrupted\n"
    r = runner.invoke(app2, ["oom"])
    assert r.exit_code == 2 and "out of memory (Unable to allocate 97.7 GiB)" in r.stderr


def test_usage_errors_through_the_entry_point_are_one_line(tmp_path):
    from corrtherm.console import run_app

    env_argv = sys.argv
    try:
        for argv in (["run", "--bogus"], ["sweep", "x", "--store", "s.zarr", "--samples", "a"]):
            sys.argv = ["corrtherm", *argv]
            err = __import__("io").StringIO()
            with __import__("contextlib").redirect_stderr(err):
                code = run_app(app)
            assert code == 2 and len(err.getvalue().strip().splitlines()) == 1, err.getvalue()
    finally:
        sys.argv = env_argv


# ============================================================================ files
def test_symlink_in_out_is_replaced_not_followed(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    out = tmp_path / "o"
    out.mkdir()
    (out / "energy.png").symlink_to(outside)
    one_line_error(invoke("run", "--out", out), "not empty", "--force")
    r = invoke("run", "--out", out, "--force")
    assert r.exit_code == 0, r.output
    assert outside.read_text() == "precious"
    assert not (out / "energy.png").is_symlink() and (out / "energy.png").stat().st_size > 1000


def test_partial_files_of_a_killed_run_do_not_block_the_rerun(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / ".results.nc.partial").write_bytes(b"half")  # version 0.1's temporary name
    (out / ".energy.png.0123456789ab.partial").write_bytes(b"half")
    r = invoke("run", "--out", out, "--no-plots")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "results.nc"]


def test_force_never_mixes_two_runs_even_when_killed(tmp_path, monkeypatch):
    out = tmp_path / "o"
    assert invoke("run", "paper2-fermions-anomalous", "--out", out).exit_code == 0
    assert (out / "flows.png").exists()
    (out / "notes.txt").write_text("mine")  # not written by corrtherm: never removed
    import corrtherm.scenarios as scenarios

    def killed(*_a, **_k):
        raise KeyboardInterrupt  # the kill arrives after the plots, before results.nc

    monkeypatch.setattr(scenarios, "write_results", killed)
    r = invoke("run", "paper1-two-qubits", "--out", out, "--force")
    assert r.exit_code == 130
    names = {p.name for p in out.iterdir()}
    assert "flows.png" not in names and "results.nc" not in names  # nothing of run 1 is left
    assert "notes.txt" in names and not json.loads((out / MANIFEST).read_text())["complete"]
    monkeypatch.undo()
    # the same command again, without --force: the incomplete run's files are corrtherm's own
    # (the user's own file still makes the directory non-empty)
    one_line_error(invoke("run", "paper1-two-qubits", "--out", out), "not empty")
    (out / "notes.txt").rename(tmp_path / "notes.txt")
    r = invoke("run", "paper1-two-qubits", "--out", out)
    assert r.exit_code == 0, r.output
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["complete"] and "flows.png" not in manifest["files"]


def test_plot_sweep_refuses_an_existing_image_without_force(tmp_path):
    png = tmp_path / "map.png"
    png.write_bytes(b"old")
    one_line_error(
        invoke("plot-sweep", tmp_path / "none.zarr", "--out", png), "--out", "exists", "--force"
    )
    assert png.read_bytes() == b"old"
    one_line_error(invoke("plot-sweep", tmp_path / "none.zarr", "--out", png, "--force"), "store")


# ============================================================================ sweeps
class _Server:
    """A TCP server that accepts and then stays silent, talks HTTP, or sends garbage."""

    def __init__(self, kind: str):
        self.kind = kind
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            if self.kind == "garbage":
                c.sendall(b"\xff" * 64)
            elif self.kind == "http":
                c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


@pytest.mark.parametrize("kind", ["silent", "http", "garbage", "refused"])
def test_scheduler_must_answer_and_no_store_is_left_behind(tmp_path, monkeypatch, kind):
    monkeypatch.setattr("corrtherm.sweeps._connect.CONNECT_TIMEOUT", 1.5)
    server = None if kind == "refused" else _Server(kind)
    port = server.port if server else _free_port()
    store = tmp_path / "s.zarr"
    t0 = time.perf_counter()
    try:
        r = invoke(
            "sweep", "paper1-two-qubits", "--grid", "g=0:1:3", "--store", store,
            "--scheduler", f"tcp://127.0.0.1:{port}",
        )  # fmt: skip
    finally:
        if server:
            server.close()
    one_line_error(r, "--scheduler", "Dask")
    assert time.perf_counter() - t0 < 15
    assert not store.exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_start_up_race_of_two_sweeps_says_in_use(tmp_path, monkeypatch):
    from corrtherm.sweeps import store as store_mod
    from corrtherm.sweeps.spec import make_spec

    spec = make_spec(grid=["g=0:1:3"])
    meta = {"scenario_hash": "h", "point_function": "f", "scenario_text": ""}
    path = tmp_path / "race.zarr"
    winner = store_mod._SweepStore(path, spec, meta)  # created the store and holds its lock
    try:
        # the loser checked "no store yet" just before the winner's rename landed
        real, calls = store_mod._store_exists, []

        def stale_first_look(p):
            calls.append(p)
            return False if len(calls) == 1 else real(p)

        monkeypatch.setattr(store_mod, "_store_exists", stale_first_look)
        with pytest.raises(ct.SweepError, match="in use by another running sweep"):
            store_mod._SweepStore(path, spec, meta)
    finally:
        winner.close()


def test_run_sweep_from_an_unguarded_script_says_what_to_add(tmp_path):
    script = tmp_path / "study.py"
    script.write_text(
        "import corrtherm\n"
        "corrtherm.run_sweep('paper1-two-qubits', grid=['g=0:1:3'], store='g.zarr')\n"
    )
    p = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert p.returncode == 1
    assert 'if __name__ == "__main__":' in p.stderr and "line 2" in p.stderr
    assert "Nanny" not in p.stderr and not (tmp_path / "g.zarr").exists()
    import ast

    from corrtherm.sweeps._connect import _guarded

    tree = ast.parse(
        "import x\nif __name__ == '__main__':\n    x.run()\n\nif '__main__' == __name__:\n"
        "    x.run()\n"
    )
    assert [_guarded(tree, n) for n in (1, 3, 6)] == [False, True, True]


# ============================================================================ the command line
def test_run_with_a_misspelt_preset_suggests_the_name(tmp_path):
    one_line_error(
        invoke("run", "paper1-two-qubit", "--out", tmp_path / "o"),
        "did you mean `paper1-two-qubits`",
    )
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", ["run", "check", "show", "sweep", "plot-sweep", "reproduce"])
def test_help_reads_naturally(command):
    r = runner.invoke(app, [command, "--help"], env={"COLUMNS": "120"})
    assert r.exit_code == 0
    for odd in ("<bool>", "<list[str]>", "<str>", "<int>", "<path>", "{"):
        assert odd not in r.stdout, (odd, r.stdout)


def test_memory_limit_option_and_environment_variable(tmp_path, monkeypatch):
    one_line_error(invoke("check", "paper1-two-qubits", "--memory-limit", "lots"), "--memory-limit")
    monkeypatch.setenv("CORRTHERM_MEMORY_LIMIT", "1KB")
    one_line_error(invoke("check", "xx-chain-two-baths"), "memory limit", "set by")
    assert invoke("check", "xx-chain-two-baths", "--memory-limit", "none").exit_code == 0
    assert os.environ["CORRTHERM_MEMORY_LIMIT"] == "1KB"  # the option does not leak


def test_two_commands_into_one_output_directory_do_not_interleave(tmp_path):
    from corrtherm.scenarios.files import OutputDir

    out = tmp_path / "o"
    first = OutputDir(out, force=False)  # a run in progress holds the directory
    try:
        one_line_error(invoke("run", "--out", out, "--force"), "in use by another running")
    finally:
        first.discard()
    assert not out.exists()  # created by the first, still empty: removed again
    assert invoke("run", "--out", out, "--no-plots").exit_code == 0


@pytest.mark.parametrize("preset", sorted(ct.scenarios.list_presets()))
def test_check_of_every_preset_succeeds(preset):
    # found by the fuzzer: `check` of a [gaussian] preset crashed in the steady-state audit
    r = invoke("check", preset)
    assert r.exit_code == 0, r.output
