"""Loading scenarios: TOML text, files and built-in presets into validated :class:`Scenario`s."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ..core._validate import finite_real
from ..core.errors import ScenarioError
from .expressions import _suggest
from .schema import ScenarioSpec, _pydantic_message

__all__ = [
    "Scenario",
    "load_scenario",
    "load_preset",
    "list_presets",
    "preset_text",
    "to_toml",
    "DEFAULT_PRESET",
]


#: Largest scenario file read (bytes): scenarios are short text; arrays go in .npy files.
MAX_SCENARIO_BYTES = 1 << 20


class Scenario(BaseModel):
    """A validated scenario: its TOML text, sha256 of that text, and the parsed spec.

    Immutable; :meth:`with_parameters` returns a new scenario with a rewritten
    ``[parameters]`` table (so text and hash always describe exactly what runs).
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    source: str  # file path or "<preset:NAME>" or "<text>"
    text: str
    sha256: str
    spec: ScenarioSpec

    @property
    def parameters(self) -> dict[str, float]:
        return dict(self.spec.parameters)

    @property
    def base_dir(self) -> Path:
        p = Path(self.source)
        return p.parent if p.suffix == ".toml" else Path.cwd()

    def with_parameters(self, values: Mapping[str, float]) -> Scenario:
        """A copy with some ``[parameters]`` values replaced; unknown names are an error."""
        unknown = sorted(set(values) - set(self.spec.parameters))
        if unknown:
            raise ScenarioError(
                f"{self.source}: parameters: unknown parameter `{unknown[0]}`"
                f"{_suggest(unknown[0], list(self.spec.parameters))} (declared: "
                f"{', '.join(self.spec.parameters) or 'none'})"
            )
        new = {**self.spec.parameters}
        for k, v in values.items():
            new[k] = finite_real(
                v, f"{self.source}: parameters.{k}", ScenarioError, "a finite real number"
            )
        text = _replace_parameters(self.text, new)
        return _make_scenario(text, self.source, self.name)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def to_toml(data: Mapping[str, Any]) -> str:
    """Minimal TOML writer for scenario dictionaries (tables of scalars, lists, inline tables).

    Used to rewrite a scenario whose ``[parameters]`` cannot be edited in place; the output is
    read back by :func:`tomllib.loads` to the same dictionary (sites stay an inline table).
    """
    top = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    out = ["\n".join(top)] if top else []

    def table(prefix: str, d: Mapping[str, Any]) -> None:
        scal = [
            f"{k} = {_toml_value(v)}"
            for k, v in d.items()
            if not isinstance(v, dict) or prefix == "model" and k == "sites"
        ]
        out.append(f"[{prefix}]\n" + "\n".join(scal))
        for k, v in d.items():
            if isinstance(v, dict) and not (prefix == "model" and k == "sites"):
                table(f"{prefix}.{k}", v)

    for k, v in data.items():
        if isinstance(v, dict):
            table(k, v)
    return "\n\n".join(out) + "\n"


def _replace_parameters(text: str, new: Mapping[str, float]) -> str:
    """Rewrite ``name = value`` lines of the [parameters] table, keeping comments and layout."""
    lines = text.splitlines()
    in_params, done = False, set()
    for n, line in enumerate(lines):
        s = line.strip()
        if s.startswith("["):
            in_params = s.split("#")[0].strip() == "[parameters]"
            continue
        if in_params:
            m = re.match(r"^(\s*)([A-Za-z][A-Za-z0-9_]*)(\s*=\s*)([^#]*?)(\s*#.*)?$", line)
            if m and m.group(2) in new:
                lines[n] = (
                    f"{m.group(1)}{m.group(2)}{m.group(3)}{new[m.group(2)]!r}{m.group(5) or ''}"
                )
                done.add(m.group(2))
    out = "\n".join(lines) + "\n"
    try:
        ok = tomllib.loads(out).get("parameters") == dict(new)
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:  # unusual layout (inline table, dotted keys): regenerate the whole document
        data = tomllib.loads(text)
        data["parameters"] = dict(new)
        out = to_toml(data)
    return out


