"""Worker availability inside the engine: offline intervals, and the hooks that compile away without them.

A timing model with availability (:func:`ringbench.timing.availability`) has data of
class :class:`AvailableData`: the compute model's data, the offline intervals of each
worker, and ``pending``, what each worker's entry in the heap stands for:

``ARRIVAL``
    its job's gradient reaches the server at that time (as without availability);
``DROP``
    the worker goes offline at that time, before its job finishes: the job is lost;
``REJOIN``
    the worker is offline and comes back at that time, without a job.

Every offline interval is an event of the heap, so a run whose workers are all
offline for a while goes on (the loop's STALLED status means no worker has anything
ahead, which availability never causes). The engine reaches this module only through
the hooks below; for every other timing class they are constants numba folds away
when it compiles (as :func:`ringbench.engine.record.traced` does for the trace), so
runs without availability carry no code of it and keep their results bit for bit.
"""

from typing import NamedTuple

import numpy as np
from numba.extending import overload

from .._jit import OPTIONS, kernel

ARRIVAL, DROP, REJOIN = 0, 1, 2


class AvailableData(NamedTuple):
    """A compute model's data with each worker's offline intervals [start, end), and the run's per-worker state."""

    compute: tuple  # the compute model's data (its own namedtuple)
    starts: np.ndarray  # float64 (K,): interval starts, worker by worker, increasing within a worker
    ends: np.ndarray  # float64 (K,): interval ends
    offsets: np.ndarray  # int64 (n + 1,): worker i's intervals are offsets[i]:offsets[i + 1]
    pending: np.ndarray  # int64 (n,): ARRIVAL, DROP or REJOIN (see the module docstring); fresh for every run


def for_run(timing):
    """The timing data one run uses: availability's with fresh ``pending`` state, any other as it is.

    The state is per run so that runs sharing a model (threads of one sweep) never share it.
    """
    if isinstance(timing, AvailableData):
        return timing._replace(pending=np.zeros(timing.pending.size, dtype=np.int64))
    return timing


def offline_workers(timing):
    """How many workers are offline (their heap entry is a rejoin) in a run's timing data; 0 without availability."""
    return int(np.count_nonzero(timing.pending == REJOIN)) if isinstance(timing, AvailableData) else 0


def _hook(fallback):
    """Make ``function(timing, ...)`` a hook: itself for :class:`AvailableData`, ``fallback`` for other classes."""
    def decorate(function):
        compiled, otherwise = kernel(function), kernel(fallback)

        def hook(timing, *arguments):
            return (compiled if isinstance(timing, AvailableData) else otherwise)(timing, *arguments)

        @overload(hook, jit_options=OPTIONS)
        def _typed(timing, *arguments):
            chosen = compiled if issubclass(timing.instance_class, AvailableData) else otherwise

            def dispatch(timing, *arguments):
                return chosen(timing, *arguments)

            return dispatch

        hook.__name__, hook.__qualname__, hook.__doc__ = function.__name__, function.__qualname__, function.__doc__
        return hook

    return decorate


@kernel
def _first_ending_after(timing, worker, time):
    """Index of ``worker``'s first offline interval that ends after ``time`` (its last index + 1 if none)."""
    low, high = timing.offsets[worker], timing.offsets[worker + 1]
    while low < high:
        middle = (low + high) // 2
        if timing.ends[middle] <= time:
            low = middle + 1
        else:
            high = middle
    return low


def _no_pending(timing, worker):
    return ARRIVAL


def _never_offline(timing, worker, time):
    return -1.0


def _keep_finish(timing, worker, start, finish):
    return finish


@_hook(_no_pending)
def pending(timing, worker):
    """What ``worker``'s heap entry stands for: ARRIVAL, DROP or REJOIN (always ARRIVAL without availability)."""
    return timing.pending[worker]


@_hook(_never_offline)
def rejoin_time(timing, worker, time):
    """When ``worker``, offline at ``time``, comes back (and mark its heap entry a rejoin); -1 if it is online.

    An interval [start, end) is offline at its start and online again at its end.
    """
    interval = _first_ending_after(timing, worker, time)
    if interval < timing.offsets[worker + 1] and timing.starts[interval] <= time:
        timing.pending[worker] = REJOIN
        return timing.ends[interval]
    return -1.0


@_hook(_keep_finish)
def until_drop(timing, worker, start, finish):
    """The heap key of a job started at ``start`` that would finish at ``finish``: ``finish``, or the drop before it.

    A job whose worker goes offline at or before its finish time is lost at the drop
    (a tie goes to the drop), so a worker is always online when its gradient arrives.
    """
    interval = _first_ending_after(timing, worker, start)
    if interval < timing.offsets[worker + 1] and timing.starts[interval] <= finish:
        timing.pending[worker] = DROP
        return timing.starts[interval]
    timing.pending[worker] = ARRIVAL
    return finish
