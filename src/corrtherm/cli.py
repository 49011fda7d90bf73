"""The ``corrtherm`` command: run scenarios, list/show presets, check conditions, reproduce papers.

Every command runs inside the exception boundary of :mod:`corrtherm.console`: a user error
(:class:`~corrtherm.core.errors.CorrthermError`, OS error, out of memory) is one line on stderr
and exit status 2, Ctrl-C exits 130, and a bug exits 1 with the traceback in a log file.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Annotated

import typer

from .console import (
    MemoryLimit,
    NaturalHelp,
    NaturalHelpGroup,
    handled,
    run_app,
    set_memory_limit,
)
from .core.errors import ScenarioError

__all__ = ["app", "main"]

app = typer.Typer(
    name="corrtherm",
    help="Correlation-resolved quantum thermodynamics: run scenario files, check a model "
    "against the papers' conditions, reproduce the papers' worked examples.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=NaturalHelpGroup,
)


def _version(value: bool) -> None:
    if value:
        from .core._version import package_version

        typer.echo(f"corrtherm {package_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """corrtherm: correlation-resolved quantum thermodynamics."""


def _load(scenario: str | None):
    from .scenarios import DEFAULT_PRESET, list_presets, load_preset, load_scenario
    from .scenarios.expressions import _suggest
    from .scenarios.load import _is_path

    if scenario is None:
        return load_preset(DEFAULT_PRESET)
    if not _is_path(scenario):
        names = list_presets()
        if scenario in names:
            return load_preset(scenario)
        if scenario.endswith(".toml") or "/" in scenario or os.sep in scenario:
            raise ScenarioError(f"{scenario}: scenario file not found")
        raise ScenarioError(
            f"{scenario}: no such scenario file or preset{_suggest(scenario, list(names))} "
            f"(presets: {', '.join(names)})"
        )
    return load_scenario(Path(scenario))


def _refuse_existing(out: Path | None, force: bool) -> None:
    """Like `run` with an existing --out directory: an existing output file is kept unless
    --force (compare, plot-sweep)."""
    if out is not None and (out.exists() or out.is_symlink()) and not force:
        raise ScenarioError(
            f"--out {out}: exists; use --force to replace it or choose another --out"
        )


def _prepare_outdir(out: Path, force: bool, outputs: tuple[str, ...] | None = None):
    """The checked output directory (see :class:`corrtherm.scenarios.files.OutputDir`)."""
    from .scenarios.files import RUN_OUTPUTS, OutputDir

    return OutputDir(out, force, RUN_OUTPUTS if outputs is None else outputs)


@app.command(cls=NaturalHelp)
@handled
def run(
    scenario: Annotated[
        str | None,
        typer.Argument(
            help="Scenario .toml file or preset name (default: paper1-two-qubits).",
            metavar="SCENARIO",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="DIR",
            help="Output directory (default: ./corrtherm-<scenario name>).",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace the results of an earlier run in --out (only files corrtherm wrote).",
        ),
    ] = False,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Write PNG plots.")] = True,
    memory_limit: MemoryLimit = None,
) -> None:
    """Run a scenario; write results.nc, PNG plots and print a summary.

    Scenario files: `corrtherm show --template` (commented), `corrtherm show --reference`.
    """
    from .plotting import plot_run
    from .scenarios import run_scenario, write_results
    from .scenarios.summary import summary_text

    set_memory_limit(memory_limit)
    scen = _load(scenario)
    out = Path(f"corrtherm-{scen.name}") if out is None else out
    outdir = _prepare_outdir(out, force)
    try:
        typer.echo(f"scenario {scen.name} ({scen.spec.title or scen.source})")
        typer.echo(f"  sha256 {scen.sha256[:16]}…")
        # a progress bar only helps a human watching a terminal; logs and pipes stay clean
        with warnings.catch_warnings():
            # the second-law and positivity verdicts are printed in the summary below
            warnings.filterwarnings(
                "ignore",
                message=r"(entropy production sigma|rho\(t\) positivity)",
                category=RuntimeWarning,
            )
            ds = run_scenario(scen, progress=sys.stdout.isatty())
        # the run succeeded: now (and only now) the earlier run's files make way
        outdir.begin()
        made = []
        if plots and scen.spec.analyses.plots:
            made = plot_run(ds, out)
        path = write_results(ds, out / "results.nc")
        outdir.finish([path, *made])
    except BaseException:
        outdir.discard()
        raise
    typer.echo(summary_text(ds))
    typer.echo(
        f"wrote {path}"
        + (f" and {len(made)} plots ({', '.join(p.name for p in made)})" if made else "")
    )


@app.command(cls=NaturalHelp)
@handled
def presets() -> None:
    """List the built-in scenarios."""
    from .scenarios import DEFAULT_PRESET, list_presets

    items = list_presets()
    w = max(len(k) for k in items)
    for name, title in items.items():
        mark = " (default)" if name == DEFAULT_PRESET else ""
        typer.echo(f"{name:<{w}}  {title}{mark}")


@app.command(cls=NaturalHelp)
@handled
def show(
    preset: Annotated[
        str | None,
        typer.Argument(help="Preset name (see `corrtherm presets`).", metavar="PRESET"),
    ] = None,
    template: Annotated[
        bool,
        typer.Option(
            "--template", help="Print a template scenario with every key explained in comments."
        ),
    ] = False,
    reference: Annotated[
        bool,
        typer.Option(
            "--reference",
            help="Print the scenario-file reference (Markdown): every table, key, type, "
            "default and allowed value, rate families, operator expressions.",
        ),
    ] = False,
) -> None:
    """Print a built-in scenario as TOML (redirect it to a file to start your own).

    --template: a scenario with every key explained; --reference: the scenario-file reference.
    """
    from .scenarios import preset_text
    from .scenarios.reference import scenario_reference_markdown
    from .scenarios.template import scenario_template_toml

    if sum([preset is not None, template, reference]) != 1:
        raise ScenarioError(
            "show: give exactly one of a preset name, --template or --reference "
            "(see `corrtherm presets`)"
        )
    if template:
        typer.echo(scenario_template_toml(), nl=False)
    elif reference:
        typer.echo(scenario_reference_markdown(), nl=False)
    else:
        typer.echo(preset_text(preset), nl=False)


@app.command(cls=NaturalHelp)
@handled
def check(
    scenario: Annotated[
        str, typer.Argument(help="Scenario .toml file or preset name.", metavar="SCENARIO")
    ],
    memory_limit: MemoryLimit = None,
) -> None:
    """Check the papers' conditions for a scenario's model, without running dynamics.

    For open dynamics also audit the steady state's entropy production (second law).
    """
    from .core._report import table
    from .scenarios import build_scenario, check_scenario
    from .scenarios.checks import steady_state_audit

    set_memory_limit(memory_limit)
    scen = _load(scenario)
    b = build_scenario(scen)
    rows = check_scenario(scen)
    size = (
        f"modes (L_A, L_B) = {b.model.modes}"
        if scen.spec.gaussian is not None
        else f"dims (d_A, d_B) = {b.model.dims}"
    )
    typer.echo(f"scenario {scen.name}: {size}, dynamics {b.kind}")
    typer.echo(
        table(
            [
                (
                    r["name"],
                    f"norm {r['value']:.3e}",
                    "holds" if r["holds"] else "VIOLATED",
                    f"[{r['equation']}]",
                )
                for r in rows
            ]
        )
    )
    if b.c_interval is not None:
        lo, hi = b.c_interval
        typer.echo(
            f"  correlation strength c = {b.c:.6g}; admissible (rho(0) >= 0): [{lo:.6g}, {hi:.6g}]"
        )
    audit = steady_state_audit(scen)
    if audit:
        typer.echo(f"  {audit}")


@app.command(cls=NaturalHelp)
@handled
def compare(
    scenario: Annotated[
        str, typer.Argument(help="Scenario .toml file or preset name.", metavar="SCENARIO")
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="FILE.nc", help="Also write the table as NetCDF here."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out file.")] = False,
) -> None:
    """Run a scenario's model under the local, global and Redfield approaches side by side.

    Steady-state currents, entropy production, and whether paper 1's quantities change.

    Each bath needs a coupling operator, e.g. coupling = "sx(A0)"; dense models only.
    """
    from .scenarios.compare import compare_scenario, format_comparison
    from .scenarios.defaults import assumed_defaults, format_assumed

    _refuse_existing(out, force)
    scen = _load(scenario)
    table = compare_scenario(scen)
    typer.echo(f"scenario {scen.name}: local vs global (Davies) vs Redfield")
    typer.echo(format_comparison(table))
    # as `run` does: what the file left to defaults (its approach is moot, all three run)
    assumed = [a for a in assumed_defaults(scen.spec) if not a.startswith("dynamics.approach")]
    if assumed:
        typer.echo("  defaults assumed (not set in the scenario):")
        for line in format_assumed(assumed):
            typer.echo(f"    {line}")
    if out is not None:
        from .scenarios import write_results

        path = write_results(table, out)
        typer.echo(f"wrote {path}")


_REPRODUCE_OUTPUTS = ("paper1.png", "paper2.png", "reproduce.csv", "reproduce.md")


@app.command(cls=NaturalHelp)
@handled
def reproduce(
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", help="Output directory.")
    ] = Path("corrtherm-reproduce"),
    force: Annotated[
        bool, typer.Option("--force", help="Replace the files of an earlier reproduce in --out.")
    ] = False,
) -> None:
    """Regenerate the papers' worked examples: plots and a table against closed forms."""
    from .reproduce import format_table
    from .reproduce import reproduce as _reproduce

    outdir = _prepare_outdir(out, force, _REPRODUCE_OUTPUTS)
    try:
        outdir.begin()
        rows = _reproduce(out, progress=sys.stdout.isatty())
        outdir.finish(_REPRODUCE_OUTPUTS)
    except BaseException:
        outdir.discard()
        raise
    typer.echo(format_table(rows), nl=False)
    typer.echo(f"wrote {out}/paper1.png, {out}/paper2.png, {out}/reproduce.csv, {out}/reproduce.md")
    if any(r["ok"] == "NO" for r in rows):
        typer.echo("error: some reproduced numbers disagree with their closed forms", err=True)
        raise typer.Exit(code=1)


