"""The one registry of problem kinds: what ``ringbench run --problem`` and a sweep's ``[[problems]]`` can name.

A kind is a builder: a plain function whose annotated keyword parameters are exactly
the configuration keys it accepts, so the allowed keys of an error message are read
from its signature, never kept by hand. Every builder takes ``n``, the number of
workers, which the caller supplies (the setting's, never a configuration key); it
matters only when the data is split over the workers:

- quadratics: ``heterogeneity`` and/or ``scale_spread`` give each worker its own
  f_i (:meth:`.Quadratic.split_randomly`, seeded by ``heterogeneity_seed``);
- dataset problems: ``split`` (:class:`.splits.Split`) gives each worker its own samples.

:data:`PER_WORKER_KEYS` are those keys: a method that needs per-worker data (a class
attribute ``needs_split = True``) on a problem that sets none of them is an error
(:func:`check_per_worker`).
"""

import inspect
import zipfile
from pathlib import Path

import numpy as np
import scipy

from .. import _validate, datasets, extensions
from .base import Problem
from .logistic import Logistic
from .mlp import MLP
from .quadratic import Quadratic
from .splits import Split

#: The keys that split a problem's data over the workers.
PER_WORKER_KEYS = ("split", "heterogeneity", "scale_spread")
#: Parameters the caller supplies, not the configuration.
RESERVED = ("n",)
#: Files a user matrix may come from.
MATRIX_SUFFIXES = (".npy", ".npz", ".mtx")


def _per_worker(problem, n, heterogeneity, scale_spread, heterogeneity_seed):
    """``problem`` split over ``n`` workers if ``heterogeneity`` or ``scale_spread`` is set, else itself."""
    if heterogeneity is None and scale_spread is None:
        if heterogeneity_seed is not None:
            raise ValueError("heterogeneity_seed seeds heterogeneity or scale_spread; set one of them, or leave it "
                             "out (it would be ignored)")
        return problem
    return problem.split_randomly(_workers(n), heterogeneity=heterogeneity or 0.0, scale_spread=scale_spread or 0.0,
                                  seed=heterogeneity_seed or 0)


def _workers(n):
    if n is None:
        raise ValueError("per-worker data needs the number of workers n")
    return _validate.integer("n", n, minimum=1)


def worst_case(d: int = 1729, noise_std: float = 0.01, noise: str = "scalar", heterogeneity: float = None,
               scale_spread: float = None, heterogeneity_seed: int = None, n: int = None):
    """The Ringmaster paper's quadratic: Nesterov's chain, A = tridiag(-1, 2, -1) / 4."""
    return _per_worker(Quadratic.worst_case(d, noise_std=noise_std, noise=noise), n, heterogeneity, scale_spread,
                       heterogeneity_seed)


def random_dense(d: int, condition_number: float = 100.0, seed: int = 0, noise_std: float = 0.0,
                 noise: str = "scalar", heterogeneity: float = None, scale_spread: float = None,
                 heterogeneity_seed: int = None, n: int = None):
    """A random dense SPD quadratic with L = 1 and mu = 1 / condition_number."""
    problem = Quadratic.random_dense(d, condition_number=condition_number, seed=seed, noise_std=noise_std,
                                     noise=noise)
    return _per_worker(problem, n, heterogeneity, scale_spread, heterogeneity_seed)


def sparse_random(d: int, density: float = 0.01, seed: int = 0, noise_std: float = 0.0, noise: str = "scalar",
                  heterogeneity: float = None, scale_spread: float = None, heterogeneity_seed: int = None,
                  n: int = None):
    """A random sparse SPD quadratic stored as CSR (the CSR kernel).

    A = (S + S') / 2 plus a diagonal that makes it strictly diagonally dominant (so
    positive definite), S with about ``density`` d^2 uniform entries in [-1, 1];
    b ~ N(0, I / d); all from ``seed``.
    """
    d = _validate.integer("d", d, minimum=1)
    density = _validate.real("density", density, positive=True, maximum=1.0)
    _validate.memory("d", d, 3 * 16 * max(1, int(density * d * d)))  # values and indices of S, S' and A
    rng = np.random.default_rng(_validate.integer("seed", seed, minimum=0))
    matrix = scipy.sparse.random_array((d, d), density=density, rng=rng, data_sampler=lambda size: rng.uniform(
        -1.0, 1.0, size))
    matrix = (matrix + matrix.T) / 2
    dominance = abs(matrix).sum(axis=1)
    matrix = scipy.sparse.csr_array(matrix + scipy.sparse.diags_array(dominance + 1.0))
    b = rng.standard_normal(d) / np.sqrt(d)
    problem = Quadratic(matrix, b, noise_std=noise_std, noise=noise,
                        name=f"sparse random quadratic (d={d}, density={density:g})")
    return _per_worker(problem, n, heterogeneity, scale_spread, heterogeneity_seed)


