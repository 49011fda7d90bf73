"""Bloch-Redfield baths against QuTiP and against Davies (full secularization).

Truths used: QuTiP's ``bloch_redfield_tensor`` (independent code, no Lamb shift, same spectral
function) for the non-secular and the partially secular tensor; the Davies generator of
:func:`corrtherm.davies_jumps` (a different construction: jump operators) for
``secular_cutoff=0``; the Hilbert-Schmidt adjoint identity Tr[X R[rho]] = Tr[R#[X] rho].
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import corrtherm as ct

from .conftest import random_hermitian, random_state
from .test_davies import _qutip_secular, levy_kosloff, random_model

SX, SZ, SP, SM = ct.sigma_x(), ct.sigma_z(), ct.sigma_plus(), ct.sigma_minus()


def _hamiltonian_part(model: ct.Bipartite) -> np.ndarray:
    I = np.eye(model.d)
    return -1j * (np.kron(model.H, I) - np.kron(I, model.H.T))


def _real_model(seed: int) -> ct.Bipartite:
    m = random_model(seed)
    return ct.Bipartite(m.H_A.real, m.H_B.real, m.V.real)


@settings(max_examples=15)
@given(seed=st.integers(0, 2**31), rate=st.sampled_from(["ohmic", "fermi", "paper"]))
def test_redfield_equals_qutip_bloch_redfield_tensor(seed, rate):
    """Real H and real couplings (real eigenvectors, so real couplings in the eigenbasis).
    For complex eigenbasis couplings QuTiP 5.3's tensor equals the Redfield generator of the
    TRANSPOSED coupling (it disagrees with its own documented element formula there); the
    complex case is checked against that formula below instead."""
    model = _real_model(seed)
    rng = np.random.default_rng(seed)
    dA, dB = model.dims
    S = random_hermitian(rng, dB).real
    bath = ct.redfield_bath(model, S, "B", 0.8, rate, 0.3)
    mine = _hamiltonian_part(model) + bath.superoperator()
    theirs = _qutip_secular(model, np.kron(np.eye(dA), S), 0.8, rate, 0.3, -1)
    np.testing.assert_allclose(mine, theirs, atol=1e-12)


def _textbook_tensor(E: np.ndarray, A: np.ndarray, rate) -> np.ndarray:
    """The Bloch-Redfield tensor element by element (eigenbasis, no Lamb shift):
    d rho_ab/dt = -i w_ab rho_ab + sum_cd R_abcd rho_cd,
    R_abcd = -1/2 [delta_bd sum_n A_an A_nc S(w_cn) - A_ac A_db S(w_ca)
                   + delta_ac sum_n A_dn A_nb S(w_dn) - A_ac A_db S(w_db)],
    w_ij = E_i - E_j, S(w) = rate of LOSING energy w (QuTiP's documented convention)."""
    d = E.size
    w = E[:, None] - E[None, :]
    S = rate(-w)  # corrtherm's rate takes the energy GAINED
    R = np.zeros((d, d, d, d), dtype=complex)
    for a in range(d):
        for b in range(d):
            for c in range(d):
                for e in range(d):
                    v = A[a, c] * A[e, b] * (S[c, a] + S[e, b])
                    if b == e:
                        v -= sum(A[a, n] * A[n, c] * S[c, n] for n in range(d))
                    if a == c:
                        v -= sum(A[e, n] * A[n, b] * S[e, n] for n in range(d))
                    R[a, b, c, e] = 0.5 * v
    R = R.reshape(d * d, d * d)
    R[np.diag_indices(d * d)] += -1j * w.reshape(-1)
    return R


def test_redfield_equals_the_textbook_element_formula_for_complex_couplings():
    model = random_model(11, 2, 2)  # complex H and coupling
    rng = np.random.default_rng(11)
    S = random_hermitian(rng, 2)
    bath = ct.redfield_bath(model, S, "A", 0.7, "fermi", 0.4)
    E, Q = np.linalg.eigh(model.H)
    A = Q.conj().T @ np.kron(S, np.eye(2)) @ Q
    R = _textbook_tensor(E, A, lambda x: ct.thermal_rate(x, 0.7, "fermi", 0.4))
    U = np.kron(Q, Q.conj())  # eigenbasis -> original basis, row-major vec
    mine = _hamiltonian_part(model) + bath.superoperator()
    np.testing.assert_allclose(mine, U @ R @ U.conj().T, atol=1e-12)


def test_partial_secular_cutoff_equals_qutip():
    """A cutoff inside a gap of the Bohr-frequency differences: the same terms are kept as by
    QuTiP, whose sec_cutoff is relative to the smallest nonzero Bohr frequency, ours absolute
    (the differences of Bohr frequencies here are 0 or >= 0.49)."""
    model = levy_kosloff()
    E = np.linalg.eigvalsh(model.H)
    gaps = np.abs(E[:, None] - E[None, :])
    w_min = gaps[gaps > 1e-9].min()
    bath = ct.redfield_bath(model, SX, "A", 0.5, "ohmic", 0.05, secular_cutoff=0.3)
    theirs = _qutip_secular(model, np.kron(SX, np.eye(2)), 0.5, "ohmic", 0.05, 0.3 / w_min)
    np.testing.assert_allclose(_hamiltonian_part(model) + bath.superoperator(), theirs, atol=1e-13)


@settings(max_examples=20)
@given(seed=st.integers(0, 2**31), rate=st.sampled_from(["ohmic", "fermi", "paper", "bose"]))
def test_full_secularization_is_davies(seed, rate):
    model = random_model(seed)
    rng = np.random.default_rng(seed + 7)
    S = [random_hermitian(rng, model.dims[0]) for _ in range(2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        J = ct.davies_jumps(model, S, "A", 1.3, rate, 0.2)
    R = ct.redfield_bath(model, S, "A", 1.3, rate, 0.2, secular_cutoff=0.0)
    davies = ct.lindblad_superoperator(model, J, ()) - _hamiltonian_part(model)
    np.testing.assert_allclose(R.superoperator(), davies, atol=1e-12)


def test_full_secularization_is_davies_with_degenerate_frequencies():
    model = levy_kosloff()
    J = ct.davies_jumps(model, SX, "B", 1.0, "ohmic", 0.05)
    R = ct.redfield_bath(model, SX, "B", 1.0, "ohmic", 0.05, secular_cutoff=0.0)
    davies = ct.lindblad_superoperator(model, (), J) - _hamiltonian_part(model)
    np.testing.assert_allclose(R.superoperator(), davies, atol=1e-15)


def test_apply_adjoint_and_superoperator_agree(rng):
    model = random_model(3)
    bath = ct.redfield_bath(model, random_hermitian(rng, model.dims[0]), "A", 0.6)
    rho = random_state(rng, model.d)
    X = random_hermitian(rng, model.d)
    D = bath.apply(rho)
    np.testing.assert_allclose(D.reshape(-1), bath.superoperator() @ rho.reshape(-1), atol=1e-13)
    assert np.trace(X @ D) == pytest.approx(np.trace(bath.adjoint(X) @ rho), abs=1e-12)
    assert abs(np.trace(D)) < 1e-13  # trace preserving


def test_redfield_positivity_violation_is_reported_not_hidden():
    """Resonant qubits, weak exchange, an entangled initial state: the non-secular terms drive
    rho(t) out of the state space (Redfield is not completely positive). evolve reports the
    smallest eigenvalue, sets sigma to NaN there and warns."""
    model = ct.Bipartite(SZ / 2, SZ / 2, 0.01 * (np.kron(SP, SM) + np.kron(SM, SP)))
    RA = ct.redfield_bath(model, SX, "A", 5.0, "ohmic", 0.5)
    RB = ct.redfield_bath(model, SX, "B", 5.0, "ohmic", 0.5)
    psi = np.array([0, 1, 1, 0]) / np.sqrt(2)
    with pytest.warns(RuntimeWarning, match="positivity"):
        ds = ct.evolve(model, np.outer(psi, psi), np.linspace(0, 5, 101), RA, RB)
    assert float(ds["min_eigenvalue"].min()) < -0.01
    assert ds.attrs["positivity"].startswith("violated: min eigenvalue of rho")
    assert ds["min_eigenvalue"].attrs["units"] == "1"
    with pytest.warns(RuntimeWarning):
        ds = ct.evolve(
            model, np.outer(psi, psi), np.linspace(0, 5, 101), RA, RB, beta_A=5.0, beta_B=5.0
        )
    bad = ds["min_eigenvalue"].values < -1e-8
    assert np.all(np.isnan(ds["sigma"].values[bad])) and np.all(np.isfinite(ds["sigma"][~bad]))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"secular_cutoff": -1.0}, "secular_cutoff: got -1.0"),
        ({"secular_cutoff": "x"}, "secular_cutoff: got 'x'"),
        ({"side": "AB"}, "side: got 'AB'"),
        ({"coupling": SP}, "coupling: is not Hermitian"),
        ({"beta": None}, "beta: got None"),
    ],
)
def test_redfield_bad_input(kwargs, match):
    args = {"model": levy_kosloff(), "coupling": SX, "side": "A", "beta": 1.0}
    args.update(kwargs)
    with pytest.raises(ct.CorrthermError, match=match):
        ct.redfield_bath(**args)


