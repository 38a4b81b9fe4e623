"""What a sweep configuration can name: problems, timing models and methods, with typed parameters.

A problem or timing model is a builder: a plain function whose annotated keyword
parameters are exactly what the configuration may set. Problems come from
:mod:`ringbench.problems.registry` (shared with ``ringbench run``), timing models from
:mod:`.timings`, methods from :data:`ringbench.methods.METHODS`, their parameters from
the method's dataclass fields.

Parameters are normalised to their declared type (an integer-valued ``gamma = 1``
becomes ``1.0``) so that equal configurations hash to the same run id.
"""

import dataclasses
import functools
import inspect
import json
import math
import numbers
import types

from .. import methods as method_registry
from ..problems import registry as problem_registry
from . import timings

#: Problem builders by configuration name (the one registry, shared with ``ringbench run``).
PROBLEMS = problem_registry.PROBLEMS
#: Timing builders by configuration name.
TIMINGS = timings.TIMINGS


def builder_parameters(builder):
    """``{name: (type, required)}`` of a builder's keyword parameters."""
    parameters = {}
    for parameter in inspect.signature(builder).parameters.values():
        parameters[parameter.name] = (_plain_type(parameter.annotation), parameter.default is inspect.Parameter.empty)
    return parameters


#: A method table's key besides the method's parameters: a concurrency cap C (``Capped(method, cap=C)``).
CAP = "cap"


def method_parameters(name):
    """``{name: (type, required)}`` of a method's parameters and ``cap`` (none is required: gamma or eps is checked
    later).
    """
    fields = dataclasses.fields(method_registry.resolve(name))
    return {**{field.name: (_plain_type(field.type), False) for field in fields}, CAP: (int, False)}


def _plain_type(annotation):
    if isinstance(annotation, types.UnionType):  # e.g. int | None
        annotation = next(option for option in annotation.__args__ if option is not type(None))
    return annotation


def normalize(where, value, kind):
    """Return ``value`` as ``kind`` (float, int, bool, str, or a class with ``from_config``), JSON-ready, or raise
    ``ValueError`` naming ``where``.
    """
    if hasattr(kind, "from_config"):  # a structured key: a split, a permutation
        parsed = kind.from_config(where, value)
        return parsed.to_config() if hasattr(parsed, "to_config") else parsed
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
    if not math.isfinite(value):  # a run's identity is JSON, which has no inf or nan
        raise ValueError(f"{where} must be a finite number, got {value!r}")
    if kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{where} must be an integer, got {value!r}")
        return int(value)
    return float(value)


def canonical(value):
    """The canonical JSON text of a JSON-ready value: equal configurations, equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def problem_builder(name):
    """The builder of the problem called ``name`` (see :func:`ringbench.problems.registry.builder`)."""
    return problem_registry.builder(name)


@functools.lru_cache(maxsize=8)
def _build_cached(registry_name, text, n, run_seed):
    parameters = json.loads(text)
    name = parameters.pop("name")
    if registry_name == "problem":
        return problem_registry.build(name, parameters, n=n)
    if run_seed is not None:
        parameters["run_seed"] = run_seed
    return TIMINGS[name](**parameters)


def build_problem(spec, n):
    """The problem of a run spec's ``problem`` dict for ``n`` workers (cached per process: runs share it)."""
    uses_n = problem_registry.is_per_worker(spec["name"], spec) is not False
    return _build_cached("problem", canonical(spec), n if uses_n else None, None)


def build_timing(spec, seed_sequence=None):
    """The timing model of a run spec's ``timing`` dict (cached per process).

    ``seed_sequence``: the run's seed, which a ``permute = "per-seed"`` model draws its permutation from.
    """
    run_seed = None
    if spec.get("permute") == timings.PER_SEED:
        if seed_sequence is None:
            raise ValueError('permute = "per-seed" draws from each run\'s seed; build the model for a run')
        run_seed = timings.permutation_seed(seed_sequence)
    return _build_cached("timing", canonical(spec), None, run_seed)


def build_method(spec):
    """The method of a run spec's ``method`` dict, capped if it has a ``cap``."""
    parameters = dict(spec)
    cap = parameters.pop(CAP, None)
    method = method_registry.get(parameters.pop("name"), **parameters)
    return method if cap is None else method_registry.Capped(method=method, cap=cap)
