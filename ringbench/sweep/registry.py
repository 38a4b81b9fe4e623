"""What a sweep configuration can name: problems, timing models and methods, with typed parameters.

A problem or timing model is a builder: a plain function whose annotated keyword
parameters are exactly what the configuration may set. Adding a problem to sweeps is
one entry in :data:`PROBLEMS`. Methods come from :data:`ringbench.methods.METHODS`,
their parameters from the method's dataclass fields.

Parameters are normalised to their declared type (an integer-valued ``gamma = 1``
becomes ``1.0``) so that equal configurations hash to the same run id.
"""

import dataclasses
import functools
import inspect
import json
import numbers
import types

from .. import datasets, extensions
from .. import methods as method_registry
from .. import problems as problem_classes
from .. import timing as timing_models


def worst_case(d: int = 1729, noise_std: float = 0.01, noise: str = "scalar"):
    """The Ringmaster paper's quadratic: Nesterov's chain, A = tridiag(-1, 2, -1) / 4."""
    return problem_classes.Quadratic.worst_case(d, noise_std=noise_std, noise=noise)


def random_dense(d: int, condition_number: float = 100.0, seed: int = 0, noise_std: float = 0.0,
                 noise: str = "scalar"):
    """A random dense SPD quadratic with L = 1 and mu = 1 / condition_number."""
    return problem_classes.Quadratic.random_dense(d, condition_number=condition_number, seed=seed,
                                                  noise_std=noise_std, noise=noise)


def logistic(dataset: str, lam: float = 1e-4, regularizer: str = "l2", batch: int = 1, replacement: bool = True,
             storage: str = "csr"):
    """Logistic regression on a registered LIBSVM dataset (``ringbench.datasets.DATASETS``, e.g. ``a9a``)."""
    return problem_classes.Logistic.from_dataset(dataset, storage=storage, lam=lam, regularizer=regularizer,
                                                 batch=batch, replacement=replacement)


def logistic_synthetic(n_samples: int, n_features: int, density: float = 1.0, separability: float = 1.0,
                       sparse: bool = False, seed: int = 0, lam: float = 1e-4, regularizer: str = "l2",
                       batch: int = 1, replacement: bool = True):
    """Logistic regression on ``ringbench.datasets.synthetic`` data."""
    features, labels = datasets.synthetic(n_samples, n_features, density=density, separability=separability,
                                          sparse=sparse, seed=seed)
    return problem_classes.Logistic(features, labels, lam=lam, regularizer=regularizer, batch=batch,
                                    replacement=replacement, name="logistic regression on synthetic data")


#: Problem builders by configuration name.
PROBLEMS = {"worst-case": worst_case, "random-dense": random_dense, "logistic": logistic,
            "logistic-synthetic": logistic_synthetic}


def _fixed_profile(name):
    def build(n: int):
        return timing_models.profile(name, n)

    build.__doc__ = f"The fixed ``{name}`` profile of ``n`` workers."
    return build


def _random_profile(name):
    def build(n: int, permutation_seed: int = None):
        return timing_models.profile(name, n, permutation_seed=permutation_seed)

    build.__doc__ = f"The random-per-job ``{name}`` profile of ``n`` workers."
    return build


#: Timing builders by configuration name; each takes the number of workers ``n``.
TIMINGS = {
    "paper": _random_profile("paper"),
    "ringleader": _random_profile("ringleader"),
    **{name: _fixed_profile(name) for name in ("linear", "sqrt", "constant")},
}


def builder_parameters(builder):
    """``{name: (type, required)}`` of a builder's keyword parameters."""
    parameters = {}
    for parameter in inspect.signature(builder).parameters.values():
        parameters[parameter.name] = (_plain_type(parameter.annotation), parameter.default is inspect.Parameter.empty)
    return parameters


def method_parameters(name):
    """``{name: (type, required)}`` of a method's parameters (none is required: gamma or eps is checked later)."""
    return {field.name: (_plain_type(field.type), False) for field in dataclasses.fields(method_registry.resolve(name))}


def _plain_type(annotation):
    if isinstance(annotation, types.UnionType):  # e.g. int | None
        annotation = next(option for option in annotation.__args__ if option is not type(None))
    return annotation


def normalize(where, value, kind):
    """Return ``value`` as ``kind`` (float, int, bool or str), or raise ``ValueError`` naming ``where``."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ValueError(f"{where} must be true or false, got {value!r}")
    if kind is str:
        if isinstance(value, str):
            return value
        raise ValueError(f"{where} must be a string, got {value!r}")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{where} must be a number, got {value!r}")
    if kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{where} must be an integer, got {value!r}")
        return int(value)
    return float(value)


def canonical(value):
    """The canonical JSON text of a JSON-ready value: equal configurations, equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def problem_builder(name):
    """The builder of the problem called ``name``: one of :data:`PROBLEMS`, or a plug-in's class
    (``package.module:Class`` or ``path/to/file.py:Class``), whose annotated constructor
    arguments are what the configuration may set.
    """
    if extensions.is_plugin_name(name):
        return extensions.load(name, base=problem_classes.Problem, what="problem")
    return PROBLEMS[name]


@functools.lru_cache(maxsize=8)
def _build_cached(registry_name, text):
    parameters = json.loads(text)
    name = parameters.pop("name")
    return (problem_builder(name) if registry_name == "problem" else TIMINGS[name])(**parameters)


def build_problem(spec):
    """The problem of a run spec's ``problem`` dict (cached per process: runs share it)."""
    return _build_cached("problem", canonical(spec))


def build_timing(spec):
    """The timing model of a run spec's ``timing`` dict (cached per process)."""
    return _build_cached("timing", canonical(spec))


def build_method(spec):
    """The method of a run spec's ``method`` dict."""
    parameters = dict(spec)
    return method_registry.get(parameters.pop("name"), **parameters)
