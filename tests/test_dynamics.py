"""Tests of corrtherm.dynamics: isolated and open evolution, ledger, steady states, conditions.

References are independent of the code under test: closed forms derived by hand (see the
docstrings), scipy.linalg.expm of the generator, QuTiP's sesolve/mesolve, the core
``energy_ledger``/``entropies`` evaluated state by state, and exact identities.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from corrtherm import Bipartite, energy_ledger, entropies, gibbs_state, partial_trace
from corrtherm.core.errors import CorrthermError, DynamicsError, StateError
from corrtherm.core.operators import sigma_z
from corrtherm.core.trajectory import trajectory_ledger
from corrtherm.isolated.unitary import evolve_isolated

from .conftest import random_hermitian, random_state


def random_model(rng, dA, dB, numbers=False):
    NA = NB = None
    if numbers:
        NA, NB = np.diag(rng.integers(0, 3, dA)), np.diag(rng.integers(0, 3, dB))
    return Bipartite(
        random_hermitian(rng, dA),
        random_hermitian(rng, dB),
        0.5 * random_hermitian(rng, dA * dB),
        NA,
        NB,
    )


def ledger_reference(model, rho, alpha_A=0.5):
    """Ledger of one state from the core modules (independent of dynamics.py)."""
    led = energy_ledger(model, rho, alpha_A)
    ent = entropies(rho, model.dims)
    rA = partial_trace(rho, model.dims, "A")
    rB = partial_trace(rho, model.dims, "B")
    out = {
        "U": led.U,
        "U_A": led.U_A,
        "U_B": led.U_B,
        "U_chi": led.U_chi,
        "E_A": np.trace(rA @ model.H_A).real,
        "E_B": np.trace(rB @ model.H_B).real,
        "E_V": np.trace(rho @ model.V).real,
        "S": ent.S,
        "S_A": ent.S_A,
        "S_B": ent.S_B,
        "I_AB": ent.I_AB,
    }
    if model.has_numbers:
        out["N_A"] = np.trace(rA @ model.N_A).real
        out["N_B"] = np.trace(rB @ model.N_B).real
    return out, rA, rB


def assert_ledger_matches(ds, model, states, alpha_A=0.5, atol=1e-9):
    for k, rho in enumerate(states):
        ref, rA, rB = ledger_reference(model, rho, alpha_A)
        for name, val in ref.items():
            assert abs(float(ds[name][k]) - val) < atol, (name, k, float(ds[name][k]), val)
        np.testing.assert_allclose(ds.rho_A.values[k], rA, atol=atol)
        np.testing.assert_allclose(ds.rho_B.values[k], rB, atol=atol)


# ===================================================================== isolated evolution
def test_isolated_matches_expm_and_core_ledger(rng):
    model = random_model(rng, 2, 3, numbers=True)
    rho0 = random_state(rng, 6)
    times = np.linspace(0.3, 4.0, 7)
    ds = evolve_isolated(model, rho0, times, alpha_A=0.3, store_states=True)
    states = []
    for t in times:
        Ut = sla.expm(-1j * model.H * (t - times[0]))
        states.append(Ut @ rho0 @ Ut.conj().T)
    np.testing.assert_allclose(ds.rho.values, np.array(states), atol=1e-11)
    assert_ledger_matches(ds, model, states, alpha_A=0.3)
    assert ds.attrs["kind"] == "isolated" and ds.attrs["alpha_A"] == 0.3
    assert ds.attrs["residual_ledger"] < 1e-12
    assert ds.attrs["residual_energy_balance"] < 1e-12
    assert tuple(ds.attrs["dims"]) == (2, 3)
    assert set(ds.rho_A.dims) == {"time", "a", "a2"} and ds.rho_B.shape == (7, 3, 3)


def test_isolated_without_states_and_without_numbers(rng):
    model = random_model(rng, 2, 2)
    ds = evolve_isolated(model, random_state(rng, 4), [0.0, 1.0])
    assert "rho" not in ds and "N_A" not in ds
    assert {"U", "U_A", "U_B", "U_chi", "E_A", "E_B", "E_V", "S", "S_A", "S_B", "I_AB"} <= set(
        ds.data_vars
    )


def test_isolated_against_qutip(rng):
    qt = pytest.importorskip("qutip")
    model = random_model(rng, 3, 2)
    psi = rng.normal(size=6) + 1j * rng.normal(size=6)
    psi /= np.linalg.norm(psi)
    times = np.linspace(0, 5, 11)
    H = qt.Qobj(model.H, dims=[[3, 2], [3, 2]])
    res = qt.sesolve(
        H, qt.Qobj(psi, dims=[[3, 2], [1, 1]]), times, options={"atol": 1e-12, "rtol": 1e-10}
    )
    ds = evolve_isolated(model, np.outer(psi, psi.conj()), times, store_states=True)
    for k, st_ in enumerate(res.states):
        ref = (st_ * st_.dag()).full()
        np.testing.assert_allclose(ds.rho.values[k], ref, atol=1e-8)
        assert abs(float(ds.I_AB[k]) - 2 * qt.entropy_vn(st_.ptrace(0))) < 1e-7
    rho0 = random_state(rng, 6)
    res = qt.mesolve(
        H, qt.Qobj(rho0, dims=[[3, 2], [3, 2]]), times, [], options={"atol": 1e-12, "rtol": 1e-10}
    )
    ds = evolve_isolated(model, rho0, times, store_states=True)
    for k, st_ in enumerate(res.states):
        np.testing.assert_allclose(ds.rho.values[k], st_.full(), atol=1e-8)


def test_isolated_batches_equal_single_state_ledger(rng, monkeypatch):
    """Small batches (the large-d code path) give the same numbers as one big batch."""
    import corrtherm.core.trajectory as traj

    model = random_model(rng, 2, 2, numbers=True)
    rho0 = random_state(rng, 4)
    times = np.linspace(0, 3, 9)
    big = evolve_isolated(model, rho0, times, store_states=True)
    monkeypatch.setattr(traj, "BATCH_ENTRIES", 16)  # one 4x4 state per batch
    small = evolve_isolated(model, rho0, times, store_states=True)
    xr.testing.assert_allclose(big, small, atol=1e-12)


def test_trajectory_ledger_array_and_iterator(rng):
    model = random_model(rng, 2, 3, numbers=True)
    states = np.array([random_state(rng, 6) for _ in range(4)])
    times = np.arange(4.0)
    ds1 = trajectory_ledger(model, states, times, alpha_A=0.8)
    ds2 = trajectory_ledger(model, iter(list(states)), times, alpha_A=0.8, store_states=True)
    assert_ledger_matches(ds1, model, states, alpha_A=0.8)
    np.testing.assert_allclose(ds2.rho.values, states)
    for k in ("U", "U_chi", "I_AB", "N_A"):
        np.testing.assert_allclose(ds1[k], ds2[k], atol=1e-13)


def test_paper2_like_locally_thermal_isolated_conserves_energy(rng):
    """Unitary evolution: U constant and S constant; I_AB changes only via S_A + S_B."""
    model = random_model(rng, 2, 2)
    rho0 = np.kron(gibbs_state(model.H_A, 1.0), gibbs_state(model.H_B, 0.5))
    ds = evolve_isolated(model, rho0, np.linspace(0, 10, 50))
    np.testing.assert_allclose(ds.U, ds.U[0], atol=1e-12)
    np.testing.assert_allclose(ds.S, ds.S[0], atol=1e-12)
    assert float(ds.I_AB[0]) < 1e-12


@pytest.mark.parametrize(
    "times, match",
    [
        ([0.0, 1.0, 1.0], "strictly increasing"),
        ([0.0, np.nan], "NaN"),
        ([], "empty"),
        ([2.0, 1.0], "strictly increasing"),
    ],
)
def test_isolated_bad_times(rng, times, match):
    model = random_model(rng, 2, 2)
    with pytest.raises(DynamicsError, match=match):
        evolve_isolated(model, random_state(rng, 4), times)


def test_isolated_bad_state_and_model(rng):
    model = random_model(rng, 2, 2)
    with pytest.raises(StateError, match="rho0"):
        evolve_isolated(model, np.eye(4), [0.0, 1.0])
    with pytest.raises(StateError, match="rho0"):
        evolve_isolated(model, np.eye(3) / 3, [0.0, 1.0])
    with pytest.raises(CorrthermError, match="model"):
        evolve_isolated(np.eye(4), np.eye(4) / 4, [0.0, 1.0])
    with pytest.raises(CorrthermError, match="alpha_A"):
        evolve_isolated(model, np.eye(4) / 4, [0.0], alpha_A=np.nan)
    with pytest.raises(DynamicsError, match="states"):
        trajectory_ledger(model, np.zeros((2, 4, 4)), [0.0, 1.0, 2.0])


# ========================================================================= open evolution
from corrtherm import positivity_interval  # noqa: E402
from corrtherm.open.conditions import check_conditions  # noqa: E402
from corrtherm.open.evolution import evolve  # noqa: E402
from corrtherm.open.invariant import invariant_correlation_subspace  # noqa: E402
from corrtherm.open.steady import steady_state  # noqa: E402
from corrtherm.open.thermal import thermal_jumps  # noqa: E402


def gkls_rhs(model, JA, JB, rho):
    """d rho/dt written out with embedded matrices (independent of corrtherm.dissipators)."""
    dA, dB = model.dims
    out = -1j * (model.H @ rho - rho @ model.H)
    for L in [np.kron(L, np.eye(dB)) for L in JA] + [np.kron(np.eye(dA), L) for L in JB]:
        LdL = L.conj().T @ L
        out += L @ rho @ L.conj().T - 0.5 * (LdL @ rho + rho @ LdL)
    return out


def generator_matrix(model, JA, JB):
    """Column k = vec(L[E_k]) from gkls_rhs on matrix units (row-major vec)."""
    d = model.d
    cols = []
    for k in range(d * d):
        E = np.zeros(d * d, dtype=complex)
        E[k] = 1
        cols.append(gkls_rhs(model, JA, JB, E.reshape(d, d)).reshape(-1))
    return np.array(cols).T


def heat_operator(model, J, side):
    """L#_X[H] = sum L^dag H L - 1/2 {L^dag L, H} with embedded jumps (test-side formula)."""
    dA, dB = model.dims
    K = np.zeros((model.d, model.d), dtype=complex)
    for L in J:
        Lf = np.kron(L, np.eye(dB)) if side == "A" else np.kron(np.eye(dA), L)
        LdL = Lf.conj().T @ Lf
        K += Lf.conj().T @ model.H @ Lf - 0.5 * (LdL @ model.H + model.H @ LdL)
    return K


