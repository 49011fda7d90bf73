"""Extremal correlations: SDP optima against closed-form optima derived by hand for two qubits.

Derivation (one fermionic mode per side, or the partial swap). With marginals
diag(1 - f_A, f_A), diag(1 - f_B, f_B) every state has populations
(rho_00, rho_10, rho_01, rho_11) = (1 - f_A - f_B + q, f_A - q, f_B - q, q) and the transfer
depends on rho0 only through p_10 - p_01 = f_A - f_B (fixed) and the coherence
z = <1_A 0_B|rho0|0_A 1_B>. Positivity of the {10, 01} block gives |z|^2 <= (f_A - q)(f_B - q),
largest at q* = max(0, f_A + f_B - 1): r_all = sqrt((f_A - q*)(f_B - q*)), reached by a block
state. PPT adds |z|^2 <= rho_00 rho_11 = q (1 - f_A - f_B + q) (the {00, 11} block of
rho^{T_B}); the two bounds cross at q = f_A f_B, so r_ppt = sqrt(f_A f_B (1-f_A)(1-f_B)).
States diagonal in the product eigenbasis have z = 0, like the product state.
"""

import sys

import numpy as np
import pytest
from scipy.linalg import expm

import corrtherm as ct
from corrtherm import extremal, models
from corrtherm.core.errors import FlowError, MissingDependencyError

pytest.importorskip("cvxpy")


def radii(fA, fB):
    q = max(0.0, fA + fB - 1)
    return np.sqrt((fA - q) * (fB - q)), np.sqrt(fA * fB * (1 - fA) * (1 - fB))


@pytest.mark.parametrize(
    "eA, eB, kappa, t, bA, bB, mA, mB",
    [
        (0.3, -0.2, 0.7, 0.8, 1.0, 1.0, 0.5, -0.5),
        (0.0, 0.0, 1.2, 0.5, 2.0, 2.0, -0.4, 0.6),
        (-0.5, -0.4, 0.3, 3.1, 0.3, 0.5, 1.5, 1.0),  # f_A + f_B > 1: q* > 0
    ],
)
def test_fermion_sdp_matches_closed_form(eA, eB, kappa, t, bA, bB, mA, mB):
    m = models.fermion_hopping(1, 1, eA, eB, kappa)
    rep = ct.max_anomalous_transfer(m, t, bA, bB, mA, mB, quantity="particles")
    s = np.sign(bA * mA - bB * mB)  # anomalous: DeltaN_A along beta_A mu_A - beta_B mu_B
    assert rep.direction == s
    fA, fB = 1 / (1 + np.exp(bA * (eA - mA))), 1 / (1 + np.exp(bB * (eB - mB)))
    D = eA - eB
    Om = np.sqrt(D**2 + 4 * kappa**2)
    cos, sin = np.cos(Om * t), np.sin(Om * t)
    base = -2 * kappa**2 / Om**2 * (fA - fB) * (1 - cos)
    # DeltaN_A = base + 2 Re z (kappa D/Om^2)(1 - cos) - 2 Im z (kappa/Om) sin: best |z| = r
    amp = 2 * abs(kappa) / Om * np.sqrt((D / Om) ** 2 * (1 - cos) ** 2 + sin**2)
    r_all, r_ppt = radii(fA, fB)
    assert np.isclose(rep.optimum, s * base + amp * r_all, atol=2e-6)
    assert np.isclose(rep.optimum_ppt, s * base + amp * r_ppt, atol=2e-6)
    assert np.isclose(rep.optimum_classical, s * base, atol=1e-9)
    assert np.isclose(rep.product_value, s * base, atol=1e-12)
    assert rep.entanglement_gain > 0
    # the optimizer's state really has the marginals and gives the optimum under expm evolution
    R = rep.rho_opt
    gA, gB = ct.thermal_marginals(m, bA, bB, mA, mB)
    assert np.allclose(ct.partial_trace(R, (2, 2), "A"), gA, atol=1e-6)
    assert np.allclose(ct.partial_trace(R, (2, 2), "B"), gB, atol=1e-6)
    assert np.linalg.eigvalsh(R)[0] > -1e-6
    U = expm(-1j * m.H * t)
    dN = np.trace((U @ R @ U.conj().T - R) @ m.N_A_full).real
    assert np.isclose(s * dN, rep.optimum, atol=2e-6)


@pytest.mark.parametrize("w, g, t, bA, bB", [(1.0, 0.6, 1.1, 2.0, 0.5), (0.7, 1.3, 0.4, 0.2, 1.5)])
def test_partial_swap_energy_sdp_matches_closed_form(w, g, t, bA, bB):
    m = models.partial_swap_qubits(w, g)
    rep = ct.max_anomalous_transfer(m, t, bA, bB, quantity="energy")
    s = -np.sign(bA - bB)  # anomalous: energy out of the colder side
    assert rep.direction == s
    fA, fB = 1 / (1 + np.exp(bA * w)), 1 / (1 + np.exp(bB * w))
    # DeltaE_A = sin^2(gt) w (f_B - f_A) - w sin(2gt) Im z
    base = np.sin(g * t) ** 2 * w * (fB - fA)
    r_all, r_ppt = radii(fA, fB)
    amp = w * abs(np.sin(2 * g * t))
    assert np.isclose(rep.optimum, s * base + amp * r_all, atol=2e-6)
    assert np.isclose(rep.optimum_ppt, s * base + amp * r_ppt, atol=2e-6)
    assert np.isclose(rep.optimum_classical, s * base, atol=1e-9)
    text = str(rep)
    assert "PPT states" in text and ("−ΔE_A" in text) == (s < 0)
    assert rep.status == ("optimal", "optimal") and "solver status" in text


