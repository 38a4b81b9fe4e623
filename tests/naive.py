"""A slow, obviously-correct reference simulator for every method.

This module is the *reference* that ``tests/test_naive_agreement.py`` and
``tests/test_naive_heterogeneous.py`` compare the Numba engine against, event by
event. It is written from the method descriptions in the spec (sections B, C.1-C.10
and F.5-F.8) and the engine's documented conventions, not from the engine's kernels,
and it favours plain readability over speed:

* one Python ``heapq`` of ``(finish time, worker, job number)``; ties are processed
  one at a time by worker id; cancelled jobs stay in the heap and are skipped when
  popped (their job number no longer matches the worker's current job);
* every job keeps a *copy* of the iterate it started from, and its gradient is
  evaluated only when it arrives and is used (stale results that a rule discards
  are never evaluated);
* job durations, gradient noise and minibatch draws come from the engine's
  counter-based random numbers, addressed by ``(worker, job number)``, so both
  simulators see the same hardware and the same samples. The job number of a worker
  grows on every job start, restarts included.

Problems are described to the reference by an *oracle* built from plain arrays
(:class:`QuadraticOracle`, :class:`LogisticOracle`): tests build them from the raw
data they gave the problem, so the engine's storage (tridiagonal, dense, CSR,
per-worker fields, partitions) is checked too.

* Quadratic: worker i's gradient is s_i A x - b_i + noise (s_i = 1, b_i = b without
  per-worker data); ``scalar`` noise is one N(0, s^2) draw on every coordinate,
  ``isotropic`` is N(0, s^2 I): ``job_normal(key, STREAM_NOISE, i, job)`` and the d draws
  of ``fill_normals`` (stream version 2, :mod:`ringbench.engine.rng`).
* Logistic: grad r(x) + 1/b sum over the job's minibatch of the per-sample loss
  gradient -y a sigma(-y a'x), computed with numpy. The minibatch is derived exactly
  as documented: the successive uniforms of ``fill_uniforms(key, STREAM_NOISE, worker,
  job, ...)``, position = min(int(u * pool), pool - 1) into the worker's own sample
  list (the whole data set without partition); without replacement a repeated
  position is rejected and the next uniform is used.

Only the random-number functions, ``theory.optimal_workers`` (naive optimal ASGD's m*)
and the compute-time model's ``finish_time`` are shared with the engine (communication
times are re-derived: :func:`job_finish`); everything else
(event order, the server rules, the linear algebra, the counters) is re-derived here.

Availability (``timing.availability``) as documented there: a job whose worker's next
offline interval starts at or before its finish is lost at that start; a worker offline
when it would start a job gets a rejoin entry ``(end, worker, -1)`` instead (one at a time),
and starts the job when the entry pops.

Counters follow ``Result.counters``' documentation: ``applied`` counts gradients that
entered at least one update, ``pending`` those still held (in a batch, table or
buffer) for an update the stop cut off, ``overwritten`` those dropped from a table
before entering any update; ``used`` (not an engine counter) counts every gradient a
rule accepted, with its delay measured at arrival.
"""

import heapq
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pytest
import scipy.special

