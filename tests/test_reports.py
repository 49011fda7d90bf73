"""Reports print as readable tables in Python and as escaped HTML in Jupyter; matrices are
summarized, never dumped; values print as what they are (a violated inequality says so)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

import corrtherm as ct
from corrtherm.core._report import Report, fmt, table
from corrtherm.sweeps.spec import make_spec

# Every public dataclass is a model or a report: all of them print through the shared formatter.
PUBLIC_DATACLASSES = [
    getattr(ct, n) for n in ct.__all__ if dataclasses.is_dataclass(getattr(ct, n, None))
]


def test_every_public_dataclass_uses_the_report_formatter():
    assert len(PUBLIC_DATACLASSES) >= 9
    for cls in PUBLIC_DATACLASSES:
        assert issubclass(cls, Report), cls.__name__
        assert "__repr__" not in vars(cls) or vars(cls)["__repr__"] is Report.__repr__, (
            f"{cls.__name__}: decorate with @dataclass(..., repr=False)"
        )


def two_qubits():
    sz = ct.sigma_z()
    model = ct.Bipartite(H_A=sz, H_B=0.7 * sz, V=0.3 * np.kron(sz, sz))
    pi = np.kron(ct.gibbs_state(model.H_A, 0.5), ct.gibbs_state(model.H_B, 2.0))
    c_max = ct.positivity_interval(pi, np.kron(sz, sz))[1]
    rho0 = pi + 0.5 * c_max * np.kron(sz, sz)
    return model, pi, rho0, ct.thermal_jumps(model.H_A, 0.5), ct.thermal_jumps(model.H_B, 2.0)


def fermions():
    model = ct.models.fermion_hopping(eps_A=0.3, eps_B=0.3, kappa=0.7)
    chi = ct.particle_exchange_coherence(model, 1.0, 1.0, 0.5, -0.5, phase=-np.pi / 2)
    gamma = ct.locally_thermal_state(model, 1.0, 1.0, 0.5, -0.5)
    c_max = ct.positivity_interval(gamma, chi)[1]
    rho0 = ct.locally_thermal_state(model, 1.0, 1.0, 0.5, -0.5, chi=chi, c=0.9 * c_max)
    return model, gamma, rho0


@pytest.fixture(scope="module")
def reports() -> dict[str, object]:
    model, pi, rho0, jA, jB = two_qubits()
    fm, _, f0 = fermions()
    ds = ct.evolve_isolated(fm, f0, np.linspace(0, 0.3, 4), store_states=True)
    spec = make_spec(["g=0:1:3"], None, None, 0)
    return {
        "ledger": ct.energy_ledger(model, rho0),
        "conditions": ct.check_conditions(model, jA, jB, rho0),
        "steady": ct.steady_state(model, jA, jB),
        "invariant": ct.invariant_correlation_subspace(model, jA, jB),
        "conservation": ct.conservation_checks(fm),
        "flow": ct.flow_report(fm, f0, ds["rho"].values[-1], 1.0, 1.0, 0.5, -0.5),
        "sweep": ct.SweepResult(
            Path("g.zarr"), spec, 3, 3, 0, 0, computed=3, elapsed=2.0, compute_time=0.5
        ),
        "model": model,
        "decomposition": ct.decompose(rho0, model.dims),
        "entropies": ct.entropies(rho0, model.dims),
    }


def test_reports_print_tables_with_summarized_matrices(reports):
    for name, rep in reports.items():
        text, html = str(rep), rep._repr_html_()
        lines = text.splitlines()
        assert len(lines) >= 3, name
        assert "[[" not in text and "array(" not in text, name  # no matrix dumps
        assert all(len(line) < 160 for line in lines), name
        assert html.startswith("<div>") and "<table>" in html, name
        assert "\n" not in repr(rep) and "[[" not in repr(rep), name
    # human labels with the paper's equation, not field names
    cond = str(reports["conditions"])
    assert "‖[Ĥ_A + Ĥ_B, V]‖ at ρ (paper 1, Eq. A3)" in cond and "A3_state" not in cond
    assert "(Eq. A4)" in cond
    assert "2×2 Hermitian, trace" in str(reports["ledger"])  # H_A_eff summarized
    assert "(6.00 points/s;" in str(reports["sweep"])


def test_report_values_are_the_fields(reports):
    led = reports["ledger"]
    lines = str(led).splitlines()[1:]
    rows = dict(re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in lines)
    assert float(rows["U = Tr[ρH] (total)"]) == pytest.approx(led.U, rel=1e-5)
    assert float(rows["U_χ = Tr[χV] (correlation energy)"]) == pytest.approx(led.U_chi, rel=1e-5)
    assert float(rows["U_A + U_B = Tr[(ρ_A⊗ρ_B) H] (Eq. 7)"]) == pytest.approx(
        led.U_A + led.U_B, rel=1e-5
    )


def test_flow_report_says_violated_when_inequality_26_fails():
    # rho_t is no unitary image of rho0: same thermal marginals, so lhs_26 = 0, but I(A:B) grows
    # from 0 (product start) to > 0, so (26) fails by DeltaI_AB
    fm, gamma, rho_corr = fermions()
    rep = ct.flow_report(fm, gamma, rho_corr, 1.0, 1.0, 0.5, -0.5)
    assert rep.slack < 0 and not rep.inequality_holds
    text = str(rep)
    assert "VIOLATED" in text and "holds" not in text.split("VIOLATED")[0].splitlines()[-1]
    ok = ct.flow_report(fm, rho_corr, rho_corr, 1.0, 1.0, 0.5, -0.5)
    assert ok.inequality_holds and "VIOLATED" not in str(ok)


def test_html_is_escaped():
    from corrtherm.core._report import html_table

    html = html_table("<b>x</b>", [("a<script>", "1 & 2")], ["<i>note</i>"])
    assert "<script>" not in html and "&lt;script&gt;" in html and "1 &amp; 2" in html
    assert "<b>" not in html and "<i>" not in html


def test_fmt_rules():
    assert fmt(None) == "n/a" and fmt(True) == "yes" and fmt(np.bool_(False)) == "no"
    assert fmt(3) == "3" and fmt(float("nan")) == "—"
    assert fmt(3.9e-16, scale=0.65) == "0"  # round-off next to the run's energy scale
    assert fmt(3.9e-16) == "3.9e-16"  # without a scale nothing is hidden
    assert fmt(1e-11, scale=1.0) == "1e-11"
    assert fmt(np.array([1.0, 2.0])) == "[1, 2]"
    assert "Hermitian" in fmt(np.eye(3)) and "eigenvalues in [1, 1]" in fmt(np.eye(3))
    assert fmt(np.ones((2, 3))).startswith("2×3 real array")
    assert fmt(np.eye(300)).endswith("‖·‖_F = 17.3205")  # large: no eigendecomposition


def test_table_aligns_columns_with_combining_marks():
    import unicodedata

    out = table([("V̂", "1"), ("H_A", "2")]).splitlines()
    width = lambda s: sum(1 for ch in s if not unicodedata.combining(ch))
    assert width(out[0][: out[0].index("1")]) == width(out[1][: out[1].index("2")]) == 7


def test_sweep_result_with_nothing_to_compute_prints_no_nan():
    spec = make_spec(["g=0:1:3"], None, None, 0)
    res = ct.SweepResult(Path("g.zarr"), spec, 3, 2, 1, 0, 0, 0.01, {"boom": 1})
    text = str(res)
    assert "nan" not in text.lower() and "nothing to compute" in text
    assert "--retry-failed" in text and res.summary() == text
    assert "nothing to compute" in res._repr_html_()


def test_run_summary_prints_round_off_as_zero_but_keeps_residuals():
    from corrtherm.scenarios.summary import summary_rows

    summ = {
        "kind": "open",
        "t_final": 2.0,
        "DeltaU_A": 3.9e-16,
        "DeltaU_chi": -0.0399952,
        "DeltaN_A": float("nan"),
        "DeltaI_AB": 2e-13,
        "classification": "anomalous",
        "residual_ledger": 2.2e-16,
        "n_steps": 0.0,
    }
    rows = {label: (value, units) for label, value, units in summary_rows(summ, {"[E]": 0.65})}
    assert rows["ΔU_A"] == ("0", "[E]")  # round-off next to energies of order 0.65
    assert rows["ΔU_χ"] == ("-0.0399952", "[E]")
    assert rows["ΔI(A:B)"] == ("2e-13", "nat")  # no entropy scale given: shown as it is
    assert rows["ledger residual"] == ("2.2e-16", "[E]")  # a residual's size is the point
    assert rows["flow (26)"] == ("anomalous", "")
    assert "ΔN_A" not in rows and "solver steps" not in rows  # not applicable: left out


def test_steady_state_report_names_its_sign_convention_and_the_second_law_test():
    # Levy-Kosloff with local baths (tests/test_entropy_production.py derives sigma < 0 in
    # closed form): the report must say what "yes" means and which way the currents count
    sz, sp, sm = ct.sigma_z(), ct.sigma_plus(), ct.sigma_minus()
    model = ct.Bipartite(sz, 0.25 * sz, 0.1 * (np.kron(sp, sm) + np.kron(sm, sp)))
    JA = ct.thermal_jumps(model.H_A, 0.5, rate="ohmic", gamma0=0.05)
    JB = ct.thermal_jumps(model.H_B, 1.0, rate="ohmic", gamma0=0.05)
    rep = ct.steady_state(model, JA, JB, beta_A=0.5, beta_B=1.0)
    text = str(rep)
    assert rep.sigma < 0 and rep.second_law_violated
    assert "positive INTO the system" in text.splitlines()[0]
    assert re.search(r"second law violated \(σ < 0\)\s+yes", text)
    assert "heat from bath A" in text and "second_law_violated" not in text


def test_run_summary_prints_round_off_entropy_production_as_zero():
    # found by a new user: a d = 64 chain started in the product of local Gibbs states printed
    # "min σ  -1.87e-17" (its sigma(0) = 0 up to round-off) next to sigma of order 0.1
    import xarray as xr

    from corrtherm.scenarios.summary import _scales, summary_rows

    def min_sigma_row(sigma):
        scales = _scales(xr.Dataset({"sigma": ("time", sigma), "U": ("time", [1.0] * 3)}))
        rows = {lab: val for lab, val, _ in summary_rows({"min_sigma": min(sigma)}, scales)}
        return rows["min σ"]

    assert min_sigma_row([-1.87e-17, 0.1, 0.097]) == "0"
    # a real violation stays visible: -7e-5 next to a largest |sigma| of 2e-4
    assert min_sigma_row([-7e-5, 2e-4, -7e-5]) == "-7e-05"
