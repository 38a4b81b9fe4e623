"""``ringbench theory`` and ``ringbench scaling``, and the predicted column of ``ringbench compare``."""

import json

import numpy as np
import pytest

import ringbench as rb
from ringbench import scaling, theory
from ringbench.cli import main

PAPER = ["theory", "--timing", "paper", "--n", "6174", "--sigma2", "0.1729", "--eps", "0.03"]


def test_theory_json_for_the_paper(capsys):
    assert main([*PAPER, "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert (facts["R"], facts["S"], facts["m_star"]) == (6, 6, 9)
    assert facts["tau_h_m_star"] == pytest.approx(3.94, abs=0.01)
    problem = rb.problems.Quadratic.worst_case(1729)
    assert facts["L"] == problem.L and facts["Delta"] == problem.initial_gap()
    tau = rb.timing.profile("paper", 6174).expected_durations()
    assert facts["lower_bound"] == theory.lower_bound(tau, facts["L"], facts["Delta"], 0.1729, 0.03)
    assert facts["window_bound"] == theory.update_window_bound(tau, 6)
    ratios = {name: row["ratio"] for name, row in facts["homogeneous"].items()}
    assert set(ratios) == set(theory.HOMOGENEOUS)
    for name in theory.OPTIMAL:
        assert ratios[name] == 1.0
    # Thousands of slow workers: ASGD and minibatch pay for every one of them, Hero for using only one.
    assert ratios["asgd"] > 10 and ratios["minibatch"] > ratios["asgd"] and 1 < ratios["hero"] < ratios["asgd"]
    assert facts["homogeneous"]["ringmaster"]["guarantee"] > facts["lower_bound"]
    assert facts["homogeneous"]["asgd"]["guarantee"] is None
    assert set(facts["heterogeneous"]) == set(theory.HETEROGENEOUS)


def test_theory_text_and_explicit_constants(capsys):
    assert main(["theory", "--timing", "sqrt", "--n", "100", "--sigma2", "0.16", "--eps", "0.01", "--L", "2",
                 "--delta", "3"]) == 0
    out = capsys.readouterr().out
    tau = np.sqrt(np.arange(1.0, 101.0))
    assert "R* = max{1, ceil(sigma^2/eps)} = 16" in out
    assert f"m* = {theory.optimal_workers(tau, 0.16, 0.01)};" in out
    assert f"= {theory.lower_bound(tau, 2.0, 3.0, 0.16, 0.01):.4g} s" in out
    for name in theory.HOMOGENEOUS + theory.HETEROGENEOUS:
        assert name in out


@pytest.mark.parametrize("arguments, parameter", [
    (["--eps", "0"], "eps"),
    (["--eps", "0.1", "--sigma2", "-1"], "sigma2"),
    (["--eps", "0.1", "--timing", "nope"], "timing profile"),
    (["--eps", "0.1", "--L", "0"], "L must"),
    (["--eps", "0.1", "--n", "0"], "n must"),
])
def test_theory_bad_input(arguments, parameter, capsys):
    assert main(["theory", *arguments]) == 2
    assert parameter in capsys.readouterr().err


def test_scaling_writes_table_json_and_plot(tmp_path, capsys):
    status = main(["scaling", "--ns", "5,40", "--methods", "ringmaster,asgd", "--seeds", "1", "--quiet",
                   "--out", str(tmp_path)])
    assert status == 0
    out = capsys.readouterr().out
    assert "measured/predicted over the grid" in out and (tmp_path / "scaling.txt").read_text() in out + "\n"
    saved = json.loads((tmp_path / "scaling.json").read_text())
    assert [(row["n"], row["method"]) for row in saved["rows"]] == [(5, "ringmaster"), (5, "asgd"),
                                                                    (40, "ringmaster"), (40, "asgd")]
    assert all(row["measured"] is not None for row in saved["rows"])
    assert set(saved["bands"]) == {"ringmaster", "asgd"}
    png = (tmp_path / "scaling.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


@pytest.mark.parametrize("finished", [0, 1])
def test_scaling_interrupted_keeps_the_finished_counts_and_says_so(tmp_path, capsys, monkeypatch, finished):
    study = scaling.study
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) > finished:
            raise KeyboardInterrupt
        return study(*args, **kwargs)

    monkeypatch.setattr(scaling, "study", interrupted)
    status = main(["scaling", "--ns", "5,40", "--methods", "asgd", "--seeds", "1", "--quiet", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert status == 130
    if finished:
        assert "interrupted" in captured.out
        assert [row["n"] for row in json.loads((tmp_path / "scaling.json").read_text())["rows"]] == [5]
    else:
        assert "ringbench: interrupted" in captured.err and not (tmp_path / "scaling.json").exists()


@pytest.mark.parametrize("arguments, parameter", [
    (["--ns", "a,b"], "ns"),
    (["--methods", "nope"], "method"),
    (["--seeds", "0"], "seeds"),
    (["--d", "0"], "d must"),
])
def test_scaling_bad_input(arguments, parameter, tmp_path, capsys):
    assert main(["scaling", "--quiet", "--out", str(tmp_path), *arguments]) == 2
    assert parameter in capsys.readouterr().err
    assert not (tmp_path / "scaling.json").exists()


def test_compare_shows_the_prediction(tmp_path, capsys):
    small = ["--n", "8", "--d", "12", "--t-max", "40", "--quiet", "--methods", "ringmaster,asgd"]
    assert main(["compare", *small, "--theory", "0.03", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "predicted (s)" in out and "E||grad f||^2 <= 0.03" in out
    for name in ("ringmaster", "asgd"):
        predicted = rb.load(tmp_path / name).config["prediction"]["time"]
        assert f"{predicted:.4g}" in out
    # Tuned stepsizes have no eps of their own: the prediction is for the table's target instead.
    assert main(["compare", *small, "--target", "0.02", "--out", str(tmp_path / "tuned")]) == 0
    out = capsys.readouterr().out
    assert "E||grad f||^2 <= 0.02" in out and "E||grad f||^2 <= 0.03" not in out
    for name in ("ringmaster", "asgd"):
        prediction = rb.load(tmp_path / "tuned" / name).config["prediction"]
        assert prediction["eps"] == 0.02 and f"{prediction['time']:.4g}" in out