def test_redfield_bath_for_another_model_or_side_is_rejected():
    bath = ct.redfield_bath(levy_kosloff(0.1), SX, "A", 1.0)
    with pytest.raises(ct.DynamicsError, match="jumps_B: is a Redfield bath built for side 'A'"):
        ct.steady_state(levy_kosloff(0.1), (), bath)
    with pytest.raises(ct.DynamicsError, match="built for another Hamiltonian"):
        ct.steady_state(levy_kosloff(0.3), bath, ())


def test_negative_redfield_steady_state_is_flagged():
    """Strong dephasing-type coupling (sz on A, rates above the gaps): the Redfield steady
    state has a negative eigenvalue; steady_state reports it and warns, never hides it."""
    model = ct.Bipartite(SZ / 2, 0.925 * SZ / 2, 0.0726 * (np.kron(SP, SM) + np.kron(SM, SP)))
    RA = ct.redfield_bath(model, SZ, "A", 23.57, "ohmic", 3.074)
    RB = ct.redfield_bath(model, SX, "B", 1.413, "ohmic", 3.074)
    with pytest.warns(RuntimeWarning, match="steady state: not positive"):
        rep = ct.steady_state(model, RA, RB, beta_A=23.57, beta_B=1.413)
    assert rep.min_eigenvalue < -0.01
    assert np.isfinite(rep.sigma)  # dS/dt = 0 at a steady state: sigma needs no ln rho


