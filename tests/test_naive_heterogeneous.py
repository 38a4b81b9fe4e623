"""The engine reproduces the naive reference (tests/naive.py) event by event on the new
methods and problems.

* Ringleader (phase-1 harmonic-mean targets 1, 1.5, 2), Malenia (S = n and S = 6, with
  and without stops), IA2SGD and FedBuff (K = 1, 3) on heterogeneous quadratics
  (per-worker b_i and s_i; dense, tridiagonal, CSR; scalar and isotropic noise) and on
  logistic regression (dense and CSR; with and without replacement; l2 and nonconvex;
  no partition, iid, label-sorted, Dirichlet and a hand-made unsorted partition);
* the same new methods on the homogeneous quadratics of ``test_naive_agreement``;
* every homogeneous method of ``test_naive_agreement`` on the new problems.

Times, workers, delays, used flags and iteration counts agree exactly, iterates to
1e-12, checkpoint metrics (against the oracle's own numpy objective) to 1e-9, and so
do the counters.
"""

import functools
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse
from naive import LogisticOracle, QuadraticOracle, assert_same_run, harmonic_mean_reaches, naive_simulate
from test_naive_agreement import METHODS as HOMOGENEOUS_METHODS
from test_naive_agreement import PROBLEMS as HOMOGENEOUS_PROBLEMS
from test_naive_agreement import TIMINGS as HOMOGENEOUS_TIMINGS

import ringbench
from ringbench.datasets import synthetic
from ringbench.methods import IA2SGD, FedBuff, Malenia, Ringleader
from ringbench.problems import Logistic, Quadratic, splits
from ringbench.timing import fixed, profile, random

# --- heterogeneous problems: each returns (problem, oracle), the oracle built from the raw inputs ---------


def _centred(rng, n, d):
    z = rng.standard_normal((n, d))
    return z - z.mean(axis=0)


def _scales(n):
    """s_i spread around 1, averaging to 1 exactly in floating point (symmetric pairs)."""
    offsets = np.linspace(-0.5, 0.5, n)
    return 1.0 + (offsets - offsets[::-1]) / 2


def het_dense(n):
    base = Quadratic.random_dense(4, condition_number=8.0, seed=n, noise_std=0.2, noise="isotropic")
    A = np.array(base.data().dense)
    worker_b = base.b + 0.7 * _centred(np.random.default_rng(n), n, 4)
    scale = _scales(n)
    oracle = QuadraticOracle(A, base.b, noise_std=0.2, noise="isotropic", worker_b=worker_b, worker_scale=scale)
    return base.per_worker(worker_b, scale), oracle


def het_tridiagonal(n):
    """A = tridiag(-0.3, 1, -0.3) as bands; only the b_i differ (s_i = 1); scalar noise."""
    d = 5
    A = np.eye(d) - 0.3 * (np.eye(d, k=1) + np.eye(d, k=-1))
    b = np.linspace(-1, 1, d)
    x0 = np.full(d, 0.5)
    base = Quadratic.tridiagonal(np.full(d - 1, -0.3), np.ones(d), b, x0=x0, noise_std=0.3, noise="scalar")
    worker_b = b + _centred(np.random.default_rng(10 + n), n, d)
    return base.per_worker(worker_b), QuadraticOracle(A, b, noise_std=0.3, noise="scalar", worker_b=worker_b)


def het_csr(n):
    rng = np.random.default_rng(20 + n)
    d = 6
    mask = np.triu(rng.random((d, d)) < 0.4, k=1)
    upper = np.where(mask, rng.uniform(-0.3, 0.3, (d, d)), 0.0)
    A = upper + upper.T
    A += np.diag(np.abs(A).sum(axis=1) + rng.uniform(0.2, 1.0, d))
    b = rng.standard_normal(d)
    base = Quadratic(scipy.sparse.csr_array(A), b, x0=rng.standard_normal(d), noise_std=0.25, noise="isotropic")
    assert base.storage() == "csr"
    worker_b = b + 0.5 * _centred(rng, n, d)
    scale = _scales(n)
    oracle = QuadraticOracle(A, b, noise_std=0.25, noise="isotropic", worker_b=worker_b, worker_scale=scale)
    return base.per_worker(worker_b, scale), oracle


