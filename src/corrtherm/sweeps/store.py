"""The durable, resumable Zarr store of a sweep (one writer: the driver).

A sweep evaluates a *point function* ``f(params: dict[str, float]) -> dict[str, float | str]``
at every point of a parameter grid (``NAME=START:STOP:NUM``, one dimension per name) or at
``K`` uniform random samples (``NAME=LOW:HIGH``, one ``sample`` dimension with the sampled
values as coordinates). For scenarios the point function is
``summarize(run_scenario(scenario.with_parameters(params)))``.

Store layout (Zarr v3 directory, readable with ``xarray.open_zarr``; see :func:`open_sweep`):

- dimensions are the swept parameters (grid) or ``sample`` (random);
- ``status`` (int8: 0 missing, 1 done, 2 failed), ``error`` (message of failed points),
  ``wall_time`` (seconds of the point function on its worker);
- one variable per summary key: float64 for numbers, variable-length strings otherwise. For
  scenario sweeps these are the keys of :func:`corrtherm.scenarios.summarize`: the change
  X(t_final) - X(0) of the ledger (``DeltaU``, ``DeltaU_A``, ``DeltaU_B``, ``DeltaU_chi``,
  ``DeltaE_A``, ``DeltaE_B``, ``DeltaN_A``, ``DeltaI_AB``), the heats ``Q_A``, ``Q_B`` (open),
  the left side ``lhs_26`` and ``slack`` of inequality (26), the flow classifications
  ``classification``, ``particle_flow``, ``energy_flow``, the diagnostics
  ``residual_ledger``, ``residual_energy_balance``, ``n_steps``, ``n_rhs``, and ``kind``,
  ``t_final``. Every variable and coordinate carries ``units`` and ``long_name`` from
  :mod:`corrtherm.core.metadata` (docs/variables.md lists them); swept parameters are
  coordinates with the units of the scenario's ``[parameters]``;
- group attributes: ``scenario_text``, ``scenario_hash``, ``sweep_spec`` (JSON),
  ``point_function``, ``corrtherm_version``.

Crash safety: only the driver writes. Results are flushed in batches (at most every
``flush_interval`` seconds): first the values of every touched chunk, then the ``status`` chunks,
each chunk written to a temporary file, fsync'ed and renamed over the old one (atomic on POSIX).
A kill before the status rename leaves the point ``missing`` (redone on resume); a kill after it
leaves a complete point. On resume, chunks that cannot be decoded and ``done`` points without a
wall time are reset to ``missing``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import shutil
import time
import uuid
import warnings
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import SweepError
from ..core.metadata import lookup, parameter_meta
from ..scenarios.files import atomic_write, lock_directory, unlock_directory
from .spec import _NAME_RE, _RESERVED, SweepSpec

STORE_FORMAT = 1
MISSING, DONE, FAILED = 0, 1, 2
STATUS_MEANINGS = "missing done failed"
#: Points per Zarr chunk; small chunks keep the per-flush rewrite cheap.
CHUNK_POINTS = 1024
#: Longest error message kept per failed point (characters).
MAX_ERROR_CHARS = 500


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _durable_put(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    atomic_write(path, write)  # a fresh .NAME.<random>.partial, renamed over the chunk
    # The rename itself must reach the disk before we write the status chunk that relies on it.
    _fsync_dir(path.parent)


def _durable_store(root: Path, read_only: bool = False):
    """A zarr LocalStore whose writes are atomic (tmp + rename) *and* fsync'ed."""
    from zarr.core.buffer import Buffer
    from zarr.storage import LocalStore

    class DurableLocalStore(LocalStore):
        async def set(self, key: str, value: Buffer) -> None:
            if not self._is_open:
                await self._open()
            self._check_writable()
            await asyncio.to_thread(_durable_put, self.root / key, value.as_buffer_like())

    return DurableLocalStore(root, read_only=read_only)


