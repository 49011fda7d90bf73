"""The condition checks of both papers for a scenario's model, without running dynamics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.energy import _effective
from ..core.errors import CorrthermError
from ..core.states import _pt
from ..open.baths import as_bath
from ..open.steady import steady_state
from .build import build_scenario
from .gaussian_build import BuiltGaussian, check_gaussian

if TYPE_CHECKING:
    from .load import Scenario

__all__ = ["check_scenario", "steady_state_audit"]


def _cnorm(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a @ b - b @ a))


def check_scenario(scen: Scenario, tol: float = 1e-9) -> list[dict[str, Any]]:
    """The condition checks of both papers for a scenario's model (no dynamics is run).

    Paper 1: the sufficient commutation condition [H_A + H_B, V] = 0 of the example, condition
    (i) [H^_A + H^_B, V] = 0 at the initial state (effective Hamiltonians, Eq. 5, A3) and, for
    open dynamics, condition (ii) L#_A[H] + L#_B[H] = 0 (Eq. A4). Paper 2: Eq. 14
    [H_A + H_B, V] = 0, Eq. 15 [N, H] = 0 and Eq. 18 [H_A, N_A] = [H_B, N_B] = 0.
    Returns rows {name, equation, value (Frobenius norm), holds}.
    """
    b = build_scenario(scen)
    if isinstance(b, BuiltGaussian):
        return check_gaussian(b, tol)
    m = b.model
    dA, dB = m.dims
    rows: list[dict[str, Any]] = []

    def add(name: str, eq: str, value: float) -> None:
        rows.append(
            {
                "name": name,
                "equation": eq,
                "value": float(value),
                "holds": bool(value <= tol * max(1.0, float(np.linalg.norm(m.H)))),
            }
        )

    add("[H_A + H_B, V] = 0", "paper 1 (example); paper 2 Eq. 14", _cnorm(m.H0, m.V))
    rA, rB = _pt(b.rho0, dA, dB, "A"), _pt(b.rho0, dA, dB, "B")
    HA_eff, HB_eff, _ = _effective(m, rA, rB, b.alpha_A)
    add(
        "[H^_A + H^_B, V] = 0 at rho(0)",
        "paper 1 Eq. A3 (condition i)",
        _cnorm(np.kron(HA_eff, np.eye(dB)) + np.kron(np.eye(dA), HB_eff), m.V),
    )
    if b.kind == "open":
        K = np.zeros_like(m.H)
        for side, jumps in (("A", b.jumps_A), ("B", b.jumps_B)):
            bath = as_bath(jumps, m, side, f"jumps_{side}")
            K = K + bath.adjoint(m.H)
        val = float(np.linalg.norm(K))
        add("L#_A[H] + L#_B[H] = 0", "paper 1 Eq. A4 (condition ii)", val)
    if m.has_numbers:
        add("[N_A + N_B, H] = 0", "paper 2 Eq. 15", _cnorm(m.N, m.H))
        add("[H_A, N_A] = 0", "paper 2 Eq. 18", _cnorm(m.H_A, m.N_A))
        add("[H_B, N_B] = 0", "paper 2 Eq. 18", _cnorm(m.H_B, m.N_B))
    return rows


def steady_state_audit(scen: Scenario) -> str:
    """One line: the steady state's heat currents and entropy production under the scenario's
    approach, sigma = -sum_X beta_X (J_X - mu_X I_X) >= 0 (second law) -- a violation is
    reported loudly (WARNING), not raised. Empty for isolated runs; a reason when skipped."""
    from .run import _bath_thermodynamics

    b = build_scenario(scen)
    if b.kind != "open" or not hasattr(b, "bath_thermo"):
        return ""  # isolated, or a free-particle ([gaussian]) model: no dense steady state
    th = _bath_thermodynamics(b)
    if not th:
        return "second-law audit: skipped (a bath without beta: give dynamics.bath_X.beta)"
    try:
        rep = steady_state(b.model, b.jumps_A, b.jumps_B, on_degenerate="report", **th)
    except CorrthermError as exc:
        return f"second-law audit: skipped ({exc})"
    if rep.rho is None:
        return f"second-law audit: skipped (steady state not unique, dim ker L = {rep.kernel_dimension})"
    verdict = "VIOLATED" if rep.second_law_violated else "holds"
    line = (
        f"steady state ({b.approach} approach): J_A = {rep.J_A:.6g}, J_B = {rep.J_B:.6g} "
        f"(into the system); sigma = {rep.sigma:.6g} (second law sigma >= 0: {verdict})"
    )
    if b.approach == "local":
        ok = rep.sigma_local >= -1e-12 * max(1.0, abs(rep.sigma))
        line += (
            f"; local accounting sigma_local = {rep.sigma_local:.6g} "
            f"({'holds' if ok else 'VIOLATED'})"
        )
    if rep.min_eigenvalue < -1e-10:
        line += f"; steady state NOT positive (min eigenvalue {rep.min_eigenvalue:.3g})"
    return ("WARNING: second law violated: " + line) if rep.second_law_violated else line
