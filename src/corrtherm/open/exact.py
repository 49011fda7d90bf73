"""Exact open evolution: the d^2 x d^2 GKLS generator diagonalized once (paper 1, Eq. 1).

Every save time, however late, is exact to round-off and the heats Q_X(t) are integrated
analytically; a defective generator falls back to exact matrix exponentials of the time steps.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..core.information import entropy_rows
from ..core.trajectory import _batch_size, _hermitize, _Ledger
from ._assemble import _finish
from .baths import as_bath
from .dissipators import hamiltonian_superoperator
from .heat_split import _cumulative_heat, _heat_rates

#: Eigenvector-matrix condition number above which the generator is treated as defective and
#: the exact branch switches from its eigendecomposition to matrix exponentials of time steps.
EIG_COND_MAX = 1e6
#: Target accuracy (relative to max |Q_entropic|, at least 1) of the exact branch's refinement.
ENTROPIC_TOL = 1e-9
#: Cap on the refinement work (points x d^3) of the exact branch's entropic split.
ENTROPIC_REFINE_WORK = 2**23
#: Generator eigenvalues with |Re| below this times max|lambda| are treated as undamped.
ZERO_RATE_RTOL = 1e-12


def _phi_integral(lam: np.ndarray, t: np.ndarray, E: np.ndarray) -> np.ndarray:
    """int_0^t e^{lam s} ds = (e^{lam t} - 1)/lam, given E = e^{lam t}, shape (len(t), len(lam)).

    For |lam t| < 1e-3 the difference quotient loses digits; the Taylor series
    t (1 + z/2 + z^2/6 + z^3/24 + z^4/120), z = lam t, is then exact to ~1e-17 relative.
    """
    z = np.outer(t, lam)
    small = np.abs(z) < 1e-3
    lam_safe = np.where(lam == 0, 1.0, lam)
    out = (E - 1.0) / lam_safe[None, :]
    if np.any(small):
        zs = z[small]
        tt = np.broadcast_to(t[:, None], z.shape)[small]
        out[small] = tt * (1 + zs / 2 * (1 + zs / 3 * (1 + zs / 4 * (1 + zs / 5))))
    return out


def _generator_eig(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigen-decomposition of a GKLS generator, with round-off real parts removed.

    The spectrum has Re(lambda) <= 0, and the steady (and any undamped) modes have
    Re(lambda) = 0 exactly; eig returns them with |Re(lambda)| ~ 1e-15 ||S||, which
    e^{lambda t} turns into errors ~ 1e-15 ||S|| t at long times (1e-3 at t = 1e12). Real parts
    below ZERO_RATE_RTOL * max|lambda| (or positive) are set to 0, and so are eigenvalues of
    that size altogether (steady modes): such rates are unresolvable in double precision."""
    lam, Rv = np.linalg.eig(S)
    scale = float(np.max(np.abs(lam))) if lam.size else 0.0
    zero = (lam.real > 0) | (np.abs(lam.real) <= ZERO_RATE_RTOL * scale)
    lam = np.where(zero, 1j * lam.imag, lam)
    # kernel (steady) modes: the frequency is round-off too
    return np.where(np.abs(lam) <= ZERO_RATE_RTOL * scale, 0.0, lam), Rv


def _exact_chunks(
    S: np.ndarray,
    v0: np.ndarray,
    heat_rows: np.ndarray,
    t: np.ndarray,
    step: int,
    eig: tuple[np.ndarray, np.ndarray] | None = None,
):
    """Exact propagation of vec(rho) under d vec/dt = S vec, with the integrated heats.

    Yields (slice, states (k, d^2), Q (k, 2), method) chunk by chunk.
    Diagonalizable, well-conditioned S: vec(t) = R e^{Lambda (t - t0)} R^{-1} v0 and
    Q_X(t) = h_X . R diag(int_0^t e^{lam s} ds) R^{-1} v0 (exact, no quadrature).
    Otherwise: exact steps with the augmented exponential expm([[S, 0], [h, 0]] dt) (Van Loan),
    which carries vec and the integrated heats together.
    """
    n = t.size
    tau = t - t[0]
    lam, Rv = _generator_eig(S) if eig is None else eig
    cond = np.linalg.cond(Rv)
    if np.isfinite(cond) and cond <= EIG_COND_MAX:
        c = np.linalg.solve(Rv, v0)
        hR = heat_rows @ Rv
        for s in range(0, n, step):
            tt = tau[s : s + step]
            E = np.exp(np.outer(tt, lam))
            states = (E * c) @ Rv.T
            Q = (_phi_integral(lam, tt, E) * c) @ hR.T
            yield slice(s, s + tt.size), states, Q.real, "exact-spectral"
        return
    from scipy.linalg import expm

    m = S.shape[0]
    h = heat_rows.shape[0]
    G = np.zeros((m + h, m + h), dtype=complex)
    G[:m, :m] = S
    G[m:, :m] = heat_rows
    cache: dict[float, np.ndarray] = {}
    y = np.concatenate([v0, np.zeros(h, dtype=complex)])
    for s in range(0, n, step):
        sl = slice(s, min(s + step, n))
        ys = np.zeros((sl.stop - s, m + h), dtype=complex)
        for k in range(s, sl.stop):
            if k > 0:
                dt = float(tau[k] - tau[k - 1])
                # equal steps (uniform grids) share one exponential
                key = float(np.round(dt, 13))
                if key not in cache:
                    cache[key] = expm(G * dt)
                y = cache[key] @ y
            ys[k - s] = y
        yield sl, ys[:, :m], ys[:, m:].real, "exact-expm"


