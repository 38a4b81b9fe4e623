"""The command line: summaries, files written, and one-line errors with exit status 2."""

import json
import subprocess
import sys

import numpy as np
import pytest

import ringbench
from ringbench import experiments
from ringbench.cli import main

SMALL = ["--n", "8", "--d", "12", "--t-max", "40", "--quiet"]


def test_run_prints_summary_and_writes_result(tmp_path, capsys):
    status = main(["run", "--method", "ringmaster", "--gamma", "0.25", "-R", "3", *SMALL, "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0
    assert out.startswith("ringmaster: time_budget at t=40")
    loaded = ringbench.load(tmp_path / "ringmaster")
    assert loaded.config["resolved"]["R"] == 3
    assert loaded.time[-1] == 40.0


def test_run_theory_mode_resolves_parameters(tmp_path):
    assert main(["run", "--method", "rennala", "--eps", "0.03", *SMALL, "--out", str(tmp_path)]) == 0
    resolved = ringbench.load(tmp_path / "rennala").config["resolved"]
    # S = ceil(sigma^2 / eps) with sigma^2 = d * 0.01^2 = 0.0012: the noise is below eps, so S = 1.
    assert resolved["S"] == 1
    assert resolved["gamma"] == pytest.approx(1.0 / ringbench.problems.Quadratic.worst_case(12).L)


def test_compare_writes_table_summary_plot_and_results(tmp_path, capsys):
    status = main(["compare", *SMALL, "--target", "1e-2", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0
    for name in experiments.COMPARED:
        assert name in out
        assert (tmp_path / f"{name}.npz").exists() and (tmp_path / f"{name}.json").exists()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [row["method"] for row in summary["rows"]] == list(experiments.COMPARED)
    png = (tmp_path / "compare.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_ctrl_c_between_two_methods_keeps_the_finished_ones(tmp_path, capsys, monkeypatch):
    """Interrupted while the second method is set up, before its event loop: the first is saved, the rest listed."""
    simulate = experiments.simulate
    calls = []

    def interrupted_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return simulate(*args, **kwargs)

    monkeypatch.setattr(experiments, "simulate", interrupted_second)
    status = main(["compare", "--methods", "ringmaster,rennala,asgd", *SMALL, "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 130 and "interrupted before running: rennala, asgd" in out
    assert ringbench.load(tmp_path / "ringmaster").status == "time_budget"
    assert not (tmp_path / "rennala.json").exists()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [row["method"] for row in summary["rows"]] == ["ringmaster"] and summary["not_run"] == ["rennala", "asgd"]


def test_compare_takes_the_added_methods_at_their_tuned_stepsizes(tmp_path):
    """random/shuffled ASGD, FedAsync and FedBuff have tuned values on the quadratic; the default list is unchanged."""
    added = ["random-asgd", "shuffled-asgd", "fedasync", "fedbuff"]
    assert experiments.SETTINGS["quadratic"].compared == experiments.COMPARED
    assert main(["compare", "--methods", ",".join(added), *SMALL, "--out", str(tmp_path)]) == 0
    for name in added:
        resolved = ringbench.load(tmp_path / name).config["resolved"]
        assert resolved["gamma"] == experiments.PAPER_TUNED_ADDED[name]["gamma"]


@pytest.mark.parametrize("arguments, parameter", [
    (["run", "--method", "ringmaster", "--gamma", "0.1", "-R", "0"], "threshold (R)"),
    (["run", "--method", "ringmaster", "--gamma", "0.1", "-R", "2.5"], "threshold (R)"),
    (["run", "--method", "asgd", "--gamma", "-1"], "gamma"),
    (["run", "--method", "asgd", "--gamma", "nan"], "gamma"),
    (["run", "--method", "asgd"], "gamma"),
    (["run", "--method", "nope", "--gamma", "0.1"], "method"),
    (["run", "--method", "asgd", "--gamma", "0.1", "--timing", "nope"], "timing profile"),
    (["run", "--method", "asgd", "--gamma", "0.1", "--t-max", "0"], "--t-max"),
    (["run", "--method", "asgd", "--gamma", "0.1", "--n", "0"], "--n must"),
    (["run", "--method", "asgd", "--gamma", "0.1", "--threshold", "3"], "threshold"),
    (["compare", "--methods", "ringmaster,nope"], "method"),
    (["compare", "--target", "0"], "--target"),
])
def test_bad_input_is_one_line_and_status_2(arguments, parameter, capsys):
    assert main(arguments + ["--quiet"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ringbench: error:") and parameter in lines[0]


@pytest.mark.parametrize("arguments, flags", [
    (["run", "--method", "asgd", "--gamma", "0.1", "--n", "4", "--n", "8"], "--n"),
    (["run", "--method", "asgd", "--gamma=0.1", "--gamma", "0.2"], "--gamma"),
    (["run", "--method", "ringmaster", "--gamma", "0.1", "-R", "2", "--threshold", "3"], "--threshold/-R"),
    (["run", "--method", "asgd", "--gamma", "0.1", "--quiet", "--quiet"], "--quiet"),
    (["compare", "--setting", "heterogeneous", "--seed", "1", "--seed", "2"], "--seed"),
    (["sweep", "examples/tune-paper.toml", "--workers", "1", "--workers", "2"], "--workers"),
])
def test_an_option_given_twice_is_refused(arguments, flags, capsys):
    """argparse lets the last one silently win; repeatable options (--param, --problem-param) say so."""
    with pytest.raises(SystemExit) as exit_status:
        main(arguments)
    assert exit_status.value.code == 2
    assert capsys.readouterr().err == f"ringbench: error: {flags} is given more than once; give it once (the last " \
                                      "would silently win)\n"


@pytest.mark.parametrize("arguments, option", [
    (["run", "--method", "asgd", "--gamma", "0.1", "--out", ""], "--out"),
    (["compare", "--problem", "logistic", "--data-path", " "], "--data-path"),
    (["sweep", ""], "config"),
    (["scaling", "--out", ""], "--out"),
    (["plot", "result.npz", "--out", ""], "--out"),
])
def test_empty_path_is_an_error_not_the_current_directory(arguments, option, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_status:
        main(arguments)
    assert exit_status.value.code == 2
    assert f"argument {option}: must name a file or directory" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing was written where "" would have pointed


def test_console_errors_have_no_traceback():
    for arguments in (["run", "--method", "ringmaster", "--gamma", "0.1", "-R", "0"], ["run", "--bogus-flag"]):
        done = subprocess.run([sys.executable, "-m", "ringbench", *arguments], capture_output=True, text=True)
        assert done.returncode == 2
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


@pytest.mark.slow
@pytest.mark.compiled  # the paper's full experiment: 20 minutes as Python
def test_paper_experiment_ringmaster_ahead_of_delay_adaptive_asgd():
    """The paper's headline on its own quadratic (n = 6174, d = 1729, 2000 s): Ringmaster ends lower."""
    results = experiments.compare(experiments.paper_methods(["ringmaster", "delay-adaptive-asgd"]),
                                  experiments.paper_problem(), experiments.paper_timing(), t_max=2000.0)
    ringmaster, adaptive = results
    assert ringmaster.status == adaptive.status == "time_budget"
    assert ringmaster.time[-1] == adaptive.time[-1] == 2000.0
    assert ringmaster.grad_norm2[-1] < adaptive.grad_norm2[-1] / 10
    assert np.all(np.isfinite(ringmaster.grad_norm2))
