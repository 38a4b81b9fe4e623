"""A sweep configuration (TOML): validated on load, expanded into one :class:`RunSpec` per run.

Layout (every key is checked; see ``examples/sweep-quadratic.toml``)::

    name = "label"                  # optional
    n = [100, 1000]                 # numbers of workers: a grid axis
    t_max = 200.0                   # simulated-time budget and/or max_updates = ...
    checkpoints = 200               # optional: checkpoints per run (default 1000)
    target = 1e-3                   # optional: the summary's time-to-target column

    [seeds]
    root = 2025                     # the one root SeedSequence(root)
    replicates = 3                  # plain sweeps: its children 0..replicates-1

    [tuning]                        # optional: tune on some seeds, report on others
    metric = "f_gap"                # or "grad_norm2" (needed where f* is unknown): the final value is the score
    tuning_seeds = 1
    reporting_seeds = 5

    [[problems]]                    # one table per problem family; arrays are grid axes
    name = "worst-case"
    d = [100, 1729]

    [[timings]]
    name = "paper"

    [[methods]]
    name = "ringmaster"
    label = "ringmaster"            # optional, unique; default the name
    gamma = {powers = 5, from = -5, to = 4}   # 5^-5, ..., 5^4
    threshold = {n_over_powers = 4}           # n, n // 4, n // 16, ..., 1

Within a table, every array (or grid table) is an axis and the table expands to the
Cartesian product of its axes. The whole sweep is problems x timings x n x methods x seeds.

Seeds: a plain sweep's replicate r uses ``SeedSequence(root).spawn(replicates)[r]``
(spawn key ``(r,)``); a tuning sweep's tuning seed i has spawn key ``(0, i)`` and its
reporting seed j has ``(1, j)``, so the two sets never overlap. Every method and
parameter combination gets the same seeds (common random numbers), so comparisons
are paired.
"""

import dataclasses
import functools
import hashlib
import inspect
import itertools
import json
import math
from pathlib import Path

import numpy as np

from .. import _validate, extensions
from .. import methods as method_registry
from ..formatting import short
from ..problems import registry as problem_registry
from ..simulation import Recording, check_run, configured
from . import registry
from . import timings as timing_registry

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

#: Spawn-key prefixes of the seed roles.
ROLES = {"replicate": (), "tuning": (0,), "reporting": (1,)}
METRICS = ("f_gap", "grad_norm2")
_TOP_KEYS = ("name", "n", "t_max", "max_updates", "checkpoints", "target", "seeds", "tuning", "problems",
             "timings", "methods")
_FORMAT = 1  # bump when the meaning of a run spec changes, so old results are not reused


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One simulation of a sweep: everything that determines its result, plus its place in the sweep.

    Attributes
    ----------
    problem, timing, method : dict
        Builder name and normalised parameters (``timing`` includes ``n``).
    label : str
        The method block's label.
    t_max, max_updates, checkpoints : float, int, int or None
        Budget and recording.
    entropy : int
        Entropy of the root SeedSequence.
    spawn_key : tuple of int
        Spawn key of this run's seed under the root.
    role : {'replicate', 'tuning', 'reporting'}
    """

    problem: dict
    timing: dict
    method: dict
    label: str
    t_max: float
    max_updates: int
    checkpoints: int
    entropy: int
    spawn_key: tuple
    role: str

    def identity(self):
        """Everything the result depends on, JSON-ready (what :attr:`run_id` hashes).

        A plug-in's name is not enough: the digest of its code is part of the identity too.
        """
        identity = {"format": _FORMAT, "problem": self.problem, "timing": self.timing, "method": self.method,
                    "t_max": self.t_max, "max_updates": self.max_updates, "checkpoints": self.checkpoints,
                    "seed": {"entropy": str(self.entropy), "spawn_key": list(self.spawn_key)}}
        code = {part["name"]: extensions.source_digest(part["name"]) for part in (self.problem, self.method)
                if extensions.is_plugin_name(part["name"])}
        if code:  # only then: the run ids of built-in runs stay what they were
            identity["plugins"] = code
        return identity

    @functools.cached_property
    def run_id(self):
        """A 20-hex-digit digest of :meth:`identity`: the run's file name, the same in every process."""
        return hashlib.sha256(registry.canonical(self.identity()).encode()).hexdigest()[:20]

    @property
    def seed_index(self):
        """Index of the seed within its role."""
        return self.spawn_key[-1]

    def seed_sequence(self):
        """The run's SeedSequence: the root's child at :attr:`spawn_key`."""
        return np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)

    def recording(self):
        """The checkpoint schedule."""
        return _recording(self.t_max, self.max_updates, self.checkpoints)


