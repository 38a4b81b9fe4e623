"""Heterogeneous data: Ringleader's invariants, the acceptance test on biased fast workers,
dataset splits, per-worker quadratics, and identities between methods.

Invariants are checked on the engine's event trace, and (for what the trace cannot show,
the start iterations of every gradient inside the table) on the naive reference, which
must agree with the engine on the same run.
"""

from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from naive import QuadraticOracle, naive_simulate

import ringbench
from ringbench.engine import protocol
from ringbench.methods import ASGD, IA2SGD, FedBuff, Malenia, Minibatch, Ringleader
from ringbench.problems import Quadratic, splits
from ringbench.timing import fixed, random

# --- a small heterogeneous quadratic ------------------------------------------------------------------


def split_quadratic(n, *, d=3, noise_std=0.1, seed=2):
    base = Quadratic.random_dense(d, condition_number=4.0, seed=seed, noise_std=noise_std, noise="isotropic")
    z = np.random.default_rng(seed).standard_normal((n, d))
    worker_b = base.b + z - z.mean(axis=0)
    oracle = QuadraticOracle(np.array(base.data().dense), base.b, noise_std=noise_std, noise="isotropic",
                             worker_b=worker_b)
    return base.per_worker(worker_b), oracle


def updates_of(trace):
    """(index into the trace, worker) of the arrivals that made an update."""
    iterations = np.concatenate([[0], trace["iteration"]])
    steps = np.diff(iterations)
    assert set(steps.tolist()) <= {0, 1}
    indices = np.flatnonzero(steps == 1)
    return indices, trace["worker"][indices]


TIMINGS = {
    "exponential": lambda: random([1.0, 1.0, 2.0, 5.0, 10.0], [1.0, 1.0, 1.0, 3.0, 5.0], "exponential"),
    "fixed-straggler": lambda: fixed([1.0, 1.0, 1.0, 1.0, 7.0]),
    "fixed-spread": lambda: fixed([1.0, 2.0, 3.0, 4.0, 5.0]),
}


# --- Ringleader's invariants ----------------------------------------------------------------------------


@pytest.mark.parametrize("target", [1.0, 2.0])
@pytest.mark.parametrize("timing_name", list(TIMINGS))
def test_ringleader_rounds_delays_and_no_waste(timing_name, target):
    n = 5
    problem, oracle = split_quadratic(n)
    timing = TIMINGS[timing_name]()
    method = Ringleader(gamma=0.05, phase1_hm_target=target)
    result = ringbench.simulate(problem, method, timing, max_updates=500, seed=0, trace="iterates")
    trace = result.trace
    indices, workers = updates_of(trace)
    assert workers.size == 500
    # Exactly n updates per round, one per worker: consecutive blocks of n are permutations.
    for block in workers.reshape(-1, n):
        assert sorted(block.tolist()) == list(range(n))
    # Inside a round (between its first and last update), an arrival that does not update comes
    # from a worker that already had its update this round (it writes to the buffer).
    updating = set(indices.tolist())
    for first, last in indices.reshape(-1, n)[:, [0, -1]]:
        done = {int(trace["worker"][first])}
        for event in range(first + 1, last + 1):
            worker = int(trace["worker"][event])
            if event in updating:
                assert worker not in done
                done.add(worker)
            else:
                assert worker in done
    # Nothing is discarded, cancelled or idle: every arrival is used.
    counters = result.counters
    assert counters["discarded"] == counters["cancelled"] == counters["wasted"] == 0
    assert counters["arrivals"] == counters["computed"] == counters["applied"] + counters["pending"]
    assert trace["used"].all()
    # Delays: at arrival, and of every gradient in the table at every update (from the reference,
    # which reproduces this run event by event), at most 2n - 2; the bound is reached.
    assert counters["max_delay"] <= 2 * n - 2 and trace["delay"].max() <= 2 * n - 2
    reference = naive_simulate(problem, method, timing, seed=0, oracle=oracle, max_updates=500)
    np.testing.assert_array_equal(reference.column("worker"), trace["worker"])
    np.testing.assert_array_equal(reference.column("iteration"), trace["iteration"])
    np.testing.assert_allclose(np.array(reference.column("x")), trace["x"], rtol=1e-12, atol=1e-12)
    table_delays = [update["k"] - start for update in reference.updates for start in update["starts"]]
    assert max(table_delays) == 2 * n - 2
    # Phase 1 closes only once the harmonic mean of the table counts reaches the target (exactly).
    for update in reference.updates[::n]:
        counts = Counter(update["workers"])
        assert len(counts) == n
        assert n / sum(Fraction(1, count) for count in counts.values()) >= Fraction(target)
    if target > 1:  # the target does bind: some round's closing table holds several gradients of a worker
        assert any(max(Counter(update["workers"]).values()) > 1 for update in reference.updates[::n])


