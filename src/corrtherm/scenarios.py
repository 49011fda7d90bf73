"""Scenario files: a bipartite model, an initial state, dynamics and analyses described in TOML.

A scenario is a small TOML document (see ``corrtherm show paper1-two-qubits``)::

    [parameters]          # name = number; referenced by name in expressions
    [model]               # sites (A0, A1, ..., B0, ...) with kinds; H_A, H_B, V, N_A, N_B
    [state]               # thermal marginals + c * correlation (an expression or
                          # "particle-exchange"; c may use c_min, c_max), or a .npy matrix
    [dynamics]            # "open" (bath_A, bath_B: thermal or explicit jumps) or "isolated"
    [time]                # t_final, n_points
    [tolerances]          # rtol, atol, method
    [analyses]            # reference beta/mu for the flow analysis, plots on/off

Operators are written as expressions over named local operators, e.g.
``"g * sz(A0) * sz(B0)"`` or ``"kappa * (cdag(A0) * c(B0) + h.c.)"``. Expressions are parsed
with :func:`ast.parse` in ``eval`` mode and walked with a strict whitelist of node types;
file text is never passed to ``eval``/``exec``.

Fermionic modes (``fermion`` sites) use a Jordan-Wigner string through all fermionic modes that
come earlier in the order A0, A1, ..., B0, B1, ... (all A modes before B modes, as in
:func:`corrtherm.operators.bipartite_fermions`), so A and B fermions anticommute across the cut.
"""

from __future__ import annotations

import ast
import cmath
import difflib
import hashlib
import json
import math
import re
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import reduce
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import CorrthermError, ScenarioError
from .operators import (
    destroy,
    identity,
    number,
    sigma_minus,
    sigma_plus,
    sigma_x,
    sigma_y,
    sigma_z,
    spin_operators,
)
from .states import gibbs_state, positivity_interval
from .system import Bipartite

__all__ = [
    "Scenario",
    "BuiltScenario",
    "load_scenario",
    "load_preset",
    "list_presets",
    "preset_text",
    "build_scenario",
    "run_scenario",
    "summarize",
    "check_scenario",
    "write_results",
    "read_results",
    "parse_expression",
    "evaluate_expression",
    "SiteSpec",
]

#: Longest expression accepted (characters); longer text is refused before parsing.
MAX_EXPRESSION_LENGTH = 4000
#: Deepest expression tree walked; deeper trees are refused (no recursion blow-ups).
MAX_DEPTH = 200
#: Largest integer power of an operator.
MAX_OPERATOR_POWER = 64
#: Largest Hilbert-space dimension a scenario may build (dense matrices, Liouvillian d^4).
MAX_DIMENSION = 256

_RESERVED = {"pi", "e", "i", "j", "hc", "_hc_", "c_min", "c_max"}
_HC = "_hc_"


# ============================================================================ sites and operators
@dataclass(frozen=True)
class SiteSpec:
    """One site: label like ``A0``/``B1``, its kind, Hilbert dimension and spin j (spins)."""

    label: str
    kind: Literal["qubit", "spin", "boson", "fermion"]
    dim: int
    j: float = 0.5

    @property
    def side(self) -> str:
        return self.label[0]

    @property
    def index(self) -> int:
        return int(self.label[1:])


def _local_table(site: SiteSpec) -> dict[str, np.ndarray]:
    """Named local operators of one site (fermion c/cdag get their string in :func:`_embed`)."""
    if site.kind == "qubit":
        sp, sm = sigma_plus(), sigma_minus()
        return {
            "sx": sigma_x(),
            "sy": sigma_y(),
            "sz": sigma_z(),
            "sp": sp,
            "sm": sm,
            "n": sm @ sp,
            "id": identity(2),
        }
    if site.kind == "spin":
        jx, jy, jz = spin_operators(site.j)
        return {
            "jx": jx,
            "jy": jy,
            "jz": jz,
            "jp": jx + 1j * jy,
            "jm": jx - 1j * jy,
            "id": identity(site.dim),
        }
    if site.kind == "boson":
        a = destroy(site.dim)
        return {
            "a": a,
            "adag": a.conj().T,
            "n": number(site.dim),
            "x": (a + a.conj().T) / np.sqrt(2),
            "p": -1j * (a - a.conj().T) / np.sqrt(2),
            "id": identity(site.dim),
        }
    a = sigma_plus()  # |0><1|: annihilates the occupied state |1>
    return {"c": a, "cdag": a.conj().T, "n": a.conj().T @ a, "id": identity(2)}


_ALL_OPERATORS = sorted(
    {
        "sx",
        "sy",
        "sz",
        "sp",
        "sm",
        "n",
        "id",
        "jx",
        "jy",
        "jz",
        "jp",
        "jm",
        "a",
        "adag",
        "x",
        "p",
        "c",
        "cdag",
    }
)
_SCALAR_FUNCS = {
    "sqrt": cmath.sqrt,
    "exp": cmath.exp,
    "log": cmath.log,
    "sin": cmath.sin,
    "cos": cmath.cos,
    "tan": cmath.tan,
    "sinh": cmath.sinh,
    "cosh": cmath.cosh,
    "tanh": cmath.tanh,
    "abs": lambda z: complex(abs(z)),
    "real": lambda z: complex(z.real),
    "imag": lambda z: complex(z.imag),
    "conj": lambda z: z.conjugate(),
}
_CONSTANTS = {"pi": complex(math.pi), "e": complex(math.e), "i": 1j, "j": 1j}


class ExpressionError(ScenarioError):
    """An operator expression could not be parsed or evaluated (message without location)."""


@dataclass(frozen=True)
class _Space:
    """The ordered sites A..., B... and the embedding of local operators into A (x) B."""

    sites: tuple[SiteSpec, ...]

    @property
    def labels(self) -> list[str]:
        return [s.label for s in self.sites]

    @property
    def dims(self) -> list[int]:
        return [s.dim for s in self.sites]

    @property
    def d_A(self) -> int:
        return math.prod(s.dim for s in self.sites if s.side == "A")

    @property
    def d_B(self) -> int:
        return math.prod(s.dim for s in self.sites if s.side == "B")

    @property
    def d(self) -> int:
        return self.d_A * self.d_B

    def site(self, label: str) -> SiteSpec:
        for s in self.sites:
            if s.label == label:
                return s
        raise KeyError(label)

    def embed(self, name: str, label: str) -> np.ndarray:
        """Local operator ``name`` of site ``label`` on the full space (JW string for c/cdag)."""
        k = self.labels.index(label)
        op = _local_table(self.sites[k])[name]
        factors = []
        for m, s in enumerate(self.sites):
            if m == k:
                factors.append(op)
            elif m < k and s.kind == "fermion" and name in ("c", "cdag"):
                factors.append(sigma_z())  # parity of earlier modes: anticommutation across sites
            else:
                factors.append(identity(s.dim))
        return reduce(np.kron, factors)


