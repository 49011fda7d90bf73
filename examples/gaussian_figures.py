"""The README's figures of the free-particle engine (corrtherm.gaussian); ~1-2 min on 2 cores.

    python examples/gaussian_figures.py            # writes docs/img/gaussian-*.png

1. gaussian-anomalous.png: two fermionic reservoirs of 100 + 100 modes (chains joined at one
   bond), both grand-canonical at beta = 1 with mu_A = 0.5 > mu_B = -0.5, correlated by
   c X (corrtherm.gaussian.exchange_correlation). With c > 0 particles flow into A, uphill,
   and inequality (26), -beta (mu_A - mu_B) DeltaN_A >= DeltaI_AB, is paid for by the drop
   of the mutual information; with c <= 0 the flow is conventional.
2. gaussian-double-dot.png: a double quantum dot (levels 0, 0, hopping g) between two leads,
   particle current vs g / Gamma from the local, global (Davies) and Redfield master
   equations, the exact dynamics with leads of N modes, and the continuum (Landauer) limit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import corrtherm.gaussian as g
from corrtherm.gaussian.compare import compare_with_master_equations

OUT = Path(__file__).resolve().parents[1] / "docs" / "img"


def anomalous(path: Path) -> None:
    m = g.two_chains(100, 100, hopping=1.0, coupling=0.5)
    beta, mA, mB = 1.0, 0.5, -0.5
    X = g.exchange_correlation(m, beta, beta, mA, mB)
    t = np.linspace(0.0, 80.0, 161)
    fig = Figure(figsize=(9.6, 4.0))
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for c, style in ((0.9, "C3-"), (0.0, "k-"), (-0.9, "C0-")):
        C0 = g.locally_thermal_correlation(m, beta, beta, mA, mB, X, c)
        ds = g.evolve(m, C0, t, beta_A=beta, beta_B=beta, mu_A=mA, mu_B=mB)
        ax1.plot(t, ds.DeltaN_A, style, label=f"c = {c:+.1f}")
        if c > 0:
            ax2.plot(t, ds.lhs_26, "C3-", label="left side of (26): −β(μ_A−μ_B)ΔN_A")
            ax2.plot(t, ds.DeltaI_AB, "C3--", label="ΔI(A:B)")
            ax2.fill_between(
                t,
                ds.DeltaI_AB,
                ds.lhs_26,
                color="C3",
                alpha=0.15,
                label="slack = D_A + D_B + drift terms ≥ 0",
            )
    ax1.axhline(0.0, color="0.6", lw=0.8)
    ax1.set_xlabel("t / [t]")
    ax1.set_ylabel("ΔN_A (particles into A, the high-μ side)")
    ax1.set_title("100 + 100 free fermions, β = 1, μ_A − μ_B = 1")
    ax1.legend(loc="upper left", fontsize="small", title="correlation", title_fontsize="small")
    ax2.set_xlabel("t / [t]")
    ax2.set_ylabel("nat")
    ax2.set_title("c = +0.9: anomalous flow paid by ΔI(A:B)")
    ax2.legend(loc="lower left", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def double_dot(path: Path) -> None:
    gamma, beta, mA, mB = 0.1, 2.0, 0.5, -0.5
    ratios = np.geomspace(0.05, 10.0, 16)  # g <= 1: the dots stay inside the band [-2, 2]
    rows = []
    for r in ratios:
        ds = compare_with_master_equations(
            [[0.0, r * gamma], [r * gamma, 0.0]],
            gamma,
            beta_A=beta,
            beta_B=beta,
            mu_A=mA,
            mu_B=mB,
            n_modes=(10, 400),
        )
        rows.append(ds)
        print(
            f"g/Gamma = {r:7.3f}: "
            + ", ".join(f"{a} {v:.5f}" for a, v in zip(ds.approach.values, ds.I_A.values))
            + f", exact(N=400) {ds.I_A_exact.values[-1]:.5f}, continuum "
            f"{float(ds.I_A_continuum):.5f}",
            file=sys.stderr,
        )
    fig = Figure(figsize=(7.2, 5.4))
    ax = fig.add_subplot()
    scale = gamma
    cont = np.array([float(d.I_A_continuum) for d in rows]) / scale
    ax.plot(ratios, cont, "k-", lw=2.5, alpha=0.35, label="exact, continuum leads (Landauer)")
    for n_idx, marker in ((1, "ko"), (0, "C1^")):
        n = int(rows[0].n_modes.values[n_idx])
        ax.errorbar(
            ratios,
            [d.I_A_exact.values[n_idx] / scale for d in rows],
            yerr=[0.5 * d.I_A_spread.values[n_idx] / scale for d in rows],
            fmt=marker,
            ms=4,
            mfc="none",
            capsize=2,
            label=f"exact, leads of N = {n} modes (bar: spread in time)",
        )
    for a, style in (("local", "C0-"), ("global", "C3-"), ("redfield", "C2--")):
        k = list(rows[0].approach.values).index(a)
        ax.plot(ratios, [d.I_A.values[k] / scale for d in rows], style, label=f"{a} ME")
    ax.set_xscale("log")
    ax.set_xlabel("inter-dot hopping g / Γ")
    ax.set_ylabel("particle current I / Γ")
    ax.set_title("Double quantum dot: master equations vs exact leads")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    anomalous(OUT / "gaussian-anomalous.png")
    double_dot(OUT / "gaussian-double-dot.png")
    print(f"wrote {OUT / 'gaussian-anomalous.png'} and {OUT / 'gaussian-double-dot.png'}")
