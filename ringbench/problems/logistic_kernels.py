"""Jitted kernels of regularised logistic regression, dense and CSR side by side.

f(x) = sum_j w_j log(1 + exp(-y_j a_j'x)) + r(x) with labels y_j in {-1, +1},
weights w_j (1/N for the plain average), and r(x) = lam/2 ||x||^2 or the nonconvex
lam sum_k x_k^2 / (1 + x_k^2). The loops over samples take plain arrays, one kernel
per storage: handing them the whole :class:`LogisticData` made the full gradient 4x
slower (numba passes a namedtuple's every field on each call that is not inlined).

Per-worker data (Ringleader's setting): worker i samples only
``worker_samples[worker_offsets[i]:worker_offsets[i + 1]]``; empty arrays mean every
worker samples all N.
"""

import math
from typing import NamedTuple

import numpy as np

from .._jit import REORDER_MATH, kernel
from ..engine.protocol import implements
from ..engine.rng import STREAM_NOISE, job_state, next_uniform
from .ids import CSR, DENSE, L2


class LogisticData(NamedTuple):
    """Arrays of a logistic regression; the storage it does not use is empty."""

    storage: int  # DENSE or CSR: how the N x d features are stored
    dense: np.ndarray  # float64 (N, d)
    csr_data: np.ndarray  # float64 (nnz,)
    csr_indices: np.ndarray  # int64 (nnz,)
    csr_indptr: np.ndarray  # int64 (N + 1,)
    labels: np.ndarray  # float64 (N,): y_j in {-1, +1}
    sample_weights: np.ndarray  # float64 (N,): w_j, f(x) = sum_j w_j loss_j(x) + r(x)
    regularizer: int  # L2 or NONCONVEX
    lam: float  # regularisation strength lambda
    batch: int  # b: samples per stochastic gradient
    replacement: bool  # sample the minibatch with replacement
    f_star: float  # f*
    worker_offsets: np.ndarray  # int64 (n + 1,) or (0,): worker i's samples, as a range of worker_samples
    worker_samples: np.ndarray  # int64 (N,) or (0,): sample indices grouped by worker
    rows: np.ndarray  # int64 (b,): workspace, the job's minibatch
    work: np.ndarray  # float64 (d,): workspace of the metrics


@kernel
def softplus_of_negative(margin):
    """log(1 + exp(-margin)) without overflow for margins of either sign."""
    if margin > 0.0:
        return math.log1p(math.exp(-margin))
    return -margin + math.log1p(math.exp(margin))


@kernel
def sigmoid_of_negative(margin):
    """1 / (1 + exp(margin)) without overflow: minus the loss's derivative in the margin."""
    if margin > 0.0:
        decay = math.exp(-margin)
        return decay / (1.0 + decay)
    return 1.0 / (1.0 + math.exp(margin))


@kernel
def gradient_coefficient(label, margin, weight):
    """C with weight * grad loss_j(x) = c a_j: -weight y_j / (1 + exp(y_j a_j'x))."""
    return -weight * label * sigmoid_of_negative(margin)


@kernel(fastmath=REORDER_MATH)
def dense_dot(features, row, x):
    """a_row'x for dense features."""
    values = features[row]
    total = 0.0
    for k in range(x.size):
        total += values[k] * x[k]
    return total


@kernel(fastmath=REORDER_MATH)
def csr_dot(data, indices, indptr, row, x):
    """a_row'x for CSR features."""
    total = 0.0
    for entry in range(indptr[row], indptr[row + 1]):
        total += data[entry] * x[indices[entry]]
    return total


@kernel(fastmath=REORDER_MATH)
def dense_axpy(features, row, coefficient, out):
    """Out += coefficient * a_row for dense features."""
    values = features[row]
    for k in range(out.size):
        out[k] += coefficient * values[k]


@kernel(fastmath=REORDER_MATH)
def csr_axpy(data, indices, indptr, row, coefficient, out):
    """Out += coefficient * a_row for CSR features."""
    for entry in range(indptr[row], indptr[row + 1]):
        out[indices[entry]] += coefficient * data[entry]


@kernel
def dense_loss_gradient(features, labels, weights, x, out):
    """Out += sum_j w_j grad loss_j(x); return sum_j w_j loss_j(x), over every sample."""
    loss = 0.0
    for row in range(labels.size):
        margin = labels[row] * dense_dot(features, row, x)
        dense_axpy(features, row, gradient_coefficient(labels[row], margin, weights[row]), out)
        loss += weights[row] * softplus_of_negative(margin)
    return loss


@kernel
def csr_loss_gradient(data, indices, indptr, labels, weights, x, out):
    """:func:`dense_loss_gradient` for CSR features."""
    loss = 0.0
    for row in range(labels.size):
        margin = labels[row] * csr_dot(data, indices, indptr, row, x)
        csr_axpy(data, indices, indptr, row, gradient_coefficient(labels[row], margin, weights[row]), out)
        loss += weights[row] * softplus_of_negative(margin)
    return loss


