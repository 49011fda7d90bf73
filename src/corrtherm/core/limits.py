"""Resource pre-flight: estimate the memory of a computation before allocating it, and refuse
with the estimate, the limit and what to change.

The limit (bytes) is, in order:

1. the environment variable ``CORRTHERM_MEMORY_LIMIT`` (what ``corrtherm --memory-limit``
   sets): a size such as ``8GB``, ``512MiB``, ``2e9`` or ``none`` (no limit);
2. otherwise ``DEFAULT_FRACTION`` of the memory this process can still use: ``MemAvailable``
   of ``/proc/meminfo``, capped by a cgroup memory limit and by ``RLIMIT_AS`` when they are
   lower (``FALLBACK_AVAILABLE`` when none of them can be read).

The estimates are lower bounds of the peak (the arrays that must exist at the same time),
so a refusal is never a false alarm by more than the working copies NumPy makes on top. They
are checked where the allocation happens (:func:`require_memory`), so the library and the
command line refuse the same inputs.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

import numpy as np

from .errors import CorrthermError, ResourceError

__all__ = [
    "ENV_VAR",
    "DEFAULT_FRACTION",
    "memory_limit",
    "available_memory",
    "parse_size",
    "format_bytes",
    "require_memory",
    "COMPLEX_BYTES",
    "MAX_MAGNITUDE",
    "check_magnitude",
    "rate_scale",
    "check_rate_scale",
]

#: Environment variable overriding the memory limit (a size, or "none").
ENV_VAR = "CORRTHERM_MEMORY_LIMIT"
#: Share of the available memory a single computation may plan to use by default.
DEFAULT_FRACTION = 0.8
#: Assumed available memory when neither /proc/meminfo nor sysconf can be read.
FALLBACK_AVAILABLE = 4 * 2**30
#: Bytes of one complex128 entry.
COMPLEX_BYTES = 16

_UNITS = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "kb": 10**3,
    "kib": 2**10,
    "m": 10**6,
    "mb": 10**6,
    "mib": 2**20,
    "g": 10**9,
    "gb": 10**9,
    "gib": 2**30,
    "t": 10**12,
    "tb": 10**12,
    "tib": 2**40,
}


def parse_size(text: str | int | float, name: str = ENV_VAR) -> float:
    """Bytes of a size such as ``8GB``, ``512 MiB``, ``2e9`` (``inf`` for ``none``/``off``)."""
    if isinstance(text, bool):
        raise ResourceError(f"{name}: got {text!r}; expected a size like 8GB, 512MiB or none")
    if isinstance(text, int | float):
        value, unit = float(text), ""
    else:
        s = str(text).strip().lower()
        if s in ("none", "off", "unlimited", "inf"):
            return math.inf
        m = re.fullmatch(r"([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-z]*)", s)
        if not m or m.group(2) not in _UNITS:
            raise ResourceError(
                f"{name}: got {text!r}; expected a size like 8GB, 512MiB, 2e9 (bytes) or none"
            )
        value, unit = float(m.group(1)), m.group(2)
    if not math.isfinite(value) or value <= 0:
        raise ResourceError(f"{name}: got {text!r}; expected a positive size or none")
    return value * _UNITS[unit]


def _meminfo_available() -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_available() -> float | None:
    # cgroup v2: a container's limit can be far below the host's MemAvailable
    try:
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as f:
            limit = f.read().strip()
        if limit == "max":
            return None
        with open("/sys/fs/cgroup/memory.current", encoding="ascii") as f:
            used = float(f.read().strip())
        return max(0.0, float(limit) - used)
    except (OSError, ValueError):
        return None


def _address_space_available() -> float | None:
    # RLIMIT_AS counts virtual memory: what is left is the limit minus the current VmSize
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY or soft <= 0:
            return None
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return max(0.0, soft - float(line.split()[1]) * 1024)
        return float(soft)
    except (ImportError, OSError, ValueError, IndexError):
        return None


def available_memory() -> float:
    """Bytes this process can still allocate: the smallest of MemAvailable, the cgroup's free
    memory and the free address space under RLIMIT_AS (FALLBACK_AVAILABLE if none is known)."""
    found = [
        v
        for v in (_meminfo_available(), _cgroup_available(), _address_space_available())
        if v is not None
    ]
    if not found:
        try:
            found = [float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))]
        except (ValueError, OSError, AttributeError):
            found = [float(FALLBACK_AVAILABLE)]
    return min(found)


def memory_limit() -> float:
    """The memory limit in bytes (``math.inf`` when disabled); see the module docstring."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return parse_size(env)
    return DEFAULT_FRACTION * available_memory()


