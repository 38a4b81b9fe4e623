"""Per-worker gradient tables of the heterogeneous-data methods (Ringleader, Malenia, IA2SGD).

Row i holds the running mean of the gradients worker i contributed (G_i / b_i in
``algorithms.md`` C.9) and their count b_i. The sum over rows of the means is kept
up to date on every change, so the worker-balanced estimator
g = 1/n sum_i G_i / b_i costs O(d) per arrival instead of O(n d). Ringleader also
has a buffer of the same shape, which becomes the table at the end of a round.
A method that needs tables keeps them in its own rule tuple.
"""

from typing import NamedTuple

import numpy as np

from .._jit import REORDER_MATH, kernel
from .actions import update
from .record import BUFFERED, release_held, traced


class Tables(NamedTuple):
    """Arrays of the gradient table and its buffer."""

    means: np.ndarray  # float64 (rows, d): G_i / b_i, zero while b_i = 0
    counts: np.ndarray  # int64 (rows,): b_i
    mean_sum: np.ndarray  # float64 (d,): sum_i means[i]
    filled: np.ndarray  # int64 (1,): rows with b_i >= 1
    inverse_count_sum: np.ndarray  # float64 (1,): sum over filled rows of 1 / b_i
    buffer_means: np.ndarray  # float64 (buffer rows, d): G_i^+ / b_i^+
    buffer_counts: np.ndarray  # int64 (buffer rows,): b_i^+
    owed: np.ndarray  # bool (rows,): the set P of workers still owed their update this round
    owed_count: np.ndarray  # int64 (1,): |P|
    phase: np.ndarray  # int64 (1,): Ringleader's phase, 1 (collect) or 2 (one update per worker)
    pending: np.ndarray  # int64 (1,): gradients in the table or buffer that have not entered an update yet
    buffered: np.ndarray  # int64 (1,): gradients in the buffer
    overwritten: np.ndarray  # int64 (1,): entries replaced before they entered an update (IA2SGD's warm-up)
    round: np.ndarray  # int64 (1,): rounds completed (Ringleader's buffer swaps, Malenia's clears)


def new_tables(rows, dimension, *, buffer=False):
    """Empty tables of ``rows`` workers, with a buffer if asked."""
    buffer_rows = rows if buffer else 0
    return Tables(
        means=np.zeros((rows, dimension)), counts=np.zeros(rows, dtype=np.int64),
        mean_sum=np.zeros(dimension), filled=np.zeros(1, dtype=np.int64),
        inverse_count_sum=np.zeros(1), buffer_means=np.zeros((buffer_rows, dimension if buffer_rows else 0)),
        buffer_counts=np.zeros(buffer_rows, dtype=np.int64), owed=np.zeros(rows, dtype=np.bool_),
        owed_count=np.zeros(1, dtype=np.int64), phase=np.ones(1, dtype=np.int64),
        pending=np.zeros(1, dtype=np.int64), buffered=np.zeros(1, dtype=np.int64),
        overwritten=np.zeros(1, dtype=np.int64), round=np.zeros(1, dtype=np.int64),
    )


@kernel(inner=True)
def step_with_table(sim, tables, gamma):
    """Apply x^{k+1} = x^k - gamma * 1/n sum_i G_i / b_i, the worker-balanced table average.

    Every gradient in the table has now entered an update; only the buffer's are pending.
    """
    update(sim, tables.mean_sum, gamma / tables.counts.size, gamma, tables.round[0])
    tables.pending[0] = tables.buffered[0]


@kernel(fastmath=REORDER_MATH, inner=True)
def add_to_table(tables, row, gradient):
    """Fold ``gradient`` into row ``row``'s running mean: b_i += 1, G_i / b_i updated."""
    count = tables.counts[row] + 1
    means = tables.means[row]
    mean_sum = tables.mean_sum
    for k in range(gradient.size):
        change = (gradient[k] - means[k]) / count
        means[k] += change
        mean_sum[k] += change
    if count == 1:
        tables.filled[0] += 1
        tables.inverse_count_sum[0] += 1.0
    else:
        tables.inverse_count_sum[0] += 1.0 / count - 1.0 / (count - 1)
    tables.counts[row] = count
    tables.pending[0] += 1


