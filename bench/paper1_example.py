"""Paper 1's two-qubit example with 10,000 saved times through corrtherm.evolve (exact path).

usage: python bench/paper1_example.py [--times 10000] [--repeat 5]

H_A = w_A sz, H_B = w_B sz, V = g sz (x) sz, jumps sqrt(g0) e^{-+beta w/2} s+/s- on each qubit
(the preset ``paper1-two-qubits``: w_A = 1, w_B = 0.5, g = 0.2, beta_A = 0.5, beta_B = 1,
c = 0.05, g0 = 1), rho0 = pi_A (x) pi_B + c sz (x) sz, t in [0, 2]. Reports the median wall time
of ``evolve`` (target < 0.2 s) and checks Delta U_chi(t) = 4 g c (e^{-lambda t} - 1),
lambda = g0 (2 cosh(beta_A w_A) + 2 cosh(beta_B w_B)), at every saved time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

import numpy as np


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--times", type=int, default=10_000)
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    import corrtherm as ct

    wA, wB, g, bA, bB, c, g0 = 1.0, 0.5, 0.2, 0.5, 1.0, 0.05, 1.0
    sz, sp, sm = ct.sigma_z(), ct.sigma_plus(), ct.sigma_minus()
    model = ct.Bipartite(wA * sz, wB * sz, g * np.kron(sz, sz))

    def gibbs(H, beta):
        w = np.exp(-beta * np.diag(H).real)
        return np.diag(w / w.sum()).astype(complex)

    rho0 = np.kron(gibbs(wA * sz, bA), gibbs(wB * sz, bB)) + c * np.kron(sz, sz)
    jA = [math.sqrt(g0) * math.exp(-bA * wA / 2) * sp, math.sqrt(g0) * math.exp(bA * wA / 2) * sm]
    jB = [math.sqrt(g0) * math.exp(-bB * wB / 2) * sp, math.sqrt(g0) * math.exp(bB * wB / 2) * sm]
    times = np.linspace(0.0, 2.0, a.times)
    ts, ts_fast = [], []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        ds = ct.evolve(model, rho0, times, jA, jB)
        ts.append(time.perf_counter() - t0)
        # the same ledger without the Remark's entropy-based heat/work split (an extra analysis
        # that diagonalizes rho on a refined grid): the exact propagator and ledger alone
        t0 = time.perf_counter()
        ds_fast = ct.evolve(model, rho0, times, jA, jB, entropic_split=False)
        ts_fast.append(time.perf_counter() - t0)
    lam = g0 * (2 * math.cosh(bA * wA) + 2 * math.cosh(bB * wB))
    dU = ds["U_chi"].values - ds["U_chi"].values[0]
    err = float(np.max(np.abs(dU - 4 * g * c * (np.exp(-lam * times) - 1))))
    dU_fast = ds_fast["U_chi"].values - ds_fast["U_chi"].values[0]
    err = max(err, float(np.max(np.abs(dU_fast - 4 * g * c * (np.exp(-lam * times) - 1)))))
    print(
        json.dumps(
            {
                "bench": "paper1_two_qubits",
                "n_times": a.times,
                "method": ds.attrs.get("method"),
                "median_s": round(float(np.median(ts)), 4),
                "min_s": round(min(ts), 4),
                "all_s": [round(x, 4) for x in ts],
                "median_s_without_entropic_split": round(float(np.median(ts_fast)), 4),
                "max_err_closed_form": err,
                "target_s": 0.2,
                "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            }
        )
    )


if __name__ == "__main__":
    main()