def random_open(rng, dA, dB, k=2, numbers=False):
    model = random_model(rng, dA, dB, numbers)
    JA = [0.4 * (rng.normal(size=(dA, dA)) + 1j * rng.normal(size=(dA, dA))) for _ in range(k)]
    JB = [0.4 * (rng.normal(size=(dB, dB)) + 1j * rng.normal(size=(dB, dB))) for _ in range(k)]
    return model, JA, JB


def paper1_example(wA=1.0, wB=0.7, g=0.3, bA=0.5, bB=2.0):
    sz = sigma_z()
    model = Bipartite(wA * sz, wB * sz, g * np.kron(sz, sz))

    # paper 1: L_01 = |0><1| with gamma_01 = e^{-beta w}, L_10 = |1><0| with gamma_10 = e^{beta w}
    def jumps(w, b):
        return [
            np.sqrt(np.exp(-b * w)) * np.array([[0, 1], [0, 0]]),
            np.sqrt(np.exp(b * w)) * np.array([[0, 0], [1, 0]]),
        ]

    gA = np.exp(-bA * wA) + np.exp(bA * wA)
    gB = np.exp(-bB * wB) + np.exp(bB * wB)
    ZA, ZB = 2 * np.cosh(bA * wA), 2 * np.cosh(bB * wB)
    piA = np.diag([np.exp(-bA * wA), np.exp(bA * wA)]) / ZA
    piB = np.diag([np.exp(-bB * wB), np.exp(bB * wB)]) / ZB
    return model, jumps(wA, bA), jumps(wB, bB), gA, gB, piA, piB, ZA, ZB


