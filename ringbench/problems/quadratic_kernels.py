"""Jitted kernels of the stochastic quadratics f(x) = 1/2 x'Ax - b'x, and their data.

A is stored as tridiagonal bands, dense rows or CSR, and every kernel computes the
affine map ``out = scale * A @ point - b + shift`` in one pass (the constant
``shift`` carries the papers' scalar noise for free).

Per-worker data (Ringleader's setting, ``algorithms.md`` A.4): worker i's quadratic
is f_i(x) = s_i/2 x'Ax - b_i'x (``worker_scale``, ``worker_b``); empty per-worker
arrays mean every worker samples the global objective.
"""

from typing import NamedTuple

import numpy as np

from .._jit import REORDER_MATH, kernel
from ..engine.protocol import implements
from ..engine.rng import STREAM_NOISE, fill_normals, job_normal
from .ids import CSR, DENSE, NOISE_SCALAR, TOEPLITZ, TRIDIAGONAL


class QuadraticData(NamedTuple):
    """Arrays of a quadratic; the storages it does not use are empty."""

    storage: int  # TRIDIAGONAL, TOEPLITZ (constant bands), DENSE or CSR: how A is stored
    bands: np.ndarray  # float64 (3, d): A[i, i-1], A[i, i], A[i, i+1] (tridiagonal, Toeplitz)
    dense: np.ndarray  # float64 (d, d)
    csr_data: np.ndarray  # float64 (nnz,)
    csr_indices: np.ndarray  # int64 (nnz,)
    csr_indptr: np.ndarray  # int64 (d + 1,)
    b: np.ndarray  # float64 (d,): the global linear term
    x_star: np.ndarray  # float64 (d,): the global minimiser, for f(x) - f*
    noise_kind: int  # NOISE_SCALAR or NOISE_ISOTROPIC
    noise_std: float  # s: per-coordinate standard deviation of the gradient noise
    worker_b: np.ndarray  # float64 (n, d) or (0, d): b_i
    worker_scale: np.ndarray  # float64 (n,) or (0,): s_i
    work: np.ndarray  # float64 (d,): workspace of the metrics


def empty_storage():
    """The storage fields of :class:`QuadraticData`, all empty."""
    return dict(bands=np.zeros((3, 0)), dense=np.zeros((0, 0)), csr_data=np.zeros(0),
                csr_indices=np.zeros(0, dtype=np.int64), csr_indptr=np.zeros(0, dtype=np.int64))


@kernel(fastmath=REORDER_MATH)
def tridiagonal_affine(bands, point, b, scale, shift, out):
    """``out = scale * A @ point - b + shift`` for a tridiagonal ``A`` stored as bands."""
    d = point.size
    lower, diagonal, upper = bands[0], bands[1], bands[2]
    if d == 1:
        out[0] = scale * (diagonal[0] * point[0]) - b[0] + shift
        return
    out[0] = scale * (diagonal[0] * point[0] + upper[0] * point[1]) - b[0] + shift
    for i in range(1, d - 1):
        out[i] = scale * (lower[i] * point[i - 1] + diagonal[i] * point[i] + upper[i] * point[i + 1]) - b[i] + shift
    out[d - 1] = scale * (lower[d - 1] * point[d - 2] + diagonal[d - 1] * point[d - 1]) - b[d - 1] + shift


@kernel(fastmath=REORDER_MATH)
def toeplitz_affine(bands, point, b, scale, shift, out):
    """:func:`tridiagonal_affine` for bands that are constant (d >= 3), which it reads as three numbers.

    The same arithmetic in the same order, so the result is bit for bit that of
    :func:`tridiagonal_affine`; not streaming two band arrays through the cache cut
    about a fifth of an ASGD event on the worst-case quadratic.
    """
    d = point.size
    lower, diagonal, upper = bands[0, 1], bands[1, 0], bands[2, 0]
    out[0] = scale * (diagonal * point[0] + upper * point[1]) - b[0] + shift
    for i in range(1, d - 1):
        out[i] = scale * (lower * point[i - 1] + diagonal * point[i] + upper * point[i + 1]) - b[i] + shift
    out[d - 1] = scale * (lower * point[d - 2] + diagonal * point[d - 1]) - b[d - 1] + shift


