"""Compute-time models: how long each worker takes for each stochastic gradient.

A model is immutable and validated on construction. The simulator only sees its
arrays (:meth:`TimingModel.data`); theory and the methods that need worker speeds
(Hero SGD, Naive Optimal ASGD) use :meth:`TimingModel.expected_durations`.
"""

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np

from .. import _validate
from . import kernels

PROFILES = ("paper", "ringleader", "linear", "sqrt", "constant")
DISTRIBUTIONS = {
    "half-normal": kernels.HALF_NORMAL,
    "exponential": kernels.EXPONENTIAL,
    "log-normal": kernels.LOG_NORMAL,
}
_EMPTY = np.zeros(0)


@dataclass(frozen=True, eq=False)
class TimingModel:
    """A validated compute-time model of ``n`` workers; build one with the functions below.

    Attributes
    ----------
    name : str
        Kind of model (``fixed``, ``half-normal``, ..., ``piecewise``, ``power-law``, ``trace``).
    n : int
        Number of workers.
    parameters : dict
        JSON-ready description (small parameters verbatim, arrays by checksum).
    """

    name: str
    n: int
    parameters: dict
    _data: kernels.TimingData = field(repr=False)
    _expected: np.ndarray = field(repr=False)

    def data(self):
        """The arrays the jitted engine uses."""
        return self._data

    def expected_durations(self):
        """Mean duration tau_i of one job of each worker (the first job, for the universal model)."""
        return self._expected.copy()

    def describe(self):
        """JSON-ready configuration of this model."""
        return {"name": self.name, "n": self.n, **self.parameters}

    def work(self, t):
        """W_i(t) = int_0^t v_i(s) ds for every worker: gradients' worth of work done by time t.

        Defined where speeds v_i(t) are: the fixed model (v_i = 1/tau_i) and the
        universal ones (piecewise, outages, power law). A job started at t_s ends at
        the first t with W_i(t) = W_i(t_s) + 1, as in the simulator.

        Returns
        -------
        ndarray of shape (n,)
        """
        t = _validate.real("t", t, minimum=0.0)
        data = self._universal_data()
        if data.kind == kernels.FIXED:
            return t / data.base
        if data.kind == kernels.PIECEWISE:
            segment = np.searchsorted(data.breakpoints, t, side="right") - 1
            return data.work[:, segment] + data.rates[:, segment] * (t - data.breakpoints[segment])
        power = data.exponent + 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(power == 0.0, data.coefficient * np.log1p(t),
                            data.coefficient * ((t + 1.0) ** power - 1.0) / power)

    def work_inverse(self, workers, amount):
        """min{t >= 0 : W_i(t) >= amount} for each pair (``workers[j]``, ``amount[j]``), amounts > 0."""
        workers = np.asarray(workers, dtype=np.int64)
        amount = np.asarray(amount, dtype=np.float64)
        data = self._universal_data()
        if data.kind == kernels.FIXED:
            return amount * data.base[workers]
        if data.kind == kernels.PIECEWISE:
            # The last breakpoint before W_i reaches the amount; its speed is > 0 there.
            segment = (data.work[workers] < amount[:, None]).sum(axis=1) - 1
            return (data.breakpoints[segment]
                    + (amount - data.work[workers, segment]) / data.rates[workers, segment])
        coefficient = data.coefficient[workers]
        power = data.exponent[workers] + 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(power == 0.0, np.expm1(amount / coefficient),
                            (power * amount / coefficient + 1.0) ** (1.0 / power) - 1.0)

    def _universal_data(self):
        universal = (kernels.FIXED, kernels.PIECEWISE, kernels.POWER_LAW)
        if not isinstance(self._data, kernels.TimingData) or self._data.kind not in universal:
            raise ValueError(f"timing model {self.name!r} has no speed functions v_i(t); use a fixed, piecewise, "
                             "outages or power-law model")
        return self._data


def _checksum(*arrays):
    digest = hashlib.sha256()
    for values in arrays:
        digest.update(np.ascontiguousarray(values).tobytes())
    return digest.hexdigest()[:16]


def _model(name, kind, n, parameters, expected, **arrays):
    fields = {
        "base": _EMPTY,
        "scale": _EMPTY,
        "breakpoints": _EMPTY,
        "rates": np.zeros((0, 0)),
        "work": np.zeros((0, 0)),
        "coefficient": _EMPTY,
        "exponent": _EMPTY,
        "trace_values": _EMPTY,
        "trace_offsets": np.zeros(0, dtype=np.int64),
    }
    fields.update(arrays)
    return TimingModel(name, n, parameters, kernels.TimingData(kind=kind, **fields), expected)


