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
from matplotlib.patches import Patch

from .core.errors import SweepError
from .core.metadata import UNIT_SYMBOLS, UNITS_NOTE, axis_label, label, lookup
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
#: (line style, marker) per curve of a panel: curves that coincide stay distinguishable.
_STYLES = (("-", "o"), ("--", "s"), ("-.", "^"), (":", "D"), ("-", "v"), ("--", "P"))
#: Markers per curve: few enough to read the line, offset between curves so they never overlap.
_MARKERS_PER_CURVE = 8


def _save(fig: Figure, path: Path) -> Path:
    return _write_png(fig, path)


def _write_png(fig: Any, path: str | os.PathLike, dpi: int = _DPI) -> Path:
    # like results files: a temporary name, then a rename (never through a symlink)
    return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png"))


def _figure(height: float, rows: int = 1) -> tuple[Figure, list]:
    """A figure with ``rows`` panels sharing time, legends outside on the right, and the unit
    convention as a caption at the bottom."""
    fig = Figure(figsize=(8.0, height), layout="constrained")
    axes = [fig.add_subplot(rows, 1, k + 1) for k in range(rows)]
    _caption(fig)
    return fig, axes


def _caption(fig: Figure) -> None:
    """The unit convention once, under the panels (the layout keeps a strip free for it)."""
    strip = 0.25 / fig.get_figheight()
    fig.get_layout_engine().set(rect=(0.0, strip, 1.0, 1.0 - strip))
    fig.text(0.01, 0.2 * strip, UNITS_NOTE, fontsize="x-small", color="0.35", va="bottom")


def _title(ds: xr.Dataset, what: str) -> str:
    name = ds.attrs.get("scenario_name", "")
    return f"{what} — {name}" if name else what


