"""The Gaussian engine against the dense engine (Jordan-Wigner fermions, truncated-Fock bosons).

Independent truths: corrtherm's dense evolution of the 2^L x 2^L (or cutoff^L) density matrix
(evolve_isolated, evolve method="exact", steady_state, flow_dataset, gibbs_state,
relative_entropy), and for quantities the dense engine does not report (particle currents,
dS/dt, time integrals) a direct computation from the dense states with corrtherm.dissipator and
the Van Loan block exponential of the d^2 x d^2 generator. Fermions agree to 1e-10 for L <= 6;
bosons to the truncation error (< 1e-8 here).
"""

import numpy as np
import pytest
from scipy.linalg import expm

import corrtherm as ct
import corrtherm.gaussian as g
from corrtherm.core.information import relative_entropy
from corrtherm.gaussian.dense import _jordan_wigner, _ops
from corrtherm.open.dissipators import dissipator, lindblad_superoperator

from .conftest import random_unitary

FLOW_VARIABLES = (
    "DeltaE_A",
    "DeltaE_B",
    "DeltaN_A",
    "DeltaN_B",
    "DeltaS_A",
    "DeltaS_B",
    "DeltaS",
    "DeltaI_AB",
    "D_A",
    "D_B",
    "D_A0",
    "D_B0",
    "lhs_26",
    "slack",
    "energy_drift",
    "number_drift",
    "assumption_terms",
    "identity_residual",
    "particle_flow",
    "energy_flow",
    "requires_correlation_decrease",
)
LEDGER = ("U", "U_A", "U_B", "U_chi", "E_A", "E_B", "E_V", "N_A", "N_B", "S", "S_A", "S_B", "I_AB")


def random_C(rng, L, lo=0.05, hi=0.95):
    W = random_unitary(rng, L)
    return (W * rng.uniform(lo, hi, L)) @ W.conj().T


def logm_h(r):
    p, P = np.linalg.eigh(r)
    # eigenvalues below round-off (truncated Fock tails) carry no weight: clip them
    return (P * np.log(np.clip(p, 1e-300, None))) @ P.conj().T


def dense_D(ds):
    """D(rho_X(t) || rho_X(0)) of a dense trajectory with stored marginals."""
    n = ds.sizes["time"]
    return tuple(
        np.array([relative_entropy(ds[r][k].values, ds[r][0].values) for k in range(n)])
        for r in ("rho_A", "rho_B")
    )


def assert_close(a, b, tol, what):
    err = float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
    assert err <= tol, f"{what}: max deviation {err:.3g} > {tol:g}"


# ------------------------------------------------------------------------------ conversions
def test_sparse_jordan_wigner_is_the_core_one():
    for n in (1, 2, 3):
        for a, b in zip(_jordan_wigner(n), ct.fermion_operators(n)):
            assert np.array_equal(a.toarray(), b)
    m = g.random_model(2, 2, seed=0)
    cA, cB = ct.bipartite_fermions(2, 2)
    for a, b in zip(_ops(m, None)[0], cA + cB):
        assert np.array_equal(a.toarray(), b)


@pytest.mark.parametrize("real", [True, False])
def test_thermal_correlation_is_the_dense_grand_canonical_state(real):
    m = g.random_model(2, 2, seed=3, real=real)
    dm = g.to_dense_model(m)
    C = g.thermal_correlation(m.h, 0.7, 0.3)
    rho = g.to_dense_state(m, C)
    assert_close(rho, ct.gibbs_state(dm.H, 0.7, dm.N, 0.3), 1e-12, "Gibbs state")
    assert_close(g.from_dense_state(m, rho), C, 1e-12, "C round trip")


def test_boson_thermal_correlation_is_the_dense_grand_canonical_state():
    m = g.random_model(1, 1, seed=4, statistics="boson")
    dm = g.to_dense_model(m, cutoff=12)
    C = g.thermal_correlation(m.h, 2.0, -0.5, "boson")
    rho = ct.gibbs_state(dm.H, 2.0, dm.N, -0.5)
    assert_close(g.from_dense_state(m, rho, cutoff=12), C, 1e-9, "bosonic C of the Gibbs state")


