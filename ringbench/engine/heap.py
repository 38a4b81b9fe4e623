"""Indexed binary min-heap of worker finish times, on plain arrays.

Slots ``0 .. size-1`` hold ``(keys[slot], ids[slot])``; ``pos[worker]`` is the slot of a
worker, or -1 when the worker is idle. Entries are ordered by ``(finish time, worker id)``
so simultaneous finishes are processed in worker order and runs are deterministic.
Only the arriving worker is ever at the top, so the usual "pop, then restart" step is a
single :func:`update` of the top entry (one sift-down). ``heapq`` is not used because it
cannot update or remove an arbitrary worker, which cancellations need.
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


@kernel
def _before(heap, slot_a, slot_b):
    """Whether the entry in ``slot_a`` comes before the one in ``slot_b``."""
    key_a, key_b = heap.keys[slot_a], heap.keys[slot_b]
    return key_a < key_b or (key_a == key_b and heap.ids[slot_a] < heap.ids[slot_b])


@kernel
def _swap(heap, slot_a, slot_b):
    heap.keys[slot_a], heap.keys[slot_b] = heap.keys[slot_b], heap.keys[slot_a]
    heap.ids[slot_a], heap.ids[slot_b] = heap.ids[slot_b], heap.ids[slot_a]
    heap.pos[heap.ids[slot_a]] = slot_a
    heap.pos[heap.ids[slot_b]] = slot_b


@kernel
def _sift_up(heap, slot):
    while slot > 0:
        parent = (slot - 1) // 2
        if not _before(heap, slot, parent):
            return
        _swap(heap, slot, parent)
        slot = parent


@kernel
def _sift_down(heap, slot):
    size = heap.size[0]
    while True:
        smallest = slot
        left = 2 * slot + 1
        if left < size and _before(heap, left, smallest):
            smallest = left
        if left + 1 < size and _before(heap, left + 1, smallest):
            smallest = left + 1
        if smallest == slot:
            return
        _swap(heap, slot, smallest)
        slot = smallest


@kernel
def push(heap, worker, key):
    """Insert an idle ``worker`` with finish time ``key``."""
    slot = heap.size[0]
    heap.size[0] = slot + 1
    heap.keys[slot] = key
    heap.ids[slot] = worker
    heap.pos[worker] = slot
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
    if slot != last:
        _swap(heap, slot, last)
    heap.size[0] = last
    heap.pos[worker] = -1
    if slot != last:
        _sift_down(heap, slot)
        _sift_up(heap, slot)


@kernel
def heapify(heap):
    """Restore the heap order of slots ``0 .. size-1`` in O(size), after bulk writes."""
    for slot in range(heap.size[0] // 2 - 1, -1, -1):
        _sift_down(heap, slot)