@dataclass(frozen=True)
class _Val:
    """Scalar (complex) or full-space operator, with the sites it touches."""

    value: Any
    sites: frozenset[str] = frozenset()

    @property
    def is_op(self) -> bool:
        return isinstance(self.value, np.ndarray)


def parse_expression(text: str) -> ast.Expression:
    """Parse ``text`` into a Python expression tree without evaluating anything.

    ``h.c.`` (Hermitian conjugate of the preceding sum) is rewritten to a reserved name first.
    Raises :class:`ExpressionError` for anything that is not a syntactically valid expression.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"expected an expression string, got {type(text).__name__}")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            f"expression is {len(text)} characters long; the limit is {MAX_EXPRESSION_LENGTH}"
        )
    if not text.strip():
        raise ExpressionError("empty expression")
    src = re.sub(r"\bh\s*\.\s*c\s*\.", f" {_HC} ", text)
    try:
        tree = ast.parse(src.strip(), mode="eval")
    except SyntaxError as exc:
        col = f" at column {exc.offset}" if exc.offset else ""
        raise ExpressionError(f"syntax error{col} in {text!r}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        raise ExpressionError(f"cannot parse {text[:60]!r}: {type(exc).__name__}") from None
    return tree


def _suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.5)
    return f" — did you mean `{close[0]}`?" if close else ""


class _Evaluator:
    """Walks a whitelisted expression tree; every other node type is an error."""

    def __init__(self, space: _Space | None, params: Mapping[str, float]):
        self.space = space
        self.params = dict(params)

    # -- helpers
    def _as_op(self, v: _Val) -> np.ndarray:
        if v.is_op:
            return v.value
        if self.space is None:
            raise ExpressionError("internal: operator requested in a scalar expression")
        return v.value * np.eye(self.space.d, dtype=complex)

    @staticmethod
    def _finite(v: _Val) -> _Val:
        ok = np.all(np.isfinite(v.value)) if v.is_op else cmath.isfinite(v.value)
        if not ok:
            raise ExpressionError("the expression evaluates to an infinite or NaN value")
        return v

    def eval(self, node: ast.AST, depth: int = 0) -> _Val:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression is nested deeper than {MAX_DEPTH} levels")
        try:
            return self._finite(self._eval(node, depth + 1))
        except (OverflowError, ZeroDivisionError, ValueError) as exc:
            if isinstance(exc, CorrthermError):
                raise
            raise ExpressionError(f"arithmetic error: {exc}") from None

    def _eval(self, node: ast.AST, depth: int) -> _Val:
        if isinstance(node, ast.Expression):
            return self.eval(node.body, depth)
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or not isinstance(v, int | float | complex):
                raise ExpressionError(f"unsupported literal {v!r}; expected a number")
            return _Val(complex(v))
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            v = self.eval(node.operand, depth)
            return _Val(-v.value if isinstance(node.op, ast.USub) else v.value, v.sites)
        if isinstance(node, ast.BinOp):
            return self._binop(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        raise ExpressionError(
            f"unsupported syntax ({type(node).__name__}); expected numbers, "
            "parameters, operators like sz(A0), + - * / ** and dag(...)"
        )

    def _name(self, name: str) -> _Val:
        if name == _HC:
            raise ExpressionError("`h.c.` must follow `+` or `-`, as in `x + h.c.`")
        if name in self.params:
            return _Val(complex(self.params[name]))
        if name in _CONSTANTS:
            return _Val(_CONSTANTS[name])
        if self.space is not None and name in self.space.labels:
            raise ExpressionError(
                f"site `{name}` used as a value; write an operator on it, e.g. sz({name})"
            )
        if name in _ALL_OPERATORS or name in _SCALAR_FUNCS or name == "dag":
            raise ExpressionError(f"`{name}` is a function; call it, e.g. {name}(...)")
        known = sorted(self.params)
        raise ExpressionError(
            f"missing parameter `{name}`{_suggest(name, known)} (declared parameters: "
            f"{', '.join(known) or 'none'}; add it to [parameters])"
        )

    def _binop(self, node: ast.BinOp, depth: int) -> _Val:
        if isinstance(node.right, ast.Name) and node.right.id == _HC:
            if not isinstance(node.op, ast.Add | ast.Sub):
                raise ExpressionError("`h.c.` must follow `+` or `-`, as in `x + h.c.`")
            left = self.eval(node.left, depth)
            adj = left.value.conj().T if left.is_op else left.value.conjugate()
            val = left.value + adj if isinstance(node.op, ast.Add) else left.value - adj
            return _Val(val, left.sites)
        a, b = self.eval(node.left, depth), self.eval(node.right, depth)
        sites = a.sites | b.sites
        op = node.op
        if isinstance(op, ast.Add | ast.Sub):
            if a.is_op or b.is_op:
                x, y = self._as_op(a), self._as_op(b)
            else:
                x, y = a.value, b.value
            return _Val(x + y if isinstance(op, ast.Add) else x - y, sites)
        if isinstance(op, ast.Mult):
            if a.is_op and b.is_op:
                return _Val(a.value @ b.value, sites)
            return _Val(a.value * b.value, sites)
        if isinstance(op, ast.Div):
            if b.is_op:
                raise ExpressionError("division by an operator is not supported")
            if b.value == 0:
                raise ExpressionError("division by zero")
            return _Val(a.value / b.value, sites)
        if isinstance(op, ast.Pow):
            if b.is_op:
                raise ExpressionError("an exponent must be a number, not an operator")
            if not a.is_op:
                if abs(b.value) > 1e4 or (a.value == 0 and b.value.real < 0):
                    raise ExpressionError(f"power out of range: {a.value} ** {b.value}")
                return _Val(a.value**b.value, sites)
            n = b.value
            if n.imag != 0 or n.real != int(n.real) or not 0 <= n.real <= MAX_OPERATOR_POWER:
                raise ExpressionError(
                    f"an operator power must be an integer 0..{MAX_OPERATOR_POWER}, got {n}"
                )
            return _Val(np.linalg.matrix_power(a.value, int(n.real)), sites)
        raise ExpressionError(f"unsupported operator {type(op).__name__}; use + - * / **")

    def _call(self, node: ast.Call, depth: int) -> _Val:
        if not isinstance(node.func, ast.Name):
            raise ExpressionError("only simple calls like sz(A0), dag(x), sqrt(x) are allowed")
        fname = node.func.id
        if node.keywords or len(node.args) != 1:
            raise ExpressionError(f"`{fname}(...)` takes exactly one argument")
        arg = node.args[0]
        if fname == "dag":
            v = self.eval(arg, depth)
            return _Val(v.value.conj().T if v.is_op else v.value.conjugate(), v.sites)
        if fname in _SCALAR_FUNCS:
            v = self.eval(arg, depth)
            if v.is_op:
                raise ExpressionError(f"`{fname}` applies to numbers, not operators")
            return _Val(_SCALAR_FUNCS[fname](v.value))
        if fname in _ALL_OPERATORS:
            if self.space is None:
                raise ExpressionError(
                    f"operator `{fname}(...)` is not allowed here; this field takes a number"
                )
            if not isinstance(arg, ast.Name):
                raise ExpressionError(f"`{fname}(...)` takes a site label such as A0 or B1")
            label = arg.id
            if label not in self.space.labels:
                raise ExpressionError(
                    f"unknown site `{label}`{_suggest(label, self.space.labels)} (declared "
                    f"sites: {', '.join(self.space.labels)})"
                )
            site = self.space.site(label)
            table = _local_table(site)
            if fname not in table:
                raise ExpressionError(
                    f"operator `{fname}` is not defined for {site.kind} site {label}"
                    f"{_suggest(fname, list(table))} ({site.kind} operators: "
                    f"{', '.join(table)})"
                )
            return _Val(self.space.embed(fname, label), frozenset({label}))
        options = _ALL_OPERATORS + list(_SCALAR_FUNCS) + ["dag"]
        if self.space is not None and isinstance(arg, ast.Name) and arg.id in self.space.labels:
            # applied to a site: the operators of that site are the likely intent
            options = list(_local_table(self.space.site(arg.id)))
        raise ExpressionError(f"unknown operator `{fname}`{_suggest(fname, options)}")


def evaluate_expression(
    text: str | float | int, params: Mapping[str, float], space: _Space | None = None
) -> complex | np.ndarray:
    """Evaluate an expression to a complex number (``space=None``) or a full-space matrix.

    Numbers given directly (TOML ints/floats) pass through. Raises :class:`ExpressionError`.
    """
    if isinstance(text, bool):
        raise ExpressionError("expected a number or an expression string, got a boolean")
    if isinstance(text, int | float):
        if not math.isfinite(float(text)):
            raise ExpressionError(f"expected a finite number, got {text}")
        return complex(text)
    tree = parse_expression(text)
    val = _Evaluator(space, params).eval(tree)
    if space is not None and not val.is_op:
        return val.value * np.eye(space.d, dtype=complex)
    return val.value


# ================================================================================ the schema
Num = float | str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    # None: on for single runs where cheap (see dynamics.evolve), off in sweeps
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
    errs = exc.errors()
    e = errs[0]
    loc = ".".join(str(p) for p in e["loc"] if not str(p).startswith(("function-", "union[")))
    # pydantic reports one error per union branch; the str branch is the least helpful
    loc = re.sub(r"\.(str|float|SiteKind|int)$", "", loc)
    msg = re.sub(r"^(Value|Assertion) error, ", "", e["msg"])
    if e["type"] == "extra_forbidden":
        msg = "unknown field"
    more = f" (and {len(errs) - 1} more problems)" if len(errs) > 1 else ""
    return f"{loc or 'scenario'}: {msg}{more}"


# ================================================================================ Scenario
class Scenario(BaseModel):
    """A validated scenario: its TOML text, sha256 of that text, and the parsed spec.

    Immutable; :meth:`with_parameters` returns a new scenario with a rewritten
    ``[parameters]`` table (so text and hash always describe exactly what runs).
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    source: str  # file path or "<preset:NAME>" or "<text>"
    text: str
    sha256: str
    spec: ScenarioSpec

    @property
    def parameters(self) -> dict[str, float]:
        return dict(self.spec.parameters)

    @property
    def base_dir(self) -> Path:
        p = Path(self.source)
        return p.parent if p.suffix == ".toml" else Path.cwd()

    def with_parameters(self, values: Mapping[str, float]) -> Scenario:
        """A copy with some ``[parameters]`` values replaced; unknown names are an error."""
        unknown = sorted(set(values) - set(self.spec.parameters))
        if unknown:
            raise ScenarioError(
                f"{self.source}: parameters: unknown parameter `{unknown[0]}`"
                f"{_suggest(unknown[0], list(self.spec.parameters))} (declared: "
                f"{', '.join(self.spec.parameters) or 'none'})"
            )
        new = {**self.spec.parameters}
        for k, v in values.items():
            try:
                fv = float(v)
            except (TypeError, ValueError):
                raise ScenarioError(
                    f"{self.source}: parameters.{k}: got {v!r}; expected a number"
                ) from None
            if not math.isfinite(fv):
                raise ScenarioError(f"{self.source}: parameters.{k}: got {fv}; expected finite")
            new[k] = fv
        text = _replace_parameters(self.text, new)
        return _make_scenario(text, self.source, self.name)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def to_toml(data: Mapping[str, Any]) -> str:
    """Minimal TOML writer for scenario dictionaries (tables of scalars, lists, inline tables)."""
    top = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    out = ["\n".join(top)] if top else []

    def table(prefix: str, d: Mapping[str, Any]) -> None:
        scal = [
            f"{k} = {_toml_value(v)}"
            for k, v in d.items()
            if not isinstance(v, dict) or prefix == "model" and k == "sites"
        ]
        out.append(f"[{prefix}]\n" + "\n".join(scal))
        for k, v in d.items():
            if isinstance(v, dict) and not (prefix == "model" and k == "sites"):
                table(f"{prefix}.{k}", v)

    for k, v in data.items():
        if isinstance(v, dict):
            table(k, v)
    return "\n\n".join(out) + "\n"


