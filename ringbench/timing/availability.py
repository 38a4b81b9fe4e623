"""Worker availability: a timing model wrapped with intervals in which workers are offline (FLSim, FedScale).

Worker i is offline on each of its intervals [start, end) and online otherwise. Unlike an
outage of :func:`ringbench.timing.outages` (speed 0: the job pauses and resumes), going
offline loses the job in flight:

* a job whose worker goes offline at or before the time it would finish is **lost**: its
  gradient never reaches the server, the method never sees it, and the result counts it
  (``counters["lost"]``, part of ``wasted``; the trace logs it with action ``lost``);
* the worker **rejoins** at the end of the interval and starts a fresh job on the server's
  current iterate, as at a restart (it was given no job while away);
* a worker offline when a job would start (at time 0, or when a method restarts it) starts
  that job when it comes back; a method's cancellation passes an offline worker by; under a
  concurrency cap (:class:`ringbench.methods.Capped`) an offline worker keeps its slot.

The job index j of the compute model counts the jobs a worker really started, so the
durations (and the gradients' noise) stay common random numbers across methods. Every
rejoin is an event, so a run whose workers are all away waits for them. The expected
durations, hence the theory's predictions, are the compute model's: they leave the
offline time out [R].

Intervals come from a list or a CSV file of rows ``worker,start,end`` (:func:`availability`),
or are drawn (:func:`random_availability`): online and offline durations alternate,
exponential with the given means, each worker's a pure function of (seed, worker), so
every method sees the same outages.
"""

import csv
import math
import pathlib

import numpy as np

from .. import _validate
from .._jit import kernel
from ..engine.availability import AvailableData
from ..engine.protocol import finish_time as compute_finish
from ..engine.protocol import implements
from .models import TimingModel, _summary

#: Numbers an availability model keeps per interval (start and end), for the memory check.
_INTERVAL_BYTES = 16


@implements("finish_time", AvailableData)
@kernel
def available_finish_time(timing, key, worker, job, start):
    """When the compute model's job would finish; the engine cuts it short at a drop (``engine.availability``)."""
    return compute_finish(timing.compute, key, worker, job, start)


def _checked_compute(compute):
    if not isinstance(compute, TimingModel):
        raise ValueError(f"compute must be a timing model from ringbench.timing, got {type(compute).__name__}")
    data = compute.data()
    if isinstance(data, AvailableData):
        raise ValueError("compute already has availability intervals; give all the intervals to one availability "
                         "model")
    if not type(data).__module__.startswith("ringbench."):
        raise ValueError("compute must be one of ringbench's timing models: a plug-in's kernels cannot be wrapped")
    return compute


def _model(compute, workers, starts, ends, parameters):
    """The model of ``compute`` offline on [starts, ends) for ``workers``: sorted, checked not to overlap."""
    n = compute.n
    order = np.lexsort((starts, workers))
    workers, starts, ends = workers[order], starts[order], ends[order]
    offsets = np.searchsorted(workers, np.arange(n + 1)).astype(np.int64)
    data = AvailableData(compute.data(), np.ascontiguousarray(starts, dtype=np.float64),
                         np.ascontiguousarray(ends, dtype=np.float64), offsets, np.zeros(n, dtype=np.int64))
    return TimingModel("availability", n, {"compute": compute.describe(), **parameters}, data,
                       compute.expected_durations())


def _overlap(workers, starts, ends):
    """Index (in sorted order) of the first interval that starts before the previous one of its worker ends, or None."""
    order = np.lexsort((starts, workers))
    same = workers[order][1:] == workers[order][:-1]
    clash = np.flatnonzero(same & (starts[order][1:] < ends[order][:-1]))
    return None if clash.size == 0 else (order[clash[0]], order[clash[0] + 1])


