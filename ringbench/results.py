"""The result of one run: trajectories, counters, status, configuration and provenance.

Saved as two files side by side: ``NAME.npz`` (arrays, loaded without pickle) and
``NAME.json`` (everything else, human-readable).
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .files import write_atomically, write_text_atomically

STATUSES = ("completed", "target_reached", "diverged", "interrupted")
_ARRAYS = ("time", "iteration", "f", "f_gap", "grad_norm2", "x")


@dataclass(eq=False)
class Result:
    """What :func:`ringbench.simulate` returns.

    Attributes
    ----------
    time, iteration, grad_norm2 : ndarray
        Checkpoints: simulated time, number of updates k, ||grad f(x^k)||^2.
    f_gap : ndarray or None
        f(x^k) - f* at the checkpoints, where the problem knows f* (computed directly,
        not as a difference of ``f`` and f*: it keeps its precision near the optimum).
    f : ndarray or None
        f(x^k) at the checkpoints.
    x : ndarray
        The final iterate.
    status : str
        ``completed`` (time or update budget used up), ``target_reached``,
        ``diverged`` or ``interrupted`` (Ctrl-C; everything before it is kept).
    counters : dict
        ``updates``, ``arrivals``, ``computed``, ``applied`` (gradients that entered an
        update), ``pending`` (collected in a batch, table or buffer for an update the stop
        cut off), ``overwritten`` (table entries replaced before they entered an update:
        IA2SGD's warm-up), ``discarded``,
        ``cancelled``, ``wasted`` (= discarded + cancelled jobs), ``mean_delay``,
        ``max_delay`` (over used gradients, measured when they arrive), ``end_time`` (simulated clock at the stop).
    diverged_at : dict or None
        ``{"time": t, "iteration": k}`` where divergence was detected.
    config : dict
        The full configuration (problem, method with resolved parameters, timing,
        limits, recording, seed).
    provenance : dict
        Package versions, platform, seed entropy.
    trace : dict of ndarray or None
        Per-arrival event log, when requested.
    """

    time: np.ndarray
    iteration: np.ndarray
    f_gap: np.ndarray
    grad_norm2: np.ndarray
    x: np.ndarray
    status: str
    counters: dict
    diverged_at: dict
    config: dict
    provenance: dict
    trace: dict = field(default=None)
    f: np.ndarray = field(default=None)

    @property
    def method(self):
        """The method's name."""
        return self.config["method"]["method"]

    def time_to(self, target):
        """First checkpoint time with ||grad f||^2 <= ``target``, or None if never reached."""
        reached = np.flatnonzero(self.grad_norm2 <= target)
        return float(self.time[reached[0]]) if reached.size else None

    def save(self, path):
        """Write ``path.npz`` and ``path.json``; return the two paths."""
        stem = _stem(path)
        stem.parent.mkdir(parents=True, exist_ok=True)
        arrays = {name: getattr(self, name) for name in _ARRAYS if getattr(self, name) is not None}
        for name, values in (self.trace or {}).items():
            arrays[f"trace_{name}"] = values
        meta = {"status": self.status, "counters": self.counters, "diverged_at": self.diverged_at,
                "config": self.config, "provenance": self.provenance}
        # allow_nan=False: the sidecar stays standard JSON that any parser reads.
        text = json.dumps(meta, indent=2, sort_keys=True, allow_nan=False)

        def write_arrays(path):
            with open(path, "wb") as handle:
                np.savez_compressed(handle, **arrays)

        # Each file is written whole or not at all, the .json last: it marks the result complete.
        write_atomically(stem.with_suffix(".npz"), write_arrays)
        write_text_atomically(stem.with_suffix(".json"), text)
        return stem.with_suffix(".npz"), stem.with_suffix(".json")

    def summary(self):
        """A one-line description."""
        final = self.grad_norm2[-1] if self.grad_norm2.size else float("nan")
        return (f"{self.method}: {self.status} at t={self.counters['end_time']:.6g}, "
                f"k={self.counters['updates']}, ||grad f||^2={final:.4g}, "
                f"computed={self.counters['computed']}, applied={self.counters['applied']}, "
                f"wasted={self.counters['wasted']}")


def load(path):
    """Read a :class:`Result` written by :meth:`Result.save` (``path`` with or without suffix)."""
    stem = _stem(path)
    meta = json.loads(stem.with_suffix(".json").read_text())
    with np.load(stem.with_suffix(".npz"), allow_pickle=False) as arrays:
        values = {name: arrays[name] for name in arrays.files}
    trace = {name[len("trace_"):]: values.pop(name) for name in list(values) if name.startswith("trace_")}
    values.setdefault("f_gap", None)
    return Result(**values, **meta, trace=trace or None)


def _stem(path):
    path = Path(path)
    return path.with_suffix("") if path.suffix in (".npz", ".json") else path