def _replace_parameters(text: str, new: Mapping[str, float]) -> str:
    """Rewrite ``name = value`` lines of the [parameters] table, keeping comments and layout."""
    lines = text.splitlines()
    in_params, done = False, set()
    for n, line in enumerate(lines):
        s = line.strip()
        if s.startswith("["):
            in_params = s.split("#")[0].strip() == "[parameters]"
            continue
        if in_params:
            m = re.match(r"^(\s*)([A-Za-z][A-Za-z0-9_]*)(\s*=\s*)([^#]*?)(\s*#.*)?$", line)
            if m and m.group(2) in new:
                lines[n] = (
                    f"{m.group(1)}{m.group(2)}{m.group(3)}{new[m.group(2)]!r}{m.group(5) or ''}"
                )
                done.add(m.group(2))
    out = "\n".join(lines) + "\n"
    try:
        ok = tomllib.loads(out).get("parameters") == dict(new)
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:  # unusual layout (inline table, dotted keys): regenerate the whole document
        data = tomllib.loads(text)
        data["parameters"] = dict(new)
        out = to_toml(data)
    return out


def _make_scenario(text: str, source: str, name: str) -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: TOML syntax error: {exc}") from None
    try:
        spec = ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{source}: {_pydantic_message(exc)}") from None
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    scen = Scenario(name=name, source=source, text=text, sha256=sha, spec=spec)
    _validate_expressions(scen)
    return scen


