"""Gaussian engine: closed forms, exact identities, property tests and bad input.

Independent truths: closed forms derived by hand in the comments (two resonant modes, a single
mode relaxing in a bath, Fermi-Dirac / Bose-Einstein occupations), the exact identity behind
inequality (26) (slack = D_A + D_B when Eqs. 14-15 hold), Spohn's inequality for local baths
(sigma_local >= 0), positivity constraints (0 <= C <= 1, I >= 0, D >= 0) over random models,
and the dense engine where it can run (tests/test_gaussian_dense.py).
"""

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import corrtherm.gaussian as g
from corrtherm.core.errors import CorrthermError, DynamicsError, FlowError, ModelError, StateError

from .conftest import random_unitary


def random_C(rng, L, lo=0.05, hi=0.95):
    W = random_unitary(rng, L)
    return (W * rng.uniform(lo, hi, L)) @ W.conj().T


# ------------------------------------------------------------------------------ closed forms
@pytest.mark.parametrize("statistics", ["fermion", "boson"])
def test_two_resonant_modes_closed_form(statistics):
    """h = [[eps, g], [g, eps]]: c_A(t) = e^{-i eps t}(cos(gt) c_A - i sin(gt) c_B), hence
    N_A(t) = cos^2(gt) N_A + sin^2(gt) N_B + sin(2gt) Im<a^dag b> (derived by hand)."""
    eps, gg = 1.3, 0.7
    m = g.FreeModel([[eps]], [[eps]], [[gg]], statistics)
    C0 = np.array([[0.8, 0.2 + 0.3j], [0.2 - 0.3j, 0.25]])
    t = np.linspace(0.0, 5.0, 41)
    ds = g.evolve(m, C0, t)
    closed = (
        np.cos(gg * t) ** 2 * 0.8 + np.sin(gg * t) ** 2 * 0.25 + np.sin(2 * gg * t) * C0[0, 1].imag
    )
    np.testing.assert_allclose(ds.N_A.values, closed, atol=1e-13)
    np.testing.assert_allclose(ds.N_A + ds.N_B, 1.05, atol=1e-13)
    # the initial current is 2 g Im<a^dag b> (into A)
    assert g.initial_currents(m, C0)[0] == pytest.approx(2 * gg * 0.3, abs=1e-14)


def test_single_mode_relaxes_exponentially_to_the_bath_occupation():
    """One fermionic mode in a flat bath: dn/dt = gamma (f - n), so n(t) = f + (n0 - f) e^{-gt},
    J = eps dn/dt, Q = eps (n(t) - n0), I = dn/dt, N_in = n(t) - n0."""
    eps, beta, mu, gam, n0 = 0.8, 1.7, 0.2, 0.35, 0.9
    m = g.FreeModel([[eps]], [[2.0]])
    t = np.linspace(0.0, 6.0, 13)
    ds = g.evolve(m, np.diag([n0, 0.0]), t, bath_A=g.LocalBath(beta, mu, gam))
    f = 1.0 / (np.exp(beta * (eps - mu)) + 1.0)
    n = f + (n0 - f) * np.exp(-gam * t)
    np.testing.assert_allclose(ds.N_A.values, n, atol=1e-13)
    np.testing.assert_allclose(ds.J_A.values, eps * gam * (f - n), atol=1e-13)
    np.testing.assert_allclose(ds.I_A.values, gam * (f - n), atol=1e-13)
    np.testing.assert_allclose(ds.Q_A.values, eps * (n - n0), atol=1e-13)
    np.testing.assert_allclose(ds.N_in_A.values, n - n0, atol=1e-13)
    # B is empty and decoupled: a pure occupation that stays put contributes 0 to dS/dt
    assert np.all(np.isfinite(ds.sigma.values))


