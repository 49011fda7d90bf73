"""The command line's exception boundary and help formatting (used by :mod:`corrtherm.cli`).

Exit statuses (one line on stderr for every failure, never a traceback):

- 0: success; library warnings (NumPy, Dask, Zarr) and held-back log lines are printed after
  the result, never before an error line;
- 2: user error: a :class:`corrtherm.CorrthermError` (bad scenario or parameter, a refused
  resource estimate, an existing output directory, ...), a command-line usage error, an OS error
  (permissions, paths) or running out of memory;
- 130: interrupted (Ctrl-C);
- 1: internal error (a bug): the line says "internal error, please report" and names a log file
  with the traceback.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import click
import typer
import typer.core

from .core.errors import CorrthermError
from .core.limits import ENV_VAR, parse_size

__all__ = [
    "handled",
    "run_app",
    "NaturalHelp",
    "NaturalHelpGroup",
    "MemoryLimit",
    "set_memory_limit",
]

# typer >= 0.2x vendors its own copy of click: catch the exception classes of both
_CLICKS = [click]
with contextlib.suppress(ImportError):
    from typer import _click as _vendored_click

    _CLICKS.append(_vendored_click)


def _classes(name: str, *extra: type) -> tuple[type, ...]:
    found = {getattr(m.exceptions, name, None) for m in _CLICKS} | set(extra)
    return tuple(c for c in found if isinstance(c, type))


_USAGE_ERRORS = _classes("ClickException")
_ABORTS = _classes("Abort", typer.Abort)
_EXITS = _classes("Exit", typer.Exit)

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130
EXIT_INTERNAL_ERROR = 1


def _fail(msg: str, code: int = EXIT_USER_ERROR) -> typer.Exit:
    # exactly one line, so that shell scripts and humans both see what went wrong
    typer.echo(f"error: {' '.join(str(msg).split())}", err=True)
    return typer.Exit(code=code)


# ============================================================================ exception boundary
#: Loggers whose stderr handlers are held back while a command runs (Dask, Tornado, asyncio).
_QUIET_LOGGERS = ("", "distributed", "tornado", "asyncio", "bokeh")


@contextlib.contextmanager
def _held_back() -> Iterator[tuple[list[warnings.WarningMessage], io.StringIO]]:
    """Collect warnings and library log output instead of printing them before an error."""
    buf = io.StringIO()
    swapped = []
    for name in _QUIET_LOGGERS:
        for h in logging.getLogger(name).handlers:
            if isinstance(h, logging.StreamHandler) and h.stream in (sys.stderr, sys.__stderr__):
                swapped.append((h, h.setStream(buf)))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            yield caught, buf
    finally:
        for h, old in swapped:
            h.setStream(old)


def _report_held_back(caught: list[warnings.WarningMessage], buf: io.StringIO) -> None:
    """After a successful command: each distinct warning once, then held-back log lines."""
    seen: dict[str, int] = {}
    for w in caught:
        key = f"{w.category.__name__}: {' '.join(str(w.message).split())}"
        seen[key] = seen.get(key, 0) + 1
    for key, n in seen.items():
        typer.echo(f"warning: {key}" + (f" ({n} times)" if n > 1 else ""), err=True)
    text = buf.getvalue().strip()
    if text:
        typer.echo(text, err=True)


def _crash_log(exc: BaseException) -> Path | None:
    """Write the traceback of an internal error to a new log file in the temporary directory
    (never into the user's working directory); returns its path, or None if that fails."""
    try:
        fd, name = tempfile.mkstemp(
            prefix=f"corrtherm-crash-{time.strftime('%Y%m%d-%H%M%S')}-", suffix=".log"
        )
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"corrtherm {_package_version()} on Python {sys.version}\n")
            fh.write(f"command: {' '.join(sys.argv)}\n\n")
            fh.write("".join(traceback.format_exception(exc)))
        return Path(name)
    except OSError:
        return None


def _package_version() -> str:
    from .core._version import package_version

    return package_version()


def _internal_error(exc: BaseException) -> int:
    log = _crash_log(exc)
    where = f"; traceback in {log}" if log else ""
    first = " ".join(str(exc).split())[:300]
    _fail(
        f"internal error, please report it at the corrtherm issue tracker "
        f"({type(exc).__name__}: {first}){where}"
    )
    return EXIT_INTERNAL_ERROR


