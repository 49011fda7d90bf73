"""Paper 2's conservation conditions, Eqs. 14, 15 and 18, as commutator norms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core._report import Report, fmt
from ..core.errors import FlowError
from ..core.model import Bipartite
from ..core.operators import commutator_norm
from ._inputs import _finite_float, _model

__all__ = ["ConservationReport", "conservation_checks", "CONSERVATION_RTOL"]

#: A commutator counts as zero when ||[X, Y]||_F <= CONSERVATION_RTOL * max(1, ||X||_F ||Y||_F).
CONSERVATION_RTOL = 1e-10


@dataclass(frozen=True, repr=False)
class ConservationReport(Report):
    """Frobenius norms of the commutators behind paper 2's assumptions and whether each holds.

    A commutator [X, Y] "holds" (vanishes) when ||[X, Y]||_F <= rtol * max(1, ||X||_F ||Y||_F).
    Number-operator entries are None when the model has no N_A, N_B.
    """

    energy_commutator: float  # ||[H_A + H_B, V]||_F, Eq. 14
    number_commutator: float | None  # ||[N_A + N_B, H]||_F, Eq. 15
    local_commutator_A: float | None  # ||[H_A, N_A]||_F, Eq. 18
    local_commutator_B: float | None  # ||[H_B, N_B]||_F, Eq. 18
    energy_conserved: bool
    number_conserved: bool | None
    local_A_commutes: bool | None
    local_B_commutes: bool | None
    rtol: float = CONSERVATION_RTOL

    @property
    def all_hold(self) -> bool:
        """True when every applicable assumption (Eqs. 14, 15, 18) holds."""
        flags = (
            self.energy_conserved,
            self.number_conserved,
            self.local_A_commutes,
            self.local_B_commutes,
        )
        return all(f for f in flags if f is not None)

    _title: ClassVar[str] = "Conservation checks (paper 2, Eqs. 14, 15, 18)"

    def _rows(self) -> list[tuple[str, str]]:
        def row(label: str, eq: str, norm: float | None, ok: bool | None) -> tuple[str, str]:
            if ok is None:
                return (f"{label} ({eq})", "n/a (no number operators)")
            return (f"{label} ({eq})", f"{'holds' if ok else 'FAILS'}, ‖·‖_F = {fmt(norm)}")

        return [
            row("[H_A + H_B, V] = 0", "Eq. 14", self.energy_commutator, self.energy_conserved),
            row("[N_A + N_B, H] = 0", "Eq. 15", self.number_commutator, self.number_conserved),
            row("[H_A, N_A] = 0", "Eq. 18", self.local_commutator_A, self.local_A_commutes),
            row("[H_B, N_B] = 0", "Eq. 18", self.local_commutator_B, self.local_B_commutes),
        ]

    def _notes(self) -> list[str]:
        return [
            f"[X, Y] counts as 0 when ‖[X, Y]‖_F <= {self.rtol:g} * max(1, ‖X‖_F ‖Y‖_F); "
            f"all hold: {fmt(self.all_hold)}"
        ]


def _commutes(X: np.ndarray, Y: np.ndarray, rtol: float) -> tuple[float, bool]:
    norm = commutator_norm(X, Y)
    scale = max(1.0, float(np.linalg.norm(X)) * float(np.linalg.norm(Y)))
    return norm, norm <= rtol * scale


def conservation_checks(model: Bipartite, rtol: float = CONSERVATION_RTOL) -> ConservationReport:
    """Check paper 2's assumptions for ``model``, reporting Frobenius norms.

    Eq. 14: [H_A + H_B, V] = 0 (bare energy conserved, so DeltaE_A = -DeltaE_B);
    Eq. 15: [N_A + N_B, H] = 0 (particle number conserved, DeltaN_A = -DeltaN_B);
    Eq. 18: [H_A, N_A] = [H_B, N_B] = 0 (well-defined local energies and numbers).
    """
    m = _model(model)
    rtol = _finite_float(rtol, "rtol")
    if not 0 < rtol < 1:
        raise FlowError(f"rtol: got {rtol!r}; expected a relative tolerance 0 < rtol < 1")
    e_norm, e_ok = _commutes(m.H0, m.V, rtol)
    if not m.has_numbers:
        return ConservationReport(e_norm, None, None, None, e_ok, None, None, None, rtol)
    n_norm, n_ok = _commutes(m.N, m.H, rtol)
    a_norm, a_ok = _commutes(m.H_A, m.N_A, rtol)
    b_norm, b_ok = _commutes(m.H_B, m.N_B, rtol)
    return ConservationReport(e_norm, n_norm, a_norm, b_norm, e_ok, n_ok, a_ok, b_ok, rtol)
