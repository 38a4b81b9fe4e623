"""The tuning protocol: selection by the final metric on tuning seeds, reporting seeds, median/IQR bands."""

import csv
import json
import math

import numpy as np
import pytest

import ringbench
from ringbench import Recording, methods, problems, sweep, timing
from ringbench.sweep import bands, table, tuning

TUNE = """
name = "tune"
n = 12
t_max = 60.0
checkpoints = 12

[seeds]
root = 21

[tuning]
tuning_seeds = 2
reporting_seeds = 3

[[problems]]
name = "worst-case"
d = 10
noise_std = 0.05

[[timings]]
name = "paper"

[[methods]]
name = "asgd"
gamma = {powers = 5, from = -3, to = 1}

[[methods]]
name = "ringmaster"
label = "ringmaster-R"
gamma = 0.2
threshold = {n_over_powers = 3}
"""


def scores_for(config, values):
    """Tuning scores {run_id: score} where ``values[gamma]`` lists the per-seed scores of ASGD's stepsizes."""
    scores = {}
    for spec in config.specs("tuning"):
        if spec.label == "asgd":
            scores[spec.run_id] = values[spec.method["gamma"]][spec.seed_index]
        else:
            scores[spec.run_id] = float(spec.method["threshold"])  # the smallest R wins
    return scores


def test_selection_counts_divergence_as_worst_and_breaks_ties_by_grid_order():
    config = sweep.parse(TUNE)
    gammas = [5.0**i for i in range(-3, 2)]
    values = {gammas[0]: [1.0, 1.0], gammas[1]: [0.1, math.inf], gammas[2]: [0.6, 0.8], gammas[3]: [0.7, 0.7],
              gammas[4]: [math.inf, math.inf]}
    choices, candidates = tuning.select(config, scores_for(config, values))
    by_label = {choice.label: choice for choice in choices}
    assert by_label["asgd"].method == {"name": "asgd", "gamma": gammas[2]}  # tie with gammas[3]: first in grid order
    assert by_label["asgd"].score == pytest.approx(0.7)
    assert by_label["asgd"].edges == ()
    assert by_label["ringmaster-R"].method["threshold"] == 1
    assert by_label["ringmaster-R"].edges == ("threshold at the lowest grid value",)
    asgd_rows = [row for row in candidates if row["label"] == "asgd"]
    assert [row["score"] for row in asgd_rows] == [1.0, math.inf, pytest.approx(0.7), 0.7, math.inf]
    assert [row["diverged_seeds"] for row in asgd_rows] == [0, 1, 0, 0, 2]
    assert [row["chosen"] for row in asgd_rows] == [False, False, True, False, False]

    everything_diverges = {gamma: [math.inf, math.inf] for gamma in gammas}
    choices, _ = tuning.select(config, scores_for(config, everything_diverges))
    assert choices[0].method["gamma"] == gammas[0] and choices[0].score == math.inf
    assert choices[0].edges == ("gamma at the lowest grid value",)


def test_score_is_the_final_metric_or_inf_when_diverged():
    problem, model = problems.Quadratic.worst_case(10, noise_std=0.05), timing.profile("paper", 12)
    fine = ringbench.simulate(problem, methods.ASGD(gamma=0.05), model, t_max=30.0, seed=1)
    assert tuning.score(table.outcome(fine), "f_gap") == float(fine.f_gap[-1])
    assert tuning.score(table.outcome(fine), "grad_norm2") == float(fine.grad_norm2[-1])
    blown = ringbench.simulate(problem, methods.ASGD(gamma=20.0), model, t_max=30.0, seed=1)
    assert blown.status == "diverged" and tuning.score(table.outcome(blown), "f_gap") == math.inf
    # As the index holds them, read back from JSON: no checkpoint row, or a non-finite last one, scores +inf.
    ended = {"status": "time_budget", "final_f_gap": 0.5, "final_grad_norm2": 2.0}
    assert tuning.score(ended, "f_gap") == 0.5 and tuning.score(ended, "grad_norm2") == 2.0
    assert tuning.score({**ended, "final_f_gap": None}, "f_gap") == math.inf
    assert tuning.score({**ended, "final_grad_norm2": math.nan}, "grad_norm2") == math.inf
    assert tuning.score({**ended, "status": "diverged"}, "f_gap") == math.inf


