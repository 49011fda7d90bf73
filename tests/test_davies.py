"""Global (Davies) jumps and the flat Bose rate family, against independent truth.

Truths used: the Gibbs state e^{-beta H}/Z of the FULL H (resp. e^{-beta (H - mu N)}/Z) is the
steady state of a detailed-balance Davies bath (Davies 1974; Breuer & Petruccione Sec. 3.3);
QuTiP's secular Bloch-Redfield tensor (independent code, same spectral function) equals the
Davies generator; the flat Bose rates written out by hand.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import corrtherm as ct
from corrtherm.open.baths import as_bath

from .conftest import random_hermitian

SX, SZ, SP, SM = ct.sigma_x(), ct.sigma_z(), ct.sigma_plus(), ct.sigma_minus()


def levy_kosloff(g: float = 0.1) -> ct.Bipartite:
    """H_X = omega_X sz/2, V = g (sp sm + h.c.), omega_A = 2, omega_B = 0.5 (the issue's model)."""
    return ct.Bipartite(2.0 * SZ / 2, 0.5 * SZ / 2, g * (np.kron(SP, SM) + np.kron(SM, SP)))


def random_model(seed: int, dA: int | None = None, dB: int | None = None) -> ct.Bipartite:
    rng = np.random.default_rng(seed)
    dA = dA or int(rng.integers(2, 4))
    dB = dB or int(rng.integers(2, 4))
    V = random_hermitian(rng, dA * dB, 0.4)
    return ct.Bipartite(random_hermitian(rng, dA), random_hermitian(rng, dB), V)


def liouvillian(model: ct.Bipartite, jumps_A, jumps_B) -> np.ndarray:
    return ct.lindblad_superoperator(model, jumps_A, jumps_B)


def kernel_state(L: np.ndarray, d: int) -> np.ndarray:
    w, v = np.linalg.eig(L)
    k = int(np.argmin(np.abs(w)))
    r = v[:, k].reshape(d, d)
    r = r / np.trace(r)
    return 0.5 * (r + r.conj().T)


# ------------------------------------------------------------------------------ rates
def test_bose_rates_by_hand():
    beta, g0, w = 0.8, 0.3, 1.7
    n = 1.0 / np.expm1(beta * w)
    got = ct.thermal_rate(np.array([w, -w, 0.0]), beta, "bose", g0)
    np.testing.assert_allclose(got, [g0 * n, g0 * (n + 1), 0.0], rtol=1e-14)


@given(w=st.floats(1e-3, 30), beta=st.floats(0.05, 5))
def test_bose_detailed_balance(w, beta):
    up, down = ct.thermal_rate(np.array([w, -w]), beta, "bose", 1.0)
    assert up == pytest.approx(down * np.exp(-beta * w), rel=1e-12, abs=1e-300)


def test_bose_needs_positive_beta():
    with pytest.raises(ct.DynamicsError, match="'bose' rate needs beta > 0"):
        ct.thermal_rate(np.array([1.0]), -1.0, "bose")


# ------------------------------------------------------------------- Gibbs fixed point
@settings(max_examples=30)
@given(seed=st.integers(0, 2**31), rate=st.sampled_from(["ohmic", "fermi", "paper", "bose"]))
def test_equal_betas_relax_to_the_gibbs_state_of_the_full_H(seed, rate):
    """Global Davies baths at one beta: the unique steady state is e^{-beta H}/Z of H_A + H_B
    + V (random non-degenerate models, random couplings on both sides)."""
    model = random_model(seed)
    rng = np.random.default_rng(seed + 1)
    beta = float(rng.uniform(0.2, 2.0))
    dA, dB = model.dims
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # secular-validity warnings
        JA = ct.davies_jumps(model, random_hermitian(rng, dA), "A", beta, rate, 0.5)
        JB = ct.davies_jumps(model, random_hermitian(rng, dB), "B", beta, rate, 0.3)
    rep = ct.steady_state(model, JA, JB, beta_A=beta, beta_B=beta)
    gibbs = ct.gibbs_state(model.H, beta)
    np.testing.assert_allclose(rep.rho, gibbs, atol=1e-9)
    # equilibrium: no heat current, no entropy production
    assert abs(rep.J_A) < 1e-10 and abs(rep.J_B) < 1e-10
    assert abs(rep.sigma) < 1e-10 and rep.second_law_violated is False


def test_grand_canonical_bath_relaxes_to_the_grand_gibbs_state():
    """[H, N] = 0 and a chemical potential: steady state e^{-beta (H - mu N)}/Z."""
    n = np.diag([1.0, 0.0])
    model = ct.Bipartite(2.0 * n, 0.5 * n, 0.1 * (np.kron(SP, SM) + np.kron(SM, SP)), n, n)
    beta, mu = 0.7, 0.8
    JA = ct.davies_jumps(model, SX, "A", beta, "fermi", 0.3, mu=mu)
    JB = ct.davies_jumps(model, SX, "B", beta, "fermi", 0.2, mu=mu)
    rho = kernel_state(liouvillian(model, JA, JB), model.d)
    np.testing.assert_allclose(rho, ct.gibbs_state(model.H - mu * model.N, beta), atol=1e-12)


# ------------------------------------------------------------------ QuTiP cross-check
def _row_major(R: np.ndarray, d: int) -> np.ndarray:
    """QuTiP's column-stacking superoperator in corrtherm's row-major convention."""
    P = np.zeros((d * d, d * d))
    for i in range(d):
        for j in range(d):
            P[i * d + j, j * d + i] = 1.0
    return P @ R @ P.T


def _qutip_secular(model, S_full, beta, rate, gamma0, cutoff):
    qt = pytest.importorskip("qutip")

    def spectrum(w):  # QuTiP: w = energy LOST by the system; corrtherm: nu = -w gained
        return float(ct.thermal_rate(np.array([-w]), beta, rate, gamma0)[0])

    R = qt.bloch_redfield_tensor(
        qt.Qobj(model.H), [(qt.Qobj(S_full), spectrum)], sec_cutoff=cutoff, fock_basis=True
    )
    return _row_major(R.full(), model.d)


@settings(max_examples=15)
@given(seed=st.integers(0, 2**31), rate=st.sampled_from(["ohmic", "fermi", "paper"]))
def test_davies_equals_qutip_secular_bloch_redfield(seed, rate):
    model = random_model(seed, 2, 2)
    rng = np.random.default_rng(seed)
    S = random_hermitian(rng, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        J = ct.davies_jumps(model, S, "A", 0.9, rate, 0.4)
    mine = liouvillian(model, J, ())
    # QuTiP keeps pairs with |w_ab - w_cd| < sec_cutoff: a tiny cutoff is the full secular
    # approximation for a generic spectrum
    theirs = _qutip_secular(model, np.kron(S, np.eye(2)), 0.9, rate, 0.4, 1e-8)
    np.testing.assert_allclose(mine, theirs, atol=1e-12)


def test_degenerate_bohr_frequencies_are_grouped_like_qutip():
    """The issue's two-qubit model has exactly equal Bohr frequencies (E_1 - E_3 = E_2 - E_4):
    the coherences between those transitions survive the secular approximation; splitting them
    by round-off would change the generator. Also a model with a degenerate energy level."""
    model = levy_kosloff()
    J = ct.davies_jumps(model, SX, "A", 0.5, "ohmic", 0.05)
    assert len(J) == 4  # nu = +-omega_A', +-(omega_A' - omega_B'), each grouped
    theirs = _qutip_secular(model, np.kron(SX, np.eye(2)), 0.5, "ohmic", 0.05, 1e-6)
    np.testing.assert_allclose(liouvillian(model, J, ()), theirs, atol=1e-14)
    # degenerate levels: B = two uncoupled equal qubits
    HB = 0.5 * (np.kron(SZ, np.eye(2)) + np.kron(np.eye(2), SZ))
    deg = ct.Bipartite(0.7 * SZ, HB, 0.2 * np.kron(SX, np.kron(SX, np.eye(2))))
    S = np.kron(SX, np.eye(2)) + 0.3 * np.kron(np.eye(2), SZ)
    J = ct.davies_jumps(deg, S, "B", 1.1, "fermi", 0.2)
    theirs = _qutip_secular(deg, np.kron(np.eye(2), S), 1.1, "fermi", 0.2, 1e-6)
    np.testing.assert_allclose(liouvillian(deg, (), J), theirs, atol=1e-13)


def test_local_option_equals_thermal_jumps_for_a_qubit():
    """local=True: the secular construction from H_X alone; for a qubit coupled by sx it gives
    paper 1's thermal jumps sqrt(gamma(-w)) sm, sqrt(gamma(w)) sp."""
    model = levy_kosloff()
    loc = ct.davies_jumps(model, SX, "A", 0.5, "ohmic", 0.05, local=True)
    ref = ct.thermal_jumps(model.H_A, 0.5, "ohmic", 0.05)
    assert all(L.shape == (2, 2) for L in loc)
    L1 = ct.lindblad_superoperator(model, loc, ())
    L2 = ct.lindblad_superoperator(model, ref, ())
    np.testing.assert_allclose(L1, L2, atol=1e-15)


def test_global_jumps_reduce_to_local_ones_without_interaction():
    """V = 0 and non-degenerate local gaps: the Davies jumps of the full H are the local ones."""
    model = ct.Bipartite(2.0 * SZ / 2, 0.5 * SZ / 2)
    glob = ct.davies_jumps(model, SX, "A", 0.5, "ohmic", 0.05)
    loc = ct.davies_jumps(model, SX, "A", 0.5, "ohmic", 0.05, local=True)
    np.testing.assert_allclose(
        ct.lindblad_superoperator(model, glob, ()),
        ct.lindblad_superoperator(model, loc, ()),
        atol=1e-15,
    )


def test_jumps_are_global_operators_usable_everywhere():
    model = levy_kosloff()
    J = ct.davies_jumps(model, [SX, SZ], "B", 1.0, "ohmic", 0.05)
    assert all(L.shape == (4, 4) for L in J)
    bath = as_bath(J, model, "B", "jumps_B")
    assert bath.kind == "global"


def test_secular_warning_when_bohr_frequencies_are_closer_than_the_rates():
    # resonant qubits: the doublet splitting 2g is far below the rates
    model = ct.Bipartite(SZ / 2, SZ / 2, 1e-3 * (np.kron(SP, SM) + np.kron(SM, SP)))
    with pytest.warns(RuntimeWarning, match="secular approximation"):
        ct.davies_jumps(model, SX, "A", 1.0, "ohmic", 0.5)


# ------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"side": "C"}, "side: got 'C'"),
        ({"beta": float("nan")}, "beta: got nan"),
        ({"gamma0": -1.0}, "gamma0: got -1.0"),
        ({"coupling": np.eye(3)}, r"coupling: has shape \(3, 3\)"),
        ({"coupling": SP}, "coupling: is not Hermitian"),
        ({"coupling": []}, "coupling: is empty"),
        ({"rate": "bosonic"}, "rate: got 'bosonic'"),
        ({"mu": 0.5}, "mu: a grand-canonical bath needs number operators"),
        ({"tol": 0.5}, "tol: got 0.5"),
        ({"model": "H"}, "model: got str"),
    ],
)
def test_davies_bad_input(kwargs, match):
    args = {"model": levy_kosloff(), "coupling": SX, "side": "A", "beta": 1.0}
    args.update(kwargs)
    with pytest.raises(ct.CorrthermError, match=match):
        ct.davies_jumps(**args)


