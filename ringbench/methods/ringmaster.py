"""Ringmaster ASGD (Maranjyan, Tyurin, Richtarik, ICML 2025), Algorithms 4 and 5.

A gradient is applied only if its delay is below the threshold R. With calculation
stops (Algorithm 5, the default, as in the papers' code) a job is cancelled and
restarted on the newest iterate the moment its delay reaches R, so applied delays
are at most R - 1 and stale work is cut short; without stops (Algorithm 4) such a job
runs to the end and is then discarded. Either way only the last R iterates are ever
needed: memory O(min(R, n) d + n).
"""

from dataclasses import dataclass
from typing import NamedTuple

from .. import theory
from .._jit import kernel
from ..engine.actions import delay_of, discard, drop_started_before, evaluate, restart, step, use
from ..engine.protocol import implements
from .base import Configuration, Method, all_workers


class RingmasterRule(NamedTuple):
    """Ringmaster's parameters as its rule sees them."""

    gamma: float  # stepsize
    threshold: int  # R: gradients with delay >= R are never applied
    stops: bool  # cancel jobs whose delay reaches R (Algorithm 5)


@implements("on_arrival", RingmasterRule)
@kernel
def ringmaster_on_arrival(rule, sim, problem, worker):
    """Apply the gradient if its delay is below R, else discard it; then enforce the threshold."""
    if delay_of(sim, worker) >= rule.threshold:  # reachable only without stops
        discard(sim, worker)
        restart(sim, worker)
        return
    evaluate(sim, problem, worker)
    use(sim, worker)
    step(sim, sim.gradient, rule.gamma)
    restart(sim, worker)
    drop_started_before(sim, sim.iteration[0] - rule.threshold + 1, rule.stops)


@dataclass(frozen=True, kw_only=True)
class Ringmaster(Method):
    """Ringmaster ASGD.

    Parameters
    ----------
    gamma : float, optional
        Stepsize; theory mode: min{1/(2RL), eps/(4L sigma^2)} [R].
    threshold : int, optional
        R >= 1: gradients with delay >= R are never applied. Theory mode:
        R = max{1, ceil(sigma^2 / eps)}.
    stops : bool, default True
        Cancel jobs whose delay reaches R (Algorithm 5) instead of letting them
        finish and discarding them (Algorithm 4).
    eps : float, optional
        Theory-mode target.
    """

    name = "ringmaster"
    threshold: int = None
    stops: bool = True

    def __post_init__(self):
        super().__post_init__()
        self._check_count("threshold", "threshold (R)")
        self._check_flag("stops")

    def configure(self, problem, timing):
        if self.threshold is None:
            self._theory(problem, "sigma2")
        R = self.threshold or theory.threshold(problem.sigma2, self.eps)
        if self.gamma is None:
            self._theory(problem, "L", "sigma2")
        gamma = self.gamma or theory.stepsize_ringmaster(problem.L, problem.sigma2, self.eps, R)
        active = all_workers(timing)
        rule = RingmasterRule(gamma=float(gamma), threshold=int(R), stops=self.stops)
        # Live jobs started on at most R distinct iterates, plus the one being created.
        capacity = min(R + 1, active.size)
        return Configuration(rule, active, capacity, {"gamma": gamma, "R": R, "stops": self.stops})
