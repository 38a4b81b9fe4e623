"""The reference-counted snapshot pool: sharing, copying, freeing, oldest slot, exhaustion."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ringbench.engine import snapshots as sn


def jobs_of(pool, slot):
    """Workers on ``slot``'s linked list, following first_job / next_job (checking previous_job)."""
    workers = []
    worker = int(pool.first_job[slot])
    previous = -1
    while worker >= 0:
        assert pool.previous_job[worker] == previous
        assert pool.job_slot[worker] == slot
        workers.append(worker)
        previous = worker
        worker = int(pool.next_job[worker])
        assert len(workers) <= pool.job_slot.size, "cycle in a slot's job list"
    return sorted(workers)


def live_slots(pool):
    return sorted(int(slot) for slot in pool.live.ids[: pool.live.size[0]])


def test_jobs_on_the_same_iterate_share_one_slot_and_copy_at_first_attach():
    pool = sn.new_snapshots(5, 3, 3)
    assert sn.oldest_slot(pool) == -1
    x = np.array([1.0, 2.0, 3.0])
    sn.attach(pool, 0, x, 0)
    slot = int(pool.job_slot[0])
    assert slot >= 0
    np.testing.assert_array_equal(pool.points[slot], [1.0, 2.0, 3.0])
    assert pool.iteration[slot] == 0 and pool.refs[slot] == 1
    # The pool holds a copy: changing x afterwards does not change the snapshot, and a second
    # job on the same iterate (no iterate_changed in between) reuses the slot without copying.
    x[:] = [9.0, 9.0, 9.0]
    sn.attach(pool, 3, x, 0)
    assert pool.job_slot[3] == slot
    assert pool.refs[slot] == 2
    np.testing.assert_array_equal(pool.points[slot], [1.0, 2.0, 3.0])
    assert jobs_of(pool, slot) == [0, 3]
    assert pool.free_top[0] == 2
    assert sn.oldest_slot(pool) == slot

    # The iterate moves: the next job needs a fresh slot holding the new x.
    sn.iterate_changed(pool)
    x[:] = [4.0, 5.0, 6.0]
    sn.attach(pool, 1, x, 1)
    newer = int(pool.job_slot[1])
    assert newer != slot
    np.testing.assert_array_equal(pool.points[newer], [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(pool.points[slot], [1.0, 2.0, 3.0])
    assert pool.iteration[newer] == 1
    assert sn.oldest_slot(pool) == slot
    assert live_slots(pool) == sorted([slot, newer])

    # The old slot survives until its last job lets go.
    sn.detach(pool, 0, 0)
    assert pool.job_slot[0] == -1 and pool.refs[slot] == 1
    assert jobs_of(pool, slot) == [3]
    assert sn.oldest_slot(pool) == slot
    sn.detach(pool, 3, 0)
    assert pool.refs[slot] == 0
    assert sn.oldest_slot(pool) == newer
    assert live_slots(pool) == [newer]
    assert pool.free_top[0] == 2
    # Detaching a worker without a job is a no-op.
    sn.detach(pool, 3, 0)
    sn.detach(pool, 4, 0)
    assert pool.free_top[0] == 2 and pool.refs[newer] == 1

    # Freeing the slot of the current iterate makes the next attach copy x again.
    sn.detach(pool, 1, 1)
    assert sn.oldest_slot(pool) == -1 and pool.free_top[0] == 3
    x[:] = [7.0, 8.0, 9.0]
    sn.attach(pool, 2, x, 1)
    np.testing.assert_array_equal(pool.points[pool.job_slot[2]], [7.0, 8.0, 9.0])


def test_detach_from_the_middle_of_a_slot_list():
    pool = sn.new_snapshots(6, 1, 2)
    x = np.zeros(1)
    for worker in [4, 1, 5, 2]:
        sn.attach(pool, worker, x, 0)
    slot = int(pool.job_slot[4])
    assert jobs_of(pool, slot) == [1, 2, 4, 5]
    sn.detach(pool, 5, 0)  # middle
    assert jobs_of(pool, slot) == [1, 2, 4]
    sn.detach(pool, 2, 0)  # head (last attached)
    assert jobs_of(pool, slot) == [1, 4]
    sn.detach(pool, 4, 0)  # tail (first attached)
    assert jobs_of(pool, slot) == [1]
    assert pool.refs[slot] == 1


def test_oldest_slot_is_the_live_slot_with_the_smallest_iteration():
    pool = sn.new_snapshots(4, 1, 4)
    x = np.zeros(1)
    slots = {}
    for worker in range(4):
        x[0] = worker
        sn.attach(pool, worker, x, 10 * worker)
        slots[worker] = int(pool.job_slot[worker])
        sn.iterate_changed(pool)
    assert len(set(slots.values())) == 4
    for worker in [2, 0, 3, 1]:  # free them out of order
        live = [w for w in range(4) if pool.job_slot[w] >= 0]
        oldest = min(live, key=lambda w: 10 * w)
        assert sn.oldest_slot(pool) == slots[oldest]
        assert pool.iteration[sn.oldest_slot(pool)] == 10 * oldest
        sn.detach(pool, worker, 10 * worker)
    assert sn.oldest_slot(pool) == -1


def test_release_before_frees_old_slots_without_walking_their_jobs():
    """Jobs of a released slot keep a stale job_slot; detach clears it and leaves the slot's new jobs alone."""
    pool = sn.new_snapshots(4, 1, 2)
    x = np.zeros(1)
    sn.attach(pool, 0, x, 0)
    sn.attach(pool, 1, x, 0)
    old = int(pool.job_slot[0])
    sn.iterate_changed(pool)
    x[0] = 1.0
    sn.attach(pool, 2, x, 1)
    sn.release_before(pool, 0)  # nothing is older than iteration 0
    assert live_slots(pool) == sorted([old, int(pool.job_slot[2])])
    sn.release_before(pool, 1)
    assert pool.free_top[0] == 1 and pool.iteration[old] == -1 and pool.refs[old] == 0
    assert sn.oldest_slot(pool) == pool.job_slot[2]
    assert pool.job_slot[0] == old and not sn.holds(pool, old, 0)  # stale, not walked
    # The freed slot is reused by a newer iterate; the stale job's detach must not touch it.
    sn.iterate_changed(pool)
    x[0] = 2.0
    sn.attach(pool, 3, x, 2)
    assert pool.job_slot[3] == old and sn.holds(pool, old, 2)
    sn.detach(pool, 0, 0)
    assert pool.job_slot[0] == -1 and pool.refs[old] == 1 and jobs_of(pool, old) == [3]
    np.testing.assert_array_equal(pool.points[old], [2.0])
    sn.detach(pool, 1, 0)
    assert pool.refs[old] == 1 and jobs_of(pool, old) == [3]


def test_exhausting_the_pool_raises():
    pool = sn.new_snapshots(3, 2, 2)
    x = np.ones(2)
    sn.attach(pool, 0, x, 0)
    sn.iterate_changed(pool)
    sn.attach(pool, 1, x, 1)
    sn.iterate_changed(pool)
    with pytest.raises(RuntimeError, match="exhausted"):
        sn.attach(pool, 2, x, 2)
    # After a slot is freed the pool can be used again.
    sn.detach(pool, 0, 0)
    sn.attach(pool, 2, x, 2)
    assert pool.iteration[pool.job_slot[2]] == 2


def test_zero_capacity_stores_nothing():
    pool = sn.new_snapshots(3, 2, 0)
    sn.attach(pool, 0, np.ones(2), 0)
    assert pool.job_slot[0] == -1
    assert sn.oldest_slot(pool) == -1
    sn.detach(pool, 0, 0)


@settings(max_examples=100, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_random_sequences_match_reference(data):
    n = data.draw(st.integers(1, 8), label="n")
    capacity = data.draw(st.integers(1, 5), label="capacity")
    d = 2
    pool = sn.new_snapshots(n, d, capacity)
    iteration = 0
    x = np.array([0.0, -0.0])
    attached = {}  # worker -> iteration its job started on
    released = {}  # worker -> iteration of a job still running whose iterate release_before freed
    values = {}  # iteration -> the iterate at that iteration
    for _ in range(data.draw(st.integers(0, 40), label="operations")):
        idle = [w for w in range(n) if w not in attached and w not in released]
        running = sorted({**attached, **released})
        choices = ["step", "release"] + (["attach"] if idle else []) + (["detach"] if running else [])
        operation = data.draw(st.sampled_from(choices))
        if operation == "step":
            sn.iterate_changed(pool)
            iteration += 1
            x = x + np.array([1.0, 0.5 * iteration])
        elif operation == "release":
            threshold = data.draw(st.integers(0, iteration + 1), label="threshold")
            sn.release_before(pool, threshold)
            for worker, started in list(attached.items()):
                if started < threshold:
                    released[worker] = attached.pop(worker)
                    values.pop(started, None)
        elif operation == "attach":
            worker = data.draw(st.sampled_from(idle))
            live_iterations = set(attached.values())
            needs_slot = iteration not in live_iterations
            if needs_slot and len(live_iterations) == capacity:
                with pytest.raises(RuntimeError, match="exhausted"):
                    sn.attach(pool, worker, x.copy(), iteration)
                return
            sn.attach(pool, worker, x.copy(), iteration)
            attached[worker] = iteration
            values.setdefault(iteration, x.copy())
        else:
            worker = data.draw(st.sampled_from(running))
            started = attached.pop(worker) if worker in attached else released.pop(worker)
            sn.detach(pool, worker, started)
            assert pool.job_slot[worker] == -1
            if started not in attached.values():
                values.pop(started, None)
        # Invariants against the reference.
        by_iteration = {}
        for worker, started in attached.items():
            by_iteration.setdefault(started, []).append(worker)
        slot_of = {}
        for started, workers in by_iteration.items():
            slots = {int(pool.job_slot[w]) for w in workers}
            assert len(slots) == 1, "jobs on one iterate must share a slot"
            slot = slots.pop()
            slot_of[started] = slot
            assert pool.iteration[slot] == started
            assert pool.refs[slot] == len(workers)
            assert jobs_of(pool, slot) == sorted(workers)
            np.testing.assert_array_equal(pool.points[slot], values[started])
        assert len(set(slot_of.values())) == len(slot_of), "distinct iterates must use distinct slots"
        for worker in range(n):
            if worker in released:  # its job_slot may be stale, never a slot holding its iterate
                assert not sn.holds(pool, int(pool.job_slot[worker]), released[worker])
            elif worker not in attached:
                assert pool.job_slot[worker] == -1
        assert live_slots(pool) == sorted(slot_of.values())
        assert pool.free_top[0] == capacity - len(slot_of)
        free = sorted(int(s) for s in pool.free[: pool.free_top[0]])
        assert sorted(free + live_slots(pool)) == list(range(capacity))
        if slot_of:
            assert sn.oldest_slot(pool) == slot_of[min(slot_of)]
        else:
            assert sn.oldest_slot(pool) == -1