def test_davies_mu_needs_conserved_number():
    n = np.diag([1.0, 0.0])
    model = ct.Bipartite(SZ, SZ, 0.3 * np.kron(SX, SX), n, n)  # sx sx changes N by 2
    with pytest.raises(ct.DynamicsError, match=r"mu: \|\|\[H, N\]\|\|"):
        ct.davies_jumps(model, SX, "A", 1.0, mu=0.1)


def test_user_rate_detailed_balance_is_checked():
    with pytest.raises(ct.DynamicsError, match="detailed balance"):
        ct.davies_jumps(levy_kosloff(), SX, "A", 1.0, rate=lambda w: np.ones_like(w))


def test_mixed_local_and_global_jump_shapes_are_rejected():
    model = levy_kosloff()
    with pytest.raises(ct.DynamicsError, match=r"jumps_A\[1\]: has shape \(4, 4\)"):
        ct.steady_state(model, [SM, np.eye(4)])


# ------------------------------------------------------------ the sparse Davies bath
def _uniform_xx_chain() -> ct.Bipartite:
    """Three qubits, equal fields and hoppings: a degenerate many-body spectrum with large
    clusters of equal Bohr frequencies (multi-entry jumps in the eigenbasis)."""
    I2 = np.eye(2)

    def op(o, k):
        return ct.kron(*[o if j == k else I2 for j in range(3)])

    H = 0.5 * sum(op(SZ, k) for k in range(3))
    H = H + 0.3 * sum(op(SP, k) @ op(SM, k + 1) + op(SM, k) @ op(SP, k + 1) for k in range(2))
    HA = 0.5 * SZ
    HB = 0.5 * (np.kron(SZ, I2) + np.kron(I2, SZ)) + 0.3 * (np.kron(SP, SM) + np.kron(SM, SP))
    return ct.Bipartite(HA, HB, H - np.kron(HA, np.eye(4)) - np.kron(I2, HB))


