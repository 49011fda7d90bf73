"""Entropy production and the second-law audit of open dynamics.

For baths at inverse temperatures beta_X and chemical potentials mu_X (hbar = k_B = 1, nats):

    sigma = dS/dt - sum_X beta_X (J_X - mu_X I_X),
    dS/dt = -Tr[(L_A + L_B)[rho] ln rho],  J_X = Tr[H L_X[rho]],  I_X = Tr[N L_X[rho]],
    Sigma(t) = S(t) - S(t0) - sum_X beta_X (Q_X(t) - mu_X N_X(t)),  N_X = int_{t0}^t I_X ds,

with currents positive INTO the system. Spohn's inequality (J. Math. Phys. 19, 1227 (1978)):
if L_X has the state pi_X as a steady state, -Tr[L_X[rho] (ln rho - ln pi_X)] >= 0. A global
(Davies) bath has pi_X = e^{-beta_X (H - mu_X N)}/Z, and -Tr[L_X[rho] ln pi_X] =
beta_X (J_X - mu_X I_X) (the ln Z term drops because L_X is trace preserving): sigma >= 0 at
every time, for every state. A local bath (paper 1, Eq. 2) has pi_X = e^{-beta_X H_X}/Z_X (x)
(anything on the other side), so the same argument gives

    sigma_local = dS/dt - sum_X beta_X (J_X^loc - mu_X I_X^loc) >= 0,
    J_X^loc = Tr[H_X L_X[rho]],  I_X^loc = Tr[N_X L_X[rho]],

the accounting in which the local approach is thermodynamically consistent: the difference
J_X - J_X^loc = Tr[V L_X[rho]] is booked as work done by whatever keeps the coupling V on
(Levy & Kosloff, EPL 107, 20004 (2014); Hofer et al., NJP 19, 123037 (2017)). With local
dissipators and an interaction, sigma itself can be negative: heat flowing from the cold bath
into the hot one, the violation the audit reports.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import xarray as xr

from ..core._report import Report
from ..core._validate import density_matrix, finite_real
from ..core.errors import DynamicsError
from ..core.metadata import annotate
from ..core.model import Bipartite
from ..core.trajectory import _check_model, _hermitize

__all__ = [
    "EntropyProduction",
    "entropy_production_rate",
    "second_law_audit",
    "SIGMA_RTOL",
    "NEGATIVE_EIGENVALUE_TOL",
]

#: sigma < -(SIGMA_RTOL * (its largest term at that time) + noise floor) is a violation; smaller
#: negative values are numerical noise. The floor is SIGMA_FLOOR (exact propagator, steady
#: states) or the ODE's rtol, times sum_X |beta_X| (||L_X#[H]||_F + |mu_X| ||L_X#[N]||_F), the
#: largest flux term any state can have: near equilibrium the currents vanish but their
#: round-off does not.
SIGMA_RTOL = 1e-6
SIGMA_FLOOR = 1e-11
#: Eigenvalues of rho below -NEGATIVE_EIGENVALUE_TOL mean rho(t) is not a state (Redfield):
#: the entropy production is then undefined (NaN) and positivity is flagged.
NEGATIVE_EIGENVALUE_TOL = 1e-8
#: Eigenvalues below this are clipped in ln rho: near a pure state dS/dt diverges (to +inf
#: where population flows into an empty level); the clipped value is a finite lower bound.
LOG_FLOOR = 1e-15


def check_thermodynamics(
    model: Bipartite,
    beta_A: Any,
    beta_B: Any,
    mu_A: Any,
    mu_B: Any,
    has_A: bool,
    has_B: bool,
) -> dict[str, float] | None:
    """Validate the bath parameters of the entropy production; None when no beta is given."""
    if beta_A is None and beta_B is None:
        if mu_A is not None or mu_B is not None:
            raise DynamicsError(
                "mu_A, mu_B: given without beta_A, beta_B; a chemical potential "
                "enters the entropy production as beta_X mu_X"
            )
        return None
    out = {}
    for name, val, has in (("beta_A", beta_A, has_A), ("beta_B", beta_B, has_B)):
        if val is None:
            if has:
                other = "jumps_A" if name == "beta_A" else "jumps_B"
                raise DynamicsError(
                    f"{name}: missing; the entropy production needs the inverse temperature of "
                    f"every bath ({other} is given)"
                )
            out[name] = 0.0
            continue
        out[name] = finite_real(val, name, DynamicsError, "a finite inverse temperature")
    for name, val in (("mu_A", mu_A), ("mu_B", mu_B)):
        if val is None:
            out[name] = 0.0
            continue
        if not model.has_numbers:
            raise DynamicsError(
                f"{name}: a chemical potential needs number operators; the model has no N_A, N_B"
            )
        out[name] = finite_real(val, name, DynamicsError, "a finite chemical potential")
    out["particles"] = float(mu_A is not None or mu_B is not None)
    return out


def _trace_with(X: np.ndarray, D: np.ndarray) -> np.ndarray:
    """Tr[X D_t] for a stack D (k, d, d)."""
    return np.einsum("ij,tji->t", X, D).real


def _currents(model: Bipartite, DA: np.ndarray, DB: np.ndarray) -> dict[str, np.ndarray]:
    """J_X = Tr[H D_X], J_X_local = Tr[H_X D_X], I_X = Tr[N D_X], I_X_local = Tr[N_X D_X] for
    stacks D_X = L_X[rho_t] (particle currents are zero without number operators)."""
    out = {
        "J_A": _trace_with(model.H, DA),
        "J_B": _trace_with(model.H, DB),
        "J_A_local": _trace_with(model.H_A_full, DA),
        "J_B_local": _trace_with(model.H_B_full, DB),
    }
    if model.has_numbers:
        out["I_A"], out["I_B"] = _trace_with(model.N, DA), _trace_with(model.N, DB)
        out["I_A_local"] = _trace_with(model.N_A_full, DA)
        out["I_B_local"] = _trace_with(model.N_B_full, DB)
    else:
        zero = np.zeros(DA.shape[0])
        out["I_A"] = out["I_B"] = out["I_A_local"] = out["I_B_local"] = zero
    return out


def _fluxes(c: dict[str, np.ndarray], th: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """sum_X beta_X (J_X - mu_X I_X) and the same with the local currents."""
    bA, bB, mA, mB = th["beta_A"], th["beta_B"], th["mu_A"], th["mu_B"]
    flux = bA * (c["J_A"] - mA * c["I_A"]) + bB * (c["J_B"] - mB * c["I_B"])
    flux_loc = bA * (c["J_A_local"] - mA * c["I_A_local"]) + bB * (
        c["J_B_local"] - mB * c["I_B_local"]
    )
    return flux, flux_loc


def production_rates(
    model: Bipartite,
    R: np.ndarray,
    DA: np.ndarray,
    DB: np.ndarray,
    th: dict[str, float],
    eig: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Rates for states R (k, d, d) with D_X = L_X[R] (same basis as ``model``, any basis
    reached by a local unitary W_A (x) W_B: every quantity is a trace). ``eig``: the
    eigendecomposition of the (Hermitian) R when the caller already has it.

    Returns arrays over k: J_A, J_B, J_A_local, J_B_local, I_A, I_B (zero without numbers),
    dS_dt, sigma, sigma_local, min_eigenvalue."""
    p, Y = np.linalg.eigh(_hermitize(np.asarray(R))) if eig is None else eig
    D = DA + DB
    # -Tr[D ln rho] = -sum_k <k|D|k> ln p_k (valid for degenerate p too: ln rho is a function
    # of rho); the Hamiltonian part -i[H, rho] does not change S and is left out
    Dk = np.einsum("tik,tij,tjk->tk", Y.conj(), D, Y).real
    dS = -np.sum(Dk * np.log(np.maximum(p, LOG_FLOOR)), axis=-1)
    out = _currents(model, DA, DB)
    out["dS_dt"] = dS
    out["min_eigenvalue"] = p[:, 0].copy()
    flux, flux_loc = _fluxes(out, th)
    bad = p[:, 0] < -NEGATIVE_EIGENVALUE_TOL
    out["sigma"] = np.where(bad, np.nan, dS - flux)
    out["sigma_local"] = np.where(bad, np.nan, dS - flux_loc)
    # the scale below which a negative sigma is noise
    out["scale"] = _scale(out, th, dS)
    return out


