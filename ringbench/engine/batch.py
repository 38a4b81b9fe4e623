"""A running sum of gradients for methods that step with a mean (Rennala, minibatch, FedBuff)."""

from typing import NamedTuple

import numpy as np

from .._jit import REORDER_MATH, kernel
from .actions import update


class Batch(NamedTuple):
    """The gradients collected for the next update."""

    total: np.ndarray  # float64 (d,): their sum
    size: np.ndarray  # int64 (1,): how many


def new_batch(dimension):
    """An empty batch of ``dimension``-vectors."""
    return Batch(total=np.zeros(dimension), size=np.zeros(1, dtype=np.int64))


@kernel(fastmath=REORDER_MATH, inner=True)
def collect(batch, gradient):
    """Add ``gradient`` to the batch."""
    total = batch.total
    for i in range(total.size):
        total[i] += gradient[i]
    batch.size[0] += 1


@kernel(inner=True)
def step_with_batch(sim, batch, stepsize):
    """Apply x^{k+1} = x^k - stepsize * (mean of the batch) and empty the batch."""
    update(sim, batch.total, stepsize / batch.size[0], stepsize, -1)
    batch.total[:] = 0.0
    batch.size[0] = 0
