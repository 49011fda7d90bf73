"""PNG figures: a trajectory's energy ledger, heat currents, information and flows, and the
phase maps of parameter sweeps.

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot state machine), so
plotting works headless and never touches a global figure registry.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from .core.errors import SweepError
from .scenarios.files import as_path, atomic_write
from .sweeps.driver import open_sweep
from .sweeps.store import DONE, FAILED

__all__ = [
    "plot_energy",
    "plot_currents",
    "plot_information",
    "plot_flows",
    "plot_run",
    "plot_sweep",
]

_DPI = 120


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    return _write_png(fig, path)


def _write_png(fig: Any, path: str | os.PathLike, dpi: int = _DPI) -> Path:
    # like results files: a temporary name, then a rename (never through a symlink)
    return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png"))


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


# ======================================================================== sweep phase maps
_PREFERRED = ("DeltaN_A", "DeltaU_chi", "DeltaE_A", "DeltaI_AB", "slack")


def _class_var(ds: Any) -> str | None:
    cands = [n for n in ds.data_vars if "class" in n.lower() and ds[n].dtype == object]
    return sorted(cands, key=lambda n: (n != "classification", n))[0] if cands else None


def _anomalous(ds: Any, cls: str | None) -> np.ndarray:
    if cls is None:
        return np.zeros(ds["status"].shape, dtype=bool)
    lab = np.asarray(ds[cls].values, dtype=object)
    return np.vectorize(lambda s: "anomal" in str(s).lower(), otypes=[bool])(lab) & (
        ds["status"].values == DONE
    )


def _numeric_vars(ds: Any) -> list[str]:
    skip = {"status", "wall_time"}
    return [n for n in ds.data_vars if n not in skip and ds[n].dtype.kind == "f"]


def plot_sweep(
    store: str | os.PathLike, var: str | None = None, out: str | os.PathLike | None = None
) -> Any:
    """Phase map of a summary variable: a 1-D curve or a 2-D ``pcolormesh``.

    The anomalous-flow region (classification containing "anomal") is hatched and outlined,
    failed points are marked with red crosses, missing points are left blank. Grids with more
    than two axes are cut at the first index of the extra axes; random sweeps are drawn as
    scatter plots over the first one or two sampled parameters. Returns the figure (saved to
    ``out`` when given).
    """
    import matplotlib

    if out is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if out is not None:
        out = as_path(out, "out", SweepError)
    if var is not None and not isinstance(var, str):
        raise SweepError(f"--var: got {type(var).__name__}; expected a variable name")
    ds = open_sweep(store)
    nums = _numeric_vars(ds) + ["wall_time"]
    if var is None:  # the first physically meaningful variable that has values
        ok = [n for n in nums if np.isfinite(ds[n].values).any()] or nums
        var = ([n for n in _PREFERRED if n in ok] or ok)[0]
    if var not in ds.data_vars or ds[var].dtype.kind != "f":
        raise SweepError(f"--var: got {var!r}; expected one of {', '.join(nums)}")
    spec = json.loads(ds.attrs["sweep_spec"])
    names = [a["name"] for a in spec["axes"]]
    cls = _class_var(ds)
    anom = _anomalous(ds, cls)
    failed = ds["status"].values == FAILED
    val = np.where(ds["status"].values == DONE, ds[var].values, np.nan)
    fig, ax = plt.subplots(figsize=(6.4, 4.8), constrained_layout=True)
    title = f"{var} — {ds.attrs.get('sweep_description', '')}"

    if spec["mode"] == "grid":
        if val.ndim > 2:  # cut extra axes at their first value
            cut = (slice(None), slice(None)) + (0,) * (val.ndim - 2)
            val, anom, failed = val[cut], anom[cut], failed[cut]
            title += "\n(cut at " + ", ".join(f"{n}={ds[n].values[0]:g}" for n in names[2:]) + ")"
        x = ds[names[0]].values
        if val.ndim == 1:
            ax.plot(x, val, "o-", ms=3, label=var)
            _shade_1d(ax, x, anom)
            ax.plot(x[failed], np.full(failed.sum(), _baseline(val)), "rx", label="failed")
            ax.set_xlabel(names[0])
            ax.set_ylabel(var)
        else:
            y = ds[names[1]].values
            # Rows are names[0], columns names[1]: put the second axis on x for a natural map.
            lim = float(np.nanmax(np.abs(val))) if np.isfinite(val).any() else 1.0
            signed = np.nanmin(val, initial=0) < 0 < np.nanmax(val, initial=0)
            # Signed quantities (flows) get a diverging map centred on zero: colour = direction.
            kw = {"cmap": "RdBu_r", "vmin": -lim, "vmax": lim} if signed else {}
            mesh = ax.pcolormesh(y, x, np.ma.masked_invalid(val), shading="auto", **kw)
            fig.colorbar(mesh, ax=ax, label=var)
            if anom.any() and len(x) > 1 and len(y) > 1:
                # hatch exactly the anomalous cells of the map (a contour through cell centres
                # would cut cells and suggest a boundary the grid does not resolve)
                ax.pcolor(
                    y,
                    x,
                    np.ma.masked_where(~anom, np.ones(anom.shape)),
                    shading="auto",
                    hatch="//",
                    facecolor="none",
                    edgecolor="k",
                    linewidth=0.6,
                )
            elif anom.any():
                yy, xx = np.meshgrid(y, x)
                ax.plot(yy[anom], xx[anom], "k+", label="anomalous")
            yy, xx = np.meshgrid(y, x)
            ax.plot(yy[failed], xx[failed], "rx", ms=6, label="failed")
            ax.set_xlabel(names[1])
            ax.set_ylabel(names[0])
    else:
        x = ds[names[0]].values
        if len(names) == 1:
            order = np.argsort(x)
            ax.plot(x[order], val[order], ".", label=var)
            ax.plot(x[anom], val[anom], "o", mfc="none", mec="k", label="anomalous")
            ax.plot(x[failed], np.full(failed.sum(), _baseline(val)), "rx", label="failed")
            ax.set_xlabel(names[0])
            ax.set_ylabel(var)
        else:
            y = ds[names[1]].values
            sc = ax.scatter(x, y, c=val, s=14, cmap="viridis")
            fig.colorbar(sc, ax=ax, label=var)
            ax.scatter(x[anom], y[anom], s=40, facecolors="none", edgecolors="k", label="anomalous")
            ax.plot(x[failed], y[failed], "rx", label="failed")
            ax.set_xlabel(names[0])
            ax.set_ylabel(names[1])
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    if anom.any() and spec["mode"] == "grid":
        handles.append(Patch(facecolor="none", edgecolor="k", hatch="//"))
        labels.append(f"anomalous ({cls})")
    keep = [
        (h, lab)
        for h, lab in zip(handles, labels, strict=True)
        if not (lab == "failed" and not failed.any())
    ]
    if keep:
        ax.legend(*zip(*keep, strict=True), loc="best", fontsize="small")
    ax.set_title(title, fontsize="medium")
    if out is not None:
        _write_png(fig, out)
    return fig


def _baseline(val: np.ndarray) -> float:
    return float(np.nanmin(val)) if np.isfinite(val).any() else 0.0


def _shade_1d(ax: Any, x: np.ndarray, anom: np.ndarray) -> None:
    if not anom.any():
        return
    # Shade from midpoint to midpoint so isolated anomalous points stay visible.
    edges = (
        np.concatenate([[x[0]], (x[1:] + x[:-1]) / 2, [x[-1]]])
        if len(x) > 1
        else np.array([x[0] - 0.5, x[0] + 0.5])
    )
    first = True
    for k in np.flatnonzero(anom):
        ax.axvspan(
            edges[k],
            edges[k + 1],
            color="0.85",
            hatch="//",
            lw=0,
            label="anomalous" if first else None,
        )
        first = False
