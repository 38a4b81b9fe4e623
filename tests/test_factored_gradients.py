"""Gradients evaluated at job start, in factored form (Configuration.gradients_at_start, Problem.factor_size).

ASGD on a network's minibatch gradient evaluates each job when it starts and applies
it from its factors on arrival. These tests hold that path to the lazy one: the
descent from factors moves theta by exactly gradient-then-step, and a run gives the
same bits (iterates, checkpoints, counters, trace) as the same run with factoring off.
"""

import numpy as np
import pytest
from numba import njit

import ringbench as rb
from ringbench import extensions
from ringbench._jit import REORDER_MATH
from ringbench.engine.errors import RuleError
from ringbench.problems import MLP
from ringbench.problems import mlp_kernels as mk
from ringbench.timing import availability, fixed, profile

# Philox's uint64 arithmetic wraps around by design; only NumPy scalars (NUMBA_DISABLE_JIT=1) warn about it.
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")

INPUTS, CLASSES = 7, 3


@njit(fastmath=REORDER_MATH)
def _step(x, direction, scale):
    """The engine's step (actions.update): same loop, same floating-point options."""
    for i in range(x.size):
        x[i] -= scale * direction[i]


@pytest.mark.parametrize("hidden", [1, 3, 4, 6, 9])
@pytest.mark.parametrize("batch", [1, 3, 4, 5, 9])
def test_descent_from_factors_is_the_gradient_then_the_step_bit_for_bit(hidden, batch):
    rng = np.random.default_rng(hidden * 10 + batch)
    features, labels = rng.standard_normal((20, INPUTS)), rng.integers(CLASSES, size=20)
    theta = mk.init_parameters(INPUTS, hidden, CLASSES, 1)
    rows = rng.integers(20, size=batch)
    workspace = np.zeros(mk.workspace_size(INPUTS, hidden, CLASSES, batch))
    gradient = np.zeros(theta.size)
    mk.mlp_loss_gradient(theta, INPUTS, hidden, CLASSES, features, labels, rows, gradient, workspace)
    expected = theta.copy()
    _step(expected, gradient, 0.3)

    factors = np.full(mk.factor_size(hidden, CLASSES, batch), np.nan)
    mk.factor_loss_gradient(theta, INPUTS, hidden, CLASSES, features, labels, rows, np.zeros(theta.size), workspace,
                            factors)
    assert np.isfinite(factors).all()  # every entry written
    moved, drawn = theta.copy(), np.zeros(batch, dtype=np.int64)
    norm2 = mk.descend_factored(moved, INPUTS, hidden, features, factors, 0.3, drawn, np.full(theta.size, np.nan))
    assert np.array_equal(moved, expected) and np.array_equal(drawn, rows)
    assert norm2 == pytest.approx(gradient @ gradient, rel=1e-12)


def _network(batch=2, split=True, **options):
    rng = np.random.default_rng(5)
    features = rng.standard_normal((24, INPUTS))
    labels = np.arange(24) % CLASSES
    partition = [np.arange(w, 24, 4) for w in range(4)] if split else None
    return MLP(features, labels, hidden=5, batch=batch, partition=partition, **options)


def _lazy(problem):
    """The same problem with factoring off: every gradient is evaluated on arrival, at a stored iterate."""
    clone = object.__new__(type(problem))
    clone.__dict__.update(problem.__dict__, factor_size=0)
    return clone


TIMINGS = {
    "random": lambda: profile("ringleader", 4, permutation_seed=0),
    "ties": lambda: fixed([1.0, 1.0, 2.0, 0.5]),
    "outages": lambda: availability(fixed([1.0, 1.5, 0.7, 2.0]), [(0, 0.0, 2.5), (1, 1.2, 4.0), (3, 3.0, 3.1)]),
}
METHODS = {
    "asgd": lambda: rb.methods.get("asgd", gamma=0.05),
    "delay-adaptive": lambda: rb.methods.get("delay-adaptive-asgd", gamma=0.2),
    "capped": lambda: rb.methods.Capped(method=rb.methods.get("asgd", gamma=0.05), cap=2),
}


