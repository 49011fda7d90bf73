"""One registry of variable metadata: units, long names, labels and sign conventions.

Every dataset corrtherm makes (trajectories, open runs, flows, results.nc, sweep stores) takes
the CF-style attributes ``units``, ``long_name`` and, where it helps, ``comment`` of its
variables and coordinates from :data:`VARIABLES` through :func:`annotate`; tables and plots
take their labels (``ΔN_A``, ``U_χ``) from the same place through :func:`label`.

Units (hbar = k_B = 1)
----------------------
corrtherm never fixes an energy scale: the numbers in H are in some energy unit of your
choosing, written ``[E]``. With hbar = 1 the matching time unit is ``[t]`` = hbar/[E] (times
are 1/[E]); with k_B = 1 a temperature is an energy, so beta has units ``1/[E]``. Hence
energies ``[E]``, times ``[t]``, energy currents ``[E]/[t]``, particle currents ``1/[t]``,
entropies and informations ``nat``, dimensionless numbers and categories ``1``, wall-clock
times ``s``. :data:`UNITS_NOTE` says this in one line for captions.

Extending
---------
A new variable needs one line in :data:`VARIABLES` (name -> :class:`Meta`). A change
``Delta<X>`` of a registered ``X`` and the real/imaginary parts ``<X>_re``/``<X>_im`` written to
NetCDF are derived automatically. ``tests/test_metadata.py`` walks every variable and
coordinate of real runs and sweep stores and fails on any variable without units and
long_name, so a forgotten entry is caught.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "Meta",
    "VARIABLES",
    "UNITS_NOTE",
    "UNIT_SYMBOLS",
    "lookup",
    "annotate",
    "label",
    "axis_label",
    "parameter_meta",
    "markdown_table",
    "docs_page",
]

#: The unit strings used in ``units`` attributes, and what each means.
UNIT_SYMBOLS = {
    "[E]": "the energy unit in which H is written (hbar = k_B = 1)",
    "[t]": "time unit hbar/[E] (= 1/[E] with hbar = 1)",
    "[E]/[t]": "energy per unit time (energy current)",
    "1/[t]": "rate, or particles per unit time (particle current)",
    "1/[E]": "inverse energy (beta = 1/(k_B T) with k_B = 1)",
    "nat": "entropy or information in nats (natural logarithm)",
    "nat/[t]": "entropy per unit time",
    "1": "dimensionless (numbers, probabilities, flags and categories)",
    "s": "wall-clock seconds",
}

#: One-line statement of the unit convention, for figure captions and table footers.
UNITS_NOTE = "ħ = k_B = 1: energies in the units [E] of H, times in [t] = ħ/[E], entropies in nats"

E, T, J, NAT, ONE = "[E]", "[t]", "[E]/[t]", "nat", "1"
_INTO = "positive when it flows INTO the system part named"


@dataclass(frozen=True)
class Meta:
    """CF-style metadata of one variable: ``units``, ``long_name``, a short ``label`` for
    tables and plots, and an optional ``comment`` (formula, paper equation, sign convention)."""

    units: str
    long_name: str
    label: str
    comment: str = ""


#: name -> metadata of every variable corrtherm writes. Add new variables here.
VARIABLES: dict[str, Meta] = {
    # ---- coordinates
    "time": Meta(T, "time", "t"),
    "sample": Meta(ONE, "random sample index", "sample"),
    # ---- the ledger along a trajectory (paper 1, Eqs. 3, 5-8)
    "U": Meta(E, "total energy", "U", "U = Tr[rho H]"),
    "U_A": Meta(
        E,
        "effective local energy of A",
        "U_A",
        "U_A = Tr[rho_A H^_A], H^_A = H_A + Tr_B[V rho_B] - alpha_A v I (paper 1, Eq. 5)",
    ),
    "U_B": Meta(
        E,
        "effective local energy of B",
        "U_B",
        "U_B = Tr[rho_B H^_B], H^_B = H_B + Tr_A[V rho_A] - alpha_B v I (paper 1, Eq. 5)",
    ),
    "U_chi": Meta(
        E, "correlation energy", "U_χ", "U_chi = Tr[chi V], chi = rho - rho_A (x) rho_B (Eq. 8)"
    ),
    "E_A": Meta(E, "bare local energy of A", "E_A", "E_A = Tr[rho_A H_A]"),
    "E_B": Meta(E, "bare local energy of B", "E_B", "E_B = Tr[rho_B H_B]"),
    "E_V": Meta(E, "interaction energy", "E_V", "E_V = Tr[rho V]"),
    "S": Meta(NAT, "von Neumann entropy of the whole system", "S", "S = -Tr[rho ln rho]"),
    "S_A": Meta(NAT, "von Neumann entropy of A", "S_A", "S_A = -Tr[rho_A ln rho_A]"),
    "S_B": Meta(NAT, "von Neumann entropy of B", "S_B", "S_B = -Tr[rho_B ln rho_B]"),
    "I_AB": Meta(NAT, "mutual information I(A:B)", "I(A:B)", "I_AB = S_A + S_B - S"),
    "N_A": Meta(ONE, "particle number of A", "N_A", "N_A = Tr[rho_A N_A]"),
    "N_B": Meta(ONE, "particle number of B", "N_B", "N_B = Tr[rho_B N_B]"),
    "rho": Meta(ONE, "density matrix of A+B", "ρ", "operators on A (x) B ordered (a, b)"),
    "rho_A": Meta(ONE, "reduced density matrix of A", "ρ_A", "rho_A = Tr_B rho"),
    "rho_B": Meta(ONE, "reduced density matrix of B", "ρ_B", "rho_B = Tr_A rho"),
    # ---- open systems (paper 1, Eq. 11 and Remark)
    "J_A": Meta(
        J,
        "energy current from bath A into the system (the heat current if mu_A = 0)",
        "J_A",
        f"J_A = Tr[H L_A[rho]]; the heat current is J_A - mu_A I_A; {_INTO}",
    ),
    "J_B": Meta(
        J,
        "energy current from bath B into the system (the heat current if mu_B = 0)",
        "J_B",
        f"J_B = Tr[H L_B[rho]]; the heat current is J_B - mu_B I_B; {_INTO}",
    ),
    "Q_A": Meta(
        E,
        "energy from bath A since t = 0 (the heat if mu_A = 0)",
        "Q_A",
        f"Q_A(t) = int_0^t J_A ds; the heat is Q_A - mu_A N_in,A; {_INTO}",
    ),
    "Q_B": Meta(
        E,
        "energy from bath B since t = 0 (the heat if mu_B = 0)",
        "Q_B",
        f"Q_B(t) = int_0^t J_B ds; the heat is Q_B - mu_B N_in,B; {_INTO}",
    ),
    "Q_entropic": Meta(
        E,
        "entropic heat since t = 0 (eigenvalue changes of rho)",
        "Q_entropic",
        "int sum_k (dp_k/dt) <k|H|k> dt (paper 1, Remark); NaN when the split is skipped",
    ),
    "W_entropic": Meta(
        E,
        "entropic work since t = 0 (eigenvector changes of rho)",
        "W_entropic",
        "U(t) - U(0) - Q_entropic (paper 1, Remark); NaN when the split is skipped",
    ),
    # ---- consistency of open dynamics (entropy production; issue 12)
    "J_A_local": Meta(
        J,
        "local heat current from bath A into the system",
        "J_A,local",
        f"Tr[H_A L_A[rho]]; {_INTO}",
    ),
    "J_B_local": Meta(
        J,
        "local heat current from bath B into the system",
        "J_B,local",
        f"Tr[H_B L_B[rho]]; {_INTO}",
    ),
    "I_A": Meta(
        "1/[t]",
        "particle current from bath A into the system",
        "I_A",
        f"Tr[N L_A[rho]], N = N_A + N_B (= Tr[N_A L_A[rho]] for local baths); {_INTO}",
    ),
    "I_B": Meta(
        "1/[t]",
        "particle current from bath B into the system",
        "I_B",
        f"Tr[N L_B[rho]], N = N_A + N_B (= Tr[N_B L_B[rho]] for local baths); {_INTO}",
    ),
    "N_in_A": Meta(
        ONE, "particles received from bath A since t = 0", "N_in,A", f"int_0^t I_A ds; {_INTO}"
    ),
    "N_in_B": Meta(
        ONE, "particles received from bath B since t = 0", "N_in,B", f"int_0^t I_B ds; {_INTO}"
    ),
    "sigma": Meta(
        "nat/[t]",
        "entropy production rate",
        "σ",
        "dS/dt - sum_X beta_X (J_X - mu_X I_X), dS/dt = -Tr[(L_A + L_B)[rho] ln rho]; >= 0 for "
        "global (Davies) baths by Spohn's inequality, NaN where rho(t) is not a state",
    ),
    "sigma_local": Meta(
        "nat/[t]",
        "entropy production rate with local heat currents",
        "σ_local",
        "dS/dt - sum_X beta_X (J_X,local - mu_X Tr[N_X L_X[rho]]); >= 0 for local baths "
        "(the difference Tr[V L_X[rho]] is booked as work)",
    ),
    "Sigma": Meta(
        NAT,
        "entropy produced since t = 0",
        "Σ",
        "DeltaS - sum_X beta_X (Q_X - mu_X N_in_X); >= 0 by the second law (global baths)",
    ),
    "min_eigenvalue": Meta(
        ONE,
        "smallest eigenvalue of rho(t)",
        "min eig ρ",
        "negative: rho(t) is not a state (possible for Redfield baths)",
    ),
    "min_sigma": Meta(
        "nat/[t]", "smallest entropy production rate of the run", "min σ", "min_t sigma(t)"
    ),
    "second_law": Meta(
        ONE, "second-law verdict of the run", "second law", "holds | violated: min sigma = ..."
    ),
    "second_law_local": Meta(
        ONE,
        "second-law verdict in the local accounting",
        "second law (local accounting)",
        "holds | violated: min sigma_local = ...",
    ),
    "positivity": Meta(
        ONE, "positivity of rho(t) along the run", "positivity", "holds | violated: ..."
    ),
    # ---- free-particle (Gaussian) engine
    "C": Meta(
        ONE,
        "single-particle correlation matrix",
        "C",
        "C_ij = <c_i^dag c_j>, modes ordered A then B (corrtherm.gaussian)",
    ),
    "n_S": Meta(ONE, "occupations of the system levels", "n_S", "<c_s^dag c_s>"),
    # ---- isolated flows (paper 2, Eqs. 20-26); Delta = X(t) - X(0), positive into A
    "DeltaE_A": Meta(
        E, "change of the bare energy of A", "ΔE_A", f"E_A(t) - E_A(0) (paper 2, Eq. 22); {_INTO}"
    ),
    "DeltaE_B": Meta(E, "change of the bare energy of B", "ΔE_B", f"E_B(t) - E_B(0); {_INTO}"),
    "DeltaN_A": Meta(
        ONE,
        "change of the particle number of A",
        "ΔN_A",
        f"N_A(t) - N_A(0) (paper 2, Eq. 23); {_INTO}",
    ),
    "DeltaN_B": Meta(
        ONE, "change of the particle number of B", "ΔN_B", f"N_B(t) - N_B(0); {_INTO}"
    ),
    "DeltaS_A": Meta(NAT, "change of S_A", "ΔS_A", "S_A(t) - S_A(0) (paper 2, Eq. 24)"),
    "DeltaS_B": Meta(NAT, "change of S_B", "ΔS_B", "S_B(t) - S_B(0)"),
    "DeltaS": Meta(NAT, "change of the total entropy", "ΔS", "S(t) - S(0)"),
    "DeltaI_AB": Meta(NAT, "change of the mutual information", "ΔI(A:B)", "I(t) - I(0)"),
    "D_A": Meta(
        NAT, "relative entropy of A to its initial thermal state", "D_A", "D(rho_A(t) || gamma_A)"
    ),
    "D_B": Meta(
        NAT, "relative entropy of B to its initial thermal state", "D_B", "D(rho_B(t) || gamma_B)"
    ),
    "D_A0": Meta(NAT, "initial relative entropy of A (~0)", "D_A(0)", "D(rho_A(0) || gamma_A)"),
    "D_B0": Meta(NAT, "initial relative entropy of B (~0)", "D_B(0)", "D(rho_B(0) || gamma_B)"),
    "lhs_26": Meta(
        NAT,
        "left side of inequality (26)",
        "(26) left side",
        "(beta_A - beta_B) DeltaE_A - (beta_A mu_A - beta_B mu_B) DeltaN_A (paper 2, inequality (26))",
    ),
    "slack": Meta(
        NAT,
        "slack of inequality (26)",
        "(26) slack",
        "lhs_26 - DeltaI_AB = D_A + D_B - D_A0 - D_B0 + assumption_terms; >= 0 when (26) holds",
    ),
    "energy_drift": Meta(
        E, "bare energy drift", "ΔE_A + ΔE_B", "DeltaE_A + DeltaE_B (0 under paper 2, Eq. 14)"
    ),
    "number_drift": Meta(
        ONE, "particle number drift", "ΔN_A + ΔN_B", "DeltaN_A + DeltaN_B (0 under Eq. 15)"
    ),
    "assumption_terms": Meta(
        NAT,
        "terms of (26)'s identity that vanish under Eqs. 14-15",
        "assumption terms",
        "DeltaS - beta_B (energy_drift - mu_B number_drift)",
    ),
    "identity_residual": Meta(
        NAT,
        "round-off residual of slack = D_A + D_B + assumption terms",
        "identity residual",
        "slack - (D_A + D_B - D_A0 - D_B0 + assumption_terms)",
    ),
    "particle_flow": Meta(
        ONE,
        "classification of the particle flow",
        "particle flow",
        "conventional | anomalous | none | reversible (against the beta*mu gradient: anomalous)",
    ),
    "energy_flow": Meta(
        ONE,
        "classification of the energy flow",
        "energy flow",
        "conventional | anomalous | none | reversible (against the beta gradient: anomalous)",
    ),
    "requires_correlation_decrease": Meta(
        ONE,
        "inequality (26) forces I(A:B) to drop",
        "needs ΔI < 0",
        "1 when lhs_26 < 0, so that (26) gives DeltaI_AB <= lhs_26 < 0",
    ),
    # ---- run summaries (scenarios.summarize) and sweep stores
    "kind": Meta(ONE, "dynamics kind", "dynamics", "open | isolated"),
    "t_final": Meta(T, "final time of the run", "t_final"),
    "classification": Meta(
        ONE,
        "direction of the flow by the sign of the left side of (26)",
        "flow (26)",
        "conventional (lhs_26 > 0) | anomalous (lhs_26 < 0) | no flow | no bias",
    ),
    "residual_ledger": Meta(
        E, "ledger residual", "ledger residual", "max_t |U - U_A - U_B - U_chi| (round-off)"
    ),
    "residual_energy_balance": Meta(
        E,
        "energy-balance residual",
        "energy-balance residual",
        "max_t |U(t) - U(0) - Q_A(t) - Q_B(t)| (round-off or solver error)",
    ),
    "n_steps": Meta(ONE, "accepted ODE solver steps", "solver steps", "0 for exact propagators"),
    "n_rhs": Meta(ONE, "right-hand-side evaluations of the ODE solver", "solver RHS calls"),
    "status": Meta(ONE, "point status", "status", "0 missing, 1 done, 2 failed"),
    "error": Meta(ONE, "error message of a failed point", "error"),
    "wall_time": Meta("s", "wall time of the point on its worker", "wall time"),
    "wall_time_s": Meta("s", "wall time of the run", "wall time"),
    # ---- state and bath parameters (also used for sweep coordinates of the same name)
    "beta_A": Meta("1/[E]", "inverse temperature of A", "β_A"),
    "beta_B": Meta("1/[E]", "inverse temperature of B", "β_B"),
    "mu_A": Meta(E, "chemical potential of A", "μ_A"),
    "mu_B": Meta(E, "chemical potential of B", "μ_B"),
}


def lookup(name: str) -> Meta | None:
    """Metadata of ``name``: registered, a change ``Delta<X>`` of a registered X, or the real or
    imaginary part ``<X>_re``/``<X>_im`` of a complex variable. None when unknown."""
    meta = VARIABLES.get(name)
    if meta is not None:
        return meta
    if name.startswith("Delta") and len(name) > 5:
        base = VARIABLES.get(name[5:])
        if base is not None:
            return Meta(
                base.units,
                f"change of {base.long_name} since t = 0",
                f"Δ{base.label}",
                f"{name[5:]}(t) - {name[5:]}(0)",
            )
    for suffix, part in (("_re", "real part"), ("_im", "imaginary part")):
        if name.endswith(suffix):
            base = lookup(name[: -len(suffix)])
            if base is not None:
                return Meta(
                    base.units,
                    f"{base.long_name} ({part})",
                    f"{part[:2]} {base.label}",
                    base.comment,
                )
    return None


def parameter_meta(name: str) -> Meta:
    """Metadata of a swept scenario parameter (a sweep store coordinate): the registry's units
    when the name is a registered quantity (beta_A, mu_A, ...), else the scenario's own."""
    known = lookup(name)
    long_name = f"scenario parameter {name}"
    if known is not None:
        return Meta(known.units, f"{long_name} ({known.long_name})", known.label)
    return Meta("as in the scenario's [parameters]", long_name, name)


