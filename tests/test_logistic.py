"""Logistic regression: the objective, its kernels, the minibatch oracle, f*, L, sigma^2, validation.

Every expected value is derived here independently of ringbench: by finite differences,
by a plain numpy objective (``objective`` below), by scipy's trust-region solver, by
enumerating every minibatch, or by Monte Carlo with a tolerance of five standard errors
computed from the sample itself.
"""

import itertools
import json
import math

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse
import scipy.special

import ringbench
from ringbench import datasets
from ringbench.datasets import synthetic
from ringbench.engine import protocol
from ringbench.engine.rng import STREAM_NOISE, fill_uniforms, key_from_seed
from ringbench.methods import (
    ASGD,
    IA2SGD,
    METHODS,
    DelayAdaptiveASGD,
    FedAsync,
    FedBuff,
    Hero,
    Malenia,
    Minibatch,
    NaiveOptimalASGD,
    RandomASGD,
    Rennala,
    Ringleader,
    Ringmaster,
    ShuffledASGD,
)
from ringbench.problems import Logistic, Quadratic
from ringbench.timing import fixed, random

KEY = key_from_seed(np.random.SeedSequence(2024))


# --- an independent numpy objective --------------------------------------------------------------


def signs(labels):
    labels = np.asarray(labels, dtype=float)
    return np.where(labels == 1, 1.0, -1.0)


def weights_of(n_samples, partition):
    if partition is None:
        return np.full(n_samples, 1.0 / n_samples)
    weights = np.zeros(n_samples)
    for part in partition:
        weights[np.asarray(part)] = 1.0 / (len(partition) * len(part))
    return weights


def objective(X, y, lam, regularizer="l2", partition=None):
    """(value, gradient, hessian) functions of sum_j w_j log(1 + exp(-y_j a_j'x)) + r(x), in numpy."""
    X = X.toarray() if scipy.sparse.issparse(X) else np.asarray(X, dtype=float)
    y = signs(y)
    w = weights_of(X.shape[0], partition)

    def value(x):
        r = 0.5 * lam * x @ x if regularizer == "l2" else lam * np.sum(x**2 / (1 + x**2))
        return w @ np.logaddexp(0, -y * (X @ x)) + r

    def gradient(x):
        r = lam * x if regularizer == "l2" else 2 * lam * x / (1 + x**2) ** 2
        return X.T @ (-w * y * scipy.special.expit(-y * (X @ x))) + r

    def hessian(x):
        p = scipy.special.expit(X @ x)
        r = lam * np.ones_like(x) if regularizer == "l2" else lam * (2 - 6 * x**2) / (1 + x**2) ** 3
        return (X * (w * p * (1 - p))[:, None]).T @ X + np.diag(r)

    return value, gradient, hessian


def stochastic_gradient(problem, x, worker, job, key=KEY):
    out = np.empty(problem.d)
    protocol.stochastic_gradient(problem.data(), key, np.asarray(x, dtype=float), worker, job, out)
    return out


def jitted_metrics(problem, x):
    return protocol.metrics(problem.data(), np.asarray(x, dtype=float))


def data(sparse, n_samples=12, n_features=4, seed=0):
    return synthetic(n_samples, n_features, density=0.6 if sparse else 1.0, separability=0.7, sparse=sparse,
                     seed=seed)


# --- the objective ---------------------------------------------------------------------------------


@pytest.mark.parametrize("regularizer", ["l2", "nonconvex"])
@pytest.mark.parametrize("sparse", [False, True])
def test_gradient_and_hessian_match_finite_differences(sparse, regularizer):
    X, y = data(sparse)
    partition = [np.arange(0, 5), np.arange(5, 12)]  # uneven parts: weights 1/(2*5) and 1/(2*7)
    for part in (None, partition):
        problem = Logistic(X, y, lam=0.3, regularizer=regularizer, partition=part)
        value, _, _ = objective(X, y, 0.3, regularizer, part)
        rng = np.random.default_rng(1)
        h = 1e-5
        for _ in range(3):
            x = rng.standard_normal(4) * 1.5
            assert problem.loss(x) == pytest.approx(value(x), rel=1e-14)
            basis = np.eye(4)
            finite = np.array([(problem.loss(x + h * e) - problem.loss(x - h * e)) / (2 * h) for e in basis])
            np.testing.assert_allclose(problem.gradient(x), finite, rtol=0, atol=1e-9)
            columns = np.array([(problem.gradient(x + h * e) - problem.gradient(x - h * e)) / (2 * h) for e in basis])
            np.testing.assert_allclose(problem.hessian(x), columns.T, rtol=0, atol=1e-9)


