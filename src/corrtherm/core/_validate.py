"""Boundary conversion and validation shared by all public functions.

Public functions accept NumPy arrays (or anything array-like) and ``qutip.Qobj``;
they are converted here once, so the numerical core only ever sees ndarrays.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .errors import ModelError, StateError

#: Absolute tolerance for Hermiticity of user operators (scaled by the operator norm).
HERMITIAN_RTOL = 1e-10
#: Tolerance on |Tr rho - 1| and on negative eigenvalues of a density matrix.
STATE_TOL = 1e-8


def to_array(x: Any, name: str) -> np.ndarray:
    """Convert ``x`` (ndarray, nested list, scipy sparse, or ``qutip.Qobj``) to a complex ndarray.

    Raises :class:`ModelError` naming ``name`` if the entries are not finite numbers: ``None``,
    strings and booleans are refused (NumPy would read ``None`` as NaN, ``"3"`` as 3 and
    ``True`` as 1).
    """
    if x is None:
        raise ModelError(f"{name}: got None; expected a numeric array")
    if hasattr(x, "full") and type(x).__name__ == "Qobj":
        x = x.full()
    elif hasattr(x, "toarray") and callable(x.toarray):
        x = x.toarray()
    try:
        raw = np.asarray(x)
        if raw.dtype.kind == "b":
            raise ModelError(f"{name}: got booleans; expected a numeric array (not True/False)")
        if raw.dtype.kind not in "iufc":
            # strings or objects (None entries, nested non-numbers): refused, not coerced
            if raw.dtype.kind != "O" or not all(
                isinstance(v, numbers.Number) and not isinstance(v, bool | np.bool_)
                for v in raw.ravel()
            ):
                what = "text" if raw.dtype.kind in "SU" else raw.dtype.name
                raise ModelError(
                    f"{name}: cannot be read as a numeric array (got {what} entries; "
                    "expected numbers)"
                )
        arr = np.asarray(raw, dtype=complex)
    except (TypeError, ValueError, OverflowError) as exc:
        if isinstance(exc, ModelError):
            raise
        msg = " ".join(str(exc).split())
        raise ModelError(f"{name}: cannot be read as a numeric array ({msg})") from None
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ModelError(f"{name}: contains {bad} NaN or infinite entries; expected finite numbers")
    return arr


def finite_real(
    value: Any,
    name: str,
    error: type[Exception] = ModelError,
    expected: str = "a finite real number",
) -> float:
    """Return ``value`` as a float, or raise ``error`` naming ``name``, the value and ``expected``.

    Only real numbers are accepted (int, float, NumPy scalars, 0-d real arrays): a bool, a
    string such as ``"3"`` or a complex number is refused rather than converted.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if not is_real_number(value):
        raise error(f"{name}: got {describe_value(value)}; expected {expected}")
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise error(f"{name}: got {describe_value(value)}; expected {expected}") from None
    if not np.isfinite(v):
        raise error(f"{name}: got {describe_value(value)}; expected {expected}")
    return v


def flag(value: Any, name: str, error: type[Exception] = ModelError, none: bool = False) -> Any:
    """Return ``value`` if it is a boolean (``True``/``False`` or a NumPy bool; ``None`` too if
    ``none``), else raise ``error`` naming ``name``: a truthy string such as ``"no"`` or a
    number would otherwise switch an option silently."""
    if (none and value is None) or isinstance(value, bool | np.bool_):
        return None if value is None else bool(value)
    expected = "True, False or None" if none else "True or False"
    raise error(f"{name}: got {describe_value(value)}; expected {expected}")


