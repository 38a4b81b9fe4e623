"""Malenia SGD (Tyurin & Richtarik, 2023), ``algorithms.md`` C.7: synchronous rounds, balanced per worker.

Every worker computes on x^k; the server keeps each worker's running mean G_i / B_i
and steps with 1/n sum_i G_i / B_i once the harmonic mean of the counts reaches S/n
(which needs every B_i >= 1). S = n, the default, is the papers' experiments' rule
"every worker has at least one gradient". As for Rennala, ``stops`` restarts every
worker on the new iterate; without, stale results are discarded on arrival.
"""

from dataclasses import dataclass

from .. import theory
from .._jit import kernel
from ..engine.actions import delay_of, discard, evaluate, restart, restart_all, step_with_table, use
from ..engine.tables import add_to_table, clear_table, harmonic_mean_reaches
from . import ids
from .base import Configuration, Method, all_workers


@kernel
def malenia_on_arrival(sim, worker):
    """Collect fresh gradients per worker; step with their balanced mean once the round is full."""
    if delay_of(sim, worker) > 0:  # computed on an older iterate: reachable only without stops
        discard(sim, worker)
        restart(sim, worker)
        return
    evaluate(sim, worker)
    use(sim, worker)
    tables = sim.tables
    add_to_table(tables, worker, sim.gradient)
    if not harmonic_mean_reaches(tables, sim.rule.batch / tables.counts.size):
        restart(sim, worker)
    elif sim.rule.stops:
        step_with_table(sim)
        clear_table(tables)
        restart_all(sim)
    else:
        restart(sim, worker)
        step_with_table(sim)
        clear_table(tables)


@dataclass(frozen=True)
class Malenia(Method):
    """Malenia SGD.

    Parameters
    ----------
    gamma : float, optional
        Stepsize. Theory mode: min{1/(2L), eps S/(4 L sigma^2)} [R].
    batch : int, optional
        S: a round ends when (1/n sum_i 1/B_i)^{-1} >= S/n. Default n (every worker
        has a gradient: the papers' experiments); theory mode max{ceil(sigma^2/eps), n}.
    stops : bool, default True
        Restart every worker on each new iterate, instead of discarding stale results.
    eps : float, optional
        Theory-mode target.
    """

    name = "malenia"
    batch: int = None
    stops: bool = True

    def __post_init__(self):
        super().__post_init__()
        if self.batch is not None:
            self._check_count("batch", "batch (S)")
        self._check_flag("stops")

    def configure(self, problem, timing):
        active = all_workers(timing)
        n = active.size
        if self.batch is not None:
            S = self.batch
        elif self.eps is not None:
            S = max(theory.batch_size(problem.sigma2, self.eps), n)
        else:
            S = n
        gamma = self.gamma or theory.stepsize_malenia(problem.L, problem.sigma2, self.eps, S)
        rule = self._rule(ids.MALENIA, gamma, batch=S, stops=self.stops)
        return Configuration(rule, active, 0, {"gamma": gamma, "S": S, "stops": self.stops}, table_rows=n)
