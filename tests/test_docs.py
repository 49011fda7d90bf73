"""The documentation cannot drift from the code.

- The scenario-file reference (docs/reference/scenario-file.md) is generated from the pydantic
  schema: the committed page must equal the generator's output, and every field of the schema,
  found here by walking the models independently of the generator, must be documented in it
  and in the template with a description.
- The documented rate-family formulas are evaluated and compared with the implementation.
- The template scenario (``corrtherm show --template``) validates and runs.
- Every public function and class has a real docstring; every public module is in the API
  reference.
"""

from __future__ import annotations

import importlib
import inspect
import re
import shlex
import types
import typing
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

import corrtherm
from corrtherm.cli import app
from corrtherm.open.thermal import RATE_FAMILIES, RATE_FUNCTIONS, thermal_rate
from corrtherm.scenarios import load_scenario, run_scenario
from corrtherm.scenarios.expressions import (
    OPERATOR_MEANINGS,
    SiteSpec,
    _local_table,
    evaluate_expression,
)
from corrtherm.scenarios.reference import REGENERATE, scenario_reference_markdown
from corrtherm.scenarios.schema import BathSpec, ScenarioSpec, SiteKind
from corrtherm.scenarios.template import scenario_template_toml

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_PAGE = ROOT / "docs" / "reference" / "scenario-file.md"
API_DIR = ROOT / "docs" / "api"


# ============================================================ schema walk (independent of the generator)
def _nested_model(annotation) -> type[BaseModel] | None:
    args = (
        typing.get_args(annotation)
        if typing.get_origin(annotation)
        in (
            typing.Union,
            types.UnionType,
        )
        else (annotation,)
    )
    for a in args:
        if isinstance(a, type) and issubclass(a, BaseModel):
            return a
    return None


def schema_fields() -> list[tuple[str, str, object]]:
    """(table, key, FieldInfo) for every scalar key of every table, plus the site table."""
    out = []

    def walk(table: str, model: type[BaseModel]) -> None:
        for key, field in model.model_fields.items():
            sub = _nested_model(field.annotation)
            if sub is None:
                out.append((table, key, field))
            else:
                walk(f"{table}.{key}" if table else key, sub)

    walk("", ScenarioSpec)
    out += [("model.sites", key, f) for key, f in SiteKind.model_fields.items()]
    return out


def _section(text: str, table: str) -> str:
    """The part of the reference page under the heading that names ``[table]``."""
    if table == "":
        heading = "## Top level"
    else:
        heading = next(
            (h for h in re.findall(r"^#{2,3} .*$", text, flags=re.M) if f"[{table}]" in h), None
        )
        assert heading, f"the reference has no heading for [{table}]"
    start = text.index(heading)
    nxt = re.search(r"^## ", text[start + len(heading) :], flags=re.M)
    return text[start : start + len(heading) + (nxt.start() if nxt else len(text))]


def test_reference_page_is_the_generated_one():
    assert REFERENCE_PAGE.read_text(encoding="utf-8") == scenario_reference_markdown(), (
        f"docs/reference/scenario-file.md is stale; regenerate it: {REGENERATE}"
    )


def test_every_schema_field_is_documented_in_the_reference():
    text = scenario_reference_markdown()
    fields = schema_fields()
    assert len(fields) > 30
    for table, key, field in fields:
        assert field.description and len(field.description.split()) >= 4, (
            f"[{table}] {key}: give the field a Field(description=...)"
        )
        row = re.search(rf"^\| `{re.escape(key)}` \|(.*)\|$", _section(text, table), flags=re.M)
        assert row, f"[{table}] {key} is missing from the scenario-file reference"
        shown = row.group(1).replace("\\|", "|").replace("&lt;", "<")
        assert " ".join(field.description.split()) in shown, f"[{table}] {key}: description"
        for choice in typing.get_args(field.annotation):
            if isinstance(choice, str):  # Literal choices are the allowed values
                assert f'"{choice}"' in shown, f"[{table}] {key}: {choice!r} not listed"