def test_thermal_bath_and_full_generator_bad_input():
    bath = ct.ThermalBath(SX, 1.0)
    with pytest.raises(ct.DynamicsError, match="approach: got 'davies'"):
        bath.dissipator(levy_kosloff(), "A", "davies")
    from corrtherm.open.full_generator import FullGenerator

    with pytest.raises(ct.ModelError, match="model: got ndarray"):
        FullGenerator(np.eye(4))
    with pytest.raises(ct.DynamicsError, match=r"jumps_A\[0\]: has shape \(3, 3\)"):
        FullGenerator(levy_kosloff(), [np.eye(3)])


def test_check_conditions_takes_bath_objects():
    """A4's L#_A[H] + L#_B[H] from a davies_bath (sparse, eigenbasis) equals the one from the
    same bath's dense davies_jumps, and a redfield_bath's equals the adjoint of its d^2 x d^2
    superoperator applied to H (row-major vec: L[rho] = unvec(S vec(rho)), so
    L#[H] = unvec(S^dag vec(H)))."""
    import warnings

    import corrtherm as ct

    sz, sx, sp, sm = ct.sigma_z(), ct.sigma_x(), ct.sigma_plus(), ct.sigma_minus()
    model = ct.Bipartite(sz, 0.5 * sz, 0.1 * (np.kron(sp, sm) + np.kron(sm, sp)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        dense = ct.check_conditions(
            model, ct.davies_jumps(model, sx, "A", 0.5), ct.davies_jumps(model, sx, "B", 1.0)
        )
        sparse = ct.check_conditions(
            model, ct.davies_bath(model, sx, "A", 0.5), ct.davies_bath(model, sx, "B", 1.0)
        )
        rA, rB = ct.redfield_bath(model, sx, "A", 0.5), ct.redfield_bath(model, sx, "B", 1.0)
    assert sparse.A4 == pytest.approx(dense.A4, rel=1e-10) and dense.A4 > 1e-3
    assert sparse.total_energy_conserved == dense.total_energy_conserved
    S = rA.superoperator() + rB.superoperator()
    K = (S.conj().T @ model.H.reshape(-1)).reshape(model.d, model.d)
    assert ct.check_conditions(model, rA, rB).A4 == pytest.approx(np.linalg.norm(K), rel=1e-10)
