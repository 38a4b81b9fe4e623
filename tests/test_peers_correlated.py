"""Correlated slowdowns (timing.correlated): the documented shared draws, a hand-computed run, the naive reference."""

import numpy as np
import pytest
from naive import assert_same_run
from test_naive_agreement import PROBLEMS, run_both

import ringbench
from ringbench.engine.rng import STREAM_SLOWDOWN, job_normal, job_uniform, key_from_seed
from ringbench.methods import ASGD, RandomASGD, Rennala, Ringmaster
from ringbench.problems import Quadratic
from ringbench.timing import communicating, correlated, random
from ringbench.timing.correlated import correlated_finish_time

KEY = key_from_seed(np.random.SeedSequence(0))
BASE, SCALE = np.array([1.0, 2.0, 0.5]), np.array([0.5, 1.0, 2.0])


def shared(draw, index, key=KEY):
    return draw(key, STREAM_SLOWDOWN, 0, index)


def test_jobs_with_the_same_index_share_the_slowdown():
    model = correlated(BASE, SCALE)
    for job in range(30):
        z = abs(shared(job_normal, job))
        for worker in range(3):
            assert correlated_finish_time(model.data(), KEY, worker, job, 5.0) == 5.0 + BASE[worker] + SCALE[worker] * z
    exponential = correlated(BASE, SCALE, "exponential")
    u = shared(job_uniform, 4)
    assert correlated_finish_time(exponential.data(), KEY, 2, 4, 1.0) == 1.0 + BASE[2] - SCALE[2] * np.log1p(-u)


def test_jobs_started_in_the_same_window_share_the_slowdown():
    model = correlated(BASE, SCALE, "log-normal", window=10.0)
    data = model.data()
    for start, window in ((0.0, 0), (9.5, 0), (10.0, 1), (25.0, 2), (1e4 + 3, 1000)):
        z = shared(job_normal, window)
        for worker, job in ((0, 0), (1, 7), (2, 3)):  # the job index does not matter
            assert correlated_finish_time(data, KEY, worker, job, start) == start + BASE[worker] * np.exp(
                SCALE[worker] * z)


def test_marginals_are_the_independent_models_and_workers_move_together():
    jobs = np.arange(4000)
    together = correlated(BASE, SCALE)
    apart = random(BASE, SCALE)
    np.testing.assert_array_equal(together.expected_durations(), apart.expected_durations())
    durations = {name: np.array([[model_finish(model, worker, job) for job in jobs] for worker in range(3)])
                 for name, model in (("together", together), ("apart", apart))}
    for name, values in durations.items():
        np.testing.assert_allclose(values.mean(axis=1), apart.expected_durations(), rtol=0.05, err_msg=name)
    assert np.corrcoef(durations["together"])[0, 1] > 0.999
    assert abs(np.corrcoef(durations["apart"])[0, 1]) < 0.05


def model_finish(model, worker, job):
    from ringbench.engine.protocol import finish_time
    return finish_time(model.data(), KEY, worker, job, 0.0)


def test_asgd_under_a_shared_window_by_hand():
    # Window 100 > every start: all jobs share a = |z_0|, so w0's jobs take 1 + a, w1's 2 + a (a < 1 for seed 0).
    # Events: w0 at d0 = 1 + a, w1 at d1 = 2 + a, w0 at 2 d0, w0 at 3 d0 (3 + 3a < 4 + 2a).
    a = abs(job_normal(key_from_seed(np.random.SeedSequence(0)), STREAM_SLOWDOWN, 0, 0))
    assert a < 1
    first = 0.0 + 1.0 + a
    second, third = first + 1.0 + a, (first + 1.0 + a) + 1.0 + a
    problem = Quadratic(np.array([[1.0]]), [0.0], x0=[1.0], name="line")
    result = ringbench.simulate(problem, ASGD(gamma=0.5), correlated([1.0, 2.0], [1.0, 1.0], window=100.0), seed=0,
                                max_updates=4, trace="iterates")
    np.testing.assert_array_equal(result.trace["time"], [first, 0.0 + 2.0 + a, second, third])
    np.testing.assert_array_equal(result.trace["worker"], [0, 1, 0, 0])
    # x1 = 1/2 (g = x0), x2 = x1 - x0/2 = 0 (w1 computed at x0), x3 = 0 - x1/2 (w0 restarted at x1), x4 = x3 - x3/2.
    np.testing.assert_array_equal(result.trace["x"][:, 0], [0.5, 0.0, -0.25, -0.125])


TIMINGS = {
    "by-job": lambda: correlated([1.0, 1.5, 0.7, 3.0], [0.5, 1.0, 2.0, 0.1]),
    "by-window": lambda: correlated([1.0, 1.5, 0.7, 3.0], [0.5, 1.0, 2.0, 0.1], "exponential", window=2.5),
    "window-with-links": lambda: communicating(correlated([1.0, 1.5, 0.7, 3.0], np.full(4, 0.4), "log-normal",
                                                          window=1.0), download=0.25, upload=[0.0, 0.5, 0.1, 0.2]),
}
METHODS = {"asgd": ASGD(gamma=0.1), "ringmaster-R2": Ringmaster(gamma=0.2, threshold=2),
           "rennala-S3": Rennala(gamma=0.4, S=3), "random-asgd": RandomASGD(gamma=0.1)}


@pytest.mark.parametrize("method_name", list(METHODS))
@pytest.mark.parametrize("timing_name", list(TIMINGS))
def test_engine_matches_reference(method_name, timing_name):
    problem, A = PROBLEMS["sparse6-isotropic"]()
    result, reference = run_both(problem, A, METHODS[method_name], TIMINGS[timing_name](), seed=2, t_max=15.0)
    assert_same_run(result, reference)


@pytest.mark.parametrize(("options", "pattern"), [
    (dict(window=0.0), "window must be > 0"), (dict(window=-1.0), "window"),
    (dict(distribution="gamma"), "unknown distribution 'gamma'; choose one of"),
    (dict(scale=[1.0]), "scale must have length 2"),
])
def test_bad_parameters_are_rejected(options, pattern):
    arguments = dict(base=[1.0, 2.0], scale=[0.5, 0.5]) | options
    with pytest.raises(ValueError, match=pattern):
        correlated(arguments.pop("base"), arguments.pop("scale"), **arguments)


def test_run_command_shares_the_slowdown(tmp_path, capsys):
    from ringbench.cli import main
    small = ["--method", "asgd", "--gamma", "0.05", "--n", "4", "--d", "10", "--t-max", "20", "--quiet"]
    assert main(["run", *small, "--shared-slowdown", "5", "--out", str(tmp_path)]) == 0
    assert ringbench.load(tmp_path / "asgd").config["timing"]["shared"] == {"window": 5.0}
    assert main(["run", *small, "--shared-slowdown", "job", "--timing", "linear"]) == 2
    assert "--shared-slowdown needs a random profile" in capsys.readouterr().err
    assert main(["run", *small, "--shared-slowdown", "soon"]) == 2
    assert "--shared-slowdown must be 'job' or a window in seconds > 0, got 'soon'" in capsys.readouterr().err


def test_compare_command_shares_the_slowdown(tmp_path, capsys):
    import json

    from ringbench.cli import main
    assert main(["compare", "--methods", "asgd", "--n", "4", "--d", "10", "--t-max", "20", "--quiet",
                 "--shared-slowdown", "job", "--out", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "summary.json").read_text())["timing"]["shared"] == "job"
    assert "with shared slowdowns timing" in capsys.readouterr().out