def test_bosonic_mode_relaxes_to_bose_einstein():
    eps, beta, mu = 1.5, 0.9, -0.4
    m = g.FreeModel([[eps]], [[3.0]], statistics="boson")
    ss = g.steady_state(m, g.LocalBath(beta, mu, 0.5), g.LocalBath(2.0, 0.0, 0.1))
    assert ss.C[0, 0] == pytest.approx(1.0 / np.expm1(beta * (eps - mu)), rel=1e-12)
    assert ss.C[1, 1] == pytest.approx(1.0 / np.expm1(2.0 * 3.0), rel=1e-12)


def test_thermal_occupations_closed_form():
    assert g.occupation([0.0, 1.0], 2.0, 1.0)[1] == pytest.approx(0.5)
    assert g.occupation([2.0], 1.0, 0.0, "boson")[0] == pytest.approx(1 / np.expm1(2.0))
    np.testing.assert_array_equal(g.occupation([-1.0, 0.0, 1.0], np.inf), [1.0, 0.5, 0.0])
    C = g.thermal_correlation(g.chain_hamiltonian(4, 1.0), 1.0, 0.3)
    assert g.entropy(C) > 0
    # C = conj(W) f W^T: for real h it is the one-body density matrix f(h)
    eps, W = np.linalg.eigh(g.chain_hamiltonian(4, 1.0))
    np.testing.assert_allclose(C, (W / (np.exp(eps - 0.3) + 1)) @ W.T, atol=1e-14)


# --------------------------------------------------------------------------- inequality (26)
def test_slack_equals_relative_entropies_at_L_400():
    """A ladder (t_AB = -g 1, identical legs) conserves H_A + H_B (Eq. 14) and N (Eq. 15), so
    slack = lhs_26 - DeltaI_AB = D_A + D_B exactly (isolated.flows docstring)."""
    m = g.ladder(200, hopping=1.0, rung=0.3)
    assert m.energy_commutator < 1e-12
    bA, bB, mA, mB = 0.7, 1.4, 0.5, -0.3
    X = g.exchange_correlation(m, bA, bB, mA, mB, phase=0.4)
    C0 = g.locally_thermal_correlation(m, bA, bB, mA, mB, X, 0.9)
    t = np.linspace(0.0, 8.0, 4)
    ds = g.evolve(m, C0, t, beta_A=bA, beta_B=bB, mu_A=mA, mu_B=mB)
    np.testing.assert_allclose(ds.slack.values, (ds.D_A + ds.D_B).values, atol=1e-10, rtol=0)
    assert np.max(np.abs(ds.assumption_terms.values)) < 1e-10
    assert np.all(ds.slack.values >= -1e-10)
    assert np.max(np.abs(ds.D_A0.values)) < 1e-10


def test_flow_identity_with_drifts_on_a_junction():
    """Two chains joined at one bond break Eq. 14; the identity still holds with the drift
    term: slack = D_A + D_B - D_A0 - D_B0 + assumption_terms (round-off residual only)."""
    m = g.two_chains(60, 40, hopping=1.0, coupling=0.6)
    bA, bB, mA, mB = 1.0, 1.0, -0.4, 0.4
    X = g.exchange_correlation(m, bA, bB, mA, mB, phase=np.pi / 2)
    C0 = g.locally_thermal_correlation(m, bA, bB, mA, mB, X, 0.8)
    ds = g.evolve(m, C0, np.linspace(0, 20, 5), beta_A=bA, beta_B=bB, mu_A=mA, mu_B=mB)
    assert np.max(np.abs(ds.identity_residual.values)) < 1e-10
    assert np.max(np.abs(ds.number_drift.values)) < 1e-10
    assert ds.attrs["flow_mu_A"] == mA
    for name in ds.data_vars:
        assert {"units", "long_name"} <= set(ds[name].attrs), name