def test_ringleader_uses_every_gradient_it_computes_within_the_round_it_belongs_to():
    """Each gradient enters updates of exactly one round: its own (table) or the next (buffer)."""
    n = 4
    problem, oracle = split_quadratic(n, seed=5)
    timing = fixed([1.0, 1.5, 2.5, 6.0])
    reference = naive_simulate(problem, Ringleader(gamma=0.05), timing, seed=1, oracle=oracle, max_updates=200)
    rounds_by_start = {}
    for update in reference.updates:
        for worker, start in zip(update["workers"], update["starts"]):
            rounds_by_start.setdefault((worker, start), set()).add(update["round"])
    assert all(len(rounds) == 1 for rounds in rounds_by_start.values())
    # A round's updates use the same per-worker gradients until they are replaced: counts never shrink
    # inside a round.
    for first in range(0, len(reference.updates) - n + 1, n):
        block = reference.updates[first:first + n]
        sizes = [len(update["starts"]) for update in block]
        assert sizes == sorted(sizes) and sizes[-1] - sizes[0] == n - 1


# --- the acceptance test: biased fast workers ------------------------------------------------------------


def biased_fast_workers():
    """2 fast workers (tau = 1) whose b_i = b + 3 * 1 and 6 slow ones (tau = 10) with b_i = b - 1: mean b."""
    base = Quadratic.random_dense(6, condition_number=5, seed=0)
    worker_b = np.vstack([np.tile(base.b + 3.0, (2, 1)), np.tile(base.b - 1.0, (6, 1))])
    return base, base.per_worker(worker_b), fixed([1.0] * 2 + [10.0] * 6)


def test_asgd_is_biased_towards_fast_workers_while_ringleader_and_malenia_converge():
    base, problem, timing = biased_fast_workers()
    x_star = np.linalg.solve(np.array(base.data().dense), base.b)
    np.testing.assert_allclose(x_star, base.x_star, rtol=1e-12)
    # ASGD's fixed point balances the gradients by arrival rate: every 10 s, 20 fast arrivals and 6 slow,
    # so 26 A x = 20 (b + 3) + 6 (b - 1), i.e. x = A^{-1} (b + 54/26 * 1).
    biased = np.linalg.solve(np.array(base.data().dense), base.b + 54 / 26)
    assert np.linalg.norm(biased - x_star) > 10
    asgd = ringbench.simulate(problem, ASGD(gamma=0.02), timing, t_max=2000.0)
    assert np.linalg.norm(asgd.x - x_star) > 10
    assert np.linalg.norm(asgd.x - biased) < 1.0
    for method in (Ringleader(gamma=0.1), Malenia(gamma=1.0), Malenia(gamma=1.0, stops=False)):
        result = ringbench.simulate(problem, method, timing, t_max=2000.0)
        assert result.status == "time_budget"
        assert np.linalg.norm(result.x - x_star) < 1e-6, method


# --- dataset splits ---------------------------------------------------------------------------------------