def _chunks_for(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Chunk shape with at most CHUNK_POINTS points, whole trailing axes first (row order)."""
    chunks = [1] * len(shape)
    budget = CHUNK_POINTS
    for k in range(len(shape) - 1, -1, -1):
        c = max(1, min(shape[k], budget))
        chunks[k] = c
        budget //= c
        if budget <= 1:
            break
    return tuple(chunks)


class _SweepStore:
    """Driver-side view of a sweep store: in-memory copy + dirty-chunk tracking."""

    def __init__(self, path: Path, spec: SweepSpec, meta: dict[str, str]):
        import zarr

        self.path, self.spec = path, spec
        self.shape, self.dims = spec.shape, spec.dims
        self.chunks = _chunks_for(self.shape)
        self.coord_names = [n for n in spec.coords() if n not in self.dims]
        if not _store_exists(path):
            self._create(meta)
        self.zstore = _durable_store(path)
        try:
            self.group = zarr.open_group(self.zstore, mode="r+", use_consolidated=False)
            self._check_compatible(meta)
        except SweepError:
            raise
        except Exception as exc:  # a damaged or foreign store: metadata zarr cannot decode
            raise unreadable_store(path, exc) from None
        self._lock_fd = self._lock()
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sweep-store")
        try:
            # temp files of writes interrupted by a kill (safe: we hold the store's lock)
            for p in path.rglob("*.partial"):
                with contextlib.suppress(OSError):
                    p.unlink()
            # Existing stores keep their chunking (CHUNK_POINTS may differ between versions).
            self.chunks = tuple(int(c) for c in self.group["status"].chunks)
            self.mem: dict[str, np.ndarray] = {}
            self.kinds: dict[str, str] = {}
            self.dirty: set[tuple[int, ...]] = set()
            self._handles: dict[str, Any] = {}
            self.flush_time = 0.0
            try:
                self.repaired = self._load()
            except SweepError:
                raise
            except Exception as exc:
                raise unreadable_store(path, exc) from None
        except BaseException:
            self.close()
            raise

    # -------------------------------------------------------------- creation / checks
    def _create(self, meta: dict[str, str]) -> None:
        import zarr

        if self.path.exists() and not self.path.is_dir():
            raise SweepError(
                f"--store: {str(self.path)!r} exists and is not a directory; "
                "expected a new or existing DIR.zarr sweep store"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Build in a hidden sibling and rename: a kill during creation leaves no half store.
        tmp = self.path.parent / f".{self.path.name}.{uuid.uuid4().hex}.creating"
        try:
            store = _durable_store(tmp)
            attrs = {
                "sweep_format": STORE_FORMAT,
                "sweep_spec": json.dumps(self.spec.to_dict()),
                "sweep_description": self.spec.describe(),
                "comment": (
                    "one value per point: its run's summary at t_final (Delta<X> = "
                    "X(t_final) - X(0)); units as in corrtherm.core.metadata"
                ),
                **meta,
            }
            g = zarr.create_group(store, zarr_format=3, attributes=attrs)
            for name, (dims, vals) in self.spec.coords().items():
                meta = lookup(name) if name == "sample" else parameter_meta(name)
                a = g.create_array(
                    name,
                    shape=vals.shape,
                    chunks=vals.shape,
                    dtype=vals.dtype,
                    dimension_names=dims,
                    fill_value=0,
                    attributes={"units": meta.units, "long_name": meta.long_name},
                )
                a[...] = vals
            self._new_array(
                g,
                "status",
                "i1",
                MISSING,
                {
                    **_var_attrs("status"),
                    "flag_values": [MISSING, DONE, FAILED],
                    "flag_meanings": STATUS_MEANINGS,
                },
            )
            self._new_array(g, "error", str, "", _var_attrs("error"))
            self._new_array(g, "wall_time", "f8", np.nan, _var_attrs("wall_time"))
            if self.path.exists():
                if _store_exists(self.path):
                    return  # another sweep created it first: opening it reports "in use"
                if any(self.path.iterdir()):
                    raise SweepError(
                        f"--store: {str(self.path)!r} exists and is not a sweep "
                        "store; expected a new path or a DIR.zarr made by "
                        "corrtherm sweep"
                    )
                self.path.rmdir()
            try:
                os.replace(tmp, self.path)
            except OSError:
                if not _store_exists(self.path):  # not the start-up race: a real failure
                    raise
                return  # lost the race to another sweep that created the same store
            _fsync_dir(self.path.parent)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _new_array(self, g: Any, name: str, dtype: Any, fill: Any, attrs: dict) -> Any:
        if self.coord_names:
            attrs = {**attrs, "coordinates": " ".join(self.coord_names)}
        return g.create_array(
            name,
            shape=self.shape,
            chunks=self.chunks,
            dtype=dtype,
            fill_value=fill,
            dimension_names=self.dims,
            attributes=attrs,
        )

    def _check_compatible(self, meta: dict[str, str]) -> None:
        a = dict(self.group.attrs)
        # one wording for the command line (--store) and Python (run_sweep(store=...))
        where = f"sweep store {str(self.path)!r}"
        if a.get("sweep_format") != STORE_FORMAT or "status" not in self.group:
            raise SweepError(
                f"{where}: not a corrtherm sweep store (format "
                f"{a.get('sweep_format')!r}); expected a store made by "
                "corrtherm sweep, or a new path"
            )
        old = json.loads(a.get("sweep_spec", "{}"))
        if old != self.spec.to_dict():
            raise SweepError(
                f"{where}: the sweep spec differs from the one the store was made with "
                f"(store: {a.get('sweep_description')}; now: {self.spec.describe()}); "
                "expected the same grid/random axes, samples and seed (--grid/--random/--samples/"
                "--seed, or run_sweep's grid=/random=/samples=/seed=), or a new store"
            )
        for key in ("scenario_hash", "point_function"):
            if a.get(key) != meta.get(key):
                raise SweepError(
                    f"{where}: {key} differs (store: {a.get(key)!r}; now: {meta.get(key)!r}); "
                    "the store belongs to another scenario or point function — refusing to mix "
                    "results; expected the same scenario, or a new store"
                )
        for name, (_, vals) in self.spec.coords().items():
            if name not in self.group or not np.array_equal(self.group[name][...], vals):
                raise SweepError(
                    f"{where}: coordinate {name!r} differs from the spec; the "
                    "store is inconsistent, expected a new store"
                )

    # -------------------------------------------------------------- loading / repair
    def _read_robust(self, arr: Any, fill: Any) -> tuple[np.ndarray, np.ndarray]:
        """Read an array; chunks that fail to decode come back as ``fill`` and flagged bad."""
        bad = np.zeros(self.shape, dtype=bool)
        try:
            data = arr[...]
        except Exception:
            data = np.full(self.shape, fill, dtype=object if fill == "" else None)
            for sl in self._all_chunk_slices():
                try:
                    data[sl] = arr[sl]
                except Exception:  # torn or foreign-written chunk: its points are redone
                    bad[sl] = True
        if fill == "":
            data = np.asarray(data, dtype=object)
            data[data == None] = ""  # noqa: E711 - elementwise comparison
        else:
            data = np.array(data, dtype=float if isinstance(fill, float) else arr.dtype)
        return data, bad

    def _all_chunk_slices(self) -> Iterable[tuple[slice, ...]]:
        grid = [range(math.ceil(s / c)) for s, c in zip(self.shape, self.chunks, strict=True)]
        for cid in np.ndindex(*[len(r) for r in grid]):
            yield self._chunk_slices(cid)

    def _chunk_slices(self, cid: tuple[int, ...]) -> tuple[slice, ...]:
        return tuple(
            slice(i * c, min((i + 1) * c, s))
            for i, c, s in zip(cid, self.chunks, self.shape, strict=True)
        )

    def _load(self) -> int:
        stored, bad = self._read_robust(self.group["status"], MISSING)
        stored = stored.astype(np.int8)
        status = stored.copy()
        status[bad] = MISSING
        for name, arr in self.group.arrays():
            if name in self.spec.coords() or name == "status":
                continue
            if tuple(arr.metadata.dimension_names or ()) != self.dims:
                continue
            is_str = "str" in str(arr.dtype).lower() or arr.dtype.kind in "OUT"
            data, badv = self._read_robust(arr, "" if is_str else np.nan)
            self.mem[name] = data
            self.kinds[name] = "str" if is_str else "float"
            status[badv & (status != MISSING)] = MISSING
        # A finished point always has its wall time (written before the status): guard anyway.
        status[(status != MISSING) & ~np.isfinite(self.mem["wall_time"])] = MISSING
        self.status = status
        self._reset(status == MISSING)
        changed = np.flatnonzero((stored != status).ravel() | bad.ravel())
        if len(changed):  # make the repaired flags durable before anything else is written
            self.dirty.update(self._chunks_of(changed))
        return int(np.count_nonzero(stored != status))

    def _reset(self, mask: np.ndarray) -> None:
        for name, data in self.mem.items():
            data[mask] = "" if self.kinds[name] == "str" else np.nan

    def _chunks_of(self, flat: np.ndarray) -> set[tuple[int, ...]]:
        idx = np.unravel_index(np.asarray(flat, dtype=np.int64), self.shape)
        cids = np.stack([i // c for i, c in zip(idx, self.chunks, strict=True)], axis=1)
        return {tuple(int(x) for x in row) for row in np.unique(cids, axis=0)}

    # -------------------------------------------------------------- recording / flushing
    def ensure_var(self, name: str, value: Any) -> str | None:
        """Create the variable for a new summary key; returns an error message if unusable."""
        if name in self.kinds:
            return None
        if not _NAME_RE.match(name) or name in _RESERVED or name in self.spec.coords():
            return (
                f"summary key {name!r} cannot be stored (reserved or not an identifier); "
                "expected another name"
            )
        is_str = isinstance(value, str)
        if not is_str and not _is_number(value):
            return (
                f"summary value {name!r} = {value!r} of type {type(value).__name__}; "
                "expected a number or a string"
            )
        self._new_array(
            self.group, name, str if is_str else "f8", "" if is_str else np.nan, _var_attrs(name)
        )
        self.kinds[name] = "str" if is_str else "float"
        self.mem[name] = (
            np.full(self.shape, "", dtype=object) if is_str else np.full(self.shape, np.nan)
        )
        return None

    def record(self, flat: int, ok: bool, payload: Any, wall: float) -> str | None:
        """Record one finished point in memory; returns its error message if it failed."""
        idx = np.unravel_index(flat, self.shape)
        err = None if ok else str(payload)
        if ok and not isinstance(payload, Mapping):
            err = (
                f"point function returned {type(payload).__name__}; expected dict[str, float | str]"
            )
        values: dict[str, Any] = {}
        if err is None:
            for k, v in payload.items():
                err = self.ensure_var(str(k), v)
                if err is None:
                    if self.kinds[str(k)] == "float":
                        if isinstance(v, str) or not _is_number(v):
                            err = (
                                f"summary value {k!r} = {v!r}; expected a number like the "
                                "earlier points"
                            )
                        else:
                            values[str(k)] = float(v)
                    else:
                        values[str(k)] = str(v)
                if err is not None:
                    break
        for name in self.mem:  # clear leftovers from a previous (failed) attempt
            self.mem[name][idx] = "" if self.kinds[name] == "str" else np.nan
        if err is None:
            for k, v in values.items():
                self.mem[k][idx] = v
            self.status[idx] = DONE
        else:
            self.mem["error"][idx] = err
            self.status[idx] = FAILED
        self.mem["wall_time"][idx] = wall
        self.dirty.add(tuple(int(i) // c for i, c in zip(idx, self.chunks, strict=True)))
        return err

    def flush(self) -> None:
        """Write dirty chunks: all values first, ``status`` last (the commit point)."""
        if not self.dirty:
            return
        t0 = time.perf_counter()
        cids = sorted(self.dirty)

        def write(name: str) -> None:
            arr, data = self._array(name), self.mem[name]
            for cid in cids:
                sl = self._chunk_slices(cid)
                arr[sl] = data[sl]

        # Value arrays in parallel: each chunk write waits on its own fsync, so overlapping
        # them divides the flush latency; the status chunks go only after all have landed.
        list(self._pool.map(write, list(self.mem)))
        status = self._array("status")
        for cid in cids:
            sl = self._chunk_slices(cid)
            status[sl] = self.status[sl]
        self.dirty.clear()
        self.flush_time += time.perf_counter() - t0

    def _array(self, name: str) -> Any:
        # Cached handles: reopening reads the array metadata from disk on every flush.
        if name not in self._handles:
            self._handles[name] = self.group[name]
        return self._handles[name]

    def _lock(self) -> int:
        """Exclusive lock on the store: two drivers would overwrite each other's chunks."""
        return lock_directory(
            self.path,
            SweepError(
                f"--store {str(self.path)!r}: in use by another running sweep; expected one "
                "driver per store (wait for it, or use another --store)"
            ),
        )

    def close(self) -> None:
        """Release the pool and the lock (idempotent: a closed fd number may be reused)."""
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=True)
        self._lock_fd = unlock_directory(getattr(self, "_lock_fd", -1))

    def consolidate(self) -> None:
        import zarr

        # Lets plain ``xr.open_zarr(path)`` open the store without a fallback warning.
        with contextlib.suppress(Exception), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "consolidated metadata is not in the v3 spec"
            zarr.consolidate_metadata(self.zstore)


def _var_attrs(name: str) -> dict[str, str]:
    """units, long_name and comment of a store variable from the metadata registry."""
    meta = lookup(name)
    if meta is None:  # a key of a user's own point function
        return {"long_name": f"{name} (returned by the point function)"}
    attrs = {"units": meta.units, "long_name": meta.long_name}
    if meta.comment:
        attrs["comment"] = meta.comment
    return attrs


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating | np.bool_) and not isinstance(
        v, complex
    )


def unreadable_store(path: Path, exc: BaseException) -> SweepError:
    """The one-line error for a store whose metadata cannot be decoded."""
    msg = " ".join(str(exc).split())[:200] or type(exc).__name__
    return SweepError(
        f"--store {str(path)!r}: cannot read the sweep store ({type(exc).__name__}: {msg}); "
        "expected a DIR.zarr made by corrtherm sweep (move the damaged store away and start "
        "a new --store)"
    )


def _store_exists(path: Path) -> bool:
    return path.is_dir() and (path / "zarr.json").exists()
