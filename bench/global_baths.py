"""Global (Davies) baths on the thermal-chain model: corrtherm's sparse eigenbasis generator vs
QuTiP ``mesolve`` with the same Davies jumps, in one run on the same machine.

usage (from the repository root):
    python bench/global_baths.py --sites 4 6
    python bench/global_baths.py --sites 8 --skip-qutip

The model is ``bench/workload.py``'s XX chain (non-uniform fields: a generic spectrum, so the
Davies construction gives ~d^2 jump operators). Each bath couples through sx on the outer site
of its half (A: first site, B: last site), ohmic rates gamma0 = 0.1, beta_A = 0.5, beta_B = 2.
corrtherm: ``davies_bath`` + ``evolve(method="ode")`` (FullGenerator: single-entry jumps as one
rate matrix in the eigenbasis of H). QuTiP: the dense ``davies_jumps`` as CSR collapse
operators. Both integrate to t = 10 with 21 saved times at rtol 1e-8, atol 1e-10 and must
agree on the heat current J_A(t) to 1e-6. Timings are wall clock of this process (one after
the other, never concurrently); the load average is printed: compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import build  # noqa: E402

import corrtherm as ct  # noqa: E402


def bath_coupling(n_half: int, site: int) -> np.ndarray:
    out = np.ones((1, 1))
    for k in range(n_half):
        out = np.kron(out, ct.sigma_x() if k == site else np.eye(2))
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sites", type=int, nargs="+", default=[4, 6])
    p.add_argument("--skip-qutip", action="store_true")
    a = p.parse_args()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for n in a.sites:
        w = build(n, 21)
        model = ct.Bipartite(w.HA, w.HB, w.V)
        na, nb = n // 2, n - n // 2
        SA, SB = bath_coupling(na, 0), bath_coupling(nb, nb - 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            t0 = time.perf_counter()
            bA = ct.davies_bath(model, SA, "A", 0.5, "ohmic", 0.1)
            bB = ct.davies_bath(model, SB, "B", 2.0, "ohmic", 0.1)
            t_build = time.perf_counter() - t0
            t0 = time.perf_counter()
            ds = ct.evolve(
                model,
                w.rho0,
                w.times,
                bA,
                bB,
                method="ode",
                beta_A=0.5,
                beta_B=2.0,
                entropic_split=False,
            )
            t_ct = time.perf_counter() - t0
        row = (
            f"n = {n} (d = {model.d}): {len(bA) + len(bB)} Davies jumps; corrtherm build "
            f"{t_build:.2f} s, evolve {t_ct:.2f} s ({ds.attrs['n_rhs']} rhs), "
            f"second law {ds.attrs['second_law']}"
        )
        if not a.skip_qutip:
            import qutip as qt

            t0 = time.perf_counter()
            c_ops = [
                qt.Qobj(L).to("csr")
                for L in ct.davies_jumps(model, SA, "A", 0.5, "ohmic", 0.1)
                + ct.davies_jumps(model, SB, "B", 2.0, "ohmic", 0.1)
            ]
            opts = {"atol": 1e-10, "rtol": 1e-8, "store_states": True}
            res = qt.mesolve(qt.Qobj(model.H), qt.Qobj(w.rho0), w.times, c_ops, options=opts)
            t_qt = time.perf_counter() - t0
            JA = np.array([np.trace(model.H @ bA.apply(s.full())).real for s in res.states])
            err = float(np.max(np.abs(JA - ds["J_A"].values)))
            row += f"; QuTiP mesolve {t_qt:.2f} s ({t_qt / t_ct:.1f}x), max |dJ_A| {err:.1e}"
        print(row, flush=True)


if __name__ == "__main__":
    main()
