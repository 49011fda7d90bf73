"""Adaptive Runge-Kutta integration of dy/dt = f(t, y) on flat complex vectors.

Two families, one driver (:func:`integrate`), both with the error norm of scipy.integrate
(RMS over components of err / (atol + rtol max(|y_n|, |y_n+1|))):

* "DOP853": the 8th-order Dormand-Prince pair with scipy's coefficients and error estimator
  (Hairer, Norsett & Wanner, Sec. II.10), stepped here so that the stages live in one
  (13, n) array combined by matrix-vector products, right-hand sides are written in place, and
  a save time inside the next step shortens that step to land on it; only when two or more
  saves fall inside one step are the three extra stages and the 7th-order interpolant formed.
  Storage: 13 stage vectors + 4 work vectors (scipy.integrate.DOP853: ~30).
* "RK45", "scipy-DOP853": :class:`scipy.integrate.RK45` / :class:`scipy.integrate.DOP853`
  with their dense output (the latter kept to measure the storage and overhead of the above).
* "CK45": the five-stage, fourth-order 2N-storage scheme of Carpenter & Kennedy (1994,
  NASA TM-109112, "RK4(3)5[2N]"): with dq_0 = 0, for i = 1..5
      dq_i = A_i dq_{i-1} + h f(t + c_i h, y_{i-1}),   y_i = y_{i-1} + B_i dq_i,
  so only y and dq are stored. Its Butcher weights b are rebuilt from (A, B); the embedded
  third-order weights b^ solve the four order-3 conditions with b^_5 = 0 (the 1-parameter family
  b + s n, n spanning the null space of those conditions), and the error estimate
  h sum_i (b_i - b^_i) k_i is accumulated in a third register from the stage derivatives as
  they are formed. Steps end exactly on the save times (no interpolation). Storage: 4 vectors
  plus the right-hand side's work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.errors import DynamicsError
from ._guard import ProgressGuard

# Carpenter & Kennedy (1994), RK4(3)5[2N], solution 3: A_i, B_i, c_i
CK_A = np.array(
    [
        0.0,
        -567301805773.0 / 1357537059087.0,
        -2404267990393.0 / 2016746695238.0,
        -3550918686646.0 / 2091501179385.0,
        -1275806237668.0 / 842570457699.0,
    ]
)
CK_B = np.array(
    [
        1432997174477.0 / 9575080441755.0,
        5161836677717.0 / 13612068292357.0,
        1720146321549.0 / 2090206949498.0,
        3134564353537.0 / 4481467310338.0,
        2277821191437.0 / 14882151754819.0,
    ]
)
CK_C = np.array(
    [
        0.0,
        1432997174477.0 / 9575080441755.0,
        2526269341429.0 / 6820363962896.0,
        2006345519317.0 / 3224310063776.0,
        2802321613138.0 / 2924317926251.0,
    ]
)
METHODS = ("DOP853", "CK45", "RK45", "scipy-DOP853")


def butcher_from_2n(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Butcher matrix a and weights b of a 2N-storage scheme: dq_i collects h k_j with weight
    prod_{l=j+1..i} A_l, and stage i reads y_{i-1} = y_0 + sum_{m<i} B_m dq_m."""
    s = A.size
    Q = np.array(
        [[np.prod(A[j + 1 : i + 1]) if j <= i else 0.0 for j in range(s)] for i in range(s)]
    )
    a = np.array([[sum(B[m] * Q[m, j] for m in range(j, i)) for j in range(s)] for i in range(s)])
    b = np.array([sum(B[m] * Q[m, j] for m in range(j, s)) for j in range(s)])
    return a, b


def embedded_error_weights(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """e = b - b^ with b^ third order (sum b^ = 1, b^.c = 1/2, b^.c^2 = 1/3, b^.a c = 1/6) and
    b^_s = 0 (module docstring)."""
    a, b = butcher_from_2n(A, B)
    c = a.sum(axis=1)
    M = np.array([np.ones_like(c), c, c * c, a @ c])
    null = np.linalg.svd(M)[2][-1]
    return null * (b[-1] / null[-1])  # b - (b + s n) with s = -b_s / n_s


CK_E = embedded_error_weights(CK_A, CK_B)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.vdot(x, x).real / max(1, x.size)))


def _tail(guard: ProgressGuard) -> str:
    return f"; {guard.hint}" if guard.hint else ""


def _at(a: float, b: float) -> bool:
    """a and b are the same time up to round-off of the step arithmetic."""
    return abs(a - b) <= 1e-13 * max(1.0, abs(b))


def _initial_step(f, t0, y0, f0, t_end, rtol, atol, order) -> float:
    """Hairer, Norsett & Wanner, Sec. II.4: h0 from ||y0|| / ||f0||, refined by one Euler
    step's change of f (one extra evaluation)."""
    scale = atol + rtol * np.abs(y0)
    d0, d1 = _rms(y0 / scale), _rms(f0 / scale)
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    h0 = min(h0, t_end - t0)
    f1 = np.empty_like(y0)
    f(t0 + h0, y0 + h0 * f0, f1)
    d2 = _rms((f1 - f0) / scale) / h0
    h1 = max(1e-6, h0 * 1e-3) if max(d1, d2) <= 1e-15 else (0.01 / max(d1, d2)) ** (1 / (order + 1))
    return min(100 * h0, h1, t_end - t0)


