"""What every method shares: a stepsize or a theory-mode target, and how it configures the engine."""

from dataclasses import dataclass, fields
from typing import ClassVar, NamedTuple

import numpy as np

from .. import _validate
from ..engine.state import Rule


class Configuration(NamedTuple):
    """A method resolved against a problem and a timing model, ready for the engine."""

    rule: Rule
    active: np.ndarray  # int64: the workers the method uses
    snapshot_capacity: int  # stale iterates the method can need at once
    parameters: dict  # resolved values (gamma, R, S, ...) for results and tables
    table_rows: int = 0  # rows of the per-worker gradient table (n for the heterogeneous-data methods)
    table_buffer: bool = False  # whether the table has a buffer (Ringleader)


@dataclass(frozen=True)
class Method:
    """Base class of the methods.

    Parameters
    ----------
    gamma : float, optional
        Stepsize gamma > 0. When omitted, ``eps`` selects theory mode.
    eps : float, optional
        Target for E||grad f||^2 in theory mode: parameters left unset (gamma, R, S)
        are derived from the problem's L and sigma^2 and this eps.
    """

    name: ClassVar[str] = ""
    gamma: float = None
    eps: float = None

    def __post_init__(self):
        if self.gamma is not None:
            _validate.real("gamma", self.gamma, positive=True)
        if self.eps is not None:
            _validate.real("eps", self.eps, positive=True)
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
        """Resolve theory-mode parameters for ``problem`` and ``timing``.

        Returns
        -------
        Configuration
        """
        raise NotImplementedError

    def describe(self):
        """JSON-ready parameters as given by the user."""
        return {"method": self.name, **{field.name: getattr(self, field.name) for field in fields(self)}}

    def _rule(self, method_id, gamma, *, threshold=0, batch=0, stops=False, delay_adaptive=False,
              phase1_target=1.0):
        return Rule(method=method_id, gamma=float(gamma), threshold=int(threshold), batch=int(batch),
                    stops=bool(stops), delay_adaptive=bool(delay_adaptive), phase1_target=float(phase1_target))


def all_workers(timing):
    """Indices of every worker."""
    return np.arange(timing.n, dtype=np.int64)


def fastest_workers(timing, count):
    """Indices of the ``count`` workers with the smallest expected durations (ties by index)."""
    order = np.argsort(timing.expected_durations(), kind="stable")
    return np.sort(order[:count]).astype(np.int64)


__all__ = ["Configuration", "Method", "all_workers", "fastest_workers"]
