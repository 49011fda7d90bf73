"""The sweep specification: grid axes (NAME=START:STOP:NUM) and random axes (NAME=LOW:HIGH)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import SweepError

__all__ = [
    "GridAxis",
    "RandomAxis",
    "SweepSpec",
    "parse_grid",
    "parse_random",
    "make_spec",
    "sweep_bytes",
]

_RESERVED = {"status", "error", "wall_time", "sample"}
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


@dataclass(frozen=True)
class GridAxis:
    """A grid axis ``NAME=START:STOP:NUM``: ``numpy.linspace(start, stop, num)``.

    Both ends are included; a grid sweep evaluates the Cartesian product of its axes.
    """

    name: str
    start: float
    stop: float
    num: int

    @property
    def values(self) -> np.ndarray:
        return np.linspace(self.start, self.stop, self.num)


@dataclass(frozen=True)
class RandomAxis:
    """A random axis ``NAME=LOW:HIGH``: uniform samples in [low, high).

    The samples are drawn from one generator seeded by the sweep's ``seed``, so they are a pure
    function of the specification.
    """

    name: str
    low: float
    high: float


@dataclass(frozen=True)
class SweepSpec:
    """Which points a sweep evaluates: a grid (product of axes) or random samples.

    ``dims`` and ``shape`` are those of the store: one dimension per grid axis, or ``sample``
    for random sweeps; :meth:`point_table` lists the parameter values in storage order.
    """

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
        # math.prod: exact for any size (np.prod wraps around past 2**63)
        return math.prod(self.shape)

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
    """Parse ``NAME=START:STOP:NUM`` (NUM >= 1 points, endpoints included).

    Returns a :class:`GridAxis`; malformed text, non-finite numbers or a reserved name raise
    :class:`~corrtherm.core.errors.SweepError`.
    """
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
    """Parse ``NAME=LOW:HIGH`` (LOW < HIGH).

    Returns a :class:`RandomAxis`; malformed text or LOW >= HIGH raise
    :class:`~corrtherm.core.errors.SweepError`.
    """
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
    if not isinstance(items, Sequence | set | tuple) or isinstance(items, bytes):
        raise SweepError(
            f"{field_}: got {type(items).__name__}; expected a list of strings like "
            f"{'NAME=START:STOP:NUM' if kind is GridAxis else 'NAME=LOW:HIGH'}"
        )
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


#: Summary values a scenario point stores (floats in memory, one array each); a lower bound.
_SUMMARY_VALUES = 24


def sweep_bytes(spec: SweepSpec) -> int:
    """Bytes the driver holds for a sweep: the point table and coordinates (float64 per axis,
    twice while the grid is meshed), status, wall time, error references and one float64 per
    summary value for every point."""
    n_axes = len(spec.names)
    per_point = 8 * (3 * n_axes) + 1 + 8 + 8 + 8 * _SUMMARY_VALUES
    return spec.size * per_point
