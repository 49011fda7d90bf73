"""Benchmark of corrtherm sweeps: throughput, parallel efficiency and per-point overhead.

Model: the default scenario preset (paper 1 two qubits, open GKLS dynamics), swept over
``g`` x ``c``. One command::

    python bench/bench_sweep.py                 # 10,000 points, efficiency on 1,000
    python bench/bench_sweep.py --points 2500 --subset 400   # quicker

Measured in one run, on this machine as it is (load average printed):

1. bare loop: the point function called in a loop in this process (``--bare`` points);
2. 1-worker and 2-worker LocalCluster sweeps of the same ``--subset`` points
   -> parallel efficiency = throughput(2) / (2 x throughput(1));
3. the full ``--points`` sweep on ``--workers`` workers (default: all cores) -> throughput,
   and the overhead ratio of scheduler + store against the physics:
   (workers x sweep time - sum of worker-side point times) / sum of point times,
   plus the same against the bare-loop time per point.

Cluster start-up is excluded (timing runs from the first submission to the last write).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _grid(n: int) -> list[str]:
    """An n-point g x c grid inside the admissible correlation interval of the preset."""
    ng = max(1, int(round(math.sqrt(n))))
    while n % ng:
        ng -= 1
    nc = n // ng
    return [f"g=0.05:0.5:{ng}", f"c=-0.05:0.05:{nc}"] if nc > 1 else [f"g=0.05:0.5:{ng}"]


def _sweep(fn, store: Path, grid: list[str], workers: int, label: str):
    from distributed import Client, LocalCluster

    from corrtherm.sweeps import open_sweep, run_sweep

    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        # warm the workers (imports, first-call caches) so they are not timed
        client.run(lambda: __import__("corrtherm.scenarios"))
        res = run_sweep(fn, store=store, grid=grid, client=client, progress=sys.stderr.isatty())
    ds = open_sweep(store)
    physics = float(np.nansum(ds["wall_time"].values))
    print(
        f"  {label}: {res.computed} points in {res.compute_time:.1f} s "
        f"({res.points_per_second:.2f} pt/s), failed {res.failed}, "
        f"store writes {res.store_time:.2f} s",
        flush=True,
    )
    return res, physics


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=10_000, help="points of the full sweep")
    ap.add_argument("--subset", type=int, default=1_000, help="points for 1-vs-2 workers")
    ap.add_argument("--bare", type=int, default=200, help="points of the bare loop")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--skip-efficiency", action="store_true")
    args = ap.parse_args()

    from corrtherm import __version__
    from corrtherm.scenarios import DEFAULT_PRESET, load_preset
    from corrtherm.sweeps import ScenarioPoint, make_spec

    scen = load_preset(DEFAULT_PRESET)
    fn = ScenarioPoint(scen)
    print(
        f"corrtherm {__version__}; model: preset {DEFAULT_PRESET!r} (two qubits, open "
        f"dynamics); {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}"
    )

    # 1. bare loop over the first points of the subset grid
    table = make_spec(grid=_grid(args.subset)).point_table()
    fn({"g": 0.2, "c": 0.01})  # warm-up (imports, caches)
    times = []
    for row in table[: args.bare]:
        t0 = time.perf_counter()
        fn({"g": float(row[0]), "c": float(row[1]) if len(row) > 1 else 0.0})
        times.append(time.perf_counter() - t0)
    t_bare = statistics.median(times)
    print(
        f"  bare loop: {len(times)} points, median {t_bare * 1e3:.1f} ms/point, "
        f"mean {statistics.fmean(times) * 1e3:.1f} ms/point",
        flush=True,
    )

    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        rows = []
        eff = math.nan
        if not args.skip_efficiency:
            r1, _ = _sweep(fn, Path(tmp, "w1.zarr"), _grid(args.subset), 1, "1 worker ")
            r2, _ = _sweep(fn, Path(tmp, "w2.zarr"), _grid(args.subset), 2, "2 workers")
            eff = r2.points_per_second / (2 * r1.points_per_second)
            rows += [
                ("subset, 1 worker", r1.computed, r1.points_per_second, ""),
                ("subset, 2 workers", r2.computed, r2.points_per_second, f"efficiency {eff:.0%}"),
            ]
        rf, physics = _sweep(
            fn,
            Path(tmp, "full.zarr"),
            _grid(args.points),
            args.workers,
            f"full, {args.workers} workers",
        )
        core_s = args.workers * rf.compute_time
        overhead = (core_s - physics) / physics
        per_point = core_s / rf.computed
        rows.append(
            (
                f"full, {args.workers} workers",
                rf.computed,
                rf.points_per_second,
                f"overhead {overhead:.1%}",
            )
        )

    print()
    print(f"| {'run':<22} | {'points':>7} | {'points/s':>9} | {'note':<20} |")
    print(f"|{'-' * 24}|{'-' * 9}|{'-' * 11}|{'-' * 22}|")
    for name, n, pps, note in rows:
        print(f"| {name:<22} | {n:>7} | {pps:>9.2f} | {note:<20} |")
    print()
    print(f"bare point function        : {t_bare * 1e3:8.2f} ms/point (median, this process)")
    print(f"worker-side point time     : {physics / rf.computed * 1e3:8.2f} ms/point (mean)")
    print(f"sweep cost (cores x time)  : {per_point * 1e3:8.2f} core-ms/point")
    print(f"overhead vs worker physics : {overhead:8.1%}  (scheduler + transfer + driver)")
    print(f"sweep cost / bare loop     : {per_point / t_bare:8.2f}")
    print(
        f"store writes (driver)      : {rf.store_time:8.2f} s = "
        f"{rf.store_time / rf.compute_time:.1%} of the sweep wall time"
    )
    print(f"parallel efficiency 2 vs 1 : {eff:8.1%}")
    print(f"load average after         : {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
