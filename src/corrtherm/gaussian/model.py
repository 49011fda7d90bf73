"""The free-particle model: H = sum_ij h_ij c_i^dag c_j on modes A then B.

Everything of both papers follows, for quadratic number-conserving Hamiltonians and Gaussian
(quasi-free) states, from the L x L single-particle matrices instead of 2^L x 2^L operators.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from ..core._report import Report
from ..core.errors import ModelError
from ._inputs import check_statistics, single_particle

__all__ = ["FreeModel"]


@dataclass(frozen=True, eq=False, repr=False)
class FreeModel(Report):
    """A quadratic, number-conserving model H = H_A + H_B + V of free fermions or bosons.

    H_A = sum_{ij in A} (h_A)_ij c_i^dag c_j, H_B likewise, and the coupling
    V = sum_{i in A, j in B} (t_AB)_ij c_i^dag c_j + h.c. Modes are ordered A then B, so the
    single-particle matrix is h = [[h_A, t_AB], [t_AB^dag, h_B]] and H = sum_ij h_ij c_i^dag c_j
    (paper 2, Eq. 13 for free particles; paper 1's bipartite H = H_A + H_B + V).

    Arrays are stored real when their imaginary part is exactly zero (the real code paths of the
    solvers are about twice as fast), complex otherwise.

    Parameters
    ----------
    h_A, h_B : Hermitian single-particle matrices (L_A x L_A, L_B x L_B).
    t_AB : coupling block (L_A x L_B); ``None`` means uncoupled halves.
    statistics : "fermion" (canonical anticommutation) or "boson".
    """

    h_A: Any
    h_B: Any
    t_AB: Any = None
    statistics: str = "fermion"

    _labels: ClassVar[dict[str, str]] = {
        "h_A": "h_A (single-particle, A)",
        "h_B": "h_B (single-particle, B)",
        "t_AB": "t_AB (coupling block)",
        "energy_commutator": "‖[h_A + h_B, v]‖_F (0: Eq. 14 holds)",
    }
    _extra: ClassVar[tuple[str, ...]] = ("energy_commutator",)

    def __post_init__(self) -> None:
        stat = check_statistics(self.statistics, ModelError)
        hA = single_particle(self.h_A, "h_A", hermitian=True)
        hB = single_particle(self.h_B, "h_B", hermitian=True)
        LA, LB = hA.shape[0], hB.shape[0]
        if self.t_AB is None:
            t = np.zeros((LA, LB))
        else:
            t = single_particle(self.t_AB, "t_AB", shape=(LA, LB))
        for name, val in (("h_A", hA), ("h_B", hB), ("t_AB", t), ("statistics", stat)):
            object.__setattr__(self, name, val)

    # ------------------------------------------------------------------ sizes
    @property
    def L_A(self) -> int:
        """Number of modes of A."""
        return int(self.h_A.shape[0])

    @property
    def L_B(self) -> int:
        """Number of modes of B."""
        return int(self.h_B.shape[0])

    @property
    def L(self) -> int:
        """Total number of modes L_A + L_B."""
        return self.L_A + self.L_B

    @property
    def modes(self) -> tuple[int, int]:
        """(L_A, L_B)."""
        return (self.L_A, self.L_B)

    @property
    def is_real(self) -> bool:
        """True when h is real symmetric (its eigenvectors can be chosen real)."""
        return not any(np.iscomplexobj(x) for x in (self.h_A, self.h_B, self.t_AB))

    # ------------------------------------------------------------ matrices
    @cached_property
    def h(self) -> np.ndarray:
        """The full single-particle matrix [[h_A, t_AB], [t_AB^dag, h_B]]."""
        return np.block([[self.h_A, self.t_AB], [self.t_AB.conj().T, self.h_B]])

    @cached_property
    def h_0(self) -> np.ndarray:
        """The uncoupled part [[h_A, 0], [0, h_B]] (single-particle matrix of H_A + H_B)."""
        out = np.zeros_like(self.h)
        out[: self.L_A, : self.L_A] = self.h_A
        out[self.L_A :, self.L_A :] = self.h_B
        return out

    @cached_property
    def spectrum(self) -> tuple[np.ndarray, np.ndarray]:
        """(eps, W): h = W diag(eps) W^dag, eps ascending (single-particle energies)."""
        return np.linalg.eigh(self.h)

    @property
    def energy_commutator(self) -> float:
        """||[h_A + h_B, v]||_F at the single-particle level, v = [[0, t_AB], [t_AB^dag, 0]].

        For quadratic H, [H_0, V] = sum_ij [h_0, v]_ij c_i^dag c_j, so this vanishes exactly when
        the bare energy H_A + H_B is conserved (paper 2, Eq. 14), i.e. h_A t_AB = t_AB h_B.
        """
        v = self.h - self.h_0
        return float(np.linalg.norm(self.h_0 @ v - v @ self.h_0))

    # --------------------------------------------------------------- display
    def _heading(self) -> str:
        return (
            f"FreeModel of {self.statistics}s H = sum_ij h_ij c_i^dag c_j, (L_A, L_B) = "
            f"{self.modes}"
        )

    def with_coupling(self, t_AB: Any) -> FreeModel:
        """A copy with another coupling block."""
        return FreeModel(self.h_A, self.h_B, t_AB, self.statistics)


def check_model(model: Any, error: type[Exception] = ModelError) -> FreeModel:
    """``model`` if it is a :class:`FreeModel`, else one clear error."""
    if not isinstance(model, FreeModel):
        raise error(f"model: got {type(model).__name__}; expected a corrtherm.gaussian.FreeModel")
    return model
