"""The ``corrtherm`` command: run scenarios, list/show presets, check conditions, reproduce papers.

Every :class:`~corrtherm.core.errors.CorrthermError` (bad scenario, bad parameter, existing output
directory, ...) becomes exit status 2 with one line on stderr and no traceback.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from .core.errors import CorrthermError, ScenarioError

__all__ = ["app", "main"]

app = typer.Typer(
    name="corrtherm",
    help="Correlation-resolved quantum thermodynamics: run scenario files, check a model "
    "against the papers' conditions, reproduce the papers' worked examples.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(msg: str) -> typer.Exit:
    # exactly one line, so that shell scripts and humans both see what went wrong
    typer.echo(f"error: {' '.join(str(msg).split())}", err=True)
    return typer.Exit(code=2)


def _handled(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn package errors into exit status 2 with a one-line message."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CorrthermError as exc:
            raise _fail(str(exc)) from None

    return wrapper


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

    if scenario is None:
        return load_preset(DEFAULT_PRESET)
    if not Path(scenario).exists() and scenario in list_presets():
        return load_preset(scenario)
    if not Path(scenario).exists():
        raise ScenarioError(
            f"{scenario}: no such scenario file or preset (see `corrtherm presets`)"
        )
    return load_scenario(Path(scenario))


def _prepare_outdir(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ScenarioError(f"--out {out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ScenarioError(
            f"--out {out}: directory exists and is not empty; use --force to "
            "overwrite it or choose another --out"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError(f"--out {out}: cannot create directory ({exc})") from None


@app.command()
@_handled
def run(
    scenario: Annotated[
        str | None,
        typer.Argument(help="Scenario .toml file or preset name (default: paper1-two-qubits)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Output directory (default: ./corrtherm-<scenario name>)."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Write into an existing, non-empty output directory.")
    ] = False,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Write PNG plots.")] = True,
) -> None:
    """Run a scenario; write results.nc, PNG plots and print a summary.

    Scenario files: `corrtherm show --template` (commented), `corrtherm show --reference`.
    """
    from .plotting import plot_run
    from .scenarios import run_scenario, write_results
    from .scenarios.summary import summary_text

    scen = _load(scenario)
    out = Path(f"corrtherm-{scen.name}") if out is None else out
    _prepare_outdir(out, force)
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
    made = []
    if plots and scen.spec.analyses.plots:
        made = plot_run(ds, out)
    path = write_results(ds, out / "results.nc")
    typer.echo(summary_text(ds))
    typer.echo(
        f"wrote {path}"
        + (f" and {len(made)} plots ({', '.join(p.name for p in made)})" if made else "")
    )


@app.command()
@_handled
def presets() -> None:
    """List the built-in scenarios."""
    from .scenarios import DEFAULT_PRESET, list_presets

    items = list_presets()
    w = max(len(k) for k in items)
    for name, title in items.items():
        mark = " (default)" if name == DEFAULT_PRESET else ""
        typer.echo(f"{name:<{w}}  {title}{mark}")


@app.command()
@_handled
def show(
    preset: Annotated[
        str | None, typer.Argument(help="Preset name (see `corrtherm presets`).")
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
    from .scenarios.reference import scenario_reference_markdown, scenario_template_toml

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


@app.command()
@_handled
def check(
    scenario: Annotated[str, typer.Argument(help="Scenario .toml file or preset name.")],
) -> None:
    """Check the papers' conditions for a scenario's model without running dynamics; for open
    dynamics also audit the steady state's entropy production (second law)."""
    from .core._report import table
    from .scenarios import build_scenario, check_scenario
    from .scenarios.checks import steady_state_audit

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


@app.command()
@_handled
def compare(
    scenario: Annotated[str, typer.Argument(help="Scenario .toml file or preset name.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also write the table as NetCDF here.")
    ] = None,
) -> None:
    """Run a scenario's model under the local, global and Redfield approaches side by side:
    steady-state currents, entropy production, and whether paper 1's quantities change."""
    from .scenarios.compare import compare_scenario, format_comparison

    scen = _load(scenario)
    table = compare_scenario(scen)
    typer.echo(f"scenario {scen.name}: local vs global (Davies) vs Redfield")
    typer.echo(format_comparison(table))
    if out is not None:
        from .scenarios import write_results

        path = write_results(table, out)
        typer.echo(f"wrote {path}")


@app.command()
@_handled
def reproduce(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path(
        "corrtherm-reproduce"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite a non-empty --out.")] = False,
) -> None:
    """Regenerate the papers' worked examples: plots and a table against closed forms."""
    from .reproduce import format_table
    from .reproduce import reproduce as _reproduce

    _prepare_outdir(out, force)
    rows = _reproduce(out, progress=sys.stdout.isatty())
    typer.echo(format_table(rows), nl=False)
    typer.echo(f"wrote {out}/paper1.png, {out}/paper2.png, {out}/reproduce.csv, {out}/reproduce.md")
    if any(r["ok"] == "NO" for r in rows):
        typer.echo("error: some reproduced numbers disagree with their closed forms", err=True)
        raise typer.Exit(code=1)


def sweep_command(
    scenario: Annotated[str, typer.Argument(help="Scenario TOML file or preset name.")],
    store: Annotated[
        Path,
        typer.Option(
            "--store", help="Zarr store directory (DIR.zarr); an existing store is resumed."
        ),
    ],
    grid: Annotated[
        list[str] | None,
        typer.Option("--grid", help="Grid axis NAME=START:STOP:NUM (repeat for more axes)."),
    ] = None,
    random: Annotated[
        list[str] | None,
        typer.Option("--random", help="Random axis NAME=LOW:HIGH (repeat); needs --samples."),
    ] = None,
    samples: Annotated[int | None, typer.Option(help="Number of random samples.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random samples.")] = 0,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Address of a running dask scheduler (default: a local cluster)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes of the local cluster (default: number of cores)."),
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(help="Points per dask task (default: automatic).")
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Also recompute points that failed before.")
    ] = False,
) -> None:
    """Evaluate a scenario over a parameter grid or random samples on dask; resumable."""
    from .sweeps import run_sweep

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
        )
    except KeyboardInterrupt:
        typer.echo(
            f"interrupted; finished points are kept in {store}; rerun the same command to resume",
            err=True,
        )
        raise typer.Exit(130) from None
    typer.echo(res.summary())


def plot_sweep_command(
    store: Annotated[Path, typer.Argument(help="Sweep store (DIR.zarr).")],
    var: Annotated[str | None, typer.Option(help="Summary variable to draw.")] = None,
    out: Annotated[Path | None, typer.Option(help="Output image (default: STORE.png).")] = None,
) -> None:
    """Draw a 1-D curve or 2-D phase map of a sweep, marking anomalous and failed points."""
    from .plotting import plot_sweep

    out = out if out is not None else store.with_suffix(".png")
    plot_sweep(store, var=var, out=out)
    typer.echo(f"wrote {out}")


app.command("sweep")(_handled(sweep_command))
app.command("plot-sweep")(_handled(plot_sweep_command))


def main() -> None:
    """Console-script entry point.

    Runs the typer app ``app``; ``corrtherm --help`` lists the commands.
    """
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
