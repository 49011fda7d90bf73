"""QuTiP side of the thermal-chain benchmark (run in its own process by thermal_chain.py).

Executes the reference workload of ``../shared/bench/thermal_chain_qutip.py`` (its ``chain``
and ``thermal_jumps`` are imported from that file, the rest of its ``main`` is repeated
verbatim) and additionally keeps U_chi(t) and I_AB(t) at every saved time.

usage: python _qutip_side.py N_SITES N_TIMES OUT.npz [--reference PATH]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

import numpy as np


def shared_reference(name: str) -> Path:
    """``shared/bench/<name>`` in the nearest ancestor directory that has it (the repository
    may be a worktree at any depth below /work)."""
    for parent in Path(__file__).resolve().parents:
        cand = parent / "shared" / "bench" / name
        if cand.exists():
            return cand
    return Path(__file__).resolve().parents[2] / "shared" / "bench" / name


DEFAULT_REF = shared_reference("thermal_chain_qutip.py")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("n", type=int)
    p.add_argument("nt", type=int)
    p.add_argument("out")
    p.add_argument("--reference", default=str(DEFAULT_REF))
    a = p.parse_args()
    spec = importlib.util.spec_from_file_location("thermal_chain_qutip", a.reference)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    import qutip as qt

    n, nt = a.n, a.nt
    na = n // 2
    nb = n - na
    HA, HB = ref.chain(na), ref.chain(nb)
    dA, dB = 2**na, 2**nb
    sm = qt.destroy(2)
    a_last = qt.tensor([qt.qeye(2)] * (na - 1) + [sm]) if na > 1 else sm
    b_first = qt.tensor([sm] + [qt.qeye(2)] * (nb - 1)) if nb > 1 else sm
    V = qt.tensor(a_last.dag(), b_first) + qt.tensor(a_last, b_first.dag())
    IA, IB = qt.qeye(HA.dims[0]), qt.qeye(HB.dims[0])
    H = qt.tensor(HA, IB) + qt.tensor(IA, HB) + V
    bA, bB = 0.5, 2.0
    t0 = time.perf_counter()
    c_ops = [
        qt.tensor(qt.Qobj(o, dims=HA.dims).to("csr"), IB.to("csr")).to("csr")
        for o in ref.thermal_jumps(HA, bA)
    ]
    c_ops += [
        qt.tensor(IA.to("csr"), qt.Qobj(o, dims=HB.dims).to("csr")).to("csr")
        for o in ref.thermal_jumps(HB, bB)
    ]
    H = H.to("csr")
    piA = (-bA * HA).expm()
    piA = piA / piA.tr()
    piB = (-bB * HB).expm()
    piB = piB / piB.tr()
    rho0 = qt.tensor(piA, piB)
    psi = (
        qt.tensor(qt.basis(HA.dims[0], [0] * na), qt.basis(HB.dims[0], [1] * nb))
        + qt.tensor(qt.basis(HA.dims[0], [1] * na), qt.basis(HB.dims[0], [0] * nb))
    ).unit()
    rho0 = 0.8 * rho0 + 0.2 * psi * psi.dag()
    t_build = time.perf_counter() - t0
    times = np.linspace(0, 10, nt)
    t1 = time.perf_counter()
    res = qt.mesolve(
        H, rho0, times, c_ops, options={"atol": 1e-10, "rtol": 1e-8, "store_states": True}
    )
    t_solve = time.perf_counter() - t1
    t2 = time.perf_counter()
    UX, Iab = [], []
    for rho in res.states:
        rA, rB = rho.ptrace(list(range(na))), rho.ptrace(list(range(na, n)))
        prod = qt.tensor(rA, rB)
        UX.append(qt.expect(H, rho) - qt.expect(H, prod))
        Iab.append(qt.entropy_mutual(rho, list(range(na)), list(range(na, n))))
    t_post = time.perf_counter() - t2
    np.savez(a.out, times=times, U_chi=np.array(UX), I_AB=np.array(Iab))
    print(
        json.dumps(
            {
                "anchor": "qutip",
                "version": qt.__version__,
                "n_sites": n,
                "d": dA * dB,
                "n_jumps": len(c_ops),
                "n_times": nt,
                "build_s": round(t_build, 3),
                "solve_s": round(t_solve, 3),
                "post_s": round(t_post, 3),
                "total_s": round(t_build + t_solve + t_post, 3),
                "U_chi_final": float(UX[-1]),
                "I_final": float(Iab[-1]),
            }
        )
    )


if __name__ == "__main__":
    main()
