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
import os

import numpy as np

from ..core.errors import DynamicsError

__all__ = ["ProgressGuard", "MAX_ODE_STEPS", "max_ode_steps"]

#: Largest number of accepted steps an ODE integration may take (or be projected to take);
#: normal runs take 10^2-10^4. Override with the environment variable CORRTHERM_MAX_ODE_STEPS.
MAX_ODE_STEPS = 500_000
#: Environment variable overriding MAX_ODE_STEPS.
ENV_VAR = "CORRTHERM_MAX_ODE_STEPS"
#: Consecutive steps the projection must exceed MAX_ODE_STEPS before the guard stops the run.
PATIENCE = 25


def max_ode_steps() -> int:
    """MAX_ODE_STEPS, or the integer in the environment variable CORRTHERM_MAX_ODE_STEPS."""
    text = os.environ.get(ENV_VAR, "").strip()
    if not text:
        return MAX_ODE_STEPS
    try:
        f = float(text)
        n = int(f) if f == int(f) else 0  # "1.5" is refused, not truncated to 1
    except (ValueError, OverflowError):
        n = 0
    if n < 1:
        raise DynamicsError(f"{ENV_VAR}: got {text!r}; expected a positive integer number of steps")
    return n


class ProgressGuard:
    """Per-step check of an adaptive integration from ``t0`` to ``t_end`` (see module doc)."""

    def __init__(
        self,
        t0: float,
        t_end: float,
        max_steps: int | None = None,
        patience: int = PATIENCE,
        hint: str = "",
    ):
        self.t0, self.t_end = float(t0), float(t_end)
        self.max_steps = max_ode_steps() if max_steps is None else int(max_steps)
        self.patience = int(patience)
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
                f"ODE: the step size collapsed to {h:.3g} at t = {t:.6g} (time span "
                f"{span:.3g}): finishing would take {more} more steps, over the limit of "
                f"{self.max_steps:,} ({ENV_VAR}); the generator is too stiff for the explicit "
                "solver (rates far above the other energy scales)" + self._hint()
            )

    def _hint(self) -> str:
        return f"; {self.hint}" if self.hint else ""
