"""Where the stale iterates live: a reference-counted pool of snapshots.

A job evaluates its gradient on arrival at the iterate it started from (lazy
gradients), so that iterate must be kept until the job arrives, is cancelled or
becomes useless. Jobs started on the same iterate share one slot: the first job
started on a new iterate copies it into a free slot, later ones only add a
reference, and a slot returns to the free list when its last job lets go.

Each slot links the jobs attached to it, and the live slots sit in a small heap
keyed by iteration, so "every job started before iteration s" (Ringmaster's
threshold) is found in O(log capacity + number of such jobs). Releasing those
jobs' iterates without stopping the jobs (:func:`release_before`) does not walk
them: the slot is freed whole, and each job's ``job_slot`` goes stale, which
:func:`detach` recognises because the slot no longer holds the job's iteration.
At 10^6 workers that saves several random memory reads and writes per discarded
job (the walk touched three per-worker arrays of every job).

Capacity is chosen by the method: ``min(R + 1, n)`` for Ringmaster, the number of
active workers for ASGD, and 0 for methods that only ever use gradients computed on
the current iterate (Rennala, minibatch), which then store nothing at all.
"""

from typing import NamedTuple

import numpy as np

from .._jit import kernel
from .errors import RuleError
from .heap import Heap, new_heap, push, remove


class Snapshots(NamedTuple):
    """Arrays of the snapshot pool."""

    points: np.ndarray  # float64 (capacity, d): the stored iterates
    iteration: np.ndarray  # int64 (capacity,): which iterate each slot holds
    refs: np.ndarray  # int64 (capacity,): jobs attached to each slot
    first_job: np.ndarray  # int64 (capacity,): head worker of each slot's job list, -1 if none
    free: np.ndarray  # int64 (capacity,): stack of free slots
    free_top: np.ndarray  # int64 (1,): number of free slots
    current: np.ndarray  # int64 (1,): slot holding the current iterate, -1 if none
    live: Heap  # live slots keyed by the iteration they hold
    job_slot: np.ndarray  # int64 (n,): slot of each worker's job, -1 if none
    next_job: np.ndarray  # int64 (n,): next worker in the same slot's list
    previous_job: np.ndarray  # int64 (n,): previous worker in the same slot's list


def new_snapshots(n_workers, dimension, capacity):
    """An empty pool of ``capacity`` iterates of size ``dimension``, for ``n_workers`` workers."""
    return Snapshots(
        points=np.zeros((capacity, dimension)),
        iteration=np.full(capacity, -1, dtype=np.int64),
        refs=np.zeros(capacity, dtype=np.int64),
        first_job=np.full(capacity, -1, dtype=np.int64),
        free=np.arange(capacity - 1, -1, -1, dtype=np.int64),
        free_top=np.array([capacity], dtype=np.int64),
        current=np.full(1, -1, dtype=np.int64),
        live=new_heap(capacity),
        job_slot=np.full(n_workers, -1, dtype=np.int64),
        next_job=np.full(n_workers, -1, dtype=np.int64),
        previous_job=np.full(n_workers, -1, dtype=np.int64),
    )


@kernel
def attach(snapshots, worker, x, iteration):
    """Attach ``worker``'s new job to the current iterate ``x`` (iteration ``iteration``)."""
    if snapshots.points.shape[0] == 0:
        return
    slot = snapshots.current[0]
    if slot < 0:
        top = snapshots.free_top[0]
        if top == 0:
            raise RuleError("snapshot pool exhausted: the method's Configuration.snapshot_capacity is smaller "
                            "than the number of iterates its jobs in progress started from")
        snapshots.free_top[0] = top - 1
        slot = snapshots.free[top - 1]
        point = snapshots.points[slot]
        for i in range(x.size):
            point[i] = x[i]
        snapshots.iteration[slot] = iteration
        snapshots.first_job[slot] = -1
        push(snapshots.live, slot, np.float64(iteration))
        snapshots.current[0] = slot
    head = snapshots.first_job[slot]
    snapshots.next_job[worker] = head
    snapshots.previous_job[worker] = -1
    if head >= 0:
        snapshots.previous_job[head] = worker
    snapshots.first_job[slot] = worker
    snapshots.refs[slot] += 1
    snapshots.job_slot[worker] = slot


@kernel
def _free(snapshots, slot):
    """Return ``slot`` to the free list; it holds no iteration any more."""
    remove(snapshots.live, slot)
    snapshots.iteration[slot] = -1
    snapshots.refs[slot] = 0
    snapshots.free[snapshots.free_top[0]] = slot
    snapshots.free_top[0] += 1
    if snapshots.current[0] == slot:
        snapshots.current[0] = -1


@kernel
def holds(snapshots, slot, started):
    """Whether ``slot`` holds the iterate of iteration ``started`` (a job's slot may be stale)."""
    return slot >= 0 and snapshots.iteration[slot] == started


@kernel
def detach(snapshots, worker, started):
    """Release ``worker``'s job, started on iteration ``started``, from its snapshot.

    The slot is freed if nobody else uses it. A job whose slot :func:`release_before`
    already freed holds nothing: only its stale ``job_slot`` is cleared.
    """
    slot = snapshots.job_slot[worker]
    snapshots.job_slot[worker] = -1
    if not holds(snapshots, slot, started):
        return
    following = snapshots.next_job[worker]
    preceding = snapshots.previous_job[worker]
    if preceding >= 0:
        snapshots.next_job[preceding] = following
    else:
        snapshots.first_job[slot] = following
    if following >= 0:
        snapshots.previous_job[following] = preceding
    snapshots.refs[slot] -= 1
    if snapshots.refs[slot] == 0:
        _free(snapshots, slot)


@kernel
def release_before(snapshots, iteration):
    """Free every slot holding an iterate older than ``iteration``, whatever jobs are attached to it.

    Those jobs keep running without an iterate (their gradients can no longer be
    evaluated); each slot costs O(log capacity), however many jobs it held. The slot
    of the current iterate is the exception: a job started next, on the same iterate,
    would get a slot holding the same iteration, which the stale jobs would take for
    theirs, so its jobs are detached one by one.
    """
    while True:
        slot = oldest_slot(snapshots)
        if slot < 0 or snapshots.iteration[slot] >= iteration:
            return
        if slot != snapshots.current[0]:
            _free(snapshots, slot)
            continue
        worker = snapshots.first_job[slot]
        while worker >= 0:  # the last detach frees the slot
            following = snapshots.next_job[worker]
            detach(snapshots, worker, snapshots.iteration[slot])
            worker = following


@kernel
def iterate_changed(snapshots):
    """Record that the iterate moved: the next job needs a fresh slot."""
    snapshots.current[0] = -1


@kernel
def oldest_slot(snapshots):
    """The live slot holding the oldest iterate, or -1 if no slot is in use."""
    if snapshots.live.size[0] == 0:
        return -1
    return snapshots.live.ids[0]