LABELS = np.random.default_rng(0).integers(0, 4, 203)  # 4 classes, 203 samples
OPTIONS = {"iid": dict(seed=3), "label-sorted": {}, "dirichlet": dict(alpha=0.5, seed=3)}


@pytest.mark.parametrize("kind", splits.SPLITS)
@pytest.mark.parametrize("n_workers", [1, 5, 7, 203])
def test_splits_use_every_sample_once_in_near_equal_parts(kind, n_workers):
    parts = splits.split(kind, LABELS, n_workers, **OPTIONS[kind])
    assert len(parts) == n_workers
    everything = np.concatenate(parts)
    assert np.array_equal(np.sort(everything), np.arange(LABELS.size))
    sizes = [part.size for part in parts]
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == LABELS.size
    for part in parts:
        assert np.issubdtype(part.dtype, np.integer)
    # Deterministic: the same arguments give the same split.
    again = splits.split(kind, LABELS, n_workers, **OPTIONS[kind])
    assert all(np.array_equal(a, b) for a, b in zip(parts, again))


@pytest.mark.parametrize("kind", ["iid", "dirichlet"])
def test_random_splits_depend_on_the_seed(kind):
    a = splits.split(kind, LABELS, 5, **OPTIONS[kind])
    b = splits.split(kind, LABELS, 5, **{**OPTIONS[kind], "seed": 4})
    assert not all(np.array_equal(x, y) for x, y in zip(a, b))


def _label_skew(parts, labels):
    """Chi-square statistic of the worker x class table against independence."""
    classes = np.unique(labels)
    table = np.array([[np.sum(labels[part] == value) for value in classes] for part in parts], dtype=float)
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    return np.sum((table - expected) ** 2 / expected), (len(parts) - 1) * (classes.size - 1)


def test_label_sorted_and_dirichlet_skew_labels_and_iid_does_not():
    labels = np.random.default_rng(1).integers(0, 4, 2000)
    n = 10
    # iid: independence holds, so the statistic is about its degrees of freedom (27 here; sd sqrt(54) ~ 7.3).
    statistic, dof = _label_skew(splits.iid(labels, n, seed=0), labels)
    assert statistic < dof + 6 * np.sqrt(2 * dof)
    for parts in (splits.label_sorted(labels, n), splits.dirichlet(labels, n, 0.1, seed=0)):
        statistic, dof = _label_skew(parts, labels)
        assert statistic > 20 * dof
    # Label-sorted: each worker's labels form a run, at most two classes per worker here (200 per worker,
    # about 500 per class).
    for part in splits.label_sorted(labels, n):
        assert np.unique(labels[part]).size <= 2
        assert np.all(np.diff(labels[part]) >= 0)
    # Dirichlet with small alpha: most workers are dominated by one class.
    dominant = [np.bincount(labels[part], minlength=4).max() / part.size for part in splits.dirichlet(labels, n, 0.1)]
    assert np.median(dominant) > 0.7
    # Large alpha approaches iid proportions.
    statistic, dof = _label_skew(splits.dirichlet(labels, n, 1000.0, seed=0), labels)
    assert statistic < dof + 6 * np.sqrt(2 * dof)


def test_split_validation():
    with pytest.raises(ValueError, match="n_workers"):
        splits.split("iid", LABELS, 204)
    with pytest.raises(ValueError, match="n_workers"):
        splits.split("iid", LABELS, 0)
    with pytest.raises(ValueError, match="split"):
        splits.split("round-robin", LABELS, 3)
    with pytest.raises(ValueError, match="alpha"):
        splits.split("dirichlet", LABELS, 3, alpha=0.0)
    with pytest.raises(ValueError, match="seed"):
        splits.split("iid", LABELS, 3, seed=-1)


# --- per-worker quadratics ---------------------------------------------------------------------------------


