"""A slow, obviously-correct reference simulator for the homogeneous methods.

This module is the *reference* that ``tests/test_naive_agreement.py`` compares the
Numba engine against, event by event. It is written from the method descriptions in
the spec (sections B and C.1-C.6) and the engine's documented conventions, not from
the engine's kernels, and it favours plain readability over speed:

* one Python ``heapq`` of ``(finish time, worker, job number)``; ties are processed
  one at a time by worker id; cancelled jobs stay in the heap and are skipped when
  popped (their job number no longer matches the worker's current job);
* every job keeps a *copy* of the iterate it started from, and its gradient
  ``A @ x_start - b + noise`` is evaluated only when it arrives and is used;
* job durations and gradient noise come from the engine's counter-based random
  numbers, addressed by ``(worker, job number)``, so both simulators see the same
  hardware. The job number of a worker grows on every job start, restarts included.

Only the random-number functions and the timing model's ``finish_time`` are shared
with the engine; everything else (event order, the server rules, the linear algebra,
the counters) is re-derived here.
"""

import heapq
from dataclasses import dataclass, field

import numpy as np

from ringbench import theory
from ringbench.engine.rng import STREAM_NOISE, key_from_seed, normals
from ringbench.methods import ASGD, DelayAdaptiveASGD, Hero, Minibatch, NaiveOptimalASGD, Rennala, Ringmaster
from ringbench.timing.kernels import finish_time


@dataclass
class Job:
    number: int  # this worker's job counter when the job started
    start_iteration: int  # s: the iterate x^s the job computes on
    x_start: np.ndarray  # copy of x^s
    finish: float


@dataclass
class NaiveRun:
    """What :func:`naive_simulate` returns."""

    events: list  # one dict per arrival: time, worker, delay, used, iteration, x
    counters: dict
    x: np.ndarray

    def column(self, name):
        return np.array([event[name] for event in self.events])


@dataclass
class _State:
    x: np.ndarray
    k: int = 0
    clock: float = 0.0
    heap: list = field(default_factory=list)
    jobs: dict = field(default_factory=dict)  # worker -> Job, for busy workers only
    job_counter: dict = field(default_factory=dict)
    batch_sum: np.ndarray = None
    batch_count: int = 0
    counters: dict = field(default_factory=lambda: dict(
        arrivals=0, computed=0, used=0, discarded=0, cancelled=0, delay_sum=0, max_delay=0))


def _active_workers(method, tau, sigma2):
    """Hero: the single fastest worker; naive optimal: the m* fastest; others: everyone."""
    by_speed = sorted(range(len(tau)), key=lambda i: (tau[i], i))
    if isinstance(method, Hero):
        return [by_speed[0]]
    if isinstance(method, NaiveOptimalASGD):
        return sorted(by_speed[:theory.optimal_workers(tau, sigma2, method.eps)])
    return list(range(len(tau)))