def test_dense_and_csr_storage_give_the_same_problem():
    X, y = data(sparse=True, n_samples=15, n_features=5, seed=3)
    partition = [np.array([0, 3, 6, 9, 12]), np.array([1, 4, 7, 10, 13]), np.array([2, 5, 8, 11, 14])]
    for options in (dict(batch=3, replacement=False), dict(batch=2, replacement=True, partition=partition)):
        csr = Logistic(X, y, lam=0.05, **options)
        dense = Logistic(X.toarray(), y, lam=0.05, **options)
        assert csr.storage() == "csr" and dense.storage() == "dense"
        for name in ("L", "f_star", "sigma2"):
            assert getattr(csr, name) == pytest.approx(getattr(dense, name), rel=1e-12), name
        np.testing.assert_allclose(csr.x_star, dense.x_star, rtol=1e-9, atol=1e-12)
        rng = np.random.default_rng(0)
        for _ in range(3):
            x = rng.standard_normal(5)
            assert csr.loss(x) == pytest.approx(dense.loss(x), rel=1e-14)
            np.testing.assert_allclose(csr.gradient(x), dense.gradient(x), rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(csr.hessian(x), dense.hessian(x), rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(jitted_metrics(csr, x), jitted_metrics(dense, x), rtol=1e-12, atol=1e-14)
            for worker, job in [(0, 0), (1, 5), (2, 17)]:
                np.testing.assert_allclose(stochastic_gradient(csr, x, worker, job),
                                           stochastic_gradient(dense, x, worker, job), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("regularizer", ["l2", "nonconvex"])
@pytest.mark.parametrize("sparse", [False, True])
def test_jitted_metrics_equal_the_numpy_objective(sparse, regularizer):
    X, y = data(sparse, seed=5)
    partition = [np.arange(0, 3), np.arange(3, 12)]
    for part in (None, partition):
        problem = Logistic(X, y, lam=0.2, regularizer=regularizer, partition=part)
        value, gradient, _ = objective(X, y, 0.2, regularizer, part)
        rng = np.random.default_rng(2)
        for x in [problem.x0, problem.x_star, *rng.standard_normal((3, 4)) * 2]:
            f, g = problem.value_and_gradient(x)
            assert f == pytest.approx(value(x), rel=1e-14)
            np.testing.assert_allclose(g, gradient(x), rtol=1e-13, atol=1e-16)
            gap, norm2 = jitted_metrics(problem, x)
            assert gap == pytest.approx(f - problem.f_star, rel=1e-12, abs=1e-15)
            # compared as norms: at x* the gradient is pure rounding noise of size ~1e-16
            assert math.sqrt(norm2) == pytest.approx(np.linalg.norm(g), rel=1e-12, abs=1e-15)


def test_huge_margins_are_stable_and_take_the_right_limits():
    # Two workers with one sample each: a = 1000, y = +1 (margin 1000 x) and a = -1, y = -1 (margin x):
    # f(x) = 1/2 [log(1 + exp(-1000 x)) + log(1 + exp(-x))] + lam/2 x^2. At x = +-100 the margins are
    # +-1e5, where exp overflows in a naive log(1 + exp(-m)) (inf) and the exact limits are 0 and -m.
    lam = 1e-10
    problem = Logistic(np.array([[1000.0], [-1.0]]), [1, -1], lam=lam, partition=[np.array([0]), np.array([1])])
    cases = [  # x, f(x), f'(x), worker 0's gradient (its one sample, plus lam x)
        (100.0, 0.5 * np.log1p(np.exp(-100.0)) + lam / 2 * 1e4,
         -0.5 * scipy.special.expit(-100.0) + lam * 100, lam * 100),
        (-100.0, 0.5 * (1e5 + 100.0 + np.log1p(np.exp(-100.0))) + lam / 2 * 1e4,
         0.5 * (-1000.0 - scipy.special.expit(100.0)) - lam * 100, -1000.0 - lam * 100),
        # margin 30: the sample's slope -1000 e^-30 / (1 + e^-30) keeps its digits
        (0.03, 0.5 * (np.log1p(np.exp(-30.0)) + np.log1p(np.exp(-0.03))) + lam / 2 * 0.03**2,
         0.5 * (-1000.0 * scipy.special.expit(-30.0) - scipy.special.expit(-0.03)) + lam * 0.03,
         -1000.0 * math.exp(-30.0) / (1.0 + math.exp(-30.0)) + lam * 0.03),
    ]
    for x, value, slope, worker0 in cases:
        point = np.array([x])
        assert problem.loss(point) == pytest.approx(value, rel=1e-15)
        assert problem.gradient(point)[0] == pytest.approx(slope, rel=1e-14)
        gap, norm2 = jitted_metrics(problem, point)
        assert np.isfinite(gap) and np.isfinite(norm2)
        assert gap == pytest.approx(value - problem.f_star, rel=1e-13)
        assert norm2 == pytest.approx(slope**2, rel=1e-13)
        for job in range(3):
            assert stochastic_gradient(problem, point, 0, job)[0] == pytest.approx(worker0, rel=1e-13)


def test_labels_01_and_pm1_give_the_same_problem():
    X, y = data(sparse=True, seed=7)
    zero_one = (y + 1) / 2
    assert set(zero_one) == {0.0, 1.0}
    a = Logistic(X, zero_one, lam=0.1, batch=2)
    b = Logistic(X, y, lam=0.1, batch=2)
    np.testing.assert_array_equal(a.labels, y)
    for name in ("L", "f_star", "sigma2"):
        assert getattr(a, name) == getattr(b, name)
    x = np.array([0.3, -1.0, 2.0, 0.1])
    assert a.loss(x) == b.loss(x)
    np.testing.assert_array_equal(a.gradient(x), b.gradient(x))
    for job in range(5):
        np.testing.assert_array_equal(stochastic_gradient(a, x, 0, job), stochastic_gradient(b, x, 0, job))
    # and 0/1 labels really are read as -1/+1: the loss of the -1/+1 objective.
    assert a.loss(x) == pytest.approx(objective(X, y, 0.1)[0](x), rel=1e-14)


# --- the minibatch oracle ---------------------------------------------------------------------------


def documented_minibatch(pool, batch, replacement, worker, job, key=KEY):
    """The documented draw: the job's successive uniforms; position = min(int(u * pool), pool - 1);
    without replacement a repeated position is rejected and the next uniform is used."""
    draws = np.empty(64 * batch)  # far more than rejections can use up at these sizes
    fill_uniforms(key, STREAM_NOISE, worker, job, draws)
    positions = []
    for u in draws:
        position = min(int(u * len(pool)), len(pool) - 1)
        if replacement or position not in positions:
            positions.append(position)
    assert len(positions) >= batch
    return [pool[position] for position in positions[:batch]]


@pytest.mark.parametrize("replacement", [True, False])
def test_minibatch_is_drawn_as_documented_and_never_repeats_without_replacement(replacement):
    # Features a_j = e_j (N = d = 6) and y = +1: at x = 0 the minibatch gradient is -1/(2b) * (count of
    # each sample in the batch), so the gradient shows exactly which samples were drawn.
    N, batch = 6, 4
    parts = [np.array([5, 1, 3]), np.array([0, 2, 4])] if replacement else None
    pools = parts if parts is not None else [np.arange(N)]
    problem = Logistic(np.eye(N), np.ones(N), lam=0.0, batch=batch if not parts else 2, replacement=replacement,
                       partition=parts)
    repeats = 0
    for worker in range(len(pools)):
        for job in range(300):
            counts = -2 * problem.batch * stochastic_gradient(problem, np.zeros(N), worker, job)
            np.testing.assert_allclose(counts, np.round(counts), atol=1e-12)
            counts = np.round(counts).astype(int)
            drawn = documented_minibatch(pools[worker], problem.batch, replacement, worker, job)
            np.testing.assert_array_equal(counts, np.bincount(drawn, minlength=N))
            assert counts.sum() == problem.batch
            assert set(np.flatnonzero(counts)) <= set(pools[worker].tolist())  # only the worker's own samples
            if not replacement:
                assert counts.max() == 1
            repeats += counts.max() > 1
    assert (repeats > 0) == replacement  # with replacement, repeats do happen


def _mean_and_error(samples):
    return samples.mean(axis=0), samples.std(axis=0, ddof=1) / np.sqrt(len(samples))


@pytest.mark.parametrize(("replacement", "partitioned"), [(True, False), (False, False), (False, True), (True, True)])
def test_minibatch_gradient_is_unbiased(replacement, partitioned):
    X, y = data(sparse=True, n_samples=10, n_features=3, seed=11)
    partition = [np.array([0, 1, 2, 3, 4, 5]), np.array([6, 7, 8, 9])] if partitioned else None
    problem = Logistic(X, y, lam=0.1, batch=3, replacement=replacement, partition=partition)
    x = np.array([0.5, -1.0, 1.5])
    jobs = 20_000
    pools = partition or [np.arange(10)]
    for worker, pool in enumerate(pools):
        # Worker i's gradient is unbiased for its own f_i: the mean loss over its samples plus r.
        local = objective(X[pool], y[pool], 0.1)[1](x)
        draws = np.array([stochastic_gradient(problem, x, worker, job) for job in range(jobs)])
        mean, error = _mean_and_error(draws)
        assert np.all(np.abs(mean - local) <= 5 * error), (mean - local) / error


def test_batch_of_the_whole_pool_without_replacement_is_the_exact_gradient():
    X, y = data(sparse=False, n_samples=7, n_features=3, seed=13)
    problem = Logistic(X, y, lam=0.1, batch=7, replacement=False)
    x = np.array([1.0, 0.2, -0.7])
    for job in range(20):
        np.testing.assert_allclose(stochastic_gradient(problem, x, 0, job), problem.gradient(x), rtol=1e-13,
                                   atol=1e-15)


def _exact_variance(X, y, lam, x, pool, batch, replacement):
    """E||g - grad f_i||^2 by enumerating every equally likely minibatch of ``pool``."""
    A = X.toarray() if scipy.sparse.issparse(X) else X
    s = signs(y)
    grads = np.array([-s[j] * scipy.special.expit(-s[j] * A[j] @ x) * A[j] for j in pool])
    mean = grads.mean(axis=0)
    batches = (itertools.product(range(len(pool)), repeat=batch) if replacement
               else itertools.combinations(range(len(pool)), batch))
    deviations = [np.sum((grads[list(chosen)].mean(axis=0) - mean) ** 2) for chosen in batches]
    return np.mean(deviations)


@pytest.mark.parametrize("replacement", [True, False])
def test_sigma2_is_the_exact_minibatch_variance_at_x0_and_matches_monte_carlo(replacement):
    X, y = data(sparse=True, n_samples=9, n_features=3, seed=17)
    x0 = np.array([0.4, -0.3, 0.8])
    partition = [np.array([0, 1, 2, 3]), np.array([4, 5, 6, 7, 8])]
    for part in (None, partition):
        problem = Logistic(X, y, lam=0.2, batch=3, replacement=replacement, partition=part, x0=x0)
        pools = part or [np.arange(9)]
        exact = [_exact_variance(X, y, 0.2, x0, pool, 3, replacement) for pool in pools]
        assert problem.sigma2 == pytest.approx(max(exact), rel=1e-12)  # the largest over workers
        worker = int(np.argmax(exact))
        local = objective(X[pools[worker]], y[pools[worker]], 0.2)[1](x0)
        squares = np.array([np.sum((stochastic_gradient(problem, x0, worker, job) - local) ** 2)
                            for job in range(20_000)])
        mean, error = _mean_and_error(squares)
        assert abs(mean - problem.sigma2) <= 5 * error


# --- f*, the cache, L -------------------------------------------------------------------------------


@pytest.mark.parametrize("sparse", [False, True])
def test_f_star_agrees_with_an_independent_trust_region_solve(sparse):
    X, y = data(sparse, n_samples=30, n_features=5, seed=19)
    partition = [np.arange(0, 10), np.arange(10, 30)]
    for part in (None, partition):
        problem = Logistic(X, y, lam=0.01, partition=part)
        value, gradient, hessian = objective(X, y, 0.01, "l2", part)
        start = np.random.default_rng(3).standard_normal(5) * 3  # not the solver's x = 0
        solution = scipy.optimize.minimize(value, start, jac=gradient, hess=hessian, method="trust-exact",
                                           options=dict(gtol=1e-13))
        residual = np.linalg.norm(gradient(solution.x))
        assert residual < 1e-9
        assert problem.f_star == pytest.approx(solution.fun, rel=1e-10)
        # f is lam-strongly convex: ||x - x*|| <= ||grad f(x)|| / lam for both solutions.
        tolerance = (residual + np.linalg.norm(gradient(problem.x_star))) / 0.01
        assert np.linalg.norm(problem.x_star - solution.x) <= tolerance


def test_nonconvex_f_star_is_the_value_at_a_stationary_point():
    X, y = data(sparse=True, n_samples=20, n_features=4, seed=23)
    problem = Logistic(X, y, lam=0.5, regularizer="nonconvex")
    value, gradient, _ = objective(X, y, 0.5, "nonconvex")
    assert np.linalg.norm(gradient(problem.x_star)) < 1e-10
    assert problem.f_star == pytest.approx(value(problem.x_star), rel=1e-14)


def test_f_star_is_cached_on_disk_keyed_on_the_objective(tmp_path, monkeypatch):
    monkeypatch.setenv("RINGBENCH_CACHE", str(tmp_path))
    X, y = data(sparse=False, n_samples=10, n_features=3, seed=29)

    def entries():
        return sorted((tmp_path / "optima").glob("*.json"))

    first = Logistic(X, y, lam=0.1)
    assert len(entries()) == 1
    entry = json.loads(entries()[0].read_text())
    assert entry["f_star"] == first.f_star
    # Plant a different value: a second construction must read it instead of solving again.
    entry["f_star"] = first.f_star + 1.0
    entry["x_star"] = [7.0, 8.0, 9.0]
    entries()[0].write_text(json.dumps(entry))
    again = Logistic(X, y, lam=0.1, batch=2, replacement=False, x0=np.ones(3))  # f does not depend on these
    assert again.f_star == first.f_star + 1.0
    np.testing.assert_array_equal(again.x_star, [7.0, 8.0, 9.0])
    assert len(entries()) == 1
    # Anything f depends on is part of the key: lambda, the regulariser, the weights, the data.
    for other in (Logistic(X, y, lam=0.2), Logistic(X, y, lam=0.1, regularizer="nonconvex"),
                  Logistic(X, y, lam=0.1, partition=[np.arange(4), np.arange(4, 10)]),
                  Logistic(X * 2, y, lam=0.1)):
        assert other.f_star != first.f_star + 1.0
        assert np.linalg.norm(other.gradient(other.x_star)) < 1e-9
    assert len(entries()) == 5


@pytest.mark.parametrize("regularizer", ["l2", "nonconvex"])
@pytest.mark.parametrize("sparse", [False, True])
def test_L_bounds_the_hessian_and_is_attained_at_zero(sparse, regularizer):
    X, y = data(sparse, n_samples=25, n_features=4, seed=31)
    partition = [np.arange(0, 5), np.arange(5, 25)]
    for part in (None, partition):
        problem = Logistic(X, y, lam=0.05, regularizer=regularizer, partition=part)
        _, _, hessian = objective(X, y, 0.05, regularizer, part)
        A = X.toarray() if sparse else X
        w = weights_of(25, part)
        curvature = 1.0 if regularizer == "l2" else 2.0  # max of r'' / lam: 1, or (2 - 6t^2)/(1 + t^2)^3 at t = 0
        expected = np.linalg.eigvalsh((A * w[:, None]).T @ A)[-1] / 4 + curvature * 0.05
        assert problem.L == pytest.approx(expected, rel=1e-12)
        rng = np.random.default_rng(4)
        for scale in (0.1, 1.0, 10.0):
            for _ in range(5):
                x = rng.standard_normal(4) * scale
                assert np.linalg.eigvalsh(hessian(x))[-1] <= problem.L * (1 + 1e-12)
        # At x = 0 every sample has p(1 - p) = 1/4, its largest, and r'' its largest: the bound is tight.
        assert np.linalg.eigvalsh(hessian(np.zeros(4)))[-1] == pytest.approx(problem.L, rel=1e-12)


# --- validation --------------------------------------------------------------------------------------


def test_invalid_inputs_are_rejected_naming_the_parameter():
    X, y = data(sparse=False, n_samples=6, n_features=2, seed=37)
    cases = [
        (dict(labels=np.array([0, 2, 0, 2, 0, 2])), "labels"),
        (dict(labels=np.array([-1, 0, 1, 1, 0, -1])), "labels"),
        (dict(labels=y[:5]), "labels"),
        (dict(batch=7, replacement=False), "batch"),
        (dict(batch=3, replacement=False, partition=[np.arange(4), np.arange(4, 6)]), "batch"),
        (dict(batch=0), "batch"),
        (dict(partition=[np.arange(4), np.arange(3, 6)]), "partition"),  # sample 3 twice
        (dict(partition=[np.arange(3), np.arange(4, 6)]), "partition"),  # sample 3 missing
        (dict(partition=[np.arange(3), np.arange(3, 7)]), "partition"),  # index 6 out of range
        (dict(partition=[np.array([-1, 0, 1, 2]), np.arange(3, 6)]), "partition"),
        (dict(partition=[np.arange(6), np.array([], dtype=int)]), "partition"),  # an empty worker
        (dict(partition=[np.arange(3.0), np.arange(3, 6)]), "partition"),  # not integers
        (dict(partition=[]), "partition"),
        (dict(lam=-0.1), "lam"),
        (dict(regularizer="l1"), "regularizer"),
        (dict(replacement="no"), "replacement"),
        (dict(x0=np.zeros(3)), "x0"),
        (dict(features=np.where(np.eye(6, 2) > 0, np.nan, 0.0)), "features"),
    ]
    for change, name in cases:
        arguments = dict(features=X, labels=y, lam=0.1)
        arguments.update(change)
        features, labels = arguments.pop("features"), arguments.pop("labels")
        with pytest.raises(ValueError, match=name):
            Logistic(features, labels, **arguments)
    # Allowed: a batch larger than the pool with replacement.
    assert Logistic(X, y, lam=0.1, batch=10).batch == 10
    with pytest.raises(ValueError, match="storage"):
        Logistic.from_dataset("a9a", storage="coo")


def test_simulate_rejects_a_partition_over_a_different_number_of_workers():
    X, y = data(sparse=False, n_samples=6, n_features=2, seed=37)
    problem = Logistic(X, y, lam=0.1, partition=[np.arange(3), np.arange(3, 6)])
    split = Quadratic.random_dense(2).per_worker(np.zeros((3, 2)) + Quadratic.random_dense(2).b)
    for p, n in ((problem, 3), (split, 2)):
        with pytest.raises(ValueError, match=r"workers.*n = " + str(n)):
            ringbench.simulate(p, ASGD(gamma=0.1), fixed([1.0] * n), t_max=1.0)


# --- every method optimises a logistic problem ---------------------------------------------------------


def _method(name, gamma):
    special = {"ringmaster": dict(threshold=3), "rennala": dict(S=2), "naive-optimal": dict(eps=0.1),
               "fedbuff": dict(buffer=2)}
    return METHODS[name](gamma=gamma, **special.get(name, {}))


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_decreases_the_gradient_norm_on_a_small_logistic_problem(name):
    X, y = synthetic(60, 5, separability=0.8, seed=41)
    problem = Logistic(X, y, lam=0.05, batch=20, x0=np.full(5, -5.0))
    # gamma = 0.3 / L for the synchronous methods, 0.1 / L for those applying stale gradients.
    gamma = (0.3 if name in ("rennala", "minibatch", "malenia") else 0.1) / problem.L
    timing = random([1.0, 1.5, 2.0, 4.0], [0.3, 0.3, 0.3, 0.3], "half-normal")
    result = ringbench.simulate(problem, _method(name, gamma), timing, t_max=300.0, seed=1)
    assert result.status == "time_budget"
    assert result.grad_norm2[0] > 1.0
    assert result.grad_norm2[-1] < 1e-2 * result.grad_norm2[0], result.grad_norm2[[0, -1]]


def test_the_method_table_is_covered():
    assert {cls for cls in METHODS.values()} == {ASGD, DelayAdaptiveASGD, Rennala, Minibatch, Hero, NaiveOptimalASGD,
                                                 Ringmaster, Ringleader, Malenia, IA2SGD, FedBuff, FedAsync, RandomASGD,
                                                 ShuffledASGD}


# --- real data -----------------------------------------------------------------------------------------------


def test_a9a_loads_as_a_logistic_problem():
    try:
        datasets.load("a9a")
    except FileNotFoundError as error:
        pytest.skip(f"a9a is not available: {error}")
    problem = Logistic.from_dataset("a9a", lam=0.05)
    assert problem.d == 123 and problem.storage() == "csr"
    assert problem.n_samples == 32560
    assert np.linalg.norm(problem.gradient(problem.x_star)) < 1e-9
    # sigma^2 at x0 = 0 with b = 1: every per-sample gradient is -y a / 2, so it is the spread of a / 2 * y.
    A = datasets.load("a9a").X
    g = -(A.multiply(problem.labels[:, None]) / 2).toarray()
    assert problem.sigma2 == pytest.approx(np.mean(np.sum((g - g.mean(axis=0)) ** 2, axis=1)), rel=1e-10)
