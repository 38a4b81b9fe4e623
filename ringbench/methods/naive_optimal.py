"""Naive Optimal ASGD (Ringmaster's Algorithm 3): ASGD on the m* fastest workers only.

m* = argmin_m (m + sigma^2/eps) / sum_{i<=m} 1/tau_i needs the compute times and
sigma^2/eps in advance, so ``eps`` is required. Optimal under fixed speeds, not
robust when speeds change.
"""

from dataclasses import dataclass

from .. import theory
from .asgd import ASGD
from .base import fastest_workers


@dataclass(frozen=True, kw_only=True)
class NaiveOptimalASGD(ASGD):
    """ASGD restricted to the m* fastest workers (by expected duration).

    Parameters
    ----------
    gamma : float, optional
        Stepsize; theory mode uses ASGD's with n = m*.
    eps : float
        Target used to choose m* (required).
    """

    name = "naive-optimal"

    def __post_init__(self):
        super().__post_init__()
        if self.eps is None:
            raise ValueError(f"{self.name}: give eps > 0, which chooses the number of workers m* (gamma alone "
                             "cannot)")

    def configure(self, problem, timing):
        self._theory(problem, "sigma2")
        m_star = theory.optimal_workers(timing.expected_durations(), problem.sigma2, self.eps)
        configuration = self._configure_on(problem, fastest_workers(timing, m_star))
        return configuration._replace(parameters={**configuration.parameters, "m_star": m_star})
