"""Naive minibatch SGD: synchronous rounds in which every worker computes one gradient.

Each worker computes one gradient on x^k and waits; when all n have arrived the
server steps with their mean and restarts everyone. A round lasts as long as its
slowest job.
"""

from dataclasses import dataclass

from .. import theory
from .._jit import kernel
from ..engine.actions import collect, evaluate, make_idle, restart_all, step_with_batch, use
from . import ids
from .base import Configuration, Method, all_workers


@kernel
def minibatch_on_arrival(sim, worker):
    """Collect the gradient and idle the worker; step and restart all once every worker is in."""
    evaluate(sim, worker)
    collect(sim)
    use(sim, worker)
    if sim.batch_size[0] < sim.active.size:
        make_idle(sim, worker)
        return
    step_with_batch(sim, sim.rule.gamma)
    restart_all(sim)


@dataclass(frozen=True)
class Minibatch(Method):
    """Naive minibatch SGD over all n workers.

    Theory mode: gamma = min{1/L, eps n/(2L sigma^2)} (Rennala's stepsize with S = n).
    """

    name = "minibatch"

    def configure(self, problem, timing):
        active = all_workers(timing)
        gamma = self.gamma or theory.stepsize_rennala(problem.L, problem.sigma2, self.eps, active.size)
        rule = self._rule(ids.MINIBATCH, gamma, batch=active.size)
        return Configuration(rule, active, 0, {"gamma": gamma})
