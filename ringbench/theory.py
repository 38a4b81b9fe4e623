"""Theory of the papers next to the simulator: m*, R, stepsizes, predicted times, lower bounds.

Symbols follow ``shared/spec/algorithms.md``: L smoothness, Delta = f(x^0) - f*,
sigma^2 the gradient noise variance, eps the target for E||grad f||^2, tau_i the
compute times (sorted ascending, tau_(1) <= ... <= tau_(n), where a formula needs
it), n workers, and tau_h^m = H_m = (1/m sum_{i<=m} 1/tau_(i))^{-1} the harmonic
mean of the m fastest. Items the spec marks [R] (recollection, not checked
against the papers) are marked the same way here.

Predicted times are the papers' time complexities in the fixed model (spec D.1
for the homogeneous setting, D.2 for the heterogeneous one). The papers state
them up to a constant factor; here **the constant is 1 for every method and for
the lower bound**, so predictions are comparable across methods and the optimal
methods' prediction equals the lower bound. Where the papers give constants (the
iteration counts of Ringmaster and Rennala [R] with Lemma 4.1's time per block),
:func:`guaranteed_times` gives the resulting explicit upper bound as well.

Every function taking ``tau`` is vectorised over the workers (NumPy, no Python
loop over them) and validates its inputs with a ``ValueError`` naming the parameter.
"""

import math
import sys
from typing import NamedTuple

import numpy as np

from . import _validate

#: Methods with a homogeneous (D.1) time complexity; the first three are optimal.
HOMOGENEOUS = ("ringmaster", "rennala", "naive-optimal", "asgd", "delay-adaptive-asgd", "minibatch", "hero")
OPTIMAL = HOMOGENEOUS[:3]
#: Methods with a heterogeneous (D.2) time complexity.
HETEROGENEOUS = ("malenia", "ringleader", "minibatch")
#: Block times this close (relative) count as equal when choosing m*.
TIE_TOLERANCE = 1e-9


def threshold(sigma2, eps):
    """Ringmaster's threshold R = max{1, ceil(sigma^2 / eps)}."""
    sigma2 = _validate.real("sigma2", sigma2, minimum=0.0)
    eps = _validate.real("eps", eps, positive=True)
    if sigma2 / eps > _validate.INT64_MAX:  # R is an int64 in the kernels
        raise ValueError(f"eps = {eps:g} is too small for sigma2 = {sigma2:g}: R = ceil(sigma2/eps) = "
                         f"{sigma2 / eps:.3g} exceeds 2^63 - 1; allowed is eps >= {sigma2 / _validate.INT64_MAX:.3g}")
    return max(1, _ceiling(sigma2 / eps))


def _ceiling(ratio):
    """Ceil(ratio), counting a ratio within :data:`TIE_TOLERANCE` (relative) of an integer as that integer.

    sigma^2 = d s^2 and the division both round: sigma^2 / eps = 1 exactly (d = 10,
    s = 0.1, eps = 0.1) comes out as 1.0000000000000002, whose plain ceiling is 2.
    """
    nearest = round(ratio)
    return nearest if abs(ratio - nearest) <= TIE_TOLERANCE * max(1.0, nearest) else math.ceil(ratio)


def batch_size(sigma2, eps):
    """Rennala's batch size S = max{1, ceil(sigma^2 / eps)}."""
    return threshold(sigma2, eps)


def _noise_cap(L, sigma2, eps, factor):
    """Eps * factor / (L sigma^2), or inf without noise."""
    return math.inf if sigma2 == 0 else eps * factor / (L * sigma2)


def stepsize_ringmaster(L, sigma2, eps, R):
    """Gamma = min{1/(2RL), eps/(4L sigma^2)} [R]."""
    return min(1.0 / (2 * R * L), _noise_cap(L, sigma2, eps, 0.25))


def stepsize_rennala(L, sigma2, eps, S):
    """Gamma = min{1/L, eps S/(2L sigma^2)} (Rennala's stepsize helper in the papers' code).

    Naive minibatch SGD uses it with S = n.
    """
    return min(1.0 / L, _noise_cap(L, sigma2, eps, 0.5 * S))


