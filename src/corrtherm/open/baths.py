"""One bath's dissipator, whatever its form: local jumps, global jumps or a Redfield tensor.

``jumps_A``/``jumps_B`` of :func:`corrtherm.evolve` and :func:`corrtherm.steady_state` accept
local d_X x d_X jumps (paper 1, Eq. 2), global d x d jumps (e.g.
:func:`corrtherm.davies_jumps`), a :class:`corrtherm.DaviesBath` (the same, sparse in the
eigenbasis of H) or a :class:`corrtherm.RedfieldBath`. :func:`as_bath` turns each
into an object with the same three linear maps on the full space: ``apply`` (L_X[rho]),
``adjoint`` (L_X^#[X], so that J_X = Tr[H L_X[rho]] = Tr[L_X^#[H] rho]) and ``superoperator``
(d^2 x d^2, row-major vec: vec(A rho B) = kron(A, B^T) vec(rho)).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import DynamicsError
from ..core.model import Bipartite
from .davies import DaviesBath
from .dissipators import (
    adjoint_dissipator,
    as_jumps,
    dissipator,
    embed_jumps,
    hamiltonian_superoperator,
    jump_superoperator,
)
from .redfield import RedfieldBath

__all__ = ["JumpBath", "as_bath", "generator_superoperator"]


@dataclass(frozen=True, eq=False)
class JumpBath:
    """A GKLS bath given by jumps: (K, d_X, d_X) local ones or (K, d, d) global ones."""

    side: str
    dims: tuple[int, int]
    jumps: np.ndarray

    @property
    def kind(self) -> str:
        dX = self.dims[0] if self.side == "A" else self.dims[1]
        return "local" if self.jumps.shape[1] == dX else "global"

    def __len__(self) -> int:
        return self.jumps.shape[0]

    def full_jumps(self) -> np.ndarray:
        """The jumps as (K, d, d) operators on the whole space."""
        return embed_jumps(self.jumps, self.dims, self.side)

    def apply(self, rho: np.ndarray) -> np.ndarray:
        return dissipator(self.jumps, rho, dims=self.dims, side=self.side)

    def adjoint(self, X: np.ndarray) -> np.ndarray:
        return adjoint_dissipator(self.jumps, X, dims=self.dims, side=self.side)

    def superoperator(self) -> np.ndarray:
        return jump_superoperator(self.full_jumps(), self.dims[0] * self.dims[1])


Bath = JumpBath | RedfieldBath | DaviesBath


def as_bath(jumps: Any, model: Bipartite, side: str, name: str) -> Bath:
    """Validate one bath argument (local or global jumps, a DaviesBath or a RedfieldBath)."""
    if isinstance(jumps, JumpBath):
        if jumps.side != side or tuple(jumps.dims) != tuple(model.dims):
            raise DynamicsError(f"{name}: a bath of side {jumps.side} for dims {jumps.dims}")
        return jumps
    if isinstance(jumps, RedfieldBath | DaviesBath):
        what = "a Redfield" if isinstance(jumps, RedfieldBath) else "a Davies"
        maker = "redfield_bath" if isinstance(jumps, RedfieldBath) else "davies_bath"
        if jumps.side != side:
            raise DynamicsError(
                f"{name}: is {what} bath built for side {jumps.side!r}; expected side {side!r}"
            )
        if tuple(jumps.dims) != tuple(model.dims):
            raise DynamicsError(
                f"{name}: is {what} bath built for dims {tuple(jumps.dims)}; the model has "
                f"dims {model.dims}"
            )
        Q = jumps.Q
        Hd = Q.conj().T @ model.H @ Q
        off = float(np.max(np.abs(Hd - np.diag(np.diag(Hd)))))
        if off > 1e-8 * max(1.0, float(np.max(np.abs(model.H)))):
            raise DynamicsError(
                f"{name}: is {what} bath built for another Hamiltonian (its eigenbasis "
                f"leaves off-diagonal entries up to {off:.3g} in this model's H); rebuild it "
                f"with {maker}(model, ...)"
            )
        return jumps
    dA, dB = model.dims
    arr = as_jumps(jumps, dA if side == "A" else dB, name, dA * dB)
    return JumpBath(side, (dA, dB), arr)


def approach_of(bath_A: Bath, bath_B: Bath) -> str:
    """ "local", "global", "redfield" (baths without jumps do not count) or "mixed"."""
    kinds = {
        "redfield" if isinstance(b, RedfieldBath) else b.kind
        for b in (bath_A, bath_B)
        if isinstance(b, RedfieldBath) or len(b)
    }
    if not kinds:
        return "none"
    return kinds.pop() if len(kinds) == 1 else "mixed"


def is_local(bath: Bath) -> bool:
    """True for local jumps (or no jumps): the structured LocalGenerator applies."""
    return isinstance(bath, JumpBath) and (len(bath) == 0 or bath.kind == "local")


def generator_superoperator(model: Bipartite, bath_A: Bath, bath_B: Bath) -> np.ndarray:
    """d^2 x d^2 generator of -i[H, rho] + L_A[rho] + L_B[rho] (row-major vec)."""
    out = hamiltonian_superoperator(model.H)
    for bath in (bath_A, bath_B):
        if isinstance(bath, RedfieldBath) or len(bath):
            out += bath.superoperator()
    return out
