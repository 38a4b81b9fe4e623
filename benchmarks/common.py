"""Shared pieces of the asv suite: the size profile, seeded builders and the JIT warm-up.

Profile
    ``RINGBENCH_BENCH_PROFILE`` picks the sizes: ``fast`` (a smoke test of every
    benchmark, for CI's ``asv run --quick``), ``regular`` (the default; history and
    the regression gate) or ``large`` (adds n = 10^5 and 10^6 workers). A profile
    only selects parameter values (the sizes); the work behind one parameter
    combination is the same in every profile, so histories stay comparable.
Builders
    Every input is built from literal sizes, parameters and seeds written here, not
    from library defaults, so that a benchmark measures the same work at every
    commit. Append new builders and entries; never change an existing one (that
    would silently break the history of every benchmark using it).
    ``functools.cache`` keeps each input for the life of the benchmark process:
    asv re-runs ``setup`` before every timed call, and that must stay cheap.
Features a commit lacks
    The suite in the working tree also runs against older commits (``asv
    continuous``). A builder whose feature the installed ringbench lacks raises
    ``NotImplementedError``, which asv records as a skip, not a failure.
"""

import dataclasses
import functools
import os
import time
from dataclasses import dataclass

import numpy as np

import ringbench
from ringbench import _validate, methods, problems, timing
from ringbench.problems import Quadratic


@dataclass(frozen=True)
class Profile:
    """The parameter values one benchmark profile includes.

    A profile only chooses which sizes run; the work of one parameter combination
    is the same in every profile, so results stay comparable.

    Attributes
    ----------
    event_workers : tuple of int
        n, the number of workers, of the events-per-second benchmarks.
    scaling_workers : tuple of int
        n of the time and peak-memory scaling benchmarks.
    """

    event_workers: tuple
    scaling_workers: tuple


PROFILES = {
    "fast": Profile(event_workers=(100,), scaling_workers=(10**3, 10**4)),
    "regular": Profile(event_workers=(100, 10**4), scaling_workers=(10**3, 10**4, 10**5)),
    "large": Profile(event_workers=(100, 10**4, 10**5), scaling_workers=(10**3, 10**4, 10**5, 10**6)),
}
PROFILE_NAME = _validate.choice("RINGBENCH_BENCH_PROFILE", os.environ.get("RINGBENCH_BENCH_PROFILE", "regular"),
                                tuple(PROFILES))
PROFILE = PROFILES[PROFILE_NAME]

#: Timer of the ``time_`` benchmarks: CPU time of the benchmark process. ringbench's kernels run on one
#: thread and start no process, so on an idle machine this equals wall time; on a shared one it leaves
#: out the time slices other processes take, which made wall times of the same code differ 2x between
#: rounds on a busy 2-core machine.
TIMER = time.process_time

#: The Ringmaster paper's quadratic: d and the per-coordinate noise s (algorithms.md E.1).
PAPER_D = 1729
PAPER_NOISE_STD = 0.01
PAPER_N = 6174
PAPER_T_MAX = 2000.0

#: Every method the suite runs, with its parameters. Homogeneous methods: the paper code's or
#: ringbench's tuned values on the paper's quadratic (``experiments.PAPER_TUNED`` when this suite was
#: written; copied, so that a retune in the library shows up as a change in the correctness tracks
#: instead of silently changing what is measured), theory mode where none exists. Heterogeneous-data
#: methods: the best stepsize of the grid {5^i : i = -5..2} on the heterogeneous quadratic
#: (:func:`heterogeneous_quadratic`; best final ||grad f||^2 after 20000 simulated seconds, seed 0).
METHODS = {
    "ringmaster": dict(gamma=0.25, threshold=6),
    "rennala": dict(gamma=1.0, S=6),
    "delay-adaptive-asgd": dict(gamma=5.0**-5),
    "asgd": dict(gamma=5.0**-5),
    "minibatch": dict(gamma=1.0),
    "hero": dict(gamma=1.0),
    "naive-optimal": dict(eps=1e-3),
    "ringleader": dict(gamma=5.0**-3),
    "malenia": dict(gamma=1.0),
    "ia2sgd": dict(gamma=5.0**-3),
    "fedbuff": dict(gamma=5.0**-2),
}

