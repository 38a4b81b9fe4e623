"""Indexed binary min-heap of worker finish times, on plain arrays.

Slots ``0 .. size-1`` hold ``(keys[slot], ids[slot])``; ``pos[worker]`` is the slot of a
worker, or -1 when the worker is idle. Entries are ordered by ``(finish time, worker id)``
so simultaneous finishes are processed in worker order and runs are deterministic.
Only the arriving worker is ever at the top, so the usual "pop, then restart" step is a
single :func:`update` of the top entry (one sift-down). ``heapq`` is not used because it
cannot update or remove an arbitrary worker, which cancellations need. Sifts move a hole
instead of swapping entries, so each level writes one entry and one ``pos``.

The order of arrivals depends only on ``(finish time, worker id)``, never on the heap's
shape, so :data:`ARITY` is a speed choice. Measured at n = 10^6: four children made
Ringmaster without stops no faster than two (842-862 against 805-951 ns per arrival)
and a batch of shallow top updates 20 % slower, so the heap stays binary.
"""

from typing import NamedTuple

import numpy as np

from .._jit import kernel


class Heap(NamedTuple):
    """Arrays of the heap; ``size`` is a length-1 array so kernels can change it."""

    keys: np.ndarray  # float64 (n,): finish time in each slot
    ids: np.ndarray  # int64 (n,): worker in each slot
    pos: np.ndarray  # int64 (n,): slot of each worker, -1 if idle
    size: np.ndarray  # int64 (1,)


def new_heap(n_workers):
    """An empty heap with room for ``n_workers`` workers."""
    return Heap(
        keys=np.zeros(n_workers),
        ids=np.zeros(n_workers, dtype=np.int64),
        pos=np.full(n_workers, -1, dtype=np.int64),
        size=np.zeros(1, dtype=np.int64),
    )


#: Children per node (see the module's note).
ARITY = 2


@kernel
def _precedes(key_a, id_a, key_b, id_b):
    """Whether entry ``(key_a, id_a)`` comes before ``(key_b, id_b)``."""
    return key_a < key_b or (key_a == key_b and id_a < id_b)


@kernel
def _place(heap, slot, key, worker):
    """Put ``worker`` with ``key`` in ``slot``."""
    heap.keys[slot] = key
    heap.ids[slot] = worker
    heap.pos[worker] = slot


@kernel
def _sift_up(heap, slot):
    """Move the entry in ``slot`` up to its place: parents that follow it move down one level each."""
    key, worker = heap.keys[slot], heap.ids[slot]
    while slot > 0:
        parent = (slot - 1) // ARITY
        if not _precedes(key, worker, heap.keys[parent], heap.ids[parent]):
            break
        _place(heap, slot, heap.keys[parent], heap.ids[parent])
        slot = parent
    _place(heap, slot, key, worker)


@kernel
def _sift_down(heap, slot):
    """Move the entry in ``slot`` down to its place: the earliest of its children moves up, level by level."""
    size = heap.size[0]
    key, worker = heap.keys[slot], heap.ids[slot]
    while True:
        first = ARITY * slot + 1
        if first >= size:
            break
        best = first
        for child in range(first + 1, min(first + ARITY, size)):
            if _precedes(heap.keys[child], heap.ids[child], heap.keys[best], heap.ids[best]):
                best = child
        if not _precedes(heap.keys[best], heap.ids[best], key, worker):
            break
        _place(heap, slot, heap.keys[best], heap.ids[best])
        slot = best
    _place(heap, slot, key, worker)


@kernel
def push(heap, worker, key):
    """Insert an idle ``worker`` with finish time ``key``."""
    slot = heap.size[0]
    heap.size[0] = slot + 1
    _place(heap, slot, key, worker)
    _sift_up(heap, slot)


@kernel
def update(heap, worker, key):
    """Change the finish time of a busy ``worker`` to ``key``."""
    slot = heap.pos[worker]
    old_key = heap.keys[slot]
    heap.keys[slot] = key
    if key < old_key:
        _sift_up(heap, slot)
    else:
        _sift_down(heap, slot)


@kernel
def remove(heap, worker):
    """Take a busy ``worker`` out of the heap (it becomes idle)."""
    slot = heap.pos[worker]
    last = heap.size[0] - 1
    heap.size[0] = last
    heap.pos[worker] = -1
    if slot != last:
        _place(heap, slot, heap.keys[last], heap.ids[last])
        _sift_down(heap, slot)
        _sift_up(heap, slot)


@kernel
def heapify(heap):
    """Restore the heap order of slots ``0 .. size-1`` in O(size), after bulk writes."""
    for slot in range((heap.size[0] - 2) // ARITY, -1, -1):
        _sift_down(heap, slot)
