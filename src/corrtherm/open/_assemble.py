"""Assembly of an open-system trajectory dataset: currents, heats and the entropic split.

Both drivers (:mod:`corrtherm.open.exact`, :mod:`corrtherm.open.ode`) end here, so the open
variables J_X, Q_X, Q_entropic, W_entropic and the energy-balance residual have one definition.
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from ..core.metadata import annotate
from .heat_split import ENTROPIC_WARN, _cumulative_heat

#: The Remark's entropy-based heat/work split needs a full eigendecomposition of rho at every
#: save time and midpoint; above this d it is skipped by default (variables are NaN, see attrs).
ENTROPIC_MAX_D = 64


def _finish(model, led, t, JA_t, JB_t, Q, q, entropic, attrs, refined=None) -> xr.Dataset:
    U = led.cols["U"]
    dU = U - U[0]
    attrs = dict(attrs)
    attrs["residual_energy_balance"] = float(np.max(np.abs(dU - Q[:, 0] - Q[:, 1])))
    if entropic:
        if refined is None:
            Qe, err = _cumulative_heat(t, q)
            attrs["entropic_split"] = "Simpson on the save grid"
        else:
            Qe, err, f = refined
            attrs["entropic_split"] = "Simpson on the save grid" + (
                f" refined {f}x" if f > 1 else ""
            )
        if err > ENTROPIC_WARN * max(1.0, float(np.max(np.abs(Qe)))):
            warnings.warn(
                f"Q_entropic: quadrature error estimate {err:.2g}; the entropic heat rate varies "
                "faster than the save spacing resolves: add save times, or switch the split off "
                "if you do not need Q_entropic/W_entropic (evolve(..., entropic_split=False), "
                "[analyses] entropic_split = false)",
                RuntimeWarning,
                stacklevel=3,
            )
        We = dU - Qe
        attrs["entropic_quadrature_error"] = err
    else:
        Qe = We = np.full(t.size, np.nan)
        attrs["entropic_split"] = (
            f"skipped: d = {model.d} > ENTROPIC_MAX_D = {ENTROPIC_MAX_D} "
            "(entropic_split=True forces it)"
            if model.d > ENTROPIC_MAX_D
            else "skipped: entropic_split=False"
        )
        attrs["entropic_quadrature_error"] = float("nan")
    ds = led.dataset(t, "open", attrs)
    ds["J_A"] = ("time", JA_t)
    ds["J_B"] = ("time", JB_t)
    ds["Q_A"] = ("time", Q[:, 0])
    ds["Q_B"] = ("time", Q[:, 1])
    ds["Q_entropic"] = ("time", Qe)
    ds["W_entropic"] = ("time", We)
    return annotate(ds)
