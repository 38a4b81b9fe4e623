r"""A problem of your own, in one file: Huber-loss linear regression on synthetic data.

f(x) = 1/N sum_j h(a_j'x - y_j), with the Huber loss h(r) = r^2/2 for |r| <= delta and
delta (|r| - delta/2) beyond: robust regression, with outliers in the targets. A job's
stochastic gradient is the mean over b samples drawn uniformly with replacement, from
the job's own random stream, so it is the same whenever it is evaluated. The problem
knows its smoothness constant L = lambda_max(A'A)/N but not f* or sigma^2: results
record f(x) instead of f(x) - f*, and theory mode says it lacks them.

Run it from this folder, with only ringbench installed::

    python custom_problem.py
    ringbench run --problem custom_problem.py:HuberRegression --problem-param n_samples=2000 \\
        --problem-param d=20 --method asgd --gamma 0.01 --n 50
"""

from typing import NamedTuple

import numpy as np

from ringbench import plugin


class HuberData(NamedTuple):
    """What the compiled kernels see."""

    features: np.ndarray  # float64 (N, d): the samples a_j
    targets: np.ndarray  # float64 (N,): y_j
    delta: float  # where the loss turns from quadratic to linear
    batch: int  # b: samples per stochastic gradient
    work: np.ndarray  # float64 (d,): workspace of the metrics


@plugin.kernel
def _huber_slope(residual, delta):
    """h'(r): r inside [-delta, delta], +-delta outside."""
    return min(max(residual, -delta), delta)


@plugin.kernel
def _add_sample_gradient(data, row, point, weight, out):
    """Out += weight * h'(a_row'x - y_row) a_row; return the residual."""
    values = data.features[row]
    residual = -data.targets[row]
    for k in range(point.size):
        residual += values[k] * point[k]
    slope = weight * _huber_slope(residual, data.delta)
    for k in range(point.size):
        out[k] += slope * values[k]
    return residual


@plugin.implements("stochastic_gradient", HuberData)
@plugin.kernel
def huber_stochastic_gradient(data, key, point, worker, job, out):
    """Mean gradient over the job's b samples, drawn with the job's own uniforms."""
    out[:] = 0.0
    n_samples = data.targets.size
    state = plugin.job_state(key, plugin.STREAM_NOISE, worker, job)
    for _ in range(data.batch):
        u, state = plugin.next_uniform(state)
        _add_sample_gradient(data, min(int(u * n_samples), n_samples - 1), point, 1.0 / data.batch, out)


@plugin.implements("metrics", HuberData)
@plugin.kernel
def huber_metrics(data, x):
    """(f(x), ||grad f(x)||^2) over every sample (f* is unknown, so f itself)."""
    work = data.work
    work[:] = 0.0
    n_samples = data.targets.size
    value = 0.0
    for row in range(n_samples):
        residual = abs(_add_sample_gradient(data, row, x, 1.0 / n_samples, work))
        value += 0.5 * residual * residual if residual <= data.delta else data.delta * (residual - 0.5 * data.delta)
    norm2 = 0.0
    for k in range(x.size):
        norm2 += work[k] * work[k]
    return value / n_samples, norm2


class HuberRegression(plugin.Problem):
    """Huber regression on y = A x_true + noise with a fraction of gross outliers.

    Parameters
    ----------
    n_samples, d : int
        N samples of dimension d.
    delta : float, default 1.0
        The Huber threshold.
    batch : int, default 8
        Samples per stochastic gradient.
    outliers : float, default 0.05
        Fraction of targets replaced by large values.
    seed : int, default 0
        Seed of the synthetic data.
    """

    def __init__(self, n_samples: int = 1000, d: int = 10, delta: float = 1.0, batch: int = 8,
                 outliers: float = 0.05, seed: int = 0):
        for label, value in (("n_samples", n_samples), ("d", d), ("batch", batch)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{label} must be an integer >= 1, got {value!r}")
        if not delta > 0:
            raise ValueError(f"delta must be > 0, got {delta!r}")
        if not 0 <= outliers < 1:
            raise ValueError(f"outliers must be in [0, 1), got {outliers!r}")
        rng = np.random.default_rng(seed)
        self.features = rng.standard_normal((n_samples, d))
        self.targets = self.features @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n_samples)
        corrupted = rng.random(n_samples) < outliers
        self.targets[corrupted] += 20.0 * rng.standard_normal(corrupted.sum())
        self.delta, self.batch, self.seed, self.outliers = float(delta), batch, seed, outliers
        self.name = f"huber regression (N={n_samples}, d={d})"
        self.d = d
        self.x0 = np.zeros(d)
        # h'' <= 1, so f is L-smooth with L = lambda_max(A'A) / N; f* and sigma^2 stay unknown.
        self.L = float(np.linalg.eigvalsh(self.features.T @ self.features)[-1] / n_samples)

    def data(self):
        return HuberData(self.features, self.targets, self.delta, self.batch, np.zeros(self.d))

    def describe(self):
        return {"name": self.name, "type": "huber", "n_samples": len(self.targets), "d": self.d,
                "delta": self.delta, "batch": self.batch, "outliers": self.outliers, "seed": self.seed,
                "L": self.L}


if __name__ == "__main__":
    # The classes of the module, not of __main__: numba can cache only code whose types
    # it can find again by module name in the next process.
    from custom_problem import HuberRegression

    import ringbench as rb

    problem = HuberRegression(n_samples=2000, d=20)
    timing = rb.timing.profile("paper", n=50)
    for method in (rb.methods.ASGD(gamma=0.01), rb.methods.Ringmaster(gamma=0.05, threshold=4)):
        result = rb.simulate(problem, method, timing, t_max=500, seed=0)
        print(result.summary(), f"f(x)={result.f[-1]:.4g}")
