"""``simulate``: validate a configuration, build the arrays, drive the jitted loop in chunks."""

import functools
import os
import platform
import sys
import time as wall
import warnings
from dataclasses import dataclass

import numpy as np
from numba import config as numba_config
from numba.core import errors as numba_errors
from tqdm.auto import tqdm

from . import _compiling, _validate, theory
from .engine import loop, plugins, protocol
from .engine.availability import for_run, offline_workers
from .engine.errors import RuleError
from .engine.heap import new_heap
from .engine.record import (
    EVENT_FIELDS,
    EVENT_TIME,
    ROW_EXTRA,
    ROW_GRAD_NORM2,
    ROW_ITERATION,
    ROW_OBJECTIVE,
    ROW_TIME,
    UPDATE_FIELDS,
    UPDATE_TIME,
    new_recorder,
)
from .engine.rng import STREAM_VERSION, key_from_seed
from .engine.snapshots import new_snapshots
from .engine.state import (
    ARRIVALS,
    CANCELLED,
    COMPUTED,
    DELAY_MAX,
    DELAY_SUM,
    DISCARDED,
    LOST,
    USED,
    Limits,
    Simulation,
    new_state_arrays,
)
from .methods.base import Configuration, Method
from .problems.base import Problem
from .results import Result
from .timing.models import TimingModel

_TRACE_MODES = (False, True, "events", "iterates")
#: Default cap on the rows of each trace table: 1e6 rows are 56 MB.
TRACE_LIMIT = 1_000_000
#: Rows of the recorder's buffers (checkpoints, and the trace besides n + 1), drained after every chunk.
_TRACE_BUFFER = 4096
_CHUNK_SECONDS = 0.1  # wall time per call of the jitted loop: Ctrl-C and the progress bar react this fast