def _presets_dir():
    return resources.files("corrtherm") / "presets"


def list_presets() -> dict[str, str]:
    """Built-in scenario names mapped to their titles."""
    out = {}
    for f in sorted(_presets_dir().iterdir(), key=lambda p: p.name):
        if f.name.endswith(".toml"):
            data = tomllib.loads(f.read_text(encoding="utf-8"))
            out[f.name[:-5]] = str(data.get("title", ""))
    return out


def preset_text(name: str) -> str:
    """TOML text of a built-in scenario."""
    names = list_presets()
    if name not in names:
        raise ScenarioError(
            f"preset: unknown preset `{name}`{_suggest(name, list(names))} "
            f"(available: {', '.join(names)})"
        )
    return (_presets_dir() / f"{name}.toml").read_text(encoding="utf-8")


#: The scenario run by ``corrtherm run`` without arguments.
DEFAULT_PRESET = "paper1-two-qubits"


def load_preset(name: str = DEFAULT_PRESET) -> Scenario:
    """Load a built-in scenario by name."""
    return _make_scenario(preset_text(name), f"<preset:{name}>", name)


def load_scenario(path_or_text: str | Path) -> Scenario:
    """Load and validate a scenario from a ``.toml`` path, a preset name, or TOML text.

    Every problem raises :class:`ScenarioError` naming the file, the field and what is wrong.
    """
    if isinstance(path_or_text, Path) or (
        isinstance(path_or_text, str)
        and "\n" not in path_or_text
        and (path_or_text.endswith(".toml") or Path(path_or_text).exists())
    ):
        p = Path(path_or_text)
        if not p.is_file():
            if isinstance(path_or_text, str) and path_or_text in list_presets():
                return load_preset(path_or_text)
            raise ScenarioError(f"{p}: scenario file not found")
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(f"{p}: cannot read scenario file ({exc})") from None
        return _make_scenario(text, str(p), p.stem)
    if isinstance(path_or_text, str) and path_or_text in list_presets():
        return load_preset(path_or_text)
    if not isinstance(path_or_text, str):
        raise ScenarioError(
            f"scenario: expected a path or TOML text, got {type(path_or_text).__name__}"
        )
    return _make_scenario(path_or_text, "<text>", "scenario")


# ================================================================================ building
@dataclass(frozen=True, eq=False)
class BuiltScenario:
    """Everything needed to run a scenario, as arrays."""

    model: Bipartite
    rho0: np.ndarray
    times: np.ndarray
    kind: str
    jumps_A: tuple[np.ndarray, ...]
    jumps_B: tuple[np.ndarray, ...]
    alpha_A: float
    rtol: float
    atol: float
    method: str
    reference: dict[str, float]  # beta_A, beta_B, mu_A, mu_B for the flow analysis (may be nan)
    c_interval: tuple[float, float] | None
    c: float
    labels: tuple[str, ...]
    extras: dict[str, Any] = field(default_factory=dict)


def _sites(scen: Scenario) -> _Space:
    out = []
    for label, k in scen.spec.model.sites.items():
        where = f"{scen.source}: model.sites.{label}"
        if isinstance(k, str):
            ks = k.strip().lower()
            m = re.fullmatch(r"(qubit|fermion|spin|boson)(?:[-:(]\s*([0-9./]+)\s*\)?)?", ks)
            if not m:
                raise ScenarioError(
                    f"{where}: unknown site kind {k!r}; expected qubit, fermion, "
                    "spin-<j> (e.g. spin-1, spin-3/2) or boson-<cutoff>"
                )
            kind, arg = m.group(1), m.group(2)
            if kind in ("qubit", "fermion") and arg:
                raise ScenarioError(f"{where}: {kind} takes no size; got {k!r}")
            try:
                k = SiteKind(
                    kind=kind,
                    cutoff=int(arg) if kind == "boson" and arg and arg.isdigit() else None,
                    j=_frac(arg, where) if kind == "spin" and arg else None,
                )
            except ValidationError as exc:
                raise ScenarioError(f"{where}: {_pydantic_message(exc)}") from None
            if kind == "boson" and k.cutoff is None:
                raise ScenarioError(
                    f'{where}: boson needs a cutoff, e.g. "boson-6" or '
                    '{ kind = "boson", cutoff = 6 }'
                )
            if kind == "spin" and k.j is None:
                raise ScenarioError(f'{where}: spin needs j, e.g. "spin-1"')
        if k.kind == "qubit":
            out.append(SiteSpec(label, "qubit", 2))
        elif k.kind == "fermion":
            out.append(SiteSpec(label, "fermion", 2))
        elif k.kind == "boson":
            if k.cutoff is None:
                raise ScenarioError(f"{where}: boson needs a cutoff (number of Fock levels)")
            out.append(SiteSpec(label, "boson", int(k.cutoff)))
        else:
            j = 0.5 if k.j is None else float(k.j)
            if abs(2 * j - round(2 * j)) > 1e-12:
                raise ScenarioError(f"{where}: spin j = {j}; expected a half-integer")
            out.append(SiteSpec(label, "spin", int(round(2 * j)) + 1, j))
    out.sort(key=lambda s: (s.side, s.index))
    space = _Space(tuple(out))
    if space.d > MAX_DIMENSION:
        raise ScenarioError(
            f"{scen.source}: model.sites: total dimension {space.d} exceeds the "
            f"limit {MAX_DIMENSION} of dense simulations"
        )
    return space


