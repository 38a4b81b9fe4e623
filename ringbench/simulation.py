"""``simulate``: validate a configuration, build the arrays, drive the jitted loop in chunks."""

import functools
import os
import platform
import sys
import time as wall
from dataclasses import dataclass
from importlib import metadata

import numpy as np
from numba import config as numba_config
from tqdm.auto import tqdm

from . import _validate, theory
from .engine import loop, plugins
from .engine.heap import new_heap
from .engine.record import ROW_GRAD_NORM2, ROW_ITERATION, ROW_OBJECTIVE, ROW_TIME, new_recorder
from .engine.rng import key_from_seed
from .engine.snapshots import new_snapshots
from .engine.state import (
    ARRIVALS,
    CANCELLED,
    COMPUTED,
    DELAY_MAX,
    DELAY_SUM,
    DISCARDED,
    USED,
    Limits,
    Simulation,
    new_state_arrays,
)
from .methods.base import Method
from .problems.base import Problem
from .results import Result
from .timing.models import TimingModel

_TRACE_FIELDS = ("time", "worker", "delay", "used", "iteration")
_TRACE_MODES = (False, "events", "iterates")
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
             record=None, blowup=1e12, progress=False, trace=False):
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
    trace : {False, 'events', 'iterates'}
        Log every arrival (time, worker, delay, used, iteration), optionally with the
        iterate after it. For tests and small runs only.

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
    _validate.choice("trace", trace, _TRACE_MODES)
    _validate.boolean("progress", progress)
    configuration = method.configure(problem, timing)
    _validate.run_memory(timing.n, problem.d, configuration.snapshot_capacity, grid.size)
    _validate.run_length(t_max, max_updates, timing.expected_durations())

    trace_capacity = 4096 if trace else 0
    rule, data = configuration.rule, problem.data()
    sim = Simulation(
        timing=timing.data(),
        key=key_from_seed(seed_sequence),
        limits=Limits(t_max=np.inf if t_max is None else t_max,
                      max_updates=np.iinfo(np.int64).max if max_updates is None else max_updates,
                      target=-np.inf if target is None else target, blowup=blowup,
                      noise_floor=float(problem.sigma2 or 0.0)),
        heap=new_heap(timing.n),
        snapshots=new_snapshots(timing.n, problem.d, configuration.snapshot_capacity),
        recorder=new_recorder(grid, every, problem.d, trace_capacity=trace_capacity,
                              trace_iterates=trace == "iterates"),
        active=configuration.active,
        **new_state_arrays(timing.n, problem.d, problem.x0),
    )
    config = {
        "problem": problem.describe(), "method": method.describe(), "resolved": configuration.parameters,
        "timing": timing.describe(), "t_max": t_max, "max_updates": max_updates, "target": target,
        "blowup": blowup, "record": {"times": int(grid.size), "every": every},
        "prediction": theory.prediction(problem, method, timing, target=target),
        "seed": {"entropy": str(seed_sequence.entropy), "spawn_key": list(seed_sequence.spawn_key)},
    }
    status, rows, events = _run(sim, rule, data, t_max, max_updates, progress, method.name)
    return _result(sim, method, rule, problem, status, rows, events, config, seed_sequence)


def _entry_points(sim, rule, data):
    """The compiled ``(initialize, advance)`` for this run's method, problem and timing model."""
    modules = plugins.plugin_modules(rule, data, sim.timing)
    if not modules or numba_config.DISABLE_JIT:
        return loop.initialize, loop.advance
    return plugins.entry_points(modules)


def _run(sim, rule, data, t_max, max_updates, progress, label):
    """Call the jitted loop in chunks until it stops; return (status, checkpoint rows, trace)."""
    initialize, advance = _entry_points(sim, rule, data)
    rows, events = [], []

    def drain():
        recorder = sim.recorder
        count = recorder.count[0]
        block = recorder.rows[:count].copy()
        recorder.count[0] = 0
        rows.append(block)
        count = recorder.trace_count[0]
        if recorder.trace.shape[0]:
            events.append((recorder.trace[:count].copy(), recorder.trace_x[:count].copy()))
            recorder.trace_count[0] = 0

    total, unit = (t_max, "s") if t_max is not None else (max_updates, "updates")
    bar = tqdm(total=total, unit=unit, desc=label, disable=not progress, leave=False, dynamic_ncols=True)
    chunk = 1024
    try:
        status = initialize(sim, rule, data)
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
    finally:
        bar.close()
    if status == loop.STALLED:
        raise RuntimeError("the method left every worker idle; this is a bug in its server rule")
    return status, np.concatenate(rows), events


_STATUS_NAMES = {loop.COMPLETED: "completed", loop.MAX_UPDATES: "completed", loop.TARGET_REACHED: "target_reached",
                 loop.DIVERGED: "diverged", "interrupted": "interrupted"}


def _result(sim, method, rule, problem, status, rows, events, config, seed_sequence):
    counts = sim.counters
    used = int(counts[USED])
    held = method.held(rule)
    pending, overwritten = held["pending"], held["overwritten"]
    counters = {
        "updates": int(sim.iteration[0]), "arrivals": int(counts[ARRIVALS]), "computed": int(counts[COMPUTED]),
        "applied": used - pending - overwritten, "pending": pending, "overwritten": overwritten,
        "discarded": int(counts[DISCARDED]),
        "cancelled": int(counts[CANCELLED]), "wasted": int(counts[DISCARDED] + counts[CANCELLED]),
        "mean_delay": float(counts[DELAY_SUM] / used) if used else 0.0, "max_delay": int(counts[DELAY_MAX]),
        "end_time": float(sim.clock[0]),
    }
    objective = rows[:, ROW_OBJECTIVE]  # f(x) - f* where f* is known, else f(x)
    diverged_at = None
    if status == loop.DIVERGED:
        diverged_at = {"time": float(sim.diverged_at[0]), "iteration": int(sim.diverged_at[1])}
    trace = None
    if events:
        table = np.concatenate([block for block, _ in events])
        trace = {name: table[:, column] for column, name in enumerate(_TRACE_FIELDS)}
        for name in ("worker", "delay", "iteration"):
            trace[name] = trace[name].astype(np.int64)
        trace["used"] = trace["used"].astype(bool)
        iterates = np.concatenate([block for _, block in events])
        if iterates.shape[0]:
            trace["x"] = iterates
    return Result(
        time=rows[:, ROW_TIME].copy(), iteration=rows[:, ROW_ITERATION].astype(np.int64),
        f=objective + (problem.f_star or 0.0), f_gap=objective.copy() if problem.f_star is not None else None,
        grad_norm2=rows[:, ROW_GRAD_NORM2].copy(), x=sim.x.copy(),
        status=_STATUS_NAMES[status], counters=counters, diverged_at=diverged_at, config=config,
        provenance=_provenance(seed_sequence), trace=trace,
    )


@functools.cache
def _versions():
    """Versions of the packages a result depends on (looked up once per process: it takes ms)."""
    versions = {}
    for package in ("ringbench", "numba", "numpy", "scipy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def _provenance(seed_sequence):
    return {"versions": dict(_versions()), "python": sys.version.split()[0], "platform": platform.platform(),
            "numba_num_threads": os.environ.get("NUMBA_NUM_THREADS"),
            "seed_entropy": str(seed_sequence.entropy), "seed_spawn_key": list(seed_sequence.spawn_key)}
