"""Each lever of the large-d open evolution, switched on and off in separate processes.

usage (from the repository root):
    python bench/levers.py --sites 10 --times 200
    python bench/levers.py --sites 12 --times 20 --skip scipy-dense dense-DOP853

Variants (``_corrtherm_side.py`` driver "generator", the thermal-chain workload): storage
(sector blocks / one dense block of d^2 entries) x integrator (own DOP853 that lands on save
times / scipy's DOP853 with dense output / the 4-vector CK45). Prints wall time, peak memory,
RHS count and the split solve / ledger, with ratios to the default (sectors + DOP853); the
U_chi(t), I_AB(t) of every variant must agree with the default to 1e-6 (the QuTiP check's tolerance). Raw results:
bench/results/local/levers.jsonl (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from thermal_chain import RESULTS_DIR, load_average, run_side

HERE = Path(__file__).resolve().parent
VARIANTS = {
    "sectors-DOP853": ("DOP853", False),
    "sectors-scipy": ("scipy-DOP853", False),
    "sectors-CK45": ("CK45", False),
    "dense-DOP853": ("DOP853", True),
    "dense-CK45": ("CK45", True),
    "scipy-dense": ("scipy-DOP853", True),
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sites", type=int, default=10)
    p.add_argument("--times", type=int, default=200)
    p.add_argument("--skip", nargs="*", default=[], choices=list(VARIANTS))
    p.add_argument("--mem-gb", type=float, default=14.0, help="address-space cap per variant")
    a = p.parse_args()
    raw = RESULTS_DIR
    raw.mkdir(parents=True, exist_ok=True)
    n, nt = a.sites, a.times
    load0 = load_average()
    print(f"levers, n = {n} (d = {2**n}), {nt} saves; load average before: {load0}", flush=True)
    rows = {}
    for name, (method, dense) in VARIANTS.items():
        if name in a.skip:
            continue
        out = raw / f"levers_{name}_n{n}_t{nt}.npz"
        cmd = [sys.executable, "_corrtherm_side.py", str(n), str(nt), str(out), "--method", method]
        r = run_side(cmd + (["--dense"] if dense else []), None, a.mem_gb)
        r["out"] = str(out)
        rows[name] = r
        print(f"  {name:15s} {r['status']}, {r['wall_s']:.1f} s, {r['peak_MB']:.0f} MB", flush=True)
    load1 = load_average()
    base = rows.get("sectors-DOP853")
    hdr = (
        f"{'variant':15} {'wall s':>8} {'x base':>7} {'peak MB':>8} {'x base':>7} "
        f"{'n_rhs':>6} {'steps':>6} {'solve s':>8} {'ledger s':>8}  agreement"
    )
    print("\n" + hdr + "\n" + "-" * len(hdr))
    for name, r in rows.items():
        ok = r["status"] == "ok"
        agree = ""
        if ok and base is not None and base["status"] == "ok":
            x, y = np.load(r["out"]), np.load(base["out"])
            dev = max(float(np.max(np.abs(x[k] - y[k]))) for k in ("U_chi", "I_AB"))
            agree = f"{dev:.1e} {'OK' if dev <= 1e-6 else 'FAIL'}"
        rb = base if base is not None and base["status"] == "ok" else r
        print(
            f"{name:15} {r['wall_s']:>8.1f} {r['wall_s'] / rb['wall_s']:>7.2f} "
            f"{r['peak_MB']:>8.0f} {r['peak_MB'] / rb['peak_MB']:>7.2f} "
            f"{r.get('n_rhs') or 0:>6} {r.get('n_steps') or 0:>6} "
            f"{r.get('solve_s', float('nan')):>8.1f} {r.get('post_s', float('nan')):>8.1f}  "
            f"{agree if ok else r['status']}"
        )
    print(f"load average before/after: {load0} / {load1}")
    with open(raw / "levers.jsonl", "a") as fh:
        fh.write(
            json.dumps(
                {
                    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "n": n,
                    "n_times": nt,
                    "load_before": load0,
                    "load_after": load1,
                    "rows": rows,
                }
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
