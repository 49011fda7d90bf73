"""One workload of load_test.py, timed inside this process; prints {"wall_s": ...}."""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import workload


def main() -> None:
    work = sys.argv[1]
    if work == "eigvalsh":
        rng = np.random.default_rng(0)
        X = rng.standard_normal((1000, 1000)) + 1j * rng.standard_normal((1000, 1000))
        X = X + X.conj().T
        t0 = time.perf_counter()
        np.linalg.eigvalsh(X)
    elif work == "steady10":
        from corrtherm import Bipartite, steady_state

        w = workload.build(10, 2)
        t0 = time.perf_counter()
        steady_state(Bipartite(w.HA, w.HB, w.V), w.jumps_A, w.jumps_B)
    elif work == "evolve10":
        from corrtherm import Bipartite
        from corrtherm.open.generator import LocalGenerator

        w = workload.build(10, 20)
        t0 = time.perf_counter()
        gen = LocalGenerator(Bipartite(w.HA, w.HB, w.V), w.jumps_A, w.jumps_B)
        gen.propagate(
            gen.to_internal(w.rho0),
            w.times,
            rtol=workload.RTOL,
            atol=workload.ATOL,
            on_save=lambda i, r, qa, qb: gen.observables(r),
        )
    else:
        raise SystemExit(f"unknown workload {work!r}")
    print(json.dumps({"work": work, "wall_s": time.perf_counter() - t0}))


if __name__ == "__main__":
    main()
