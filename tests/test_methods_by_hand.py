"""Hand-computed trajectories: 2-4 workers with fixed times, d = 1 or 2, mostly no noise.

Each test writes out, in comments, who arrives when, with which delay, and what the
server does; the expected arrays are that arithmetic, not engine output.

Problems:
* ``line``:  f(x) = x^2 / 2, so grad f(x) = x; x0 = 1.
* ``plane``: A = diag(1, 2), b = (1, 0), so grad f(x) = (x1 - 1, 2 x2); x0 = (0, 1).
* ``split_line``: the line's f split over workers holding b_i (averaging to 0): g_i(x) = x - b_i.
"""

import numpy as np
import pytest

import ringbench
from ringbench.engine.record import ACTIONS
from ringbench.engine.rng import STREAM_NOISE, job_normal, key_from_seed
from ringbench.methods import (
    ASGD,
    IA2SGD,
    DelayAdaptiveASGD,
    FedAsync,
    FedBuff,
    Hero,
    Malenia,
    Minibatch,
    NaiveOptimalASGD,
    Rennala,
    Ringleader,
    Ringmaster,
)
from ringbench.problems import Quadratic
from ringbench.timing import fixed, profile


def line(noise_std=0.0):
    return Quadratic(np.array([[1.0]]), [0.0], x0=[1.0], noise_std=noise_std, name="line")


def plane():
    return Quadratic(np.diag([1.0, 2.0]), [1.0, 0.0], x0=[0.0, 1.0], name="plane")


def run(problem, method, tau, **limits):
    return ringbench.simulate(problem, method, fixed(tau), trace="iterates", record=ringbench.Recording(every=1),
                              **limits)


def check(result, *, time, worker, delay, used, iteration, x, counters):
    trace = result.trace
    np.testing.assert_array_equal(trace["time"], time)
    np.testing.assert_array_equal(trace["worker"], worker)
    np.testing.assert_array_equal(trace["delay"], delay)
    np.testing.assert_array_equal(trace["used"], used)
    np.testing.assert_array_equal(trace["iteration"], iteration)
    np.testing.assert_allclose(trace["x"], np.reshape(x, trace["x"].shape), rtol=1e-14, atol=1e-15)
    for name, value in counters.items():
        assert result.counters[name] == pytest.approx(value, rel=1e-14), name


T, F = True, False


