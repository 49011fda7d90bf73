import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import corrtherm as ct
from corrtherm.core.errors import ModelError, StateError

from .conftest import random_hermitian, random_state

dims_st = st.tuples(st.integers(1, 6), st.integers(1, 6))
seed_st = st.integers(0, 2**32 - 1)


def test_partial_trace_of_product(rng):
    a, b = random_state(rng, 3), random_state(rng, 4)
    rho = np.kron(a, b)
    assert np.allclose(ct.partial_trace(rho, (3, 4), "A"), a)
    assert np.allclose(ct.partial_trace(rho, (3, 4), "B"), b)


def test_partial_trace_matches_qutip(rng):
    qt = pytest.importorskip("qutip")
    rho = random_state(rng, 12)
    q = qt.Qobj(rho, dims=[[3, 4], [3, 4]])
    assert np.allclose(ct.partial_trace(rho, (3, 4), "A"), q.ptrace(0).full())
    assert np.allclose(ct.partial_trace(rho, (3, 4), "B"), q.ptrace(1).full())


def test_partial_trace_bad_dims(rng):
    with pytest.raises(ModelError, match="does not match the matrix dimension 12"):
        ct.partial_trace(random_state(rng, 12), (3, 3), "A")
    with pytest.raises(ModelError, match="keep"):
        ct.partial_trace(random_state(rng, 4), (2, 2), "C")


@given(dims=dims_st, seed=seed_st)
def test_decompose_properties(dims, seed):
    rng = np.random.default_rng(seed)
    dA, dB = dims
    rho = random_state(rng, dA * dB)
    rA, rB, chi = ct.decompose(rho, dims)
    assert np.allclose(np.kron(rA, rB) + chi, rho)
    assert np.allclose(ct.partial_trace(chi, dims, "A"), 0, atol=1e-13)
    assert np.allclose(ct.partial_trace(chi, dims, "B"), 0, atol=1e-13)


def test_product_state_has_zero_chi(rng):
    rho = np.kron(random_state(rng, 2), random_state(rng, 5))
    assert np.allclose(ct.decompose(rho, (2, 5)).chi, 0, atol=1e-15)


def test_decompose_rejects_bad_trace(rng):
    with pytest.raises(StateError, match="trace"):
        ct.decompose(2 * random_state(rng, 4), (2, 2))


# ------------------------------------------------------------------ thermal closed forms
@pytest.mark.parametrize("beta,omega", [(0.3, 1.0), (2.0, 0.7), (-0.5, 1.3), (0.0, 1.0)])
def test_qubit_gibbs_closed_form(beta, omega):
    H = omega * ct.sigma_z()
    Z = 2 * math.cosh(beta * omega)
    rho = ct.gibbs_state(H, beta)
    assert np.allclose(np.diag(rho), [math.exp(-beta * omega) / Z, math.exp(beta * omega) / Z])
    assert math.isclose(ct.partition_function(H, beta), Z)
    if beta != 0:
        assert math.isclose(ct.free_energy(H, beta), -math.log(Z) / beta)
    S = ct.entropy(rho)
    U = -omega * math.tanh(beta * omega)
    assert math.isclose(S, math.log(Z) + beta * U, abs_tol=1e-12)  # S = ln Z + beta U


@pytest.mark.parametrize("beta,eps,mu", [(1.0, 0.5, 0.2), (3.0, -0.4, 0.1), (0.5, 1.0, 2.0)])
def test_fermion_mode_grand_canonical(beta, eps, mu):
    n = ct.number(2)
    rho = ct.gibbs_state(eps * n, beta, N=n, mu=mu)
    occ = 1 / (math.exp(beta * (eps - mu)) + 1)  # Fermi-Dirac
    assert math.isclose(np.trace(rho @ n).real, occ)
    omega = -math.log(1 + math.exp(-beta * (eps - mu))) / beta
    assert math.isclose(ct.grand_potential(eps * n, beta, N=n, mu=mu), omega)
    S = -(occ * math.log(occ) + (1 - occ) * math.log(1 - occ))
    assert math.isclose(ct.entropy(rho), S, abs_tol=1e-12)


def test_gibbs_large_beta_is_stable():
    rho = ct.gibbs_state(np.diag([0.0, 1.0, 2.0]), 1e4)
    assert np.allclose(np.diag(rho), [1, 0, 0])


def test_gibbs_input_errors():
    n = ct.number(2)
    with pytest.raises(ModelError, match="does not commute"):
        ct.gibbs_state(ct.sigma_x(), 1.0, N=n, mu=0.1)
    with pytest.raises(ModelError, match="no number operator"):
        ct.gibbs_state(n, 1.0, mu=0.3)
    with pytest.raises(ModelError, match="beta"):
        ct.gibbs_state(n, float("nan"))