def test_anomalous_particle_flow_is_certified_by_a_drop_of_mutual_information():
    """Equal beta, mu_A > mu_B: correlations that push particles into A (high mu) give
    lhs_26 < 0, which (26) allows only because I(A:B) drops."""
    m = g.two_chains(30, 30, hopping=1.0, coupling=0.5)
    beta, mA, mB = 1.0, 0.5, -0.5
    # aligned phases: c > 0 pushes particles into A, dN_A/dt(0) = 2 c sum_k x_k |u_k| > 0
    X = g.exchange_correlation(m, beta, beta, mA, mB)
    C0 = g.locally_thermal_correlation(m, beta, beta, mA, mB, X, 0.95)
    assert g.initial_currents(m, C0)[0] > 0
    ds = g.evolve(m, C0, np.linspace(0, 20.0, 5), beta_A=beta, beta_B=beta, mu_A=mA, mu_B=mB)
    assert np.all(np.diff(ds.DeltaN_A.values) > 0)  # uphill: into the high-mu side
    assert list(ds.particle_flow.values[1:]) == ["anomalous"] * 4
    assert np.all(ds.lhs_26.values[1:] < 0)
    assert np.all(ds.DeltaI_AB.values[1:] <= ds.lhs_26.values[1:] + 1e-12)
    # the opposite sign is conventional
    C1 = g.locally_thermal_correlation(m, beta, beta, mA, mB, X, -0.95)
    ds1 = g.evolve(m, C1, [0.0, 20.0], beta_A=beta, beta_B=beta, mu_A=mA, mu_B=mB)
    assert ds1.particle_flow.values[-1] == "conventional"


# ---------------------------------------------------------------------- correlation interval
@pytest.mark.parametrize("statistics", ["fermion", "boson"])
def test_exchange_correlation_interval_is_exactly_unit(statistics):
    m = g.two_chains(
        5, 4, hopping=1.0, coupling=0.3, onsite_A=3.0, onsite_B=3.0, statistics=statistics
    )
    bA, bB, mA, mB = 0.8, 1.1, 0.5, 0.2
    X = g.exchange_correlation(m, bA, bB, mA, mB, phase=0.3)
    CA = g.thermal_correlation(m.h_A, bA, mA, statistics)
    CB = g.thermal_correlation(m.h_B, bB, mB, statistics)
    lo, hi = g.correlation_interval(CA, CB, X, statistics)
    assert lo == pytest.approx(-1.0, abs=1e-9) and hi == pytest.approx(1.0, abs=1e-9)


def test_correlation_interval_edges_touch_the_physical_boundary(rng):
    """At c_max an eigenvalue of C (or of 1 - C) reaches 0; beyond it, it is negative."""
    CA, CB = random_C(rng, 3), random_C(rng, 2)
    X = rng.normal(size=(3, 2)) + 1j * rng.normal(size=(3, 2))
    lo, hi = g.correlation_interval(CA, CB, X)

    def edge(c):
        C = np.block([[CA, c * X], [c * X.conj().T, CB]])
        n = np.linalg.eigvalsh(C)
        return min(n[0], 1 - n[-1])

    assert abs(edge(hi)) < 1e-9 and abs(edge(lo)) < 1e-9
    assert edge(hi * 1.01) < 0 and edge(lo * 1.01) < 0 and edge(0.5 * hi) > 0
    with pytest.raises(FlowError, match="admissible interval"):
        m = g.FreeModel(np.diag([0.1, 0.2, 0.3]), np.diag([0.0, 1.0]), np.zeros((3, 2)))
        Xm = g.exchange_correlation(m, 1.0, 1.0)
        g.locally_thermal_correlation(m, 1.0, 1.0, X=Xm, c=1.5)


def test_correlation_interval_of_pure_blocks_is_a_point():
    """Zero temperature: C_A, C_B are projectors; any coupling X between a filled mode and an
    empty one lifts an eigenvalue above 1 (or below 0) at second order, so only c = 0 is
    admissible (the kernel path of positivity_interval)."""
    h = g.chain_hamiltonian(4, 1.0)
    CA = g.thermal_correlation(h, np.inf, 0.1)
    CB = g.thermal_correlation(h, np.inf, -0.1)
    X = np.ones((4, 4))
    lo, hi = g.correlation_interval(CA, CB, X)
    assert lo == pytest.approx(0.0, abs=1e-9) and hi == pytest.approx(0.0, abs=1e-9)