def fake_result(time, values):
    n = len(values)
    return ringbench.Result(time=np.asarray(time[:n], dtype=float), iteration=np.arange(n), f_gap=np.asarray(values),
                            grad_norm2=np.asarray(values), x=np.zeros(1), status="time_budget", counters={},
                            diverged_at=None, config={}, provenance={})


def test_quartiles_interpolate_and_count_divergence_as_inf():
    time = [0.0, 1.0, 2.0]
    runs = [fake_result(time, [4.0, 2.0, 1.0]), fake_result(time, [8.0, 4.0, 3.0]), fake_result(time, [6.0, 3.0]),
            fake_result(time, [2.0, 1.0, 5.0]), fake_result(time, [10.0])]  # the last two diverged early
    grid, (lower, median, upper) = bands.quartiles(runs, "f_gap")
    assert grid.tolist() == time
    assert lower.tolist() == [4.0, 2.0, 3.0]
    assert median.tolist() == [6.0, 3.0, 5.0]
    assert upper.tolist() == [8.0, 4.0, math.inf]
    with pytest.raises(ValueError, match="do not share a checkpoint grid"):
        bands.quartiles([fake_result(time, [1.0, 2.0]), fake_result([0.0, 1.5], [1.0, 2.0])], "f_gap")


def test_tuning_sweep_picks_the_best_candidate_and_reports_on_other_seeds(tmp_path):
    config_path = tmp_path / "tune.toml"
    config_path.write_text(TUNE)
    outcome = sweep.run(config_path, tmp_path / "out", executor="threads", workers=2)
    problem, model = problems.Quadratic.worst_case(10, noise_std=0.05), timing.profile("paper", 12)
    tuning_seeds = np.random.SeedSequence(21).spawn(2)[0].spawn(2)
    reporting_seeds = np.random.SeedSequence(21).spawn(2)[1].spawn(3)

    def mean_final_gap(method):
        finals = []
        for seed in tuning_seeds:
            result = ringbench.simulate(problem, method, model, t_max=60.0, seed=seed, record=Recording(times=12))
            finals.append(math.inf if result.status == "diverged" else float(result.f_gap[-1]))
        return sum(finals) / len(finals)

    asgd_scores = {5.0**i: mean_final_gap(methods.ASGD(gamma=5.0**i)) for i in range(-3, 2)}
    best = min(asgd_scores, key=asgd_scores.get)
    choice = next(choice for choice in outcome.choices if choice.label == "asgd")
    assert choice.method == {"name": "asgd", "gamma": best}
    assert choice.score == asgd_scores[best]

    reported = [spec for spec in outcome.specs if spec.role == "reporting" and spec.label == "asgd"]
    assert [spec.method for spec in reported] == [choice.method] * 3
    for spec, seed in zip(reported, reporting_seeds):
        alone = ringbench.simulate(problem, methods.ASGD(gamma=best), model, t_max=60.0, seed=seed,
                                   record=Recording(times=12))
        assert ringbench.load(outcome.out / "runs" / spec.run_id).f_gap.tobytes() == alone.f_gap.tobytes()

    assert outcome.ran == 5 * 2 + 3 * 2 + 2 * 3  # ASGD 5 stepsizes, Ringmaster R in {12, 4, 1}; 2 methods reported
    with open(outcome.files["tuning_csv"], newline="") as stream:
        chosen_rows = [row for row in csv.DictReader(stream) if row["chosen"] == "True"]
    assert [(row["label"], float(row["method.gamma"])) for row in chosen_rows] == [
        ("asgd", best), ("ringmaster-R", 0.2)]
    tuned = json.loads(outcome.files["tuned_json"].read_text())
    assert tuned["metric"] == "f_gap" and tuned["choices"][0]["method"] == choice.method
    assert [path.name for path in outcome.files["figures"]] == ["bands-1.png"]
    assert outcome.files["figures"][0].stat().st_size > 10_000


@pytest.mark.datasets("mnist5k")  # check() builds the problem
def test_tuning_on_f_gap_is_refused_before_any_run_for_a_problem_without_f_star():
    network = TUNE.replace('name = "worst-case"\nd = 10\nnoise_std = 0.05',
                           'name = "mlp"\ndataset = "mnist5k"\nhidden = 4')
    assert 'name = "mlp"' in network
    with pytest.raises(ValueError, match=r"tuning.metric: 'f_gap' needs f\*, which problems: mlp .* does not know"):
        sweep.parse(network).check()  # f_gap is the default metric
    sweep.parse(network.replace("[tuning]\n", '[tuning]\nmetric = "grad_norm2"\n')).check()