def test_larger_model_orderings():
    # 2 + 1 modes (d = 8): all >= PPT >= classical >= product, all >= the product value
    m = models.fermion_hopping(2, 1, [0.1, 0.4], 0.2, 0.6, t_A=0.3, U_A=0.5)
    rep = ct.max_anomalous_transfer(m, 1.0, 1.0, 1.0, 0.5, -0.2, solver="clarabel")
    # an independent solver (first-order SCS instead of interior-point Clarabel) agrees
    scs = ct.max_anomalous_transfer(m, 1.0, 1.0, 1.0, 0.5, -0.2, solver="SCS", classical=False)
    assert np.isclose(rep.optimum, scs.optimum, atol=1e-4)
    assert np.isclose(rep.optimum_ppt, scs.optimum_ppt, atol=1e-4)
    assert set(rep.status) <= {"optimal", "optimal_inaccurate"} and len(rep.status) == 2
    assert rep.optimum >= rep.optimum_ppt - 1e-6 >= rep.optimum_classical - 2e-6
    assert rep.optimum_classical >= rep.product_value - 1e-9
    # transfer operator is Heisenberg-picture DeltaN_A: check against explicit evolution
    O = extremal.transfer_operator(m, 1.0)
    rho = ct.locally_thermal_state(m, 1.0, 1.0, 0.5, -0.2)
    U = expm(-1j * m.H)
    assert np.isclose(
        np.trace(O @ rho).real, np.trace((U @ rho @ U.conj().T - rho) @ m.N_A_full).real
    )


def test_extremal_transfer_explicit_direction_without_force():
    m = models.fermion_hopping(1, 1, 0.0, 0.0, 1.0)
    gA, gB = ct.thermal_marginals(m, 1.0, 1.0, 0.2, 0.2)
    with pytest.raises(FlowError, match="no thermodynamic force"):
        ct.max_anomalous_transfer(m, 1.0, 1.0, 1.0, 0.2, 0.2)
    up = ct.extremal_transfer(m, 1.0, gA, gB, direction=1, ppt=False, classical=False)
    down = ct.extremal_transfer(m, 1.0, gA, gB, direction=-1, ppt=False, classical=False)
    assert up.optimum_ppt is None and up.entanglement_gain is None
    # equal occupations: the z-term is symmetric, so both directions reach the same amount
    assert np.isclose(up.optimum, down.optimum, atol=1e-6) and up.optimum > 0


def test_extremal_bad_input():
    m = models.fermion_hopping(1, 1, 0.0, 0.0, 1.0)
    gA, gB = ct.thermal_marginals(m, 1.0, 1.0)
    with pytest.raises(FlowError, match="quantity"):
        ct.extremal_transfer(m, 1.0, gA, gB, quantity="charge")
    with pytest.raises(FlowError, match="direction"):
        ct.extremal_transfer(m, 1.0, gA, gB, direction=2)
    with pytest.raises(FlowError, match="rho_A"):
        ct.extremal_transfer(m, 1.0, 2 * gA, gB)
    with pytest.raises(FlowError, match="t: got"):
        ct.extremal_transfer(m, float("nan"), gA, gB)
    with pytest.raises(FlowError, match="solver"):
        ct.extremal_transfer(m, 1.0, gA, gB, solver="NO_SUCH_SOLVER")
    with pytest.raises(FlowError, match="'particles' needs number operators"):
        ct.max_anomalous_transfer(models.partial_swap_qubits(), 1.0, 1.0, 2.0)
    with pytest.raises(FlowError, match="beta_B"):
        ct.max_anomalous_transfer(m, 1.0, 1.0, -2.0)


def test_missing_cvxpy_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "cvxpy", None)  # makes `import cvxpy` raise ImportError
    m = models.fermion_hopping(1, 1, 0.0, 0.0, 1.0)
    gA, gB = ct.thermal_marginals(m, 1.0, 1.0)
    with pytest.raises(MissingDependencyError, match=r"pip install 'corrtherm\[sdp\]'"):
        ct.extremal_transfer(m, 1.0, gA, gB)


def test_solver_failures_are_package_errors(monkeypatch):
    cp = pytest.importorskip("cvxpy")
    m = models.fermion_hopping(1, 1, 0.0, 0.0, 1.0)
    # a marginal with a round-off negative eigenvalue (accepted by validation) must not make
    # the SDP infeasible; the pure-state edge must solve too (both give the same optimum)
    eps = ct.extremal_transfer(m, 1.0, np.diag([1 + 5e-9, -5e-9]), np.eye(2) / 2)
    pure = ct.extremal_transfer(m, 1.0, np.diag([1.0, 0.0]), np.eye(2) / 2)
    assert np.isclose(eps.optimum, pure.optimum, atol=1e-6)

    class Panic(BaseException):  # Clarabel raises a Rust panic, not an Exception
        pass

    def panic(self, *args, **kwargs):
        raise Panic("Eigval error")

    gA, gB = ct.thermal_marginals(m, 1.0, 1.0)
    monkeypatch.setattr(cp.Problem, "solve", panic)
    with pytest.raises(FlowError, match="failed on the extremal-transfer SDP .*Panic"):
        ct.extremal_transfer(m, 1.0, gA, gB)
    monkeypatch.setattr(cp.Problem, "solve", lambda self, *a, **k: None)  # never solved
    with pytest.raises(FlowError, match="returned status None"):
        ct.extremal_transfer(m, 1.0, gA, gB)