@pytest.mark.parametrize("which", ["levy-kosloff", "xx-chain", "random"])
def test_davies_bath_is_the_dense_davies_dissipator(which, rng):
    """DaviesBath (sparse, eigenbasis; rate matrix + entry pairs + sparse products) against
    the dense jumps of davies_jumps: the same map and adjoint on random operators."""
    model = {
        "levy-kosloff": levy_kosloff(),
        "xx-chain": _uniform_xx_chain(),
        "random": random_model(4, 2, 3),
    }[which]
    dA, dB = model.dims
    S = [random_hermitian(rng, dB), np.eye(dB)]  # the identity coupling: pure nu = 0 jump
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        J = ct.davies_jumps(model, S, "B", 0.9, "ohmic", 0.3)
        bath = ct.davies_bath(model, S, "B", 0.9, "ohmic", 0.3)
    assert len(bath) == len(J)
    X = random_hermitian(rng, model.d) + 1j * random_hermitian(rng, model.d)  # any operator
    np.testing.assert_allclose(bath.apply(X), ct.dissipator(J, X), atol=1e-12)
    np.testing.assert_allclose(bath.adjoint(X), ct.adjoint_dissipator(J, X), atol=1e-12)
    np.testing.assert_allclose(
        bath.superoperator(),
        ct.lindblad_superoperator(model, (), J)
        + 1j * (np.kron(model.H, np.eye(model.d)) - np.kron(np.eye(model.d), model.H.T)),
        atol=1e-12,
    )


