"""Exceptions raised by corrtherm.

Every error a user can trigger with bad input is a subclass of
:class:`CorrthermError`, itself a :class:`ValueError`, and its message names the
offending field, the value (or how far off it is) and what was expected.
"""

from __future__ import annotations


class CorrthermError(ValueError):
    """Base class of all corrtherm input errors.

    The message is kept on one line (runs of whitespace, e.g. from the repr of an array, are
    collapsed), so that it reads the same in a traceback, a log and on the command line.
    """

    def __init__(self, *args: object) -> None:
        if len(args) == 1 and isinstance(args[0], str):
            args = (" ".join(args[0].split()),)
        super().__init__(*args)


class ModelError(CorrthermError):
    """A model or operator is malformed: wrong shape, not Hermitian, bad dims."""


class StateError(CorrthermError):
    """An array is not a valid density matrix (trace, positivity, finiteness)."""


class DynamicsError(CorrthermError):
    """Invalid dynamics input: jump operators, rates, time grids, tolerances."""


class FlowError(CorrthermError):
    """Invalid input to the particle/energy flow analysis (beta, mu, marginals)."""


class ScenarioError(CorrthermError):
    """A scenario file or expression is invalid."""


class SweepError(CorrthermError):
    """A parameter sweep specification or store is invalid."""


class ResourceError(CorrthermError):
    """A computation would need more memory (or time) than the configured limit allows.

    The message states the estimate, the limit and what to change (a smaller problem, or a
    higher limit: ``--memory-limit`` / ``CORRTHERM_MEMORY_LIMIT``, see
    :mod:`corrtherm.core.limits`).
    """


class MissingDependencyError(CorrthermError, ImportError):
    """An optional dependency (e.g. qutip, cvxpy) is needed but not installed."""