def _frac(s: str, where: str) -> float:
    try:
        if "/" in s:
            a, b = s.split("/")
            return float(a) / float(b)
        return float(s)
    except (ValueError, ZeroDivisionError):
        raise ScenarioError(f"{where}: cannot read spin {s!r}") from None


def _num(scen: Scenario, value: Any, where: str, extra: Mapping[str, float] | None = None) -> float:
    params = {**scen.spec.parameters, **(extra or {})}
    try:
        z = evaluate_expression(value, params, None)
    except ExpressionError as exc:
        raise ScenarioError(f"{scen.source}: {where}: {exc}") from None
    if abs(z.imag) > 1e-12 * max(1.0, abs(z.real)):
        raise ScenarioError(f"{scen.source}: {where}: evaluates to {z}; expected a real number")
    return float(z.real)


def _op(
    scen: Scenario,
    space: _Space,
    text: str,
    where: str,
    side: str | None = None,
    hermitian: bool = True,
) -> np.ndarray:
    """Evaluate an operator expression; ``side`` restricts it to one part and returns it local."""
    try:
        tree = parse_expression(text)
        val = _Evaluator(space, scen.spec.parameters).eval(tree)
    except ExpressionError as exc:
        raise ScenarioError(f"{scen.source}: {where}: {exc}") from None
    X = val.value if val.is_op else val.value * np.eye(space.d, dtype=complex)
    if hermitian:
        dev = float(np.max(np.abs(X - X.conj().T)))
        if dev > 1e-10 * max(1.0, float(np.max(np.abs(X)))):
            raise ScenarioError(
                f"{scen.source}: {where}: is not Hermitian (max |X - X^dag| = "
                f"{dev:.3g}); did you forget `+ h.c.`?"
            )
    if side is None:
        return X
    bad = sorted(s for s in val.sites if s[0] != side)
    if bad:
        raise ScenarioError(
            f"{scen.source}: {where}: uses site {bad[0]} but may only involve sites of {side}"
        )
    dA, dB = space.d_A, space.d_B
    X4 = X.reshape(dA, dB, dA, dB)
    if side == "A":
        loc = np.trace(X4, axis1=1, axis2=3) / dB
        back = np.kron(loc, np.eye(dB))
    else:
        loc = np.trace(X4, axis1=0, axis2=2) / dA
        back = np.kron(np.eye(dA), loc)
    if np.max(np.abs(back - X)) > 1e-10 * max(1.0, float(np.max(np.abs(X)))):
        raise ScenarioError(
            f"{scen.source}: {where}: is not a local operator of {side} (a "
            "fermionic operator with an odd number of c/cdag carries a string "
            "through A)"
        )
    return loc


def _validate_expressions(scen: Scenario) -> None:
    """Build the model eagerly so that a bad expression fails at load time, not mid-run."""
    build_scenario(scen)


def _thermal_marginal(scen, H, N, beta, mu, where):
    try:
        return gibbs_state(H, beta, N, mu if N is not None else None)
    except CorrthermError as exc:
        raise ScenarioError(f"{scen.source}: {where}: {exc}") from None