def _recording(t_max, max_updates, checkpoints):
    """``checkpoints`` on the time grid, or every max_updates / checkpoints updates without t_max."""
    if checkpoints is None:
        return Recording()
    if t_max is not None:
        return Recording(times=checkpoints)
    return Recording(every=max(1, max_updates // checkpoints))


@dataclasses.dataclass(frozen=True)
class Tuning:
    """The tuning protocol: the final ``metric`` on ``tuning_seeds`` picks, ``reporting_seeds`` report."""

    metric: str
    tuning_seeds: int
    reporting_seeds: int


@dataclasses.dataclass(frozen=True)
class MethodBlock:
    """One ``[[methods]]`` table: a method and its parameter axes (values still raw, some relative to n)."""

    label: str
    name: str
    axes: dict

    def count(self, n):
        """How many candidates :meth:`candidates` gives for ``n`` workers, without building them."""
        return math.prod(len(_resolve_axis(value, n)) for value in self.axes.values())

    def candidates(self, n):
        """The parameter combinations for ``n`` workers, in grid order."""
        names = list(self.axes)
        values = [_resolve_axis(self.axes[name], n) for name in names]
        kinds = registry.method_parameters(self.name)
        return [{"name": self.name, **{key: registry.normalize(key, value, kinds[key][0])
                                       for key, value in zip(names, combination)}}
                for combination in itertools.product(*values)]


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    """A validated sweep configuration; build it with :func:`load` or :func:`parse`."""

    name: str
    n: tuple
    t_max: float
    max_updates: int
    checkpoints: int
    target: float
    root: int
    replicates: int
    tuning: Tuning
    problems: tuple
    timings: tuple
    methods: tuple
    source: str = dataclasses.field(repr=False, default="")

    def settings(self):
        """The (problem, timing) pairs of the grid, timing including n, in grid order."""
        timings = [{**timing, "n": n} for timing in self.timings for n in self.n]
        return [(problem, timing) for problem in self.problems for timing in timings]

    def count(self):
        """Runs of the first stage (replicates, or the tuning runs of a tuning sweep), counted not built."""
        seeds = self.tuning.tuning_seeds if self.tuning else self.replicates
        return seeds * sum(block.count(timing["n"]) for _, timing in self.settings() for block in self.methods)

    def specs(self, role="replicate", chosen=None):
        """The runs of one role, in grid order (setting, method table, candidate, seed).

        Parameters
        ----------
        role : {'replicate', 'tuning', 'reporting'}
            ``replicate``: every candidate on every replicate seed; ``tuning``: every candidate on
            the tuning seeds; ``reporting``: the ``chosen`` candidate of each method table on the
            reporting seeds.
        chosen : dict, optional
            For ``reporting``: ``{(setting key, label): method dict}`` from the tuning.
        """
        _validate.choice("role", role, tuple(ROLES))
        if role != "replicate" and self.tuning is None:
            raise ValueError(f"{role} runs need a [tuning] table in the configuration")
        count = {"replicate": self.replicates, "tuning": getattr(self.tuning, "tuning_seeds", 0),
                 "reporting": getattr(self.tuning, "reporting_seeds", 0)}[role]
        specs = []
        for problem, timing in self.settings():
            for block in self.methods:
                if role == "reporting":
                    candidates = [chosen[(setting_key(problem, timing), block.label)]]
                else:
                    candidates = block.candidates(timing["n"])
                specs.extend(self.spec(problem, timing, block.label, method, role, index)
                             for method in candidates for index in range(count))
        return specs

    def spec(self, problem, timing, label, method, role, index):
        """The run of ``method`` (labelled ``label``) on a setting with the ``index``-th seed of ``role``."""
        return RunSpec(problem, timing, method, label, self.t_max, self.max_updates, self.checkpoints, self.root,
                       (*ROLES[role], index), role)

    def check(self):
        """Build every problem, timing model and method once, resolve each method on each setting, and check each
        run can finish and fits in memory (:func:`ringbench.simulation.check_run`).

        Raises ``ValueError`` naming the configuration table at the first invalid value,
        before any run starts.
        """
        for problem, timing in self.settings():
            built_problem = _named(f"problems: {_describe(problem)}", registry.build_problem, problem, timing["n"])
            if self.tuning and self.tuning.metric == "f_gap" and getattr(built_problem, "f_star", None) is None:
                raise ValueError(f"tuning.metric: 'f_gap' needs f*, which problems: {_describe(problem)} does not "
                                 "know; tune on metric = \"grad_norm2\"")
            # A per-seed permutation is checked with the first seed's; every seed's is a permutation of it.
            built_timing = _named(f"timings: {_describe(timing)}", registry.build_timing, timing,
                                  np.random.SeedSequence(self.root))
            for number, block in enumerate(self.methods):
                for method in block.candidates(timing["n"]):
                    where = (f"methods[{number}] ({block.label}): {_describe(method)} on "
                             f"{describe_setting(problem, timing)}")
                    built = _named(where, registry.build_method, method)
                    problem_registry.check_per_worker(where, built, problem["name"], problem, built_problem)
                    configuration = _named(where, configured, built, built_problem, built_timing)
                    _named(where, check_run, built_problem, built_timing, configuration, self.t_max,
                           self.max_updates, _recording(self.t_max, self.max_updates, self.checkpoints))


def setting_key(problem, timing):
    """A hashable key of a (problem, timing) setting."""
    return registry.canonical({"problem": problem, "timing": timing})


def describe_setting(problem, timing):
    """A short human label of a setting, e.g. ``worst-case d=1729 noise_std=0.01 | paper n=6174``."""
    return f"{_describe(problem)} | {_describe(timing)}"


def _describe(parameters):
    rest = " ".join(f"{key}={_value_text(value)}" for key, value in parameters.items() if key != "name")
    return f"{parameters['name']} {rest}".strip()


def _value_text(value):
    """A parameter value in a label; a structured one (a split table) as ``kind(key=value,...)``."""
    if isinstance(value, dict):
        inner = ",".join(f"{key}={short(item)}" for key, item in value.items() if key != "kind")
        return f"{value.get('kind', '')}({inner})" if inner else str(value.get("kind", value))
    return short(value)


def _named(where, function, *args):
    try:
        return function(*args)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def load(path):
    """Read and validate the TOML configuration at ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")  # TOML is UTF-8, whatever the locale
    except OSError as error:
        raise ValueError(f"cannot read sweep configuration {str(path)!r}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"cannot read sweep configuration {str(path)!r}: not UTF-8 text (TOML is UTF-8; "
                         f"byte {error.object[error.start]:#04x} at position {error.start})") from None
    return parse(text, origin=str(path))


def parse(text, *, origin="<string>"):
    """Validate the TOML configuration ``text``; return a :class:`SweepConfig`."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{origin} is not valid TOML: {error}") from None
    _only_keys("the configuration", raw, _TOP_KEYS)
    for key in ("n", "problems", "timings", "methods"):
        if key not in raw:
            raise ValueError(f"the configuration needs {key!r}")
    n = tuple(registry.normalize(f"n[{index}]", value, int) for index, value in enumerate(_as_list("n", raw["n"])))
    for index, value in enumerate(n):
        _validate.integer(f"n[{index}]", value, minimum=1)
    _no_duplicates("n", n)
    t_max = raw.get("t_max")
    if t_max is not None:
        t_max = _validate.real("t_max", t_max, positive=True)
    max_updates = raw.get("max_updates")
    if max_updates is not None:
        max_updates = _validate.integer("max_updates", max_updates, minimum=1)
    if t_max is None and max_updates is None:
        raise ValueError("the configuration needs t_max or max_updates, so that runs end")
    checkpoints = raw.get("checkpoints")
    if checkpoints is not None:
        checkpoints = _validate.integer("checkpoints", checkpoints, minimum=1)
    target = raw.get("target")
    if target is not None:
        target = _validate.real("target", target, positive=True)
    name = raw.get("name", "sweep")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name must be a non-empty string (it labels the sweep's tables), got {name!r}")
    root, replicates, tuning = _seeds(raw)
    if tuning is not None and t_max is None:
        raise ValueError("tuning needs t_max: medians over seeds are taken on a common time grid")
    problems = _blocks("problems", raw["problems"], registry.PROBLEMS, reserved=problem_registry.RESERVED)
    timings = _blocks("timings", raw["timings"], registry.TIMINGS, reserved=timing_registry.RESERVED)
    methods = _method_blocks(raw["methods"], n)
    _check_per_worker_data(problems, methods)
    config = SweepConfig(name=name, n=n, t_max=t_max, max_updates=max_updates, checkpoints=checkpoints,
                         target=target, root=root, replicates=replicates, tuning=tuning, problems=problems,
                         timings=timings, methods=methods, source=text)
    # Counted before any RunSpec exists: a grid of millions would otherwise stall --dry-run for minutes.
    runs = config.count()
    if runs > MAX_RUNS:
        raise ValueError(f"the grid has {runs} runs (settings x method candidates x seeds); at most {MAX_RUNS} "
                         "are allowed in one sweep: split it or shorten an axis")
    return config


def _check_per_worker_data(problems, methods):
    """A method that needs per-worker data on a problem without any is an error, before anything is built."""
    for number, block in enumerate(methods):
        method = method_registry.resolve(block.name)
        for problem in problems:
            problem_registry.check_per_worker(f"methods[{number}] ({block.label}) on problems: {_describe(problem)}",
                                              method, problem["name"], problem)


def _seeds(raw):
    seeds = raw.get("seeds", {})
    if not isinstance(seeds, dict):
        raise ValueError("seeds must be a table: [seeds] root = ..., replicates = ...")
    _only_keys("[seeds]", seeds, ("root", "replicates"))
    root = _validate.integer("seeds.root", seeds.get("root", 0), minimum=0)
    tuning = raw.get("tuning")
    if tuning is None:
        return root, _seed_count("seeds.replicates", seeds.get("replicates", 1)), None
    if "replicates" in seeds:
        raise ValueError("seeds.replicates does not apply to a tuning sweep; set tuning.tuning_seeds and "
                         "tuning.reporting_seeds instead")
    if not isinstance(tuning, dict):
        raise ValueError("tuning must be a table: [tuning] metric = ..., tuning_seeds = ..., reporting_seeds = ...")
    _only_keys("[tuning]", tuning, ("metric", "tuning_seeds", "reporting_seeds"))
    metric = _validate.choice("tuning.metric", tuning.get("metric", "f_gap"), METRICS)
    return root, 0, Tuning(metric=metric,
                           tuning_seeds=_seed_count("tuning.tuning_seeds", tuning.get("tuning_seeds", 1)),
                           reporting_seeds=_seed_count("tuning.reporting_seeds", tuning.get("reporting_seeds", 5)))


def _tables(key, value):
    if not isinstance(value, list) or not value or not all(isinstance(item, dict) for item in value):
        raise ValueError(f"{key} must be a non-empty array of tables ([[{key}]] ...)")
    return value


def _blocks(key, value, builders, reserved=()):
    """Expand ``[[problems]]`` or ``[[timings]]`` tables into normalised parameter dicts."""
    expanded, seen = [], {}
    for index, table in enumerate(_tables(key, value)):
        where = f"{key}[{index}]"
        name = _block_name(where, table, builders, plugins=key == "problems")
        builder = registry.problem_builder(name) if key == "problems" else builders[name]
        kinds = registry.builder_parameters(builder)
        for parameter in reserved:
            kinds.pop(parameter, None)
            if parameter in table:
                raise ValueError(f"{where}.{parameter} is set at the top level of the configuration")
        axes = {key_: table[key_] for key_ in table if key_ != "name"}
        _only_keys(where, axes, tuple(kinds))
        missing = [parameter for parameter, (_, required) in kinds.items() if required and parameter not in axes]
        if missing:
            raise ValueError(f"{where} ({name}) needs " + ", ".join(missing))
        values = {}
        for parameter, axis in axes.items():
            if hasattr(kinds[parameter][0], "from_config") and isinstance(axis, dict):
                axis = [axis]  # a structured value (a split table) is one value; an array of them is an axis
            values[parameter] = [registry.normalize(f"{where}.{parameter}", item, kinds[parameter][0])
                                 for item in _axis(f"{where}.{parameter}", axis, None)]
            _no_duplicates(f"{where}.{parameter}", values[parameter])
        defaults = {parameter.name: parameter.default for parameter in inspect.signature(builder).parameters.values()
                    if parameter.default is not parameter.empty and parameter.name in kinds}
        for combination in itertools.product(*values.values()):
            setting = {"name": name, **dict(zip(values, combination))}
            # One setting twice would run once and count twice in the tables (its runs have one id); with a
            # default written out it would run twice, as two settings. A plug-in's default may be any object: repr.
            same = json.dumps({**defaults, **setting}, sort_keys=True, default=repr)
            if same in seen:
                raise ValueError(f"{where} repeats the setting {_describe(setting)} of {seen[same]}; each setting "
                                 "is run once: remove the repeat")
            seen[same] = where
            expanded.append(setting)
    return tuple(expanded)


def _method_blocks(value, n):
    blocks = []
    for index, table in enumerate(_tables("methods", value)):
        where = f"methods[{index}]"
        name = _block_name(where, table, method_registry.METHODS, plugins=True)
        label = table.get("label", name)
        if not isinstance(label, str) or not label:
            raise ValueError(f"{where}.label must be a non-empty string, got {label!r}")
        axes = {key: table[key] for key in table if key not in ("name", "label")}
        kinds = registry.method_parameters(name)  # imports a plug-in now: errors before any run
        _only_keys(where, axes, tuple(kinds))
        for parameter, axis in axes.items():
            for workers in n:
                _no_duplicates(f"{where}.{parameter}", [
                    registry.normalize(f"{where}.{parameter}", item, kinds[parameter][0])
                    for item in _axis(f"{where}.{parameter}", axis, workers)])
        blocks.append(MethodBlock(label=label, name=name, axes=axes))
    _no_duplicates("methods labels (set label = ... to tell apart two tables of one method)",
                   [block.label for block in blocks])
    return tuple(blocks)


def _block_name(where, table, builders, *, plugins=False):
    """The table's ``name``: one of ``builders``, or with ``plugins`` a plug-in's ``module:Class``."""
    if "name" not in table:
        raise ValueError(f"{where} needs a name; choose one of " + ", ".join(repr(key) for key in builders))
    if plugins and extensions.is_plugin_name(table["name"]):
        return table["name"]  # imported when its parameters are read: errors before any run
    return _validate.choice(f"{where}.name", table["name"], tuple(builders))


def _axis(where, value, n):
    """The validated values of one parameter; ``n`` is None outside ``[[methods]]`` tables."""
    if isinstance(value, dict) and "n_over_powers" in value:
        if n is None:
            raise ValueError(f"{where}: n_over_powers applies to method parameters only")
        _only_keys(where, value, ("n_over_powers",))
        _validate.integer(f"{where}.n_over_powers", value["n_over_powers"], minimum=2)
    return _resolve_axis(value, n, where=where)


MAX_RUNS = 1_000_000
"""Most runs in one sweep's first stage."""
MAX_AXIS = 10_000
"""Most values one ``{powers, from, to}`` axis may take."""
MAX_SEEDS = 100_000
"""Most seeds per setting (replicates, tuning_seeds, reporting_seeds): beyond it the run list alone
outgrows memory long before any run finishes."""
_FLOAT_LOG_RANGE = (math.log(1e-300), math.log(1e300))


def _seed_count(name, value):
    count = _validate.integer(name, value, minimum=1)
    if count > MAX_SEEDS:
        raise ValueError(f"{name} must be an integer in 1..{MAX_SEEDS}, got {count}")
    return count


def _resolve_axis(value, n, *, where="grid"):
    """The values of an axis: a scalar, a list, ``{powers, from, to}`` or ``{n_over_powers}`` for ``n``."""
    if not isinstance(value, dict):
        return _as_list(where, value)
    if "n_over_powers" in value:
        factor = value["n_over_powers"]
        values, current = [], n
        while current >= 1:
            values.append(current)
            current //= factor
        return values
    _only_keys(where, value, ("powers", "from", "to"))
    if any(key not in value for key in ("powers", "from", "to")):
        raise ValueError(f"{where} needs powers, from and to (e.g. {{powers = 5, from = -5, to = 4}}), or "
                         "n_over_powers in a method table (e.g. {n_over_powers = 4})")
    base = _validate.real(f"{where}.powers", value["powers"], positive=True)
    first = _validate.integer(f"{where}.from", value["from"])
    last = _validate.integer(f"{where}.to", value["to"])
    if last < first:
        raise ValueError(f"{where}.to must be >= {where}.from, got from = {first}, to = {last}")
    if base == 1 and last > first:
        raise ValueError(f"{where}.powers = 1 gives 1 at every exponent; use a base other than 1, or a list")
    # Bound the exponents before raising to them: 5**500 overflows float64 and 5**-500 rounds to 0.
    for exponent in (first, last):
        if not _FLOAT_LOG_RANGE[0] <= exponent * math.log(base) <= _FLOAT_LOG_RANGE[1]:
            raise ValueError(f"{where}: {base:g}**{exponent} is outside float64 (1e-300..1e300); "
                             f"choose from and to so every power stays in that range")
    if last - first >= MAX_AXIS:
        raise ValueError(f"{where}: from = {first}, to = {last} gives {last - first + 1} values; at most "
                         f"{MAX_AXIS} are allowed per axis")
    return [base**exponent for exponent in range(first, last + 1)]


def _as_list(where, value):
    if isinstance(value, list):
        if not value:
            raise ValueError(f"{where} must not be an empty array")
        return value
    return [value]


def _no_duplicates(where, values):
    seen = set()
    for value in values:
        key = registry.canonical(value)  # structured values (tables) compare by content
        if key in seen:
            raise ValueError(f"{where} lists {value!r} twice")
        seen.add(key)


def _only_keys(where, table, allowed):
    for key in table:
        if key not in allowed:
            raise ValueError(f"{where} has no key {key!r}; allowed: " + ", ".join(allowed))
