"""The arrays of one simulation, bundled in a namedtuple that jitted code receives whole.

Scalars that kernels change are length-1 arrays; everything is allocated once by
:func:`ringbench.simulate` and kept across the chunks of a run.
"""

from typing import NamedTuple

import numpy as np

from .heap import Heap
from .record import Recorder
from .snapshots import Snapshots

# Indices into Simulation.counters.
ARRIVALS = 0  # jobs that finished
COMPUTED = 1  # gradients evaluated
USED = 2  # gradients used: applied directly, or collected for a batched update
DISCARDED = 3  # finished jobs whose gradient was not used (never evaluated)
CANCELLED = 4  # jobs stopped before they finished
DELAY_SUM = 5  # sum of the delays of used gradients, at arrival
DELAY_MAX = 6  # largest delay of a used gradient, at arrival
LOST = 7  # jobs whose worker went offline before they finished (availability)
N_COUNTERS = 8


class Limits(NamedTuple):
    """Stop conditions."""

    t_max: float  # simulated-time budget (inf for none)
    max_updates: int  # update budget
    target: float  # stop once ||grad f||^2 <= target at a checkpoint (-inf for none)
    blowup: float  # diverged beyond blowup * (||grad f(x0)||^2 + noise_floor), or 1 if that is 0
    noise_floor: float  # sigma^2 where the problem knows it, else 0


class Simulation(NamedTuple):
    """The state every method shares: what one run's engine primitives read and write.

    The method's rule tuple and the problem's data are not in here: the loop hands
    them to the rule and to :func:`~ringbench.engine.actions.evaluate` as separate
    arguments, so the primitives that take only this tuple compile once for every
    method and problem. ``timing`` is the timing model's own namedtuple, reached
    through :mod:`ringbench.engine.protocol`.
    """

    timing: tuple  # the timing model's data (its own namedtuple)
    key: np.ndarray  # uint64 (2,): the run's random key
    limits: Limits
    heap: Heap  # busy workers by finish time
    snapshots: Snapshots
    recorder: Recorder
    active: np.ndarray  # int64 (m,): the workers the method uses
    x: np.ndarray  # float64 (d,): the current iterate x^k
    gradient: np.ndarray  # float64 (d,): the gradient being handled
    clock: np.ndarray  # float64 (1,): simulated time
    iteration: np.ndarray  # int64 (1,): k, the number of updates so far
    arriving: np.ndarray  # int64 (1,): the worker whose job just finished
    start_iteration: np.ndarray  # int64 (n,): iteration each worker's job started on
    jobs_started: np.ndarray  # int64 (n,): jobs started by each worker; the current one is this - 1
    counters: np.ndarray  # int64 (N_COUNTERS,)
    divergence: np.ndarray  # float64 (1,): squared norm beyond which the run has diverged (set at x0)
    diverged_at: np.ndarray  # float64 (2,): time and iteration of divergence, NaN while healthy
    # Gradients evaluated at job start (Configuration.gradients_at_start): 0 columns and 0 entries otherwise.
    factors: np.ndarray  # float64 (n, factor_size): each worker's job's gradient, factored
    factored_job: np.ndarray  # int64 (n,): the job whose gradient factors holds, PENDING until evaluated
    unprepared: np.ndarray  # int64 (n,): stack of the workers whose new job is PENDING
    unprepared_count: np.ndarray  # int64 (1,)


#: ``factored_job`` of a worker whose job has started but not been evaluated yet, and before its first job.
PENDING = -1
NO_JOB = -2


def new_state_arrays(n_workers, dimension, x0, factor_size=0):
    """The mutable per-run arrays of :class:`Simulation` (all but the parts built elsewhere).

    ``factor_size`` > 0 allocates the factored gradients of a run whose jobs are
    evaluated when they start.
    """
    prepared = n_workers if factor_size > 0 else 0
    return dict(
        factors=np.zeros((n_workers, factor_size)),
        factored_job=np.full(prepared, NO_JOB, dtype=np.int64),
        unprepared=np.zeros(prepared, dtype=np.int64),
        unprepared_count=np.zeros(1, dtype=np.int64),
        x=np.array(x0, dtype=np.float64),
        gradient=np.zeros(dimension),
        clock=np.zeros(1),
        iteration=np.zeros(1, dtype=np.int64),
        arriving=np.full(1, -1, dtype=np.int64),
        start_iteration=np.zeros(n_workers, dtype=np.int64),
        jobs_started=np.zeros(n_workers, dtype=np.int64),
        counters=np.zeros(N_COUNTERS, dtype=np.int64),
        divergence=np.full(1, np.inf),
        diverged_at=np.full(2, np.nan),
    )