# ------------------------------------------------------------------------- property tests
@st.composite
def open_cases(draw):
    LA, LB = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**31 - 1))
    statistics = draw(st.sampled_from(["fermion", "boson"]))
    return LA, LB, seed, statistics


@settings(max_examples=25)
@given(open_cases())
def test_properties_of_random_open_runs(case):
    """0 <= C(t) <= 1 (C >= 0 for bosons), I(A:B) >= 0, D >= 0, energy and particle balances
    close, and Spohn's inequality sigma_local >= 0 (each local bath has the local thermal state
    (x) anything as a steady state)."""
    LA, LB, seed, stat = case
    rng = np.random.default_rng(seed)
    m = g.random_model(LA, LB, seed=seed, statistics=stat)
    hi = 0.99 if stat == "fermion" else 2.0
    C0 = random_C(rng, m.L, 0.01, hi)
    baths = {
        "bath_A": g.LocalBath(rng.uniform(0.2, 3), rng.uniform(-1, 0.5), rng.uniform(0.1, 1)),
        "bath_B": g.LocalBath(rng.uniform(0.2, 3), rng.uniform(-1, 0.5), rng.uniform(0.1, 1)),
    }
    ds = g.evolve(m, C0, np.linspace(0, 3, 7), store_correlations=True, **baths)
    for k in range(7):
        n = np.linalg.eigvalsh(ds.C[k].values)
        assert n[0] > -1e-10 and (stat == "boson" or n[-1] < 1 + 1e-10)
    assert np.all(ds.I_AB.values >= 0) and np.all(ds.D_A.values >= 0)
    assert np.all(ds.sigma_local.values >= -1e-9 * (1 + np.abs(ds.sigma_local.values)))
    assert ds.attrs["second_law_local"] == "holds"
    assert ds.attrs["residual_energy_balance"] < 1e-9
    assert ds.attrs["residual_particle_balance"] < 1e-9


@settings(max_examples=25)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**31 - 1))
def test_properties_of_random_isolated_runs(LA, LB, seed):
    rng = np.random.default_rng(seed)
    m = g.random_model(LA, LB, seed=seed)
    C0 = random_C(rng, m.L, 0.0, 1.0)
    ds = g.evolve(m, C0, np.linspace(0, 4, 5), store_correlations=True)
    n = np.linalg.eigvalsh(ds.C.values)
    assert n.min() > -1e-10 and n.max() < 1 + 1e-10
    assert np.all(ds.I_AB.values >= 0)
    np.testing.assert_allclose(ds.U.values, ds.U.values[0], atol=1e-10)
    np.testing.assert_allclose((ds.N_A + ds.N_B).values, np.trace(C0).real, atol=1e-10)
    # the ledger sums: U = U_A + U_B + U_chi
    np.testing.assert_allclose((ds.U_A + ds.U_B + ds.U_chi).values, ds.U.values, atol=1e-12)


def test_relative_entropy_properties(rng):
    C1, C2 = random_C(rng, 4), random_C(rng, 4)
    assert g.relative_entropy(C1, C1) == pytest.approx(0.0, abs=1e-12)
    assert g.relative_entropy(C1, C2) > 0
    # a pure reference direction that rho occupies: D = +inf
    P = np.diag([1.0, 0.0, 0.5, 0.5])
    assert g.relative_entropy(np.diag([0.9, 0.1, 0.5, 0.5]), P) == np.inf
    assert g.relative_entropy(P, P) == pytest.approx(0.0, abs=1e-12)
    assert g.mutual_information(C1, 2) >= 0


def test_steady_state_report_and_dark_mode():
    m = g.two_chains(3, 3, coupling=0.5)
    ss = g.steady_state(m, g.LocalBath(0.5, 0.3), g.LocalBath(2.0, -0.3))
    assert ss.I_A == pytest.approx(-ss.I_B, abs=1e-12)
    assert ss.J_A + ss.J_B == pytest.approx(0.0, abs=1e-12)
    assert ss.sigma_local >= -1e-12
    assert "J_A" in str(ss) and "<table>" in ss._repr_html_() and "C=<" in repr(ss)
    # with one bath only on A and B decoupled, B's modes are never damped
    with pytest.raises(DynamicsError, match="undamped"):
        g.steady_state(g.FreeModel(np.eye(2), np.eye(1)), g.LocalBath(1.0))


