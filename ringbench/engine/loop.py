"""The one event loop shared by every method.

:func:`advance` processes up to ``max_events`` arrivals and returns a status; the
Python driver (:func:`ringbench.simulate`) calls it in chunks, which keeps the
progress bar moving, lets Ctrl-C interrupt a run between chunks without losing
what was computed, and drains the checkpoint buffer. All state lives in the
``Simulation`` arrays, so how a run is chunked never changes its result.
"""

import numpy as np

from .._jit import kernel
from .actions import change_presence, delay_of, evaluate_started, restart_all
from .availability import ARRIVAL, pending
from .protocol import extra_metric, metrics, on_arrival
from .record import has_room, note_arrival, note_handled, traced, write_row
from .state import ARRIVALS

RUNNING = 0  # chunk done, run continues
TIME_BUDGET = 1  # simulated-time budget reached
MAX_UPDATES = 2  # update budget reached
TARGET_REACHED = 3  # ||grad f||^2 <= target at a checkpoint
DIVERGED = 4  # non-finite or exploding gradient norm
BUFFER_FULL = 5  # drain the checkpoint buffer, then call again
STALLED = 6  # no worker is busy or offline until a rejoin: the method left everyone idle (a bug)
UNHANDLED = 7  # the rule neither restarted the arriving worker nor left it idle: its job would arrive forever (a bug)


@kernel(inner=True)
def _checkpoint(sim, problem, time):
    """Record exact metrics of the current iterate at ``time``; flag divergence or the target.

    Diverged means a non-finite objective or gradient norm (an x^0 where f overflows
    included), or a gradient norm beyond the blow-up threshold.
    """
    objective, grad_norm2 = metrics(problem, sim.x)
    if not (grad_norm2 <= sim.divergence[0] and np.isfinite(grad_norm2) and np.isfinite(objective)):
        sim.diverged_at[0] = time
        sim.diverged_at[1] = sim.iteration[0]
        return DIVERGED
    write_row(sim.recorder, time, sim.iteration[0], objective, grad_norm2, extra_metric(problem, sim.x))
    if grad_norm2 <= sim.limits.target:
        return TARGET_REACHED
    return RUNNING


@kernel
def initialize(sim, problem):
    """Start every active worker on x^0 at time 0 and record the starting point.

    The divergence threshold is set here from ||grad f(x^0)||^2, which needs no
    constant the problem may not know. The method's rule plays no part, so this is
    compiled once per problem and timing model, not once per method.
    """
    _, initial_norm2 = metrics(problem, sim.x)
    scale = initial_norm2 + sim.limits.noise_floor
    sim.divergence[0] = sim.limits.blowup * (scale if scale != 0.0 else 1.0)
    restart_all(sim)
    evaluate_started(sim, problem)
    return _checkpoint(sim, problem, 0.0)


@kernel
def advance(sim, rule, problem, max_events):
    """Process up to ``max_events`` arrivals; return a status code.

    ``rule`` is the method's rule tuple and ``problem`` the problem's data; both are
    handed to the method's server rule (:mod:`ringbench.engine.protocol`).

    Grid checkpoints are written just before the first event later than them, so
    they see the iterate that was current at their time. An event later than
    ``t_max`` ends the run with a final checkpoint at ``t_max``.
    """
    recorder = sim.recorder
    grid = recorder.grid
    for _ in range(max_events):
        if sim.heap.size[0] == 0:
            return STALLED
        worker = sim.heap.ids[0]
        time = sim.heap.keys[0]
        while recorder.next_grid[0] < grid.size and grid[recorder.next_grid[0]] < time:
            if not has_room(recorder):
                return BUFFER_FULL
            sim.clock[0] = grid[recorder.next_grid[0]]
            status = _checkpoint(sim, problem, sim.clock[0])
            recorder.next_grid[0] += 1
            if status != RUNNING:
                return status
        if not has_room(recorder):
            return BUFFER_FULL
        if time > sim.limits.t_max:
            sim.clock[0] = sim.limits.t_max
            if recorder.last[0] < sim.limits.t_max:
                status = _checkpoint(sim, problem, sim.limits.t_max)
                if status != RUNNING:
                    return status
            return TIME_BUDGET

        sim.clock[0] = time
        if pending(sim.timing, worker) != ARRIVAL:  # availability: a drop or a rejoin, not an arrival
            change_presence(sim, worker)
            evaluate_started(sim, problem)
            continue
        sim.arriving[0] = worker
        if traced(recorder):
            note_arrival(recorder, time, worker, sim.jobs_started[worker] - 1, sim.start_iteration[worker],
                         delay_of(sim, worker))
        started = sim.jobs_started[worker]
        on_arrival(rule, sim, problem, worker)
        evaluate_started(sim, problem)
        if sim.jobs_started[worker] == started and sim.heap.pos[worker] == 0 and sim.heap.keys[0] == time:
            return UNHANDLED
        sim.counters[ARRIVALS] += 1
        iteration = sim.iteration[0]
        if traced(recorder):
            note_handled(recorder, iteration, sim.x)
        if not np.isnan(sim.diverged_at[0]):
            return DIVERGED

        if recorder.every > 0 and iteration >= recorder.next_update[0]:
            recorder.next_update[0] = iteration + recorder.every
            status = _checkpoint(sim, problem, time)
            if status != RUNNING:
                return status
        if iteration >= sim.limits.max_updates:
            if recorder.last[1] != iteration:
                status = _checkpoint(sim, problem, time)
                if status != RUNNING:
                    return status
            return MAX_UPDATES
    return RUNNING
