"""The Numba engine reproduces the naive reference simulator (tests/naive.py) event by event.

Tiny cases (n = 2..5 workers, d = 3..6), every method and variant, fixed timing with
ties, random timing, scalar and isotropic noise, tridiagonal / dense / CSR problems.
Times, workers, delays, used flags and iteration counts must agree exactly, iterates
to 1e-12, and so must the counters.
"""

import numpy as np
import pytest
import scipy.sparse
from naive import assert_same_run, naive_simulate

import ringbench
from ringbench.methods import ASGD, DelayAdaptiveASGD, FedAsync, Hero, Minibatch, NaiveOptimalASGD, Rennala, Ringmaster
from ringbench.problems import Quadratic
from ringbench.timing import fixed, profile, random

# --- problems, each with A built independently of the engine's storage ----------------


def worst_case(d, noise):
    """Nesterov's chain, written out by hand: A = tridiag(-1/4, 1/2, -1/4)."""
    problem = Quadratic.worst_case(d, noise_std=0.3, noise=noise)
    A = 0.5 * np.eye(d) - 0.25 * (np.eye(d, k=1) + np.eye(d, k=-1))
    b = np.zeros(d)
    b[0] = -0.25
    x0 = np.zeros(d)
    x0[0] = np.sqrt(d)
    np.testing.assert_array_equal(problem.b, b)
    np.testing.assert_array_equal(problem.x0, x0)
    return problem, A


def random_dense(d, noise):
    problem = Quadratic.random_dense(d, condition_number=10.0, seed=d, noise_std=0.2, noise=noise)
    return problem, np.array(problem.data().dense)


def sparse(d, noise):
    """A random sparse SPD matrix (diagonally dominant), passed to Quadratic as CSR."""
    rng = np.random.default_rng(100 + d)
    mask = np.triu(rng.random((d, d)) < 0.4, k=1)
    upper = np.where(mask, rng.uniform(-0.3, 0.3, (d, d)), 0.0)
    A = upper + upper.T
    A += np.diag(np.abs(A).sum(axis=1) + rng.uniform(0.2, 1.0, d))
    b = rng.standard_normal(d)
    x0 = rng.standard_normal(d)
    problem = Quadratic(scipy.sparse.csr_array(A), b, x0=x0, noise_std=0.25, noise=noise, name="sparse")
    assert problem.storage() == "csr"
    return problem, A


PROBLEMS = {
    "worst4-scalar": lambda: worst_case(4, "scalar"),
    "worst3-isotropic": lambda: worst_case(3, "isotropic"),
    "dense5-isotropic": lambda: random_dense(5, "isotropic"),
    "dense6-scalar": lambda: random_dense(6, "scalar"),
    "sparse6-isotropic": lambda: sparse(6, "isotropic"),
    "sparse5-scalar": lambda: sparse(5, "scalar"),
}

# --- timing models ------------------------------------------------------------------------
# Fixed times with many ties: workers 1 and 2 always finish together, and multiples of
# 0.5, 1, 2, 3 collide all the time.
TIMINGS = {
    "fixed2": lambda: fixed([1.0, 2.0]),
    "fixed3-ties": lambda: fixed([1.0, 2.0, 2.0]),
    "fixed5-ties": lambda: fixed([1.0, 2.0, 2.0, 0.5, 3.0]),
    "paper3": lambda: profile("paper", 3),
    "paper5": lambda: profile("paper", 5),
    "exponential4": lambda: random([1.0, 1.5, 0.7, 3.0], [0.5, 1.0, 2.0, 0.1], "exponential"),
}

METHODS = {
    "ringmaster-R1": Ringmaster(gamma=0.2, threshold=1),
    "ringmaster-R2": Ringmaster(gamma=0.2, threshold=2),
    "ringmaster-R4": Ringmaster(gamma=0.1, threshold=4),
    "ringmaster-R1-nostops": Ringmaster(gamma=0.2, threshold=1, stops=False),
    "ringmaster-R2-nostops": Ringmaster(gamma=0.2, threshold=2, stops=False),
    "ringmaster-R3-nostops": Ringmaster(gamma=0.1, threshold=3, stops=False),
    "asgd": ASGD(gamma=0.1),
    "delay-adaptive": DelayAdaptiveASGD(gamma=0.3),
    "rennala-S1": Rennala(gamma=0.3, S=1),
    "rennala-S3": Rennala(gamma=0.4, S=3),
    "rennala-S2-nostops": Rennala(gamma=0.3, S=2, stops=False),
    "rennala-S4-nostops": Rennala(gamma=0.4, S=4, stops=False),
    "minibatch": Minibatch(gamma=0.4),
    "hero": Hero(gamma=0.3),
    "naive-optimal": NaiveOptimalASGD(gamma=0.1, eps=0.18),
    "fedasync-polynomial": FedAsync(gamma=0.3, alpha=0.8, staleness="polynomial", a=0.5),
    "fedasync-hinge": FedAsync(gamma=0.3, alpha=0.9, staleness="hinge", a=1.0, b=1.0),
    "fedasync-constant": FedAsync(gamma=0.2, alpha=0.5, staleness="constant"),
}

# Each timing model is paired with a few problems (not the full product, to stay fast).
CASES = [(timing, problem) for timing, problems in {
    "fixed2": ["worst4-scalar", "sparse5-scalar"],
    "fixed3-ties": ["worst3-isotropic", "dense6-scalar"],
    "fixed5-ties": ["dense5-isotropic", "sparse6-isotropic"],
    "paper3": ["sparse6-isotropic", "worst4-scalar"],
    "paper5": ["worst3-isotropic", "dense5-isotropic"],
    "exponential4": ["dense6-scalar", "sparse5-scalar"],
}.items() for problem in problems]


