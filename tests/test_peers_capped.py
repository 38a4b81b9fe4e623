"""The concurrency cap (methods.Capped): hand-computed runs, C = n changes nothing, the naive reference."""

import numpy as np
import pytest
from naive import assert_same_run
from test_naive_agreement import PROBLEMS, TIMINGS, run_both

import ringbench
from ringbench.methods import ASGD, Capped, DelayAdaptiveASGD, FedAsync, FedBuff, RandomASGD, Rennala, Ringmaster
from ringbench.problems import Quadratic
from ringbench.timing import fixed, profile


def line():
    return Quadratic(np.array([[1.0]]), [0.0], x0=[1.0], name="line")


def run(method, tau, updates):
    return ringbench.simulate(line(), method, fixed(tau), seed=0, max_updates=updates, trace="iterates")


def test_cap_one_is_round_robin_sgd():
    # One slot, tau = (1, 2, 4): w0 on [0, 1], w1 on [1, 3], w2 on [3, 7], w0 on [7, 8], ...; every
    # gradient is fresh: x^k = (1/2)^k.
    result = run(Capped(method=ASGD(gamma=0.5), cap=1), [1.0, 2.0, 4.0], 6)
    np.testing.assert_array_equal(result.trace["time"], [1, 3, 7, 8, 10, 14])
    np.testing.assert_array_equal(result.trace["worker"], [0, 1, 2, 0, 1, 2])
    np.testing.assert_array_equal(result.trace["delay"], np.zeros(6))
    np.testing.assert_array_equal(result.trace["x"][:, 0], 0.5 ** np.arange(1, 7))
    # Jobs: w0 3 (the last started at 14), w1 2, w2 2; one in flight.
    assert result.counters["jobs_started"] == 7 and result.counters["in_flight"] == 1
    assert result.method == "asgd-cap1"


def test_cap_two_by_hand():
    # gamma = 1/4, tau = (1, 2, 4); w0 and w1 start, w2 waits.
    # t=1 w0 (s=0): x1 = 0.75; w2 starts x1 (until 5), w0 waits.
    # t=2 w1 (s=0, delay 1): x2 = 0.5; w0 starts x2 (until 3), w1 waits.
    # t=3 w0 (s=2): x3 = 0.375; w1 starts x3 (until 5), w0 waits.
    # t=5 w1 (s=3): x4 = 0.28125; w0 starts x4 (until 6), w1 waits. Then w2 (s=1, delay 3, g = x1):
    #     x5 = 0.28125 - 0.1875; w1 starts x5, w2 waits.
    # t=6 w0 (s=4, delay 1, g = x4): x6 = 0.09375 - 0.0703125.
    result = run(Capped(method=ASGD(gamma=0.25), cap=2), [1.0, 2.0, 4.0], 6)
    np.testing.assert_array_equal(result.trace["time"], [1, 2, 3, 5, 5, 6])
    np.testing.assert_array_equal(result.trace["worker"], [0, 1, 0, 1, 2, 0])
    np.testing.assert_array_equal(result.trace["delay"], [0, 1, 0, 0, 3, 1])
    np.testing.assert_array_equal(result.trace["x"][:, 0], [0.75, 0.5, 0.375, 0.28125, 0.09375, 0.0234375])


def never_more_busy_than(result, cap):
    """At every time at most ``cap`` of the traced jobs were running."""
    starts, ends = result.events["start_time"], result.events["time"]  # no cancels: every row is an arrival
    for moment in np.concatenate([starts, ends]):
        assert np.sum((starts <= moment) & (moment < ends)) <= cap


METHODS = {"asgd": lambda: ASGD(gamma=0.1), "delay-adaptive": lambda: DelayAdaptiveASGD(gamma=0.3),
           "fedasync": lambda: FedAsync(gamma=0.3, alpha=0.8), "fedbuff": lambda: FedBuff(gamma=0.2, buffer=2)}