def test_local_approach_can_violate_the_second_law_and_says_so():
    """Two resonant-ish modes with strong coupling and local baths (Levy-Kosloff): the local
    steady state can carry heat against the temperature gradient; sigma then < 0 and the
    verdict says so, while sigma_local >= 0 (Spohn)."""
    from .test_entropy_production import lk_local_closed_form

    m = g.FreeModel([[2.0]], [[0.5]], [[0.6]])
    ss = g.steady_state(m, g.LocalBath(0.5, 0.0, 0.05), g.LocalBath(1.0, 0.0, 0.05))
    # the flat fermionic rates gamma f, gamma (1 - f) are thermal_rate's "fermi" family, so the
    # two-qubit closed form (Heisenberg equations, test_entropy_production) gives J_A exactly
    J = lk_local_closed_form(2.0, 0.5, 0.6, 0.5, 1.0, "fermi", 0.05)
    assert J < 0  # heat flows into the hot bath A
    assert ss.J_A == pytest.approx(J, rel=1e-9)
    assert ss.J_B == pytest.approx(-J, rel=1e-9)
    assert ss.sigma == pytest.approx(-0.5 * J + 1.0 * J, rel=1e-9)
    assert ss.sigma < 0 and ss.second_law_violated
    assert ss.sigma_local >= -1e-14


