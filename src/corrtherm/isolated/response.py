"""Linear response and initial currents of paper 2 (Eqs. 6, 10)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core._validate import to_array
from ..core.errors import CorrthermError, FlowError
from ..core.model import Bipartite
from ._inputs import _beta, _finite_float, _model, _state

__all__ = [
    "linear_response_mutual_information",
    "initial_energy_current",
    "initial_particle_current",
]


def _real_array(x: Any, name: str) -> np.ndarray:
    """Finite real numbers (a scalar or an array), never None, strings or booleans."""
    try:
        arr = to_array(x, name)
    except CorrthermError as exc:
        raise FlowError(str(exc)) from None
    if np.any(np.abs(arr.imag) > 0):
        raise FlowError(f"{name}: has complex entries; expected real numbers")
    return arr.real


def linear_response_mutual_information(
    DeltaE_A: Any, DeltaN_A: Any, beta_A: float, beta_B: float, mu_A: float = 0.0, mu_B: float = 0.0
) -> np.ndarray | float:
    """Near-equilibrium change of mutual information (paper 2, Eqs. 6 and 10).

    With dS_X = beta_X (dE_X - mu_X dN_X) (Eq. 7), dS = 0 (Eq. 4), dE_B = -dE_A and
    dN_B = -dN_A (Eqs. 8-9): dI_AB = dS_A + dS_B =
    (beta_A - beta_B) dE_A - (beta_A mu_A - beta_B mu_B) dN_A, which is -beta (mu_A - mu_B) dN_A
    at equal temperatures (Eq. 10). The exact DeltaI_AB is this minus D_A + D_B, which is
    second order in the deviation of the marginals from equilibrium. Accepts arrays.
    """
    bA, bB = _beta(beta_A, "beta_A"), _beta(beta_B, "beta_B")
    mA, mB = _finite_float(mu_A, "mu_A"), _finite_float(mu_B, "mu_B")
    dE, dN = _real_array(DeltaE_A, "DeltaE_A"), _real_array(DeltaN_A, "DeltaN_A")
    res = (bA - bB) * dE - (bA * mA - bB * mB) * dN
    return float(res) if np.ndim(res) == 0 else res


# -------------------------------------------------------------- locally thermal initial states


def initial_energy_current(model: Bipartite, rho0: Any) -> float:
    """dE_A/dt at t = 0 under unitary evolution: i Tr(rho0 [H, H_A]) (bare energy, into A).

    From the Heisenberg equation d<H_A>/dt = i <[H, H_A]> = i <[V, H_A]>: the first-order
    energy transfer of paper 2's Sec. II (Eq. 6), positive when energy flows into A.
    """
    m = _model(model)
    R = _state(rho0, "rho0", m.d)
    return float((1j * np.trace(R @ (m.H @ m.H_A_full - m.H_A_full @ m.H))).real)


def initial_particle_current(model: Bipartite, rho0: Any) -> float:
    """dN_A/dt at t = 0 under unitary evolution: i Tr(rho0 [H, N_A]) (positive into A).

    From d<N_A>/dt = i <[H, N_A]> = i <[V, N_A]> when [H_A, N_A] = 0 (Eq. 18); with Eq. 10 its
    sign and -beta (mu_A - mu_B) give the initial sign of dI_AB/dt near equilibrium.
    """
    m = _model(model)
    if not m.has_numbers:
        raise FlowError("model: has no number operators; a particle current needs N_A")
    R = _state(rho0, "rho0", m.d)
    return float((1j * np.trace(R @ (m.H @ m.N_A_full - m.N_A_full @ m.H))).real)
