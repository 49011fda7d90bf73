"""Run the README's ``$ corrtherm ...`` console commands so the documentation cannot rot.

Lines starting with ``$ corrtherm`` inside ```console blocks are executed, in order, in one
temporary directory (so later commands can use files written by earlier ones); install and test
commands are skipped. Where the README shows a command's output (the lines after it, up to the
next ``$`` line), the real output must match it: text exactly up to whitespace, numbers to
a relative 1e-5 (six printed digits) or an absolute 1e-12 (round-off), wall-clock times free.
Then every ```python block (e.g. reading results.nc back with xarray) runs in the same
directory, and everything the commands left behind must be git-ignored, so a clone stays clean.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SKIP = re.compile(r"^(pip|pytest|python -m pytest|git|\.ci/)")


def readme_commands() -> list[tuple[str, list[str]]]:
    """(command, the output lines the README shows for it) in README order."""
    if not README.is_file():
        return []
    text = README.read_text(encoding="utf-8")
    cmds: list[tuple[str, list[str]]] = []
    for block in re.findall(r"^```console[^\n]*\n(.*?)^```", text, flags=re.S | re.M):
        current = None
        for line in block.splitlines():
            if line.startswith("$ "):
                cmd = line[2:].strip()
                current = None
                if cmd.startswith("corrtherm") and not SKIP.match(cmd):
                    current = (cmd, [])
                    cmds.append(current)
            elif current is not None and line.strip():
                current[1].append(line)
    return cmds


NUMBER = re.compile(r"^[-+−]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
#: Lines whose numbers are measurements of this machine, not results.
FREE_NUMBERS = re.compile(r"wall time|points/s|\d+\.\d s\b")


def _number(token: str) -> float | None:
    token = token.strip(",;()")
    return float(token.replace("−", "-")) if NUMBER.match(token) else None


def output_mismatches(shown: list[str], real: list[str]) -> list[str]:
    """Lines of the README's sample output that the real output contradicts."""
    real = [line for line in real if line.strip()]
    if len(shown) != len(real):
        return [f"README shows {len(shown)} lines, the command prints {len(real)}"]
    bad = []
    for a, b in zip(shown, real, strict=True):
        ta, tb = a.split(), b.split()
        free = bool(FREE_NUMBERS.search(b))
        ok = len(ta) == len(tb)
        for x, y in zip(ta, tb, strict=False):
            nx, ny = _number(x), _number(y)
            if nx is not None and ny is not None:
                ok &= free or abs(nx - ny) <= max(1e-5 * abs(ny), 1e-12)
            else:
                ok &= x == y
        if not ok:
            bad.append(f"README: {a.strip()}\nreal:   {b.strip()}")
    return bad


def _ignored(name: str, is_dir: bool) -> bool:
    """Whether .gitignore ignores a top-level entry (the patterns this repository uses)."""
    for pattern in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines():
        pattern = pattern.strip()
        if not pattern or pattern.startswith("#"):
            continue
        dir_only = pattern.endswith("/")
        pattern = pattern.rstrip("/").lstrip("/")
        if fnmatch.fnmatch(name, pattern) and (is_dir or not dir_only):
            return True
    return False


def readme_python_blocks() -> list[str]:
    if not README.is_file():
        return []
    text = README.read_text(encoding="utf-8")
    return re.findall(r"^```python[^\n]*\n(.*?)^```", text, flags=re.S | re.M)


def quick_start_commands() -> list[str]:
    """The ``corrtherm ...`` parts of the quick start's plain code blocks (``pip install -e . &&
    corrtherm run --out first-run``): a reader runs them before the tour."""
    text = README.read_text(encoding="utf-8") if README.is_file() else ""
    section = text.split("## Quick start", 1)[-1].split("\n## ", 1)[0]
    found = []
    for block in re.findall(r"^```\n(.*?)^```", section, flags=re.S | re.M):
        for part in block.replace("\n", " && ").split("&&"):
            if part.strip().startswith("corrtherm"):
                found.append(part.strip())
    return found


def test_readme_console_commands_run(tmp_path):
    # the reader has done the quick start first, so the tour must not collide with it
    quick = quick_start_commands()
    assert quick == ["corrtherm run --out first-run"], quick
    cmds = [(c, []) for c in quick] + readme_commands()
    assert cmds, "README.md has no ```console blocks with `$ corrtherm` commands"
    assert shutil.which("corrtherm"), (
        "the corrtherm entry point is not installed (pip install -e .)"
    )
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    assert any(shown for _, shown in cmds), "README shows no command output to check"
    for cmd, shown in cmds:
        # README commands may use redirections (corrtherm show X > my.toml), hence a shell
        p = subprocess.run(
            ["bash", "-c", cmd], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300
        )
        assert p.returncode == 0, f"README command failed: {cmd}\n{p.stderr}"
        if shown:
            bad = output_mismatches(shown, p.stdout.splitlines())
            assert not bad, f"README output of `{cmd}` is stale:\n" + "\n".join(bad)
    for code in readme_python_blocks():
        p = subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert p.returncode == 0, f"README python block failed:\n{code}\n{p.stderr}"
    left = [e for e in tmp_path.iterdir() if not _ignored(e.name, e.is_dir())]
    assert not left, f"README commands leave untracked files in a clone: {[e.name for e in left]}"


def test_output_comparison_rules():
    shown = ["  ΔU_A   0   [E]", "  wall time   0.36  s", "wrote first-run/results.nc"]
    assert output_mismatches(shown, ["  ΔU_A 3e-16 [E]", "  wall time 9.1 s", *shown[2:]]) == []
    assert output_mismatches(shown, ["  ΔU_A 1e-3 [E]", *shown[1:]])  # a number that moved
    assert output_mismatches(shown, ["  ΔU_B   0   [E]", *shown[1:]])  # text must match
    assert output_mismatches(shown, shown[:2])  # a line went missing
    assert _number("−0.04") == -0.04 and _number("3f6a05aa") is None


def test_benchmarks_write_only_ignored_files():
    """bench/thermal_chain.py appends its runs under an ignored directory; the tracked
    bench/results/thermal_chain.jsonl is a curated copy that a benchmark run never touches."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("thermal_chain", ROOT / "bench/thermal_chain.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rel = bench.RESULTS_DIR.relative_to(ROOT).as_posix()
    assert rel == "bench/results/local"
    assert f"{rel}/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    source = (ROOT / "bench/thermal_chain.py").read_text(encoding="utf-8")
    assert 'HERE / "results"' not in source.replace('HERE / "results" / "local"', "")
