"""The scenario-file reference and a commented template, generated from the schema.

Everything a user can write in a scenario file is defined in :mod:`~corrtherm.scenarios.schema`
(keys, types, defaults, allowed values, descriptions), :mod:`~corrtherm.open.thermal` (rate
families) and :mod:`~corrtherm.scenarios.expressions` (operator names, functions, constants,
limits). This module turns those definitions into the Markdown page
``docs/reference/scenario-file.md`` (:func:`scenario_reference_markdown`, printed by
``corrtherm show --reference``); :mod:`~corrtherm.scenarios.template` writes the commented
template from the same walk, so the documentation cannot drift from what the loader accepts.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from ..open.thermal import RATE_FAMILIES
from .build import CORRELATION_KINDS
from .expressions import (
    _CONSTANTS,
    _RESERVED,
    _SCALAR_FUNCS,
    MAX_DEPTH,
    MAX_DIMENSION,
    MAX_EXPRESSION_LENGTH,
    MAX_OPERATOR_POWER,
    OPERATOR_MEANINGS,
    SiteSpec,
    _local_table,
)
from .gaussian_schema import GAUSSIAN_NOTES
from .schema import BathSpec, ScenarioSpec, SiteKind

__all__ = ["scenario_reference_markdown", "schema_sections"]

#: The command that regenerates the committed reference page.
REGENERATE = "corrtherm show --reference > docs/reference/scenario-file.md"

_SITE_EXAMPLES = {"qubit": "qubit", "spin": "spin-1", "boson": "boson-4", "fermion": "fermion"}
_FUNCTION_MEANINGS = {
    "sqrt": "square root (complex)",
    "exp": "exponential",
    "log": "natural logarithm",
    "sin": "sine",
    "cos": "cosine",
    "tan": "tangent",
    "sinh": "hyperbolic sine",
    "cosh": "hyperbolic cosine",
    "tanh": "hyperbolic tangent",
    "abs": "modulus",
    "real": "real part",
    "imag": "imaginary part",
    "conj": "complex conjugate",
}
_CONSTANT_MEANINGS = {"pi": "3.14159...", "e": "2.71828...", "i": "imaginary unit", "j": "= i"}


# ================================================================================ the schema walk
def schema_sections() -> list[tuple[str, type[BaseModel], str]]:
    """The TOML tables of a scenario as ``(header, model, description)``, in file order.

    ``header`` is ``""`` for the top level, else the table name (``"dynamics.bath_A"``); the
    tables of nested models (``[dynamics.bath_A]``) follow their parent. ``[parameters]`` and
    ``[model.sites]`` hold free keys and are documented in prose, not here.
    """
    out: list[tuple[str, type[BaseModel], str]] = [("", ScenarioSpec, _doc(ScenarioSpec))]

    def walk(prefix: str, model: type[BaseModel]) -> None:
        for name, field in model.model_fields.items():
            sub = _model_of(field.annotation)
            if sub is not None:
                header = f"{prefix}.{name}" if prefix else name
                out.append((header, sub, field.description or ""))
                walk(header, sub)

    walk("", ScenarioSpec)
    return out


def _doc(model: type[BaseModel]) -> str:
    """The first paragraph of a model's docstring, on one line (what the table is for)."""
    return " ".join(inspect.cleandoc(model.__doc__ or "").split("\n\n")[0].split())


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``annotation`` (``M`` or ``M | None``), else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if _is_union(annotation):
        models = [a for a in typing.get_args(annotation) if _model_of(a) is not None]
        if len(models) == 1 and not any(
            a is not type(None) and a not in models for a in typing.get_args(annotation)
        ):
            return models[0]
    return None


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _scalar_fields(model: type[BaseModel]) -> dict[str, FieldInfo]:
    return {n: f for n, f in model.model_fields.items() if _model_of(f.annotation) is None}


