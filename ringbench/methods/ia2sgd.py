"""IA2SGD / DuDe-ASGD (Wang, Sun, Wai, Zhang, 2024), ``algorithms.md`` C.8.

The server keeps each worker's latest gradient and, on every arrival, replaces that
worker's entry and steps with the average of the table; only the arriving worker
gets the new iterate. Warm-up as in the papers' code [C] (``algorithms.md`` C.8, F.8):
no update until every worker has filled its entry (they keep computing on x^0
meanwhile), and the arrival that completes the table makes no update either: the
first update comes with the next arrival. ``update_on_fill=True`` steps on the
completing arrival instead (ringbench's earlier behaviour).
"""

from dataclasses import dataclass
from typing import NamedTuple

from .. import theory
from .._jit import kernel
from ..engine.actions import evaluate, restart, use
from ..engine.protocol import implements
from ..engine.tables import Tables, new_tables, replace_in_table, step_with_table
from .base import Configuration, Method, all_workers


class IA2SGDRule(NamedTuple):
    """IA2SGD's parameters and table as its rule sees them."""

    gamma: float  # stepsize
    update_on_fill: bool  # also step on the arrival that completes the table
    tables: Tables  # each worker's latest gradient


@implements("on_arrival", IA2SGDRule)
@kernel
def ia2sgd_on_arrival(rule, sim, problem, worker):
    """Replace the worker's table entry; step with the table average once the table is full."""
    evaluate(sim, problem, worker)
    use(sim, worker)
    tables = rule.tables
    was_full = tables.filled[0] == tables.counts.size
    replace_in_table(tables, worker, sim.gradient)
    if was_full or rule.update_on_fill and tables.filled[0] == tables.counts.size:
        step_with_table(sim, tables, rule.gamma)
    restart(sim, worker)


@dataclass(frozen=True, kw_only=True)
class IA2SGD(Method):
    """IA2SGD.

    Parameters
    ----------
    gamma : float, optional
        Stepsize. Theory mode: the spec gives none; ringbench uses vanilla ASGD's
        min{1/(2nL), eps/(4L sigma^2)} [R: ringbench's choice].
    update_on_fill : bool, default False
        Step already on the arrival that completes the table (the authors' code [C]
        does not: the default).
    eps : float, optional
        Theory-mode target.
    """

    name = "ia2sgd"
    needs_split = True  # its table of per-worker gradients balances workers with their own f_i
    update_on_fill: bool = False

    def __post_init__(self):
        super().__post_init__()
        self._check_flag("update_on_fill")

    def configure(self, problem, timing):
        active = all_workers(timing)
        if self.gamma is None:
            self._theory(problem, "L", "sigma2")
        gamma = self.gamma or theory.stepsize_asgd(problem.L, problem.sigma2, self.eps, active.size)
        rule = IA2SGDRule(gamma=float(gamma), update_on_fill=self.update_on_fill,
                          tables=new_tables(active.size, problem.d))
        return Configuration(rule, active, active.size, {"gamma": gamma, "update_on_fill": self.update_on_fill})
