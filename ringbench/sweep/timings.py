"""The timing models a sweep can name: every model of :mod:`ringbench.timing`, and their permutations.

Per-worker arrays come from a few scalars or from a file, never from TOML arrays
(an array in a configuration is a grid axis):

- ``tau_i = offset + scale * (i + 1)**power`` for i = 0..n-1 (``fixed``, the base
  times of ``random``, the speeds 1/tau_i of ``outages`` and ``power-law``), or
  ``file = "times.npy"`` (``.npy``, or ``.csv`` with one value per line);
- ``random``: noise scale ``noise * (i + 1)**noise_power`` (the papers': 1 and 0.5);
- ``piecewise``: ``file`` = a ``.npz`` with ``breakpoints`` (B,) and ``rates`` (n, B);
- ``outages``: ``windows`` = a ``.npy``/``.csv`` of rows (worker, start, end);
- ``power-law``: ``exponent`` p, the same for every worker, or ``file`` = a ``.npz``
  with ``coefficient`` and ``exponent`` arrays;
- ``trace``: ``file`` = a ``.npy`` (n, J) of durations, or a ``.csv`` of rows (worker, duration).

Every timing table also takes the keys that wrap its model (:data:`WRAPPERS`), applied
in this order: ``shared = "job"`` or a window in seconds (a random model's draws shared
by all workers, :func:`ringbench.timing.correlated`); ``download`` and ``upload``
(seconds for every worker and job, :func:`ringbench.timing.communicating`); and
``availability = "away.csv"`` (rows worker,start,end, :func:`ringbench.timing.availability`)
or ``offline = {mean_online = 10.0, mean_offline = 5.0, horizon = 2000.0, seed = 0}``
(:func:`ringbench.timing.random_availability`; ``seed`` is optional, default 0).

A file must describe exactly n workers. ``permute`` shuffles the workers' base times
(the noise scale stays with the worker index, as in the papers' code): an integer
is a fixed permutation seed; ``"per-seed"`` draws a fresh permutation from each
run's seed (:func:`permutation_seed`), so runs with the same seed, whatever their
method, share it (paired), and different seeds differ.
"""

import functools
import inspect
from pathlib import Path

import numpy as np

from .. import _validate
from .. import timing as models
from ..timing.models import DISTRIBUTIONS

PER_SEED = "per-seed"
#: Spawn-key child of a run's SeedSequence that seeds its per-seed permutation (never used by the simulation).
PERMUTATION_CHILD = 0x7065726D  # "perm"


class Permute:
    """The ``permute`` key: ``"per-seed"`` or a non-negative integer seed."""

    @classmethod
    def from_config(cls, where, value):
        """``"per-seed"`` or the integer; errors name ``where``."""
        if value == PER_SEED:
            return value
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{where} must be \"{PER_SEED}\" (a fresh permutation from each run's seed) or a "
                             f"non-negative integer seed, got {value!r}")
        return value


class Shared:
    """The ``shared`` key: ``"job"`` (the j-th jobs share a slowdown) or a window in seconds > 0."""

    @classmethod
    def from_config(cls, where, value):
        """``"job"`` or the window in seconds; errors name ``where``."""
        if value == "job":
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{where} must be \"job\" or a window in seconds > 0, got {value!r}")
        return _validate.real(where, value, positive=True)


class Offline:
    """The ``offline`` key: a table of mean_online, mean_offline, horizon (seconds) and an optional seed."""

    KEYS = ("mean_online", "mean_offline", "horizon", "seed")

    @classmethod
    def from_config(cls, where, value):
        """The table with its seed (default 0), checked; errors name ``where`` and list the allowed keys."""
        if not isinstance(value, dict):
            raise ValueError(f"{where} must be a table {{mean_online = ..., mean_offline = ..., horizon = ...}}, "
                             f"got {value!r}")
        unknown = [key for key in value if key not in cls.KEYS]
        missing = [key for key in cls.KEYS[:3] if key not in value]
        if unknown or missing:
            raise ValueError(f"{where} " + (f"has no key {unknown[0]!r}" if unknown else f"needs {missing[0]}")
                             + "; allowed: " + ", ".join(cls.KEYS))
        table = {key: _validate.real(f"{where}.{key}", value[key], positive=True) for key in cls.KEYS[:3]}
        table["seed"] = _validate.integer(f"{where}.seed", value.get("seed", 0), minimum=0)
        return table


def permutation_seed(seed_sequence):
    """The integer permutation seed of a run with ``seed_sequence``: a child of it outside the simulation's use."""
    child = np.random.SeedSequence(seed_sequence.entropy, spawn_key=(*seed_sequence.spawn_key, PERMUTATION_CHILD))
    return int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))