def type_text(field: FieldInfo) -> str:
    """A field's type in words: "number or expression", "operator expression", ..."""
    ann = field.annotation
    args = [a for a in typing.get_args(ann) if a is not type(None)] if _is_union(ann) else [ann]
    syntax = (field.json_schema_extra or {}).get("syntax") if field.json_schema_extra else None
    words = []
    for a in args:
        origin = typing.get_origin(a)
        if a is float and str in args:
            continue
        if a is str and float in args:
            words.append("number or expression")
        elif a is str:
            words.append(str(syntax) if syntax else "string")
        elif a is float:
            words.append("number")
        elif a is int:
            words.append("integer")
        elif a is bool:
            words.append("true or false")
        elif origin is Literal:
            words.append("string")  # the choices are the allowed values
        elif origin is list:
            inner = "operator expressions" if syntax else "strings"
            words.append(f"list of {inner}")
        elif origin is dict:
            key, value = typing.get_args(a)
            words.append("table of name = number" if value is float else "table of label = kind")
        else:  # pragma: no cover - a new annotation must get words here
            raise TypeError(f"no words for the type {a!r} of a scenario field")
    return " or ".join(words)


def default_text(field: FieldInfo) -> str:
    """A field's default as it would be written in TOML, or "required" / "unset"."""
    if field.is_required():
        return "required"
    value = field.default
    if value is PydanticUndefined:
        value = field.default_factory()  # type: ignore[misc]
    if value is None:
        return "unset"
    if isinstance(value, BaseModel):
        return "(table)"
    return _toml(value)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, float) and (abs(value) >= 1e5 or 0 < abs(value) < 1e-3):
        return f"{value:g}"
    return repr(value)


def allowed_text(field: FieldInfo) -> str:
    """Allowed values: Literal choices or numeric bounds from the field's constraints."""
    ann = field.annotation
    for a in typing.get_args(ann) if _is_union(ann) else (ann,):
        if typing.get_origin(a) is Literal:
            return ", ".join(f'"{v}"' for v in typing.get_args(a))
    bounds = []
    for m in field.metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if isinstance(m, getattr(annotated_types, attr.capitalize())):
                bounds.append(f"{sym} {_toml(getattr(m, attr))}")
    return " and ".join(bounds)


