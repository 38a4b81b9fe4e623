"""Jitted kernels of regularised logistic regression, dense and CSR side by side.

f(x) = sum_j w_j log(1 + exp(-y_j a_j'x)) + r(x) with labels y_j in {-1, +1},
weights w_j (1/N for the plain average), and r(x) = lam/2 ||x||^2 or the nonconvex
lam sum_k x_k^2 / (1 + x_k^2). Only the two row primitives (a_j'x, and
out += c a_j) know the storage; the losses and gradients above them are shared.
"""

import math

from .._jit import REORDER_MATH, kernel
from ..engine.rng import STREAM_NOISE, uniforms
from .ids import DENSE, L2


@kernel(fastmath=REORDER_MATH)
def dense_row_dot(features, row, x):
    """a_row'x for dense features."""
    values = features[row]
    total = 0.0
    for k in range(x.size):
        total += values[k] * x[k]
    return total


@kernel(fastmath=REORDER_MATH)
def csr_row_dot(data, indices, indptr, row, x):
    """a_row'x for CSR features."""
    total = 0.0
    for entry in range(indptr[row], indptr[row + 1]):
        total += data[entry] * x[indices[entry]]
    return total


@kernel(fastmath=REORDER_MATH)
def dense_row_axpy(features, row, coefficient, out):
    """out += coefficient * a_row for dense features."""
    values = features[row]
    for k in range(out.size):
        out[k] += coefficient * values[k]


@kernel(fastmath=REORDER_MATH)
def csr_row_axpy(data, indices, indptr, row, coefficient, out):
    """out += coefficient * a_row for CSR features."""
    for entry in range(indptr[row], indptr[row + 1]):
        out[indices[entry]] += coefficient * data[entry]


@kernel
def row_dot(problem, row, x):
    """a_row'x, whatever the storage."""
    if problem.storage == DENSE:
        return dense_row_dot(problem.dense, row, x)
    return csr_row_dot(problem.csr_data, problem.csr_indices, problem.csr_indptr, row, x)


@kernel
def row_axpy(problem, row, coefficient, out):
    """out += coefficient * a_row, whatever the storage."""
    if problem.storage == DENSE:
        dense_row_axpy(problem.dense, row, coefficient, out)
    else:
        csr_row_axpy(problem.csr_data, problem.csr_indices, problem.csr_indptr, row, coefficient, out)


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


@kernel(fastmath=REORDER_MATH)
def regularizer_gradient(problem, x, out):
    """out = grad r(x)."""
    lam = problem.lam
    if problem.regularizer == L2:
        for k in range(x.size):
            out[k] = lam * x[k]
    else:
        for k in range(x.size):
            square = 1.0 + x[k] * x[k]
            out[k] = 2.0 * lam * x[k] / (square * square)


@kernel(fastmath=REORDER_MATH)
def regularizer_value(problem, x):
    """r(x)."""
    total = 0.0
    if problem.regularizer == L2:
        for k in range(x.size):
            total += x[k] * x[k]
        return 0.5 * problem.lam * total
    for k in range(x.size):
        square = x[k] * x[k]
        total += square / (1.0 + square)
    return problem.lam * total


@kernel
def add_sample_gradient(problem, row, x, weight, out):
    """out += weight * grad loss_row(x) = -weight y a_row / (1 + exp(y a_row'x)); return loss_row(x)."""
    label = problem.labels[row]
    margin = label * row_dot(problem, row, x)
    row_axpy(problem, row, -weight * label * sigmoid_of_negative(margin), out)
    return softplus_of_negative(margin)


@kernel
def _already_drawn(samples, count, position):
    for previous in range(count):
        if samples[previous] == position:
            return True
    return False


@kernel
def logistic_stochastic_gradient(problem, key, point, worker, job, samples, out):
    """Minibatch gradient grad r(x) + 1/b sum_{j in B} grad loss_j(x) of one job.

    B holds b samples drawn uniformly from the worker's own samples (all of them
    without per-worker data), with or without replacement, from the job's stream of
    uniforms. Without replacement, repeated draws are rejected and the next uniform is
    used; ``samples`` remembers the draws so far.
    """
    regularizer_gradient(problem, point, out)
    if problem.worker_offsets.size:
        first = problem.worker_offsets[worker]
        pool = problem.worker_offsets[worker + 1] - first
    else:
        first, pool = 0, problem.labels.size
    batch = problem.batch
    weight = 1.0 / batch
    drawn = 0
    block = 0
    while drawn < batch:
        draws = uniforms(key, STREAM_NOISE, worker, job, block)
        block += 1
        for lane in range(4):
            if drawn == batch:
                break
            position = min(int(draws[lane] * pool), pool - 1)
            if not problem.replacement:
                if _already_drawn(samples, drawn, position):
                    continue
                samples[drawn] = position
            drawn += 1
            row = problem.worker_samples[first + position] if problem.worker_offsets.size else position
            add_sample_gradient(problem, row, point, weight, out)


@kernel
def logistic_metrics(problem, x, work):
    """Exact ``(f(x) - f*, ||grad f(x)||^2)`` over every sample; ``work`` is a scratch d-vector."""
    regularizer_gradient(problem, x, work)
    loss = regularizer_value(problem, x)
    weights = problem.sample_weights
    for row in range(weights.size):
        loss += weights[row] * add_sample_gradient(problem, row, x, weights[row], work)
    norm2 = 0.0
    for k in range(x.size):
        norm2 += work[k] * work[k]
    return loss - problem.f_star, norm2
