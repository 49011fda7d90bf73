"""Input checks shared by the paper-2 modules: temperatures, chemical potentials, models, states."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core._validate import density_matrix, describe_value, finite_real, to_array
from ..core.errors import CorrthermError, FlowError
from ..core.model import Bipartite


def _beta(value: Any, name: str) -> float:
    expected = "a finite inverse temperature > 0"
    b = finite_real(value, name, FlowError, expected)
    if b <= 0:
        raise FlowError(f"{name}: got {describe_value(value)}; expected {expected}")
    return b


def _mu(value: Any, name: str, model: Bipartite) -> float:
    m = finite_real(value, name, FlowError, "a finite chemical potential")
    if m != 0.0 and not model.has_numbers:
        raise FlowError(
            f"{name}: got {m!r}, but the model has no number operators N_A, N_B; a chemical "
            "potential needs them (give N_A, N_B to Bipartite, or use mu = 0)"
        )
    return m


def _finite_float(value: Any, name: str) -> float:
    return finite_real(value, name, FlowError)


def _model(model: Any) -> Bipartite:
    if not isinstance(model, Bipartite):
        raise FlowError(f"model: got {type(model).__name__}; expected a corrtherm.Bipartite")
    return model


def _state(rho: Any, name: str, d: int) -> np.ndarray:
    arr = to_array(rho, name)
    if arr.shape != (d, d):
        raise FlowError(f"{name}: has shape {arr.shape}; expected ({d}, {d}) like the model")
    try:
        return density_matrix(arr, name)
    except CorrthermError as exc:
        raise FlowError(str(exc)) from None


def _atol(atol: Any) -> float:
    a = _finite_float(atol, "atol")
    if not (np.isfinite(a) and a >= 0):
        raise FlowError(f"atol: got {atol!r}; expected a finite tolerance >= 0")
    return a


def _thermal_tol(tol: Any) -> float:
    t = _finite_float(tol, "thermal_tol")
    if not (np.isfinite(t) and t > 0):
        raise FlowError(f"thermal_tol: got {tol!r}; expected a finite tolerance > 0")
    return t
