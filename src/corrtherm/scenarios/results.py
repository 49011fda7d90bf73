"""Results files: a run's dataset as NetCDF, written atomically, complex variables split."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..core.errors import MissingDependencyError, ScenarioError
from ..core.metadata import annotate
from .files import as_path, atomic_write

__all__ = ["write_results", "read_results", "netcdf_engine"]


def _netcdf_attr(v: Any) -> Any:
    if isinstance(v, bool | np.bool_):
        return int(v)
    if isinstance(v, str | int | float | np.integer | np.floating):
        return v
    if isinstance(v, list | tuple | np.ndarray):
        arr = np.asarray(v)
        if arr.dtype.kind in "iuf" and arr.ndim == 1:
            return arr
    return json.dumps(v, default=str)


def netcdf_engine() -> str:
    """The xarray NetCDF engine to use: h5netcdf when its h5py backend is importable, else
    netCDF4, else scipy (NetCDF3). All three files are read by ``xr.open_dataset``."""
    if importlib.util.find_spec("h5netcdf") and importlib.util.find_spec("h5py"):
        return "h5netcdf"
    if importlib.util.find_spec("netCDF4"):
        return "netcdf4"
    if importlib.util.find_spec("scipy"):
        return "scipy"
    raise MissingDependencyError("results.nc: writing NetCDF needs h5netcdf+h5py or netCDF4")


def write_results(ds: xr.Dataset, path: str | Path) -> Path:
    """Write a run to NetCDF (see :func:`netcdf_engine`) atomically: complex variables are stored as
    ``NAME_re``/``NAME_im`` pairs, attrs that NetCDF cannot hold as JSON strings.

    The file is written under a temporary name in the same directory and renamed at the end
    (:func:`corrtherm.scenarios.files.atomic_write`), so an interrupted run never leaves a
    complete-looking file and a symlink at ``path`` is replaced, never written through. Read
    back with :func:`read_results` (or ``xr.open_dataset``, which shows the split pairs).
    """
    if not isinstance(ds, xr.Dataset):
        raise ScenarioError(f"ds: got {type(ds).__name__}; expected an xarray.Dataset of a run")
    path = as_path(path, "path")
    out = xr.Dataset(coords={k: v for k, v in ds.coords.items()})
    for name, var in ds.data_vars.items():
        if np.iscomplexobj(var.values):
            out[f"{name}_re"] = (var.dims, var.values.real, {**var.attrs, "complex_part": "re"})
            out[f"{name}_im"] = (var.dims, var.values.imag, {**var.attrs, "complex_part": "im"})
        else:
            out[name] = var
    out.attrs = {k: _netcdf_attr(v) for k, v in ds.attrs.items()}
    annotate(out)  # units, long_name (and the real/imaginary part) of every variable
    engine = netcdf_engine()
    return atomic_write(path, lambda tmp: out.to_netcdf(tmp, engine=engine))


def read_results(path: str | Path) -> xr.Dataset:
    """Load a results file written by :func:`write_results`, recombining complex variables.

    ``NAME_re``/``NAME_im`` pairs become one complex variable ``NAME`` (the marginals ``rho_A``,
    ``rho_B`` and, with ``store_states``, ``rho``); attributes are kept as written.
    """
    path = as_path(path, "path")
    if not path.is_file():
        raise ScenarioError(f"{path}: results file not found")
    try:
        with xr.open_dataset(path) as f:
            ds = f.load()
    except (OSError, ValueError) as exc:  # not NetCDF, truncated, unreadable
        msg = " ".join(str(exc).split())[:200]
        raise ScenarioError(f"{path}: cannot read as a results file ({msg})") from None
    for name in [n for n in ds.data_vars if str(n).endswith("_re")]:
        base = str(name)[:-3]
        if f"{base}_im" in ds:
            attrs = {k: v for k, v in ds[name].attrs.items() if k != "complex_part"}
            ds[base] = (ds[name].dims, ds[name].values + 1j * ds[f"{base}_im"].values, attrs)
            ds = ds.drop_vars([name, f"{base}_im"])
    return annotate(ds)
