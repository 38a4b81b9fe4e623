"""Checkpoints and the optional event-level trace.

Checkpoints are exact metrics of the iterate on a simulated-time grid and/or every K
updates, computed on the exact objective, never per event. Rows go into fixed
buffers that Python drains between chunks of the run.

The trace has two tables. The **event table** has one row per arrival and per
cancellation; its ``action`` is set by the shared primitives as a rule calls them
(:func:`~ringbench.engine.actions.use` stores, a step applies,
:func:`~ringbench.engine.tables.add_to_buffer` buffers, ``discard`` and ``cancel``
say so), so every rule, a plug-in's included, is traced without writing a row itself.
The **update table** has one row per update, written by the step.

Whether a run is traced is a property of the recorder's *class*, known when numba
compiles: an untraced run's :class:`Recorder` makes :func:`traced` the constant
False, so its kernels carry no trace code at all. Measured on Ringmaster with stops
(n = 1000, R = 6): a runtime flag, or even an unconditional store of each job's
start time, made a cancellation 1.5x slower (210-223 ns per event against 137-143).
A :class:`TracingRecorder` compiles the trace in, as a second specialisation of
the kernels (about 17 s CPU once, then cached), and keeps a runtime flag for the
trace's cap.
"""

from typing import NamedTuple

import numpy as np
from numba.extending import overload

from .._jit import OPTIONS, kernel

ROW_TIME, ROW_ITERATION, ROW_OBJECTIVE, ROW_GRAD_NORM2, ROW_EXTRA = 0, 1, 2, 3, 4

#: Columns of the event table.
EVENT_FIELDS = ("time", "worker", "job", "start_time", "start_iteration", "delay", "action", "iteration")
(EVENT_TIME, EVENT_WORKER, EVENT_JOB, EVENT_START_TIME, EVENT_START, EVENT_DELAY, EVENT_ACTION,
 EVENT_ITERATION) = range(8)
#: Columns of the update table.
UPDATE_FIELDS = ("k", "time", "worker", "gradients", "max_delay", "stepsize", "round")
UPDATE_K, UPDATE_TIME, UPDATE_WORKER, UPDATE_GRADIENTS, UPDATE_MAX_DELAY, UPDATE_STEPSIZE, UPDATE_ROUND = range(7)

# Event actions. NONE: the rule neither used nor discarded the arrival (a plug-in may do that).
# LOST: the worker went offline before the job finished (availability); like a cancellation, a row of its own.
NONE, APPLIED, STORED, BUFFERED, DISCARDED, CANCELLED, LOST = range(7)
#: Names of the actions, indexed by code.
ACTIONS = ("none", "applied", "stored", "buffered", "discarded", "cancelled", "lost")

# Indices into Recorder.since_update: gradients accepted since the last update (count,
# largest arrival delay) that the next update brings in, and those held in a buffer
# until a round ends.
FRESH_COUNT, FRESH_MAX, HELD_COUNT, HELD_MAX = range(4)


class Recorder(NamedTuple):
    """Where checkpoints and the optional trace are written."""

    grid: np.ndarray  # float64 (G,): increasing simulated times to record at
    next_grid: np.ndarray  # int64 (1,): index of the next grid time
    every: int  # record every this many updates (0: never)
    next_update: np.ndarray  # int64 (1,): iteration of the next update checkpoint
    rows: np.ndarray  # float64 (capacity, 5): time, iteration, f - f* (f where f* is unknown), ||grad f||^2, extra
    count: np.ndarray  # int64 (1,): rows written since the last drain
    last: np.ndarray  # float64 (2,): time and iteration of the last row written
    tracing: np.ndarray  # int64 (1,): 1 while the trace is recorded, 0 when off or past its cap
    events: np.ndarray  # float64 (trace capacity, len(EVENT_FIELDS))
    event_count: np.ndarray  # int64 (1,): event rows since the last drain
    events_x: np.ndarray  # float64 (trace capacity or 0, d): the iterate after each event
    updates: np.ndarray  # float64 (trace capacity, len(UPDATE_FIELDS))
    update_count: np.ndarray  # int64 (1,): update rows since the last drain
    action: np.ndarray  # int64 (1,): what the rule did with the arrival being handled
    arrival_delay: np.ndarray  # int64 (1,): its delay k - s
    open_row: np.ndarray  # int64 (1,): its event row, completed once the rule is done
    since_update: np.ndarray  # int64 (4,): see FRESH_COUNT ...
    job_start: np.ndarray  # float64 (n while tracing, else 0,): when each worker's current job started
    room: int  # event rows one arrival can write at most: itself and a cancellation of every other worker


