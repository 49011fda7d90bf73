"""corrtherm vs QuTiP on the thermal-chain workload, in one run on the same machine.

usage (from the repository root):
    python bench/thermal_chain.py --sites 8 --times 200
    python bench/thermal_chain.py --sites 10 --times 200 --qutip-timeout 180 --qutip-mem-gb 6
    python bench/thermal_chain.py --sites 12 --times 20 --skip-qutip
    add --evolve to also time the public corrtherm.evolve(method="ode") (issue 3) on the same
    workload (third subprocess, own row and agreement check).

Each side runs in its own subprocess, one after the other (never concurrently): wall time of
the process, peak resident memory of that process (``os.wait4`` rusage ``ru_maxrss``) and the
side's own build/solve/post timings. QuTiP is capped (address-space limit and timeout) so it
cannot eat the machine. Both sides save U_chi(t) and I_AB(t) at every time; they must agree to
``--tol`` (1e-6) at every saved time. One JSON line per run is appended to
``bench/results/local/thermal_chain.jsonl`` (git-ignored, with the saved arrays and profiles):
running a benchmark never modifies a tracked file. ``bench/results/thermal_chain.jsonl`` is the
curated, tracked copy of the runs quoted in bench/README.md (copy lines there by hand).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
#: Where runs write (git-ignored); bench/results/ itself holds the curated, tracked copies.
RESULTS_DIR = HERE / "results" / "local"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_side(cmd: list[str], timeout: float | None, mem_gb: float | None) -> dict:
    """Run ``cmd``; return wall time, peak RSS (MB), exit status, parsed JSON line."""

    def limits() -> None:
        os.setpgrp()
        if mem_gb:
            cap = int(mem_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limits, text=True
    )
    status = "ok"
    while True:
        pid, st, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if timeout and time.perf_counter() - t0 > timeout:
            os.killpg(proc.pid, signal.SIGKILL)
            pid, st, ru = os.wait4(proc.pid, 0)
            status = f"killed after {timeout:.0f} s timeout"
            break
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(st)
    out, err = proc.stdout.read(), proc.stderr.read()
    info = {}
    for line in out.splitlines():
        if line.startswith("{"):
            info = json.loads(line)
    if status == "ok" and proc.returncode != 0:
        tail = (err.strip().splitlines() or ["?"])[-1]
        status = f"failed (exit {proc.returncode}): {tail[:120]}"
    return {"wall_s": wall, "peak_MB": ru.ru_maxrss / 1024.0, "status": status, **info}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sites", type=int, default=8)
    p.add_argument("--times", type=int, default=200)
    p.add_argument("--tol", type=float, default=1e-6)
    p.add_argument("--skip-qutip", action="store_true")
    p.add_argument(
        "--qutip-timeout",
        type=float,
        default=None,
        help="seconds (default: none for n <= 8, 180 s above)",
    )
    p.add_argument(
        "--qutip-mem-gb",
        type=float,
        default=None,
        help="address-space cap (default 12 GB for n <= 8, 6 GB above)",
    )
    p.add_argument("--method", default="auto")
    p.add_argument("--dense", action="store_true", help="corrtherm without sector storage")
    p.add_argument("--blas-threads", default=None, help="corrtherm BLAS threads (int or auto)")
    p.add_argument("--profile", action="store_true", help="pyinstrument the corrtherm solve")
    p.add_argument(
        "--evolve",
        action="store_true",
        help='also run corrtherm.evolve(method="ode") (issue 3) on the workload',
    )
    a = p.parse_args()
    n, nt = a.sites, a.times
    big = n > 8
    tq = a.qutip_timeout if a.qutip_timeout is not None else (180.0 if big else None)
    mq = a.qutip_mem_gb if a.qutip_mem_gb is not None else (6.0 if big else 12.0)
    res_dir = RESULTS_DIR
    res_dir.mkdir(parents=True, exist_ok=True)
    c_out, q_out = res_dir / f"corrtherm_n{n}_t{nt}.npz", res_dir / f"qutip_n{n}_t{nt}.npz"
    load0 = load_average()
    print(
        f"thermal chain n = {n}, d = {2**n}, {nt} times; load average before: {load0}", flush=True
    )
    cmd = [
        sys.executable,
        "_corrtherm_side.py",
        str(n),
        str(nt),
        str(c_out),
        "--method",
        a.method,
    ]
    cmd += ["--profile"] if a.profile else []
    cmd += ["--dense"] if a.dense else []
    cmd += ["--blas-threads", a.blas_threads] if a.blas_threads else []
    c = run_side(cmd, None, None)
    print(f"  corrtherm: {c['status']}, {c['wall_s']:.2f} s, {c['peak_MB']:.0f} MB", flush=True)
    e = None
    e_out = res_dir / f"evolve_n{n}_t{nt}.npz"
    if a.evolve:
        cmd = [
            sys.executable,
            "_corrtherm_side.py",
            str(n),
            str(nt),
            str(e_out),
            "--driver",
            "evolve",
        ]
        cmd += ["--blas-threads", a.blas_threads] if a.blas_threads else []
        e = run_side(cmd, None, None)
        print(f"  ct.evolve: {e['status']}, {e['wall_s']:.2f} s, {e['peak_MB']:.0f} MB", flush=True)
    q = None
    if not a.skip_qutip:
        cmd = [sys.executable, "_qutip_side.py", str(n), str(nt), str(q_out)]
        q = run_side(cmd, tq, mq)
        print(f"  qutip:     {q['status']}, {q['wall_s']:.2f} s, {q['peak_MB']:.0f} MB", flush=True)
    load1 = load_average()
    agree = agree_e = None

    def compare(x_out, y_out):
        xz, yz = np.load(x_out), np.load(y_out)
        r = {
            "max_dU_chi": float(np.max(np.abs(xz["U_chi"] - yz["U_chi"]))),
            "max_dI_AB": float(np.max(np.abs(xz["I_AB"] - yz["I_AB"]))),
        }
        r["ok"] = max(r["max_dU_chi"], r["max_dI_AB"]) <= a.tol
        return r

    if q is not None and q["status"] == "ok" and c["status"] == "ok":
        agree = compare(c_out, q_out)
    if e is not None and e["status"] == "ok":
        if q is not None and q["status"] == "ok":
            agree_e = compare(e_out, q_out)
        elif c["status"] == "ok":
            agree_e = compare(e_out, c_out)
    # ---- table
    hdr = (
        f"{'n':>3} {'d':>5} {'tool':10} {'wall s':>9} {'peak MB':>9} {'solve s':>8} "
        f"{'post s':>8}  status"
    )
    print("\n" + hdr + "\n" + "-" * len(hdr))
    for name, r in (("corrtherm", c), ("ct.evolve", e), ("qutip", q)):
        if r is None:
            continue
        print(
            f"{n:>3} {2**n:>5} {name:10} {r['wall_s']:>9.2f} {r['peak_MB']:>9.0f} "
            f"{r.get('solve_s', float('nan')):>8.2f} {r.get('post_s', float('nan')):>8.2f}"
            f"  {r['status']}"
        )
    if q is not None and q["status"] == "ok" and c["status"] == "ok":
        print(
            f"ratio qutip/corrtherm: wall {q['wall_s'] / c['wall_s']:.1f}x, "
            f"solve+post {(q['solve_s'] + q['post_s']) / (c['solve_s'] + c['post_s']):.1f}x; "
            f"memory corrtherm/qutip {c['peak_MB'] / q['peak_MB']:.3f}"
        )
        if e is not None and e["status"] == "ok":
            print(
                f"ratio qutip/ct.evolve: wall {q['wall_s'] / e['wall_s']:.1f}x; "
                f"memory ct.evolve/qutip {e['peak_MB'] / q['peak_MB']:.3f}"
            )
    for label, ag in (
        ("corrtherm vs qutip", agree),
        ("ct.evolve vs " + ("qutip" if agree else "corrtherm"), agree_e),
    ):
        if ag is not None:
            print(
                f"agreement {label} over all {nt} times: max|dU_chi| = "
                f"{ag['max_dU_chi']:.2e}, max|dI_AB| = {ag['max_dI_AB']:.2e} -> "
                f"{'OK' if ag['ok'] else 'FAIL'} (tol {a.tol:g})"
            )
    print(
        f"load average before/after: {load0} / {load1}; corrtherm {c.get('method')}, n_rhs = "
        f"{c.get('n_rhs')}, n_steps = {c.get('n_steps')}, storage {c.get('storage')}"
    )
    with open(res_dir / "thermal_chain.jsonl", "a") as fh:
        fh.write(
            json.dumps(
                {
                    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "n": n,
                    "d": 2**n,
                    "n_times": nt,
                    "load_before": load0,
                    "load_after": load1,
                    "corrtherm": c,
                    "evolve": e,
                    "qutip": q,
                    "agreement": agree,
                    "agreement_evolve": agree_e,
                }
            )
            + "\n"
        )
    if any(ag is not None and not ag["ok"] for ag in (agree, agree_e)):
        sys.exit(1)


if __name__ == "__main__":
    main()
