"""Hostile inputs to the recently added features: compare and its --out, the global and
Redfield baths, the BLAS-thread and ODE-step settings, and the Gaussian engine (API and the
[gaussian] scenario table). Each test reproduces a case that was wrong (a traceback, a hang, a
silently accepted bad value, a clobbered file or a silently wrong number) and checks the one
clear line, the refusal, or the correct number that replaced it.
"""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

import corrtherm as ct

from .test_hostile_inputs import invoke, one_line_error, scenario_file

SX = ct.sigma_x()
SZ = ct.sigma_z()
SP = ct.sigma_plus()
EXCHANGE = ct.Bipartite(SZ, 0.5 * SZ, 0.1 * (np.kron(SP, SP.T) + np.kron(SP.T, SP)))
RHO0 = np.eye(4) / 4
TIMES = np.linspace(0.0, 1.0, 5)


# ============================================================================ compare --out
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_compare_out_never_replaces_a_device_or_fifo(tmp_path):
    # as root, `--out /dev/full` used to rename a regular file over the device node
    fifo = tmp_path / "table.nc"
    os.mkfifo(fifo)
    r = invoke("compare", "levy-kosloff-local", "--out", fifo)
    one_line_error(r, str(fifo), "not a regular file")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_compare_out_in_a_missing_directory_names_it(tmp_path):
    # used to name the hidden temporary file ".x.nc.<hex>.partial"
    target = tmp_path / "nodir" / "x.nc"
    r = invoke("compare", "levy-kosloff-local", "--out", target)
    line = one_line_error(r, "does not exist", str(tmp_path / "nodir"))
    assert ".partial" not in line