@kernel
def dense_add_rows(features, labels, rows, count, x, weight, out):
    """Out += weight * sum of grad loss_j(x) over the first ``count`` entries of ``rows`` (no loss: not needed)."""
    for position in range(count):
        row = rows[position]
        margin = labels[row] * dense_dot(features, row, x)
        dense_axpy(features, row, gradient_coefficient(labels[row], margin, weight), out)


@kernel
def csr_add_rows(data, indices, indptr, labels, rows, count, x, weight, out):
    """:func:`dense_add_rows` for CSR features."""
    for position in range(count):
        row = rows[position]
        margin = labels[row] * csr_dot(data, indices, indptr, row, x)
        csr_axpy(data, indices, indptr, row, gradient_coefficient(labels[row], margin, weight), out)


@kernel(fastmath=REORDER_MATH)
def regularizer_gradient(regularizer, lam, x, out):
    """Out = grad r(x)."""
    if regularizer == L2:
        for k in range(x.size):
            out[k] = lam * x[k]
    else:
        for k in range(x.size):
            square = 1.0 + x[k] * x[k]
            out[k] = 2.0 * lam * x[k] / (square * square)


@kernel(fastmath=REORDER_MATH)
def regularizer_value(regularizer, lam, x):
    """r(x)."""
    total = 0.0
    if regularizer == L2:
        for k in range(x.size):
            total += x[k] * x[k]
        return 0.5 * lam * total
    for k in range(x.size):
        square = x[k] * x[k]
        total += square / (1.0 + square)
    return lam * total


@kernel
def _already_drawn(rows, count, row):
    for previous in range(count):
        if rows[previous] == row:
            return True
    return False


@kernel
def draw_minibatch(key, worker, job, offsets, pooled, n_samples, batch, replacement, rows):
    """Fill ``rows[:batch]`` with the job's minibatch: samples drawn uniformly from the worker's own.

    The worker's samples are ``pooled[offsets[worker]:offsets[worker + 1]]``, or all
    ``n_samples`` when ``offsets`` is empty. Draw t uses uniform t of the job's noise
    stream (:func:`ringbench.engine.rng.next_uniform` from its ``job_state``), position =
    floor(u * pool); without replacement, a repeated sample is rejected and the next
    uniform is used.
    """
    if offsets.size:
        first = offsets[worker]
        pool = offsets[worker + 1] - first
    else:
        first, pool = 0, n_samples
    state = job_state(key, STREAM_NOISE, worker, job)
    drawn = 0
    while drawn < batch:
        u, state = next_uniform(state)
        position = min(int(u * pool), pool - 1)
        row = pooled[first + position] if offsets.size else position
        if replacement or not _already_drawn(rows, drawn, row):
            rows[drawn] = row
            drawn += 1


@implements("stochastic_gradient", LogisticData)
@kernel
def stochastic_gradient(problem, key, point, worker, job, out):
    """Minibatch gradient grad r(x) + 1/b sum_{j in B} grad loss_j(x) of one job; B as in :func:`draw_minibatch`."""
    batch = problem.batch
    rows = problem.rows
    draw_minibatch(key, worker, job, problem.worker_offsets, problem.worker_samples, problem.labels.size, batch,
                   problem.replacement, rows)
    regularizer_gradient(problem.regularizer, problem.lam, point, out)
    if problem.storage == DENSE:
        dense_add_rows(problem.dense, problem.labels, rows, batch, point, 1.0 / batch, out)
    elif problem.storage == CSR:
        csr_add_rows(problem.csr_data, problem.csr_indices, problem.csr_indptr, problem.labels, rows, batch, point,
                     1.0 / batch, out)
    else:
        raise ValueError("unknown storage of the features")


@implements("metrics", LogisticData)
@kernel
def metrics(problem, x):
    """Exact ``(f(x) - f*, ||grad f(x)||^2)`` over every sample."""
    work = problem.work
    regularizer_gradient(problem.regularizer, problem.lam, x, work)
    loss = regularizer_value(problem.regularizer, problem.lam, x)
    if problem.storage == DENSE:
        loss += dense_loss_gradient(problem.dense, problem.labels, problem.sample_weights, x, work)
    elif problem.storage == CSR:
        loss += csr_loss_gradient(problem.csr_data, problem.csr_indices, problem.csr_indptr, problem.labels,
                                  problem.sample_weights, x, work)
    else:
        raise ValueError("unknown storage of the features")
    norm2 = 0.0
    for k in range(x.size):
        norm2 += work[k] * work[k]
    return loss - problem.f_star, norm2