def sweep_command(
    scenario: Annotated[
        str, typer.Argument(help="Scenario TOML file or preset name.", metavar="SCENARIO")
    ],
    store: Annotated[
        Path,
        typer.Option(
            "--store",
            metavar="DIR.zarr",
            help="Zarr store directory; an existing store is resumed.",
        ),
    ],
    grid: Annotated[
        list[str] | None,
        typer.Option(
            "--grid",
            metavar="NAME=START:STOP:NUM",
            help="Grid axis (repeat for more axes), e.g. g=0:1:11.",
        ),
    ] = None,
    random: Annotated[
        list[str] | None,
        typer.Option(
            "--random", metavar="NAME=LOW:HIGH", help="Random axis (repeat); needs --samples."
        ),
    ] = None,
    samples: Annotated[
        int | None, typer.Option(metavar="N", help="Number of random samples.")
    ] = None,
    seed: Annotated[int, typer.Option(metavar="N", help="Seed of the random samples.")] = 0,
    scheduler: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS",
            help="Address of a running dask scheduler, e.g. tcp://host:8786 (default: a "
            "local cluster).",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            metavar="N", help="Worker processes of the local cluster (default: number of cores)."
        ),
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(metavar="N", help="Points per dask task (default: automatic).")
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Also recompute points that failed before.")
    ] = False,
    memory_limit: MemoryLimit = None,
) -> None:
    """Evaluate a scenario over a parameter grid or random samples on dask; resumable."""
    from .sweeps import run_sweep

    set_memory_limit(memory_limit)
    try:
        res = run_sweep(
            scenario,
            store=store,
            grid=grid,
            random=random,
            samples=samples,
            seed=seed,
            scheduler=scheduler,
            workers=workers,
            batch_size=batch_size,
            retry_failed=retry_failed,
            status=typer.echo,
        )
    except KeyboardInterrupt:
        typer.echo(
            f"interrupted; finished points are kept in {store}; rerun the same command to resume",
            err=True,
        )
        raise typer.Exit(130) from None
    typer.echo(res.summary())


def plot_sweep_command(
    store: Annotated[Path, typer.Argument(help="Sweep store (DIR.zarr).", metavar="STORE")],
    var: Annotated[
        str | None, typer.Option(metavar="NAME", help="Summary variable to draw.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(metavar="FILE.png", help="Output image (default: STORE.png).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing output image.")
    ] = False,
) -> None:
    """Draw a 1-D curve or 2-D phase map of a sweep, marking anomalous and failed points."""
    from .plotting import plot_sweep

    out = out if out is not None else store.with_suffix(".png")
    _refuse_existing(out, force)
    if out.is_dir() and not out.is_symlink():
        raise ScenarioError(f"--out {out}: is a directory; expected an image file name")
    plot_sweep(store, var=var, out=out)
    typer.echo(f"wrote {out}")


app.command("sweep", cls=NaturalHelp)(handled(sweep_command))
app.command("plot-sweep", cls=NaturalHelp)(handled(plot_sweep_command))


def main() -> None:
    """Console-script entry point: the command inside the exception boundary.

    Exits with the status of :func:`corrtherm.console.run_app` (0, 1, 2 or 130).
    """
    sys.exit(run_app(app))


if __name__ == "__main__":  # pragma: no cover
    main()
