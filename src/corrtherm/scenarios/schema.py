"""The scenario-file schema: one pydantic model per TOML table (the single source of truth).

The scenario-file reference in the documentation is generated from these models, so every
section, key, type, default and allowed value documented there is the one validated here.
"""

from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..open.evolution import EXACT_AUTO_MAX_D, EXACT_MAX_D
from ._messages import format_validation_error
from .expressions import _RESERVED, MAX_DIMENSION
from .gaussian_schema import GaussianModelSpec

__all__ = ["ScenarioSpec"]


Num = float | str

#: Marks a string field that holds an operator expression (see the scenario-file reference).
_OPERATOR = {"syntax": "operator expression"}


class _Strict(BaseModel):
    # strict: TOML `g = true` is not the number 1, and `n_points = 10.5` is not an integer
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SiteKind(_Strict):
    """A site written as a table, e.g. ``{ kind = "boson", cutoff = 6 }`` or
    ``{ kind = "spin", j = 1.5 }``."""

    kind: Literal["qubit", "spin", "boson", "fermion"] = Field(
        description="What lives on the site: a qubit, a spin j, a truncated boson or a "
        "fermionic mode (Jordan-Wigner, see Operator expressions)."
    )
    cutoff: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="Number of Fock levels |0>, ..., |cutoff-1> of a boson (required for bosons).",
    )
    j: float | None = Field(
        default=None,
        gt=0,
        le=10,
        description="Spin quantum number of a spin site, a half-integer (site dimension 2j + 1).",
    )


class ModelSpec(_Strict):
    """The bipartite model H = H_A + H_B + V and, optionally, the local particle numbers."""

    sites: dict[str, str | SiteKind] = Field(
        description="Site label = kind. Labels A0, A1, ... belong to A and B0, B1, ... to B "
        "(at least one of each); the tensor-product order is A0, A1, ..., B0, B1, ... . "
        'A kind is "qubit", "fermion", "spin-<j>" (e.g. "spin-1", "spin-3/2"), '
        '"boson-<cutoff>" (e.g. "boson-6") or a table (see [model.sites]). The total '
        f"dimension may be at most {MAX_DIMENSION}."
    )
    H_A: str = Field(
        description="Bare Hamiltonian of A: a Hermitian operator expression on sites of A only.",
        json_schema_extra=_OPERATOR,
    )
    H_B: str = Field(
        description="Bare Hamiltonian of B: a Hermitian operator expression on sites of B only.",
        json_schema_extra=_OPERATOR,
    )
    V: str = Field(
        default="0",
        description="Interaction between A and B: a Hermitian operator expression on any sites.",
        json_schema_extra=_OPERATOR,
    )
    N_A: str | None = Field(
        default=None,
        description="Particle-number operator of A (operator expression on sites of A); give "
        "N_A and N_B together. Needed for chemical potentials and the particle-flow analysis.",
        json_schema_extra=_OPERATOR,
    )
    N_B: str | None = Field(
        default=None,
        description="Particle-number operator of B (operator expression on sites of B).",
        json_schema_extra=_OPERATOR,
    )

    @field_validator("sites")
    @classmethod
    def _labels(cls, v: dict) -> dict:
        for label in v:
            if not re.fullmatch(r"[AB]\d{1,3}", label):
                raise ValueError(
                    f"site label {label!r} must be A or B followed by an index, e.g. A0, B1"
                )
        if not any(k[0] == "A" for k in v) or not any(k[0] == "B" for k in v):
            raise ValueError("declare at least one site of A (A0, ...) and one of B (B0, ...)")
        return v


class StateSpec(_Strict):
    """The initial state rho(0): thermal marginals plus c times a correlation operator, or a
    density matrix read from a ``.npy`` file."""

    kind: Literal["thermal", "matrix"] = Field(
        default="thermal",
        description='"thermal": rho(0) = gamma_A (x) gamma_B + c chi with (grand-)canonical '
        'marginals gamma_X = exp(-beta_X (H_X - mu_X N_X)) / Z_X; "matrix": rho(0) read '
        "from the .npy file named by `matrix`.",
    )
    beta_A: Num | None = Field(
        default=None,
        description='Inverse temperature of A\'s marginal (required for kind = "thermal").',
    )
    beta_B: Num | None = Field(
        default=None,
        description='Inverse temperature of B\'s marginal (required for kind = "thermal").',
    )
    mu_A: Num = Field(
        default=0.0,
        description="Chemical potential of A's marginal; nonzero values need model.N_A, N_B.",
    )
    mu_B: Num = Field(
        default=0.0,
        description="Chemical potential of B's marginal; nonzero values need model.N_A, N_B.",
    )
    correlation: str | None = Field(
        default=None,
        description="Correlation operator chi added to the product state: a Hermitian operator "
        "expression with Tr_A chi = Tr_B chi = 0 (so the marginals stay thermal), or a named "
        "correlation kind (see Named correlation kinds).",
        json_schema_extra=_OPERATOR,
    )
    c: Num = Field(
        default=0.0,
        description="Correlation strength c in rho(0) = gamma_A (x) gamma_B + c chi. The names "
        "c_min and c_max hold the ends of the exact interval where rho(0) >= 0, so "
        '"0.5 * c_max" is always admissible; a c outside the interval is an error.',
    )
    phase: Num = Field(
        default=0.0,
        description="Phase of the coherences of a named correlation kind: chi = sum w "
        "e^{i phase} |a', b'><a, b| + h.c.",
    )
    matrix: str | None = Field(
        default=None,
        description='Path of a .npy file holding rho(0) (kind = "matrix" only): a (d, d) array, '
        "d = d_A d_B in the site order, Hermitian, trace 1, positive semidefinite. A relative "
        "path is relative to the scenario file.",
    )


