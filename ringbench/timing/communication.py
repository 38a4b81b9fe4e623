"""Communication time: a compute-time model wrapped with per-worker download and upload times.

A job of worker i started at t_s (when the server sends it the iterate x^s) goes through
three steps, one after the other:

    received = t_s + D_ij            (the iterate reaches the worker)
    computed = finish of the compute model's job j started at ``received``
    arrival  = computed + U_ij        (the gradient, computed at x^s, reaches the server)

D_ij and U_ij are fixed per worker, or random per job (half-normal, exponential,
log-normal as in :func:`ringbench.timing.random`), each the first draw of its own stream
(``STREAM_DOWNLOAD``, ``STREAM_UPLOAD``) at (worker, job): common random numbers, so every
method sees the same links as well as the same processors. The compute model starts at
``received``, which matters for speeds that vary in time (a worker downloading during an
outage computes after it). A job cancelled in any of the three steps is lost whole, and
transfers cost no server time: the server keeps updating while iterates and gradients
travel. The spec's model (algorithms.md A.2) is the special case D = U = 0, which gives
the compute model's times bit for bit.
"""

from typing import NamedTuple

import numpy as np

from .. import _validate
from .._jit import kernel
from ..engine.availability import AvailableData
from ..engine.protocol import finish_time as compute_finish
from ..engine.protocol import implements
from ..engine.rng import STREAM_DOWNLOAD, STREAM_UPLOAD
from . import kernels
from .models import TimingModel, _summary

#: The kinds a link time may have: those of the per-job models (fixed and random).
LINK_KINDS = (kernels.FIXED, kernels.HALF_NORMAL, kernels.EXPONENTIAL, kernels.LOG_NORMAL)


class CommunicatingData(NamedTuple):
    """A compute model's data with the two links' times; ``*_kind`` is a :data:`LINK_KINDS` code."""

    compute: tuple  # the compute model's data (its own namedtuple)
    download_kind: int
    download_base: np.ndarray  # float64 (n,): fixed time, or base of the random one
    download_scale: np.ndarray  # float64 (n,): scale of the random part (zeros when fixed)
    upload_kind: int
    upload_base: np.ndarray  # float64 (n,)
    upload_scale: np.ndarray  # float64 (n,)


@implements("finish_time", CommunicatingData)
@kernel
def communicating_finish_time(timing, key, worker, job, start):
    """Arrival of ``worker``'s ``job``-th job sent at ``start``: download, compute, upload in turn."""
    received = kernels.random_finish(timing.download_kind, start, timing.download_base[worker],
                                     timing.download_scale[worker], key, STREAM_DOWNLOAD, worker, job)
    computed = compute_finish(timing.compute, key, worker, job, received)
    return kernels.random_finish(timing.upload_kind, computed, timing.upload_base[worker],
                                 timing.upload_scale[worker], key, STREAM_UPLOAD, worker, job)


def _link(name, times, n):
    """``(kind, base, scale, mean, description)`` of a link given as seconds or as a fixed/random model."""
    if isinstance(times, TimingModel):
        data = times.data()
        if not isinstance(data, kernels.TimingData) or data.kind not in LINK_KINDS:
            raise ValueError(f"{name} must be seconds (a number or one per worker) or a model from timing.fixed or "
                             f"timing.random, got a {times.name!r} model")
        if times.n != n:
            raise ValueError(f"{name} has n = {times.n} workers, the compute model n = {n}; they must agree")
        scale = data.scale if data.kind != kernels.FIXED else np.zeros(n)
        return data.kind, data.base, scale, times.expected_durations(), times.describe()
    if np.ndim(times) == 0:
        seconds = _validate.real(name, times, minimum=0.0)
        base = np.full(n, seconds)
        return kernels.FIXED, base, np.zeros(n), base, seconds
    base = _validate.array(name, times, nonnegative=True, length=n)
    return kernels.FIXED, base, np.zeros(n), base, _summary(base)


def communicating(compute, download=0.0, upload=0.0):
    """Wrap ``compute`` with the time to send each job's iterate (``download``) and its gradient (``upload``).

    Parameters
    ----------
    compute : TimingModel
        The compute-time model of the n workers (any of :mod:`ringbench.timing`).
    download, upload : float, array_like of shape (n,), or TimingModel
        Fixed seconds >= 0 for every worker or per worker, or a model from
        :func:`~ringbench.timing.fixed` or :func:`~ringbench.timing.random` whose j-th
        draw for worker i is that job's link time.

    Returns
    -------
    TimingModel
        Its expected durations are E D_i + tau_i + E U_i (tau_i of the first job, for a
        universal compute model), which is what the theory's predictions use [R]: the
        papers' complexities assume free communication.
    """
    if not isinstance(compute, TimingModel):
        raise ValueError(f"compute must be a timing model from ringbench.timing, got {type(compute).__name__}")
    if not type(compute.data()).__module__.startswith("ringbench."):
        raise ValueError("compute must be one of ringbench's timing models: a plug-in's kernels cannot be wrapped")
    if isinstance(compute.data(), AvailableData):
        raise ValueError("compute has availability intervals: wrap the communicating model in availability instead "
                         "(timing.availability(timing.communicating(...), ...))")
    n = compute.n
    down_kind, down_base, down_scale, down_mean, down_text = _link("download", download, n)
    up_kind, up_base, up_scale, up_mean, up_text = _link("upload", upload, n)
    data = CommunicatingData(compute.data(), down_kind, np.ascontiguousarray(down_base, dtype=np.float64),
                             np.ascontiguousarray(down_scale, dtype=np.float64), up_kind,
                             np.ascontiguousarray(up_base, dtype=np.float64),
                             np.ascontiguousarray(up_scale, dtype=np.float64))
    parameters = {"compute": compute.describe(), "download": down_text, "upload": up_text}
    with np.errstate(over="ignore"):
        expected = down_mean + compute.expected_durations() + up_mean
    overflowed = np.flatnonzero(np.isinf(expected) & np.isfinite(compute.expected_durations()))
    if overflowed.size:  # every job would take forever: a run of no arrivals that looks finished
        raise ValueError(f"download + compute + upload of worker {overflowed[0]} overflow float64 seconds "
                         f"({down_mean[overflowed[0]]:g} + {compute.expected_durations()[overflowed[0]]:g} + "
                         f"{up_mean[overflowed[0]]:g}); make them smaller")
    return TimingModel("communicating", n, parameters, data, expected)