def build_scenario(scen: Scenario, check_state: bool = True) -> BuiltScenario:
    """Turn a scenario into a model, an initial state, jump operators and a time grid."""
    spec, src = scen.spec, scen.source
    space = _sites(scen)
    m = spec.model
    H_A = _op(scen, space, m.H_A, "model.H_A", "A")
    H_B = _op(scen, space, m.H_B, "model.H_B", "B")
    V = _op(scen, space, m.V, "model.V")
    if (m.N_A is None) != (m.N_B is None):
        raise ScenarioError(f"{src}: model.N_A/N_B: give both number operators or neither")
    N_A = None if m.N_A is None else _op(scen, space, m.N_A, "model.N_A", "A")
    N_B = None if m.N_B is None else _op(scen, space, m.N_B, "model.N_B", "B")
    try:
        model = Bipartite(H_A, H_B, V, N_A, N_B)
    except CorrthermError as exc:
        raise ScenarioError(f"{src}: model: {exc}") from None

    # time grid
    t_final = _num(scen, spec.time.t_final, "time.t_final")
    if not t_final > 0:
        raise ScenarioError(f"{src}: time.t_final: got {t_final}; expected a positive time")
    times = np.linspace(0.0, t_final, spec.time.n_points)

    # state
    st = spec.state
    ref = {"beta_A": math.nan, "beta_B": math.nan, "mu_A": 0.0, "mu_B": 0.0}
    c_interval, c = None, 0.0
    if st.kind == "matrix":
        if st.matrix is None:
            raise ScenarioError(f"{src}: state.matrix: missing; give a .npy file with rho0")
        path = Path(st.matrix)
        if not path.is_absolute():
            path = scen.base_dir / path
        try:
            rho0 = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ScenarioError(f"{src}: state.matrix: cannot read {path} ({exc})") from None
        if rho0.shape != (model.d, model.d):
            raise ScenarioError(
                f"{src}: state.matrix: {path} has shape {rho0.shape}; expected "
                f"({model.d}, {model.d})"
            )
        rho0 = np.asarray(rho0, dtype=complex)
    else:
        if st.matrix is not None:
            raise ScenarioError(f'{src}: state.matrix: only used with kind = "matrix"')
        for nm in ("beta_A", "beta_B"):
            if getattr(st, nm) is None:
                raise ScenarioError(
                    f"{src}: state.{nm}: missing; a thermal state needs beta_A and beta_B"
                )
        bA, bB = _num(scen, st.beta_A, "state.beta_A"), _num(scen, st.beta_B, "state.beta_B")
        muA, muB = _num(scen, st.mu_A, "state.mu_A"), _num(scen, st.mu_B, "state.mu_B")
        if (muA != 0 or muB != 0) and not model.has_numbers:
            raise ScenarioError(
                f"{src}: state.mu_A: a chemical potential needs number "
                "operators model.N_A and model.N_B"
            )
        rA = _thermal_marginal(scen, model.H_A, model.N_A, bA, muA, "state (side A)")
        rB = _thermal_marginal(scen, model.H_B, model.N_B, bB, muB, "state (side B)")
        prod = np.kron(rA, rB)
        ref = {"beta_A": bA, "beta_B": bB, "mu_A": muA, "mu_B": muB}
        if st.correlation is not None:
            if st.correlation.strip() in CORRELATION_KINDS:
                X = _correlation_kind(scen, model, ref, st)
            else:
                X = _op(scen, space, st.correlation, "state.correlation")
            dA, dB = model.dims
            X4 = X.reshape(dA, dB, dA, dB)
            leak = max(
                float(np.max(np.abs(np.trace(X4, axis1=1, axis2=3)))),
                float(np.max(np.abs(np.trace(X4, axis1=0, axis2=2)))),
            )
            if leak > 1e-10 * max(1.0, float(np.max(np.abs(X)))):
                raise ScenarioError(
                    f"{src}: state.correlation: is not a correlation operator (a partial trace "
                    f"is nonzero, max entry {leak:.3g}); expected Tr_A X = Tr_B X = 0"
                )
            c_interval = positivity_interval(prod, X)
            c = _num(scen, st.c, "state.c", {"c_min": c_interval[0], "c_max": c_interval[1]})
            lo, hi = c_interval
            tol = 1e-12 * max(1.0, abs(c))
            if check_state and not lo - tol <= c <= hi + tol:
                raise ScenarioError(
                    f"{src}: state.c: c = {c:.6g} makes the initial state non-positive; the "
                    f"admissible interval is [{lo:.6g}, {hi:.6g}]"
                )
            rho0 = prod + c * X
        else:
            if st.c not in (0, 0.0, "0"):
                raise ScenarioError(f"{src}: state.c: given without state.correlation")
            rho0 = prod
    # explicit references for the flow analysis override the state's
    an = spec.analyses
    for nm in ("beta_A", "beta_B", "mu_A", "mu_B"):
        if getattr(an, nm) is not None:
            ref[nm] = _num(scen, getattr(an, nm), f"analyses.{nm}")
    if check_state:
        from ._validate import density_matrix

        try:
            rho0 = density_matrix(rho0, "initial state")
        except CorrthermError as exc:
            raise ScenarioError(f"{src}: state: {exc}") from None

    # dynamics
    dyn = spec.dynamics
    alpha_A = _num(scen, dyn.alpha_A, "dynamics.alpha_A")
    jumps: dict[str, tuple[np.ndarray, ...]] = {"A": (), "B": ()}
    if dyn.kind == "open":
        if dyn.bath_A is None and dyn.bath_B is None:
            raise ScenarioError(f'{src}: dynamics: kind = "open" needs bath_A and/or bath_B')
        for side in ("A", "B"):
            bath = getattr(dyn, f"bath_{side}")
            if bath is not None:
                jumps[side] = _bath_jumps(scen, space, model, bath, side)
    elif dyn.bath_A is not None or dyn.bath_B is not None:
        raise ScenarioError(f'{src}: dynamics.bath_A: baths need kind = "open"')
    return BuiltScenario(
        model=model,
        rho0=rho0,
        times=times,
        kind=dyn.kind,
        jumps_A=jumps["A"],
        jumps_B=jumps["B"],
        alpha_A=alpha_A,
        rtol=spec.tolerances.rtol,
        atol=spec.tolerances.atol,
        method=spec.tolerances.method,
        reference=ref,
        c_interval=c_interval,
        c=c,
        labels=tuple(space.labels),
    )


#: Named correlation operators usable as ``state.correlation`` instead of an expression.
CORRELATION_KINDS = ("particle-exchange",)


def _correlation_kind(
    scen: Scenario, model: Bipartite, ref: Mapping[str, float], st: StateSpec
) -> np.ndarray:
    """``particle-exchange``: coherences moving one particle B -> A between thermal sectors,
    weighted by sqrt(p_a p_b p_a' p_b') (:func:`corrtherm.flows.particle_exchange_coherence`),
    so that the admissible c interval stays finite even for truncated bosons."""
    from .flows import particle_exchange_coherence

    phase = _num(scen, st.phase, "state.phase")
    try:
        return particle_exchange_coherence(
            model, ref["beta_A"], ref["beta_B"], ref["mu_A"], ref["mu_B"], phase
        )
    except CorrthermError as exc:
        raise ScenarioError(f"{scen.source}: state.correlation: {exc}") from None


def _bath_jumps(
    scen: Scenario, space: _Space, model: Bipartite, bath: BathSpec, side: str
) -> tuple[np.ndarray, ...]:
    where = f"dynamics.bath_{side}"
    if bath.jumps is not None:
        return tuple(
            _op(scen, space, j, f"{where}.jumps[{k}]", side, hermitian=False)
            for k, j in enumerate(bath.jumps)
        )
    if bath.beta is None:
        raise ScenarioError(
            f"{scen.source}: {where}.beta: missing; a thermal bath needs beta "
            "(or give explicit jumps)"
        )
    beta = _num(scen, bath.beta, f"{where}.beta")
    gamma0 = _num(scen, bath.gamma0, f"{where}.gamma0")
    H = model.H_A if side == "A" else model.H_B
    try:
        from .dissipators import thermal_jumps
    except ImportError as exc:
        raise ScenarioError(
            f"{scen.source}: {where}: thermal baths need corrtherm.dissipators ({exc})"
        ) from None
    try:
        return tuple(thermal_jumps(H, beta, rate=bath.rate, gamma0=gamma0))
    except CorrthermError as exc:
        raise ScenarioError(f"{scen.source}: {where}: {exc}") from None


# ================================================================================ conditions
def _adjoint_dissipator(jumps: tuple[np.ndarray, ...], X: np.ndarray) -> np.ndarray:
    """L#[X] = sum_k L_k^dag X L_k - 1/2 {L_k^dag L_k, X} (paper 1, Eq. 11)."""
    out = np.zeros_like(X)
    for L in jumps:
        LdL = L.conj().T @ L
        out += L.conj().T @ X @ L - 0.5 * (LdL @ X + X @ LdL)
    return out


def _cnorm(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a @ b - b @ a))


