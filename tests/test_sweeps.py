"""Tests of corrtherm.sweeps: spec parsing, LocalCluster sweeps, failures, resume after
SIGKILL of the driver and of a worker, refusal of mismatched stores, phase-map plots."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import cloudpickle
import numpy as np
import pytest
import xarray as xr
import zarr

from corrtherm.core.errors import CorrthermError, SweepError
from corrtherm.plotting import plot_sweep
from corrtherm.sweeps import (
    GridAxis,
    make_spec,
    open_sweep,
    parse_grid,
    parse_random,
    run_sweep,
    sweep_summary,
)
from corrtherm.sweeps.store import DONE, FAILED, MISSING

# Workers cannot import this test module by name: ship its functions by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


# ============================================================================ toy point functions
def toy(p: dict[str, float]) -> dict[str, float | str]:
    """Closed-form toy: a = x y, b = sin x + y; anomalous where x > y; raises for x < -0.5."""
    x, y = p["x"], p["y"]
    if x < -0.5:
        raise ValueError(f"state not positive for x = {x:.2f}")
    return {"a": x * y, "b": math.sin(x) + y, "classification": "anomalous" if x > y else "normal"}


def toy_1d(p: dict[str, float]) -> dict[str, float | str]:
    x = p["x"]
    return {"a": x**2, "classification": "anomalous" if x > 0.5 else "conventional"}


def toy_1d_gaps(p: dict[str, float]) -> dict[str, float | str]:
    """Anomalous at x in {0.3, 0.4, 0.7} (two separate regions); fails for x > 0.85."""
    x = p["x"]
    if x > 0.85:
        raise ValueError("no value here")
    anomalous = round(10 * x) in (3, 4, 7)
    return {"a": x**2, "classification": "anomalous" if anomalous else "conventional"}


class LoggingToy:
    """Appends one line per evaluation to a log file (to count recomputations)."""

    def __init__(self, log: str, sleep: float = 0.0):
        self.log, self.sleep = log, sleep

    def __call__(self, p: dict[str, float]) -> dict[str, float | str]:
        time.sleep(self.sleep)
        fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, f"{p['x']!r} {p['y']!r}\n".encode())
        finally:
            os.close(fd)
        return toy(p)


def killer(p: dict[str, float], marker: str) -> dict[str, float | str]:
    """Kills its own worker process the first time it sees x == 0 (SIGKILL of a worker)."""
    if p["x"] == 0.0 and not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)
    return toy(p)


class Killer:
    def __init__(self, marker: str):
        self.marker = marker

    def __call__(self, p: dict[str, float]) -> dict[str, float | str]:
        return killer(p, self.marker)


def _meta_of(fn) -> dict[str, str]:
    from corrtherm.sweeps.driver import _meta_for

    return _meta_for(fn, None)[1]


def _lines(path: Path) -> list[tuple[float, float]]:
    if not path.exists():
        return []
    return [tuple(map(float, line.split())) for line in path.read_text().splitlines()]


def log_counts(path: Path) -> dict[tuple[float, float], int]:
    out: dict[tuple[float, float], int] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            x, y = map(float, line.split())
            out[(x, y)] = out.get((x, y), 0) + 1
    return out


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


GRID = ["x=-1:1:9", "y=-1:1:5"]


# ============================================================================ spec parsing
def test_parse_grid_and_random():
    g = parse_grid("g=0:1:11")
    assert g == GridAxis("g", 0.0, 1.0, 11)
    np.testing.assert_allclose(g.values, np.linspace(0, 1, 11))
    assert parse_grid(" mu_A = -1e-1:2.5:3 ").values[-1] == 2.5
    r = parse_random("c=-0.1:0.2")
    assert (r.name, r.low, r.high) == ("c", -0.1, 0.2)
    spec = make_spec(grid={"x": (0, 1, 3), "y": (0, 2, 4)})
    assert spec.dims == ("x", "y") and spec.shape == (3, 4) and spec.size == 12
    # C order: the last axis varies fastest
    np.testing.assert_allclose(
        spec.point_table()[:5], [[0, 0], [0, 2 / 3], [0, 4 / 3], [0, 2], [0.5, 0]]
    )


def test_random_samples_are_uniform_reproducible_and_seeded():
    spec = make_spec(random=["x=1:3", "y=-1:0"], samples=2000, seed=7)
    c = spec.coords()
    assert c["x"][0] == ("sample",)
    x, y = c["x"][1], c["y"][1]
    assert x.min() >= 1 and x.max() < 3 and y.min() >= -1 and y.max() < 0
    assert abs(x.mean() - 2) < 0.05 and abs(np.corrcoef(x, y)[0, 1]) < 0.1
    np.testing.assert_array_equal(
        x, make_spec(random=["x=1:3", "y=-1:0"], samples=2000, seed=7).coords()["x"][1]
    )
    assert not np.array_equal(
        x, make_spec(random=["x=1:3", "y=-1:0"], samples=2000, seed=8).coords()["x"][1]
    )


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"grid": ["g=0:1"]}, "--grid"),
        ({"grid": ["g0:1:3"]}, "--grid"),
        ({"grid": ["g=a:1:3"]}, "--grid"),
        ({"grid": ["g=0:inf:3"]}, "--grid"),
        ({"grid": ["g=0:1:0"]}, "--grid"),
        ({"grid": ["g=0:1:2.5"]}, "--grid"),
        ({"grid": ["g=0:1:1"]}, "--grid"),
        ({"grid": ["1g=0:1:3"]}, "--grid"),
        ({"grid": ["status=0:1:3"]}, "--grid"),
        ({"grid": ["g=0:1:3", "g=0:2:3"]}, "--grid"),
        ({"random": ["g=1:0"], "samples": 3}, "--random"),
        ({"random": ["g=0:1:3"], "samples": 3}, "--random"),
        ({"random": ["g=0:1"]}, "--samples"),
        ({"random": ["g=0:1"], "samples": 0}, "--samples"),
        ({"grid": ["g=0:1:3"], "samples": 5}, "--samples"),
        ({"grid": ["g=0:1:3"], "random": ["c=0:1"], "samples": 2}, "--grid/--random"),
        ({}, "--grid/--random"),
        ({"random": ["g=0:1"], "samples": 3, "seed": -1}, "--seed"),
    ],
)
def test_bad_specs_raise_sweep_error_naming_the_field(kw, field):
    with pytest.raises(SweepError) as info:
        make_spec(**kw)
    assert str(info.value).startswith(field)
    assert isinstance(info.value, CorrthermError) and isinstance(info.value, ValueError)


def test_cli_bad_grid_exit_status_2_one_line(tmp_path):
    from typer.testing import CliRunner

    from corrtherm import cli

    res = CliRunner().invoke(
        cli.app,
        ["sweep", "paper1-two-qubits", "--grid", "g=0:1", "--store", str(tmp_path / "s.zarr")],
    )
    assert res.exit_code == 2
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1 and "--grid" in err and "g=0:1" in err
    assert not (tmp_path / "s.zarr").exists()
    res = CliRunner().invoke(
        cli.app,
        ["sweep", "paper1-two-qubits", "--random", "g=0:1", "--store", str(tmp_path / "s.zarr")],
    )
    assert res.exit_code == 2 and "--samples" in res.stderr


# ============================================================================ LocalCluster sweeps
def test_grid_sweep_values_failures_and_rerun(client, tmp_path):
    store = tmp_path / "g.zarr"
    res = run_sweep(toy, store=store, grid=GRID, client=client, batch_size=3)
    X, Y = np.meshgrid(np.linspace(-1, 1, 9), np.linspace(-1, 1, 5), indexing="ij")
    bad = X < -0.5
    assert (res.total, res.done, res.failed, res.missing) == (45, 35, 10, 0)
    assert res.computed == 45
    # failures grouped by message: x = -1 and x = -0.75 give two distinct messages
    assert res.failures == {
        "ValueError: state not positive for x = -1.00": 5,
        "ValueError: state not positive for x = -0.75": 5,
    }
    assert "failed 10" in res.summary() and "5 x ValueError" in res.summary()

    ds = open_sweep(store)
    assert ds["a"].dims == ("x", "y")
    np.testing.assert_array_equal(ds["x"].values, np.linspace(-1, 1, 9))
    np.testing.assert_array_equal(ds["status"].values, np.where(bad, FAILED, DONE))
    np.testing.assert_allclose(ds["a"].values[~bad], (X * Y)[~bad], rtol=0, atol=1e-15)
    np.testing.assert_allclose(ds["b"].values[~bad], (np.sin(X) + Y)[~bad], atol=1e-15)
    assert np.isnan(ds["a"].values[bad]).all()
    cls = np.asarray(ds["classification"].values, dtype=str)
    np.testing.assert_array_equal(cls[~bad], np.where(X > Y, "anomalous", "normal")[~bad])
    assert (cls[bad] == "").all()
    assert all(e.startswith("ValueError: state not positive") for e in ds["error"].values[bad])
    assert (ds["error"].values[~bad] == "").all()
    assert np.isfinite(ds["wall_time"].values).all() and (ds["wall_time"].values >= 0).all()
    assert ds["status"].attrs["flag_meanings"] == "missing done failed"
    assert json.loads(ds.attrs["sweep_spec"])["mode"] == "grid"
    assert ds.attrs["point_function"].endswith("test_sweeps.toy")
    assert ds.attrs["corrtherm_version"]

    # the same command again computes nothing; failed points are kept unless retried
    again = run_sweep(toy, store=store, grid=GRID, client=client)
    assert again.computed == 0 and again.done == 35 and again.failed == 10
    retry = run_sweep(toy, store=store, grid=GRID, client=client, retry_failed=True)
    assert retry.computed == 10 and retry.failed == 10
    assert sweep_summary(store)["failures"] == res.failures


def test_random_sweep_has_sample_dimension_with_parameter_coords(client, tmp_path):
    store = tmp_path / "r.zarr"
    res = run_sweep(
        toy, store=store, random=["x=-0.5:1", "y=-1:1"], samples=17, seed=3, client=client
    )
    assert res.done == 17
    ds = open_sweep(store)
    assert ds["a"].dims == ("sample",)
    assert set(ds.coords) >= {"x", "y", "sample"}
    spec = make_spec(random=["x=-0.5:1", "y=-1:1"], samples=17, seed=3)
    np.testing.assert_array_equal(ds["x"].values, spec.coords()["x"][1])
    np.testing.assert_allclose(ds["a"].values, ds["x"].values * ds["y"].values, atol=1e-15)


def test_bad_summary_values_are_failures_not_crashes(client, tmp_path):
    def weird(p):
        if p["x"] > 0.5:
            return [1, 2]
        if p["x"] > 0:
            return {"a": "text"}
        return {"a": p["x"], "status": 1.0} if p["x"] < -0.5 else {"a": p["x"]}

    res = run_sweep(weird, store=tmp_path / "w.zarr", grid=["x=-1:1:5"], client=client)
    msgs = " | ".join(res.failures)
    assert res.done == 2 and res.failed == 3
    assert "returned list" in msgs and "'a' = 'text'" in msgs and "'status'" in msgs


def test_refuses_mismatched_spec_scenario_and_foreign_store(client, tmp_path):
    store = tmp_path / "m.zarr"
    run_sweep(toy_1d, store=store, grid=["x=0:1:4"], client=client)
    before = sorted(p.name for p in store.rglob("*"))
    for kw in ({"grid": ["x=0:1:5"]}, {"grid": ["x=0:2:4"]}, {"random": ["x=0:1"], "samples": 4}):
        with pytest.raises(SweepError, match="sweep spec differs"):
            run_sweep(toy_1d, store=store, client=client, **kw)
    with pytest.raises(SweepError, match="point_function differs"):
        run_sweep(toy, store=store, grid=["x=0:1:4"], client=client)
    with pytest.raises(SweepError, match="point_function differs"):
        run_sweep(toy_1d, store=store, grid=["x=0:1:4"], client=client, fingerprint="v2")
    assert sorted(p.name for p in store.rglob("*")) == before  # nothing touched
    # a second driver on a store in use is refused (the lock dies with its holder)
    from corrtherm.sweeps.store import _SweepStore

    holder = _SweepStore(store, make_spec(grid=["x=0:1:4"]), _meta_of(toy_1d))
    try:
        with pytest.raises(SweepError, match="in use by another running sweep"):
            run_sweep(toy_1d, store=store, grid=["x=0:1:4"], client=client)
    finally:
        holder.close()
    assert run_sweep(toy_1d, store=store, grid=["x=0:1:4"], client=client).done == 4
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(SweepError, match="not a sweep store"):
        run_sweep(toy_1d, store=foreign, grid=["x=0:1:4"], client=client)
    assert (foreign / "notes.txt").read_text() == "mine"
    with pytest.raises(SweepError, match="not a sweep store"):
        open_sweep(foreign)


def test_half_written_points_and_torn_chunks_are_redone(client, tmp_path):
    """Values written but status not yet (kill between the two), a torn chunk file and a
    leftover temp file: all detected on resume, only the affected points are recomputed."""
    store, log = tmp_path / "h.zarr", tmp_path / "h.log"
    fn = LoggingToy(str(log))
    run_sweep(fn, store=store, grid=GRID, client=client)
    ref = open_sweep(store)
    g = zarr.open_group(store, mode="r+", use_consolidated=False)
    status = g["status"][...]
    # (1) kill after values, before status: two points with values but status "missing"
    status[8, 0] = status[8, 1] = MISSING
    g["status"][...] = status
    # (2) a done point whose wall time never arrived (foreign/partial write)
    wt = g["wall_time"][...]
    wt[7, 4] = np.nan
    g["wall_time"][...] = wt
    # (3) leftover temp file of an interrupted chunk write
    (store / "a" / "c" / ".0.deadbeef.partial").write_bytes(b"junk")
    log.unlink()
    res = run_sweep(fn, store=store, grid=GRID, client=client)
    assert res.repaired == 1 and res.computed == 3
    redone = log_counts(log)
    xs = np.linspace(-1, 1, 9)
    assert set(redone) == {(xs[8], -1.0), (xs[8], -0.5), (xs[7], 1.0)}
    assert not list(store.rglob("*.partial"))
    out = open_sweep(store)
    for v in ("a", "b", "status", "classification", "error"):
        np.testing.assert_array_equal(out[v].values, ref[v].values)

    # (4) a torn (truncated) chunk of a value array: its points are recomputed
    chunk = next(p for p in (store / "b" / "c").rglob("*") if p.is_file())
    chunk.write_bytes(chunk.read_bytes()[:7])
    log.unlink()
    res = run_sweep(fn, store=store, grid=GRID, client=client)
    assert res.computed == 45  # the single chunk holds every point: all are redone
    out = open_sweep(store)
    for v in ("a", "b", "status", "classification", "error"):
        np.testing.assert_array_equal(out[v].values, ref[v].values)


DRIVER = textwrap.dedent(
    """
    import os, sys, time
    from corrtherm.sweeps import run_sweep

    LOG = sys.argv[3]  # a global of __main__: cloudpickle ships its value to the workers

    def toy_slow(p):
        time.sleep(0.03)
        fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(fd, f"{p['x']!r} {p['y']!r}\\n".encode())
        os.close(fd)
        if p["x"] < -0.9:
            raise ValueError("negative")
        return {"a": p["x"] * p["y"], "classification": "anomalous" if p["x"] > p["y"]
                else "normal"}

    if __name__ == "__main__":
        res = run_sweep(toy_slow, store=sys.argv[2], grid=["x=-1:1:12", "y=-1:1:10"],
                        scheduler=sys.argv[1], batch_size=2, flush_interval=0.05)
        print(res.summary())
    """
)


def toy_slow_ref(p: dict[str, float]) -> dict[str, float | str]:
    """The values of the driver script's ``toy_slow``, for the uninterrupted reference run."""
    if p["x"] < -0.9:
        raise ValueError("negative")
    return {"a": p["x"] * p["y"], "classification": "anomalous" if p["x"] > p["y"] else "normal"}


