"""Master equations scored against exact reservoirs: the double quantum dot.

Two levels (A: eps_A, B: eps_B, hopping g: h_S = [[eps_A, g], [g, eps_B]]), each tunnel-coupled
to its own lead at (beta_X, mu_X) with a spectral density Gamma_X(omega). Three Markovian
master equations for the dots alone (:func:`corrtherm.compare_approaches`'s baths, coupling
S_X = c_X + c_X^dag, rate family "fermi" with gamma0 = Gamma_X, so that the jumps are
Gamma (1 - f) c and Gamma f c^dag on the relevant Bohr frequencies):

- local (paper 1): each bath thermalizes its own dot, ignoring g;
- global (Davies): each bath thermalizes the eigenmodes of h_S (secular);
- Redfield: non-secular, interpolates between the two.

The reference is exact: the dots plus two leads of N discretized modes each
(:mod:`~corrtherm.gaussian.reservoirs`), evolved exactly as one free-fermion system, with the
currents averaged over a window before the leads' recurrence time; as N grows they converge to
the continuum (Landauer) values, computed too. The textbook outcome: local is right for
g << Gamma, global for g >> Gamma, Redfield across (for weak coupling Gamma << T).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from ..core._validate import describe_value, positive_int
from ..core.errors import DynamicsError
from ..core.metadata import annotate
from ..open.compare import APPROACHES, ThermalBath
from ..open.entropy_production import entropy_production_rate
from ..open.steady import steady_state as dense_steady_state
from ._inputs import single_particle
from .dense import to_dense_model
from .model import FreeModel
from .reservoirs import junction, junction_currents, landauer_currents

__all__ = ["compare_with_master_equations", "master_equation_currents"]

#: Fraction of the recurrence time pi N / D over which the exact currents are averaged.
WINDOW = (0.55, 0.9)
#: Largest number of time samples per exact run (the averaging window needs tens).
MAX_SAMPLES = 100_000


def _double_dot(h_S: Any) -> np.ndarray:
    hS = single_particle(h_S, "h_S", hermitian=True)
    if hS.shape != (2, 2):
        raise DynamicsError(
            f"h_S: has shape {hS.shape}; the comparison needs two levels [[eps_A, g], [g, eps_B]]"
        )
    return hS


def master_equation_currents(
    h_S: Any,
    gamma_A: float,
    gamma_B: float,
    beta_A: float,
    beta_B: float,
    mu_A: float = 0.0,
    mu_B: float = 0.0,
    approaches: Sequence[str] = APPROACHES,
) -> dict[str, dict[str, float]]:
    """Steady currents {approach: {I_A, I_B, J_A, J_B, sigma}} of the double dot's master
    equations (module docstring), from the dense steady state of each approach (d = 4):
    I_X = Tr[N L_X[rho]], J_X = Tr[H L_X[rho]], positive INTO the dots."""
    hS = _double_dot(h_S)
    m = FreeModel(hS[:1, :1], hS[1:, 1:], hS[:1, 1:])
    dm = to_dense_model(m)
    sx = np.array([[0.0, 1.0], [1.0, 0.0]])  # c + c^dag of one Jordan-Wigner mode
    bA = ThermalBath(sx, beta_A, "fermi", gamma_A, mu_A)
    bB = ThermalBath(sx, beta_B, "fermi", gamma_B, mu_B)
    out = {}
    for a in approaches:
        if a not in APPROACHES:
            raise DynamicsError(f"approaches: got {a!r}; expected names from {list(APPROACHES)}")
        jA, jB = bA.dissipator(dm, "A", a), bB.dissipator(dm, "B", a)
        rho = _number_conserving_steady_state(dm, jA, jB, a)
        ep = entropy_production_rate(
            dm, rho, jA, jB, beta_A=beta_A, beta_B=beta_B, mu_A=mu_A, mu_B=mu_B
        )
        out[a] = {k: float(getattr(ep, k)) for k in ("I_A", "I_B", "J_A", "J_B", "sigma")}
    return out


def _number_conserving_steady_state(dm, jA, jB, approach: str) -> np.ndarray:
    """The steady state that commutes with N. With degenerate many-body levels of different N
    (|00> and |11> of symmetric dots), the Redfield generator also keeps a coherence between
    them steady; particle-number superselection excludes it, which fixes a unique state."""
    rep = dense_steady_state(dm, jA, jB, on_degenerate="report")
    if rep.kernel_dimension == 1:
        return rep.rho
    n = np.real(np.diag(dm.N))
    off = ~np.isclose(n[:, None], n[None, :])
    cols = np.stack([B[off] for B in rep.kernel_basis], axis=1)
    _, sv, vt = np.linalg.svd(np.concatenate([cols.real, cols.imag]))
    sv = np.concatenate([sv, np.zeros(vt.shape[0] - sv.size)])
    null = np.flatnonzero(sv <= 1e-10 * max(1.0, float(sv[0])))
    if null.size != 1:
        raise DynamicsError(
            f"{approach}: the steady state is not unique even among number-conserving states "
            f"(dim ker L = {rep.kernel_dimension})"
        )
    rho = np.einsum("k,kij->ij", vt[null[0]], rep.kernel_basis)
    rho = 0.5 * (rho + rho.conj().T)
    return rho / np.trace(rho).real


def compare_with_master_equations(
    h_S: Any,
    gamma_A: float,
    gamma_B: float | None = None,
    *,
    beta_A: float,
    beta_B: float,
    mu_A: float = 0.0,
    mu_B: float = 0.0,
    n_modes: Sequence[int] = (50, 100, 200, 400),
    half_width: float = 2.0,
    spectral_density: str | Callable = "flat",
    approaches: Sequence[str] = APPROACHES,
    n_samples: int = 40,
) -> xr.Dataset:
    """Steady currents of the local, global and Redfield master equations beside the exact
    ones of the same double dot between explicit leads, as the leads grow (module docstring).

    Returns a Dataset with, over ``approach``: I_A, I_B (particles/time), J_A, J_B
    (energy/time; all from lead X INTO the dots), sigma, and relative_error = |I_A - I_exact| /
    |I_exact| against the continuum value; over ``n_modes``: I_A_exact, J_A_exact (the exact
    currents averaged over t in WINDOW x (pi N / D), before the leads' recurrence) and
    I_A_spread (max - min over that window: how stationary the finite leads still are);
    scalars I_A_continuum, J_A_continuum (Landauer, N -> infinity). The exact runs start with
    the dots in the local master equation's steady state (any start gives the same steady
    state; this one shortens the transient) and the leads grand-canonical.
    """
    hS = _double_dot(h_S)
    n_samples = positive_int(
        n_samples, "n_samples", DynamicsError, expected=f"an integer 1..{MAX_SAMPLES}"
    )
    if n_samples > MAX_SAMPLES:  # each sample is a time point of every exact run
        raise DynamicsError(f"n_samples: got {n_samples}; expected an integer 1..{MAX_SAMPLES}")
    if isinstance(n_modes, str | bytes) or not isinstance(n_modes, Iterable):
        # "50" would be read as the lead sizes 5 and 0
        raise DynamicsError(
            f"n_modes: got {describe_value(n_modes)}; expected a sequence of lead sizes, "
            "e.g. (50, 100, 200)"
        )
    gB = gamma_A if gamma_B is None else gamma_B
    me = master_equation_currents(hS, gamma_A, gB, beta_A, beta_B, mu_A, mu_B, approaches)
    ref = junction(hS, 1, gamma_A, gB, half_width=half_width, spectral_density=spectral_density)
    cont = landauer_currents(ref, beta_A, beta_B, mu_A, mu_B)
    local = FreeModel(hS[:1, :1], hS[1:, 1:], hS[:1, 1:])
    from .baths import LocalBath
    from .evolution import steady_state

    dots0 = steady_state(local, LocalBath(beta_A, mu_A, gamma_A), LocalBath(beta_B, mu_B, gB)).C
    ex = {k: [] for k in ("I_A_exact", "J_A_exact", "I_A_spread")}
    for n in n_modes:
        jn = junction(hS, n, gamma_A, gB, half_width=half_width, spectral_density=spectral_density)
        C0 = jn.initial_correlation(beta_A, beta_B, mu_A, mu_B, system=dots0)
        t_rec = np.pi * jn.n_modes / half_width
        t = np.concatenate([[0.0], np.linspace(WINDOW[0] * t_rec, WINDOW[1] * t_rec, n_samples)])
        cur = junction_currents(jn, C0, t)
        I = cur.I_A.values[1:]
        ex["I_A_exact"].append(float(I.mean()))
        ex["J_A_exact"].append(float(cur.J_A.values[1:].mean()))
        ex["I_A_spread"].append(float(I.max() - I.min()))
    appr = list(me)
    ds = xr.Dataset(coords={"approach": appr, "n_modes": np.asarray(n_modes, dtype=int)})
    for k in ("I_A", "I_B", "J_A", "J_B", "sigma"):
        ds[k] = ("approach", np.array([me[a][k] for a in appr]))
    for k, v in ex.items():
        ds[k] = ("n_modes", np.array(v))
    ds["I_A_continuum"] = cont["I_A"]
    ds["J_A_continuum"] = cont["J_A"]
    scale = max(abs(cont["I_A"]), 1e-300)
    ds["relative_error"] = ("approach", np.abs(ds["I_A"].values - cont["I_A"]) / scale)
    annotate(ds)
    meta = {
        "I_A": ("1/[t]", "steady particle current from lead A into the dots (master equation)"),
        "I_B": ("1/[t]", "steady particle current from lead B into the dots (master equation)"),
        "J_A": ("[E]/[t]", "steady energy current from lead A into the dots (master equation)"),
        "J_B": ("[E]/[t]", "steady energy current from lead B into the dots (master equation)"),
        "sigma": ("nat/[t]", "steady entropy production of the master equation"),
        "I_A_exact": ("1/[t]", "exact particle current from lead A, window average"),
        "J_A_exact": ("[E]/[t]", "exact energy current from lead A, window average"),
        "I_A_spread": ("1/[t]", "max - min of the exact I_A over the averaging window"),
        "I_A_continuum": ("1/[t]", "exact particle current of continuum leads (Landauer)"),
        "J_A_continuum": ("[E]/[t]", "exact energy current of continuum leads (Landauer)"),
        "relative_error": ("1", "|I_A - I_A_continuum| / |I_A_continuum|"),
        "n_modes": ("1", "modes per lead of the exact reservoirs"),
        "approach": ("1", "master-equation approach"),
    }
    for k, (u, ln) in meta.items():
        ds[k].attrs.update(units=u, long_name=ln)
        ds[k].attrs.pop("comment", None)
    ds.attrs.update(
        beta_A=float(beta_A),
        beta_B=float(beta_B),
        mu_A=float(mu_A),
        mu_B=float(mu_B),
        gamma_A=float(gamma_A),
        gamma_B=float(gB),
        half_width=float(half_width),
        window=f"t in [{WINDOW[0]}, {WINDOW[1]}] x pi N / D",
    )
    return ds
