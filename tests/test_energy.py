import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import corrtherm as ct

from .conftest import random_hermitian, random_state

dims_st = st.tuples(st.integers(1, 5), st.integers(1, 5))


def _brute_mean_field_A(V, rho_B, dA, dB):
    """Tr_B[V (I x rho_B)] by explicit sums over basis vectors (independent of einsum)."""
    out = np.zeros((dA, dA), dtype=complex)
    M = V @ np.kron(np.eye(dA), rho_B)
    for a in range(dA):
        for a2 in range(dA):
            out[a, a2] = sum(M[a * dB + b, a2 * dB + b] for b in range(dB))
    return out


@given(dims=dims_st, seed=st.integers(0, 2**32 - 1), alpha=st.floats(-2, 3))
def test_ledger_closes_and_H_reassembles(dims, seed, alpha):
    rng = np.random.default_rng(seed)
    dA, dB = dims
    m = ct.Bipartite(
        random_hermitian(rng, dA), random_hermitian(rng, dB), random_hermitian(rng, dA * dB)
    )
    rho = random_state(rng, dA * dB)
    L = ct.energy_ledger(m, rho, alpha_A=alpha)
    U = np.trace(rho @ m.H).real
    assert math.isclose(L.U, U, abs_tol=1e-10)
    assert math.isclose(L.U_A + L.U_B + L.U_chi, U, abs_tol=1e-10)
    rA, rB, chi = ct.decompose(rho, dims)
    assert math.isclose(L.U_chi, np.trace(chi @ m.V).real, abs_tol=1e-10)
    # U_chi = U - Tr[rho_A x rho_B H] (paper 1, below Eq. 7), computed without the ledger
    assert math.isclose(L.U_chi, U - np.trace(np.kron(rA, rB) @ m.H).real, abs_tol=1e-10)
    H_re = np.kron(L.H_A_eff, np.eye(dB)) + np.kron(np.eye(dA), L.H_B_eff) + L.V_eff
    assert np.allclose(H_re, m.H, atol=1e-10)  # Eq. 6
    assert np.allclose(L.H_A_eff, L.H_A_eff.conj().T)
    fA = _brute_mean_field_A(m.V, rB, dA, dB)
    v = np.trace(np.kron(rA, rB) @ m.V).real
    assert np.allclose(L.H_A_eff, m.H_A + fA - alpha * v * np.eye(dA), atol=1e-10)  # Eq. 5


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.5, 1.0])
def test_paper1_example_ledger_closed_form(alpha):
    """H_A = wA sz, H_B = wB sz, V = g sz x sz, rho = piA x piB + c sz x sz.

    By hand: <sz>_X = -tanh(beta_X w_X) =: m_X, Tr_B[V rho_B] = g m_B sz, so
    H^_A = (wA + g m_B) sz - alpha g m_A m_B, U_A = wA m_A + (1 - alpha) g m_A m_B,
    U_B = wB m_B + alpha g m_A m_B, U_chi = Tr[c (sz x sz) g (sz x sz)] = 4 g c.
    """
    wA, wB, g, bA, bB, c = 1.0, 0.7, 0.3, 0.5, 2.0, 0.01
    sz = ct.sigma_z()
    m = ct.Bipartite(wA * sz, wB * sz, g * ct.pauli("zz"))
    rho = np.kron(ct.gibbs_state(wA * sz, bA), ct.gibbs_state(wB * sz, bB)) + c * ct.pauli("zz")
    L = ct.energy_ledger(m, rho, alpha_A=alpha)
    mA, mB = -math.tanh(bA * wA), -math.tanh(bB * wB)
    assert math.isclose(L.U_A, wA * mA + (1 - alpha) * g * mA * mB, abs_tol=1e-13)
    assert math.isclose(L.U_B, wB * mB + alpha * g * mA * mB, abs_tol=1e-13)
    assert math.isclose(L.U_chi, 4 * g * c, abs_tol=1e-13)
    assert np.allclose(L.H_A_eff, (wA + g * mB) * sz - alpha * g * mA * mB * np.eye(2))


def test_ledger_rejects_bad_input(rng):
    m = ct.Bipartite(ct.sigma_z(), ct.sigma_z())
    with pytest.raises(ct.StateError, match="shape"):
        ct.energy_ledger(m, random_state(rng, 3))
    with pytest.raises(ct.StateError, match="trace"):
        ct.energy_ledger(m, 2 * random_state(rng, 4))
    with pytest.raises(ct.ModelError, match="alpha_A"):
        ct.energy_ledger(m, random_state(rng, 4), alpha_A=float("nan"))
