"""Fuzzing the scenario pipeline with hostile mutations of the presets (see tests/_fuzz.py).

Two harnesses, both derandomized (fixed examples: CI is reproducible) and bounded in cost:

* in-process, through the library: ``load_scenario`` -> ``check_scenario`` -> ``run_scenario``
  -> ``summarize`` either succeeds or raises a :class:`corrtherm.CorrthermError`, under a
  pre-flight memory cap (``CORRTHERM_MEMORY_LIMIT``) and a wall-clock limit per case;
* through the command-line entry point (``corrtherm.console.run_app``, what ``main`` runs), in
  a subprocess whose address space is capped with ``RLIMIT_AS`` and with a wall-clock limit per
  case: ``check`` and ``run`` exit 0, or exit 2 with exactly one line on stderr.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corrtherm as ct
from corrtherm.scenarios import check_scenario, load_scenario, run_scenario, summarize

from ._fuzz import mutated_scenario

#: Wall-clock limit of one fuzz case (seconds); normal cases take well under 3 s.
CASE_LIMIT = 30
#: Address-space cap of the command-line fuzz subprocess.
ADDRESS_SPACE = 3 * 2**30

FUZZ = settings(
    max_examples=80,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class _Timeout(Exception):
    pass


@contextmanager
def _time_limit(seconds: int):
    def fire(*_):
        raise _Timeout

    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@FUZZ
@given(case=mutated_scenario())
def test_library_pipeline_succeeds_or_raises_corrtherm_error(case, monkeypatch):
    desc, text = case
    monkeypatch.setenv("CORRTHERM_MEMORY_LIMIT", "1GB")
    t0 = time.perf_counter()
    try:
        with _time_limit(CASE_LIMIT):
            scen = load_scenario(text)
            check_scenario(scen)
            summarize(run_scenario(scen))
    except ct.CorrthermError as exc:
        assert "\n" not in str(exc).strip(), (desc, str(exc))
    except _Timeout:
        pytest.fail(f"{desc}: no result within {CASE_LIMIT} s")
    assert time.perf_counter() - t0 < CASE_LIMIT


_DRIVER = textwrap.dedent(
    """
    import contextlib, io, json, os, resource, signal, sys, tempfile, time
    resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
    from corrtherm.cli import app
    from corrtherm.console import run_app

    class Timeout(BaseException):
        pass

    def fire(*_):
        raise Timeout

    signal.signal(signal.SIGALRM, fire)
    results = []
    for text in json.load(sys.stdin):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.toml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            for cmd in (["check", path], ["run", path, "--no-plots", "--out", d + "/o"]):
                sys.argv = ["corrtherm", *cmd]
                out, err = io.StringIO(), io.StringIO()
                t0 = time.perf_counter()
                signal.alarm({limit})
                try:
                    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                        code = run_app(app)
                except Timeout:
                    code = "timeout"
                except BaseException as exc:
                    code = "escaped " + type(exc).__name__
                signal.alarm(0)
                results.append([cmd[0], code, err.getvalue(), time.perf_counter() - t0])
                if code != 0:
                    break
    json.dump(results, sys.stdout)
    """
)


@settings(FUZZ, max_examples=3)
@given(cases=st.lists(mutated_scenario(), min_size=12, max_size=12))
def test_command_line_exits_0_or_2_with_one_line_under_a_memory_cap(cases):
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "CORRTHERM_MEMORY_LIMIT": ""}
    env.pop("CORRTHERM_MEMORY_LIMIT")  # the default limit must respect RLIMIT_AS by itself
    p = subprocess.run(
        [sys.executable, "-c", _DRIVER.format(cap=ADDRESS_SPACE, limit=CASE_LIMIT)],
        input=json.dumps([text for _, text in cases]),
        capture_output=True,
        text=True,
        env=env,
        timeout=CASE_LIMIT * 2 * len(cases),
    )
    assert p.returncode == 0, p.stderr[-2000:]
    results = json.loads(p.stdout)
    descs = iter(d for d, _ in cases)
    desc = None
    for cmd, code, err, seconds in results:
        if cmd == "check":
            desc = next(descs)
        lines = err.strip().splitlines()
        assert code == 0 or (code == 2 and len(lines) == 1 and lines[0].startswith("error: ")), (
            desc,
            cmd,
            code,
            err,
        )
        assert seconds < CASE_LIMIT, (desc, cmd, seconds)
