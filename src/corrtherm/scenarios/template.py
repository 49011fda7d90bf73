"""The commented scenario template printed by ``corrtherm show --template``.

Every key of the schema appears with its description, type, allowed values and default (from
the same walk over the pydantic models as the reference page, :mod:`.reference`); keys unset by
default are commented out with an example, and the template itself validates and runs.
"""

from __future__ import annotations

import textwrap

from pydantic.fields import FieldInfo

from ..open.thermal import RATE_FAMILIES
from .gaussian_schema import GAUSSIAN_TEMPLATE, commented_out
from .reference import (
    _doc,
    _scalar_fields,
    allowed_text,
    default_text,
    schema_sections,
    type_text,
)
from .schema import BathSpec, ScenarioSpec

__all__ = ["scenario_template_toml"]


#: Example values of the template (everything else is written as its default).
_TEMPLATE_VALUES: dict[str, str] = {
    "title": '"Two qubits with local thermal baths (template)"',
    "description": '"""\nA hot and a cold qubit coupled by exchange, started thermal with a correlation\n'
    'sx sx; edit anything and run it with `corrtherm run my-scenario.toml`.\n"""',
    "model.sites": '{ A0 = "qubit", B0 = "qubit" }',
    "model.H_A": '"omega_A * sz(A0)"',
    "model.H_B": '"omega_B * sz(B0)"',
    "model.V": '"g * (sp(A0) * sm(B0) + h.c.)"',
    "state.beta_A": '"beta_A"',
    "state.beta_B": '"beta_B"',
    "state.correlation": '"sx(A0) * sx(B0)"',
    "state.c": '"0.5 * c_max"',
    "dynamics.kind": '"open"',
    "dynamics.bath_A.beta": '"beta_A"',
    "dynamics.bath_A.gamma0": '"gamma0"',
    "dynamics.bath_B.beta": '"beta_B"',
    "dynamics.bath_B.gamma0": '"gamma0"',
    # a coupling makes the template ready for `approach = "global"` and `corrtherm compare`
    "dynamics.bath_A.coupling": '"sx(A0)"',
    "dynamics.bath_B.coupling": '"sx(B0)"',
    "time.t_final": "5.0",
    "time.n_points": "51",
}
#: Examples for keys the template leaves commented out (unset by default).
_TEMPLATE_COMMENTED: dict[str, str] = {
    "model.N_A": '"n(A0)"',
    "model.N_B": '"n(B0)"',
    "state.matrix": '"rho0.npy"',
    "dynamics.bath_A.jumps": '["sqrt(gamma0) * sm(A0)"]',
    "dynamics.bath_B.jumps": '["sqrt(gamma0) * sm(B0)"]',
    "dynamics.bath_A.rate": '"ohmic"',
    "dynamics.bath_B.rate": '"ohmic"',
    **GAUSSIAN_TEMPLATE,  # dynamics.bath_X.mu and the keys of [gaussian]
    "analyses.beta_A": '"beta_A"',
    "analyses.beta_B": '"beta_B"',
    "analyses.mu_A": "0.0",
    "analyses.mu_B": "0.0",
    "analyses.entropic_split": "true",
}
_TEMPLATE_PARAMETERS = [
    ("omega_A", "1.0", "H_A = omega_A sz: energies +-omega_A, level splitting 2 omega_A"),
    ("omega_B", "1.0", "H_B = omega_B sz (resonant with A: [H_A + H_B, V] = 0)"),
    ("g", "0.1", "exchange coupling"),
    ("beta_A", "0.5", "inverse temperature of A and its bath (hot)"),
    ("beta_B", "2.0", "inverse temperature of B and its bath (cold)"),
    ("gamma0", "0.2", "bath coupling rate"),
]


def _comment(text: str, width: int = 96) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), width, initial_indent="# ", subsequent_indent="# ")


def _field_lines(path: str, name: str, field: FieldInfo) -> list[str]:
    lines = _comment(field.description or "")
    facts = [f"type: {type_text(field)}", f"default: {default_text(field)}"]
    if allowed := allowed_text(field):
        facts.insert(1, f"allowed: {allowed}")
    lines += _comment("; ".join(facts))
    key = f"{path}.{name}" if path else name
    if key in _TEMPLATE_VALUES:
        lines.append(f"{name} = {_TEMPLATE_VALUES[key]}")
    elif key in _TEMPLATE_COMMENTED:
        lines.append(f"# {name} = {_TEMPLATE_COMMENTED[key]}")
    elif field.is_required():  # pragma: no cover - every required key needs a template value
        raise KeyError(f"the template needs a value for the required key {key}")
    else:
        lines.append(f"{name} = {default_text(field)}")
    return lines


def scenario_template_toml() -> str:
    """A scenario with every key of the schema, commented, that validates and runs.

    Two qubits with exchange coupling, each with its own thermal bath, started in thermal
    marginals plus a correlation c sx (x) sx. Every key appears with its description, type,
    allowed values and default as comments; keys that are unset by default are commented out
    with an example. Printed by ``corrtherm show --template``.
    """
    out = [
        "# corrtherm scenario template: every key with its meaning, type, allowed values and",
        "# default. Keys left unset are commented out with an example. The full reference:",
        "# `corrtherm show --reference` or docs/reference/scenario-file.md.",
        "",
    ]
    for name, field in _scalar_fields(ScenarioSpec).items():
        if name != "parameters":
            out += _field_lines("", name, field)
    out += ["", "[parameters]"]
    out += _comment(ScenarioSpec.model_fields["parameters"].description or "")
    width = max(len(f"{n} = {v}") for n, v, _ in _TEMPLATE_PARAMETERS)
    out += [f"{f'{n} = {v}':<{width}}  # {c}" for n, v, c in _TEMPLATE_PARAMETERS]
    for header, model, desc in schema_sections()[1:]:
        out += ["", f"[{header}]"] + _comment(_doc(model))
        if "." in header:  # a nested table: which one it is (bath_A or bath_B)
            out += _comment(desc)
        if model is BathSpec:
            out += _comment(
                "Rate families: "
                + "; ".join(f'"{f.name}": {f.formula}' for f in RATE_FAMILIES.values())
            )
        for name, field in _scalar_fields(model).items():
            out += [""] + _field_lines(header, name, field)
    return commented_out("\n".join(out) + "\n")  # [gaussian]: the alternative to [model]
