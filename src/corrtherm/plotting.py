"""PNG figures of a trajectory dataset (energy ledger, heat currents, information, flows).

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot state machine), so
plotting works headless and never touches a global figure registry.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

__all__ = ["plot_energy", "plot_currents", "plot_information", "plot_flows", "plot_run"]

_DPI = 120


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    return path


def _title(ds: xr.Dataset, what: str) -> str:
    name = ds.attrs.get("scenario_name", "")
    return f"{what} — {name}" if name else what


def _time_series(ds: xr.Dataset, path: str | Path, series, ylabel: str, what: str) -> Path:
    """One panel of ``(variable, matplotlib style, legend label)`` curves over time."""
    fig = Figure(figsize=(6.4, 4.0))
    ax = fig.add_subplot()
    t = ds["time"].values
    for name, style, label in series:
        ax.plot(t, ds[name].values, style, label=label)
    ax.set_xlabel("time")
    ax.set_ylabel(ylabel)
    ax.set_title(_title(ds, what))
    ax.legend(loc="best")
    return _save(fig, Path(path))


def plot_energy(ds: xr.Dataset, path: str | Path) -> Path:
    """Energy ledger U_A, U_B, U_chi and U = U_A + U_B + U_chi over time (paper 1, Eqs. 7-8)."""
    series = (("U", "k-", "U"), ("U_A", "C0-", "U_A"), ("U_B", "C1-", "U_B"))
    return _time_series(ds, path, (*series, ("U_chi", "C2--", "U_χ")), "energy", "energy ledger")


def plot_currents(ds: xr.Dataset, path: str | Path) -> Path | None:
    """Heat currents J_A, J_B (positive into the system) and their integrals Q_A, Q_B."""
    if "J_A" not in ds:
        return None
    fig = Figure(figsize=(6.4, 5.2))
    ax1, ax2 = fig.add_subplot(2, 1, 1), fig.add_subplot(2, 1, 2)
    t = ds["time"].values
    for side, c in (("A", "C0"), ("B", "C1")):
        ax1.plot(t, ds[f"J_{side}"].values, color=c, label=f"J_{side} (bath {side} → system)")
        if f"Q_{side}" in ds:
            ax2.plot(t, ds[f"Q_{side}"].values, color=c, label=f"Q_{side}")
    if "Q_A" in ds and "Q_B" in ds:
        dU = ds["U"].values - ds["U"].values[0]
        ax2.plot(t, dU, "k--", label="U(t) − U(0)")
    ax1.set_ylabel("heat current")
    ax1.legend(loc="best")
    ax1.set_title(_title(ds, "heat currents"))
    ax2.set_xlabel("time")
    ax2.set_ylabel("heat")
    ax2.legend(loc="best")
    return _save(fig, Path(path))


def plot_information(ds: xr.Dataset, path: str | Path) -> Path:
    """Entropies S, S_A, S_B and mutual information I(A:B) (nats)."""
    series = (("S", "k-", "S"), ("S_A", "C0-", "S_A"), ("S_B", "C1-", "S_B"))
    return _time_series(
        ds, path, (*series, ("I_AB", "C3--", "I(A:B)")), "nats", "entropies and mutual information"
    )


def plot_flows(ds: xr.Dataset, path: str | Path) -> Path | None:
    """Paper 2, Eq. 26: (β_A−β_B)ΔE_A − (β_Aμ_A−β_Bμ_B)ΔN_A ≥ ΔI_AB and the slack."""
    if "slack" not in ds or "lhs_26" not in ds:
        return None
    fig = Figure(figsize=(6.4, 4.4))
    ax = fig.add_subplot()
    t = ds["time"].values
    aff = ds["lhs_26"].values
    ax.plot(t, aff, "C0-", label="(β_A−β_B)ΔE_A − (β_Aμ_A−β_Bμ_B)ΔN_A")
    ax.plot(t, ds["DeltaI_AB"].values, "C3-", label="ΔI(A:B)")
    ax.plot(t, ds["slack"].values, "k--", label="slack = left side − ΔI ≥ 0")
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.fill_between(
        t,
        np.minimum(aff, 0.0),
        0.0,
        color="C3",
        alpha=0.15,
        label="anomalous (against the β, μ gradient)",
    )
    ax.set_xlabel("time")
    ax.set_ylabel("nats")
    ax.set_title(_title(ds, "flow classification"))
    ax.legend(loc="best", fontsize="small")
    return _save(fig, Path(path))


def plot_run(ds: xr.Dataset, outdir: str | Path) -> list[Path]:
    """All figures that apply to ``ds``, written as PNG files into ``outdir``."""
    out = Path(outdir)
    made = [
        plot_energy(ds, out / "energy.png"),
        plot_currents(ds, out / "currents.png"),
        plot_information(ds, out / "information.png"),
        plot_flows(ds, out / "flows.png"),
    ]
    return [p for p in made if p is not None]