def _evolve_exact(model, rho, t, JA, JB, a, store_states, entropic, production=None) -> xr.Dataset:
    """``JA``, ``JB``: local/global jump stacks or baths (:func:`corrtherm.open.baths.as_bath`);
    ``production``: a :class:`~corrtherm.open.entropy_production.ProductionLedger` or None."""
    d = model.d
    bath_A, bath_B = (
        J if hasattr(J, "superoperator") else as_bath(J, model, side, f"jumps_{side}")
        for J, side in ((JA, "A"), (JB, "B"))
    )
    SA, SB = bath_A.superoperator(), bath_B.superoperator()
    S_diss = SA + SB
    S = S_diss + hamiltonian_superoperator(model.H)
    # Tr[X rho] = vec(X^T) . vec(rho) in the row-major convention; J_X = Tr[L#_X[H] rho]
    KA, KB = bath_A.adjoint(model.H), bath_B.adjoint(model.H)
    rows = [KA.T.reshape(-1), KB.T.reshape(-1)]
    particles = production is not None and bool(production.th.get("particles"))
    if particles:
        # particles received from each bath, N_X(t) = int Tr[L#_X[N] rho], integrated exactly
        rows += [bath_A.adjoint(model.N).T.reshape(-1), bath_B.adjoint(model.N).T.reshape(-1)]
    heat_rows = np.array(rows, dtype=complex)
    led = _Ledger(model, t.size, alpha_A=a, store_states=store_states)
    n = t.size
    JA_t, JB_t, Q, q = np.zeros(n), np.zeros(n), np.zeros((n, 2)), np.zeros(n)
    N_in = np.zeros((n, 2)) if particles else None
    used = "exact"
    # one eigendecomposition of the d^2 x d^2 generator serves propagation and refinement
    eig = _generator_eig(S)
    for sl, vecs, Qc, how in _exact_chunks(S, rho.reshape(-1), heat_rows, t, _batch_size(d), eig):
        used = how
        R = _hermitize(vecs.reshape(-1, d, d))
        J = (vecs @ heat_rows[:2].T).real
        JA_t[sl], JB_t[sl] = J[:, 0], J[:, 1]
        Q[sl] = Qc[:, :2]
        if N_in is not None:
            N_in[sl] = Qc[:, 2:]
        DA = DB = eig_rho = Svals = None
        if production is not None:
            DA, DB = (vecs @ SA.T).reshape(-1, d, d), (vecs @ SB.T).reshape(-1, d, d)
        if entropic:
            D = (vecs @ S_diss.T).reshape(-1, d, d) if DA is None else DA + DB
            eig_rho = np.linalg.eigh(R)  # one eigendecomposition for the split and sigma
            q[sl], p = _heat_rates(R, D, model.H, eig_rho)
            Svals = entropy_rows(p)
        if production is not None:
            production.add(sl, R, DA, DB, eig_rho)
        led.add(sl, R, S=Svals)
    attrs = {"method": used, "n_rhs": 0, "n_steps": 0, "rtol": 0.0, "atol": 0.0}
    refined = None
    if entropic and used == "exact-spectral" and n > 1:
        refined = _refine_entropic(eig, S_diss, model.H, rho.reshape(-1), t, q)
    ds = _finish(model, led, t, JA_t, JB_t, Q, q, entropic, attrs, refined)
    return ds if production is None else production.finish(ds, N_in)


def _refine_entropic(eig, S_diss, H, v0, t, q):
    """Cumulative entropic heat with the save grid refined (x2, x4, ...) until two successive
    levels agree to ENTROPIC_TOL: the exact propagator gives rho at any time, and the heat rate
    can vary faster than the save spacing (near-degenerate eigenvalues of rho)."""
    d = H.shape[0]
    lam, Rv = eig
    c = np.linalg.solve(Rv, v0)
    tau = t - t[0]
    Qe, err = _cumulative_heat(t, q)
    scale = max(1.0, float(np.max(np.abs(Qe))))
    f = 1
    max_points = max(t.size, ENTROPIC_REFINE_WORK // d**3)
    while err > ENTROPIC_TOL * scale and 2 * f * (t.size - 1) + 1 <= max_points:
        f *= 2
        fine = (tau[:-1, None] + np.outer(np.diff(tau), np.arange(f) / f)).ravel()
        fine = np.append(fine, tau[-1])
        qf = np.empty(fine.size)
        step = _batch_size(d)
        for s0 in range(0, fine.size, step):
            vecs = (np.exp(np.outer(fine[s0 : s0 + step], lam)) * c) @ Rv.T
            R = _hermitize(vecs.reshape(-1, d, d))
            D = (vecs @ S_diss.T).reshape(-1, d, d)
            qf[s0 : s0 + step] = _heat_rates(R, D, H)[0]
        Qf = _cumulative_heat(fine + t[0], qf)[0][::f]
        err = float(np.max(np.abs(Qf - Qe)))
        Qe = Qf
    return Qe, err, f
