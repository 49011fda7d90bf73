"""Parameter sweeps on ``dask.distributed`` with a resumable Zarr store, and phase-map plots.

A sweep evaluates a *point function* ``f(params: dict[str, float]) -> dict[str, float | str]``
at every point of a parameter grid (``NAME=START:STOP:NUM``, one dimension per name) or at
``K`` uniform random samples (``NAME=LOW:HIGH``, one ``sample`` dimension with the sampled
values as coordinates). For scenarios the point function is
``summarize(run_scenario(scenario.with_parameters(params)))``.

Store layout (Zarr v3 directory, readable with ``xarray.open_zarr``; see :func:`open_sweep`):

- dimensions are the swept parameters (grid) or ``sample`` (random);
- ``status`` (int8: 0 missing, 1 done, 2 failed), ``error`` (message of failed points),
  ``wall_time`` (seconds of the point function on its worker);
- one variable per summary key: float64 for numbers, variable-length strings otherwise;
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
import logging
import math
import os
import re
import shutil
import sys
import time
import uuid
import warnings
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from .errors import CorrthermError, SweepError

__all__ = [
    "GridAxis",
    "RandomAxis",
    "SweepSpec",
    "SweepResult",
    "ScenarioPoint",
    "parse_grid",
    "parse_random",
    "make_spec",
    "run_sweep",
    "open_sweep",
    "sweep_summary",
    "plot_sweep",
    "sweep_command",
    "plot_sweep_command",
]

STORE_FORMAT = 1
MISSING, DONE, FAILED = 0, 1, 2
STATUS_MEANINGS = "missing done failed"
#: Points per Zarr chunk; small chunks keep the per-flush rewrite cheap.
CHUNK_POINTS = 1024
#: Longest error message kept per failed point (characters).
MAX_ERROR_CHARS = 500
_RESERVED = {"status", "error", "wall_time", "sample"}
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


# ============================================================================ sweep spec
@dataclass(frozen=True)
class GridAxis:
    """A grid axis ``NAME=START:STOP:NUM``: ``numpy.linspace(start, stop, num)``."""

    name: str
    start: float
    stop: float
    num: int

    @property
    def values(self) -> np.ndarray:
        return np.linspace(self.start, self.stop, self.num)


@dataclass(frozen=True)
class RandomAxis:
    """A random axis ``NAME=LOW:HIGH``: uniform samples in [low, high)."""

    name: str
    low: float
    high: float


@dataclass(frozen=True)
class SweepSpec:
    """Which points a sweep evaluates: a grid (product of axes) or random samples."""

    grid: tuple[GridAxis, ...] = ()
    random: tuple[RandomAxis, ...] = ()
    samples: int = 0
    seed: int = 0

    @property
    def names(self) -> list[str]:
        return [a.name for a in (self.grid or self.random)]

    @property
    def dims(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.grid) if self.grid else ("sample",)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(a.num for a in self.grid) if self.grid else (self.samples,)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def coords(self) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
        """Coordinate arrays: one per grid axis, or the sampled values along ``sample``."""
        if self.grid:
            return {a.name: ((a.name,), a.values) for a in self.grid}
        # One generator draw for all axes keeps the samples a pure function of (spec, seed).
        u = np.random.default_rng(self.seed).random((self.samples, len(self.random)))
        out: dict[str, tuple[tuple[str, ...], np.ndarray]] = {
            "sample": (("sample",), np.arange(self.samples))
        }
        for k, a in enumerate(self.random):
            out[a.name] = (("sample",), a.low + (a.high - a.low) * u[:, k])
        return out

    def point_table(self) -> np.ndarray:
        """(size, n_names) array of parameter values in C (row-major) order of the dims."""
        c = self.coords()
        if self.grid:
            mesh = np.meshgrid(*(c[n][1] for n in self.names), indexing="ij")
            return np.stack([m.ravel() for m in mesh], axis=1)
        return np.stack([c[n][1] for n in self.names], axis=1)

    def to_dict(self) -> dict[str, Any]:
        if self.grid:
            return {"mode": "grid", "axes": [a.__dict__ for a in self.grid]}
        return {
            "mode": "random",
            "axes": [a.__dict__ for a in self.random],
            "samples": self.samples,
            "seed": self.seed,
        }

    def describe(self) -> str:
        if self.grid:
            return " x ".join(f"{a.name}[{a.start:g}:{a.stop:g}:{a.num}]" for a in self.grid)
        axes = ", ".join(f"{a.name}[{a.low:g}:{a.high:g}]" for a in self.random)
        return f"{self.samples} random samples of {axes} (seed {self.seed})"


def _check_name(name: str, field_: str, text: str) -> str:
    if not _NAME_RE.match(name) or name in _RESERVED:
        raise SweepError(
            f"{field_}: parameter name {name!r} in {text!r} is not usable; expected an "
            f"identifier (letters, digits, _) other than {', '.join(sorted(_RESERVED))}"
        )
    return name


def _finite(x: str, field_: str, what: str, text: str) -> float:
    if not re.fullmatch(_NUM, x.strip()):
        raise SweepError(f"{field_}: {what} {x!r} in {text!r} is not a number")
    v = float(x)
    if not math.isfinite(v):
        raise SweepError(f"{field_}: {what} {x!r} in {text!r} is not finite")
    return v


def parse_grid(text: str) -> GridAxis:
    """Parse ``NAME=START:STOP:NUM`` (NUM >= 1 points, endpoints included)."""
    m = re.fullmatch(r"\s*([^=\s]+)\s*=\s*([^:]*):([^:]*):([^:]*)\s*", str(text))
    if not m:
        raise SweepError(f"--grid: got {text!r}; expected NAME=START:STOP:NUM, e.g. g=0:1:11")
    name = _check_name(m.group(1), "--grid", text)
    start = _finite(m.group(2), "--grid", "START", text)
    stop = _finite(m.group(3), "--grid", "STOP", text)
    num_s = m.group(4).strip()
    if not re.fullmatch(r"\d+", num_s) or int(num_s) < 1:
        raise SweepError(f"--grid: NUM {num_s!r} in {text!r}; expected an integer >= 1")
    if int(num_s) == 1 and start != stop:
        raise SweepError(
            f"--grid: NUM = 1 in {text!r} with START != STOP; expected NUM >= 2 or START == STOP"
        )
    return GridAxis(name, start, stop, int(num_s))


def parse_random(text: str) -> RandomAxis:
    """Parse ``NAME=LOW:HIGH`` (LOW < HIGH)."""
    m = re.fullmatch(r"\s*([^=\s]+)\s*=\s*([^:]*):([^:]*)\s*", str(text))
    if not m:
        raise SweepError(f"--random: got {text!r}; expected NAME=LOW:HIGH, e.g. g=0:1")
    name = _check_name(m.group(1), "--random", text)
    low = _finite(m.group(2), "--random", "LOW", text)
    high = _finite(m.group(3), "--random", "HIGH", text)
    if not low < high:
        raise SweepError(
            f"--random: LOW = {low:g} >= HIGH = {high:g} in {text!r}; expected LOW < HIGH"
        )
    return RandomAxis(name, low, high)


def _axes(items: Any, parse: Callable[[str], Any], kind: type, field_: str) -> list:
    if items is None:
        return []
    if isinstance(items, str | kind):
        items = [items]
    if isinstance(items, Mapping):
        items = [(k, *v) if isinstance(v, Sequence) else (k, v) for k, v in items.items()]
    out = []
    for it in items:
        if isinstance(it, kind):
            out.append(it)
        elif isinstance(it, str):
            out.append(parse(it))
        elif isinstance(it, Sequence):
            out.append(parse(f"{it[0]}=" + ":".join(str(x) for x in it[1:])))
        else:
            raise SweepError(
                f"{field_}: got {it!r}; expected a string like "
                f"{'NAME=START:STOP:NUM' if kind is GridAxis else 'NAME=LOW:HIGH'}"
            )
    return out


def make_spec(
    grid: Any = None, random: Any = None, samples: int | None = None, seed: int | None = 0
) -> SweepSpec:
    """Build a :class:`SweepSpec` from CLI-style strings, tuples, a mapping or axis objects.

    ``grid={"g": (0, 1, 11)}`` or ``grid=["g=0:1:11"]``; ``random=["g=0:1"], samples=100``.
    Grid and random axes cannot be mixed in one sweep.
    """
    g = _axes(grid, parse_grid, GridAxis, "--grid")
    r = _axes(random, parse_random, RandomAxis, "--random")
    if g and r:
        raise SweepError("--grid/--random: got both; expected either grid axes or random axes")
    if not g and not r:
        raise SweepError(
            "--grid/--random: no parameter axes given; expected at least one "
            "--grid NAME=START:STOP:NUM or --random NAME=LOW:HIGH"
        )
    names = [a.name for a in g or r]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SweepError(f"--grid/--random: parameter {dup[0]!r} given more than once")
    if seed is None or isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SweepError(f"--seed: got {seed!r}; expected an integer >= 0")
    if r:
        if (
            samples is None
            or isinstance(samples, bool)
            or not isinstance(samples, int | np.integer)
            or samples < 1
        ):
            raise SweepError(f"--samples: got {samples!r}; expected an integer >= 1 with --random")
        return SweepSpec(random=tuple(r), samples=int(samples), seed=int(seed))
    if samples is not None:
        raise SweepError(f"--samples: got {samples!r}; only meaningful with --random")
    return SweepSpec(grid=tuple(g))


# ============================================================================ point functions
class ScenarioPoint:
    """Picklable point function ``params -> summarize(run_scenario(scenario.with_parameters))``."""

    def __init__(self, scenario: Any):
        self.scenario = scenario

    def __call__(self, params: Mapping[str, float]) -> dict[str, float | str]:
        from .scenarios import run_scenario, summarize

        # the summary has no entropic heat/work: skip that split unless the scenario asks for it
        scn = self.scenario.with_parameters(dict(params))
        return summarize(run_scenario(scn, entropic_split=False))

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


# ============================================================================ durable store
def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _durable_put(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
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


def _version() -> str:
    try:
        from . import __version__

        return str(__version__)
    except ImportError:  # pragma: no cover - partial import during package init
        return "unknown"


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
        self.group = zarr.open_group(self.zstore, mode="r+", use_consolidated=False)
        self._check_compatible(meta)
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
            self.repaired = self._load()
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
                **meta,
            }
            g = zarr.create_group(store, zarr_format=3, attributes=attrs)
            for name, (dims, vals) in self.spec.coords().items():
                a = g.create_array(
                    name,
                    shape=vals.shape,
                    chunks=vals.shape,
                    dtype=vals.dtype,
                    dimension_names=dims,
                    fill_value=0,
                )
                a[...] = vals
            self._new_array(
                g,
                "status",
                "i1",
                MISSING,
                {
                    "flag_values": [MISSING, DONE, FAILED],
                    "flag_meanings": STATUS_MEANINGS,
                    "long_name": "point status",
                },
            )
            self._new_array(g, "error", str, "", {"long_name": "error message of failed points"})
            self._new_array(
                g,
                "wall_time",
                "f8",
                np.nan,
                {"units": "s", "long_name": "wall time of the point function on its worker"},
            )
            if self.path.exists():
                if any(self.path.iterdir()):
                    raise SweepError(
                        f"--store: {str(self.path)!r} exists and is not a sweep "
                        "store; expected a new path or a DIR.zarr made by "
                        "corrtherm sweep"
                    )
                self.path.rmdir()
            os.replace(tmp, self.path)
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
        where = f"--store {str(self.path)!r}"
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
                "expected the same --grid/--random/--samples/--seed, or a new --store"
            )
        for key in ("scenario_hash", "point_function"):
            if a.get(key) != meta.get(key):
                raise SweepError(
                    f"{where}: {key} differs (store: {a.get(key)!r}; now: {meta.get(key)!r}); "
                    "the store belongs to another scenario or point function — refusing to mix "
                    "results; expected the same scenario, or a new --store"
                )
        for name, (_, vals) in self.spec.coords().items():
            if name not in self.group or not np.array_equal(self.group[name][...], vals):
                raise SweepError(
                    f"{where}: coordinate {name!r} differs from the spec; the "
                    "store is inconsistent, expected a new --store"
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
        self._new_array(self.group, name, str if is_str else "f8", "" if is_str else np.nan, {})
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
        import fcntl

        # Lock the store directory itself: a lock file inside would confuse zarr's listing.
        fd = os.open(self.path, os.O_RDONLY)
        try:
            # flock dies with its process, so a SIGKILLed driver never leaves a stale lock.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise SweepError(
                f"--store {str(self.path)!r}: in use by another running sweep; expected one "
                "driver per store (wait for it, or use another --store)"
            ) from None
        return fd

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        with contextlib.suppress(OSError):
            os.close(self._lock_fd)  # releases the flock

    def consolidate(self) -> None:
        import zarr

        # Lets plain ``xr.open_zarr(path)`` open the store without a fallback warning.
        with contextlib.suppress(Exception), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "consolidated metadata is not in the v3 spec"
            zarr.consolidate_metadata(self.zstore)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating | np.bool_) and not isinstance(
        v, complex
    )


def _store_exists(path: Path) -> bool:
    return path.is_dir() and (path / "zarr.json").exists()


# ============================================================================ results
@dataclass(frozen=True)
class SweepResult:
    """Outcome of :func:`run_sweep` (counts over the whole store, not only this run)."""

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
        """Throughput of this run, from first submission to last result (no cluster start)."""
        return self.computed / self.compute_time if self.compute_time > 0 else float("nan")

    def summary(self) -> str:
        """Human-readable report: counts, throughput, failures grouped by message."""
        lines = [
            f"sweep {self.store}: {self.spec.describe()} = {self.total} points",
            f"  this run: {self.computed} points in {self.compute_time:.1f} s "
            f"({self.points_per_second:.2f} points/s; store writes {self.store_time:.1f} s; "
            f"{self.elapsed:.1f} s with cluster start)",
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


def _failures(status: np.ndarray, errors: np.ndarray) -> dict[str, int]:
    return dict(Counter(str(e) for e in errors[status == FAILED]))


# ============================================================================ engine
def _meta_for(target: Any, fingerprint: str | None) -> tuple[Callable, dict[str, str], Any]:
    """(point function, store metadata, scenario or None) for a scenario or a callable."""
    scen = None
    if isinstance(target, str | os.PathLike):
        from .scenarios import load_scenario

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
    meta["corrtherm_version"] = _version()
    return fn, meta, scen


@contextlib.contextmanager
def _client_for(client: Any, scheduler: str | None, workers: int | None):
    if client is not None:
        yield client
        return
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            c = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise SweepError(
                f"--scheduler: cannot connect to {scheduler!r} ({exc}); expected "
                "the address of a running dask scheduler, e.g. tcp://host:8786"
            ) from None
        with c:
            yield c
        return
    n = workers if workers is not None else (os.cpu_count() or 1)
    # One single-threaded process per core: point functions are NumPy/GIL-bound.
    with (
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


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
) -> SweepResult:
    """Evaluate ``target`` at every point of a sweep on a dask cluster, resumably.

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
    """
    spec = make_spec(grid, random, samples, seed)
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise SweepError(f"--workers: got {workers!r}; expected an integer >= 1")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise SweepError(f"batch_size: got {batch_size!r}; expected an integer >= 1")
    if not (isinstance(flush_interval, int | float) and flush_interval >= 0):
        raise SweepError(f"flush_interval: got {flush_interval!r}; expected seconds >= 0")
    fn, meta, scen = _meta_for(target, fingerprint)
    table = spec.point_table()
    if scen is not None:
        try:  # unknown parameter names are a sweep-spec error, caught before any work
            scen.with_parameters(dict(zip(spec.names, table[0], strict=True)))
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
            with _client_for(client, scheduler, workers) as c:
                computed, lost = _drive(
                    c, fn, spec, st, table, todo, batch_size, flush_interval, progress, timing
                )
        st.consolidate()
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
    """Load a sweep store as an ``xarray.Dataset`` (status decoded; strings as ``object``)."""
    import xarray as xr

    path = Path(store)
    if not _store_exists(path):
        raise SweepError(
            f"store: {str(path)!r} is not a sweep store; expected a DIR.zarr "
            "directory written by corrtherm sweep"
        )
    ds = xr.open_zarr(path, consolidated=False).load()
    if "status" not in ds or ds.attrs.get("sweep_format") != STORE_FORMAT:
        raise SweepError(
            f"store: {str(path)!r} is not a corrtherm sweep store; expected a "
            "DIR.zarr directory written by corrtherm sweep"
        )
    for name in list(ds.data_vars):
        if ds[name].dtype.kind not in "fiub":
            ds[name] = ds[name].astype(object)
    return ds


def sweep_summary(store: str | os.PathLike) -> dict[str, Any]:
    """Counts of done/failed/missing points and failures grouped by message."""
    ds = open_sweep(store)
    s = ds["status"].values
    return {
        "total": int(s.size),
        "done": int(np.sum(s == DONE)),
        "failed": int(np.sum(s == FAILED)),
        "missing": int(np.sum(s == MISSING)),
        "failures": _failures(s, ds["error"].values),
    }


# ============================================================================ plotting
_PREFERRED = ("DeltaN_A", "DeltaU_chi", "DeltaE_A", "DeltaI_AB", "slack")


def _class_var(ds: Any) -> str | None:
    cands = [n for n in ds.data_vars if "class" in n.lower() and ds[n].dtype == object]
    return sorted(cands, key=lambda n: (n != "classification", n))[0] if cands else None


def _anomalous(ds: Any, cls: str | None) -> np.ndarray:
    if cls is None:
        return np.zeros(ds["status"].shape, dtype=bool)
    lab = np.asarray(ds[cls].values, dtype=object)
    return np.vectorize(lambda s: "anomal" in str(s).lower(), otypes=[bool])(lab) & (
        ds["status"].values == DONE
    )


def _numeric_vars(ds: Any) -> list[str]:
    skip = {"status", "wall_time"}
    return [n for n in ds.data_vars if n not in skip and ds[n].dtype.kind == "f"]


def plot_sweep(
    store: str | os.PathLike, var: str | None = None, out: str | os.PathLike | None = None
) -> Any:
    """Phase map of a summary variable: a 1-D curve or a 2-D ``pcolormesh``.

    The anomalous-flow region (classification containing "anomal") is hatched and outlined,
    failed points are marked with red crosses, missing points are left blank. Grids with more
    than two axes are cut at the first index of the extra axes; random sweeps are drawn as
    scatter plots over the first one or two sampled parameters. Returns the figure (saved to
    ``out`` when given).
    """
    import matplotlib

    if out is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    ds = open_sweep(store)
    nums = _numeric_vars(ds) + ["wall_time"]
    if var is None:  # the first physically meaningful variable that has values
        ok = [n for n in nums if np.isfinite(ds[n].values).any()] or nums
        var = ([n for n in _PREFERRED if n in ok] or ok)[0]
    if var not in ds.data_vars or ds[var].dtype.kind != "f":
        raise SweepError(f"--var: got {var!r}; expected one of {', '.join(nums)}")
    spec = json.loads(ds.attrs["sweep_spec"])
    names = [a["name"] for a in spec["axes"]]
    cls = _class_var(ds)
    anom = _anomalous(ds, cls)
    failed = ds["status"].values == FAILED
    val = np.where(ds["status"].values == DONE, ds[var].values, np.nan)
    fig, ax = plt.subplots(figsize=(6.4, 4.8), constrained_layout=True)
    title = f"{var} — {ds.attrs.get('sweep_description', '')}"

    if spec["mode"] == "grid":
        if val.ndim > 2:  # cut extra axes at their first value
            cut = (slice(None), slice(None)) + (0,) * (val.ndim - 2)
            val, anom, failed = val[cut], anom[cut], failed[cut]
            title += "\n(cut at " + ", ".join(f"{n}={ds[n].values[0]:g}" for n in names[2:]) + ")"
        x = ds[names[0]].values
        if val.ndim == 1:
            ax.plot(x, val, "o-", ms=3, label=var)
            _shade_1d(ax, x, anom)
            ax.plot(x[failed], np.full(failed.sum(), _baseline(val)), "rx", label="failed")
            ax.set_xlabel(names[0])
            ax.set_ylabel(var)
        else:
            y = ds[names[1]].values
            # Rows are names[0], columns names[1]: put the second axis on x for a natural map.
            lim = float(np.nanmax(np.abs(val))) if np.isfinite(val).any() else 1.0
            signed = np.nanmin(val, initial=0) < 0 < np.nanmax(val, initial=0)
            # Signed quantities (flows) get a diverging map centred on zero: colour = direction.
            kw = {"cmap": "RdBu_r", "vmin": -lim, "vmax": lim} if signed else {}
            mesh = ax.pcolormesh(y, x, np.ma.masked_invalid(val), shading="auto", **kw)
            fig.colorbar(mesh, ax=ax, label=var)
            if anom.any() and len(x) > 1 and len(y) > 1:
                # hatch exactly the anomalous cells of the map (a contour through cell centres
                # would cut cells and suggest a boundary the grid does not resolve)
                ax.pcolor(
                    y,
                    x,
                    np.ma.masked_where(~anom, np.ones(anom.shape)),
                    shading="auto",
                    hatch="//",
                    facecolor="none",
                    edgecolor="k",
                    linewidth=0.6,
                )
            elif anom.any():
                yy, xx = np.meshgrid(y, x)
                ax.plot(yy[anom], xx[anom], "k+", label="anomalous")
            yy, xx = np.meshgrid(y, x)
            ax.plot(yy[failed], xx[failed], "rx", ms=6, label="failed")
            ax.set_xlabel(names[1])
            ax.set_ylabel(names[0])
    else:
        x = ds[names[0]].values
        if len(names) == 1:
            order = np.argsort(x)
            ax.plot(x[order], val[order], ".", label=var)
            ax.plot(x[anom], val[anom], "o", mfc="none", mec="k", label="anomalous")
            ax.plot(x[failed], np.full(failed.sum(), _baseline(val)), "rx", label="failed")
            ax.set_xlabel(names[0])
            ax.set_ylabel(var)
        else:
            y = ds[names[1]].values
            sc = ax.scatter(x, y, c=val, s=14, cmap="viridis")
            fig.colorbar(sc, ax=ax, label=var)
            ax.scatter(x[anom], y[anom], s=40, facecolors="none", edgecolors="k", label="anomalous")
            ax.plot(x[failed], y[failed], "rx", label="failed")
            ax.set_xlabel(names[0])
            ax.set_ylabel(names[1])
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    if anom.any() and spec["mode"] == "grid":
        handles.append(Patch(facecolor="none", edgecolor="k", hatch="//"))
        labels.append(f"anomalous ({cls})")
    keep = [
        (h, lab)
        for h, lab in zip(handles, labels, strict=True)
        if not (lab == "failed" and not failed.any())
    ]
    if keep:
        ax.legend(*zip(*keep, strict=True), loc="best", fontsize="small")
    ax.set_title(title, fontsize="medium")
    if out is not None:
        fig.savefig(out, dpi=120)
    return fig


def _baseline(val: np.ndarray) -> float:
    return float(np.nanmin(val)) if np.isfinite(val).any() else 0.0


def _shade_1d(ax: Any, x: np.ndarray, anom: np.ndarray) -> None:
    if not anom.any():
        return
    # Shade from midpoint to midpoint so isolated anomalous points stay visible.
    edges = (
        np.concatenate([[x[0]], (x[1:] + x[:-1]) / 2, [x[-1]]])
        if len(x) > 1
        else np.array([x[0] - 0.5, x[0] + 0.5])
    )
    first = True
    for k in np.flatnonzero(anom):
        ax.axvspan(
            edges[k],
            edges[k + 1],
            color="0.85",
            hatch="//",
            lw=0,
            label="anomalous" if first else None,
        )
        first = False


# ============================================================================ CLI commands
def sweep_command(
    scenario: Annotated[str, typer.Argument(help="Scenario TOML file or preset name.")],
    store: Annotated[
        Path,
        typer.Option(
            "--store", help="Zarr store directory (DIR.zarr); an existing store is resumed."
        ),
    ],
    grid: Annotated[
        list[str] | None,
        typer.Option("--grid", help="Grid axis NAME=START:STOP:NUM (repeat for more axes)."),
    ] = None,
    random: Annotated[
        list[str] | None,
        typer.Option("--random", help="Random axis NAME=LOW:HIGH (repeat); needs --samples."),
    ] = None,
    samples: Annotated[int | None, typer.Option(help="Number of random samples.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random samples.")] = 0,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Address of a running dask scheduler (default: a local cluster)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes of the local cluster (default: number of cores)."),
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(help="Points per dask task (default: automatic).")
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Also recompute points that failed before.")
    ] = False,
) -> None:
    """Evaluate a scenario over a parameter grid or random samples on dask; resumable."""
    try:
        res = run_sweep(
            scenario,
            store=store,
            grid=grid,
            random=random,
            samples=samples,
            seed=seed,
            scheduler=scheduler,
            workers=workers,
            batch_size=batch_size,
            retry_failed=retry_failed,
        )
    except KeyboardInterrupt:
        typer.echo(
            f"interrupted; finished points are kept in {store}; rerun the same command to resume",
            err=True,
        )
        raise typer.Exit(130) from None
    typer.echo(res.summary())


def plot_sweep_command(
    store: Annotated[Path, typer.Argument(help="Sweep store (DIR.zarr).")],
    var: Annotated[str | None, typer.Option(help="Summary variable to draw.")] = None,
    out: Annotated[Path | None, typer.Option(help="Output image (default: STORE.png).")] = None,
) -> None:
    """Draw a 1-D curve or 2-D phase map of a sweep, marking anomalous and failed points."""
    out = out if out is not None else store.with_suffix(".png")
    plot_sweep(store, var=var, out=out)
    typer.echo(f"wrote {out}")