def _make_scenario(text: str, source: str, name: str) -> Scenario:
    # a UTF-8 byte-order mark (Windows editors write one) is not part of the TOML document
    text = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: TOML syntax error: {exc}") from None
    except RecursionError:
        raise ScenarioError(
            f"{source}: TOML nested too deeply; expected a scenario of tables of values"
        ) from None
    try:
        spec = ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{source}: {_pydantic_message(exc)}") from None
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    scen = Scenario(name=name, source=source, text=text, sha256=sha, spec=spec)
    from .build import _validate_expressions  # build needs Scenario: imported on use

    _validate_expressions(scen)
    return scen


def _presets_dir():
    return resources.files("corrtherm.scenarios") / "presets"


def list_presets() -> dict[str, str]:
    """Built-in scenario names mapped to their titles.

    The presets are the TOML files shipped in ``corrtherm/scenarios/presets/``;
    ``corrtherm presets`` prints this list.
    """
    out = {}
    for f in sorted(_presets_dir().iterdir(), key=lambda p: p.name):
        if f.name.endswith(".toml"):
            data = tomllib.loads(f.read_text(encoding="utf-8"))
            out[f.name[:-5]] = str(data.get("title", ""))
    return out


def preset_text(name: str) -> str:
    """TOML text of a built-in scenario.

    An unknown name raises :class:`ScenarioError` listing the presets and the closest match;
    ``corrtherm show NAME`` prints this text.
    """
    names = list_presets()
    if name not in names:
        raise ScenarioError(
            f"preset: unknown preset `{name}`{_suggest(name, list(names))} "
            f"(available: {', '.join(names)})"
        )
    return (_presets_dir() / f"{name}.toml").read_text(encoding="utf-8")


#: The scenario run by ``corrtherm run`` without arguments.
DEFAULT_PRESET = "paper1-two-qubits"


def load_preset(name: str = DEFAULT_PRESET) -> Scenario:
    """Load a built-in scenario by name.

    The :class:`Scenario` has source ``<preset:NAME>``; the default is ``DEFAULT_PRESET``, paper
    1's two-qubit example.
    """
    return _make_scenario(preset_text(name), f"<preset:{name}>", name)


def _is_path(p: str | Path, file: bool = False) -> bool:
    """Whether ``p`` names an existing path (a file); False for names the OS cannot even look
    up (a NUL byte, a component longer than NAME_MAX)."""
    try:
        q = Path(p)
        return q.is_file() if file else q.exists()
    except (OSError, ValueError):
        return False


def load_scenario(path_or_text: str | Path) -> Scenario:
    """Load and validate a scenario from a ``.toml`` path, a preset name, or TOML text.

    Every problem raises :class:`ScenarioError` naming the file, the field and what is wrong.
    """
    if isinstance(path_or_text, str) and len(path_or_text) > MAX_SCENARIO_BYTES:
        raise ScenarioError(
            f"scenario: text of {len(path_or_text):,} characters; expected at most "
            f"{MAX_SCENARIO_BYTES:,}"
        )
    if isinstance(path_or_text, Path) or (
        isinstance(path_or_text, str)
        and "\n" not in path_or_text
        and (path_or_text.endswith(".toml") or _is_path(path_or_text))
    ):
        p = Path(path_or_text)
        if _is_path(p) and p.is_dir():
            raise ScenarioError(f"{p}: is a directory; expected a scenario .toml file")
        if not _is_path(p, file=True):
            if isinstance(path_or_text, str) and path_or_text in list_presets():
                return load_preset(path_or_text)
            raise ScenarioError(f"{p}: scenario file not found")
        try:
            size = p.stat().st_size
            if size > MAX_SCENARIO_BYTES:
                raise ScenarioError(
                    f"{p}: scenario file of {size:,} bytes; expected a TOML scenario of at most "
                    f"{MAX_SCENARIO_BYTES:,} bytes (large arrays belong in .npy files)"
                )
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(f"{p}: cannot read scenario file ({exc})") from None
        return _make_scenario(text, str(p), p.stem)
    if isinstance(path_or_text, str) and path_or_text in list_presets():
        return load_preset(path_or_text)
    if not isinstance(path_or_text, str):
        raise ScenarioError(
            f"scenario: expected a path or TOML text, got {type(path_or_text).__name__}"
        )
    return _make_scenario(path_or_text, "<text>", "scenario")