class TracingRecorder(Recorder):
    """A :class:`Recorder` of a traced run: the class that compiles the trace hooks in (see :func:`traced`)."""

    __slots__ = ()


def traced(recorder):
    """Whether the trace is being recorded: always False for a :class:`Recorder`, known at compile time.

    For a :class:`TracingRecorder`, whether ``recorder.tracing`` is set (it is cleared
    once the trace reaches its cap). Kernels guard every trace hook with this.
    """
    return isinstance(recorder, TracingRecorder) and recorder.tracing[0] != 0


@overload(traced, jit_options=OPTIONS)
def _typed_traced(recorder):
    if issubclass(recorder.instance_class, TracingRecorder):
        return lambda recorder: recorder.tracing[0] != 0
    return lambda recorder: False


def new_recorder(grid, every, dimension, *, capacity=4096, trace=False, trace_iterates=False, workers=1):
    """Buffers for checkpoints on ``grid`` and every ``every`` updates, and the trace if asked.

    ``workers`` is n, all workers (the trace is indexed by worker id); the trace buffers
    hold ``capacity`` rows beyond the ``workers + 1`` one event can write.
    """
    trace_capacity = capacity + workers + 1 if trace else 0
    return (TracingRecorder if trace else Recorder)(
        grid=np.ascontiguousarray(grid, dtype=np.float64),
        next_grid=np.zeros(1, dtype=np.int64),
        every=int(every),
        next_update=np.array([every], dtype=np.int64),
        rows=np.zeros((capacity, 5)),
        count=np.zeros(1, dtype=np.int64),
        last=np.full(2, -1.0),
        tracing=np.array([1 if trace else 0], dtype=np.int64),
        events=np.zeros((trace_capacity, len(EVENT_FIELDS))),
        event_count=np.zeros(1, dtype=np.int64),
        events_x=np.zeros((trace_capacity if trace_iterates else 0, dimension)),
        updates=np.zeros((trace_capacity, len(UPDATE_FIELDS))),
        update_count=np.zeros(1, dtype=np.int64),
        action=np.zeros(1, dtype=np.int64),
        arrival_delay=np.zeros(1, dtype=np.int64),
        open_row=np.zeros(1, dtype=np.int64),
        since_update=np.zeros(4, dtype=np.int64),
        job_start=np.zeros(workers if trace else 0),
        room=workers + 1,
    )


@kernel(inner=True)
def has_room(recorder):
    """Whether the most one event writes fits: two checkpoint rows, and its trace rows."""
    if recorder.count[0] + 2 > recorder.rows.shape[0]:
        return False
    return not traced(recorder) or (recorder.event_count[0] + recorder.room <= recorder.events.shape[0]
                                        and recorder.update_count[0] < recorder.updates.shape[0])


@kernel(inner=True)
def write_row(recorder, time, iteration, objective, grad_norm2, extra):
    """Append one checkpoint row (the caller checked :func:`has_room`)."""
    row = recorder.rows[recorder.count[0]]
    row[ROW_TIME] = time
    row[ROW_ITERATION] = iteration
    row[ROW_OBJECTIVE] = objective
    row[ROW_GRAD_NORM2] = grad_norm2
    row[ROW_EXTRA] = extra
    recorder.count[0] += 1
    recorder.last[0] = time
    recorder.last[1] = iteration