def _scale(c: dict[str, np.ndarray], th: dict[str, float], dS: np.ndarray) -> np.ndarray:
    """Natural size of sigma: its largest term; a negative sigma smaller than SIGMA_RTOL times
    this is numerical noise."""
    terms = [np.abs(dS)]
    for X in ("A", "B"):
        b, m = th[f"beta_{X}"], th[f"mu_{X}"]
        terms += [np.abs(b * c[f"J_{X}"]), np.abs(b * m * c[f"I_{X}"])]
        terms += [np.abs(b * c[f"J_{X}_local"]), np.abs(b * m * c[f"I_{X}_local"])]
    return np.maximum.reduce(terms)


def _strength(bath: Any) -> float:
    """An upper-bound-like size of the bath's rates: sum_k ||L_k||_F^2 (jumps; local ones not
    embedded), sum_c gamma_c ||A_c||_F^2 (Davies), sum_k 2 ||Lambda_k||_F ||S_k||_F (Redfield)."""
    if hasattr(bath, "components"):
        c = bath.components
        return float(np.sum(np.repeat(c.rates, np.diff(c.ptr)) * np.abs(c.vals) ** 2))
    if hasattr(bath, "Lam"):
        return float(
            sum(2 * np.linalg.norm(L) * np.linalg.norm(S) for L, S in zip(bath.Lam, bath.S))
        )
    return float(np.sum(np.abs(bath.jumps) ** 2))


