"""Where the time goes in one right-hand-side evaluation, against the memory-bandwidth limit.

usage: python bench/rhs_profile.py [--sites 8 10 12] [--repeat 11] [--dense-max 10]

Bandwidth: median time of ``np.copyto(b, a)`` on a 256 MB array (bytes read + written / s).
Limit: one RHS must at least read rho once and write L[rho] once, 32 bytes per stored complex
entry; "x stream" = time / that. Both storages of :meth:`LocalGenerator.sector_operator` are
profiled: sector blocks (default) and one dense block of d^2 entries (``--dense-max`` sites at
most). The V part's floating-point operations are counted from the block plan (real products
of the float64 view where the Schmidt factors are real).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import workload


def median_time(fn, repeat: int) -> float:
    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def bandwidth(repeat: int = 7) -> float:
    a = np.ones(2**25)  # 256 MB
    b = np.empty_like(a)
    return 2 * a.nbytes / median_time(lambda: np.copyto(b, a), repeat)


def v_flops(op) -> float:
    """Real floating-point operations of one V product over all stored blocks."""
    total = 0.0
    for c, c2 in op.layout.blocks:
        m = int(op.layout.sizes[c2])
        plan = op._plan[c]
        if isinstance(plan, np.ndarray):
            s = plan.shape[0]
            total += (4.0 if plan.dtype == float else 8.0) * s * s * m
            continue
        for t in plan:
            macs = t.r * (t.nA * t.nB * t.mB + t.mA * t.nA * t.mB) * m
            total += (4.0 if t.real else 8.0) * macs
    return total


def profile(n: int, bw: float, repeat: int, dense: bool) -> dict:
    from corrtherm import Bipartite
    from corrtherm.open.generator import LocalGenerator

    w = workload.build(n, 2)
    gen = LocalGenerator(Bipartite(w.HA, w.HB, w.V), w.jumps_A, w.jumps_B)
    rho = gen.to_internal(w.rho0)
    op = gen.sector_operator(rho, structured=not dense)
    x = op.layout.from_dense(rho)
    del rho
    out, work = np.empty_like(x), np.empty_like(x)
    Y = op.apply_V(x)
    parts = {
        "whole RHS": lambda: op.rhs_hermitian(x, out, work),
        "D o rho": lambda: np.multiply(op.D, x, out=out),
        "V rho (Schmidt blocks)": lambda: op.apply_V(x, work),
        "-i(Y - Y^dag) per block": lambda: op._add_commutator_hermitian(Y, out),
        "rate sandwiches A+B": lambda: op._add_rates(x, out),
    }
    times = {k: median_time(f, repeat) for k, f in parts.items()}
    stream = 32 * op.n / bw
    fl = v_flops(op)
    label = "dense d^2" if dense else f"{len(op.layout.blocks)} sector blocks"
    print(
        f"\nn = {n}, d = {gen.d}, storage {label}: {op.n} entries "
        f"({op.layout.stored_fraction:.1%} of d^2), V product {fl / 1e9:.2f} GFLOP"
    )
    print(f"  streaming limit (32 B per entry): {stream * 1e3:9.3f} ms")
    for k, t in times.items():
        extra = f", {fl / t / 1e9:5.1f} GFLOP/s" if k.startswith("V rho") else ""
        print(f"  {k:28s} {t * 1e3:9.3f} ms  ({t / stream:6.1f} x stream{extra})")
    return {
        "n": n,
        "d": gen.d,
        "storage": label,
        "entries": op.n,
        "stream_ms": stream * 1e3,
        "V_GFLOP": fl / 1e9,
        **{k: t * 1e3 for k, t in times.items()},
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sites", type=int, nargs="+", default=[8, 10])
    p.add_argument("--repeat", type=int, default=11)
    p.add_argument("--dense-max", type=int, default=10)
    a = p.parse_args()
    bw = bandwidth()
    print(f"memory bandwidth (numpy copy, read+write): {bw / 1e9:.2f} GB/s")
    rows = []
    for n in a.sites:
        rows.append(profile(n, bw, a.repeat, dense=False))
        if n <= a.dense_max:
            rows.append(profile(n, bw, max(3, a.repeat // 3), dense=True))
    print(json.dumps({"bandwidth_GBs": bw / 1e9, "rows": rows}))


if __name__ == "__main__":
    main()
