"""Checkpoints: exact metrics of the iterate on a simulated-time grid and/or every K updates.

Metrics are computed on the exact objective, never per event. Rows go into a fixed
buffer that Python drains between chunks of the run. An optional event trace (for
tests and debugging) logs every arrival.
"""

from typing import NamedTuple

import numpy as np

from .._jit import kernel

ROW_TIME, ROW_ITERATION, ROW_OBJECTIVE, ROW_GRAD_NORM2 = 0, 1, 2, 3
TRACE_TIME, TRACE_WORKER, TRACE_DELAY, TRACE_USED, TRACE_ITERATION = 0, 1, 2, 3, 4


class Recorder(NamedTuple):
    """Where checkpoints and the optional event trace are written."""

    grid: np.ndarray  # float64 (G,): increasing simulated times to record at
    next_grid: np.ndarray  # int64 (1,): index of the next grid time
    every: int  # record every this many updates (0: never)
    next_update: np.ndarray  # int64 (1,): iteration of the next update checkpoint
    rows: np.ndarray  # float64 (capacity, 4): time, iteration, f - f* (f where f* is unknown), ||grad f||^2
    count: np.ndarray  # int64 (1,): rows written since the last drain
    last: np.ndarray  # float64 (2,): time and iteration of the last row written
    trace: np.ndarray  # float64 (trace capacity, 5): time, worker, delay, used, iteration after
    trace_x: np.ndarray  # float64 (trace capacity, d or 0): iterate after each arrival
    trace_count: np.ndarray  # int64 (1,)


def new_recorder(grid, every, dimension, *, capacity=4096, trace_capacity=0, trace_iterates=False):
    """Buffers for checkpoints on ``grid`` and every ``every`` updates."""
    return Recorder(
        grid=np.ascontiguousarray(grid, dtype=np.float64),
        next_grid=np.zeros(1, dtype=np.int64),
        every=int(every),
        next_update=np.array([every], dtype=np.int64),
        rows=np.zeros((capacity, 4)),
        count=np.zeros(1, dtype=np.int64),
        last=np.full(2, -1.0),
        trace=np.zeros((trace_capacity, 5)),
        trace_x=np.zeros((trace_capacity if trace_iterates else 0, dimension)),
        trace_count=np.zeros(1, dtype=np.int64),
    )


@kernel
def has_room(recorder):
    """Whether two more checkpoint rows and one more trace entry fit (the most one event writes)."""
    if recorder.count[0] + 2 > recorder.rows.shape[0]:
        return False
    return recorder.trace.shape[0] == 0 or recorder.trace_count[0] < recorder.trace.shape[0]


@kernel
def write_row(recorder, time, iteration, objective, grad_norm2):
    """Append one checkpoint row (the caller checked :func:`has_room`)."""
    row = recorder.rows[recorder.count[0]]
    row[ROW_TIME] = time
    row[ROW_ITERATION] = iteration
    row[ROW_OBJECTIVE] = objective
    row[ROW_GRAD_NORM2] = grad_norm2
    recorder.count[0] += 1
    recorder.last[0] = time
    recorder.last[1] = iteration


@kernel
def log_arrival(recorder, time, worker, delay, used, iteration, x):
    """Append one arrival to the event trace, if tracing is on."""
    if recorder.trace.shape[0] == 0:
        return
    entry = recorder.trace_count[0]
    recorder.trace[entry, TRACE_TIME] = time
    recorder.trace[entry, TRACE_WORKER] = worker
    recorder.trace[entry, TRACE_DELAY] = delay
    recorder.trace[entry, TRACE_USED] = used
    recorder.trace[entry, TRACE_ITERATION] = iteration
    if recorder.trace_x.shape[0] > 0:
        row = recorder.trace_x[entry]
        for i in range(x.size):
            row[i] = x[i]
    recorder.trace_count[0] += 1
