"""What a server rule can do: the shared primitives every method is written in.

A method's rule (``ringbench.methods.*``) handles one arrival with these: evaluate
the arriving gradient (lazily, at the iterate its job started from), apply an
update, collect a batch, discard, restart or cancel workers, or leave a worker idle.
Counters, snapshot bookkeeping and the trace's record of what happened to each
arrival (:mod:`ringbench.engine.record`) happen here, so rules stay short and a
plug-in's rule is traced correctly without writing a row.
"""

from .._jit import REORDER_MATH, kernel
from . import heap
from .availability import DROP, REJOIN, pending, rejoin_time, until_drop
from .errors import RuleError
from .protocol import descend_factored, factor_gradient, finish_time, stochastic_gradient
from .record import CANCELLED as CANCELLED_ACTION
from .record import DISCARDED as DISCARDED_ACTION
from .record import LOST as LOST_ACTION
from .record import STORED, log_event, log_update, traced
from .snapshots import attach, detach, holds, iterate_changed, oldest_slot, release_before
from .state import CANCELLED, COMPUTED, DELAY_MAX, DELAY_SUM, DISCARDED, LOST, NO_JOB, PENDING, USED


@kernel(inner=True)
def delay_of(sim, worker):
    """Delay of ``worker``'s job: updates applied since the job started (k - s)."""
    return sim.iteration[0] - sim.start_iteration[worker]


@kernel(inner=True)
def start_slot(sim, worker):
    """Where the iterate ``worker``'s job started from is: -1 for x itself (it is current), else its snapshot slot.

    (A slot, not the array: without numba's runtime a kernel cannot return a view.)
    """
    if sim.start_iteration[worker] == sim.iteration[0]:
        return -1
    slot = sim.snapshots.job_slot[worker]
    if not holds(sim.snapshots, slot, sim.start_iteration[worker]):
        if sim.factors.shape[1] > 0:
            raise RuleError("a server rule evaluated a stale job of a method with Configuration.gradients_at_start, "
                            "which keeps no stale iterates: such a rule applies the job with apply_arriving")
        raise RuleError("a server rule read a job whose starting iterate was not kept: the method's "
                        "Configuration.snapshot_capacity is too small for its rule")
    return slot


@kernel(inner=True)
def evaluate(sim, problem, worker):
    """Evaluate ``worker``'s stochastic gradient of ``problem`` at the iterate its job started from.

    The result goes into ``sim.gradient``. ``problem`` is the problem's data, which a
    rule receives from the loop and passes on here unopened.
    """
    slot = start_slot(sim, worker)
    point = sim.x if slot < 0 else sim.snapshots.points[slot]
    stochastic_gradient(problem, sim.key, point, worker, sim.jobs_started[worker] - 1, sim.gradient)
    sim.counters[COMPUTED] += 1


@kernel(inner=True)
def use(sim, worker):
    """Count ``worker``'s gradient as used in an update, with its delay.

    The trace marks it stored, until a step in the same arrival applies it.
    """
    delay = delay_of(sim, worker)
    sim.recorder.action[0] = STORED
    sim.counters[USED] += 1
    sim.counters[DELAY_SUM] += delay
    if delay > sim.counters[DELAY_MAX]:
        sim.counters[DELAY_MAX] = delay


@kernel(inner=True)
def discard(sim, worker):
    """Count ``worker``'s finished job as discarded; its gradient is never evaluated."""
    sim.counters[DISCARDED] += 1
    sim.recorder.action[0] = DISCARDED_ACTION


@kernel(fastmath=REORDER_MATH, inner=True)
def update(sim, direction, scale, stepsize, round_index):
    """Apply x^{k+1} = x^k - scale * direction and advance k; the helpers' common step.

    ``stepsize`` is the effective stepsize the trace records (``scale`` divided by the
    number of gradients ``direction`` sums, for a mean), ``round_index`` the method's
    round (-1 where it has none). A direction whose squared norm is not finite or
    exceeds ``sim.divergence`` marks the run as diverged at this time and iteration.
    """
    x = sim.x
    norm2 = 0.0
    for i in range(x.size):
        norm2 += direction[i] * direction[i]
        x[i] -= scale * direction[i]
    _stepped(sim, norm2, stepsize, round_index)


