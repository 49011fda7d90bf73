"""One line that lists every problem pydantic found in a scenario, in the scenario's words.

pydantic reports one error per union branch (``Num = float | str`` gives a "valid number" and a
"valid string" error for the same key) and says "Extra inputs are not permitted" for a
misspelt key. Here the branches of one key are merged into the branch that fits the input
(a table is read as a table, not as a string), unknown keys are named with the closest allowed
key ("did you mean `cutoff`?") and every remaining problem is listed, separated by "; ".
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = ["format_validation_error"]

_BRANCH = re.compile(r"^(str|float|int|bool|list\[.*\]|dict\[.*\]|function-.*|union\[.*\])$")


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, list):
        return "an array"
    return repr(v)


def _components(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return [c for a in typing.get_args(tp) for c in _components(a)]
    if origin is typing.Annotated:
        return _components(typing.get_args(tp)[0])
    return [tp]


def _models_in(tp: Any) -> list[type[BaseModel]]:
    out = []
    for c in _components(tp):
        if isinstance(c, type) and issubclass(c, BaseModel):
            out.append(c)
        elif typing.get_origin(c) in (dict, list):
            out += _models_in(typing.get_args(c)[-1])
    return out


def _model_at(root: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The model whose field is loc[-1] (walking field names, dict keys and union tags)."""
    cur: list[Any] = [root]
    for part in loc[:-1]:
        nxt: list[Any] = []
        for tp in cur:
            for c in _components(tp):
                if isinstance(c, type) and issubclass(c, BaseModel):
                    if part == c.__name__:
                        nxt.append(c)
                    elif part in c.model_fields:
                        nxt.append(c.model_fields[part].annotation)
                elif typing.get_origin(c) in (dict, list):
                    nxt.append(typing.get_args(c)[-1])  # a dict key or list index
        if not nxt:
            return None
        cur = nxt
    models = [c for tp in cur for c in _components(tp)]
    models = [c for c in models if isinstance(c, type) and issubclass(c, BaseModel)]
    return models[0] if models else None


def _model_names(root: type[BaseModel]) -> set[str]:
    names, todo = set(), [root]
    while todo:
        m = todo.pop()
        if m.__name__ in names:
            continue
        names.add(m.__name__)
        for f in m.model_fields.values():
            todo += _models_in(f.annotation)
    return names


def _clean(loc: tuple, models: set[str]) -> tuple[tuple, str | None]:
    """(loc without union-branch tags, the last branch tag or None)."""
    out, branch = [], None
    for p in loc:
        s = str(p)
        if isinstance(p, str) and (_BRANCH.match(s) or s in models):
            branch = s
            continue
        out.append(p)
    return tuple(out), branch


def _fits(branch: str | None, value: Any) -> bool:
    """Whether a union branch is the one the input was meant for."""
    if branch is None:
        return True
    if isinstance(value, dict):
        return not _BRANCH.match(branch) or branch.startswith("dict")
    if isinstance(value, list):
        return branch.startswith("list")
    if isinstance(value, str):
        return branch == "str"
    if isinstance(value, bool):
        return branch == "bool"
    return branch in ("float", "int")


def _dotted(loc: tuple) -> str:
    s = ""
    for p in loc:
        s += f"[{p}]" if isinstance(p, int) else (f".{p}" if s else str(p))
    return s


def _describe(e: dict, root: type[BaseModel], loc: tuple) -> str:
    kind = e["type"]
    value = e.get("input")
    if kind == "extra_forbidden":
        model = _model_at(root, e["loc"])
        allowed = list(model.model_fields) if model is not None else []
        key = str(loc[-1]) if loc else "?"
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        keys = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"unknown field{hint}{keys}"
    if kind == "missing":
        return "missing; this key is required"
    msg = _plain(re.sub(r"^(Value|Assertion) error, ", "", e["msg"]))
    if kind.endswith("_type") or kind in ("literal_error", "int_from_float", "bool_parsing"):
        if isinstance(value, bool) and kind != "bool_type":
            msg = f"{msg} (booleans are not numbers)"
        return f"got {_toml(value)}; {msg[0].lower()}{msg[1:]}"
    return msg


def format_validation_error(exc: ValidationError, root: type[BaseModel]) -> str:
    """All problems of ``exc`` as one line: ``loc: problem; loc: problem``."""
    models = _model_names(root)
    groups: dict[tuple, list[tuple[str | None, dict]]] = {}
    for e in exc.errors():
        loc, branch = _clean(tuple(e["loc"]), models)
        groups.setdefault(loc, []).append((branch, e))
    # A failing nested model also yields errors on its ancestors' other branches (the "str"
    # branch of a sites entry that is a table): drop a location when a deeper one explains it.
    locs = sorted(groups, key=len, reverse=True)
    parts = []
    for loc in locs:
        if any(len(o) > len(loc) and o[: len(loc)] == loc for o in groups):
            continue
        errs = groups[loc]
        value = errs[0][1].get("input")
        fitting = [(b, e) for b, e in errs if _fits(b, value)] or errs
        if len({b for b, _ in fitting}) > 1 and all(
            e["type"].endswith("_type") for _, e in fitting
        ):
            kinds = sorted({_kind_word(b) for b, _ in fitting})
            if kinds == ["a number", "a string"]:
                kinds = ["a number or an expression in quotes"]
            text = f"got {_toml(value)}; expected {' or '.join(kinds)}"
            if isinstance(value, bool):
                text += " (booleans are not numbers)"
        else:
            seen: list[str] = []
            for _, e in fitting:
                d = _describe(e, root, loc)
                if d not in seen:
                    seen.append(d)
            text = "; ".join(seen)
        parts.append((_dotted(loc) or "scenario", text))
    order = {_clean(tuple(e["loc"]), models)[0]: k for k, e in enumerate(exc.errors())}
    parts.sort(key=lambda p: min((v for k, v in order.items() if _dotted(k) == p[0]), default=0))
    return "; ".join(f"{loc}: {text}" for loc, text in parts)


_PLAIN = {
    "a valid number": "a number",
    "a valid integer": "an integer",
    "a valid string": "a string",
    "a valid boolean": "true or false",
    "a valid dictionary": "a table",
    "a valid list": "an array",
}


def _plain(msg: str) -> str:
    """pydantic's "Input should be a valid number" as "expected a number"."""
    m = re.match(r"^Input should be (.*)$", msg)
    if not m:
        return msg
    rest = m.group(1)
    for k, v in _PLAIN.items():
        rest = re.sub(rf"^{k}\b", v, rest)
    return f"expected {rest}"


def _kind_word(branch: str | None) -> str:
    words = {"float": "a number", "int": "an integer", "str": "a string", "bool": "true or false"}
    if branch in words:
        return words[str(branch)]
    if branch and branch.startswith("list"):
        return "an array"
    return "a table"
