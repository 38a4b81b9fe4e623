"""Jitted finish-time rules of the compute-time models.

Every rule is a pure function of ``(key, worker, job, start)``: the duration of
worker ``i``'s ``j``-th job never depends on the method, the event order, or any
other worker, so all methods face the same hardware (common random numbers).
"""

from typing import NamedTuple

import numpy as np

from .._jit import kernel
from ..engine.protocol import implements
from ..engine.rng import STREAM_DURATION, job_normal, job_uniform

FIXED = 0
HALF_NORMAL = 1
EXPONENTIAL = 2
LOG_NORMAL = 3
TRACE = 4
PIECEWISE = 5
POWER_LAW = 6


class TimingData(NamedTuple):
    """Arrays of a compute-time model; fields a model does not use are empty."""

    kind: int
    base: np.ndarray  # float64 (n,): fixed tau_i, or the base of a random duration
    scale: np.ndarray  # float64 (n,): scale of the random part
    breakpoints: np.ndarray  # float64 (B,): piecewise-constant speed, shared grid from 0
    rates: np.ndarray  # float64 (n, B): speed v_i on [breakpoints[b], breakpoints[b+1])
    work: np.ndarray  # float64 (n, B): W_i(breakpoints[b]), cumulative work
    coefficient: np.ndarray  # float64 (n,): power law v_i(t) = a_i (t + 1)^p_i, a_i
    exponent: np.ndarray  # float64 (n,): p_i
    trace_values: np.ndarray  # float64 (T,): durations of all workers, concatenated
    trace_offsets: np.ndarray  # int64 (n + 1,): worker i's durations are values[offsets[i]:offsets[i+1]]


@kernel
def _piecewise_finish(timing, worker, start):
    """Solve W_i(t) = W_i(start) + 1 for a piecewise-constant speed."""
    times = timing.breakpoints
    rates = timing.rates[worker]
    work = timing.work[worker]
    segment = np.searchsorted(times, start, side="right") - 1
    target = work[segment] + rates[segment] * (start - times[segment]) + 1.0
    # First segment whose end already holds the target amount of work.
    finish_segment = max(segment, np.searchsorted(work, target, side="left") - 1)
    return times[finish_segment] + (target - work[finish_segment]) / rates[finish_segment]


@kernel
def _power_law_finish(timing, worker, start):
    """Solve W_i(t) = W_i(start) + 1 for v_i(t) = a_i (t + 1)^p_i, p_i >= -1."""
    coefficient = timing.coefficient[worker]
    power = timing.exponent[worker] + 1.0
    if power == 0.0:
        work = coefficient * np.log1p(start) + 1.0
        return np.expm1(work / coefficient)
    work = coefficient * ((start + 1.0) ** power - 1.0) / power + 1.0
    return (power * work / coefficient + 1.0) ** (1.0 / power) - 1.0


@kernel
def random_finish(kind, start, base, scale, key, stream, worker, job):
    """End of a step of ``kind`` (FIXED to LOG_NORMAL) started at ``start``: one draw of (stream, worker, job).

    ``start + base`` (FIXED), ``+ scale |z|`` (HALF_NORMAL), ``+ scale Exp(1)`` with
    Exp(1) = -log(1 - u) (EXPONENTIAL), or ``start + base exp(scale z)`` (LOG_NORMAL), where z
    is :func:`job_normal` and u :func:`job_uniform` of ``(key, stream, worker, job)``.
    """
    if kind == HALF_NORMAL:
        return start + base + scale * abs(job_normal(key, stream, worker, job))
    if kind == EXPONENTIAL:
        return start + base - scale * np.log1p(-job_uniform(key, stream, worker, job))
    if kind == LOG_NORMAL:
        return start + base * np.exp(scale * job_normal(key, stream, worker, job))
    return start + base


@implements("finish_time", TimingData)
@kernel
def finish_time(timing, key, worker, job, start):
    """Simulated time at which ``worker``'s ``job``-th job, started at ``start``, ends.

    Parameters
    ----------
    timing : TimingData
    key : ndarray of uint64, shape (2,)
        The run's random key.
    worker, job : int
        Which worker, and the index of its job (0, 1, 2, ...).
    start : float
        Simulated time at which the job starts.

    Returns
    -------
    float
    """
    kind = timing.kind
    if kind == FIXED:
        return start + timing.base[worker]
    if kind <= LOG_NORMAL:
        return random_finish(kind, start, timing.base[worker], timing.scale[worker], key, STREAM_DURATION, worker, job)
    if kind == TRACE:
        first = timing.trace_offsets[worker]
        length = timing.trace_offsets[worker + 1] - first
        return start + timing.trace_values[first + job % length]
    if kind == PIECEWISE:
        return _piecewise_finish(timing, worker, start)
    if kind == POWER_LAW:
        return _power_law_finish(timing, worker, start)
    raise ValueError("unknown timing kind")
