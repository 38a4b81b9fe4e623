"""A concurrency cap (FedAsync's scheduler, Xie et al. 2019): at most C workers compute at once.

``Capped(method, cap=C)`` runs ``method``'s own server rule, and then hands the freed
compute slot to the idle worker that has waited longest, instead of to the worker that
just delivered: that worker joins the back of the waiting line. At the start the first C
of the method's workers compute (by index) and the others wait in index order. With
C = n nothing waits, and the run is the method's own, bit for bit.

It applies to the methods whose rule restarts exactly the arriving worker on each
arrival and no one else (:data:`CAPPABLE`); the others are rejected: Ringmaster with
stops, Rennala and Malenia cancel or restart everyone, minibatch and Ringleader wait
for every worker, IA2SGD averages a table over all n workers, and random and shuffled
ASGD schedule the jobs themselves. Under the cap, delay-adaptive ASGD's n in
min{1, n / delay} is C, the number of jobs in flight.

The worker's job index (and so its duration, by common random numbers) counts only the
jobs it really computed: the job the method's rule gave the arriving worker is taken back
before it was ever worked on.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .. import _validate
from .._jit import kernel
from ..engine.actions import make_idle, restart
from ..engine.protocol import implements, on_arrival
from .base import Configuration, Method

#: Names of the methods a cap applies to (see the module docstring).
CAPPABLE = ("asgd", "delay-adaptive-asgd", "fedasync", "fedbuff")


def check_cappable(name, *, builtin=True):
    """Raise unless a concurrency cap applies to the method called ``name``: one of ringbench's own in CAPPABLE."""
    if name not in CAPPABLE or not builtin:
        raise ValueError(f"a concurrency cap applies to {', '.join(CAPPABLE)}, not {name!r}, whose rule starts or "
                         "stops other workers' jobs")


class CappedRule(NamedTuple):
    """The capped method's own rule tuple, and the line of idle workers waiting for a slot."""

    inner: tuple  # the method's rule tuple
    waiting: np.ndarray  # int64 (n - C + 1,): ring buffer of waiting workers, oldest at ``head``
    head: np.ndarray  # int64 (1,)
    count: np.ndarray  # int64 (1,): workers waiting


@implements("on_arrival", CappedRule)
@kernel
def capped_on_arrival(rule, sim, problem, worker):
    """The method's rule, then the slot goes to the longest-waiting worker; the arriving worker waits."""
    on_arrival(rule.inner, sim, problem, worker)
    if rule.count[0] == 0:
        return
    size = rule.waiting.size
    following = rule.waiting[rule.head[0]]
    rule.waiting[(rule.head[0] + rule.count[0]) % size] = worker
    rule.head[0] = (rule.head[0] + 1) % size
    # Take back the job the rule just gave the arriving worker: it never ran, so its index is reused.
    make_idle(sim, worker)
    sim.jobs_started[worker] -= 1
    restart(sim, following)


@dataclass(frozen=True, kw_only=True)
class Capped(Method):
    """``method`` with at most ``cap`` workers computing at once: ``Capped(method=ASGD(gamma=0.1), cap=4)``.

    Parameters
    ----------
    method : Method
        One of :data:`CAPPABLE`, with its own parameters (gamma, or eps for theory mode,
        which derives them as without the cap).
    cap : int
        C >= 1 workers computing at once, at most the method's number of workers.
    """

    method: Method = None
    cap: int = None

    def __post_init__(self):
        if not isinstance(self.method, Method) or self.gamma is not None or self.eps is not None:
            raise ValueError("give Capped(method=..., cap=...) a ringbench method such as methods.ASGD(gamma=0.1), "
                             f"with its own gamma or eps; got method={self.method!r}")
        if isinstance(self.method, Capped):
            raise ValueError(f"{self.method.name} is capped already: give one cap (the smaller of the two)")
        check_cappable(self.method.name, builtin=type(self.method).__module__.startswith("ringbench.methods."))
        object.__setattr__(self, "cap", _validate.integer("cap", self.cap, minimum=1))
        object.__setattr__(self, "gamma", self.method.gamma)
        object.__setattr__(self, "eps", self.method.eps)

    @property
    def name(self):
        """The method's name with its cap, e.g. ``asgd-cap4``."""
        return f"{self.method.name}-cap{self.cap}"

    def configure(self, problem, timing):
        inner = self.method.configure(problem, timing)
        workers = inner.active
        if self.cap > workers.size:
            raise ValueError(f"cap must be <= the {workers.size} workers {self.method.name} uses, got {self.cap}")
        waiting = np.zeros(workers.size - self.cap + 1, dtype=np.int64)
        waiting[:-1] = workers[self.cap:]
        rule = CappedRule(inner.rule, waiting, np.zeros(1, dtype=np.int64),
                          np.array([workers.size - self.cap], dtype=np.int64))
        # At most C jobs are in flight, each on at most one stale iterate.
        # Workers waiting for a slot start only after the inner rule's update, as gradients_at_start needs.
        return Configuration(rule, workers[:self.cap].copy(), min(inner.snapshot_capacity, self.cap),
                             {**inner.parameters, "cap": self.cap}, gradients_at_start=inner.gradients_at_start)

    def held(self, rule):
        return self.method.held(rule.inner)

    def describe(self):
        return {**self.method.describe(), "method": self.name, "capped": self.method.name, "cap": self.cap}