def stepsize_asgd(L, sigma2, eps, n):
    """Gamma = min{1/(2nL), eps/(4L sigma^2)} for ASGD on n workers [R: constants].

    Delay-adaptive ASGD uses it as its base stepsize, Naive Optimal ASGD with n = m*.
    """
    return min(1.0 / (2 * n * L), _noise_cap(L, sigma2, eps, 0.25))


def stepsize_sgd(L, sigma2, eps):
    """Single-worker SGD (Hero SGD): gamma = min{1/L, eps/(2L sigma^2)}."""
    return stepsize_rennala(L, sigma2, eps, 1)


def stepsize_malenia(L, sigma2, eps, S):
    """Malenia SGD: gamma = min{1/(2L), eps S/(4L sigma^2)} with S = max{ceil(sigma^2/eps), n} [R]."""
    return min(1.0 / (2 * L), _noise_cap(L, sigma2, eps, 0.25 * S))


def stepsize_ringleader(L, sigma2, eps, n, B):
    """Ringleader ASGD: gamma = min{1/(8nL), eps B/(10L sigma^2)} [R].

    B is the smallest harmonic mean of the local batch counts at update time; in
    the fixed model B >= tau_n / (2 tau_avg).
    """
    return min(1.0 / (8 * n * L), _noise_cap(L, sigma2, eps, 0.1 * B))


class _Workers(NamedTuple):
    """Validated compute times, sorted, with the prefix sums sum_{i<=m} 1/tau_(i)."""

    tau: np.ndarray
    speed_sums: np.ndarray


def _workers(tau):
    """Validate, sort and sum once; :func:`prediction` passes the result on to every formula."""
    if isinstance(tau, _Workers):
        return tau
    tau = np.sort(_validate.array("tau", tau, positive=True))
    return _Workers(tau, np.cumsum(1.0 / tau))


def harmonic_means(tau):
    """tau_h^m = H_m = (1/m sum_{i<=m} 1/tau_(i))^{-1} for m = 1..n.

    Parameters
    ----------
    tau : array_like of float, shape (n,)
        Positive compute times, in any order.

    Returns
    -------
    ndarray of shape (n,)
        ``H[m - 1]`` is the harmonic mean of the m fastest workers.
    """
    workers = _workers(tau)
    return np.arange(1, workers.tau.size + 1) / workers.speed_sums


def _block_times(tau, batch):
    """(m + batch) / sum_{i<=m} 1/tau_(i) = H_m (1 + batch/m), for m = 1..n."""
    workers = _workers(tau)
    return (np.arange(1, workers.tau.size + 1) + batch) / workers.speed_sums


def optimal_workers(tau, sigma2, eps):
    """m* = argmin_m (m + sigma^2/eps) / sum_{i<=m} 1/tau_(i): how many fastest workers to use.

    Returns
    -------
    int
        m* in 1..n, the smallest minimiser: the first m within a relative
        :data:`TIE_TOLERANCE` of the minimum, so that rounding in the sums cannot
        pick a larger m among equally good ones (all tau equal and sigma^2 = 0 give 1).
    """
    sigma2 = _validate.real("sigma2", sigma2, minimum=0.0)
    eps = _validate.real("eps", eps, positive=True)
    times = _block_times(tau, sigma2 / eps)
    return int(np.flatnonzero(times <= times.min() * (1 + TIE_TOLERANCE))[0]) + 1


def update_window_bound(tau, R):
    """Lemma 4.1 [A]: any R consecutive Ringmaster updates take at most t(R) in the fixed model.

    t(R) = 2 min_m H_m (1 + R/m) = 2 min_m (m + R) / sum_{i<=m} 1/tau_(i); it holds
    with and without calculation stops. So K updates take at most ceil(K/R) t(R).

    Parameters
    ----------
    tau : array_like of float, shape (n,)
    R : int
        The threshold, >= 1.

    Returns
    -------
    float
        t(R) in seconds.
    """
    R = _validate.integer("R", R, minimum=1)
    return 2.0 * float(np.min(_block_times(tau, R)))


