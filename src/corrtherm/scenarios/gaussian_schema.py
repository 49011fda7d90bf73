"""The ``[gaussian]`` table: a free-particle model (corrtherm.gaussian) instead of ``[model]``.

A scenario with ``[gaussian]`` describes H = sum_ij h_ij c_i^dag c_j of free fermions or bosons by
its single-particle matrices (tight-binding chains and rings, or matrices from ``.npy`` files)
and runs on the Gaussian engine: hundreds of modes per side, the same variables and analyses.
The other tables keep their meaning; see :data:`GAUSSIAN_NOTES` for what changes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["GaussianModelSpec", "GaussianSideSpec", "GAUSSIAN_NOTES", "GAUSSIAN_TEMPLATE"]

Num = float | str


class _Strict(BaseModel):
    # strict, as the [model] tables: TOML `sites = true` is not the number 1
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class GaussianSideSpec(_Strict):
    """The single-particle matrix h_X of one side: a tight-binding chain or ring, or a .npy file."""

    kind: Literal["chain", "ring", "matrix"] = Field(
        default="chain",
        description='"chain" or "ring": h = onsite - hopping (nearest neighbours); "matrix": '
        "h_X read from the .npy file `matrix`.",
    )
    sites: int | str | None = Field(
        default=None,
        description='Number of modes of a "chain" or "ring" (required for them), 1 to 4096; '
        "an integer or an expression of the parameters.",
    )
    hopping: Num = Field(
        default=1.0, description="Hopping J of the chain or ring (h_{i,i+1} = -J)."
    )
    onsite: Num = Field(default=0.0, description="On-site energy of every mode of the chain.")
    matrix: str | None = Field(
        default=None,
        description='Path of a .npy file with h_X (L_X x L_X, Hermitian) for kind = "matrix", '
        "relative to the scenario file.",
    )


class GaussianModelSpec(_Strict):
    """A free-particle model H = sum_ij h_ij c_i^dag c_j on the Gaussian engine (replaces [model])."""

    statistics: Literal["fermion", "boson"] = Field(
        default="fermion", description="Particle statistics of every mode."
    )
    A: GaussianSideSpec = Field(description="Side A (modes 0 .. L_A - 1).")
    B: GaussianSideSpec = Field(description="Side B (modes L_A .. L - 1).")
    coupling: Literal["bond", "rungs", "matrix"] = Field(
        default="bond",
        description='"bond": -strength between the last mode of A and the first of B (a '
        'junction); "rungs": -strength between mode k of A and mode k of B (a ladder, needs '
        'L_A = L_B); "matrix": t_AB from the .npy file `coupling_matrix`.',
    )
    strength: Num = Field(default=1.0, description="Strength of a bond or rung coupling.")
    coupling_matrix: str | None = Field(
        default=None,
        description='Path of a .npy file with t_AB (L_A x L_B) for coupling = "matrix".',
    )


#: Prose of the reference page: how the other tables read for a Gaussian scenario.
GAUSSIAN_NOTES = [
    "A scenario gives either `[model]` (dense, operators on A ⊗ B) or `[gaussian]` (free",
    "particles, `corrtherm.gaussian`), never both. With `[gaussian]` the other tables read:",
    "",
    '- `[state]`: `kind = "thermal"` gives each side its grand-canonical correlation matrix at',
    '  (`beta_X`, `mu_X`); `correlation = "particle-exchange"` adds c X with X the',
    "  eigenmode-pairing block of `corrtherm.gaussian.exchange_correlation` (admissible",
    "  c in [-1, 1]; without `phase` the phases are aligned so that c > 0 moves particles into",
    "  A), or `correlation` is the path of a .npy file with an L_A x L_B block X (then",
    '  `c_min`, `c_max` are its exact admissible interval). `kind = "matrix"`: `matrix` is a',
    "  .npy file with the L x L correlation matrix C_ij = <c_i^dag c_j>.",
    '- `[dynamics]`: `kind = "open"` couples local baths to the eigenmodes of h_A, h_B',
    "  (`corrtherm.gaussian.LocalBath`): `beta`, `mu` and `gamma0` (the coupling rate); without",
    "  `rate` the rates are gamma (1 - f), gamma f for fermions and gamma (1 + n), gamma n for",
    "  bosons; a `rate` family uses gamma(eps - mu) and gamma(-(eps - mu)). `jumps` and",
    "  `alpha_A` do not apply (the mean-field term v vanishes for Gaussian states).",
    "- `[tolerances]` does not apply (the Gaussian propagators are exact);",
    "  `[analyses] store_states` stores the correlation matrices C(t).",
    "",
]

#: Examples of the template for keys that are unset by default (shown commented out).
GAUSSIAN_TEMPLATE = {
    "dynamics.bath_A.mu": "0.0",
    "dynamics.bath_B.mu": "0.0",
    "gaussian.A.sites": "100",
    "gaussian.A.matrix": '"h_A.npy"',
    "gaussian.B.sites": "100",
    "gaussian.B.matrix": '"h_B.npy"',
    "gaussian.coupling_matrix": '"t_AB.npy"',
}


def commented_out(template: str) -> str:
    """The template with its ``[gaussian]`` tables commented out: it must validate with
    [model], and a scenario takes one of the two (the note says how to switch)."""
    out, inside = [], False
    for line in template.split("\n"):
        if line.startswith("["):
            inside = line.startswith("[gaussian")
            if line == "[gaussian]":
                out += [
                    "# [gaussian]",
                    "# Alternative to [model] (use one of the two): a free-particle model on the "
                    "Gaussian engine.",
                    "# Uncomment these tables and remove [model] to use it.",
                ]
                continue
        out.append(f"# {line}" if inside and line and not line.startswith("#") else line)
    return "\n".join(out)