def _driver(tmp_path, client, store, log):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    cmd = [sys.executable, str(script), client.scheduler.address, str(store), str(log)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _n_finished(store: Path) -> int:
    if not (store / "status" / "zarr.json").exists():
        return 0
    return int(np.sum(zarr.open_array(store / "status", mode="r")[...] != MISSING))


def _interrupt(tmp_path, client, store, log, sig: int, after: int) -> int:
    """Run the driver script and send ``sig`` once ``after`` points are finished in the store."""
    p = _driver(tmp_path, client, store, log)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _n_finished(store) < after:
            time.sleep(0.05)
        assert _n_finished(store) >= after, "sweep did not make progress"
        p.send_signal(sig)
        p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    return p.returncode


def test_sigkill_of_driver_then_resume_equals_uninterrupted_run(client, tmp_path):
    ref_store, store, log = tmp_path / "ref.zarr", tmp_path / "k.zarr", tmp_path / "k.log"
    run_sweep(toy_slow_ref, store=ref_store, grid=["x=-1:1:12", "y=-1:1:10"], client=client)
    X, Y = np.meshgrid(np.linspace(-1, 1, 12), np.linspace(-1, 1, 10), indexing="ij")

    def finished_now() -> tuple[set, int]:
        """Points finished in the store, and the log length, once orphans have drained."""
        time.sleep(0.4)  # in-flight tasks of the dead driver finish (their results are lost)
        done = zarr.open_array(store / "status", mode="r")[...] != MISSING
        return set(zip(X[done].tolist(), Y[done].tolist(), strict=True)), len(_lines(log))

    # Ctrl-C: KeyboardInterrupt, the driver flushes what it has and stops (Python then exits
    # through SIGINT, hence the status)
    assert _interrupt(tmp_path, client, store, log, signal.SIGINT, after=15) == -signal.SIGINT
    assert not list(store.rglob("*.partial"))
    fin1, mark1 = finished_now()
    assert 15 <= len(fin1) < 120
    # resumed, then SIGKILLed mid-sweep
    rc = _interrupt(tmp_path, client, store, log, signal.SIGKILL, after=len(fin1) + 20)
    assert rc == -signal.SIGKILL
    fin2, mark2 = finished_now()
    assert fin1 < fin2 and len(fin2) < 120

    p = _driver(tmp_path, client, store, log)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert f"this run: {120 - len(fin2)} points" in out
    lines = _lines(log)
    assert set(lines) == set(zip(X.ravel().tolist(), Y.ravel().tolist(), strict=True))
    # no point that was finished in the store when a driver died was ever computed again
    assert not fin1 & set(lines[mark1:])
    assert not fin2 & set(lines[mark2:])

    a, b = open_sweep(ref_store), open_sweep(store)
    assert (b["status"].values != MISSING).all()
    for v in ("a", "classification", "status", "error"):
        np.testing.assert_array_equal(a[v].values, b[v].values)
    assert a.attrs["sweep_spec"] == b.attrs["sweep_spec"]
    assert b.attrs["point_function"] == "__main__.toy_slow"


def test_sigkill_of_a_worker_is_survived(client, tmp_path):
    marker = tmp_path / "killed"
    res = run_sweep(
        Killer(str(marker)),
        store=tmp_path / "w.zarr",
        grid=["x=-0.5:0.5:5", "y=0:1:3"],
        client=client,
        batch_size=1,
    )
    assert marker.exists()  # a worker really died mid-sweep
    client.wait_for_workers(2, timeout=30)
    assert res.done + res.lost == 15 and res.failed == 0
    if res.lost:  # the scheduler gave up on the task: rerunning completes it
        res = run_sweep(
            Killer(str(marker)),
            store=tmp_path / "w.zarr",
            grid=["x=-0.5:0.5:5", "y=0:1:3"],
            client=client,
        )
    assert res.done == 15


# ============================================================================ real scenario
def test_scenario_sweep_matches_closed_form_and_refuses_other_scenario(client, tmp_path):
    from corrtherm import scenarios

    scen = scenarios.load_preset(scenarios.DEFAULT_PRESET)
    assert {"g", "c"} <= set(scen.parameters)
    store = tmp_path / "s.zarr"
    res = run_sweep(scen, store=store, grid=["g=0.1:0.3:2", "c=0:0.05:2"], client=client)
    assert res.done == 4, res.summary()
    ds = open_sweep(store)
    assert ds.attrs["scenario_hash"] == scen.sha256 and ds.attrs["scenario_text"] == scen.text
    # Paper 1 example: Delta U_chi(t) = 4 g c (exp(-lambda t) - 1),
    # lambda = gamma0 (2 cosh(beta_A omega_A) + 2 cosh(beta_B omega_B))
    p = scen.parameters
    lam = p["gamma0"] * (
        2 * np.cosh(p["beta_A"] * p["omega_A"]) + 2 * np.cosh(p["beta_B"] * p["omega_B"])
    )
    G, C = np.meshgrid([0.1, 0.3], [0.0, 0.05], indexing="ij")
    t = float(ds["t_final"].values[0, 0])
    np.testing.assert_allclose(
        ds["DeltaU_chi"].values, 4 * G * C * np.expm1(-lam * t), rtol=1e-6, atol=1e-10
    )
    other = scen.with_parameters({"omega_A": p["omega_A"] + 0.1})
    with pytest.raises(SweepError, match="scenario_hash differs"):
        run_sweep(other, store=store, grid=["g=0.1:0.3:2", "c=0:0.05:2"], client=client)
    with pytest.raises(SweepError, match="--grid/--random: .*unknown parameter"):
        run_sweep(scen, store=tmp_path / "u.zarr", grid=["nope=0:1:2"], client=client)
    assert not (tmp_path / "u.zarr").exists()
    # a first point outside the admissible c is a failed point, not a refused sweep (the README:
    # "a point that fails ... is recorded with its error and the sweep goes on"); c_max = 0.1966
    res = run_sweep(scen, store=tmp_path / "c.zarr", grid=["c=0.3:0:3"], client=client)
    assert (res.done, res.failed) == (2, 1), res.summary()
    ds = open_sweep(tmp_path / "c.zarr")
    assert "non-positive" in str(ds["error"].sel(c=0.3).values)


# ============================================================================ plots
def test_plot_sweep_1d_2d_random(client, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s2 = tmp_path / "p2.zarr"
    run_sweep(toy, store=s2, grid=GRID, client=client)
    fig = plot_sweep(s2, var="a", out=tmp_path / "p2.png")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "y" and ax.get_ylabel() == "x"
    # a tick at every grid value, so each cell reads off as the point it is
    ds = xr.open_zarr(s2)
    np.testing.assert_allclose(ax.get_xticks(), ds["y"].values)
    np.testing.assert_allclose(ax.get_yticks(), ds["x"].values)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "failed" in labels and any(lab.startswith("anomalous") for lab in labels)
    assert (tmp_path / "p2.png").stat().st_size > 1000
    plt.close(fig)

    s1 = tmp_path / "p1.zarr"
    run_sweep(toy_1d, store=s1, grid=["x=0:1:6"], client=client)
    fig = plot_sweep(s1, out=tmp_path / "p1.png")
    assert fig.axes[0].get_ylabel() == "a"
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["a", "anomalous flow"]  # one indication of the anomalous region
    plt.close(fig)

    # failed points sit on the parameter axis (they have no value), not at the curve's minimum;
    # each run of anomalous points is one shaded region
    s3 = tmp_path / "p3.zarr"
    run_sweep(toy_1d_gaps, store=s3, grid=["x=0:1:11"], client=client)
    fig = plot_sweep(s3, out=tmp_path / "p3.png")
    ax = fig.axes[0]
    (fail,) = [ln for ln in ax.get_lines() if ln.get_label().startswith("failed")]
    assert fail.get_transform() == ax.get_xaxis_transform() and not fail.get_clip_on()
    assert np.allclose(fail.get_xdata(), [0.9, 1.0]) and np.all(fail.get_ydata() == 0)
    spans = [p for p in ax.patches if not str(p.get_label() or "_").startswith("_")]
    assert len(ax.patches) == 2 and len(spans) == 1  # x in {0.3, 0.4} and {0.7}: two regions
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["a", "anomalous flow", "failed (no value)"]
    plt.close(fig)

    sr = tmp_path / "pr.zarr"
    run_sweep(toy, store=sr, random=["x=-1:1", "y=0:1"], samples=12, client=client)
    plt.close(plot_sweep(sr, var="b", out=tmp_path / "pr.png"))
    with pytest.raises(SweepError, match="--var"):
        plot_sweep(sr, var="classification")


def test_cli_sweep_and_plot_sweep_on_a_preset(client, tmp_path):
    from typer.testing import CliRunner

    from corrtherm import cli, scenarios

    preset = "paper2-fermions-anomalous"
    assert preset in scenarios.list_presets()
    store = tmp_path / "cli.zarr"
    args = [
        "sweep",
        preset,
        "--grid",
        "mu_A=0.5:1.5:2",
        "--grid",
        "strength=0.5:0.95:2",
        "--store",
        str(store),
        "--scheduler",
        client.scheduler.address,
    ]
    res = CliRunner().invoke(cli.app, args)
    assert res.exit_code == 0, res.output
    assert "= 4 points" in res.stdout and "done 4, failed 0, missing 0" in res.stdout
    ds = open_sweep(store)
    cls = np.asarray(ds["classification"].values, dtype=str)
    dN = ds["DeltaN_A"].values
    # equal beta, mu_A = 1.5 > mu_B = 0.5: anomalous exactly when particles flow *into* A
    np.testing.assert_array_equal(cls[1] == "anomalous", dN[1] > 0)
    assert cls[1, 1] == "anomalous"  # the preset's own point (strength 0.95)
    assert not any("anomalous" == c for c in cls[0])  # mu_A = mu_B: no bias, no anomaly
    again = CliRunner().invoke(cli.app, args)
    assert again.exit_code == 0 and "this run: nothing to compute" in again.stdout
    assert "nan" not in again.stdout.lower()  # not "nan points/s"
    png = tmp_path / "map.png"
    res = CliRunner().invoke(
        cli.app, ["plot-sweep", str(store), "--var", "DeltaN_A", "--out", str(png)]
    )
    assert res.exit_code == 0, res.output
    assert png.stat().st_size > 1000
    res = CliRunner().invoke(cli.app, ["plot-sweep", str(store), "--var", "nope"])
    assert res.exit_code == 2 and "--var" in res.stderr
    res = CliRunner().invoke(
        cli.app,
        [
            "sweep",
            preset,
            "--grid",
            "mu_A=0:1:3",
            "--store",
            str(store),
            "--scheduler",
            client.scheduler.address,
        ],
    )
    assert res.exit_code == 2 and "sweep spec differs" in res.stderr
