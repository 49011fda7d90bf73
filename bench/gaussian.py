"""Benchmark of the free-particle (Gaussian) engine, corrtherm.gaussian (issue 14).

usage (from the repository root):
    python bench/gaussian.py                    # all cases, each in its own subprocess
    python bench/gaussian.py --threads 1        # one BLAS thread per process
    python bench/gaussian.py --case iso --L 1000 --times 200   # one case, prints one JSON line

Cases (200 saved times each):
- iso:  L = 1000 (500 + 500) fermions, two chains joined at one bond, locally thermal halves with
        exchange correlations, isolated, full ledger incl. S_A, S_B, I_AB, D_A, D_B and the flow
        analysis of inequality (26). Targets: < 60 s, < 1 GB.
- open: L = 200 (100 + 100), both sides with local baths, open, full ledger incl. currents,
        their exact time integrals and the entropy production. Target: < 5 s.
- dense-iso / dense-open: the same physics at small L with the dense engine
        (corrtherm.evolve_isolated + flow_dataset; corrtherm.evolve) and with the Gaussian engine
        in the same process, for a ratio; the two must agree (N_A, I_AB, J_A) to 1e-8.

Each case also times one complex L x L matrix product (median of 3) in its own process, the
"L^3 matrix-product limit": a save time cannot cost much less than a few such products. Wall
time = the case's compute (imports excluded); peak memory = ru_maxrss of the subprocess.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def _matmul_time(L: int) -> float:
    import numpy as np

    rng = np.random.default_rng(0)
    A = rng.standard_normal((L, L)) + 1j * rng.standard_normal((L, L))
    ts = []
    for _ in range(3):
        t = time.perf_counter()
        A @ A
        ts.append(time.perf_counter() - t)
    return sorted(ts)[1]


def _junction(L: int, beta=1.0, mu=(0.5, -0.5)):
    import corrtherm.gaussian as g

    m = g.two_chains(L // 2, L - L // 2, hopping=1.0, coupling=0.5)
    X = g.exchange_correlation(m, beta, beta, *mu)
    return m, g.locally_thermal_correlation(m, beta, beta, *mu, X, 0.9)


def case_iso(L: int, n: int) -> dict:
    import numpy as np

    import corrtherm.gaussian as g

    m, C0 = _junction(L)
    t = np.linspace(0.0, 0.4 * L, n)
    t0 = time.perf_counter()
    ds = g.evolve(m, C0, t, beta_A=1.0, beta_B=1.0, mu_A=0.5, mu_B=-0.5)
    wall = time.perf_counter() - t0
    return {
        "wall_s": wall,
        "DeltaN_A": float(ds.DeltaN_A[-1]),
        "identity_residual": float(np.max(np.abs(ds.identity_residual.values))),
    }


def case_open(L: int, n: int) -> dict:
    import numpy as np

    import corrtherm.gaussian as g

    m, C0 = _junction(L)
    t = np.linspace(0.0, 50.0, n)
    baths = {"bath_A": g.LocalBath(0.5, 0.5, 0.2), "bath_B": g.LocalBath(2.0, -0.5, 0.2)}
    t0 = time.perf_counter()
    ds = g.evolve(m, C0, t, **baths)
    wall = time.perf_counter() - t0
    return {
        "wall_s": wall,
        "J_A": float(ds.J_A[-1]),
        "energy_balance": float(ds.attrs["residual_energy_balance"]),
        "method": ds.attrs["method"],
    }


def case_dense_iso(L: int, n: int) -> dict:
    import numpy as np

    import corrtherm as ct
    import corrtherm.gaussian as g

    m, C0 = _junction(L)
    t = np.linspace(0.0, 0.4 * L, n)
    t0 = time.perf_counter()
    gs = g.evolve(m, C0, t, beta_A=1.0, beta_B=1.0, mu_A=0.5, mu_B=-0.5)
    t_gauss = time.perf_counter() - t0
    dm, rho0 = g.to_dense_model(m), g.to_dense_state(m, C0)
    t0 = time.perf_counter()
    dd = ct.flow_dataset(dm, ct.evolve_isolated(dm, rho0, t), 1.0, 1.0, 0.5, -0.5)
    t_dense = time.perf_counter() - t0
    err = max(float(np.max(np.abs(gs[k].values - dd[k].values))) for k in ("N_A", "I_AB", "slack"))
    return {"wall_s": t_dense, "gaussian_s": t_gauss, "ratio": t_dense / t_gauss, "max_dev": err}


def case_dense_open(L: int, n: int) -> dict:
    import numpy as np

    import corrtherm as ct
    import corrtherm.gaussian as g

    m, C0 = _junction(L)
    t = np.linspace(0.0, 20.0, n)
    bA, bB = g.LocalBath(0.5, 0.5, 0.2), g.LocalBath(2.0, -0.5, 0.2)
    t0 = time.perf_counter()
    gs = g.evolve(m, C0, t, bath_A=bA, bath_B=bB)
    t_gauss = time.perf_counter() - t0
    dm, rho0 = g.to_dense_model(m), g.to_dense_state(m, C0)
    jA, jB = g.dense_jumps(m, bA, bB)
    t0 = time.perf_counter()
    dd = ct.evolve(dm, rho0, t, jA, jB, rtol=1e-10, atol=1e-12)
    t_dense = time.perf_counter() - t0
    err = max(float(np.max(np.abs(gs[k].values - dd[k].values))) for k in ("N_A", "I_AB", "J_A"))
    return {
        "wall_s": t_dense,
        "gaussian_s": t_gauss,
        "ratio": t_dense / t_gauss,
        "max_dev": err,
        "dense_method": dd.attrs["method"],
    }


CASES = {"iso": case_iso, "open": case_open, "dense-iso": case_dense_iso}
CASES["dense-open"] = case_dense_open
DEFAULTS = [("iso", 1000, 200), ("open", 200, 200), ("dense-iso", 10, 200), ("dense-open", 8, 200)]


def run_one(case: str, L: int, n: int) -> dict:
    import resource

    out = CASES[case](L, n)
    out.update(
        case=case,
        L=L,
        times=n,
        matmul_s=_matmul_time(L if not case.startswith("dense") else 2**L),
        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        threads=os.environ.get("OPENBLAS_NUM_THREADS", "default"),
    )
    if not case.startswith("dense"):
        out["per_save_s"] = out["wall_s"] / n
        out["per_save_in_matmuls"] = out["per_save_s"] / out["matmul_s"]
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--case", choices=sorted(CASES))
    p.add_argument("--L", type=int)
    p.add_argument("--times", type=int, default=200)
    p.add_argument("--threads", type=int, help="BLAS threads of each case's process")
    a = p.parse_args()
    if a.case:
        print(json.dumps(run_one(a.case, a.L, a.times)))
        return
    env = dict(os.environ)
    if a.threads:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(a.threads)
    print(f"load average before: {os.getloadavg()}")
    rows = []
    for case, L, n in DEFAULTS:
        cmd = [sys.executable, __file__, "--case", case, "--L", str(L), "--times", str(n)]
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
        r = rows[-1]
        if case.startswith("dense"):
            print(
                f"{case:10s} L={L:4d}: dense {r['wall_s']:.3f} s, gaussian {r['gaussian_s']:.4f} s"
                f" -> ratio {r['ratio']:.0f}x; max deviation {r['max_dev']:.1e}; "
                f"peak {r['peak_mb']:.0f} MB"
            )
        else:
            print(
                f"{case:10s} L={L:4d}: {r['wall_s']:.2f} s for {n} saves, {r['peak_mb']:.0f} MB "
                f"peak; {1e3 * r['per_save_s']:.1f} ms/save = {r['per_save_in_matmuls']:.2f} x "
                f"one complex L^3 product ({1e3 * r['matmul_s']:.1f} ms)"
            )
    print(f"load average after: {os.getloadavg()}; BLAS threads: {rows[0]['threads']}")
    os.makedirs("bench/results/local", exist_ok=True)
    with open("bench/results/local/gaussian.jsonl", "a") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
