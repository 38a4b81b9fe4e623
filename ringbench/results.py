"""The result of one run: trajectories, counters, status, configuration and provenance.

Saved as files side by side: ``NAME.npz`` (arrays, loaded without pickle),
``NAME.json`` (everything else, human-readable) and, for a traced run, the event and
update tables as ``NAME.events.parquet`` and ``NAME.updates.parquet`` (``.csv`` when
pyarrow is not installed). :func:`load` checks every file against the format written
here (:data:`FORMAT_VERSION`) and names the file in every error.
"""

import importlib.util
import io
import json
import math
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import _validate, formatting
from .engine.record import ACTIONS, APPLIED, BUFFERED, CANCELLED, EVENT_FIELDS, LOST, STORED, UPDATE_FIELDS
from .files import write_atomically, write_text_atomically

#: Every value of ``Result.status``, with what it means: the one place they are listed.
STATUSES = {
    "time_budget": "the simulated-time budget t_max was used up",
    "update_budget": "the update budget max_updates was used up",
    "target_reached": "||grad f||^2 <= target at a checkpoint",
    "diverged": "a gradient norm was not finite or exceeded the blow-up bound (see diverged_at)",
    "interrupted": "stopped by Ctrl-C or a signal; everything before it is kept",
}
#: Version of the file layout :meth:`Result.save` writes (in the .json as ``format_version``). Raise it
#: when the layout changes; :func:`load` refuses a newer one. Files from before it was saved are version 1.
FORMAT_VERSION = 1
_ARRAYS = ("time", "iteration", "f", "f_gap", "grad_norm2", "x", "events_x", "extra")
#: Arrays every result has; the others of _ARRAYS are optional.
_REQUIRED_ARRAYS = ("time", "iteration", "grad_norm2", "x")
#: Checkpoint arrays: one value per checkpoint, as long as ``time``.
_METRICS = ("f", "f_gap", "grad_norm2", "extra")
_META = ("status", "counters", "diverged_at", "config", "provenance")
_INTEGER_COUNTERS = ("updates", "arrivals", "computed", "applied", "pending", "overwritten", "discarded",
                     "cancelled", "wasted", "max_delay", "jobs_started", "in_flight")