@pytest.mark.parametrize("method", ["exact", "ode"])
@pytest.mark.parametrize("c", [0.02, -0.01])
def test_paper1_example_closed_forms(method, c):
    """Derivation: L_A[sz] = gamma_01 (P0 - P1) ... = -(gamma_01 + gamma_10) sz, L_A[pi_A] = 0,
    H and every state here are diagonal, so chi(t) = c e^{-lambda t} sz(x)sz with
    lambda = gamma_A + gamma_B. J_A = Tr[H L_A[rho]] = -gamma_A c e^{-lambda t} Tr[H sz(x)sz]
    = -4 g c gamma_A e^{-lambda t}; Q_A = -4 g c gamma_A (1 - e^{-lambda t}) / lambda;
    dU_chi = Tr[V dchi] = 4 g c (e^{-lambda t} - 1) = Q_A + Q_B."""
    g = 0.3
    model, JA, JB, gA, gB, piA, piB, *_ = paper1_example(g=g)
    lam = gA + gB
    sz = sigma_z()
    rho0 = np.kron(piA, piB) + c * np.kron(sz, sz)
    t = np.linspace(0.0, 3.0, 61)
    ds = evolve(model, rho0, t, JA, JB, method=method, store_states=True)
    tol = 1e-10 if method == "exact" else 1e-7
    decay = np.exp(-lam * t)
    np.testing.assert_allclose(
        ds.rho.values,
        np.kron(piA, piB)[None] + c * decay[:, None, None] * np.kron(sz, sz)[None],
        atol=tol,
    )
    np.testing.assert_allclose(ds.U_A, ds.U_A[0], atol=tol)
    np.testing.assert_allclose(ds.U_B, ds.U_B[0], atol=tol)
    np.testing.assert_allclose(ds.rho_A, np.broadcast_to(piA, (61, 2, 2)), atol=tol)
    np.testing.assert_allclose(ds.U_chi - ds.U_chi[0], 4 * g * c * (decay - 1), atol=tol)
    np.testing.assert_allclose(ds.J_A, -4 * g * c * gA * decay, atol=tol)
    np.testing.assert_allclose(ds.J_B, -4 * g * c * gB * decay, atol=tol)
    np.testing.assert_allclose(ds.Q_A, -4 * g * c * gA * (1 - decay) / lam, atol=tol)
    np.testing.assert_allclose(ds.Q_B, -4 * g * c * gB * (1 - decay) / lam, atol=tol)
    # Remark: eigenvectors constant => all of dU is heat in the entropic sense as well
    np.testing.assert_allclose(
        ds.Q_entropic, ds.U - ds.U[0], atol=50 * ds.attrs["entropic_quadrature_error"] + tol
    )
    assert ds.attrs["residual_energy_balance"] < 1e-8
    assert ds.attrs["residual_ledger"] < 1e-12
    assert ds.attrs["kind"] == "open" and ds.attrs["method"].startswith(method)


def test_paper1_example_admissible_c():
    """rho(0) = pi_A (x) pi_B + c sz(x)sz is diagonal with entries p_ij + c s_i s_j, p_00 =
    e^{-a-b}/Z, p_01 = e^{-a+b}/Z, p_10 = e^{a-b}/Z, p_11 = e^{a+b}/Z (a = bA wA, b = bB wB,
    Z = Z_A Z_B), so c in [-e^{-a-b}, min(e^{-a+b}, e^{a-b})] / Z. The printed range lacks 1/Z."""
    model, JA, JB, gA, gB, piA, piB, ZA, ZB = paper1_example()
    a, b = 0.5 * 1.0, 2.0 * 0.7
    lo = -np.exp(-a - b) / (ZA * ZB)
    hi = min(np.exp(-a + b), np.exp(a - b)) / (ZA * ZB)
    sz = sigma_z()
    cmin, cmax = positivity_interval(np.kron(piA, piB), np.kron(sz, sz))
    assert cmin == pytest.approx(lo, rel=1e-12) and cmax == pytest.approx(hi, rel=1e-12)
    printed_hi = min(np.exp(-a + b), np.exp(a - b))
    assert np.linalg.eigvalsh(np.kron(piA, piB) + printed_hi * np.kron(sz, sz))[0] < -0.1
    # the whole admissible segment evolves inside the state space (decay towards pi_A x pi_B)
    for c in (lo, hi):
        ds = evolve(
            model, np.kron(piA, piB) + c * np.kron(sz, sz), [0, 0.5, 5.0], JA, JB, store_states=True
        )
        assert min(np.linalg.eigvalsh(r)[0] for r in ds.rho.values) > -1e-12


