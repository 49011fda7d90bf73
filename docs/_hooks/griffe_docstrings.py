"""Griffe extension: render corrtherm's plain-text docstrings faithfully as Markdown.

The docstrings are written for ``help()``: Sphinx roles (``:func:`evolve```), bras and kets
(``|m><n|``, ``<k|H|k>``) and reST literal blocks (``::``). Markdown would drop the kets as
HTML tags and print the roles verbatim, so before rendering:

- a role becomes a cross-reference (``[`evolve`][evolve]``, resolved in the docstring's scope
  by mkdocstrings' scoped cross-references), so ``mkdocs build --strict`` fails on a reference
  to a name that no longer exists; private names (``_max_step``) become plain code;
- ``<`` outside code becomes ``&lt;`` (and ``>`` after it ``&gt;``), so kets survive;
- a paragraph ending in ``::`` ends in ``:``, its indented block stays a code block;
- a module constant documented Sphinx-style, by ``#:`` comment lines above it, gets them as its
  docstring (griffe reads only string literals below an assignment).

The source text is not changed; only what the documentation site shows.
"""

from __future__ import annotations

import builtins
import re
from functools import cache
from pathlib import Path
from typing import Any

from griffe import Docstring, Extension, Object

_ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|exc|obj):`(~?)([^`]+)`")
# inline code spans (``x`` or `x`) are kept as they are
_CODE_SPAN = re.compile(r"(``.+?``|`[^`\n]+`)")


def _role(match: re.Match) -> str:
    tilde, target = match.group(1), match.group(2).strip()
    if target.endswith("()"):
        target = target[:-2]
    shown = target.rsplit(".", 1)[-1] if tilde else target
    first = target.split(".")[0]
    outside = ("." in target and first != "corrtherm") or first in dir(builtins)
    if outside or any(part.startswith("_") for part in target.split(".")):
        # private names are not documented; other packages' names have no inventory offline
        return f"`{shown}`"
    return f"[`{shown}`][{target}]"


def _inline(text: str) -> str:
    """Escape angle brackets and convert roles outside code spans of one line."""
    out = []
    for k, piece in enumerate(_CODE_SPAN.split(_ROLE.sub(_role, text))):
        if k % 2:  # a code span
            out.append(piece)
        else:
            out.append(piece.replace("<", "&lt;").replace(">", "&gt;"))
    return "".join(out)


def docstring_to_markdown(text: str) -> str:
    """The Markdown that renders ``text`` (a plain-text docstring) as ``help()`` shows it."""
    lines = text.splitlines()
    out: list[str] = []
    in_fence = False
    in_literal = False  # the indented block after a line ending in '::'
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("```"):
            in_fence = not in_fence
            out.append(line)
            continue
        if in_fence:
            out.append(line)
            continue
        if in_literal:
            if stripped and not line.startswith(" "):
                in_literal = False
            else:
                out.append(line)
                continue
        if stripped.endswith("::") and not stripped.startswith(".."):
            head = _inline(line.rstrip()[:-2]).rstrip()
            out.append(head + (":" if head.strip() else ""))
            out.append("")
            in_literal = True
            continue
        if line.startswith("    ") and (not out or not out[-1].strip()):
            # an indented block after a blank line is a code block in both reST and Markdown
            in_literal = True
            out.append(line)
            continue
        # a line starting with '>' would open a block quote
        md = _inline(line)
        out.append(md)
    return "\n".join(out)


@cache
def _source_lines(path: Path) -> tuple[str, ...]:
    return tuple(path.read_text(encoding="utf-8").splitlines())


def _comment_docstring(obj: Object) -> str | None:
    """The ``#:`` comment lines right above an attribute's assignment, joined."""
    if not obj.is_attribute or obj.lineno is None or not isinstance(obj.filepath, Path):
        return None
    lines = _source_lines(obj.filepath)
    k, found = obj.lineno - 2, []
    while k >= 0 and lines[k].strip().startswith("#:"):
        found.insert(0, lines[k].strip()[2:].strip())
        k -= 1
    return " ".join(found) or None


class PlainTextDocstrings(Extension):
    """Rewrite every docstring with :func:`docstring_to_markdown` as objects are loaded."""

    def on_instance(self, *, obj: Object, **kwargs: Any) -> None:
        if obj.docstring is None and (text := _comment_docstring(obj)):
            obj.docstring = Docstring(text, lineno=obj.lineno, parent=obj)
        if obj.docstring is not None:
            obj.docstring.value = docstring_to_markdown(obj.docstring.value)