# ------------------------------------------------------------------------- isolated dynamics
@pytest.mark.parametrize(
    "LA,LB,real", [(1, 1, True), (2, 2, False), (3, 3, True), (1, 4, False), (2, 3, True)]
)
def test_isolated_fermions_every_variable(rng, LA, LB, real):
    m = g.random_model(LA, LB, seed=LA * 10 + LB, real=real, coupling=1.0)
    C0 = random_C(rng, m.L)
    times = np.linspace(0.0, 2.5, 6)
    ds = g.evolve(m, C0, times, store_correlations=True)
    dm = g.to_dense_model(m)
    dd = ct.evolve_isolated(dm, g.to_dense_state(m, C0), times, store_states=True)
    for k in LEDGER:
        assert_close(ds[k].values, dd[k].values, 1e-10, k)
    DA, DB = dense_D(dd)
    assert_close(ds.D_A.values, DA, 1e-10, "D_A")
    assert_close(ds.D_B.values, DB, 1e-10, "D_B")
    for k in range(times.size):  # C(t) itself, read off the dense state
        assert_close(ds.C[k].values, g.from_dense_state(m, dd.rho[k].values), 1e-10, "C(t)")


def test_isolated_flow_analysis_matches_the_dense_flow_dataset():
    m = g.two_chains(2, 2, hopping=0.7, coupling=0.4)
    bA, bB, mA, mB = 0.8, 1.3, 0.4, -0.2
    X = g.exchange_correlation(m, bA, bB, mA, mB, phase=1.1)
    C0 = g.locally_thermal_correlation(m, bA, bB, mA, mB, X, -0.8)
    times = np.linspace(0.0, 3.0, 7)
    ds = g.evolve(m, C0, times, beta_A=bA, beta_B=bB, mu_A=mA, mu_B=mB)
    dm = g.to_dense_model(m)
    dd = ct.evolve_isolated(dm, g.to_dense_state(m, C0), times)
    dd = ct.flow_dataset(dm, dd, bA, bB, mA, mB)
    for k in FLOW_VARIABLES:
        if dd[k].dtype.kind in "US" or dd[k].dtype == bool:
            assert list(ds[k].values) == list(dd[k].values), k
        else:
            assert_close(ds[k].values, dd[k].values, 1e-10, k)


def test_bosons_isolated_against_truncated_fock():
    m = g.random_model(1, 1, seed=7, statistics="boson", coupling=1.0)
    rng = np.random.default_rng(5)
    C0 = random_C(rng, 2, 0.01, 0.08)
    times = np.linspace(0.0, 2.0, 5)
    ds = g.evolve(m, C0, times)
    # total number is conserved: the truncation error is the initial weight of N >= 14,
    # below (0.08 / 1.08)^14 ~ 2e-16
    dm = g.to_dense_model(m, cutoff=14)
    dd = ct.evolve_isolated(dm, g.to_dense_state(m, C0, cutoff=14), times, store_states=True)
    for k in LEDGER:
        assert_close(ds[k].values, dd[k].values, 1e-8, k)

    def D(r, s):  # full-rank truncated states: no support cut
        return float(np.trace(r @ (logm_h(r) - logm_h(s))).real)

    DA = [D(dd.rho_A[k].values, dd.rho_A[0].values) for k in range(times.size)]
    assert_close(ds.D_A.values, DA, 1e-8, "D_A")