def _logistic(features, labels, partition=None, **options):
    problem = Logistic(features, labels, partition=partition, **options)
    options.pop("x0", None)
    return problem, LogisticOracle(features, labels, partition=partition, **options)


def lr_dense_iid(n):
    X, y = synthetic(15, 4, separability=0.7, seed=1)
    return _logistic(X, y, splits.iid(y, n, seed=2), lam=0.05, batch=2, replacement=True, x0=np.full(4, 0.3))


def lr_csr_sorted(n):
    X, y = synthetic(12, 5, density=0.5, separability=0.8, sparse=True, seed=3)
    return _logistic(X, y, splits.label_sorted(y, n), lam=0.05, batch=3, replacement=False,
                     x0=np.linspace(-1, 1, 5))


def lr_dense_nonconvex(n):
    """No partition: every worker samples all 9 samples; without replacement, b = 2; labels 0/1."""
    X, y = synthetic(9, 3, separability=0.6, seed=4)
    return _logistic(X, (y + 1) / 2, lam=0.1, regularizer="nonconvex", batch=2, replacement=False,
                     x0=np.array([1.0, -2.0, 0.5]))


def lr_csr_dirichlet(n):
    X, y = synthetic(20, 6, density=0.4, separability=0.9, sparse=True, seed=5)
    return _logistic(X, y, splits.dirichlet(y, n, 0.3, seed=6), lam=0.02, batch=1, replacement=True)


def lr_dense_hand_partition(n):
    """An unsorted hand-made partition: positions index each worker's list in the given order."""
    assert n == 3
    X, y = synthetic(10, 3, separability=0.8, seed=7)
    parts = [np.array([7, 2, 9]), np.array([4, 0, 8, 1]), np.array([6, 3, 5])]
    return _logistic(X, y, parts, lam=0.05, batch=2, replacement=False, x0=np.array([0.5, -0.5, 1.0]))


BUILDERS = {
    "het-dense": het_dense, "het-tridiagonal": het_tridiagonal, "het-csr": het_csr,
    "lr-dense-iid": lr_dense_iid, "lr-csr-sorted": lr_csr_sorted, "lr-dense-nonconvex": lr_dense_nonconvex,
    "lr-csr-dirichlet": lr_csr_dirichlet, "lr-dense-hand": lr_dense_hand_partition,
}

TIMINGS = {
    "fixed3-ties": lambda: fixed([1.0, 2.0, 2.0]),
    "fixed5-ties": lambda: fixed([1.0, 2.0, 2.0, 0.5, 3.0]),
    "exponential4": lambda: random([1.0, 1.5, 0.7, 3.0], [0.5, 1.0, 2.0, 0.1], "exponential"),
    "paper3": lambda: profile("paper", 3),
    # Counts 1, 3, 6 at t = 6 (all three finish then): 1 + 1/3 + 1/6 = 3/2, a harmonic mean of exactly 2.
    "fixed3-fanout": lambda: fixed([6.0, 2.0, 1.0]),
    # Ringleader's phase 1 closes on counts (1, 2, 2): harmonic mean exactly 3/2.
    "fixed3-slow-first": lambda: fixed([3.0, 1.0, 1.0]),
}

CASES = [
    ("fixed3-ties", "het-dense"), ("fixed3-ties", "lr-csr-sorted"), ("fixed3-ties", "lr-dense-hand"),
    ("fixed5-ties", "het-tridiagonal"), ("fixed5-ties", "lr-dense-iid"),
    ("exponential4", "het-csr"), ("exponential4", "lr-csr-dirichlet"),
    ("paper3", "lr-dense-nonconvex"), ("paper3", "het-dense"),
    ("fixed3-fanout", "het-csr"), ("fixed3-fanout", "lr-dense-hand"), ("fixed3-slow-first", "lr-csr-sorted"),
]