@kernel(fastmath=REORDER_MATH)
def dense_affine(matrix, point, b, scale, shift, out):
    """``out = scale * matrix @ point - b + shift`` for a dense row-major ``matrix``."""
    for i in range(matrix.shape[0]):
        row = matrix[i]
        total = 0.0
        for j in range(point.size):
            total += row[j] * point[j]
        out[i] = scale * total - b[i] + shift


@kernel(fastmath=REORDER_MATH)
def csr_affine(data, indices, indptr, point, b, scale, shift, out):
    """``out = scale * A @ point - b + shift`` for ``A`` in CSR form."""
    for i in range(indptr.size - 1):
        total = 0.0
        for entry in range(indptr[i], indptr[i + 1]):
            total += data[entry] * point[indices[entry]]
        out[i] = scale * total - b[i] + shift


@kernel
def affine(problem, point, b, scale, shift, out):
    """``out = scale * A @ point - b + shift``: a quadratic's (shifted) gradient at ``point``.

    Constant bands (``TOEPLITZ``) take the band kernel here, with the same bits as the
    stencil that :func:`stochastic_gradient` uses for them.
    """
    if problem.storage == TRIDIAGONAL or problem.storage == TOEPLITZ:
        tridiagonal_affine(problem.bands, point, b, scale, shift, out)
    elif problem.storage == DENSE:
        dense_affine(problem.dense, point, b, scale, shift, out)
    elif problem.storage == CSR:
        csr_affine(problem.csr_data, problem.csr_indices, problem.csr_indptr, point, b, scale, shift, out)
    else:
        raise ValueError("unknown storage of A")


@implements("stochastic_gradient", QuadraticData)
@kernel
def stochastic_gradient(problem, key, point, worker, job, out):
    """Worker ``worker``'s noisy gradient s_i A x - b_i + noise of its ``job``-th job.

    ``scalar`` noise adds one N(0, s^2) draw to every coordinate (the papers' code;
    sigma^2 = d s^2); ``isotropic`` adds N(0, s^2 I).
    """
    if problem.worker_scale.size:
        b, scale = problem.worker_b[worker], problem.worker_scale[worker]
    else:
        b, scale = problem.b, 1.0
    std = problem.noise_std
    shift = (std * job_normal(key, STREAM_NOISE, worker, job)
             if std > 0.0 and problem.noise_kind == NOISE_SCALAR else 0.0)
    # The stencil is chosen here, on the event loop's path, not in ``affine``: a fourth
    # branch there made LLVM compile the CSR one about 11 % slower (measured side by side;
    # so did other arrangements of these lines, which LLVM compiles differently).
    if problem.storage == TOEPLITZ:
        toeplitz_affine(problem.bands, point, b, scale, shift, out)
    else:
        affine(problem, point, b, scale, shift, out)
    if problem.noise_kind == NOISE_SCALAR:
        return
    if std > 0.0:
        fill_normals(key, STREAM_NOISE, worker, job, out, std)


@implements("metrics", QuadraticData)
@kernel
def metrics(problem, x):
    """Exact ``(f(x) - f*, ||grad f(x)||^2)`` of the global objective.

    f(x) - f* = (x - x*)' grad f(x) / 2, which avoids the cancellation of
    subtracting two nearly equal objective values.
    """
    work = problem.work
    affine(problem, x, problem.b, 1.0, 0.0, work)
    gap = 0.0
    norm2 = 0.0
    for i in range(x.size):
        gap += (x[i] - problem.x_star[i]) * work[i]
        norm2 += work[i] * work[i]
    return 0.5 * gap, norm2
