"""Correlated slowdowns: one random draw shared by every worker, per job index or per time window.

:func:`ringbench.timing.random` draws a fresh z for every (worker, job): the workers are
independent. The authors' simulator also has ``is_independent=False``, where one draw
slows everyone down together. Here worker i's job j started at t_s takes

    base_i + scale_i |z|  (half-normal),  base_i + scale_i Exp(1)  (exponential),
    base_i exp(scale_i z)  (log-normal),

as in :func:`~ringbench.timing.random`, with z (or the uniform u of Exp(1) = -log(1 - u))
the first draw of ``job_state(key, STREAM_SLOWDOWN, 0, c)``, shared by all workers: c = j
(``window=None``: the j-th jobs of all workers share a slowdown) or c = floor(t_s / W)
(``window=W``: jobs started in the same window of W seconds share one). Each worker's
durations have the same distribution as in the independent model, so the expected
durations and the theory's predictions are the same; only their correlation differs.
"""

import math
from typing import NamedTuple

import numpy as np

from .. import _validate
from .._jit import kernel
from ..engine.protocol import implements
from ..engine.rng import STREAM_SLOWDOWN
from . import kernels
from .models import DISTRIBUTIONS, TimingModel
from .models import random as independent


class CorrelatedData(NamedTuple):
    """A random compute model whose draw is shared: by job index (``window`` = 0) or by time window."""

    kind: int  # kernels.HALF_NORMAL, EXPONENTIAL or LOG_NORMAL
    base: np.ndarray  # float64 (n,)
    scale: np.ndarray  # float64 (n,)
    window: float  # W > 0 seconds, or 0 to share by job index


@implements("finish_time", CorrelatedData)
@kernel
def correlated_finish_time(timing, key, worker, job, start):
    """End of ``worker``'s ``job``-th job started at ``start``, slowed by the draw it shares."""
    shared = job if timing.window == 0.0 else np.int64(math.floor(start / timing.window))
    return kernels.random_finish(timing.kind, start, timing.base[worker], timing.scale[worker], key,
                                 STREAM_SLOWDOWN, 0, shared)


def correlated(base, scale, distribution="half-normal", *, window=None):
    """Random durations with one slowdown shared by all workers (``is_independent=False``).

    Parameters
    ----------
    base, scale, distribution
        As in :func:`ringbench.timing.random`.
    window : float, optional
        W > 0: jobs started in the same window [cW, (c + 1)W) share a draw. Default: the
        j-th jobs of all workers share one.
    """
    model = independent(base, scale, distribution)  # validates base, scale and distribution
    if window is not None:
        window = _validate.real("window", window, positive=True)
    data = model.data()
    parameters = {**model.parameters, "distribution": distribution,
                  "shared": "job" if window is None else {"window": window}}
    return TimingModel("correlated", model.n, parameters,
                       CorrelatedData(DISTRIBUTIONS[distribution], data.base, data.scale, window or 0.0),
                       model.expected_durations())

