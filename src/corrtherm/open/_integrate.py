"""Adaptive Runge-Kutta integration of dy/dt = f(t, y) on flat complex vectors.

Two families, one driver (:func:`integrate`), both with the error norm of scipy.integrate
(RMS over components of err / (atol + rtol max(|y_n|, |y_n+1|))):

* "DOP853" / "RK45": :mod:`scipy.integrate` (8th order, 7th-order dense output: saves between
  steps cost 3 extra evaluations per step, none when saves fall on steps). Storage ~30 vectors
  (16 stages, 7 interpolation coefficients, work arrays).
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
METHODS = ("DOP853", "RK45", "CK45")


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
) -> dict:
    """Integrate from times[0] to times[-1]; ``on_save(i, y)`` at every times[i] (y is valid
    during the call only). ``rhs(t, y, out)`` writes dy/dt into ``out``. Returns statistics."""
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
    if method == "CK45":
        steps, rejected = _integrate_ck45(rhs, y0, t, rtol, atol, emit, progress, counter)
        return {"n_rhs": counter[0], "n_steps": steps, "n_rejected": rejected, "method": method}
    from scipy.integrate import DOP853, RK45

    def f(tt: float, y: np.ndarray) -> np.ndarray:
        counter[0] += 1
        out = np.empty_like(y)
        rhs(tt, y, out)
        return out

    solver = {"DOP853": DOP853, "RK45": RK45}[method](f, t[0], y0, t[-1], rtol=rtol, atol=atol)
    i, n_steps = 1, 0
    while i < t.size:
        msg = solver.step()
        if solver.status == "failed":
            raise DynamicsError(f"ODE solver failed at t = {solver.t:.6g}: {msg}")
        n_steps += 1
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


def _integrate_ck45(rhs, y0, t, rtol, atol, emit, progress, counter) -> tuple[int, int]:
    """2N-storage RK4(3)5 with the embedded error register; steps land on every save time."""

    def f(tt, y, out):
        counter[0] += 1
        rhs(tt, y, out)

    y = np.array(y0, dtype=complex)
    k = np.empty_like(y)
    dq = np.empty_like(y)
    err = np.empty_like(y)
    ystart = np.empty_like(y)
    # initial step (Hairer, Norsett & Wanner, Sec. II.4): h0 = 0.01 ||y|| / ||f||
    f(t[0], y, k)
    scale = atol + rtol * np.abs(y)
    d0, d1 = _rms(y / scale), _rms(k / scale)
    h = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    h = min(h, t[-1] - t[0])
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
            raise DynamicsError(f"CK45: non-finite error estimate at t = {tn:.6g}")
        if en <= 1.0:
            tn = target if last else tn + hh
            steps += 1
            grow = 5.0 if en == 0 else min(5.0, max(1.0, 0.9 * en**-0.25))
            # a step cut short by a save time says nothing about the step size: keep h
            h = max(h, hh * grow) if last else hh * grow
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
                raise DynamicsError(f"CK45: step size underflow at t = {tn:.6g}")
    return steps, rejected
