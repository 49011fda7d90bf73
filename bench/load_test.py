"""BLAS threads under load: corrtherm's runs alone and next to a busy process, 1 vs 2 threads.

usage (from the repository root):
    python bench/load_test.py                    # all workloads, 3 repeats (median)
    python bench/load_test.py --work eigvalsh steady10 --repeat 5

Workloads, each timed inside its own subprocess (``_load_side.py``): ``eigvalsh`` (numpy,
1000 x 1000 complex Hermitian: the raw BLAS effect), ``steady10`` (corrtherm.steady_state at
n = 10, d = 1024), ``evolve10`` (the n = 10 thermal-chain evolution, 20 saves, engine path).
Threads: corrtherm's policy sets its hot loops to CORRTHERM_BLAS_THREADS (default 1); the
"2 threads" rows set CORRTHERM_BLAS_THREADS=2 and OPENBLAS_NUM_THREADS=2 (numpy's own calls
follow OPENBLAS_NUM_THREADS). Load: a second process ``python -c "while True: pass"`` runs
during the "busy" rows and is stopped afterwards (by its pid). Raw results:
bench/results/local/load_test.jsonl (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from thermal_chain import RESULTS_DIR, load_average

HERE = Path(__file__).resolve().parent


def run(work: str, threads: int) -> float:
    env = dict(os.environ)
    env.update(
        {
            "CORRTHERM_BLAS_THREADS": str(threads),
            "OPENBLAS_NUM_THREADS": str(threads),
            "OMP_NUM_THREADS": str(threads),
            "MKL_NUM_THREADS": str(threads),
        }
    )
    out = subprocess.run(
        [sys.executable, "_load_side.py", work],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["wall_s"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--work", nargs="+", default=["eigvalsh", "steady10", "evolve10"])
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    load0 = load_average()
    print(f"load test, {os.cpu_count()} cores; load average before: {load0}", flush=True)
    res = {}
    for busy in (False, True):
        spinner = None
        if busy:
            spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            time.sleep(1.0)
        try:
            for work in a.work:
                for threads in (1, 2):
                    ts = [run(work, threads) for _ in range(a.repeat)]
                    res[(work, threads, busy)] = ts
                    print(
                        f"  {work:9s} threads={threads} {'busy' if busy else 'alone':5s} "
                        f"median {np.median(ts):8.2f} s  {ts}",
                        flush=True,
                    )
        finally:
            if spinner is not None:
                spinner.kill()
                spinner.wait()
    load1 = load_average()
    hdr = (
        f"{'workload':10} {'1 thr alone':>12} {'2 thr alone':>12} {'1 thr busy':>11} "
        f"{'2 thr busy':>11} {'busy/alone 1':>13} {'busy/alone 2':>13}"
    )
    print("\n" + hdr + "\n" + "-" * len(hdr))
    for work in a.work:
        m = {k: float(np.median(v)) for k, v in res.items() if k[0] == work}
        print(
            f"{work:10} {m[(work, 1, False)]:>12.2f} {m[(work, 2, False)]:>12.2f} "
            f"{m[(work, 1, True)]:>11.2f} {m[(work, 2, True)]:>11.2f} "
            f"{m[(work, 1, True)] / m[(work, 1, False)]:>13.2f} "
            f"{m[(work, 2, True)] / m[(work, 2, False)]:>13.2f}"
        )
    print(f"medians of {a.repeat} runs (s); load average before/after: {load0} / {load1}")
    raw = RESULTS_DIR
    raw.mkdir(parents=True, exist_ok=True)
    with open(raw / "load_test.jsonl", "a") as fh:
        fh.write(
            json.dumps(
                {
                    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "load_before": load0,
                    "load_after": load1,
                    "runs": {
                        f"{w}|{t}|{'busy' if b else 'alone'}": v for (w, t, b), v in res.items()
                    },
                }
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
