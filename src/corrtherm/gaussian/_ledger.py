"""The time-series ledger of a Gaussian trajectory, with the dense engine's variable names.

For a quadratic hopping V = sum t_ab c_a^dag c_b + h.c. and gauge-invariant Gaussian marginals
(<c> = 0, number conserving), the mean-field terms of paper 1's effective Hamiltonians vanish:
Tr_B[V rho_B] = sum t_ab c_a^dag <c_b> + h.c. = 0 and v = Tr[V rho_A (x) rho_B] = 0. (For
fermions in the Jordan-Wigner representation of the dense engine this holds too: the marginals
are parity-even and every term of V is odd on each side.) Hence, exactly,

    U_A = E_A = Tr[h_A G_AA],  U_B = E_B,  U_chi = E_V = <V> = U - E_A - E_B,

with G = C^T the one-body density matrix, and U = U_A + U_B + U_chi with no residual beyond
round-off. Entropies come from the spectra of G and of its diagonal blocks.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..isolated.flows import FLOW_DESCRIPTIONS
from .information import Reference, block_entropy
from .model import FreeModel

_E, _N, _S = "energy", "particles", "nats"
_INTO = "(positive INTO the system)"
#: units and long_name of every variable a Gaussian trajectory can carry
VARIABLES: dict[str, tuple[str, str]] = {
    "U": (_E, "total energy <H> = Tr[h G]"),
    "U_A": (_E, "U_A = Tr[rho_A H^_A] = E_A (v = Tr[V rho_A (x) rho_B] = 0 for Gaussian states)"),
    "U_B": (_E, "U_B = Tr[rho_B H^_B] = E_B (v = 0)"),
    "U_chi": (_E, "correlation energy U_chi = Tr[chi V] = <V> (paper 1, Eq. 8)"),
    "E_A": (_E, "bare local energy Tr[rho_A H_A]"),
    "E_B": (_E, "bare local energy Tr[rho_B H_B]"),
    "E_V": (_E, "interaction energy <V>"),
    "N_A": (_N, "particle number of A, Tr[C_AA]"),
    "N_B": (_N, "particle number of B, Tr[C_BB]"),
    "S": (_S, "von Neumann entropy of the whole system"),
    "S_A": (_S, "von Neumann entropy of A"),
    "S_B": (_S, "von Neumann entropy of B"),
    "I_AB": (_S, "mutual information I(A:B) = S_A + S_B - S"),
    "D_A": (_S, "D(rho_A(t) || rho_A(0))"),
    "D_B": (_S, "D(rho_B(t) || rho_B(0))"),
    "J_A": ("energy / time", f"heat current Tr[H L_A[rho]] from bath A {_INTO}"),
    "J_B": ("energy / time", f"heat current Tr[H L_B[rho]] from bath B {_INTO}"),
    "J_A_local": ("energy / time", f"local heat current Tr[H_A L_A[rho]] from bath A {_INTO}"),
    "J_B_local": ("energy / time", f"local heat current Tr[H_B L_B[rho]] from bath B {_INTO}"),
    "I_A": ("particles / time", f"particle current Tr[N L_A[rho]] from bath A {_INTO}"),
    "I_B": ("particles / time", f"particle current Tr[N L_B[rho]] from bath B {_INTO}"),
    "Q_A": (_E, "heat received from bath A since t0, int J_A dt"),
    "Q_B": (_E, "heat received from bath B since t0, int J_B dt"),
    "N_in_A": (_N, "particles received from bath A since t0, int I_A dt"),
    "N_in_B": (_N, "particles received from bath B since t0, int I_B dt"),
    "sigma": (
        "nats / time",
        "entropy production rate dS/dt - sum_X beta_X (J_X - mu_X I_X) (>= 0 unless the local "
        "approach misbooks work as heat)",
    ),
    "sigma_local": (
        "nats / time",
        "entropy production rate in the local accounting dS/dt - sum_X beta_X "
        "(J_X_local - mu_X I_X)",
    ),
    "Sigma": (_S, "entropy produced since t0: Delta S - sum_X beta_X (Q_X - mu_X N_in_X)"),
    "C": ("1", "correlation matrix C_ij = <c_i^dag c_j>"),
}
_FLOW_UNITS = {
    "DeltaE_A": _E,
    "DeltaE_B": _E,
    "DeltaN_A": _N,
    "DeltaN_B": _N,
    "energy_drift": _E,
    "number_drift": _N,
    "particle_flow": "1",
    "energy_flow": "1",
    "requires_correlation_decrease": "1",
}


def annotate(ds: xr.Dataset) -> xr.Dataset:
    """Give every variable ``units`` and ``long_name`` (CF style)."""
    for name in ds.data_vars:
        if name in VARIABLES:
            units, long_name = VARIABLES[name]
        elif name in FLOW_DESCRIPTIONS:
            units, long_name = _FLOW_UNITS.get(name, _S), FLOW_DESCRIPTIONS[name]
        else:  # pragma: no cover - every variable is listed above
            continue
        ds[name].attrs.update({"units": units, "long_name": long_name})
    return ds


class Series:
    """Accumulates the block quantities of a trajectory, one save time at a time.

    ``refs`` = (reference of A, reference of B) for D_A, D_B (:class:`Reference`), in the G
    convention of the blocks handed to :meth:`add_blocks`.
    """

    def __init__(self, model: FreeModel, n: int, refs: tuple[Reference, Reference]) -> None:
        self.model, self.n, self.refs = model, n, refs
        names = ("U", "E_A", "E_B", "N_A", "N_B", "S", "S_A", "S_B", "D_A", "D_B")
        self.cols = {k: np.zeros(n) for k in names}
        self._hA_T = np.ascontiguousarray(model.h_A.T)
        self._hB_T = np.ascontiguousarray(model.h_B.T)

    def add_blocks(self, k: int, GA: np.ndarray, GB: np.ndarray) -> None:
        c, stat = self.cols, self.model.statistics
        c["E_A"][k] = float(np.sum(GA * self._hA_T).real)
        c["E_B"][k] = float(np.sum(GB * self._hB_T).real)
        c["N_A"][k] = float(np.trace(GA).real)
        c["N_B"][k] = float(np.trace(GB).real)
        c["S_A"][k] = SA = block_entropy(GA, stat)
        c["S_B"][k] = SB = block_entropy(GB, stat)
        c["D_A"][k] = self.refs[0](GA, SA)
        c["D_B"][k] = self.refs[1](GB, SB)

    def dataset(self, times: np.ndarray, extra: dict[str, np.ndarray], attrs: dict) -> xr.Dataset:
        c = self.cols
        E_V = c["U"] - c["E_A"] - c["E_B"]
        var = {
            "U": c["U"],
            "U_A": c["E_A"],
            "U_B": c["E_B"],
            "U_chi": E_V,
            "E_A": c["E_A"],
            "E_B": c["E_B"],
            "E_V": E_V,
            "N_A": c["N_A"],
            "N_B": c["N_B"],
            "S": c["S"],
            "S_A": c["S_A"],
            "S_B": c["S_B"],
            "I_AB": np.maximum(0.0, c["S_A"] + c["S_B"] - c["S"]),
            "D_A": c["D_A"],
            "D_B": c["D_B"],
        }
        data = {k: ("time", v) for k, v in var.items()}
        for k, v in extra.items():
            data[k] = v if isinstance(v, tuple) else ("time", v)
        m = self.model
        out_attrs = {
            "engine": "gaussian",
            "statistics": m.statistics,
            "modes": [m.L_A, m.L_B],
            "residual_ledger": float(np.max(np.abs(c["U"] - c["E_A"] - c["E_B"] - E_V))),
        }
        out_attrs.update(attrs)
        return annotate(xr.Dataset(data, coords={"time": times}, attrs=out_attrs))
