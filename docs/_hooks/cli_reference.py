"""MkDocs hook: the command-line reference, generated from the ``corrtherm`` typer app.

A page containing the marker ``<!-- corrtherm-cli-reference -->`` gets, in its place, one
section per command with its help text, usage and a table of its arguments and options, read
from the click objects behind :data:`corrtherm.cli.app`. Commands and options added to the CLI
appear in the documentation without anyone editing it.
"""

from __future__ import annotations

from typing import Any

import typer

MARKER = "<!-- corrtherm-cli-reference -->"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|").replace("<", "&lt;")


def _param_row(p: Any) -> str:
    """One table row for a click parameter (typer ships its own copy of click: duck-typed)."""
    if p.param_type_name == "argument":
        name = f"`{p.name.upper()}`"
        kind = "argument" + ("" if p.required else " (optional)")
    else:
        names = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
        name, kind = names, "flag" if getattr(p, "is_flag", False) else "option"
    default = p.default
    if callable(default) or default is None or (isinstance(default, bool) and not default):
        shown = "—"
    elif isinstance(default, list | tuple):
        shown = "—" if not default else f"`{default}`"
    else:
        shown = f"`{getattr(default, 'name', default)}`"
    if p.required:
        shown = "required"
    return f"| {name} | {kind} | {shown} | {_cell(getattr(p, 'help', None) or '')} |"


def cli_reference_markdown() -> str:
    """One section per ``corrtherm`` command: help, usage, arguments and options."""
    from corrtherm.cli import app

    group = typer.main.get_command(app)
    ctx = group.context_class(group, info_name="corrtherm")
    out = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        sub = cmd.context_class(cmd, info_name=name, parent=ctx)
        usage = " ".join(["corrtherm", name, *cmd.collect_usage_pieces(sub)])
        out += [f"### `corrtherm {name}`", "", _cell((cmd.help or "").split("\n\n")[0]), ""]
        rest = (cmd.help or "").split("\n\n")[1:]
        out += [" ".join(par.split()) + "\n" for par in rest]
        out += ["```", usage, "```", ""]
        params = [p for p in cmd.params if p.name != "help"]
        if params:
            out += ["| name | kind | default | meaning |", "|---|---|---|---|"]
            out += [_param_row(p) for p in params] + [""]
    return "\n".join(out)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    if MARKER in markdown:
        return markdown.replace(MARKER, cli_reference_markdown())
    return markdown
