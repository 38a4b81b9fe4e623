"""Worker availability (timing.availability): hand-computed runs, lost jobs, rejoins, the naive reference, inputs."""

import json

import numpy as np
import pytest
from naive import assert_same_run, naive_simulate
from test_naive_agreement import PROBLEMS, assert_engine_matches_reference

import ringbench
from ringbench.methods import (
    ASGD,
    Capped,
    DelayAdaptiveASGD,
    FedAsync,
    FedBuff,
    Minibatch,
    RandomASGD,
    Rennala,
    Ringmaster,
    ShuffledASGD,
)
from ringbench.problems import Quadratic
from ringbench.timing import availability, communicating, fixed, outages, profile, random, random_availability


def line():
    return Quadratic(np.array([[1.0]]), [0.0], x0=[1.0], name="line")


def test_asgd_with_one_offline_interval_by_hand():
    # f = x^2/2, x0 = 1, gamma = 1/4, tau = (1, 1.5); worker 1 offline on [2, 4).
    # t=1   w0 (s=0): x1 = 0.75.            t=1.5 w1 (s=0, delay 1, g = x0): x2 = 0.5; w1 restarts on x2.
    # t=2   w0 (s=1, delay 1, g = x1): x3 = 0.3125. w1 drops: its job (due at 3) is lost.
    # t=3   w0 (s=3): x4 = 0.234375.        t=4   w0 (s=4): x5 = 0.17578125; then w1 rejoins, on x5.
    # t=5   w0 (s=5): x6 = 0.1318359375.    t=5.5 w1 (s=5, delay 1, g = x5): x7 = x6 - x5 / 4.
    model = availability(fixed([1.0, 1.5]), [(1, 2.0, 4.0)])
    result = ringbench.simulate(line(), ASGD(gamma=0.25), model, seed=0, max_updates=7, trace="iterates")
    trace = result.trace
    np.testing.assert_array_equal(trace["time"], [1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 5.5])
    np.testing.assert_array_equal(trace["worker"], [0, 1, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(trace["delay"], [0, 1, 1, 0, 0, 0, 1])
    np.testing.assert_array_equal(trace["x"][:, 0], [0.75, 0.5, 0.3125, 0.234375, 0.17578125, 0.1318359375,
                                                     0.087890625])
    events = result.event_table()
    lost = events[events["action"] == "lost"]
    assert lost[["time", "worker", "job", "start_time", "start_iteration"]].values.tolist() == [[2.0, 1, 1, 1.5, 2]]
    rejoined = events[(events["worker"] == 1) & (events["job"] == 2)]
    assert rejoined["start_time"].tolist() == [4.0] and rejoined["start_iteration"].tolist() == [5]
    counters = result.counters
    assert counters["lost"] == 1 and counters["wasted"] == 1 and counters["cancelled"] == 0
    assert counters["jobs_started"] == counters["arrivals"] + counters["cancelled"] + counters["lost"] + \
        counters["in_flight"]


def test_worker_offline_at_time_zero_starts_when_it_comes_online():
    model = availability(fixed([1.0, 1.0]), [(1, 0.0, 2.5)])
    result = ringbench.simulate(line(), ASGD(gamma=0.25), model, seed=0, max_updates=5, trace=True)
    trace = result.trace
    np.testing.assert_array_equal(trace["time"], [1.0, 2.0, 3.0, 3.5, 4.0])
    np.testing.assert_array_equal(trace["worker"], [0, 0, 0, 1, 0])
    assert result.counters["lost"] == 0
    assert result.event_table().query("worker == 1")["start_time"].tolist() == [2.5]


def test_a_job_due_exactly_at_the_drop_is_lost_and_adjacent_intervals_chain():
    # Worker 0 (tau = 2) is offline on [2, 3) and [3, 3.5): its first job, due at 2, is lost; it is back at 3.5.
    model = availability(fixed([2.0]), [(0, 3.0, 3.5), (0, 2.0, 3.0)])
    result = ringbench.simulate(line(), ASGD(gamma=0.25), model, seed=0, t_max=6.0, trace=True)
    np.testing.assert_array_equal(result.trace["time"], [5.5])
    assert result.counters["lost"] == 1 and result.counters["in_flight"] == 1


@pytest.mark.parametrize("method", [Minibatch(gamma=0.5), Rennala(gamma=0.5, S=2), Ringmaster(gamma=0.5, threshold=2)],
                         ids=lambda method: method.name)
def test_everyone_offline_for_a_while_is_no_stall(method):
    """Every worker away on [0.5, 3): their jobs are lost, not counted as used, and the run goes on after."""
    model = availability(fixed([1.0, 1.0]), [(0, 0.5, 3.0), (1, 0.5, 3.0)])
    result = ringbench.simulate(line(), method, model, seed=0, t_max=6.0, trace=True)
    assert result.status == "time_budget"
    assert result.counters["lost"] == 2
    np.testing.assert_array_equal(result.trace["time"], [4.0, 4.0, 5.0, 5.0, 6.0, 6.0])  # from the rejoins at 3 on
    assert result.counters["computed"] == result.counters["applied"] == 6


@pytest.mark.parametrize("compute", [fixed([1.0, 2.0, 2.0]), profile("paper", 3),
                                     outages([1.0, 2.0, 1.5], [(1, 1.0, 4.0)])], ids=lambda model: model.name)
def test_no_intervals_change_nothing(compute):
    problem = Quadratic.worst_case(5, noise_std=0.2)
    method = Ringmaster(gamma=0.2, threshold=2)
    bare = ringbench.simulate(problem, method, compute, seed=4, t_max=30.0)
    wrapped = ringbench.simulate(problem, method, availability(compute, []), seed=4, t_max=30.0)
    assert bare.x.tobytes() == wrapped.x.tobytes() and bare.time.tobytes() == wrapped.time.tobytes()
    assert bare.counters == wrapped.counters and bare.counters["lost"] == 0


TIMINGS = {
    "fixed-ties": lambda: availability(fixed([1.0, 2.0, 1.5, 0.5]),
                                       [(0, 0.0, 1.25), (1, 3.0, 5.0), (1, 5.0, 6.0), (2, 1.0, 2.0), (2, 4.5, 9.0),
                                        (3, 2.0, 2.5), (3, 7.0, 7.5), (0, 6.0, 10.0)]),
    "random": lambda: random_availability(profile("paper", 4), 6.0, 2.0, horizon=40.0, seed=3),
    "links": lambda: availability(communicating(random(np.ones(4), np.full(4, 0.5), "exponential"), download=0.25,
                                                upload=0.5), [(1, 2.0, 4.0), (3, 0.0, 3.0), (0, 5.0, 5.5)]),
}
METHODS = {"asgd": ASGD(gamma=0.1), "delay-adaptive": DelayAdaptiveASGD(gamma=0.3),
           "ringmaster-R2": Ringmaster(gamma=0.2, threshold=2),
           "ringmaster-R2-nostops": Ringmaster(gamma=0.2, threshold=2, stops=False),
           "rennala-S2": Rennala(gamma=0.3, S=2), "rennala-S2-nostops": Rennala(gamma=0.3, S=2, stops=False),
           "minibatch": Minibatch(gamma=0.3), "fedbuff-K3": FedBuff(gamma=0.2, buffer=3),
           "fedasync": FedAsync(gamma=0.2, alpha=0.8), "asgd-cap2": Capped(method=ASGD(gamma=0.1), cap=2)}


@pytest.mark.parametrize("method_name", list(METHODS))
@pytest.mark.parametrize("timing_name", list(TIMINGS))
def test_engine_matches_reference(method_name, timing_name):
    assert_engine_matches_reference(METHODS[method_name], TIMINGS[timing_name]())


def test_availability_changes_the_reference_run():
    """Guard against a vacuous agreement: the intervals lose jobs and change the events."""
    problem, A = PROBLEMS["worst4-scalar"]()
    bare = naive_simulate(problem, ASGD(gamma=0.1), fixed([1.0, 2.0, 1.5, 0.5]), seed=1, A=A, t_max=10.0)
    away = naive_simulate(problem, ASGD(gamma=0.1), TIMINGS["fixed-ties"](), seed=1, A=A, t_max=10.0)
    assert away.counters["lost"] >= 3 and len(away.events) < len(bare.events)


def test_random_intervals_are_a_pure_function_of_seed_and_worker():
    small = random_availability(fixed(np.ones(2)), 3.0, 1.0, horizon=50.0, seed=5).data()
    large = random_availability(fixed(np.ones(5)), 3.0, 1.0, horizon=500.0, seed=5).data()
    for worker in range(2):
        mine = slice(small.offsets[worker], small.offsets[worker + 1])
        theirs = slice(large.offsets[worker], large.offsets[worker] + small.offsets[worker + 1] - small.offsets[worker])
        np.testing.assert_array_equal(small.starts[mine], large.starts[theirs])
        np.testing.assert_array_equal(small.ends[mine], large.ends[theirs])
    assert small.starts[small.offsets[0]] != small.starts[small.offsets[1]]  # workers differ
    other = random_availability(fixed(np.ones(2)), 3.0, 1.0, horizon=50.0, seed=6).data()
    assert other.starts[0] != small.starts[0]
    # Online then offline, alternating, up to the horizon; the means are the given ones.
    online = []
    for lo, hi in zip(large.offsets[:-1], large.offsets[1:]):
        starts, ends = large.starts[lo:hi], large.ends[lo:hi]
        online.append(starts - np.r_[0.0, ends[:-1]])
        assert np.all(starts < 500.0)
    online = np.concatenate(online)
    assert np.all(online > 0.0) and np.all(large.ends > large.starts)
    assert online.mean() == pytest.approx(3.0, rel=0.15)
    assert (large.ends - large.starts).mean() == pytest.approx(1.0, rel=0.15)


def test_intervals_from_a_csv_file(tmp_path):
    path = tmp_path / "away.csv"
    path.write_text("worker,start,end\n1,2,4\n\n0,0.5,1\n")
    model = availability(fixed([1.0, 1.5]), path)
    data = model.data()
    assert data.offsets.tolist() == [0, 1, 2]
    assert data.starts.tolist() == [0.5, 2.0] and data.ends.tolist() == [1.0, 4.0]
    assert model.describe()["name"] == "availability" and model.describe()["intervals"] == str(path)
    np.testing.assert_array_equal(model.expected_durations(), [1.0, 1.5])


@pytest.mark.parametrize(("text", "pattern"), [
    ("0,1,2\n2,1,2\n", r"line 2: worker must be an integer from 0 to n - 1 = 1, got '2'"),
    ("0,1,2\n1,3,3\n", r"line 2: start and end must be finite with 0 <= start < end"),
    ("0,1,inf\n", r"line 1: start and end"),
    ("0,-1,2\n", r"line 1: start and end"),
    ("0,1,2\n0,1.5,3\n", r"line 2 overlaps .*line 1: worker 0 is offline on \[1, 2\) and \[1.5, 3\)"),
    ("0,1\n", r"line 1 must be \(worker, start, end\)"),
    ("x,1,2\n", r"line 1 must be an integer worker and two numbers"),
    ("1.5,1,2\n", r"line 1 must be an integer worker"),
])
def test_bad_csv_rows_name_the_file_and_line(tmp_path, text, pattern):
    path = tmp_path / "away.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=pattern) as error:
        availability(fixed([1.0, 1.0]), path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize(("call", "pattern"), [
    (lambda: availability([1.0], []), "compute must be a timing model"),
    (lambda: availability(fixed([1.0]), [(0, 1.0, 0.5)]), r"intervals\[0\]: start and end"),
    (lambda: availability(availability(fixed([1.0]), []), []), "already has availability"),
    (lambda: communicating(availability(fixed([1.0]), [])), "wrap the communicating model in availability"),
    (lambda: availability(fixed([1.0]), "missing.csv"), "missing.csv"),
    (lambda: availability(fixed([1.0]), "away.txt"), "intervals"),
    (lambda: random_availability(fixed([1.0]), 0.0, 1.0, horizon=10.0), "mean_online"),
    (lambda: random_availability(fixed([1.0]), 1.0, -1.0, horizon=10.0), "mean_offline"),
    (lambda: random_availability(fixed([1.0]), 1.0, 1.0, horizon=float("inf")), "horizon"),
    (lambda: random_availability(fixed([1.0]), 1e-12, 1e-12, horizon=1e12), "memory|intervals"),
])
def test_bad_availability_is_rejected(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


@pytest.mark.parametrize("method", [RandomASGD(gamma=0.1), ShuffledASGD(gamma=0.1)], ids=lambda method: method.name)
def test_methods_that_queue_jobs_refuse_availability(method):
    with pytest.raises(ValueError, match="queues the jobs it sends"):
        ringbench.simulate(line(), method, availability(fixed([1.0, 2.0]), [(0, 1.0, 2.0)]), t_max=5.0)


def test_results_saved_before_the_lost_counter_still_load(tmp_path):
    result = ringbench.simulate(line(), ASGD(gamma=0.25), fixed([1.0]), t_max=3.0)
    result.save(tmp_path / "old")
    meta = json.loads((tmp_path / "old.json").read_text())
    del meta["counters"]["lost"]
    (tmp_path / "old.json").write_text(json.dumps(meta))
    assert "lost" not in ringbench.load(tmp_path / "old").counters
    meta["counters"]["lost"] = -1
    (tmp_path / "old.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="counters.lost"):
        ringbench.load(tmp_path / "old")


def test_run_and_compare_take_availability(tmp_path, capsys):
    from ringbench.cli import main
    small = ["--n", "4", "--d", "10", "--t-max", "30", "--quiet"]
    away = tmp_path / "away.csv"
    away.write_text("worker,start,end\n0,1,20\n3,0,10\n")
    assert main(["run", "--method", "asgd", "--gamma", "0.05", *small, "--availability", str(away),
                 "--out", str(tmp_path / "file")]) == 0
    assert "(lost=1)" in capsys.readouterr().out
    saved = ringbench.load(tmp_path / "file" / "asgd")
    assert saved.config["timing"]["name"] == "availability" and saved.counters["lost"] == 1
    assert main(["run", "--method", "asgd", "--gamma", "0.05", *small, "--offline", "5,2", "--seed", "3",
                 "--out", str(tmp_path / "drawn")]) == 0
    drawn = ringbench.load(tmp_path / "drawn" / "asgd").config["timing"]
    assert (drawn["mean_online"], drawn["mean_offline"], drawn["horizon"], drawn["seed"]) == (5.0, 2.0, 30.0, 3)
    capsys.readouterr()
    assert main(["compare", "--methods", "ringmaster,minibatch", *small, "--offline", "5,2",
                 "--out", str(tmp_path / "compare")]) == 0
    assert "with availability timing" in capsys.readouterr().out
    summary = json.loads((tmp_path / "compare" / "summary.json").read_text())
    assert summary["timing"]["name"] == "availability"


@pytest.mark.parametrize(("arguments", "message"), [
    (["--offline", "5"], "--offline takes MEAN_ON,MEAN_OFF"),
    (["--offline", "5,0"], "--offline MEAN_OFF must be > 0"),
    (["--offline", "a,b"], "--offline items must be float"),
    (["--availability", "nope.csv"], "nope.csv"),
    (["--offline", "5,2", "--availability", "x.csv"], "not allowed with"),
])
def test_bad_availability_options_are_one_line_errors(arguments, message, capsys):
    from ringbench.cli import main
    try:
        status = main(["run", "--method", "asgd", "--gamma", "0.05", "--n", "4", "--d", "10", "--t-max", "30",
                       "--quiet", *arguments])
    except SystemExit as exit:  # argparse's own errors (exclusive options)
        status = exit.code
    assert status == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_compare_refuses_a_queueing_method_before_any_run(capsys):
    from ringbench.cli import main
    assert main(["compare", "--methods", "ringmaster,random-asgd", "--n", "4", "--d", "10", "--t-max", "30",
                 "--quiet", "--offline", "5,2"]) == 2
    captured = capsys.readouterr()
    assert "random-asgd queues the jobs" in captured.err and captured.out == ""


def test_plots_count_lost_jobs_as_wasted():
    import matplotlib
    matplotlib.use("Agg")
    from ringbench import plotting
    model = availability(fixed([1.0, 1.5]), [(1, 2.0, 4.0)])
    result = ringbench.simulate(line(), ASGD(gamma=0.25), model, seed=0, max_updates=7, trace=True)
    figure = plotting.gradients_per_worker(result)
    wasted = [patch.get_height() for container in figure.axes[0].containers
              if container.get_label() == "discarded, cancelled or lost" for patch in container]
    assert wasted == [0, 1]
    plotting.worker_timeline(result)


def test_unreadable_csv_and_plug_in_compute_models_are_rejected(tmp_path):
    from typing import NamedTuple

    from ringbench.timing import TimingModel

    path = tmp_path / "away.csv"
    path.write_bytes(b"worker,start,end\n0,1,\xff\n")
    with pytest.raises(ValueError, match="intervals: cannot read"):
        availability(fixed([1.0]), path)

    class PluginData(NamedTuple):
        tau: float

    plugin = TimingModel("plugin", 1, {}, PluginData(1.0), np.ones(1))
    with pytest.raises(ValueError, match="a plug-in's kernels cannot be wrapped"):
        availability(plugin, [])


HETEROGENEOUS_TIMINGS = {
    "fixed3": lambda: availability(fixed([1.0, 2.0, 2.0]), [(0, 1.5, 4.0), (2, 0.0, 3.0), (1, 6.0, 7.0),
                                                            (0, 9.0, 9.5)]),
    "exponential4": lambda: random_availability(random([1.0, 1.5, 0.7, 3.0], [0.5, 1.0, 2.0, 0.1], "exponential"),
                                                4.0, 2.0, horizon=30.0, seed=2),
}


@pytest.mark.parametrize("method_name", ["ringleader", "ringleader-hm2", "malenia", "malenia-nostops", "ia2sgd"])
@pytest.mark.parametrize(("timing_name", "problem_name"), [("fixed3", "het-dense"), ("exponential4", "lr-csr-sorted")])
def test_heterogeneous_methods_match_the_reference(method_name, timing_name, problem_name):
    from test_naive_heterogeneous import NEW_METHODS, build
    from test_naive_heterogeneous import run_both as run_heterogeneous

    model = HETEROGENEOUS_TIMINGS[timing_name]()
    problem, oracle = build(problem_name, model.n)
    result, reference = run_heterogeneous(problem, oracle, NEW_METHODS[method_name], model, seed=11, t_max=14.0)
    assert_same_run(result, reference)
    assert reference.counters["lost"] > 0
