"""corrtherm side of the thermal-chain benchmark (run in its own process by thermal_chain.py).

usage: python _corrtherm_side.py N_SITES N_TIMES OUT.npz [--driver generator|evolve]
           [--method auto|DOP853|CK45|RK45|scipy-DOP853] [--dense] [--blas-threads N|auto]
           [--profile]
Prints one JSON line with timings; saves U_chi(t), I_AB(t) (and the rest of the ledger).

driver "generator": ``LocalGenerator.propagate`` with the ledger from
``LocalGenerator.observables`` at every saved time (what this benchmark optimises; the state
arrives in sector storage when both baths are thermal); driver "evolve": the public
``corrtherm.evolve(..., method="ode")``, which drives the same generator and adds its own full
ledger / heat-split bookkeeping. ``--dense``: one block of all d^2 entries (no sectors), the
lever measured in bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import workload


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("n", type=int)
    p.add_argument("n_times", type=int)
    p.add_argument("out")
    p.add_argument("--method", default="auto")
    p.add_argument("--driver", choices=("generator", "evolve"), default="generator")
    p.add_argument("--dense", action="store_true", help="no sector storage")
    p.add_argument("--blas-threads", default=None, help="int or 'auto' (default: policy, 1)")
    p.add_argument("--profile", action="store_true", help="pyinstrument the solve")
    a = p.parse_args()
    t0 = time.perf_counter()
    from corrtherm import Bipartite
    from corrtherm.open.generator import LocalGenerator

    w = workload.build(a.n, a.n_times)
    keys = ("U", "U_A", "U_B", "U_chi", "E_A", "E_B", "S", "S_A", "S_B", "I_AB")
    rec = {k: np.zeros(w.times.size) for k in (*keys, "Q_A", "Q_B")}
    t_obs = [0.0]
    gen = None
    if a.driver == "generator":
        gen = LocalGenerator(Bipartite(w.HA, w.HB, w.V), w.jumps_A, w.jumps_B)
        rho0 = gen.to_internal(w.rho0)
    t_build = time.perf_counter() - t0

    def on_save(i, rho, qa, qb):
        ts = time.perf_counter()
        obs = gen.observables(rho)
        for k in keys:
            rec[k][i] = obs[k]
        rec["Q_A"][i], rec["Q_B"][i] = qa, qb
        t_obs[0] += time.perf_counter() - ts

    prof = None
    if a.profile:
        from pyinstrument import Profiler

        prof = Profiler(interval=0.002)
        prof.start()
    t1 = time.perf_counter()
    if a.driver == "evolve":
        from corrtherm import evolve

        ds = evolve(
            Bipartite(w.HA, w.HB, w.V),
            w.rho0,
            w.times,
            w.jumps_A,
            w.jumps_B,
            method="ode",
            rtol=workload.RTOL,
            atol=workload.ATOL,
            blas_threads=a.blas_threads,
        )
        for k in (*keys, "Q_A", "Q_B"):
            rec[k][:] = ds[k].values
        stats = {k: ds.attrs.get(k) for k in ("method", "n_rhs", "n_steps", "storage")}
        t_obs[0] = float("nan")
    else:
        stats = gen.propagate(
            rho0,
            w.times,
            rtol=workload.RTOL,
            atol=workload.ATOL,
            on_save=on_save,
            method=a.method,
            structured=not a.dense,
            blas_threads=a.blas_threads,
        )
    t_total = time.perf_counter() - t1
    if prof is not None:
        prof.stop()
        with open(a.out.replace(".npz", "_profile.txt"), "w") as fh:
            fh.write(prof.output_text(unicode=False, color=False))
    np.savez(a.out, times=w.times, **rec)
    post = t_obs[0] if t_obs[0] == t_obs[0] else 0.0
    print(
        json.dumps(
            {
                "anchor": "corrtherm",
                "driver": a.driver,
                "n_sites": a.n,
                "d": 2**a.n,
                "n_times": a.n_times,
                "method": stats.get("method"),
                "n_rhs": stats.get("n_rhs"),
                "n_steps": stats.get("n_steps"),
                "n_rejected": stats.get("n_rejected"),
                "storage": stats.get("storage"),
                "blas_threads": stats.get("blas_threads"),
                "build_s": round(t_build, 3),
                "solve_s": round(t_total - post, 3),
                "post_s": round(t_obs[0], 3),
                "total_s": round(t_build + t_total, 3),
                "U_chi_final": float(rec["U_chi"][-1]),
                "I_final": float(rec["I_AB"][-1]),
            }
        )
    )


if __name__ == "__main__":
    main()
