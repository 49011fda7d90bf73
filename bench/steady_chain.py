"""Steady state of the thermal-chain workload: corrtherm vs qutip.steadystate, in one run.

usage (from the repository root):
    python bench/steady_chain.py                       # n = 6, 8 with QuTiP; n = 10 corrtherm only
    python bench/steady_chain.py --sites 6 8 10 12 --qutip-max 8 --repeat 5

Each (tool, n) runs in its own subprocess (``_steady_side.py``), one after the other: wall time
of build + solve (median of the repeats inside the process; QuTiP runs once above n = 6, where
one solve takes minutes), peak resident memory of the process. The run fails (exit 1) unless
corrtherm's rho agrees with QuTiP's to 1e-8 (max |entry|) and J_A, J_B to 1e-9. Raw results are
appended to bench/results/local/steady_chain.jsonl (git-ignored); curated copies are kept in
bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from thermal_chain import RESULTS_DIR, load_average, run_side

HERE = Path(__file__).resolve().parent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sites", type=int, nargs="+", default=[6, 8, 10])
    p.add_argument("--qutip-max", type=int, default=8, help="largest n run with QuTiP")
    p.add_argument("--repeat", type=int, default=5, help="corrtherm repeats (median)")
    p.add_argument("--qutip-mem-gb", type=float, default=12.0)
    p.add_argument("--qutip-timeout", type=float, default=1800.0)
    p.add_argument(
        "--qutip-blas-threads",
        default="1",
        help="OPENBLAS_NUM_THREADS of the QuTiP process (default 1: with two threads next to "
        "other processes SuperLU's BLAS calls busy-wait; n = 8 took over 20 min instead of 4)",
    )
    p.add_argument("--rho-tol", type=float, default=1e-8)
    p.add_argument("--j-tol", type=float, default=1e-9)
    a = p.parse_args()
    raw = RESULTS_DIR
    raw.mkdir(parents=True, exist_ok=True)
    load0 = load_average()
    print(f"steady-state benchmark, sites {a.sites}; load average before: {load0}", flush=True)
    rows, failed = [], False
    threads_env = os.environ.get("OPENBLAS_NUM_THREADS")
    for n in a.sites:
        c_out, q_out = raw / f"steady_corrtherm_n{n}.npz", raw / f"steady_qutip_n{n}.npz"
        c = run_side(
            [
                sys.executable,
                "_steady_side.py",
                "corrtherm",
                str(n),
                str(c_out),
                "--repeat",
                str(a.repeat),
            ],
            None,
            None,
        )
        print(
            f"  n = {n} corrtherm: {c['status']}, {c.get('median_s', float('nan')):.3f} s, "
            f"{c['peak_MB']:.0f} MB",
            flush=True,
        )
        q = None
        if n <= a.qutip_max:
            rq = str(3 if n <= 6 else 1)
            os.environ["OPENBLAS_NUM_THREADS"] = a.qutip_blas_threads  # inherited by the side
            try:
                q = run_side(
                    [
                        sys.executable,
                        "_steady_side.py",
                        "qutip",
                        str(n),
                        str(q_out),
                        "--repeat",
                        rq,
                    ],
                    a.qutip_timeout,
                    a.qutip_mem_gb,
                )
            finally:
                if threads_env is None:
                    os.environ.pop("OPENBLAS_NUM_THREADS", None)
                else:
                    os.environ["OPENBLAS_NUM_THREADS"] = threads_env
            print(
                f"  n = {n} qutip:     {q['status']}, {q.get('median_s', float('nan')):.3f} s, "
                f"{q['peak_MB']:.0f} MB",
                flush=True,
            )
        agree = None
        if q is not None and q["status"] == "ok" and c["status"] == "ok":
            rc, rq_ = np.load(c_out)["rho"], np.load(q_out)["rho"]
            agree = {
                "max_drho": float(np.max(np.abs(rc - rq_))),
                "dJ_A": abs(c["J_A"] - q["J_A"]),
                "dJ_B": abs(c["J_B"] - q["J_B"]),
            }
            agree["ok"] = (
                agree["max_drho"] <= a.rho_tol and max(agree["dJ_A"], agree["dJ_B"]) <= a.j_tol
            )
            failed |= not agree["ok"]
        failed |= c["status"] != "ok"
        rows.append((n, c, q, agree))
    load1 = load_average()
    hdr = (
        f"{'n':>3} {'d':>5} {'tool':10} {'median s':>9} {'runs':>5} {'peak MB':>8} "
        f"{'J_A':>14} {'J_B':>14}  status"
    )
    print("\n" + hdr + "\n" + "-" * len(hdr))
    for n, c, q, _ in rows:
        for name, r in (("corrtherm", c), ("qutip", q)):
            if r is None:
                continue
            print(
                f"{n:>3} {2**n:>5} {name:10} {r.get('median_s', float('nan')):>9.3f} "
                f"{len(r.get('walls_s', [])):>5} {r['peak_MB']:>8.0f} "
                f"{r.get('J_A', float('nan')):>14.10f} {r.get('J_B', float('nan')):>14.10f}  {r['status']}"
            )
    print()
    for n, c, q, ag in rows:
        if ag is None:
            continue
        print(
            f"n = {n}: qutip/corrtherm time {q['median_s'] / c['median_s']:.1f}x, memory "
            f"corrtherm/qutip {c['peak_MB'] / q['peak_MB']:.3f}; max|drho| = {ag['max_drho']:.1e}, "
            f"|dJ_A| = {ag['dJ_A']:.1e}, |dJ_B| = {ag['dJ_B']:.1e} -> {'OK' if ag['ok'] else 'FAIL'}"
        )
    for n, c, _, _ in rows:
        print(f"n = {n} corrtherm method: {c.get('method')}")
    print(f"load average before/after: {load0} / {load1}")
    with open(raw / "steady_chain.jsonl", "a") as fh:
        for n, c, q, ag in rows:
            fh.write(
                json.dumps(
                    {
                        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "n": n,
                        "load_before": load0,
                        "load_after": load1,
                        "corrtherm": c,
                        "qutip": q,
                        "agreement": ag,
                    }
                )
                + "\n"
            )
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