def describe_value(value: Any, limit: int = 60) -> str:
    """A short one-line rendering of a user's value for error messages (arrays by shape)."""
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return repr(value[()])
        return f"an array of shape {value.shape}"
    if isinstance(value, list | tuple) and len(repr(value)) > limit:
        return f"a {type(value).__name__} of length {len(value)}"
    text = " ".join(repr(value).split())
    if type(value).__repr__ is object.__repr__:
        return f"a {type(value).__name__} object"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_real_number(value: Any) -> bool:
    """True for real numbers (int, float, NumPy real scalars), False for bool, str, complex."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def tolerance(
    value: Any, name: str = "tol", error: type[Exception] = ModelError, upper: float = 1.0
) -> float:
    """A tolerance: a finite real number with 0 <= value < ``upper``."""
    t = finite_real(value, name, error, f"a tolerance 0 <= {name} < {upper:g}")
    if not 0 <= t < upper:
        raise error(
            f"{name}: got {describe_value(value)}; expected a tolerance 0 <= {name} < {upper:g}"
        )
    return t


def positive_int(
    value: Any,
    name: str,
    error: type[Exception] = ModelError,
    minimum: int = 1,
    expected: str | None = None,
) -> int:
    """Return ``value`` as an int >= ``minimum`` (integral floats such as 3.0 are accepted);
    a bool, a string, a fraction such as 2.5 or NaN raises ``error`` naming ``name``."""
    what = expected or f"an integer >= {minimum}"
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if not is_real_number(value):
        raise error(f"{name}: got {describe_value(value)}; expected {what}")
    try:
        f = float(value)
        ok = math.isfinite(f) and f == int(value)
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise error(f"{name}: got {describe_value(value)}; expected {what}")
    n = int(value)
    if n < minimum:
        raise error(f"{name}: got {describe_value(value)}; expected {what}")
    return n


def square(x: Any, name: str, dim: int | None = None) -> np.ndarray:
    """Return ``x`` as a square complex matrix, optionally of a required dimension."""
    arr = to_array(x, name)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ModelError(f"{name}: has shape {arr.shape}; expected a square matrix")
    if arr.shape[0] == 0:
        raise ModelError(f"{name}: has shape {arr.shape}; expected a non-empty square matrix")
    if dim is not None and arr.shape[0] != dim:
        raise ModelError(f"{name}: has shape {arr.shape}; expected ({dim}, {dim})")
    return arr


def hermitian(x: Any, name: str, dim: int | None = None) -> np.ndarray:
    """Return ``x`` as a Hermitian matrix (exactly symmetrized after a tolerance check)."""
    arr = square(x, name, dim)
    dev = float(np.max(np.abs(arr - arr.conj().T))) if arr.size else 0.0
    scale = max(1.0, float(np.max(np.abs(arr))) if arr.size else 1.0)
    if dev > HERMITIAN_RTOL * scale:
        raise ModelError(
            f"{name}: is not Hermitian (max |X - X^dag| = {dev:.3g}, tolerance "
            f"{HERMITIAN_RTOL * scale:.3g})"
        )
    return 0.5 * (arr + arr.conj().T)


def check_dims(dims: Any, d: int | None = None, name: str = "dims") -> tuple[int, int]:
    """Validate a bipartite ``dims`` pair (d_A, d_B), optionally against a total dimension."""
    try:
        dA, dB = (int(v) for v in dims)
        ok = all(is_real_number(v) and float(v) == int(v) for v in dims)
    except (TypeError, ValueError, OverflowError):
        raise ModelError(
            f"{name}: got {describe_value(dims)}; expected a pair of positive integers (d_A, d_B)"
        ) from None
    if not ok or dA < 1 or dB < 1:
        raise ModelError(
            f"{name}: got {describe_value(dims)}; expected a pair of positive integers (d_A, d_B)"
        )
    if d is not None and dA * dB != d:
        raise ModelError(
            f"{name}: d_A * d_B = {dA} * {dB} = {dA * dB} does not match the matrix dimension {d}"
        )
    return dA, dB


def density_matrix(
    rho: Any,
    name: str = "rho",
    dim: int | None = None,
    tol: float = STATE_TOL,
    eigvalsh: Any = None,
) -> np.ndarray:
    """Return ``rho`` as a validated density matrix: Hermitian, unit trace, rho >= -tol.

    The tolerance ``tol`` applies to |Tr rho - 1| and to the most negative eigenvalue.
    ``eigvalsh``: the eigenvalue routine for the positivity check (default numpy's; large
    callers pass a block-wise one).
    """
    tol = tolerance(tol, "tol", StateError)
    if dim is not None:
        dim = positive_int(dim, "dim", StateError)
    arr = to_array(rho, name)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise StateError(f"{name}: has shape {arr.shape}; expected a square density matrix")
    if dim is not None and arr.shape[0] != dim:
        raise StateError(f"{name}: has shape {arr.shape}; expected ({dim}, {dim})")
    dev = float(np.max(np.abs(arr - arr.conj().T))) if arr.size else 0.0
    if dev > tol:
        raise StateError(f"{name}: is not Hermitian (max |rho - rho^dag| = {dev:.3g} > {tol:g})")
    arr = 0.5 * (arr + arr.conj().T)
    tr = float(np.trace(arr).real)
    if abs(tr - 1.0) > tol:
        raise StateError(f"{name}: has trace {tr:.12g}; expected 1 (off by {tr - 1.0:.3g})")
    lam_min = float(np.min((eigvalsh or np.linalg.eigvalsh)(arr)))
    if lam_min < -tol:
        raise StateError(
            f"{name}: is not positive semidefinite (smallest eigenvalue {lam_min:.3g} < -{tol:g})"
        )
    return arr