def availability(compute, intervals):
    """Wrap ``compute`` with offline intervals: a job in flight when its worker drops is lost.

    Parameters
    ----------
    compute : TimingModel
        The compute-time model of the n workers (any of :mod:`ringbench.timing`, communication included).
    intervals : str, pathlib.Path, or sequence of (worker, start, end)
        A CSV file of rows ``worker,start,end`` in seconds (a first row ``worker,start,end`` is a
        header), or the rows themselves. Each must have 0 <= worker < n, finite
        0 <= start < end, and a worker's intervals must not overlap (they may touch).

    Returns
    -------
    TimingModel
        Named ``availability``; its expected durations are the compute model's [R].
    """
    compute = _checked_compute(compute)
    if isinstance(intervals, (str, pathlib.Path)):
        rows, where, source = _read_csv(intervals)
    else:
        rows = _validate.sequence("intervals", intervals, "(worker, start, end) rows (or a CSV file's path)")
        where = [f"intervals[{index}]" for index in range(len(rows))]
        source = None
    workers, starts, ends = np.zeros(len(rows), dtype=np.int64), np.zeros(len(rows)), np.zeros(len(rows))
    for index, (row, place) in enumerate(zip(rows, where)):
        if len(row) != 3:
            raise ValueError(f"{place} must be (worker, start, end), got {row!r}")
        try:
            worker, start, end = int(row[0]), float(row[1]), float(row[2])
        except (TypeError, ValueError):
            raise ValueError(f"{place} must be an integer worker and two numbers, got {row!r}") from None
        if isinstance(row[0], (bool, np.bool_)) or worker != float(row[0]) or not 0 <= worker < compute.n:
            raise ValueError(f"{place}: worker must be an integer from 0 to n - 1 = {compute.n - 1}, got {row[0]!r}")
        if not (math.isfinite(start) and math.isfinite(end) and 0.0 <= start < end):
            raise ValueError(f"{place}: start and end must be finite with 0 <= start < end, got ({start}, {end})")
        workers[index], starts[index], ends[index] = worker, start, end
    clash = _overlap(workers, starts, ends)
    if clash is not None:
        first, second = clash
        raise ValueError(f"{where[second]} overlaps {where[first]}: worker {workers[first]} is offline on "
                         f"[{starts[first]:g}, {ends[first]:g}) and [{starts[second]:g}, {ends[second]:g})")
    parameters = {"intervals": str(source) if source is not None else len(rows),
                  "offline": _summary(np.stack([workers, starts, ends]).astype(np.float64))}
    return _model(compute, workers, starts, ends, parameters)


def _read_csv(path):
    """Rows of a ``worker,start,end`` CSV file, and where each is (``file line N``) for the errors."""
    location = _validate.input_file("intervals", path, (".csv",))
    rows, where = [], []
    try:
        with open(location, newline="", encoding="utf-8") as handle:
            for number, row in enumerate(csv.reader(handle), start=1):
                cells = [cell.strip() for cell in row]
                if not cells or cells == [""] or (number == 1 and cells == ["worker", "start", "end"]):
                    continue
                rows.append(cells)
                where.append(f"{location} line {number}")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"intervals: cannot read {str(path)!r}: {error}") from None
    return rows, where, location


def random_availability(compute, mean_online, mean_offline, *, horizon, seed=0):
    """Wrap ``compute`` with drawn offline intervals: online and offline times alternate, exponential.

    Worker i is online from time 0 for an Exp(mean ``mean_online``) time, then offline for
    an Exp(mean ``mean_offline``) time, and so on, until ``horizon``; after it, online for
    good. The draws of worker i come from ``numpy.random.default_rng(SeedSequence(seed,
    spawn_key=(i,)))``, alternately online and offline: a pure function of (seed, i).

    Parameters
    ----------
    compute : TimingModel
        The compute-time model of the n workers.
    mean_online, mean_offline : float
        Mean online and offline times in seconds, > 0.
    horizon : float
        Intervals are drawn up to this time (> 0), e.g. the run's t_max.
    seed : int, default 0
        Seed of the intervals (not the run's seed: the same intervals for every run seed).
    """
    compute = _checked_compute(compute)
    mean_online = _validate.real("mean_online", mean_online, positive=True)
    mean_offline = _validate.real("mean_offline", mean_offline, positive=True)
    horizon = _validate.real("horizon", horizon, positive=True)
    seed = _validate.integer("seed", seed, minimum=0)
    cycles = horizon / (mean_online + mean_offline)
    _validate.memory(f"random_availability(horizon={horizon:g}, mean_online={mean_online:g}, "
                     f"mean_offline={mean_offline:g})", f"about {cycles * compute.n:.3g} intervals",
                     cycles * compute.n * _INTERVAL_BYTES)
    # Draw a few cycles more than the mean needs at once; a worker that needs more draws again.
    block = int(cycles + 4.0 * math.sqrt(cycles) + 8)
    workers, starts, ends = [], [], []
    for worker in range(compute.n):
        generator = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(worker,)))
        times = np.zeros(0)
        while times.size == 0 or times[-1] < horizon:
            durations = generator.exponential(1.0, size=(block, 2)) * (mean_online, mean_offline)
            times = np.concatenate([times, (times[-1] if times.size else 0.0) + np.cumsum(durations.ravel())])
        drops, backs = times[0::2], times[1::2]
        kept = drops < horizon
        workers.append(np.full(int(kept.sum()), worker, dtype=np.int64))
        starts.append(drops[kept])
        ends.append(backs[kept])
    parameters = {"mean_online": mean_online, "mean_offline": mean_offline, "horizon": horizon, "seed": seed}
    return _model(compute, np.concatenate(workers), np.concatenate(starts), np.concatenate(ends), parameters)
