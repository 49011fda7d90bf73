"""Local thermal baths on the eigenmodes of h_X and the exact linear equation they give for C.

Bath X (inverse temperature beta, chemical potential mu) acts on the eigenmodes
d_k = sum_j conj(V_jk) c_j of h_X = V diag(eps) V^dag (so H_X = sum_k eps_k d_k^dag d_k) with
the jumps sqrt(kappa_down(k)) d_k and sqrt(kappa_up(k)) d_k^dag, where by default

    fermions: kappa_down = gamma (1 - f),  kappa_up = gamma f,   f = 1 / (e^{beta (eps - mu)} + 1)
    bosons:   kappa_down = gamma (1 + n),  kappa_up = gamma n,   n = 1 / (e^{beta (eps - mu)} - 1)

or, with ``rate`` a family of :func:`corrtherm.thermal_rate`, kappa_up = r(eps - mu) and
kappa_down = r(-(eps - mu)) (the system's energy change, measured from mu). Detailed balance
kappa_up / kappa_down = e^{-beta (eps - mu)} makes the local grand-canonical state steady.

Derivation (one jump L = sum_i l_i c_i or L = sum_i g_i c_i^dag, Heisenberg adjoint
L^dag O L - {L^dag L, O}/2 applied to O = c_a^dag c_b, using [c_a^dag c_b, c_i] = -delta_ai c_b and
(anti)commutation relations): in terms of G = C^T (G_ij = <c_j^dag c_i>, the one-body density
matrix) every such dissipator adds -{Gamma, G}/2 + P to dG/dt with

    P = V diag(kappa_up) V^dag,  Gamma = V diag(kappa_down + kappa_up) V^dag   (fermions)
                                  Gamma = V diag(kappa_down - kappa_up) V^dag   (bosons)

on the X block. With the unitary part dG/dt = -i[h, G] (c(t) = e^{-iht} c):

    dG/dt = X G + G X^dag + P,   X = -i h - (Gamma_A + Gamma_B) / 2,   P = P_A + P_B.

For the flat rates Gamma_X = gamma 1_X for both statistics. Currents into the system from bath X
(the dense engine's definitions J_X = Tr[H L_X[rho]], I_X = Tr[N L_X[rho]]):

    J_X = Tr[h P_X] - Tr[K_X G],  K_X = {h, Gamma_X} / 2,      I_X = Tr[P_X] - Tr[Gamma_X G].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..core._report import Report
from ..core._validate import describe_value, finite_real
from ..core.errors import DynamicsError, StateError
from ..core.limits import MAX_MAGNITUDE
from ..open.thermal import DETAILED_BALANCE_RTOL, RATE_FUNCTIONS, thermal_rate
from ._inputs import check_beta, check_mu
from .model import FreeModel
from .states import _occupation, bose_gap_tolerance

__all__ = ["LocalBath"]


@dataclass(frozen=True, repr=False)
class LocalBath(Report):
    """A thermal reservoir coupled to the eigenmodes of one side's h_X (module docstring).

    beta: finite inverse temperature > 0; mu: chemical potential; gamma: coupling rate >= 0;
    rate: None for the flat rates above, or a rate family name / callable of
    :func:`corrtherm.thermal_rate` (then ``gamma`` is its gamma0).
    """

    beta: float
    mu: float = 0.0
    gamma: float = 1.0
    rate: str | Callable | None = None

    def __post_init__(self) -> None:
        b = check_beta(self.beta, "bath.beta", DynamicsError)
        if not np.isfinite(b):
            raise DynamicsError(f"bath.beta: got {self.beta!r}; expected a finite beta > 0")
        m = check_mu(self.mu, "bath.mu", DynamicsError)
        g = finite_real(self.gamma, "bath.gamma", DynamicsError, "a finite rate >= 0")
        if g < 0:
            raise DynamicsError(f"bath.gamma: got {self.gamma!r}; expected a finite rate >= 0")
        if g > MAX_MAGNITUDE:
            # the dense engine's bound on a bath's total rate: beyond it the Lyapunov solve
            # and the propagators lose every other scale (a steady state was called "undamped")
            raise DynamicsError(
                f"bath.gamma: got {self.gamma!r}; expected a rate <= {MAX_MAGNITUDE:g} (rescale "
                "the units of energy and time)"
            )
        if not (
            self.rate is None
            or (isinstance(self.rate, str) and self.rate in RATE_FUNCTIONS)
            or callable(self.rate)
        ):
            # a misspelt family fails here, where the bath is written, not in evolve
            raise DynamicsError(
                f"bath.rate: got {describe_value(self.rate)}; expected None (flat), one of "
                f"{sorted(RATE_FUNCTIONS)} or a callable gamma(omega)"
            )
        object.__setattr__(self, "beta", b)
        object.__setattr__(self, "mu", m)
        object.__setattr__(self, "gamma", g)

    _title: ClassVar[str] = "Local thermal bath on the eigenmodes of h_X"
    _labels: ClassVar[dict[str, str]] = {
        "beta": "β",
        "mu": "μ",
        "gamma": "γ (coupling rate)",
        "rate": "rate family (None: flat)",
    }


def check_bath(bath: Any, side: str) -> LocalBath | None:
    if bath is None or isinstance(bath, LocalBath):
        return bath
    if isinstance(bath, dict):
        try:
            return LocalBath(**bath)
        except TypeError as exc:
            raise DynamicsError(
                f"bath_{side}: {exc}; expected keys beta, mu, gamma, rate"
            ) from None
    raise DynamicsError(
        f"bath_{side}: got {type(bath).__name__}; expected a corrtherm.gaussian.LocalBath, "
        "a dict of its fields, or None"
    )


def mode_rates(
    eps: np.ndarray, bath: LocalBath, statistics: str, side: str
) -> tuple[np.ndarray, np.ndarray]:
    """(kappa_up, kappa_down) for the eigenmodes of energies ``eps`` (module docstring)."""
    x = eps - bath.mu
    if statistics == "boson" and np.any(x <= bose_gap_tolerance(eps, bath.mu)):
        raise DynamicsError(
            f"bath_{side}.mu: got {bath.mu!r} >= the lowest mode energy {float(np.min(eps)):.12g} "
            f"of h_{side} (within round-off); a bosonic bath needs mu below every mode energy"
        )
    if bath.rate is None:
        try:
            f = _occupation(eps, bath.beta, bath.mu, statistics, f"_{side}")
        except StateError as exc:
            raise DynamicsError(str(exc)) from None
        down = bath.gamma * ((1.0 - f) if statistics == "fermion" else (1.0 + f))
        return bath.gamma * f, down
    up = np.asarray(thermal_rate(x, bath.beta, bath.rate, bath.gamma), dtype=float)
    down = np.asarray(thermal_rate(-x, bath.beta, bath.rate, bath.gamma), dtype=float)
    finite = np.all(np.isfinite(up)) and np.all(np.isfinite(down))
    if not finite or np.any(up < 0) or np.any(down < 0):
        raise DynamicsError(f"bath_{side}.rate: gives negative or non-finite rates")
    # detailed balance up/down = e^{-beta x}, compared in logs where both are positive
    both = (up > 0) & (down > 0)
    lu, ld = np.log(np.where(both, up, 1.0)), np.log(np.where(both, down, 1.0))
    tol = DETAILED_BALANCE_RTOL * np.maximum(1.0, np.abs(bath.beta * x))
    bad = both & (np.abs(lu - ld + bath.beta * x) > tol)
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        raise DynamicsError(
            f"bath_{side}.rate: violates detailed balance at eps - mu = {x[k]:.6g} "
            f"(up {up[k]:.6g}, down {down[k]:.6g}); expected up/down = exp(-beta (eps - mu))"
        )
    return up, down


def bath_matrices(
    model: FreeModel, bath_A: LocalBath | None, bath_B: LocalBath | None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{side: (Gamma_X, P_X)} embedded in L x L (G convention, module docstring)."""
    out = {}
    L, LA = model.L, model.L_A
    for side, bath, sl in (("A", bath_A, slice(0, LA)), ("B", bath_B, slice(LA, L))):
        if bath is None:
            continue
        hX = model.h_A if side == "A" else model.h_B
        eps, V = np.linalg.eigh(hX)
        up, down = mode_rates(eps, bath, model.statistics, side)
        damp = down + up if model.statistics == "fermion" else down - up
        dtype = complex if np.iscomplexobj(V) else float
        Gam = np.zeros((L, L), dtype=dtype)
        P = np.zeros((L, L), dtype=dtype)
        Gam[sl, sl] = (V * damp) @ V.conj().T
        P[sl, sl] = (V * up) @ V.conj().T
        out[side] = (0.5 * (Gam + Gam.conj().T), 0.5 * (P + P.conj().T))
    return out
