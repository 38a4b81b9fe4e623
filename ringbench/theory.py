"""Theory of the papers: harmonic means, m*, and the theory-mode parameters of each method.

Symbols follow ``shared/spec/algorithms.md``: L smoothness, sigma^2 the gradient
noise variance, eps the target for E||grad f||^2, tau_i compute times (sorted
ascending where a formula needs it), n workers. Items the spec marks [R]
(recollection, not checked against the papers) are marked the same way here.
"""

import math

import numpy as np

from . import _validate


def threshold(sigma2, eps):
    """Ringmaster's threshold R = max{1, ceil(sigma^2 / eps)}."""
    return max(1, math.ceil(sigma2 / eps))


def batch_size(sigma2, eps):
    """Rennala's batch size S = max{1, ceil(sigma^2 / eps)}."""
    return threshold(sigma2, eps)


def _noise_cap(L, sigma2, eps, factor):
    """eps * factor / (L sigma^2), or inf without noise."""
    return math.inf if sigma2 == 0 else eps * factor / (L * sigma2)


def stepsize_ringmaster(L, sigma2, eps, R):
    """gamma = min{1/(2RL), eps/(4L sigma^2)} [R]."""
    return min(1.0 / (2 * R * L), _noise_cap(L, sigma2, eps, 0.25))


def stepsize_rennala(L, sigma2, eps, S):
    """gamma = min{1/L, eps S/(2L sigma^2)} (Rennala's stepsize helper in the papers' code)."""
    return min(1.0 / L, _noise_cap(L, sigma2, eps, 0.5 * S))


def stepsize_asgd(L, sigma2, eps, n):
    """gamma = min{1/(2nL), eps/(4L sigma^2)} for ASGD on n workers [R: constants]."""
    return min(1.0 / (2 * n * L), _noise_cap(L, sigma2, eps, 0.25))


def stepsize_sgd(L, sigma2, eps):
    """Single-worker SGD (Hero SGD): gamma = min{1/L, eps/(2L sigma^2)}."""
    return stepsize_rennala(L, sigma2, eps, 1)


def harmonic_means(tau):
    """H_m = (1/m sum_{i<=m} 1/tau_(i))^{-1} for m = 1..n, tau sorted ascending.

    Parameters
    ----------
    tau : array_like of float, shape (n,)
        Positive compute times, in any order.

    Returns
    -------
    ndarray of shape (n,)
        ``H[m - 1]`` is the harmonic mean of the m fastest workers.
    """
    tau = np.sort(_validate.array("tau", tau, positive=True))
    counts = np.arange(1, tau.size + 1)
    return counts / np.cumsum(1.0 / tau)


def optimal_workers(tau, sigma2, eps):
    """m* = argmin_m (m + sigma^2/eps) / sum_{i<=m} 1/tau_(i): how many fastest workers to use.

    Returns
    -------
    int
        m* in 1..n (the smallest minimiser).
    """
    tau = np.sort(_validate.array("tau", tau, positive=True))
    counts = np.arange(1, tau.size + 1)
    times = (counts + sigma2 / eps) / np.cumsum(1.0 / tau)
    return int(np.argmin(times)) + 1