def fixed(tau):
    """Every job of worker i takes exactly ``tau[i]`` seconds (the papers' theory setting).

    Parameters
    ----------
    tau : array_like of float, shape (n,)
        Positive compute times tau_i.
    """
    tau = _validate.array("tau", tau, positive=True)
    return _model("fixed", kernels.FIXED, tau.size, {"tau": _summary(tau)}, tau, base=tau)


def random(base, scale, distribution="half-normal"):
    """A fresh random duration for every job: ``base_i`` plus noise of size ``scale_i``.

    Parameters
    ----------
    base : array_like of float, shape (n,)
        Positive base times.
    scale : array_like of float, shape (n,)
        Non-negative noise scales.
    distribution : {'half-normal', 'exponential', 'log-normal'}
        ``half-normal``: base + |N(0, scale^2)| (the papers' experiments);
        ``exponential``: base + Exp(mean=scale); ``log-normal``: base * exp(scale * N(0, 1)).
    """
    _validate.choice("distribution", distribution, tuple(DISTRIBUTIONS))
    base = _validate.array("base", base, positive=True)
    scale = _validate.array("scale", scale, nonnegative=True, length=base.size)
    if distribution == "half-normal":
        mean = base + scale * math.sqrt(2.0 / math.pi)
    elif distribution == "exponential":
        mean = base + scale
    else:
        with np.errstate(over="ignore"):  # an infinite mean is the honest answer for huge scales
            mean = base * np.exp(scale**2 / 2.0)
    parameters = {"base": _summary(base), "scale": _summary(scale)}
    return _model(distribution, DISTRIBUTIONS[distribution], base.size, parameters, mean, base=base, scale=scale)


def profile(name, n, *, permutation_seed=None):
    """A named profile of ``n`` workers (worker index i = 0, ..., n-1).

    ``paper``
        1 + sqrt(i) + |N(0, i + 1)| per job (Ringmaster experiments).
    ``ringleader``
        (i + 1) + |N(0, i + 1)| per job (Ringleader experiments); with
        ``permutation_seed`` the base times are randomly permuted over workers while
        the noise scale stays with the worker index, as in the papers' code.
    ``linear``, ``sqrt``, ``constant``
        Fixed tau_i = i + 1, sqrt(i + 1) and 1; ``permutation_seed`` permutes tau over
        the workers.
    """
    _validate.choice("timing profile", name, PROFILES)
    n = _validate.count("n", n, bytes_each=_validate.WORKER_BYTES)
    if permutation_seed is not None:
        permutation_seed = _validate.integer("permutation_seed", permutation_seed, minimum=0)
    index = np.arange(n, dtype=np.float64)
    base = {"linear": index + 1.0, "sqrt": np.sqrt(index + 1.0), "constant": np.ones(n),
            "paper": 1.0 + np.sqrt(index), "ringleader": index + 1.0}[name]
    if permutation_seed is not None:
        base = np.random.default_rng(permutation_seed).permutation(base)
    if name in ("linear", "sqrt", "constant"):
        model = fixed(base)
    else:
        model = random(base, np.sqrt(index + 1.0))
    parameters = {"profile": name, "permutation_seed": permutation_seed}
    return TimingModel(model.name, n, parameters, model.data(), model.expected_durations())


def piecewise(breakpoints, rates):
    """Universal model with piecewise-constant speeds v_i(t), outages included.

    Worker i computes at speed ``rates[i, b]`` gradients per second on
    ``[breakpoints[b], breakpoints[b + 1])``; the last rate holds forever. A job that
    starts at t_s ends at the first t with W_i(t) - W_i(t_s) = 1, W_i the integral of v_i.

    Parameters
    ----------
    breakpoints : array_like of float, shape (B,)
        Increasing times starting at 0.
    rates : array_like of float, shape (n, B)
        Non-negative speeds; 0 is an outage. ``rates[:, -1]`` must be > 0, or a job
        could never finish.
    """
    breakpoints = _validate.array("breakpoints", breakpoints, nonnegative=True)
    if breakpoints[0] != 0.0 or np.any(np.diff(breakpoints) <= 0):
        raise ValueError("breakpoints must start at 0 and be strictly increasing")
    rates = _validate.array("rates", rates, ndim=2, nonnegative=True)
    if rates.shape[1] != breakpoints.size:
        raise ValueError(f"rates must have shape (n, {breakpoints.size}), got {rates.shape}")
    if np.any(rates[:, -1] <= 0):
        worker = int(np.argmax(rates[:, -1] <= 0))
        raise ValueError(f"rates[:, -1] must be > 0 (the final speed holds forever); rates[{worker}, -1] = 0")
    work = np.zeros_like(rates)
    work[:, 1:] = np.cumsum(rates[:, :-1] * np.diff(breakpoints), axis=1)
    # Duration of a job started at 0: the segment where W_i first reaches 1.
    rows = np.arange(rates.shape[0])
    segment = (work < 1.0).sum(axis=1) - 1
    expected = breakpoints[segment] + (1.0 - work[rows, segment]) / rates[rows, segment]
    parameters = {"breakpoints": _summary(breakpoints), "rates": _summary(rates)}
    return _model("piecewise", kernels.PIECEWISE, rates.shape[0], parameters, expected,
                  breakpoints=breakpoints, rates=rates, work=np.ascontiguousarray(work))


