"""Compute-time models: closed forms by hand, statistics of the random ones, common random numbers."""

import math

import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from ringbench import timing
from ringbench.engine.rng import key_from_seed
from ringbench.timing.kernels import finish_time

KEY = key_from_seed(np.random.SeedSequence(0))


def finish(model, worker, job, start, key=KEY):
    return finish_time(model.data(), key, worker, job, float(start))


def durations(model, worker, jobs, key=KEY):
    return np.array([finish(model, worker, job, 0.0, key) for job in jobs])


# --------------------------------------------------------------------------- fixed


def test_fixed_durations_are_tau():
    tau = [0.5, 2.0, 3.25]
    model = timing.fixed(tau)
    assert model.n == 3 and model.name == "fixed"
    for worker, value in enumerate(tau):
        for job in range(5):
            for start in (0.0, 1.5, 1e6):
                assert finish(model, worker, job, start) == start + value
    np.testing.assert_array_equal(model.expected_durations(), tau)


@pytest.mark.parametrize("name, expected", [
    ("linear", lambda i: i + 1.0),
    ("sqrt", lambda i: np.sqrt(i + 1.0)),
    ("constant", lambda i: np.ones_like(i)),
])
def test_fixed_profiles(name, expected):
    model = timing.profile(name, 7)
    tau = expected(np.arange(7, dtype=float))
    np.testing.assert_allclose(model.expected_durations(), tau, rtol=1e-15)
    for worker in range(7):
        assert finish(model, worker, 3, 10.0) == pytest.approx(10.0 + tau[worker], rel=1e-15)


def test_profile_paper_base_and_scale():
    n = 9
    i = np.arange(n, dtype=float)
    model = timing.profile("paper", n)
    data = model.data()
    np.testing.assert_allclose(data.base, 1.0 + np.sqrt(i), rtol=1e-15)
    np.testing.assert_allclose(data.scale, np.sqrt(i + 1.0), rtol=1e-15)
    np.testing.assert_allclose(model.expected_durations(), 1.0 + np.sqrt(i) + np.sqrt(i + 1.0) * np.sqrt(2 / np.pi))
    # Every duration is at least the base time (half-normal noise is non-negative).
    for worker in range(n):
        assert np.all(durations(model, worker, range(50)) >= 1.0 + np.sqrt(worker))


def test_profile_ringleader_base_scale_and_permutation():
    n = 8
    i = np.arange(n, dtype=float)
    model = timing.profile("ringleader", n)
    np.testing.assert_allclose(model.data().base, i + 1.0)
    np.testing.assert_allclose(model.data().scale, np.sqrt(i + 1.0))
    permuted = timing.profile("ringleader", n, permutation_seed=3)
    # Bases are permuted over workers; the noise scale stays with the worker index.
    np.testing.assert_array_equal(np.sort(permuted.data().base), i + 1.0)
    assert not np.array_equal(permuted.data().base, i + 1.0)
    np.testing.assert_allclose(permuted.data().scale, np.sqrt(i + 1.0))
    np.testing.assert_array_equal(permuted.data().base,
                                  timing.profile("ringleader", n, permutation_seed=3).data().base)


# --------------------------------------------------------------------------- random


@pytest.mark.parametrize("distribution", ["half-normal", "exponential", "log-normal"])
def test_random_mean_matches_expected_durations(distribution):
    base = np.array([1.0, 2.0, 0.5])
    scale = np.array([0.5, 3.0, 0.25])
    model = timing.random(base, scale, distribution)
    assert model.name == distribution
    hand = {
        "half-normal": base + scale * math.sqrt(2 / math.pi),
        "exponential": base + scale,
        "log-normal": base * np.exp(scale**2 / 2),
    }[distribution]
    np.testing.assert_allclose(model.expected_durations(), hand, rtol=1e-14)
    jobs = 20000
    for worker in range(3):
        values = durations(model, worker, range(jobs))
        assert np.all(values > 0)
        standard_error = values.std() / math.sqrt(jobs)
        assert abs(values.mean() - hand[worker]) < 5 * standard_error


@pytest.mark.parametrize("distribution, standardise, reference", [
    ("half-normal", lambda v, b, s: (v - b) / s, "halfnorm"),
    ("exponential", lambda v, b, s: (v - b) / s, "expon"),
    ("log-normal", lambda v, b, s: np.log(v / b) / s, "norm"),
])
def test_random_distribution_shape(distribution, standardise, reference):
    base, scale = 1.5, 0.75
    model = timing.random([base], [scale], distribution)
    values = durations(model, 0, range(5000))
    assert scipy.stats.kstest(standardise(values, base, scale), reference).pvalue > 1e-4


def test_random_with_zero_scale_is_fixed():
    for distribution in ("half-normal", "exponential", "log-normal"):
        model = timing.random([2.0, 3.0], [0.0, 0.0], distribution)
        assert finish(model, 1, 17, 4.0) == 7.0