@kernel(inner=True)
def _stepped(sim, norm2, stepsize, round_index):
    """After x moved by a direction of squared norm ``norm2``: advance k, trace the update, check divergence."""
    if sim.unprepared_count[0] > 0:
        raise RuleError("a server rule of a method with Configuration.gradients_at_start restarted a worker before "
                        "its update: its new job would be evaluated on the updated iterate, not the one it started "
                        "on; with Configuration.gradients_at_start, restart workers after the update")
    sim.iteration[0] += 1
    iterate_changed(sim.snapshots)
    if traced(sim.recorder):
        log_update(sim.recorder, sim.iteration[0], sim.clock[0], sim.arriving[0], stepsize, round_index)
    if not norm2 <= sim.divergence[0]:
        sim.diverged_at[0] = sim.clock[0]
        sim.diverged_at[1] = sim.iteration[0]


@kernel(inner=True)
def step(sim, direction, stepsize):
    """Apply x^{k+1} = x^k - stepsize * direction and advance k (see :func:`update`)."""
    update(sim, direction, stepsize, stepsize, -1)


@kernel(inner=True)
def apply_arriving(sim, problem, worker, stepsize):
    """Apply the arriving job's gradient: x^{k+1} = x^k - stepsize * g, g evaluated where the job started.

    What :func:`evaluate` then :func:`step` do, with the same result. A method that
    applies every gradient this way, once, on arrival, may set
    ``Configuration.gradients_at_start``: on a problem with factored gradients
    (``Problem.factor_size``) each job's gradient is then evaluated when the job starts,
    on the iterate in cache, and applied from its factored form here, so no stale
    iterate is stored, read back or expanded into a gradient of d entries.
    """
    if sim.factors.shape[1] == 0:
        evaluate(sim, problem, worker)
        step(sim, sim.gradient, stepsize)
        return
    if sim.factored_job[worker] != sim.jobs_started[worker] - 1:
        raise RuleError("apply_arriving: the arriving worker was restarted before its gradient was applied; with "
                        "Configuration.gradients_at_start, restart workers after the update")
    norm2 = descend_factored(problem, sim.factors[worker], stepsize, sim.x, sim.gradient)
    sim.counters[COMPUTED] += 1
    _stepped(sim, norm2, stepsize, -1)


@kernel(inner=True)
def evaluate_started(sim, problem):
    """Evaluate, on the current iterate, the gradients of the jobs started since the last call (gradients_at_start).

    The loop calls it after each arrival and after the first jobs start; a rule's
    update checks that no job started before it (:func:`_stepped`), so the current
    iterate is the one the jobs started on.
    """
    for top in range(sim.unprepared_count[0]):
        worker = sim.unprepared[top]
        if sim.heap.pos[worker] < 0:  # the rule took the job back (make_idle): nothing to evaluate
            sim.factored_job[worker] = NO_JOB
            continue
        job = sim.jobs_started[worker] - 1
        factor_gradient(problem, sim.key, sim.x, worker, job, sim.factors[worker], sim.gradient)
        sim.factored_job[worker] = job
    sim.unprepared_count[0] = 0


@kernel(inner=True)
def _begin_job(sim, worker):
    """Start ``worker``'s next job on the current iterate; return the time of its heap entry.

    That is the job's finish time; with availability (:mod:`ringbench.engine.availability`)
    it is the drop that cuts the job short, or, for a worker offline now, its rejoin
    time, and no job starts.
    """
    back = rejoin_time(sim.timing, worker, sim.clock[0])
    if back >= 0.0:
        return back
    job = sim.jobs_started[worker]
    sim.jobs_started[worker] = job + 1
    sim.start_iteration[worker] = sim.iteration[0]
    attach(sim.snapshots, worker, sim.x, sim.iteration[0])
    if sim.factors.shape[1] > 0 and sim.factored_job[worker] != PENDING:
        sim.factored_job[worker] = PENDING
        sim.unprepared[sim.unprepared_count[0]] = worker
        sim.unprepared_count[0] += 1
    if traced(sim.recorder):
        sim.recorder.job_start[worker] = sim.clock[0]
    finish = finish_time(sim.timing, sim.key, worker, job, sim.clock[0])
    return until_drop(sim.timing, worker, sim.clock[0], finish)