def _order(n, permute, run_seed):
    """The worker order of the base times: identity, or a permutation seeded by ``permute`` or the run."""
    if permute is None:
        return np.arange(n)
    if permute == PER_SEED:
        if run_seed is None:
            raise ValueError('permute = "per-seed" needs the run\'s seed')
        return np.random.default_rng(run_seed).permutation(n)
    return np.random.default_rng(permute).permutation(n)


def _profile_seed(permute, run_seed):
    return run_seed if permute == PER_SEED else permute


def _read(key, path, *, suffixes, ndim=None):
    location = _validate.input_file(key, path, suffixes)
    try:
        if location.suffix == ".csv":
            values = np.loadtxt(location, delimiter=",", ndmin=ndim or 1)
        else:
            values = np.load(location, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise ValueError(f"{key}: cannot read {str(path)!r}: {error}") from None
    if ndim is not None and location.suffix != ".npz" and values.ndim != ndim:
        raise ValueError(f"{key}: {str(path)!r} must hold a {ndim}-d array, got shape {values.shape}")
    return values


def _rows(key, path, values, n):
    if values.shape[0] != n:
        raise ValueError(f"{key}: {str(path)!r} describes {values.shape[0]} workers, but n = {n}")
    return values


def _taus(n, offset, scale, power, file):
    """tau_i from the formula's scalars or from ``file`` (not both)."""
    if file is not None:
        if (offset, scale, power) != (None, None, None):
            raise ValueError("give file or offset/scale/power for the per-worker times, not both")
        return _rows("file", file, _read("file", file, suffixes=(".npy", ".csv"), ndim=1), n)
    offset = _validate.real("offset", 0.0 if offset is None else offset, minimum=0.0)
    scale = _validate.real("scale", 1.0 if scale is None else scale, minimum=0.0)
    power = _validate.real("power", 1.0 if power is None else power)
    if offset + scale <= 0:
        raise ValueError("offset + scale must be > 0 so that every time is positive")
    return offset + scale * np.arange(1.0, n + 1.0) ** power


def _named_profile(name):
    def build(n: int, permute: Permute = None, run_seed: int = None):
        return models.profile(name, n, permutation_seed=_profile_seed(permute, run_seed))

    build.__doc__ = f"The ``{name}`` profile of :func:`ringbench.timing.profile` for ``n`` workers."
    return build


def _fixed_profile(name):
    def build(n: int, permute: Permute = None, run_seed: int = None):
        tau = models.profile(name, n).expected_durations()
        return models.fixed(tau[_order(n, permute, run_seed)])

    build.__doc__ = f"The fixed ``{name}`` profile of ``n`` workers."
    return build


def fixed(n: int, offset: float = None, scale: float = None, power: float = None, file: str = None,
          permute: Permute = None, run_seed: int = None):
    """Every job of worker i takes tau_i seconds."""
    return models.fixed(_taus(n, offset, scale, power, file)[_order(n, permute, run_seed)])


def random(n: int, distribution: str = "half-normal", offset: float = None, scale: float = None,
           power: float = None, file: str = None, noise: float = 1.0, noise_power: float = 0.5,
           permute: Permute = None, run_seed: int = None):
    """A fresh random duration per job: base tau_i plus noise of scale ``noise (i + 1)**noise_power``."""
    base = _taus(n, offset, scale, power, file)[_order(n, permute, run_seed)]
    noise = _validate.real("noise", noise, minimum=0.0)
    noise_power = _validate.real("noise_power", noise_power)
    return models.random(base, noise * np.arange(1.0, n + 1.0) ** noise_power, distribution)


def piecewise(n: int, file: str, permute: Permute = None, run_seed: int = None):
    """Piecewise-constant speeds from a ``.npz`` with ``breakpoints`` (B,) and ``rates`` (n, B)."""
    with _read("file", file, suffixes=(".npz",)) as archive:
        missing = [key for key in ("breakpoints", "rates") if key not in archive.files]
        if missing:
            raise ValueError(f"file: {file!r} lacks " + ", ".join(missing))
        breakpoints, rates = archive["breakpoints"], archive["rates"]
    return models.piecewise(breakpoints, _rows("file", file, rates, n)[_order(n, permute, run_seed)])


def outages(n: int, windows: str, offset: float = None, scale: float = None, power: float = None,
            file: str = None, permute: Permute = None, run_seed: int = None):
    """Fixed speeds 1/tau_i with outage windows read from ``windows``: rows (worker, start, end)."""
    table = _read("windows", windows, suffixes=(".npy", ".csv"), ndim=2)
    if table.shape[1] != 3:
        raise ValueError(f"windows: {windows!r} must have 3 columns (worker, start, end), got shape {table.shape}")
    if not np.all(table[:, 0] == np.round(table[:, 0])):
        raise ValueError(f"windows: {windows!r} has a worker index that is not an integer")
    tau = _taus(n, offset, scale, power, file)[_order(n, permute, run_seed)]
    return models.outages(tau, [(int(worker), start, end) for worker, start, end in table])


def power_law(n: int, exponent: float = None, offset: float = None, scale: float = None, power: float = None,
              file: str = None, permute: Permute = None, run_seed: int = None):
    """Speeds v_i(t) = a_i (t + 1)**p: a_i = 1/tau_i and p = ``exponent``, or both from a ``.npz`` ``file``."""
    order = _order(n, permute, run_seed)
    if file is not None and Path(file).suffix == ".npz":
        if (exponent, offset, scale, power) != (None, None, None, None):
            raise ValueError("a .npz file gives coefficient and exponent; leave out exponent, offset, scale, power")
        with _read("file", file, suffixes=(".npz",)) as archive:
            missing = [key for key in ("coefficient", "exponent") if key not in archive.files]
            if missing:
                raise ValueError(f"file: {file!r} lacks " + ", ".join(missing))
            coefficient, exponents = archive["coefficient"], archive["exponent"]
        return models.power_law(_rows("file", file, coefficient, n)[order], _rows("file", file, exponents, n)[order])
    if exponent is None:
        raise ValueError("power-law needs exponent (or a .npz file with coefficient and exponent)")
    coefficient = 1.0 / _taus(n, offset, scale, power, file)[order]
    return models.power_law(coefficient, np.full(n, _validate.real("exponent", exponent)))


def trace(n: int, file: str, permute: Permute = None, run_seed: int = None):
    """Measured durations, cycled: a ``.npy`` (n, J), or a ``.csv`` of rows (worker, duration)."""
    values = _read("file", file, suffixes=(".npy", ".csv"), ndim=2)
    if Path(file).suffix == ".npy":
        rows = list(_rows("file", file, values, n))
    else:
        if values.shape[1] != 2:
            raise ValueError(f"file: {file!r} must have 2 columns (worker, duration), got shape {values.shape}")
        workers = values[:, 0]
        if not np.all(workers == np.round(workers)) or workers.min() < 0:
            raise ValueError(f"file: {file!r} has a worker index that is not a non-negative integer")
        rows = [values[workers == worker, 1] for worker in range(n)]
        empty = [worker for worker, row in enumerate(rows) if row.size == 0]
        if empty or workers.max() >= n:
            raise ValueError(f"file: {file!r} must list durations of exactly the workers 0..{n - 1}; "
                             + (f"worker {empty[0]} has none" if empty else f"it names worker {int(workers.max())}"))
    order = _order(n, permute, run_seed)
    return models.trace([rows[worker] for worker in order])


#: The keys every timing table takes besides its model's own, and their types (see the module docstring).
WRAPPERS = {"shared": Shared, "download": float, "upload": float, "availability": str, "offline": Offline}


def _wrapped(builder):
    """``builder`` taking the :data:`WRAPPERS` keys too, which wrap the model it builds."""
    @functools.wraps(builder)
    def build(*, shared=None, download=None, upload=None, availability=None, offline=None, **parameters):
        model = builder(**parameters)
        if shared is not None:
            if model.name not in DISTRIBUTIONS:
                raise ValueError(f"shared needs a random model (paper, ringleader or random), not {model.name!r}")
            data = model.data()
            model = models.correlated(data.base, data.scale, model.name, window=None if shared == "job" else shared)
        if download is not None or upload is not None:
            model = models.communicating(model, 0.0 if download is None else download,
                                         0.0 if upload is None else upload)
        if availability is not None and offline is not None:
            raise ValueError("give availability (a file of intervals) or offline (drawn ones), not both")
        if availability is not None:
            model = models.availability(model, availability)
        if offline is not None:
            model = models.random_availability(model, offline["mean_online"], offline["mean_offline"],
                                               horizon=offline["horizon"], seed=offline["seed"])
        return model

    signature = inspect.signature(builder)
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=kind)
             for name, kind in WRAPPERS.items()]
    build.__signature__ = signature.replace(parameters=[*signature.parameters.values(), *extra])
    return build


#: Timing builders by configuration name; each takes the number of workers ``n``.
TIMINGS = {name: _wrapped(builder) for name, builder in {
    "paper": _named_profile("paper"),
    "ringleader": _named_profile("ringleader"),
    **{name: _fixed_profile(name) for name in ("linear", "sqrt", "constant")},
    "fixed": fixed, "random": random, "piecewise": piecewise, "outages": outages, "power-law": power_law,
    "trace": trace,
}.items()}
#: Parameters the sweep supplies: the setting's ``n`` and, for ``permute = "per-seed"``, the run's seed.
RESERVED = ("n", "run_seed")
