"""A progress guard for adaptive ODE integration: stop with a clear error instead of spinning.

An explicit Runge-Kutta method facing a generator that is too stiff for the time span (rates
many orders of magnitude above the other scales), tolerances below what double precision can
resolve, or a state that has become NaN, does not fail: it shrinks its step and runs for hours.
:class:`ProgressGuard` is called once per accepted step with (t, h, y) and raises a
:class:`DynamicsError` when

* y holds NaN or infinite entries, or
* the projected number of steps, steps taken + (t_end - t) / h, has exceeded ``max_steps`` for
  ``patience`` consecutive steps (an adaptive solver grows h by at most ~10x per step, so a
  short transient of small steps is forgiven), or more than ``max_steps`` steps were taken.

It is independent of the integrator: any step loop can call :meth:`ProgressGuard.check`.
"""

from __future__ import annotations

import math

import numpy as np

from ..core.errors import DynamicsError

__all__ = ["ProgressGuard", "MAX_ODE_STEPS"]

#: Largest number of accepted steps an ODE integration may take (or be projected to take).
MAX_ODE_STEPS = 5_000_000
#: Consecutive steps the projection must exceed MAX_ODE_STEPS before the guard stops the run.
PATIENCE = 25


class ProgressGuard:
    """Per-step check of an adaptive integration from ``t0`` to ``t_end`` (see module doc)."""

    def __init__(
        self,
        t0: float,
        t_end: float,
        max_steps: int = MAX_ODE_STEPS,
        patience: int = PATIENCE,
        hint: str = "",
    ):
        self.t0, self.t_end = float(t0), float(t_end)
        self.max_steps, self.patience = int(max_steps), int(patience)
        self.hint = hint
        self.steps = 0
        self._strikes = 0

    def check(self, t: float, h: float | None, y: np.ndarray) -> None:
        """Raise :class:`DynamicsError` if ``y`` is not finite or progress has stalled."""
        self.steps += 1
        if not np.isfinite(y).all():
            raise DynamicsError(
                f"ODE: the state became NaN or infinite at t = {t:.6g}; the generator is "
                "numerically unusable (rates or amplitudes too large, or an unstable model)"
                + self._hint()
            )
        span = self.t_end - self.t0
        remaining = self.t_end - t
        h = float(h) if h is not None and math.isfinite(h) else 0.0
        projected = self.steps + (remaining / h if h > 0 else math.inf)
        self._strikes = self._strikes + 1 if projected > self.max_steps else 0
        if self._strikes >= self.patience or self.steps > self.max_steps:
            more = f"{remaining / h:.3g}" if h > 0 else "infinitely many"
            raise DynamicsError(
                f"ODE: the step size collapsed to {h:.3g} at t = {t:.6g} of "
                f"[{self.t0:.6g}, {self.t_end:.6g}] (span {span:.3g}): finishing would take "
                f"{more} more steps, over the limit of {self.max_steps:,}; the problem is too "
                "stiff for the explicit solver (rates far above the other energy scales) or "
                "the tolerances are below double precision" + self._hint()
            )

    def _hint(self) -> str:
        return f"; {self.hint}" if self.hint else ""