def test_every_schema_field_is_in_the_template():
    tpl = scenario_template_toml()
    tables = {"": tpl.split("\n[", 1)[0]}
    # tables may be commented out ("# [gaussian]": the alternative to [model])
    for block in re.split(r"^(?:# )?\[(?=[\w.]+\]$)", tpl, flags=re.M)[1:]:
        name, _, body = block.partition("]")
        tables[name] = body
    for table, key, _ in schema_fields():
        if table == "model.sites":  # the template uses the string form of a site kind
            continue
        if (table, key) == ("", "parameters"):  # a table of its own
            assert "\n[parameters]\n" in tpl
            continue
        body = tables.get(table)
        assert body is not None, f"the template has no [{table}] table"
        assert re.search(rf"^(# )?{re.escape(key)} = ", body, flags=re.M), (
            f"[{table}] {key} is missing from the template"
        )


def test_template_validates_and_runs(tmp_path):
    text = scenario_template_toml().replace("n_points = 51", "n_points = 6")
    scen = load_scenario(text)
    assert scen.spec.dynamics.kind == "open"
    ds = run_scenario(scen)
    # U(t) - U(0) = Q_A + Q_B (no work: H is constant) and the ledger closes
    assert ds.attrs["residual_energy_balance"] < 1e-10
    assert ds.attrs["residual_ledger"] < 1e-12
    # rho(0) = gamma_A (x) gamma_B + c sx sx: the marginals start exactly thermal
    bA = scen.spec.parameters["beta_A"]
    w = scen.spec.parameters["omega_A"]
    p0 = np.exp(-bA * w) / (2 * np.cosh(bA * w))  # |0> has energy +omega_A
    np.testing.assert_allclose(ds["rho_A"].values[0].real, np.diag([p0, 1 - p0]), atol=1e-12)


def test_show_template_and_reference_from_the_command_line():
    runner = CliRunner()
    r = runner.invoke(app, ["show", "--template"])
    assert r.exit_code == 0 and r.stdout == scenario_template_toml()
    r = runner.invoke(app, ["show", "--reference"])
    assert r.exit_code == 0 and r.stdout == scenario_reference_markdown()
    r = runner.invoke(app, ["show"])
    assert r.exit_code == 2 and "--template" in r.stderr
    for cmd in ("run", "show"):
        help_text = runner.invoke(app, [cmd, "--help"]).stdout
        assert "--reference" in help_text and "--template" in help_text


# ========================================================================= rate families, operators
def test_rate_family_formulas_are_the_implemented_rates():
    assert set(RATE_FAMILIES) == set(RATE_FUNCTIONS)
    # Literal[...] | None: unset means the bath's default family (see BathSpec.rate_family)
    (literal,) = [
        a
        for a in typing.get_args(BathSpec.model_fields["rate"].annotation)
        if typing.get_origin(a) is typing.Literal
    ]
    assert set(typing.get_args(literal)) == set(RATE_FAMILIES)
    omegas = np.array([-3.0, -0.7, 0.4, 2.5])
    for beta, gamma0 in [(0.5, 1.0), (2.0, 0.3)]:
        for fam in RATE_FAMILIES.values():
            documented = [
                evaluate_expression(fam.formula, {"omega": w, "beta": beta, "gamma0": gamma0})
                for w in omegas
            ]
            np.testing.assert_allclose(
                thermal_rate(omegas, beta, fam.name, gamma0), np.real(documented), rtol=1e-13
            )
            # the docstring shows the same formula
            assert f'"{fam.name}": gamma(omega) = {fam.formula}' in thermal_rate.__doc__


def test_every_local_operator_is_described():
    for kind, dim in (("qubit", 2), ("spin", 3), ("boson", 4), ("fermion", 2)):
        names = set(_local_table(SiteSpec("A0", kind, dim, 1.0)))
        assert names == set(OPERATOR_MEANINGS[kind]), kind
        text = scenario_reference_markdown()
        table = text[text.index(f"**{kind}**") :].split("\n\n")[1]
        for name in names:
            assert f"| `{name}(A0)` |" in table, (kind, name)


# ================================================================================== docstrings
PUBLIC_NAMESPACES = [
    "corrtherm",
    "corrtherm.core",
    "corrtherm.open",
    "corrtherm.isolated",
    "corrtherm.isolated.models",
    "corrtherm.isolated.extremal",
    "corrtherm.gaussian",
    "corrtherm.scenarios",
    "corrtherm.scenarios.reference",
    "corrtherm.sweeps",
    "corrtherm.plotting",
    "corrtherm.reproduce",
    "corrtherm.cli",
]
#: modules whose functions compute the papers' quantities: the docstring states the formula
#: (operator builders and state utilities in core.operators / core.states are generic)
PAPER_MODULES = (
    "corrtherm.core.energy",
    "corrtherm.core.information",
    "corrtherm.core.trajectory",
    "corrtherm.open.",
    "corrtherm.isolated.",
    "corrtherm.gaussian.",
)


