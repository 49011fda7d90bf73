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