@functools.cache
def build(problem_name, n):
    return BUILDERS[problem_name](n)


NEW_METHODS = {
    "ringleader": Ringleader(gamma=0.1),
    "ringleader-hm1.5": Ringleader(gamma=0.1, phase1_hm_target=1.5),
    "ringleader-hm2": Ringleader(gamma=0.15, phase1_hm_target=2.0),
    "malenia": Malenia(gamma=0.4),
    "malenia-nostops": Malenia(gamma=0.4, stops=False),
    "malenia-S6": Malenia(gamma=0.4, S=6),
    "malenia-S6-nostops": Malenia(gamma=0.4, S=6, stops=False),
    "ia2sgd": IA2SGD(gamma=0.1),
    "fedbuff-K1": FedBuff(gamma=0.1, buffer=1),
    "fedbuff-K3": FedBuff(gamma=0.3, buffer=3),
}


# --- comparison ------------------------------------------------------------------------------------


def run_both(problem, oracle, method, timing, seed, **limits):
    result = ringbench.simulate(problem, method, timing, seed=seed, trace="iterates",
                                record=ringbench.Recording(every=1), **limits)
    reference = naive_simulate(problem, method, timing, seed=seed, oracle=oracle, **limits)
    return result, reference


def assert_checkpoints(result, reference, problem, oracle):
    """With Recording(every=1) and an update budget: a row at time 0 and after each update."""
    f_star = problem.f_star if isinstance(problem, Logistic) else oracle.f_star()

    def metrics(x):
        value, gradient = oracle.value_and_gradient(x)
        return value - f_star, gradient @ gradient

    iterations = [0] + [event["iteration"] for number, event in enumerate(reference.events)
                        if event["iteration"] > (reference.events[number - 1]["iteration"] if number else 0)]
    times = [0.0] + [update["time"] for update in reference.updates]
    assert iterations == list(range(len(reference.updates) + 1))  # one update per arrival at most
    xs = [problem.x0] + [event["x"] for number, event in enumerate(reference.events)
                         if event["iteration"] > (reference.events[number - 1]["iteration"] if number else 0)]
    expected = np.array([metrics(x) for x in xs])
    np.testing.assert_array_equal(result.time, times)
    np.testing.assert_array_equal(result.iteration, iterations)
    scale = 1.0 + np.abs(expected[0])
    np.testing.assert_allclose(result.f_gap, expected[:, 0], rtol=1e-9, atol=1e-12 * scale[0])
    np.testing.assert_allclose(result.grad_norm2, expected[:, 1], rtol=1e-9, atol=1e-12 * scale[1])


# --- the new methods on the new problems --------------------------------------------------------------


@pytest.mark.parametrize("method_name", list(NEW_METHODS))
@pytest.mark.parametrize(("timing_name", "problem_name"), CASES)
def test_new_methods_on_new_problems_with_update_budget(method_name, timing_name, problem_name):
    timing = TIMINGS[timing_name]()
    problem, oracle = build(problem_name, timing.n)
    method = NEW_METHODS[method_name]
    result, reference = run_both(problem, oracle, method, timing, seed=11, max_updates=20)
    assert_same_run(result, reference)
    assert reference.counters["updates"] == 20
    assert_checkpoints(result, reference, problem, oracle)


@pytest.mark.parametrize("method_name", list(NEW_METHODS))
@pytest.mark.parametrize(("timing_name", "problem_name"), CASES)
def test_new_methods_on_new_problems_with_time_budget(method_name, timing_name, problem_name):
    timing = TIMINGS[timing_name]()
    problem, oracle = build(problem_name, timing.n)
    method = NEW_METHODS[method_name]
    # t_max = 12 lands on tied finish times of the fixed models: an event at t_max is processed.
    result, reference = run_both(problem, oracle, method, timing, seed=5, t_max=12.0)
    assert_same_run(result, reference)
    assert reference.counters["end_time"] == 12.0


# --- the new methods on the homogeneous quadratics --------------------------------------------------

HOMOGENEOUS_CASES = [("fixed5-ties", "sparse6-isotropic"), ("paper3", "worst4-scalar"),
                     ("exponential4", "dense6-scalar")]


