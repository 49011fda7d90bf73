"""Hostile mutations of the built-in scenarios, for the fuzz tests (hypothesis strategies).

A mutation edits one place of a preset's TOML document: a number replaced by an extreme or
ill-typed value, an expression replaced by junk or an overflowing amplitude, a key removed, an
unknown key added, or a size pushed far beyond what memory allows. The mutated document is
written back with :func:`corrtherm.scenarios.to_toml` (or, for things TOML can only express as
text, such as a byte-order mark, as raw text).
"""

from __future__ import annotations

import copy
import math
import tomllib
from typing import Any

from hypothesis import strategies as st

from corrtherm.scenarios import list_presets, preset_text, to_toml

PRESETS = sorted(list_presets())

#: Values a hostile user puts where a number belongs.
HOSTILE_VALUES: list[Any] = [
    0,
    -1,
    0.0,
    -0.0,
    1e308,
    -1e308,
    1e-320,
    5e-324,
    1e160,
    1e20,
    -1e20,
    1e-20,
    10**20,
    -(10**20),
    2**63,
    True,
    False,
    math.inf,
    -math.inf,
    math.nan,
    "",
    "x",
    "1e400",
    "1e308 * 1e308",
    "nan",
    "inf",
    "0/0",
    "1/0",
    "1e160",
    "-1e300",
    "(((((",
    "sz(A0)",
    "__import__('os')",
    [],
    [1, 2],
    {},
    {"a": 1},
    "9" * 400,
]

#: Text a hostile user puts where an operator expression belongs.
HOSTILE_EXPRESSIONS: list[str] = [
    "",
    " ",
    "((",
    "1e160 * sp(A0)",
    "1e300 * sz(A0)",
    "1e160 * sz(A0) * sz(B0)",
    "sz(A0) ** 1000",
    "sz(A0) ** 64",
    "2 ** 100000",
    "1e308 * 10",
    "nan * sz(A0)",
    "inf * sz(A0)",
    "sz(C0)",
    "sz(A9)",
    "A0",
    "sx(A0) * sx(B0)",
    "sp(A0)",
    "sz(A0) + " * 300 + "sz(A0)",
    "(" * 300 + "1" + ")" * 300,
    "open('x')",
    "lambda: 0",
    "[sz(A0)]",
    "sz(A0).conj()",
    "1 if 1 else 0",
    "0 * sz(A0)",
    "1j * sz(A0)",
    "exp(1000)",
    "sqrt(-1) * sz(A0)",
    "log(0)",
]

#: Whole-document edits (applied to the parsed dict).
SIZE_EDITS: list[tuple[tuple[str, ...], Any]] = [
    (("time", "n_points"), 3000),
    (("time", "n_points"), 10**9),
    (("time", "n_points"), 1),
    (("time", "t_final"), 1e300),
    (("time", "t_final"), 1e12),
    (("time", "t_final"), -1.0),
    (("analyses", "store_states"), True),
    (("analyses", "store_states"), "yes"),
    (("analyses", "plots"), 1),
    (("tolerances", "atol"), 1e-320),
    (("tolerances", "atol"), 1e-300),
    (("tolerances", "rtol"), 1e-16),
    (("tolerances", "method"), "rk4"),
    (("tolerances", "method"), "exact"),
    (("tolerances", "method"), "ode"),
    (("dynamics", "kind"), "open"),
    (("dynamics", "kind"), "closed"),
    (("dynamics", "alpha_A"), 1e308),
    (("state", "kind"), "matrix"),
    (("state", "matrix"), "missing.npy"),
    (("state", "matrix"), "/dev/zero"),
    (("state", "c"), 1e300),
    (("state", "correlation"), "particle-exchange"),
    (("model", "sites", "A0"), "boson-64"),
    (("model", "sites", "A0"), "boson-100000"),
    (("model", "sites", "A0"), "spin-1000000"),
    (("model", "sites", "A0"), {"kind": "boson", "cutof": 6}),
    (("model", "sites", "A0"), {"kind": "boson", "cutoff": True}),
    (("model", "sites", "B7"), "boson-64"),
    (("model", "sites", "C0"), "qubit"),
]


