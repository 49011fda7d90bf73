"""Large-d open dynamics (issue 13): sector storage, the Krylov steady state, the integrators.

Independent truths: the naive d^2 x d^2 superoperator built here (row-major vec), its SVD kernel
and expm (exact propagator), qutip.steadystate, and the dense steady-state path of corrtherm
(itself checked against closed forms in test_dynamics.py). Never the structured code's output.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm, null_space

from corrtherm import Bipartite, CorrthermError, DynamicsError, steady_state
from corrtherm.core._threads import ENV_VAR, blas_threads, resolve
from corrtherm.open._blocked import SectorState
from corrtherm.open._integrate import CK_A, CK_B, CK_E, butcher_from_2n
from corrtherm.open.generator import LocalGenerator

from .conftest import random_hermitian, random_state


# ----------------------------------------------------------------------------- models
def naive_generator(model: Bipartite, jA, jB) -> np.ndarray:
    """L as a d^2 x d^2 matrix, row-major vec: vec(A X B) = (A (x) B^T) vec(X)."""
    dA, dB = model.dims
    d = model.d
    eye = np.eye(d)
    L = -1j * (np.kron(model.H, eye) - np.kron(eye, model.H.T))
    for J in [np.kron(j, np.eye(dB)) for j in jA] + [np.kron(np.eye(dA), j) for j in jB]:
        K = J.conj().T @ J
        L += np.kron(J, J.conj()) - 0.5 * (np.kron(K, eye) + np.kron(eye, K.T))
    return L


def thermal(rng, H, beta, lo=0.2):
    """All-pairs jumps between eigenstates with random detailed-balance rates."""
    E, U = np.linalg.eigh(H)
    out = []
    for m in range(E.size):
        for n in range(E.size):
            if m != n:
                g = rng.uniform(lo, 1.0) / (1.0 + np.exp(beta * (E[m] - E[n])))
                out.append(np.sqrt(g) * np.outer(U[:, m], U[:, n].conj()))
    return out


def charged_model(rng, qA, qB, real=False):
    """Random H_A, H_B conserving local charges qA, qB and V conserving qA + qB: the global
    charge splits the space into sectors (the structure the sector storage exploits)."""
    qA, qB = np.asarray(qA), np.asarray(qB)

    def masked(mask, scale):
        X = random_hermitian(rng, mask.shape[0], scale) * mask
        return X.real if real else X

    HA = masked(qA[:, None] == qA[None, :], 1.0)
    HB = masked(qB[:, None] == qB[None, :], 1.0)
    q = (qA[:, None] + qB[None, :]).ravel()
    V = masked(q[:, None] == q[None, :], 0.4)
    np.fill_diagonal(V, 0.0)
    return Bipartite(HA, HB, V)


# ----------------------------------------------------------------------------- sector storage
@pytest.mark.parametrize("real", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_sector_generator_matches_naive_superoperator(seed, real):
    rng = np.random.default_rng(seed)
    model = charged_model(rng, [0, 1, 1, 2], [0, 1, 1], real)
    jA, jB = thermal(rng, model.H_A, 0.8), thermal(rng, model.H_B, 1.7)
    gen = LocalGenerator(model, jA, jB)
    L = naive_generator(model, jA, jB)
    d = model.d
    # a state with support in one charge difference only: the sector storage must be exact
    q = (np.array([0, 1, 1, 2])[:, None] + np.array([0, 1, 1])[None, :]).ravel()
    rho = random_state(rng, d) * (q[:, None] == q[None, :])
    rho /= np.trace(rho)
    rho_i = gen.to_internal(rho)
    op = gen.sector_operator(rho_i)
    lay = op.layout
    assert len(lay.blocks) > 1 and lay.stored_fraction < 0.6
    x = lay.from_dense(rho_i)
    np.testing.assert_allclose(lay.to_dense(x), rho_i, atol=1e-14)  # nothing dropped
    out = np.empty_like(x)
    op.rhs_hermitian(x, out)
    ref = gen.to_internal((L @ rho.ravel()).reshape(d, d))
    np.testing.assert_allclose(lay.to_dense(out), ref, atol=1e-12)
    # exact complex-linear map on a non-Hermitian matrix, full storage
    full = gen.sector_operator(None, structured=False)
    X = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    got = full.layout.to_dense(full.apply(full.layout.from_dense(gen.to_internal(X))))
    np.testing.assert_allclose(got, gen.to_internal((L @ X.ravel()).reshape(d, d)), atol=1e-12)
    # heat currents J_X = Tr[H L_X[rho]] and the ledger read from the blocks
    LA = naive_generator(Bipartite(0 * model.H_A, 0 * model.H_B), jA, [])
    LB = naive_generator(Bipartite(0 * model.H_A, 0 * model.H_B), [], jB)
    for Lx, J in zip((LA, LB), gen.currents(SectorState(op, x))):
        assert J == pytest.approx(
            np.trace(model.H @ (Lx @ rho.ravel()).reshape(d, d)).real, abs=1e-12
        )
    obs, dense_obs = gen.observables(SectorState(op, x)), gen.observables(rho_i)
    for k in ("U", "U_A", "U_B", "U_chi", "S", "S_A", "S_B", "I_AB"):
        assert obs[k] == pytest.approx(dense_obs[k], abs=1e-12)


def test_round_off_outside_the_sectors_is_dropped_within_the_bound():
    rng = np.random.default_rng(7)
    model = charged_model(rng, [0, 1, 1, 2], [0, 1, 1])
    gen = LocalGenerator(model, thermal(rng, model.H_A, 1.0), thermal(rng, model.H_B, 1.0))
    rho = np.diag(rng.uniform(0.5, 1.0, model.d)).astype(complex)
    rho /= np.trace(rho)
    tiny = 1e-15 * random_hermitian(rng, model.d)
    assert gen.sector_operator(gen.to_internal(rho + tiny)).layout.stored_fraction < 0.6
    big = 1e-6 * random_hermitian(rng, model.d)
    assert gen.sector_operator(gen.to_internal(rho + big)).layout.stored_fraction == 1.0


# ----------------------------------------------------------------------------- integrators
@pytest.mark.parametrize("method", ["DOP853", "CK45", "RK45"])
@pytest.mark.parametrize("saves", [5, 60])
def test_integrators_match_the_exact_propagator(method, saves):
    rng = np.random.default_rng(11)
    model = charged_model(rng, [0, 1, 1, 2], [0, 1, 1])
    jA, jB = thermal(rng, model.H_A, 0.6), thermal(rng, model.H_B, 1.3)
    gen = LocalGenerator(model, jA, jB)
    L = naive_generator(model, jA, jB)
    rho0 = random_state(rng, model.d)
    times = np.linspace(0.0, 3.0, saves)
    got = {}

    def on_save(i, r, qa, qb):
        got[i] = gen.from_internal(gen.dense(r))

    rtol, atol = 1e-9, 1e-11
    stats = gen.propagate(
        gen.to_internal(rho0), times, rtol=rtol, atol=atol, on_save=on_save, method=method
    )
    assert sorted(got) == list(range(saves)) and stats["method"] == method
    err = max(
        np.max(np.abs(got[i] - (expm(L * t) @ rho0.ravel()).reshape(model.d, model.d)))
        for i, t in enumerate(times)
    )
    assert err <= 1e-7, err  # global error ~ tolerance x (steps), far below it in practice


def test_ck45_embedded_pair_orders():
    """b satisfies the 8 order conditions up to 4; b - e (the embedded weights) those up to 3
    but not all of order 4, so e h sum e_i k_i is a genuine O(h^4) error estimate."""
    a, b = butcher_from_2n(CK_A, CK_B)
    c = a.sum(axis=1)
    order3 = [(b.sum(), 1), (b @ c, 1 / 2), (b @ c**2, 1 / 3), (b @ a @ c, 1 / 6)]
    order4 = [
        (b @ c**3, 1 / 4),
        (b @ (c * (a @ c)), 1 / 8),
        (b @ a @ c**2, 1 / 12),
        (b @ a @ a @ c, 1 / 24),
    ]
    for v, t in order3 + order4:
        assert v == pytest.approx(t, abs=1e-14)
    bh = b - CK_E
    assert bh[-1] == pytest.approx(0.0, abs=1e-15)
    for v, t in [(bh.sum(), 1), (bh @ c, 1 / 2), (bh @ c**2, 1 / 3), (bh @ a @ c, 1 / 6)]:
        assert v == pytest.approx(t, abs=1e-13)
    assert abs(bh @ c**3 - 1 / 4) > 1e-3


# ----------------------------------------------------------------------------- steady states
def dense_kernel(L: np.ndarray, d: int) -> np.ndarray:
    """Orthonormal basis of ker L (columns, vec of d x d matrices) from the SVD."""
    return null_space(L, rcond=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_krylov_steady_state_equals_the_svd_kernel_thermal(seed):
    rng = np.random.default_rng(100 + seed)
    model = charged_model(rng, [0, 1, 1, 2], [0, 1, 1, 2])
    jA, jB = thermal(rng, model.H_A, 0.5), thermal(rng, model.H_B, 2.0)
    rep = steady_state(model, jA, jB, method="krylov")
    K = dense_kernel(naive_generator(model, jA, jB), model.d)
    assert K.shape[1] == 1 and rep.kernel_dimension == 1
    ref = K[:, 0].reshape(model.d, model.d)
    ref /= np.trace(ref)
    np.testing.assert_allclose(rep.rho, ref, atol=1e-10)
    assert "certificate" in rep.method and rep.residual < 1e-11
    assert rep.min_eigenvalue == pytest.approx(np.linalg.eigvalsh(ref)[0], abs=1e-10)
    # and the dense path of steady_state on the same model
    np.testing.assert_allclose(steady_state(model, jA, jB, method="dense").rho, ref, atol=1e-10)


@pytest.mark.parametrize("seed", range(2))
def test_krylov_steady_state_generic_jumps_uses_anchors(seed):
    rng = np.random.default_rng(200 + seed)
    dA, dB = 3, 4
    model = Bipartite(
        random_hermitian(rng, dA), random_hermitian(rng, dB), random_hermitian(rng, dA * dB, 0.3)
    )
    jA = [(rng.normal(size=(dA, dA)) + 1j * rng.normal(size=(dA, dA))) / 3 for _ in range(2)]
    jB = thermal(rng, model.H_B, 1.0)
    rep = steady_state(model, jA, jB, method="krylov")
    K = dense_kernel(naive_generator(model, jA, jB), model.d)
    ref = K[:, 0].reshape(model.d, model.d)
    ref /= np.trace(ref)
    assert rep.kernel_dimension == 1 and "anchors" in rep.method
    np.testing.assert_allclose(rep.rho, ref, atol=1e-10)


def test_two_conserved_quantities_are_reported_not_resolved():
    """Jumps of A confined to two groups of levels, H_A and V block diagonal in them: the
    projector on a group is conserved next to 1, dim ker L = 2; both paths must say so."""
    rng = np.random.default_rng(3)
    U = np.zeros((4, 4), dtype=complex)
    HA = np.zeros((4, 4), dtype=complex)
    for g in (slice(0, 2), slice(2, 4)):
        h = random_hermitian(rng, 2)
        HA[g, g] = h
        U[g, g] = np.linalg.eigh(h)[1]
    group = np.array([0, 0, 1, 1])
    jA = [
        np.sqrt(rng.uniform(0.2, 1.0)) * np.outer(U[:, m], U[:, n].conj())
        for m in range(4)
        for n in range(4)
        if m != n and group[m] == group[n]
    ]
    HB = random_hermitian(rng, 3)
    jB = thermal(rng, HB, 1.0)
    P = np.kron((group[:, None] == group[None, :]).astype(float), np.ones((3, 3)))
    model = Bipartite(HA, HB, random_hermitian(rng, 12, 0.3) * P)
    K = dense_kernel(naive_generator(model, jA, jB), model.d)
    assert K.shape[1] == 2
    for method in ("dense", "krylov"):
        with pytest.raises(DynamicsError, match="not unique"):
            steady_state(model, jA, jB, method=method)
        rep = steady_state(model, jA, jB, method=method, on_degenerate="report")
        assert rep.rho is None and rep.kernel_dimension == 2
        B = rep.kernel_basis.reshape(2, -1).T
        # the same span as the SVD kernel: each spans the other
        np.testing.assert_allclose(B @ np.linalg.lstsq(B, K, rcond=None)[0], K, atol=1e-8)


def _xx_half(n: int) -> np.ndarray:
    """The workload's XX half chain (bench/workload.py), sz = diag(1, -1), sm = |0><1|."""
    sm = np.array([[0, 1], [0, 0]], dtype=complex)
    sz = np.diag([1.0, -1.0]).astype(complex)

    def op(o, k):
        out = np.ones((1, 1), dtype=complex)
        for j in range(n):
            out = np.kron(out, o if j == k else np.eye(2))
        return out

    H = sum((0.5 + 0.137 * k + 0.05 * k * k) * op(sz, k) for k in range(n))
    for k in range(n - 1):
        H = H + op(sm, k).conj().T @ op(sm, k + 1) + op(sm, k) @ op(sm, k + 1).conj().T
    return H, op(sm, 0), op(sm, n - 1)