#: The heterogeneous setting: workers, and simulated seconds of the correctness runs.
HETEROGENEOUS_N = 100
HETEROGENEOUS_T_MAX = 20000.0

#: Compute-time models by name: one per family of the engine's finish-time rules.
TIMINGS = ("fixed", "random", "universal")


#: Parameters renamed since the suite was written: today's name -> the name older commits use.
_RENAMED = {"S": "batch"}


def method(name, parameters=None):
    """The method ``name`` with ``parameters`` (default: its :data:`METHODS` entry); skip when this commit lacks it."""
    if name not in methods.METHODS:
        raise NotImplementedError(f"method {name!r} does not exist at this commit")
    parameters = dict(METHODS[name] if parameters is None else parameters)
    accepted = {field.name for field in dataclasses.fields(methods.METHODS[name])}
    for today, older in _RENAMED.items():
        if today in parameters and today not in accepted:
            parameters[older] = parameters.pop(today)
    return methods.get(name, **parameters)


@functools.cache
def worst_case_quadratic(d):
    """Nesterov's worst-case chain with the paper's scalar noise (tridiagonal storage)."""
    return Quadratic.worst_case(d, noise_std=PAPER_NOISE_STD)


@functools.cache
def heterogeneous_quadratic():
    """The paper's quadratic split over :data:`HETEROGENEOUS_N` workers (heterogeneous data).

    Worker i holds f_i(x) = 1/2 x'Ax - b_i'x with b_i = b + z_i, z_i ~ N(0, I/d) centred
    over the workers (``Quadratic.split_randomly``, heterogeneity 1, seed 0): f is
    unchanged, but the workers' minimisers differ.
    """
    problem = worst_case_quadratic(PAPER_D)
    if not hasattr(problem, "split_randomly"):
        raise NotImplementedError("per-worker quadratics do not exist at this commit")
    return problem.split_randomly(HETEROGENEOUS_N, heterogeneity=1.0, seed=0)


def heterogeneous_timing():
    """The Ringleader experiments' timing: (i + 1) + |N(0, i + 1)| seconds, base times permuted (seed 0)."""
    return timing.profile("ringleader", HETEROGENEOUS_N, permutation_seed=0)


@functools.cache
def dense_quadratic(d):
    """A dense SPD quadratic, condition number 100, with the paper's scalar noise."""
    return Quadratic.random_dense(d, condition_number=100.0, seed=1, noise_std=PAPER_NOISE_STD)


@functools.cache
def csr_quadratic(side):
    """The 5-point Laplacian of a ``side`` x ``side`` grid plus the identity, in CSR (d = side^2).

    About 5 non-zeros a row; b is seeded, and the sparse LU of the minimiser stays cheap.
    """
    import scipy.sparse

    path = scipy.sparse.diags_array([-np.ones(side - 1), 2.0 * np.ones(side), -np.ones(side - 1)], offsets=[-1, 0, 1])
    identity = scipy.sparse.identity(side)
    laplacian = scipy.sparse.kron(path, identity) + scipy.sparse.kron(identity, path)
    matrix = (laplacian + scipy.sparse.identity(side * side)).tocsr()
    b = np.random.default_rng(2).standard_normal(side * side)
    return Quadratic(matrix, b, noise_std=PAPER_NOISE_STD, name=f"grid Laplacian + I ({side}x{side})")