def naive_simulate(problem, method, timing, *, seed, t_max=None, max_updates=None, A=None):
    """Simulate ``method`` the slow way; see the module docstring.

    ``A`` is the problem's matrix as a dense array (build it by hand in the test, so
    that the engine's storage is checked too). By default it is read from the
    problem's stored data (dense, CSR or tridiagonal bands) with plain numpy.
    Returns a :class:`NaiveRun`.
    """
    assert method.gamma is not None, "the reference needs an explicit stepsize"
    assert t_max is not None or max_updates is not None
    A = _dense_matrix(problem) if A is None else np.asarray(A, dtype=float)
    b, gamma, d = problem.b, method.gamma, problem.d
    key = key_from_seed(np.random.SeedSequence(seed))
    timing_data = timing.data()
    active = _active_workers(method, timing.expected_durations(), problem.sigma2)
    n_active = len(active)
    state = _State(x=problem.x0.astype(float).copy(), batch_sum=np.zeros(d))
    counters = state.counters

    def noise(worker, number):
        if problem.noise == "scalar":
            return problem.noise_std * normals(key, STREAM_NOISE, worker, number, 0)[0] * np.ones(d)
        return problem.noise_std * np.array([normals(key, STREAM_NOISE, worker, number, c // 4)[c % 4]
                                             for c in range(d)])

    def gradient(job, worker):
        counters["computed"] += 1
        return A @ job.x_start - b + noise(worker, job.number)

    def start(worker):
        """Start a new job of ``worker`` now, on the current iterate."""
        number = state.job_counter.get(worker, 0)
        state.job_counter[worker] = number + 1
        finish = finish_time(timing_data, key, worker, number, state.clock)
        state.jobs[worker] = Job(number, state.k, state.x.copy(), finish)
        heapq.heappush(state.heap, (finish, worker, number))

    def cancel_and_restart(worker):
        del state.jobs[worker]
        counters["cancelled"] += 1
        start(worker)

    def use(delay):
        counters["used"] += 1
        counters["delay_sum"] += delay
        counters["max_delay"] = max(counters["max_delay"], delay)

    def step(direction, stepsize):
        state.x = state.x - stepsize * direction
        state.k += 1

    # --- the server rules (spec C.1-C.6) ---------------------------------------------
    def asgd(worker, job, delay):
        g = gradient(job, worker)
        use(delay)
        stepsize = gamma
        if isinstance(method, DelayAdaptiveASGD) and delay > n_active:
            stepsize = gamma * n_active / delay
        step(g, stepsize)
        start(worker)

    def ringmaster(worker, job, delay):
        R = method.threshold
        if delay >= R:  # too stale: only possible without stops
            counters["discarded"] += 1
            start(worker)
            return
        g = gradient(job, worker)
        use(delay)
        step(g, gamma)
        start(worker)
        if method.stops:  # cancel every job that could now only be discarded
            for other in sorted(state.jobs):
                if state.jobs[other].start_iteration <= state.k - R:
                    cancel_and_restart(other)

    def collect(g, delay):
        use(delay)
        state.batch_sum = state.batch_sum + g
        state.batch_count += 1

    def apply_batch(size):
        stepsize = gamma / size
        step(state.batch_sum, stepsize)
        state.batch_sum = np.zeros(d)
        state.batch_count = 0

    def rennala(worker, job, delay):
        S = method.batch
        if delay > 0:  # computed on an older iterate: only possible without stops
            counters["discarded"] += 1
            start(worker)
            return
        collect(gradient(job, worker), delay)
        if state.batch_count < S:
            start(worker)
        elif method.stops:
            apply_batch(S)
            for other in active:
                if other in state.jobs:
                    cancel_and_restart(other)
                else:
                    start(other)
        else:
            start(worker)  # on the old iterate: its next gradient will be discarded
            apply_batch(S)

    def minibatch(worker, job, delay):
        collect(gradient(job, worker), delay)
        if state.batch_count == n_active:
            apply_batch(n_active)
            for other in active:
                start(other)  # everyone is idle now

    if isinstance(method, Ringmaster):
        rule = ringmaster
    elif isinstance(method, Rennala):
        rule = rennala
    elif isinstance(method, Minibatch):
        rule = minibatch
    elif isinstance(method, ASGD):  # includes DelayAdaptiveASGD, Hero, NaiveOptimalASGD
        rule = asgd
    else:
        raise ValueError(f"no reference for {method!r}")

    # --- the event loop ------------------------------------------------------------------
    events = []
    for worker in active:
        start(worker)
    while state.heap:
        finish, worker, number = heapq.heappop(state.heap)
        job = state.jobs.get(worker)
        if job is None or job.number != number:
            continue  # this job was cancelled
        if t_max is not None and finish > t_max:
            state.clock = t_max
            break
        del state.jobs[worker]
        state.clock = finish
        counters["arrivals"] += 1
        delay = state.k - job.start_iteration
        used_before = counters["used"]
        rule(worker, job, delay)
        events.append(dict(time=finish, worker=worker, delay=delay, used=counters["used"] > used_before,
                           iteration=state.k, x=state.x.copy()))
        if max_updates is not None and state.k >= max_updates:
            break

    # "applied" counts gradients that entered an update; "pending" ones were collected
    # into a batch that the end of the run cut off. Delay statistics cover both.
    used = counters["used"]
    pending = state.batch_count
    result = {name: counters[name] for name in ("arrivals", "computed", "discarded", "cancelled", "max_delay")}
    result.update(applied=used - pending, pending=pending, updates=state.k, end_time=state.clock,
                  mean_delay=counters["delay_sum"] / used if used else 0.0)
    return NaiveRun(events, result, state.x)


def _dense_matrix(problem):
    """The problem's A as a dense numpy array, read from its stored arrays."""
    data = problem.data()
    storage = problem.storage()
    if storage == "dense":
        return np.array(data.dense, dtype=float)
    if storage == "csr":
        A = np.zeros((problem.d, problem.d))
        for row in range(problem.d):
            for entry in range(data.csr_indptr[row], data.csr_indptr[row + 1]):
                A[row, data.csr_indices[entry]] += data.csr_data[entry]
        return A
    bands = data.bands  # bands[0, i + 1] = A[i, i + 1], bands[1] = diagonal, bands[2, i] = A[i + 1, i]
    return np.diag(bands[1]) + np.diag(bands[0, 1:], 1) + np.diag(bands[2, :-1], -1)
