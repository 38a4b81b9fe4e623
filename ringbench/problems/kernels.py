"""The problems' data as the engine sees it, and the two oracles it calls: a stochastic
gradient per job and exact metrics at checkpoints, dispatched on ``ProblemData.model``.

Both models keep one matrix, stored as tridiagonal bands, dense rows or CSR: the
quadratic's A (d x d), or logistic regression's N x d features. Quadratic kernels
compute the affine map ``out = scale * A @ point - b + shift`` in one pass (the
constant ``shift`` carries the papers' scalar noise for free); logistic kernels are
in :mod:`.logistic_kernels`.

Per-worker data (Ringleader's setting, ``algorithms.md`` A.4): worker i's quadratic
is f_i(x) = s_i/2 x'Ax - b_i'x (``worker_scale``, ``worker_b``), and worker i's
logistic samples are ``worker_samples[worker_offsets[i]:worker_offsets[i + 1]]``.
Empty per-worker arrays mean every worker samples the global objective.
"""

from typing import NamedTuple

import numpy as np

from .._jit import REORDER_MATH, kernel
from ..engine.rng import STREAM_NOISE, normals
from .ids import DENSE, L2, LOGISTIC, NOISE_SCALAR, QUADRATIC, TRIDIAGONAL
from .logistic_kernels import logistic_metrics, logistic_stochastic_gradient


class ProblemData(NamedTuple):
    """Arrays of a problem; fields its model and storage do not use are empty."""

    model: int  # QUADRATIC or LOGISTIC
    storage: int  # TRIDIAGONAL, DENSE or CSR: how the matrix below is stored
    bands: np.ndarray  # float64 (3, d): A[i, i-1], A[i, i], A[i, i+1] (tridiagonal)
    dense: np.ndarray  # float64: A (d, d) or the features (N, d)
    csr_data: np.ndarray  # float64 (nnz,)
    csr_indices: np.ndarray  # int64 (nnz,)
    csr_indptr: np.ndarray  # int64 (rows + 1,)
    b: np.ndarray  # float64 (d,): the global linear term (quadratic)
    x_star: np.ndarray  # float64 (d,): the global minimiser, for f(x) - f* (quadratic)
    noise_kind: int
    noise_std: float  # s: per-coordinate standard deviation of the gradient noise (quadratic)
    worker_b: np.ndarray  # float64 (n, d) or (0, d): b_i (heterogeneous quadratic)
    worker_scale: np.ndarray  # float64 (n,) or (0,): s_i (heterogeneous quadratic)
    labels: np.ndarray  # float64 (N,): y_j in {-1, +1} (logistic)
    sample_weights: np.ndarray  # float64 (N,): w_j, f(x) = sum_j w_j loss_j(x) + r(x) (logistic)
    regularizer: int  # L2 or NONCONVEX (logistic)
    lam: float  # regularisation strength lambda (logistic)
    batch: int  # b: samples per stochastic gradient (logistic)
    replacement: bool  # sample the minibatch with replacement (logistic)
    f_star: float  # f* (logistic; the quadratic's gap uses x_star)
    worker_offsets: np.ndarray  # int64 (n + 1,) or (0,): worker i's samples, as a range of worker_samples
    worker_samples: np.ndarray  # int64 (N,) or (0,): sample indices grouped by worker


def empty_fields():
    """Every :class:`ProblemData` field a problem may leave unused, set to an empty value."""
    return dict(bands=np.zeros((3, 0)), dense=np.zeros((0, 0)), csr_data=np.zeros(0),
                csr_indices=np.zeros(0, dtype=np.int64), csr_indptr=np.zeros(0, dtype=np.int64),
                b=np.zeros(0), x_star=np.zeros(0), noise_kind=NOISE_SCALAR, noise_std=0.0,
                worker_b=np.zeros((0, 0)), worker_scale=np.zeros(0), labels=np.zeros(0),
                sample_weights=np.zeros(0), regularizer=L2, lam=0.0, batch=0, replacement=True, f_star=0.0,
                worker_offsets=np.zeros(0, dtype=np.int64), worker_samples=np.zeros(0, dtype=np.int64))


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
    """``out = scale * A @ point - b + shift``: a quadratic's (shifted) gradient at ``point``."""
    if problem.storage == TRIDIAGONAL:
        tridiagonal_affine(problem.bands, point, b, scale, shift, out)
    elif problem.storage == DENSE:
        dense_affine(problem.dense, point, b, scale, shift, out)
    else:
        csr_affine(problem.csr_data, problem.csr_indices, problem.csr_indptr, point, b, scale, shift, out)


@kernel
def quadratic_stochastic_gradient(problem, key, point, worker, job, out):
    """Worker ``worker``'s noisy gradient s_i A x - b_i + noise of its ``job``-th job.

    ``scalar`` noise adds one N(0, s^2) draw to every coordinate (the papers' code;
    sigma^2 = d s^2); ``isotropic`` adds N(0, s^2 I).
    """
    if problem.worker_scale.size:
        b, scale = problem.worker_b[worker], problem.worker_scale[worker]
    else:
        b, scale = problem.b, 1.0
    std = problem.noise_std
    if problem.noise_kind == NOISE_SCALAR:
        shift = std * normals(key, STREAM_NOISE, worker, job, 0)[0] if std > 0.0 else 0.0
        affine(problem, point, b, scale, shift, out)
        return
    affine(problem, point, b, scale, 0.0, out)
    if std == 0.0:
        return
    d = out.size
    for block in range((d + 3) // 4):
        draws = normals(key, STREAM_NOISE, worker, job, block)
        for lane in range(min(4, d - 4 * block)):
            out[4 * block + lane] += std * draws[lane]


@kernel
def stochastic_gradient(problem, key, point, worker, job, samples, out):
    """Stochastic gradient of worker ``worker``'s ``job``-th job, evaluated at ``point``, into ``out``.

    The randomness (noise, or the minibatch) is a pure function of ``(key, worker,
    job)``: a job's gradient is the same whenever it is evaluated. ``samples`` is an
    int64 workspace of at least the minibatch size (logistic sampling without
    replacement).
    """
    if problem.model == QUADRATIC:
        quadratic_stochastic_gradient(problem, key, point, worker, job, out)
    else:
        logistic_stochastic_gradient(problem, key, point, worker, job, samples, out)


@kernel
def metrics(problem, x, work):
    """Exact ``(f(x) - f*, ||grad f(x)||^2)`` of the global objective; ``work`` is a scratch d-vector.

    For a quadratic, f(x) - f* = (x - x*)' grad f(x) / 2, which avoids the
    cancellation of subtracting two nearly equal objective values.
    """
    if problem.model == LOGISTIC:
        return logistic_metrics(problem, x, work)
    affine(problem, x, problem.b, 1.0, 0.0, work)
    gap = 0.0
    norm2 = 0.0
    for i in range(x.size):
        gap += (x[i] - problem.x_star[i]) * work[i]
        norm2 += work[i] * work[i]
    return 0.5 * gap, norm2