# -------------------------------------------------------------------------------- bad input
BAD = [
    (lambda: g.FreeModel([[1, 2], [3, 4]], [[0]]), ModelError, "h_A: is not Hermitian"),
    (lambda: g.FreeModel([[0]], [[0]], [[1, 2]]), ModelError, "t_AB: has shape"),
    (lambda: g.FreeModel([[0]], [[0]], statistics="anyon"), ModelError, "statistics"),
    (lambda: g.FreeModel([[np.nan]], [[0]]), ModelError, "h_A: contains"),
    (lambda: g.chain_hamiltonian(0), ModelError, "L: got 0"),
    (lambda: g.chain_hamiltonian(3, onsite=[1, 2]), ModelError, "onsite"),
    (lambda: g.ring_hamiltonian("x"), ModelError, "L: got"),
    (lambda: g.random_hamiltonian(-2), ModelError, "L: got"),
    (lambda: g.two_chains(2, 2, coupling="a"), ModelError, "coupling"),
    (lambda: g.ladder(2, rung=np.inf), ModelError, "rung"),
    (lambda: g.joined(np.eye(2), np.eye(2), site_A=5), ModelError, "site_A"),
    (lambda: g.random_model(2, 2, statistics="x"), ModelError, "statistics"),
    (lambda: g.occupation([1.0], -1.0), StateError, "beta: got -1.0"),
    (lambda: g.occupation([1.0], 1.0, 2.0, "boson"), StateError, "mu"),
    (lambda: g.thermal_correlation([[1, 0]], 1.0), ModelError, "h: has shape"),
    (lambda: g.thermal_correlation(np.eye(2), 1.0, statistics="b"), StateError, "statistics"),
    (
        lambda: g.correlation_interval(np.eye(2) * 2, np.eye(1) * 0.5, np.ones((2, 1))),
        StateError,
        "C_A: has an eigenvalue",
    ),
    (
        lambda: g.correlation_interval(np.eye(2) * 0.5, np.eye(1) * 0.5, np.ones((1, 2))),
        ModelError,
        "X: has shape",
    ),
    (lambda: g.locally_thermal_correlation("m", 1, 1), FlowError, "model: got str"),
    (
        lambda: g.locally_thermal_correlation(g.two_chains(2, 2), 1, 1, c=0.3),
        FlowError,
        "no correlation block",
    ),
    (lambda: g.locally_thermal_correlation(g.two_chains(2, 2), 0, 1), FlowError, "beta_A"),
    (lambda: g.exchange_correlation(g.two_chains(2, 2), 1, 1, phase="x"), FlowError, "phase"),
    (lambda: g.initial_currents(g.two_chains(2, 2), np.eye(3)), FlowError, "C: has shape"),
    (lambda: g.entropy(np.eye(2) * 1.5), StateError, "eigenvalue"),
    (lambda: g.entropy([[0.5, 0.1]]), StateError, "C: has shape"),
    (lambda: g.mutual_information(np.eye(2) * 0.5, 2), StateError, "L_A: got 2"),
    (lambda: g.relative_entropy(np.eye(2) * 0.5, np.eye(3) * 0.5), StateError, "C_sigma"),
    (lambda: g.mode_entropy([0.5], "x"), StateError, "statistics"),
    (lambda: g.evolve(g.two_chains(1, 1), np.eye(3), [0, 1]), StateError, "C0: has shape"),
    (lambda: g.evolve(g.two_chains(1, 1), np.eye(2) * 0.5, [1, 0]), DynamicsError, "times"),
    (
        lambda: g.evolve(g.two_chains(1, 1), np.eye(2) * 0.5, [0, 1], bath_A=3),
        DynamicsError,
        "bath_A: got int",
    ),
    (
        lambda: g.evolve(g.two_chains(1, 1), np.eye(2) * 0.5, [0, 1], beta_A=1.0),
        FlowError,
        "give both",
    ),
    (
        lambda: g.evolve(g.two_chains(1, 1), np.eye(2) * 0.3, [0, 1], beta_A=1.0, beta_B=1.0),
        FlowError,
        "not the thermal",
    ),
    (
        lambda: g.evolve(
            g.two_chains(40, 40), np.eye(80) * 0.5, np.arange(20000.0), store_correlations=True
        ),
        DynamicsError,
        "store_correlations",
    ),
    (lambda: g.steady_state(g.two_chains(1, 1)), DynamicsError, "at least one bath"),
    (lambda: g.LocalBath(np.inf), DynamicsError, "finite beta"),
    (lambda: g.LocalBath(1.0, gamma=-1), DynamicsError, "bath.gamma"),
    (lambda: g.LocalBath(1.0, rate=3), DynamicsError, "bath.rate"),
    (
        lambda: g.steady_state(g.two_chains(1, 1, statistics="boson"), g.LocalBath(1.0, 0.0)),
        DynamicsError,
        "bosonic bath needs mu",
    ),
    (
        lambda: g.steady_state(
            g.two_chains(1, 1), g.LocalBath(1.0, 0.5, rate=lambda w: 1.0 + 0 * w)
        ),
        DynamicsError,
        "detailed balance",
    ),
    (lambda: g.to_dense_model(g.two_chains(7, 7)), ModelError, r"2\^L"),
    (lambda: g.to_dense_model(g.two_chains(1, 1, statistics="boson")), ModelError, "cutoff"),
    (lambda: g.to_dense_state(g.two_chains(1, 1), np.eye(2) * 2), StateError, "eigenvalue"),
    (lambda: g.from_dense_state(g.two_chains(1, 1), np.eye(3)), StateError, "rho: has shape"),
    (
        lambda: g.dense_jumps(g.two_chains(1, 1), {"beta": 1, "nu": 2}, None),
        DynamicsError,
        "bath_A",
    ),
]


@pytest.mark.parametrize("call,error,match", BAD, ids=[b[2] for b in BAD])
def test_bad_input_is_one_clear_error(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    assert isinstance(info.value, CorrthermError)
    assert "\n" not in str(info.value)


def test_model_display():
    m = g.two_chains(3, 2, coupling=0.5)
    assert "(L_A, L_B) = (3, 2)" in str(m) and "<table>" in m._repr_html_()
    assert "Eq. 14" in str(m) and "LocalBath(beta=1" in repr(g.LocalBath(1.0))
    assert m.modes == (3, 2) and m.h.shape == (5, 5)
    assert isinstance(g.evolve(m, np.eye(5) * 0.5, [0.0, 1.0]), xr.Dataset)
