"""IA2SGD / DuDe-ASGD (Wang, Sun, Wai, Zhang, 2024), ``algorithms.md`` C.8.

The server keeps each worker's latest gradient and, on every arrival, replaces that
worker's entry and steps with the average of the table; only the arriving worker
gets the new iterate. Warm-up as in the papers' code: no update until every worker
has filled its entry (they keep computing on x^0 meanwhile); the arrival that
completes the table makes the first update.
"""

from dataclasses import dataclass
from typing import NamedTuple

from .. import theory
from .._jit import kernel
from ..engine.actions import evaluate, restart, use
from ..engine.protocol import implements
from ..engine.tables import Tables, new_tables, replace_in_table, step_with_table
from .base import Configuration, Method, TableHolder, all_workers


class IA2SGDRule(NamedTuple):
    """IA2SGD's parameters and table as its rule sees them."""

    gamma: float  # stepsize
    tables: Tables  # each worker's latest gradient


@implements("on_arrival", IA2SGDRule)
@kernel
def ia2sgd_on_arrival(rule, sim, problem, worker):
    """Replace the worker's table entry; step with the table average once the table is full."""
    evaluate(sim, problem, worker)
    use(sim, worker)
    tables = rule.tables
    replace_in_table(tables, worker, sim.gradient)
    if tables.filled[0] == tables.counts.size:
        step_with_table(sim, tables, rule.gamma)
    restart(sim, worker)


@dataclass(frozen=True)
class IA2SGD(TableHolder, Method):
    """IA2SGD.

    Theory mode: the spec gives no stepsize; ringbench uses vanilla ASGD's
    min{1/(2nL), eps/(4L sigma^2)} [R: ringbench's choice].
    """

    name = "ia2sgd"

    def configure(self, problem, timing):
        active = all_workers(timing)
        if self.gamma is None:
            self._theory(problem, "L", "sigma2")
        gamma = self.gamma or theory.stepsize_asgd(problem.L, problem.sigma2, self.eps, active.size)
        rule = IA2SGDRule(gamma=float(gamma), tables=new_tables(active.size, problem.d))
        return Configuration(rule, active, active.size, {"gamma": gamma})