def check_scenario(scen: Scenario, tol: float = 1e-9) -> list[dict[str, Any]]:
    """The condition checks of both papers for a scenario's model (no dynamics is run).

    Paper 1: the sufficient commutation condition [H_A + H_B, V] = 0 of the example, condition
    (i) [H^_A + H^_B, V] = 0 at the initial state (effective Hamiltonians, Eq. 5, A3) and, for
    open dynamics, condition (ii) L#_A[H] + L#_B[H] = 0 (Eq. A4). Paper 2: Eq. 14
    [H_A + H_B, V] = 0, Eq. 15 [N, H] = 0 and Eq. 18 [H_A, N_A] = [H_B, N_B] = 0.
    Returns rows {name, equation, value (Frobenius norm), holds}.
    """
    b = build_scenario(scen)
    m = b.model
    dA, dB = m.dims
    rows: list[dict[str, Any]] = []

    def add(name: str, eq: str, value: float) -> None:
        rows.append(
            {
                "name": name,
                "equation": eq,
                "value": float(value),
                "holds": bool(value <= tol * max(1.0, float(np.linalg.norm(m.H)))),
            }
        )

    add("[H_A + H_B, V] = 0", "paper 1 (example); paper 2 Eq. 14", _cnorm(m.H0, m.V))
    from .energy import _effective
    from .states import _pt

    rA, rB = _pt(b.rho0, dA, dB, "A"), _pt(b.rho0, dA, dB, "B")
    HA_eff, HB_eff, _ = _effective(m, rA, rB, b.alpha_A)
    add(
        "[H^_A + H^_B, V] = 0 at rho(0)",
        "paper 1 Eq. A3 (condition i)",
        _cnorm(np.kron(HA_eff, np.eye(dB)) + np.kron(np.eye(dA), HB_eff), m.V),
    )
    if b.kind == "open":
        JA = tuple(np.kron(L, np.eye(dB)) for L in b.jumps_A)
        JB = tuple(np.kron(np.eye(dA), L) for L in b.jumps_B)
        val = float(np.linalg.norm(_adjoint_dissipator(JA, m.H) + _adjoint_dissipator(JB, m.H)))
        add("L#_A[H] + L#_B[H] = 0", "paper 1 Eq. A4 (condition ii)", val)
    if m.has_numbers:
        add("[N_A + N_B, H] = 0", "paper 2 Eq. 15", _cnorm(m.N, m.H))
        add("[H_A, N_A] = 0", "paper 2 Eq. 18", _cnorm(m.H_A, m.N_A))
        add("[H_B, N_B] = 0", "paper 2 Eq. 18", _cnorm(m.H_B, m.N_B))
    return rows


# ================================================================================ running
def _flow_series(ds: xr.Dataset, ref: Mapping[str, float]) -> dict[str, np.ndarray]:
    """Fallback time series of the paper-2 flow analysis (Eq. 26) relative to t0, used when
    :func:`corrtherm.flows.flow_dataset` does not apply (e.g. non-thermal initial marginals).

    lhs_26(t) = (beta_A - beta_B) DeltaE_A - (beta_A mu_A - beta_B mu_B) DeltaN_A, and for an
    isolated system with conserved E_A + E_B and N_A + N_B, lhs_26 >= DeltaI_AB (Eq. 26), so
    slack = lhs_26 - DeltaI_AB >= 0.
    """
    bA, bB = ref["beta_A"], ref["beta_B"]
    muA, muB = ref["mu_A"], ref["mu_B"]
    dE = ds["E_A"].values - ds["E_A"].values[0]
    dN = ds["N_A"].values - ds["N_A"].values[0] if "N_A" in ds else np.zeros_like(dE)
    dI = ds["I_AB"].values - ds["I_AB"].values[0]
    lhs = (bA - bB) * dE - (bA * muA - bB * muB) * dN
    return {"DeltaE_A": dE, "DeltaN_A": dN, "DeltaI_AB": dI, "lhs_26": lhs, "slack": lhs - dI}


def _classify(lhs: float, biased: bool, atol: float = 1e-9) -> str:
    """conventional: the transfer goes down the (beta, beta mu) gradient (lhs_26 > 0), i.e. it
    produces entropy; anomalous: against it (lhs_26 < 0, possible only if I(A:B) drops)."""
    if not biased:
        return "no bias (equal beta and beta*mu)"
    if abs(lhs) <= atol:
        return "no flow"
    return "conventional" if lhs > 0 else "anomalous"


def _add_flows(b: BuiltScenario, ds: xr.Dataset) -> xr.Dataset:
    ref = b.reference
    try:
        from .flows import flow_dataset

        return flow_dataset(b.model, ds, ref["beta_A"], ref["beta_B"], ref["mu_A"], ref["mu_B"])
    except (ImportError, CorrthermError):
        # e.g. a matrix initial state whose marginals are not thermal at the references
        for k, v in _flow_series(ds, ref).items():
            ds[k] = ("time", v)
        return ds


def run_scenario(
    scenario: Scenario, progress: bool = False, *, entropic_split: bool | None = None
) -> xr.Dataset:
    """Build and evolve a scenario; returns the trajectory dataset with flow variables and attrs.

    ``entropic_split`` overrides ``[analyses] entropic_split`` when the scenario leaves it unset
    (the entropy-based heat/work split of paper 1's Remark, see :func:`dynamics.evolve`).

    attrs added: scenario (TOML text), scenario_sha256, scenario_name, corrtherm_version,
    condition_checks (JSON), beta_A/beta_B/mu_A/mu_B (references of the flow analysis),
    c, c_min, c_max (when a correlation operator is used) and wall_time_s.
    """
    from . import __version__, dynamics

    t0 = time.perf_counter()
    b = build_scenario(scenario)
    spec = scenario.spec
    try:
        if b.kind == "isolated":
            ds = dynamics.evolve_isolated(
                b.model, b.rho0, b.times, alpha_A=b.alpha_A, store_states=spec.analyses.store_states
            )
        else:
            evolve = getattr(dynamics, "evolve", None)
            if evolve is None:
                raise ScenarioError(
                    f"{scenario.source}: dynamics: open dynamics is not "
                    "available in this build (corrtherm.dynamics.evolve)"
                )
            ds = evolve(
                b.model,
                b.rho0,
                b.times,
                b.jumps_A,
                b.jumps_B,
                alpha_A=b.alpha_A,
                method=b.method,
                rtol=b.rtol,
                atol=b.atol,
                store_states=spec.analyses.store_states,
                progress=progress,
                entropic_split=(
                    spec.analyses.entropic_split
                    if spec.analyses.entropic_split is not None
                    else entropic_split
                ),
            )
    except ScenarioError:
        raise
    except CorrthermError as exc:
        raise ScenarioError(f"{scenario.source}: dynamics: {exc}") from None
    ref = b.reference
    if (
        b.kind == "isolated"
        and spec.analyses.flows
        and np.isfinite(ref["beta_A"])
        and np.isfinite(ref["beta_B"])
    ):
        ds = _add_flows(b, ds)
    checks = check_scenario(scenario) if spec.analyses.conditions else []
    ds.attrs.update(
        {
            "scenario": scenario.text,
            "scenario_sha256": scenario.sha256,
            "scenario_name": scenario.name,
            "corrtherm_version": __version__,
            "condition_checks": json.dumps(checks),
            **{k: float(v) for k, v in ref.items()},
            "wall_time_s": time.perf_counter() - t0,
        }
    )
    if b.c_interval is not None:
        ds.attrs.update(
            {"c": b.c, "c_min": float(b.c_interval[0]), "c_max": float(b.c_interval[1])}
        )
    return ds