# ============================================================================ the reference page
def _escape(text: str) -> str:
    """Markdown-safe prose: ``<`` outside code spans would start an HTML tag."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(p if k % 2 else p.replace("<", "&lt;") for k, p in enumerate(parts))


def _cell(text: str) -> str:
    """Text for a table cell: one line, pipes escaped, ``<`` escaped outside code."""
    return _escape(" ".join(text.split())).replace("|", "\\|")


def _field_table(model: type[BaseModel]) -> list[str]:
    rows = [
        "| key | type | default | allowed | description |",
        "|---|---|---|---|---|",
    ]
    for name, f in _scalar_fields(model).items():
        default = default_text(f)
        default = default if default in ("required", "unset") else f"`{default}`"
        rows.append(
            f"| `{name}` | {_cell(type_text(f))} | {default} | "
            f"{_cell(allowed_text(f)) or '—'} | {_cell(f.description or '')} |"
        )
    return rows


def _rate_table() -> list[str]:
    rows = ["| rate | γ(ω) | notes |", "|---|---|---|"]
    for fam in RATE_FAMILIES.values():
        rows.append(f'| `"{fam.name}"` | `{fam.formula}` | {_cell(fam.note)} |')
    return rows


def _operator_tables() -> list[str]:
    out = []
    for kind, example in _SITE_EXAMPLES.items():
        dim = {"spin": 3, "boson": 4}.get(kind, 2)
        names = list(_local_table(SiteSpec("A0", kind, dim, 1.0 if kind == "spin" else 0.5)))
        meanings = OPERATOR_MEANINGS[kind]
        missing = sorted(set(names) ^ set(meanings))
        if missing:
            raise KeyError(f"OPERATOR_MEANINGS[{kind!r}] does not match the operators: {missing}")
        out += [f'**{kind}** (e.g. `A0 = "{example}"`)', "", "| operator | meaning |"]
        out += ["|---|---|"] + [f"| `{n}(A0)` | {_cell(meanings[n])} |" for n in names] + [""]
    return out


def scenario_reference_markdown() -> str:
    """The scenario-file reference (Markdown), generated from the schema and the code.

    Every table of :func:`schema_sections` with every key's type, default, allowed values and
    description; the ``[parameters]`` and ``[model.sites]`` rules; the rate families of
    :data:`corrtherm.open.RATE_FAMILIES` with their formulas; the operator-expression language
    (site kinds and their local operators, functions, constants, ``h.c.``, Jordan-Wigner
    strings, limits); loading a state from ``.npy``; and the commented template. This is the
    page ``docs/reference/scenario-file.md`` and the output of ``corrtherm show --reference``.
    """
    # the template module builds on this one's schema walk, so it is imported here, not above
    from .template import scenario_template_toml

    sections = {h: (m, d) for h, m, d in schema_sections()}
    L: list[str] = [
        "# Scenario-file reference",
        "",
        "<!-- Generated by corrtherm.scenarios.reference.scenario_reference_markdown() from the",
        f"     pydantic schema; do not edit. Regenerate with: {REGENERATE} -->",
        "",
        "A scenario is a TOML file that describes a bipartite quantum system A+B, its initial",
        "state, its dynamics and what to compute. Run one with `corrtherm run FILE.toml`; start",
        "from the commented template (`corrtherm show --template > my-scenario.toml`, shown",
        "[at the end of this page](#template)) or from a preset (`corrtherm presets`,",
        "`corrtherm show NAME`). Unknown keys are errors, so a misspelt key never passes",
        "silently. This page is generated from the schema that validates the files",
        "(`corrtherm.scenarios.schema`), so it lists exactly what the loader accepts.",
        "",
        "Numbers may be written as TOML numbers or as expressions in quotes that use the",
        '`[parameters]` (`t_final = "pi / (2 * g)"`); fields of type "number" (not "number or',
        'expression") take TOML numbers only.',
        "",
        "## Tables at a glance",
        "",
        "| table | what it holds |",
        "|---|---|",
        "| top level | " + _cell(_doc(ScenarioSpec)) + " |",
        "| `[parameters]` | Named numbers used in expressions; the axes of sweeps. |",
    ]
    for header, (model, desc) in sections.items():
        if header:
            what = f"{desc} {_doc(model)}" if "." in header else _doc(model)
            L.append(f"| `[{header}]` | {_cell(what)} |")
        if header == "model":
            L.append(
                "| `[model.sites]` | Site label = kind (may be an inline table in `[model]`). |"
            )
    L += [""]

    shown: set[type[BaseModel]] = set()
    for header, (model, _desc) in sections.items():
        if model in shown:  # [dynamics.bath_B] is documented with [dynamics.bath_A]
            continue
        shown.add(model)
        same = [f"[{h}]" for h, (m, _) in sections.items() if m is model and h]
        title = " and ".join(same) if header else "Top level"
        L += [f"## {title}", "", _escape(_doc(model)), ""]
        if header == "":
            L += _field_table(model) + [""] + _parameters_section()
            continue
        L += _field_table(model) + [""]
        if header == "model":
            L += _sites_section()
        elif header == "state":
            L += _state_section()
        elif header == "dynamics":
            L += _dynamics_section()
        elif model is BathSpec:
            L += _rates_section()
        L += GAUSSIAN_NOTES if header == "gaussian" else []
    L += _expressions_section()
    L += [
        "## Template",
        "",
        "`corrtherm show --template` prints this scenario: every key with its description, "
        "default and allowed values as comments. It validates and runs as it is.",
        "",
        "```toml",
        scenario_template_toml().rstrip("\n"),
        "```",
        "",
    ]
    return "\n".join(L)


def _parameters_section() -> list[str]:
    reserved = ", ".join(f"`{r}`" for r in sorted(_RESERVED - {"_hc_"}))
    return [
        "## [parameters]",
        "",
        "Named numbers: `name = value`, one per line. A name is an identifier (a letter, then",
        "letters, digits or `_`); values are TOML numbers (integers are read as floats) and",
        "must be finite. Every expression in the file may use them by name, in numbers",
        '(`beta_A = "beta"`, `t_final = "pi / (4 * kappa)"`) and in operators',
        '(`V = "g * sz(A0) * sz(B0)"`). `corrtherm sweep --grid NAME=START:STOP:NUM` and',
        "`--random NAME=LOW:HIGH` vary them: the sweep rewrites this table, so only names",
        "declared here can be swept.",
        "",
        f"Reserved names (constants and the correlation bounds): {reserved}, and site labels",
        "such as `A0`, `B1`. Operator and function names stay usable as parameter names",
        "(a parameter `c` next to the operator `c(A0)`): an operator is always called with a",
        "site, a parameter never is.",
        "",
    ]


def _sites_section() -> list[str]:
    return (
        [
            "### [model.sites]",
            "",
            "`sites` maps each site label to its kind, usually as an inline table:",
            '`sites = { A0 = "qubit", A1 = "qubit", B0 = "boson-6" }`. Labels are `A` or `B`',
            "followed by an index (`A0`, `A1`, ..., `B0`, ...); A needs at least one site and so",
            "does B. Sites are ordered A0, A1, ..., B0, B1, ... in the tensor product, whatever the",
            'order in the file. A kind is a string (`"qubit"`, `"fermion"`, `"spin-<j>"` such',
            'as `"spin-1"` or `"spin-3/2"`, `"boson-<cutoff>"` such as `"boson-6"`) or a',
            "table with these keys:",
            "",
        ]
        + _field_table(SiteKind)
        + [
            "",
            f"The total dimension (product of the site dimensions) may be at most {MAX_DIMENSION}.",
            "",
        ]
    )


def _state_section() -> list[str]:
    kinds = ", ".join(f'`"{k}"`' for k in CORRELATION_KINDS)
    return [
        "### Thermal states with correlations",
        "",
        'With `kind = "thermal"` the initial state is',
        "ρ(0) = γ_A ⊗ γ_B + c χ, γ_X = exp(−β_X (H_X − μ_X N_X)) / Z_X (paper 2, Eq. 16):",
        "the marginals are exactly thermal and χ (`correlation`) correlates A and B. The",
        "admissible c form an exact interval [c_min, c_max] (`corrtherm check` prints it);",
        '`c` may use `c_min` and `c_max`, e.g. `c = "0.9 * c_max"`.',
        "",
        "### Named correlation kinds",
        "",
        f"Instead of an expression, `correlation` may name one of: {kinds}.",
        "",
        '- `"particle-exchange"`: coherences that move one particle from B to A between',
        "  thermal sectors, χ = Σ w e^{i phase} |a′, b′⟩⟨a, b| + h.c. with n(a′) = n(a) + 1,",
        "  n(b′) = n(b) − 1 and weights w = √(p_a p_b p_a′ p_b′) (p the thermal populations), so",
        "  the admissible interval of c stays finite even for truncated bosons. Needs `N_A`,",
        "  `N_B`; `phase` sets the phase (see `corrtherm.particle_exchange_coherence`).",
        "",
        "### Loading a state from a .npy file",
        "",
        "Any initial state can be given as a NumPy array saved with `numpy.save`:",
        "",
        "```python",
        "import numpy as np",
        "",
        'np.save("rho0.npy", rho0)  # shape (d, d), d = d_A * d_B, site order A0, A1, ..., B0, ...',
        "```",
        "",
        "```toml",
        "[state]",
        'kind = "matrix"',
        'matrix = "rho0.npy"   # relative to the scenario file',
        "```",
        "",
        'The key is `matrix` (not `file`) and needs `kind = "matrix"`; the array must be',
        "Hermitian with unit trace and no negative eigenvalue (checked). `beta_A`, `beta_B`,",
        "`mu_A`, `mu_B` are not used for the state, so give the reference temperatures of the",
        "flow analysis in `[analyses]` if you want it.",
        "",
    ]


def _dynamics_section() -> list[str]:
    return [
        'With `kind = "open"` the state follows d ρ/dt = −i[H, ρ] + L_A[ρ] + L_B[ρ] (paper 1,',
        "Eq. 1); each bath is a table `[dynamics.bath_A]` / `[dynamics.bath_B]` (or an inline",
        'table `bath_A = { beta = 1.0, rate = "fermi" }`). A thermal bath at inverse',
        "temperature β has one jump √γ(E_m − E_n) |m⟩⟨n| for every ordered pair of",
        "eigenstates of the bare local Hamiltonian (paper 1, Eq. 12); the rate families below",
        "obey detailed balance γ(ω) = γ(−ω) e^{−βω} (Eq. 13), so exp(−β H_X)/Z is steady. The",
        "local spectrum must be non-degenerate (a degenerate level makes the jumps",
        "basis-dependent: lift the degeneracy or give explicit `jumps`). Heat currents are",
        "positive when they flow into the system.",
        "",
    ]


def _rates_section() -> list[str]:
    return (
        [
            "### Rate families",
            "",
            "The `rate` of a thermal bath; ω = E_m − E_n is the energy the system gains in the",
            "jump n → m. All families satisfy γ(ω) / γ(−ω) = e^{−βω} (paper 1, Eq. 13). The same",
            "names are accepted by `corrtherm.thermal_jumps(H, beta, rate=...)`, which also takes",
            "a Python callable γ(ω) (checked for detailed balance).",
            "",
        ]
        + _rate_table()
        + [""]
    )


def _expressions_section() -> list[str]:
    funcs = ", ".join(f"`{f}`" for f in _SCALAR_FUNCS)
    missing = set(_SCALAR_FUNCS) ^ set(_FUNCTION_MEANINGS)
    if missing or set(_CONSTANTS) ^ set(_CONSTANT_MEANINGS):
        raise KeyError(f"document the expression names {sorted(missing)}")
    return (
        [
            "## Operator expressions",
            "",
            "Operators (`H_A`, `H_B`, `V`, `N_A`, `N_B`, `correlation`, `jumps`) and numbers are",
            'written as expressions such as `"g * sz(A0) * sz(B0)"` or',
            '`"kappa * (cdag(A0) * c(B0) + h.c.)"`. The text is parsed and walked with a strict',
            "whitelist, never evaluated as Python, so a scenario file cannot run code.",
            "",
            "- **Local operators** are called on a site label: `sz(A0)`, `adag(B1)`. Each site kind",
            "  has its own operators (tables below); a product `sz(A0) * sz(B0)` is the operator",
            "  product on the full space, so `sz(A0) * sz(A0)` is the identity.",
            "- **Arithmetic**: `+ - * /` and `**` (an operator to an integer power 0 to "
            f"{MAX_OPERATOR_POWER};",
            "  a number to any power); division only by numbers; parentheses.",
            "- **Numbers**: literals (`0.5`, `1e-3`, `2j`), `[parameters]` names, the constants "
            + ", ".join(f"`{k}` ({v})" for k, v in _CONSTANT_MEANINGS.items())
            + ".",
            f"- **Functions of numbers**: {funcs} (complex-valued; a real field must come out",
            '  real), e.g. `"sqrt(gamma0) * exp(-beta * omega / 2) * sp(A0)"`.',
            "- **`h.c.`** after `+` or `-` adds or subtracts the Hermitian conjugate of everything",
            '  before it in the same sum: `"g * (sp(A0) * sm(B0) + h.c.)"`. `dag(x)` is the',
            "  conjugate of one term.",
            "- **Checks**: Hamiltonians, `V`, numbers and `correlation` must be Hermitian (the error",
            "  suggests a missing `+ h.c.`); `H_A`, `N_A` and jumps of `bath_A` may only use sites",
            "  of A (likewise for B); a correlation operator must have vanishing partial traces.",
            f"- **Limits**: an expression has at most {MAX_EXPRESSION_LENGTH} characters and",
            f"  nesting depth {MAX_DEPTH}.",
            "",
            "### Site kinds and their operators",
            "",
            "σ_z = diag(1, −1) on |0⟩, |1⟩; for occupations (`n`, fermions) |1⟩ is occupied.",
            "",
        ]
        + _operator_tables()
        + [
            "### Fermions and the Jordan–Wigner string",
            "",
            "`fermion` sites are modes of one fermionic system: `c` and `cdag` of a mode carry a",
            "string σ_z ⊗ ... ⊗ σ_z through all fermionic modes before it in the order A0, A1, ...,",
            "B0, B1, ..., so operators of different modes anticommute, across the cut too. A",
            "fermion-number-conserving term like `cdag(A0) * c(B0)` is an ordinary operator on",
            "A ⊗ B; a single `c(B0)` is not local to B (its string runs through A), which is why",
            "jumps of `bath_B` may not be odd in fermion operators when A has fermionic modes.",
            "",
        ]
    )