def _complexity(L, Delta, sigma2, eps):
    """Validated (L Delta / eps, sigma^2 / eps)."""
    L = _validate.real("L", L, positive=True)
    Delta = _validate.real("Delta", Delta, minimum=0.0)
    sigma2 = _validate.real("sigma2", sigma2, minimum=0.0)
    eps = _validate.real("eps", eps, positive=True)
    blocks, noise = L * Delta / eps, sigma2 / eps
    # The bounds multiply these further (by R, sigma^2/eps, worker times): keep a margin of 1e8 for that.
    largest = sys.float_info.max / (16 * (1.0 + noise) * max(1.0, noise)) / 1e8
    if not (blocks <= largest and (Delta == 0 or blocks >= 1e-290)):
        raise ValueError(f"L = {L:g}, Delta = {Delta:g} and eps = {eps:g} give L Delta / eps = {blocks:.3g}, whose "
                         f"time bounds overflow or underflow float64; allowed is 1e-290 <= L Delta / eps <= "
                         f"{largest:.3g} at sigma2 = {sigma2:g}")
    return blocks, noise


def lower_bound(tau, L, Delta, sigma2, eps):
    """Homogeneous lower bound (Tyurin & Richtarik 2023), with constant 1.

    min_m tau_h^m (L Delta/eps + sigma^2 L Delta/(m eps^2))
    = (L Delta/eps) min_m (m + sigma^2/eps) / sum_{i<=m} 1/tau_(i).

    Returns
    -------
    float
        Seconds.
    """
    blocks, noise = _complexity(L, Delta, sigma2, eps)
    return blocks * float(np.min(_block_times(tau, noise)))


def homogeneous_times(tau, L, Delta, sigma2, eps):
    """Predicted time to E||grad f||^2 <= eps of each method of :data:`HOMOGENEOUS` (spec D.1).

    With A = L Delta/eps and B = sigma^2 L Delta/eps^2, and the constant 1:

    ==========================================  =============================================
    Ringmaster, Rennala, Naive Optimal ASGD     min_m tau_h^m (A + B/m)  (= :func:`lower_bound`)
    ASGD, delay-adaptive ASGD                   tau_h^n (A + B/n)
    naive minibatch SGD                         tau_(n) (A + B/n)
    Hero SGD                                    tau_(1) (A + B)
    ==========================================  =============================================

    Parameters
    ----------
    tau : array_like of float, shape (n,)
        Compute times (for a random timing model, its expected durations).
    L, Delta, sigma2, eps : float
        Smoothness, f(x^0) - f*, noise variance and target.

    Returns
    -------
    dict
        Method name to seconds.
    """
    workers = _workers(tau)
    optimal = lower_bound(workers, L, Delta, sigma2, eps)
    blocks, noise = _complexity(L, Delta, sigma2, eps)
    tau, n = workers.tau, workers.tau.size
    asynchronous = blocks * (n + noise) / float(workers.speed_sums[-1])
    return {"ringmaster": optimal, "rennala": optimal, "naive-optimal": optimal,
            "asgd": asynchronous, "delay-adaptive-asgd": asynchronous,
            "minibatch": blocks * float(tau[-1]) * (1.0 + noise / n),
            "hero": blocks * float(tau[0]) * (1.0 + noise)}


def heterogeneous_lower_bound(tau, L_f, Delta, sigma2, eps):
    """Heterogeneous lower bound (spec D.2), with constant 1 [S].

    (L_f Delta/eps)(tau_(n) + tau_avg sigma^2/(n eps)), tau_avg the arithmetic mean.
    """
    return heterogeneous_times(tau, L_f, Delta, sigma2, eps)["malenia"]


