"""The result of one run: trajectories, counters, status, configuration and provenance.

Saved as files side by side: ``NAME.npz`` (arrays, loaded without pickle),
``NAME.json`` (everything else, human-readable) and, for a traced run, the event and
update tables as ``NAME.events.parquet`` and ``NAME.updates.parquet`` (``.csv`` when
pyarrow is not installed).
"""

import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .engine.record import ACTIONS, APPLIED, BUFFERED, CANCELLED, EVENT_FIELDS, STORED, UPDATE_FIELDS
from .files import write_atomically, write_text_atomically

#: Every value of ``Result.status``, with what it means: the one place they are listed.
STATUSES = {
    "time_budget": "the simulated-time budget t_max was used up",
    "update_budget": "the update budget max_updates was used up",
    "target_reached": "||grad f||^2 <= target at a checkpoint",
    "diverged": "a gradient norm was not finite or exceeded the blow-up bound (see diverged_at)",
    "interrupted": "stopped by Ctrl-C or a signal; everything before it is kept",
}
_ARRAYS = ("time", "iteration", "f", "f_gap", "grad_norm2", "x", "events_x", "extra")
_TABLES = ("events", "updates")
_FLOAT_COLUMNS = ("time", "start_time", "stepsize")


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
    extra : ndarray or None
        The problem's extra checkpoint metric (``config['problem']['extra_metric']``,
        e.g. an MLP's training accuracy), where it has one.
    x : ndarray
        The final iterate.
    status : str
        One of :data:`STATUSES`: ``time_budget``, ``update_budget``, ``target_reached``,
        ``diverged`` or ``interrupted``.
    counters : dict
        ``updates``, ``arrivals``, ``computed``, ``applied`` (gradients that entered an
        update), ``pending`` (collected in a batch, table or buffer for an update the stop
        cut off), ``overwritten`` (table entries replaced before they entered an update:
        IA2SGD's warm-up), ``discarded``,
        ``cancelled``, ``wasted`` (= discarded + cancelled jobs), ``mean_delay``,
        ``max_delay`` (over used gradients, measured when they arrive), ``end_time`` (simulated clock at the
        stop), ``jobs_started`` and ``in_flight`` (jobs still running at the stop). Always
        jobs_started = arrivals + cancelled + in_flight, and the gradients accepted (used)
        = applied + overwritten + pending.
    diverged_at : dict or None
        ``{"time": t, "iteration": k}`` where divergence was detected.
    config : dict
        The full configuration (problem, method with resolved parameters, timing,
        limits, recording, seed).
    provenance : dict
        Package versions, platform, seed entropy.
    events : dict of ndarray or None
        The event table of a traced run, as columns (:meth:`event_table` gives a
        DataFrame): one row per arrival and per cancellation, in order.
    updates : dict of ndarray or None
        The update table of a traced run, as columns (:meth:`update_table`).
    events_x : ndarray or None
        With ``trace="iterates"``: the iterate after each event row.
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
    f: np.ndarray = field(default=None)
    events: dict = field(default=None)
    updates: dict = field(default=None)
    events_x: np.ndarray = field(default=None)
    extra: np.ndarray = field(default=None)

    @property
    def method(self):
        """The method's name."""
        return self.config["method"]["method"]

    def event_table(self):
        """The event table as a pandas DataFrame, one row per arrival and per cancellation.

        Columns: ``time`` (simulated seconds), ``worker`` i, ``job`` j (worker i's j-th
        job, from 0), ``start_time`` (when it started), ``start_iteration`` s (the k its
        job started on), ``delay`` k - s
        (at the arrival or cancellation), ``action`` (``applied``: stepped with in this
        arrival; ``stored``: kept in a batch or table for a later update; ``buffered``:
        Ringleader's buffer, for the next round; ``discarded``; ``cancelled``; ``none``:
        the rule did none of these), ``iteration`` (k after the event).
        """
        frame = _frame(self._traced("events"))
        frame["action"] = _pandas().Categorical.from_codes(frame["action"], categories=list(ACTIONS))
        return frame

    def update_table(self):
        """The update table as a pandas DataFrame, one row per update x^{k-1} -> x^k.

        Columns: ``k``, ``time``, ``worker`` (whose arrival triggered it),
        ``gradients`` (accepted since the previous update and entering this one: a
        buffered gradient counts at the first update after its round ends),
        ``max_delay`` (largest arrival delay among them, -1 for none), ``stepsize``
        (the effective one: gamma * min(1, n / delay) for delay-adaptive ASGD, gamma on
        the mean for batches and tables), ``round`` (Ringleader's and Malenia's round
        from 0, -1 for methods without rounds).
        """
        return _frame(self._traced("updates"))

    @property
    def trace(self):
        """The arrival rows of the event table as arrays (``used``: applied, stored or buffered), or None."""
        if self.events is None:
            return None
        arrival = self.events["action"] != CANCELLED
        view = {name: self.events[name][arrival] for name in ("time", "worker", "delay", "iteration")}
        view["used"] = np.isin(self.events["action"][arrival], (APPLIED, STORED, BUFFERED))
        if self.events_x is not None:
            view["x"] = self.events_x[arrival]
        return view

    def _traced(self, name):
        table = getattr(self, name)
        if table is None:
            raise ValueError(f"this result has no {name} table: run simulate(..., trace=True)")
        return table

    def time_to(self, target):
        """First checkpoint time with ||grad f||^2 <= ``target``, or None if never reached."""
        reached = np.flatnonzero(self.grad_norm2 <= target)
        return float(self.time[reached[0]]) if reached.size else None

    def save(self, path):
        """Write ``path.npz`` and ``path.json``; return the two paths."""
        stem = _stem(path)
        stem.parent.mkdir(parents=True, exist_ok=True)
        arrays = {name: getattr(self, name) for name in _ARRAYS if getattr(self, name) is not None}
        meta = {"status": self.status, "counters": self.counters, "diverged_at": self.diverged_at,
                "config": self.config, "provenance": self.provenance}
        # allow_nan=False: the sidecar stays standard JSON that any parser reads.
        text = json.dumps(meta, indent=2, sort_keys=True, allow_nan=False)

        def write_arrays(path):
            with open(path, "wb") as handle:
                np.savez_compressed(handle, **arrays)

        # Each file is written whole or not at all, the .json last: it marks the result complete.
        write_atomically(stem.with_suffix(".npz"), write_arrays)
        for name in _TABLES:
            for parquet in (True, False):  # a table of an earlier result under this name must not linger
                _table_path(stem, name, parquet).unlink(missing_ok=True)
            if getattr(self, name) is not None:
                _write_table(getattr(self, name), _table_path(stem, name, _PARQUET))
        write_text_atomically(stem.with_suffix(".json"), text)
        return stem.with_suffix(".npz"), stem.with_suffix(".json")

    def summary(self):
        """A one-line description; after a divergence, with the last finite checkpoint, said so."""
        final = self.grad_norm2[-1] if self.grad_norm2.size else float("nan")
        if self.status == "diverged" and self.diverged_at is not None:
            where = (f"diverged at t={self.diverged_at['time']:.6g}, k={self.diverged_at['iteration']}; "
                     f"last finite checkpoint t={self.time[-1]:.6g}, k={self.iteration[-1]}: ")
        else:
            where = f"{self.status} at t={self.counters['end_time']:.6g}, k={self.counters['updates']}, "
        return (f"{self.method}: {where}||grad f||^2={final:.4g}, "
                f"computed={self.counters['computed']}, applied={self.counters['applied']}, "
                f"wasted={self.counters['wasted']}")


def load(path):
    """Read a :class:`Result` written by :meth:`Result.save` (``path`` with or without suffix)."""
    stem = _stem(path)
    meta = json.loads(stem.with_suffix(".json").read_text())
    with np.load(stem.with_suffix(".npz"), allow_pickle=False) as arrays:
        values = {name: arrays[name] for name in arrays.files}
    values.setdefault("f_gap", None)
    for name in _TABLES:
        values[name] = _read_table(stem, name)
    return Result(**values, **meta)


_PARQUET = importlib.util.find_spec("pyarrow") is not None


def _stem(path):
    path = Path(path)
    return path.with_suffix("") if path.suffix in (".npz", ".json") else path


def _table_path(stem, name, parquet):
    return stem.with_name(f"{stem.name}.{name}.{'parquet' if parquet else 'csv'}")


def _write_table(columns, path):
    """Write a trace table's columns to Parquet (with pyarrow) or CSV (without), atomically."""
    if path.suffix == ".parquet":
        import pyarrow
        import pyarrow.parquet

        table = pyarrow.table(columns)
        write_atomically(path, lambda target: pyarrow.parquet.write_table(table, target))
        return
    # repr-exact floats: the CSV round trip keeps every bit.
    lines = [",".join(columns)] + [",".join(map(repr, row)) for row in zip(*(values.tolist() for values in
                                                                              columns.values()), strict=True)]
    write_text_atomically(path, "\n".join(lines) + "\n")


def _read_table(stem, name):
    """A trace table's columns from whichever file :func:`_write_table` wrote, or None."""
    fields = EVENT_FIELDS if name == "events" else UPDATE_FIELDS
    parquet, csv = _table_path(stem, name, True), _table_path(stem, name, False)
    if parquet.exists():
        import pyarrow.parquet

        table = pyarrow.parquet.read_table(parquet)
        return {field: table.column(field).to_numpy() for field in fields}
    if csv.exists():
        rows = np.loadtxt(csv, delimiter=",", skiprows=1, ndmin=2, dtype=np.float64)
        return {field: rows[:, column] if field in _FLOAT_COLUMNS else rows[:, column].astype(np.int64)
                for column, field in enumerate(fields)}
    return None


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError("trace tables as DataFrames need pandas: pip install pandas "
                          "(the arrays are in Result.events and Result.updates without it)") from None
    return pandas


def _frame(columns):
    return _pandas().DataFrame(columns)
