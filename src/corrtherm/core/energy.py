"""The correlation-resolved energy ledger U = U_A + U_B + U_chi (paper 1, Eqs. 5-8)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ._report import Report
from ._validate import density_matrix, finite_real
from .errors import ModelError
from .model import Bipartite
from .states import _pt

__all__ = [
    "EnergyLedger",
    "energy_ledger",
    "effective_hamiltonians",
    "correlation_energy",
    "local_mean_field",
]


@dataclass(frozen=True, eq=False, repr=False)
class EnergyLedger(Report):
    """Energy decomposition of one state (paper 1, Eqs. 5-8).

    U = Tr[rho H], U_A = Tr[rho_A H^_A], U_B = Tr[rho_B H^_B], U_chi = Tr[chi V], with
    U = U_A + U_B + U_chi exactly; H_A_eff, H_B_eff are the local effective Hamiltonians
    (d_A x d_A, d_B x d_B) and V_eff the effective interaction on the full space, with
    H = H^_A (x) I + I (x) H^_B + V^ (Eq. 6).
    """

    U: float
    U_A: float
    U_B: float
    U_chi: float
    H_A_eff: np.ndarray
    H_B_eff: np.ndarray
    V_eff: np.ndarray
    alpha_A: float

    _title: ClassVar[str] = "Energy ledger U = U_A + U_B + U_χ (paper 1, Eqs. 5-8)"
    _labels: ClassVar[dict[str, str]] = {
        "U": "U = Tr[ρH] (total)",
        "U_A": "U_A = Tr[ρ_A Ĥ_A] (effective local energy)",
        "U_B": "U_B = Tr[ρ_B Ĥ_B] (effective local energy)",
        "U_chi": "U_χ = Tr[χV] (correlation energy)",
        "H_A_eff": "Ĥ_A (effective Hamiltonian, Eq. 5)",
        "H_B_eff": "Ĥ_B (effective Hamiltonian, Eq. 5)",
        "V_eff": "V̂ (effective interaction, Eq. 6)",
        "alpha_A": "α_A (share of Tr[V ρ_A⊗ρ_B] booked to A)",
        "U_local": "U_A + U_B = Tr[(ρ_A⊗ρ_B) H] (Eq. 7)",
    }
    _extra: ClassVar[tuple[str, ...]] = ("U_local",)

    def _scale(self) -> float:
        return max(abs(self.U), abs(self.U_A), abs(self.U_B), abs(self.U_chi))

    @property
    def U_local(self) -> float:
        """U_(x) = U_A + U_B = Tr[rho_A (x) rho_B H] (Eq. 7)."""
        return self.U_A + self.U_B

    @property
    def alpha_B(self) -> float:
        """alpha_B = 1 - alpha_A."""
        return 1.0 - self.alpha_A


def local_mean_field(
    V: np.ndarray, rho_A: np.ndarray, rho_B: np.ndarray, dims: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, float]:
    """Mean fields of V: (Tr_B[V (I (x) rho_B)], Tr_A[V (rho_A (x) I)], Tr[V rho_A (x) rho_B]).

    The first acts on A, the second on B; both are Hermitian for Hermitian V and states.
    """
    dA, dB = dims
    V4 = V.reshape(dA, dB, dA, dB)
    # (Tr_B[V (I x rho_B)])_{a a'} = sum_{b b'} V_{a b, a' b'} rho_B_{b' b}
    fA = np.einsum("abcd,db->ac", V4, rho_B)
    fB = np.einsum("abcd,ca->bd", V4, rho_A)
    v = float(np.einsum("ac,ca->", fA, rho_A).real)
    return fA, fB, v


def effective_hamiltonians(
    model: Bipartite, rho_A: Any, rho_B: Any, alpha_A: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Effective local Hamiltonians and interaction for marginals rho_A, rho_B (paper 1, Eq. 5-6).

    H^_A = H_A + Tr_B[V rho_B] - alpha_A Tr[V rho_A (x) rho_B] I_A,
    H^_B = H_B + Tr_A[V rho_A] - alpha_B Tr[V rho_A (x) rho_B] I_B,
    V^ = V - Tr_B[V rho_B] (x) I - I (x) Tr_A[V rho_A] + Tr[V rho_A (x) rho_B] I,
    with alpha_A + alpha_B = 1, so that H = H^_A (x) I + I (x) H^_B + V^.
    """
    _check_alpha(alpha_A)
    _check_bipartite(model)
    dA, dB = model.dims
    rA = density_matrix(rho_A, "rho_A", dA)
    rB = density_matrix(rho_B, "rho_B", dB)
    return _effective(model, rA, rB, alpha_A)


def _check_bipartite(model: Any) -> None:
    if not isinstance(model, Bipartite):
        raise ModelError(f"model: got {type(model).__name__}; expected a corrtherm.Bipartite")


def _check_alpha(alpha_A: float) -> None:
    finite_real(alpha_A, "alpha_A")


def _effective(model: Bipartite, rA: np.ndarray, rB: np.ndarray, alpha_A: float):
    dA, dB = model.dims
    fA, fB, v = local_mean_field(model.V, rA, rB, (dA, dB))
    HA_eff = model.H_A + fA - alpha_A * v * np.eye(dA)
    HB_eff = model.H_B + fB - (1.0 - alpha_A) * v * np.eye(dB)
    V_eff = model.V - np.kron(fA, np.eye(dB)) - np.kron(np.eye(dA), fB) + v * np.eye(dA * dB)
    return HA_eff, HB_eff, V_eff


def energy_ledger(model: Bipartite, rho: Any, alpha_A: float = 0.5) -> EnergyLedger:
    """Correlation-resolved energy ledger of ``rho`` (paper 1, Eqs. 5-8).

    U_A = Tr[rho_A H_A] + alpha_B v, U_B = Tr[rho_B H_B] + alpha_A v with
    v = Tr[V rho_A (x) rho_B], and U_chi = Tr[chi V] = U - Tr[rho_A (x) rho_B H].
    """
    _check_alpha(alpha_A)
    _check_bipartite(model)
    R = density_matrix(rho, "rho", model.d)
    dA, dB = model.dims
    rA, rB = _pt(R, dA, dB, "A"), _pt(R, dA, dB, "B")
    HA_eff, HB_eff, V_eff = _effective(model, rA, rB, alpha_A)
    chi = R - np.kron(rA, rB)
    U = float(np.einsum("ij,ji->", R, model.H).real)
    UA = float(np.einsum("ij,ji->", rA, HA_eff).real)
    UB = float(np.einsum("ij,ji->", rB, HB_eff).real)
    Uchi = float(np.einsum("ij,ji->", chi, model.V).real)
    return EnergyLedger(U, UA, UB, Uchi, HA_eff, HB_eff, V_eff, float(alpha_A))


def correlation_energy(model: Bipartite, rho: Any) -> float:
    """U_chi = Tr[chi V] (paper 1, Eq. 8).

    chi = rho - rho_A (x) rho_B; since Tr_A chi = Tr_B chi = 0, Tr[chi H] = Tr[chi V]: the part of
    the energy that only a global measurement sees. Equal to :func:`energy_ledger`'s ``U_chi``.
    """
    return energy_ledger(model, rho).U_chi