def format_bytes(n: float) -> str:
    """``97.7 GiB``-style size."""
    n = float(min(n, 10**300)) if isinstance(n, int) else n
    if not math.isfinite(n):
        return "unlimited"
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} B"


def _limit_source() -> str:
    if os.environ.get(ENV_VAR, "").strip():
        return f"set by {ENV_VAR}"
    return f"{DEFAULT_FRACTION:.0%} of the available memory"


def require_memory(nbytes: float, what: str, fix: str) -> None:
    """Raise :class:`ResourceError` when ``nbytes`` exceeds :func:`memory_limit`.

    ``what`` names the allocation and its shape (e.g. "state.matrix: a 100000 x 100000 complex
    array"), ``fix`` says what to change (e.g. "fewer time.n_points").
    """
    if not nbytes > 0:
        return
    limit = memory_limit()
    if nbytes <= limit:
        return
    raise ResourceError(
        f"{what} needs {format_bytes(nbytes)}, more than the memory limit of "
        f"{format_bytes(limit)} ({_limit_source()}); {fix}, or raise the limit with "
        f"--memory-limit or {ENV_VAR} (e.g. {ENV_VAR}=64GB)"
    )


# ============================================================================ numeric ranges
#: Largest |entry| of a Hamiltonian, and largest rate scale sum_l ||L_l||_F^2 of a bath, that
#: corrtherm accepts: a product of two such numbers summed over up to 10^4 terms stays below
#: the float64 maximum (1.8e308), so commutators, L^dag L and the generator stay finite.
MAX_MAGNITUDE = 1e150


def check_magnitude(
    arr: np.ndarray, name: str, error: type[CorrthermError], what: str = "entries"
) -> None:
    """Refuse an operator whose largest |entry| exceeds :data:`MAX_MAGNITUDE`."""
    if arr.size == 0:
        return
    m = float(np.max(np.abs(arr)))
    if not m <= MAX_MAGNITUDE:
        raise error(
            f"{name}: {what} as large as {m:.3g} overflow double precision in products "
            f"(commutators, L^dag L); expected |{what}| <= {MAX_MAGNITUDE:g} (rescale the "
            "units of energy and time)"
        )


def rate_scale(jumps: Any) -> float:
    """sum_l ||L_l||_F^2 = Tr sum_l L_l^dag L_l, the total rate of a set of jumps, computed
    without overflow (inf only when it truly exceeds the float64 range)."""
    total = 0.0
    for L in jumps:
        a = np.abs(np.asarray(L))
        m = float(np.max(a)) if a.size else 0.0
        if m == 0.0:
            continue
        if not math.isfinite(m):
            return math.inf
        # m^2 * sum (a/m)^2, in logs so that m ~ 1e200 gives inf only through the product
        term = math.exp(min(2 * math.log(m), 709.0)) * float(np.sum((a / m) ** 2))
        total += term if 2 * math.log(m) < 709.0 else math.inf
    return total


def check_coupling_scale(
    rate_max: float, couplings: Any, name: str, error: type[CorrthermError]
) -> None:
    """Refuse a bath built from coupling operators S_k whose rate scale
    max gamma x sum_k ||S_k||_F^2 exceeds :data:`MAX_MAGNITUDE` (the bound of
    :func:`check_rate_scale` for the jumps sqrt(gamma) A_k(nu) the bath stands for)."""
    r = rate_max * rate_scale(couplings) if rate_max > 0 else 0.0
    if not r <= MAX_MAGNITUDE:
        shown = "overflows double precision" if not math.isfinite(r) else f"is {r:.3g}"
        raise error(
            f"{name}: the bath's total rate max gamma x Tr sum_k S_k^2 {shown} (max gamma = "
            f"{rate_max:.3g}); expected at most {MAX_MAGNITUDE:g} (a smaller gamma0, coupling "
            "operator or temperature)"
        )


def check_rate_scale(jumps: Any, name: str, error: type[CorrthermError]) -> float:
    """Refuse jumps whose total rate sum_l ||L_l||_F^2 exceeds :data:`MAX_MAGNITUDE` (then
    sum_l L_l^dag L_l and the GKLS generator would overflow or lose every other scale)."""
    r = rate_scale(jumps)
    if not r <= MAX_MAGNITUDE:
        shown = "overflows double precision" if not math.isfinite(r) else f"is {r:.3g}"
        raise error(
            f"{name}: the total rate Tr sum_l L_l^dag L_l {shown}; expected at most "
            f"{MAX_MAGNITUDE:g} (smaller rates or jump amplitudes, e.g. gamma0)"
        )
    return r