def test_duration_depends_only_on_seed_worker_and_job():
    model = timing.profile("paper", 6)
    pairs = [(worker, job) for worker in range(6) for job in range(20)]
    in_order = {pair: finish(model, *pair, 0.0) for pair in pairs}
    shuffled = list(pairs)
    np.random.default_rng(1).shuffle(shuffled)
    # Interleave queries for other workers/jobs and other start times: nothing changes.
    for worker, job in shuffled:
        finish(model, (worker + 1) % 6, job + 100, 3.0)
        assert finish(model, worker, job, 0.0) == in_order[(worker, job)]
    # The duration does not depend on the start time (up to the rounding of start + duration).
    for (worker, job), value in in_order.items():
        assert finish(model, worker, job, 1000.0) - 1000.0 == pytest.approx(value, abs=1e-12)
    # A model built again, or with more workers, gives the same durations to the same workers.
    bigger = timing.profile("paper", 12)
    for (worker, job), value in in_order.items():
        assert finish(bigger, worker, job, 0.0) == value
    # A fresh key from the same seed gives the same durations; another seed does not.
    same_key = key_from_seed(np.random.SeedSequence(0))
    other_key = key_from_seed(np.random.SeedSequence(1))
    assert all(finish(model, w, j, 0.0, same_key) == v for (w, j), v in in_order.items())
    assert sum(finish(model, w, j, 0.0, other_key) == v for (w, j), v in in_order.items()) == 0
    # Different jobs of one worker and the same job of different workers differ.
    assert len(set(in_order.values())) == len(in_order)


# --------------------------------------------------------------------------- universal model


def test_piecewise_job_spanning_an_outage():
    # Rate 1 on [0, 2), 0 on [2, 5), 1 afterwards.
    model = timing.piecewise([0.0, 2.0, 5.0], [[1.0, 0.0, 1.0]])
    assert finish(model, 0, 0, 1.5) == pytest.approx(5.5, rel=1e-15)  # 0.5 before, 0.5 after the outage
    assert finish(model, 0, 0, 0.0) == pytest.approx(1.0, rel=1e-15)
    assert finish(model, 0, 0, 1.0) == pytest.approx(2.0, rel=1e-15)  # ends exactly as the outage begins
    assert finish(model, 0, 0, 2.0) == pytest.approx(6.0, rel=1e-15)  # starts at the outage
    assert finish(model, 0, 0, 3.0) == pytest.approx(6.0, rel=1e-15)  # starts inside it
    assert finish(model, 0, 0, 5.0) == pytest.approx(6.0, rel=1e-15)
    assert finish(model, 0, 0, 10.0) == pytest.approx(11.0, rel=1e-15)
    assert model.expected_durations() == pytest.approx([1.0])


def test_piecewise_several_segments_and_workers():
    # Worker 0: speed 0.5 on [0, 1), 2 on [1, 3), 0 on [3, 4), 0.25 after.
    # Worker 1: speed 4 everywhere.
    model = timing.piecewise([0.0, 1.0, 3.0, 4.0], [[0.5, 2.0, 0.0, 0.25], [4.0, 4.0, 4.0, 4.0]])
    # Start 0: 0.5 done by t=1, the remaining 0.5 at speed 2 takes 0.25 -> 1.25.
    assert finish(model, 0, 0, 0.0) == pytest.approx(1.25)
    # Start 2.75: 0.5 done by 3, nothing until 4, then 0.5 at 0.25 -> 2 more -> 6.
    assert finish(model, 0, 0, 2.75) == pytest.approx(6.0)
    # Start 0.5: 0.25 by 1, 0.75 at speed 2 -> 1.375.
    assert finish(model, 0, 0, 0.5) == pytest.approx(1.375)
    for start in (0.0, 0.9, 3.5, 100.0):
        assert finish(model, 1, 0, start) == pytest.approx(start + 0.25)
    np.testing.assert_allclose(model.expected_durations(), [1.25, 0.25])


def reference_piecewise_finish(breakpoints, rates, start):
    """Walk the segments from ``start`` until one unit of work is done (independent of the kernel)."""
    remaining = 1.0
    t = start
    edges = list(breakpoints[1:]) + [math.inf]
    for begin, end, rate in zip(breakpoints, edges, rates):
        if end <= t:
            continue
        t = max(t, begin)
        if rate > 0 and rate * (end - t) >= remaining:
            return t + remaining / rate
        if rate > 0:
            remaining -= rate * (end - t)
        t = end
    raise AssertionError("unreachable: the last rate is positive")


def test_piecewise_matches_segment_walk_on_random_instances():
    generator = np.random.default_rng(11)
    for _ in range(50):
        segments = int(generator.integers(1, 8))
        breakpoints = np.concatenate([[0.0], np.cumsum(generator.uniform(0.1, 2.0, segments - 1))])
        rates = generator.uniform(0.0, 3.0, (3, segments))
        rates[generator.random((3, segments)) < 0.3] = 0.0  # outages
        rates[:, -1] = generator.uniform(0.1, 3.0, 3)
        model = timing.piecewise(breakpoints, rates)
        for worker in range(3):
            for start in np.concatenate([generator.uniform(0, breakpoints[-1] + 2, 5), breakpoints]):
                expected = reference_piecewise_finish(breakpoints, rates[worker], start)
                assert finish(model, worker, 0, start) == pytest.approx(expected, rel=1e-12, abs=1e-12)
            assert model.expected_durations()[worker] == pytest.approx(
                reference_piecewise_finish(breakpoints, rates[worker], 0.0), rel=1e-12)