def flux_floor(model: Bipartite, bath_A: Any, bath_B: Any, th: dict[str, float], rel: float):
    """rel * sum_X |beta_X| (||H|| + |mu_X| ||N||) * strength_X: the size of the largest flux
    term beta_X (J_X - mu_X I_X) any state can have (|Tr[H L(rho)]| <= 2 ||H|| sum ||L_k||^2),
    times rel: the noise floor of sigma (||.|| the max row sum, O(d^2))."""

    def norm(X: np.ndarray | None) -> float:
        return 0.0 if X is None else float(np.max(np.sum(np.abs(X), axis=1)))

    total = 0.0
    for X, bath in (("A", bath_A), ("B", bath_B)):
        if _nonempty(bath):
            size = norm(model.H) + abs(th[f"mu_{X}"]) * norm(model.N)
            total += abs(th[f"beta_{X}"]) * size * _strength(bath)
    return rel * total + 1e-300


def _verdict(
    sig: np.ndarray, scale: np.ndarray, times: np.ndarray | None, floor: float = 0.0
) -> str:
    ok = np.isfinite(sig)
    if not np.any(ok):
        return "undefined (rho(t) is not a state)"
    tol = SIGMA_RTOL * np.maximum(scale, 1e-300) + floor + 1e-300
    viol = ok & (sig < -tol)
    if not np.any(viol):
        return "holds"
    k = int(np.nanargmin(np.where(viol, sig, np.inf)))
    where = "" if times is None else f" at t = {float(times[k]):.6g}"
    return f"violated: min sigma = {float(sig[k]):.4g}{where}"


def _positivity(pmin: np.ndarray, times: np.ndarray | None) -> str:
    k = int(np.argmin(pmin))
    if pmin[k] >= -NEGATIVE_EIGENVALUE_TOL:
        return "holds"
    where = "" if times is None else f" at t = {float(times[k]):.6g}"
    return f"violated: min eigenvalue of rho = {float(pmin[k]):.4g}{where}"