def label(name: str) -> str:
    """Short human label of a variable for tables and plots (``ΔN_A`` for ``DeltaN_A``)."""
    meta = lookup(name)
    return meta.label if meta is not None else name


def axis_label(name: str, units: str | None = None) -> str:
    """Axis label "quantity / unit" (ISO 80000), e.g. ``J_A / ([E]/[t])``, ``t / [t]``; just
    the label for dimensionless quantities."""
    meta = lookup(name)
    u = units if units is not None else (meta.units if meta is not None else "")
    text = label(name)
    if not u or u == "1":
        return text
    return f"{text} / ({u})" if "/" in u else f"{text} / {u}"


def annotate(ds: Any, *, parameters: tuple[str, ...] = ()) -> Any:
    """Set ``units``, ``long_name`` (and ``comment``) on every registered variable and
    coordinate of an ``xarray.Dataset``, in place; returns ``ds``.

    ``parameters``: names of coordinates that are swept scenario parameters
    (:func:`parameter_meta`). Unknown names are left untouched (the metadata test lists them).
    The dataset's attribute ``unit_convention`` states what the unit symbols mean.
    """
    ds.attrs.setdefault("unit_convention", UNITS_NOTE)
    for name in list(ds.variables):
        key = str(name)
        meta = parameter_meta(key) if key in parameters else lookup(key)
        if meta is None:
            continue
        attrs = ds[key].attrs
        attrs.pop("description", None)  # superseded by long_name + comment
        attrs["units"] = meta.units
        attrs["long_name"] = meta.long_name
        if meta.comment:
            attrs["comment"] = meta.comment
    return ds


