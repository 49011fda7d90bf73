"""Thermalizing local jumps and their rate families (paper 1, Eqs. 12-13).

A bath at inverse temperature beta drives transitions n -> m between eigenstates of the bare local
Hamiltonian with rates gamma(E_m - E_n) obeying detailed balance
gamma(omega) = gamma(-omega) e^{-beta omega} (Eq. 13), so that e^{-beta H_X}/Z is steady.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit

from ..core._validate import describe_value, finite_real, hermitian, to_array, tolerance
from ..core.errors import CorrthermError, DynamicsError

__all__ = ["thermal_jumps", "thermal_rate", "RATE_FUNCTIONS", "RATE_FAMILIES", "RateFamily"]

#: Relative tolerance for the detailed-balance check of user rate functions.
DETAILED_BALANCE_RTOL = 1e-8


def _rate_paper(omega: np.ndarray, beta: float, gamma0: float) -> np.ndarray:
    return gamma0 * np.exp(-0.5 * beta * omega)


def _rate_fermi(omega: np.ndarray, beta: float, gamma0: float) -> np.ndarray:
    # expit(-x) = 1/(1 + e^x), overflow-free
    return gamma0 * expit(-beta * omega)


def _rate_ohmic(omega: np.ndarray, beta: float, gamma0: float) -> np.ndarray:
    x = beta * np.asarray(omega, dtype=float)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        bose = np.where(x == 0, 1.0, x / np.expm1(np.where(x == 0, 1.0, x)))
    # omega / (e^{beta omega} - 1) = (1/beta) x / expm1(x); the x -> 0 limit is 1/beta
    return gamma0 * np.where(np.isfinite(bose), bose, 0.0) / beta


def _rate_bose(omega: np.ndarray, beta: float, gamma0: float) -> np.ndarray:
    x = beta * np.asarray(omega, dtype=float)
    # gamma0 n(|omega|) for absorption (x > 0), gamma0 (n(|omega|) + 1) for emission (x < 0):
    # both are gamma0 / |e^x - 1|. The flat spectrum has no finite omega -> 0 limit (n ~ 1/x),
    # so the zero-frequency (pure dephasing) rate is set to 0 (documented in thermal_rate).
    with np.errstate(over="ignore", divide="ignore"):
        out = gamma0 / np.abs(np.expm1(np.where(x == 0, 1.0, x)))
    return np.where(x == 0, 0.0, out)


#: Built-in transition-rate functions gamma(omega; beta, gamma0) with detailed balance
#: gamma(omega) = gamma(-omega) e^{-beta omega} (paper 1, Eq. 13).
RATE_FUNCTIONS: dict[str, Callable[[np.ndarray, float, float], np.ndarray]] = {
    "paper": _rate_paper,
    "fermi": _rate_fermi,
    "ohmic": _rate_ohmic,
    "bose": _rate_bose,
}


@dataclass(frozen=True)
class RateFamily:
    """One built-in rate family: its name, formula and what it models.

    ``formula`` is gamma(omega) as an expression in ``omega``, ``beta`` and ``gamma0`` that the
    scenario expression language can evaluate (the tests evaluate it against the
    implementation); ``note`` says where the family comes from and its limits.
    """

    name: str
    formula: str
    note: str


#: The rate families of ``thermal_rate``/``thermal_jumps`` and of the ``rate`` key of a scenario
#: bath: the one source of their documentation (the docstrings and the scenario-file reference).
#: omega = E_m - E_n is the energy the system gains in the jump n -> m.
RATE_FAMILIES: dict[str, RateFamily] = {
    "paper": RateFamily(
        "paper",
        "gamma0 * exp(-beta * omega / 2)",
        "paper 1's example: with H = w sz (E_0 = w, E_1 = -w) and gamma0 = 1 it gives "
        "gamma_01 = e^{-beta w}, gamma_10 = e^{+beta w}",
    ),
    "fermi": RateFamily(
        "fermi",
        "gamma0 / (1 + exp(beta * omega))",
        "bounded by gamma0 at any temperature; the rates of the QuTiP reference workload",
    ),
    "ohmic": RateFamily(
        "ohmic",
        "gamma0 * omega / (exp(beta * omega) - 1)",
        "ohmic bosonic bath: gamma0 |omega| (n(|omega|) + 1) for emission, "
        "gamma0 |omega| n(|omega|) for absorption, gamma0 / beta at omega = 0; needs beta > 0",
    ),
    "bose": RateFamily(
        "bose",
        "gamma0 / abs(exp(beta * omega) - 1)",
        "flat bosonic bath: gamma0 (n(|omega|) + 1) for emission, gamma0 n(|omega|) for "
        "absorption; the omega -> 0 limit diverges, gamma(0) := 0 (no pure dephasing); "
        "needs beta > 0",
    ),
}


def thermal_rate(
    omega: Any, beta: float, rate: str | Callable = "fermi", gamma0: float = 1.0
) -> np.ndarray:
    """Transition rate gamma(omega) for a jump that changes the system energy by omega = E_m - E_n.

    ``rate`` names a family of :data:`RATE_FAMILIES` (paper 1, Eq. 13):

    - "paper": gamma(omega) = gamma0 * exp(-beta * omega / 2)
    - "fermi": gamma(omega) = gamma0 / (1 + exp(beta * omega))
    - "ohmic": gamma(omega) = gamma0 * omega / (exp(beta * omega) - 1)
    - "bose": gamma(omega) = gamma0 / abs(exp(beta * omega) - 1)

    "paper" gives paper 1's example rates gamma_01 = e^{-beta w}, gamma_10 = e^{+beta w} for
    H = w sigma_z and gamma0 = 1; "fermi" is the rate of the QuTiP reference workload; "ohmic"
    is gamma0 |omega| (n(|omega|) + 1) for emission and gamma0 |omega| n(|omega|) for
    absorption, with the limit gamma0 / beta at omega = 0 (requires beta > 0); "bose" is a
    flat bosonic bath, gamma0 (n(|omega|) + 1) for emission and gamma0 n(|omega|) for absorption,
    whose omega -> 0 limit diverges: gamma(0) is set to 0, so zero-frequency (pure dephasing)
    terms are dropped (use "ohmic" for a bath that dephases; requires beta > 0).
    ``rate`` may also be a callable ``rate(omega) -> gamma`` (vectorized over a float array).
    All built-ins satisfy detailed balance gamma(omega) / gamma(-omega) = exp(-beta omega)
    (Eq. 13); user callables are checked for it by :func:`thermal_jumps`.
    """
    try:
        wc = to_array(omega, "omega")
    except CorrthermError as exc:
        raise DynamicsError(str(exc)) from None
    if np.any(wc.imag != 0):
        raise DynamicsError("omega: has complex entries; expected real energy differences")
    w = wc.real
    beta = finite_real(beta, "beta", DynamicsError, "a finite real inverse temperature")
    g0 = finite_real(gamma0, "gamma0", DynamicsError, "a finite rate >= 0")
    if g0 < 0:
        raise DynamicsError(f"gamma0: got {gamma0!r}; expected a finite rate >= 0")
    if callable(rate):
        try:
            out = np.asarray(rate(w), dtype=float)
        except Exception as exc:  # the user's function failed: report it as bad input
            raise DynamicsError(f"rate: the callable raised {type(exc).__name__}: {exc}") from None
        if out.shape != w.shape:
            out = np.broadcast_to(out, w.shape).copy() if out.size == 1 else out
        if out.shape != w.shape:
            raise DynamicsError(
                f"rate: returned shape {out.shape} for omega of shape {w.shape}; expected a "
                "vectorized function gamma(omega)"
            )
        return out
    if not isinstance(rate, str) or rate not in RATE_FUNCTIONS:
        raise DynamicsError(
            f"rate: got {describe_value(rate)}; expected one of {sorted(RATE_FUNCTIONS)} or a "
            "callable gamma(omega)"
        )
    if rate in ("ohmic", "bose") and not beta > 0:
        raise DynamicsError(f"beta: got {beta!r}; the {rate!r} rate needs beta > 0")
    with np.errstate(over="ignore"):  # an overflowing rate is reported by _check_rates
        return RATE_FUNCTIONS[rate](w, beta, g0)


def thermal_jumps(
    H_local: Any,
    beta: float,
    rate: str | Callable = "fermi",
    gamma0: float = 1.0,
    *,
    degenerate: str = "error",
    degeneracy_tol: float = 1e-9,
) -> list[np.ndarray]:
    """Thermalizing jump operators of paper 1, Eqs. 12-13.

    L_mn = sqrt(gamma(E_m - E_n)) |m><n| for all ordered pairs m != n of eigenvectors of the bare
    local Hamiltonian H_local = sum_m E_m |m><m| (transition n -> m, energy change
    omega = E_m - E_n). Detailed balance gamma_mn = gamma_nm exp(-beta (E_m - E_n)) (Eq. 13)
    makes exp(-beta H_local)/Z a steady state, unique for a non-degenerate spectrum.
    See :func:`thermal_rate` for ``rate``. Jumps with zero rate are dropped.

    Degenerate spectra: the eigenvectors inside a degenerate level are not unique, so the jumps
    |m><n| would depend on an arbitrary basis choice. ``degenerate="error"`` (default) raises a
    :class:`DynamicsError` naming the levels and their gap (gaps below ``degeneracy_tol`` times
    max(1, spread of the spectrum) count as degenerate). ``degenerate="allow"`` keeps NumPy's
    eigenbasis and treats pairs inside a level as omega = 0 transitions with rate gamma(0):
    the Gibbs state is still steady (detailed balance holds with omega = 0) but the coherence
    dynamics inside the level depends on that basis choice and the steady state may be unique
    only up to the symmetry of the level.
    """
    H = hermitian(H_local, "H_local")
    beta = finite_real(beta, "beta", DynamicsError, "a finite real inverse temperature")
    g0 = finite_real(gamma0, "gamma0", DynamicsError, "a finite, non-negative rate")
    if g0 < 0:
        raise DynamicsError(f"gamma0: got {gamma0!r}; expected a finite, non-negative rate")
    if not isinstance(rate, str) and not callable(rate):
        raise DynamicsError(
            f"rate: got {describe_value(rate)}; expected one of {sorted(RATE_FUNCTIONS)} or a "
            "callable gamma(omega)"
        )
    degeneracy_tol = tolerance(degeneracy_tol, "degeneracy_tol", DynamicsError)
    if not isinstance(degenerate, str) or degenerate not in ("error", "allow"):
        raise DynamicsError(f"degenerate: got {degenerate!r}; expected 'error' or 'allow'")
    E, Q = np.linalg.eigh(H)
    spread = max(1.0, float(E[-1] - E[0])) if E.size else 1.0
    gaps = np.diff(E)
    close = np.flatnonzero(gaps <= degeneracy_tol * spread)
    if close.size and degenerate == "error":
        k = int(close[0])
        raise DynamicsError(
            f"H_local: degenerate spectrum, levels {k} and {k + 1} (E = {E[k]:.12g}, "
            f"{E[k + 1]:.12g}) differ by {gaps[k]:.3g} <= {degeneracy_tol * spread:.3g}; the "
            "thermal jumps |m><n| are then basis dependent. Lift the degeneracy or pass "
            "degenerate='allow' (see the docstring for what that means)"
        )
    n = E.size
    m_idx, n_idx = np.nonzero(~np.eye(n, dtype=bool))
    omega = E[m_idx] - E[n_idx]
    if close.size:
        # equal levels within tolerance are exactly degenerate for the rate function
        same = np.abs(omega) <= degeneracy_tol * spread
        omega = np.where(same, 0.0, omega)
    gam = thermal_rate(omega, beta, rate, g0)
    _check_rates(gam, omega, beta, callable(rate))
    jumps = []
    for m, k, g in zip(m_idx, n_idx, gam):
        if g > 0:
            jumps.append(np.sqrt(g) * np.outer(Q[:, m], Q[:, k].conj()))
    return jumps


def _check_rates(gam: np.ndarray, omega: np.ndarray, beta: float, user: bool) -> None:
    bad = ~np.isfinite(gam)
    if np.any(bad):
        w = float(omega[np.flatnonzero(bad)[0]])
        raise DynamicsError(
            f"rate: gamma(omega = {w:.6g}) = {gam[bad][0]!r}; expected a finite non-negative rate"
        )
    if np.any(gam < 0):
        i = int(np.flatnonzero(gam < 0)[0])
        raise DynamicsError(
            f"rate: gamma(omega = {omega[i]:.6g}) = {gam[i]:.6g} < 0; expected a non-negative rate"
        )
    if not user:
        return
    # detailed balance gamma(w) = gamma(-w) e^{-beta w}; pairs (w, -w) are both in the list
    # (floating-point subtraction is exactly antisymmetric). Compared in logs: no overflow.
    order = {float(w): i for i, w in enumerate(omega)}
    for i, w in enumerate(omega):
        j = order.get(float(-w))
        if j is None or w < 0:
            continue
        gi, gj = float(gam[i]), float(gam[j])
        if gi == 0.0 and gj == 0.0:
            continue
        if gi > 0 and gj > 0:
            ok = abs(np.log(gi) - np.log(gj) + beta * w) <= DETAILED_BALANCE_RTOL * max(
                1.0, abs(beta * w)
            )
        else:  # one rate vanishes: only acceptable when the Boltzmann factor underflows
            ok = abs(beta * w) > 700
        if not ok:
            raise DynamicsError(
                f"rate: violates detailed balance (Eq. 13): gamma({w:.6g}) = {gi:.6g}, "
                f"gamma({-w:.6g}) = {gj:.6g} at beta = {beta:g}; expected "
                "gamma(omega)/gamma(-omega) = exp(-beta omega)"
            )