def heterogeneous_times(tau, L_f, Delta, sigma2, eps, *, L=None):
    """Predicted times of each method of :data:`HETEROGENEOUS` (spec D.2, constant 1) [S].

    ============  ===============================================
    Malenia SGD   (L_f Delta/eps)(tau_(n) + tau_avg sigma^2/(n eps))  (= the lower bound)
    Ringleader    (L Delta/eps)(tau_(n) + tau_avg sigma^2/(n eps))
    minibatch     (L_f Delta/eps) tau_(n) (1 + sigma^2/(n eps))
    ============  ===============================================

    Parameters
    ----------
    L_f : float
        Smoothness of f.
    L : float, optional
        Ringleader's constant of Assumption 2 (L_f <= L); default L_f, where
        Ringleader is optimal.

    Returns
    -------
    dict
        Method name to seconds.
    """
    L_f = _validate.real("L_f", L_f, positive=True)
    L = L_f if L is None else _validate.real("L", L, minimum=L_f)
    blocks, noise = _complexity(L_f, Delta, sigma2, eps)
    tau = _workers(tau).tau
    bound = blocks * float(tau[-1] + tau.mean() * noise / tau.size)
    return {"malenia": bound, "ringleader": bound * L / L_f,
            "minibatch": blocks * float(tau[-1]) * (1.0 + noise / tau.size)}


def guaranteed_times(tau, L, Delta, sigma2, eps):
    """Explicit upper bounds with the papers' constants, for the methods that have them.

    Ringmaster: K = ceil(8 R L Delta/eps + 16 sigma^2 L Delta/eps^2) iterations [R]
    with R = max{1, ceil(sigma^2/eps)}, and K updates take at most ceil(K/R) t(R)
    (Lemma 4.1, :func:`update_window_bound`). Rennala: K = ceil(24 L Delta/eps)
    iterations [R], each within 2 min_m H_m (1 + S/m) [T]. Both bound the time until
    (1/K) sum_k E||grad f(x^k)||^2 <= eps; both are about 48 times :func:`lower_bound`.

    Returns
    -------
    dict
        ``{"ringmaster": seconds, "rennala": seconds}``.
    """
    blocks, noise = _complexity(L, Delta, sigma2, eps)
    R = threshold(sigma2, eps)
    ringmaster_iterations = math.ceil(8 * R * blocks + 16 * noise * blocks)
    rennala_iterations = math.ceil(24 * blocks)
    window = update_window_bound(tau, R)
    return {"ringmaster": math.ceil(ringmaster_iterations / R) * window,
            "rennala": rennala_iterations * window}


def universal_window_bound(timing, R, start=0.0, *, fraction=0.25):
    """Lemma 5.1 [A]: the R Ringmaster updates after one at time T0 end within t(R; T0).

    t(R; T0) = min{t >= 0 : sum_i floor(fraction * int_{T0}^{T0+t} v_i(s) ds) >= R},
    with ``fraction`` = 1/4 in the lemma, from the speed functions v_i of the
    universal computation model. Computed exactly: the answer is the R-th
    earliest time at which some worker completes another 1/fraction units of work.

    Parameters
    ----------
    timing : ringbench.timing.TimingModel
        A model with speed functions: fixed (v_i = 1/tau_i), piecewise, outages or power law.
    R : int
        Number of updates, >= 1.
    start : float, default 0
        T0 >= 0.
    fraction : float, default 0.25
        The factor inside the floor, in (0, 1]; 1 gives the recursion of Tyurin's
        universal-model lower bound [T].

    Returns
    -------
    float
        t(R; T0) in seconds.
    """
    R = _validate.integer("R", R, minimum=1)
    start = _validate.real("start", start, minimum=0.0)
    fraction = _validate.real("fraction", fraction, positive=True)
    if fraction > 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    unit = 1.0 / fraction
    done = timing.work(start)
    workers = np.arange(timing.n)
    first = timing.work_inverse(workers, done + unit)
    # Upper bounds on the answer: one worker doing all R units, or R workers one each.
    horizon = float(np.min(timing.work_inverse(workers, done + R * unit)))
    if timing.n >= R:
        horizon = min(horizon, float(np.partition(first, R - 1)[R - 1]))
    candidates = np.flatnonzero(first <= horizon)
    # Units each candidate completes by the horizon, one more against rounding, and
    # never more than R: no worker contributes more than R of the R earliest.
    units = np.floor((timing.work(horizon)[candidates] - done[candidates]) / unit).astype(np.int64) + 1
    units = np.minimum(units, R)
    owner = np.repeat(candidates, units)
    rank = np.arange(owner.size) - np.repeat(np.cumsum(units) - units, units) + 1
    finishes = timing.work_inverse(owner, done[owner] + rank * unit)
    return float(np.partition(finishes, R - 1)[R - 1]) - start