def test_paper1_eq14_misprint_resonant_exchange_is_not_product_steady():
    """Paper 1, Eq. 14 (misprint): [H_A + H_B, V] = 0 is not enough for pi_A (x) pi_B to be
    steady. The dissipators annihilate pi_A (x) pi_B, so L[pi_A (x) pi_B] = -i[V, pi_A (x) pi_B];
    for V = g (s+ s- + h.c.) and H_X = omega sz its only entries are at |01><10| and |10><01|,
    of modulus g |p_10 - p_01| with p_10 - p_01 = (e^{x-y} - e^{-x+y}) / (Z_A Z_B),
    x = beta_A omega, y = beta_B omega. The steady state (README: 0.022 from the product in
    Frobenius norm) is checked against qutip.steadystate."""
    from corrtherm import invariant_correlation_subspace, steady_state, thermal_jumps

    omega, g, bA, bB = 1.0, 0.3, 0.5, 2.0
    sz = sigma_z()
    sp = np.array([[0.0, 1.0], [0.0, 0.0]])
    HA = HB = omega * sz
    V = g * (np.kron(sp, sp.T) + np.kron(sp.T, sp))
    H0 = np.kron(HA, np.eye(2)) + np.kron(np.eye(2), HB)
    assert np.abs(H0 @ V - V @ H0).max() == 0  # the paper's condition holds
    model = Bipartite(HA, HB, V)
    JA = thermal_jumps(HA, beta=bA, rate="paper")
    JB = thermal_jumps(HB, beta=bB, rate="paper")
    prod = np.kron(gibbs_state(HA, bA), gibbs_state(HB, bB))
    x, y = bA * omega, bB * omega
    gap = (np.exp(x - y) - np.exp(-x + y)) / (4 * np.cosh(x) * np.cosh(y))
    comm = V @ prod - prod @ V
    assert np.linalg.norm(comm) == pytest.approx(np.sqrt(2) * g * abs(gap), rel=1e-12)
    assert not invariant_correlation_subspace(model, JA, JB).product_steady
    rho = steady_state(model, JA, JB).rho
    assert np.linalg.norm(rho - prod) == pytest.approx(0.0219147, abs=5e-7)
    qt = pytest.importorskip("qutip")
    H = qt.Qobj(H0 + V)
    c_ops = [qt.Qobj(np.kron(j, np.eye(2))) for j in JA] + [
        qt.Qobj(np.kron(np.eye(2), j)) for j in JB
    ]
    np.testing.assert_allclose(rho, qt.steadystate(H, c_ops).full(), atol=1e-10)
    # the paper's own example (V = g sz sz commutes with H_A and H_B) is product-steady
    VZ = g * np.kron(sz, sz)
    assert invariant_correlation_subspace(Bipartite(HA, HB, VZ), JA, JB).product_steady


def test_paper1_invariant_subspace():
    """For the example, span{sx,sy}(x)span{sx,sy} (rotated by H_0, commuting with V, coherences
    damped) and sz(x)sz are invariant: dimension 5, with sz(x)sz decaying at lambda."""
    model, JA, JB, gA, gB, piA, piB, *_ = paper1_example()
    rep = invariant_correlation_subspace(model, JA, JB)
    assert rep.dimension == 5
    assert rep.product_steady and rep.product_steady_residual < 1e-12
    np.testing.assert_allclose(rep.product_state, np.kron(piA, piB), atol=1e-12)
    assert np.min(np.abs(rep.eigenvalues + (gA + gB))) < 1e-10
    zz = np.kron(sigma_z(), sigma_z()) / 2
    coeffs = np.einsum("kab,ab->k", rep.basis.conj(), zz)
    assert abs(np.linalg.norm(coeffs) - 1) < 1e-10  # sz(x)sz/2 lies in the subspace
    _assert_invariant(model, JA, JB, rep)


def _assert_invariant(model, JA, JB, rep):
    Lmat = generator_matrix(model, JA, JB)
    dA, dB = model.dims
    for X in rep.basis:
        np.testing.assert_allclose(X, X.conj().T, atol=1e-12)
        for tt in (0.3, 2.0):
            Y = (sla.expm(Lmat * tt) @ X.reshape(-1)).reshape(model.d, model.d)
            np.testing.assert_allclose(partial_trace(Y, (dA, dB), "A"), 0, atol=1e-10)
            np.testing.assert_allclose(partial_trace(Y, (dA, dB), "B"), 0, atol=1e-10)
    G = np.einsum("iab,jab->ij", rep.basis.conj(), rep.basis)
    np.testing.assert_allclose(G, np.eye(rep.dimension), atol=1e-10)


def test_invariant_subspace_random_and_generic(rng):
    # a generic model: nothing but possibly {0}; a commuting thermal model: something
    model, JA, JB = random_open(rng, 2, 2)
    rep = invariant_correlation_subspace(model, JA, JB)
    _assert_invariant(model, JA, JB, rep)
    HA, HB = np.diag([0.3, -0.8, 0.1]), np.diag([1.0, -0.2])
    V = np.diag(rng.normal(size=6))
    m2 = Bipartite(HA, HB, V)
    J2A, J2B = thermal_jumps(HA, 0.7, "fermi"), thermal_jumps(HB, 1.5, "ohmic")
    rep2 = invariant_correlation_subspace(m2, J2A, J2B)
    assert rep2.dimension >= 1 and rep2.product_steady
    _assert_invariant(m2, J2A, J2B, rep2)
    # decay rates: eigenvalues of the generator restricted to the subspace
    Lmat = generator_matrix(m2, J2A, J2B)
    Bm = rep2.basis.reshape(rep2.dimension, -1)
    A = (Bm.conj() @ Lmat @ Bm.T).real
    np.testing.assert_allclose(np.sort(-np.linalg.eigvals(A).real), rep2.decay_rates, atol=1e-9)


def test_amplitude_damping_closed_form(rng):
    """H_A = w sz (|0> excited, E = +w), L = sqrt(gamma)|1><0|: p_0(t) = p_0 e^{-gamma t},
    rho_01(t) = rho_01 e^{-gamma t/2 - 2 i w t}; J_A = Tr[H_A L[rho_A]] = 2 w dp_0/dt
    = -2 w gamma p_0(t); Q_A(t) = -2 w p_0(0) (1 - e^{-gamma t}). B (V = 0) just rotates."""
    w, wB, gam = 0.8, 0.45, 0.6
    model = Bipartite(w * sigma_z(), wB * sigma_z())
    rA, rB = random_state(rng, 2), random_state(rng, 2)
    t = np.linspace(0, 4, 41)
    JA = [np.sqrt(gam) * np.array([[0, 0], [1, 0]])]
    for method in ("exact", "ode"):
        ds = evolve(model, np.kron(rA, rB), t, JA, [], method=method)
        tol = 1e-10 if method == "exact" else 1e-7
        p0 = rA[0, 0].real * np.exp(-gam * t)
        np.testing.assert_allclose(ds.rho_A[:, 0, 0].real, p0, atol=tol)
        np.testing.assert_allclose(
            ds.rho_A[:, 0, 1], rA[0, 1] * np.exp(-gam * t / 2 - 2j * w * t), atol=tol
        )
        np.testing.assert_allclose(ds.rho_B[:, 0, 1], rB[0, 1] * np.exp(-2j * wB * t), atol=tol)
        np.testing.assert_allclose(ds.J_A, -2 * w * gam * p0, atol=tol)
        np.testing.assert_allclose(
            ds.Q_A, -2 * w * rA[0, 0].real * (1 - np.exp(-gam * t)), atol=tol
        )
        np.testing.assert_allclose(ds.J_B, 0, atol=1e-14)
        np.testing.assert_allclose(ds.I_AB, 0, atol=1e-9)