class BathSpec(_Strict):
    """A bath on one side: thermal jumps between eigenstates of H_X (paper 1, Eqs. 12-13),
    explicit jump operators, or a coupling operator from which `[dynamics] approach` builds the
    local, global (Davies) or Redfield dissipator."""

    beta: Num | None = Field(
        default=None,
        description="Inverse temperature of the bath (required unless `jumps` is given).",
    )
    rate: Literal["fermi", "paper", "ohmic", "bose"] | None = Field(
        default=None,
        description="Rate family gamma(omega) of the thermal jumps, omega = E_m - E_n the "
        'energy the system gains (see Rate families). Unset: "paper" for jumps between all '
        'eigenstate pairs of H_X (paper 1), "ohmic" for a bath given by its `coupling` (as '
        "`davies_jumps`, `redfield_bath` and `ThermalBath`); a run lists the one it assumed.",
    )

    @property
    def rate_family(self) -> str:
        """The rate family this bath uses: `rate`, or its default (see `rate`)."""
        if self.rate is not None:
            return self.rate
        return "paper" if self.coupling is None else "ohmic"

    gamma0: Num = Field(
        default=1.0, description="Overall rate scale gamma0 >= 0 of the thermal jumps."
    )
    jumps: list[str] | None = Field(
        default=None,
        description="Explicit jump operators instead of thermal ones: operator expressions on "
        "this side's sites with the rates folded in (L = sqrt(gamma) |m><n|); `beta`, `rate` "
        "and `gamma0` are then not used (except `beta` for the entropy production).",
        json_schema_extra=_OPERATOR,
    )
    coupling: str | list[str] | None = Field(
        default=None,
        description="System operator(s) S_k of H_SB = sum_k S_k (x) B_k, Hermitian expressions "
        "on this side's sites (a list: independent channels). Required by `approach = "
        '"global"` and `"redfield"`; with `"local"` it gives the local secular dissipator of H_X '
        "with these matrix elements instead of jumps between all eigenstate pairs.",
        json_schema_extra=_OPERATOR,
    )
    mu: Num | None = Field(
        default=None,
        description="Chemical potential of a grand-canonical bath (needs model.N_A, model.N_B; "
        "global/redfield also need [H, N] = 0): rates gamma(omega - mu q), q the particle change. "
        "[gaussian] models: the bath's mu (default 0).",
    )


class DynamicsSpec(_Strict):
    """How rho(t) evolves: isolated (unitary) or open (GKLS with local baths, paper 1, Eq. 1)."""

    kind: Literal["open", "isolated"] = Field(
        default="isolated",
        description='"isolated": rho(t) = e^{-iHt} rho(0) e^{iHt}; "open": d rho/dt = '
        "-i[H, rho] + L_A[rho] + L_B[rho] with the baths below (at least one).",
    )
    approach: Literal["local", "global", "redfield"] = Field(
        default="local",
        description='How each bath is built: "local" (paper 1: thermal w.r.t. H_A or H_B alone), '
        '"global" (Davies: secular, thermal w.r.t. the full H; needs `coupling`), "redfield" '
        "(Bloch-Redfield: non-secular, may leave the state space; needs `coupling`).",
    )
    alpha_A: Num = Field(
        default=0.5,
        description="Share alpha_A of the mean interaction energy Tr[V rho_A (x) rho_B] "
        "removed from A's effective Hamiltonian (alpha_B = 1 - alpha_A; paper 1, Eq. 5). It "
        "moves energy between U_A and U_B; U_A + U_B and U_chi do not depend on it.",
    )
    bath_A: BathSpec | None = Field(
        default=None, description='Bath acting on A (kind = "open" only).'
    )
    bath_B: BathSpec | None = Field(
        default=None, description='Bath acting on B (kind = "open" only).'
    )


class TimeSpec(_Strict):
    """The save times: n_points equally spaced times from 0 to t_final, both included."""

    t_final: Num = Field(default=1.0, description="Last save time (> 0); the first is 0.")
    n_points: int = Field(
        default=101,
        ge=2,
        le=100_000,
        description="Number of save times, including t = 0 and t = t_final.",
    )


