"""Explicit reservoirs and the master-equation comparison (corrtherm.gaussian.reservoirs,
corrtherm.gaussian.compare).

Independent truths: finite differences of the lead populations of a full Gaussian evolution
(the currents' definition and sign), the Breit-Wigner closed form of a single level in the
wide-band limit, the Hilbert transforms of the built-in spectral densities against numerical
principal values, convergence of the finite leads to the continuum (Landauer), the dense
implementation of the local master equation (issue 12's davies_jumps) against the Gaussian
one, and the textbook limits of the double dot (local exact for g << Gamma, global for
g >> Gamma)."""

import warnings

import numpy as np
import pytest

import corrtherm.gaussian as g
from corrtherm.core.errors import CorrthermError, DynamicsError, ModelError


def test_currents_are_minus_the_change_of_the_lead_populations():
    jn = g.junction([[0.1, 0.2], [0.2, -0.1]], 12, 0.3, 0.2)
    C0 = jn.initial_correlation(1.0, 2.0, 0.5, -0.5, system=np.diag([0.2, 0.7]))
    t = np.linspace(0.0, 3.0, 3001)
    cur = g.junction_currents(jn, C0, t)
    ev = g.evolve(jn.model, C0, t[::100], store_correlations=True)
    h = jn.model.h
    for side, lead in (("A", jn.lead_A), ("B", jn.lead_B)):
        P = np.ix_(lead, lead)
        N = np.array([np.trace(C[P]).real for C in ev.C.values])
        E = np.array([np.sum(h[P] * C[P]).real for C in ev.C.values])
        # fine-grid trapezoid integral of I_X equals minus the change of N_lead
        I_int = np.concatenate(
            [
                [0.0],
                np.cumsum(
                    np.diff(t) * 0.5 * (cur[f"I_{side}"][1:].values + cur[f"I_{side}"][:-1].values)
                ),
            ]
        )
        J_int = np.concatenate(
            [
                [0.0],
                np.cumsum(
                    np.diff(t) * 0.5 * (cur[f"J_{side}"][1:].values + cur[f"J_{side}"][:-1].values)
                ),
            ]
        )
        np.testing.assert_allclose(I_int[::100], -(N - N[0]), atol=2e-6)
        np.testing.assert_allclose(J_int[::100], -(E - E[0]), atol=2e-6)
    np.testing.assert_allclose(cur.n_S.values[::100, 0], ev.C.values[:, 0, 0].real, atol=1e-12)


def test_single_level_wide_band_breit_wigner():
    """One level eps between leads of width D >> everything: T = Gamma_A Gamma_B /
    ((w - eps)^2 + (Gamma/2)^2); at beta -> large,
    I = Gamma_A Gamma_B / (pi Gamma) [atan(2 (mu_A - eps)/Gamma) - atan(2 (mu_B - eps)/Gamma)]."""
    eps, gA, gB, mA, mB = 0.1, 0.2, 0.1, 0.5, -0.4
    jn = g.junction([[eps]], 4, gA, gB, half_width=400.0)
    got = g.landauer_currents(jn, 400.0, 400.0, mA, mB)["I_A"]
    G = gA + gB
    closed = gA * gB / (np.pi * G) * (np.arctan(2 * (mA - eps) / G) - np.arctan(2 * (mB - eps) / G))
    assert got == pytest.approx(closed, rel=2e-3)


@pytest.mark.parametrize("kind", ["flat", "semicircle"])
def test_closed_form_lamb_shifts_match_numerical_principal_values(kind):
    from corrtherm.gaussian.reservoirs import lamb_shift

    dens = g.junction([[0.0]], 4, 0.3, spectral_density=kind).density("A")
    for w in (-1.7, -0.4, 0.0, 0.9, 1.95):
        assert lamb_shift(dens, w, 2.0, kind) == pytest.approx(
            lamb_shift(dens, w, 2.0, None), rel=1e-8, abs=1e-12
        )


@pytest.mark.parametrize("kind", ["flat", "semicircle"])
def test_finite_leads_converge_to_the_continuum(kind):
    hS = [[0.0, 0.05], [0.05, 0.1]]
    jn = g.junction(hS, 160, 0.1, 0.15, spectral_density=kind)
    C0 = jn.initial_correlation(2.0, 1.0, 0.4, -0.4)
    t_rec = np.pi * 160 / 2.0
    # times are measured from times[0], the time of C0
    t = np.concatenate([[0.0], np.linspace(0.6 * t_rec, 0.9 * t_rec, 20)])
    cur = g.junction_currents(jn, C0, t).isel(time=slice(1, None))
    cont = g.landauer_currents(jn, 2.0, 1.0, 0.4, -0.4)
    assert np.mean(cur.I_A.values) == pytest.approx(cont["I_A"], rel=2e-3)
    assert np.mean(cur.I_B.values) == pytest.approx(cont["I_B"], rel=2e-3)
    assert np.mean(cur.J_A.values) == pytest.approx(cont["J_A"], rel=5e-3, abs=1e-6)


