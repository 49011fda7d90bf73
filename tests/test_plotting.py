"""PNG figures of runs: which plots apply to which run, and that they are real images."""

from __future__ import annotations

import numpy as np
import pytest
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
    assert plot_flows(ds, tmp_path / "flows.png") is None  # inequality (26) is for isolated systems


def test_isolated_run_plots_flow_classification(tmp_path):
    ds = run_scenario(load_preset("paper2-fermions-anomalous"))
    made = plot_run(ds, tmp_path)
    assert [p.name for p in made] == ["energy.png", "information.png", "flows.png"]
    assert all(_is_png_with_content(p) for p in made)
    assert plot_currents(ds, tmp_path / "currents.png") is None
    assert not (tmp_path / "currents.png").exists()


def _figure_of(path_fn, ds, tmp_path, monkeypatch):
    """Run a plot function and return the Figure it drew (the functions only return paths)."""
    import matplotlib.figure

    saved = {}
    real = matplotlib.figure.Figure.savefig

    def keep(self, *args, **kwargs):
        saved["fig"] = self
        return real(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", keep)
    path_fn(ds, tmp_path / "x.png")
    fig = saved["fig"]
    fig.canvas.draw()
    return fig


def test_equal_curves_stay_distinguishable_and_legends_stay_off_the_data(tmp_path, monkeypatch):
    from corrtherm.core.metadata import UNITS_NOTE
    from corrtherm.plotting import plot_energy, plot_information

    ds = run_scenario(load_preset("paper1-two-qubits"))  # J_A = J_B, Q_A = Q_B, S_A = S_B
    assert np.allclose(ds["J_A"], ds["J_B"]) and np.allclose(ds["S_A"], ds["S_B"])
    for fn in (plot_currents, plot_energy, plot_information):
        fig = _figure_of(fn, ds, tmp_path, monkeypatch)
        assert any(t.get_text() == UNITS_NOTE for t in fig.texts), fn.__name__  # ħ = k_B = 1
        for ax in fig.axes:
            lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
            styles = {(ln.get_linestyle(), ln.get_marker()) for ln in lines}
            assert len(styles) == len(lines), fn.__name__  # no two curves drawn alike
            offsets = [ln.get_markevery()[0] for ln in lines]
            assert len(set(offsets)) == len(offsets)  # markers of equal curves never coincide
            # the legend sits right of the axes, never on the data
            box, leg = ax.get_window_extent(), ax.get_legend().get_window_extent()
            assert leg.x0 >= box.x1, fn.__name__
            assert "/" in ax.get_ylabel() or ax.get_ylabel() == ""  # quantity / unit
        assert fig.axes[-1].get_xlabel() == "t / [t]"


def test_small_changes_and_the_second_law_are_visible(tmp_path, monkeypatch):
    """Found by a new user: in levy-kosloff-local the energy and entropy curves were flat lines
    (changes of 1e-3 on values of order 1) and σ < 0, the run's finding, was not drawn at all."""
    from corrtherm.plotting import plot_energy, plot_information

    with pytest.warns(RuntimeWarning, match="entropy production sigma: violated"):
        ds = run_scenario(load_preset("levy-kosloff-local"))
    fig = _figure_of(plot_energy, ds, tmp_path, monkeypatch)
    changes = {ln.get_label(): ln.get_ydata() for ln in fig.axes[1].get_lines()}
    np.testing.assert_allclose(changes["ΔU_χ"], ds["U_chi"] - ds["U_chi"][0], atol=1e-15)
    np.testing.assert_allclose(changes["ΔU_A"], ds["U_A"] - ds["U_A"][0], atol=1e-15)
    fig = _figure_of(plot_information, ds, tmp_path, monkeypatch)
    assert len(fig.axes) == 3
    sigma = [ln for ln in fig.axes[2].get_lines() if ln.get_label().startswith("σ:")][0]
    np.testing.assert_allclose(sigma.get_ydata(), ds["sigma"])
    assert min(sigma.get_ydata()) < 0  # the violation is on the figure, below its zero line
    # the title is the figure's (centred on the image), never cut at the left edge
    box = fig._suptitle.get_window_extent()
    assert box.x0 >= 0 and box.x1 <= fig.bbox.x1
    # isolated runs have no entropy production panel
    iso = run_scenario(load_preset("paper2-fermions-anomalous"))
    assert len(_figure_of(plot_information, iso, tmp_path, monkeypatch).axes) == 2
