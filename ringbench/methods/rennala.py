"""Rennala SGD (Tyurin & Richtarik, 2023; Ringmaster's Algorithm 2).

Collects S gradients computed on the current iterate, then steps with their mean.
Two variants of what happens to jobs still running on an older iterate: with
``stops`` (the default, as in the papers' code) every worker is restarted on the new
iterate at each update; without, they finish and their stale gradients are
discarded on arrival (the original algorithm, where the worker that delivers the
S-th gradient has already been sent x^k again).
"""

from dataclasses import dataclass
from typing import NamedTuple

from .. import theory
from .._jit import kernel
from ..engine.actions import delay_of, discard, evaluate, restart, restart_all, use
from ..engine.batch import Batch, collect, new_batch, step_with_batch
from ..engine.protocol import implements
from .base import Configuration, Method, all_workers


class RennalaRule(NamedTuple):
    """Rennala's parameters and batch as its rule sees them."""

    gamma: float  # stepsize
    S: int  # gradients per update
    stops: bool  # restart every worker on each new iterate
    batch: Batch  # the fresh gradients collected so far


@implements("on_arrival", RennalaRule)
@kernel
def rennala_on_arrival(rule, sim, problem, worker):
    """Collect fresh gradients; step with their mean once S are in."""
    if delay_of(sim, worker) > 0:  # computed on an older iterate: reachable only without stops
        discard(sim, worker)
        restart(sim, worker)
        return
    evaluate(sim, problem, worker)
    collect(rule.batch, sim.gradient)
    use(sim, worker)
    if rule.batch.size[0] < rule.S:
        restart(sim, worker)
    elif rule.stops:
        step_with_batch(sim, rule.batch, rule.gamma)
        restart_all(sim)
    else:
        restart(sim, worker)
        step_with_batch(sim, rule.batch, rule.gamma)


@dataclass(frozen=True, kw_only=True)
class Rennala(Method):
    """Rennala SGD.

    Parameters
    ----------
    gamma : float, optional
        Stepsize; theory mode: min{1/L, eps S/(2L sigma^2)}.
    S : int, optional
        S >= 1, gradients per update (B in Ringmaster's plots). Theory mode:
        S = max{1, ceil(sigma^2 / eps)}.
    stops : bool, default True
        Restart every worker on each new iterate, instead of discarding stale results.
        Without stops, as in the spec's pseudocode (C.4), the worker whose gradient
        completes the update restarts on x^k, before the step: its next result is stale
        and discarded, so a round costs up to twice as long as with stops.
    eps : float, optional
        Theory-mode target.
    """

    name = "rennala"
    S: int = None
    stops: bool = True

    def __post_init__(self):
        super().__post_init__()
        self._check_count("S", "batch size S")
        self._check_flag("stops")

    def configure(self, problem, timing):
        if self.S is None:
            self._theory(problem, "sigma2")
        S = self.S or theory.batch_size(problem.sigma2, self.eps)
        if self.gamma is None:
            self._theory(problem, "L", "sigma2")
        gamma = self.gamma or theory.stepsize_rennala(problem.L, problem.sigma2, self.eps, S)
        rule = RennalaRule(gamma=float(gamma), S=int(S), stops=self.stops, batch=new_batch(problem.d))
        # Only gradients on the current iterate are used: no snapshots.
        return Configuration(rule, all_workers(timing), 0, {"gamma": gamma, "S": S, "stops": self.stops})