def outages(tau, windows):
    """Fixed speeds 1/tau_i with outage windows ``(worker, start, end)`` where v_i = 0.

    A convenience over :func:`piecewise`: a job in progress pauses during an outage.
    """
    tau = _validate.array("tau", tau, positive=True)
    times = {0.0}
    checked = []
    for number, window in enumerate(_validate.sequence("windows", windows, "(worker, start, end) rows")):
        if len(window) != 3:
            raise ValueError(f"windows[{number}] must be (worker, start, end), got {window!r}")
        worker = _validate.integer(f"windows[{number}] worker", window[0], minimum=0)
        if worker >= tau.size:
            raise ValueError(f"windows[{number}] worker must be < n = {tau.size}, got {worker}")
        start = _validate.real(f"windows[{number}] start", window[1], minimum=0.0)
        end = _validate.real(f"windows[{number}] end", window[2])
        if end <= start:
            raise ValueError(f"windows[{number}] end must be > start, got ({start}, {end})")
        checked.append((worker, start, end))
        times.update((start, end))
    breakpoints = np.array(sorted(times))
    rates = np.repeat((1.0 / tau)[:, None], breakpoints.size, axis=1)
    for worker, start, end in checked:
        rates[worker, (breakpoints >= start) & (breakpoints < end)] = 0.0
    return piecewise(breakpoints, rates)


def power_law(coefficient, exponent):
    """Universal model with speed v_i(t) = a_i (t + 1)^p_i (slowing down for p_i < 0).

    Parameters
    ----------
    coefficient : array_like of float, shape (n,)
        a_i > 0.
    exponent : array_like of float, shape (n,)
        p_i >= -1 (below -1 the total work is bounded and jobs could never finish).
    """
    coefficient = _validate.array("coefficient", coefficient, positive=True)
    exponent = _validate.array("exponent", exponent, length=coefficient.size)
    if np.any(exponent < -1):
        worker = int(np.argmax(exponent < -1))
        raise ValueError(f"exponent must be >= -1; exponent[{worker}] = {exponent[worker]}")
    # Duration of a job started at 0: W_i(t) = 1 solved in closed form.
    power = exponent + 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(power == 0.0, np.expm1(1.0 / coefficient),
                            (power / coefficient + 1.0) ** (1.0 / power) - 1.0)
    parameters = {"coefficient": _summary(coefficient), "exponent": _summary(exponent)}
    return _model("power-law", kernels.POWER_LAW, coefficient.size, parameters, expected,
                  coefficient=coefficient, exponent=exponent)


def trace(durations):
    """Replay measured durations: worker i's j-th job takes ``durations[i][j % len]`` seconds.

    Parameters
    ----------
    durations : sequence of array_like
        One non-empty sequence of positive durations per worker; it is cycled.
    """
    durations = _validate.sequence("durations", durations,
                                   "per-worker sequences of durations (or an array of shape (n, jobs))")
    if len(durations) == 0:
        raise ValueError("durations must list at least one worker")
    rows = [_validate.array(f"durations[{worker}]", row, positive=True) for worker, row in enumerate(durations)]
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([row.size for row in rows])
    values = np.concatenate(rows)
    expected = np.array([row.mean() for row in rows])
    parameters = {"durations": _summary(values)}
    return _model("trace", kernels.TRACE, len(rows), parameters, expected, trace_values=values, trace_offsets=offsets)


def _summary(values):
    """A JSON-ready description of an array: small ones verbatim, large ones by checksum."""
    if values.size <= 16:
        return values.tolist()
    return {"shape": list(values.shape), "min": float(values.min()), "max": float(values.max()),
            "sha256": _checksum(values)}