@kernel(inner=True)
def restart(sim, worker):
    """Give ``worker`` a new job on the current iterate, replacing its finished one."""
    detach(sim.snapshots, worker, sim.start_iteration[worker])
    finish = _begin_job(sim, worker)
    if sim.heap.pos[worker] >= 0:
        heap.update(sim.heap, worker, finish)
    else:
        heap.push(sim.heap, worker, finish)


@kernel(inner=True)
def cancel(sim, worker):
    """Stop ``worker``'s job in progress (its partial work is lost) and restart it."""
    sim.counters[CANCELLED] += 1
    if traced(sim.recorder):
        log_event(sim.recorder, sim.clock[0], worker, sim.jobs_started[worker] - 1, sim.start_iteration[worker],
                  sim.iteration[0] - sim.start_iteration[worker], CANCELLED_ACTION, sim.iteration[0], sim.x)
    restart(sim, worker)


@kernel(inner=True)
def make_idle(sim, worker):
    """Leave ``worker`` without a job until the rule restarts it."""
    detach(sim.snapshots, worker, sim.start_iteration[worker])
    heap.remove(sim.heap, worker)


@kernel(inner=True)
def restart_all(sim):
    """Cancel every job in progress and restart every active worker, in O(n).

    The arriving worker and idle workers are restarted without counting a cancel, and
    offline workers keep waiting for their rejoin (they have no job to cancel).
    """
    queue = sim.heap
    for slot in range(sim.active.size):
        worker = sim.active[slot]
        if queue.pos[worker] >= 0 and worker != sim.arriving[0] and pending(sim.timing, worker) != REJOIN:
            sim.counters[CANCELLED] += 1
            if traced(sim.recorder):
                log_event(sim.recorder, sim.clock[0], worker, sim.jobs_started[worker] - 1, sim.start_iteration[worker],
                          sim.iteration[0] - sim.start_iteration[worker], CANCELLED_ACTION, sim.iteration[0], sim.x)
        detach(sim.snapshots, worker, sim.start_iteration[worker])
        queue.keys[slot] = _begin_job(sim, worker)
        queue.ids[slot] = worker
        queue.pos[worker] = slot
    queue.size[0] = sim.active.size
    heap.heapify(queue)


@kernel(inner=True)
def change_presence(sim, worker):
    """``worker``'s heap entry is a drop or a rejoin (availability): its job is lost, or it starts a fresh one.

    A lost job is counted and, while tracing, logged; its gradient never reaches the
    server, so the method never sees it. A rejoining worker starts a job on the current
    iterate, as at a restart, unless its next interval starts right away.
    """
    if pending(sim.timing, worker) != DROP:
        restart(sim, worker)
        return
    sim.counters[LOST] += 1
    if traced(sim.recorder):
        log_event(sim.recorder, sim.clock[0], worker, sim.jobs_started[worker] - 1, sim.start_iteration[worker],
                  sim.iteration[0] - sim.start_iteration[worker], LOST_ACTION, sim.iteration[0], sim.x)
    detach(sim.snapshots, worker, sim.start_iteration[worker])
    heap.update(sim.heap, worker, rejoin_time(sim.timing, worker, sim.clock[0]))


@kernel(inner=True)
def drop_started_before(sim, iteration, stop_jobs):
    """Deal with every job started before ``iteration``: its gradient can no longer be used.

    With ``stop_jobs`` the jobs are cancelled and restarted on the current iterate
    (Ringmaster with calculation stops); otherwise they keep running but their
    snapshots are released, and the rule discards them on arrival.
    """
    if not stop_jobs:
        release_before(sim.snapshots, iteration)
        return
    while True:
        slot = oldest_slot(sim.snapshots)
        if slot < 0 or sim.snapshots.iteration[slot] >= iteration:
            return
        worker = sim.snapshots.first_job[slot]
        while worker >= 0:
            following = sim.snapshots.next_job[worker]
            cancel(sim, worker)
            worker = following