def universal_times(timing, R, blocks, *, fraction=0.25):
    """The recursion of Lemma 5.1 [A]: T_0 = 0, T_j = T_{j-1} + t(R; T_{j-1}).

    K Ringmaster updates take at most T_{ceil(K/R)}. With ``fraction`` = 1, R =
    max{1, ceil(sigma^2/eps)} and about L Delta/eps blocks, T_blocks is the
    universal-model counterpart of :func:`lower_bound` [T].

    Parameters
    ----------
    timing : ringbench.timing.TimingModel
        A model with speed functions (see :func:`universal_window_bound`).
    R : int
        Updates per block, >= 1.
    blocks : int
        Number of blocks J >= 1.
    fraction : float, default 0.25

    Returns
    -------
    ndarray of shape (blocks,)
        T_1, ..., T_J in seconds.
    """
    blocks = _validate.integer("blocks", blocks, minimum=1)
    times = np.empty(blocks)
    now = 0.0
    for block in range(blocks):
        now += universal_window_bound(timing, R, now, fraction=fraction)
        times[block] = now
    return times


def prediction(problem, method, timing, *, target=None):
    """The theory's prediction for one run's configuration, as stored in ``Result.config``.

    The target is the method's theory-mode eps, else ``target``; tau_i are the timing
    model's expected durations (first-job durations for the universal model; with
    communication, :func:`ringbench.timing.communicating`, the round trip
    E D_i + tau_i + E U_i, as each job's transfers and computation run in sequence [R]:
    the spec's complexities assume free communication). When
    every worker samples the same objective the setting is homogeneous: D.1 times
    and lower bound, and D.2 times for Malenia and Ringleader (identical data is a
    special case of theirs). When the problem's data is split over the workers it
    is heterogeneous: D.2 only, with Ringleader's L taken as L_f.

    Returns
    -------
    dict or None
        ``eps``, ``setting``, ``time`` of the method, ``lower_bound`` of the setting,
        ``guarantee`` (:func:`guaranteed_times`; None where the papers give no
        constants) and ``m_star``; None when there is no target, no time
        complexity for the method in this setting, or the method's class is not
        one of ``ringbench.methods``.
    """
    eps = method.eps if method.eps is not None else target
    if eps is None or problem.L is None or problem.sigma2 is None or problem.f_star is None:
        return None
    tau = _workers(timing.expected_durations())
    Delta = problem.initial_gap()
    facts = (tau, problem.L, Delta, problem.sigma2, eps)
    if problem.n_workers is None:
        setting, bound = "homogeneous", lower_bound(*facts)
        times = {**heterogeneous_times(*facts), **homogeneous_times(*facts)}
        guarantees = guaranteed_times(*facts)
    else:
        setting, bound = "heterogeneous", heterogeneous_lower_bound(*facts)
        times, guarantees = heterogeneous_times(*facts), {}
    # The complexities are those of ringbench's own rules: another module's class (a plug-in, or a subclass of a
    # built-in) may bear a built-in's name but not its rule.
    if method.name not in times or not type(method).__module__.startswith("ringbench.methods."):
        return None
    return {"eps": eps, "setting": setting, "time": times[method.name], "lower_bound": bound,
            "guarantee": guarantees.get(method.name), "m_star": optimal_workers(tau, problem.sigma2, eps)}