@functools.cache
def logistic_problem(storage):
    """l2-regularised logistic regression (lambda = 1e-4, minibatch b = 32) on seeded synthetic data.

    ``dense``: N = 10^4 samples of d = 300 Gaussian features (w8a's d). ``csr``:
    N = 2 * 10^4 samples, d = 2000, 20 Gaussian entries per row at seeded columns.
    Labels: the side of a seeded hyperplane, 5 % of them flipped.
    """
    import scipy.sparse

    _validate.choice("storage", storage, ("dense", "csr"))
    if not hasattr(problems, "Logistic"):
        raise NotImplementedError("ringbench.problems.Logistic does not exist at this commit")
    rng = np.random.default_rng(4)
    if storage == "dense":
        n_samples, d = 10_000, 300
        features = rng.standard_normal((n_samples, d))
    else:
        n_samples, d, per_row = 20_000, 2_000, 20
        rows = np.repeat(np.arange(n_samples), per_row)
        columns = rng.integers(d, size=n_samples * per_row)
        features = scipy.sparse.csr_array((rng.standard_normal(rows.size), (rows, columns)), shape=(n_samples, d))
    labels = np.where(features @ rng.standard_normal(d) >= 0.0, 1.0, -1.0)
    labels[rng.random(n_samples) < 0.05] *= -1.0
    return problems.Logistic(features, labels, lam=1e-4, regularizer="l2", batch=32)


@functools.cache
def timing_model(kind, n):
    """A compute-time model of ``n`` workers, worker i slower for larger i.

    ``fixed``: tau_i = sqrt(i + 1). ``random``: the Ringmaster paper's
    1 + sqrt(i) + |N(0, i + 1)| seconds per job. ``universal``: speed
    v_i(t) = (t + 1)^p_i / (1 + sqrt(i)), constant for even i and slowing down
    (p_i = -1/2) for odd i.
    """
    _validate.choice("timing model", kind, TIMINGS)
    if kind == "fixed":
        return timing.profile("sqrt", n)
    if kind == "random":
        return timing.profile("paper", n)
    index = np.arange(n)
    return timing.power_law(1.0 / (1.0 + np.sqrt(index)), np.where(index % 2 == 1, -0.5, 0.0))


def simulated_time_for(run_method, problem, model, jobs):
    """Simulated seconds in which the workers ``run_method`` uses finish about ``jobs`` jobs.

    Sizes a run by its work instead of by a fixed horizon, from the workers' mean
    first-job durations: Hero runs one worker, Ringmaster all n.
    """
    active = run_method.configure(problem, model).active
    return jobs / float(np.sum(1.0 / model.expected_durations()[active]))


@functools.cache
def warm_up():
    """Compile ringbench's kernels, or load them from numba's on-disk cache; once per process.

    One tiny run is enough: the event loop has a single specialization for every
    method, problem storage and timing model, which it tells apart by integer ids
    inside. Benchmarks call this in ``setup``, so no timed call ever compiles.
    """
    problem = Quadratic.worst_case(4, noise_std=PAPER_NOISE_STD)
    ringbench.simulate(problem, methods.ASGD(gamma=0.1), timing.fixed(np.ones(2)), t_max=3.0)


#: The papers' MLP sizes (algorithms.md E.1(b): 784-32-10; E.2: 784-128-10).
MLP_INPUTS = 784
MLP_CLASSES = 10


@functools.cache
def mlp_inputs(hidden):
    """Parameters and data of a 784-``hidden``-10 MLP: (theta, features, labels), all seeded.

    N = 2000 samples of standard-normal features (MNIST's shape, normalised) with
    uniform labels (seed 5); theta in ``ringbench.problems.mlp_kernels``' layout
    (W1, b1, W2, b2) drawn from PyTorch's default bounds U(+-1/sqrt(fan_in)) (seed 6),
    built here so that a change to the library's initialisation leaves the input alone.
    """
    try:
        from ringbench.problems import mlp_kernels  # noqa: F401
    except ImportError:
        raise NotImplementedError("ringbench.problems.mlp_kernels does not exist at this commit") from None
    rng = np.random.default_rng(5)
    features = rng.standard_normal((2000, MLP_INPUTS))
    labels = rng.integers(MLP_CLASSES, size=2000)
    rng = np.random.default_rng(6)
    blocks = [(hidden * MLP_INPUTS, MLP_INPUTS), (hidden, MLP_INPUTS), (MLP_CLASSES * hidden, hidden),
              (MLP_CLASSES, hidden)]
    theta = np.concatenate([rng.uniform(-1.0, 1.0, size) / np.sqrt(fan_in) for size, fan_in in blocks])
    return theta, features, labels
