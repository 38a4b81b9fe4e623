"""Ringleader ASGD (Maranjyan & Richtarik), ``algorithms.md`` C.9: optimal under data heterogeneity.

Rounds of two phases over a per-worker table of running means G_i / b_i:

1. collect, without updating, until every worker has a gradient in the table (or,
   with ``phase1_hm_target``, until the harmonic mean of the counts b_i reaches it);
   the arrival that closes phase 1 makes the round's first update;
2. give every other worker exactly one update, triggered by its next arrival; a
   worker that already had its update this round writes into the buffer instead.

Every update steps with the worker-balanced average 1/n sum_i G_i / b_i. After n
updates the buffer replaces the table. No gradient is discarded, no worker idles.
"""

from dataclasses import dataclass
from typing import NamedTuple

from .. import _validate, theory
from .._jit import kernel
from ..engine.actions import evaluate, restart, use
from ..engine.protocol import implements
from ..engine.tables import (
    Tables,
    add_to_buffer,
    add_to_table,
    harmonic_mean_reaches,
    new_tables,
    step_with_table,
    swap_in_buffer,
)
from .base import Configuration, Method, all_workers

COLLECT = 1
UPDATE_EACH = 2


class RingleaderRule(NamedTuple):
    """Ringleader's parameters, table and buffer as its rule sees them."""

    gamma: float  # stepsize
    phase1_target: float  # harmonic mean of the table counts that ends phase 1
    tables: Tables  # the table, its buffer, the set P and the phase


@kernel
def _update_for(rule, sim, worker):
    """Worker ``worker``'s update of the round; the round ends once nobody is owed one."""
    tables = rule.tables
    tables.owed[worker] = False
    tables.owed_count[0] -= 1
    step_with_table(sim, tables, rule.gamma)
    restart(sim, worker)
    if tables.owed_count[0] == 0:
        swap_in_buffer(sim, tables)
        tables.phase[0] = COLLECT


@implements("on_arrival", RingleaderRule)
@kernel
def ringleader_on_arrival(rule, sim, problem, worker):
    """Table, buffer or round change for the arriving gradient, as in C.9."""
    tables = rule.tables
    evaluate(sim, problem, worker)
    use(sim, worker)
    if tables.phase[0] == COLLECT:
        add_to_table(tables, worker, sim.gradient)
        if not harmonic_mean_reaches(tables, rule.phase1_target):
            restart(sim, worker)  # x has not moved: the worker keeps computing on it
            return
        tables.phase[0] = UPDATE_EACH
        for other in range(tables.owed.size):
            tables.owed[other] = True
        tables.owed_count[0] = tables.owed.size
        _update_for(rule, sim, worker)
    elif tables.owed[worker]:
        add_to_table(tables, worker, sim.gradient)
        _update_for(rule, sim, worker)
    else:
        add_to_buffer(sim, tables, worker, sim.gradient)
        restart(sim, worker)


@dataclass(frozen=True, kw_only=True)
class Ringleader(Method):
    """Ringleader ASGD.

    Parameters
    ----------
    gamma : float, optional
        Stepsize. Theory mode: min{1/(8nL), eps B/(10 L sigma^2)} with
        B = max{1, tau_n / (2 tau_avg)}, the paper's lower bound on the harmonic mean
        of the counts for fixed times [R-derived]; L is the problem's L_f, which
        Assumption 2's L equals for identical data and bounds from below otherwise.
    phase1_hm_target : float, default 1
        Phase 1 ends when (1/n sum_i 1/b_i)^{-1} reaches this (1: every worker has
        a gradient; the universal-model variant uses max{1, sigma^2/(n eps)}).
    eps : float, optional
        Theory-mode target.
    """

    name = "ringleader"
    needs_split = True  # its table of per-worker gradients balances workers with their own f_i
    phase1_hm_target: float = 1.0

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "phase1_hm_target",
                           _validate.real("phase1_hm_target", self.phase1_hm_target, minimum=1.0))

    def configure(self, problem, timing):
        active = all_workers(timing)
        n = active.size
        if self.gamma is None:
            self._theory(problem, "L", "sigma2")
            tau = timing.expected_durations()
            B = max(1.0, tau.max() / (2.0 * tau.mean()))
            gamma = theory.stepsize_ringleader(problem.L, problem.sigma2, self.eps, n, B)
        else:
            gamma = self.gamma
        rule = RingleaderRule(gamma=float(gamma), phase1_target=self.phase1_hm_target,
                              tables=new_tables(n, problem.d, buffer=True))
        return Configuration(rule, active, n, {"gamma": gamma, "phase1_hm_target": self.phase1_hm_target})
