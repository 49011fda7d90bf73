"""Builders of single-particle matrices and free models: chains, rings, ladders, random matrices
and two reservoirs joined at one bond.

Sign convention (tight binding): h = onsite * 1 - hopping * (nearest-neighbour adjacency), so a
uniform open chain of L sites with hopping J > 0 has the band eps_k = onsite - 2 J cos(pi k /
(L + 1)), k = 1..L, and a bond "coupling" g between two modes contributes -g (c_a^dag c_b + h.c.).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core._validate import finite_real
from ..core.errors import ModelError
from .model import FreeModel

__all__ = [
    "chain_hamiltonian",
    "ring_hamiltonian",
    "random_hamiltonian",
    "two_chains",
    "ladder",
    "joined",
    "random_model",
]

#: Largest number of modes a builder makes (an L x L matrix of this size is 128 MB).
MAX_MODES = 4096


def _count(n: Any, name: str, minimum: int = 1) -> int:
    try:
        # True == 1 in Python: a bool is not a number of modes
        ok = not isinstance(n, bool | np.bool_) and int(n) == n and minimum <= int(n) <= MAX_MODES
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise ModelError(
            f"{name}: got {n!r}; expected an integer between {minimum} and {MAX_MODES}"
        )
    return int(n)


def _onsite(value: Any, L: int, name: str) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(value, dtype=float)) if _is_num_seq(value) else None
    if arr is None or arr.ndim != 1 or arr.size not in (1, L) or not np.all(np.isfinite(arr)):
        raise ModelError(f"{name}: got {value!r}; expected a finite number or {L} numbers")
    return np.broadcast_to(arr, (L,)).astype(float)


def _is_num_seq(value: Any) -> bool:
    try:
        np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return True


def chain_hamiltonian(
    L: int, hopping: float = 1.0, onsite: float | Any = 0.0, *, periodic: bool = False
) -> np.ndarray:
    """Tight-binding chain h = diag(onsite) - hopping * sum_i (|i><i+1| + |i+1><i|), L x L
    (``periodic``: also the bond L-1 -- 0; a ring). ``onsite``: a number or L numbers."""
    n = _count(L, "L")
    J = finite_real(hopping, "hopping")
    h = np.diag(_onsite(onsite, n, "onsite"))
    idx = np.arange(n - 1)
    h[idx, idx + 1] = h[idx + 1, idx] = -J
    if periodic and n > 2:
        h[0, n - 1] = h[n - 1, 0] = -J
    elif periodic and n == 2:
        h[0, 1] = h[1, 0] = -2 * J
    return h


def ring_hamiltonian(L: int, hopping: float = 1.0, onsite: float | Any = 0.0) -> np.ndarray:
    """Periodic tight-binding ring (:func:`chain_hamiltonian` with ``periodic=True``):
    h = diag(onsite) - hopping * sum_i (|i><i+1| + h.c.), indices mod L."""
    return chain_hamiltonian(L, hopping, onsite, periodic=True)


def random_hamiltonian(
    L: int, scale: float = 1.0, *, seed: int | None = None, real: bool = False
) -> np.ndarray:
    """A random Hermitian L x L matrix (GUE, or GOE with ``real``) with entries of size
    ``scale``: h = scale (M + M^dag) / 2 with standard normal M."""
    n = _count(L, "L")
    s = finite_real(scale, "scale")
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    if not real:
        M = M + 1j * rng.standard_normal((n, n))
    return s * 0.5 * (M + M.conj().T)


def _statistics(statistics: str) -> str:
    if statistics not in ("fermion", "boson"):
        raise ModelError(f"statistics: got {statistics!r}; expected 'fermion' or 'boson'")
    return statistics


def joined(
    h_A: Any,
    h_B: Any,
    coupling: float = 1.0,
    *,
    site_A: int = -1,
    site_B: int = 0,
    statistics: str = "fermion",
) -> FreeModel:
    """Two reservoirs joined at one bond: t_AB = -coupling |site_A><site_B| (default: the last
    mode of A to the first of B, the junction of two chains)."""
    st = _statistics(statistics)
    g = finite_real(coupling, "coupling")
    hA, hB = np.atleast_2d(np.asarray(h_A)), np.atleast_2d(np.asarray(h_B))
    LA, LB = hA.shape[0], hB.shape[0]
    for name, s, L in (("site_A", site_A, LA), ("site_B", site_B, LB)):
        if not isinstance(s, int | np.integer) or not -L <= int(s) < L:
            raise ModelError(f"{name}: got {s!r}; expected a mode index in [-{L}, {L})")
    t = np.zeros((LA, LB))
    t[int(site_A), int(site_B)] = -g
    return FreeModel(h_A, h_B, t, st)


def two_chains(
    L_A: int,
    L_B: int,
    hopping: float = 1.0,
    coupling: float = 1.0,
    *,
    onsite_A: float | Any = 0.0,
    onsite_B: float | Any = 0.0,
    statistics: str = "fermion",
) -> FreeModel:
    """Two tight-binding chains (reservoirs) A_0 ... A_{L_A - 1} | B_0 ... B_{L_B - 1} joined by
    the bond V = -coupling (c_{A,last}^dag c_{B,0} + h.c.). Bosons need onsite energies above the
    band (onsite > 2 hopping) for thermal states with mu < min eps to exist."""
    hA = chain_hamiltonian(L_A, hopping, onsite_A)
    hB = chain_hamiltonian(L_B, hopping, onsite_B)
    return joined(hA, hB, coupling, statistics=statistics)


def ladder(
    L: int,
    hopping: float = 1.0,
    rung: float = 0.1,
    *,
    onsite: float | Any = 0.0,
    statistics: str = "fermion",
) -> FreeModel:
    """Two identical chains of L sites coupled rung by rung, t_AB = -rung * 1. Then
    h_A t_AB = t_AB h_B, so [H_A + H_B, V] = 0 exactly (paper 2, Eq. 14) and inequality (26)
    has slack D_A + D_B."""
    h = chain_hamiltonian(L, hopping, onsite)
    g = finite_real(rung, "rung")
    return FreeModel(h, h.copy(), -g * np.eye(h.shape[0]), _statistics(statistics))


def random_model(
    L_A: int,
    L_B: int,
    *,
    scale: float = 1.0,
    coupling: float = 0.5,
    seed: int | None = None,
    real: bool = False,
    statistics: str = "fermion",
) -> FreeModel:
    """Random h_A, h_B (:func:`random_hamiltonian`) and a random coupling block of size
    ``coupling``; for bosons every diagonal is shifted so that h > 0 (mu = 0 is then valid)."""
    st = _statistics(statistics)
    rng = np.random.default_rng(seed)
    seeds = rng.integers(0, 2**31, size=3)
    hA = random_hamiltonian(L_A, scale, seed=int(seeds[0]), real=real)
    hB = random_hamiltonian(L_B, scale, seed=int(seeds[1]), real=real)
    g = finite_real(coupling, "coupling")
    r2 = np.random.default_rng(int(seeds[2]))
    t = r2.standard_normal((hA.shape[0], hB.shape[0]))
    if not real:
        t = t + 1j * r2.standard_normal(t.shape)
    t = g * t / max(1.0, np.sqrt(hA.shape[0] * hB.shape[0]))
    if st == "boson":
        m = FreeModel(hA, hB, t, st)
        shift = 1.0 - float(m.spectrum[0][0]) if m.spectrum[0][0] < 1.0 else 0.0
        hA = hA + shift * np.eye(hA.shape[0])
        hB = hB + shift * np.eye(hB.shape[0])
    return FreeModel(hA, hB, t, st)
