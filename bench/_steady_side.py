"""One side of the steady-state benchmark (run in its own process by steady_chain.py).

usage: python _steady_side.py {corrtherm,qutip} N_SITES OUT.npz [--repeat R]

corrtherm: ``corrtherm.steady_state(Bipartite(H_A, H_B, V), jumps_A, jumps_B)`` on the workload
of workload.py (the public call: the Krylov path above d = 32). qutip: the build and
``qutip.steadystate(H, c_ops)`` (method "direct", CSR jumps) of the reference script
``../shared/bench/thermal_chain_qutip_steady.py``, imported from that file. Both time build +
solve, like the reference; R repeats give a median. The currents J_X = Tr[H L_X[rho]] (full H)
and rho are saved for the agreement check; prints one JSON line.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time

import numpy as np
from _qutip_side import shared_reference


def corrtherm_side(n: int) -> tuple[float, np.ndarray, float, float, str]:
    import workload

    from corrtherm import Bipartite, steady_state
    from corrtherm.open.generator import LocalGenerator

    t0 = time.perf_counter()
    w = workload.build(n, 2)
    model = Bipartite(w.HA, w.HB, w.V)
    rep = steady_state(model, w.jumps_A, w.jumps_B)
    wall = time.perf_counter() - t0
    gen = LocalGenerator(model, w.jumps_A, w.jumps_B)  # currents, not timed
    JA, JB = gen.currents(gen.to_internal(rep.rho))
    return wall, rep.rho, JA, JB, rep.method


def qutip_side(n: int) -> tuple[float, np.ndarray, float, float, str]:
    path = shared_reference("thermal_chain_qutip_steady.py")
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location("thermal_chain_qutip_steady", path)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    import qutip as qt

    t0 = time.perf_counter()
    H, c_ops, _ = ref.build(n)
    rho = qt.steadystate(H, c_ops, method="direct")
    wall = time.perf_counter() - t0

    def cur(ops):  # verbatim from the reference script
        return float(
            sum(
                qt.expect(H, L * rho * L.dag() - 0.5 * (L.dag() * L * rho + rho * L.dag() * L))
                for L in ops
            ).real
        )

    nA = len(c_ops) // 2
    return wall, rho.full(), cur(c_ops[:nA]), cur(c_ops[nA:]), "qutip.steadystate direct"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("tool", choices=("corrtherm", "qutip"))
    p.add_argument("n", type=int)
    p.add_argument("out")
    p.add_argument("--repeat", type=int, default=1)
    a = p.parse_args()
    run = corrtherm_side if a.tool == "corrtherm" else qutip_side
    walls = []
    for _ in range(a.repeat):
        wall, rho, JA, JB, how = run(a.n)
        walls.append(wall)
    np.savez(a.out, rho=rho)
    print(
        json.dumps(
            {
                "tool": a.tool,
                "n_sites": a.n,
                "d": rho.shape[0],
                "walls_s": [round(x, 4) for x in walls],
                "median_s": float(np.median(walls)),
                "J_A": JA,
                "J_B": JB,
                "trace": float(np.trace(rho).real),
                "method": how,
            }
        )
    )


if __name__ == "__main__":
    main()
