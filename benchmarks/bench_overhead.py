"""The engine's overhead: CPU time per applied update over the bare arithmetic of an update.

On the paper's setting (worst-case quadratic, d = 1729, scalar noise; n = 6174 workers
with the paper's random timing), one measurement interleaves, :data:`ROUNDS` times,

* the engine: a :func:`ringbench.simulate` run of :data:`UPDATES` applied updates;
* the bare arithmetic: a tight jitted loop doing, per update, one stochastic gradient
  of the same problem (``ringbench.engine.protocol.stochastic_gradient``) and
  x -= gamma g, as many times as the engine applied updates;
* the stale-point arithmetic: the same loop with the gradient evaluated at a copy of x
  from n updates ago, kept in an n-row pool, and x written back into the row read,
  the memory traffic any simulator of n stale workers pays (about 85 MB here);

and compares the best time of each. ``track_overhead_ratio`` is engine / bare (the
issue's measure; ASGD's was 2.8-3.0), ``track_stale_overhead_ratio`` engine / stale,
what the engine costs beyond that unavoidable traffic. For Ringmaster an applied
update also cancels about n / R jobs, each with a duration draw and a heap update:
part of the algorithm, not overhead, so its ratio is higher by design.
Side by side in one process, the ratios hold on a shared machine where absolute times
do not.
"""

import functools

import numpy as np

import ringbench

from . import common

#: Applied updates of each engine run (ASGD: about 0.1 s).
UPDATES = 50_000
#: Interleaved repetitions; the best of each is compared.
ROUNDS = 5


@functools.cache
def _reference_loops():
    """The bare and stale-point loops, jitted on first use (never cached: they inline ringbench's kernels)."""
    import numba

    try:
        from ringbench.engine.protocol import stochastic_gradient
    except ImportError:
        raise NotImplementedError("engine.protocol.stochastic_gradient does not exist at this commit") from None

    @numba.njit(nogil=True)
    def bare(problem, key, x, gradient, gamma, iterations, n_workers):
        for k in range(iterations):
            stochastic_gradient(problem, key, x, k % n_workers, k // n_workers, gradient)
            for i in range(x.size):
                x[i] -= gamma * gradient[i]

    @numba.njit(nogil=True)
    def stale(problem, key, x, gradient, gamma, iterations, n_workers, pool):
        rows = pool.shape[0]
        for k in range(iterations):
            row = pool[k % rows]
            stochastic_gradient(problem, key, row, k % n_workers, k // n_workers, gradient)
            for i in range(x.size):
                x[i] -= gamma * gradient[i]
            for i in range(x.size):
                row[i] = x[i]

    return bare, stale


class EngineOverhead:
    """Engine CPU time per applied update over the bare (and the stale-point) arithmetic, per method."""

    params = (["asgd", "delay-adaptive-asgd", "ringmaster"],)
    param_names = ["method"]
    timeout = 300

    def setup(self, method):
        from ringbench.engine.rng import key_from_seed

        common.warm_up()
        self.method = common.method(method)
        self.problem = common.worst_case_quadratic(common.PAPER_D)
        self.timing = common.timing_model("random", common.PAPER_N)
        self.key = key_from_seed(np.random.SeedSequence(0))
        self.bare, self.stale = _reference_loops()
        self.gamma = 5.0**-5  # the arithmetic is the same for every stepsize; this one never overflows
        x, gradient = self.problem.x0.copy(), np.zeros(self.problem.d)
        self.bare(self.problem.data(), self.key, x, gradient, self.gamma, 2, 4)  # compile, untimed
        self.stale(self.problem.data(), self.key, x, gradient, self.gamma, 2, 4, np.zeros((2, self.problem.d)))

    def _engine(self):
        started = common.TIMER()
        result = ringbench.simulate(self.problem, self.method, self.timing, max_updates=UPDATES, seed=0)
        elapsed = common.TIMER() - started
        if result.status != "update_budget":
            raise RuntimeError(f"{self.method.name} ended with status {result.status!r}, not 'update_budget'")
        return elapsed, result.counters["updates"]

    def _arithmetic(self, updates, pooled):
        x, gradient = self.problem.x0.copy(), np.zeros(self.problem.d)
        if pooled:
            pool = np.tile(self.problem.x0, (self.timing.n, 1))  # touched here, so no page faults are timed
            started = common.TIMER()
            self.stale(self.problem.data(), self.key, x, gradient, self.gamma, updates, self.timing.n, pool)
        else:
            started = common.TIMER()
            self.bare(self.problem.data(), self.key, x, gradient, self.gamma, updates, self.timing.n)
        return common.TIMER() - started

    def _best_times(self):
        """Best seconds per update of the engine, the bare and the stale-point arithmetic, interleaved."""
        engine, bare, stale = [], [], []
        for _ in range(ROUNDS):
            seconds, updates = self._engine()
            engine.append(seconds / updates)
            bare.append(self._arithmetic(updates, pooled=False) / updates)
            stale.append(self._arithmetic(updates, pooled=True) / updates)
        return min(engine), min(bare), min(stale)

    def track_overhead_ratio(self, method):
        engine, bare, _ = self._best_times()
        return engine / bare

    track_overhead_ratio.unit = "engine / bare arithmetic"

    def track_stale_overhead_ratio(self, method):
        engine, _, stale = self._best_times()
        return engine / stale

    track_stale_overhead_ratio.unit = "engine / stale-point arithmetic"
