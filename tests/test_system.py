import numpy as np
import pytest

import corrtherm as ct
from corrtherm.errors import CorrthermError, ModelError

from .conftest import random_hermitian


def test_bipartite_assembles_H(rng):
    HA, HB = random_hermitian(rng, 2), random_hermitian(rng, 3)
    V = random_hermitian(rng, 6)
    m = ct.Bipartite(HA, HB, V)
    assert m.dims == (2, 3)
    assert np.allclose(m.H, np.kron(HA, np.eye(3)) + np.kron(np.eye(2), HB) + V)
    assert np.allclose(m.H0, m.H - V)
    assert m.N is None


def test_number_operators():
    n = ct.number(3)
    m = ct.Bipartite(n, 2 * n, N_A=n, N_B=n)
    assert np.allclose(m.N, np.kron(n, np.eye(3)) + np.kron(np.eye(3), n))


def test_qutip_objects_accepted():
    qt = pytest.importorskip("qutip")
    m = ct.Bipartite(qt.sigmaz(), qt.sigmax(), qt.tensor(qt.sigmaz(), qt.sigmaz()))
    assert np.allclose(m.H_A, np.diag([1, -1]))
    assert np.allclose(m.V, np.diag([1, -1, -1, 1]))


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(H_A=np.ones((2, 3)), H_B=np.eye(2)), "H_A: has shape \\(2, 3\\)"),
        (dict(H_A=np.eye(2), H_B=np.eye(2), V=np.eye(3)), "V: has shape"),
        (dict(H_A=np.array([[0, 1], [0, 0]]), H_B=np.eye(2)), "H_A: is not Hermitian"),
        (dict(H_A=np.eye(2), H_B=[[np.nan, 0], [0, 1]]), "H_B: contains 1 NaN"),
        (dict(H_A=np.eye(2), H_B=np.eye(2), N_A=np.eye(2)), "give both"),
        (dict(H_A=np.eye(2), H_B=np.eye(2), N_A=np.eye(3), N_B=np.eye(2)), "N_A: has shape"),
        (dict(H_A="abc", H_B=np.eye(2)), "H_A: cannot be read"),
    ],
)
def test_bad_models(kwargs, match):
    with pytest.raises(ModelError, match=match):
        ct.Bipartite(**kwargs)


def test_errors_are_value_errors():
    assert issubclass(ModelError, CorrthermError) and issubclass(CorrthermError, ValueError)