def test_per_worker_gradients_are_s_i_A_x_minus_b_i():
    base = Quadratic.random_dense(3, condition_number=3.0, seed=1)
    A = np.array(base.data().dense)
    worker_b = base.b + np.array([[1.0, 0.0, -2.0], [-0.5, 1.0, 1.0], [-0.5, -1.0, 1.0]])
    scale = np.array([0.5, 1.25, 1.25])
    problem = base.per_worker(worker_b, scale)
    assert problem.n_workers == 3 and base.n_workers is None
    x = np.array([0.3, -1.2, 2.0])
    key = np.zeros(2, dtype=np.uint64)
    for worker in range(3):
        out = np.empty(3)
        protocol.stochastic_gradient(problem.data(), key, x, worker, 0, out)
        np.testing.assert_allclose(out, scale[worker] * A @ x - worker_b[worker], rtol=1e-14, atol=1e-15)
    # The global objective is untouched: f = 1/n sum f_i = 1/2 x'Ax - b'x.
    np.testing.assert_allclose(problem.gradient(x), A @ x - base.b, rtol=1e-14)
    assert problem.f_star == base.f_star and problem.L == base.L
    np.testing.assert_array_equal(problem.x_star, base.x_star)
    gap, norm2 = protocol.metrics(problem.data(), x)
    assert gap == pytest.approx(0.5 * x @ A @ x - base.b @ x - base.f_star, rel=1e-12)
    assert norm2 == pytest.approx(np.sum((A @ x - base.b) ** 2), rel=1e-12)