def matrix(file: str, b: str = None, noise_std: float = 0.0, noise: str = "scalar", heterogeneity: float = None,
           scale_spread: float = None, heterogeneity_seed: int = None, n: int = None):
    """A quadratic with the user's matrix A read from ``file``, and b from the file ``b`` (default: b = A 1).

    ``.npy``: a dense array; ``.npz``: a ``scipy.sparse.save_npz`` matrix, or a NumPy
    archive with an array ``A`` (and optionally ``b``); ``.mtx``: Matrix Market. Sparse
    matrices are stored as CSR. With the default b the minimiser is the all-ones vector.
    """
    A, stored_b = _read_matrix("file", file)
    what = f"the matrix A in file {str(file)!r}"
    A = _validate.sparse(what, A) if scipy.sparse.issparse(A) else _validate.array(what, A, ndim=2)
    if b is not None and stored_b is not None:
        raise ValueError(f"b: {file!r} holds a vector b already; leave b out, or save A alone")
    vector = stored_b if b is None else _read_matrix("b", b)[0]
    if vector is None:
        vector = A @ np.ones(A.shape[1])
    vector = _validate.array(f"the vector b in file {str(b or file)!r}",
                             vector.toarray() if scipy.sparse.issparse(vector) else vector, ndim=None).ravel()
    problem = Quadratic(A, vector, noise_std=noise_std, noise=noise, name=f"quadratic of {Path(file).name}")
    return _per_worker(problem, n, heterogeneity, scale_spread, heterogeneity_seed)


def _read_matrix(key, path):
    """``(array, b or None)`` from a .npy, .npz or .mtx file; errors name ``key``."""
    location = _validate.input_file(key, path, MATRIX_SUFFIXES)
    try:
        if location.suffix == ".mtx":
            return scipy.io.mmread(location), None
        if location.suffix == ".npy":
            with open(location, "rb") as handle:  # else numpy reads it as a pickle and advises allow_pickle
                if handle.read(6) != b"\x93NUMPY":
                    raise ValueError("it is not a .npy file (no NumPy header)")
            return np.load(location, allow_pickle=False), None
        # Opened here, so that a truncated archive that np.load rejects does not leave the file open.
        with open(location, "rb") as handle, np.load(handle, allow_pickle=False) as archive:
            if "format" in archive.files:  # written by scipy.sparse.save_npz
                return scipy.sparse.load_npz(location), None
            names = archive.files
            arrays = {name: archive[name] for name in ("A", "b") if name in names}
    # ValueError: an object array, which needs pickle; BadZipFile: a truncated .npz
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(f"{key}: cannot read {str(path)!r} as a numeric matrix: {error}") from None
    if "A" not in arrays:
        raise ValueError(f"{key}: {str(path)!r} has neither a scipy.sparse matrix nor an array 'A'; found "
                         + ", ".join(names))
    return arrays["A"], arrays.get("b")


#: The dataset format (``ringbench.datasets.FORMATS``) each dataset problem reads.
DATASET_FORMATS = {"logistic": "libsvm", "mlp": "idx"}


def logistic(dataset: str = "a9a", lam: float = 1e-4, regularizer: str = "l2", batch: int = 1, replacement: bool = True,
             storage: str = "csr", path: str = None, split: Split = None, n: int = None):
    """Logistic regression on a registered LIBSVM dataset (``ringbench.datasets.DATASETS``, e.g. ``a9a``)."""
    datasets.require_format("dataset", dataset, DATASET_FORMATS["logistic"])
    Logistic.checked_options(lam=lam, regularizer=regularizer, batch=batch, replacement=replacement)  # before reading
    options = dict(storage=storage, lam=lam, regularizer=regularizer, batch=batch, replacement=replacement)
    if split is None:
        return Logistic.from_dataset(dataset, path=path, **options)
    split = Split.from_config("split", split)
    labels = datasets.load(dataset, path=path).y
    return Logistic.from_dataset(dataset, path=path, partition=split.parts(labels, _workers(n)),
                                 name=f"logistic regression on {dataset}, {split.describe()} over {n} workers",
                                 **options)


def logistic_synthetic(n_samples: int, n_features: int, density: float = 1.0, separability: float = 1.0,
                       sparse: bool = False, seed: int = 0, lam: float = 1e-4, regularizer: str = "l2",
                       batch: int = 1, replacement: bool = True, split: Split = None, n: int = None):
    """Logistic regression on ``ringbench.datasets.synthetic`` data."""
    features, labels = datasets.synthetic(n_samples, n_features, density=density, separability=separability,
                                          sparse=sparse, seed=seed)
    name = "logistic regression on synthetic data"
    partition = None
    if split is not None:
        split = Split.from_config("split", split)
        partition = split.parts(labels, _workers(n))
        name += f", {split.describe()} over {n} workers"
    return Logistic(features, labels, lam=lam, regularizer=regularizer, batch=batch, replacement=replacement,
                    partition=partition, name=name)