@pytest.mark.filterwarnings("ignore:Q_entropic")
@pytest.mark.parametrize(
    "dims, method", [((2, 2), "exact"), ((2, 3), "exact"), ((2, 3), "ode"), ((3, 2), "ode")]
)
def test_open_against_qutip_mesolve(rng, dims, method):
    qt = pytest.importorskip("qutip")
    dA, dB = dims
    model, JA, JB = random_open(rng, dA, dB, numbers=True)
    rho0 = random_state(rng, model.d)
    t = np.linspace(0, 3, 13)
    qd = [[dA, dB], [dA, dB]]
    c_ops = [qt.Qobj(np.kron(L, np.eye(dB)), dims=qd) for L in JA]
    c_ops += [qt.Qobj(np.kron(np.eye(dA), L), dims=qd) for L in JB]
    res = qt.mesolve(
        qt.Qobj(model.H, dims=qd),
        qt.Qobj(rho0, dims=qd),
        t,
        c_ops,
        options={"atol": 1e-12, "rtol": 1e-11},
    )
    ds = evolve(model, rho0, t, JA, JB, method=method, store_states=True)
    KA, KB = heat_operator(model, JA, "A"), heat_operator(model, JB, "B")
    for k, st_ in enumerate(res.states):
        R = st_.full()
        np.testing.assert_allclose(ds.rho.values[k], R, atol=1e-7)
        assert abs(float(ds.J_A[k]) - np.trace(KA @ R).real) < 1e-7
        assert abs(float(ds.J_B[k]) - np.trace(KB @ R).real) < 1e-7
        assert abs(float(ds.I_AB[k]) - qt.entropy_mutual(st_, 0, 1)) < 1e-7
    assert_ledger_matches(ds, model, [s.full() for s in res.states], atol=1e-7)
    assert ds.attrs["residual_energy_balance"] < 1e-8


@pytest.mark.filterwarnings("ignore:Q_entropic")
def test_heats_exact_via_van_loan_and_long_times(rng):
    """Q_X(t) = int_0^t Tr[K_X rho(s)] ds from the augmented exponential
    expm([[L, 0], [k_X, 0]] t) (Van Loan), computed here with the test-side generator."""
    model, JA, JB = random_open(rng, 2, 2)
    rho0 = random_state(rng, 4)
    Lmat = generator_matrix(model, JA, JB)
    rows = [
        heat_operator(model, JA, "A").T.reshape(-1),
        heat_operator(model, JB, "B").T.reshape(-1),
    ]
    G = np.zeros((18, 18), dtype=complex)
    G[:16, :16] = Lmat
    G[16:, :16] = rows
    t = np.array([0.0, 0.7, 2.5, 40.0, 1e4, 1e12])
    ds = evolve(model, rho0, t, JA, JB, method="exact")
    for k, tt in enumerate(t[:4]):
        y = sla.expm(G * tt) @ np.concatenate([rho0.reshape(-1), [0, 0]])
        assert abs(float(ds.Q_A[k]) - y[16].real) < 1e-10
        assert abs(float(ds.Q_B[k]) - y[17].real) < 1e-10
    # at very long times: the steady state, with constant currents J_A = -J_B
    ss = steady_state(model, JA, JB).rho
    for k in (-2, -1):
        np.testing.assert_allclose(ds.rho_A.values[k], partial_trace(ss, (2, 2), "A"), atol=1e-12)
        assert abs(float(ds.J_A[k] + ds.J_B[k])) < 1e-12
        assert abs(float(ds.J_A[k]) - np.trace(heat_operator(model, JA, "A") @ ss).real) < 1e-12
    # steady currents: Q_A(t) / t -> J_A, exact even at t = 1e12
    assert abs(float(ds.Q_A[-1]) / 1e12 - float(ds.J_A[-1])) < 1e-10


@pytest.mark.filterwarnings("ignore:Q_entropic")
def test_ode_matches_exact_and_isolated(rng):
    model, JA, JB = random_open(rng, 3, 2, numbers=True)
    rho0 = random_state(rng, 6)
    t = np.linspace(0.5, 4.0, 15)
    a = evolve(model, rho0, t, JA, JB, method="exact", alpha_A=0.2)
    b = evolve(model, rho0, t, JA, JB, method="ode", alpha_A=0.2, rtol=1e-10, atol=1e-12)
    for k in (
        "U",
        "U_A",
        "U_B",
        "U_chi",
        "S",
        "I_AB",
        "N_A",
        "J_A",
        "J_B",
        "Q_A",
        "Q_B",
        "rho_A",
        "rho_B",
    ):
        np.testing.assert_allclose(a[k], b[k], atol=1e-8, err_msg=k)
    assert b.attrs["n_rhs"] > 0 and b.attrs["n_steps"] > 0
    # the ODE branch integrates the entropic heat rate on the (refined) save grid: it needs a
    # save grid that resolves the rate; the exact branch refines by itself
    tf = np.linspace(0.5, 4.0, 351)
    bf = evolve(model, rho0, tf, JA, JB, method="ode", rtol=1e-10, atol=1e-12)
    assert bf.attrs["entropic_quadrature_error"] < 1e-6
    np.testing.assert_allclose(bf.Q_entropic.values[::25], a.Q_entropic, atol=1e-6)
    with pytest.warns(RuntimeWarning, match="add save times, or switch the split off"):
        evolve(model, rho0, t, JA, JB, method="ode")
    # switched off on request: no warning, and attrs say why (not a size limit)
    off = evolve(model, rho0, t, JA, JB, method="ode", entropic_split=False)
    assert off.attrs["entropic_split"] == "skipped: entropic_split=False"
    assert np.all(np.isnan(off.Q_entropic))
    # no jumps: the open solvers reproduce the isolated spectral evolution
    iso = evolve_isolated(model, rho0, t)
    for method in ("exact", "ode"):
        o = evolve(model, rho0, t, method=method, rtol=1e-10, atol=1e-12)
        for k in ("U_chi", "I_AB", "rho_A"):
            np.testing.assert_allclose(o[k], iso[k], atol=1e-8)
        np.testing.assert_allclose(o.Q_A, 0, atol=1e-14)


