"""Scenario files: the expression parser (valid and hostile input), validation errors, every
preset against its closed form, parameter overrides and the results-file round trip."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from corrtherm.core.errors import CorrthermError, ScenarioError
from corrtherm.core.operators import (
    bipartite_fermions,
    destroy,
    sigma_minus,
    sigma_plus,
    sigma_x,
    sigma_y,
    sigma_z,
    spin_operators,
)
from corrtherm.scenarios import (
    ExpressionError,
    SiteSpec,
    build_scenario,
    evaluate_expression,
    list_presets,
    load_preset,
    load_scenario,
    preset_text,
    read_results,
    run_scenario,
    summarize,
    write_results,
)
from corrtherm.scenarios.expressions import _Space

I2 = np.eye(2)


def space(*specs: tuple[str, str, int]) -> _Space:
    return _Space(tuple(SiteSpec(label, kind, dim) for label, kind, dim in specs))


QQ = space(("A0", "qubit", 2), ("B0", "qubit", 2))
FF = space(("A0", "fermion", 2), ("B0", "fermion", 2))


def scenario_text(
    V: str = "g * sz(A0) * sz(B0)",
    H_A: str = "w * sz(A0)",
    extra: str = "",
    params: str = "g = 0.3\nw = 1.0\n",
) -> str:
    return f"""
[parameters]
{params}
[model]
sites = {{ A0 = "qubit", B0 = "qubit" }}
H_A = "{H_A}"
H_B = "w * sz(B0)"
V = "{V}"