def _fermi_jumps(H, beta, g0=0.1):
    E, U = np.linalg.eigh(H)
    return [
        np.sqrt(g0 / (1.0 + np.exp(beta * (E[m] - E[k])))) * np.outer(U[:, m], U[:, k].conj())
        for m in range(E.size)
        for k in range(E.size)
        if m != k
    ]


def test_steady_state_matches_qutip_on_the_n6_workload():
    """The thermal-chain workload of bench/ at n = 6 (d = 64, above the dense limit), against
    qutip.steadystate with the same operators: rho to 1e-10, J_X = Tr[H L_X[rho]] to 1e-12."""
    qt = pytest.importorskip("qutip")
    HA, _, a_last = _xx_half(3)
    HB, b_first, _ = _xx_half(3)
    V = np.kron(a_last.conj().T, b_first) + np.kron(a_last, b_first.conj().T)
    model = Bipartite(HA, HB, V)
    jA, jB = _fermi_jumps(HA, 0.5), _fermi_jumps(HB, 2.0)
    rep = steady_state(model, jA, jB)
    assert rep.method.startswith("krylov")
    eA, eB = np.eye(8), np.eye(8)
    # CSR operators, as a QuTiP user would (dense ones make every Liouvillian term dense)
    c_ops = [qt.Qobj(np.kron(j, eB)).to("csr") for j in jA]
    c_ops += [qt.Qobj(np.kron(eA, j)).to("csr") for j in jB]
    H = qt.Qobj(model.H).to("csr")
    ref = qt.steadystate(H, c_ops).full()
    np.testing.assert_allclose(rep.rho, ref, atol=1e-10)
    gen = LocalGenerator(model, jA, jB)
    Jc = gen.currents(gen.to_internal(rep.rho))
    for side, ops in enumerate((c_ops[: len(jA)], c_ops[len(jA) :])):
        # J_X = sum_L Tr[H (L rho L^dag - {L^dag L, rho}/2)] on QuTiP's state
        Jq = 0.0
        for Lq in ops:
            L = Lq.full()
            D = L @ ref @ L.conj().T - 0.5 * (L.conj().T @ L @ ref + ref @ L.conj().T @ L)
            Jq += np.trace(model.H @ D).real
        assert Jc[side] == pytest.approx(Jq, abs=1e-12)


