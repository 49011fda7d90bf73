"""How reports print: one text/HTML table formatter shared by every report and the CLI.

:class:`Report` is a mixin for the frozen report dataclasses (``EnergyLedger``,
``ConditionsReport``, ``FlowReport``, ...). It gives them

- ``__str__``: a heading and a two-column table of human labels and values, the same table
  the command line prints;
- ``_repr_html_``: the same table as escaped HTML for Jupyter;
- ``__repr__``: the dataclass form with arrays summarized (decorate with ``repr=False``).

Values are formatted by :func:`fmt`: floats to 6 significant digits, matrices as a one-line
summary (shape, trace and eigenvalue range of Hermitian ones, Frobenius norm otherwise), never
dumped. Field names stay the public API; only their labels are for humans.
"""

from __future__ import annotations

import dataclasses
import html
import math
import unicodedata
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from .metadata import lookup

__all__ = ["Report", "fmt", "table", "html_table", "ZERO_RTOL"]

#: A value below ZERO_RTOL times the scale of its quantity prints as 0 (round-off, not data).
ZERO_RTOL = 1e-12
#: Arrays with at most this many entries print in full (eigenvalues, rates).
INLINE_ENTRIES = 6
#: Largest Hermitian matrix whose eigenvalue range is printed (above: trace and norm only).
EIGEN_MAX_D = 256


def _num(x: float, scale: float | None = None) -> str:
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if scale is not None and abs(x) < ZERO_RTOL * scale:
        return "0"
    return f"{x:.6g}"


def _complex(z: complex) -> str:
    if abs(z.imag) <= ZERO_RTOL * max(1.0, abs(z.real)):
        return f"{z.real:.4g}"
    return f"{z.real:.4g}{z.imag:+.4g}j"


def _array(a: np.ndarray) -> str:
    if a.size == 0:
        return f"empty, shape {a.shape}"
    if a.ndim == 1 and a.size <= INLINE_ENTRIES:
        items = [_complex(complex(z)) if np.iscomplexobj(a) else f"{z:.4g}" for z in a]
        return "[" + ", ".join(items) + "]"
    if a.ndim == 1:
        if np.iscomplexobj(a):
            return f"{a.size} complex values, |z| in [{np.abs(a).min():.4g}, {np.abs(a).max():.4g}]"
        return f"{a.size} values in [{np.nanmin(a):.4g}, {np.nanmax(a):.4g}]"
    shape = "×".join(str(n) for n in a.shape)
    if a.ndim == 2 and a.shape[0] == a.shape[1] and np.all(np.isfinite(a)):
        scale = max(1.0, float(np.max(np.abs(a))))
        if np.allclose(a, a.conj().T, atol=1e-12 * scale, rtol=0):
            text = f"{shape} Hermitian, trace {_num(float(np.trace(a).real), scale)}"
            if a.shape[0] > EIGEN_MAX_D:  # printing must stay cheap
                return f"{text}, ‖·‖_F = {_num(float(np.linalg.norm(a)))}"
            ev = np.linalg.eigvalsh(0.5 * (a + a.conj().T))
            return (
                f"{text}, eigenvalues in [{_num(float(ev[0]), scale)}, "
                f"{_num(float(ev[-1]), scale)}]"
            )
    kind = "complex" if np.iscomplexobj(a) else "real"
    return f"{shape} {kind} array, ‖·‖_F = {_num(float(np.linalg.norm(a)))}"


def fmt(value: Any, scale: float | None = None) -> str:
    """One-line text of a report value (None -> "n/a", bool -> yes/no, arrays summarized).

    With ``scale``, a float below ZERO_RTOL * scale in magnitude prints as 0.
    """
    if value is None:
        return "n/a"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return _num(float(value), scale)
    if isinstance(value, complex | np.complexfloating):
        return _complex(complex(value))
    if isinstance(value, np.ndarray):
        return _array(value)
    if isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
        return ", ".join(value) or "n/a"
    return str(value)


def _width(text: str) -> int:
    """Printed width: combining marks (the hat of V̂) take no column."""
    return sum(1 for ch in text if not unicodedata.combining(ch))


