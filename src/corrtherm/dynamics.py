"""Time evolution with a time-resolved, correlation-resolved energy ledger (paper 1).

Isolated dynamics (exact, spectral decomposition of H) and open GKLS dynamics
d rho/dt = -i[H, rho] + L_A[rho] + L_B[rho] (paper 1, Eq. 1) with local dissipators (Eq. 2).
Every trajectory is returned as an ``xarray.Dataset`` over ``time`` carrying the ledger
U = U_A + U_B + U_chi (Eqs. 5-8), bare local energies, entropies and, for open dynamics, the
heat currents J_X = Tr[H L_X[rho]] (positive into the system), their time integrals Q_X and the
Remark's entropy-based heat/work split.

All ledger quantities at the save times are produced by ONE function,
:func:`trajectory_ledger` (batched over time for small d, one state at a time for large d).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from ._validate import density_matrix, finite_real, to_array
from .errors import DynamicsError, ModelError
from .information import entropy_from_eigenvalues
from .system import Bipartite

__all__ = [
    "trajectory_ledger",
    "evolve_isolated",
    "evolve",
    "steady_state",
    "SteadyStateReport",
    "check_conditions",
    "ConditionsReport",
    "invariant_correlation_subspace",
    "InvariantSubspaceReport",
]

#: Complex entries per batch of stacked states: bounds ledger memory (~64 MB) independently of
#: the number of time points, while small systems are still processed in one vectorized block.
BATCH_ENTRIES = 2**22


# ===================================================================== the shared ledger
def _check_model(model: Any) -> Bipartite:
    if not isinstance(model, Bipartite):
        raise ModelError(f"model: got {type(model).__name__}; expected a corrtherm.Bipartite")
    return model


def _check_times(times: Any) -> np.ndarray:
    try:
        t = np.asarray(times, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise DynamicsError(f"times: got {times!r}; expected a 1-D array of real numbers") from None
    if t.size == 0:
        raise DynamicsError("times: is empty; expected at least one time point")
    if not np.all(np.isfinite(t)):
        raise DynamicsError("times: contains NaN or infinite values; expected finite times")
    if t.size > 1 and not np.all(np.diff(t) > 0):
        k = int(np.flatnonzero(np.diff(t) <= 0)[0])
        raise DynamicsError(
            f"times: not strictly increasing (times[{k}] = {t[k]!r} >= times[{k + 1}] = "
            f"{t[k + 1]!r}); expected strictly increasing save times"
        )
    return t


def _check_alpha(alpha_A: float) -> float:
    return finite_real(alpha_A, "alpha_A")


def _entropy_rows(p: np.ndarray) -> np.ndarray:
    """-sum_k p_k ln p_k along the last axis (0 ln 0 = 0, round-off negatives dropped)."""
    safe = np.where(p > 0, p, 1.0)
    return -np.sum(np.where(p > 0, p * np.log(safe), 0.0), axis=-1)


def _hermitize(R: np.ndarray) -> np.ndarray:
    return 0.5 * (R + np.conj(np.swapaxes(R, -1, -2)))


class _Ledger:
    """Accumulates the ledger at save times, given states in batches or one at a time.

    ``internal = (model_int, W_A, W_B)`` means the states arrive in a rotated basis
    rho_int = W^dag rho W with W = W_A (x) W_B. Partial traces commute with local unitaries and
    traces/entropies are invariant, so global quantities are computed with ``model_int`` and
    only the small marginals are rotated back; local quantities use the original model.
    ``entropy_constant`` skips the d x d diagonalization when S is known to be constant
    (unitary evolution), the dominant cost for large d.
    """

    def __init__(
        self,
        model: Bipartite,
        n: int,
        *,
        alpha_A: float,
        store_states: bool,
        internal: tuple[Bipartite, np.ndarray, np.ndarray] | None = None,
        entropy_constant: float | None = None,
        spectrum: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        self.model, self.n, self.alpha_A = model, n, alpha_A
        self.internal = internal
        self.S_const = entropy_constant
        # eigenvalues of one full state; the structured solver's block-wise spectrum is exact
        # (within 1e-12) and far cheaper than a dense eigvalsh at large d
        self.spectrum = spectrum
        m = internal[0] if internal is not None else model
        self._HT = np.ascontiguousarray(m.H.T).ravel()
        self._VT = np.ascontiguousarray(m.V.T).ravel()
        dA, dB = model.dims
        d = model.d
        self.cols = {k: np.zeros(n) for k in ("U", "E_A", "E_B", "E_V", "v", "S", "S_A", "S_B")}
        if model.has_numbers:
            self.cols["N_A"] = np.zeros(n)
            self.cols["N_B"] = np.zeros(n)
        self.rho_A = np.zeros((n, dA, dA), dtype=complex)
        self.rho_B = np.zeros((n, dB, dB), dtype=complex)
        self.rho = np.zeros((n, d, d), dtype=complex) if store_states else None
        self.filled = np.zeros(n, dtype=bool)

    def add(self, idx: int | slice, R: np.ndarray, S: np.ndarray | None = None) -> None:
        """Record the state(s) R (shape (d, d) or (k, d, d)) at save index/slice ``idx``.

        ``S``: entropies of the states when the caller already diagonalized them.
        """
        R = np.asarray(R)
        single = R.ndim == 2
        if single:
            R = R[None]
            idx = slice(idx, idx + 1)
        m = self.internal[0] if self.internal is not None else self.model
        dA, dB = m.dims
        k = R.shape[0]
        R4 = R.reshape(k, dA, dB, dA, dB)
        rA = np.einsum("tabcb->tac", R4)
        rB = np.einsum("tabad->tbd", R4)
        c = self.cols
        # Tr[rho X] = sum_ij rho_ij X_ji: a matrix-vector product with vec(X^T), no temporaries
        Rf = R.reshape(k, -1)
        c["U"][idx] = (Rf @ self._HT).real
        c["E_V"][idx] = (Rf @ self._VT).real
        # v = Tr[V (rho_A (x) rho_B)], computed in the basis of the states
        V4 = m.V.reshape(dA, dB, dA, dB)
        c["v"][idx] = np.einsum("abcd,tca,tdb->t", V4, rA, rB, optimize=True).real
        if S is not None:
            c["S"][idx] = S
        elif self.S_const is not None:
            c["S"][idx] = self.S_const
        elif self.spectrum is not None:
            c["S"][idx] = [entropy_from_eigenvalues(self.spectrum(r)) for r in R]
        else:
            c["S"][idx] = _entropy_rows(np.linalg.eigvalsh(R))
        self._add_local(idx, rA, rB, R)

    def add_global(
        self,
        idx: int,
        U: float,
        E_V: float,
        v: float,
        S: float,
        rA: np.ndarray,
        rB: np.ndarray,
        R: np.ndarray | None = None,
    ) -> None:
        """Record one save whose global quantities were computed by the caller (the structured
        generator's Schmidt-form ledger); marginals ``rA``, ``rB`` in the ledger's basis."""
        c = self.cols
        c["U"][idx], c["E_V"][idx], c["v"][idx], c["S"][idx] = U, E_V, v, S
        sl = slice(idx, idx + 1)
        self._add_local(sl, rA[None], rB[None], None if R is None else R[None])

    def _add_local(self, idx, rA: np.ndarray, rB: np.ndarray, R: np.ndarray | None) -> None:
        c = self.cols
        if self.internal is not None:
            _, WA, WB = self.internal
            rA = WA @ rA @ WA.conj().T
            rB = WB @ rB @ WB.conj().T
        rA, rB = _hermitize(rA), _hermitize(rB)
        mo = self.model
        c["E_A"][idx] = np.einsum("tij,ji->t", rA, mo.H_A).real
        c["E_B"][idx] = np.einsum("tij,ji->t", rB, mo.H_B).real
        c["S_A"][idx] = _entropy_rows(np.linalg.eigvalsh(rA))
        c["S_B"][idx] = _entropy_rows(np.linalg.eigvalsh(rB))
        if mo.has_numbers:
            c["N_A"][idx] = np.einsum("tij,ji->t", rA, mo.N_A).real
            c["N_B"][idx] = np.einsum("tij,ji->t", rB, mo.N_B).real
        self.rho_A[idx] = rA
        self.rho_B[idx] = rB
        if self.rho is not None and R is not None:
            if self.internal is not None:
                W = np.kron(self.internal[1], self.internal[2])
                R = W @ R @ W.conj().T
            self.rho[idx] = R
        self.filled[idx] = True

    def dataset(self, times: np.ndarray, kind: str, attrs: dict | None = None) -> xr.Dataset:
        if not np.all(self.filled):
            missing = int(np.count_nonzero(~self.filled))
            raise DynamicsError(f"internal: {missing} save times were never filled by the solver")
        c, a = self.cols, self.alpha_A
        # U_A = Tr[rho_A H^_A] = Tr[rho_A H_A] + (1 - alpha_A) v, because Tr[rho_A Tr_B[V rho_B]]
        # = v (Eq. 5); likewise U_B. U_chi = Tr[chi V] = Tr[rho V] - v (Eq. 8).
        U_A = c["E_A"] + (1.0 - a) * c["v"]
        U_B = c["E_B"] + a * c["v"]
        U_chi = c["E_V"] - c["v"]
        I_AB = np.maximum(0.0, c["S_A"] + c["S_B"] - c["S"])
        var = {
            "U": c["U"],
            "U_A": U_A,
            "U_B": U_B,
            "U_chi": U_chi,
            "E_A": c["E_A"],
            "E_B": c["E_B"],
            "E_V": c["E_V"],
            "S": c["S"],
            "S_A": c["S_A"],
            "S_B": c["S_B"],
            "I_AB": I_AB,
        }
        if "N_A" in c:
            var["N_A"], var["N_B"] = c["N_A"], c["N_B"]
        data = {k: ("time", v) for k, v in var.items()}
        data["rho_A"] = (("time", "a", "a2"), self.rho_A)
        data["rho_B"] = (("time", "b", "b2"), self.rho_B)
        if self.rho is not None:
            data["rho"] = (("time", "i", "j"), self.rho)
        residual = float(np.max(np.abs(c["U"] - U_A - U_B - U_chi)))
        out_attrs = {
            "kind": kind,
            "alpha_A": a,
            "dims": list(self.model.dims),
            "residual_ledger": residual,
        }
        out_attrs.update(attrs or {})
        ds = xr.Dataset(data, coords={"time": times}, attrs=out_attrs)
        units = {"U": "energy", "S": "nats", "I_AB": "nats"}
        for k, u in units.items():
            ds[k].attrs["units"] = u
        return ds


def _batch_size(d: int) -> int:
    return max(1, BATCH_ENTRIES // (d * d))


def trajectory_ledger(
    model: Bipartite,
    states: Any,
    times: Any,
    *,
    alpha_A: float = 0.5,
    store_states: bool = False,
    kind: str = "isolated",
    attrs: dict | None = None,
) -> xr.Dataset:
    """Correlation-resolved energy ledger of a sequence of states (paper 1, Eqs. 3, 5-8).

    ``states`` is an array of shape (n_times, d, d) (processed in vectorized batches of bounded
    memory) or any iterable yielding n_times (d, d) states (processed one at a time, so memory
    does not grow with the number of time points). Returns a Dataset over ``time`` with

    - U = Tr[rho H], U_A = Tr[rho_A H^_A], U_B = Tr[rho_B H^_B], U_chi = Tr[chi V] with the
      effective Hamiltonians H^_A = H_A + Tr_B[V rho_B] - alpha_A v I (Eq. 5),
      v = Tr[V rho_A (x) rho_B], so U_A = E_A + (1 - alpha_A) v, U_B = E_B + alpha_A v;
    - E_A = Tr[rho_A H_A], E_B = Tr[rho_B H_B] (bare), E_V = Tr[rho V];
    - S, S_A, S_B (nats) and I_AB = S_A + S_B - S; N_A, N_B when the model has numbers;
    - rho_A (time, a, a2), rho_B (time, b, b2) always, rho (time, i, j) with ``store_states``.

    attrs: kind, alpha_A, dims, residual_ledger = max_t |U - U_A - U_B - U_chi| plus ``attrs``.
    The states are not validated one by one (this is the hot path of every solver).
    """
    model = _check_model(model)
    a = _check_alpha(alpha_A)
    t = _check_times(times)
    d = model.d
    led = _Ledger(model, t.size, alpha_A=a, store_states=store_states)
    if isinstance(states, np.ndarray) or hasattr(states, "full"):
        arr = to_array(states, "states") if not isinstance(states, np.ndarray) else states
        if arr.shape != (t.size, d, d):
            raise DynamicsError(
                f"states: has shape {arr.shape}; expected ({t.size}, {d}, {d}) = (len(times), d, d)"
            )
        step = _batch_size(d)
        for s in range(0, t.size, step):
            led.add(slice(s, min(s + step, t.size)), arr[s : s + step])
    else:
        count = 0
        for i, rho in enumerate(states):
            if i >= t.size:
                raise DynamicsError(f"states: yields more than len(times) = {t.size} states")
            r = to_array(rho, f"states[{i}]")
            if r.shape != (d, d):
                raise DynamicsError(f"states[{i}]: has shape {r.shape}; expected ({d}, {d})")
            led.add(i, r)
            count += 1
        if count != t.size:
            raise DynamicsError(f"states: yielded {count} states; expected len(times) = {t.size}")
    return led.dataset(t, kind, attrs)


# ==================================================================== isolated evolution
def evolve_isolated(
    model: Bipartite, rho0: Any, times: Any, *, alpha_A: float = 0.5, store_states: bool = False
) -> xr.Dataset:
    """Exact unitary evolution rho(t) = e^{-iH(t-t0)} rho0 e^{iH(t-t0)} with the full ledger.

    Uses the spectral decomposition H = sum_m E_m |m><m|: in the eigenbasis
    rho_mn(t) = rho_mn(t0) e^{-i (E_m - E_n)(t - t0)}, exact at any time (no time stepping),
    vectorized over time in memory-bounded batches. ``times[0]`` is the time of ``rho0``.
    S(t) = S(rho0) exactly (unitary invariance), so it is not re-diagonalized at each time.
    Returns the trajectory Dataset of :func:`trajectory_ledger` with attrs kind="isolated",
    method="spectral", residual_energy_balance = max_t |U(t) - U(t0)| (energy conservation).
    """
    model = _check_model(model)
    a = _check_alpha(alpha_A)
    t = _check_times(times)
    d = model.d
    rho = density_matrix(rho0, "rho0", d)
    E, Q = np.linalg.eigh(model.H)
    rho_e = Q.conj().T @ rho @ Q
    S0 = float(_entropy_rows(np.linalg.eigvalsh(rho)))
    led = _Ledger(model, t.size, alpha_A=a, store_states=store_states, entropy_constant=S0)
    gaps = E[:, None] - E[None, :]
    step = _batch_size(d)
    for s in range(0, t.size, step):
        tt = t[s : s + step] - t[0]
        R = rho_e[None] * np.exp(-1j * tt[:, None, None] * gaps[None])
        R = Q[None] @ R @ Q.conj().T[None]
        led.add(slice(s, s + tt.size), _hermitize(R))
    U = led.cols["U"]
    attrs = {
        "method": "spectral",
        "residual_energy_balance": float(np.max(np.abs(U - U[0]))),
        "n_rhs": 0,
        "n_steps": 0,
    }
    return led.dataset(t, "isolated", attrs)


# ======================================================================== open evolution
#: ``method="auto"`` uses the exact propagator up to this total dimension, the ODE above it.
EXACT_AUTO_MAX_D = 16
#: Largest d for which ``method="exact"`` (a dense d^2 x d^2 generator) is allowed at all.
EXACT_MAX_D = 48
#: The Remark's entropy-based heat/work split needs a full eigendecomposition of rho at every
#: save time and midpoint; above this d it is skipped (variables are NaN, see attrs).
ENTROPIC_MAX_D = 64
#: Eigenvector-matrix condition number above which the generator is treated as defective and
#: the exact branch switches from its eigendecomposition to matrix exponentials of time steps.
EIG_COND_MAX = 1e6
#: Target accuracy (relative to max |Q_entropic|, at least 1) of the exact branch's refinement.
ENTROPIC_TOL = 1e-9
#: Cap on the refinement work (points x d^3) of the exact branch's entropic split.
ENTROPIC_REFINE_WORK = 2**23
#: ODE branch: save-grid refinement for the entropic heat integral (even).
ENTROPIC_ODE_REFINE = 4
#: Warn when the entropic quadrature error estimate exceeds this (relative).
ENTROPIC_WARN = 1e-5
#: Generator eigenvalues with |Re| below this times max|lambda| are treated as undamped.
ZERO_RATE_RTOL = 1e-12
#: Relative gap below which two eigenvalues of rho count as degenerate in the heat split.
DEGENERATE_P_TOL = 1e-10


def _check_tolerances(rtol: float, atol: float) -> tuple[float, float]:
    try:
        r, a = float(rtol), float(atol)
    except (TypeError, ValueError):
        raise DynamicsError(f"rtol, atol: got {rtol!r}, {atol!r}; expected real numbers") from None
    if not (np.isfinite(r) and 1e-13 <= r < 1):
        raise DynamicsError(f"rtol: got {rtol!r}; expected 1e-13 <= rtol < 1")
    if not (np.isfinite(a) and 0 < a < 1):
        raise DynamicsError(f"atol: got {atol!r}; expected 0 < atol < 1")
    return r, a


def _heat_rates(R: np.ndarray, D: np.ndarray, H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entropy-based heat rate q = sum_k (dp_k/dt) <k|H|k> for states R (k, d, d).

    rho = sum_k p_k |k><k| gives dU = sum_k dp_k <k|H|k> + sum_k p_k d<k|H|k> (paper 1, Remark:
    heat from eigenvalue changes, work from eigenvector changes). By first-order perturbation
    theory dp_k/dt = <k|rho_dot|k>, and the unitary part -i[H, rho] has zero diagonal in the
    eigenbasis of rho, so only D = (L_A + L_B)[rho] contributes. In a degenerate eigenspace the
    eigenvectors at t+0 are those diagonalizing the block of D; there dp_k are the block's
    eigenvalues. Returns (q, eigenvalues of rho).
    """
    p, Y = np.linalg.eigh(R)
    Yc = Y.conj()
    Dk = np.einsum("tik,tij,tjk->tk", Yc, D, Y).real
    Hk = np.einsum("tik,ij,tjk->tk", Yc, H, Y).real
    q = np.sum(Dk * Hk, axis=-1)
    scale = np.maximum(1.0, np.abs(p).max(axis=-1, keepdims=True))
    degenerate = np.diff(p, axis=-1) <= DEGENERATE_P_TOL * scale
    rows = np.flatnonzero(degenerate.any(axis=-1))
    if rows.size == 0:
        return q, p
    # states with the same degeneracy pattern are corrected together (a symmetric model is
    # degenerate at every save time, with one pattern)
    patterns, which = np.unique(degenerate[rows], axis=0, return_inverse=True)
    for pattern, ts in zip(patterns, (rows[which.ravel() == k] for k in range(len(patterns)))):
        for idx in np.split(np.arange(p.shape[-1]), np.flatnonzero(~pattern) + 1):
            if idx.size < 2:
                continue
            Yb = Y[ts][:, :, idx]
            Ybh = Yb.conj().transpose(0, 2, 1)
            Db, Hb = Ybh @ D[ts] @ Yb, Ybh @ H @ Yb
            w, Z = np.linalg.eigh(0.5 * (Db + Db.conj().transpose(0, 2, 1)))
            Hz = np.einsum("tik,tij,tjk->tk", Z.conj(), Hb, Z).real
            diag_Db = np.diagonal(Db, axis1=1, axis2=2).real
            diag_Hb = np.diagonal(Hb, axis1=1, axis2=2).real
            q[ts] += np.sum(w * Hz, axis=-1) - np.sum(diag_Db * diag_Hb, axis=-1)
    return q, p


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
    G = np.zeros((m + 2, m + 2), dtype=complex)
    G[:m, :m] = S
    G[m:, :m] = heat_rows
    cache: dict[float, np.ndarray] = {}
    y = np.concatenate([v0, np.zeros(2, dtype=complex)])
    for s in range(0, n, step):
        sl = slice(s, min(s + step, n))
        ys = np.zeros((sl.stop - s, m + 2), dtype=complex)
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


def _cumulative_heat(t: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, float]:
    """Cumulative int_{t0}^{t_k} q dt by composite Simpson on the grid, and an error estimate:
    the largest difference to Simpson on every other point (about 15x the error of the fine
    rule for smooth q), or to the trapezoid rule on grids of fewer than 5 points."""
    from scipy.integrate import cumulative_simpson, cumulative_trapezoid

    if t.size < 2:
        return np.zeros_like(t), 0.0
    simp = cumulative_simpson(q, x=t, initial=0.0)
    if t.size >= 5:
        coarse = cumulative_simpson(q[::2], x=t[::2], initial=0.0)
        return simp, float(np.max(np.abs(simp[::2] - coarse)))
    trap = cumulative_trapezoid(q, x=t, initial=0.0)
    return simp, float(np.max(np.abs(simp - trap)))


def evolve(
    model: Bipartite,
    rho0: Any,
    times: Any,
    jumps_A: Any = (),
    jumps_B: Any = (),
    *,
    alpha_A: float = 0.5,
    method: str = "auto",
    rtol: float = 1e-8,
    atol: float = 1e-10,
    store_states: bool = False,
    progress: bool = False,
    entropic_split: bool | None = None,
) -> xr.Dataset:
    """Open GKLS evolution d rho/dt = -i[H, rho] + L_A[rho] + L_B[rho] (paper 1, Eqs. 1-2) with
    the time-resolved, correlation-resolved energy ledger.

    ``jumps_A``, ``jumps_B``: local jump operators (d_A x d_A, d_B x d_B; rates folded in), e.g.
    from :func:`corrtherm.dissipators.thermal_jumps`. ``times[0]`` is the time of ``rho0``.

    Methods: "exact" diagonalizes the d^2 x d^2 generator once (falls back to exact matrix
    exponentials of the time steps if it is defective), so every save time, however late, is
    exact to round-off and the heats are integrated analytically; "ode" never builds the
    superoperator and integrates the structured generator of ``corrtherm._structured`` with an
    adaptive 8th-order Runge-Kutta method at (rtol, atol), heats carried as extra ODE
    components; "auto" picks "exact" for d <= EXACT_AUTO_MAX_D.

    Variables (over ``time``) of :func:`trajectory_ledger`, plus
    J_X = Tr[H L_X[rho]] = Tr[L#_X[H] rho] (Eq. 11; positive = heat into the system),
    Q_X(t) = int_{t0}^t J_X ds, and the Remark's entropy-based split of U(t) - U(t0):
    Q_entropic = int sum_k (dp_k/dt) <k|H|k> dt (eigenvalue changes), W_entropic = the rest
    (eigenvector changes; H is constant). The conventional definition dQ = Tr[d rho H] makes
    all of U(t) - U(t0) = Q_A + Q_B heat. The entropic heat rate is exact at each save time;
    its time integral is composite Simpson, on a grid the exact branch refines until two levels
    agree to ENTROPIC_TOL, and on the save grid refined ENTROPIC_ODE_REFINE-fold (dense output)
    for "ode"; a RuntimeWarning asks for more save times when the error estimate
    attrs["entropic_quadrature_error"] exceeds ENTROPIC_WARN (relative). ``entropic_split=None``
    computes it for d <= ENTROPIC_MAX_D and skips it (NaN) above: it needs a full
    eigendecomposition of rho at every save time, which would dominate the cost at large d;
    True or False forces it on or off.
    attrs: kind="open", method, rtol, atol, n_rhs, n_steps, residual_energy_balance =
    max_t |U(t) - U(t0) - Q_A(t) - Q_B(t)|, residual_ledger, entropic_split,
    entropic_quadrature_error.
    """
    from .dissipators import as_jumps

    model = _check_model(model)
    a = _check_alpha(alpha_A)
    t = _check_times(times)
    r_tol, a_tol = _check_tolerances(rtol, atol)
    dA, dB = model.dims
    d = model.d
    rho = density_matrix(rho0, "rho0", d)
    JA = as_jumps(jumps_A, dA, "jumps_A")
    JB = as_jumps(jumps_B, dB, "jumps_B")
    if method not in ("auto", "exact", "ode"):
        raise DynamicsError(f"method: got {method!r}; expected 'auto', 'exact' or 'ode'")
    if method == "auto":
        method = "exact" if d <= EXACT_AUTO_MAX_D else "ode"
    if method == "exact" and d > EXACT_MAX_D:
        raise DynamicsError(
            f"method: 'exact' builds a dense d^2 x d^2 = {d * d} x {d * d} generator; allowed up "
            f"to d = {EXACT_MAX_D}. Use method='ode' (or 'auto') for d = {d}"
        )
    # the split needs a full eigendecomposition of rho at every save (and the exact branch
    # refines the grid): on by default only where that is cheap next to the evolution
    entropic = d <= ENTROPIC_MAX_D if entropic_split is None else bool(entropic_split)
    if method == "exact":
        return _evolve_exact(model, rho, t, JA, JB, a, store_states, entropic)
    return _evolve_ode(model, rho, t, JA, JB, a, store_states, entropic, r_tol, a_tol, progress)


def _finish(model, led, t, JA_t, JB_t, Q, q, entropic, attrs, refined=None) -> xr.Dataset:
    U = led.cols["U"]
    dU = U - U[0]
    attrs = dict(attrs)
    attrs["residual_energy_balance"] = float(np.max(np.abs(dU - Q[:, 0] - Q[:, 1])))
    if entropic:
        if refined is None:
            Qe, err = _cumulative_heat(t, q)
            attrs["entropic_split"] = "Simpson on the save grid"
        else:
            Qe, err, f = refined
            attrs["entropic_split"] = "Simpson on the save grid" + (
                f" refined {f}x" if f > 1 else ""
            )
        if err > ENTROPIC_WARN * max(1.0, float(np.max(np.abs(Qe)))):
            warnings.warn(
                f"Q_entropic: quadrature error estimate {err:.2g}; the entropic heat rate varies "
                "faster than the save spacing resolves, add save times",
                RuntimeWarning,
                stacklevel=3,
            )
        We = dU - Qe
        attrs["entropic_quadrature_error"] = err
    else:
        Qe = We = np.full(t.size, np.nan)
        attrs["entropic_split"] = f"skipped: d = {model.d} > ENTROPIC_MAX_D = {ENTROPIC_MAX_D}"
        attrs["entropic_quadrature_error"] = float("nan")
    ds = led.dataset(t, "open", attrs)
    ds["J_A"] = ("time", JA_t)
    ds["J_B"] = ("time", JB_t)
    ds["Q_A"] = ("time", Q[:, 0])
    ds["Q_B"] = ("time", Q[:, 1])
    ds["Q_entropic"] = ("time", Qe)
    ds["W_entropic"] = ("time", We)
    return ds


def _evolve_exact(model, rho, t, JA, JB, a, store_states, entropic) -> xr.Dataset:
    from .dissipators import adjoint_dissipator, lindblad_superoperator

    d = model.d
    dims = model.dims
    S = lindblad_superoperator(model, JA, JB)
    I = np.eye(d)
    S_diss = S + 1j * (np.kron(model.H, I) - np.kron(I, model.H.T))
    # Tr[X rho] = vec(X^T) . vec(rho) in the row-major convention; J_X = Tr[L#_X[H] rho]
    KA = adjoint_dissipator(JA, model.H, dims=dims, side="A") if len(JA) else np.zeros((d, d))
    KB = adjoint_dissipator(JB, model.H, dims=dims, side="B") if len(JB) else np.zeros((d, d))
    heat_rows = np.array([KA.T.reshape(-1), KB.T.reshape(-1)], dtype=complex)
    led = _Ledger(model, t.size, alpha_A=a, store_states=store_states)
    n = t.size
    JA_t, JB_t, Q, q = np.zeros(n), np.zeros(n), np.zeros((n, 2)), np.zeros(n)
    used = "exact"
    # one eigendecomposition of the d^2 x d^2 generator serves propagation and refinement
    eig = _generator_eig(S)
    for sl, vecs, Qc, how in _exact_chunks(S, rho.reshape(-1), heat_rows, t, _batch_size(d), eig):
        used = how
        R = _hermitize(vecs.reshape(-1, d, d))
        J = (vecs @ heat_rows.T).real
        JA_t[sl], JB_t[sl] = J[:, 0], J[:, 1]
        Q[sl] = Qc
        Svals = None
        if entropic:
            D = (vecs @ S_diss.T).reshape(-1, d, d)
            q[sl], p = _heat_rates(R, D, model.H)
            Svals = _entropy_rows(p)
        led.add(sl, R, S=Svals)
    attrs = {"method": used, "n_rhs": 0, "n_steps": 0, "rtol": 0.0, "atol": 0.0}
    refined = None
    if entropic and used == "exact-spectral" and n > 1:
        refined = _refine_entropic(eig, S_diss, model.H, rho.reshape(-1), t, q)
    return _finish(model, led, t, JA_t, JB_t, Q, q, entropic, attrs, refined)


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


def _evolve_ode(model, rho, t, JA, JB, a, store_states, entropic, rtol, atol, progress):
    from . import _structured

    gen = _structured.LocalGenerator(model, JA, JB)
    mi = gen.model
    H_T = mi.H.T
    n = t.size
    # the ledger runs in the internal basis; only the marginals are rotated back
    led = _Ledger(
        model,
        n,
        alpha_A=a,
        store_states=store_states,
        internal=(mi, gen.W_A, gen.W_B),
        spectrum=gen.spectrum,
    )
    JA_t, JB_t, Q, q = np.zeros(n), np.zeros(n), np.zeros((n, 2)), np.zeros(n)
    # the entropic heat rate is integrated on a save grid refined f-fold (dense output of the
    # solver: no extra steps), so that Simpson has a finer grid and a 2h level for its error
    f = ENTROPIC_ODE_REFINE if entropic and n > 1 else 1
    grid = t
    if f > 1:
        grid = np.append((t[:-1, None] + np.outer(np.diff(t), np.arange(f) / f)).ravel(), t[-1])
    q_fine = np.zeros(grid.size)

    # J_X = Tr[h_X rho] with h_X = L#_X[H]: one d^2 inner product per save with h_X^T
    # (Tr[X rho] = sum_ij X_ji rho_ij), by einsum so that no d x d temporary or copy is made
    hA_T = hB_T = None
    if not entropic:
        hA, hB = gen.heat_operators()
        hA_T, hB_T = np.ascontiguousarray(hA.T), np.ascontiguousarray(hB.T)

    def on_save(i: int, r: np.ndarray, QA: float, QB: float) -> None:
        k, sub = divmod(i, f)
        if hA_T is not None:
            # the solver keeps rho Hermitian, and these traces and spectra read only its
            # Hermitian part; a hermitized copy is made only when full states are stored
            o = gen.observables(r, alpha_A=a)
            U, EV = o["U"], o["E_V"]
            R = _hermitize(r) if store_states else None
            led.add_global(k, U, EV, EV - o["U_chi"], o["S"], o["rho_A"], o["rho_B"], R)
            JA_t[k] = float(np.einsum("ij,ij->", r, hA_T).real)
            JB_t[k] = float(np.einsum("ij,ij->", r, hB_T).real)
            Q[k] = (QA, QB)
            return
        r = _hermitize(r)
        DA, DB = gen.dissipator_A(r), gen.dissipator_B(r)
        if entropic:
            qk, p = _heat_rates(r[None], (DA + DB)[None], mi.H)
            q_fine[i] = qk[0]
            if sub:
                return
            q[k] = qk[0]
            led.add(k, r, S=_entropy_rows(p))
        else:
            led.add(k, r)
        # Tr[H X] = sum_ij H_ji X_ij
        JA_t[k] = float(np.sum(H_T * DA).real)
        JB_t[k] = float(np.sum(H_T * DB).real)
        Q[k] = (QA, QB)

    bar = cb = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=1000, desc="evolve", unit="permille")

        def cb(frac: float) -> None:
            bar.update(int(1000 * frac) - bar.n)

    try:
        stats = gen.propagate(
            gen.to_internal(rho), grid, rtol=rtol, atol=atol, on_save=on_save, progress=cb
        )
    finally:
        if bar is not None:
            bar.close()
    attrs = {
        "method": f"ode-{stats.get('method', '?')}",
        "n_rhs": int(stats.get("n_rhs", 0)),
        "n_steps": int(stats.get("n_steps", 0)),
        "rtol": rtol,
        "atol": atol,
    }
    refined = None
    if f > 1:
        fine = _cumulative_heat(grid, q_fine)[0][::f]
        half = _cumulative_heat(grid[::2], q_fine[::2])[0][:: f // 2]
        refined = (fine, float(np.max(np.abs(fine - half))), f)
    return _finish(model, led, t, JA_t, JB_t, Q, q, entropic, attrs, refined)


# ========================================================================== steady states
#: Singular values of the generator below KERNEL_RTOL * ||L||_2 span its kernel.
KERNEL_RTOL = 1e-10
#: Largest d for the dense d^2 x d^2 linear algebra of steady states and invariant subspaces.
DENSE_MAX_D = 32


@dataclass(frozen=True, eq=False)
class SteadyStateReport:
    """Steady state(s) of d rho/dt = L[rho] (paper 1, Eq. 1) with a uniqueness diagnosis.

    rho: the unique steady state (None if not unique); kernel_dimension: dim ker L;
    kernel_basis: Hermitian, Hilbert-Schmidt-orthonormal basis of ker L, shape (k, d, d);
    spectral_gap: min over nonzero eigenvalues of -Re(lambda) (relaxation rate; inf if none);
    residual: ||L[rho]||_F of the returned state (NaN if not unique);
    min_eigenvalue: smallest eigenvalue of rho (>= -1e-10 for a valid state).
    """

    rho: np.ndarray | None
    kernel_dimension: int
    kernel_basis: np.ndarray
    spectral_gap: float
    residual: float
    min_eigenvalue: float

    @property
    def unique(self) -> bool:
        return self.kernel_dimension == 1


def _dense_generator(model: Bipartite, jumps_A: Any, jumps_B: Any, what: str):
    from .dissipators import as_jumps, lindblad_superoperator

    model = _check_model(model)
    if model.d > DENSE_MAX_D:
        raise DynamicsError(
            f"model: d = {model.d} > {DENSE_MAX_D}; {what} uses dense d^2 x d^2 linear algebra. "
            "Evolve to long times with evolve(..., method='ode') instead"
        )
    dA, dB = model.dims
    JA, JB = as_jumps(jumps_A, dA, "jumps_A"), as_jumps(jumps_B, dB, "jumps_B")
    return model, JA, JB, lindblad_superoperator(model, JA, JB)


def _hermitian_span(vecs: np.ndarray, d: int, k: int) -> np.ndarray:
    """Hermitian orthonormal basis (k, d, d) of a dagger-closed span of the columns of vecs."""
    cands = []
    for v in vecs.T:
        X = v.reshape(d, d)
        cands += [0.5 * (X + X.conj().T), 0.5j * (X.conj().T - X)]
    # real coordinates (Re, Im) make the Hilbert-Schmidt product of Hermitian matrices a dot
    M = np.array([np.concatenate([c.real.ravel(), c.imag.ravel()]) for c in cands]).T
    u, _, _ = np.linalg.svd(M, full_matrices=False)
    u = u[:, :k]
    return (u[: d * d].T + 1j * u[d * d :].T).reshape(k, d, d)


def steady_state(
    model: Bipartite, jumps_A: Any = (), jumps_B: Any = (), *, on_degenerate: str = "raise"
) -> SteadyStateReport:
    """Steady state of -i[H, rho] + L_A[rho] + L_B[rho] = 0 (paper 1, Eq. 1), with diagnosis.

    ker L is found from the SVD of the dense generator (singular values below
    KERNEL_RTOL * ||L||_2). When dim ker L = 1 its (Hermitian, trace-normalized) element is the
    unique steady state. Otherwise ``on_degenerate="raise"`` (default) raises a
    :class:`DynamicsError` with the kernel dimension, and ``"report"`` returns a report with
    ``rho=None`` and a Hermitian basis of the kernel: no silent pick. Dense: d <= DENSE_MAX_D.
    """
    if on_degenerate not in ("raise", "report"):
        raise DynamicsError(f"on_degenerate: got {on_degenerate!r}; expected 'raise' or 'report'")
    model, _, _, S = _dense_generator(model, jumps_A, jumps_B, "steady_state")
    d = model.d
    _, sv, vh = np.linalg.svd(S)
    tol = KERNEL_RTOL * max(float(sv[0]), 1e-300)
    k = int(np.count_nonzero(sv <= tol))
    kernel = vh[sv.size - k :].conj().T if k else np.zeros((d * d, 0), dtype=complex)
    basis = _hermitian_span(kernel, d, k) if k else np.zeros((0, d, d), dtype=complex)
    lam = np.linalg.eigvals(S)
    order = np.argsort(np.abs(lam))
    rest = lam[order[k:]]
    gap = float(np.min(-rest.real)) if rest.size else float("inf")
    if k != 1:
        if on_degenerate == "raise" or k == 0:
            raise DynamicsError(
                f"steady state: not unique, dim ker L = {k} (smallest singular values "
                f"{np.array2string(sv[-min(sv.size, k + 1) :], precision=3)}, tolerance "
                f"{tol:.3g}); pass on_degenerate='report' for a basis of all steady states"
            )
        return SteadyStateReport(None, k, basis, gap, float("nan"), float("nan"))
    X = basis[0]
    tr = np.trace(X).real
    if abs(tr) < 1e-12:
        raise DynamicsError(
            "steady state: the kernel of L is traceless (generator is not trace "
            "preserving?); expected a state"
        )
    rho = _hermitize(X / tr)
    res = float(np.linalg.norm(S @ rho.reshape(-1)))
    return SteadyStateReport(rho, 1, basis, gap, res, float(np.linalg.eigvalsh(rho)[0]))


# ================================================================ conditions and theorem
@dataclass(frozen=True, eq=False)
class ConditionsReport:
    """Conditions for local-energy preservation (paper 1, Eqs. A2-A4), as Frobenius norms.

    A3_state: ||[H^_A + H^_B, V]|| at the given state's marginals (None without a state);
    A3_all_states: max over the affine hull of product marginals of ||P_chi [H^_A + H^_B, V]||,
        P_chi the projector on correlation operators (only that part enters Eq. A2);
        zero iff the first term of Eq. A2 vanishes for every state;
    A4: ||L#_A[H] + L#_B[H]|| (zero iff dU/dt = 0 for every state);
    H0_V: ||[H_A + H_B, V]|| (state independent; with [H0, V] = 0 and V = sum O_A (x) O_B ...);
    local_energy_preserving: dU_(x)/dt = 0 for all states, i.e. A3_all_states = A4 = 0 (within
        tol; necessary and sufficient, see :func:`check_conditions`);
    total_energy_conserved: A4 = 0; the theorem says local_energy_preserving implies it;
    dU_local_dt, dU_dt: the rates at the given state (Eq. A2 and Tr[H L[rho]]), or None.
    """

    A3_state: float | None
    A3_all_states: float
    A4: float
    H0_V: float
    local_energy_preserving: bool
    total_energy_conserved: bool
    dU_local_dt: float | None
    dU_dt: float | None
    tol: float


def _project_correlations(X: np.ndarray, dA: int, dB: int) -> np.ndarray:
    """P_chi X = X - Tr_B X (x) I/d_B - I/d_A (x) Tr_A X + Tr X I/d: kills both partial traces."""
    from .states import _pt

    XA, XB = _pt(X, dA, dB, "A"), _pt(X, dA, dB, "B")
    return (
        X
        - np.kron(XA, np.eye(dB)) / dB
        - np.kron(np.eye(dA), XB) / dA
        + np.trace(X) * np.eye(dA * dB) / (dA * dB)
    )


def check_conditions(
    model: Bipartite,
    jumps_A: Any = (),
    jumps_B: Any = (),
    rho: Any = None,
    alpha_A: float = 0.5,
    *,
    tol: float = 1e-9,
) -> ConditionsReport:
    """Check paper 1's sufficient conditions (A3), (A4) and the theorem's premise.

    Eq. A2: dU_(x)/dt = -i Tr[[H^_A + H^_B, V] chi] + Tr[(L#_A[H] + L#_B[H]) rho_A (x) rho_B],
    with H^_X the effective Hamiltonians (Eq. 5, embedded). For product states chi = 0 and the
    product states span all operators, so dU_(x)/dt = 0 for all states forces A4:
    L#_A[H] + L#_B[H] = 0, hence dU/dt = Tr[(L#_A[H] + L#_B[H]) rho] = 0 (the theorem). Given
    A4, the first term vanishes for all states iff P_chi C = 0 for all marginals, where
    C = [H_0 + Tr_B[V rho_B] (x) I + I (x) Tr_A[V rho_A], V] is affine in rho_A and in rho_B
    separately; it is checked at I/d_A, I/d_B and along every traceless direction.
    Norms are Frobenius; ``tol`` is relative to ||H||_F ||V||_F (A3) and ||H||_F sum ||L||^2 (A4).
    """
    from .dissipators import adjoint_dissipator, as_jumps
    from .energy import _effective, local_mean_field
    from .states import _pt

    model = _check_model(model)
    a = _check_alpha(alpha_A)
    dA, dB = model.dims
    d = model.d
    JA, JB = as_jumps(jumps_A, dA, "jumps_A"), as_jumps(jumps_B, dB, "jumps_B")
    H, V = model.H, model.V

    def comm(X, Y):
        return X @ Y - Y @ X

    K = np.zeros((d, d), dtype=complex)
    if len(JA):
        K += adjoint_dissipator(JA, H, dims=(dA, dB), side="A")
    if len(JB):
        K += adjoint_dissipator(JB, H, dims=(dA, dB), side="B")
    A4 = float(np.linalg.norm(K))
    H0V = float(np.linalg.norm(comm(model.H0, V)))

    def C_of(rA, rB):
        fA, fB, _ = local_mean_field(V, rA, rB, (dA, dB))
        Heff = model.H0 + np.kron(fA, np.eye(dB)) + np.kron(np.eye(dA), fB)
        return comm(Heff, V)

    worst = float(
        np.linalg.norm(_project_correlations(C_of(np.eye(dA) / dA, np.eye(dB) / dB), dA, dB))
    )
    # directions: traceless Hermitian operators on each side (from the correlation basis of
    # (dA, dB) x (dB, dA) we only need local traceless bases; build them as Tr of products)
    zA, zB = np.zeros((dA, dA)), np.zeros((dB, dB))
    for G in _local_traceless(dA):
        fB = local_mean_field(V, G, zB, (dA, dB))[1]
        worst = max(
            worst,
            float(np.linalg.norm(_project_correlations(comm(np.kron(np.eye(dA), fB), V), dA, dB))),
        )
    for G in _local_traceless(dB):
        fA = local_mean_field(V, zA, G, (dA, dB))[0]
        worst = max(
            worst,
            float(np.linalg.norm(_project_correlations(comm(np.kron(fA, np.eye(dB)), V), dA, dB))),
        )
    scale3 = max(1.0, float(np.linalg.norm(H)) * float(np.linalg.norm(V)))
    jump_w = sum(float(np.linalg.norm(L)) ** 2 for L in (*JA, *JB))
    scale4 = max(1.0, float(np.linalg.norm(H)) * max(1.0, jump_w))
    total = A4 <= tol * scale4
    local = total and worst <= tol * scale3
    A3s = dUl = dU = None
    if rho is not None:
        R = density_matrix(rho, "rho", d)
        rA, rB = _pt(R, dA, dB, "A"), _pt(R, dA, dB, "B")
        HA_eff, HB_eff, _ = _effective(model, rA, rB, a)
        Hsum = np.kron(HA_eff, np.eye(dB)) + np.kron(np.eye(dA), HB_eff)
        C = comm(Hsum, V)
        A3s = float(np.linalg.norm(C))
        chi = R - np.kron(rA, rB)
        dUl = float((-1j * np.trace(C @ chi) + np.trace(K @ np.kron(rA, rB))).real)
        dU = float(np.trace(K @ R).real)
    return ConditionsReport(A3s, worst, A4, H0V, bool(local), bool(total), dUl, dU, float(tol))


def _local_traceless(n: int) -> list[np.ndarray]:
    """Hermitian traceless basis of n x n matrices (generalized Gell-Mann, unnormalized)."""
    out = []
    for j in range(n):
        for k in range(j + 1, n):
            m = np.zeros((n, n), dtype=complex)
            m[j, k] = m[k, j] = 1.0
            out.append(m)
            m = np.zeros((n, n), dtype=complex)
            m[j, k], m[k, j] = -1j, 1j
            out.append(m)
    for l in range(1, n):
        out.append(np.diag(np.r_[np.ones(l), -l, np.zeros(n - l - 1)]).astype(complex))
    return out


# ======================================================================== special states
@dataclass(frozen=True, eq=False)
class InvariantSubspaceReport:
    """Largest generator-invariant subspace of correlation operators (paper 1, Eqs. 14-16).

    dimension; basis: Hermitian, Hilbert-Schmidt-orthonormal, shape (dimension, d, d), every
    element has Tr_A = Tr_B = 0 and so does its evolution e^{Lt}[chi] for all t;
    eigenvalues: of the generator restricted to the subspace (chi(t) ~ e^{lambda t});
    decay_rates: -Re(eigenvalues), sorted; product_state: pi_A (x) pi_B from the steady state's
    marginals; product_steady_residual: ||L[pi_A (x) pi_B]||_F; product_steady: residual <= tol.
    When pi_A (x) pi_B is steady, rho(0) = pi_A (x) pi_B + chi(0) with chi(0) in the subspace
    keeps rho_A, rho_B (hence U_A, U_B) constant while chi, U_chi evolve; rho(0) >= 0 restricts
    chi(0) (see :func:`corrtherm.positivity_interval`).
    """

    dimension: int
    basis: np.ndarray
    eigenvalues: np.ndarray
    decay_rates: np.ndarray
    product_state: np.ndarray
    product_steady_residual: float
    product_steady: bool


def invariant_correlation_subspace(
    model: Bipartite, jumps_A: Any = (), jumps_B: Any = (), steady: Any = None, *, tol: float = 1e-9
) -> InvariantSubspaceReport:
    """Largest L-invariant subspace inside ker Tr_A cap ker Tr_B (paper 1's special states).

    Starting from W_0 = correlation operators (dimension (d_A^2 - 1)(d_B^2 - 1)), iterate
    W_{j+1} = {x in W_j : L x in W_j} until the dimension is stable; every x in the limit has
    e^{Lt} x in W_0 for all t. Computed in real coordinates of a Hermitian orthonormal basis
    (L preserves Hermiticity), null spaces by SVD with threshold ``tol`` * ||L||.
    ``steady``: the steady state whose marginals define pi_A (x) pi_B (default: the unique
    steady state from :func:`steady_state`). Dense: d <= DENSE_MAX_D.
    """
    from .states import _pt, correlation_basis

    model, _, _, S = _dense_generator(model, jumps_A, jumps_B, "invariant_correlation_subspace")
    dA, dB = model.dims
    d = model.d
    if steady is None:
        steady = steady_state(model, jumps_A, jumps_B).rho
    R = density_matrix(steady, "steady", d)
    prod = np.kron(_pt(R, dA, dB, "A"), _pt(R, dA, dB, "B"))
    res = float(np.linalg.norm(S @ prod.reshape(-1)))
    Snorm = max(float(np.linalg.norm(S, 2)), 1e-300)
    B = correlation_basis((dA, dB))  # (m0, d, d), Hermitian orthonormal
    m0 = B.shape[0]
    if m0 == 0:
        empty = np.zeros((0, d, d), dtype=complex)
        return InvariantSubspaceReport(
            0, empty, np.zeros(0, complex), np.zeros(0), prod, res, res <= tol * Snorm
        )
    LB = (B.reshape(m0, -1) @ S.T).reshape(m0, d, d)  # L applied to each basis element
    # coordinates inside W_0 (real for Hermitian operators) and the part outside W_0
    C = np.einsum("iab,jab->ij", B.conj(), LB).real  # C[i, j] = <B_i, L B_j>
    outside = LB - np.einsum("ij,iab->jab", C, B)
    O = np.concatenate([outside.real.reshape(m0, -1), outside.imag.reshape(m0, -1)], axis=1).T
    Y = np.eye(m0)
    while Y.shape[1]:
        P_out = np.eye(m0) - Y @ Y.T
        M = np.concatenate([O @ Y, P_out @ C @ Y], axis=0)
        _, sv, vt = np.linalg.svd(M, full_matrices=True)
        rank = int(np.count_nonzero(sv > tol * Snorm))
        if rank == 0:
            break
        Y = Y @ vt[rank:].T
    k = Y.shape[1]
    basis = np.einsum("ik,iab->kab", Y, B)
    A = Y.T @ C @ Y
    ev = np.linalg.eigvals(A) if k else np.zeros(0, complex)
    ev = ev[np.argsort(-ev.real)]
    return InvariantSubspaceReport(
        k, basis, ev, np.sort(-ev.real), prod, res, bool(res <= tol * Snorm)
    )