#: Counters added later: results saved before them lack them.
_LATER_COUNTERS = ("lost",)
_REAL_COUNTERS = ("mean_delay", "end_time")
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
        ``cancelled``, ``lost`` (jobs whose worker went offline before they finished, with
        availability; absent from results saved before it existed), ``wasted`` (= discarded +
        cancelled + lost jobs), ``mean_delay``,
        ``max_delay`` (over used gradients, measured when they arrive), ``end_time`` (simulated clock at the
        stop), ``jobs_started`` and ``in_flight`` (jobs still running at the stop). Always
        jobs_started = arrivals + cancelled + lost + in_flight, and the gradients accepted (used)
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
        """The event table as a pandas DataFrame, one row per arrival, per cancellation and per lost job.

        Columns: ``time`` (simulated seconds), ``worker`` i, ``job`` j (worker i's j-th
        job, from 0), ``start_time`` (when it started), ``start_iteration`` s (the k its
        job started on), ``delay`` k - s
        (at the arrival or cancellation), ``action`` (``applied``: stepped with in this
        arrival; ``stored``: kept in a batch or table for a later update; ``buffered``:
        Ringleader's buffer, for the next round; ``discarded``; ``cancelled``; ``lost``: its
        worker went offline first, with availability; ``none``: the rule did none of
        these), ``iteration`` (k after the event).
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
        arrival = ~np.isin(self.events["action"], (CANCELLED, LOST))
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
        target = _validate.real("target", target, positive=True)
        reached = np.flatnonzero(self.grad_norm2 <= target)
        return float(self.time[reached[0]]) if reached.size else None

    def save(self, path):
        """Write ``path.npz`` and ``path.json``; return the two paths."""
        stem, arrays_path, meta_path = paths(path)
        _validate.writable_directory("the directory of path", stem.parent)
        arrays = {name: getattr(self, name) for name in _ARRAYS if getattr(self, name) is not None}
        meta = {"format_version": FORMAT_VERSION, "status": self.status, "counters": self.counters,
                "diverged_at": self.diverged_at, "config": self.config, "provenance": self.provenance}
        # allow_nan=False: the sidecar stays standard JSON that any parser reads.
        text = json.dumps(meta, indent=2, sort_keys=True, allow_nan=False)

        def write_arrays(path):
            with open(path, "wb") as handle:
                np.savez_compressed(handle, **arrays)

        # Each file is written whole or not at all, the .json last: it marks the result complete. An earlier
        # result's .json goes first, so an interrupted overwrite leaves an incomplete result, never the new
        # arrays under the old metadata.
        meta_path.unlink(missing_ok=True)
        write_atomically(arrays_path, write_arrays)
        for name in _TABLES:
            for parquet in (True, False):  # a table of an earlier result under this name must not linger
                _table_path(stem, name, parquet).unlink(missing_ok=True)
            if getattr(self, name) is not None:
                _write_table(getattr(self, name), _table_path(stem, name, _PARQUET))
        write_text_atomically(meta_path, text)
        return arrays_path, meta_path

    def summary(self):
        """A one-line description, naming the last checkpoint where it is not the end (a divergence, an interrupt)."""
        final = f"||grad f||^2={self.grad_norm2[-1]:.4g}" if self.grad_norm2.size else "no checkpoint recorded"
        if self.status == "diverged" and self.diverged_at is not None:
            last = (f"last finite checkpoint t={self.time[-1]:.6g}, k={self.iteration[-1]}: " if self.time.size
                    else "no finite checkpoint (not even at x^0): ")
            where = f"{formatting.diverged(self.diverged_at)}; {last}"
        else:
            where = f"{self.status} at t={self.counters['end_time']:.6g}, k={self.counters['updates']}, "
            if self.time.size and self.time[-1] < self.counters["end_time"]:  # interrupted between checkpoints
                where += f"last checkpoint t={self.time[-1]:.6g}: "
        return (f"{self.method}: {where}{final}, "
                f"computed={self.counters['computed']}, applied={self.counters['applied']}, "
                f"wasted={self.counters['wasted']}"
                + (f" (lost={self.counters['lost']})" if self.counters.get("lost") else ""))


class ResultFileError(ValueError):
    """A result file that :func:`load` cannot read: missing, corrupt, or not in the format it knows."""

    def __init__(self, path, problem):
        super().__init__(f"result file {str(path)!r}: {problem}")
        self.path = path


def load(path):
    """Read a :class:`Result` written by :meth:`Result.save` (``path`` with or without suffix).

    Every file is checked against the format: keys, types, shapes, allowed statuses, finite
    values where required, and a ``format_version`` no newer than :data:`FORMAT_VERSION`.

    Raises
    ------
    ResultFileError
        (a ``ValueError``) naming the file and what is wrong with it.
    """
    stem, arrays_path, meta_path = paths(path)
    meta = _read_meta(meta_path)
    arrays = _read_arrays(arrays_path, meta)
    tables = {name: _read_table(stem, name) for name in _TABLES}
    if arrays.get("events_x") is not None:
        rows = 0 if tables["events"] is None else tables["events"]["time"].size
        if arrays["events_x"].shape != (rows, arrays["x"].size):
            raise ResultFileError(arrays_path, f"events_x has shape {arrays['events_x'].shape}, but "
                                  f"the event table has {rows} rows and x has {arrays['x'].size} entries")
    return Result(**arrays, **tables, **meta)


def _strict_json(token):
    raise ValueError(f"{token} is not standard JSON (results are saved without NaN or infinity)")


def _read_meta(path):
    """The .json side of a result, checked: exactly the keys save writes, each of the right type."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"), parse_constant=_strict_json)
    except FileNotFoundError:
        raise ResultFileError(path, "no such file") from None
    except (OSError, ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ResultFileError(path, f"not a readable JSON result ({error})") from None
    if not isinstance(meta, dict):
        raise ResultFileError(path, f"must hold a JSON object, got {type(meta).__name__}")
    version = meta.pop("format_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ResultFileError(path, f"format_version must be an integer >= 1, got {version!r}")
    if version > FORMAT_VERSION:
        raise ResultFileError(path, f"format_version {version} is newer than this ringbench reads "
                                    f"({FORMAT_VERSION}); upgrade ringbench to load it")
    _keys(path, "the result", meta, required=_META)
    if not isinstance(meta["status"], str) or meta["status"] not in STATUSES:
        raise ResultFileError(path, f"unknown status {meta['status']!r}; allowed: {', '.join(STATUSES)}")
    for name in ("config", "provenance", "counters"):
        if not isinstance(meta[name], dict):
            raise ResultFileError(path, f"{name} must be a JSON object, got {type(meta[name]).__name__}")
    method = meta["config"].get("method")
    if not (isinstance(method, dict) and isinstance(method.get("method"), str)):
        raise ResultFileError(path, "config.method.method (the method's name) must be a string")
    timing = meta["config"].get("timing")
    if not isinstance(timing, dict) or "n" not in timing:
        raise ResultFileError(path, "config.timing must be a JSON object with n, the number of workers")
    _number(path, "config.timing.n", timing["n"], integral=True)
    counters = meta["counters"]
    _keys(path, "counters", counters, required=_INTEGER_COUNTERS + _REAL_COUNTERS, optional=_LATER_COUNTERS)
    for name in _INTEGER_COUNTERS + tuple(name for name in _LATER_COUNTERS if name in counters):
        _number(path, f"counters.{name}", counters[name], integral=True)
    for name in _REAL_COUNTERS:
        _number(path, f"counters.{name}", counters[name])
    diverged_at = meta["diverged_at"]
    if (meta["status"] == "diverged") != (diverged_at is not None):
        raise ResultFileError(path, "diverged_at must be given exactly when status is 'diverged', got status "
                                    f"{meta['status']!r} and diverged_at {diverged_at!r}")
    if diverged_at is not None:
        if not isinstance(diverged_at, dict):
            raise ResultFileError(path, f"diverged_at must be a JSON object, got {type(diverged_at).__name__}")
        _keys(path, "diverged_at", diverged_at, required=("time", "iteration"))
        _number(path, "diverged_at.time", diverged_at["time"])
        _number(path, "diverged_at.iteration", diverged_at["iteration"], integral=True)
    return meta


def _keys(path, what, mapping, *, required, optional=()):
    missing = [key for key in required if key not in mapping]
    unknown = sorted(map(str, set(mapping) - set(required) - set(optional)))
    if missing or unknown:
        problems = ([f"lacks {', '.join(missing)}"] if missing else []) + (
            [f"has unknown {', '.join(unknown)}"] if unknown else [])
        allowed = f"; optional: {', '.join(key for key in optional if key not in required)}" if optional else ""
        raise ResultFileError(path, f"{what} {' and '.join(problems)} (required: {', '.join(required)}{allowed})")


def _number(path, name, value, *, integral=False):
    """Check ``value`` is a finite number >= 0 (an int64 if ``integral``; booleans are not numbers here)."""
    if integral:
        good = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _validate.INT64_MAX
    else:
        good = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < math.inf
    if not good:
        allowed = "an integer in [0, 2^63)" if integral else "a finite number >= 0"
        raise ResultFileError(path, f"{name} must be {allowed}, got {value!r}")


def _read_arrays(path, meta):
    """The .npz side of a result, checked: known names, dtypes, one dimension, one length per checkpoint."""
    if not path.is_file():
        raise ResultFileError(path, "no such file")
    if not zipfile.is_zipfile(path):
        raise ResultFileError(path, "not an .npz archive (not a zip file: empty, truncated or overwritten?)")
    try:
        # Our own handle: np.load leaves the file it opened unclosed when the archive is damaged.
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as archive:
            values = {name: archive[name] for name in archive.files}
    except ValueError as error:
        if "pickle" not in str(error):
            raise ResultFileError(path, f"corrupt archive ({error})") from None
        raise ResultFileError(path, "holds an object array (pickled data, which ringbench never loads)") from None
    except (OSError, EOFError, KeyError, NotImplementedError, zipfile.BadZipFile, zlib.error) as error:
        # what a damaged member of the zip raises
        raise ResultFileError(path, f"corrupt archive ({type(error).__name__}: {error})") from None
    _keys(path, "the archive", values, required=_REQUIRED_ARRAYS, optional=_ARRAYS)
    diverged = meta["status"] == "diverged"
    for name, array in values.items():
        kind, ndim = ("i", 1) if name == "iteration" else ("f", 2 if name == "events_x" else 1)
        if array.dtype.kind != kind or array.dtype.itemsize != 8 or array.ndim != ndim:
            wanted = f"{ndim}-dimensional {'int64' if kind == 'i' else 'float64'}"
            raise ResultFileError(path, f"{name} must be {wanted}, got {array.ndim}-dimensional {array.dtype}")
        if name in ("time", "iteration", *_METRICS) and array.shape != values["time"].shape:
            raise ResultFileError(path, f"{name} has {array.size} checkpoints, but time has {values['time'].size}")
    for name in ("time", "iteration"):
        _finite_nonnegative(path, name, values[name])
        if np.any(np.diff(values[name]) < 0):
            raise ResultFileError(path, f"{name} must be nondecreasing over the checkpoints")
    for name in (*_METRICS, "x"):
        # A run stops at its first non-finite metric and keeps only what came before, but a
        # diverged run's metrics may be huge and its iterate overflowed: allowed only there.
        if name in values and not diverged:
            _finite_nonnegative(path, name, values[name], nonnegative=name == "grad_norm2")
    values = {name: values.get(name) for name in _ARRAYS}
    return values


def _finite_nonnegative(path, name, values, *, nonnegative=True):
    bad = ~np.isfinite(values) | (values < 0 if nonnegative else False)
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        requirement = "finite and >= 0" if nonnegative else "finite"
        suffix = "" if name in ("time", "iteration") else " unless the run diverged"
        raise ResultFileError(path, f"{name} must be {requirement}{suffix}; {name}[{index}] = {values[index]}")


_PARQUET = importlib.util.find_spec("pyarrow") is not None


def paths(path):
    """``(stem, npz, json)``: the files of the result saved as ``path``, given with or without its suffix.

    The suffixes are appended to the name, never put in place of a dotted part of it:
    ``asgd-gamma0.05`` is ``asgd-gamma0.05.npz`` and ``asgd-gamma0.05.json``.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"path must be a file path (str or pathlib.Path), got {path!r}")
    if Path(path).name in ("", "..") or not str(path).strip():  # "" is the current directory: no name to extend
        raise ValueError(f"path must name a file (NAME, NAME.npz or NAME.json), got {str(path)!r}")
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in (".npz", ".json") else path
    return stem, stem.with_name(f"{stem.name}.npz"), stem.with_name(f"{stem.name}.json")


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
    """A trace table's columns from whichever file :func:`_write_table` wrote, checked, or None."""
    fields = EVENT_FIELDS if name == "events" else UPDATE_FIELDS
    parquet, csv = _table_path(stem, name, True), _table_path(stem, name, False)
    path = parquet if parquet.exists() else csv if csv.exists() else None
    if path is None:
        return None
    try:
        if path is parquet:
            import pyarrow.parquet

            table = pyarrow.parquet.read_table(path)
            header = table.column_names
            columns = {field: table.column(field).to_numpy() for field in fields if field in header}
        else:
            first, _, body = path.read_text(encoding="utf-8").partition("\n")
            header = first.split(",")
            # An empty table (a traced run without events) is a header alone: loadtxt would warn.
            rows = np.loadtxt(io.StringIO(body), delimiter=",", ndmin=2, dtype=np.float64) if body.strip() else \
                np.zeros((0, len(header)))
            if rows.size and rows.shape[1] != len(header):
                raise ValueError(f"{rows.shape[1]} values a row under a header of {len(header)} columns")
            columns = {field: rows[:, header.index(field)] if rows.size else np.zeros(0)
                       for field in fields if field in header}
    except (OSError, ValueError, IndexError) as error:  # pyarrow's ArrowInvalid is a ValueError
        raise ResultFileError(path, f"not a readable {name} table ({error})") from None
    if list(header) != list(fields):
        raise ResultFileError(path, f"the {name} table must have the columns {', '.join(fields)}, got "
                                    f"{', '.join(map(str, header))}")
    return {field: _column(path, field, values, columns["time"].size) for field, values in columns.items()}


def _column(path, field, values, rows):
    """One trace column, checked: as long as the others, finite, int64 where the table holds integers."""
    if values.shape != (rows,) or values.dtype.kind not in "if":
        raise ResultFileError(path, f"column {field} must hold {rows} numbers, got shape {values.shape} of "
                                    f"{values.dtype}")
    if field in _FLOAT_COLUMNS:
        values = values.astype(np.float64)
        if not np.all(np.isfinite(values)):
            raise ResultFileError(path, f"column {field} must be finite")
        return values
    if values.dtype.kind == "f":  # CSV: written from int64 exactly, so a fraction or NaN is an edit
        if not np.all((values == np.round(values)) & (np.abs(values) < 2.0**63)):
            raise ResultFileError(path, f"column {field} must hold integers")
    values = values.astype(np.int64)
    if field == "action" and np.any((values < 0) | (values >= len(ACTIONS))):
        raise ResultFileError(path, f"column action must hold codes 0 to {len(ACTIONS) - 1} ({', '.join(ACTIONS)})")
    return values


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError("trace tables as DataFrames need pandas: pip install pandas "
                          "(the arrays are in Result.events and Result.updates without it)") from None
    return pandas


def _frame(columns):
    return _pandas().DataFrame(columns)
