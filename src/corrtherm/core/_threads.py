"""BLAS thread policy around corrtherm's hot loops (structured ODE, Krylov steady states).

OpenBLAS threads busy-wait between calls. When the process's BLAS threads and other running
processes together exceed the cores, every small BLAS call in a loop pays for threads that
spin instead of yielding: on the 2-core benchmark machine, with one other CPU-bound process,
numpy.linalg.eigvalsh of a 1000 x 1000 matrix took 9-21 s with two OpenBLAS threads and 0.29 s
with one. The hot loops here are many small and mid-size products (sector blocks, rate
matrices) whose gain from a second thread is small even on an idle machine (bench/README.md),
so the policy is one BLAS thread inside them unless asked otherwise:

* the ``blas_threads`` argument of the public entry points (an int >= 1, or "auto");
* else the environment variable ``CORRTHERM_BLAS_THREADS`` (same values);
* else 1.

"auto" keeps the BLAS library's own setting (e.g. OPENBLAS_NUM_THREADS). The limit applies
only inside :func:`blas_threads` and is restored on exit (threadpoolctl); :func:`under_policy`
applies the default to set-up work (the structured generator's construction and basis changes).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from .errors import CorrthermError

#: Environment variable overriding the default of one BLAS thread in hot loops.
ENV_VAR = "CORRTHERM_BLAS_THREADS"
DEFAULT = 1


def resolve(threads: Any = None) -> int | None:
    """The thread count to impose (None: leave the library alone)."""
    source = "blas_threads"
    if threads is None:
        threads = os.environ.get(ENV_VAR, "").strip() or DEFAULT
        source = ENV_VAR
    if isinstance(threads, str) and threads.strip().lower() == "auto":
        return None
    try:
        n = int(threads)
    except (TypeError, ValueError):
        n = 0
    if isinstance(threads, bool) or n < 1 or str(n) != str(threads).strip():
        raise CorrthermError(f"{source}: got {threads!r}; expected an integer >= 1 or 'auto'")
    return n


@contextmanager
def blas_threads(threads: Any = None) -> Iterator[int | None]:
    """Limit the BLAS threads of this process inside the block (see the module docstring)."""
    n = resolve(threads)
    if n is None:
        yield None
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n, user_api="blas"):
        yield n


F = TypeVar("F", bound=Callable[..., Any])


def under_policy(fn: F) -> F:
    """Run ``fn`` under the default policy (:func:`blas_threads` with no argument): for the
    set-up work of the hot loops (local eigenbases, thousands of small rotations, basis
    changes), which suffers from busy-waiting threads just as much (measured at n = 12 next to
    other processes: generator 36 s with two threads, 5.7 s with one)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with blas_threads():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