def test_ringmaster_R1_with_stops_cancels_the_slow_worker_forever():
    # tau = (1, 3), R = 1, gamma = 1/2 on the line (g = x).
    # t=1: w0 (s=0, delay 0) -> x = 1 - 1/2 = 1/2, k=1; w0 restarts on x^1.
    #      w1's job started on s=0 <= k - R = 0 -> cancelled, restarted at t=1 (would end at 4).
    # t=2: w0 -> x = 1/4, k=2; w1 (s=1 <= 1) cancelled again (would end at 5).
    # t=3, t=4: the same. w1 never arrives; every update cancels it once.
    result = run(line(), Ringmaster(gamma=0.5, threshold=1), [1.0, 3.0], max_updates=4)
    check(result, time=[1, 2, 3, 4], worker=[0, 0, 0, 0], delay=[0, 0, 0, 0], used=[T, T, T, T],
          iteration=[1, 2, 3, 4], x=[0.5, 0.25, 0.125, 0.0625],
          counters=dict(updates=4, arrivals=4, computed=4, applied=4, discarded=0, cancelled=4, max_delay=0,
                        mean_delay=0.0, end_time=4.0))
    # Checkpoints: x0 at time 0, then one row per update; f - f* = x^2 / 2, ||grad||^2 = x^2.
    np.testing.assert_array_equal(result.time, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(result.iteration, [0, 1, 2, 3, 4])
    np.testing.assert_allclose(result.f_gap, [0.5, 0.125, 0.03125, 0.0078125, 0.001953125], rtol=1e-14)
    np.testing.assert_allclose(result.grad_norm2, [1, 0.25, 0.0625, 0.015625, 0.00390625], rtol=1e-14)


def test_ringmaster_R1_without_stops_discards_the_stale_gradient():
    # tau = (1, 3), R = 1, no stops, gamma = 1/2 on the line.
    # t=1: w0 delay 0 -> x = 1/2, k=1.   t=2: w0 -> x = 1/4, k=2.
    # t=3: tie, w0 first: delay 0 -> x = 1/8, k=3.
    #      then w1: started on s=0, delay 3 >= R -> discarded (never evaluated),
    #      restarted on x^3 (s=3), ends at 6.
    # t=4: w0 -> 1/16, k=4.   t=5: w0 -> 1/32, k=5.
    # t=6: w0 -> 1/64, k=6; then w1: delay 6 - 3 = 3 -> discarded again. t_max = 6 ends the run.
    result = run(line(), Ringmaster(gamma=0.5, threshold=1, stops=False), [1.0, 3.0], t_max=6.0)
    check(result, time=[1, 2, 3, 3, 4, 5, 6, 6], worker=[0, 0, 0, 1, 0, 0, 0, 1],
          delay=[0, 0, 0, 3, 0, 0, 0, 3], used=[T, T, T, F, T, T, T, F], iteration=[1, 2, 3, 3, 4, 5, 6, 6],
          x=[1 / 2, 1 / 4, 1 / 8, 1 / 8, 1 / 16, 1 / 32, 1 / 64, 1 / 64],
          counters=dict(updates=6, arrivals=8, computed=6, applied=6, discarded=2, cancelled=0, wasted=2,
                        max_delay=0, end_time=6.0))


def test_ringmaster_R2_with_stops_cancels_a_job_finishing_at_the_same_instant():
    # tau = (1, 1.5, 3), R = 2, gamma = 1/2 on the plane: g(x) = (x1 - 1, 2 x2).
    # t=1:   w0 (s=0, delay 0): g(x0) = (-1, 2) -> x1 = (1/2, 0), k=1. Sweep s <= -1: nothing.
    # t=1.5: w1 (s=0, delay 1 < 2): g(x0) = (-1, 2) -> x2 = (1, -1), k=2.
    #        Sweep s <= 0: w2 (s=0) cancelled, restarted on x2 (ends 4.5).
    # t=2:   w0 (s=1, delay 1): g(x1) = (-1/2, 0) -> x3 = (5/4, -1), k=3. Sweep s <= 1: nothing.
    # t=3:   tie w0 / w1, w0 first: (s=3, delay 0): g(x3) = (1/4, -2) -> x4 = (9/8, 0), k=4.
    #        Sweep s <= 2: w1 (s=2, its job ends right now) and w2 (s=2) are cancelled.
    # t=4:   w0 (s=4, delay 0): g(x4) = (1/8, 0) -> x5 = (17/16, 0), k=5 = max_updates.
    result = run(plane(), Ringmaster(gamma=0.5, threshold=2), [1.0, 1.5, 3.0], max_updates=5)
    check(result, time=[1, 1.5, 2, 3, 4], worker=[0, 1, 0, 0, 0], delay=[0, 1, 1, 0, 0], used=[T] * 5,
          iteration=[1, 2, 3, 4, 5], x=[[0.5, 0], [1, -1], [1.25, -1], [1.125, 0], [1.0625, 0]],
          counters=dict(updates=5, arrivals=5, computed=5, applied=5, discarded=0, cancelled=3, max_delay=1,
                        mean_delay=2 / 5, end_time=4.0))


def _asgd_line_case(method, third_step):
    # tau = (1, 3), gamma = 1/2 on the line, t_max = 4.
    # t=1: w0 -> x1 = 1 - 1/2 = 1/2.   t=2: w0 -> x2 = 1/4.   t=3: w0 (first in the tie) -> x3 = 1/8.
    # t=3: w1, job started on x0 = 1, delay 3: x4 = 1/8 - step * 1, step = third_step.
    # t=4: w0, job started on x3 = 1/8 at t=3, delay 4 - 3 = 1: x5 = x4 - 1/2 * 1/8.
    result = run(line(), method, [1.0, 3.0], t_max=4.0)
    x4 = 0.125 - third_step
    check(result, time=[1, 2, 3, 3, 4], worker=[0, 0, 0, 1, 0], delay=[0, 0, 0, 3, 1], used=[T] * 5,
          iteration=[1, 2, 3, 4, 5], x=[0.5, 0.25, 0.125, x4, x4 - 0.0625],
          counters=dict(updates=5, arrivals=5, computed=5, applied=5, discarded=0, cancelled=0, max_delay=3,
                        mean_delay=4 / 5, end_time=4.0))


def test_asgd_applies_stale_gradients_with_full_step():
    _asgd_line_case(ASGD(gamma=0.5), third_step=0.5)  # x4 = 1/8 - 1/2 = -3/8


def test_delay_adaptive_asgd_scales_the_step_when_delay_exceeds_n():
    # Same events; n = 2 and w1's delay 3 > 2, so its step is gamma * n / delay = 1/2 * 2/3 = 1/3.
    # w0's delay-1 gradient at t=4 keeps the full step 1/2 (delay <= n).
    _asgd_line_case(DelayAdaptiveASGD(gamma=0.5), third_step=1 / 3)


def test_rennala_S2_with_stops():
    # tau = (2, 3), S = 2, gamma = 1/2 on the line; update x <- x - (gamma / S) * (sum of 2 gradients).
    # t=2: w0 (s=0) collects g = 1 (1 of 2); restarts on x0, would end at 4.
    # t=3: w1 (s=0) collects g = 1 (2 of 2) -> x1 = 1 - 1/4 * 2 = 1/2, k=1;
    #      every worker restarts on x1: w0 was busy -> cancelled (ends 5), w1 ends 6.
    # t=5: w0 collects 1/2.  t=6: w1 collects 1/2 -> x2 = 1/2 - 1/4 * 1 = 1/4, k=2; w0 cancelled.
    result = run(line(), Rennala(gamma=0.5, S=2), [2.0, 3.0], max_updates=2)
    check(result, time=[2, 3, 5, 6], worker=[0, 1, 0, 1], delay=[0, 0, 0, 0], used=[T] * 4,
          iteration=[0, 1, 1, 2], x=[1, 0.5, 0.5, 0.25],
          counters=dict(updates=2, arrivals=4, computed=4, applied=4, pending=0, discarded=0, cancelled=2,
                        end_time=6.0))
    np.testing.assert_array_equal(result.time, [0, 3, 6])  # one update per 3 s


@pytest.mark.parametrize("t_max", [9.0, 7.0])
def test_rennala_S2_without_stops(t_max):
    # tau = (2, 3), S = 2, no stops, gamma = 1/2 on the line.
    # t=2: w0 (s=0) collects 1 (1 of 2); restarts on x0 (s=0), ends 4.
    # t=3: w1 (s=0) collects 1 (2 of 2): w1 restarts on the OLD x0 (s=0, ends 6), then
    #      x1 = 1 - 1/4 * 2 = 1/2, k=1.
    # t=4: w0 (s=0) delay 1 -> discarded; restarts on x1 (s=1), ends 6.
    # t=6: tie, w0 first: (s=1) delay 0, collects 1/2 (1 of 2), restarts (s=1), ends 8.
    #      w1 (s=0) delay 1 -> discarded, restarts on x1 (s=1), ends 9.
    # t=8: w0 collects 1/2 (2 of 2): restarts on x1 (ends 10), then x2 = 1/2 - 1/4 * 1 = 1/4, k=2.
    # t=9: w1 (s=1) delay 1 -> discarded.
    # With t_max = 7 the run stops after t=6 with one collected gradient pending.
    events = [(2, 0, 0, T, 0, 1), (3, 1, 0, T, 1, 0.5), (4, 0, 1, F, 1, 0.5), (6, 0, 0, T, 1, 0.5),
              (6, 1, 1, F, 1, 0.5), (8, 0, 0, T, 2, 0.25), (9, 1, 1, F, 2, 0.25)]
    events = [event for event in events if event[0] <= t_max]
    time, worker, delay, used, iteration, x = zip(*events)
    counters = (dict(applied=4, pending=0, updates=2, arrivals=7, computed=4, discarded=3) if t_max == 9
                else dict(applied=2, pending=1, updates=1, arrivals=5, computed=3, discarded=2))
    result = run(line(), Rennala(gamma=0.5, S=2, stops=False), [2.0, 3.0], t_max=t_max)
    check(result, time=time, worker=worker, delay=delay, used=used, iteration=iteration, x=x,
          counters=dict(cancelled=0, max_delay=0, end_time=t_max, **counters))


def test_minibatch_waits_for_the_slowest_worker():
    # tau = (1, 2, 4), gamma = 1/2 on the plane; all three gradients of a round are at the
    # same point, so x <- x - (gamma / 3) * 3 g = x - g / 2.
    # Round 1: w0 at 1 and w1 at 2 go idle, w2 at 4 completes it: g(x0) = (-1, 2) -> x1 = (1/2, 0).
    #          Everyone restarts at t=4 (idle workers are not cancelled).
    # Round 2: arrivals at 5, 6, 8: g(x1) = (-1/2, 0) -> x2 = (3/4, 0).
    # Round 3: arrivals at 9, 10, 12: g(x2) = (-1/4, 0) -> x3 = (7/8, 0).
    result = run(plane(), Minibatch(gamma=0.5), [1.0, 2.0, 4.0], max_updates=3)
    x1, x2, x3 = [0.5, 0], [0.75, 0], [0.875, 0]
    check(result, time=[1, 2, 4, 5, 6, 8, 9, 10, 12], worker=[0, 1, 2] * 3, delay=[0] * 9, used=[T] * 9,
          iteration=[0, 0, 1, 1, 1, 2, 2, 2, 3], x=[[0, 1], [0, 1], x1, x1, x1, x2, x2, x2, x3],
          counters=dict(updates=3, arrivals=9, computed=9, applied=9, discarded=0, cancelled=0, end_time=12.0))
    np.testing.assert_array_equal(result.time, [0, 4, 8, 12])  # one update per 4 s


def test_hero_uses_only_the_fastest_worker():
    # tau = (3, 1, 2): Hero runs plain SGD on w1 alone, one step per second, gamma = 1/2:
    # x1 = (0,1) - 1/2 (-1, 2) = (1/2, 0), x2 = (3/4, 0), x3 = (7/8, 0).
    result = run(plane(), Hero(gamma=0.5), [3.0, 1.0, 2.0], t_max=3.5)
    check(result, time=[1, 2, 3], worker=[1, 1, 1], delay=[0, 0, 0], used=[T] * 3, iteration=[1, 2, 3],
          x=[[0.5, 0], [0.75, 0], [0.875, 0]],
          counters=dict(updates=3, arrivals=3, computed=3, applied=3, cancelled=0, end_time=3.5))


def test_naive_optimal_asgd_runs_on_the_m_star_fastest_workers():
    # tau = (4, 1, 2, 8); sigma^2 = d s^2 = 1, eps = 1/2, so sigma^2/eps = 2 and
    # (m + 2) / (1 + 1/2 + ... for the m fastest) = 3/1, 4/1.5, 5/1.75, 6/1.875 = 3, 2.67, 2.86, 3.2:
    # m* = 2, the workers with tau 1 and 2 (w1, w2). ASGD on them, gamma = 1/4, g = x + s z(i, j)
    # with z(i, j) the noise of worker i's j-th job:
    # t=1: w1 job 0 on x0, delay 0 -> x1.      t=2: w1 job 1 on x1, delay 0 -> x2;
    # t=2: w2 job 0 on x0, delay 2 -> x3.      t=3: w1 job 2 on x2, delay 3 - 2 = 1 -> x4;
    # t=4: w1 job 3 on x4, delay 0 -> x5.      t=4: w2 job 1 on x3, delay 5 - 3 = 2 -> x6.
    seed = 7
    result = ringbench.simulate(line(noise_std=1.0), NaiveOptimalASGD(gamma=0.25, eps=0.5), fixed([4, 1, 2, 8]),
                                t_max=4.0, seed=seed, trace="iterates")
    key = key_from_seed(np.random.SeedSequence(seed))

    def z(worker, job):
        return job_normal(key, STREAM_NOISE, worker, job)

    x = [1.0]
    for worker, job, start in [(1, 0, 0), (1, 1, 1), (2, 0, 0), (1, 2, 2), (1, 3, 4), (2, 1, 3)]:
        x.append(x[-1] - 0.25 * (x[start] + z(worker, job)))
    check(result, time=[1, 2, 2, 3, 4, 4], worker=[1, 1, 2, 1, 1, 2], delay=[0, 0, 2, 1, 0, 2], used=[T] * 6,
          iteration=[1, 2, 3, 4, 5, 6], x=x[1:],
          counters=dict(updates=6, arrivals=6, computed=6, applied=6, cancelled=0, max_delay=2, mean_delay=5 / 6))


@pytest.mark.parametrize("stops", [True, False])
def test_ringmaster_with_huge_threshold_is_vanilla_asgd(stops):
    """With R above any delay that can occur (R > max_updates) Ringmaster never drops a job."""
    problem = Quadratic.worst_case(6, noise_std=0.1, noise="isotropic")
    timing = profile("paper", 5)
    limits = dict(max_updates=400, seed=3, trace="iterates", record=ringbench.Recording(every=7))
    ringmaster = ringbench.simulate(problem, Ringmaster(gamma=0.05, threshold=401, stops=stops), timing, **limits)
    asgd = ringbench.simulate(problem, ASGD(gamma=0.05), timing, **limits)
    for name in ("time", "iteration", "f_gap", "grad_norm2", "x"):
        np.testing.assert_array_equal(getattr(ringmaster, name), getattr(asgd, name), err_msg=name)
    for name in asgd.trace:
        np.testing.assert_array_equal(ringmaster.trace[name], asgd.trace[name], err_msg=name)
    assert ringmaster.counters == asgd.counters
    assert asgd.counters["max_delay"] > 5  # stale gradients did occur and were applied


def test_ringmaster_with_stops_never_applies_a_delay_of_R_or_more():
    problem = Quadratic.worst_case(5, noise_std=0.1)
    timing = profile("paper", 50)
    R = 8
    result = ringbench.simulate(problem, Ringmaster(gamma=0.02, threshold=R), timing, t_max=60.0, seed=2,
                                trace="events")
    trace = result.trace
    used = trace["used"]
    assert used.all()  # with stops nothing is ever discarded
    assert trace["delay"][used].max() == R - 1  # the bound is reached, not just respected
    assert result.counters["max_delay"] < R
    assert result.counters["discarded"] == 0
    assert result.counters["cancelled"] > 0
    assert result.counters["arrivals"] == result.counters["applied"] == result.counters["computed"]
    # The same hardware without the threshold does produce delays >= R.
    asgd = ringbench.simulate(problem, ASGD(gamma=0.02), timing, t_max=60.0, seed=2, trace="events")
    assert asgd.counters["max_delay"] >= R


# --- heterogeneous data: Ringleader, Malenia, IA2SGD, FedBuff ------------------------------------------
# ``split_line``: A = [1], b = 0 split over workers with b_i averaging to 0, so worker i's gradient is
# g_i(x) = x - b_i and the global one is x (f - f* = x^2 / 2, ||grad f||^2 = x^2).


def split_line(worker_b, x0):
    line_problem = Quadratic(np.array([[1.0]]), [0.0], x0=[x0], name="line")
    return line_problem.per_worker(np.array(worker_b, dtype=float)[:, None])


def test_ringleader_phases_buffer_and_rounds():
    # n = 3, tau = (1, 2, 5), b = (1, 0, -1), x0 = 2, gamma = 3/4: x <- x - 1/4 (sum of the 3 table means).
    # Round 1, phase 1 (x stays 2; g0 = 1, g1 = 2, g2 = 3 at x0):
    #   t=1 w0 -> T0 = [1];  t=2 w0 -> T0 x2, w1 -> T1 = [2];  t=3 w0;  t=4 w0, w1 -> T1 = [2, 2];
    #   t=5 w0 (T0 has 5 x 1; it restarts on x0 before w2 arrives), then w2 -> T2 = [3]: the table is full.
    #   Update 1 (w2): x1 = 2 - 1/4 (1 + 2 + 3) = 1/2; P = {w0, w1}; w2 restarts on x1.
    # Phase 2: t=6 w0 (s=0, delay 1): T0 += 1 -> update 2: x2 = 1/2 - 6/4 = -1; w0 restarts on x2.
    #          t=6 w1 (s=0, delay 2): T1 += 2 -> update 3: x3 = -1 - 6/4 = -5/2. P empty: the buffer
    #          (empty) becomes the table, phase 1 again. w1 restarts on x3.
    # Round 2, phase 1 (x stays -5/2):
    #   t=7 w0 (s=2, delay 1): T0 = [g0(-1) = -2]; restarts on x3.   t=8 w0 (s=3): T0 += g0(x3) = -7/2;
    #   w1 (s=3): T1 = [g1(x3) = -5/2].   t=9 w0: T0 += -7/2.   t=10 w0: T0 += -7/2 (sum -25/2, mean -25/8);
    #   w1: T1 += -5/2 (mean -5/2); both restart on x3 (s=3).   t=10 w2 (s=1, delay 2): T2 = [g2(1/2) = 3/2]:
    #   full. Update 4 (w2): x4 = -5/2 - 1/4 (-25/8 - 5/2 + 3/2) = -5/2 + 33/32 = -47/32; P = {w0, w1}.
    # Phase 2: t=11 w0 (s=3, delay 1): T0 += -7/2 (sum -16, 5 entries, mean -16/5) -> update 5:
    #          x5 = -47/32 - 1/4 (-16/5 - 1) = -47/32 + 21/20 = -67/160; w0 restarts on x5.
    #          t=12 w0 (s=5, delay 0): already updated this round -> buffer [g0(x5)]; no update.
    #          t=12 w1 (s=3, delay 2): T1 += -5/2 -> update 6: x6 = -67/160 + 21/20 = 101/160. Round over.
    result = run(split_line([1.0, 0.0, -1.0], 2.0), Ringleader(gamma=0.75), [1.0, 2.0, 5.0], max_updates=6)
    x = [2] * 7 + [1 / 2, -1, -5 / 2] + [-5 / 2] * 6 + [-47 / 32, -67 / 160, -67 / 160, 101 / 160]
    check(result, time=[1, 2, 2, 3, 4, 4, 5, 5, 6, 6, 7, 8, 8, 9, 10, 10, 10, 11, 12, 12],
          worker=[0, 0, 1, 0, 0, 1, 0, 2, 0, 1, 0, 0, 1, 0, 0, 1, 2, 0, 0, 1],
          delay=[0] * 8 + [1, 2, 1, 0, 0, 0, 0, 0, 2, 1, 0, 2], used=[T] * 20,
          iteration=[0] * 7 + [1, 2, 3, 3, 3, 3, 3, 3, 3, 4, 5, 5, 6], x=x,
          counters=dict(updates=6, arrivals=20, computed=20, discarded=0, cancelled=0, wasted=0, max_delay=2,
                        mean_delay=9 / 20, end_time=12.0))
    assert result.counters["applied"] + result.counters["pending"] == 20
    np.testing.assert_allclose(result.grad_norm2, np.array([2, 1 / 2, -1, -5 / 2, -47 / 32, -67 / 160, 101 / 160]) ** 2,
                               rtol=1e-14)


def test_malenia_with_stops_halves_x_every_round():
    # n = 2, tau = (1, 3), b = (1, -1), x0 = 2, gamma = 1/2, S = n = 2 (every worker has a gradient).
    # g0 = x - 1, g1 = x + 1, so the balanced mean is x whatever the counts: x <- x - 1/2 x = x / 2.
    # t=1, 2, 3: w0 collects g0(2) = 1 three times (restarting on x0); t=3 w1 (after w0) collects 3:
    #   update 1: x1 = 2 - 1/2 * 1/2 (1 + 3) = 1; every worker restarts on x1: w0's job (started at 3,
    #   ending at 4) is cancelled; w1 restarts too (the arriving worker is not a cancel).
    # t=4, 5, 6 w0 collects g0(1) = 0; t=6 w1 collects 2: x2 = 1 - 1/4 (0 + 2) = 1/2; w0 cancelled.
    # t=7, 8, 9 w0 collects -1/2; t=9 w1 collects 3/2: x3 = 1/2 - 1/4 (1) = 1/4; w0 cancelled.
    result = run(split_line([1.0, -1.0], 2.0), Malenia(gamma=0.5), [1.0, 3.0], max_updates=3)
    check(result, time=[1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9], worker=[0, 0, 0, 1] * 3, delay=[0] * 12,
          used=[T] * 12, iteration=[0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3],
          x=[2, 2, 2, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25],
          counters=dict(updates=3, arrivals=12, computed=12, applied=12, pending=0, discarded=0, cancelled=3,
                        max_delay=0, end_time=9.0))
    np.testing.assert_array_equal(result.time, [0, 3, 6, 9])


@pytest.mark.parametrize(("S", "first_update"), [(3, 3.0), (4, 6.0)])
def test_malenia_round_ends_when_the_harmonic_mean_of_counts_reaches_S_over_n(S, first_update):
    # Same setting; the round ends once every B_i >= 1 and 2 / (1/B0 + 1/B1) >= S / 2.
    # S = 3: at t=3 B = (3, 1): 2 / (1/3 + 1) = 3/2 = S/2 exactly -> the round ends at t=3.
    # S = 4: need 1/B0 + 1/B1 <= 1: at t=3 (3, 1) gives 4/3; at t=6, w0 first: (6, 1) gives 7/6; then w1:
    #        (6, 2) gives 2/3 -> the round ends at t=6 with means g0(2) = 1 and g1(2) = 3: x1 = 2 - 1/4 * 4 = 1.
    result = run(split_line([1.0, -1.0], 2.0), Malenia(gamma=0.5, S=S), [1.0, 3.0], max_updates=1)
    assert result.trace["time"][-1] == first_update and result.trace["worker"][-1] == 1
    np.testing.assert_allclose(result.trace["x"][-1], [1.0], rtol=1e-15)
    np.testing.assert_array_equal(result.trace["iteration"][:-1], 0)
    assert result.counters["computed"] == int(first_update) + int(first_update) // 3  # w0's and w1's gradients


def test_malenia_without_stops_discards_stale_results():
    # n = 2, tau = (1, 3), b = (1, -1), x0 = 2, gamma = 1/2, S = 2, no stops, t_max = 12.
    # t=1, 2, 3: w0 collects 1 (restarting on x0); t=3 w1 collects 3: the round is complete: w1 restarts on
    #   x0 *before* the update (s=0), then x1 = 2 - 1/4 * 4 = 1.
    # t=4: w0 (s=0, delay 1): discarded, never evaluated; restarts on x1.   t=5: w0 collects g0(1) = 0.
    # t=6: w0 collects 0; w1 (s=0, delay 1) discarded, restarts on x1.   t=7, 8, 9: w0 collects 0;
    # t=9: w1 (s=1) collects 2: restarts on x1, then x2 = 1 - 1/4 * 2 = 1/2.
    # t=10: w0 (s=1, delay 1) discarded.  t=11, 12: w0 collects g0(1/2).  t=12: w1 (s=1) discarded.
    result = run(split_line([1.0, -1.0], 2.0), Malenia(gamma=0.5, stops=False), [1.0, 3.0], t_max=12.0)
    check(result, time=[1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9, 10, 11, 12, 12],
          worker=[0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1],
          delay=[0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1],
          used=[T, T, T, T, F, T, T, F, T, T, T, T, F, T, T, F],
          iteration=[0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2], x=[2, 2, 2] + [1] * 8 + [0.5] * 5,
          counters=dict(updates=2, arrivals=16, computed=12, discarded=4, cancelled=0, wasted=4, max_delay=0,
                        mean_delay=0.0, end_time=12.0))
    assert result.counters["applied"] + result.counters["pending"] == 12


def test_ia2sgd_default_makes_no_update_on_the_arrival_that_fills_the_table():
    # As test_ia2sgd_update_on_fill below, with [C]'s warm-up (algorithms.md C.8, F.8): g0(x) = x - 1, g1(x) = x + 1.
    # t=1, 2, 3 w0: T0 = g0(2) = 1, replaced each time.  t=3 w1: T1 = g1(2) = 3 fills the table: no update.
    # t=4 w0 (s=0): T0 = 1: x1 = 2 - 1/4 (1 + 3) = 1.   t=5 w0 (s=1): T0 = g0(1) = 0: x2 = 1 - 3/4 = 1/4.
    # t=6 w0 (s=2): T0 = g0(1/4) = -3/4: x3 = 1/4 - 1/4 (9/4) = -5/16;
    #     w1 (s=0, delay 3): T1 = g1(2) = 3: x4 = -5/16 - 9/16 = -7/8.
    result = run(split_line([1.0, -1.0], 2.0), IA2SGD(gamma=0.5), [1.0, 3.0], max_updates=4)
    check(result, time=[1, 2, 3, 3, 4, 5, 6, 6], worker=[0, 0, 0, 1, 0, 0, 0, 1],
          delay=[0, 0, 0, 0, 0, 0, 0, 3], used=[T] * 8, iteration=[0, 0, 0, 0, 1, 2, 3, 4],
          x=[2, 2, 2, 2, 1, 0.25, -5 / 16, -7 / 8],
          counters=dict(updates=4, arrivals=8, computed=8, discarded=0, cancelled=0, max_delay=3, mean_delay=3 / 8,
                        end_time=6.0))
    assert [ACTIONS[code] for code in result.events["action"]] == ["stored"] * 4 + ["applied"] * 4


def test_ia2sgd_update_on_fill():
    # n = 2, tau = (1, 3), b = (1, -1), x0 = 2, gamma = 1/2: x <- x - 1/4 (T0 + T1), T_i = worker i's latest.
    # t=1, 2, 3: w0's entry is g0(2) = 1 (replaced each time; no update until w1 has an entry).
    # t=3 w1: T1 = g1(2) = 3: x1 = 2 - 1/4 (1 + 3) = 1 (w0 already restarted on x0).
    # t=4 w0 (s=0, delay 1): T0 = g0(2) = 1: x2 = 1 - 1/4 (1 + 3) = 0.
    # t=5 w0 (s=2): T0 = g0(0) = -1: x3 = 0 - 1/4 (-1 + 3) = -1/2.
    # t=6 w0 (s=3): T0 = g0(-1/2) = -3/2: x4 = -1/2 - 1/4 (3/2) = -7/8;
    #     w1 (s=1, delay 3): T1 = g1(1) = 2: x5 = -7/8 - 1/4 (-3/2 + 2) = -1.
    # t=7 w0 (s=4, delay 1): T0 = g0(-7/8) = -15/8: x6 = -1 - 1/4 (-15/8 + 2) = -33/32.
    result = run(split_line([1.0, -1.0], 2.0), IA2SGD(gamma=0.5, update_on_fill=True), [1.0, 3.0], max_updates=6)
    check(result, time=[1, 2, 3, 3, 4, 5, 6, 6, 7], worker=[0, 0, 0, 1, 0, 0, 0, 1, 0],
          delay=[0, 0, 0, 0, 1, 0, 0, 3, 1], used=[T] * 9, iteration=[0, 0, 0, 1, 2, 3, 4, 5, 6],
          x=[2, 2, 2, 1, 0, -0.5, -0.875, -1, -33 / 32],
          counters=dict(updates=6, arrivals=9, computed=9, discarded=0, cancelled=0, max_delay=3, mean_delay=5 / 9,
                        end_time=7.0))


def test_fedbuff_steps_with_the_mean_of_every_K_arrivals():
    # n = 2, tau = (1, 3), b = (1, -1), x0 = 2, gamma = 1/2, K = 2: x <- x - 1/4 (sum of the 2 buffered).
    # t=1 w0: [g0(2) = 1].   t=2 w0 (s=0): [1, 1] -> x1 = 2 - 1/2 = 3/2; restarts on x1.
    # t=3 w0 (s=1): [g0(3/2) = 1/2];  w1 (s=0, delay 1): [1/2, g1(2) = 3] -> x2 = 3/2 - 7/8 = 5/8.
    # t=4 w0 (s=1, delay 1): [1/2].   t=5 w0 (s=2): [1/2, g0(5/8) = -3/8] -> x3 = 5/8 - 1/32 = 19/32.
    # t=6 w0 (s=3): [g0(19/32) = -13/32];  w1 (s=2, delay 1): [-13/32, g1(5/8) = 13/8] -> x4 = 19/32 - 39/128
    #     = 37/128.
    # t=7 w0 (s=3, delay 1): [-13/32], pending when t_max = 7.5 ends the run.
    result = run(split_line([1.0, -1.0], 2.0), FedBuff(gamma=0.5, buffer=2), [1.0, 3.0], t_max=7.5)
    check(result, time=[1, 2, 3, 3, 4, 5, 6, 6, 7], worker=[0, 0, 0, 1, 0, 0, 0, 1, 0],
          delay=[0, 0, 0, 1, 1, 0, 0, 1, 1], used=[T] * 9, iteration=[0, 1, 1, 2, 2, 3, 3, 4, 4],
          x=[2, 1.5, 1.5, 5 / 8, 5 / 8, 19 / 32, 19 / 32, 37 / 128, 37 / 128],
          counters=dict(updates=4, arrivals=9, computed=9, applied=8, pending=1, discarded=0, cancelled=0,
                        max_delay=1, mean_delay=4 / 9, end_time=7.5))


def test_fedasync_mixes_stale_models_with_the_polynomial_weight():
    """f = x^2/2 from x0 = 1, gamma = 0.5, alpha = 1, s(delay) = 1/(1 + delay), times 1 and 3.

    t = 1, 2, 3: worker 0 (delay 0, weight 1) halves x: 0.5, 0.25, 0.125. Then, also at t = 3
    (ties go by worker id), worker 1 brings its model from x0 = 1, 1 - 0.5 * 1 = 0.5, with delay
    3: weight 1/4, so x = 3/4 * 0.125 + 1/4 * 0.5 = 0.21875.
    """
    method = FedAsync(gamma=0.5, alpha=1.0, staleness="polynomial", a=1.0)
    result = run(line(), method, [1.0, 3.0], max_updates=4)
    check(result, time=[1, 2, 3, 3], worker=[0, 0, 0, 1], delay=[0, 0, 0, 3], used=[T, T, T, T],
          iteration=[1, 2, 3, 4], x=[0.5, 0.25, 0.125, 0.21875],
          counters=dict(updates=4, computed=4, applied=4, max_delay=3))
    # The hinge keeps full weight up to b = 3, so the stale model replaces x outright.
    hinge = run(line(), FedAsync(gamma=0.5, alpha=1.0, staleness="hinge", a=1.0, b=3.0), [1.0, 3.0],
                max_updates=4)
    np.testing.assert_allclose(hinge.x, [0.5], rtol=1e-15)


@pytest.mark.parametrize("options, pattern", [
    (dict(gamma=0.1, alpha=1.5), "alpha"), (dict(gamma=0.1, alpha=0.0), "alpha"),
    (dict(gamma=0.1, staleness="exponential"), "staleness"), (dict(gamma=0.1, a=-1.0), r"\ba\b"),
    (dict(eps=0.1), "gamma"),
])
def test_fedasync_rejects_bad_parameters(options, pattern):
    with pytest.raises(ValueError, match=pattern):
        FedAsync(**options)