def table(rows: Sequence[Sequence[str]], indent: int = 2) -> str:
    """Left-aligned columns, ``indent`` spaces in front, two spaces between columns."""
    rows = [[str(c) for c in r] for r in rows]
    if not rows:
        return ""
    ncol = max(len(r) for r in rows)
    widths = [max((_width(r[k]) for r in rows if k < len(r)), default=0) for k in range(ncol)]
    lines = []
    for r in rows:
        cells = [
            c + " " * (widths[k] - _width(c)) if k < len(r) - 1 else c for k, c in enumerate(r)
        ]
        lines.append(" " * indent + "  ".join(cells).rstrip())
    return "\n".join(lines)


def html_table(
    heading: str, rows: Sequence[Sequence[str]], notes: Sequence[str] = (), header: Sequence = ()
) -> str:
    """The table as escaped HTML (for ``_repr_html_``)."""
    esc = html.escape
    out = ["<div>", "<table>", f"<caption style='text-align:left'>{esc(heading)}</caption>"]
    if header:
        out.append("<tr>" + "".join(f"<th>{esc(str(h))}</th>" for h in header) + "</tr>")
    for r in rows:
        first, rest = str(r[0]), r[1:]
        cells = "".join(f"<td style='text-align:left'>{esc(str(c))}</td>" for c in rest)
        out.append(f"<tr><th style='text-align:left'>{esc(first)}</th>{cells}</tr>")
    out.append("</table>")
    out += [f"<p>{esc(n)}</p>" for n in notes]
    out.append("</div>")
    return "\n".join(out)


class Report:
    """Mixin: readable ``__str__``, ``_repr_html_`` and a compact ``__repr__`` for a frozen
    report dataclass. Subclasses set ``_title`` and ``_labels`` (field -> human label) and may
    override :meth:`_rows`, :meth:`_notes`, :meth:`_heading` and :meth:`_scale`."""

    _title: ClassVar[str] = ""
    _labels: ClassVar[dict[str, str]] = {}
    #: properties shown after the fields, in this order
    _extra: ClassVar[tuple[str, ...]] = ()

    def _heading(self) -> str:
        return self._title or type(self).__name__

    def _scale(self) -> float | None:
        """Scale below which (times ZERO_RTOL) floats print as 0; None: never."""
        return None

    def _label(self, name: str) -> str:
        if name in self._labels:
            return self._labels[name]
        meta = lookup(name)
        return meta.label if meta is not None else name

    def _rows(self) -> list[tuple[str, str]]:
        scale = self._scale()
        names = [f.name for f in _public_fields(self)] + list(self._extra)
        return [(self._label(n), fmt(getattr(self, n), scale)) for n in names]

    def _notes(self) -> list[str]:
        return []

    def __str__(self) -> str:
        parts = [self._heading(), table(self._rows())]
        parts += [f"  {n}" for n in self._notes()]
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return html_table(self._heading(), self._rows(), self._notes())

    def __repr__(self) -> str:
        items = []
        for f in _public_fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                text = f"<{fmt(v)}>"
            elif isinstance(v, float | np.floating):
                text = f"{float(v):.6g}"
            else:
                text = repr(v)
            items.append(f"{f.name}={text}")
        return f"{type(self).__name__}({', '.join(items)})"


def _public_fields(obj: Any) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(obj) if not f.name.startswith("_")]


def tuple_text(obj: Any, heading: str, labels: dict[str, str]) -> tuple[str, str]:
    """(text, html) of a NamedTuple report such as ``Decomposition`` or ``Entropies``."""
    rows = [(labels.get(n, n), fmt(getattr(obj, n))) for n in obj._fields]
    return heading + "\n" + table(rows), html_table(heading, rows)


def tuple_repr(obj: Any) -> str:
    """One-line repr of a NamedTuple with its arrays summarized."""
    items = ", ".join(f"{n}=<{fmt(getattr(obj, n))}>" for n in obj._fields)
    return f"{type(obj).__name__}({items})"