from ringbench import theory
from ringbench.engine.availability import AvailableData
from ringbench.engine.rng import (
    STREAM_ASSIGNMENT,
    STREAM_DOWNLOAD,
    STREAM_NOISE,
    STREAM_SLOWDOWN,
    STREAM_UPLOAD,
    fill_normals,
    fill_uniforms,
    job_normal,
    job_uniform,
    key_from_seed,
)
from ringbench.methods import (
    ASGD,
    IA2SGD,
    Capped,
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
from ringbench.problems import Logistic
from ringbench.timing.communication import CommunicatingData
from ringbench.timing.correlated import CorrelatedData
from ringbench.timing.kernels import finish_time

TOL = 1e-12  # iterates agree to this: the engine and the reference sum in different orders


# --- oracles: the problems in plain numpy ---------------------------------------------------


class QuadraticOracle:
    """f_i(x) = s_i/2 x'Ax - b_i'x with noise; f = 1/n sum_i f_i = 1/2 x'Ax - b'x when mean s_i = 1."""

    def __init__(self, A, b, *, noise_std=0.0, noise="scalar", worker_b=None, worker_scale=None):
        self.A = np.array(A, dtype=float)
        self.b = np.array(b, dtype=float)
        self.d = self.b.size
        self.noise_std, self.noise = float(noise_std), noise
        self.worker_b = None if worker_b is None else np.array(worker_b, dtype=float)
        if worker_scale is None and worker_b is not None:
            worker_scale = np.ones(len(worker_b))
        self.worker_scale = None if worker_scale is None else np.array(worker_scale, dtype=float)

    def stochastic_gradient(self, key, worker, job, x):
        if self.worker_b is None:
            b, scale = self.b, 1.0
        else:
            b, scale = self.worker_b[worker], self.worker_scale[worker]
        gradient = scale * (self.A @ x) - b
        if self.noise_std == 0.0:
            return gradient
        if self.noise == "scalar":
            return gradient + self.noise_std * job_normal(key, STREAM_NOISE, worker, job) * np.ones(self.d)
        noise = np.zeros(self.d)
        fill_normals(key, STREAM_NOISE, worker, job, noise, 1.0)
        return gradient + self.noise_std * noise

    def value_and_gradient(self, x):
        scale = 1.0 if self.worker_scale is None else self.worker_scale.mean()
        b = self.b if self.worker_b is None else self.worker_b.mean(axis=0)
        return 0.5 * scale * x @ self.A @ x - b @ x, scale * (self.A @ x) - b

    def f_star(self):
        x_star = np.linalg.solve(self.A, self.b)
        return -0.5 * self.b @ x_star


class LogisticOracle:
    """Regularised logistic regression on dense numpy features, optionally split across workers."""

    def __init__(self, features, labels, *, lam, regularizer="l2", batch=1, replacement=True, partition=None):
        features = features.toarray() if hasattr(features, "toarray") else features
        self.features = np.array(features, dtype=float)
        labels = np.asarray(labels, dtype=float)
        self.labels = np.where(labels == 1.0, 1.0, -1.0)  # 0/1 or -1/+1
        self.lam, self.regularizer = float(lam), regularizer
        self.batch, self.replacement = int(batch), bool(replacement)
        self.partition = None if partition is None else [np.asarray(part, dtype=np.int64) for part in partition]
        self.n_samples, self.d = self.features.shape
        if self.partition is None:
            self.weights = np.full(self.n_samples, 1.0 / self.n_samples)
        else:
            self.weights = np.zeros(self.n_samples)
            for part in self.partition:
                self.weights[part] = 1.0 / (len(self.partition) * part.size)

    def pool(self, worker):
        """Worker ``worker``'s sample indices, in the order positions index them."""
        return np.arange(self.n_samples) if self.partition is None else self.partition[worker]

    def minibatch(self, key, worker, job):
        """Row indices of the job's minibatch, in draw order (see the module docstring)."""
        pool = self.pool(worker)
        count = 4 * self.batch
        while True:  # a longer draw extends the same sequence: retry longer if rejections used it up
            draws = np.empty(count)
            fill_uniforms(key, STREAM_NOISE, worker, job, draws)
            positions = []
            for u in draws:
                position = min(int(u * pool.size), pool.size - 1)
                if self.replacement or position not in positions:
                    positions.append(position)
                if len(positions) == self.batch:
                    return pool[np.array(positions)]
            count *= 2
        return pool[np.array(positions)]

    def regularizer_value_and_gradient(self, x):
        if self.regularizer == "l2":
            return 0.5 * self.lam * x @ x, self.lam * x
        return self.lam * np.sum(x**2 / (1 + x**2)), 2 * self.lam * x / (1 + x**2) ** 2

    def sample_gradients(self, rows, x):
        """Row j: the gradient of log(1 + exp(-y_j a_j'x)) in x."""
        a, y = self.features[rows], self.labels[rows]
        return (-y * scipy.special.expit(-y * (a @ x)))[:, None] * a

    def stochastic_gradient(self, key, worker, job, x):
        rows = self.minibatch(key, worker, job)
        return self.regularizer_value_and_gradient(x)[1] + self.sample_gradients(rows, x).sum(axis=0) / self.batch

    def value_and_gradient(self, x):
        margins = self.labels * (self.features @ x)
        value, gradient = self.regularizer_value_and_gradient(x)
        value = value + self.weights @ np.logaddexp(0.0, -margins)
        gradient = gradient + self.weights @ self.sample_gradients(np.arange(self.n_samples), x)
        return value, gradient


def oracle_of(problem):
    """An oracle read from ``problem``'s stored arrays with plain numpy (tests usually build their own)."""
    data = problem.data()
    if isinstance(problem, Logistic):
        features = _dense_rows(data, problem.n_samples, problem.d)
        partition = None
        if data.worker_offsets.size:
            offsets = data.worker_offsets
            partition = [data.worker_samples[offsets[i]:offsets[i + 1]] for i in range(offsets.size - 1)]
        return LogisticOracle(features, data.labels, lam=data.lam, regularizer=problem.regularizer,
                              batch=data.batch, replacement=data.replacement, partition=partition)
    worker_b = data.worker_b if data.worker_scale.size else None
    worker_scale = data.worker_scale if data.worker_scale.size else None
    return QuadraticOracle(_dense_matrix(problem), problem.b, noise_std=problem.noise_std, noise=problem.noise,
                           worker_b=worker_b, worker_scale=worker_scale)


# --- the simulator ----------------------------------------------------------------------------


@dataclass
class Job:
    number: int  # this worker's job counter when the job started
    start_iteration: int  # s: the iterate x^s the job computes on
    x_start: np.ndarray  # copy of x^s
    finish: float  # its heap key: when it arrives, or when its worker drops it
    lost: bool = False  # its worker goes offline at ``finish``, before the job ends


@dataclass
class Gradient:
    """An evaluated gradient and its bookkeeping."""

    value: np.ndarray
    worker: int
    start_iteration: int
    entered: bool = False  # has it entered an update yet?


@dataclass
class NaiveRun:
    """What :func:`naive_simulate` returns."""

    events: list  # one dict per arrival: time, worker, delay, used, iteration, x
    counters: dict
    x: np.ndarray
    # One dict per update: k (the update maps x^k to x^{k+1}), time, worker (whose arrival
    # triggered it), starts and workers (start iteration and worker of every gradient in the
    # direction) and, for Ringleader, the round number.
    updates: list = field(default_factory=list)

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
    batch: list = field(default_factory=list)  # Gradients collected for the next batched update
    table: dict = field(default_factory=dict)  # worker -> list of Gradients (Malenia, Ringleader, IA2SGD)
    buffer: dict = field(default_factory=dict)  # worker -> list of Gradients (Ringleader's G+, b+)
    owed: set = field(default_factory=set)  # Ringleader's P
    phase: int = 1  # Ringleader's phase
    round: int = 0  # Ringleader's round number
    rejoins: dict = field(default_factory=dict)  # worker -> time it comes back, for offline workers
    counters: dict = field(default_factory=lambda: dict(
        arrivals=0, computed=0, used=0, discarded=0, cancelled=0, lost=0, delay_sum=0, max_delay=0))


def _active_workers(method, tau, sigma2):
    """Hero: the single fastest worker; naive optimal: the m* fastest; others: everyone."""
    by_speed = sorted(range(len(tau)), key=lambda i: (tau[i], i))
    if isinstance(method, Hero):
        return [by_speed[0]]
    if isinstance(method, NaiveOptimalASGD):
        return sorted(by_speed[:theory.optimal_workers(tau, sigma2, method.eps)])
    return list(range(len(tau)))


def harmonic_mean_reaches(counts, n, target):
    """Exactly (with fractions): every one of the n counts >= 1 and (1/n sum 1/b_i)^{-1} >= target."""
    if len(counts) < n or min(counts) < 1:
        return False
    return Fraction(n) / sum(Fraction(1, count) for count in counts) >= Fraction(target)


def naive_simulate(problem, method, timing, *, seed, t_max=None, max_updates=None, A=None, oracle=None):
    """Simulate ``method`` the slow way; see the module docstring.

    ``oracle`` describes the problem (build it in the test from the raw data). For
    quadratics ``A`` alone may be given instead (the problem's matrix as a dense array,
    with b, noise and per-worker data read from the problem). By default everything is
    read from the problem's stored arrays with plain numpy. Returns a :class:`NaiveRun`.
    """
    assert method.gamma is not None, "the reference needs an explicit stepsize"
    capped = method if isinstance(method, Capped) else None
    if capped is not None:
        method = capped.method
    assert t_max is not None or max_updates is not None
    if oracle is None:
        oracle = oracle_of(problem)
        if A is not None:
            oracle.A = np.asarray(A, dtype=float)
    gamma = method.gamma
    key = key_from_seed(np.random.SeedSequence(seed))
    timing_data = timing.data()
    offline = {}  # worker -> its offline intervals [(start, end), ...] in time order
    if isinstance(timing_data, AvailableData):
        for worker in range(timing.n):
            lo, hi = timing_data.offsets[worker], timing_data.offsets[worker + 1]
            offline[worker] = sorted(zip(timing_data.starts[lo:hi].tolist(), timing_data.ends[lo:hi].tolist()))
    active = _active_workers(method, timing.expected_durations(), problem.sigma2)
    waiting = []  # with a cap: idle workers waiting for a slot, longest first
    if capped is not None:
        active, waiting = active[:capped.cap], active[capped.cap:]
    n_active = len(active)
    state = _State(x=problem.x0.astype(float).copy())
    counters = state.counters
    updates = []

    evaluated = []  # every Gradient evaluated, in order

    def gradient(job, worker):
        counters["computed"] += 1
        evaluated.append(Gradient(oracle.stochastic_gradient(key, worker, job.number, job.x_start), worker,
                                  job.start_iteration))
        return evaluated[-1]

    def start(worker, sent=None):
        """Start a new job of ``worker`` now, on the current iterate or on ``sent`` = (s, x^s) if given.

        An offline worker gets a rejoin entry instead; a job its worker drops before it ends is lost at the drop.
        """
        away = [end for begin, end in offline.get(worker, ()) if begin <= state.clock < end]
        if away:
            if worker not in state.rejoins:
                state.rejoins[worker] = away[0]
                heapq.heappush(state.heap, (away[0], worker, -1))
            return
        number = state.job_counter.get(worker, 0)
        state.job_counter[worker] = number + 1
        finish = job_finish(timing_data, key, worker, number, state.clock)
        drops = [begin for begin, _ in offline.get(worker, ()) if state.clock < begin <= finish]
        s, x_start = (state.k, state.x) if sent is None else sent
        key_time = drops[0] if drops else finish
        state.jobs[worker] = Job(number, s, x_start.copy(), key_time, lost=bool(drops))
        heapq.heappush(state.heap, (key_time, worker, number))

    def cancel_and_restart(worker):
        del state.jobs[worker]
        counters["cancelled"] += 1
        start(worker)

    def restart_everyone():
        for other in active:
            if other in state.jobs:
                cancel_and_restart(other)
            else:
                start(other)

    def use(delay):
        counters["used"] += 1
        counters["delay_sum"] += delay
        counters["max_delay"] = max(counters["max_delay"], delay)

    def step(direction, stepsize, worker, gradients):
        """x^{k+1} = x^k - stepsize * direction, made of ``gradients``; log the update."""
        for g in gradients:
            g.entered = True
        updates.append(dict(k=state.k, time=state.clock, worker=worker, round=state.round,
                            starts=[g.start_iteration for g in gradients], workers=[g.worker for g in gradients]))
        state.x = state.x - stepsize * direction
        state.k += 1

    # --- the server rules (spec C.1-C.10) --------------------------------------------
    def asgd(worker, job, delay):
        g = gradient(job, worker)
        use(delay)
        stepsize = gamma
        if isinstance(method, DelayAdaptiveASGD) and delay > n_active:
            stepsize = gamma * n_active / delay
        step(g.value, stepsize, worker, [g])
        start(worker)

    def ringmaster(worker, job, delay):
        R = method.threshold
        if delay >= R:  # too stale: only possible without stops
            counters["discarded"] += 1
            start(worker)
            return
        g = gradient(job, worker)
        use(delay)
        step(g.value, gamma, worker, [g])
        start(worker)
        if method.stops:  # cancel every job that could now only be discarded
            for other in sorted(state.jobs):
                if state.jobs[other].start_iteration <= state.k - R:
                    cancel_and_restart(other)

    def collect(g, delay):
        use(delay)
        state.batch.append(g)

    def apply_batch(size, worker):
        step(sum(g.value for g in state.batch), gamma / size, worker, state.batch)
        state.batch = []

    def rennala(worker, job, delay):
        S = method.S
        if delay > 0:  # computed on an older iterate: only possible without stops
            counters["discarded"] += 1
            start(worker)
            return
        collect(gradient(job, worker), delay)
        if len(state.batch) < S:
            start(worker)
        elif method.stops:
            apply_batch(S, worker)
            restart_everyone()
        else:
            start(worker)  # on the old iterate: its next gradient will be discarded
            apply_batch(S, worker)

    def minibatch(worker, job, delay):
        collect(gradient(job, worker), delay)
        if len(state.batch) == n_active:
            apply_batch(n_active, worker)
            for other in active:
                start(other)  # everyone is idle now

    def fedbuff(worker, job, delay):
        # C.10: buffer every arrival, however stale; every K arrivals step with their mean.
        collect(gradient(job, worker), delay)
        if len(state.batch) == method.buffer:
            apply_batch(method.buffer, worker)
        start(worker)  # on the latest iterate

    def fedasync(worker, job, delay):
        # Xie et al. 2019: x <- (1 - m) x + m (x^s - gamma g), m = alpha s(delay).
        g = gradient(job, worker)
        use(delay)
        if method.staleness == "polynomial":
            weight = (1.0 + delay) ** -method.a
        elif method.staleness == "hinge" and delay > method.b:
            weight = 1.0 / (method.a * (delay - method.b) + 1.0)
        else:
            weight = 1.0
        mixing = method.alpha * weight
        mixed = (1.0 - mixing) * state.x + mixing * (job.x_start - gamma * g.value)
        step(state.x - mixed, 1.0, worker, [g])
        start(worker)

    queues = {}  # worker -> [(s, x^s)]: jobs sent to it while busy (random and shuffled ASGD)
    orders = {}  # epoch -> shuffled ASGD's order of the workers

    def chosen_worker(k):
        """j_k, from the uniforms of STREAM_ASSIGNMENT as random_asgd's docstring defines them."""
        m = n_active
        if not isinstance(method, ShuffledASGD):
            u = np.empty(1)
            fill_uniforms(key, STREAM_ASSIGNMENT, 0, k, u)
            return active[min(int(u[0] * m), m - 1)]
        epoch = k // m
        if epoch not in orders:
            u = np.empty(m)
            fill_uniforms(key, STREAM_ASSIGNMENT, 1, epoch, u)
            order = list(active)
            for draw, i in enumerate(range(m - 1, 0, -1)):  # Fisher-Yates
                j = min(int(u[draw] * (i + 1)), i)
                order[i], order[j] = order[j], order[i]
            orders[epoch] = order
        return orders[epoch][k % m]

    def assigned(worker, job, delay):
        # AsGrad: apply, the worker takes up its oldest queued job, x^{k+1} goes to j_k (queued if busy).
        g = gradient(job, worker)
        use(delay)
        k = state.k
        step(g.value, gamma, worker, [g])
        if queues.get(worker):
            start(worker, queues[worker].pop(0))
        target = chosen_worker(k)
        if target in state.jobs:
            queues.setdefault(target, []).append((state.k, state.x.copy()))
        else:
            start(target)

    def table_average():
        """1/n sum_i G_i / b_i over the table, from the plain sums G_i."""
        return sum(sum(g.value for g in entries) / len(entries) for entries in state.table.values()) / n_active

    def table_step(worker):
        step(table_average(), gamma, worker, [g for entries in state.table.values() for g in entries])

    def malenia(worker, job, delay):
        # C.7 with S (default n): collect fresh gradients per worker until the harmonic mean
        # of the counts reaches S/n, then step with the worker-balanced average.
        S = n_active if method.S is None else method.S
        if delay > 0:  # computed on an older iterate: only without stops
            counters["discarded"] += 1
            start(worker)
            return
        g = gradient(job, worker)
        use(delay)
        state.table.setdefault(worker, []).append(g)
        counts = [len(entries) for entries in state.table.values()]
        if not harmonic_mean_reaches(counts, n_active, Fraction(S, n_active)):
            start(worker)
        elif method.stops:
            table_step(worker)
            state.table = {}
            restart_everyone()
        else:
            start(worker)  # on x^k, before the update: that job will be stale
            table_step(worker)
            state.table = {}

    def ia2sgd(worker, job, delay):
        # C.8 with the papers' warm-up: no update until every worker has an entry, nor on the
        # arrival that completes the table (F.8), unless update_on_fill.
        g = gradient(job, worker)
        use(delay)
        was_full = len(state.table) == n_active
        state.table[worker] = [g]  # the latest gradient replaces the old one
        if was_full or method.update_on_fill and len(state.table) == n_active:
            table_step(worker)
        start(worker)

    def ringleader(worker, job, delay):
        # C.9 and F.7.
        g = gradient(job, worker)
        use(delay)
        if state.phase == 1:
            state.table.setdefault(worker, []).append(g)
            counts = [len(entries) for entries in state.table.values()]
            if not harmonic_mean_reaches(counts, n_active, method.phase1_hm_target):
                start(worker)  # x has not moved
                return
            state.phase = 2
            state.owed = set(active)
        elif worker in state.owed:
            state.table.setdefault(worker, []).append(g)
        else:
            state.buffer.setdefault(worker, []).append(g)
            start(worker)
            return
        state.owed.discard(worker)  # worker's one update of the round
        table_step(worker)
        start(worker)
        if not state.owed:  # n updates done: the buffer becomes the table
            state.table, state.buffer = state.buffer, {}
            state.phase = 1
            state.round += 1

    if isinstance(method, Ringmaster):
        rule = ringmaster
    elif isinstance(method, Rennala):
        rule = rennala
    elif isinstance(method, Minibatch):
        rule = minibatch
    elif isinstance(method, Ringleader):
        rule = ringleader
    elif isinstance(method, Malenia):
        rule = malenia
    elif isinstance(method, IA2SGD):
        rule = ia2sgd
    elif isinstance(method, FedBuff):
        rule = fedbuff
    elif isinstance(method, FedAsync):
        rule = fedasync
    elif isinstance(method, RandomASGD):  # includes ShuffledASGD
        rule = assigned
    elif isinstance(method, ASGD):  # includes DelayAdaptiveASGD, Hero, NaiveOptimalASGD
        rule = asgd
    else:
        raise ValueError(f"no reference for {method!r}")

    if capped is not None:
        method_rule = rule

        def rule(worker, job, delay):
            # The method's rule restarted the arriving worker; with someone waiting, that job never
            # runs (its number is reused) and the longest-waiting worker starts instead.
            method_rule(worker, job, delay)
            if waiting:
                taken = state.jobs.pop(worker)
                state.heap.remove((taken.finish, worker, taken.number))
                heapq.heapify(state.heap)
                state.job_counter[worker] -= 1
                waiting.append(worker)
                start(waiting.pop(0))

    # --- the event loop ------------------------------------------------------------------
    events = []
    for worker in active:
        start(worker)
    while state.heap:
        finish, worker, number = heapq.heappop(state.heap)
        job = state.jobs.get(worker)
        if number >= 0 and (job is None or job.number != number):
            continue  # this job was cancelled
        if t_max is not None and finish > t_max:
            state.clock = t_max
            break
        state.clock = finish
        if number < 0:  # the worker is back
            del state.rejoins[worker]
            start(worker)
            continue
        del state.jobs[worker]
        if job.lost:  # the worker goes offline: it comes back later
            counters["lost"] += 1
            start(worker)
            continue
        counters["arrivals"] += 1
        delay = state.k - job.start_iteration
        used_before = counters["used"]
        rule(worker, job, delay)
        events.append(dict(time=finish, worker=worker, delay=delay, used=counters["used"] > used_before,
                           iteration=state.k, x=state.x.copy()))
        if max_updates is not None and state.k >= max_updates:
            break

    held = state.batch + [g for store in (state.table, state.buffer) for entries in store.values() for g in entries]
    used = counters["used"]
    assert used == len(evaluated)  # every rule uses what it evaluates
    result = {name: counters[name] for name in ("arrivals", "computed", "discarded", "cancelled", "lost", "max_delay",
                                                "used")}
    applied = sum(g.entered for g in evaluated)
    pending = sum(not g.entered for g in held)
    # Neither applied nor held: accepted, then dropped before any update (IA2SGD's warm-up replacements).
    overwritten = used - applied - pending
    result.update(applied=applied, pending=pending, overwritten=overwritten, updates=state.k, end_time=state.clock,
                  mean_delay=counters["delay_sum"] / used if used else 0.0)
    return NaiveRun(events, result, state.x, updates)


def _link_end(kind, start, base, scale, key, stream, worker, job):
    """When a step started at ``start`` ends: timing.random's formulas for links and shared slowdowns, left to right."""
    if kind == 1:  # half-normal
        return start + base + scale * abs(job_normal(key, stream, worker, job))
    if kind == 2:  # exponential
        return start + base - scale * np.log1p(-job_uniform(key, stream, worker, job))
    if kind == 3:  # log-normal
        return start + base * np.exp(scale * job_normal(key, stream, worker, job))
    return start + base


def job_finish(timing_data, key, worker, job, start):
    """Arrival of a job sent at ``start``: with communication, download, then compute from then, then upload."""
    if isinstance(timing_data, CorrelatedData):  # one draw for all workers: by job index or by window of starts
        shared = job if timing_data.window == 0.0 else int(np.floor(start / timing_data.window))
        return _link_end(timing_data.kind, start, timing_data.base[worker], timing_data.scale[worker], key,
                         STREAM_SLOWDOWN, 0, shared)
    if isinstance(timing_data, AvailableData):  # the compute model's time; the run cuts it short at a drop
        return job_finish(timing_data.compute, key, worker, job, start)
    if not isinstance(timing_data, CommunicatingData):
        return finish_time(timing_data, key, worker, job, start)
    received = _link_end(timing_data.download_kind, start, timing_data.download_base[worker],
                         timing_data.download_scale[worker], key, STREAM_DOWNLOAD, worker, job)
    computed = job_finish(timing_data.compute, key, worker, job, received)
    return _link_end(timing_data.upload_kind, computed, timing_data.upload_base[worker],
                     timing_data.upload_scale[worker], key, STREAM_UPLOAD, worker, job)


def _dense_rows(data, rows, columns):
    """The stored feature matrix (dense or CSR) as a dense numpy array."""
    if data.dense.size:
        return np.array(data.dense, dtype=float)
    matrix = np.zeros((rows, columns))
    for row in range(rows):
        for entry in range(data.csr_indptr[row], data.csr_indptr[row + 1]):
            matrix[row, data.csr_indices[entry]] += data.csr_data[entry]
    return matrix


def _dense_matrix(problem):
    """The problem's A as a dense numpy array, read from its stored arrays."""
    data = problem.data()
    storage = problem.storage()
    if storage == "dense":
        return np.array(data.dense, dtype=float)
    if storage == "csr":
        return _dense_rows(data, problem.d, problem.d)
    bands = data.bands  # bands[0, i + 1] = A[i, i + 1], bands[1] = diagonal, bands[2, i] = A[i + 1, i]
    return np.diag(bands[1]) + np.diag(bands[0, 1:], 1) + np.diag(bands[2, :-1], -1)


def assert_same_run(result, reference):
    """The engine's run (``Result`` with an iterate trace) equals the reference run, event by event."""
    trace = result.trace
    assert trace is not None and len(reference.events) > 0
    assert trace["time"].size == len(reference.events)
    np.testing.assert_array_equal(trace["time"], reference.column("time"))
    np.testing.assert_array_equal(trace["worker"], reference.column("worker"))
    np.testing.assert_array_equal(trace["delay"], reference.column("delay"))
    np.testing.assert_array_equal(trace["used"], reference.column("used"))
    np.testing.assert_array_equal(trace["iteration"], reference.column("iteration"))
    np.testing.assert_allclose(trace["x"], np.array(reference.column("x")), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(result.x, reference.x, rtol=TOL, atol=TOL)
    counters, expected = result.counters, reference.counters
    for name in ("updates", "arrivals", "computed", "applied", "pending", "overwritten", "discarded", "cancelled",
                 "lost", "max_delay"):
        assert counters[name] == expected[name], name
    assert counters["wasted"] == expected["discarded"] + expected["cancelled"] + expected["lost"]
    assert counters["end_time"] == expected["end_time"]
    assert counters["mean_delay"] == pytest.approx(expected["mean_delay"], rel=1e-12)
