"""Running a sweep on ``dask.distributed``: point functions, the driver loop, reading results.

A sweep evaluates a *point function* ``f(params: dict[str, float]) -> dict[str, float | str]``
at every point of a parameter grid or at random samples (:mod:`corrtherm.sweeps.spec`); for
scenarios the point function is ``summarize(run_scenario(scenario.with_parameters(params)))``.
Points stream into the store of :mod:`corrtherm.sweeps.store` as they finish.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import shutil
import sys
import time
import uuid
import warnings
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core._report import Report, html_table
from ..core._version import package_version
from ..core.errors import CorrthermError, SweepError
from ..core.limits import require_memory
from ..core.metadata import annotate
from ..scenarios.files import as_path
from ..scenarios.load import load_scenario
from ..scenarios.run import run_scenario, summarize
from ._connect import check_main_guard, connect_scheduler, probe_scheduler
from .spec import SweepSpec, make_spec, sweep_bytes
from .store import (
    DONE,
    FAILED,
    MAX_ERROR_CHARS,
    MISSING,
    STORE_FORMAT,
    _store_exists,
    _SweepStore,
    unreadable_store,
)

__all__ = ["ScenarioPoint", "SweepResult", "run_sweep", "open_sweep", "sweep_summary"]


#: Memory of one local Dask worker process running scenario points (a lower bound, measured
#: ~250 MiB resident with NumPy, SciPy, xarray and corrtherm imported).
WORKER_BYTES = 200 * 2**20


class ScenarioPoint:
    """Picklable point function ``params -> summarize(run_scenario(scenario.with_parameters))``.

    What a Dask worker runs for each point: the scenario with its ``[parameters]`` replaced,
    without the entropic heat/work split (the summary does not use it).
    """

    def __init__(self, scenario: Any):
        self.scenario = scenario

    def __call__(self, params: Mapping[str, float]) -> dict[str, float | str]:
        # the summary has no entropic heat/work: skip that split unless the scenario asks for it
        scn = self.scenario.with_parameters(dict(params))
        out = summarize(run_scenario(scn, entropic_split=False))
        # the store measures each point's wall time itself (variable wall_time)
        out.pop("wall_time_s", None)
        return out

    def __repr__(self) -> str:
        return f"ScenarioPoint({getattr(self.scenario, 'name', '?')})"


def _evaluate_chunk(
    fn: Callable[[dict[str, float]], Any],
    names: Sequence[str],
    items: Sequence[tuple[int, Sequence[float]]],
) -> list[tuple]:
    """Worker task: evaluate several points; a raising point is returned as its message."""
    out = []
    for idx, vals in items:
        params = {n: float(v) for n, v in zip(names, vals, strict=True)}
        t0 = time.perf_counter()
        try:
            # a worker's warnings would reach the terminal ahead of the driver's messages
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = fn(params)
        except Exception as exc:  # a bad point must not stop the sweep
            out.append((idx, False, _error_message(exc), time.perf_counter() - t0))
            continue
        dt = time.perf_counter() - t0
        if isinstance(res, Mapping):
            # Plain Python scalars pickle small and do not drag array subclasses along.
            res = {str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in res.items()}
        out.append((idx, True, res, dt))
    return out


def _error_message(exc: BaseException) -> str:
    msg = f"{type(exc).__name__}: {exc}".strip()
    msg = " ".join(msg.split())  # one line, so the summary groups and prints cleanly
    return msg if len(msg) <= MAX_ERROR_CHARS else msg[: MAX_ERROR_CHARS - 3] + "..."


@dataclass(frozen=True, repr=False)
class SweepResult(Report):
    """Outcome of :func:`run_sweep` (counts over the whole store, not only this run).

    ``done``, ``failed``, ``missing`` of ``total`` points; ``computed`` and the timings of this
    run; ``failures`` groups the error messages; :meth:`summary` is the text the CLI prints.
    """

    store: Path
    spec: SweepSpec
    total: int
    done: int
    failed: int
    missing: int
    computed: int
    elapsed: float
    failures: dict[str, int] = field(default_factory=dict)
    repaired: int = 0
    lost: int = 0
    compute_time: float = 0.0
    store_time: float = 0.0

    @property
    def points_per_second(self) -> float:
        """Throughput of this run, from first submission to last result (no cluster start);
        NaN when this run computed nothing."""
        return self.computed / self.compute_time if self.compute_time > 0 else float("nan")

    def _this_run(self) -> str:
        if self.computed == 0:
            redo = " (--retry-failed recomputes the failed ones)" if self.failed else ""
            return f"nothing to compute: every point is already in the store{redo}"
        return (
            f"{self.computed} points in {self.compute_time:.1f} s "
            f"({self.points_per_second:.2f} points/s; store writes {self.store_time:.1f} s; "
            f"{self.elapsed:.1f} s with cluster start)"
        )

    def summary(self) -> str:
        """Human-readable report: counts, throughput, failures grouped by message."""
        lines = [
            f"sweep {self.store}: {self.spec.describe()} = {self.total} points",
            f"  this run: {self._this_run()}",
            f"  done {self.done}, failed {self.failed}, missing {self.missing}",
        ]
        if self.repaired:
            lines.append(f"  {self.repaired} half-written points found and redone")
        if self.lost:
            lines.append(
                f"  {self.lost} points lost to dead workers; rerun the same command to compute them"
            )
        if self.missing and not self.lost:
            lines.append("  rerun the same command to compute the missing points")
        if self.failures:
            lines.append("  failures by message:")
            for msg, n in sorted(self.failures.items(), key=lambda kv: -kv[1]):
                lines.append(f"    {n:6d} x {msg}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        rows = [
            ("store", str(self.store)),
            ("points", f"{self.spec.describe()} = {self.total}"),
            ("this run", self._this_run()),
            ("done, failed, missing", f"{self.done}, {self.failed}, {self.missing}"),
        ]
        rows += [
            (f"failed ({n}x)", msg)
            for msg, n in sorted(self.failures.items(), key=lambda kv: -kv[1])
        ]
        return html_table("Sweep result", rows)


def _failures(status: np.ndarray, errors: np.ndarray) -> dict[str, int]:
    return dict(Counter(str(e) for e in errors[status == FAILED]))


# ============================================================================ engine
def _meta_for(target: Any, fingerprint: str | None) -> tuple[Callable, dict[str, str], Any]:
    """(point function, store metadata, scenario or None) for a scenario or a callable."""
    scen = None
    if isinstance(target, str | os.PathLike):
        target = load_scenario(target)
    if hasattr(target, "with_parameters") and hasattr(target, "text"):
        scen = target
        fn: Callable = ScenarioPoint(scen)
        h = str(getattr(scen, "sha256", "") or getattr(scen, "hash", ""))
        meta = {
            "scenario_text": str(scen.text),
            "scenario_hash": h,
            "point_function": "corrtherm.sweeps.ScenarioPoint",
        }
    elif callable(target):
        fn = target
        name = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
        meta = {"scenario_text": "", "scenario_hash": "", "point_function": name}
    else:
        raise SweepError(
            f"scenario: got {type(target).__name__}; expected a Scenario, a "
            "scenario path or a point function f(params) -> dict"
        )
    if fingerprint is not None:
        meta["point_function"] = f"{meta['point_function']}#{fingerprint}"
    meta["corrtherm_version"] = package_version()
    return fn, meta, scen


@contextlib.contextmanager
def _client_for(
    client: Any, scheduler: str | None, workers: int | None, status: Callable[[str], Any]
):
    if client is not None:
        yield client
        return
    from distributed import LocalCluster

    if scheduler:
        with connect_scheduler(scheduler) as c:
            yield c
        return
    n = workers if workers is not None else (os.cpu_count() or 1)
    check_main_guard()
    status(f"starting {n} local Dask worker{'s' if n != 1 else ''}…")
    # One single-threaded process per core: point functions are NumPy/GIL-bound.
    with (
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        _local_client(cluster) as c,
    ):
        yield c


def _local_client(cluster: Any) -> Any:
    from distributed import Client

    return Client(cluster)


def run_sweep(
    target: Any,
    *,
    store: str | os.PathLike,
    grid: Any = None,
    random: Any = None,
    samples: int | None = None,
    seed: int = 0,
    client: Any = None,
    scheduler: str | None = None,
    workers: int | None = None,
    batch_size: int | None = None,
    retry_failed: bool = False,
    flush_interval: float = 1.0,
    progress: bool | None = None,
    fingerprint: str | None = None,
    status: Callable[[str], Any] | None = None,
) -> SweepResult:
    """Evaluate ``target`` at every point of a sweep on a dask cluster, resumably.

    The local cluster starts worker processes that re-import the calling script: a script
    must call ``run_sweep`` under ``if __name__ == "__main__":`` (checked; a clear
    :class:`SweepError` otherwise). A ``scheduler`` must answer the Dask handshake within
    ``CONNECT_TIMEOUT`` seconds; the memory of the whole grid is checked before anything is
    allocated (:mod:`corrtherm.core.limits`).

    Parameters
    ----------
    target : a ``Scenario``, a scenario path/preset, or a picklable point function
        ``f(params: dict[str, float]) -> dict[str, float | str]``.
    store : directory of the Zarr store (``DIR.zarr``). An existing store is resumed: only
        missing points are computed (and failed ones with ``retry_failed``). A store made
        with another spec, scenario or point function is refused (:class:`SweepError`).
    grid, random, samples, seed : the points (see :func:`make_spec`).
    client : a ``distributed.Client`` to use; otherwise ``scheduler`` (address of a running
        scheduler) or a new ``LocalCluster`` of ``workers`` processes (default: all cores).
    batch_size : points per dask task (default: chosen so each worker gets ~16 tasks, at
        most 64 points) — amortises scheduler overhead over several points.
    flush_interval : seconds between batched store writes; at most this much finished work
        is recomputed after a kill of the driver.
    progress : tqdm bar (``None``: only when stderr is a terminal).
    fingerprint : extra identity of a point function (e.g. a version string); changing it
        makes an existing store refuse the sweep.
    status : called with one-line progress messages ("starting 2 local Dask workers…").
    """
    store = as_path(store, "store", SweepError)
    spec = make_spec(grid, random, samples, seed)
    require_memory(
        sweep_bytes(spec),
        f"the sweep's in-memory table ({spec.describe()} = {spec.size:,} points)",
        "use fewer grid points or samples (or split the sweep into several stores)",
    )
    status = status if status is not None else (lambda _msg: None)
    if client is None and not scheduler:
        check_main_guard()
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise SweepError(f"--workers: got {workers!r}; expected an integer >= 1")
    if workers is not None and client is None and not scheduler:
        require_memory(
            workers * WORKER_BYTES,
            f"--workers {workers}: {workers} worker processes (about "
            f"{WORKER_BYTES // 2**20} MiB each)",
            "use fewer workers (one per core is the fastest)",
        )
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise SweepError(f"batch_size: got {batch_size!r}; expected an integer >= 1")
    if not (isinstance(flush_interval, int | float) and flush_interval >= 0):
        raise SweepError(f"flush_interval: got {flush_interval!r}; expected seconds >= 0")
    fn, meta, scen = _meta_for(target, fingerprint)
    table = spec.point_table()
    unknown = [n for n in spec.names if scen is not None and n not in scen.parameters]
    if unknown:
        # unknown parameter names are a sweep-spec error, caught before any work; a point whose
        # values make the scenario invalid (say, a non-positive state) is a failed point like any
        # other, recorded with its error (checking the first point here refused whole sweeps)
        try:
            scen.with_parameters({unknown[0]: 0.0})
        except CorrthermError as exc:
            raise SweepError(f"--grid/--random: {exc}") from None
    try:
        import cloudpickle

        cloudpickle.dumps(fn)
    except Exception as exc:
        raise SweepError(
            f"point function: cannot be sent to workers ({_error_message(exc)}); "
            "expected a picklable callable"
        ) from None

    if scheduler and client is None:
        status(f"connecting to the Dask scheduler at {scheduler}…")
        probe_scheduler(scheduler)  # before the store exists: a bad address leaves nothing
    created = not _store_exists(Path(store))
    st = _SweepStore(Path(store), spec, meta)
    todo_mask = st.status.ravel() == MISSING
    if retry_failed:
        todo_mask |= st.status.ravel() == FAILED
    todo = np.flatnonzero(todo_mask)
    t0 = time.perf_counter()
    computed = lost = 0
    timing = [0.0]
    try:
        if st.dirty:
            st.flush()
        if len(todo):
            with _client_for(client, scheduler, workers, status) as c:
                computed, lost = _drive(
                    c, fn, spec, st, table, todo, batch_size, flush_interval, progress, timing
                )
        st.consolidate()
    except BaseException:
        st.close()
        if created and computed == 0 and not np.any(st.status != MISSING):
            # the cluster never ran a point: do not leave an empty store behind
            shutil.rmtree(st.path, ignore_errors=True)
        raise
    finally:
        st.close()
    s = st.status
    return SweepResult(
        store=Path(store),
        spec=spec,
        total=spec.size,
        done=int(np.sum(s == DONE)),
        failed=int(np.sum(s == FAILED)),
        missing=int(np.sum(s == MISSING)),
        computed=computed,
        elapsed=time.perf_counter() - t0,
        failures=_failures(s, st.mem["error"]),
        repaired=st.repaired,
        lost=lost,
        compute_time=timing[0],
        store_time=st.flush_time,
    )


def _drive(
    client: Any,
    fn: Callable,
    spec: SweepSpec,
    st: _SweepStore,
    table: np.ndarray,
    todo: np.ndarray,
    batch_size: int | None,
    flush_interval: float,
    progress: bool | None,
    timing: list[float],
) -> tuple[int, int]:
    from distributed import as_completed
    from tqdm.auto import tqdm

    nthreads = max(1, sum(client.nthreads().values()))
    if batch_size is None:
        batch_size = int(min(64, max(1, math.ceil(len(todo) / (16 * nthreads)))))
    pending = deque(todo[i : i + batch_size] for i in range(0, len(todo), batch_size))
    run = uuid.uuid4().hex[:8]
    names = spec.names
    ac = as_completed()
    in_flight: dict[Any, np.ndarray] = {}

    def submit() -> None:
        idx = pending.popleft()
        items = [(int(i), table[i].tolist()) for i in idx]
        fut = client.submit(
            _evaluate_chunk,
            fn,
            names,
            items,
            pure=False,
            key=f"corrtherm-sweep-{run}-{int(idx[0])}",
        )
        in_flight[fut] = idx
        ac.add(fut)

    t0 = time.perf_counter()
    # Bounded in-flight work keeps memory flat and lets Ctrl-C stop quickly.
    for _ in range(min(len(pending), 2 * nthreads + 2)):
        submit()
    n_done0 = int(np.sum(st.status == DONE))
    n_failed0 = int(np.sum(st.status == FAILED))
    bar = tqdm(
        total=spec.size,
        initial=n_done0 + n_failed0,
        unit="pt",
        dynamic_ncols=True,
        disable=None if progress is None else not progress,
        file=sys.stderr,
        desc="sweep",
    )
    done, failed = n_done0, n_failed0 - int(np.sum(st.status.ravel()[todo] == FAILED))
    bar.n = done + failed
    computed = lost = 0
    last = time.monotonic()
    try:
        for fut in ac:
            idx = in_flight.pop(fut)
            results: list[tuple] = []
            try:
                results = fut.result()
            except Exception as exc:
                if _is_lost(exc):
                    lost += len(idx)
                else:  # the task itself broke (e.g. unpicklable result): same for every retry
                    msg = _error_message(exc)
                    results = [(int(i), False, msg, float("nan")) for i in idx]
            for flat, ok, payload, wall in results:
                err = st.record(flat, ok, payload, wall)
                computed += 1
                if err is None:
                    done += 1
                else:
                    failed += 1
            fut.release()
            if pending:
                submit()
            now = time.monotonic()
            if now - last >= flush_interval:
                st.flush()
                last = now
            bar.n = done + failed
            bar.set_postfix(
                done=done, failed=failed, remaining=spec.size - done - failed, refresh=False
            )
            bar.update(0)
    finally:  # also on Ctrl-C: keep every finished point, drop the queued work
        for fut in list(in_flight):
            fut.cancel()
        st.flush()
        bar.close()
        timing[0] = time.perf_counter() - t0
    return computed, lost


def _is_lost(exc: BaseException) -> bool:
    """Task failures caused by the cluster (not the point): leave the points missing."""
    from concurrent.futures import CancelledError

    from distributed.comm.core import CommClosedError
    from distributed.scheduler import KilledWorker

    return isinstance(exc, KilledWorker | CancelledError | CommClosedError | OSError)


# ============================================================================ reading
def open_sweep(store: str | os.PathLike) -> Any:
    """Load a sweep store as an ``xarray.Dataset`` (status decoded; strings as ``object``).

    One dimension per grid axis (or ``sample``), one variable per summary value plus ``status``,
    ``error`` and ``wall_time``. A directory that is not a corrtherm store raises
    :class:`~corrtherm.core.errors.SweepError`.
    """
    import xarray as xr

    path = as_path(store, "store", SweepError)
    if not _store_exists(path):
        raise SweepError(
            f"store: {str(path)!r} is not a sweep store; expected a DIR.zarr "
            "directory written by corrtherm sweep"
        )
    try:
        ds = xr.open_zarr(path, consolidated=False).load()
        json.loads(ds.attrs.get("sweep_spec", "{}"))["axes"]  # plot_sweep relies on it
    except Exception as exc:  # damaged metadata or chunks: one line, not a zarr traceback
        raise unreadable_store(path, exc) from None
    if "status" not in ds or ds.attrs.get("sweep_format") != STORE_FORMAT:
        raise SweepError(
            f"store: {str(path)!r} is not a corrtherm sweep store; expected a "
            "DIR.zarr directory written by corrtherm sweep"
        )
    for name in list(ds.data_vars):
        if ds[name].dtype.kind not in "fiub":
            ds[name] = ds[name].astype(object, keep_attrs=True)
    params = tuple(n for n in ds.coords if n != "sample")
    return annotate(ds, parameters=params)


def sweep_summary(store: str | os.PathLike) -> dict[str, Any]:
    """Counts of done/failed/missing points and failures grouped by message.

    A dictionary ``{total, done, failed, missing, failures}`` read from the store, so it works
    while a sweep is running or after it was interrupted.
    """
    ds = open_sweep(store)
    s = ds["status"].values
    return {
        "total": int(s.size),
        "done": int(np.sum(s == DONE)),
        "failed": int(np.sum(s == FAILED)),
        "missing": int(np.sum(s == MISSING)),
        "failures": _failures(s, ds["error"].values),
    }
