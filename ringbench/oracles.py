"""Public oracles: the duration and the stochastic gradient of any job (seed, worker i, job j).

Every random number of a run is a pure function of the run's seed, the worker i and
its job index j (counter-based Philox streams, :mod:`ringbench.engine.rng`), so a run
can be rechecked independently of the event loop: from the event table
(:meth:`ringbench.Result.event_table`) one knows when job (i, j) started and on which
iterate, and these functions give when it must finish and which gradient it must
return. They call the very kernels the engine calls.

Job j of worker i starts when the event ending job j - 1 of worker i happens (its
arrival or cancellation; time 0 for j = 0), except that a worker a rule left idle
restarts later (minibatch SGD's rounds), and, with availability, a worker starts when it
is back online. For an availability model :func:`finish_time` is the compute model's:
the run loses a job whose worker goes offline first.
"""

import numpy as np

from . import _validate
from .engine.oracles import job_finish_time, job_gradient
from .engine.rng import key_from_seed
from .problems.base import Problem
from .timing.models import TimingModel


def _key(seed):
    sequence = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(
        _validate.integer("seed", seed, minimum=0))
    return key_from_seed(sequence)


def _job(worker, job, workers):
    worker = _validate.integer("worker", worker, minimum=0)
    if worker >= workers:
        raise ValueError(f"worker must be < n = {workers}, got {worker}")
    return worker, _validate.integer("job", job, minimum=0)


def finish_time(timing, seed, worker, job, start):
    """When job ``job`` of ``worker``, started at simulated time ``start``, finishes.

    Parameters
    ----------
    timing : ringbench.timing.TimingModel
    seed : int or numpy.random.SeedSequence
        The run's seed, as given to :func:`ringbench.simulate`.
    worker : int
        i, from 0 to n - 1.
    job : int
        j, worker i's job index from 0 (the ``job`` column of the event table).
    start : float
        Its start time t_s (time-varying models need it: t_f = W_i^{-1}(W_i(t_s) + 1)).

    Returns
    -------
    float
        Its finish time t_f.
    """
    if not isinstance(timing, TimingModel):
        raise ValueError(f"timing must be a timing model from ringbench.timing, got {type(timing).__name__}")
    worker, job = _job(worker, job, timing.n)
    start = _validate.real("start", start, minimum=0.0)
    return float(job_finish_time(timing.data(), _key(seed), worker, job, start))


def duration(timing, seed, worker, job, start=0.0):
    """How long job ``job`` of ``worker`` takes when started at ``start``: ``finish_time - start``."""
    return finish_time(timing, seed, worker, job, start) - float(start)


def stochastic_gradient(problem, seed, worker, job, point):
    """The stochastic gradient job ``job`` of ``worker`` returns when evaluated at ``point``.

    ``point`` is x^s, the iterate the job started on (``start_iteration`` in the event
    table). The job's gradient noise is this minus the exact gradient at ``point``
    (A x^s - b for a quadratic).

    Returns
    -------
    ndarray of shape (d,)
    """
    if not isinstance(problem, Problem):
        raise ValueError(f"problem must be a ringbench problem, got {type(problem).__name__}")
    point = _validate.array("point", point, length=problem.d)
    worker, job = _job(worker, job, problem.n_workers or np.iinfo(np.int64).max)
    out = np.zeros(problem.d)
    job_gradient(problem.data(), _key(seed), np.ascontiguousarray(point, dtype=np.float64), worker, job, out)
    return out


__all__ = ["duration", "finish_time", "stochastic_gradient"]