def markdown_table() -> str:
    """The registry as a markdown table (for docs/variables.md)."""
    lines = [
        "| variable | units | long_name | label | comment |",
        "|---|---|---|---|---|",
    ]
    for name, m in VARIABLES.items():
        cells = (f"`{name}`", f"`{m.units}`", m.long_name, m.label, m.comment)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    units = ["| units | meaning |", "|---|---|"]
    units += [f"| `{u}` | {text} |" for u, text in UNIT_SYMBOLS.items()]
    return "\n".join(units) + "\n\n" + "\n".join(lines) + "\n"


def docs_page() -> str:
    """docs/variables.md: the unit convention and the registry (``tests/test_metadata.py`` keeps
    the file equal to this text)."""
    return (
        "# Variables and units\n\n"
        "<!-- generated from corrtherm.core.metadata; regenerate with\n"
        'python -c "import corrtherm.core.metadata as m; '
        "open('docs/variables.md', 'w').write(m.docs_page())\" -->\n\n"
        "Every variable and coordinate of a corrtherm dataset (trajectories, `results.nc`, sweep "
        "stores) carries the attributes `units` and `long_name`, and `comment` where a formula, "
        "an equation of the papers or a sign convention helps. " + UNITS_NOTE + ". A change "
        "`Delta<X>` has the units of `X`; in a sweep store every variable is the summary of one "
        "point's run (changes from t = 0 to t_final), and the swept parameters are coordinates "
        "with the units of the scenario's `[parameters]`.\n\n" + markdown_table()
    )
