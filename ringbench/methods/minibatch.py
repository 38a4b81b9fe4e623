"""Naive minibatch SGD: synchronous rounds in which every worker computes one gradient.

Each worker computes one gradient on x^k and waits; when all n have arrived the
server steps with their mean and restarts everyone. A round lasts as long as its
slowest job.
"""

from dataclasses import dataclass
from typing import NamedTuple

from .. import theory
from .._jit import kernel
from ..engine.actions import evaluate, make_idle, restart_all, use
from ..engine.batch import Batch, collect, new_batch, step_with_batch
from ..engine.protocol import implements
from .base import Configuration, Method, all_workers


class MinibatchRule(NamedTuple):
    """Minibatch SGD's parameters and batch as its rule sees them."""

    gamma: float  # stepsize
    batch: Batch  # this round's gradients


@implements("on_arrival", MinibatchRule)
@kernel
def minibatch_on_arrival(rule, sim, problem, worker):
    """Collect the gradient and idle the worker; step and restart all once every worker is in."""
    evaluate(sim, problem, worker)
    collect(rule.batch, sim.gradient)
    use(sim, worker)
    if rule.batch.size[0] < sim.active.size:
        make_idle(sim, worker)
        return
    step_with_batch(sim, rule.batch, rule.gamma)
    restart_all(sim)


@dataclass(frozen=True, kw_only=True)
class Minibatch(Method):
    """Naive minibatch SGD over all n workers.

    Theory mode: gamma = min{1/L, eps n/(2L sigma^2)} (Rennala's stepsize with S = n).
    """

    name = "minibatch"

    def configure(self, problem, timing):
        active = all_workers(timing)
        if self.gamma is None:
            self._theory(problem, "L", "sigma2")
        gamma = self.gamma or theory.stepsize_rennala(problem.L, problem.sigma2, self.eps, active.size)
        rule = MinibatchRule(gamma=float(gamma), batch=new_batch(problem.d))
        return Configuration(rule, active, 0, {"gamma": gamma})