# ----------------------------------------------------------------- correlation operators
@pytest.mark.parametrize("dims", [(2, 2), (2, 3), (3, 3), (1, 4)])
def test_correlation_basis(dims, rng):
    basis = ct.correlation_basis(dims)
    dA, dB = dims
    assert len(basis) == (dA**2 - 1) * (dB**2 - 1)
    if len(basis):
        gram = np.einsum("kij,lij->kl", basis.conj(), basis)
        assert np.allclose(gram, np.eye(len(basis)))
        for X in basis:
            assert np.allclose(X, X.conj().T)
            assert np.allclose(ct.partial_trace(X, dims, "A"), 0)
            assert np.allclose(ct.partial_trace(X, dims, "B"), 0)
        # the basis spans every correlation operator: chi of a random state is reproduced
        chi = ct.decompose(random_state(rng, dA * dB), dims).chi
        coef = np.einsum("kij,ij->k", basis.conj(), chi)
        assert np.allclose(np.einsum("k,kij->ij", coef, basis), chi)


# --------------------------------------------------------------------- positivity interval
def test_positivity_interval_paper1_example():
    """Derived by hand: diag(rho0) = p_ij + c s_i s_j, so c in [-p00 (= -min), min(p01, p10)]."""
    bA, wA, bB, wB = 0.5, 1.0, 2.0, 0.7
    a, b = math.exp(-bA * wA), math.exp(-bB * wB)
    Z = (a + 1 / a) * (b + 1 / b)
    piA = ct.gibbs_state(wA * ct.sigma_z(), bA)
    piB = ct.gibbs_state(wB * ct.sigma_z(), bB)
    lo, hi = ct.positivity_interval(np.kron(piA, piB), ct.pauli("zz"))
    assert math.isclose(lo, -math.exp(-bA * wA - bB * wB) / Z, rel_tol=1e-12)
    assert math.isclose(
        hi, min(math.exp(-bA * wA + bB * wB), math.exp(bA * wA - bB * wB)) / Z, rel_tol=1e-12
    )


@pytest.mark.parametrize(
    "rho,chi,expected",
    [
        (np.diag([0.5, 0.5, 0, 0]), np.diag([1, -1, 0, 0]), (-0.5, 0.5)),
        (np.diag([0.5, 0.5, 0, 0]), np.diag([-1, 0, 1, 0]), (0.0, 0.5)),
        (np.diag([0.5, 0.5, 0, 0]), np.diag([0, 0, 1, -1]), (0.0, 0.0)),
        (np.diag([1.0, 0.0]), np.array([[0, 1], [1, 1]]), (0.0, 1.0)),  # Schur complement case
        (np.diag([1.0, 0, 0, 0]), ct.pauli("xx"), (0.0, 0.0)),  # couples support to kernel
        (np.eye(4) / 4, np.eye(4), (-0.25, np.inf)),
    ],
)
def test_positivity_interval_singular_closed_forms(rho, chi, expected):
    lo, hi = ct.positivity_interval(rho, chi)
    assert np.isclose(lo, expected[0]) and (hi == expected[1] or np.isclose(hi, expected[1]))


@given(dims=dims_st, seed=seed_st, rank_frac=st.floats(0.2, 1.0))
def test_positivity_interval_edges_are_where_lambda_min_crosses_zero(dims, seed, rank_frac):
    rng = np.random.default_rng(seed)
    d = dims[0] * dims[1]
    rank = max(1, int(round(rank_frac * d)))
    rho = random_state(rng, d, rank)
    chi = random_hermitian(rng, d)
    lo, hi = ct.positivity_interval(rho, chi)
    assert lo <= 0 <= hi
    scale = np.linalg.norm(chi, 2)
    for edge, sign in ((hi, 1), (lo, -1)):
        if np.isfinite(edge) and edge != 0:
            lam = np.linalg.eigvalsh(rho + edge * chi)[0]
            assert abs(lam) < 1e-9 * max(1, abs(edge) * scale)
            beyond = edge + sign * 1e-6 * max(1.0, abs(edge))
            assert np.linalg.eigvalsh(rho + beyond * chi)[0] < 0
        if edge == 0:  # no room at all in that direction (singular rho)
            assert np.linalg.eigvalsh(rho + sign * 1e-6 * chi)[0] < -1e-12
    inside = 0.5 * (max(lo, -1e6) + min(hi, 1e6))
    assert np.linalg.eigvalsh(rho + inside * chi)[0] > -1e-9


def test_positivity_interval_rejects_non_psd():
    with pytest.raises(StateError, match="not positive semidefinite"):
        ct.positivity_interval(np.diag([1.5, -0.5]), ct.sigma_z())
