"""The scenario-file schema: one pydantic model per TOML table (the single source of truth).

The scenario-file reference in the documentation is generated from these models, so every
section, key, type, default and allowed value documented there is the one validated here.
"""

from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ._messages import format_validation_error
from .expressions import _RESERVED

__all__ = ["ScenarioSpec"]


Num = float | str


class _Strict(BaseModel):
    # strict: TOML `g = true` is not the number 1, and `n_points = 10.5` is not an integer
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SiteKind(_Strict):
    kind: Literal["qubit", "spin", "boson", "fermion"]
    cutoff: int | None = Field(default=None, ge=1, le=64)
    j: float | None = Field(default=None, gt=0, le=10)


class ModelSpec(_Strict):
    sites: dict[str, str | SiteKind]
    H_A: str
    H_B: str
    V: str = "0"
    N_A: str | None = None
    N_B: str | None = None

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
    kind: Literal["thermal", "matrix"] = "thermal"
    beta_A: Num | None = None
    beta_B: Num | None = None
    mu_A: Num = 0.0
    mu_B: Num = 0.0
    correlation: str | None = None
    c: Num = 0.0
    phase: Num = 0.0
    matrix: str | None = None


class BathSpec(_Strict):
    beta: Num | None = None
    rate: Literal["fermi", "paper", "ohmic"] = "paper"
    gamma0: Num = 1.0
    jumps: list[str] | None = None


class DynamicsSpec(_Strict):
    kind: Literal["open", "isolated"] = "isolated"
    alpha_A: Num = 0.5
    bath_A: BathSpec | None = None
    bath_B: BathSpec | None = None


class TimeSpec(_Strict):
    t_final: Num = 1.0
    n_points: int = Field(default=101, ge=2, le=100_000)


class ToleranceSpec(_Strict):
    rtol: float = Field(default=1e-8, gt=0, lt=1)
    atol: float = Field(default=1e-10, gt=0, lt=1)
    method: str = "auto"


class AnalysesSpec(_Strict):
    beta_A: Num | None = None
    beta_B: Num | None = None
    mu_A: Num | None = None
    mu_B: Num | None = None
    conditions: bool = True
    flows: bool = True
    plots: bool = True
    store_states: bool = False
    # None: on for single runs where cheap (see corrtherm.evolve), off in sweeps
    entropic_split: bool | None = None


class ScenarioSpec(_Strict):
    title: str = ""
    description: str = ""
    parameters: dict[str, float] = Field(default_factory=dict)
    model: ModelSpec
    state: StateSpec = StateSpec()
    dynamics: DynamicsSpec = DynamicsSpec()
    time: TimeSpec = TimeSpec()
    tolerances: ToleranceSpec = ToleranceSpec()
    analyses: AnalysesSpec = AnalysesSpec()

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


def _pydantic_message(exc: ValidationError) -> str:
    # every problem, union branches merged, unknown keys with the closest allowed key
    roots = {m.__name__: m for m in (ScenarioSpec, SiteKind, BathSpec, StateSpec)}
    return format_validation_error(exc, roots.get(exc.title, ScenarioSpec))
