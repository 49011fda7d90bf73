"""Exceptions raised by corrtherm.

Every error a user can trigger with bad input is a subclass of
:class:`CorrthermError`, itself a :class:`ValueError`, and its message names the
offending field, the value (or how far off it is) and what was expected.
"""

from __future__ import annotations


class CorrthermError(ValueError):
    """Base class of all corrtherm input errors.

    A :class:`ValueError`, so ``except ValueError`` keeps working. The message is one line that
    names the field, the value and what was expected (runs of whitespace, e.g. from the repr of
    an array, are collapsed here); the command line prints it as ``error: ...`` and exits with
    status 2.
    """

    def __init__(self, *args: object) -> None:
        if len(args) == 1 and isinstance(args[0], str):
            args = (" ".join(args[0].split()),)
        super().__init__(*args)


class ModelError(CorrthermError):
    """A model or operator is malformed: wrong shape, not Hermitian, bad dims.

    Raised by :class:`~corrtherm.core.model.Bipartite`, the operator builders and the input checks
    of every function that takes an operator (also for [H, N] != 0 where a grand-canonical state
    needs them to commute).
    """


class StateError(CorrthermError):
    """An array is not a valid density matrix (trace, positivity, finiteness).

    The message says how far off it is: the trace, or the smallest eigenvalue, against the
    tolerance ``STATE_TOL``.
    """


class DynamicsError(CorrthermError):
    """Invalid dynamics input: jump operators, rates, time grids, tolerances.

    Also raised for rates that violate detailed balance (paper 1, Eq. 13), degenerate spectra
    with basis-dependent thermal jumps, and problems too large for a dense solver.
    """


class FlowError(CorrthermError):
    """Invalid input to the particle/energy flow analysis (beta, mu, marginals).

    For example an initial marginal that is not thermal at the given (beta, mu) within
    ``THERMAL_TOL`` (paper 2, Eq. 16), or a chemical potential without number operators.
    """


class ScenarioError(CorrthermError):
    """A scenario file or expression is invalid.

    The message starts with the file (or ``<preset:NAME>``, ``<text>``) and the key, e.g.
    ``my.toml: state.c: ...``; see the scenario-file reference for what is accepted.
    """


class SweepError(CorrthermError):
    """A parameter sweep specification or store is invalid.

    Bad ``NAME=START:STOP:NUM`` axes, an unknown parameter, or a store written by another
    scenario or grid (which is refused rather than mixed).
    """


class ResourceError(CorrthermError):
    """A computation would need more memory (or time) than the configured limit allows.

    The message states the estimate, the limit and what to change (a smaller problem, or a
    higher limit: ``--memory-limit`` / ``CORRTHERM_MEMORY_LIMIT``, see
    :mod:`corrtherm.core.limits`).
    """


class MissingDependencyError(CorrthermError, ImportError):
    """An optional dependency (e.g. qutip, cvxpy) is needed but not installed.

    Also an :class:`ImportError`; the message names the extra to install, e.g.
    ``pip install 'corrtherm[sdp]'``.
    """