def test_detailed_balance_gives_gibbs_product_steady_state(rng):
    """Eq. 14: with [H_0, V] = 0 (V diagonal in the product eigenbasis of non-degenerate H_0),
    thermal jumps on each side make pi_A (x) pi_B the unique steady state."""
    for _ in range(4):
        EA, EB = np.sort(rng.normal(size=3)), np.sort(rng.normal(size=2))
        UA = np.linalg.qr(rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3)))[0]
        HA = UA @ np.diag(EA) @ UA.conj().T
        HB = np.diag(EB)
        Vd = np.kron(UA, np.eye(2)) @ np.diag(rng.normal(size=6)) @ np.kron(UA, np.eye(2)).conj().T
        model = Bipartite(HA, HB, Vd)
        bA, bB = rng.uniform(0.2, 2), rng.uniform(0.2, 2)
        rep = steady_state(model, thermal_jumps(HA, bA, "paper"), thermal_jumps(HB, bB, "fermi"))
        assert rep.unique and rep.spectral_gap > 0
        pi = np.kron(gibbs_state(HA, bA), gibbs_state(HB, bB))
        np.testing.assert_allclose(rep.rho, pi, atol=1e-10)
        assert rep.residual < 1e-12 and rep.min_eigenvalue > 0


def test_steady_state_not_unique():
    model = Bipartite(np.diag([0.0, 1.0]), np.diag([0.0, 2.0]))
    with pytest.raises(DynamicsError, match="dim ker L = 4"):
        steady_state(model, [], [])
    rep = steady_state(model, [], [], on_degenerate="report")
    assert rep.rho is None and rep.kernel_dimension == 4 and not rep.unique
    for X in rep.basis if hasattr(rep, "basis") else rep.kernel_basis:
        np.testing.assert_allclose(gkls_rhs(model, [], [], X), 0, atol=1e-12)
        np.testing.assert_allclose(X, X.conj().T, atol=1e-12)


@pytest.mark.filterwarnings("ignore:Q_entropic")
@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    dA=st.integers(2, 3),
    dB=st.integers(1, 2),
    alpha=st.floats(-1, 2),
    method=st.sampled_from(["exact", "ode"]),
)
def test_ledger_properties_along_trajectories(seed, dA, dB, alpha, method):
    rng = np.random.default_rng(seed)
    model, JA, JB = random_open(rng, dA, dB, k=1)
    t = np.linspace(0, 2, 9)
    ds = evolve(model, random_state(rng, model.d), t, JA, JB, alpha_A=alpha, method=method)
    tol = 1e-9
    np.testing.assert_allclose(ds.U, ds.U_A + ds.U_B + ds.U_chi, atol=tol)
    # U_A + U_B = Tr[rho_A (x) rho_B H] does not depend on alpha_A (Eq. 7)
    rA, rB = ds.rho_A.values, ds.rho_B.values
    Uprod = [np.trace(np.kron(a, b) @ model.H).real for a, b in zip(rA, rB)]
    np.testing.assert_allclose(ds.U_A + ds.U_B, Uprod, atol=1e-8)
    assert np.all(ds.I_AB >= 0)
    assert np.all(np.abs(ds.S_A - ds.S_B) <= ds.S + 1e-8)  # Araki-Lieb
    assert np.all(ds.S_A <= np.log(dA) + 1e-12) and np.all(ds.S <= np.log(model.d) + 1e-12)
    np.testing.assert_allclose(np.trace(rA, axis1=1, axis2=2), 1, atol=1e-9)
    assert min(np.linalg.eigvalsh(r)[0] for r in rA) > -1e-8
    np.testing.assert_allclose(ds.U - ds.U[0], ds.Q_A + ds.Q_B, atol=1e-8)
    np.testing.assert_allclose(ds.Q_entropic + ds.W_entropic, ds.U - ds.U[0], atol=1e-12)


def test_entropic_split_against_fine_grid(rng):
    """Independent discretization: on a fine grid, sum_k (p_k(t+h) - p_k(t)) <k|H|k>_mid with
    eigenvalues sorted (no crossings for this random full-rank state), vs the code's Q_entropic."""
    model, JA, JB = random_open(rng, 2, 2)
    rho0 = random_state(rng, 4)
    Lmat = generator_matrix(model, JA, JB)
    T = 1.0
    ds = evolve(model, rho0, np.linspace(0, T, 201), JA, JB, method="exact")
    fine = np.linspace(0, T, 4001)
    P = sla.expm(Lmat * (fine[1] - fine[0]))
    v = rho0.reshape(-1)
    Q = W = 0.0
    p_old, Y_old = np.linalg.eigh(rho0)
    for _ in fine[1:]:
        v = P @ v
        p, Y = np.linalg.eigh(0.5 * (v.reshape(4, 4) + v.reshape(4, 4).conj().T))
        Y = Y * np.exp(-1j * np.angle(np.einsum("ik,ik->k", Y_old.conj(), Y)))
        E_old = np.einsum("ik,ij,jk->k", Y_old.conj(), model.H, Y_old).real
        E_new = np.einsum("ik,ij,jk->k", Y.conj(), model.H, Y).real
        Q += np.sum((p - p_old) * 0.5 * (E_old + E_new))
        W += np.sum(0.5 * (p + p_old) * (E_new - E_old))
        p_old, Y_old = p, Y
    assert abs(float(ds.Q_entropic[-1]) - Q) < 1e-5
    assert abs(float(ds.W_entropic[-1]) - W) < 1e-5
    assert abs(W) > 1e-3  # the eigenvectors do rotate here: the test is not vacuous


