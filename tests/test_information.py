import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import corrtherm as ct
from corrtherm.core.errors import StateError

from .conftest import random_state, random_unitary

dims_st = st.tuples(st.integers(1, 6), st.integers(1, 6))
seed_st = st.integers(0, 2**32 - 1)


def bell() -> np.ndarray:
    psi = np.array([1, 0, 0, 1]) / math.sqrt(2)
    return np.outer(psi, psi)


def test_pure_state_entropy_zero(rng):
    psi = rng.normal(size=6) + 1j * rng.normal(size=6)
    assert abs(ct.entropy(ct.pure_state(psi))) < 1e-12


def test_maximally_mixed_entropy():
    assert math.isclose(ct.entropy(ct.maximally_mixed(5)), math.log(5))


def test_bell_mutual_information():
    assert math.isclose(ct.mutual_information(bell(), (2, 2)), 2 * math.log(2))


@pytest.mark.parametrize("p", [0.0, 0.2, 1 / 3, 0.7, 1.0])
def test_werner_mutual_information(p):
    psi = np.array([0, 1, -1, 0]) / math.sqrt(2)
    rho = p * np.outer(psi, psi) + (1 - p) * np.eye(4) / 4
    lams = [(1 + 3 * p) / 4] + [(1 - p) / 4] * 3
    S = -sum(x * math.log(x) for x in lams if x > 0)
    assert math.isclose(ct.mutual_information(rho, (2, 2)), 2 * math.log(2) - S, abs_tol=1e-12)


def test_product_has_zero_mutual_information(rng):
    rho = np.kron(random_state(rng, 3), random_state(rng, 2))
    assert ct.mutual_information(rho, (3, 2)) < 1e-12


def test_classical_relative_entropy():
    p, q = np.array([0.2, 0.3, 0.5]), np.array([0.5, 0.25, 0.25])
    kl = float(np.sum(p * np.log(p / q)))
    assert math.isclose(ct.relative_entropy(np.diag(p), np.diag(q)), kl, rel_tol=1e-12)


def test_relative_entropy_support():
    assert ct.relative_entropy(np.diag([0.5, 0.5]), np.diag([1.0, 0.0])) == math.inf
    # rho inside the support of sigma: finite, equal to -ln of sigma's weight
    assert math.isclose(ct.relative_entropy(np.diag([1.0, 0]), np.diag([0.25, 0.75])), math.log(4))


def test_relative_entropy_unitary_invariance(rng):
    r, s, u = random_state(rng, 4), random_state(rng, 4), random_unitary(rng, 4)
    d1 = ct.relative_entropy(r, s)
    d2 = ct.relative_entropy(u @ r @ u.conj().T, u @ s @ u.conj().T)
    assert math.isclose(d1, d2, rel_tol=1e-9)


@given(dims=dims_st, seed=seed_st)
def test_information_inequalities(dims, seed):
    rng = np.random.default_rng(seed)
    d = dims[0] * dims[1]
    rho = random_state(rng, d, rank=int(rng.integers(1, d + 1)))
    sigma = random_state(rng, d)
    e = ct.entropies(rho, dims)
    assert e.I_AB >= 0
    assert abs(e.S_A - e.S_B) <= e.S + 1e-9  # Araki-Lieb
    assert e.I_AB <= 2 * math.log(min(dims)) + 1e-9
    assert ct.relative_entropy(rho, sigma) >= 0
    # D(rho || rho_A x rho_B) = I(A:B): an identity, independent code path
    rA, rB, _ = ct.decompose(rho, dims)
    assert math.isclose(ct.relative_entropy(rho, np.kron(rA, rB)), e.I_AB, abs_tol=1e-8)


def test_cross_check_qutip(rng):
    qt = pytest.importorskip("qutip")
    rho, sigma = random_state(rng, 6), random_state(rng, 6)
    q = qt.Qobj(rho, dims=[[2, 3], [2, 3]])
    qs = qt.Qobj(sigma, dims=[[2, 3], [2, 3]])
    assert math.isclose(ct.entropy(rho), qt.entropy_vn(q), rel_tol=1e-10)
    assert math.isclose(
        ct.mutual_information(rho, (2, 3)), qt.entropy_mutual(q, 0, 1), rel_tol=1e-9
    )
    assert math.isclose(ct.relative_entropy(rho, sigma), qt.entropy_relative(q, qs), rel_tol=1e-9)


def test_bad_states_rejected():
    with pytest.raises(StateError, match="trace"):
        ct.entropy(np.diag([0.5, 0.6]))
    with pytest.raises(StateError, match="smallest eigenvalue"):
        ct.entropy(np.diag([1.2, -0.2]))
    with pytest.raises(StateError, match="Hermitian"):
        ct.entropy(np.array([[0.5, 0.3], [0.0, 0.5]]))
    with pytest.raises(ct.ModelError, match="NaN"):
        ct.entropy(np.diag([np.nan, 1.0]))
