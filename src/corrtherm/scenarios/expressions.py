"""Operator expressions of scenario files, parsed with an AST whitelist (never evaluated).

``"g * sz(A0) * sz(B0)"`` or ``"kappa * (cdag(A0) * c(B0) + h.c.)"``: the text is parsed with
:func:`ast.parse` in ``eval`` mode and walked with a strict whitelist of node types; file text
is never passed to ``eval``/``exec``. Names are parameters, constants (pi, e, i, j), scalar
functions, or local operators applied to a site label (A0, A1, ..., B0, ...).

Fermionic modes (``fermion`` sites) use a Jordan-Wigner string through all fermionic modes that
come earlier in the order A0, A1, ..., B0, B1, ... (all A modes before B modes, as in
:func:`corrtherm.bipartite_fermions`), so A and B fermions anticommute across the cut.
"""

from __future__ import annotations

import ast
import cmath
import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce
from typing import Any, Literal

import numpy as np

from ..core.errors import CorrthermError, ScenarioError
from ..core.operators import (
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

__all__ = ["SiteSpec", "ExpressionError", "parse_expression", "evaluate_expression"]

#: Longest expression accepted (characters); longer text is refused before parsing.
MAX_EXPRESSION_LENGTH = 4000
#: Deepest expression tree walked; deeper trees are refused (no recursion blow-ups).
MAX_DEPTH = 200
#: Largest integer power of an operator.
MAX_OPERATOR_POWER = 64
#: Largest Hilbert-space dimension a scenario may build: a run also checks conditions and
#: builds plots and summaries on dense d x d matrices; the Python API goes further.
MAX_DIMENSION = 256

_RESERVED = {"pi", "e", "i", "j", "hc", "_hc_", "c_min", "c_max"}
_HC = "_hc_"


# ============================================================================ sites and operators
@dataclass(frozen=True)
class SiteSpec:
    """One site: label like ``A0``/``B1``, its kind, Hilbert dimension and spin j (spins).

    ``side`` is the first letter of the label and ``index`` the number; the tensor order of a
    scenario is A0, A1, ..., B0, B1, ....
    """

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


#: What each local operator of :func:`_local_table` is, per site kind (documentation; a test
#: checks that every operator of the table is described here and nothing else).
OPERATOR_MEANINGS: dict[str, dict[str, str]] = {
    "qubit": {
        "sx": "Pauli X",
        "sy": "Pauli Y",
        "sz": "Pauli Z = diag(1, -1) = |0><0| - |1><1|",
        "sp": "sigma_+ = |0><1| (raises sz from -1 to +1)",
        "sm": "sigma_- = |1><0|",
        "n": "|1><1| = (1 - sz) / 2",
        "id": "identity",
    },
    "spin": {
        "jx": "J_x",
        "jy": "J_y",
        "jz": "J_z = diag(j, j - 1, ..., -j)",
        "jp": "J_+ = J_x + i J_y",
        "jm": "J_- = J_x - i J_y",
        "id": "identity",
    },
    "boson": {
        "a": "annihilator a|n> = sqrt(n) |n-1> (truncated at the cutoff)",
        "adag": "creator a^dag",
        "n": "number operator diag(0, 1, ..., cutoff - 1)",
        "x": "quadrature (a + a^dag) / sqrt(2)",
        "p": "quadrature -i (a - a^dag) / sqrt(2)",
        "id": "identity",
    },
    "fermion": {
        "c": "annihilator |0><1| (|1> occupied) with the Jordan-Wigner string of earlier modes",
        "cdag": "creator c^dag, with the same string",
        "n": "occupation c^dag c = |1><1| (no string)",
        "id": "identity",
    },
}

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
    """An operator expression could not be parsed or evaluated (message without location).

    A :class:`~corrtherm.core.errors.ScenarioError`; the scenario loader prefixes the file and the
    key. The message suggests the closest known name ("did you mean ...") where it can.
    """


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
