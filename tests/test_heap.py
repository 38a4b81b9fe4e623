"""Property tests of the indexed min-heap against a sorted-list reference."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ringbench.engine import heap as hp

# Few distinct keys, so ties (broken by worker id) are common; also signed zero and inf.
KEYS = st.sampled_from([0.0, -0.0, 0.5, 1.0, 1.0, 2.5, 3.0, 7.25, np.inf]) | st.floats(0.0, 10.0)

SETTINGS = settings(max_examples=100, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check(heap, reference):
    """Heap order, pos/ids consistency, and top = min (key, worker) of the reference."""
    size = int(heap.size[0])
    n = heap.pos.size
    assert size == len(reference)
    ids = heap.ids[:size]
    keys = heap.keys[:size]
    # Exactly the busy workers are in the heap, each with its key.
    assert sorted(ids.tolist()) == sorted(reference)
    for slot in range(size):
        assert heap.pos[ids[slot]] == slot
        assert keys[slot] == reference[ids[slot]]
    for worker in range(n):
        if worker not in reference:
            assert heap.pos[worker] == -1
    # Heap order on (key, worker id).
    for slot in range(1, size):
        parent = (slot - 1) // hp.ARITY
        assert (keys[parent], ids[parent]) <= (keys[slot], ids[slot])
    # The top is the minimum, ties broken by the smaller worker id.
    if size:
        expected = min(reference.items(), key=lambda item: (item[1], item[0]))
        assert (int(heap.ids[0]), float(heap.keys[0])) == expected


@SETTINGS
@given(st.data())
def test_random_operations_match_reference(data):
    n = data.draw(st.integers(1, 20), label="n")
    heap = hp.new_heap(n)
    reference = {}  # worker -> key
    check(heap, reference)
    for _ in range(data.draw(st.integers(0, 80), label="operations")):
        idle = [w for w in range(n) if w not in reference]
        busy = sorted(reference)
        choices = (["push"] if idle else []) + (["update", "remove", "pop"] if busy else [])
        operation = data.draw(st.sampled_from(choices))
        if operation == "push":
            worker = data.draw(st.sampled_from(idle))
            key = data.draw(KEYS)
            hp.push(heap, worker, key)
            reference[worker] = key
        elif operation == "update":
            worker = data.draw(st.sampled_from(busy))
            key = data.draw(KEYS)
            hp.update(heap, worker, key)
            reference[worker] = key
        elif operation == "remove":
            worker = data.draw(st.sampled_from(busy))
            hp.remove(heap, worker)
            del reference[worker]
        else:  # take the top, as the event loop does before restarting it
            expected = min(reference, key=lambda w: (reference[w], w))
            assert heap.ids[0] == expected
            hp.remove(heap, expected)
            del reference[expected]
        check(heap, reference)


@SETTINGS
@given(st.data())
def test_heapify_after_bulk_writes(data):
    n = data.draw(st.integers(1, 15), label="n")
    heap = hp.new_heap(n)
    workers = data.draw(st.permutations(range(n)))
    size = data.draw(st.integers(0, n))
    reference = {}
    for slot, worker in enumerate(workers[:size]):
        key = data.draw(KEYS)
        heap.keys[slot] = key
        heap.ids[slot] = worker
        heap.pos[worker] = slot
        reference[worker] = key
    heap.size[0] = size
    hp.heapify(heap)
    check(heap, reference)
    # Draining it yields the reference order exactly.
    order = []
    while heap.size[0]:
        top = int(heap.ids[0])
        order.append((float(heap.keys[0]), top))
        hp.remove(heap, top)
        del reference[top]
        check(heap, reference)
    assert order == sorted(order)


@SETTINGS
@given(st.lists(st.tuples(KEYS, KEYS), min_size=1, max_size=20))
def test_update_of_top_as_in_event_loop(pairs):
    """Push everyone, then repeatedly move the top worker to a later time (pop-and-restart)."""
    n = len(pairs)
    heap = hp.new_heap(n)
    reference = {}
    for worker, (key, _) in enumerate(pairs):
        hp.push(heap, worker, key)
        reference[worker] = key
    check(heap, reference)
    for _, increment in pairs:
        top = int(heap.ids[0])
        new_key = float(heap.keys[0]) + increment
        hp.update(heap, top, new_key)
        reference[top] = new_key
        check(heap, reference)


def test_remove_needs_sift_up():
    # Keys by slot: [1, 10, 2, 11, 12, 3, 4]. Removing the worker in slot 3 (key 11) moves the
    # last entry (key 4) under key 10: it must rise, not sink.
    assert hp.ARITY == 2
    keys = [1.0, 10.0, 2.0, 11.0, 12.0, 3.0, 4.0]
    heap = hp.new_heap(len(keys))
    reference = {}
    for worker, key in enumerate(keys):
        hp.push(heap, worker, key)
        reference[worker] = key
    np.testing.assert_array_equal(heap.keys, keys)  # pushes in increasing slot order keep this layout
    hp.remove(heap, 3)
    del reference[3]
    check(heap, reference)


def test_remove_at_every_position_of_random_heaps():
    generator = np.random.default_rng(5)
    for _ in range(300):
        n = int(generator.integers(1, 25))
        heap = hp.new_heap(n)
        reference = {}
        for worker in generator.permutation(n):
            key = float(generator.integers(0, 6)) if generator.random() < 0.5 else float(generator.random())
            hp.push(heap, int(worker), key)
            reference[int(worker)] = key
        for worker in generator.permutation(n)[: int(generator.integers(1, n + 1))]:
            hp.remove(heap, int(worker))
            del reference[int(worker)]
            check(heap, reference)


def test_ties_processed_in_worker_order():
    heap = hp.new_heap(6)
    for worker in [5, 3, 0, 4, 1, 2]:
        hp.push(heap, worker, 1.0)
    order = []
    while heap.size[0]:
        order.append(int(heap.ids[0]))
        hp.remove(heap, order[-1])
    assert order == [0, 1, 2, 3, 4, 5]