@pytest.mark.parametrize("budget", ["updates", "time"])
@pytest.mark.parametrize("method_name", list(NEW_METHODS))
@pytest.mark.parametrize(("timing_name", "problem_name"), HOMOGENEOUS_CASES)
def test_new_methods_on_homogeneous_quadratics(method_name, timing_name, problem_name, budget):
    problem, A = HOMOGENEOUS_PROBLEMS[problem_name]()
    oracle = QuadraticOracle(A, problem.b, noise_std=problem.noise_std, noise=problem.noise)
    timing = HOMOGENEOUS_TIMINGS[timing_name]()
    method = NEW_METHODS[method_name]
    limits = dict(max_updates=25) if budget == "updates" else dict(t_max=12.0)
    result, reference = run_both(problem, oracle, method, timing, seed=3, **limits)
    assert_same_run(result, reference)
    if budget == "updates":
        assert_checkpoints(result, reference, problem, oracle)


# --- the homogeneous methods on the new problems -------------------------------------------------------

OLD_ON_NEW = [("fixed3-ties", "lr-csr-sorted"), ("fixed5-ties", "het-tridiagonal"),
              ("exponential4", "lr-csr-dirichlet"), ("paper3", "lr-dense-nonconvex"), ("fixed3-ties", "het-dense")]


@pytest.mark.parametrize("method_name", list(HOMOGENEOUS_METHODS))
@pytest.mark.parametrize(("timing_name", "problem_name"), OLD_ON_NEW)
def test_homogeneous_methods_on_new_problems(method_name, timing_name, problem_name):
    timing = TIMINGS[timing_name]()
    problem, oracle = build(problem_name, timing.n)
    method = HOMOGENEOUS_METHODS[method_name]
    result, reference = run_both(problem, oracle, method, timing, seed=7, max_updates=20)
    assert_same_run(result, reference)
    assert_checkpoints(result, reference, problem, oracle)


# --- the cases are not vacuous ---------------------------------------------------------------------------


def test_oracles_are_the_problems():
    """The oracles' objective is the problem's (exact gradients agree), and noiseless per-worker
    gradients average to the global one: the reference checks the engine's storage and data."""
    rng = np.random.default_rng(0)
    for name, builder in BUILDERS.items():
        n = 3
        problem, oracle = builder(n)
        for _ in range(3):
            x = rng.standard_normal(problem.d)
            np.testing.assert_allclose(problem.gradient(x), oracle.value_and_gradient(x)[1], rtol=1e-12,
                                       atol=1e-13, err_msg=name)
        assert problem.n_workers == (None if name == "lr-dense-nonconvex" else n)


def test_cases_exercise_every_branch():
    """Discards, cancels, buffer writes, phase-1 waits, warm-up and large delays all occur."""
    timing = TIMINGS["fixed5-ties"]()
    problem, oracle = build("het-tridiagonal", 5)

    def run(method, t_max=12.0):
        return naive_simulate(problem, method, timing, seed=1, oracle=oracle, t_max=t_max)

    assert run(NEW_METHODS["malenia"]).counters["cancelled"] > 0
    assert run(NEW_METHODS["malenia-nostops"]).counters["discarded"] > 0
    assert run(NEW_METHODS["malenia-S6-nostops"]).counters["discarded"] > 0
    ringleader = run(NEW_METHODS["ringleader"], t_max=40.0)
    # Arrivals without an update (phase 1 or buffer) and with one, over several rounds.
    iterations = [0] + list(ringleader.column("iteration"))
    steps = np.diff(iterations)
    assert set(steps) == {0, 1} and ringleader.counters["used"] == ringleader.counters["arrivals"]
    assert max(update["round"] for update in ringleader.updates) >= 3
    # IA2SGD warms up: no update before every worker (the slowest takes 3 s) has arrived.
    ia2sgd = run(NEW_METHODS["ia2sgd"])
    assert ia2sgd.updates[0]["time"] == 3.0 and ia2sgd.events[0]["iteration"] == 0
    assert run(NEW_METHODS["fedbuff-K3"]).counters["max_delay"] > 3
    # Malenia with S = 6 on n = 5 (harmonic mean >= 6/5): rounds need more than one gradient from some.
    S6 = run(NEW_METHODS["malenia-S6"])
    assert S6.counters["used"] > 5 * S6.counters["updates"]


