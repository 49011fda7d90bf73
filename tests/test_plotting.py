"""PNG figures of runs: which plots apply to which run, and that they are real images."""

from __future__ import annotations

import numpy as np
from matplotlib.image import imread

from corrtherm.plotting import plot_currents, plot_flows, plot_run
from corrtherm.scenarios import load_preset, load_scenario, preset_text, run_scenario


def _is_png_with_content(path) -> bool:
    img = imread(path)
    # a figure with curves is not one flat colour
    return img.ndim == 3 and img.shape[0] > 100 and float(np.std(img[..., :3])) > 0.01


def test_open_run_plots_ledger_currents_information(tmp_path):
    text = preset_text("paper1-two-qubits").replace("n_points = 201", "n_points = 21")
    ds = run_scenario(load_scenario(text))
    made = plot_run(ds, tmp_path)
    assert [p.name for p in made] == ["energy.png", "currents.png", "information.png"]
    assert all(_is_png_with_content(p) for p in made)
    assert plot_flows(ds, tmp_path / "flows.png") is None  # Eq. 26 is for isolated systems


def test_isolated_run_plots_flow_classification(tmp_path):
    ds = run_scenario(load_preset("paper2-fermions-anomalous"))
    made = plot_run(ds, tmp_path)
    assert [p.name for p in made] == ["energy.png", "information.png", "flows.png"]
    assert all(_is_png_with_content(p) for p in made)
    assert plot_currents(ds, tmp_path / "currents.png") is None
    assert not (tmp_path / "currents.png").exists()