@kernel(inner=True)
def log_event(recorder, time, worker, job, start_iteration, delay, action, iteration, x):
    """Append one row to the event table (the caller checked that tracing is on)."""
    entry = recorder.event_count[0]
    row = recorder.events[entry]
    row[EVENT_TIME] = time
    row[EVENT_WORKER] = worker
    row[EVENT_JOB] = job
    row[EVENT_START_TIME] = recorder.job_start[worker]
    row[EVENT_START] = start_iteration
    row[EVENT_DELAY] = delay
    row[EVENT_ACTION] = action
    row[EVENT_ITERATION] = iteration
    if recorder.events_x.shape[0] > 0 and x.size > 0:
        point = recorder.events_x[entry]
        for i in range(x.size):
            point[i] = x[i]
    recorder.event_count[0] = entry + 1


@kernel(inner=True)
def note_arrival(recorder, time, worker, job, start_iteration, delay):
    """Start handling an arrival while tracing: nothing done with it yet; its event row opens.

    The row is written before the rule runs, so it precedes the cancellations the
    arrival causes; :func:`note_handled` completes it. The trace hooks are called
    only while ``recorder.tracing`` is set, checked by the caller: a call that
    returns at once still copies the recorder, a cost per event.
    """
    recorder.action[0] = NONE
    recorder.arrival_delay[0] = delay
    recorder.open_row[0] = recorder.event_count[0]
    log_event(recorder, time, worker, job, start_iteration, delay, NONE, -1, recorder.grid[0:0])


@kernel(inner=True)
def note_handled(recorder, iteration, x):
    """After the rule: complete the arrival's row; a gradient kept for later counts towards that update."""
    action = recorder.action[0]
    row = recorder.events[recorder.open_row[0]]
    row[EVENT_ACTION] = action
    row[EVENT_ITERATION] = iteration
    if recorder.events_x.shape[0] > 0:
        point = recorder.events_x[recorder.open_row[0]]
        for i in range(x.size):
            point[i] = x[i]
    since = recorder.since_update
    delay = recorder.arrival_delay[0]
    if action == STORED:
        since[FRESH_COUNT] += 1
        since[FRESH_MAX] = max(since[FRESH_MAX], delay)
    elif action == BUFFERED:
        since[HELD_COUNT] += 1
        since[HELD_MAX] = max(since[HELD_MAX], delay)


@kernel(inner=True)
def release_held(recorder):
    """A round ended: the buffered gradients enter the next update."""
    since = recorder.since_update
    since[FRESH_COUNT] += since[HELD_COUNT]
    since[FRESH_MAX] = max(since[FRESH_MAX], since[HELD_MAX])
    since[HELD_COUNT] = 0
    since[HELD_MAX] = 0


@kernel(inner=True)
def log_update(recorder, k, time, worker, stepsize, round_index):
    """An update was made: the arrival being handled is applied, and the update table gets a row.

    The row counts the gradients accepted since the previous update (this arrival's
    included, if the rule used it), with the largest of their arrival delays.
    """
    fresh = recorder.action[0] == STORED
    if fresh:
        recorder.action[0] = APPLIED
    since = recorder.since_update
    gradients, max_delay = since[FRESH_COUNT], since[FRESH_MAX]
    if fresh:
        gradients += 1
        max_delay = max(max_delay, recorder.arrival_delay[0])
    since[FRESH_COUNT] = 0
    since[FRESH_MAX] = 0
    row = recorder.updates[recorder.update_count[0]]
    row[UPDATE_K] = k
    row[UPDATE_TIME] = time
    row[UPDATE_WORKER] = worker
    row[UPDATE_GRADIENTS] = gradients
    row[UPDATE_MAX_DELAY] = max_delay if gradients > 0 else -1
    row[UPDATE_STEPSIZE] = stepsize
    row[UPDATE_ROUND] = round_index
    recorder.update_count[0] += 1
