"""Ringmaster ASGD (Maranjyan, Tyurin, Richtarik, ICML 2025), Algorithms 4 and 5.

A gradient is applied only if its delay is below the threshold R. With calculation
stops (Algorithm 5, the default, as in the papers' code) a job is cancelled and
restarted on the newest iterate the moment its delay reaches R, so applied delays
are at most R - 1 and stale work is cut short; without stops (Algorithm 4) such a job
runs to the end and is then discarded. Either way only the last R iterates are ever
needed: memory O(min(R, n) d + n).
"""

from dataclasses import dataclass

from .. import theory
from .._jit import kernel
from ..engine.actions import delay_of, discard, drop_started_before, evaluate, restart, step, use
from . import ids
from .base import Configuration, Method, all_workers


@kernel
def ringmaster_on_arrival(sim, worker):
    """Apply the gradient if its delay is below R, else discard it; then enforce the threshold."""
    threshold = sim.rule.threshold
    if delay_of(sim, worker) >= threshold:  # reachable only without stops
        discard(sim, worker)
        restart(sim, worker)
        return
    evaluate(sim, worker)
    use(sim, worker)
    step(sim, sim.gradient, sim.rule.gamma)
    restart(sim, worker)
    drop_started_before(sim, sim.iteration[0] - threshold + 1, sim.rule.stops)


@dataclass(frozen=True)
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
        R = self.threshold or theory.threshold(problem.sigma2, self.eps)
        gamma = self.gamma or theory.stepsize_ringmaster(problem.L, problem.sigma2, self.eps, R)
        active = all_workers(timing)
        rule = self._rule(ids.RINGMASTER, gamma, threshold=R, stops=self.stops)
        # Live jobs started on at most R distinct iterates, plus the one being created.
        capacity = min(R + 1, active.size)
        return Configuration(rule, active, capacity, {"gamma": gamma, "R": R, "stops": self.stops})
