"""The theory module: closed forms, brute force, monotonicity, and the papers' lemmas checked on the simulator."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ringbench as rb
from ringbench import theory
from ringbench.methods import Ringmaster

taus = st.lists(st.floats(0.01, 100.0), min_size=1, max_size=25).map(np.array)
noise_ratios = st.floats(0.0, 1000.0)  # sigma^2 / eps


def brute_block_times(tau, batch):
    """(m + batch) / sum_{i<=m} 1/tau_(i), one m at a time with exact summation."""
    ordered = sorted(tau)
    return [(m + batch) / math.fsum(1.0 / t for t in ordered[:m]) for m in range(1, len(ordered) + 1)]


# Closed forms ---------------------------------------------------------------------------------------------------


def test_stepsizes_and_counts_closed_forms():
    assert theory.threshold(0.16, 0.01) == 16 and theory.batch_size(0.16, 0.01) == 16
    # sigma^2 / eps is a whole number that rounding lifts just above it: the spec's ceiling is that number.
    assert 10 * 0.1**2 / 0.1 > 1 and theory.threshold(10 * 0.1**2, 0.1) == 1
    assert theory.threshold(3 * 0.1**2, 0.01) == 3 and theory.batch_size(10 * 0.1**2, 0.01) == 10
    assert theory.threshold(1.000001, 1.0) == 2  # a ratio truly above an integer still rounds up
    assert theory.threshold(0.0, 0.01) == 1 and theory.threshold(0.1729, 0.03) == 6
    assert theory.stepsize_ringmaster(2.0, 0.16, 0.01, 16) == min(1 / 64, 0.01 / (4 * 2 * 0.16))
    assert theory.stepsize_rennala(1.0, 0.16, 0.01, 16) == 0.5
    assert theory.stepsize_asgd(1.0, 0.16, 0.01, 100) == 1 / 200
    assert theory.stepsize_asgd(1.0, 0.16, 0.01, 2) == 0.01 / (4 * 0.16)
    assert theory.stepsize_sgd(1.0, 0.0, 0.01) == 1.0
    assert theory.stepsize_malenia(1.0, 0.16, 0.01, 100) == 0.5
    assert theory.stepsize_ringleader(1.0, 0.16, 0.01, 10, 2.0) == 1 / 80


@pytest.mark.parametrize("n", [1, 4, 50])
def test_all_workers_equally_fast(n):
    tau, L, Delta, sigma2, eps = np.full(n, 3.0), 2.0, 5.0, 0.3, 0.01
    blocks, noise = L * Delta / eps, sigma2 / eps
    np.testing.assert_allclose(theory.harmonic_means(tau), 3.0)
    assert theory.optimal_workers(tau, sigma2, eps) == n  # more workers always average more noise away
    assert theory.optimal_workers(tau, 0.0, eps) == 1  # without noise they add nothing: smallest minimiser
    times = theory.homogeneous_times(tau, L, Delta, sigma2, eps)
    expected = blocks * 3.0 * (1 + noise / n)
    for name in ("ringmaster", "rennala", "naive-optimal", "asgd", "delay-adaptive-asgd", "minibatch"):
        assert times[name] == pytest.approx(expected, rel=1e-12)
    assert times["hero"] == pytest.approx(blocks * 3.0 * (1 + noise), rel=1e-12)
    assert theory.lower_bound(tau, L, Delta, sigma2, eps) == pytest.approx(expected, rel=1e-12)
    assert theory.update_window_bound(tau, 7) == pytest.approx(2 * 3.0 * (1 + 7 / n), rel=1e-12)
    heterogeneous = theory.heterogeneous_times(tau, L, Delta, sigma2, eps)
    assert heterogeneous["malenia"] == heterogeneous["ringleader"] == pytest.approx(expected, rel=1e-12)
    assert theory.heterogeneous_times(tau, L, Delta, sigma2, eps, L=3 * L)["ringleader"] == pytest.approx(
        3 * expected, rel=1e-12)


@pytest.mark.parametrize("noise, m_star", [(20.0, 3), (26.0, 3), (28.0, 10), (500.0, 10)])
def test_two_speed_classes(noise, m_star):
    # 3 workers at 1 s and 7 at 10 s. Within a class the block time is monotone in m, so
    # m* is 3 or 10: (3 + r)/3 against (10 + r)/3.7, equal at r = sigma^2/eps = 27.
    tau = np.array([10.0] * 4 + [1.0] * 3 + [10.0] * 3)
    L, Delta, eps = 1.0, 1.0, 0.01
    sigma2 = noise * eps
    assert theory.optimal_workers(tau, sigma2, eps) == m_star
    bound = min((3 + noise) / 3.0, (10 + noise) / 3.7) * L * Delta / eps
    assert theory.lower_bound(tau, L, Delta, sigma2, eps) == pytest.approx(bound, rel=1e-12)
    means = theory.harmonic_means(tau)
    np.testing.assert_allclose(means[:3], 1.0)
    assert means[-1] == pytest.approx(10 / 3.7, rel=1e-12)
    times = theory.homogeneous_times(tau, L, Delta, sigma2, eps)
    assert times["asgd"] == pytest.approx((10 + noise) / 3.7 * L * Delta / eps, rel=1e-12)
    assert times["minibatch"] == pytest.approx(10.0 * (1 + noise / 10) * L * Delta / eps, rel=1e-12)
    assert times["hero"] == pytest.approx((1 + noise) * L * Delta / eps, rel=1e-12)


@pytest.mark.parametrize("eps, R, m_star, harmonic", [(0.03, 6, 9, 3.9), (0.01, 18, 25, None), (0.001, 173, 209, None)])
def test_paper_example_of_the_spec(eps, R, m_star, harmonic):
    # algorithms.md D.1: the Ringmaster quadratic with E tau_i = 1 + sqrt(i-1) + sqrt(2i/pi), sigma^2 = 0.1729.
    tau = rb.timing.profile("paper", 6174).expected_durations()
    assert theory.threshold(0.1729, eps) == R
    assert theory.optimal_workers(tau, 0.1729, eps) == m_star
    means = theory.harmonic_means(tau)
    if harmonic is not None:
        assert means[m_star - 1] == pytest.approx(harmonic, abs=0.05)
    assert means[-1] == pytest.approx(73, abs=0.5)


def test_guarantees_use_the_papers_constants():
    tau, L, Delta, sigma2, eps = np.array([1.0, 2.0, 4.0]), 1.0, 2.0, 0.05, 0.01
    R = 5
    window = 2 * min((m + R) / sum(1 / t for t in tau[:m]) for m in (1, 2, 3))
    K = math.ceil(8 * R * 200 + 16 * 5 * 200)
    guarantees = theory.guaranteed_times(tau, L, Delta, sigma2, eps)
    assert guarantees["ringmaster"] == pytest.approx(math.ceil(K / R) * window, rel=1e-12)
    assert guarantees["rennala"] == pytest.approx(24 * 200 * window, rel=1e-12)


# Brute force and monotonicity (hypothesis) ----------------------------------------------------------------------


@given(taus, noise_ratios)
def test_optimal_workers_is_the_smallest_minimiser(tau, noise):
    m_star = theory.optimal_workers(tau, noise * 0.01, 0.01)
    brute = brute_block_times(tau, noise)
    best = min(brute)
    assert brute[m_star - 1] <= best * (1 + 2 * theory.TIE_TOLERANCE)
    assert all(value > best * (1 + theory.TIE_TOLERANCE / 2) for value in brute[:m_star - 1])
    assert theory.lower_bound(tau, 1.0, 1.0, noise * 0.01, 0.01) == pytest.approx(100 * best, rel=1e-9)


@given(taus, noise_ratios, st.integers(1, 50))
def test_update_window_bound_is_twice_the_best_block(tau, noise, R):
    assert theory.update_window_bound(tau, R) == pytest.approx(2 * min(brute_block_times(tau, R)), rel=1e-9)
    assert theory.update_window_bound(tau, R) <= theory.update_window_bound(tau, R + 1)


@given(taus, noise_ratios)
def test_every_prediction_is_at_least_the_lower_bound(tau, noise):
    facts = (tau, 1.3, 2.0, noise * 0.01, 0.01)
    bound = theory.lower_bound(*facts)
    times = theory.homogeneous_times(*facts)
    assert set(times) == set(theory.HOMOGENEOUS)
    for name, time in times.items():
        assert time >= bound * (1 - 1e-12), name
    for name in theory.OPTIMAL:
        assert times[name] == bound
    heterogeneous_bound = theory.heterogeneous_lower_bound(*facts)
    for time in theory.heterogeneous_times(*facts).values():
        assert time >= heterogeneous_bound * (1 - 1e-12)
    for time in theory.guaranteed_times(*facts).values():
        assert time >= bound


@given(taus, noise_ratios, st.floats(1.0, 1e4))
def test_adding_a_slower_worker(tau, noise, slowdown):
    sigma2, eps = noise * 0.01, 0.01
    slower = np.append(tau, tau.max() * slowdown)
    m_star = theory.optimal_workers(tau, sigma2, eps)
    # The first n block times are unchanged; only m = n + 1 is new.
    assert theory.optimal_workers(slower, sigma2, eps) in (m_star, tau.size + 1)
    assert theory.lower_bound(slower, 1.0, 1.0, sigma2, eps) <= theory.lower_bound(tau, 1.0, 1.0, sigma2, eps)
    # ASGD gets slower once the new worker is slower than its block time (n + r) / sum 1/tau_i.
    asgd_block = (tau.size + noise) / np.sum(1.0 / tau)
    if slower[-1] >= asgd_block:
        before = theory.homogeneous_times(tau, 1.0, 1.0, sigma2, eps)["asgd"]
        assert theory.homogeneous_times(slower, 1.0, 1.0, sigma2, eps)["asgd"] >= before * (1 - 1e-12)


@given(taus, st.floats(0.01, 100.0))
def test_adding_any_worker_never_raises_the_lower_bound(tau, new):
    assert (theory.lower_bound(np.append(tau, new), 1.0, 1.0, 0.2, 0.01)
            <= theory.lower_bound(tau, 1.0, 1.0, 0.2, 0.01) * (1 + 1e-12))


@given(taus, st.floats(0.0, 10.0), st.floats(1e-3, 1.0), st.floats(1.0, 100.0))
def test_shrinking_eps(tau, sigma2, eps, shrink):
    smaller = eps / shrink
    assert theory.optimal_workers(tau, sigma2, smaller) >= theory.optimal_workers(tau, sigma2, eps)
    assert theory.threshold(sigma2, smaller) >= theory.threshold(sigma2, eps)
    before = theory.homogeneous_times(tau, 1.0, 1.0, sigma2, eps)
    after = theory.homogeneous_times(tau, 1.0, 1.0, sigma2, smaller)
    for name in theory.HOMOGENEOUS:
        assert after[name] >= before[name] * (1 - 1e-12), name


@given(taus)
def test_harmonic_means_grow_with_m(tau):
    means = theory.harmonic_means(tau)
    assert means[0] == pytest.approx(tau.min())
    assert np.all(np.diff(means) >= -1e-12 * means[1:])
    assert means[-1] <= tau.mean() * (1 + 1e-12)


# Lemma 4.1 and Lemma 5.1 against the simulator -------------------------------------------------------------------


def update_times(timing, R, stops, updates=300):
    """0 and the time of every Ringmaster update, from the event trace."""
    problem = rb.problems.Quadratic.worst_case(6, noise_std=0.1)
    result = rb.simulate(problem, Ringmaster(gamma=0.01, threshold=R, stops=stops), timing, max_updates=updates,
                         trace="events")
    trace = result.trace
    return np.concatenate([[0.0], trace["time"][trace["used"]]])


@pytest.mark.parametrize("tau", [[1.0] * 5, [1.0] * 3 + [10.0] * 3, [3.0, 3.5, 7.25, 1000.0],
                                 list(np.sqrt(np.arange(1.0, 40.0)))], ids=["equal", "two-classes", "one-slow", "sqrt"])
@pytest.mark.parametrize("R", [1, 2, 5, 17])
@pytest.mark.parametrize("stops", [True, False])
def test_lemma_4_1_every_window_of_R_updates(tau, R, stops):
    times = update_times(rb.timing.fixed(tau), R, stops)
    windows = times[R:] - times[:-R]
    bound = theory.update_window_bound(tau, R)
    assert np.all(windows <= bound * (1 + 1e-12))
    assert windows.max() >= 0.25 * bound  # the check has teeth: the slowest window comes within 4x


UNIVERSAL = {
    "outages": lambda: rb.timing.outages([1.0, 2.0, 3.0, 5.0, 8.0],
                                         [(0, 2.0, 30.0), (1, 10.0, 50.0), (2, 0.5, 4.5), (0, 60.0, 61.5)]),
    "piecewise": lambda: rb.timing.piecewise([0.0, 5.0, 20.0, 40.0], [[1, 0, 2, 0.5], [0.5, 0.5, 0, 1],
                                                                     [0.2, 3, 0.1, 0.3], [0.05, 0.05, 1, 1]]),
    "power-law": lambda: rb.timing.power_law([1.0, 0.5, 2.0, 0.3, 1.0], [-0.5, 0.3, -1.0, 0.0, 0.8]),
}


@pytest.mark.parametrize("kind", list(UNIVERSAL))
@pytest.mark.parametrize("R", [1, 3, 8])
@pytest.mark.parametrize("stops", [True, False])
def test_lemma_5_1_every_window_of_R_updates(kind, R, stops):
    timing = UNIVERSAL[kind]()
    times = update_times(timing, R, stops, updates=200)
    bounds = np.array([theory.universal_window_bound(timing, R, start) for start in times[:-R]])
    windows = times[R:] - times[:-R]
    assert np.all(windows <= bounds * (1 + 1e-12))
    assert np.max(windows / bounds) >= 0.25


@pytest.mark.parametrize("kind", list(UNIVERSAL))
def test_work_matches_the_simulated_job_durations(kind):
    # One worker alone: its jobs end where W_i grows by exactly 1 from each start.
    timing = UNIVERSAL[kind]()
    problem = rb.problems.Quadratic.worst_case(4, noise_std=0.1)
    result = rb.simulate(problem, rb.methods.Hero(gamma=0.01), timing, max_updates=40, trace="events")
    worker = int(result.trace["worker"][0])
    ends = np.concatenate([[0.0], result.trace["time"]])
    work = np.array([timing.work(t)[worker] for t in ends])
    np.testing.assert_allclose(np.diff(work), 1.0, rtol=1e-9)
    np.testing.assert_allclose(timing.work_inverse(np.full(ends.size - 1, worker), work[1:]), ends[1:], rtol=1e-9)


def count_units(timing, start, t, fraction):
    """sum_i floor(fraction * (W_i(start + t) - W_i(start)))."""
    return int(np.sum(np.floor(fraction * (timing.work(start + t) - timing.work(start)))))


@pytest.mark.parametrize("kind", list(UNIVERSAL))
@pytest.mark.parametrize("R", [1, 4, 13])
@pytest.mark.parametrize("fraction", [0.25, 1.0])
@pytest.mark.parametrize("start", [0.0, 3.3, 45.0])
def test_universal_window_bound_is_the_first_time_R_units_are_done(kind, R, fraction, start):
    timing = UNIVERSAL[kind]()
    t = theory.universal_window_bound(timing, R, start, fraction=fraction)
    assert count_units(timing, start, t * (1 + 1e-9), fraction) >= R
    assert count_units(timing, start, t * (1 - 1e-9), fraction) < R


@given(taus, st.integers(1, 30))
@settings(max_examples=50)
def test_universal_window_bound_in_the_fixed_model(tau, R):
    # v_i = 1/tau_i: the R-th smallest of the completion times j tau_i / fraction, and
    # within [1/2, 1] of the fixed model's best block time (m + R) / sum 1/tau_i.
    timing = rb.timing.fixed(tau)
    completions = np.sort(np.concatenate([np.arange(1, R + 1) * t for t in tau]))
    assert theory.universal_window_bound(timing, R, fraction=1.0) == pytest.approx(completions[R - 1], rel=1e-12)
    assert theory.universal_window_bound(timing, R) == pytest.approx(4 * completions[R - 1], rel=1e-12)
    block = min(brute_block_times(tau, R))
    assert block / 2 * (1 - 1e-9) <= completions[R - 1] <= block * (1 + 1e-9)


def test_universal_times_accumulate_blocks():
    timing = UNIVERSAL["outages"]()
    times = theory.universal_times(timing, 3, 6)
    previous = np.concatenate([[0.0], times[:-1]])
    np.testing.assert_allclose(times - previous,
                               [theory.universal_window_bound(timing, 3, start) for start in previous])
    fixed = theory.universal_times(rb.timing.fixed([1.0, 2.0, 3.0]), 4, 3, fraction=1.0)
    np.testing.assert_allclose(fixed, [3.0, 6.0, 9.0])


# Predictions carried by results ----------------------------------------------------------------------------------


def test_prediction_of_a_theory_mode_run():
    problem = rb.problems.Quadratic.worst_case(6, noise_std=0.1)
    timing = rb.timing.profile("sqrt", 12)
    result = rb.simulate(problem, Ringmaster(eps=0.01), timing, max_updates=5)
    prediction = result.config["prediction"]
    tau = timing.expected_durations()
    Delta = problem.initial_gap()
    assert Delta == pytest.approx(float(problem.gradient(problem.x0) @ (problem.x0 - problem.x_star)) / 2)
    assert prediction["eps"] == 0.01 and prediction["setting"] == "homogeneous"
    assert prediction["time"] == theory.lower_bound(tau, problem.L, Delta, problem.sigma2, 0.01)
    assert prediction["lower_bound"] == prediction["time"]
    assert prediction["m_star"] == theory.optimal_workers(tau, problem.sigma2, 0.01)
    assert prediction["guarantee"] == theory.guaranteed_times(tau, problem.L, Delta, problem.sigma2, 0.01)["ringmaster"]


def test_prediction_on_logistic_regression():
    rng = np.random.default_rng(0)
    problem = rb.problems.Logistic(rng.standard_normal((60, 4)), np.sign(rng.standard_normal(60)), lam=1e-2)
    assert problem.initial_gap() == pytest.approx(problem.loss(problem.x0) - problem.f_star, rel=1e-9)
    timing = rb.timing.profile("sqrt", 10)
    prediction = theory.prediction(problem, rb.methods.get("asgd", eps=1e-3), timing)
    tau = timing.expected_durations()
    assert prediction["time"] == pytest.approx(theory.homogeneous_times(
        tau, problem.L, problem.initial_gap(), problem.sigma2, 1e-3)["asgd"], rel=1e-12)


def test_prediction_needs_a_target_and_a_known_complexity():
    problem = rb.problems.Quadratic.worst_case(6, noise_std=0.1)
    timing = rb.timing.profile("linear", 4)
    assert rb.simulate(problem, Ringmaster(gamma=0.1, threshold=2), timing, max_updates=3).config["prediction"] is None
    by_target = theory.prediction(problem, Ringmaster(gamma=0.1, threshold=2), timing, target=0.5)
    assert by_target["eps"] == 0.5
    assert theory.prediction(problem, rb.methods.get("fedbuff", eps=0.01), timing) is None
    split = problem.split_randomly(4)
    heterogeneous = theory.prediction(split, rb.methods.get("malenia", eps=0.01), timing)
    assert heterogeneous["setting"] == "heterogeneous"
    assert heterogeneous["time"] == heterogeneous["lower_bound"]
    assert theory.prediction(split, Ringmaster(eps=0.01), timing) is None


# Validation ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, parameter", [
    (lambda: theory.harmonic_means([1.0, -2.0]), "tau"),
    (lambda: theory.optimal_workers([], 0.1, 0.01), "tau"),
    (lambda: theory.optimal_workers([1.0], 0.1, 0.0), "eps"),
    (lambda: theory.threshold(-1.0, 0.1), "sigma2"),
    (lambda: theory.lower_bound([1.0], 0.0, 1.0, 0.1, 0.1), "L"),
    (lambda: theory.lower_bound([1.0], 1.0, -1.0, 0.1, 0.1), "Delta"),
    (lambda: theory.update_window_bound([1.0], 0), "R"),
    (lambda: theory.heterogeneous_times([1.0], 2.0, 1.0, 0.1, 0.1, L=1.0), "L must be >= 2"),
    (lambda: theory.universal_window_bound(rb.timing.fixed([1.0]), 1, fraction=2.0), "fraction"),
    (lambda: theory.universal_window_bound(rb.timing.fixed([1.0]), 1, start=-1.0), "start"),
    (lambda: theory.universal_times(rb.timing.fixed([1.0]), 1, 0), "blocks"),
    (lambda: theory.universal_window_bound(rb.timing.profile("paper", 3), 1), "no speed functions"),
])
def test_bad_input_names_the_parameter(call, parameter):
    with pytest.raises(ValueError, match=parameter):
        call()