def test_heat_rate_on_degenerate_states_against_finite_difference(rng):
    """Remark's heat rate q = sum_k (dp_k/dt) <k|H|k> for states with degenerate spectra (the
    eigenvectors at t+0 are fixed by the derivative D), in one batch with several degeneracy
    patterns, against the one-sided difference quotient of rho + h D with h = 1e-7."""
    from corrtherm.open.heat_split import _heat_rates

    d = 5
    H = random_hermitian(rng, d)
    spectra = [
        [0.1, 0.15, 0.2, 0.25, 0.3],  # none
        [0.1, 0.2, 0.2, 0.2, 0.3],  # a triple
        [0.15, 0.15, 0.2, 0.25, 0.25],  # two pairs
        [0.1, 0.2, 0.2, 0.2, 0.3],  # the triple again (same pattern, grouped)
        [0.2] * 5,  # maximally mixed
    ]
    R, D = [], []
    for p in spectra:
        U = np.linalg.qr(rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d)))[0]
        R.append(U @ np.diag(p) @ U.conj().T)
        X = random_hermitian(rng, d)
        D.append(X - np.trace(X) / d * np.eye(d))
    R, D = np.array(R), np.array(D)
    q, _ = _heat_rates(R, D, H)
    h = 1e-7
    for k in range(len(spectra)):
        p0 = np.linalg.eigvalsh(R[k])
        ph, Yh = np.linalg.eigh(R[k] + h * D[k])
        Hk = np.einsum("ik,ij,jk->k", Yh.conj(), H, Yh).real
        q_fd = np.sum((ph - p0) / h * Hk)
        assert abs(q[k] - q_fd) < 1e-5 * max(1.0, abs(q_fd)), (k, q[k], q_fd)
    # the degenerate correction matters: the unrotated eigenbasis of R gives another number
    p, Y = np.linalg.eigh(R[1])
    naive = np.sum(
        np.einsum("ik,ij,jk->k", Y.conj(), D[1], Y).real
        * np.einsum("ik,ij,jk->k", Y.conj(), H, Y).real
    )
    assert abs(naive - q[1]) > 1e-3


def test_conditions_eq_A2_and_theorem(rng):
    """Eq. A2 against the direct derivative d/dt Tr[(rho_A (x) rho_B) H]; the theorem on random
    instances: whenever dU_(x)/dt = 0 on many random states, dU/dt = 0 on all of them."""
    # (1) Eq. A2 equals the direct derivative for random models and states
    for _ in range(3):
        model, JA, JB = random_open(rng, 2, 3)
        rho = random_state(rng, 6)
        rep = check_conditions(model, JA, JB, rho, alpha_A=0.3)
        rdot = gkls_rhs(model, JA, JB, rho)
        rA, rB = partial_trace(rho, (2, 3), "A"), partial_trace(rho, (2, 3), "B")
        dA_, dB_ = partial_trace(rdot, (2, 3), "A"), partial_trace(rdot, (2, 3), "B")
        direct = np.trace((np.kron(dA_, rB) + np.kron(rA, dB_)) @ model.H).real
        assert abs(rep.dU_local_dt - direct) < 1e-10
        assert abs(rep.dU_dt - np.trace(rdot @ model.H).real) < 1e-10
        assert not rep.local_energy_preserving
    # (2) the theorem on a family of random instances, some of them local-energy preserving
    n_preserving = 0
    for trial in range(12):
        kind = trial % 3
        if kind == 0:  # everything diagonal: dephasing jumps, commuting V
            HA, HB = np.diag(rng.normal(size=2)), np.diag(rng.normal(size=2))
            V = np.diag(rng.normal(size=4))
            JA = [np.diag(rng.normal(size=2) + 1j * rng.normal(size=2))]
            JB = [np.diag(rng.normal(size=2))]
        elif kind == 1:  # thermal jumps, commuting V (paper's example class)
            HA, HB = np.diag(rng.normal(size=2)), np.diag(rng.normal(size=2))
            V = rng.normal() * np.kron(sigma_z(), sigma_z())
            JA, JB = thermal_jumps(HA, 1.0, "paper"), thermal_jumps(HB, 0.3, "fermi")
        else:  # generic
            HA, HB, V = (
                random_hermitian(rng, 2),
                random_hermitian(rng, 2),
                random_hermitian(rng, 4),
            )
            JA, JB = [rng.normal(size=(2, 2))], [rng.normal(size=(2, 2))]
        model = Bipartite(HA, HB, V)
        rates_local, rates_total = [], []
        for _ in range(40):
            rho = random_state(rng, 4, rank=int(rng.integers(1, 5)))
            if rng.random() < 0.3:
                rho = np.kron(random_state(rng, 2), random_state(rng, 2))
            rdot = gkls_rhs(model, JA, JB, rho)
            rA, rB = partial_trace(rho, (2, 2), "A"), partial_trace(rho, (2, 2), "B")
            dA_, dB_ = partial_trace(rdot, (2, 2), "A"), partial_trace(rdot, (2, 2), "B")
            rates_local.append(np.trace((np.kron(dA_, rB) + np.kron(rA, dB_)) @ model.H).real)
            rates_total.append(np.trace(rdot @ model.H).real)
        preserving = np.max(np.abs(rates_local)) < 1e-10
        rep = check_conditions(model, JA, JB)
        assert rep.local_energy_preserving == preserving
        if preserving:
            n_preserving += 1
            assert np.max(np.abs(rates_total)) < 1e-10 and rep.total_energy_conserved
    assert n_preserving >= 4