def integrate(
    rhs: Callable[[float, np.ndarray, np.ndarray], Any],
    y0: np.ndarray,
    times: np.ndarray,
    *,
    rtol: float,
    atol: float,
    method: str = "DOP853",
    on_save: Callable[[int, np.ndarray], Any] | None = None,
    progress: Callable[[float], Any] | None = None,
    hint: str = "",
) -> dict:
    """Integrate from times[0] to times[-1]; ``on_save(i, y)`` at every times[i] (y is valid
    during the call only). ``rhs(t, y, out)`` writes dy/dt into ``out``. Every accepted step
    passes the :class:`~corrtherm.open._guard.ProgressGuard` (non-finite state, collapsing
    step size; ``hint`` ends its message). Returns statistics."""
    if method not in METHODS:
        raise DynamicsError(f"method: got {method!r}; expected one of {list(METHODS)}")
    t = np.asarray(times, dtype=float)
    counter = [0]

    def emit(i: int, y: np.ndarray) -> None:
        if on_save is not None:
            on_save(i, y)

    emit(0, y0)
    if t.size == 1:
        return {"n_rhs": 0, "n_steps": 0, "n_rejected": 0, "method": method}
    guard = ProgressGuard(t[0], t[-1], hint=hint)
    if method in ("CK45", "DOP853"):
        run = _integrate_ck45 if method == "CK45" else _integrate_dop853
        steps, rejected = run(rhs, y0, t, rtol, atol, emit, progress, counter, guard)
        return {"n_rhs": counter[0], "n_steps": steps, "n_rejected": rejected, "method": method}
    from scipy.integrate import DOP853, RK45

    def f(tt: float, y: np.ndarray) -> np.ndarray:
        counter[0] += 1
        out = np.empty_like(y)
        rhs(tt, y, out)
        return out

    solver = (RK45 if method == "RK45" else DOP853)(f, t[0], y0, t[-1], rtol=rtol, atol=atol)
    i, n_steps = 1, 0
    while i < t.size:
        msg = solver.step()
        if solver.status == "failed":
            tail = f"; {hint}" if hint else ""
            raise DynamicsError(f"ODE solver failed at t = {solver.t:.6g}: {msg}{tail}")
        n_steps += 1
        guard.check(solver.t, solver.step_size, solver.y)
        sol = None
        while i < t.size and t[i] <= solver.t:
            if t[i] == solver.t:
                emit(i, solver.y)
            else:
                sol = sol or solver.dense_output()
                emit(i, sol(t[i]))
            i += 1
        if progress is not None:
            progress(min(1.0, (solver.t - t[0]) / (t[-1] - t[0])))
    return {"n_rhs": counter[0], "n_steps": n_steps, "n_rejected": 0, "method": method}


def _integrate_ck45(rhs, y0, t, rtol, atol, emit, progress, counter, guard) -> tuple[int, int]:
    """2N-storage RK4(3)5 with the embedded error register; steps land on every save time."""

    def f(tt, y, out):
        counter[0] += 1
        rhs(tt, y, out)

    y = np.array(y0, dtype=complex)
    k = np.empty_like(y)
    dq = np.empty_like(y)
    err = np.empty_like(y)
    ystart = np.empty_like(y)
    f(t[0], y, k)
    h = _initial_step(f, float(t[0]), y, k, float(t[-1]), rtol, atol, 3)
    tn, steps, rejected, i = float(t[0]), 0, 0, 1
    hmin = 16 * np.spacing(max(abs(t[0]), abs(t[-1])))
    while i < t.size:
        target = float(t[i])
        hh = min(h, target - tn)
        last = hh == target - tn
        ystart[...] = y
        dq[...] = 0.0
        err[...] = 0.0
        for s in range(5):
            f(tn + CK_C[s] * hh, y, k)
            k *= hh
            err += CK_E[s] * k
            dq *= CK_A[s]
            dq += k
            y += CK_B[s] * dq
        scale = atol + rtol * np.maximum(np.abs(ystart), np.abs(y))
        en = _rms(err / scale)
        if not np.isfinite(en):
            guard.check(tn, h, y)  # names the non-finite state
            raise DynamicsError(f"CK45: non-finite error estimate at t = {tn:.6g}" + _tail(guard))
        if en <= 1.0:
            tn = target if last else tn + hh
            steps += 1
            grow = 5.0 if en == 0 else min(5.0, max(1.0, 0.9 * en**-0.25))
            # a step cut short by a save time says nothing about the step size: keep h
            h = max(h, hh * grow) if last else hh * grow
            guard.check(tn, h, y)
            if last:
                emit(i, y)
                i += 1
            if progress is not None:
                progress(min(1.0, (tn - t[0]) / (t[-1] - t[0])))
        else:
            y[...] = ystart
            rejected += 1
            h = hh * max(0.2, 0.9 * en**-0.25)
            if h < hmin:
                raise DynamicsError(
                    f"CK45: the step size collapsed to {h:.3g} at t = {tn:.6g}: the generator "
                    "is too stiff for the explicit solver (rates far above the other energy "
                    "scales)" + _tail(guard)
                )
    return steps, rejected


