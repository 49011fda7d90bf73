"""Model builders: spectra against free-particle closed forms, conservation checks against the
physics (and against dynamics where a check must fail)."""

from itertools import combinations

import numpy as np
import pytest
from scipy.linalg import expm

import corrtherm as ct
from corrtherm import models
from corrtherm.core.errors import ModelError

from .conftest import random_state


def _subset_sums(levels: np.ndarray) -> np.ndarray:
    """Many-body spectrum of free fermions: all sums of distinct single-particle levels."""
    sums = [sum(c) for r in range(len(levels) + 1) for c in combinations(levels, r)]
    return np.sort(np.array(sums, dtype=float))


def test_single_mode_fermion_block():
    # basis index 2a + b with |1> occupied: |1_A 0_B> = 2, |0_A 1_B> = 1
    m = models.fermion_hopping(1, 1, eps_A=0.3, eps_B=-0.2, kappa=0.7, W=0.4)
    H = m.H
    assert np.isclose(H[2, 2], 0.3) and np.isclose(H[1, 1], -0.2)
    assert np.isclose(H[2, 1], 0.7) and np.isclose(H[1, 2], 0.7)
    assert np.isclose(H[3, 3], 0.3 - 0.2 + 0.4) and np.isclose(H[0, 0], 0.0)
    assert np.allclose(m.N_A, np.diag([0, 1])) and np.allclose(m.N_B, np.diag([0, 1]))


def test_multilevel_dots_free_fermion_spectrum(rng):
    # all-to-all tunneling exercises the Jordan-Wigner strings across the cut: a wrong sign
    # would make the model non-quadratic and spoil the free-fermion spectrum
    eA, eB = rng.normal(size=2), rng.normal(size=2)
    T = rng.normal(size=(2, 2))
    m = models.multilevel_dots(eA, eB, T)
    h = np.block([[np.diag(eA), T], [T.T, np.diag(eB)]])
    expected = _subset_sums(np.linalg.eigvalsh(h))
    assert np.allclose(np.linalg.eigvalsh(m.H), expected, atol=1e-10)


def test_fermion_chain_free_spectrum(rng):
    m = models.fermion_hopping(
        2, 3, eps_A=[0.1, -0.3], eps_B=[0.2, 0.0, 0.5], kappa=0.8, t_A=0.6, t_B=-0.4
    )
    h = np.diag([0.1, -0.3, 0.2, 0.0, 0.5])
    for i, t in enumerate([0.6, 0.8, -0.4, -0.4]):
        h[i, i + 1] = h[i + 1, i] = t
    assert np.allclose(np.linalg.eigvalsh(m.H), _subset_sums(np.linalg.eigvalsh(h)), atol=1e-10)


def test_charging_energy_is_constant_interaction():
    m = models.multilevel_dots([0.0, 1.0], [0.5], 0.0, charging_A=2.0)
    # decoupled: H_A is diagonal with eps sum + (U/2) N (N - 1); doubly occupied A: 0 + 1 + 2
    assert np.allclose(np.sort(np.diag(m.H_A).real), [0.0, 0.0, 1.0, 3.0])


def test_xx_chain_is_free_fermions():
    L_A, L_B, J = 2, 3, 1.3
    m = models.xxz_chain(L_A, L_B, J=J)
    L = L_A + L_B
    # XX chain = hopping J/2 for Jordan-Wigner fermions: levels J cos(pi k / (L + 1))
    levels = J * np.cos(np.pi * np.arange(1, L + 1) / (L + 1))
    assert np.allclose(np.linalg.eigvalsh(m.H), _subset_sums(levels), atol=1e-10)


def test_xxz_two_sites_closed_form():
    # two spins: triplet energies J/4 (Delta) ... with S = sigma/2:
    # |00>, |11>: J Delta / 4; (|01> +- |10>)/sqrt2: -J Delta / 4 +- J / 2
    J, D = 0.9, 0.6
    m = models.xxz_chain(1, 1, J=J, Delta=D)
    expected = np.sort([J * D / 4, J * D / 4, -J * D / 4 + J / 2, -J * D / 4 - J / 2])
    assert np.allclose(np.linalg.eigvalsh(m.H), expected)


