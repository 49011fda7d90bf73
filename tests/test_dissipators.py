"""Tests of corrtherm.dissipators against explicit matrix formulas, QuTiP's Liouvillian, the
reference workload's rates and detailed balance (Gibbs states must be steady)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from corrtherm import Bipartite, gibbs_state
from corrtherm.core.errors import CorrthermError, DynamicsError
from corrtherm.core.operators import sigma_z
from corrtherm.open.dissipators import adjoint_dissipator, dissipator, lindblad_superoperator
from corrtherm.open.thermal import thermal_jumps, thermal_rate

from .conftest import random_hermitian, random_state


def random_jumps(rng, d, k=3):
    return [rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d)) for _ in range(k)]


def explicit_dissipator(Ls, rho):
    out = np.zeros_like(rho)
    for L in Ls:
        LdL = L.conj().T @ L
        out += L @ rho @ L.conj().T - 0.5 * (LdL @ rho + rho @ LdL)
    return out


def test_dissipator_local_and_embedded(rng):
    Ls = random_jumps(rng, 3)
    rho = random_state(rng, 3)
    np.testing.assert_allclose(dissipator(Ls, rho), explicit_dissipator(Ls, rho), atol=1e-12)
    R = random_state(rng, 6)
    full_A = [np.kron(L, np.eye(2)) for L in Ls]
    np.testing.assert_allclose(
        dissipator(Ls, R, dims=(3, 2), side="A"), explicit_dissipator(full_A, R), atol=1e-12
    )
    LsB = random_jumps(rng, 2)
    full_B = [np.kron(np.eye(3), L) for L in LsB]
    np.testing.assert_allclose(
        dissipator(LsB, R, dims=(3, 2), side="B"), explicit_dissipator(full_B, R), atol=1e-12
    )
    # trace preserving, Hermiticity preserving
    D = dissipator(Ls, R, dims=(3, 2), side="A")
    assert abs(np.trace(D)) < 1e-12 and np.allclose(D, D.conj().T)


def test_adjoint_is_hilbert_schmidt_adjoint(rng):
    Ls = random_jumps(rng, 2)
    for dims, side in ((None, None), ((2, 3), "A")):
        d = 2 if dims is None else 6
        X = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
        rho = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
        lhs = np.trace(X @ dissipator(Ls, rho, dims=dims, side=side))
        rhs = np.trace(adjoint_dissipator(Ls, X, dims=dims, side=side) @ rho)
        assert abs(lhs - rhs) < 1e-11
    # unital: L#[I] = 0 (trace preservation of L)
    np.testing.assert_allclose(adjoint_dissipator(Ls, np.eye(2)), 0, atol=1e-12)


def test_superoperator_row_major_and_qutip(rng):
    model = Bipartite(random_hermitian(rng, 2), random_hermitian(rng, 3), random_hermitian(rng, 6))
    JA, JB = random_jumps(rng, 2, 2), random_jumps(rng, 3, 2)
    S = lindblad_superoperator(model, JA, JB)
    rho = random_state(rng, 6)
    rhs = -1j * (model.H @ rho - rho @ model.H)
    rhs += explicit_dissipator([np.kron(L, np.eye(3)) for L in JA], rho)
    rhs += explicit_dissipator([np.kron(np.eye(2), L) for L in JB], rho)
    np.testing.assert_allclose(S @ rho.reshape(-1), rhs.reshape(-1), atol=1e-12)
    qt = pytest.importorskip("qutip")
    dims = [[2, 3], [2, 3]]
    c_ops = [qt.Qobj(np.kron(L, np.eye(3)), dims=dims) for L in JA]
    c_ops += [qt.Qobj(np.kron(np.eye(2), L), dims=dims) for L in JB]
    Lq = qt.liouvillian(qt.Qobj(model.H, dims=dims), c_ops).full()
    # QuTiP stacks columns: vec_col(rho) = vec_row(rho.T); permute indices (i, j) <-> (j, i)
    perm = np.arange(36).reshape(6, 6).T.reshape(-1)
    np.testing.assert_allclose(S, Lq[np.ix_(perm, perm)], atol=1e-12)


def test_paper_rates_reproduce_paper1_example():
    """H = w sigma_z: E_0 = w, E_1 = -w. gamma_01 (|0><1|, omega = 2w) = e^{-beta w}."""
    w, beta = 0.7, 1.3
    jumps = thermal_jumps(w * sigma_z(), beta, rate="paper", gamma0=1.0)
    rates = {}
    for L in jumps:
        ((m, n),) = zip(*np.nonzero(np.abs(L) > 1e-14))
        rates[(int(m), int(n))] = abs(L[m, n]) ** 2
    assert rates[(0, 1)] == pytest.approx(np.exp(-beta * w), rel=1e-12)
    assert rates[(1, 0)] == pytest.approx(np.exp(beta * w), rel=1e-12)


def bench_thermal_jumps(H, beta, g0=0.1):
    """Verbatim copy of ../shared/bench/thermal_chain_qutip.py::thermal_jumps (numpy part)."""
    E, V = np.linalg.eigh(H)
    ops = []
    for m in range(len(E)):
        for k in range(len(E)):
            if m == k:
                continue
            rate = g0 / (1.0 + np.exp(beta * (E[m] - E[k])))
            ops.append(np.sqrt(rate) * np.outer(V[:, m], V[:, k].conj()))
    return ops


def test_fermi_rates_match_reference_workload(rng):
    H = random_hermitian(rng, 4)
    ours = thermal_jumps(H, 0.5, rate="fermi", gamma0=0.1)
    ref = bench_thermal_jumps(H, 0.5)
    # eigenvector phases are arbitrary: compare the phase-invariant superoperator pieces
    S = sum(np.kron(L, L.conj()) for L in ours)
    Sref = sum(np.kron(L, L.conj()) for L in ref)
    np.testing.assert_allclose(S, Sref, atol=1e-13)


def test_ohmic_rate_values_and_limit():
    beta, g0 = 2.0, 0.3
    w = np.array([1.5, -1.5, 1e-300, 0.0, 800.0, -800.0])
    g = thermal_rate(w, beta, "ohmic", g0)
    assert g[0] == pytest.approx(g0 * 1.5 / (np.exp(3.0) - 1), rel=1e-13)
    assert g[1] == pytest.approx(g0 * 1.5 * (1 / (np.exp(3.0) - 1) + 1), rel=1e-13)
    assert g[2] == pytest.approx(g0 / beta) and g[3] == pytest.approx(g0 / beta)
    assert g[4] == 0.0 and g[5] == pytest.approx(g0 * 800.0, rel=1e-12)
    with pytest.raises(DynamicsError, match="beta"):
        thermal_rate(w, -1.0, "ohmic")


@given(
    seed=st.integers(0, 2**31),
    d=st.integers(2, 5),
    beta=st.floats(-2.0, 3.0),
    rate=st.sampled_from(["paper", "fermi", "ohmic"]),
)
def test_detailed_balance_makes_gibbs_steady(seed, d, beta, rate):
    rng = np.random.default_rng(seed)
    H = random_hermitian(rng, d)
    if rate == "ohmic":
        beta = abs(beta) + 0.1
    jumps = thermal_jumps(H, beta, rate=rate, gamma0=0.7)
    assert len(jumps) == d * (d - 1)
    pi = gibbs_state(H, beta)
    scale = max(1.0, max(np.abs(L).max() ** 2 for L in jumps))
    np.testing.assert_allclose(dissipator(jumps, pi), 0, atol=1e-12 * scale)


def test_user_rate_callable(rng):
    H = random_hermitian(rng, 3)
    beta = 0.8
    good = thermal_jumps(H, beta, rate=lambda w: 2.0 / (1 + np.exp(beta * w)))
    np.testing.assert_allclose(dissipator(good, gibbs_state(H, beta)), 0, atol=1e-12)
    with pytest.raises(DynamicsError, match="detailed balance"):
        thermal_jumps(H, beta, rate=lambda w: np.ones_like(w))
    with pytest.raises(DynamicsError, match="< 0"):
        thermal_jumps(H, beta, rate=lambda w: -np.exp(-beta * w / 2))
    with pytest.raises(DynamicsError, match="finite"):
        thermal_jumps(H, beta, rate=lambda w: np.full_like(w, np.nan))
    with pytest.raises(DynamicsError, match="raised"):
        thermal_jumps(H, beta, rate=lambda w: 1 / 0)


def test_degenerate_spectrum(rng):
    H = np.diag([0.0, 1.0, 1.0])
    with pytest.raises(DynamicsError, match="levels 1 and 2"):
        thermal_jumps(H, 1.0)
    jumps = thermal_jumps(H, 1.0, degenerate="allow")
    np.testing.assert_allclose(dissipator(jumps, gibbs_state(H, 1.0)), 0, atol=1e-12)


def test_bad_input(rng):
    with pytest.raises(DynamicsError, match=r"jumps\[1\].*\(2, 2\)"):
        dissipator([np.eye(2), np.eye(3)], np.eye(2) / 2)
    with pytest.raises(DynamicsError, match="NaN"):
        dissipator([np.array([[np.nan, 0], [0, 1]])], np.eye(2) / 2)
    with pytest.raises(DynamicsError, match="gamma0"):
        thermal_jumps(np.diag([0.0, 1.0]), 1.0, gamma0=-1.0)
    with pytest.raises(DynamicsError, match="gamma0"):
        thermal_jumps(np.diag([0.0, 1.0]), 1.0, gamma0=np.nan)
    with pytest.raises(DynamicsError, match="beta"):
        thermal_jumps(np.diag([0.0, 1.0]), np.inf)
    with pytest.raises(DynamicsError, match="rate"):
        thermal_jumps(np.diag([0.0, 1.0]), 1.0, rate="bogus")
    model = Bipartite(np.eye(2), np.eye(2))
    # (d, d) jumps are global jumps now (issue 12); a shape that is neither is rejected
    with pytest.raises(DynamicsError, match="jumps_B"):
        lindblad_superoperator(model, [], [np.eye(3)])
    with pytest.raises(CorrthermError, match="side"):
        dissipator([np.eye(2)], np.eye(4) / 4, dims=(2, 2), side="C")