@pytest.mark.parametrize("method_name", list(METHODS))
def test_cap_of_every_worker_changes_nothing(method_name):
    problem, timing = Quadratic.worst_case(5, noise_std=0.2), profile("paper", 4)
    bare = ringbench.simulate(problem, METHODS[method_name](), timing, seed=3, t_max=30.0)
    capped = ringbench.simulate(problem, Capped(method=METHODS[method_name](), cap=4), timing, seed=3, t_max=30.0)
    assert bare.x.tobytes() == capped.x.tobytes() and bare.counters == capped.counters


@pytest.mark.parametrize("cap", [1, 2, 4])
@pytest.mark.parametrize("method_name", list(METHODS))
@pytest.mark.parametrize(("timing_name", "problem_name"), [("fixed5-ties", "worst4-scalar"),
                                                           ("exponential4", "dense6-scalar")])
def test_engine_matches_reference(method_name, cap, timing_name, problem_name):
    problem, A = PROBLEMS[problem_name]()
    method = Capped(method=METHODS[method_name](), cap=cap)
    result, reference = run_both(problem, A, method, TIMINGS[timing_name](), seed=6, t_max=12.0)
    assert_same_run(result, reference)
    never_more_busy_than(result, cap)
    jobs = result.counters
    assert jobs["jobs_started"] == jobs["arrivals"] + jobs["cancelled"] + jobs["in_flight"] and jobs["in_flight"] <= cap


@pytest.mark.parametrize(("options", "pattern"), [
    (dict(method=Ringmaster(gamma=0.1, threshold=2), cap=2), "applies to asgd, .* not 'ringmaster'"),
    (dict(method=Rennala(gamma=0.1, S=2), cap=2), "not 'rennala'"),
    (dict(method=RandomASGD(gamma=0.1), cap=2), "not 'random-asgd'"),
    (dict(method=ASGD(gamma=0.1), cap=0), "cap must be an integer >= 1"),
    (dict(method=ASGD(gamma=0.1), cap=1.5), "cap must be an integer"),
    (dict(method=None, cap=2), "give Capped\\(method=..., cap=...\\) a ringbench method"),
    (dict(gamma=0.1, method=ASGD(gamma=0.1), cap=2), "with its own gamma or eps"),
    (dict(method=Capped(method=ASGD(gamma=0.1), cap=3), cap=2), "asgd-cap3 is capped already: give one cap"),
])
def test_bad_caps_are_rejected(options, pattern):
    with pytest.raises(ValueError, match=pattern):
        Capped(**options)


def test_cap_beyond_the_workers_is_rejected_before_the_run():
    with pytest.raises(ValueError, match="cap must be <= the 3 workers asgd uses, got 4"):
        ringbench.simulate(line(), Capped(method=ASGD(gamma=0.1), cap=4), fixed([1.0, 2.0, 3.0]), max_updates=3)


def test_run_command_takes_a_cap(tmp_path, capsys):
    from ringbench.cli import main
    small = ["run", "--method", "fedasync", "--gamma", "0.05", "--n", "6", "--d", "10", "--t-max", "20", "--quiet"]
    assert main([*small, "--cap", "2", "--out", str(tmp_path)]) == 0
    saved = ringbench.load(tmp_path / "fedasync-cap2")
    assert saved.config["method"]["cap"] == 2 and saved.counters["in_flight"] <= 2
    assert main(["run", "--method", "ringmaster", "--gamma", "0.1", "-R", "2", *small[5:], "--cap", "2"]) == 2
    assert "not 'ringmaster'" in capsys.readouterr().err


def test_compare_command_caps_every_method_or_names_the_one_it_cannot(tmp_path, capsys):
    import json

    from ringbench.cli import main
    small = ["compare", "--n", "6", "--d", "10", "--t-max", "20", "--quiet"]
    assert main([*small, "--methods", "asgd,fedasync", "--cap", "2", "--out", str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "summary.json").read_text())["rows"]
    assert [row["method"] for row in rows] == ["asgd-cap2", "fedasync-cap2"]
    assert all(ringbench.load(tmp_path / row["method"]).counters["in_flight"] <= 2 for row in rows)
    assert main([*small, "--methods", "asgd,rennala", "--cap", "2"]) == 2
    assert "--cap: a concurrency cap applies to" in capsys.readouterr().err