def summarize(ds: xr.Dataset) -> dict[str, float | str]:
    """Final changes and diagnostics of a run (values at the last time minus the first).

    Keys: kind, t_final, DeltaU, DeltaU_A, DeltaU_B, DeltaU_chi, DeltaE_A, DeltaE_B, DeltaN_A,
    DeltaI_AB, Q_A, Q_B (open only), lhs_26 and slack of Eq. 26, the overall classification
    (conventional/anomalous sign of lhs_26) and, from :mod:`corrtherm.flows`, particle_flow and
    energy_flow (isolated runs with reference beta/mu), residual_ledger, residual_energy_balance, n_steps,
    n_rhs, wall_time_s.
    """

    def delta(name: str) -> float:
        if name not in ds:
            return math.nan
        v = ds[name].values
        return float(v[-1] - v[0])

    out: dict[str, float | str] = {
        "kind": str(ds.attrs.get("kind", "")),
        "t_final": float(ds["time"].values[-1]),
    }
    for name in ("U", "U_A", "U_B", "U_chi", "E_A", "E_B", "N_A", "I_AB"):
        out[f"Delta{name}"] = delta(name)
    for name in ("Q_A", "Q_B"):
        if name in ds:
            out[name] = float(ds[name].values[-1])
    if "slack" in ds and "lhs_26" in ds:
        lhs = float(ds["lhs_26"].values[-1])
        out["lhs_26"], out["slack"] = lhs, float(ds["slack"].values[-1])
        bA, bB = float(ds.attrs.get("beta_A", math.nan)), float(ds.attrs.get("beta_B", math.nan))
        muA, muB = float(ds.attrs.get("mu_A", 0.0)), float(ds.attrs.get("mu_B", 0.0))
        biased = not (math.isclose(bA, bB) and math.isclose(bA * muA, bB * muB))
        out["classification"] = _classify(lhs, biased)
        for name in ("particle_flow", "energy_flow"):
            if name in ds:
                out[name] = str(ds[name].values[-1])
    for name in ("residual_ledger", "residual_energy_balance", "n_steps", "n_rhs", "wall_time_s"):
        if name in ds.attrs:
            out[name] = float(ds.attrs[name])
    return out


# ================================================================================ results files
def _netcdf_attr(v: Any) -> Any:
    if isinstance(v, bool | np.bool_):
        return int(v)
    if isinstance(v, str | int | float | np.integer | np.floating):
        return v
    if isinstance(v, list | tuple | np.ndarray):
        arr = np.asarray(v)
        if arr.dtype.kind in "iuf" and arr.ndim == 1:
            return arr
    return json.dumps(v, default=str)


def netcdf_engine() -> str:
    """The xarray NetCDF engine to use: h5netcdf when its h5py backend is importable, else
    netCDF4, else scipy (NetCDF3). All three files are read by ``xr.open_dataset``."""
    import importlib.util

    if importlib.util.find_spec("h5netcdf") and importlib.util.find_spec("h5py"):
        return "h5netcdf"
    if importlib.util.find_spec("netCDF4"):
        return "netcdf4"
    if importlib.util.find_spec("scipy"):
        return "scipy"
    from .errors import MissingDependencyError

    raise MissingDependencyError("results.nc: writing NetCDF needs h5netcdf+h5py or netCDF4")


def write_results(ds: xr.Dataset, path: str | Path) -> Path:
    """Write a run to NetCDF (see :func:`netcdf_engine`) atomically: complex variables are stored as
    ``NAME_re``/``NAME_im`` pairs, attrs that NetCDF cannot hold as JSON strings.

    The file is written under a temporary name in the same directory and renamed at the end,
    so an interrupted run never leaves a complete-looking file. Read back with
    :func:`read_results` (or ``xr.open_dataset``, which shows the split pairs).
    """
    path = Path(path)
    out = xr.Dataset(coords={k: v for k, v in ds.coords.items()})
    for name, var in ds.data_vars.items():
        if np.iscomplexobj(var.values):
            out[f"{name}_re"] = (var.dims, var.values.real, {**var.attrs, "complex_part": "re"})
            out[f"{name}_im"] = (var.dims, var.values.imag, {**var.attrs, "complex_part": "im"})
        else:
            out[name] = var
    out.attrs = {k: _netcdf_attr(v) for k, v in ds.attrs.items()}
    tmp = path.with_name(f".{path.name}.partial")
    try:
        out.to_netcdf(tmp, engine=netcdf_engine())
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def read_results(path: str | Path) -> xr.Dataset:
    """Load a results file written by :func:`write_results`, recombining complex variables."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: results file not found")
    with xr.open_dataset(path) as f:
        ds = f.load()
    for name in [n for n in ds.data_vars if str(n).endswith("_re")]:
        base = str(name)[:-3]
        if f"{base}_im" in ds:
            attrs = {k: v for k, v in ds[name].attrs.items() if k != "complex_part"}
            ds[base] = (ds[name].dims, ds[name].values + 1j * ds[f"{base}_im"].values, attrs)
            ds = ds.drop_vars([name, f"{base}_im"])
    return ds
