"""Kernels behind :mod:`ringbench.oracles`: one job's finish time and stochastic gradient, outside the loop."""

from .._jit import kernel
from .protocol import finish_time, stochastic_gradient


@kernel
def job_finish_time(timing, key, worker, job, start):
    """The finish time the loop draws for ``worker``'s job ``job`` started at ``start``."""
    return finish_time(timing, key, worker, job, start)


@kernel
def job_gradient(problem, key, point, worker, job, out):
    """The stochastic gradient the loop evaluates for ``worker``'s job ``job`` at ``point``, into ``out``."""
    stochastic_gradient(problem, key, point, worker, job, out)
