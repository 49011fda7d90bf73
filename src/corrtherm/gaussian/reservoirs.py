"""Explicit reservoirs: a small system (one or two levels) between two leads of N modes each.

The leads are discretized bands: N modes at the midpoints omega_k = -D + (k + 1/2) Delta of
[-D, D] (Delta = 2D/N), coupled to their system level with t_k = sqrt(Gamma(omega_k) Delta / 2 pi),
so that Gamma(omega) = 2 pi sum_k |t_k|^2 delta(omega - omega_k) approximates the chosen spectral
density: "flat" (Gamma = gamma on the band), "semicircle" (gamma sqrt(1 - (omega/D)^2)) or a
callable shape s (Gamma = gamma s(omega) on the band). Started from the leads' own
grand-canonical states at (beta_X, mu_X), the exact Gaussian dynamics of system + leads is the
non-Markovian reference: until the recurrence time 2 pi / Delta = pi N / D the finite leads act
as continua, and the currents settle at their steady values. As N -> infinity these are the
Landauer values (:func:`landauer_currents`):

    I = int domega/2pi T(omega) (f_A(omega) - f_B(omega)),   J = int domega/2pi omega T (f_A - f_B),
    T(omega) = Gamma_A(omega) Gamma_B(omega) |G^r_{ab}(omega)|^2,
    G^r = [omega - h_S - Sigma_A - Sigma_B]^-1,  Sigma_X = Lambda_X(omega) - i Gamma_X(omega)/2

on the levels a, b the leads attach to, with the Lamb shift
Lambda(omega) = P int Gamma(w') / (2 pi (omega - w')) dw'. Currents are positive INTO the system
(from lead X): I_X = -d<N_lead X>/dt, J_X = -d<H_lead X>/dt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import xarray as xr

from ..core._report import Report
from ..core._validate import finite_real
from ..core.errors import DynamicsError, ModelError
from ..core.metadata import annotate
from ..core.trajectory import _check_times
from ._inputs import check_beta, check_mu, single_particle
from .model import FreeModel
from .states import _occupation, _thermal

__all__ = [
    "LeadJunction",
    "junction",
    "band",
    "junction_currents",
    "landauer_currents",
    "lamb_shift",
]

SPECTRAL_DENSITIES = ("flat", "semicircle")


def _density(kind: str | Callable, gamma: float, D: float) -> Callable[[np.ndarray], np.ndarray]:
    if callable(kind):  # a shape s(w) on [-D, D]: Gamma(w) = gamma s(w)
        return lambda w: (
            gamma
            * np.where(
                np.abs(w) < D, np.asarray(kind(np.asarray(w, dtype=float)), dtype=float), 0.0
            )
        )
    if kind == "flat":
        return lambda w: np.where(np.abs(w) < D, gamma, 0.0)
    if kind == "semicircle":
        return lambda w: gamma * np.sqrt(np.clip(1.0 - (np.asarray(w) / D) ** 2, 0.0, None))
    raise ModelError(
        f"spectral_density: got {kind!r}; expected 'flat', 'semicircle' or a callable Gamma(w)"
    )


def band(
    n_modes: int, gamma: float, half_width: float = 2.0, spectral_density: str | Callable = "flat"
) -> tuple[np.ndarray, np.ndarray]:
    """(omega_k, t_k) of a lead discretized into ``n_modes`` midpoints of [-D, D] with
    t_k = sqrt(Gamma(omega_k) Delta / 2 pi) (module docstring)."""
    try:
        n = int(n_modes)
        ok = n == n_modes and 1 <= n <= 20000
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ModelError(f"n_modes: got {n_modes!r}; expected an integer between 1 and 20000")
    g = finite_real(gamma, "gamma")
    D = finite_real(half_width, "half_width")
    if g < 0 or D <= 0:
        raise ModelError(f"gamma, half_width: got {gamma!r}, {half_width!r}; expected >= 0, > 0")
    delta = 2 * D / n
    w = -D + (np.arange(n) + 0.5) * delta
    Gam = _density(spectral_density, g, D)(w)
    if Gam.shape != w.shape or not np.all(np.isfinite(Gam)) or np.any(Gam < 0):
        raise ModelError("spectral_density: must return finite Gamma(w) >= 0 for an array of w")
    return w, np.sqrt(Gam * delta / (2 * np.pi))


@dataclass(frozen=True, eq=False, repr=False)
class LeadJunction(Report):
    """System levels between two explicit leads, as a :class:`FreeModel`.

    Modes are ordered [system levels of A, lead A | system levels of B, lead B]; with one level
    it belongs to A. ``system``, ``lead_A``, ``lead_B`` are index arrays into that order;
    ``site_A``/``site_B`` the system levels the leads attach to; ``h_S`` the system matrix.
    """

    model: FreeModel
    h_S: np.ndarray
    system: np.ndarray
    lead_A: np.ndarray
    lead_B: np.ndarray
    site_A: int
    site_B: int
    gamma_A: float
    gamma_B: float
    half_width: float
    spectral_density: Any

    @property
    def n_modes(self) -> int:
        return int(self.lead_A.size)

    def density(self, side: str) -> Callable[[np.ndarray], np.ndarray]:
        g = self.gamma_A if side == "A" else self.gamma_B
        return _density(self.spectral_density, g, self.half_width)

    _title: ClassVar[str] = "System levels between two explicit leads"

    def _rows(self) -> list[tuple[str, str]]:
        rows = super()._rows()
        return [("model", self.model._heading()) if r[0] == "model" else r for r in rows]

    _extra: ClassVar[tuple[str, ...]] = ("n_modes",)

    def initial_correlation(
        self,
        beta_A: float,
        beta_B: float,
        mu_A: float = 0.0,
        mu_B: float = 0.0,
        system: Any = None,
    ) -> np.ndarray:
        """C(0): leads in their grand-canonical states, system levels with correlation matrix
        ``system`` (default empty), no correlations between them (the usual partitioned start)."""
        L = self.model.L
        C = np.zeros((L, L), dtype=complex)
        h = self.model.h
        for idx, b, m, side in ((self.lead_A, beta_A, mu_A, "A"), (self.lead_B, beta_B, mu_B, "B")):
            C[np.ix_(idx, idx)] = _thermal(h[np.ix_(idx, idx)], b, m, "fermion", f"_{side}")
        nS = self.system.size
        S0 = np.zeros((nS, nS)) if system is None else single_particle(system, "system")
        if S0.shape != (nS, nS):
            raise ModelError(f"system: has shape {S0.shape}; expected ({nS}, {nS})")
        C[np.ix_(self.system, self.system)] = S0
        return C


def junction(
    h_S: Any,
    n_modes: int,
    gamma_A: float,
    gamma_B: float | None = None,
    *,
    site_A: int = 0,
    site_B: int = -1,
    half_width: float = 2.0,
    spectral_density: str | Callable = "flat",
) -> LeadJunction:
    """A system h_S (1 x 1: a level; 2 x 2: e.g. a double dot [[eps_A, g], [g, eps_B]]) with
    lead A (``n_modes``, coupling gamma_A) on level ``site_A`` and lead B on ``site_B``:
    h = h_S + sum_k omega_k b_k^dag b_k + sum_k t_k (c_s^dag b_k + h.c.) per lead (module doc).

    For two levels, level 0 is in A and level 1 in B, so the A|B cut is the inter-level bond
    (the double quantum dot); for one level, the level is in A and the cut is its bond to lead B.
    """
    hS = single_particle(h_S, "h_S", hermitian=True)
    nS = hS.shape[0]
    if nS not in (1, 2):
        raise ModelError(f"h_S: has shape {hS.shape}; expected one or two levels (1x1 or 2x2)")
    gB = gamma_A if gamma_B is None else gamma_B
    wA, tA = band(n_modes, gamma_A, half_width, spectral_density)
    wB, tB = band(n_modes, gB, half_width, spectral_density)
    for name, s in (("site_A", site_A), ("site_B", site_B)):
        if not isinstance(s, int | np.integer) or not -nS <= int(s) < nS:
            raise ModelError(f"{name}: got {s!r}; expected a level index in [-{nS}, {nS})")
    sA, sB = int(site_A) % nS, int(site_B) % nS
    n = wA.size
    # full single-particle matrix in the order [level 0, lead A, (level 1), lead B]
    sys_idx = np.array([0] if nS == 1 else [0, n + 1])
    lead_A = np.arange(1, n + 1)
    lead_B = np.arange(n + nS, 2 * n + nS)
    L = 2 * n + nS
    h = np.zeros((L, L), dtype=hS.dtype)
    h[np.ix_(sys_idx, sys_idx)] = hS
    h[lead_A, lead_A] = wA
    h[lead_B, lead_B] = wB
    h[sys_idx[sA], lead_A] = h[lead_A, sys_idx[sA]] = tA
    h[sys_idx[sB], lead_B] = h[lead_B, sys_idx[sB]] = tB
    LA = n + 1
    model = FreeModel(h[:LA, :LA], h[LA:, LA:], h[:LA, LA:], "fermion")
    return LeadJunction(
        model,
        hS,
        sys_idx,
        lead_A,
        lead_B,
        sA,
        sB,
        float(gamma_A),
        float(gB),
        float(half_width),
        spectral_density,
    )


def junction_currents(jn: LeadJunction, C0: Any, times: Any) -> xr.Dataset:
    """Exact currents from each lead into the system, and the system's occupations, over time.

    Only the system rows of G(t) = W e^{-i eps t} M e^{i eps t} W^dag are needed
    (I_X = -d<N_X>/dt = i Tr([P_X, h] G), P_X the projector on lead X), so after one
    diagonalization each save time costs O(L^2)."""
    if not isinstance(jn, LeadJunction):
        raise DynamicsError(f"jn: got {type(jn).__name__}; expected a LeadJunction")
    t = _check_times(times)
    from ._inputs import correlation_matrix

    C = correlation_matrix(C0, "C0", jn.model.L, "fermion")
    h = jn.model.h
    eps, W = jn.model.spectrum
    M0 = W.conj().T @ C.T @ W
    S = jn.system
    WS = W[S]
    out = {k: np.zeros(t.size) for k in ("I_A", "I_B", "J_A", "J_B")}
    occ = np.zeros((t.size, S.size))
    # per lead: its indices, the system-lead hopping block h[S, lead] and the lead energies
    leads = [
        (side, lead, h[np.ix_(S, lead)], h[lead, lead][:, None])
        for side, lead in (("A", jn.lead_A), ("B", jn.lead_B))
    ]
    for k, tau in enumerate(t - t[0]):
        ph = np.exp(-1j * eps * tau)
        rows = (WS * ph) @ (M0 * ph.conj()[None, :]) @ W.conj().T  # G[S, :]
        occ[k] = rows[:, S].diagonal().real if S.size > 1 else rows[:, S].real.ravel()
        for side, lead, hSl, w_lead in leads:
            GlS = rows[:, lead].conj().T  # G[lead, S] = G[S, lead]^dag
            # d<N_lead>/dt = -i Tr([P, h] G) = -2 Im sum_{s,k} h_sk G_ks
            z = np.sum(hSl * GlS.T)
            zE = np.sum(hSl * (w_lead * GlS).T)
            out[f"I_{side}"][k] = 2.0 * float(z.imag)
            out[f"J_{side}"][k] = 2.0 * float(zE.imag)
    data = {k: ("time", v) for k, v in out.items()}
    data["n_S"] = (("time", "level"), occ)
    ds = xr.Dataset(data, coords={"time": t})
    annotate(ds)
    for side in ("A", "B"):
        ds[f"I_{side}"].attrs["comment"] = f"-d<N_lead {side}>/dt, exact (positive INTO the system)"
        ds[f"J_{side}"].attrs["comment"] = f"-d<H_lead {side}>/dt, exact (positive INTO the system)"
        ds[f"I_{side}"].attrs["long_name"] = f"particle current from lead {side} into the system"
        ds[f"J_{side}"].attrs["long_name"] = f"energy current from lead {side} into the system"
    ds.attrs.update(n_modes=jn.n_modes, recurrence_time=np.pi * jn.n_modes / jn.half_width)
    return ds


def lamb_shift(density: Callable, w: float, D: float, kind: Any = None) -> float:
    """Lambda(w) = P int_{-D}^{D} Gamma(w') / (2 pi (w - w')) dw' (the real part of a lead's
    self-energy). Closed forms inside the band for the built-in densities, flat:
    gamma/(2 pi) ln|(D + w)/(D - w)|, semicircle: gamma w / (2 D); else a numerical principal
    value (quad with a Cauchy weight)."""
    from scipy.integrate import quad

    if abs(w) < D and kind in ("flat", "semicircle"):
        g = float(density(0.0))
        if kind == "flat":
            return g / (2 * np.pi) * np.log((D + w) / (D - w))
        return g * w / (2 * D)
    if abs(w) >= D:
        return quad(lambda x: float(density(x)) / (2 * np.pi * (w - x)), -D, D, limit=200)[0]
    return -quad(
        lambda x: float(density(x)) / (2 * np.pi), -D, D, weight="cauchy", wvar=w, limit=200
    )[0]


def landauer_currents(
    jn: LeadJunction, beta_A: float, beta_B: float, mu_A: float = 0.0, mu_B: float = 0.0
) -> dict[str, float]:
    """Steady currents of the continuum limit N -> infinity (Landauer formula, module doc):
    I_A = -I_B, J_A, J_B = -J_A (energy into the system from lead A / B)."""
    from scipy.integrate import quad

    if not isinstance(jn, LeadJunction):
        raise DynamicsError(f"jn: got {type(jn).__name__}; expected a LeadJunction")
    beta_A, beta_B = (
        check_beta(beta_A, "beta_A", DynamicsError),
        check_beta(beta_B, "beta_B", DynamicsError),
    )
    mu_A, mu_B = check_mu(mu_A, "mu_A", DynamicsError), check_mu(mu_B, "mu_B", DynamicsError)
    D = jn.half_width
    GA, GB = jn.density("A"), jn.density("B")
    hS = jn.h_S
    a, b = jn.site_A, jn.site_B

    def lamb(Gfun, w):
        return lamb_shift(Gfun, w, D, jn.spectral_density)

    def T(w):
        sig = np.zeros((hS.shape[0],) * 2, dtype=complex)
        sig[a, a] += lamb(GA, w) - 0.5j * float(GA(w))
        sig[b, b] += lamb(GB, w) - 0.5j * float(GB(w))
        Gr = np.linalg.inv(w * np.eye(hS.shape[0]) - hS - sig)
        return float(GA(w)) * float(GB(w)) * abs(Gr[a, b]) ** 2

    def bias(w):  # f_A(w) - f_B(w), Fermi-Dirac occupations of the leads
        fA = _occupation(np.asarray(w), beta_A, mu_A, "fermion", "_A")
        return float(fA - _occupation(np.asarray(w), beta_B, mu_B, "fermion", "_B"))

    pts = sorted({float(x) for x in np.linalg.eigvalsh(hS)} | {mu_A, mu_B})
    pts = [p for p in pts if -D < p < D]
    I = quad(lambda w: T(w) * bias(w) / (2 * np.pi), -D, D, points=pts, limit=400)[0]
    J = quad(lambda w: w * T(w) * bias(w) / (2 * np.pi), -D, D, points=pts, limit=400)[0]
    return {"I_A": I, "I_B": -I, "J_A": J, "J_B": -J}