def test_spectral_gap_by_arnoldi_matches_dense():
    rng = np.random.default_rng(5)
    model = charged_model(rng, [0, 1, 1, 2], [0, 1])
    jA, jB = thermal(rng, model.H_A, 0.5), thermal(rng, model.H_B, 1.0)
    dense = steady_state(model, jA, jB, method="dense")
    lam = np.linalg.eigvals(naive_generator(model, jA, jB))
    lam = lam[np.argsort(np.abs(lam))][1:]
    kry = steady_state(model, jA, jB, method="krylov", spectral_gap=True)
    # the slowest of the few eigenvalues nearest 0: one of them, and >= the dense gap
    assert np.min(np.abs(-lam[:6].real - kry.spectral_gap)) <= 1e-7 * abs(kry.spectral_gap)
    assert kry.spectral_gap >= dense.spectral_gap - 1e-9
    assert np.isnan(steady_state(model, jA, jB, method="krylov").spectral_gap)


def test_steady_state_bad_method():
    rng = np.random.default_rng(0)
    model = charged_model(rng, [0, 1], [0, 1])
    with pytest.raises(DynamicsError, match="method"):
        steady_state(model, [], [], method="svd")


# ----------------------------------------------------------------------------- BLAS threads
def test_blas_thread_policy(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve() == 1 and resolve(2) == 2 and resolve("auto") is None
    monkeypatch.setenv(ENV_VAR, "3")
    assert resolve() == 3 and resolve(1) == 1
    monkeypatch.setenv(ENV_VAR, "many")
    with pytest.raises(CorrthermError, match=ENV_VAR):
        resolve()
    for bad in (0, -1, 1.5, "x", True):
        with pytest.raises(CorrthermError, match="blas_threads"):
            resolve(bad)
    from threadpoolctl import threadpool_info

    with blas_threads(1):
        assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")


def test_evolve_ode_on_sector_storage_matches_exact_method():
    """The public evolve: the ODE path (sector storage, heats as ODE components, ledger from
    the blocks) against the exact spectral propagator on the same charged model."""
    from corrtherm import evolve

    rng = np.random.default_rng(21)
    model = charged_model(rng, [0, 1, 1, 2], [0, 1, 1])
    jA, jB = thermal(rng, model.H_A, 0.4), thermal(rng, model.H_B, 1.5)
    q = (np.array([0, 1, 1, 2])[:, None] + np.array([0, 1, 1])[None, :]).ravel()
    rho0 = random_state(rng, model.d) * (q[:, None] == q[None, :])
    rho0 /= np.trace(rho0)
    times = np.linspace(0.0, 2.0, 9)
    ode = evolve(
        model, rho0, times, jA, jB, method="ode", rtol=1e-10, atol=1e-12, entropic_split=False
    )
    exact = evolve(model, rho0, times, jA, jB, method="exact", entropic_split=False)
    assert ode.attrs["storage"].startswith("sectors")
    for k in ("U", "U_A", "U_B", "U_chi", "S", "I_AB", "J_A", "J_B", "Q_A", "Q_B"):
        np.testing.assert_allclose(ode[k].values, exact[k].values, atol=1e-8, err_msg=k)
    with pytest.raises(CorrthermError, match="blas_threads"):
        evolve(model, rho0, times, jA, jB, method="ode", blas_threads=0)


@pytest.mark.filterwarnings("ignore:davies_")  # secular-approximation notice, not under test
@pytest.mark.parametrize("bath", ["jumps", "bath"])
def test_krylov_steady_state_with_global_davies_baths(bath):
    """Full-space (Davies) baths take the generic Krylov path (FullGenerator, anchors): the
    state and the report's currents and entropy production equal the dense path's."""
    import corrtherm as ct

    rng = np.random.default_rng(31)
    model = Bipartite(
        random_hermitian(rng, 3), random_hermitian(rng, 4), random_hermitian(rng, 12, 0.3)
    )
    make = ct.davies_jumps if bath == "jumps" else ct.davies_bath
    JA = make(model, random_hermitian(rng, 3), "A", 0.7, "ohmic", 0.4)
    JB = make(model, random_hermitian(rng, 4), "B", 1.6, "ohmic", 0.3)
    kw = dict(beta_A=0.7, beta_B=1.6)
    dense = steady_state(model, JA, JB, method="dense", **kw)
    kry = steady_state(model, JA, JB, method="krylov", **kw)
    assert kry.method.startswith("krylov") and "anchors" in kry.method
    np.testing.assert_allclose(kry.rho, dense.rho, atol=1e-10)
    for k in ("J_A", "J_B", "J_A_local", "J_B_local", "sigma", "sigma_local"):
        assert getattr(kry, k) == pytest.approx(getattr(dense, k), abs=1e-11), k
    assert kry.second_law_violated == dense.second_law_violated


def test_krylov_report_currents_match_dense_on_local_baths():
    """Sector-storage currents (heat vectors, marginals of L_X[rho]) and the entropy production
    against the dense path on a charged model with number operators."""
    rng = np.random.default_rng(41)
    base = charged_model(rng, [0, 1, 1, 2], [0, 1, 1])
    NA, NB = np.diag([0.0, 1.0, 1.0, 2.0]), np.diag([0.0, 1.0, 1.0])
    model = Bipartite(base.H_A, base.H_B, base.V, NA, NB)
    jA, jB = thermal(rng, model.H_A, 0.4), thermal(rng, model.H_B, 1.5)
    kw = dict(beta_A=0.4, beta_B=1.5, mu_A=0.1, mu_B=-0.2)
    dense = steady_state(model, jA, jB, method="dense", **kw)
    kry = steady_state(model, jA, jB, method="krylov", **kw)
    assert "certificate" in kry.method
    for k in ("J_A", "J_B", "J_A_local", "J_B_local", "sigma", "sigma_local"):
        assert getattr(kry, k) == pytest.approx(getattr(dense, k), abs=1e-11), k


def test_hamiltonian_norm_without_forming_H():
    """The time-span check's ||H||_F from the parts (no cached d x d H) equals the dense norm."""
    from corrtherm.core.trajectory import hamiltonian_norm

    rng = np.random.default_rng(8)
    for dA, dB in ((2, 3), (4, 2), (3, 3)):
        model = Bipartite(
            random_hermitian(rng, dA), random_hermitian(rng, dB), random_hermitian(rng, dA * dB)
        )
        value = hamiltonian_norm(model)
        assert "H" not in model.__dict__  # nothing cached
        assert value == pytest.approx(float(np.linalg.norm(model.H)), rel=1e-12)


def test_krylov_accepts_an_anchor_that_is_already_steady():
    """V = g sz sz commutes with H_A and H_B, so pi_A (x) pi_B is the steady state (closed
    form) and the Krylov anchor already solves L[rho] = 0: GMRES's relative criterion cannot
    be met on a zero right-hand side, but the true residual is round-off, so this is a
    solution, not a failure ("did not reach 1e-12 ... ||L[rho]|| = 2e-17" before)."""
    import corrtherm as ct

    sz = ct.sigma_z()
    model = ct.Bipartite(sz, 0.5 * sz, 0.1 * np.kron(sz, sz))
    jA, jB = ct.thermal_jumps(sz, beta=1.0), ct.thermal_jumps(0.5 * sz, beta=2.0)
    rep = ct.steady_state(model, jA, jB, method="krylov")
    product = np.kron(ct.gibbs_state(sz, 1.0), ct.gibbs_state(0.5 * sz, 2.0))
    np.testing.assert_allclose(rep.rho, product, atol=1e-14)
    assert rep.residual < 1e-14