def _os_message(exc: OSError) -> str:
    what = exc.strerror or type(exc).__name__
    names = [str(f) for f in (exc.filename, exc.filename2) if f is not None]
    return f"{' -> '.join(names)}: {what}" if names else f"{what} ({exc})"


def _boundary(fn: Callable[[], Any]) -> Any:
    """Run a command body: every failure becomes one line on stderr and a documented status."""
    env_before = os.environ.get(ENV_VAR)
    try:
        with _held_back() as (caught, buf):
            try:
                result = fn()
            except (*_EXITS, *_USAGE_ERRORS, *_ABORTS):
                raise
            except CorrthermError as exc:
                raise _fail(str(exc)) from None
            except KeyboardInterrupt:
                raise _fail("interrupted", code=EXIT_INTERRUPTED) from None
            except MemoryError as exc:
                detail = " ".join(str(exc).split()) or "the allocation failed"
                raise _fail(
                    f"out of memory ({detail}); use a smaller problem (fewer save times, "
                    f"smaller model, smaller grid) or lower {ENV_VAR} so that corrtherm "
                    "refuses it up front"
                ) from None
            except OSError as exc:
                raise _fail(_os_message(exc)) from None
            except Exception as exc:
                raise typer.Exit(_internal_error(exc)) from None
        _report_held_back(caught, buf)
        return result
    finally:
        if env_before is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = env_before


def handled(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A command inside the exception boundary (see the module docstring)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _boundary(lambda: fn(*args, **kwargs))

    return wrapper


def set_memory_limit(value: str | None) -> None:
    if value is not None:
        parse_size(value, "--memory-limit")  # a bad size is a one-line error now
        os.environ[ENV_VAR] = value


def _natural(params: list[Any]) -> None:
    for p in params:
        if isinstance(p, typer.core.TyperArgument):
            label = p.metavar or str(p.name).upper()
            p.display_type_rich = lambda ctx=None: None  # type: ignore[method-assign]
            p._usage_display_name = (  # type: ignore[attr-defined]
                (lambda label=label: label) if p.required else (lambda label=label: f"[{label}]")
            )
        elif isinstance(p, typer.core.TyperOption) and (p.is_flag or p.count):
            p.display_type_rich = lambda ctx=None: None  # type: ignore[method-assign]


class _Natural:
    """Mixin for typer's command classes: its parameters (and --help) print naturally."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _natural(self.params)

    def get_help_option(self, ctx: Any) -> Any:
        opt = super().get_help_option(ctx)
        _natural([opt] if opt is not None else [])
        return opt


class NaturalHelp(_Natural, typer.core.TyperCommand):
    """Help that reads like a man page: ``corrtherm run [OPTIONS] [SCENARIO]``, ``--force``
    without a ``<bool>``, ``--grid NAME=START:STOP:NUM`` instead of ``<list[str]>``."""


class NaturalHelpGroup(_Natural, typer.core.TyperGroup):
    """The same for ``corrtherm --help``."""


_MEMORY_HELP = (
    f"Memory a run may plan to use, e.g. 16GB or none (default: {ENV_VAR}, else 80% of the "
    "available memory)."
)
MemoryLimit = Annotated[
    str | None, typer.Option("--memory-limit", metavar="SIZE", help=_MEMORY_HELP)
]


def _one_line_usage_error(exc: Any) -> int:
    """A usage error (unknown option, bad value) as one line, with where to find help."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # `corrtherm` alone: the help is the answer
        exc.show()
        return int(exc.exit_code)
    ctx = getattr(exc, "ctx", None)
    where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    typer.echo(f"error: {' '.join(exc.format_message().split())}{where}", err=True)
    return exc.exit_code


def run_app(app: typer.Typer) -> int:
    """Run the typer app; every way out is an exit status (see the module docstring)."""
    try:
        code = app(standalone_mode=False)
    except _USAGE_ERRORS as exc:
        return _one_line_usage_error(exc)
    except (*_ABORTS, KeyboardInterrupt):
        typer.echo("error: interrupted", err=True)
        return EXIT_INTERRUPTED
    except _EXITS as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except Exception as exc:  # outside any command (option parsing, callbacks): still one line
        return _internal_error(exc)
    return code if isinstance(code, int) else 0
