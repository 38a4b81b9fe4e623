"""FedAsync (Xie, Koyejo, Gupta, 2019): staleness-weighted mixing of the server model with the worker's.

A worker that received x^s returns its locally updated model x^s - gamma g (one local
stochastic gradient step, the simplest local solver), and the server mixes it in:

    x^{k+1} = (1 - alpha_k) x^k + alpha_k (x^s - gamma g),   alpha_k = alpha * s(k - s),

with the staleness function s of the paper: ``constant`` s = 1, ``polynomial``
s(delta) = (1 + delta)^-a, or ``hinge`` s(delta) = 1 for delta <= b and
1 / (a (delta - b) + 1) beyond. The worker restarts on the new model. With alpha = 1
and s = 1 this is vanilla ASGD plus a pull towards the stale model; unlike ASGD, the
update moves x towards x^s, so it needs the job's iterate even when the gradient is
fresh (one snapshot per busy worker).
"""

from dataclasses import dataclass
from typing import ClassVar, NamedTuple

from .. import _validate
from .._jit import kernel
from ..engine.actions import delay_of, evaluate, restart, start_slot, step, use
from ..engine.protocol import implements
from .base import Configuration, Method, all_workers

STALENESS = {"constant": 0, "polynomial": 1, "hinge": 2}


class FedAsyncRule(NamedTuple):
    """FedAsync's parameters as its rule sees them."""

    gamma: float  # the worker's local stepsize
    alpha: float  # mixing weight of a fresh model
    staleness: int  # STALENESS code of s
    a: float  # polynomial power, or hinge slope
    b: float  # hinge threshold


@kernel
def staleness_weight(rule, delay):
    """s(delay) of the rule's staleness function."""
    if rule.staleness == 1:
        return (1.0 + delay) ** -rule.a
    if rule.staleness == 2 and delay > rule.b:
        return 1.0 / (rule.a * (delay - rule.b) + 1.0)
    return 1.0


@implements("on_arrival", FedAsyncRule)
@kernel
def fedasync_on_arrival(rule, sim, problem, worker):
    """Mix the worker's locally updated model into x with weight alpha * s(delay); restart the worker."""
    delay = delay_of(sim, worker)
    evaluate(sim, problem, worker)
    use(sim, worker)
    mixing = rule.alpha * staleness_weight(rule, delay)
    # x - mixing (x - (x^s - gamma g)) is a step of mixing * gamma along g + (x - x^s) / gamma.
    slot, direction = start_slot(sim, worker), sim.gradient
    if slot >= 0:  # a stale model: pull towards it (a fresh one is x itself)
        point = sim.snapshots.points[slot]
        for i in range(direction.size):
            direction[i] += (sim.x[i] - point[i]) / rule.gamma
    step(sim, direction, mixing * rule.gamma)
    restart(sim, worker)


@dataclass(frozen=True, kw_only=True)
class FedAsync(Method):
    """FedAsync with one local step.

    Parameters
    ----------
    gamma : float
        The worker's local stepsize (no theory mode: the paper's analysis is not in the spec).
    alpha : float, default 0.6
        alpha in (0, 1], the mixing weight of a fresh model (the paper's experiments use 0.6 to 0.9).
    staleness : {'constant', 'polynomial', 'hinge'}, default 'polynomial'
        The staleness function s.
    a : float, default 0.5
        Power of ``polynomial``, slope of ``hinge`` (>= 0); not allowed with ``constant``.
    b : float, default 4
        Threshold of ``hinge`` (>= 0); allowed only with ``hinge``.
    """

    name = "fedasync"
    alpha: float = 0.6
    staleness: str = "polynomial"
    a: float = None
    b: float = None

    #: The parameters each staleness function uses, with their defaults.
    PARAMETERS: ClassVar[dict] = {"constant": {}, "polynomial": {"a": 0.5}, "hinge": {"a": 0.5, "b": 4.0}}

    def __post_init__(self):
        super().__post_init__()
        if self.gamma is None:
            raise ValueError("fedasync has no theory mode: give gamma > 0")
        alpha = _validate.real("alpha", self.alpha, positive=True)
        if alpha > 1.0:
            raise ValueError(f"alpha must be in (0, 1], got {alpha}")
        object.__setattr__(self, "alpha", alpha)
        _validate.choice("staleness", self.staleness, tuple(STALENESS))
        used = self.PARAMETERS[self.staleness]
        for field in ("a", "b"):
            value = getattr(self, field)
            if field not in used:
                if value is not None:
                    raise ValueError(f"{field} has no effect with staleness={self.staleness!r}; it is a parameter "
                                     f"of " + " and ".join(repr(kind) for kind, names in self.PARAMETERS.items()
                                                           if field in names))
                continue
            value = used[field] if value is None else value
            object.__setattr__(self, field, _validate.real(field, value, minimum=0.0))

    def configure(self, problem, timing):
        active = all_workers(timing)
        rule = FedAsyncRule(gamma=float(self.gamma), alpha=float(self.alpha), staleness=STALENESS[self.staleness],
                            a=float(self.a or 0.0), b=float(self.b or 0.0))
        parameters = {"gamma": self.gamma, "alpha": self.alpha, "staleness": self.staleness, "a": self.a,
                      "b": self.b}
        return Configuration(rule, active, active.size, parameters)