def test_beam_splitter_sector_spectrum():
    w, g, cut = 1.0, 0.15, 4
    m = models.boson_beam_splitter(cut, w, w, g)
    e, W = np.linalg.eigh(m.H)
    Ntot = np.einsum("ik,ij,jk->k", W.conj(), m.N, W).real
    for N in range(cut):  # sectors N <= cutoff - 1 are untouched by the truncation
        got = np.sort(e[np.isclose(Ntot, N)])
        expected = np.sort([(w + g) * n1 + (w - g) * (N - n1) for n1 in range(N + 1)])
        assert np.allclose(got, expected)


def test_partial_swap_unitary_closed_form():
    w, g, t = 1.2, 0.7, 0.9
    m = models.partial_swap_qubits(w, g)
    swap = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]])
    U = expm(-1j * m.H0 * t) @ (np.cos(g * t) * np.eye(4) - 1j * np.sin(g * t) * swap)
    assert np.allclose(expm(-1j * m.H * t), U)
    assert not m.has_numbers


@pytest.mark.parametrize(
    "model, eq14",
    [
        (models.fermion_hopping(1, 1, 0.4, 0.4, 0.3, W=0.5), True),
        (models.fermion_hopping(1, 1, 0.4, -0.1, 0.3), False),
        (models.fermion_hopping(2, 2, 0.0, 0.0, 0.3, t_A=0.5, U_A=1.0), False),
        (models.multilevel_dots([0.1, 0.7], [0.1, 0.7], np.diag([0.3, 0.2])), True),
        (models.multilevel_dots([0.1, 0.7], [0.1, 0.7], 0.3), False),
        (models.boson_beam_splitter(4, 1.0, 1.0, 0.2), True),
        (models.boson_beam_splitter(4, 1.0, 1.3, 0.2), False),
        (models.xxz_chain(1, 1, Delta=0.7, h=0.3), True),
        (models.xxz_chain(1, 1, Delta=0.7, h=[0.3, 0.8]), False),
        (models.xxz_chain(2, 2, Delta=0.5), False),
    ],
)
def test_conservation_checks_follow_the_physics(model, eq14, rng):
    rep = ct.conservation_checks(model)
    # every number-carrying builder conserves N (total S^z / particle number) and H_X, N_X commute
    assert rep.number_conserved and rep.local_A_commutes and rep.local_B_commutes
    assert rep.energy_conserved is eq14
    assert rep.all_hold is eq14
    # tie the verdict to dynamics: <H_A + H_B> is constant iff Eq. 14 holds (random state)
    rho0 = random_state(rng, model.d)
    drifts = []
    for t in (0.37, 1.1, 2.9):
        U = expm(-1j * model.H * t)
        drifts.append(abs(np.trace((U @ rho0 @ U.conj().T - rho0) @ model.H0)))
    assert bool(max(drifts) < 1e-10) is eq14
    text = str(rep)
    assert "Eq. 14" in text and ("holds" if eq14 else "FAILS") in text.splitlines()[1]


def test_partial_swap_conservation_report():
    rep = ct.conservation_checks(models.partial_swap_qubits(1.0, 0.3))
    assert rep.energy_conserved and rep.number_conserved is None and rep.all_hold
    assert "n/a" in str(rep)
    assert not ct.conservation_checks(models.partial_swap_qubits(1.0, 0.3, omega_B=1.5)).all_hold


def test_model_bad_input():
    with pytest.raises(ModelError, match="n_A"):
        models.fermion_hopping(0, 1)
    with pytest.raises(ModelError, match="eps_B"):
        models.fermion_hopping(1, 2, eps_B=[1.0, 2.0, 3.0])
    with pytest.raises(ModelError, match="kappa"):
        models.fermion_hopping(kappa=float("nan"))
    with pytest.raises(ModelError, match="tunneling"):
        models.multilevel_dots([0, 1], [0], np.ones((3, 3)))
    with pytest.raises(ModelError, match="cutoff"):
        models.boson_beam_splitter(1)
    with pytest.raises(ModelError, match="h"):
        models.xxz_chain(1, 2, h=[0.1, 0.2])
    with pytest.raises(ModelError, match="g"):
        models.partial_swap_qubits(g="x")