def test_outages_pause_a_job():
    # tau = 2 (speed 0.5) for worker 0, with an outage on [1, 3); worker 1 unaffected (tau = 1).
    model = timing.outages([2.0, 1.0], [(0, 1.0, 3.0)])
    assert finish(model, 0, 0, 0.0) == pytest.approx(4.0)  # 0.5 done by 1, 0.5 more from 3 -> 4
    assert finish(model, 0, 0, 0.5) == pytest.approx(4.5)  # 0.25 by 1, 0.75 from 3 -> 4.5
    assert finish(model, 0, 0, 3.0) == pytest.approx(5.0)
    assert finish(model, 0, 0, 10.0) == pytest.approx(12.0)
    for start in (0.0, 0.5, 2.0, 7.0):
        assert finish(model, 1, 0, start) == pytest.approx(start + 1.0)
    np.testing.assert_allclose(model.expected_durations(), [4.0, 1.0])


def test_outages_overlapping_and_adjacent_windows():
    model = timing.outages([1.0], [(0, 1.0, 2.0), (0, 2.0, 3.0), (0, 2.5, 4.0)])
    # Down on [1, 4): a job started at 0.5 has 0.5 left at 1, resumes at 4 -> 4.5.
    assert finish(model, 0, 0, 0.5) == pytest.approx(4.5)


@pytest.mark.parametrize("a, p", [(1.0, 0.0), (2.0, 1.0), (0.5, -0.5), (1.5, -1.0), (3.0, 2.5), (0.7, -0.9)])
def test_power_law_inverts_the_integral(a, p):
    model = timing.power_law([a], [p])
    q = p + 1.0
    for start in (0.0, 0.3, 2.0, 50.0):
        # Closed form by hand: W(t) = a((t+1)^q - 1)/q, or a ln(t+1) when q = 0.
        if q == 0:
            expected = (start + 1.0) * math.exp(1.0 / a) - 1.0
        else:
            expected = ((start + 1.0) ** q + q / a) ** (1.0 / q) - 1.0
        end = finish(model, 0, 0, start)
        assert end == pytest.approx(expected, rel=1e-12)
        # Independently: one unit of work is done between start and end.
        work, _ = scipy.integrate.quad(lambda t: a * (t + 1.0) ** p, start, end, epsabs=1e-13, epsrel=1e-13)
        assert work == pytest.approx(1.0, rel=1e-9)
    if p == 0.0:
        assert finish(model, 0, 5, 3.0) == pytest.approx(3.0 + 1.0 / a)
    assert model.expected_durations()[0] == pytest.approx(finish(model, 0, 0, 0.0), rel=1e-12)


def test_power_law_slowing_down():
    model = timing.power_law([1.0, 1.0], [-0.5, 0.5])
    # Worker 0 slows down and worker 1 speeds up: later jobs take longer, resp. shorter.
    assert finish(model, 0, 0, 10.0) - 10.0 > finish(model, 0, 0, 0.0)
    assert finish(model, 1, 0, 10.0) - 10.0 < finish(model, 1, 0, 0.0)


def test_trace_cycles_per_worker():
    model = timing.trace([[1.0, 2.0, 3.0], [5.0], [0.25, 0.5]])
    assert model.n == 3
    expected = {0: [1.0, 2.0, 3.0], 1: [5.0], 2: [0.25, 0.5]}
    for worker, values in expected.items():
        for job in range(10):
            assert finish(model, worker, job, 7.0) == 7.0 + values[job % len(values)]
    np.testing.assert_allclose(model.expected_durations(), [2.0, 5.0, 0.375])


def test_describe_is_json_ready():
    import json

    for model in (timing.fixed([1.0]), timing.profile("paper", 40), timing.piecewise([0.0, 1.0], [[1.0, 2.0]]),
                  timing.power_law([1.0], [0.5]), timing.trace([[1.0]]), timing.outages([1.0], [(0, 1.0, 2.0)])):
        described = model.describe()
        assert described["n"] == model.n
        json.dumps(described)


@pytest.mark.parametrize("name, tau", [("linear", np.arange(1.0, 9.0)), ("sqrt", np.sqrt(np.arange(1.0, 9.0)))])
def test_permutation_seed_permutes_the_fixed_profiles_too(name, tau):
    # It was recorded in the result's config but never applied to these profiles.
    permuted = timing.profile(name, 8, permutation_seed=5).expected_durations()
    np.testing.assert_array_equal(permuted, np.random.default_rng(5).permutation(tau))
    assert not np.array_equal(permuted, tau)