# ----------------------------------------------------------------------------- open dynamics
def _dense_open_extras(dm, jA, jB, ds, times, baths):
    """I_X, J_X_local, dS/dt, sigma, sigma_local from stored dense states; N_in_X exactly."""
    S = lindblad_superoperator(dm, jA, jB)
    d = dm.d
    out = {k: [] for k in ("I_A", "I_B", "J_A_local", "J_B_local", "dS")}
    for k in range(times.size):
        r = ds.rho[k].values
        DA = dissipator(jA, r, dims=dm.dims, side="A")
        DB = dissipator(jB, r, dims=dm.dims, side="B")
        out["I_A"].append(np.trace(dm.N @ DA).real)
        out["I_B"].append(np.trace(dm.N @ DB).real)
        out["J_A_local"].append(np.trace(dm.H_A_full @ DA).real)
        out["J_B_local"].append(np.trace(dm.H_B_full @ DB).real)
        rdot = (S @ r.reshape(-1)).reshape(d, d)
        out["dS"].append(-np.trace(rdot @ logm_h(r)).real)
    out = {k: np.array(v) for k, v in out.items()}
    # N_in_X = Tr[N L_X[int_0^t rho ds]]: (rho, int rho) obey d/dt (v, w) = (S v, v), stepped
    # exactly with one exponential of [[S, 0], [1, 0]] on the uniform grid
    n2 = d * d
    big = np.zeros((2 * n2, 2 * n2), dtype=complex)
    big[:n2, :n2], big[n2:, :n2] = S, np.eye(n2)
    step = expm(big * (times[1] - times[0]))
    y = np.concatenate([ds.rho[0].values.reshape(-1), np.zeros(n2)])
    vals = {"A": [], "B": []}
    for _ in times:
        w = y[n2:].reshape(d, d)
        for side, jumps in (("A", jA), ("B", jB)):
            D = dissipator(jumps, w, dims=dm.dims, side=side)
            vals[side].append(np.trace(dm.N @ D).real)
        y = step @ y
    out["N_in_A"], out["N_in_B"] = np.array(vals["A"]), np.array(vals["B"])
    (bA, bB) = baths
    flux = lambda jx: sum(b.beta * (out_j - b.mu * out[f"I_{s}"]) for s, b, out_j in jx)
    out["sigma"] = out["dS"] - flux([("A", bA, ds.J_A.values), ("B", bB, ds.J_B.values)])
    out["sigma_local"] = out["dS"] - flux(
        [("A", bA, out["J_A_local"]), ("B", bB, out["J_B_local"])]
    )
    Sv = ds.S.values
    out["Sigma"] = (
        Sv
        - Sv[0]
        - sum(
            b.beta * (ds[f"Q_{s}"].values - b.mu * out[f"N_in_{s}"])
            for s, b in (("A", bA), ("B", bB))
        )
    )
    return out


@pytest.mark.parametrize("LA,LB,real", [(2, 2, False), (1, 3, True)])
def test_open_fermions_every_variable(rng, LA, LB, real):
    m = g.random_model(LA, LB, seed=11 + LA, real=real, coupling=1.0)
    bA, bB = g.LocalBath(1.0, 0.2, 0.5), g.LocalBath(0.4, -0.3, 0.8)
    C0 = random_C(rng, m.L)
    times = np.linspace(0.0, 2.0, 5)
    ds = g.evolve(m, C0, times, bath_A=bA, bath_B=bB)
    dm = g.to_dense_model(m)
    jA, jB = g.dense_jumps(m, bA, bB)
    dd = ct.evolve(
        dm,
        g.to_dense_state(m, C0),
        times,
        jA,
        jB,
        method="exact",
        store_states=True,
        entropic_split=False,
    )
    for k in (*LEDGER, "J_A", "J_B", "Q_A", "Q_B"):
        assert_close(ds[k].values, dd[k].values, 1e-10, k)
    extra = _dense_open_extras(dm, jA, jB, dd, times, (bA, bB))
    for k in ("I_A", "I_B", "J_A_local", "J_B_local", "N_in_A", "N_in_B", "sigma", "sigma_local"):
        assert_close(ds[k].values, extra[k], 1e-10, k)
    assert_close(ds.Sigma.values, extra["Sigma"], 1e-10, "Sigma")
    DA, DB = dense_D(dd)
    assert_close(ds.D_A.values, DA, 1e-10, "D_A")
    assert_close(ds.D_B.values, DB, 1e-10, "D_B")