def test_per_worker_validation():
    base = Quadratic.random_dense(3, seed=1)
    good = np.tile(base.b, (4, 1))
    with pytest.raises(ValueError, match="worker_b.*average"):
        base.per_worker(good + np.array([[1.0, 0, 0]] * 4))
    with pytest.raises(ValueError, match="worker_b.*columns"):
        base.per_worker(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="worker_b"):
        base.per_worker(base.b)  # one row, not a table
    with pytest.raises(ValueError, match="worker_scale.*average to 1"):
        base.per_worker(good, [1.0, 1.0, 1.0, 1.1])
    with pytest.raises(ValueError, match="worker_scale"):
        base.per_worker(good, [2.0, 1.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="worker_scale"):
        base.per_worker(good, [1.0, 1.0, 1.0])  # wrong length
    with pytest.raises(ValueError, match="worker_b"):
        base.per_worker(np.where(good > 0, np.nan, good))
    with pytest.raises(ValueError, match="scale_spread"):
        base.split_randomly(3, scale_spread=1.0)
    with pytest.raises(ValueError, match="heterogeneity"):
        base.split_randomly(3, heterogeneity=-1.0)
    with pytest.raises(ValueError, match="n_workers"):
        base.split_randomly(0)
    assert base.per_worker(good).n_workers == 4


def test_split_randomly():
    base = Quadratic.random_dense(4, seed=2)
    a = base.split_randomly(6, heterogeneity=2.0, scale_spread=0.5, seed=7)
    worker_b, scale = a.data().worker_b, a.data().worker_scale
    assert worker_b.shape == (6, 4) and scale.shape == (6,)
    np.testing.assert_allclose(worker_b.mean(axis=0), base.b, atol=1e-12)
    assert scale.mean() == pytest.approx(1.0, abs=1e-12)
    # s_i in [1 - spread, 1 + spread], with an end reached (the centred u_i are scaled to max |u_i| = 1).
    assert np.abs(scale - 1.0).max() == pytest.approx(0.5, rel=1e-12)
    # Deterministic by seed; heterogeneity scales the offsets linearly; zero gives identical workers.
    b = base.split_randomly(6, heterogeneity=2.0, scale_spread=0.5, seed=7)
    np.testing.assert_array_equal(b.data().worker_b, worker_b)
    c = base.split_randomly(6, heterogeneity=1.0, scale_spread=0.5, seed=7)
    np.testing.assert_allclose(worker_b - base.b, 2 * (c.data().worker_b - base.b), rtol=1e-12, atol=1e-14)
    assert not np.array_equal(base.split_randomly(6, heterogeneity=2.0, seed=8).data().worker_b, worker_b)
    same = base.split_randomly(6, heterogeneity=0.0, scale_spread=0.0, seed=7)
    np.testing.assert_array_equal(same.data().worker_b, np.tile(base.b, (6, 1)))
    np.testing.assert_array_equal(same.data().worker_scale, np.ones(6))
    # "heterogeneity is about the root mean square of ||b_i - b||": z_i ~ N(0, I/d) has E||z||^2 = 1.
    many = base.split_randomly(4000, heterogeneity=2.0, seed=1).data().worker_b - base.b
    assert np.sqrt(np.mean(np.sum(many**2, axis=1))) == pytest.approx(2.0, rel=0.05)


# --- identities between methods ------------------------------------------------------------------------------


def _same_trace(a, b):
    for name in ("time", "worker", "delay", "used", "iteration", "x"):
        np.testing.assert_array_equal(a.trace[name], b.trace[name], err_msg=name)


def test_fedbuff_with_a_buffer_of_one_is_asgd():
    problem, _ = split_quadratic(5)
    timing = TIMINGS["exponential"]()
    options = dict(max_updates=300, seed=4, trace="iterates")
    _same_trace(ringbench.simulate(problem, FedBuff(gamma=0.1, buffer=1), timing, **options),
                ringbench.simulate(problem, ASGD(gamma=0.1), timing, **options))


@pytest.mark.parametrize("method", [Ringleader(gamma=0.2), IA2SGD(gamma=0.2, update_on_fill=True),
                                    Malenia(gamma=0.2), FedBuff(gamma=0.2, buffer=1)])
def test_table_methods_with_one_worker_are_plain_sgd(method):
    """n = 1: every arrival makes one update with its own gradient (Ringleader's round is one update; IA2SGD
    only with update_on_fill: by default the arrival that fills its table makes none)."""
    problem = Quadratic.random_dense(3, seed=3, noise_std=0.1, noise="isotropic")
    timing = random([1.0], [0.5], "exponential")
    options = dict(max_updates=50, seed=2, trace="iterates")
    result = ringbench.simulate(problem, method, timing, **options)
    asgd = ringbench.simulate(problem, ASGD(gamma=0.2), timing, **options)
    np.testing.assert_array_equal(result.trace["iteration"], np.arange(1, 51))
    np.testing.assert_allclose(result.trace["x"], asgd.trace["x"], rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(result.trace["time"], asgd.trace["time"])


def test_malenia_on_identical_noiseless_workers_is_minibatch():
    """Every gradient of a round is grad f(x^k), so the balanced mean is grad f(x^k); rounds end at the slowest
    worker's first arrival, like minibatch's: the same iterates at the same times."""
    problem = Quadratic.random_dense(3, seed=4)
    timing = fixed([1.0, 2.5, 4.0])
    options = dict(max_updates=20, seed=0, record=ringbench.Recording(every=1))
    malenia = ringbench.simulate(problem, Malenia(gamma=0.7), timing, **options)
    minibatch = ringbench.simulate(problem, Minibatch(gamma=0.7), timing, **options)
    np.testing.assert_array_equal(malenia.time, minibatch.time)
    np.testing.assert_allclose(malenia.grad_norm2, minibatch.grad_norm2, rtol=1e-12)
    np.testing.assert_allclose(malenia.x, minibatch.x, rtol=1e-12)
    assert malenia.counters["computed"] > minibatch.counters["computed"]  # fast workers did keep computing


def test_split_randomly_accepts_every_documented_scale_spread():
    base = Quadratic.random_dense(2, seed=0)
    for seed in range(20):
        split = base.split_randomly(3, scale_spread=0.95, seed=seed)
        assert np.all(split.data().worker_scale > 0)
