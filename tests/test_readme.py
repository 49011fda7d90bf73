"""Run the README's ``$ corrtherm ...`` console commands so the documentation cannot rot.

Lines starting with ``$ corrtherm`` inside ```console blocks are executed, in order, in one
temporary directory (so later commands can use files written by earlier ones); install and test
commands are skipped. Then every ```python block (e.g. reading results.nc back with xarray) runs
in the same directory. The test is skipped while README.md has no such console blocks.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
SKIP = re.compile(r"^(pip|pytest|python -m pytest|git|\.ci/)")


def readme_commands() -> list[str]:
    if not README.is_file():
        return []
    text = README.read_text(encoding="utf-8")
    cmds = []
    for block in re.findall(r"^```console[^\n]*\n(.*?)^```", text, flags=re.S | re.M):
        for line in block.splitlines():
            if line.startswith("$ "):
                cmd = line[2:].strip()
                if cmd.startswith("corrtherm") and not SKIP.match(cmd):
                    cmds.append(cmd)
    return cmds


def readme_python_blocks() -> list[str]:
    if not README.is_file():
        return []
    text = README.read_text(encoding="utf-8")
    return re.findall(r"^```python[^\n]*\n(.*?)^```", text, flags=re.S | re.M)


def test_readme_console_commands_run(tmp_path):
    cmds = readme_commands()
    assert cmds, "README.md has no ```console blocks with `$ corrtherm` commands"
    assert shutil.which("corrtherm"), (
        "the corrtherm entry point is not installed (pip install -e .)"
    )
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    for cmd in cmds:
        # README commands may use redirections (corrtherm show X > my.toml), hence a shell
        p = subprocess.run(
            ["bash", "-c", cmd], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300
        )
        assert p.returncode == 0, f"README command failed: {cmd}\n{p.stderr}"
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
