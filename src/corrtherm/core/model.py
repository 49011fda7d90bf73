"""The bipartite model H = H_A (x) I + I (x) H_B + V with optional local number operators."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from ._report import Report
from ._validate import hermitian
from .errors import ModelError
from .limits import COMPLEX_BYTES, check_magnitude, require_memory
from .operators import identity

__all__ = ["Bipartite"]


@dataclass(frozen=True, eq=False, repr=False)
class Bipartite(Report):
    """A bipartite system A+B with H = H_A (x) I_B + I_A (x) H_B + V (paper 1, Eq. 1 model;
    paper 2, Eq. 13).

    Parameters
    ----------
    H_A, H_B : local Hamiltonians (d_A x d_A, d_B x d_B), Hermitian.
    V : interaction on the full space ((d_A d_B) x (d_A d_B)), Hermitian; ``None`` means 0.
    N_A, N_B : optional local number operators (d_A x d_A, d_B x d_B), Hermitian. Both or
        neither must be given. Arrays and ``qutip.Qobj`` are accepted; everything is stored
        as complex ndarrays.
    """

    H_A: Any
    H_B: Any
    V: Any = None
    N_A: Any = None
    N_B: Any = None
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    _labels: ClassVar[dict[str, str]] = {"V": "V (interaction)"}

    def _heading(self) -> str:
        return f"Bipartite model H = H_A ⊗ I + I ⊗ H_B + V, (d_A, d_B) = {self.dims}"

    def __post_init__(self) -> None:
        HA = hermitian(self.H_A, "H_A")
        HB = hermitian(self.H_B, "H_B")
        d = HA.shape[0] * HB.shape[0]
        # V, H_A (x) I, I (x) H_B, H0 and H are all d x d
        require_memory(
            5 * COMPLEX_BYTES * d * d,
            f"model: the d x d operators of d = d_A d_B = {HA.shape[0]} * {HB.shape[0]} = {d}",
            "use smaller subsystems",
        )
        V = np.zeros((d, d), dtype=complex) if self.V is None else hermitian(self.V, "V")
        if V.shape != (d, d):
            raise ModelError(
                f"V: has shape {V.shape}; expected ({d}, {d}) = (d_A*d_B, d_A*d_B) with "
                f"d_A = {HA.shape[0]}, d_B = {HB.shape[0]}"
            )
        if (self.N_A is None) != (self.N_B is None):
            raise ModelError("N_A, N_B: give both local number operators or neither")
        NA = None if self.N_A is None else hermitian(self.N_A, "N_A", HA.shape[0])
        NB = None if self.N_B is None else hermitian(self.N_B, "N_B", HB.shape[0])
        for name, val in (("H_A", HA), ("H_B", HB), ("V", V), ("N_A", NA), ("N_B", NB)):
            if val is not None:
                check_magnitude(val, name, ModelError)
            object.__setattr__(self, name, val)

    @property
    def dims(self) -> tuple[int, int]:
        """(d_A, d_B)."""
        return (self.H_A.shape[0], self.H_B.shape[0])

    @property
    def d(self) -> int:
        """Total dimension d_A * d_B."""
        return self.dims[0] * self.dims[1]

    @property
    def has_numbers(self) -> bool:
        """True when local number operators were given."""
        return self.N_A is not None

    @cached_property
    def H_A_full(self) -> np.ndarray:
        """H_A (x) I_B."""
        return np.kron(self.H_A, identity(self.dims[1]))

    @cached_property
    def H_B_full(self) -> np.ndarray:
        """I_A (x) H_B."""
        return np.kron(identity(self.dims[0]), self.H_B)

    @cached_property
    def H0(self) -> np.ndarray:
        """Bare Hamiltonian H_A (x) I + I (x) H_B."""
        return self.H_A_full + self.H_B_full

    @cached_property
    def H(self) -> np.ndarray:
        """Full Hamiltonian H0 + V."""
        return self.H0 + self.V

    @cached_property
    def N_A_full(self) -> np.ndarray | None:
        """N_A (x) I_B, or None."""
        return None if self.N_A is None else np.kron(self.N_A, identity(self.dims[1]))

    @cached_property
    def N_B_full(self) -> np.ndarray | None:
        """I_A (x) N_B, or None."""
        return None if self.N_B is None else np.kron(identity(self.dims[0]), self.N_B)

    @cached_property
    def N(self) -> np.ndarray | None:
        """Total number operator N_A (x) I + I (x) N_B, or None."""
        return None if self.N_A is None else self.N_A_full + self.N_B_full

    def with_interaction(self, V: Any) -> Bipartite:
        """A copy with another interaction."""
        return Bipartite(self.H_A, self.H_B, V, self.N_A, self.N_B)