@dataclass(frozen=True)
class Recording:
    """When to record checkpoints (exact metrics of the iterate).

    Parameters
    ----------
    times : int or array_like of float, optional
        A number of equally spaced simulated times in (0, t_max], or the times
        themselves. Default: 1000 points when ``t_max`` is given.
    every : int, optional
        Also record every this many updates. Default: ``max_updates // 1000``
        (at least 1) when there is no ``t_max``, else never.
    """

    times: object = None
    every: int = None

    def resolve(self, t_max, max_updates):
        """The grid of times and the update interval, validated."""
        if self.times is None:
            grid = np.linspace(0.0, t_max, 1001)[1:] if t_max is not None else np.zeros(0)
        elif np.isscalar(self.times):
            count = _validate.count("record times", self.times, bytes_each=_validate.CHECKPOINT_BYTES)
            if t_max is None:
                raise ValueError("record times as a count needs t_max")
            grid = np.linspace(0.0, t_max, count + 1)[1:]
        else:
            grid = _validate.array("record times", self.times, positive=True)
            if np.any(np.diff(grid) <= 0):
                raise ValueError("record times must be strictly increasing")
            if t_max is not None and grid[-1] > t_max:
                raise ValueError(f"record times must be <= t_max = {t_max}, got {grid[-1]}")
        if self.every is not None:
            every = _validate.integer("record every", self.every, minimum=1)
        elif t_max is None:
            every = max(1, max_updates // 1000)
        else:
            every = 0
        return grid, every


def simulate(problem, method, timing, *, t_max=None, max_updates=None, target=None, seed=0,
             record=None, blowup=1e12, progress=False, trace=False, trace_limit=None):
    """Simulate ``method`` on ``problem`` with workers timed by ``timing``.

    Parameters
    ----------
    problem : ringbench.problems.Problem
        The objective and its stochastic gradient oracle (``Quadratic``, ``Logistic``).
    method : ringbench.methods.Method
        The optimisation method, e.g. ``Ringmaster(gamma=0.25, threshold=6)``.
    timing : ringbench.timing.TimingModel
        Compute-time model of the n workers.
    t_max : float, optional
        Simulated-time budget in seconds.
    max_updates : int, optional
        Budget of model updates. At least one of ``t_max`` and ``max_updates`` is required.
    target : float, optional
        Stop once ||grad f(x)||^2 <= target at a checkpoint.
    seed : int or numpy.random.SeedSequence, default 0
        Root of all randomness (job durations and gradient noise); same seed and
        configuration give bit-identical results.
    record : Recording, optional
        Checkpoint schedule; see :class:`Recording`.
    blowup : float, default 1e12
        The run has diverged when a squared gradient norm exceeds ``blowup`` times
        ||grad f(x0)||^2 + sigma^2 (sigma^2 taken as 0 where the problem does not
        know it), or is not finite.
    progress : bool, default False
        Show a progress bar over simulated time (or updates).
    trace : {False, True, 'events', 'iterates'}
        Record the event table (one row per arrival and per cancellation) and the
        update table (one row per update), see :meth:`Result.event_table`; ``'events'``
        is the same as True; ``'iterates'`` also keeps the iterate after each event
        (d numbers a row: small runs only).
    trace_limit : int, optional
        Most rows kept in each trace table (default :data:`TRACE_LIMIT`); with a
        trace only. When a table would exceed it the trace stops (the run goes on):
        both tables hold the rows before the time of the first row that does not fit,
        a warning gives that time, and ``Result.config["trace"]["truncated"]`` is True.

    Returns
    -------
    Result
    """
    if not isinstance(problem, Problem):
        raise ValueError("problem must be a ringbench problem such as problems.Quadratic or problems.Logistic, "
                         f"got {type(problem).__name__}")
    if not isinstance(method, Method):
        raise ValueError(f"method must be a ringbench method such as methods.Ringmaster, got {type(method).__name__}")
    if not isinstance(timing, TimingModel):
        raise ValueError(f"timing must be a timing model from ringbench.timing, got {type(timing).__name__}")
    if problem.n_workers is not None and problem.n_workers != timing.n:
        raise ValueError(f"the problem's data is split over {problem.n_workers} workers, but the timing model "
                         f"has n = {timing.n}; they must agree")
    if t_max is not None:
        t_max = _validate.real("t_max", t_max, positive=True)
    if max_updates is not None:
        max_updates = _validate.integer("max_updates", max_updates, minimum=1)
    if t_max is None and max_updates is None:
        raise ValueError("t_max or max_updates is required, so that the run ends")
    if target is not None:
        target = _validate.real("target", target, positive=True)
    blowup = _validate.real("blowup", blowup, positive=True)
    seed_sequence = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(
        _validate.integer("seed", seed, minimum=0))
    record = Recording() if record is None else record
    if not isinstance(record, Recording):
        raise ValueError(f"record must be a ringbench.Recording, got {type(record).__name__}")
    grid, every = record.resolve(t_max, max_updates)
    if not (isinstance(trace, bool) or isinstance(trace, str) and trace in _TRACE_MODES):
        raise ValueError(f"trace must be False, True, 'events' or 'iterates', got {trace!r}")
    if trace_limit is not None and not trace:
        raise ValueError("trace_limit caps the rows of a trace: it needs trace=True, 'events' or 'iterates'")
    trace_limit = _validate.integer("trace_limit", TRACE_LIMIT if trace_limit is None else trace_limit, minimum=1)
    _validate.boolean("progress", progress)
    configuration = configured(method, problem, timing)
    check_run(problem, timing, configuration, t_max, max_updates, record, trace, trace_limit)

    rule, data = configuration.rule, problem.data()
    if not (isinstance(data, tuple) and hasattr(type(data), "_fields")):
        raise ValueError(f"problem {problem.name!r}: data() must return a NamedTuple instance of the class its "
                         f"kernels are registered for, got {type(data).__name__}")
    factors = factor_size(problem, configuration, type(data))
    sim = Simulation(
        timing=for_run(timing.data()),
        key=key_from_seed(seed_sequence),
        limits=Limits(t_max=np.inf if t_max is None else t_max,
                      max_updates=np.iinfo(np.int64).max if max_updates is None else max_updates,
                      target=-np.inf if target is None else target, blowup=blowup,
                      noise_floor=float(problem.sigma2 or 0.0)),
        heap=new_heap(timing.n),
        snapshots=new_snapshots(timing.n, problem.d, 0 if factors else configuration.snapshot_capacity),
        recorder=new_recorder(grid, every, problem.d, capacity=_TRACE_BUFFER, trace=bool(trace),
                              trace_iterates=trace == "iterates", workers=timing.n),
        active=configuration.active,
        **new_state_arrays(timing.n, problem.d, problem.x0, factors),
    )
    config = {
        "problem": problem.describe(), "method": method.describe(), "resolved": configuration.parameters,
        "timing": timing.describe(), "t_max": t_max, "max_updates": max_updates, "target": target,
        "blowup": blowup, "record": {"times": int(grid.size), "every": every},
        "prediction": theory.prediction(problem, method, timing, target=target),
        "seed": {"entropy": str(seed_sequence.entropy), "spawn_key": list(seed_sequence.spawn_key)},
        "trace": {"limit": trace_limit, "truncated": False} if trace else None,
    }
    modules = plugins.plugin_modules(rule, data, sim.timing)
    provenance = _provenance(seed_sequence, plugins.sources(modules) if modules else {})
    # How, not what: the results are the same either way (tests/test_factored_gradients.py).
    provenance["gradients_evaluated"] = "at job start, factored" if factors else "on arrival"
    status, rows, tables = _run(sim, rule, data, modules, t_max, max_updates, progress, method.name, trace_limit,
                                f"{method.name} on the {problem.name}")
    if tables is not None and tables["truncated"] is not None:
        config["trace"]["truncated"] = True
        warnings.warn(f"the trace reached trace_limit={trace_limit} rows: it holds the events before "
                      f"t={tables['truncated']:.6g} s (the run went on); pass a larger trace_limit to keep all of it",
                      RuntimeWarning, stacklevel=2)
    return _result(sim, method, rule, problem, status, rows, tables, config, provenance)


def configured(method, problem, timing):
    """``method.configure(problem, timing)``, checked: a name its results can be saved under, and arrays the engine
    can index.

    :func:`simulate` calls it before every run; a driver of several runs (a sweep's
    check, ``ringbench compare``) calls it for each before the first, so that a broken
    plug-in fails before the others have run.
    """
    _check_name(method)
    configuration = method.configure(problem, timing)
    _check_configuration(configuration, timing)
    return configuration


def check_run(problem, timing, configuration, t_max, max_updates, record, trace=False, trace_limit=TRACE_LIMIT):
    """Check, before allocating anything, that a run can finish and that its arrays fit in memory.

    What :func:`simulate` checks once the method is configured (``configuration``, from
    :func:`configured`); a sweep's ``--dry-run`` checks every run with it.
    Checkpoints and trace rows are counted from the run's budgets: an update needs an
    arrival, so a run has at most min(expected arrivals, max_updates) updates, and a traced
    run at most a row per arrival and per cancellation (twice the arrivals, with margin).
    """
    _check_start(problem)
    grid, every = record.resolve(t_max, max_updates)
    _validate.run_length(t_max, max_updates, timing.expected_durations())
    arrivals = _validate.expected_arrivals(t_max, timing.expected_durations())
    updates = min(arrivals, np.inf if max_updates is None else max_updates)
    checkpoints = grid.size + 1 + (updates / every if every else 0)
    trace_rows = min(trace_limit, 2 * arrivals + timing.n) if trace else 0
    row_bytes = 8 * (len(EVENT_FIELDS) + len(UPDATE_FIELDS) + (problem.d if trace == "iterates" else 0))
    # The parts a caller sets directly first, so that the message names what to change.
    _validate.memory(f"record (every={every} updates, up to {updates:.3g} updates)", f"{checkpoints:.3g} checkpoints",
                     checkpoints * _validate.CHECKPOINT_BYTES)
    _validate.memory(f"trace={trace!r} with trace_limit={trace_limit}", f"{trace_rows:.3g} rows",
                     _validate.TRACE_COPIES * trace_rows * row_bytes)
    factors = factor_size(problem, configuration)
    _validate.run_memory(timing.n, problem.d, 0 if factors else configuration.snapshot_capacity, checkpoints,
                         factor_size=factors, trace_rows=trace_rows,
                         trace_buffer=(_TRACE_BUFFER + timing.n + 1) if trace else 0, trace_row_bytes=row_bytes)


def factor_size(problem, configuration, data_class=None):
    """Entries of each job's factored gradient in a run, 0 unless its jobs are evaluated when they start.

    That is when the method applies each gradient once, on arrival
    (``Configuration.gradients_at_start``), and the problem has factored gradients
    (``Problem.factor_size`` > 0); with ``data_class``, the class of its data, both of
    the problem's kernels for them must be registered.
    """
    size = getattr(problem, "factor_size", 0)
    _validate.integer(f"problem {getattr(problem, 'name', type(problem).__name__)!r}: factor_size", size, minimum=0,
                      floats=False)
    if not (configuration.gradients_at_start and size):
        return 0
    if data_class is not None:
        for call in ("factor_gradient", "descend_factored"):
            protocol.implementation(call, data_class)  # a TypeError naming the kernel that is missing
    return int(size)


def _check_start(problem):
    """The problem's ``d`` and ``x0`` agree: the kernels size every vector by ``d`` and copy ``x0`` into x."""
    name, d, x0 = getattr(problem, "name", type(problem).__name__), getattr(problem, "d", None), getattr(
        problem, "x0", None)
    _validate.integer(f"problem {name!r}: d", d, minimum=1, floats=False)
    if x0 is None or np.shape(x0) != (d,):
        got = "none" if x0 is None else f"shape {np.shape(x0)}"
        raise ValueError(f"problem {name!r}: x0, the starting point, must have shape (d,) = ({d},), got {got}")


def _check_name(method):
    """Results, tables and plots are labelled, and results saved, under the method's name: one file name."""
    name = method.name
    if not (isinstance(name, str) and name.strip()):
        raise ValueError(f"method {type(method).__name__}: its class needs a name, e.g. name = 'my-method' "
                         "(results and tables are labelled with it)")
    if name != name.strip() or name.startswith(".") or any(character in name for character in "/\\") or any(
            ord(character) < 32 for character in name):
        raise ValueError(f"method {type(method).__name__}: its name {name!r} must be usable as a file name (results "
                         "are saved under it): no '/' or '\\', no leading '.', no surrounding spaces or control "
                         "characters")


def _check_configuration(configuration, timing):
    """What a method's ``configure`` returned is what the engine indexes with: it does no bounds checks."""
    if not isinstance(configuration, Configuration):
        raise ValueError(f"a method's configure() must return a ringbench Configuration, got "
                         f"{type(configuration).__name__}")
    rule, active, capacity, parameters, gradients_at_start = configuration
    if not (isinstance(rule, tuple) and hasattr(type(rule), "_fields")):
        raise ValueError(f"Configuration.rule must be a NamedTuple instance of the method's rule class, got "
                         f"{type(rule).__name__}")
    if not isinstance(active, np.ndarray) or active.dtype != np.int64 or active.ndim != 1 or not active.size:
        got = f"dtype {active.dtype}, shape {active.shape}" if isinstance(active, np.ndarray) else type(active).__name__
        raise ValueError(f"Configuration.active must be a non-empty 1-D int64 array of worker indices, got {got}")
    low, high = int(active.min()), int(active.max())
    repeated = 0
    if 0 <= low and high < timing.n:  # O(n), not np.unique's sort: this runs before every run, however short
        seen = np.zeros(timing.n, dtype=bool)
        seen[active] = True
        repeated = active.size - int(np.count_nonzero(seen))
    if low < 0 or high >= timing.n or repeated:
        raise ValueError(f"Configuration.active must hold distinct workers in 0 .. n-1 = {timing.n - 1}, got "
                         f"values from {low} to {high}" + (f" ({repeated} repeated)" if repeated else ""))
    _validate.integer("Configuration.snapshot_capacity", capacity, minimum=0, floats=False)
    if not isinstance(parameters, dict):
        raise ValueError(f"Configuration.parameters must be a dict, got {type(parameters).__name__}")
    if not isinstance(gradients_at_start, bool):
        raise ValueError(f"Configuration.gradients_at_start must be True or False, got {gradients_at_start!r}")


def _entry_points(modules):
    """The compiled ``(initialize, advance)`` for a run whose plug-ins come from ``modules``."""
    if not modules or numba_config.DISABLE_JIT:
        return loop.initialize, loop.advance
    return plugins.entry_points(modules)


def _run(sim, rule, data, modules, t_max, max_updates, progress, label, trace_limit, setting):
    """Call the jitted loop in chunks until it stops; return (status, checkpoint rows, trace tables or None).

    A compile on the way (the kernels were not in numba's cache) is announced on stderr
    as the compiling of ``setting``.
    """
    initialize, advance = _entry_points(modules)
    recorder = sim.recorder
    rows = []
    trace = {"events": [], "updates": [], "x": [], "kept": [0, 0], "truncated": None} if recorder.tracing[0] else None

    def keep(name, index, block):
        """Append ``block`` to trace table ``name`` up to the limit; return how many rows were kept."""
        room = trace_limit - trace["kept"][index]
        trace[name].append(block[:room].copy())
        trace["kept"][index] += min(room, block.shape[0])
        return min(room, block.shape[0])

    def drain():
        rows.append(recorder.rows[:recorder.count[0]].copy())
        recorder.count[0] = 0
        if trace is not None and recorder.tracing[0]:
            events = recorder.events[:recorder.event_count[0]]
            updates = recorder.updates[:recorder.update_count[0]]
            cut = _trace_cut(((events, EVENT_TIME), (updates, UPDATE_TIME)), trace["kept"], trace_limit)
            if cut is not None:  # the cap: the run goes on untraced; both tables keep exactly the rows before cut
                recorder.tracing[0] = 0
                trace["truncated"] = cut
                events = events[:np.searchsorted(events[:, EVENT_TIME], cut, side="left")]
                updates = updates[:np.searchsorted(updates[:, UPDATE_TIME], cut, side="left")]
            kept = keep("events", 0, events)
            if recorder.events_x.shape[0]:
                trace["x"].append(recorder.events_x[:kept].copy())
            keep("updates", 1, updates)
            recorder.event_count[0] = 0
            recorder.update_count[0] = 0

    if t_max is not None:
        total, unit, shown = t_max, "s", "{n:.4g}/{total:.4g} simulated s"
    else:
        total, unit, shown = max_updates, "updates", "{n_fmt}/{total_fmt} updates"
    bar = tqdm(total=total, unit=unit, desc=label, disable=not progress, leave=False, dynamic_ncols=True,
               bar_format="{l_bar}{bar}| " + shown + " [{elapsed}<{remaining}]")
    chunk = 1024
    try:
        with _compiling.announced(setting, advance):
            status = initialize(sim, data)
            drain()
            while status in (loop.RUNNING, loop.BUFFER_FULL):
                started = wall.perf_counter()
                status = advance(sim, rule, data, chunk)
                elapsed = wall.perf_counter() - started
                drain()
                bar.update((sim.clock[0] if t_max is not None else sim.iteration[0]) - bar.n)
                chunk = int(min(max(chunk * _CHUNK_SECONDS / max(elapsed, 1e-6), chunk / 4), chunk * 4, 2**24)) or 1
    except KeyboardInterrupt:
        drain()
        status = "interrupted"
    except (numba_errors.NumbaError, numba_errors.UnsupportedBytecodeError) as error:
        if not modules:  # the built-ins compile: this is a bug of ringbench's, with numba's whole message
            raise
        raise _compiling.plugin_error(error, setting, modules) from error
    except RuleError as error:  # raised inside the compiled loop, which does not know the method's name
        raise RuleError(f"{label}: {error}") from None
    finally:
        bar.close()
    if status == loop.STALLED:
        raise RuleError(f"{label}: the server rule left every worker idle, and none is offline to rejoin; this "
                        "is a bug in the rule")
    if status == loop.UNHANDLED:
        raise RuleError(f"{label}: the server rule handled the job of worker {sim.arriving[0]} that finished at "
                        f"t={sim.clock[0]:.6g} but neither restarted the worker (restart, cancel) nor left it idle "
                        "(make_idle); its job would arrive again forever. This is a bug in the rule.")
    return status, np.concatenate(rows), trace


_STATUS_NAMES = {loop.TIME_BUDGET: "time_budget", loop.MAX_UPDATES: "update_budget",
                 loop.TARGET_REACHED: "target_reached", loop.DIVERGED: "diverged", "interrupted": "interrupted"}


def _trace_cut(blocks, kept, trace_limit):
    """The time of the first trace row past ``trace_limit`` in any table, or None while every row fits.

    ``blocks`` are the new rows of each trace table (in time order) and their time
    column; ``kept[i]`` <= ``trace_limit`` rows of table i are kept already. Rows at
    that time are dropped from every table, so that simultaneous events (an arrival
    and the update it made) are kept together or not at all.
    """
    cuts = [block[trace_limit - kept_rows, column] for (block, column), kept_rows in zip(blocks, kept)
            if kept_rows + block.shape[0] > trace_limit]
    return float(min(cuts)) if cuts else None


#: Trace columns that stay float64; the others are integers stored in the float rows of the trace buffer.
_FLOAT_FIELDS = ("time", "start_time", "stepsize")


def _tables(trace):
    """The trace's columns as arrays: (event columns, update columns, iterates or None)."""
    events = np.concatenate(trace["events"]) if trace["events"] else np.zeros((0, len(EVENT_FIELDS)))
    updates = np.concatenate(trace["updates"]) if trace["updates"] else np.zeros((0, len(UPDATE_FIELDS)))
    event_columns = {name: events[:, column].copy() if name in _FLOAT_FIELDS else events[:, column].astype(np.int64)
                     for column, name in enumerate(EVENT_FIELDS)}
    update_columns = {name: updates[:, column].copy() if name in _FLOAT_FIELDS else updates[:, column].astype(np.int64)
                      for column, name in enumerate(UPDATE_FIELDS)}
    iterates = np.concatenate(trace["x"]) if trace["x"] else None
    return event_columns, update_columns, iterates


def _result(sim, method, rule, problem, status, rows, trace, config, provenance):
    counts = sim.counters
    used = int(counts[USED])
    held = method.held(rule)
    pending, overwritten = held["pending"], held["overwritten"]
    counters = {
        "updates": int(sim.iteration[0]), "arrivals": int(counts[ARRIVALS]), "computed": int(counts[COMPUTED]),
        "applied": used - pending - overwritten, "pending": pending, "overwritten": overwritten,
        "discarded": int(counts[DISCARDED]),
        "cancelled": int(counts[CANCELLED]), "lost": int(counts[LOST]),
        "wasted": int(counts[DISCARDED] + counts[CANCELLED] + counts[LOST]),
        "mean_delay": float(counts[DELAY_SUM] / used) if used else 0.0, "max_delay": int(counts[DELAY_MAX]),
        "end_time": float(sim.clock[0]), "jobs_started": int(sim.jobs_started.sum()),
        "in_flight": int(sim.heap.size[0]) - offline_workers(sim.timing),  # an offline worker has no job
    }
    objective = rows[:, ROW_OBJECTIVE]  # f(x) - f* where f* is known, else f(x)
    diverged_at = None
    if status == loop.DIVERGED:
        diverged_at = {"time": float(sim.diverged_at[0]), "iteration": int(sim.diverged_at[1])}
    events, updates, events_x = _tables(trace) if trace is not None else (None, None, None)
    return Result(
        time=rows[:, ROW_TIME].copy(), iteration=rows[:, ROW_ITERATION].astype(np.int64),
        f=objective + (problem.f_star or 0.0), f_gap=objective.copy() if problem.f_star is not None else None,
        grad_norm2=rows[:, ROW_GRAD_NORM2].copy(), x=sim.x.copy(),
        extra=rows[:, ROW_EXTRA].copy() if problem.extra_metric is not None else None,
        status=_STATUS_NAMES[status], counters=counters, diverged_at=diverged_at, config=config,
        provenance=provenance, events=events, updates=updates, events_x=events_x,
    )


@functools.cache
def _versions():
    """Versions of the packages a result depends on (looked up once per process: it takes ms)."""
    from importlib import metadata  # 50 ms to import: only once a run has finished

    versions = {}
    for package in ("ringbench", "numba", "numpy", "scipy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def _provenance(seed_sequence, plugin_sources):
    """Where a result came from; ``plugin_sources``: the file and SHA-256 of each plug-in module it ran."""
    return {"versions": dict(_versions()), "python": sys.version.split()[0], "platform": platform.platform(),
            "numba_num_threads": os.environ.get("NUMBA_NUM_THREADS"),
            "seed_entropy": str(seed_sequence.entropy), "seed_spawn_key": list(seed_sequence.spawn_key),
            "stream_version": STREAM_VERSION, "plugins": plugin_sources}
