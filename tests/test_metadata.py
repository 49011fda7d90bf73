"""Every variable and coordinate corrtherm writes carries CF-style ``units`` and ``long_name``.

The datasets are real: every preset run (open and isolated, with the flow analysis), a
results.nc written and read back (raw NetCDF with the complex marginals split, and through
``read_results``), the library's own ``evolve``/``flow_dataset``, and a scenario sweep store.
A variable added anywhere without an entry in ``corrtherm.core.metadata.VARIABLES`` fails here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import corrtherm as ct
from corrtherm.core.metadata import (
    UNIT_SYMBOLS,
    UNITS_NOTE,
    VARIABLES,
    annotate,
    axis_label,
    docs_page,
    label,
    lookup,
)
from corrtherm.scenarios import list_presets, load_preset, read_results, run_scenario
from corrtherm.scenarios.results import write_results

DOCS = Path(__file__).resolve().parents[1] / "docs" / "variables.md"
PARAMETER_UNITS = "as in the scenario's [parameters]"


def missing_metadata(ds: xr.Dataset, allowed_units=UNIT_SYMBOLS) -> list[str]:
    """Names of variables/coordinates without units or long_name, or with unknown units."""
    bad = []
    for name in ds.variables:
        attrs = ds[name].attrs
        units, long_name = attrs.get("units"), attrs.get("long_name")
        if not long_name or not isinstance(long_name, str):
            bad.append(f"{name}: no long_name")
        if units not in allowed_units:
            bad.append(f"{name}: units {units!r}")
    return bad


@pytest.fixture(scope="module")
def preset_runs() -> dict[str, xr.Dataset]:
    return {name: run_scenario(load_preset(name)) for name in list_presets()}


def test_every_preset_run_has_units_and_long_names(preset_runs):
    kinds = {ds.attrs["kind"] for ds in preset_runs.values()}
    assert kinds == {"open", "isolated"}
    assert any("slack" in ds for ds in preset_runs.values())  # the flow analysis is covered
    for name, ds in preset_runs.items():
        assert missing_metadata(ds) == [], name


def test_results_file_written_and_read_back_keeps_metadata(preset_runs, tmp_path):
    for name in ("paper1-two-qubits", "paper2-fermions-anomalous"):
        path = write_results(preset_runs[name], tmp_path / f"{name}.nc")
        with xr.open_dataset(path) as raw:  # what a plain NetCDF reader sees
            assert "rho_A_re" in raw and "rho_A" not in raw
            assert missing_metadata(raw) == [], name
            assert raw["rho_A_im"].attrs["long_name"].endswith("(imaginary part)")
        back = read_results(path)
        assert missing_metadata(back) == [], name
        assert back.attrs["unit_convention"] == UNITS_NOTE  # what [E], [t], nat mean
        assert back["rho_A"].attrs["long_name"] == VARIABLES["rho_A"].long_name


def test_library_datasets_have_metadata(rng):
    sz = ct.sigma_z()
    model = ct.Bipartite(H_A=sz, H_B=0.7 * sz, V=0.3 * np.kron(sz, sz))
    rho0 = np.kron(ct.gibbs_state(model.H_A, 0.5), ct.gibbs_state(model.H_B, 2.0))
    jA = ct.thermal_jumps(model.H_A, 0.5)
    jB = ct.thermal_jumps(model.H_B, 2.0)
    t = np.linspace(0, 1, 5)
    for method in ("exact", "ode"):
        ds = ct.evolve(model, rho0, t, jA, jB, method=method, store_states=True)
        assert missing_metadata(ds) == [], method
    fm = ct.models.fermion_hopping(eps_A=0.3, eps_B=0.3, kappa=0.7)
    r0 = ct.locally_thermal_state(fm, 1.0, 1.0, 0.5, -0.5)
    ds = ct.evolve_isolated(fm, r0, t, store_states=True)
    flows = ct.flow_dataset(fm, ds, 1.0, 1.0, 0.5, -0.5)
    assert missing_metadata(flows) == []
    assert "INTO" in flows["DeltaN_A"].attrs["comment"]  # the sign convention travels along
    assert ct.trajectory_ledger(fm, ds["rho"].values, t)["U"].attrs["units"] == "[E]"


def test_sweep_store_variables_and_coordinates_have_metadata(tmp_path):
    from distributed import Client

    from corrtherm.sweeps import open_sweep, run_sweep

    store = tmp_path / "s.zarr"
    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0") as c:
        res = run_sweep(
            "paper2-fermions-anomalous",
            store=store,
            grid=["mu_A=0.5:1.5:2", "strength=0.2:1.4:2"],  # strength 1.4: a failed point
            client=c,
        )
    assert res.done == 2 and res.failed == 2
    ds = open_sweep(store)
    assert missing_metadata(ds, {*UNIT_SYMBOLS, PARAMETER_UNITS}) == []
    assert ds["mu_A"].attrs["units"] == "[E]"  # a registered name keeps its units
    assert ds["strength"].attrs["units"] == PARAMETER_UNITS
    assert "wall_time_s" not in ds  # one wall time per point: the store's own
    assert ds["wall_time"].attrs["units"] == "s"
    # and as the raw Zarr attributes, for readers other than corrtherm's open_sweep
    raw = xr.open_zarr(store, consolidated=False)
    assert missing_metadata(raw, {*UNIT_SYMBOLS, PARAMETER_UNITS}) == []


def test_registry_rules():
    assert lookup("DeltaU_chi").units == "[E]" and label("DeltaU_chi") == "ΔU_χ"
    assert lookup("DeltaN_A").label == "ΔN_A"
    assert lookup("rho_B_re").long_name.endswith("(real part)")
    assert lookup("no_such_thing") is None and label("no_such_thing") == "no_such_thing"
    assert axis_label("J_A") == "J_A / ([E]/[t])" and axis_label("DeltaN_A") == "ΔN_A"
    assert axis_label("time") == "t / [t]"
    for name, meta in VARIABLES.items():
        assert meta.units in UNIT_SYMBOLS, name
        assert meta.long_name and meta.label, name
    # currents say which way is positive
    for name in ("J_A", "J_B", "Q_A", "Q_B", "DeltaN_A", "DeltaE_A"):
        assert "INTO" in VARIABLES[name].comment, name
    ds = xr.Dataset({"U": ("time", [0.0]), "mystery": ("time", [1.0])}, coords={"time": [0.0]})
    annotate(ds)
    assert ds["U"].attrs["units"] == "[E]" and "units" not in ds["mystery"].attrs


def test_docs_page_is_current():
    assert DOCS.read_text(encoding="utf-8") == docs_page(), (
        "docs/variables.md is stale; regenerate it with the command at its top"
    )
