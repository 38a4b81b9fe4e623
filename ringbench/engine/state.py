"""The arrays of one simulation, bundled in a namedtuple that jitted code receives whole.

Scalars that kernels change are length-1 arrays; everything is allocated once by
:func:`ringbench.simulate` and kept across the chunks of a run.
"""

from typing import NamedTuple

import numpy as np

from ..problems.kernels import ProblemData
from ..timing.kernels import TimingData
from .heap import Heap
from .record import Recorder
from .snapshots import Snapshots
from .tables import Tables

# Indices into Simulation.counters.
ARRIVALS = 0  # jobs that finished
COMPUTED = 1  # gradients evaluated
USED = 2  # gradients used: applied directly, or collected for a batched update
DISCARDED = 3  # finished jobs whose gradient was not used (never evaluated)
CANCELLED = 4  # jobs stopped before they finished
DELAY_SUM = 5  # sum of the delays of used gradients, at arrival
DELAY_MAX = 6  # largest delay of a used gradient, at arrival
N_COUNTERS = 7


class Rule(NamedTuple):
    """A method's server rule and its parameters, as the engine sees them."""

    method: int  # id of the server rule (ringbench.methods.ids)
    gamma: float  # stepsize
    threshold: int  # R: largest useful delay + 1 (Ringmaster)
    batch: int  # S: gradients per update (Rennala, Malenia), K: arrivals per update (FedBuff)
    stops: bool  # cancel jobs the method will not use, instead of discarding them on arrival
    delay_adaptive: bool  # scale gamma by min(1, n / delay) (delay-adaptive ASGD)
    phase1_target: float  # harmonic mean of the table counts that ends Ringleader's phase 1


class Limits(NamedTuple):
    """Stop conditions."""

    t_max: float  # simulated-time budget (inf for none)
    max_updates: int  # update budget
    target: float  # stop once ||grad f||^2 <= target at a checkpoint (-inf for none)
    blowup: float  # squared gradient norm beyond which the run has diverged


class Simulation(NamedTuple):
    """Everything one run's kernels read and write."""

    rule: Rule
    problem: ProblemData
    timing: TimingData
    key: np.ndarray  # uint64 (2,): the run's random key
    limits: Limits
    heap: Heap  # busy workers by finish time
    snapshots: Snapshots
    tables: Tables  # per-worker gradient tables (heterogeneous-data methods; empty otherwise)
    recorder: Recorder
    active: np.ndarray  # int64 (m,): the workers the method uses
    x: np.ndarray  # float64 (d,): the current iterate x^k
    gradient: np.ndarray  # float64 (d,): the gradient being handled
    batch_sum: np.ndarray  # float64 (d,): sum of the gradients collected for the next update
    scratch: np.ndarray  # float64 (d,): workspace for metrics
    samples: np.ndarray  # int64 (b,): workspace for drawing a minibatch without replacement
    clock: np.ndarray  # float64 (1,): simulated time
    iteration: np.ndarray  # int64 (1,): k, the number of updates so far
    batch_size: np.ndarray  # int64 (1,): gradients in batch_sum
    arriving: np.ndarray  # int64 (1,): the worker whose job just finished
    start_iteration: np.ndarray  # int64 (n,): iteration each worker's job started on
    jobs_started: np.ndarray  # int64 (n,): jobs started by each worker; the current one is this - 1
    counters: np.ndarray  # int64 (N_COUNTERS,)
    diverged_at: np.ndarray  # float64 (2,): time and iteration of divergence, NaN while healthy


def new_state_arrays(n_workers, dimension, x0, batch):
    """The mutable per-run arrays of :class:`Simulation` (all but the parts built elsewhere).

    ``batch`` is the problem's minibatch size b (0 when it has none).
    """
    return dict(
        x=np.array(x0, dtype=np.float64),
        gradient=np.zeros(dimension),
        batch_sum=np.zeros(dimension),
        scratch=np.zeros(dimension),
        samples=np.zeros(batch, dtype=np.int64),
        clock=np.zeros(1),
        iteration=np.zeros(1, dtype=np.int64),
        batch_size=np.zeros(1, dtype=np.int64),
        arriving=np.full(1, -1, dtype=np.int64),
        start_iteration=np.zeros(n_workers, dtype=np.int64),
        jobs_started=np.zeros(n_workers, dtype=np.int64),
        counters=np.zeros(N_COUNTERS, dtype=np.int64),
        diverged_at=np.full(2, np.nan),
    )
