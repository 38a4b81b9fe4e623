"""IA2SGD / DuDe-ASGD (Wang, Sun, Wai, Zhang, 2024), ``algorithms.md`` C.8.

The server keeps each worker's latest gradient and, on every arrival, replaces that
worker's entry and steps with the average of the table; only the arriving worker
gets the new iterate. Warm-up as in the papers' code: no update until every worker
has filled its entry (they keep computing on x^0 meanwhile); the arrival that
completes the table makes the first update.
"""

from dataclasses import dataclass

from .. import theory
from .._jit import kernel
from ..engine.actions import evaluate, restart, step_with_table, use
from ..engine.tables import replace_in_table
from . import ids
from .base import Configuration, Method, all_workers


@kernel
def ia2sgd_on_arrival(sim, worker):
    """Replace the worker's table entry; step with the table average once the table is full."""
    evaluate(sim, worker)
    use(sim, worker)
    tables = sim.tables
    replace_in_table(tables, worker, sim.gradient)
    if tables.filled[0] == tables.counts.size:
        step_with_table(sim)
    restart(sim, worker)


@dataclass(frozen=True)
class IA2SGD(Method):
    """IA2SGD.

    Theory mode: the spec gives no stepsize; ringbench uses vanilla ASGD's
    min{1/(2nL), eps/(4L sigma^2)} [R: ringbench's choice].
    """

    name = "ia2sgd"

    def configure(self, problem, timing):
        active = all_workers(timing)
        gamma = self.gamma or theory.stepsize_asgd(problem.L, problem.sigma2, self.eps, active.size)
        return Configuration(self._rule(ids.IA2SGD, gamma), active, active.size, {"gamma": gamma},
                             table_rows=active.size)
