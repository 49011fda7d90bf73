"""Parameter sweeps on ``dask.distributed`` with a resumable Zarr store.

- :mod:`~corrtherm.sweeps.spec` — grid axes ``NAME=START:STOP:NUM`` and random axes
  ``NAME=LOW:HIGH``;
- :mod:`~corrtherm.sweeps.store` — the durable store: one variable per summary value plus
  ``status``, ``error``, ``wall_time``; crash-safe, resumable;
- :mod:`~corrtherm.sweeps.driver` — :func:`run_sweep` on a local or remote Dask cluster,
  :func:`open_sweep`, :func:`sweep_summary`.

Phase maps are drawn by :func:`corrtherm.plotting.plot_sweep`.
"""

from .driver import ScenarioPoint, SweepResult, open_sweep, run_sweep, sweep_summary
from .spec import GridAxis, RandomAxis, SweepSpec, make_spec, parse_grid, parse_random

__all__ = [
    "GridAxis",
    "RandomAxis",
    "ScenarioPoint",
    "SweepResult",
    "SweepSpec",
    "make_spec",
    "open_sweep",
    "parse_grid",
    "parse_random",
    "run_sweep",
    "sweep_summary",
]