class ToleranceSpec(_Strict):
    """Solver settings of open dynamics (isolated runs are exact and ignore them)."""

    rtol: float = Field(default=1e-8, gt=0, lt=1, description='Relative tolerance of method "ode".')
    atol: float = Field(
        default=1e-10, gt=0, lt=1, description='Absolute tolerance of method "ode".'
    )
    method: str = Field(
        default="auto",
        description='Open-dynamics solver: "exact" (spectral propagator of the d^2 x d^2 '
        f'generator, exact to round-off, d <= {EXACT_MAX_D}), "ode" (adaptive Runge-Kutta on '
        f'the structured generator, any d) or "auto" ("exact" for d <= {EXACT_AUTO_MAX_D}, '
        '"ode" above).',
    )


class AnalysesSpec(_Strict):
    """What is computed besides the trajectory, and what is written."""

    beta_A: Num | None = Field(
        default=None,
        description="Reference inverse temperature of A for the flow analysis of paper 2 "
        "(inequality (26)); unset: the state's beta_A.",
    )
    beta_B: Num | None = Field(
        default=None,
        description="Reference inverse temperature of B for the flow analysis; unset: the "
        "state's beta_B.",
    )
    mu_A: Num | None = Field(
        default=None,
        description="Reference chemical potential of A for the flow analysis; unset: the "
        "state's mu_A.",
    )
    mu_B: Num | None = Field(
        default=None,
        description="Reference chemical potential of B for the flow analysis; unset: the "
        "state's mu_B.",
    )
    conditions: bool = Field(
        default=True,
        description="Check the conditions of both papers (paper 1, Eqs. A3-A4; paper 2, Eqs. "
        "14, 15, 18) and store them in the results.",
    )
    flows: bool = Field(
        default=True,
        description="Add the particle/energy flow analysis of paper 2 (isolated runs with "
        "reference temperatures).",
    )
    plots: bool = Field(
        default=True, description="Write PNG plots next to results.nc (see also --no-plots)."
    )
    store_states: bool = Field(
        default=False,
        description="Store the full state rho(t) in results.nc (d^2 complex numbers per save "
        "time); the marginals rho_A, rho_B are always stored.",
    )
    # None: on for single runs where cheap (see corrtherm.evolve), off in sweeps
    entropic_split: bool | None = Field(
        default=None,
        description="Compute the entropy-based heat/work split of paper 1's Remark (open "
        "runs). Unset: on for single runs of small systems (see corrtherm.evolve), off in "
        "sweeps.",
    )


class ScenarioSpec(_Strict):
    """A scenario file: a model, an initial state, dynamics, save times and analyses.

    The pydantic model of the whole TOML document; each table is a nested model whose fields
    carry a description. The scenario-file reference is generated from these models
    (:mod:`corrtherm.scenarios.reference`).
    """

    title: str = Field(
        default="", description="One-line title, printed by `corrtherm run` and `presets`."
    )
    description: str = Field(
        default="",
        description="Free text: what the scenario shows, closed forms to compare with.",
    )
    parameters: dict[str, float] = Field(
        default_factory=dict,
        description="Named numbers, used by name in every expression of the file and swept "
        "by `corrtherm sweep` (see [parameters]).",
    )
    model: ModelSpec | None = Field(
        default=None, description="The model (required unless [gaussian] is given)."
    )
    gaussian: GaussianModelSpec | None = Field(
        default=None,
        description="A free-particle model on the Gaussian engine, instead of [model].",
    )
    state: StateSpec = Field(default=StateSpec(), description="The initial state.")
    dynamics: DynamicsSpec = Field(default=DynamicsSpec(), description="The dynamics.")
    time: TimeSpec = Field(default=TimeSpec(), description="The save times.")
    tolerances: ToleranceSpec = Field(default=ToleranceSpec(), description="Solver settings.")
    analyses: AnalysesSpec = Field(default=AnalysesSpec(), description="Analyses and output.")

    @field_validator("parameters")
    @classmethod
    def _param_names(cls, v: dict) -> dict:
        for name, val in v.items():
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
                raise ValueError(f"parameter name {name!r} must be an identifier")
            # operator and function names stay usable: they are only ever called, as in c(A0)
            if name in _RESERVED or re.fullmatch(r"[AB]\d+", name):
                raise ValueError(f"parameter name {name!r} is reserved")
            if not math.isfinite(val):
                raise ValueError(f"parameter {name} = {val} is not finite")
        return v

    @model_validator(mode="after")
    def _one_model(self) -> ScenarioSpec:
        if (self.model is None) == (self.gaussian is None):
            raise ValueError("give exactly one of the tables [model] and [gaussian]")
        return self


def _pydantic_message(exc: ValidationError) -> str:
    # every problem, union branches merged, unknown keys with the closest allowed key
    roots = {m.__name__: m for m in (ScenarioSpec, SiteKind, BathSpec, StateSpec)}
    return format_validation_error(exc, roots.get(exc.title, ScenarioSpec))
