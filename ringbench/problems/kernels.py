"""Jitted gradient and metric kernels of the problems, dispatched on ``ProblemData.kind``.

Matrix kernels compute the affine map ``out = A @ point - b + shift`` in one pass
(the constant ``shift`` carries the papers' scalar noise for free), one kernel per
storage: tridiagonal bands, dense rows and CSR.
"""

from typing import NamedTuple

import numpy as np

from .._jit import REORDER_MATH, kernel
from ..engine.rng import STREAM_NOISE, normals

TRIDIAGONAL = 0
DENSE = 1
CSR = 2

NOISE_SCALAR = 0
NOISE_ISOTROPIC = 1


class ProblemData(NamedTuple):
    """Arrays of a problem; fields its storage does not use are empty."""

    kind: int
    bands: np.ndarray  # float64 (3, d): A[i, i-1], A[i, i], A[i, i+1] (tridiagonal)
    dense: np.ndarray  # float64 (d, d)
    csr_data: np.ndarray  # float64 (nnz,)
    csr_indices: np.ndarray  # int64 (nnz,)
    csr_indptr: np.ndarray  # int64 (d + 1,)
    b: np.ndarray  # float64 (d,)
    x_star: np.ndarray  # float64 (d,): the minimiser, for f(x) - f*
    noise_kind: int
    noise_std: float  # s: per-coordinate standard deviation of the gradient noise


@kernel(fastmath=REORDER_MATH)
def tridiagonal_affine(bands, point, b, shift, out):
    """``out = A @ point - b + shift`` for a tridiagonal ``A`` stored as bands."""
    d = point.size
    lower, diagonal, upper = bands[0], bands[1], bands[2]
    if d == 1:
        out[0] = diagonal[0] * point[0] - b[0] + shift
        return
    out[0] = diagonal[0] * point[0] + upper[0] * point[1] - b[0] + shift
    for i in range(1, d - 1):
        out[i] = lower[i] * point[i - 1] + diagonal[i] * point[i] + upper[i] * point[i + 1] - b[i] + shift
    out[d - 1] = lower[d - 1] * point[d - 2] + diagonal[d - 1] * point[d - 1] - b[d - 1] + shift


@kernel(fastmath=REORDER_MATH)
def dense_affine(matrix, point, b, shift, out):
    """``out = matrix @ point - b + shift`` for a dense row-major ``matrix``."""
    for i in range(matrix.shape[0]):
        row = matrix[i]
        total = 0.0
        for j in range(point.size):
            total += row[j] * point[j]
        out[i] = total - b[i] + shift


@kernel(fastmath=REORDER_MATH)
def csr_affine(data, indices, indptr, point, b, shift, out):
    """``out = A @ point - b + shift`` for ``A`` in CSR form."""
    for i in range(indptr.size - 1):
        total = 0.0
        for entry in range(indptr[i], indptr[i + 1]):
            total += data[entry] * point[indices[entry]]
        out[i] = total - b[i] + shift


@kernel
def affine(problem, point, shift, out):
    """``out = A @ point - b + shift``: the gradient at ``point``, shifted."""
    if problem.kind == TRIDIAGONAL:
        tridiagonal_affine(problem.bands, point, problem.b, shift, out)
    elif problem.kind == DENSE:
        dense_affine(problem.dense, point, problem.b, shift, out)
    else:
        csr_affine(problem.csr_data, problem.csr_indices, problem.csr_indptr, point, problem.b, shift, out)


@kernel
def stochastic_gradient(problem, key, point, worker, job, out):
    """Stochastic gradient of worker ``worker``'s ``job``-th job, evaluated at ``point``.

    The noise is a pure function of ``(key, worker, job)``: a job's gradient is the
    same whenever it is evaluated. ``scalar`` noise adds one N(0, s^2) draw to every
    coordinate (the papers' code; sigma^2 = d s^2); ``isotropic`` adds N(0, s^2 I).
    """
    std = problem.noise_std
    if problem.noise_kind == NOISE_SCALAR:
        shift = std * normals(key, STREAM_NOISE, worker, job, 0)[0] if std > 0.0 else 0.0
        affine(problem, point, shift, out)
        return
    affine(problem, point, 0.0, out)
    if std == 0.0:
        return
    d = out.size
    for block in range((d + 3) // 4):
        draws = normals(key, STREAM_NOISE, worker, job, block)
        for lane in range(min(4, d - 4 * block)):
            out[4 * block + lane] += std * draws[lane]


@kernel
def metrics(problem, x, work):
    """Exact ``(f(x) - f*, ||grad f(x)||^2)``; ``work`` is a scratch vector of size d.

    For a quadratic, f(x) - f* = (x - x*)' grad f(x) / 2, which avoids the
    cancellation of subtracting two nearly equal objective values.
    """
    affine(problem, x, 0.0, work)
    gap = 0.0
    norm2 = 0.0
    for i in range(x.size):
        gap += (x[i] - problem.x_star[i]) * work[i]
        norm2 += work[i] * work[i]
    return 0.5 * gap, norm2