class ProductionLedger:
    """Collects the rates of :func:`production_rates` at the save times of a trajectory."""

    def __init__(self, model_int: Bipartite, n: int, th: dict[str, float]):
        self.model, self.th, self.n = model_int, th, n
        self.cols: dict[str, np.ndarray] = {}
        self.filled = np.zeros(n, dtype=bool)

    def add(
        self,
        idx: int | slice,
        R: np.ndarray,
        DA: np.ndarray,
        DB: np.ndarray,
        eig: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        """Record states R (one (d, d) or a stack) with D_X = L_X[R]; ``eig``: the (stacked)
        eigendecomposition of R when the caller has it (:func:`production_rates`)."""
        if np.ndim(R) == 2:
            R, DA, DB = R[None], DA[None], DB[None]
            idx = slice(idx, idx + 1)
        rates = production_rates(self.model, R, DA, DB, self.th, eig)
        for k, v in rates.items():
            if k not in self.cols:
                self.cols[k] = np.full(self.n, np.nan)
            self.cols[k][idx] = v
        self.filled[idx] = True

    def finish(self, ds: xr.Dataset, particles_in: np.ndarray | None = None) -> xr.Dataset:
        """Add sigma, Sigma, J_X_local, sigma_local (and I_X, N_X with chemical potentials),
        min_eigenvalue and the attrs second_law, second_law_local, positivity to ``ds``.

        ``particles_in`` (n, 2): N_A(t), N_B(t) received from each bath, when integrated exactly
        by the caller; otherwise I_X is integrated by composite Simpson on the save grid."""
        if not np.all(self.filled):
            raise DynamicsError("internal: the entropy production was not filled at every save")
        from .heat_split import _cumulative_heat

        c, th = self.cols, self.th
        t = ds["time"].values
        if th.get("rates_only"):
            # no bath temperatures: only the positivity of rho(t) is monitored (Redfield)
            ds["min_eigenvalue"] = ("time", c["min_eigenvalue"])
            annotate(ds)
            ds.attrs["positivity"] = _positivity(c["min_eigenvalue"], t)
            if ds.attrs["positivity"].startswith("violated"):
                warnings.warn(
                    f"rho(t) positivity: {ds.attrs['positivity']}", RuntimeWarning, stacklevel=4
                )
            return ds
        S = ds["S"].values
        bA, bB, mA, mB = th["beta_A"], th["beta_B"], th["mu_A"], th["mu_B"]
        Sigma = (S - S[0]) - bA * ds["Q_A"].values - bB * ds["Q_B"].values
        particles = bool(th.get("particles"))
        if particles:
            if particles_in is None:
                NA, errA = _cumulative_heat(t, c["I_A"])
                NB, errB = _cumulative_heat(t, c["I_B"])
                ds.attrs["particle_quadrature_error"] = max(errA, errB)
            else:
                NA, NB = particles_in[:, 0], particles_in[:, 1]
                ds.attrs["particle_quadrature_error"] = 0.0
            Sigma = Sigma + bA * mA * NA + bB * mB * NB
        bad = c["min_eigenvalue"] < -NEGATIVE_EIGENVALUE_TOL
        Sigma = np.where(bad, np.nan, Sigma)
        new = {
            "sigma": c["sigma"],
            "Sigma": Sigma,
            "J_A_local": c["J_A_local"],
            "J_B_local": c["J_B_local"],
            "sigma_local": c["sigma_local"],
            "min_eigenvalue": c["min_eigenvalue"],
        }
        if particles:
            new.update(I_A=c["I_A"], I_B=c["I_B"], N_in_A=NA, N_in_B=NB)
        for name, vals in new.items():
            ds[name] = ("time", np.asarray(vals, dtype=float))
        annotate(ds)  # units, long_name, comment: core.metadata's registry
        floor = float(th.get("floor", 0.0))
        ds.attrs["second_law"] = _verdict(c["sigma"], c["scale"], t, floor)
        ds.attrs["second_law_local"] = _verdict(c["sigma_local"], c["scale"], t, floor)
        ds.attrs["positivity"] = _positivity(c["min_eigenvalue"], t)
        ds.attrs.update({k: th[k] for k in ("beta_A", "beta_B", "mu_A", "mu_B")})
        ds.attrs["approach"] = str(th.get("approach", ""))
        for key, what in (
            ("second_law", "entropy production sigma"),
            ("positivity", "rho(t) positivity"),
        ):
            if ds.attrs[key].startswith("violated"):
                warnings.warn(f"{what}: {ds.attrs[key]}", RuntimeWarning, stacklevel=4)
        return ds


@dataclass(frozen=True, eq=False, repr=False)
class EntropyProduction(Report):
    """Entropy production rate of one state (see the module docstring for the formulas).

    sigma, sigma_local (nats/time); dS_dt; J_A, J_B = Tr[H L_X[rho]], J_A_local, J_B_local =
    Tr[H_X L_X[rho]] (energy/time, positive into the system); I_A, I_B (particles/time, 0
    without number operators); beta_A, beta_B, mu_A, mu_B; min_eigenvalue of rho;
    second_law: "holds" or "violated: min sigma = ...".
    """

    sigma: float
    sigma_local: float
    dS_dt: float
    J_A: float
    J_B: float
    J_A_local: float
    J_B_local: float
    I_A: float
    I_B: float
    beta_A: float
    beta_B: float
    mu_A: float
    mu_B: float
    min_eigenvalue: float
    second_law: str
    second_law_local: str

    _title: ClassVar[str] = "Entropy production rate (Spohn 1978; currents INTO the system)"
    _labels: ClassVar[dict[str, str]] = {
        "dS_dt": "dS/dt",
        "beta_A": "β_A",
        "beta_B": "β_B",
        "mu_A": "μ_A",
        "mu_B": "μ_B",
        "second_law": "second law (σ ≥ 0)",
        "second_law_local": "local accounting (σ_local ≥ 0)",
    }

    @property
    def second_law_violated(self) -> bool:
        """True when sigma < 0 beyond round-off (see :data:`SIGMA_RTOL`)."""
        return self.second_law.startswith("violated")


def entropy_production_rate(
    model: Bipartite,
    rho: Any,
    jumps_A: Any = (),
    jumps_B: Any = (),
    *,
    beta_A: float | None = None,
    beta_B: float | None = None,
    mu_A: float | None = None,
    mu_B: float | None = None,
) -> EntropyProduction:
    """Entropy production rate sigma = dS/dt - sum_X beta_X (J_X - mu_X I_X) of one state.

    ``jumps_A``/``jumps_B``: local jumps, global (d x d) jumps or a RedfieldBath, as in
    :func:`corrtherm.evolve`. dS/dt = -Tr[(L_A + L_B)[rho] ln rho], J_X = Tr[H L_X[rho]],
    I_X = Tr[N L_X[rho]] (N = N_A + N_B); sigma_local uses H_X, N_X instead of H, N.
    Spohn (1978): sigma >= 0 for global (Davies) baths, sigma_local >= 0 for local ones.
    A beta is required for every side that has a bath.
    """
    from .baths import as_bath

    model = _check_model(model)
    R = density_matrix(rho, "rho", model.d)
    bA = as_bath(jumps_A, model, "A", "jumps_A")
    bB = as_bath(jumps_B, model, "B", "jumps_B")
    th = check_thermodynamics(model, beta_A, beta_B, mu_A, mu_B, _nonempty(bA), _nonempty(bB))
    if th is None:
        raise DynamicsError(
            "beta_A, beta_B: missing; the entropy production needs the baths' inverse temperatures"
        )
    r = production_rates(model, R[None], bA.apply(R)[None], bB.apply(R)[None], th)
    floor = flux_floor(model, bA, bB, th, SIGMA_FLOOR)
    one = {k: float(v[0]) for k, v in r.items()}
    return EntropyProduction(
        one["sigma"],
        one["sigma_local"],
        one["dS_dt"],
        one["J_A"],
        one["J_B"],
        one["J_A_local"],
        one["J_B_local"],
        one["I_A"],
        one["I_B"],
        th["beta_A"],
        th["beta_B"],
        th["mu_A"],
        th["mu_B"],
        one["min_eigenvalue"],
        _verdict(r["sigma"], r["scale"], None, floor),
        _verdict(r["sigma_local"], r["scale"], None, floor),
    )


def _nonempty(bath: Any) -> bool:
    return not hasattr(bath, "__len__") or len(bath) > 0


def steady_state_production(
    model: Bipartite, rho: np.ndarray, bath_A: Any, bath_B: Any, th: dict[str, float] | None
) -> dict[str, Any]:
    """Fields of :class:`corrtherm.SteadyStateReport` for a steady state rho: J_A, J_B,
    J_A_local, J_B_local, sigma, sigma_local, second_law_violated. At a steady state
    dS/dt = -Tr[(L_A + L_B)[rho] ln rho] = -Tr[i[H, rho] ln rho] = 0 exactly, so
    sigma = -sum_X beta_X (J_X - mu_X I_X); NaN/None without betas."""
    DA, DB = bath_A.apply(rho)[None], bath_B.apply(rho)[None]
    return steady_production_from_currents(model, _currents(model, DA, DB), bath_A, bath_B, th)


def steady_production_from_currents(
    model: Bipartite, c: dict[str, np.ndarray], bath_A: Any, bath_B: Any, th: dict | None
) -> dict[str, Any]:
    """:func:`steady_state_production` from currents already computed (one-element arrays
    J_X, J_X_local, I_X, I_X_local, as :func:`_currents` returns them)."""
    out: dict[str, Any] = {k: float(c[k][0]) for k in ("J_A", "J_B", "J_A_local", "J_B_local")}
    out.update({"sigma": float("nan"), "sigma_local": float("nan"), "second_law_violated": None})
    if th is None:
        return out
    # dS/dt = 0 at a steady state: no ln rho needed (a Redfield steady state may not be >= 0)
    flux, flux_loc = _fluxes(c, th)
    out["sigma"], out["sigma_local"] = float(-flux[0]), float(-flux_loc[0])
    scale = float(_scale(c, th, np.zeros(1))[0])
    floor = flux_floor(model, bath_A, bath_B, th, SIGMA_FLOOR)
    out["second_law_violated"] = bool(out["sigma"] < -(SIGMA_RTOL * scale + floor))
    return out


def warn_if_not_positive(p_min: float, stacklevel: int) -> None:
    """Warn (never hide) when a steady state has an eigenvalue below -NEGATIVE_EIGENVALUE_TOL,
    possible for Redfield baths (not completely positive)."""
    if p_min < -NEGATIVE_EIGENVALUE_TOL:
        warnings.warn(
            f"steady state: not positive, min eigenvalue {p_min:.4g} (Redfield dynamics is not "
            "completely positive); see SteadyStateReport.min_eigenvalue",
            RuntimeWarning,
            stacklevel=stacklevel + 1,
        )


def second_law_audit(ds: xr.Dataset) -> str:
    """One line for a trajectory with entropy production: the verdicts of the global and the
    local accounting and of positivity (empty string without entropy production).

    The global verdict is about sigma = dS/dt - sum_X beta_X (J_X - mu_X I_X) >= 0; for local
    baths the line adds the local accounting sigma_local >= 0 (Tr[V L_X[rho]] booked as work).
    A violation of either the second law or positivity starts the line with "WARNING:".
    """
    if not isinstance(ds, xr.Dataset):
        raise DynamicsError(f"ds: got {type(ds).__name__}; expected a trajectory xarray.Dataset")
    if "second_law" not in ds.attrs:
        return ""
    g, loc = ds.attrs["second_law"], ds.attrs.get("second_law_local", "")
    pos = ds.attrs.get("positivity", "holds")
    approach = ds.attrs.get("approach", "")
    loud = g.startswith("violated") or pos.startswith("violated")
    line = f"second law ({approach or 'open'} baths): sigma >= 0 {g}"
    if approach == "local":
        # the local approach is consistent only in its own accounting: say whether it holds
        line += f"; local accounting (Tr[V L_X[rho]] booked as work): {loc}"
    if pos != "holds":
        line += f"; positivity of rho(t) {pos}"
    return ("WARNING: " + line) if loud else line
