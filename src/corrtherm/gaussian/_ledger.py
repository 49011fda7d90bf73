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

from ..core.metadata import annotate as _annotate
from .information import Reference, block_entropy
from .model import FreeModel

#: comment of D_A, D_B when they are relative to the initial marginals (no flow analysis)
D_INITIAL = "D(rho_{X}(t) || rho_{X}(0)), closed form for Gaussian states"


def annotate(ds: xr.Dataset, *, initial_reference: bool = False) -> xr.Dataset:
    """CF ``units``/``long_name``/``comment`` from :mod:`corrtherm.core.metadata`; D_A, D_B are
    relabelled when they are relative to the initial marginals rather than thermal states."""
    _annotate(ds)
    if initial_reference:
        for side in ("A", "B"):
            name = f"D_{side}"
            if name in ds:
                ds[name].attrs["long_name"] = f"relative entropy of {side} to its initial state"
                ds[name].attrs["comment"] = D_INITIAL.format(X=side)
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
        ds = xr.Dataset(data, coords={"time": times}, attrs=out_attrs)
        return annotate(ds, initial_reference=True)
