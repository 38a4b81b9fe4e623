"""Asynchronous SGD (Ringmaster's Algorithm 1), vanilla and delay-adaptive.

Every arriving gradient is applied at once, whatever its delay, and the worker
restarts on the new iterate. Delay-adaptive ASGD (Mishchenko et al., 2022, as in the
papers' code) scales the stepsize by min{1, n / delay}.
"""

from dataclasses import dataclass
from typing import NamedTuple

from .. import theory
from .._jit import kernel
from ..engine.actions import apply_arriving, delay_of, restart, use
from ..engine.protocol import implements
from .base import Configuration, Method, all_workers


class ASGDRule(NamedTuple):
    """ASGD's parameters as its rule sees them."""

    gamma: float  # stepsize
    delay_adaptive: bool  # scale gamma by min(1, n / delay)


@implements("on_arrival", ASGDRule)
@kernel
def asgd_on_arrival(rule, sim, problem, worker):
    """Apply the arriving gradient, with gamma * min(1, n / delay) if delay-adaptive."""
    delay = delay_of(sim, worker)
    use(sim, worker)
    stepsize = rule.gamma
    n_workers = sim.active.size
    if rule.delay_adaptive and delay > n_workers:
        stepsize *= n_workers / delay
    apply_arriving(sim, problem, worker, stepsize)
    restart(sim, worker)


@dataclass(frozen=True, kw_only=True)
class ASGD(Method):
    """Vanilla asynchronous SGD with constant stepsize gamma.

    Theory mode: gamma = min{1/(2nL), eps/(4L sigma^2)} [R].
    """

    name = "asgd"
    delay_adaptive = False

    def _theory_gamma(self, problem, n_workers):
        return theory.stepsize_asgd(problem.L, problem.sigma2, self.eps, n_workers)

    def _configure_on(self, problem, active):
        if self.gamma is None:
            self._theory(problem, "L", "sigma2")
        gamma = self.gamma or self._theory_gamma(problem, active.size)
        rule = ASGDRule(gamma=float(gamma), delay_adaptive=self.delay_adaptive)
        # Each busy worker can hold a distinct stale iterate.
        return Configuration(rule, active, active.size, {"gamma": gamma, "workers": int(active.size)},
                             gradients_at_start=True)

    def configure(self, problem, timing):
        return self._configure_on(problem, all_workers(timing))


@dataclass(frozen=True, kw_only=True)
class DelayAdaptiveASGD(ASGD):
    """Delay-adaptive ASGD: stepsize gamma * min{1, n / delay}.

    Theory mode uses the vanilla ASGD stepsize as the base gamma.
    """

    name = "delay-adaptive-asgd"
    delay_adaptive = True
