"""The indexed min-heap of finish times (``ringbench.engine.heap``), in batches of operations.

Two access patterns of the event loop, each a batch of :data:`OPERATIONS` operations
on a full heap of n busy workers:

* ``event``: the earliest worker finishes and starts its next job, i.e. the top
  entry's key grows by a fresh duration (one sift-down), once per arrival;
* ``cancel``: a worker anywhere in the heap is cancelled and restarted on the
  current iterate (remove, then push), as Ringmaster's stops and Rennala's restarts do.

The batch loops are jitted here and call the engine's heap kernels; they are not
cached on disk (numba's cache would only watch this file and could serve a loop
linked to an older heap), so ``setup`` compiles them once per process, before any
timed call. ``setup`` also restores the heap from a pristine copy, so every timed
call starts from the same state.
"""

import functools

import numba
import numpy as np

from ringbench.engine.heap import heapify, new_heap, push, remove, update

from . import common

#: Operations per timed call: a batch, so that a call lasts over 1 ms even at n = 10^2.
OPERATIONS = 100_000


@numba.njit(nogil=True)
def _events(queue, durations):
    for duration in durations:
        update(queue, queue.ids[0], queue.keys[0] + duration)


@numba.njit(nogil=True)
def _cancellations(queue, workers, durations):
    for k in range(workers.size):
        now = queue.keys[0]
        remove(queue, workers[k])
        push(queue, workers[k], now + durations[k])


@functools.cache
def _pristine(n):
    """A heap of ``n`` busy workers with seeded finish times, and the seeded operands of a batch."""
    rng = np.random.default_rng(n)
    queue = new_heap(n)
    queue.keys[:] = rng.exponential(size=n) * (1.0 + np.sqrt(np.arange(n)))
    queue.ids[:] = np.arange(n)
    queue.pos[:] = np.arange(n)
    queue.size[0] = n
    heapify(queue)
    return queue, rng.integers(n, size=OPERATIONS), rng.exponential(size=OPERATIONS)


@functools.cache
def _compile():
    queue = _pristine(4)[0]
    scratch = new_heap(4)
    for array, source in zip(scratch, queue):
        array[:] = source
    _events(scratch, np.ones(1))
    _cancellations(scratch, np.zeros(1, dtype=np.int64), np.ones(1))


class HeapOperations:
    """CPU time (common.TIMER) of a batch of heap operations."""

    timer = common.TIMER

    params = (["event", "cancel"], [10**2, 10**4, 10**6])
    param_names = ["operation", "n"]
    number = 1  # every call needs the pristine heap that setup restores

    def setup(self, operation, n):
        _compile()
        pristine, self.workers, self.durations = _pristine(n)
        self.queue = new_heap(n)
        for array, source in zip(self.queue, pristine):
            array[:] = source

    def time_batch(self, operation, n):
        if operation == "event":
            _events(self.queue, self.durations)
        else:
            _cancellations(self.queue, self.workers, self.durations)