def _integrate_dop853(rhs, y0, t, rtol, atol, emit, progress, counter, guard) -> tuple[int, int]:
    """DOP853 (module docstring): scipy's tableau and error norm, landing on save times."""
    from scipy.integrate._ivp import dop853_coefficients as co

    def f(tt, y, out):
        counter[0] += 1
        rhs(tt, y, out)

    ns = co.N_STAGES  # 12
    A, B, C = co.A[:ns, :ns], co.B, co.C[:ns]
    E3, E5 = co.E3, co.E5
    n = y0.size
    K = np.empty((ns + 1, n), dtype=complex)  # K[0] = f(y), K[1:12] stages, K[12] = f(y_new)
    y = np.array(y0, dtype=complex)
    y_new = np.empty_like(y)
    work = np.empty_like(y)
    f(t[0], y, K[0])
    h = _initial_step(f, float(t[0]), y, K[0], float(t[-1]), rtol, atol, 7)
    tn, steps, rejected, i = float(t[0]), 0, 0, 1
    t_end = float(t[-1])
    Kx = F = None  # extended stages and interpolant, allocated on first use

    def combine(coef, rows, out):
        np.dot(coef.astype(complex), rows, out=out)

    while i < t.size:
        h_try = min(h, t_end - tn)
        inside = int(np.searchsorted(t, tn + h_try, side="left")) - i  # saves before tn + h
        interpolate = inside >= 2
        if inside == 1 or (inside == 0 and _at(tn + h_try, t[i])):
            h_try = float(t[i]) - tn  # land exactly on the next save
            inside, land = 1, True
        else:
            land = False
        hh = h_try
        for s in range(1, ns):
            combine(A[s, :s], K[:s], work)
            work *= hh
            work += y
            f(tn + C[s] * hh, work, K[s])
        combine(B, K[:ns], y_new)
        y_new *= hh
        y_new += y
        f(tn + hh, y_new, K[ns])
        scale = atol + rtol * np.maximum(np.abs(y), np.abs(y_new))
        combine(E5, K, work)
        e5 = float(np.sum(np.abs(work / scale) ** 2))
        combine(E3, K, work)
        e3 = float(np.sum(np.abs(work / scale) ** 2))
        en = 0.0 if e5 == 0 and e3 == 0 else abs(hh) * e5 / np.sqrt((e5 + 0.01 * e3) * n)
        if not np.isfinite(en):
            guard.check(tn, h, y_new)  # names the non-finite state
            raise DynamicsError(f"DOP853: non-finite error estimate at t = {tn:.6g}" + _tail(guard))
        if en < 1.0:
            factor = 10.0 if en == 0 else min(10.0, 0.9 * en ** (-1.0 / 8.0))
            t_old, t_new = tn, tn + hh
            if interpolate:
                if Kx is None:  # the 13 stages become the first rows of the 16 extended ones
                    Kx = np.empty((co.N_STAGES_EXTENDED, n), dtype=complex)
                    Kx[: ns + 1] = K
                    K = Kx[: ns + 1]
                    F = np.empty((co.INTERPOLATOR_POWER, n), dtype=complex)
                for s, (a, c) in enumerate(zip(co.A[ns + 1 :], co.C[ns + 1 :]), start=ns + 1):
                    combine(a[:s], Kx[:s], work)
                    work *= hh
                    work += y
                    f(t_old + c * hh, work, Kx[s])
                F[0] = y_new - y
                F[1] = hh * K[0] - F[0]
                F[2] = 2 * F[0] - hh * (K[ns] + K[0])
                F[3:] = hh * np.dot(co.D, Kx)
                while i < t.size and t[i] < t_new:
                    x = (t[i] - t_old) / hh
                    out = np.zeros_like(y)
                    for j, fj in enumerate(reversed(F)):
                        out += fj
                        out *= x if j % 2 == 0 else 1 - x
                    out += y
                    emit(i, out)
                    i += 1
            y, y_new = y_new, y
            K[0] = K[ns]
            steps += 1
            tn = t_new
            if i < t.size and (land or _at(t_new, t[i])):
                tn = float(t[i])
                emit(i, y)
                i += 1
            # a step shortened to land on a save says nothing about the step size: keep h
            h = max(h, hh * factor) if land else hh * factor
            guard.check(tn, h, y)
            if progress is not None:
                progress(min(1.0, (tn - t[0]) / (t_end - t[0])))
        else:
            rejected += 1
            h = hh * max(0.2, 0.9 * en ** (-1.0 / 8.0))
            if h < 16 * np.spacing(max(abs(tn), abs(t_end))):
                raise DynamicsError(
                    f"DOP853: the step size collapsed to {h:.3g} at t = {tn:.6g}: the generator "
                    "is too stiff for the explicit solver (rates far above the other energy "
                    "scales)" + _tail(guard)
                )
    return steps, rejected