def mlp(dataset: str = "mnist5k", hidden: int = 32, batch: int = 4, replacement: bool = True,
        noise_std: float = 0.0, samples: int = None, balanced: bool = False, init_seed: int = 0, path: str = None,
        split: Split = None, n: int = None):
    """The papers' MLP (784 -> hidden -> ReLU -> 10) on an IDX image dataset (``mnist5k``, ``mnist``, ...).

    ``samples`` and ``balanced`` choose the images as :meth:`.MLP.from_dataset` does; a
    ``split`` is then drawn over all ten classes (a Dirichlet split of a set lacking a
    digit still draws proportions over ten).
    """
    datasets.require_format("dataset", dataset, DATASET_FORMATS["mlp"])
    problem = MLP.from_dataset(dataset, path=path, samples=samples, balanced=balanced, hidden=hidden, batch=batch,
                               replacement=replacement, noise_std=noise_std, init_seed=init_seed)
    if split is None:
        return problem
    split = Split.from_config("split", split)
    parts = split.parts(problem.labels, _workers(n), classes=np.arange(problem.classes))
    return MLP(problem.features, problem.labels, hidden=hidden, classes=problem.classes, batch=batch,
               replacement=replacement, noise_std=noise_std, partition=parts, init_seed=init_seed,
               name=f"{problem.name}, {split.describe()} over {n} workers")


#: Problem builders by kind.
PROBLEMS = {"worst-case": worst_case, "random-dense": random_dense, "sparse-random": sparse_random,
            "matrix": matrix, "logistic": logistic, "logistic-synthetic": logistic_synthetic, "mlp": mlp}


def builder(kind):
    """The builder of ``kind``: one of :data:`PROBLEMS`, or a plug-in's class (``package.module:Class``
    or ``path/to/file.py:Class``), whose annotated constructor arguments are its keys.
    """
    if extensions.is_plugin_name(kind):
        return extensions.load(kind, base=Problem, what="problem")
    return PROBLEMS[_validate.choice("problem", kind, tuple(PROBLEMS))]


def parameters(kind):
    """``{key: inspect.Parameter}`` of the configuration keys of ``kind`` (:data:`RESERVED` left out)."""
    return {name: parameter for name, parameter in inspect.signature(builder(kind)).parameters.items()
            if name not in RESERVED and parameter.kind is not parameter.VAR_KEYWORD}


#: The plain annotations a plug-in's constructor values are checked against, by type and by name (a string
#: annotation under ``from __future__ import annotations``).
_DECLARED = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def _check_declared_types(kind, values):
    """Raise naming the key if a value does not have the plain type its constructor argument declares."""
    by_name = {declared.__name__: declared for declared in _DECLARED}
    for key, parameter in parameters(kind).items():
        declared = by_name.get(parameter.annotation, parameter.annotation)
        if key not in values or declared not in _DECLARED:
            continue
        value = values[key]
        accepted = (int, float) if declared is float else declared
        if isinstance(value, bool) is not (declared is bool) or not isinstance(value, accepted):
            raise ValueError(f"problem {kind!r}: {key} must be {_DECLARED[declared]} (as its constructor "
                             f"declares), got {value!r}")


def check_keys(where, kind, keys):
    """Raise naming ``where`` if a key is not one of ``kind``'s, listing the allowed ones."""
    allowed = parameters(kind)
    for key in keys:
        if key not in allowed:
            raise ValueError(f"{where} has no key {key!r}; allowed: " + ", ".join(allowed))


def is_per_worker(kind, values):
    """Whether ``values`` split the data of a ``kind`` problem over the workers; None for a plug-in (build it)."""
    if extensions.is_plugin_name(kind):
        return None
    return any(values.get(key) is not None for key in PER_WORKER_KEYS)


def needs_split(method):
    """Whether a method (class or instance) needs per-worker data: its class attribute ``needs_split``."""
    return bool(getattr(method, "needs_split", False))


def check_per_worker(where, method, kind, values, problem=None):
    """Raise if ``method`` needs per-worker data and the problem has none (``problem``: the built one, if any).

    Checked on the configuration before anything is built, and for plug-in problems on
    the built problem's ``n_workers``.
    """
    if not needs_split(method):
        return
    split = is_per_worker(kind, values) if problem is None else problem.n_workers is not None
    if split is False:
        keys = [key for key in PER_WORKER_KEYS if key in parameters(kind)] if kind in PROBLEMS else []
        how = (" set " + " or ".join(keys) + " on the problem" if keys else
               " give the problem per-worker data (n_workers)")
        name = getattr(method, "name", str(method))
        raise ValueError(f"{where}: method {name!r} needs per-worker data (each worker its own f_i), but problem "
                         f"{kind!r} has none: it would silently run the homogeneous problem;{how}")


def build(kind, values, *, n=None):
    """The problem ``kind`` with configuration ``values``, for ``n`` workers."""
    problem_builder = builder(kind)
    check_keys(f"problem {kind!r}", kind, values)
    missing = [key for key, parameter in parameters(kind).items()
               if parameter.default is parameter.empty and key not in values]
    if missing:
        raise ValueError(f"problem {kind!r} needs " + " and ".join(missing))
    if extensions.is_plugin_name(kind):  # the built-in builders check their own values
        _check_declared_types(kind, values)
    if "n" in inspect.signature(problem_builder).parameters:
        return problem_builder(**values, n=n)
    return problem_builder(**values)
