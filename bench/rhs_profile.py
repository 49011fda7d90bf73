"""Where the time goes in one right-hand-side evaluation, against the memory-bandwidth limit.

usage: python bench/rhs_profile.py [--sites 8 10] [--repeat 15]

Bandwidth: median time of ``np.copyto(b, a)`` on a 256 MB array (bytes read + written / s).
Limit: one RHS must at least read rho once and write L[rho] once (2 d^2 complex = 32 d^2
bytes); the ratio below is median RHS time / that streaming time.
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
    t = median_time(lambda: np.copyto(b, a), repeat)
    return 2 * a.nbytes / t


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sites", type=int, nargs="+", default=[8, 10])
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument(
        "--generic-max-sites",
        type=int,
        default=8,
        help="time the generic (non-thermal) path only up to this many sites",
    )
    a = p.parse_args()
    bw = bandwidth()
    print(f"memory bandwidth (numpy copy, read+write): {bw / 1e9:.2f} GB/s")
    for n in a.sites:
        profile_sites(n, bw, a)


def profile_sites(n: int, bw: float, a: argparse.Namespace) -> None:
    """Print the per-part RHS timings and the lever table for n sites."""
    from corrtherm import Bipartite
    from corrtherm.open._kernels import _add_antihermitian_part
    from corrtherm.open.generator import LocalGenerator

    w = workload.build(n, 2)
    gen = LocalGenerator(Bipartite(w.HA, w.HB, w.V), w.jumps_A, w.jumps_B)
    d = gen.d
    rho = np.ascontiguousarray(gen.to_internal(w.rho0))
    out = np.empty_like(rho)
    D = gen._diag_factor()
    hA, hB = gen.heat_operators()
    hc = np.ascontiguousarray(np.stack([hA.ravel(), hB.ravel()]).conj())
    X = gen._M.apply(rho)
    dA, dB = gen.dims
    parts = {
        "rhs total (hot path)": lambda: gen._rhs_hermitian(rho, out),
        "  D o rho (H0 + dephasing)": lambda: np.multiply(D, rho, out=out),
        "  V rho (Schmidt, 2 BLAS-3)": lambda: gen._M.apply(rho),
        "  out += -i(X - X^dag) (slabs)": lambda: _add_antihermitian_part(X, out),
        "  same, plain X.conj().T": lambda: (
            np.add(out, -1j * X, out=out),
            np.add(out, 1j * X.conj().T, out=out),
        ),
        "  rate-matrix sandwiches A+B": lambda: (
            gen._add_rate("A", gen._A.R, rho, out),
            gen._add_rate("B", gen._B.R, rho, out),
        ),
        "heat currents (one gemv)": lambda: hc @ rho.ravel(),
    }
    times = {k: median_time(f, a.repeat) for k, f in parts.items()}
    stream = 32 * d * d / bw
    flops = 2 * 2 * gen.schmidt_rank * (dA + dB) * d * d * (1 if gen._M.real else 2)
    print(f"\nn = {n}, d = {d}, Schmidt rank {gen.schmidt_rank}, real BLAS {gen._M.real}")
    print(f"  streaming limit (read rho + write out, 32 d^2 B): {stream * 1e3:8.3f} ms")
    print(f"  V rho: {flops / 1e9:.3f} GFLOP real arithmetic")
    for k, t in times.items():
        print(f"  {k:34s} {t * 1e3:8.3f} ms   ({t / stream:5.1f} x streaming limit)")
    levers = lever_times(gen, w, rho, a.repeat, n <= a.generic_max_sites)
    for k, t in levers.items():
        print(
            f"  lever off: {k:40s} {t * 1e3:8.3f} ms per RHS "
            f"({t / times['rhs total (hot path)']:.1f}x the hot path)"
        )
    print(
        json.dumps(
            {
                "n": n,
                "d": d,
                "bandwidth_GBs": bw / 1e9,
                "stream_ms": stream * 1e3,
                **{k.strip(): t * 1e3 for k, t in times.items()},
                **{"without " + k: t * 1e3 for k, t in levers.items()},
            }
        )
    )


def lever_times(gen, w, rho, repeat: int, generic: bool) -> dict[str, float]:
    """RHS time with one lever switched off at a time (same state, same generator otherwise)."""
    import corrtherm.open._kernels as kern
    import corrtherm.open.generator as st
    from corrtherm import Bipartite

    out = np.empty_like(rho)
    res = {}
    M = gen._M
    # 1. complex BLAS instead of the real-view gemm for real Schmidt factors
    M.real = False
    res["real-arithmetic BLAS for real V factors"] = median_time(
        lambda: gen._rhs_hermitian(rho, out), repeat
    )
    M.real = True
    # 2. numpy's strided X.conj().T instead of the slab-wise anti-Hermitian part
    orig = st._add_antihermitian_part
    st._add_antihermitian_part = lambda X, o: (
        np.add(o, -1j * X, out=o),
        np.add(o, 1j * X.conj().T, out=o),
    )
    res["slab-wise X - X^dag"] = median_time(lambda: gen._rhs_hermitian(rho, out), repeat)
    st._add_antihermitian_part = orig
    # 3. dense V' rho (one d x d x d gemm) instead of the operator-Schmidt form
    Vd = gen.model.V

    def dense_v():
        gen._rhs_hermitian(rho, out)  # everything else as usual, then the V part densely
        X = Vd @ rho
        orig(X, out)

    Mr, gen._M.r = gen._M.r, 0
    res["operator-Schmidt V (dense V rho instead)"] = median_time(dense_v, max(3, repeat // 5))
    gen._M.r = Mr
    # 4. the generic path (identity basis, jumps one by one / local superoperator)
    if generic:
        keep = kern._is_thermal
        kern._is_thermal = lambda jumps: False
        try:
            g2 = st.LocalGenerator(Bipartite(w.HA, w.HB, w.V), w.jumps_A, w.jumps_B)
        finally:
            kern._is_thermal = keep
        r2 = np.ascontiguousarray(g2.to_internal(w.rho0))
        o2 = np.empty_like(r2)
        res["thermal eigenbasis (generic path instead)"] = median_time(
            lambda: g2._rhs_hermitian(r2, o2), max(3, repeat // 5)
        )
    return res


if __name__ == "__main__":
    main()
