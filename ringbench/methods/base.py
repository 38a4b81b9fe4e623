"""What every method shares: a stepsize or a theory-mode target, and how it configures the engine."""

from dataclasses import KW_ONLY, dataclass, fields
from typing import ClassVar, NamedTuple

import numpy as np

from .. import _validate
from ..engine.batch import Batch
from ..engine.tables import Tables


class Configuration(NamedTuple):
    """A method resolved against a problem and a timing model, ready for the engine."""

    rule: tuple  # the method's rule parameters and state: a namedtuple of its own class
    active: np.ndarray  # int64: the workers the method uses
    snapshot_capacity: int  # stale iterates the method can need at once
    parameters: dict  # resolved values (gamma, R, S, ...) for results and tables
    # The rule applies each gradient once, on arrival, with apply_arriving, and restarts workers only after its
    # update: on a problem with factored gradients, jobs are then evaluated when they start (engine.actions).
    gradients_at_start: bool = False


@dataclass(frozen=True)
class Method:
    """Base class of the methods.

    A method, built-in or the user's, is a frozen dataclass deriving from this class,
    with a ``name``, whose :meth:`configure` returns a :class:`Configuration` holding
    its rule tuple: a namedtuple of its own class, for which its server rule
    ``on_arrival(rule, sim, problem, worker)`` is registered with
    ``@ringbench.engine.protocol.implements("on_arrival", ThatClass)``. The rule is
    written with the primitives of :mod:`ringbench.engine.actions` (evaluate, step,
    restart, cancel, discard, ...), :mod:`ringbench.engine.batch` and
    :mod:`ringbench.engine.tables`.

    Parameters
    ----------
    gamma : float, optional
        Stepsize gamma > 0. When omitted, ``eps`` selects theory mode.
    eps : float, optional
        Target for E||grad f||^2 in theory mode: parameters left unset (gamma, R, S)
        are derived from the problem's L and sigma^2 and this eps. It is also the
        target of the run's theory prediction (``Result.config["prediction"]``), so it
        counts even when every parameter is given.
    """

    name: ClassVar[str] = ""
    gamma: float = None
    # Everything after the stepsize is keyword-only (the built-in methods' own fields too), so
    # that Ringmaster(0.25, 6) is an error instead of eps = 6.
    _: KW_ONLY
    eps: float = None

    def __post_init__(self):
        for field in ("gamma", "eps"):
            if getattr(self, field) is not None:  # stored as a float: numpy scalars would not reach JSON
                object.__setattr__(self, field, _validate.real(field, getattr(self, field), positive=True))
        if self.gamma is None and self.eps is None:
            raise ValueError(f"{self.name}: give a stepsize gamma > 0, or eps > 0 for theory mode")

    def _require_eps(self, what):
        if self.eps is None:
            raise ValueError(f"{self.name}: give {what}, or eps > 0 for theory mode")

    def _check_count(self, field, label):
        """Validate the integer parameter ``field`` (R, S), which theory mode may derive instead."""
        value = getattr(self, field)
        if value is None:
            self._require_eps(f"an integer {label} >= 1")
        else:
            object.__setattr__(self, field, _validate.integer(label, value, minimum=1))

    def _check_flag(self, field):
        if not isinstance(getattr(self, field), bool):
            raise ValueError(f"{field} must be True or False, got {getattr(self, field)!r}")

    def configure(self, problem, timing):
        """Resolve theory-mode parameters for ``problem`` and ``timing`` and build the rule tuple.

        Returns
        -------
        Configuration
        """
        raise NotImplementedError

    def held(self, rule):
        """Gradients the rule still holds when a run stops, from its final rule tuple.

        The default counts what the rule tuple's :class:`~ringbench.engine.batch.Batch`
        and :class:`~ringbench.engine.tables.Tables` fields hold, so a method (a plug-in
        too) that keeps its gradients in those needs no method of its own.

        Returns
        -------
        dict
            ``pending``: collected for an update the stop cut off; ``overwritten``:
            replaced before they entered an update.
        """
        held = {"pending": 0, "overwritten": 0}
        for value in rule:
            if isinstance(value, Batch):
                held["pending"] += int(value.size[0])
            elif isinstance(value, Tables):
                held["pending"] += int(value.pending[0])
                held["overwritten"] += int(value.overwritten[0])
        return held

    def _theory(self, problem, *constants):
        """Check that theory mode has the problem constants it needs."""
        problem.require(*constants, purpose=f"{self.name} in theory mode (eps={self.eps})")

    def describe(self):
        """JSON-ready parameters as given by the user."""
        return {"method": self.name, **{field.name: getattr(self, field.name) for field in fields(self)}}



def all_workers(timing):
    """Indices of every worker."""
    return np.arange(timing.n, dtype=np.int64)


def fastest_workers(timing, count):
    """Indices of the ``count`` workers with the smallest expected durations (ties by index)."""
    order = np.argsort(timing.expected_durations(), kind="stable")
    return np.sort(order[:count]).astype(np.int64)


__all__ = ["Configuration", "Method", "all_workers", "fastest_workers"]
