"""Malenia SGD (Tyurin & Richtarik, 2023), ``algorithms.md`` C.7: synchronous rounds, balanced per worker.

Every worker computes on x^k; the server keeps each worker's running mean G_i / B_i
and steps with 1/n sum_i G_i / B_i once the harmonic mean of the counts reaches S/n
(which needs every B_i >= 1). S = n, the default, is the papers' experiments' rule
"every worker has at least one gradient". As for Rennala, ``stops`` restarts every
worker on the new iterate; without, stale results are discarded on arrival.
"""

from dataclasses import dataclass
from typing import NamedTuple

from .. import theory
from .._jit import kernel
from ..engine.actions import delay_of, discard, evaluate, restart, restart_all, use
from ..engine.protocol import implements
from ..engine.tables import Tables, add_to_table, clear_table, harmonic_mean_reaches, new_tables, step_with_table
from .base import Configuration, Method, all_workers


class MaleniaRule(NamedTuple):
    """Malenia's parameters and table as its rule sees them."""

    gamma: float  # stepsize
    S: int  # a round ends when the harmonic mean of the counts reaches S / n
    stops: bool  # restart every worker on each new iterate
    tables: Tables  # per-worker running means of this round's gradients


@implements("on_arrival", MaleniaRule)
@kernel
def malenia_on_arrival(rule, sim, problem, worker):
    """Collect fresh gradients per worker; step with their balanced mean once the round is full."""
    if delay_of(sim, worker) > 0:  # computed on an older iterate: reachable only without stops
        discard(sim, worker)
        restart(sim, worker)
        return
    evaluate(sim, problem, worker)
    use(sim, worker)
    tables = rule.tables
    add_to_table(tables, worker, sim.gradient)
    if not harmonic_mean_reaches(tables, rule.S / tables.counts.size):
        restart(sim, worker)
    elif rule.stops:
        step_with_table(sim, tables, rule.gamma)
        clear_table(tables)
        restart_all(sim)
    else:
        restart(sim, worker)
        step_with_table(sim, tables, rule.gamma)
        clear_table(tables)


@dataclass(frozen=True, kw_only=True)
class Malenia(Method):
    """Malenia SGD.

    Parameters
    ----------
    gamma : float, optional
        Stepsize. Theory mode: min{1/(2L), eps S/(4 L sigma^2)} [R].
    S : int, optional
        A round ends when (1/n sum_i 1/B_i)^{-1} >= S/n. Default n (every worker
        has a gradient: the papers' experiments); theory mode max{ceil(sigma^2/eps), n}.
    stops : bool, default True
        Restart every worker on each new iterate, instead of discarding stale results.
        Without stops, as in the spec's pseudocode (C.7), the worker whose gradient
        completes the update restarts on x^k, before the step: its next result is stale
        and discarded, so a round costs up to twice as long as with stops.
    eps : float, optional
        Theory-mode target.
    """

    name = "malenia"
    needs_split = True  # one gradient of every worker per round: meant for per-worker f_i
    S: int = None
    stops: bool = True

    def __post_init__(self):
        super().__post_init__()
        if self.S is not None:
            self._check_count("S", "batch size S")
        self._check_flag("stops")

    def configure(self, problem, timing):
        active = all_workers(timing)
        n = active.size
        if self.S is not None:
            S = self.S
        elif self.eps is not None:
            self._theory(problem, "sigma2")
            S = max(theory.batch_size(problem.sigma2, self.eps), n)
        else:
            S = n
        if self.gamma is None:
            self._theory(problem, "L", "sigma2")
        gamma = self.gamma or theory.stepsize_malenia(problem.L, problem.sigma2, self.eps, S)
        rule = MaleniaRule(gamma=float(gamma), S=int(S), stops=self.stops, tables=new_tables(n, problem.d))
        return Configuration(rule, active, 0, {"gamma": gamma, "S": S, "stops": self.stops})
