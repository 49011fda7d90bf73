"""Input validation of the Gaussian engine: one clear line naming the field, value, expectation."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core._validate import HERMITIAN_RTOL, describe_value, finite_real, is_real_number, to_array
from ..core.errors import ModelError, StateError
from ..core.limits import check_magnitude

STATISTICS = ("fermion", "boson")
#: Tolerance on the spectrum of a correlation matrix: 0 <= C <= 1 (fermions), C >= 0 (bosons).
CORRELATION_TOL = 1e-8


def check_statistics(value: Any, error: type[Exception] = ModelError) -> str:
    if not isinstance(value, str) or value not in STATISTICS:
        raise error(f"statistics: got {value!r}; expected 'fermion' or 'boson'")
    return value


def single_particle(
    x: Any, name: str, *, hermitian: bool = False, shape: tuple[int, int] | None = None
) -> np.ndarray:
    """A finite 2-D single-particle matrix, real when its imaginary part is exactly zero."""
    arr = to_array(x, name)
    if arr.ndim == 0 and hermitian:
        arr = arr.reshape(1, 1)
    if arr.ndim != 2:
        raise ModelError(f"{name}: has shape {arr.shape}; expected a 2-D matrix")
    if hermitian and arr.shape[0] != arr.shape[1]:
        raise ModelError(f"{name}: has shape {arr.shape}; expected a square matrix")
    if hermitian and arr.shape[0] == 0:
        raise ModelError(f"{name}: is empty; expected at least one mode")
    if shape is not None and arr.shape != shape:
        raise ModelError(f"{name}: has shape {arr.shape}; expected {shape}")
    # the dense engine's bound: larger entries overflow in commutators and the propagators
    check_magnitude(arr, name, ModelError)
    if hermitian:
        dev = float(np.max(np.abs(arr - arr.conj().T)))
        scale = max(1.0, float(np.max(np.abs(arr))))
        if dev > HERMITIAN_RTOL * scale:
            raise ModelError(
                f"{name}: is not Hermitian (max |h - h^dag| = {dev:.3g}, tolerance "
                f"{HERMITIAN_RTOL * scale:.3g})"
            )
        arr = 0.5 * (arr + arr.conj().T)
    if not np.any(arr.imag):
        return np.ascontiguousarray(arr.real)
    return np.ascontiguousarray(arr)


def check_beta(value: Any, name: str, error: type[Exception] = StateError) -> float:
    """An inverse temperature 0 < beta <= inf (inf: the zero-temperature limit). Only real
    numbers: a bool or a string such as "1" is refused, not converted (as in core._validate)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if not is_real_number(value):
        raise error(f"{name}: got {describe_value(value)}; expected an inverse temperature > 0")
    b = float(value)
    if np.isnan(b) or b <= 0:
        raise error(
            f"{name}: got {describe_value(value)}; expected an inverse temperature > 0 "
            "(inf allowed)"
        )
    return b


def check_mu(value: Any, name: str, error: type[Exception] = StateError) -> float:
    """A finite real chemical potential (a bool or a string is refused, not converted)."""
    return finite_real(value, name, error, "a finite chemical potential")


def correlation_matrix(
    C: Any, name: str, L: int, statistics: str, tol: float = CORRELATION_TOL
) -> np.ndarray:
    """A valid correlation matrix C_ij = <c_i^dag c_j>: L x L, Hermitian, 0 <= C <= 1 for
    fermions (Pauli), C >= 0 for bosons; exactly symmetrized."""
    arr = to_array(C, name)
    if arr.shape != (L, L):
        raise StateError(f"{name}: has shape {arr.shape}; expected ({L}, {L}) like the model")
    scale = max(1.0, float(np.max(np.abs(arr))))
    dev = float(np.max(np.abs(arr - arr.conj().T)))
    if dev > tol * scale:
        raise StateError(
            f"{name}: is not Hermitian (max |C - C^dag| = {dev:.3g} > {tol * scale:.3g})"
        )
    arr = 0.5 * (arr + arr.conj().T)
    n = np.linalg.eigvalsh(arr)
    if n[0] < -tol * scale:
        raise StateError(
            f"{name}: has a negative eigenvalue {n[0]:.3g}; a correlation matrix <c_i^dag c_j> "
            "is positive semidefinite"
        )
    if statistics == "fermion" and n[-1] > 1 + tol * scale:
        raise StateError(
            f"{name}: has an eigenvalue {n[-1]:.12g} > 1; fermionic occupations obey 0 <= C <= 1"
        )
    if not np.any(arr.imag):
        return np.ascontiguousarray(arr.real)
    return arr
