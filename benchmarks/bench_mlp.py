"""The MLP's minibatch gradient: ringbench's jitted kernel against NumPy (BLAS) doing the same passes.

Network 784-``hidden``-10 (``common.mlp_inputs``), one fixed seeded minibatch of
``batch`` samples. ``time_numba`` calls ``mlp_kernels.mlp_loss_gradient`` from a
jitted loop (no Python call overhead), ``time_numpy`` calls
:func:`numpy_loss_gradient`, both :data:`CALLS` times per timed call (milliseconds).
``track_ratio`` measures both side by side in one call (interleaved rounds, ratio
of the medians): the figure the kernel's speed target (within 1.5x of NumPy) is
about, and one that drifts less with the machine's load than either time alone.
asv runs with one BLAS thread (``OPENBLAS_NUM_THREADS=1`` in ``asv.conf.json``),
so NumPy's products are single-threaded like the kernel.
"""

import functools
import statistics

import numba
import numpy as np

from . import common

#: Gradients per timed call, by (hidden, batch): 1 to 10 ms for either implementation.
CALLS = {(32, 4): 200, (32, 100): 10, (128, 4): 50, (128, 100): 3}
#: Interleaved rounds of ``track_ratio``.
ROUNDS = 7


def numpy_loss_gradient(theta, inputs, hidden, classes, features, labels, rows, out):
    """Mean cross-entropy over ``rows`` and its gradient into ``out``, with NumPy's BLAS products."""
    first, second = hidden * inputs, hidden * inputs + hidden
    third = second + classes * hidden
    w1, b1 = theta[:first].reshape(hidden, inputs), theta[first:second]
    w2, b2 = theta[second:third].reshape(classes, hidden), theta[third:]
    batch = rows.size
    x = features[rows]
    z1 = x @ w1.T
    z1 += b1
    a = np.maximum(z1, 0.0)
    z2 = a @ w2.T
    z2 += b2
    z2 -= z2.max(axis=1, keepdims=True)
    p = np.exp(z2)
    total = p.sum(axis=1)
    y, index = labels[rows], np.arange(batch)
    loss = np.mean(np.log(total) - z2[index, y])
    p /= total[:, None] * batch
    p[index, y] -= 1.0 / batch
    np.dot(p.T, a, out=out[second:third].reshape(classes, hidden))
    np.sum(p, axis=0, out=out[third:])
    delta = p @ w2
    delta *= z1 > 0.0
    np.dot(delta.T, x, out=out[:first].reshape(hidden, inputs))
    np.sum(delta, axis=0, out=out[first:second])
    return loss


@functools.cache
def _loop():
    """A jitted loop of ``count`` kernel calls (not cached on disk, as in bench_gradients; compiled once)."""
    from ringbench.problems.mlp_kernels import mlp_loss_gradient

    @numba.njit(nogil=True)
    def loop(count, theta, inputs, hidden, classes, features, labels, rows, out, workspace):
        total = 0.0
        for _ in range(count):
            total += mlp_loss_gradient(theta, inputs, hidden, classes, features, labels, rows, out, workspace)
        return total

    return loop


class MLPGradient:
    """CPU time (common.TIMER) of minibatch gradients of the MLP, jitted and NumPy, and their ratio."""

    timer = common.TIMER

    params = ([32, 128], [4, 100])
    param_names = ["hidden", "batch"]

    def setup(self, hidden, batch):
        theta, features, labels = common.mlp_inputs(hidden)
        from ringbench.problems.mlp_kernels import workspace_size

        self.count = CALLS[hidden, batch]
        self.rows = np.random.default_rng(7).integers(features.shape[0], size=batch)
        self.arguments = (theta, common.MLP_INPUTS, hidden, common.MLP_CLASSES, features, labels, self.rows)
        self.out = np.empty_like(theta)
        self.expected = np.empty_like(theta)
        self.workspace = np.empty(workspace_size(common.MLP_INPUTS, hidden, common.MLP_CLASSES, batch))
        self.loop = _loop()
        loss = self.loop(1, *self.arguments, self.out, self.workspace)
        expected = numpy_loss_gradient(*self.arguments, self.expected)
        if not (np.isclose(loss, expected, rtol=1e-12) and np.allclose(self.out, self.expected, rtol=1e-9,
                                                                          atol=1e-15)):
            raise RuntimeError("the jitted MLP gradient disagrees with the NumPy one")

    def _numba(self):
        self.loop(self.count, *self.arguments, self.out, self.workspace)

    def _numpy(self):
        for _ in range(self.count):
            numpy_loss_gradient(*self.arguments, self.expected)

    def time_numba(self, hidden, batch):
        self._numba()

    def time_numpy(self, hidden, batch):
        self._numpy()

    def track_ratio(self, hidden, batch):
        return side_by_side(self._numba, self._numpy)

    track_ratio.unit = "ratio"


def side_by_side(first, second, rounds=ROUNDS):
    """Median CPU time of ``first`` over that of ``second``, the two called alternately ``rounds`` times."""
    times = ([], [])
    for _ in range(rounds):
        for function, spent in zip((first, second), times):
            started = common.TIMER()
            function()
            spent.append(common.TIMER() - started)
    return statistics.median(times[0]) / statistics.median(times[1])
