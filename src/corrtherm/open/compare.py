"""The same model under the local, global (Davies) and Redfield approaches, side by side.

Does an effect found with paper 1's local dissipators survive a thermodynamically consistent
treatment? :func:`compare_approaches` builds the three dissipators from one description of each
bath (:class:`ThermalBath`: coupling operator, temperature, rate family), computes the steady
state of each (currents, entropy production, the second-law verdict) and, given an initial
state and times, the trajectory quantities of paper 1 (Delta U_chi, Q_X, the minimum of the
entropy production), and returns one ``xarray.Dataset`` indexed by ``approach``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import xarray as xr

from ..core._report import ZERO_RTOL, Report, fmt
from ..core._validate import describe_value, finite_real, square
from ..core.errors import CorrthermError, DynamicsError
from ..core.metadata import annotate
from ..core.model import Bipartite
from ..core.trajectory import _check_model
from .davies import DaviesBath, _as_couplings, davies_bath, davies_jumps
from .evolution import evolve
from .redfield import RedfieldBath, redfield_bath
from .steady import steady_state
from .thermal import RATE_FUNCTIONS

__all__ = ["APPROACHES", "ThermalBath", "compare_approaches"]

#: The approaches, in the order of the table; the first present one is the reference.
APPROACHES = ("local", "global", "redfield")


@dataclass(frozen=True, repr=False)
class ThermalBath(Report):
    """A thermal bath coupled to one side through H_SB = sum_k S_k (x) B_k.

    coupling: S_k, one Hermitian d_X x d_X operator or a list (independent channels);
    beta, rate, gamma0, mu: as in :func:`corrtherm.davies_jumps` (mu needs number operators).
    :meth:`dissipator` builds it for an approach:
    "local" -> :func:`corrtherm.davies_jumps` with ``local=True`` (secular with respect to H_X
    alone: paper 1's local approach, d_X x d_X jumps), "global" -> :func:`corrtherm.davies_bath`
    (secular with respect to the full H, stored sparsely), "redfield" ->
    :func:`corrtherm.redfield_bath`.
    """

    coupling: Any
    beta: float
    rate: str | Callable = "ohmic"
    gamma0: float = 1.0
    mu: float | None = None

    _title: ClassVar[str] = "Thermal bath (coupling H_SB = sum_k S_k (x) B_k)"

    def _rows(self) -> list[tuple[str, str]]:
        S = self.coupling
        n = len(S) if isinstance(S, list | tuple) else 1
        rate = self.rate if isinstance(self.rate, str) else "callable"
        return [
            ("coupling S_k", f"{n} operator(s)" if n > 1 else fmt(np.asarray(S))),
            ("β", fmt(self.beta)),
            ("rate family", rate),
            ("γ0", fmt(self.gamma0)),
            ("μ", fmt(self.mu)),
        ]

    def __post_init__(self) -> None:
        # validated when made, so that a bad bath fails where it is written, not in a solver
        ops = self.coupling if isinstance(self.coupling, list | tuple) else [self.coupling]
        if not ops:
            raise DynamicsError("coupling: is empty; expected one or more operators S_k")
        dims = []
        for k, S in enumerate(ops):
            try:
                dims.append(square(S, f"coupling[{k}]" if len(ops) > 1 else "coupling").shape[0])
            except CorrthermError as exc:
                raise DynamicsError(str(exc)) from None
        # Hermiticity and equal shapes too (a non-Hermitian S failed only in dissipator())
        _as_couplings(self.coupling, dims[0])
        finite_real(self.beta, "beta", DynamicsError, "a finite real inverse temperature")
        g0 = finite_real(self.gamma0, "gamma0", DynamicsError, "a finite, non-negative rate")
        if g0 < 0:
            raise DynamicsError(
                f"gamma0: got {self.gamma0!r}; expected a finite, non-negative rate"
            )
        if self.mu is not None:
            finite_real(self.mu, "mu", DynamicsError, "a finite chemical potential or None")
        if not callable(self.rate) and not (
            isinstance(self.rate, str) and self.rate in RATE_FUNCTIONS
        ):
            raise DynamicsError(
                f"rate: got {describe_value(self.rate)}; expected one of "
                f"{sorted(RATE_FUNCTIONS)} or a callable gamma(omega)"
            )

    def dissipator(
        self, model: Bipartite, side: str, approach: str
    ) -> list[np.ndarray] | DaviesBath | RedfieldBath:
        """The bath's jumps (local or global) or Redfield dissipator for ``approach``."""
        args = (model, self.coupling, side, self.beta, self.rate, self.gamma0, self.mu)
        if approach == "local":
            return davies_jumps(*args, local=True)
        if approach == "global":
            return davies_bath(*args)
        if approach == "redfield":
            return redfield_bath(*args)
        raise DynamicsError(f"approach: got {approach!r}; expected one of {list(APPROACHES)}")


def _flow_direction(J_A: float, J_B: float, tol: float) -> str:
    """Where the steady heat goes through the system: 'A -> B' when bath A gives heat
    (J_A > 0) and bath B takes it (J_B < 0), 'B -> A' the reverse, 'none' when both vanish."""
    if not (math.isfinite(J_A) and math.isfinite(J_B)):
        return "undefined"
    if abs(J_A) <= tol and abs(J_B) <= tol:
        return "none"
    if J_A > 0 > J_B:
        return "A -> B"
    if J_B > 0 > J_A:
        return "B -> A"
    return "into both baths" if J_A < 0 and J_B < 0 else "out of both baths"


def _hot_to_cold(direction: str, beta_A: float, beta_B: float) -> str:
    if beta_A == beta_B or direction in ("none", "undefined"):
        return "n/a"
    hot_first = "A -> B" if beta_A < beta_B else "B -> A"
    if direction == hot_first:
        return "yes"
    return "no" if direction in ("A -> B", "B -> A") else "n/a"


def _check_baths(bath_A: Any, bath_B: Any) -> None:
    for name, b in (("bath_A", bath_A), ("bath_B", bath_B)):
        if b is not None and not isinstance(b, ThermalBath):
            raise DynamicsError(
                f"{name}: got {type(b).__name__}; expected a corrtherm.ThermalBath or None"
            )
    if bath_A is None and bath_B is None:
        raise DynamicsError("bath_A, bath_B: both None; expected at least one ThermalBath")


def compare_approaches(
    model: Bipartite,
    bath_A: ThermalBath | None,
    bath_B: ThermalBath | None,
    *,
    rho0: Any = None,
    times: Any = None,
    alpha_A: float = 0.5,
    approaches: Sequence[str] = APPROACHES,
    method: str = "auto",
    rtol: float = 1e-8,
    atol: float = 1e-10,
) -> xr.Dataset:
    """Steady states (and, with ``rho0`` and ``times``, trajectories) of one model under the
    local, global and Redfield approaches, in one table over ``approach``.

    Each bath is a :class:`ThermalBath`; its dissipator for each approach comes from
    :meth:`ThermalBath.dissipator`. Steady-state variables (:func:`corrtherm.steady_state`):
    J_A, J_B = Tr[H L_X[rho_ss]] and J_A_local, J_B_local = Tr[H_X L_X[rho_ss]] (positive into
    the system), sigma = -sum_X beta_X (J_X - mu_X I_X) and sigma_local, second_law ("holds" /
    "violated"), U_chi_ss = Tr[chi V] of the steady state, min_eigenvalue (Redfield may be
    < 0), heat_flow ("A -> B": bath A gives heat, bath B takes it), hot_to_cold ("yes" / "no" /
    "n/a" for equal temperatures). With ``rho0``/``times``
    (:func:`corrtherm.evolve`): DeltaU_chi, DeltaU_A, DeltaU_B, Q_A, Q_B at the last time,
    min_sigma along the trajectory and second_law_trajectory. Comparison with the reference
    (the first approach): heat_flow_changed, DeltaU_chi_sign_changed (paper 1's quantities).
    attrs: reference, beta_A, beta_B, mu_A, mu_B.
    References: Levy & Kosloff, EPL 107, 20004 (2014); Hofer et al., NJP 19, 123037 (2017).
    """
    model = _check_model(model)
    _check_baths(bath_A, bath_B)
    try:
        # a string is one name, not a list of letters; None or a number is not a list at all
        appr = [] if isinstance(approaches, str) else list(approaches)
    except TypeError:
        appr = []
    if not appr or any(a not in APPROACHES for a in appr) or len(set(appr)) != len(appr):
        raise DynamicsError(
            f"approaches: got {approaches!r}; expected distinct names from {list(APPROACHES)}"
        )
    if (rho0 is None) != (times is None):
        raise DynamicsError("rho0, times: give both (to compare trajectories) or neither")
    th = {
        "beta_A": None if bath_A is None else bath_A.beta,
        "beta_B": None if bath_B is None else bath_B.beta,
        "mu_A": None if bath_A is None else bath_A.mu,
        "mu_B": None if bath_B is None else bath_B.mu,
    }
    rows: dict[str, list[Any]] = {}

    def put(key: str, value: Any) -> None:
        rows.setdefault(key, []).append(value)

    for a in appr:
        jA = () if bath_A is None else bath_A.dissipator(model, "A", a)
        jB = () if bath_B is None else bath_B.dissipator(model, "B", a)
        rep = steady_state(model, jA, jB, on_degenerate="report", **th)
        for k in ("J_A", "J_B", "J_A_local", "J_B_local", "sigma", "sigma_local"):
            put(k, float(getattr(rep, k)))
        put("min_eigenvalue", float(rep.min_eigenvalue))
        viol = rep.second_law_violated
        put("second_law", "undefined" if viol is None else ("violated" if viol else "holds"))
        put("U_chi_ss", _u_chi(model, rep.rho))
        tol = 1e-12 * max(1.0, float(np.max(np.abs(model.H))))
        direction = _flow_direction(float(rep.J_A), float(rep.J_B), tol)
        put("heat_flow", direction)
        bA = th["beta_A"] if th["beta_A"] is not None else math.nan
        bB = th["beta_B"] if th["beta_B"] is not None else math.nan
        put("hot_to_cold", _hot_to_cold(direction, bA, bB))
        if rho0 is not None:
            with warnings.catch_warnings():
                # the table reports the verdicts; one warning per approach would be noise
                warnings.simplefilter("ignore", RuntimeWarning)
                ds = evolve(
                    model,
                    rho0,
                    times,
                    jA,
                    jB,
                    alpha_A=alpha_A,
                    method=method,
                    rtol=rtol,
                    atol=atol,
                    **th,
                )
            for k in ("U_chi", "U_A", "U_B"):
                put(f"Delta{k}", float(ds[k].values[-1] - ds[k].values[0]))
            put("Q_A", float(ds["Q_A"].values[-1]))
            put("Q_B", float(ds["Q_B"].values[-1]))
            put("min_sigma", float(np.nanmin(ds["sigma"].values)))
            put("second_law_trajectory", str(ds.attrs["second_law"]))
    out = xr.Dataset(coords={"approach": appr})
    for k, v in rows.items():
        out[k] = ("approach", np.asarray(v))
    ref_flow = rows["heat_flow"][0]
    out["heat_flow_changed"] = ("approach", np.array([f != ref_flow for f in rows["heat_flow"]]))
    if "DeltaU_chi" in rows:
        # U_chi = Tr[rho V] - Tr[rho_A (x) rho_B V] carries round-off of order eps ||V||: a change
        # below ZERO_RTOL ||V|| is zero, and its sign is noise
        V = model.V
        scale = float(np.linalg.norm(V)) / math.sqrt(V.shape[0])

        def sign(x: float) -> float:
            return 0.0 if abs(x) <= ZERO_RTOL * scale else float(np.sign(x))

        ref = sign(rows["DeltaU_chi"][0])
        out["DeltaU_chi_sign_changed"] = (
            "approach",
            np.array([sign(x) != ref for x in rows["DeltaU_chi"]]),
        )
    _annotate(out)
    out.attrs.update(
        {
            "reference": appr[0],
            **{k: (math.nan if v is None else float(v)) for k, v in th.items()},
        }
    )
    return out


def _u_chi(model: Bipartite, rho: np.ndarray | None) -> float:
    """Tr[chi V], chi = rho - rho_A (x) rho_B (paper 1, Eq. 8)."""
    if rho is None:
        return math.nan
    dA, dB = model.dims
    R4 = rho.reshape(dA, dB, dA, dB)
    rA, rB = np.einsum("abcb->ac", R4), np.einsum("abad->bd", R4)
    chi = rho - np.kron(rA, rB)
    return float(np.einsum("ij,ji->", chi, model.V).real)


#: long names of the table's variables (units and comments of registered names come from
#: core.metadata; the others are given here, in the registry's unit symbols)
_META: dict[str, tuple[str | None, str]] = {
    "J_A": (None, "steady heat current Tr[H L_A[rho]] from bath A (into the system)"),
    "J_B": (None, "steady heat current Tr[H L_B[rho]] from bath B (into the system)"),
    "J_A_local": (None, "steady local heat current Tr[H_A L_A[rho]] (into the system)"),
    "J_B_local": (None, "steady local heat current Tr[H_B L_B[rho]] (into the system)"),
    "sigma": (None, "steady entropy production -sum_X beta_X (J_X - mu_X I_X)"),
    "sigma_local": (None, "steady entropy production, local accounting"),
    "min_eigenvalue": (None, "smallest eigenvalue of the steady state"),
    "second_law": (None, "steady sigma >= 0: holds / violated"),
    "U_chi_ss": ("[E]", "correlation energy Tr[chi V] of the steady state (Eq. 8)"),
    "heat_flow": ("1", "steady heat flow through the system: A -> B means from bath A to bath B"),
    "hot_to_cold": ("1", "does the steady heat flow go from the hotter to the colder bath"),
    "DeltaU_chi": (None, "U_chi(t_final) - U_chi(t0) (paper 1, Eq. 8)"),
    "DeltaU_A": (None, "U_A(t_final) - U_A(t0) (Eq. 5)"),
    "DeltaU_B": (None, "U_B(t_final) - U_B(t0) (Eq. 5)"),
    "Q_A": (None, "heat received from bath A up to t_final"),
    "Q_B": (None, "heat received from bath B up to t_final"),
    "min_sigma": (None, "minimum of the entropy production rate along the trajectory"),
    "second_law_trajectory": ("1", "verdict of sigma >= 0 along the trajectory"),
    "heat_flow_changed": ("1", "heat_flow differs from the reference approach"),
    "DeltaU_chi_sign_changed": ("1", "sign of DeltaU_chi differs from the reference approach"),
}


def _annotate(ds: xr.Dataset) -> None:
    annotate(ds)
    for name, (units, long_name) in _META.items():
        if name in ds:
            ds[name].attrs["long_name"] = long_name
            if units is not None:
                ds[name].attrs["units"] = units