def _public_objects():
    seen = {}
    for ns in PUBLIC_NAMESPACES:
        mod = importlib.import_module(ns)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                seen.setdefault(id(obj), (f"{ns}.{name}", obj))
    return sorted(seen.values(), key=lambda t: t[0])


PUBLIC = _public_objects()


@pytest.mark.parametrize("name,obj", PUBLIC, ids=[n for n, _ in PUBLIC])
def test_public_docstring(name, obj):
    doc = inspect.getdoc(obj) or ""
    if inspect.isclass(obj) and doc == inspect.getdoc(obj.__mro__[1]):
        doc = ""  # inherited from the base class: not written for this one
    lines = [ln for ln in doc.splitlines() if ln.strip()]
    assert len(lines) >= 2, f"{name}: write a docstring of at least two lines (what, how, refs)"
    if inspect.isfunction(obj) and obj.__module__.startswith(PAPER_MODULES):
        assert re.search(r"=|Eq\.|Eqs\.|paper", doc), f"{name}: state the formula or equation"


# ================================================================================= API reference
def _public_modules() -> list[str]:
    pkg = Path(corrtherm.__file__).parent
    out = []
    for path in sorted(pkg.rglob("*.py")):
        parts = path.relative_to(pkg).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not parts or any(p.startswith("_") for p in parts):
            continue
        out.append(".".join(("corrtherm", *parts)))
    return out


def test_every_public_module_is_in_the_api_reference():
    documented = set()
    for page in API_DIR.glob("*.md"):
        documented |= set(re.findall(r"^::: (corrtherm[\w.]*)", page.read_text(), flags=re.M))
    missing = [m for m in _public_modules() if m not in documented]
    assert not missing, f"add these modules to a page of docs/api/: {missing}"


# ===================================================================== README, CI and the pages
def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = next(ln for ln in readme.splitlines() if ln.startswith('pip install -e ".[test'))
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for step in command.split("&&"):
        step = step.strip().replace("pip install", "python -m pip install -q")
        assert step in ci, f".ci/run does not run the README's `{step}`"
    assert "mkdocs build --strict" in command and ".[test,docs]" in command


def test_getting_started_commands_and_code_run(tmp_path, monkeypatch):
    """The console commands and Python blocks of docs/getting-started.md, in order, in one
    directory (in-process: the commands through typer's runner, the code with exec)."""
    text = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for block in re.findall(r"^```console\n(.*?)^```", text, flags=re.S | re.M):
        for line in block.splitlines():
            if not line.startswith("$ corrtherm") or "reproduce" in line:
                continue  # pip needs no test; reproduce has its own
            args, _, redirect = line[len("$ corrtherm ") :].partition(" > ")
            r = runner.invoke(app, shlex.split(args))
            assert r.exit_code == 0, f"{line}\n{r.output}"
            if redirect:
                Path(redirect.strip()).write_text(r.stdout, encoding="utf-8")
    for code in re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M):
        exec(compile(code, "getting-started.md", "exec"), {"__name__": "__docs__"})


def test_paper1_eq14_needs_V_to_commute_with_each_local_hamiltonian():
    """docs/papers/energy-exchange-via-correlation.md: [H_A + H_B, V] = 0 alone does not make
    pi_A (x) pi_B steady at beta_A != beta_B; [V, H_A] = [V, H_B] = 0 does."""
    sz, sp, sm = corrtherm.sigma_z(), corrtherm.sigma_plus(), corrtherm.sigma_minus()
    bA, bB = 0.5, 2.0
    pi = np.kron(corrtherm.gibbs_state(sz, bA), corrtherm.gibbs_state(sz, bB))
    for V, steady in [
        (0.3 * (np.kron(sp, sm) + np.kron(sm, sp)), False),
        (0.3 * np.kron(sz, sz), True),
    ]:
        model = corrtherm.Bipartite(sz, sz, V)
        assert corrtherm.commutator_norm(model.H0, V) < 1e-14  # Eq. 14's premise holds
        JA = corrtherm.thermal_jumps(sz, bA, "paper")
        JB = corrtherm.thermal_jumps(sz, bB, "paper")
        rho = corrtherm.steady_state(model, JA, JB).rho
        assert np.allclose(rho, pi, atol=1e-10) is steady