def run_both(problem, A, method, timing, seed, **limits):
    result = ringbench.simulate(problem, method, timing, seed=seed, trace="iterates",
                                record=ringbench.Recording(every=1), **limits)
    reference = naive_simulate(problem, method, timing, seed=seed, A=A, **limits)
    return result, reference


def assert_engine_matches_reference(method, timing):
    """The engine and the naive reference agree on dense5-isotropic, ended by time and by updates."""
    problem, A = PROBLEMS["dense5-isotropic"]()
    for seed, limits in ((7, dict(t_max=15.0)), (8, dict(max_updates=20))):
        result, reference = run_both(problem, A, method, timing, seed, **limits)
        assert_same_run(result, reference)


def assert_checkpoints(result, reference, problem, A):
    """With Recording(every=1) and an update budget: a row at time 0 and after each update."""
    x_star = np.linalg.solve(A, problem.b)
    f_star = -0.5 * problem.b @ x_star

    def metrics(x):
        return 0.5 * x @ A @ x - problem.b @ x - f_star, np.sum((A @ x - problem.b) ** 2)

    updates = [event for number, event in enumerate(reference.events)
               if event["iteration"] > (reference.events[number - 1]["iteration"] if number else 0)]
    times = [0.0] + [event["time"] for event in updates]
    iterations = [0] + [event["iteration"] for event in updates]
    expected = np.array([metrics(problem.x0)] + [metrics(event["x"]) for event in updates])
    np.testing.assert_array_equal(result.time, times)
    np.testing.assert_array_equal(result.iteration, iterations)
    scale = 1.0 + expected[0]
    np.testing.assert_allclose(result.f_gap, expected[:, 0], rtol=1e-9, atol=1e-12 * scale[0])
    np.testing.assert_allclose(result.grad_norm2, expected[:, 1], rtol=1e-9, atol=1e-12 * scale[1])


@pytest.mark.parametrize("method_name", list(METHODS))
@pytest.mark.parametrize(("timing_name", "problem_name"), CASES)
def test_engine_matches_reference_with_update_budget(method_name, timing_name, problem_name):
    problem, A = PROBLEMS[problem_name]()
    timing = TIMINGS[timing_name]()
    method = METHODS[method_name]
    result, reference = run_both(problem, A, method, timing, seed=11, max_updates=25)
    assert_same_run(result, reference)
    assert reference.counters["updates"] == 25
    assert_checkpoints(result, reference, problem, A)


@pytest.mark.parametrize("method_name", list(METHODS))
@pytest.mark.parametrize(("timing_name", "problem_name"), CASES)
def test_engine_matches_reference_with_time_budget(method_name, timing_name, problem_name):
    problem, A = PROBLEMS[problem_name]()
    timing = TIMINGS[timing_name]()
    method = METHODS[method_name]
    # t_max = 12 lands exactly on tied finish times of the fixed models: an event at
    # t_max is still processed, a later one ends the run.
    result, reference = run_both(problem, A, method, timing, seed=5, t_max=12.0)
    assert_same_run(result, reference)
    assert reference.counters["end_time"] == 12.0


def test_problem_matrices_are_what_the_reference_assumes():
    """Cross-check the hand-built A, b against the engine's exact gradient."""
    rng = np.random.default_rng(0)
    for build in PROBLEMS.values():
        problem, A = build()
        for _ in range(3):
            x = rng.standard_normal(problem.d)
            np.testing.assert_allclose(problem.gradient(x), A @ x - problem.b, rtol=1e-13, atol=1e-13)


def test_cases_exercise_every_branch():
    """Guard against a vacuous agreement: the tiny cases do discard, cancel, tie and idle."""
    problem, A = PROBLEMS["worst4-scalar"]()
    timing = TIMINGS["fixed5-ties"]()

    def counters(method):
        return naive_simulate(problem, method, timing, seed=1, A=A, t_max=12.0).counters

    assert counters(METHODS["ringmaster-R1"])["cancelled"] > 0
    assert counters(METHODS["ringmaster-R2"])["cancelled"] > 0
    assert counters(METHODS["ringmaster-R1-nostops"])["discarded"] > 0
    assert counters(METHODS["ringmaster-R2-nostops"])["discarded"] > 0
    assert counters(METHODS["rennala-S3"])["cancelled"] > 0
    assert counters(METHODS["rennala-S2-nostops"])["discarded"] > 0
    assert counters(METHODS["asgd"])["max_delay"] > 5  # so delay-adaptive rescales (n = 5)
    run = naive_simulate(problem, METHODS["minibatch"], timing, seed=1, A=A, t_max=12.0)
    times = run.column("time")
    assert len(set(times)) < len(times)  # simultaneous arrivals
    # Naive optimal ASGD: sigma^2 / eps = 4 * 0.3^2 / 0.18 = 2. Sorted tau = 0.5, 1, 2, 2, 3, so
    # (m + 2) / (sum of the m largest speeds) = 3/2, 4/3, 5/3.5, 6/4, 7/4.33: m* = 2, workers 3 and 0.
    workers = set(naive_simulate(problem, METHODS["naive-optimal"], timing, seed=1, A=A, t_max=12.0).column("worker"))
    assert workers == {0, 3}
    result = ringbench.simulate(problem, METHODS["naive-optimal"], timing, seed=1, t_max=12.0, trace="events")
    assert set(result.trace["worker"]) == {0, 3}
    assert set(naive_simulate(problem, METHODS["hero"], timing, seed=1, A=A, t_max=12.0).column("worker")) == {3}
    # Hero with two equally fast workers takes the lower index.
    assert set(naive_simulate(problem, METHODS["hero"], fixed([2.0, 1.0, 1.0]), seed=1, A=A,
                              t_max=12.0).column("worker")) == {1}
