"""Entropy production and the second-law audit, local vs global vs Redfield.

Truths used: a closed form of the two-qubit local steady state (derived below); the Pauli rate
equation of the global steady state (a classical computation, no jump operators); Spohn's
inequality (J. Math. Phys. 19, 1227 (1978)) over random models; the identity
Sigma(t) = int_0^t sigma (two different computations: ln rho along the way vs S, Q_X at the
end); the exact (dense) propagator for the eigenbasis ODE generator.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import cumulative_simpson

import corrtherm as ct
from corrtherm.open.full_generator import FullGenerator

from .conftest import random_hermitian, random_state
from .test_davies import levy_kosloff, random_model

SX, SZ, SP, SM = ct.sigma_x(), ct.sigma_z(), ct.sigma_plus(), ct.sigma_minus()
BETA_A, BETA_B, GAMMA0 = 0.5, 1.0, 0.05  # T_A = 2 (hot), T_B = 1 (cold)


def local_jumps(model, rate="ohmic"):
    return (
        ct.thermal_jumps(model.H_A, BETA_A, rate, GAMMA0),
        ct.thermal_jumps(model.H_B, BETA_B, rate, GAMMA0),
    )


def global_jumps(model, rate="ohmic"):
    return (
        ct.davies_jumps(model, SX, "A", BETA_A, rate, GAMMA0),
        ct.davies_jumps(model, SX, "B", BETA_B, rate, GAMMA0),
    )


def lk_local_closed_form(wA, wB, g, bA, bB, rate, gamma0):
    """Steady heat current J_A of two exchange-coupled qubits with local thermal baths.

    Derivation (Heisenberg picture, d<X>/dt = <i[H, X] + L#[X]>): with n_X = <|0><0|_X> the
    excited population, Gamma_X^+ = gamma(+w_X) (absorption), Gamma_X^- = gamma(-w_X),
    Gamma_X = Gamma_X^+ + Gamma_X^-, p_X = Gamma_X^+ / Gamma_X and c = <sp_A sm_B>:
      dn_A/dt = 2 g Im c - Gamma_A (n_A - p_A),   dn_B/dt = -2 g Im c - Gamma_B (n_B - p_B),
      dc/dt = (i Delta - Gamma/2) c + i g (n_B - n_A),   Delta = w_A - w_B, Gamma = G_A + G_B.
    Steady: c = i g x / (Gamma/2 - i Delta), x = n_B - n_A, so 2 g Im c = kappa x with
    kappa = g^2 Gamma / D, D = Gamma^2/4 + Delta^2, and x = (p_B - p_A) / (1 + kappa (1/G_A +
    1/G_B)). J_A = <L_A#[H]> = -w_A Gamma_A (n_A - p_A) - g Gamma_A Re c
    = -x g^2 (w_A Gamma_B + w_B Gamma_A) / D, and J_B = -J_A.
    """
    up_A, down_A = ct.thermal_rate(np.array([wA, -wA]), bA, rate, gamma0)
    up_B, down_B = ct.thermal_rate(np.array([wB, -wB]), bB, rate, gamma0)
    GA, GB = up_A + down_A, up_B + down_B
    pA, pB = up_A / GA, up_B / GB
    D = (GA + GB) ** 2 / 4 + (wA - wB) ** 2
    kappa = g**2 * (GA + GB) / D
    x = (pB - pA) / (1 + kappa * (1 / GA + 1 / GB))
    return -x * g**2 * (wA * GB + wB * GA) / D


# ------------------------------------------------------------- the issue's numbers
@pytest.mark.parametrize("rate", ["ohmic", "fermi", "paper"])
def test_levy_kosloff_local_steady_state_closed_form(rate):
    model = levy_kosloff()
    rep = ct.steady_state(model, *local_jumps(model, rate), beta_A=BETA_A, beta_B=BETA_B)
    J = lk_local_closed_form(2.0, 0.5, 0.1, BETA_A, BETA_B, rate, GAMMA0)
    assert rep.J_A == pytest.approx(J, rel=1e-9)
    assert rep.J_B == pytest.approx(-J, rel=1e-9)
    assert rep.sigma == pytest.approx(-BETA_A * J + BETA_B * J, rel=1e-9)
    assert rep.second_law_violated is True
    assert rep.sigma_local > 0  # the local accounting stays consistent


def test_levy_kosloff_issue_numbers():
    """The issue: J_A = -1.4613e-4 (heat into the hot bath), sigma = -7.306e-5 < 0; the
    convention that reproduces them is H_X = w_X sz / 2 and V = g (sp sm + h.c.)."""
    J = lk_local_closed_form(2.0, 0.5, 0.1, BETA_A, BETA_B, "ohmic", GAMMA0)
    assert J == pytest.approx(-1.4613e-4, abs=5e-9)
    assert -BETA_A * J - BETA_B * (-J) == pytest.approx(-7.306e-5, abs=5e-9)


def _pauli_global_current(model, S_A, S_B, rate):
    """Global steady state from the classical Pauli equation: populations p of the eigenstates
    of H with rates W^X[m, n] = gamma_X(E_m - E_n) |<m|S_X|n>|^2 (non-degenerate spectrum:
    the Davies steady state is diagonal in that basis), J_X = sum (E_m - E_n) W^X[m, n] p_n."""
    E, Q = np.linalg.eigh(model.H)
    W = []
    for S, beta in ((S_A, BETA_A), (S_B, BETA_B)):
        Se = Q.conj().T @ S @ Q
        w = ct.thermal_rate(E[:, None] - E[None, :], beta, rate, GAMMA0) * np.abs(Se) ** 2
        np.fill_diagonal(w, 0.0)
        W.append(w)
    M = W[0] + W[1]
    M = M - np.diag(M.sum(axis=0))
    _, _, vh = np.linalg.svd(M)
    p = vh[-1].real
    p /= p.sum()
    dE = E[:, None] - E[None, :]
    return [float(np.sum(dE * w * p[None, :])) for w in W]


def test_levy_kosloff_global_heat_flows_from_hot_to_cold():
    model = levy_kosloff()
    JA, JB = global_jumps(model)
    rep = ct.steady_state(model, JA, JB, beta_A=BETA_A, beta_B=BETA_B)
    ref = _pauli_global_current(model, np.kron(SX, np.eye(2)), np.kron(np.eye(2), SX), "ohmic")
    assert rep.J_A == pytest.approx(ref[0], rel=1e-9)
    assert rep.J_B == pytest.approx(ref[1], rel=1e-9)
    assert rep.J_A == pytest.approx(1.9856e-4, abs=5e-9)  # README number
    assert rep.J_A > 0 > rep.J_B  # hot bath A gives, cold bath B takes
    assert rep.sigma > 0 and rep.second_law_violated is False
    assert rep.sigma == pytest.approx(9.928e-5, abs=5e-9)


def test_levy_kosloff_trajectories_are_audited():
    model = levy_kosloff()
    rho0 = np.kron(ct.gibbs_state(model.H_A, BETA_A), ct.gibbs_state(model.H_B, BETA_B))
    t = np.linspace(0.0, 100.0, 101)
    with pytest.warns(RuntimeWarning, match="entropy production sigma: violated"):
        loc = ct.evolve(model, rho0, t, *local_jumps(model), beta_A=BETA_A, beta_B=BETA_B)
    assert loc.attrs["second_law"].startswith("violated: min sigma = -7.")
    assert loc.attrs["second_law_local"] == "holds"
    assert "WARNING" in ct.second_law_audit(loc)
    glob = ct.evolve(model, rho0, t, *global_jumps(model), beta_A=BETA_A, beta_B=BETA_B)
    assert glob.attrs["second_law"] == "holds"
    assert float(glob["sigma"].min()) > 0
    assert glob.attrs["approach"] == "global"
    from corrtherm.core.metadata import VARIABLES

    for name in ("sigma", "Sigma", "J_A_local", "J_B_local", "sigma_local", "min_eigenvalue"):
        meta = VARIABLES[name]  # every dataset takes its attributes from the one registry
        assert glob[name].attrs["units"] == meta.units, name
        assert glob[name].attrs["long_name"] == meta.long_name, name
    assert glob["sigma"].attrs["units"] == "nat/[t]"
    assert "into the system" in glob["J_A_local"].attrs["long_name"]
    assert "INTO" in glob["J_A_local"].attrs["comment"]


# ------------------------------------------------------------------- Spohn
@settings(max_examples=25)
@given(
    seed=st.integers(0, 2**31),
    rate=st.sampled_from(["ohmic", "fermi", "paper", "bose"]),
    pure=st.booleans(),
)
def test_spohn_sigma_nonnegative_along_global_trajectories(seed, rate, pure):
    model = random_model(seed)
    rng = np.random.default_rng(seed)
    dA, dB = model.dims
    bA, bB = rng.uniform(0.1, 3.0, size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        JA = ct.davies_jumps(model, [random_hermitian(rng, dA)], "A", bA, rate, 0.5)
        JB = ct.davies_jumps(model, random_hermitian(rng, dB), "B", bB, rate, 0.3)
    rho0 = random_state(rng, model.d, rank=1 if pure else None)
    ds = ct.evolve(
        model, rho0, np.linspace(0, 6, 31), JA, JB, beta_A=bA, beta_B=bB, entropic_split=False
    )
    sig = ds["sigma"].values
    assert np.all(np.isfinite(sig))
    scale = np.maximum(np.abs(ds["J_A"].values * bA), np.abs(ds["J_B"].values * bB))
    assert np.all(sig >= -1e-9 * np.maximum(scale, 1.0))
    assert ds.attrs["second_law"] == "holds"
    assert ds["Sigma"].values[-1] >= -1e-10


@settings(max_examples=25)
@given(seed=st.integers(0, 2**31), rate=st.sampled_from(["ohmic", "fermi", "paper"]))
def test_local_dissipators_obey_the_local_accounting(seed, rate):
    """Local thermal baths with an arbitrary interaction: sigma_local >= 0 (Spohn with the
    local Gibbs states), while the global sigma may be negative."""
    model = random_model(seed)
    rng = np.random.default_rng(seed)
    bA, bB = rng.uniform(0.1, 3.0, size=2)
    JA = ct.thermal_jumps(model.H_A, bA, rate, 0.4)
    JB = ct.thermal_jumps(model.H_B, bB, rate, 0.4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the global sigma may be negative
        ds = ct.evolve(
            model,
            random_state(rng, model.d),
            np.linspace(0, 5, 26),
            JA,
            JB,
            beta_A=bA,
            beta_B=bB,
            entropic_split=False,
        )
    assert np.all(ds["sigma_local"].values >= -1e-9)
    assert ds.attrs["second_law_local"] == "holds"


def test_cumulative_entropy_production_is_the_integral_of_the_rate(rng):
    model = levy_kosloff(0.4)
    rho0 = random_state(rng, 4)
    t = np.linspace(0, 30, 3001)
    ds = ct.evolve(model, rho0, t, *global_jumps(model), beta_A=BETA_A, beta_B=BETA_B)
    integral = cumulative_simpson(ds["sigma"].values, x=t, initial=0.0)
    np.testing.assert_allclose(ds["Sigma"].values, integral, atol=1e-9)


# ------------------------------------------------------- local vs global, g -> 0
def test_local_and_global_agree_as_the_coupling_vanishes():
    """For non-resonant qubits the Davies jumps of H_A + H_B + g V tend to the local ones:
    ||L_global - L_local|| and ||rho_global - rho_local|| are O(g). The heat currents are both
    O(g^2) but with different coefficients (their sign differs here, the Levy-Kosloff point),
    so J/g^2 converges to two different limits."""
    diffs, states, J_glob, J_loc = [], [], [], []
    for g in (1e-2, 1e-3, 1e-4):
        model = levy_kosloff(g)
        Ll = ct.lindblad_superoperator(model, *local_jumps(model))
        Lg = ct.lindblad_superoperator(model, *global_jumps(model))
        diffs.append(np.linalg.norm(Lg - Ll))
        loc = ct.steady_state(model, *local_jumps(model))
        glob = ct.steady_state(model, *global_jumps(model))
        states.append(np.linalg.norm(glob.rho - loc.rho))
        J_glob.append(glob.J_A / g**2)
        J_loc.append(loc.J_A / g**2)
    for seq in (diffs, states):
        assert seq[1] / seq[2] == pytest.approx(10.0, rel=0.01)  # O(g)
    assert J_glob[0] == pytest.approx(J_glob[1], rel=1e-3)  # both currents O(g^2) ...
    assert J_loc[0] == pytest.approx(J_loc[1], rel=2e-2)
    assert J_glob[1] > 0 > J_loc[1]  # ... with opposite signs


# ------------------------------------------------------------- grand canonical
def test_grand_canonical_entropy_production():
    """Two sites exchanging particles, baths at one temperature but different mu: particles
    flow from high to low mu, sigma >= 0, and the exact and ODE particle integrals agree."""
    n = np.diag([1.0, 0.0])
    model = ct.Bipartite(1.0 * n, 0.6 * n, 0.2 * (np.kron(SP, SM) + np.kron(SM, SP)), n, n)
    b, muA, muB = 1.0, 1.5, -0.5
    JA = ct.davies_jumps(model, SX, "A", b, "fermi", 0.3, mu=muA)
    JB = ct.davies_jumps(model, SX, "B", b, "fermi", 0.3, mu=muB)
    kw = dict(beta_A=b, beta_B=b, mu_A=muA, mu_B=muB)
    rep = ct.steady_state(model, JA, JB, **kw)
    assert rep.sigma > 0 and not rep.second_law_violated
    t = np.linspace(0, 20, 401)
    ex = ct.evolve(model, np.eye(4) / 4, t, JA, JB, method="exact", **kw)
    ode = ct.evolve(model, np.eye(4) / 4, t, JA, JB, method="ode", rtol=1e-10, atol=1e-12, **kw)
    assert ex.attrs["second_law"] == "holds"
    assert float(ex["I_A"][-1]) > 0 > float(ex["I_B"][-1])  # from high mu A to low mu B
    # particle balance: N(t) - N(0) = N_in_A + N_in_B (exact integration)
    dN = ex["N_A"].values + ex["N_B"].values - (ex["N_A"].values[0] + ex["N_B"].values[0])
    np.testing.assert_allclose(ex["N_in_A"] + ex["N_in_B"], dN, atol=1e-12)
    np.testing.assert_allclose(ode["N_in_A"], ex["N_in_A"], atol=1e-6)
    np.testing.assert_allclose(ode["Sigma"], ex["Sigma"], atol=1e-6)


# ------------------------------------------------- full-space generator (ODE path)
def test_full_generator_matches_the_dense_generator(rng):
    model = random_model(5, 2, 3)
    dA, dB = model.dims
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        JA = ct.davies_jumps(model, random_hermitian(rng, dA), "A", 0.7, "ohmic", 0.4)
    RB = ct.redfield_bath(model, random_hermitian(rng, dB), "B", 1.3, "fermi", 0.3)
    JBl = ct.thermal_jumps(model.H_B, 1.3, "fermi", 0.3)
    X = random_hermitian(rng, model.d)
    for jb in (RB, JBl):
        gen = FullGenerator(model, JA, jb)
        from corrtherm.open.baths import as_bath, generator_superoperator

        S = generator_superoperator(
            model, as_bath(JA, model, "A", "a"), as_bath(jb, model, "B", "b")
        )
        np.testing.assert_allclose(gen.rhs(X).reshape(-1), S @ X.reshape(-1), atol=1e-12)
        hA, hB = gen.heat_operators()
        rho = random_state(rng, model.d)
        assert np.trace(hB @ rho).real == pytest.approx(
            np.trace(model.H @ gen.dissipator_B(rho)).real, abs=1e-12
        )


@pytest.mark.parametrize("approach", ["global", "redfield", "mixed"])
def test_ode_path_matches_the_exact_path(approach, rng):
    model = random_model(8, 2, 3)
    dA, dB = model.dims
    SA, SB = random_hermitian(rng, dA), random_hermitian(rng, dB)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if approach == "global":
            JA = ct.davies_jumps(model, SA, "A", 0.7, "ohmic", 0.3)
            JB = ct.davies_jumps(model, SB, "B", 1.4, "ohmic", 0.3)
        elif approach == "redfield":
            JA = ct.redfield_bath(model, SA, "A", 0.7, "ohmic", 0.3)
            JB = ct.redfield_bath(model, SB, "B", 1.4, "ohmic", 0.3)
        else:
            JA = ct.davies_jumps(model, SA, "A", 0.7, "ohmic", 0.3)
            JB = ct.thermal_jumps(model.H_B, 1.4, "ohmic", 0.3)
        rho0 = random_state(rng, model.d)
        t = np.linspace(0, 8, 17)
        kw = dict(beta_A=0.7, beta_B=1.4)
        ex = ct.evolve(model, rho0, t, JA, JB, method="exact", **kw)
        ode = ct.evolve(model, rho0, t, JA, JB, method="ode", rtol=1e-11, atol=1e-13, **kw)
    for v in ("U", "U_chi", "S", "I_AB", "J_A", "J_B", "Q_A", "Q_B", "sigma", "Sigma"):
        np.testing.assert_allclose(ode[v], ex[v], atol=2e-8, err_msg=v)


# ---------------------------------------------------------- single-state function
def test_entropy_production_rate_of_one_state(rng):
    from scipy.linalg import logm

    model = levy_kosloff()
    rho = random_state(rng, 4)
    JA, JB = global_jumps(model)
    ep = ct.entropy_production_rate(model, rho, JA, JB, beta_A=BETA_A, beta_B=BETA_B)
    # independently: sigma = -Tr[(L_A + L_B)[rho] ln rho] - sum_X beta_X Tr[H L_X[rho]], with
    # the dense dissipators and a matrix logarithm (no eigendecomposition of the library's)
    DA, DB = ct.dissipator(JA, rho), ct.dissipator(JB, rho)
    dS = -np.trace((DA + DB) @ logm(rho)).real
    JA_ref, JB_ref = np.trace(model.H @ DA).real, np.trace(model.H @ DB).real
    assert ep.dS_dt == pytest.approx(dS, abs=1e-12)
    assert ep.J_A == pytest.approx(JA_ref, abs=1e-14) and ep.J_B == pytest.approx(JB_ref, abs=1e-14)
    assert ep.sigma == pytest.approx(dS - BETA_A * JA_ref - BETA_B * JB_ref, abs=1e-12)
    ds = ct.evolve(model, rho, [0.0, 1.0], JA, JB, beta_A=BETA_A, beta_B=BETA_B)
    assert ep.sigma == pytest.approx(float(ds["sigma"][0]), abs=1e-12)
    assert ep.J_A == pytest.approx(float(ds["J_A"][0]), abs=1e-14)
    assert ep.sigma >= 0 and not ep.second_law_violated
    assert "σ_local" in str(ep) and "<table>" in ep._repr_html_()


def test_steady_state_without_temperatures_has_currents_but_no_verdict():
    model = levy_kosloff()
    rep = ct.steady_state(model, *local_jumps(model))
    assert np.isfinite(rep.J_A) and np.isnan(rep.sigma) and rep.second_law_violated is None


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"beta_A": 1.0}, "beta_B: missing; the entropy production needs"),
        ({"beta_A": float("inf"), "beta_B": 1.0}, "beta_A: got inf"),
        ({"beta_A": "hot", "beta_B": 1.0}, "beta_A: got 'hot'"),
        ({"beta_A": 1.0, "beta_B": 1.0, "mu_A": 0.1}, "mu_A: a chemical potential needs"),
        ({"mu_A": 0.1}, "mu_A, mu_B: given without beta_A, beta_B"),
    ],
)
def test_entropy_production_bad_input(kwargs, match):
    model = levy_kosloff()
    rho0 = np.eye(4) / 4
    with pytest.raises(ct.CorrthermError, match=match):
        ct.evolve(model, rho0, [0.0, 1.0], *local_jumps(model), **kwargs)
    with pytest.raises(ct.CorrthermError, match=match):
        ct.steady_state(model, *local_jumps(model), **kwargs)


def test_entropy_production_rate_needs_betas():
    with pytest.raises(ct.DynamicsError, match="beta_A, beta_B: missing"):
        ct.entropy_production_rate(levy_kosloff(), np.eye(4) / 4)