[state]
beta_A = 1.0
beta_B = 2.0
{extra}
[time]
t_final = 1.0
n_points = 11
"""


# ------------------------------------------------------------------ parser: valid input
def test_expressions_match_hand_built_matrices():
    p = {"g": 0.3, "w": 1.7}
    ev = lambda s: evaluate_expression(s, p, QQ)
    assert np.allclose(ev("g * sz(A0) * sz(B0)"), 0.3 * np.kron(sigma_z(), sigma_z()))
    assert np.allclose(
        ev("w * sx(A0) + 2 * sy(B0)"), 1.7 * np.kron(sigma_x(), I2) + 2 * np.kron(I2, sigma_y())
    )
    # sp = |0><1| raises sigma_z; h.c. adds the adjoint of the preceding sum
    assert np.allclose(
        ev("sp(A0) * sm(B0) + h.c."),
        np.kron(sigma_plus(), sigma_minus()) + np.kron(sigma_minus(), sigma_plus()),
    )
    assert np.allclose(ev("i * (sp(A0) - h.c.)"), -np.kron(sigma_y(), I2))
    assert np.allclose(ev("dag(sp(A0))"), np.kron(sigma_minus(), I2))
    assert np.allclose(
        ev("(1 + 2j) * n(A0) - 0.5"), (1 + 2j) * np.kron(np.diag([0, 1]), I2) - 0.5 * np.eye(4)
    )
    assert np.allclose(ev("sx(A0) ** 2"), np.eye(4))
    assert np.allclose(ev("sqrt(4) * exp(0) * cos(pi) * id(B0)"), -2 * np.eye(4))
    assert evaluate_expression("2 ** 3 / 4 - 1e-1 + 3j", {}, None) == pytest.approx(1.9 + 3j)


def test_fermions_use_jordan_wigner_across_the_cut():
    sp3 = space(("A0", "fermion", 2), ("A1", "fermion", 2), ("B0", "fermion", 2))
    cA, cB = bipartite_fermions(2, 1)
    c = [sp3.embed("c", "A0"), sp3.embed("c", "A1"), sp3.embed("c", "B0")]
    for mine, ref in zip(c, cA + cB, strict=True):
        assert np.allclose(mine, ref)
    for j in range(3):  # canonical anticommutation relations
        for k in range(3):
            anti = c[j] @ c[k].conj().T + c[k].conj().T @ c[j]
            assert np.allclose(anti, np.eye(8) * (j == k))
            assert np.allclose(c[j] @ c[k] + c[k] @ c[j], 0)
    hop = evaluate_expression("kappa * (cdag(A0) * c(B0) + h.c.)", {"kappa": 0.5}, FF)
    cA, cB = bipartite_fermions(1, 1)
    assert np.allclose(hop, 0.5 * (cA[0].conj().T @ cB[0] + cB[0].conj().T @ cA[0]))


def test_mixed_sites_string_runs_only_through_fermions():
    sp = space(("A0", "qubit", 2), ("A1", "fermion", 2), ("B0", "boson", 3), ("B1", "fermion", 2))
    cA, cB = sp.embed("c", "A1"), sp.embed("c", "B1")
    assert np.allclose(cA @ cB + cB @ cA, 0)
    assert np.allclose(cA @ cB.conj().T + cB.conj().T @ cA, 0)
    a = sp.embed("a", "B0")
    assert np.allclose(a, np.kron(np.kron(np.eye(4), destroy(3)), I2))
    assert np.allclose(a @ cA - cA @ a, 0)  # bosons commute with fermions


def test_spin_and_boson_operators():
    sp = space(("A0", "boson", 4), ("B0", "qubit", 2))
    assert np.allclose(
        evaluate_expression("adag(A0) * a(A0)", {}, sp), np.kron(np.diag([0, 1, 2, 3]), I2)
    )
    spin = _Space((SiteSpec("A0", "spin", 3, 1.0), SiteSpec("B0", "qubit", 2)))
    jx, _, jz = spin_operators(1)
    assert np.allclose(evaluate_expression("jz(A0) + jx(A0)", {}, spin), np.kron(jz + jx, I2))


def test_local_hamiltonians_are_extracted_on_their_side():
    text = scenario_text().replace(
        'sites = { A0 = "qubit", B0 = "qubit" }',
        'sites = { A0 = "qubit", A1 = "qubit", B0 = "qubit" }',
    )
    text = text.replace('H_A = "w * sz(A0)"', 'H_A = "w * sz(A0) + sx(A0) * sx(A1)"')
    b = build_scenario(load_scenario(text))
    assert b.model.dims == (4, 2)
    assert np.allclose(b.model.H_A, np.kron(sigma_z(), I2) + np.kron(sigma_x(), sigma_x()))


# ------------------------------------------------------------------ validation errors
@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"V": "g * sq(A0) * sz(B0)"}, "model.V: unknown operator `sq` — did you mean `sz`?"),
        ({"V": "g * sz(C0) * sz(B0)"}, "model.V: unknown site `C0`"),
        ({"V": "kappa * sz(A0) * sz(B0)"}, "model.V: missing parameter `kappa`"),
        ({"H_A": "w * sz(B0)"}, "model.H_A: uses site B0 but may only involve sites of A"),
        ({"V": "g * sp(A0) * sz(B0)"}, "model.V: is not Hermitian"),
        ({"V": "g * c(A0)"}, "operator `c` is not defined for qubit site A0"),
        ({"V": "g * sz(A0) * "}, "model.V: syntax error"),
        ({"V": "g.real"}, "unsupported syntax (Attribute)"),
        (
            {"extra": 'correlation = "sz(A0) * sz(B0)"\nc = 5.0'},
            "state.c: c = 5 makes the initial state non-positive; the admissible interval is",
        ),
        (
            {"extra": 'correlation = "sz(A0)"\nc = 0.01'},
            "state.correlation: is not a correlation operator",
        ),
        ({"extra": "colour = 1"}, "state.colour: unknown field"),
    ],
)
def test_errors_name_file_field_and_problem(tmp_path, kwargs, needle):
    f = tmp_path / "bad.toml"
    f.write_text(scenario_text(**kwargs))
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    assert str(f) in str(err.value)
    assert needle in str(err.value)


def test_toml_syntax_error_reports_the_line(tmp_path):
    f = tmp_path / "broken.toml"
    f.write_text("[parameters]\ng = = 1\n")
    with pytest.raises(ScenarioError, match=r"broken.toml: TOML syntax error: .*line 2"):
        load_scenario(f)


def test_missing_file_and_matrix_states(tmp_path):
    with pytest.raises(ScenarioError, match="not found"):
        load_scenario(tmp_path / "nope.toml")
    rho = np.diag([0.4, 0.3, 0.2, 0.1]).astype(complex)
    np.save(tmp_path / "rho0.npy", rho)
    text = scenario_text().replace(
        "beta_A = 1.0\nbeta_B = 2.0", 'kind = "matrix"\nmatrix = "rho0.npy"'
    )
    f = tmp_path / "m.toml"
    f.write_text(text)
    assert np.allclose(build_scenario(load_scenario(f)).rho0, rho)
    np.save(tmp_path / "rho0.npy", np.diag([0.6, 0.6, -0.1, -0.1]))
    with pytest.raises(ScenarioError, match="m.toml: state: .*not positive semidefinite"):
        load_scenario(f).spec and build_scenario(load_scenario(f))
    # a misspelt file name says that the file is missing, with the path tried (relative to the
    # scenario file), not that it is "not a regular file"
    (tmp_path / "typo.toml").write_text(text.replace('"rho0.npy"', '"rho_0.npy"'))
    with pytest.raises(ScenarioError, match=r"state.matrix: .*/rho_0.npy does not exist"):
        build_scenario(load_scenario(tmp_path / "typo.toml"))


def test_with_parameters_rewrites_text_and_hash():
    s = load_preset("paper1-two-qubits")
    s2 = s.with_parameters({"g": 0.4})
    assert s2.parameters["g"] == 0.4 and s.parameters["g"] == 0.2
    assert s2.sha256 != s.sha256 and "g = 0.4" in s2.text
    assert "# hot side" in s2.text  # comments survive
    assert load_scenario(s2.text).parameters == s2.parameters
    with pytest.raises(ScenarioError, match="unknown parameter `gg` — did you mean `g`"):
        s.with_parameters({"gg": 1.0})
    with pytest.raises(ScenarioError, match="parameters.g"):
        s.with_parameters({"g": "x"})


# ------------------------------------------------------------------ hostile input
HOSTILE = [
    "__import__('os').system('touch {marker}')",
    "(lambda: __import__('os').system('touch {marker}'))()",
    "sz(A0).__class__",
    "[x for x in ()]",
    "open('{marker}', 'w')",
    "9 ** 9 ** 9 ** 9",
    "10 ** 400",
    "1" * 5000,
    "(" * 300 + "1" + ")" * 300,
    "sz(A0) ** 1000",
    "1 / 0",
    "sz(A0) / sz(B0)",
    "'text'",
    "True",
    "sz(A0, B0)",
    "sz(x=A0)",
    "A0",
    "h.c.",
    "sz",
    "+".join(["sz(A0)"] * 400),
    "\x00",
]


@pytest.mark.parametrize("expr", HOSTILE)
def test_hostile_expressions_are_refused_without_side_effects(tmp_path, expr):
    marker = tmp_path / "pwned"
    text = expr.replace("{marker}", str(marker))
    with pytest.raises(ExpressionError):
        evaluate_expression(text, {"g": 1.0}, QQ)
    assert not marker.exists()


@given(st.text(max_size=80))
@settings(max_examples=150)
def test_garbage_expressions_only_raise_scenario_errors(text):
    try:
        evaluate_expression(text, {"g": 1.0}, QQ)
    except ScenarioError:
        pass


@given(st.text(alphabet="sznpmcdagABx01()*+-/.j ghi", max_size=40))
@settings(max_examples=150)
def test_operator_like_garbage_only_raises_scenario_errors(text):
    try:
        evaluate_expression(text, {"g": 1.0}, QQ)
    except ScenarioError:
        pass


@given(st.text(max_size=200))
@settings(max_examples=100)
def test_garbage_scenario_text_only_raises_scenario_errors(text):
    try:
        load_scenario(text + "\n")
    except ScenarioError:
        pass


@given(st.sampled_from(["V", "H_A", "extra"]), st.text(max_size=40))
@settings(max_examples=100)
def test_garbage_field_values_only_raise_scenario_errors(field, value):
    safe = value.replace("\\", "").replace('"', "").replace("\n", " ")
    kwargs = {field: safe} if field != "extra" else {"extra": f"c = {safe!r}"}
    try:
        build_scenario(load_scenario(scenario_text(**kwargs)))
    except CorrthermError:
        pass


# ------------------------------------------------------------------ presets vs closed forms
def test_all_presets_load_and_show_valid_toml():
    names = list_presets()
    assert {
        "paper1-two-qubits",
        "paper2-fermions-conventional",
        "paper2-fermions-anomalous",
        "partial-swap-reversal",
        "xx-chain-two-baths",
        "boson-beam-splitter",
    } <= set(names)
    for n in names:
        assert load_scenario(preset_text(n)).parameters == load_preset(n).parameters


def test_paper1_preset_matches_eq17_and_exact_c_range():
    s = load_preset("paper1-two-qubits")
    p = s.parameters
    ds = run_scenario(s)
    t = ds["time"].values
    x, y = p["beta_A"] * p["omega_A"], p["beta_B"] * p["omega_B"]
    lam = p["gamma0"] * (2 * math.cosh(x) + 2 * math.cosh(y))
    dU = ds["U_chi"].values - ds["U_chi"].values[0]
    np.testing.assert_allclose(dU, 4 * p["g"] * p["c"] * (np.exp(-lam * t) - 1), atol=1e-9)
    for side in ("A", "B"):  # the marginals stay thermal: local energies are constant
        np.testing.assert_allclose(ds[f"U_{side}"].values, ds[f"U_{side}"].values[0], atol=1e-9)
    # the whole energy change is heat from the baths (first law)
    np.testing.assert_allclose(ds["Q_A"].values + ds["Q_B"].values, dU, atol=1e-8)
    Z = 4 * math.cosh(x) * math.cosh(y)
    lo, hi = build_scenario(s).c_interval
    assert lo == pytest.approx(-math.exp(-x - y) / Z, rel=1e-10)
    assert hi == pytest.approx(min(math.exp(-x + y), math.exp(x - y)) / Z, rel=1e-10)
    summ = summarize(ds)
    assert summ["DeltaU_chi"] == pytest.approx(dU[-1])


def _fermi(beta, eps, mu):
    return 1 / (math.exp(beta * (eps - mu)) + 1)


@pytest.mark.parametrize("case, sign", [("conventional", +1), ("anomalous", -1)])
def test_paper2_fermion_presets_match_closed_form(case, sign):
    s = load_preset(f"paper2-fermions-{case}")
    p = s.parameters
    ds = run_scenario(s)
    t, c, k = ds["time"].values, ds.attrs["c"], p["kappa"]
    fA, fB = _fermi(p["beta"], p["eps"], p["mu_A"]), _fermi(p["beta"], p["eps"], p["mu_B"])
    # one-particle sector: H = eps + kappa sigma_x, Bloch z = p_A - p_B, y = -2 Im<10|rho|01>
    dN = 0.5 * ((fA - fB) * (np.cos(2 * k * t) - 1) - 2 * c * np.sin(2 * k * t))
    np.testing.assert_allclose(ds["N_A"].values - ds["N_A"].values[0], dN, atol=1e-12)
    np.testing.assert_allclose(
        ds["N_A"].values + ds["N_B"].values, ds["N_A"].values[0] + ds["N_B"].values[0], atol=1e-12
    )
    summ = summarize(ds)
    assert p["mu_A"] > p["mu_B"]
    assert np.sign(summ["DeltaN_A"]) == -sign  # conventional: A (high mu) loses particles
    assert summ["classification"] == case and summ["particle_flow"] == case
    assert np.all(ds["slack"].values >= -1e-12)  # inequality (26)
    if case == "anomalous":
        assert summ["DeltaI_AB"] < summ["lhs_26"] < 0  # Eq. 29


def test_partial_swap_preset_reverses_heat_flow():
    s = load_preset("partial-swap-reversal")
    p = s.parameters
    ds = run_scenario(s)
    t, c, g, w = ds["time"].values, ds.attrs["c"], p["g"], p["omega"]
    qA, qB = 1 / (math.exp(p["beta_A"] * w) + 1), 1 / (math.exp(p["beta_B"] * w) + 1)
    dE = 0.5 * w * ((qA - qB) * (np.cos(2 * g * t) - 1) + 2 * c * np.sin(2 * g * t))
    np.testing.assert_allclose(ds["E_A"].values - ds["E_A"].values[0], dE, atol=1e-12)
    summ = summarize(ds)
    assert p["beta_A"] < p["beta_B"] and summ["DeltaE_A"] > 0  # the hot qubit heats up
    assert summ["energy_flow"] == "anomalous" and summ["DeltaI_AB"] < 0


def test_beam_splitter_preset_swaps_occupations():
    s = load_preset("boson-beam-splitter")
    p = s.parameters
    ds = run_scenario(s.with_parameters({}))
    t, g = ds["time"].values, p["g"]
    nA, nB = ds["N_A"].values[0], ds["N_B"].values[0]
    # thermal occupation of the (truncated) mode, from the Bose function
    assert nA == pytest.approx(1 / (math.exp(p["beta_A"] * p["omega"]) - 1), rel=1e-4)
    expected = np.cos(g * t) ** 2 * nA + np.sin(g * t) ** 2 * nB
    np.testing.assert_allclose(ds["N_A"].values, expected, atol=1e-5)


def test_xx_chain_preset_against_qutip():
    qutip = pytest.importorskip("qutip")
    # a shorter grid keeps the test fast; the physics is in the first few relaxation times
    text = preset_text("xx-chain-two-baths").replace("t_final = 20.0", "t_final = 5.0")
    s = load_scenario(text.replace("n_points = 201", "n_points = 11"))
    b = build_scenario(s)
    p = s.parameters
    # hand-built XX chain, sites A0 A1 B0 B1 with n = |1><1| and hopping sp_i sm_j + h.c.
    sp, sm, n = sigma_plus(), sigma_minus(), np.diag([0.0, 1.0])

    def at(op, k):
        ops = [I2] * 4
        ops[k] = op
        out = ops[0]
        for o in ops[1:]:
            out = np.kron(out, o)
        return out

    hop = lambda i, j: at(sp, i) @ at(sm, j) + at(sm, i) @ at(sp, j)
    H = p["h"] * sum(at(n, k) for k in range(4)) + p["J"] * (hop(0, 1) + hop(1, 2) + hop(2, 3))
    assert np.allclose(b.model.H, H)
    times = b.times
    ds = run_scenario(s)
    c_ops = [qutip.Qobj(np.kron(L, np.eye(4))) for L in b.jumps_A]
    c_ops += [qutip.Qobj(np.kron(np.eye(4), L)) for L in b.jumps_B]
    HA_full = qutip.Qobj(b.model.H_A_full)
    res = qutip.mesolve(
        qutip.Qobj(H),
        qutip.Qobj(b.rho0),
        times,
        c_ops,
        e_ops=[HA_full],
        options={"atol": 1e-10, "rtol": 1e-8},
    )
    np.testing.assert_allclose(ds["E_A"].values, res.expect[0], atol=1e-6)
    # heat currents vanish in the product of the local thermal states (L_X[pi_X] = 0)
    assert abs(ds["J_A"].values[0]) < 1e-10 and abs(ds["J_B"].values[0]) < 1e-10
    assert ds.attrs["residual_energy_balance"] < 1e-8
    assert ds["Q_A"].values[-1] > 0 > ds["Q_B"].values[-1]  # hot bath A feeds cold bath B


# ------------------------------------------------------------------ results files
def test_results_round_trip(tmp_path):
    s = load_preset("paper2-fermions-anomalous")
    ds = run_scenario(s)
    path = write_results(ds, tmp_path / "results.nc")
    back = read_results(path)
    for name in ("U", "U_chi", "N_A", "I_AB", "slack", "rho_A", "rho_B"):
        np.testing.assert_array_equal(back[name].values, ds[name].values)
    assert np.iscomplexobj(back["rho_A"].values)
    assert back.attrs["scenario"] == s.text and back.attrs["scenario_sha256"] == s.sha256
    assert "corrtherm_version" in back.attrs and "condition_checks" in back.attrs
    with xr.open_dataset(path) as raw:  # plain xarray sees the real/imag split
        assert "rho_A_re" in raw and "rho_A_im" in raw
        assert load_scenario(raw.attrs["scenario"]).sha256 == raw.attrs["scenario_sha256"]
    assert [p.name for p in tmp_path.iterdir()] == ["results.nc"]


def test_failed_write_leaves_no_results_file(tmp_path, monkeypatch):
    ds = run_scenario(load_preset("partial-swap-reversal"))

    def boom(self, path, *a, **k):
        Path(path).write_bytes(b"CDF partial")
        raise OSError("disk full")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", boom)
    with pytest.raises(OSError):
        write_results(ds, tmp_path / "results.nc")
    assert list(tmp_path.iterdir()) == []


def test_particle_exchange_kind_matches_the_expression():
    # chi = w e^{i phase}|10><01| + h.c. with w = sqrt(p_10 p_01) (flows.particle_exchange_
    # coherence); phase -pi/2 gives -i w |10><01| + h.c. = -w i(cdag_A c_B - h.c.), so
    # c' * chi with c' in [-1, 1] equals the expression preset with c = -c' w, c_min = -w
    text = preset_text("paper2-fermions-anomalous")
    kind = text.replace(
        'correlation = "i * (cdag(A0) * c(B0) - h.c.)"',
        'correlation = "particle-exchange"\nphase = "-pi/2"',
    ).replace("strength * c_min", "strength * c_max")
    a, b = build_scenario(load_scenario(text)), build_scenario(load_scenario(kind))
    assert b.c_interval == pytest.approx((-1.0, 1.0))
    np.testing.assert_allclose(b.rho0, a.rho0, atol=1e-14)
    with pytest.raises(ScenarioError, match="state.correlation: .*number operators"):
        load_scenario(scenario_text(extra='correlation = "particle-exchange"\nc = 0.1'))