def _curves(ax, t: np.ndarray, series) -> None:
    """Draw ``(values, color, legend label)`` curves with distinct line styles and markers whose
    positions are staggered, so that identical curves (J_A = J_B, ...) both stay visible."""
    n = len(series)
    every = max(1, t.size // _MARKERS_PER_CURVE)
    for k, (y, color, lab) in enumerate(series):
        ls, marker = _STYLES[k % len(_STYLES)]
        ax.plot(
            t,
            y,
            color=color,
            ls=ls,
            marker=marker,
            ms=4.5,
            mfc="none" if k % 2 else color,
            markevery=(k * every // max(n, 1), every),
            label=lab,
        )


def _legend(ax) -> None:
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)


def _legend_text(name: str) -> str:
    meta = lookup(name)
    if meta is None:
        return name
    return meta.long_name if meta.label in meta.long_name else f"{meta.label}: {meta.long_name}"


def _series(ds: xr.Dataset, names_colors) -> list:
    return [(ds[n].values, c, _legend_text(n)) for n, c in names_colors if n in ds]


def _changes(ds: xr.Dataset, names_colors) -> list:
    """The same curves as changes X(t) - X(0): small exchanges stay visible next to large
    absolute values (ΔU_χ ~ 1e-3 on U ~ 1, ΔS_A of 100-mode reservoirs, ...)."""
    out = []
    for n, c in names_colors:
        if n in ds:
            y = ds[n].values
            meta = lookup(n)
            out.append((y - y[0], c, f"Δ{meta.label if meta else n}"))
    return out


def _time_panels(ds: xr.Dataset, path: str | Path, panels, what: str) -> Path:
    """Panels ``(series, ylabel, zero_line)`` of curves over time, one above the other, titled
    once."""
    fig, axes = _figure(1.0 + 2.6 * len(panels), rows=len(panels))
    t = ds["time"].values
    for ax, (series, ylabel, zero_line) in zip(axes, panels, strict=True):
        if zero_line:
            ax.axhline(0.0, color="0.6", lw=0.8)
        _curves(ax, t, series)
        ax.set_ylabel(ylabel)
        _legend(ax)
    axes[-1].set_xlabel(axis_label("time"))
    # a figure title is centred on the figure: an axes title over the narrow panels (legends
    # take the right third) was cut off at the left edge
    fig.suptitle(_title(ds, what))
    return _save(fig, Path(path))


def plot_energy(ds: xr.Dataset, path: str | Path) -> Path:
    """Energy ledger U_A, U_B, U_chi and U = U_A + U_B + U_chi over time (paper 1, Eqs. 7-8),
    and below it their changes since t = 0.

    Writes a PNG to ``path`` and returns it; works for open and isolated trajectories.
    """
    names = (("U", "k"), ("U_A", "C0"), ("U_B", "C1"), ("U_chi", "C2"))
    panels = [
        (_series(ds, names), "energy / [E]", False),
        (_changes(ds, names), "change since t = 0 / [E]", True),
    ]
    return _time_panels(ds, path, panels, "energy ledger")


def plot_currents(ds: xr.Dataset, path: str | Path) -> Path | None:
    """Heat currents J_A, J_B (positive into the system) and their integrals Q_A, Q_B.

    J_X = Tr[H L_X[rho]] (paper 1, Eq. 11). Returns None (and writes nothing) for a trajectory
    without baths.
    """
    if "J_A" not in ds:
        return None
    fig, (ax1, ax2) = _figure(5.6, rows=2)
    t = ds["time"].values
    _curves(ax1, t, [(ds[f"J_{s}"].values, c, f"J_{s}: bath {s} → system") for s, c in _AB])
    q = [(ds[f"Q_{s}"].values, c, f"Q_{s} = ∫J_{s} dt") for s, c in _AB if f"Q_{s}" in ds]
    if len(q) == 2:
        q.append((ds["U"].values - ds["U"].values[0], "k", "U(t) − U(0) = Q_A + Q_B"))
    _curves(ax2, t, q)
    ax1.set_ylabel(f"heat current / ({lookup('J_A').units})")
    fig.suptitle(_title(ds, "heat currents (positive into the system)"))
    ax2.set_xlabel(axis_label("time"))
    ax2.set_ylabel("heat / [E]")
    _legend(ax1)
    _legend(ax2)
    return _save(fig, Path(path))


_AB = (("A", "C0"), ("B", "C1"))


def plot_information(ds: xr.Dataset, path: str | Path) -> Path:
    """Entropies S, S_A, S_B and mutual information I(A:B) (nats), their changes since t = 0,
    and, for open runs with bath temperatures, the entropy production rates σ and σ_local.

    I(A:B) = S_A + S_B - S (paper 2, Eq. 1); σ < 0 violates the second law (see
    :func:`corrtherm.evolve`). Writes a PNG to ``path`` and returns it.
    """
    names = (("S", "k"), ("S_A", "C0"), ("S_B", "C1"), ("I_AB", "C3"))
    panels = [
        (_series(ds, names), "entropy / nat", False),
        (_changes(ds, names), "change since t = 0 / nat", True),
    ]
    production = _series(ds, (("sigma", "C3"), ("sigma_local", "C2")))
    if production:  # the second-law audit, drawn: a violation is σ below the zero line
        panels.append((production, f"entropy production / ({lookup('sigma').units})", True))
    return _time_panels(ds, path, panels, "entropies and mutual information")


def plot_flows(ds: xr.Dataset, path: str | Path) -> Path | None:
    """Paper 2, inequality (26): (β_A−β_B)ΔE_A − (β_Aμ_A−β_Bμ_B)ΔN_A ≥ ΔI_AB and its slack.

    The slack is D_A + D_B when Eqs. 14-15 hold. Returns None for a trajectory without the flow
    variables (open runs, or no reference temperatures).
    """
    if "slack" not in ds or "lhs_26" not in ds:
        return None
    fig, (ax,) = _figure(4.4)
    t = ds["time"].values
    aff = ds["lhs_26"].values
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.fill_between(
        t, np.minimum(aff, 0.0), 0.0, color="C3", alpha=0.15, label="anomalous (left side < 0)"
    )
    _curves(
        ax,
        t,
        [
            (aff, "C0", "(26) left side"),
            (ds["DeltaI_AB"].values, "C3", "ΔI(A:B)"),
            (ds["slack"].values, "k", "slack = left side − ΔI(A:B)"),
        ],
    )
    ax.set_xlabel(axis_label("time"))
    ax.set_ylabel("information / nat")
    fig.suptitle(
        _title(ds, "inequality (26)") + "\n(β_A−β_B)ΔE_A − (β_Aμ_A−β_Bμ_B)ΔN_A ≥ ΔI(A:B)",
        fontsize="medium",
    )
    _legend(ax)
    return _save(fig, Path(path))


def plot_run(ds: xr.Dataset, outdir: str | Path) -> list[Path]:
    """All figures that apply to ``ds``, written as PNG files into ``outdir``.

    energy.png, currents.png (open runs), information.png and flows.png (isolated runs with the
    flow analysis); returns the paths written.
    """
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


def _name_label(ds: Any, name: str) -> str:
    """Readable axis label of a store variable or swept parameter (ΔN_A, μ_A / [E], ...)."""
    units = ds[name].attrs.get("units", "")
    return axis_label(name, units if units in UNIT_SYMBOLS else "")


def plot_sweep(
    store: str | os.PathLike, var: str | None = None, out: str | os.PathLike | None = None
) -> Any:
    """Phase map of a summary variable: a 1-D curve or a 2-D ``pcolormesh``.

    The anomalous-flow region (classification containing "anomal") is shaded (1-D) or hatched
    (2-D), failed points are marked with crosses on the parameter axis (1-D; they have no value)
    or in their cells (2-D), missing points are left blank. Grids with more than two axes are
    cut at the first index of the extra axes; random sweeps are drawn as scatter plots over the
    first one or two sampled parameters. Labels and units come from
    :mod:`corrtherm.core.metadata` (ΔN_A, not DeltaN_A). Returns the figure (saved to ``out``
    when given).
    """
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
    anom = _anomalous(ds, _class_var(ds))
    failed = ds["status"].values == FAILED
    val = np.where(ds["status"].values == DONE, ds[var].values, np.nan)
    fig = Figure(figsize=(7.2, 5.0), layout="constrained")
    ax = fig.add_subplot()
    _caption(fig)
    title = f"{label(var)} — {ds.attrs.get('sweep_description', '')}"
    if spec["mode"] == "grid" and val.ndim > 2:  # cut extra axes at their first value
        cut = (slice(None), slice(None)) + (0,) * (val.ndim - 2)
        val, anom, failed = val[cut], anom[cut], failed[cut]
        title += "\n(cut at " + ", ".join(f"{n}={ds[n].values[0]:g}" for n in names[2:]) + ")"
    x = ds[names[0]].values
    extra: list = []
    if len(names) == 1 or val.ndim == 1:
        order = np.argsort(x)
        style = "o-" if spec["mode"] == "grid" else "o"
        ax.plot(x[order], val[order], style, ms=3.5, color="C0", label=label(var))
        _shade_1d(ax, x[order], anom[order])
        _failed_on_axis(ax, x[failed])
        ax.set_xlabel(_name_label(ds, names[0]))
        ax.set_ylabel(_name_label(ds, var))
    elif spec["mode"] == "grid":
        extra = _map_2d(fig, ax, ds, var, names, x, ds[names[1]].values, val, anom, failed)
    else:
        y = ds[names[1]].values
        sc = ax.scatter(x, y, c=val, s=14, cmap="viridis")
        fig.colorbar(sc, ax=ax, label=_name_label(ds, var))
        ax.scatter(x[anom], y[anom], s=40, facecolors="none", edgecolors="k", label="anomalous")
        ax.plot(x[failed], y[failed], "x", color="C3", label="failed")
        ax.set_xlabel(_name_label(ds, names[0]))
        ax.set_ylabel(_name_label(ds, names[1]))
    handles = ax.get_legend_handles_labels()[0] + extra
    if handles:
        # below the axes: a phase map has no empty corner
        ax.legend(
            handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, frameon=False
        )
    ax.set_title(title, fontsize="medium")
    if out is not None:
        _write_png(fig, out)
    return fig


#: Grid axes with at most this many values get a tick at every value.
_MAX_GRID_TICKS = 12


def _map_2d(fig, ax, ds, var, names, x, y, val, anom, failed) -> list:
    """Draw a 2-D grid map; returns legend handles that are not artists of ``ax``."""
    extra: list = []
    # Rows are names[0], columns names[1]: put the second axis on x for a natural map.
    lim = float(np.nanmax(np.abs(val))) if np.isfinite(val).any() else 1.0
    signed = np.nanmin(val, initial=0) < 0 < np.nanmax(val, initial=0)
    # Signed quantities (flows) get a diverging map centred on zero: colour = direction.
    kw = {"cmap": "RdBu_r", "vmin": -lim, "vmax": lim} if signed else {}
    mesh = ax.pcolormesh(y, x, np.ma.masked_invalid(val), shading="auto", **kw)
    fig.colorbar(mesh, ax=ax, label=_name_label(ds, var))
    if anom.any() and len(x) > 1 and len(y) > 1:
        # hatch exactly the anomalous cells of the map (a contour through cell centres would
        # cut cells and suggest a boundary the grid does not resolve)
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
        extra.append(Patch(facecolor="none", edgecolor="k", hatch="//", label="anomalous"))
    elif anom.any():
        yy, xx = np.meshgrid(y, x)
        ax.plot(yy[anom], xx[anom], "k+", label="anomalous")
    if failed.any():
        yy, xx = np.meshgrid(y, x)
        ax.plot(yy[failed], xx[failed], "x", color="C3", ms=7, mew=2, label="failed")
    # ticks on the grid values (a few): cells are read off by the parameter values they hold
    if len(y) <= _MAX_GRID_TICKS:
        ax.set_xticks(y, [f"{v:.3g}" for v in y])
    if len(x) <= _MAX_GRID_TICKS:
        ax.set_yticks(x, [f"{v:.3g}" for v in x])
    ax.set_xlabel(_name_label(ds, names[1]))
    ax.set_ylabel(_name_label(ds, names[0]))
    return extra


def _failed_on_axis(ax: Any, xf: np.ndarray) -> None:
    """Failed points have no value: mark their parameter on the x axis, not inside the data."""
    if xf.size:
        ax.plot(
            xf,
            np.zeros(xf.size),
            "x",
            color="C3",
            ms=8,
            mew=2,
            transform=ax.get_xaxis_transform(),  # y in axes coordinates: on the axis line
            clip_on=False,
            label="failed (no value)",
        )


def _shade_1d(ax: Any, x: np.ndarray, anom: np.ndarray) -> None:
    """One shaded region per run of anomalous points, from midpoint to midpoint between grid
    points (so an isolated anomalous point stays visible), labelled once."""
    if not anom.any():
        return
    edges = (
        np.concatenate([[x[0]], (x[1:] + x[:-1]) / 2, [x[-1]]])
        if len(x) > 1
        else np.array([x[0] - 0.5, x[0] + 0.5])
    )
    padded = np.concatenate([[False], anom, [False]]).astype(int)
    starts = np.flatnonzero(np.diff(padded) == 1)
    stops = np.flatnonzero(np.diff(padded) == -1)
    for k, (a, b) in enumerate(zip(starts, stops, strict=True)):
        ax.axvspan(
            edges[a],
            edges[b],
            facecolor="C3",
            alpha=0.12,
            edgecolor="C3",
            hatch="//",
            lw=0,
            label="anomalous flow" if k == 0 else None,
        )