def _numeric_paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _numeric_paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _numeric_paths(v, (*prefix, i))
    elif isinstance(doc, int | float) and not isinstance(doc, bool):
        out.append(prefix)
    elif isinstance(doc, str) and prefix and prefix[0] in ("state", "dynamics", "time"):
        out.append(prefix)  # numbers written as expressions ("beta_A", "pi / (2 * g)")
    return out


def _expression_paths(doc: dict) -> list[tuple]:
    out = [("model", k) for k in ("H_A", "H_B", "V", "N_A", "N_B") if k in doc.get("model", {})]
    st_ = doc.get("state", {})
    if "correlation" in st_:
        out.append(("state", "correlation"))
    for side in ("bath_A", "bath_B"):
        bath = doc.get("dynamics", {}).get(side)
        if isinstance(bath, dict) and isinstance(bath.get("jumps"), list):
            out += [("dynamics", side, "jumps", i) for i in range(len(bath["jumps"]))]
    return out


def _all_paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.append((*prefix, k))
            out += _all_paths(v, (*prefix, k))
    return out


def _set(doc: dict, path: tuple, value: Any) -> None:
    cur = doc
    for k in path[:-1]:
        if isinstance(cur, dict):
            cur = cur.setdefault(k, {})
        else:
            cur = cur[k]
    if isinstance(cur, dict) or (isinstance(cur, list) and isinstance(path[-1], int)):
        cur[path[-1]] = value


def _delete(doc: dict, path: tuple) -> None:
    cur = doc
    for k in path[:-1]:
        cur = cur[k]
    del cur[path[-1]]


def _toml(doc: dict) -> str:
    return to_toml(doc)


@st.composite
def mutated_scenario(draw: st.DrawFn) -> tuple[str, str]:
    """(description, TOML text) of one preset with one or two hostile edits."""
    name = draw(st.sampled_from(PRESETS))
    base = tomllib.loads(preset_text(name))
    doc = copy.deepcopy(base)
    notes = [name]
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(
            st.sampled_from(["number", "expression", "delete", "unknown", "size", "parameter"])
        )
        if kind == "number":
            paths = _numeric_paths(doc)
            if not paths:
                continue
            path = draw(st.sampled_from(paths))
            value = draw(st.sampled_from(HOSTILE_VALUES))
            _set(doc, path, value)
        elif kind == "parameter" and doc.get("parameters"):
            path = ("parameters", draw(st.sampled_from(sorted(doc["parameters"]))))
            value = draw(st.sampled_from(HOSTILE_VALUES))
            _set(doc, path, value)
        elif kind == "expression":
            paths = _expression_paths(doc)
            if not paths:
                continue
            path = draw(st.sampled_from(paths))
            value = draw(st.sampled_from(HOSTILE_EXPRESSIONS))
            _set(doc, path, value)
        elif kind == "delete":
            paths = _all_paths(doc)
            path = draw(st.sampled_from(paths))
            try:
                _delete(doc, path)
            except (KeyError, TypeError):
                continue
            value = "<deleted>"
        elif kind == "unknown":
            tables = [p for p in _all_paths(doc) if isinstance(_get(doc, p), dict)]
            path = (*draw(st.sampled_from(tables or [()])), "cutof")
            value = 6
            _set(doc, path, value)
        else:
            path, value = draw(st.sampled_from(SIZE_EDITS))
            _set(doc, path, value)
        notes.append(f"{'.'.join(map(str, path))}={value!r}"[:80])
    try:
        text = _toml(doc)
    except (TypeError, ValueError):
        text = preset_text(name)
    if draw(st.booleans()) and draw(st.integers(0, 9)) == 0:
        text = "\ufeff" + text  # a UTF-8 byte-order mark, as Windows editors write it
        notes.append("BOM")
    return " ".join(notes), text


def _get(doc: dict, path: tuple) -> Any:
    cur: Any = doc
    for k in path:
        cur = cur[k]
    return cur