def test_davies_bath_in_evolve_matches_davies_jumps():
    model = _uniform_xx_chain()
    SA, SB = ct.sigma_x(), np.kron(SX, np.eye(2))
    kw = dict(beta_A=0.4, beta_B=1.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        bA = ct.davies_bath(model, SA, "A", 0.4, "fermi", 0.2)
        bB = ct.davies_bath(model, SB, "B", 1.5, "fermi", 0.2)
        JA = ct.davies_jumps(model, SA, "A", 0.4, "fermi", 0.2)
        JB = ct.davies_jumps(model, SB, "B", 1.5, "fermi", 0.2)
    rho0 = np.eye(8) / 8
    t = np.linspace(0, 10, 11)
    ex = ct.evolve(model, rho0, t, JA, JB, method="exact", **kw)
    ode = ct.evolve(model, rho0, t, bA, bB, method="ode", rtol=1e-11, atol=1e-13, **kw)
    for v in ("U_chi", "S", "J_A", "J_B", "Q_A", "sigma", "Sigma"):
        np.testing.assert_allclose(ode[v], ex[v], atol=1e-8, err_msg=v)
    rep = ct.steady_state(model, bA, bB, **kw)
    assert rep.sigma >= 0 and not rep.second_law_violated


def test_davies_bath_for_another_model_is_rejected():
    bath = ct.davies_bath(levy_kosloff(0.1), SX, "A", 1.0)
    with pytest.raises(ct.DynamicsError, match="is a Davies bath built for another Hamiltonian"):
        ct.steady_state(levy_kosloff(0.3), bath, ())
    with pytest.raises(ct.DynamicsError, match="jumps_B: is a Davies bath built for side 'A'"):
        ct.evolve(levy_kosloff(0.1), np.eye(4) / 4, [0, 1], (), bath)


def test_davies_jumps_refuse_a_dense_list_that_does_not_fit(monkeypatch):
    import corrtherm.open.davies as dv

    monkeypatch.setattr(dv, "MAX_JUMP_ENTRIES", 16)
    with pytest.raises(ct.DynamicsError, match=r"use davies_bath\(\.\.\.\)"):
        ct.davies_jumps(levy_kosloff(), SX, "A", 1.0)


def test_eigen_sandwich_all_three_paths(rng):
    """Single-entry jumps (rate matrix), small multi-entry jumps (entry pairs) and a dense jump
    (> 2d entries: sparse product path), against the plain GKLS formula."""
    from corrtherm.open._eigen_jumps import EigenSandwich, entries_of

    d = 4
    single = np.zeros((d, d), complex)
    single[1, 3] = 0.7 - 0.2j
    diag = np.zeros((d, d), complex)
    diag[2, 2] = 0.4
    small = np.zeros((d, d), complex)
    small[0, 1], small[2, 3], small[1, 0] = 0.3, 0.5j, -0.2
    dense = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    jumps = np.stack([single, diag, small, dense])
    sand = EigenSandwich(d, *entries_of(jumps, 1e-13))
    assert len(sand.large) == 1 and sand.pv.size == 9 and sand.has_rates
    X = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    np.testing.assert_allclose(sand.apply(X), ct.dissipator(jumps, X), atol=1e-12)
    np.testing.assert_allclose(sand.adjoint(X), ct.adjoint_dissipator(jumps, X), atol=1e-12)