def test_b_side_jumps_need_their_own_parity_string():
    """I_A (x) c'_k is P_A c_B, not a fermion operator: its dissipator differs from the
    Gaussian bath on A-B correlations (the reason dense_jumps attaches P_B on B)."""
    m = g.random_model(2, 2, seed=2, coupling=1.0)
    bB = g.LocalBath(0.5, 0.0, 1.0)
    rng = np.random.default_rng(1)
    C0 = random_C(rng, 4)
    times = np.array([0.0, 1.0])
    ds = g.evolve(m, C0, times, bath_B=bB)
    dm = g.to_dense_model(m)
    _, jB = g.dense_jumps(m, None, bB)
    parity_B = np.diag([1.0, -1.0, -1.0, 1.0])
    naive = [parity_B @ L for L in jB]  # strips P_B again: I_A (x) c'_k
    rho0 = g.to_dense_state(m, C0)
    good = ct.evolve(dm, rho0, times, (), jB, method="exact", entropic_split=False)
    bad = ct.evolve(dm, rho0, times, (), naive, method="exact", entropic_split=False)
    assert abs(ds.N_A.values[-1] - good.N_A.values[-1]) < 1e-10
    assert abs(ds.N_A.values[-1] - bad.N_A.values[-1]) > 1e-3


def test_bosons_open_against_truncated_fock():
    m = g.random_model(1, 1, seed=8, statistics="boson", coupling=0.8)
    m = g.FreeModel(m.h_A + 5.0, m.h_B + 5.0, m.t_AB, "boson")
    bA, bB = g.LocalBath(2.0, 0.3, 0.6), g.LocalBath(1.5, -0.4, 0.3)
    rng = np.random.default_rng(9)
    C0 = random_C(rng, 2, 0.0005, 0.002)
    times = np.linspace(0.0, 1.5, 4)
    ds = g.evolve(m, C0, times, bath_A=bA, bath_B=bB)
    # occupations stay below ~2e-3, so the weight of the truncated levels is ~1e-11
    dm = g.to_dense_model(m, cutoff=4)
    jA, jB = g.dense_jumps(m, bA, bB, cutoff=4)
    dd = ct.evolve(
        dm,
        g.to_dense_state(m, C0, cutoff=4),
        times,
        jA,
        jB,
        method="exact",
        store_states=True,
        entropic_split=False,
    )
    for k in (*LEDGER, "J_A", "J_B", "Q_A", "Q_B"):
        assert_close(ds[k].values, dd[k].values, 1e-8, k)
    for k in range(times.size):
        r = dd.rho[k].values
        I_A = np.trace(dm.N @ dissipator(jA, r, dims=dm.dims, side="A")).real
        assert abs(ds.I_A.values[k] - I_A) < 1e-8


@pytest.mark.parametrize("statistics,cutoff", [("fermion", None), ("boson", 4)])
def test_steady_state_matches_dense(statistics, cutoff):
    m = g.random_model(1, 2 if statistics == "fermion" else 1, seed=5, statistics=statistics)
    if statistics == "boson":
        m = g.FreeModel(m.h_A + 4.0, m.h_B + 4.0, m.t_AB, "boson")
    bA, bB = g.LocalBath(3.0, 0.1, 0.7), g.LocalBath(3.0, -0.2, 0.4)
    ss = g.steady_state(m, bA, bB)
    dm = g.to_dense_model(m, cutoff=cutoff)
    jA, jB = g.dense_jumps(m, bA, bB, cutoff=cutoff)
    rho = ct.steady_state(dm, jA, jB).rho
    tol = 1e-10 if statistics == "fermion" else 1e-8
    assert_close(ss.C, g.from_dense_state(m, rho, cutoff=cutoff), tol, "C_ss")
    JA = np.trace(dm.H @ dissipator(jA, rho, dims=dm.dims, side="A")).real
    IB = np.trace(dm.N @ dissipator(jB, rho, dims=dm.dims, side="B")).real
    assert abs(ss.J_A - JA) < tol and abs(ss.I_B - IB) < tol