@kernel(fastmath=REORDER_MATH, inner=True)
def replace_in_table(tables, row, gradient):
    """Make ``gradient`` row ``row``'s only entry (IA2SGD keeps each worker's latest gradient)."""
    means = tables.means[row]
    mean_sum = tables.mean_sum
    for k in range(gradient.size):
        mean_sum[k] += gradient[k] - means[k]
        means[k] = gradient[k]
    if tables.counts[row] == 0:
        tables.filled[0] += 1
        tables.inverse_count_sum[0] += 1.0
        tables.counts[row] = 1
        tables.pending[0] += 1
    elif tables.pending[0] > 0:  # no step since the table filled (IA2SGD's warm-up): the entry was never applied
        tables.overwritten[0] += 1
    else:
        tables.pending[0] += 1


@kernel(fastmath=REORDER_MATH, inner=True)
def add_to_buffer(sim, tables, row, gradient):
    """Fold ``gradient`` into row ``row``'s buffered running mean (Ringleader's G_i^+, b_i^+).

    The trace marks the arrival buffered: it enters an update only after the round ends.
    """
    sim.recorder.action[0] = BUFFERED
    count = tables.buffer_counts[row] + 1
    means = tables.buffer_means[row]
    for k in range(gradient.size):
        means[k] += (gradient[k] - means[k]) / count
    tables.buffer_counts[row] = count
    tables.pending[0] += 1
    tables.buffered[0] += 1


@kernel(fastmath=REORDER_MATH, inner=True)
def _recount(tables):
    """Recompute the sums over rows from scratch (after the table changed wholesale)."""
    mean_sum = tables.mean_sum
    for k in range(mean_sum.size):
        mean_sum[k] = 0.0
    filled = 0
    inverse_count_sum = 0.0
    for row in range(tables.counts.size):
        count = tables.counts[row]
        if count == 0:
            continue
        filled += 1
        inverse_count_sum += 1.0 / count
        means = tables.means[row]
        for k in range(mean_sum.size):
            mean_sum[k] += means[k]
    tables.filled[0] = filled
    tables.inverse_count_sum[0] = inverse_count_sum


@kernel(inner=True)
def swap_in_buffer(sim, tables):
    """End of a Ringleader round: the buffer becomes the table, and the buffer empties."""
    if traced(sim.recorder):
        release_held(sim.recorder)
    tables.round[0] += 1
    for row in range(tables.counts.size):
        tables.counts[row] = tables.buffer_counts[row]
        tables.buffer_counts[row] = 0
        means, buffered = tables.means[row], tables.buffer_means[row]
        for k in range(means.size):
            means[k] = buffered[k]
            buffered[k] = 0.0
    tables.buffered[0] = 0
    _recount(tables)


@kernel(inner=True)
def clear_table(tables):
    """Empty the table (Malenia's new round)."""
    tables.round[0] += 1
    for row in range(tables.counts.size):
        tables.counts[row] = 0
        means = tables.means[row]
        for k in range(means.size):
            means[k] = 0.0
    _recount(tables)


#: Relative slack in the harmonic-mean test: the running sum of 1/b_i carries rounding
#: errors, and a target met exactly (e.g. every b_i = 1 for a target of 1) must count as met.
_ROUNDING_SLACK = 1e-12


@kernel(inner=True)
def harmonic_mean_reaches(tables, target):
    """Whether every b_i >= 1 and (1/n sum_i 1/b_i)^{-1} >= ``target``."""
    rows = tables.counts.size
    return tables.filled[0] == rows and tables.inverse_count_sum[0] <= rows / target * (1.0 + _ROUNDING_SLACK)