def test_local_master_equation_dense_and_gaussian_agree():
    """Issue 12's local (davies_jumps local=True, dense) and the Gaussian LocalBath are
    independent implementations of the same local master equation."""
    hS = np.array([[0.3, 0.07], [0.07, -0.2]])
    me = g.master_equation_currents(hS, 0.1, 0.05, 1.5, 0.7, 0.2, -0.3, ("local",))["local"]
    ss = g.steady_state(
        g.FreeModel(hS[:1, :1], hS[1:, 1:], hS[:1, 1:]),
        g.LocalBath(1.5, 0.2, 0.1),
        g.LocalBath(0.7, -0.3, 0.05),
    )
    for k in ("I_A", "I_B", "J_A", "J_B"):
        assert me[k] == pytest.approx(getattr(ss, k), abs=1e-12)


def test_double_dot_limits_of_the_master_equations():
    gamma, kw = 0.1, {"beta_A": 2.0, "beta_B": 2.0, "mu_A": 0.5, "mu_B": -0.5}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the secular-approximation warning
        weak = g.compare_with_master_equations(
            [[0, 0.01], [0.01, 0]], gamma, n_modes=(80,), n_samples=10, **kw
        )
        strong = g.compare_with_master_equations(
            [[0, 1.0], [1.0, 0]], gamma, n_modes=(80,), n_samples=10, **kw
        )
    for ds in (weak, strong):
        assert float(ds.I_A_exact[0]) == pytest.approx(float(ds.I_A_continuum), rel=1e-3)
        np.testing.assert_allclose(ds.I_A, -ds.I_B, atol=1e-14)
    err_w = dict(zip(weak.approach.values, weak.relative_error.values))
    err_s = dict(zip(strong.approach.values, strong.relative_error.values))
    assert err_w["local"] < 0.03 and err_w["redfield"] < 0.03 and err_w["global"] > 10
    assert err_s["global"] < 0.1 and err_s["redfield"] < 0.1 and err_s["local"] > 0.5
    for name in strong.data_vars:
        assert {"units", "long_name"} <= set(strong[name].attrs), name


BAD = [
    (lambda: g.junction([[0, 1], [1, 0], [0, 0]], 4, 0.1), ModelError, "h_S"),
    (lambda: g.junction(np.eye(3), 4, 0.1), ModelError, "one or two levels"),
    (lambda: g.junction([[0]], 0, 0.1), ModelError, "n_modes"),
    (lambda: g.junction([[0]], 4, -0.1), ModelError, "gamma"),
    (lambda: g.junction([[0]], 4, 0.1, spectral_density="lorentz"), ModelError, "spectral"),
    (lambda: g.junction([[0]], 4, 0.1, site_B=3), ModelError, "site_B"),
    (lambda: g.band(4, 0.1, half_width=0), ModelError, "half_width"),
    (lambda: g.junction_currents("x", np.eye(2), [0, 1]), DynamicsError, "LeadJunction"),
    (
        lambda: g.junction_currents(g.junction([[0]], 2, 0.1), np.eye(4), [0, 1]),
        CorrthermError,
        "C0",
    ),
    (
        lambda: g.junction([[0]], 2, 0.1).initial_correlation(1, 1, system=np.eye(2)),
        ModelError,
        "system",
    ),
    (lambda: g.landauer_currents("jn", 1, 1), DynamicsError, "LeadJunction"),
    (lambda: g.landauer_currents(g.junction([[0]], 2, 0.1), -1, 1), DynamicsError, "beta_A"),
    (lambda: g.landauer_currents(g.junction([[0]], 2, 0.1), 1, 1, mu_B="x"), DynamicsError, "mu_B"),
    (
        lambda: g.compare_with_master_equations([[0]], 0.1, beta_A=1, beta_B=1),
        DynamicsError,
        "two levels",
    ),
    (
        lambda: g.master_equation_currents([[0, 1], [1, 0]], 0.1, 0.1, 1, 1, approaches=("x",)),
        DynamicsError,
        "approaches",
    ),
]


@pytest.mark.parametrize("call,error,match", BAD, ids=[b[2] for b in BAD])
def test_bad_input_is_one_clear_error(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    assert "\n" not in str(info.value)
