"""Rennala SGD (Tyurin & Richtarik, 2023; Ringmaster's Algorithm 2).

Collects S gradients computed on the current iterate, then steps with their mean.
Two variants of what happens to jobs still running on an older iterate: with
``stops`` (the default, as in the papers' code) every worker is restarted on the new
iterate at each update; without, they finish and their stale gradients are
discarded on arrival (the original algorithm, where the worker that delivers the
S-th gradient has already been sent x^k again).
"""

from dataclasses import dataclass

from .. import theory
from .._jit import kernel
from ..engine.actions import collect, delay_of, discard, evaluate, restart, restart_all, step_with_batch, use
from . import ids
from .base import Configuration, Method, all_workers


@kernel
def rennala_on_arrival(sim, worker):
    """Collect fresh gradients; step with their mean once S are in."""
    if delay_of(sim, worker) > 0:  # computed on an older iterate: reachable only without stops
        discard(sim, worker)
        restart(sim, worker)
        return
    evaluate(sim, worker)
    collect(sim)
    use(sim, worker)
    if sim.batch_size[0] < sim.rule.batch:
        restart(sim, worker)
    elif sim.rule.stops:
        step_with_batch(sim, sim.rule.gamma)
        restart_all(sim)
    else:
        restart(sim, worker)
        step_with_batch(sim, sim.rule.gamma)


@dataclass(frozen=True)
class Rennala(Method):
    """Rennala SGD.

    Parameters
    ----------
    gamma : float, optional
        Stepsize; theory mode: min{1/L, eps S/(2L sigma^2)}.
    batch : int, optional
        S >= 1, gradients per update (B in Ringmaster's plots). Theory mode:
        S = max{1, ceil(sigma^2 / eps)}.
    stops : bool, default True
        Restart every worker on each new iterate, instead of discarding stale results.
    eps : float, optional
        Theory-mode target.
    """

    name = "rennala"
    batch: int = None
    stops: bool = True

    def __post_init__(self):
        super().__post_init__()
        self._check_count("batch", "batch size (S)")
        self._check_flag("stops")

    def configure(self, problem, timing):
        S = self.batch or theory.batch_size(problem.sigma2, self.eps)
        gamma = self.gamma or theory.stepsize_rennala(problem.L, problem.sigma2, self.eps, S)
        rule = self._rule(ids.RENNALA, gamma, batch=S, stops=self.stops)
        # Only gradients on the current iterate are used: no snapshots.
        return Configuration(rule, all_workers(timing), 0, {"gamma": gamma, "S": S, "stops": self.stops})
