import numpy as np
import pytest

import corrtherm as ct
from corrtherm.core.errors import ModelError

from .conftest import random_hermitian


def test_pauli_algebra_and_convention():
    sx, sy, sz = ct.sigma_x(), ct.sigma_y(), ct.sigma_z()
    assert np.allclose(sz, np.diag([1, -1]))  # |0> is the +1 eigenstate
    assert np.allclose(sx @ sy, 1j * sz)
    assert np.allclose(ct.sigma_plus(), (sx + 1j * sy) / 2)
    assert np.allclose(ct.sigma_plus() @ np.array([0, 1]), np.array([1, 0]))  # raises sz
    assert np.allclose(ct.pauli("xz"), np.kron(sx, sz))


@pytest.mark.parametrize("j", [0.5, 1, 1.5, 2, 3.5])
def test_spin_algebra(j):
    jx, jy, jz = ct.spin_operators(j)
    d = int(round(2 * j + 1))
    assert jx.shape == (d, d)
    assert np.allclose(jx @ jy - jy @ jx, 1j * jz)
    assert np.allclose(jx @ jx + jy @ jy + jz @ jz, j * (j + 1) * np.eye(d))
    assert np.isclose(jz[0, 0], j)


def test_spin_half_is_half_pauli():
    jx, jy, jz = ct.spin_operators(0.5)
    assert np.allclose(2 * jz, ct.sigma_z()) and np.allclose(2 * jx, ct.sigma_x())


def test_spin_rejects_bad_j():
    with pytest.raises(ModelError, match="half-integer"):
        ct.spin_operators(0.7)


def test_boson_commutator_below_cutoff():
    a = ct.destroy(6)
    comm = a @ ct.create(6) - ct.create(6) @ a
    # [a, a^dag] = 1 except in the last Fock level, where truncation gives 1 - n_max
    assert np.allclose(np.diag(comm)[:-1], 1.0)
    assert np.allclose(ct.create(6) @ a, ct.number(6))


@pytest.mark.parametrize("nA,nB", [(1, 1), (2, 1), (1, 3), (2, 2)])
def test_jordan_wigner_car_across_cut(nA, nB):
    cA, cB = ct.bipartite_fermions(nA, nB)
    cs = cA + cB
    d = 2 ** (nA + nB)
    for i, ci in enumerate(cs):
        for j, cj in enumerate(cs):
            assert np.allclose(ci @ cj + cj @ ci, 0)
            assert np.allclose(ci @ cj.conj().T + cj.conj().T @ ci, (i == j) * np.eye(d))


def test_fermion_number_operators_are_local():
    cA, cB = ct.bipartite_fermions(2, 2)
    NA = sum(c.conj().T @ c for c in cA)
    NB = sum(c.conj().T @ c for c in cB)
    nloc = (np.eye(4) - ct.pauli("zi")) / 2 + (np.eye(4) - ct.pauli("iz")) / 2
    assert np.allclose(NA, np.kron(nloc, np.eye(4)))
    assert np.allclose(NB, np.kron(np.eye(4), nloc))
    # hopping across the cut is a sum of products of local operators (string absorbed)
    hop = cA[1].conj().T @ cB[0]
    s, A, B = ct.operator_schmidt(hop, (4, 4))
    assert len(s) == 1


def test_embedding(rng):
    a, b = random_hermitian(rng, 3), random_hermitian(rng, 2)
    assert np.allclose(ct.embed(a, (3, 2), "A") @ ct.embed(b, (3, 2), "B"), np.kron(a, b))
    with pytest.raises(ModelError):
        ct.embed(a, (2, 2), "A")
    with pytest.raises(ModelError):
        ct.embed(a, (3, 2), "C")


def test_site_operator():
    op = ct.site_operator(ct.sigma_z(), 1, [2, 2, 2])
    assert np.allclose(op, ct.pauli("izi"))


def test_operator_schmidt_reconstructs(rng):
    dA, dB = 3, 4
    V = sum(np.kron(random_hermitian(rng, dA), random_hermitian(rng, dB)) for _ in range(2))
    s, A, B = ct.operator_schmidt(V, (dA, dB))
    assert len(s) == 2
    assert np.allclose(sum(sk * np.kron(a, b) for sk, a, b in zip(s, A, B)), V)


def test_commutator_norm():
    assert ct.commutator_norm(ct.sigma_z(), ct.sigma_z()) == 0
    assert np.isclose(
        ct.commutator_norm(ct.sigma_x(), ct.sigma_y()), np.linalg.norm(2 * ct.sigma_z())
    )