def test_conditions_paper_example():
    model, JA, JB, gA, gB, piA, piB, *_ = paper1_example()
    rho = np.kron(piA, piB) + 0.01 * np.kron(sigma_z(), sigma_z())
    rep = check_conditions(model, JA, JB, rho)
    assert rep.H0_V < 1e-14 and rep.A3_state < 1e-14 and rep.A3_all_states < 1e-14
    assert rep.A4 > 1 and not rep.local_energy_preserving and not rep.total_energy_conserved
    assert abs(rep.dU_local_dt) < 1e-14 and rep.dU_dt < 0  # special state: only U_chi moves


def test_open_bad_input(rng):
    model, JA, JB = random_open(rng, 2, 2)
    rho0 = random_state(rng, 4)
    t = [0.0, 1.0]
    with pytest.raises(DynamicsError, match=r"jumps_A\[0\].*\(2, 2\)"):
        evolve(model, rho0, t, [np.eye(3)], JB)
    with pytest.raises(DynamicsError, match="jumps_B"):
        evolve(model, rho0, t, JA, [np.full((2, 2), np.nan)])
    with pytest.raises(DynamicsError, match="strictly increasing"):
        evolve(model, rho0, [0.0, 2.0, 1.0], JA, JB)
    with pytest.raises(DynamicsError, match="rtol"):
        evolve(model, rho0, t, JA, JB, rtol=0.0)
    with pytest.raises(DynamicsError, match="rtol"):
        evolve(model, rho0, t, JA, JB, rtol=np.nan)
    with pytest.raises(DynamicsError, match="atol"):
        evolve(model, rho0, t, JA, JB, atol=-1e-3)
    with pytest.raises(DynamicsError, match="method"):
        evolve(model, rho0, t, JA, JB, method="rk4")
    with pytest.raises(StateError, match="rho0"):
        evolve(model, 2 * rho0, t, JA, JB)
    big = Bipartite(np.diag(np.arange(8.0)), np.diag(np.arange(8.0)))
    with pytest.raises(DynamicsError, match="'exact'"):
        evolve(big, np.eye(64) / 64, t, method="exact")
    with pytest.raises(DynamicsError, match="not unique"):
        steady_state(big)  # d = 64: the Krylov path; no jumps, every diagonal state is steady
    with pytest.raises(DynamicsError, match="d = 64 > DENSE_MAX_D = 32.*d <= 32"):
        invariant_correlation_subspace(big)
    with pytest.raises(DynamicsError, match="on_degenerate"):
        steady_state(model, JA, JB, on_degenerate="pick")


@pytest.mark.filterwarnings("ignore:Q_entropic")
def test_exact_fallback_and_edge_cases(rng, monkeypatch, capsys):
    """The expm-stepping branch (used for defective generators) agrees with the spectral one;
    a single time point, Qobj input and the progress bar work."""
    import corrtherm.open.exact as exact

    model, JA, JB = random_open(rng, 2, 2)
    rho0 = random_state(rng, 4)
    t = np.concatenate([np.linspace(0, 2, 11), [2.5, 7.0]])  # non-uniform steps
    spectral = evolve(model, rho0, t, JA, JB, method="exact")
    monkeypatch.setattr(exact, "EIG_COND_MAX", 0.0)
    stepped = evolve(model, rho0, t, JA, JB, method="exact")
    assert stepped.attrs["method"] == "exact-expm"
    assert spectral.attrs["method"] == "exact-spectral"
    for k in ("U", "U_chi", "I_AB", "J_A", "Q_A", "Q_B", "rho_A"):
        np.testing.assert_allclose(stepped[k], spectral[k], atol=1e-10, err_msg=k)
    one = evolve(model, rho0, [1.5], JA, JB)
    assert one.sizes["time"] == 1 and float(one.Q_A[0]) == 0.0
    qt = pytest.importorskip("qutip")
    q = evolve(
        model, qt.Qobj(rho0), t[:3], [qt.Qobj(L) for L in JA], JB, method="ode", progress=True
    )
    np.testing.assert_allclose(q.U_chi, spectral.U_chi[:3], atol=1e-7)


def test_large_d_code_path_on_a_small_model(rng, monkeypatch):
    """Above ENTROPIC_MAX_D the ODE branch takes J from the heat operators and skips the
    entropic split (NaN, documented in attrs); force that path on d = 6 and compare."""
    import corrtherm.core.trajectory as traj
    import corrtherm.open.evolution as open_evolve

    model, JA, JB = random_open(rng, 2, 3, numbers=True)
    rho0 = random_state(rng, 6)
    t = np.linspace(0, 2, 7)
    ref = evolve(model, rho0, t, JA, JB, method="exact")
    monkeypatch.setattr(open_evolve, "ENTROPIC_MAX_D", 4)
    monkeypatch.setattr(traj, "BATCH_ENTRIES", 36)
    ds = evolve(model, rho0, t, JA, JB, method="ode", rtol=1e-10, atol=1e-12, store_states=True)
    for k in ("U", "U_A", "U_chi", "S", "I_AB", "N_B", "J_A", "J_B", "Q_A", "Q_B", "rho_B"):
        np.testing.assert_allclose(ds[k], ref[k], atol=1e-8, err_msg=k)
    assert np.all(np.isnan(ds.Q_entropic)) and "skipped" in ds.attrs["entropic_split"]
    assert_ledger_matches(ds, model, ds.rho.values, atol=1e-9)


@pytest.mark.parametrize("method", ["exact", "ode"])
def test_entropic_split_switch_changes_nothing_else(method):
    model, jA, jB, _, _, piA, piB = paper1_example()[:7]
    rho0 = np.kron(piA, piB) + 0.02 * np.kron(sigma_z(), sigma_z())
    t = np.linspace(0, 1.5, 31)
    on = evolve(model, rho0, t, jA, jB, method=method, entropic_split=True)
    off = evolve(model, rho0, t, jA, jB, method=method, entropic_split=False)
    assert np.all(np.isnan(off.Q_entropic)) and np.all(np.isfinite(on.Q_entropic))
    for var in ("U", "U_A", "U_B", "U_chi", "J_A", "J_B", "Q_A", "Q_B", "S", "I_AB"):
        np.testing.assert_allclose(off[var], on[var], atol=1e-12, err_msg=var)
