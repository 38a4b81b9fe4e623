"""Hero SGD: plain SGD on the fastest worker alone; the others stay idle.

The m = 1 term of the optimal time complexity, a cheap sanity baseline. "Fastest"
means the smallest expected duration under the timing model.
"""

from dataclasses import dataclass

from .. import theory
from .asgd import ASGD
from .base import fastest_workers


@dataclass(frozen=True, kw_only=True)
class Hero(ASGD):
    """SGD on the fastest worker only (ASGD's rule with one active worker, so every delay is 0).

    Theory mode: gamma = min{1/L, eps/(2L sigma^2)}.
    """

    name = "hero"

    def _theory_gamma(self, problem, n_workers):
        return theory.stepsize_sgd(problem.L, problem.sigma2, self.eps)

    def configure(self, problem, timing):
        return self._configure_on(problem, fastest_workers(timing, 1))