@pytest.mark.parametrize("timing", TIMINGS)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("batch, split", [(2, True), (6, False)])
def test_a_run_evaluated_at_job_start_is_the_lazy_run_bit_for_bit(timing, method, batch, split):
    problem = _network(batch=batch, split=split)
    assert problem.factor_size == mk.factor_size(5, CLASSES, batch)
    runs = [rb.simulate(p, METHODS[method](), TIMINGS[timing](), t_max=25.0, seed=3, record=rb.Recording(every=3),
                        trace=True) for p in (problem, _lazy(problem))]
    factored, lazy = runs
    assert factored.provenance["gradients_evaluated"] == "at job start, factored"
    assert lazy.provenance["gradients_evaluated"] == "on arrival"
    assert factored.counters["updates"] > 10 and factored.counters == lazy.counters
    for name in ("x", "time", "iteration", "grad_norm2", "f", "extra"):
        assert np.array_equal(getattr(factored, name), getattr(lazy, name)), name
    for table in ("events", "updates"):
        columns = getattr(factored, table)
        assert columns.keys() == getattr(lazy, table).keys()
        for column, values in columns.items():
            assert np.array_equal(values, getattr(lazy, table)[column], equal_nan=True), (table, column)


def test_noise_or_the_full_batch_keep_gradients_dense_and_other_methods_lazy():
    assert _network(noise_std=0.5).factor_size == 0
    assert _network(batch=None).factor_size == 0
    problem = _network()
    for name, parameters in (("ringmaster", dict(gamma=0.05, threshold=2)), ("malenia", dict(gamma=0.05))):
        result = rb.simulate(problem, rb.methods.get(name, **parameters), TIMINGS["random"](), t_max=5.0)
        assert result.provenance["gradients_evaluated"] == "on arrival"


ORDER_PLUGIN = """
from dataclasses import dataclass
from typing import NamedTuple

from ringbench import plugin


class EarlyRule(NamedTuple):
    gamma: float
    mistake: int  # 0: restart first; 1: evaluate + step; 2: cancel another worker first


@plugin.implements("on_arrival", EarlyRule)
@plugin.kernel
def early_on_arrival(rule, sim, problem, worker):
    plugin.use(sim, worker)
    if rule.mistake == 1:
        plugin.evaluate(sim, problem, worker)
        plugin.step(sim, sim.gradient, rule.gamma)
        plugin.restart(sim, worker)
        return
    if rule.mistake == 0:
        plugin.restart(sim, worker)  # before the update: its job would be evaluated on the next iterate
    else:
        plugin.cancel(sim, (worker + 1) % sim.active.size)  # the same for the cancelled worker's new job
    plugin.apply_arriving(sim, problem, worker, rule.gamma)
    if rule.mistake == 2:
        plugin.restart(sim, worker)


@dataclass(frozen=True, kw_only=True)
class Early(plugin.Method):
    name = "early"
    mistake: int = 0

    def configure(self, problem, timing):
        workers = plugin.all_workers(timing)
        return plugin.Configuration(EarlyRule(self.gamma, self.mistake), workers, workers.size,
                                    {"gamma": self.gamma}, gradients_at_start=True)
"""


@pytest.mark.parametrize("mistake, message", [
    (0, "arriving worker was restarted before its gradient was applied"),
    (1, "keeps no stale iterates: such a rule applies the job with apply_arriving"),
    (2, "restarted a worker before its update")])
def test_a_rule_that_breaks_the_gradients_at_start_contract_is_a_clear_error(tmp_path, mistake, message):
    path = tmp_path / f"early_rule_{mistake}.py"  # one module name per case: all are imported in one process
    path.write_text(ORDER_PLUGIN)
    early = extensions.load(f"{path}:Early", base=rb.methods.Method, what="method")
    with pytest.raises(RuleError, match=message):
        rb.simulate(_network(), early(gamma=0.05, mistake=mistake), TIMINGS["random"](), t_max=25.0)
    # On a problem without factored gradients the same rules are lazy ones, and run.
    assert rb.simulate(_lazy(_network()), early(gamma=0.05, mistake=mistake), TIMINGS["random"](),
                       t_max=25.0).counters["updates"] > 0