def test_harmonic_mean_boundaries_are_hit_exactly():
    """Rounds that end with (1/n sum 1/b_i)^{-1} exactly at the target occur in the agreement cases,
    where a floating-point running sum of 1/b_i could fall on either side."""
    assert harmonic_mean_reaches([2, 2, 2], 3, 2)  # S = 6, n = 3
    assert harmonic_mean_reaches([1, 3, 6], 3, 2)  # 1 + 1/3 + 1/6 = 3/2 exactly
    assert not harmonic_mean_reaches([1, 3, 5], 3, 2)
    assert harmonic_mean_reaches([2, 2, 1], 3, 1.5)
    assert not harmonic_mean_reaches([2, 2], 3, 1.0)  # a worker without a gradient
    for method_name, target, case in [("malenia-S6", Fraction(2), ("fixed3-fanout", "het-csr")),
                                      ("ringleader-hm1.5", Fraction(3, 2), ("fixed3-slow-first", "lr-csr-sorted")),
                                      ("ringleader-hm2", Fraction(2), ("fixed3-fanout", "het-csr"))]:
        assert case in CASES
        problem, oracle = build(case[1], 3)
        run = naive_simulate(problem, NEW_METHODS[method_name], TIMINGS[case[0]](), seed=5, oracle=oracle,
                             t_max=12.0)
        exact = 0
        for update in run.updates:
            if method_name.startswith("ringleader") and update["k"] % 3:
                continue  # only each round's first update closes phase 1
            counts = Counter(update["workers"])
            exact += 3 / sum(Fraction(1, count) for count in counts.values()) == target
        assert exact > 0, method_name


# --- counters: applied versus pending for the table methods -------------------------------------------
# Result.counters documents ``applied`` as "gradients that entered an update", ``pending`` as "collected
# in a batch, table or buffer for an update the stop cut off" and ``overwritten`` as table entries
# replaced before they entered an update. The agreement tests compare them on every case; this one
# pins a case where all three differ from "every gradient a table method accepted".


@pytest.mark.parametrize("method_name", ["malenia", "ringleader", "ia2sgd"])
def test_applied_counts_only_gradients_that_entered_an_update(method_name):
    # tau = (1, 2, 2), t_max = 5.5; arrivals: w0 at 1; w0, w1, w2 at 2; w0 at 3; w0, w1, w2 at 4; w0 at 5.
    # Malenia (S = n, stops): rounds close at t = 2 and t = 4 (w2 completes them), 4 gradients each;
    #   w0's gradient of t = 5 sits in the unfinished round: applied 8, pending 1.
    # Ringleader: w2 closes phase 1 at t = 2 (update 1); w0 at 3 (update 2); w0 at 4 -> buffer;
    #   w1 at 4 (update 3) ends the round, the buffer becomes the table; w2 at 4 and w0 at 5 go into
    #   phase 1's table: 3 gradients never entered an update: applied 6, pending 3.
    # IA2SGD: w0's t = 1 gradient is replaced at t = 2, before the first update (w2 at t = 2), so it
    #   never enters one: applied 8, pending 0, overwritten 1.
    timing = TIMINGS["fixed3-ties"]()
    problem, oracle = build("het-dense", 3)
    method = NEW_METHODS[method_name]
    result, reference = run_both(problem, oracle, method, timing, seed=1, t_max=5.5)
    expected = dict(malenia=(8, 1, 0), ringleader=(6, 3, 0), ia2sgd=(8, 0, 1))[method_name]  # from the comments
    assert tuple(reference.counters[name] for name in ("applied", "pending", "overwritten")) == expected
    assert tuple(result.counters[name] for name in ("applied", "pending", "overwritten")) == expected
