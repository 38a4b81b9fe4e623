"""Random and shuffled ASGD (AsGrad): hand-computed trajectories, the documented draws, and the naive reference.

Problem of the hand tests: f(x) = x^2 / 2 (grad f(x) = x), x0 = 1, no noise, gamma = 1/4,
two workers with fixed times tau = (1, 3).
"""

import subprocess
import sys
from contextlib import redirect_stdout
from io import StringIO

import numpy as np
import pytest
from naive import assert_same_run, naive_simulate
from test_naive_agreement import CASES, PROBLEMS, TIMINGS, assert_checkpoints, run_both

import ringbench
from ringbench.engine.rng import STREAM_ASSIGNMENT, job_uniform, key_from_seed
from ringbench.methods import METHODS, RandomASGD, ShuffledASGD
from ringbench.problems import Quadratic
from ringbench.timing import fixed, profile


def line():
    return Quadratic(np.array([[1.0]]), [0.0], x0=[1.0], name="line")


def uniform(seed, worker, job):
    return job_uniform(key_from_seed(np.random.SeedSequence(seed)), STREAM_ASSIGNMENT, worker, job)


def check(result, *, time, worker, delay, x, counters):
    trace = result.trace
    np.testing.assert_array_equal(trace["time"], time)
    np.testing.assert_array_equal(trace["worker"], worker)
    np.testing.assert_array_equal(trace["delay"], delay)
    np.testing.assert_array_equal(trace["iteration"], np.arange(1, len(time) + 1))  # every arrival is applied
    np.testing.assert_allclose(trace["x"][:, 0], x, rtol=1e-15, atol=0)
    for name, value in counters.items():
        assert result.counters[name] == pytest.approx(value, rel=1e-15), name


def test_random_asgd_queues_a_job_sent_to_a_busy_worker():
    # Seed 1: j_k = floor(2 u_k) for the documented u_k = job_uniform(key, STREAM_ASSIGNMENT, 0, k).
    assert [int(2 * uniform(1, 0, k)) for k in range(5)] == [1, 0, 1, 1, 0]
    # t=1  w0 (s=0, delay 0): x1 = 1 - 1/4 = 0.75; j0 = 1 is busy: x1 waits in w1's queue; w0 idles.
    # t=3  w1 (s=0, delay 1): x2 = 0.75 - 1/4 = 0.5; w1 takes up x1 (s=1, done at 6); j1 = 0: w0 starts x2 (at 4).
    # t=4  w0 (s=2, delay 0): x3 = 0.5 - 0.5/4 = 0.375; j2 = 1 busy: queued; w0 idles.
    # t=6  w1 (s=1, delay 2, g = x1): x4 = 0.375 - 0.75/4 = 0.1875; w1 takes up x3 (s=3, done at 9); j3 = 1: queued.
    # t=9  w1 (s=3, delay 1, g = x3): x5 = 0.1875 - 0.375/4 = 0.09375; w1 takes up x4 (s=4); j4 = 0: w0 starts x5.
    # t=10 w0 (s=5, delay 0): x6 = 0.09375 * 3/4.
    result = ringbench.simulate(line(), RandomASGD(gamma=0.25), fixed([1.0, 3.0]), seed=1, max_updates=6,
                                trace="iterates")
    check(result, time=[1, 3, 4, 6, 9, 10], worker=[0, 1, 0, 1, 1, 0], delay=[0, 1, 0, 2, 1, 0],
          x=[0.75, 0.5, 0.375, 0.1875, 0.09375, 0.0703125],
          # Jobs started: w0 at 0, 3, 9; w1 at 0, 3, 6, 9. At the end only w1 computes (j5 = 1 queues).
          counters=dict(updates=6, arrivals=6, computed=6, applied=6, wasted=0, max_delay=2, mean_delay=4 / 6,
                        jobs_started=7, in_flight=1, end_time=10.0))


def test_shuffled_asgd_sends_each_worker_one_job_per_epoch():
    # Seed 0, m = 2: epoch e's order swaps (0, 1) unless floor(2 u) = 1, u = the first uniform of
    # job_state(key, STREAM_ASSIGNMENT, 1, e): orders (1, 0), (1, 0), (0, 1): j = 1, 0, 1, 0, 0, 1.
    assert [int(2 * uniform(0, 1, e)) for e in range(3)] == [0, 0, 1]
    # t=1 w0: x1 = 0.75; j0 = 1 busy: queued.   t=3 w1 (delay 1): x2 = 0.5; w1 takes up x1; j1 = 0 starts x2.
    # t=4 w0: x3 = 0.375; j2 = 1: queued.      t=6 w1 (s=1, delay 2): x4 = 0.1875; w1 takes up x3; j3 = 0 starts x4.
    # t=7 w0 (delay 0): x5 = 0.1875 * 3/4; j4 = 0 is w0 itself, idle: it starts x5 at once.
    # t=8 w0 (delay 0): x6 = x5 * 3/4; j5 = 1 busy: queued, w0 idles.
    # Jobs started: w0 at 0, 3, 6, 7; w1 at 0, 3, 6. At the end only w1 computes.
    result = ringbench.simulate(line(), ShuffledASGD(gamma=0.25), fixed([1.0, 3.0]), seed=0, max_updates=6,
                                trace="iterates")
    check(result, time=[1, 3, 4, 6, 7, 8], worker=[0, 1, 0, 1, 0, 0], delay=[0, 1, 0, 2, 0, 0],
          x=[0.75, 0.5, 0.375, 0.1875, 0.140625, 0.10546875],
          counters=dict(updates=6, max_delay=2, mean_delay=3 / 6, jobs_started=7, in_flight=1, end_time=8.0))


