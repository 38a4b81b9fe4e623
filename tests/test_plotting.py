"""The analysis plots and ``ringbench plot``: each returns or writes a figure with what the trace says."""

import numpy as np
import pytest

import ringbench
from ringbench import plotting
from ringbench.cli import main
from ringbench.methods import ASGD, Ringmaster
from ringbench.problems import Quadratic
from ringbench.timing import fixed, profile


@pytest.fixture(scope="module")
def traced():
    problem = Quadratic.worst_case(4)
    return [ringbench.simulate(problem, method, fixed([1.0, 2.0, 3.5]), t_max=8.0, trace=True)
            for method in (Ringmaster(gamma=0.1, threshold=2), ASGD(gamma=0.1))]


def test_delay_histogram_separates_used_from_wasted(traced):
    figure = plotting.delay_histogram(traced)
    ringmaster = figure.axes[0]
    used, wasted = ringmaster.containers
    # Ringmaster, R = 2, with stops (test_traces): 8 applied at delay 0, 8 cancelled at delay 2.
    assert [bar.get_height() for bar in used] == [8, 0, 0] and [bar.get_height() for bar in wasted] == [0, 0, 8]
    assert "R=2" in ringmaster.get_title()


def test_worker_timeline_draws_every_finished_job(traced):
    figure = plotting.worker_timeline(traced[0])
    used, wasted = figure.axes[0].containers
    assert len(used) == 8 and len(wasted) == 8
    # w1's first job runs from 0 to its cancellation at 2.
    assert sorted((bar.get_x(), bar.get_width(), bar.get_y() + 0.4) for bar in wasted)[0] == (0.0, 2.0, 1.0)
    with pytest.raises(ValueError, match=r"\bworkers\b"):
        many = ringbench.simulate(Quadratic.worst_case(2), ASGD(gamma=0.1), profile("paper", n=70), t_max=3.0,
                                  trace=True)
        plotting.worker_timeline(many)


def test_gradients_per_worker_and_convergence_by_gradients(traced):
    bars = plotting.gradients_per_worker(traced[0]).axes[0].containers
    assert [bar.get_height() for bar in bars[0]] == [8, 0, 0] and [bar.get_height() for bar in bars[1]] == [0, 4, 4]
    figure = plotting.convergence_by_gradients(traced)
    x = figure.axes[0].lines[0].get_xdata()
    assert x[0] == 0 and x[-1] == traced[0].counters["computed"] and np.all(np.diff(x) >= 0)
    untraced = ringbench.simulate(Quadratic.worst_case(4), ASGD(gamma=0.1), fixed([1.0]), t_max=3.0)
    with pytest.raises(ValueError, match=r"trace=True"):
        plotting.delay_histogram([untraced])


def test_convergence_legend_names_parameters_below_the_axes(traced):
    figure = plotting.convergence(traced)
    texts = [text.get_text() for text in figure.legends[0].get_texts()]
    assert texts == ["ringmaster (gamma=0.1, R=2, stops=True)", "asgd (gamma=0.1)"]
    assert not figure.axes[0].get_legend()  # a figure legend outside the panel covers no curve


def test_plot_command_writes_every_plot(tmp_path, traced, capsys):
    for result in traced:
        result.save(tmp_path / result.method)
    assert main(["plot", str(tmp_path / "ringmaster"), str(tmp_path / "asgd.json"), "--out", str(tmp_path)]) == 0
    written = {path.name for path in tmp_path.glob("*.png")}
    assert written == {"convergence.png", "gradients.png", "delays.png", "ringmaster.workers.png",
                       "ringmaster.timeline.png", "asgd.workers.png", "asgd.timeline.png"}
    assert main(["plot", str(tmp_path / "missing")]) == 2
    assert main(["plot", str(tmp_path / "asgd"), "--plots", "bogus"]) == 2
    errors = capsys.readouterr().err
    assert "RESULT" in errors and "--plots" in errors


def test_plot_takes_a_directory_of_results(tmp_path, traced, capsys, monkeypatch):
    """compare --out DIR writes one result per method there (and summary.json, which is no result)."""
    results = tmp_path / "results"
    for result in traced:
        result.save(results / result.method)
    (results / "summary.json").write_text("{}")
    plotted, convergence = [], plotting.convergence
    monkeypatch.setattr(plotting, "convergence",
                        lambda runs: plotted.append([run.method for run in runs]) or convergence(runs))
    assert main(["plot", str(results), "--plots", "convergence,delays", "--out", str(tmp_path)]) == 0
    assert plotted == [["asgd", "ringmaster"]]
    assert {path.name for path in tmp_path.glob("*.png")} == {"convergence.png", "delays.png"}
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["plot", str(empty)]) == 2
    assert "a directory without saved results" in capsys.readouterr().err
    untraced = ringbench.simulate(Quadratic.worst_case(3), ASGD(gamma=0.1), profile("paper", n=3), t_max=5.0)
    untraced.save(tmp_path / "untraced" / "asgd")
    for plots in ("timeline", "delays,workers"):  # a plot command that writes nothing has failed
        assert main(["plot", str(tmp_path / "untraced"), "--plots", plots, "--out", str(tmp_path / "none")]) == 2
        assert "nothing to plot; not traced (ringbench run --trace" in capsys.readouterr().err
    assert not (tmp_path / "none").exists() or not list((tmp_path / "none").iterdir())
    sweep_out = tmp_path / "sweep"  # sweep OUT holds config.toml and the results in runs/
    (sweep_out / "runs").mkdir(parents=True)
    (sweep_out / "config.toml").write_text("")
    assert main(["plot", str(sweep_out)]) == 2
    assert f"its runs are in {sweep_out / 'runs'}" in capsys.readouterr().err
