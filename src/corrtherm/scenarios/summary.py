"""The printed summary of a run: the table ``corrtherm run`` shows, from the results dataset.

Every key of :func:`corrtherm.scenarios.summarize` is shown (so a new summary value appears
without touching this module), labelled and with units from :mod:`corrtherm.core.metadata`.
A value below ZERO_RTOL times the scale of its quantity over the run (the largest energy,
entropy or particle number seen) prints as 0: it is round-off, not data. Residuals are printed
as they are, since their size is the point.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import xarray as xr

from ..core._report import fmt, table
from ..core.metadata import UNITS_NOTE, lookup
from ..open.entropy_production import second_law_audit
from .defaults import format_assumed
from .run import summarize

__all__ = ["summary_rows", "summary_text"]

#: Summary keys not shown as rows (they are in the heading or say nothing on their own).
HIDDEN = frozenset(
    {"kind", "t_final", "n_rhs", "second_law", "second_law_local", "positivity"}
)  # the verdicts are printed as the second-law audit line instead
#: Short explanations after the label of a summary row.
GLOSS = {
    "DeltaU": "total",
    "DeltaE_A": "bare",
    "DeltaE_B": "bare",
    "Q_A": "heat from bath A",
    "Q_B": "heat from bath B",
    "slack": "= left side − ΔI(A:B)",
}
#: With grand-canonical baths Q_X is the energy drawn; the heat is Q_X - mu_X N_in,X.
ENERGY_GLOSS = {**GLOSS, "Q_A": "energy from bath A", "Q_B": "energy from bath B"}
#: Time series whose largest magnitude sets the zero threshold of values in each unit.
SCALE_VARIABLES = {
    "[E]": ("U", "U_A", "U_B", "U_chi", "E_A", "E_B", "E_V"),
    "nat": ("S", "S_A", "S_B", "I_AB"),
    "1": ("N_A", "N_B"),
    "nat/[t]": ("sigma", "sigma_local"),
}


def _scales(ds: xr.Dataset) -> dict[str, float]:
    out = {}
    for units, names in SCALE_VARIABLES.items():
        vals = [float(np.nanmax(np.abs(ds[n].values))) for n in names if n in ds]
        # an entropy or a particle number is never meaningful below 1e-12 (nats, particles)
        floor = 0.0 if units in ("[E]", "nat/[t]") else 1.0
        out[units] = max([floor, *vals])
    return out


def _exchanges_particles(ds: xr.Dataset) -> bool:
    """Whether a bath exchanges particles: then Q_X is energy, and the heat Q_X - mu_X N_in,X."""
    return any(
        n in ds and bool(np.nanmax(np.abs(ds[n].values), initial=0.0) > 0)
        for n in ("I_A", "I_B", "N_in_A", "N_in_B")
    )


def summary_rows(
    summary: dict[str, Any], scales: dict[str, float], gloss: dict[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """(label, value, units) rows of a summary; NaN values (not applicable) are left out."""
    gloss = GLOSS if gloss is None else gloss
    rows = []
    for key, value in summary.items():
        if key in HIDDEN or (isinstance(value, float) and math.isnan(value)):
            continue
        if key in ("n_steps",) and value == 0:
            continue  # exact propagators take no steps: nothing to report
        meta = lookup(key)
        label = meta.label if meta is not None else key
        note = gloss.get(key)
        if note:
            label = f"{label} ({note})"
        units = meta.units if meta is not None else ""
        if key.startswith("residual_") or key == "wall_time_s":
            text = f"{value:.3g}" if isinstance(value, float) else str(value)
        else:
            text = fmt(value, scales.get(units))
        rows.append((label, text, "" if units == "1" or isinstance(value, str) else units))
    return rows


def summary_text(ds: xr.Dataset) -> str:
    """The summary block of a run: the table of :func:`summary_rows`, the condition checks, the
    settings assumed from defaults and the unit convention."""
    summ = summarize(ds)
    t = ds["time"].values
    solver = ds.attrs.get("method")
    lines = [
        f"  {summ['kind']} dynamics, t = {t[0]:g} to {t[-1]:g} in {t.size} save times"
        + (f" ({solver})" if solver else ""),
        table(summary_rows(summ, _scales(ds), ENERGY_GLOSS if _exchanges_particles(ds) else GLOSS)),
    ]
    audit = second_law_audit(ds)
    if audit:
        # a violation is a finding about the model, not an error: loud, but the run succeeds
        lines.append(f"  {audit}")
    checks = json.loads(ds.attrs.get("condition_checks", "[]"))
    bad = [c["name"] for c in checks if not c["holds"]]
    if checks:
        lines.append(
            f"  conditions: {len(checks) - len(bad)}/{len(checks)} hold"
            + (f" (violated: {'; '.join(bad)})" if bad else "")
        )
    assumed = [s for s in str(ds.attrs.get("assumed_defaults", "")).split("; ") if s]
    if assumed:
        lines.append("  defaults assumed (not set in the scenario):")
        lines += [f"    {g}" for g in format_assumed(assumed)]
    lines.append(f"  ({UNITS_NOTE})")
    return "\n".join(lines)