def assignments(result):
    """{s: worker} of every delivered job sent after an update: the job on x^s was the server's (s-1)-th."""
    trace = result.trace
    sent = trace["iteration"] - 1 - trace["delay"]  # s = k - delay, k the iteration the arrival found
    return {int(s): int(w) for s, w in zip(sent, trace["worker"]) if s >= 1}


def test_shuffled_asgd_reaches_every_worker_once_per_epoch():
    m = 4
    result = ringbench.simulate(Quadratic.worst_case(4, noise_std=0.1), ShuffledASGD(gamma=0.05),
                                fixed([1.0, 1.5, 2.0, 2.5]), seed=9, t_max=200.0, trace="events")
    sent = assignments(result)
    epochs = [[sent.get(e * m + i + 1) for i in range(m)] for e in range(max(sent) // m)]
    complete = [epoch for epoch in epochs if None not in epoch]
    assert len(complete) > 50
    assert all(sorted(epoch) == list(range(m)) for epoch in complete)
    assert len({tuple(epoch) for epoch in complete}) > 10  # the order is redrawn, not fixed
    random = assignments(ringbench.simulate(Quadratic.worst_case(4, noise_std=0.1), RandomASGD(gamma=0.05),
                                            fixed([1.0, 1.5, 2.0, 2.5]), seed=9, t_max=200.0, trace="events"))
    assert any(len({random.get(e * m + i + 1) for i in range(m)}) < m for e in range(20))


def test_random_asgd_chooses_uniformly_whatever_the_speeds():
    """The documented draw gives each of m workers a share 1/m of the jobs (fast workers get no more)."""
    m, jobs = 5, 4000
    choices = [min(int(uniform(2, 0, k) * m), m - 1) for k in range(jobs)]
    np.testing.assert_allclose(np.bincount(choices, minlength=m) / jobs, 1 / m, atol=0.03)


@pytest.mark.parametrize("method", [RandomASGD(gamma=0.1), ShuffledASGD(gamma=0.15)], ids=lambda m: m.name)
@pytest.mark.parametrize(("timing_name", "problem_name"), CASES)
def test_engine_matches_reference(method, timing_name, problem_name):
    problem, A = PROBLEMS[problem_name]()
    timing = TIMINGS[timing_name]()
    result, reference = run_both(problem, A, method, timing, seed=11, max_updates=25)
    assert_same_run(result, reference)
    assert_checkpoints(result, reference, problem, A)
    result, reference = run_both(problem, A, method, timing, seed=5, t_max=12.0)
    assert_same_run(result, reference)


@pytest.mark.parametrize("method", [RandomASGD(gamma=0.05), ShuffledASGD(gamma=0.05)], ids=lambda m: m.name)
def test_engine_matches_reference_on_split_data(method):
    base = Quadratic.worst_case(5, noise_std=0.2, noise="isotropic")
    problem = base.per_worker(base.b + np.linspace(-1, 1, 4)[:, None] * np.ones(5))
    timing = profile("paper", 4)
    result = ringbench.simulate(problem, method, timing, seed=3, t_max=30.0, trace="iterates")
    assert_same_run(result, naive_simulate(problem, method, timing, seed=3, t_max=30.0))


def test_queues_occur_in_the_agreement_cases():
    """Guard against a vacuous agreement: jobs wait in queues, workers idle, delays exceed ASGD's n - 1."""
    problem, A = PROBLEMS["worst4-scalar"]()
    run = naive_simulate(problem, RandomASGD(gamma=0.1), TIMINGS["fixed5-ties"](), seed=11, A=A, max_updates=25)
    workers = run.column("worker")
    assert max(run.column("delay")) > 4
    assert len(set(workers)) == 5
    assert any(a == b for a, b in zip(workers, workers[1:]))  # a worker delivered twice in a row


def test_registered_with_asgd_theory_stepsize():
    assert METHODS["random-asgd"] is RandomASGD and METHODS["shuffled-asgd"] is ShuffledASGD
    problem, timing = Quadratic.worst_case(4, noise_std=0.1), profile("paper", 5)
    resolved = ringbench.simulate(problem, ShuffledASGD(eps=0.01), timing, seed=0, max_updates=5).config["resolved"]
    # min{1/(2 m L), eps/(4 L sigma^2)} with m = 5, L = max eigenvalue, sigma^2 = 4 * 0.1^2
    assert resolved["gamma"] == pytest.approx(min(1 / (10 * problem.L), 0.01 / (4 * problem.L * 0.04)), rel=1e-12)
    with pytest.raises(ValueError, match="gamma must be"):
        ShuffledASGD(gamma=-1.0)
    with pytest.raises(ValueError, match="give a stepsize gamma > 0, or eps > 0"):
        RandomASGD()


SCRIPT = """
import numpy as np, ringbench
from ringbench.methods import {method}
from ringbench.problems import Quadratic
from ringbench.timing import communicating, correlated, random
timing = communicating(correlated(np.ones(5), np.linspace(0.1, 1, 5), window=2.0), download=0.1,
                       upload=random(np.full(5, 0.05), np.full(5, 0.2), "exponential"))
result = ringbench.simulate(Quadratic.worst_case(6, noise_std=0.1), {method}(gamma=0.05), timing, seed=12,
                            t_max=40.0, trace="events")
print(result.x.tobytes().hex(), result.trace["time"].tobytes().hex(), result.trace["worker"].tobytes().hex())
"""


@pytest.mark.parametrize("method", ["RandomASGD", "ShuffledASGD"])
def test_bit_identical_in_another_process(method):
    """With every new piece at once: shared slowdowns under links, the server's draws."""
    script = SCRIPT.format(method=method)
    elsewhere = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    buffer = StringIO()
    with redirect_stdout(buffer):
        exec(script, {})
    assert elsewhere == buffer.getvalue() and len(elsewhere) > 100
