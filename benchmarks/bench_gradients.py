"""The stochastic-gradient oracle the engine calls once per used job, per problem and storage.

A timed call evaluates a batch of stochastic gradients (worker k mod 64, job k) at a
fixed seeded point with the kernel the event loop calls: since the plug-in architecture
``ringbench.engine.protocol.stochastic_gradient``, whose problem data carry their own
workspace; before it ``ringbench.problems.kernels.stochastic_gradient``, with a
``samples`` workspace argument (both are here, so the two can be compared). Each
problem's batch is sized so a call lasts milliseconds. The batch loop is jitted here and
not cached on disk (numba's cache would only watch this file and could serve a loop
linked to an older oracle);
``setup`` compiles it once per process. Nothing a call writes is read by the next.
"""

import functools
import inspect

import numba
import numpy as np

from ringbench.engine.rng import key_from_seed

from . import common

try:
    from ringbench.engine.protocol import stochastic_gradient as _oracle
    _WORKSPACE_ARGUMENT = False
except ImportError:  # before the plug-in architecture
    from ringbench.problems.kernels import stochastic_gradient as _oracle
    _WORKSPACE_ARGUMENT = True

#: Problem builders, and the gradients per timed call (about 10 ms a call).
PROBLEMS = {
    "quadratic-tridiagonal": (lambda: common.worst_case_quadratic(common.PAPER_D), 10_000),
    "quadratic-dense": (lambda: common.dense_quadratic(1_000), 50),
    "quadratic-csr": (lambda: common.csr_quadratic(100), 200),
    "logistic-dense": (lambda: common.logistic_problem("dense"), 1_000),
    "logistic-csr": (lambda: common.logistic_problem("csr"), 2_000),
}
_WORKERS = 64


if _WORKSPACE_ARGUMENT:
    @numba.njit(nogil=True)
    def _gradients(problem, key, point, count, samples, out):
        for k in range(count):
            _oracle(problem, key, point, k % _WORKERS, k, samples, out)
else:
    @numba.njit(nogil=True)
    def _gradients(problem, key, point, count, samples, out):
        for k in range(count):
            _oracle(problem, key, point, k % _WORKERS, k, out)


@functools.cache
def _compile():
    problem = common.worst_case_quadratic(4).data()
    _gradients(problem, key_from_seed(np.random.SeedSequence(0)), np.ones(4), 1, np.zeros(0, dtype=np.int64),
               np.zeros(4))


class StochasticGradient:
    """CPU time (common.TIMER) of a batch of stochastic gradients."""

    timer = common.TIMER

    params = list(PROBLEMS)
    param_names = ["problem"]

    def setup(self, problem):
        if _WORKSPACE_ARGUMENT and "samples" not in inspect.signature(_oracle.py_func).parameters:
            raise NotImplementedError("this commit's gradient oracle predates the minibatch workspace argument")
        build, self.count = PROBLEMS[problem]
        built = build()
        _compile()
        self.data = built.data()
        self.key = key_from_seed(np.random.SeedSequence(0))
        self.point = np.random.default_rng(3).standard_normal(built.d) / np.sqrt(built.d)
        self.samples = np.zeros(getattr(self.data, "batch", 0), dtype=np.int64)
        self.out = np.empty(built.d)

    def time_batch(self, problem):
        _gradients(self.data, self.key, self.point, self.count, self.samples, self.out)
