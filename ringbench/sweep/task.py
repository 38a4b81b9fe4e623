"""One run of a sweep, as every executor runs it: build the objects, simulate, note where and how long.

Compiled kernels
    A run's event loop is compiled once per (method, problem, timing model) kind and
    then loaded from numba's on-disk cache (``NUMBA_CACHE_DIR``, else ``__pycache__``
    beside ringbench's sources) by every later process. :func:`warm_up` runs one tiny
    simulation of each kind of a sweep: the driver calls it first, so that the cache
    holds every kernel before any worker starts, and then every worker calls it, so
    that its first real run does not wait for a cache load. Both report whether numba
    compiled anything, as does every run (``provenance["sweep"]["compiled"]``: whether
    the process that ran it had compiled by the end of the run, in its warm-up or in
    a run): a worker that shares the driver's cache never should.
"""

import os
import socket
from time import perf_counter

from numba.core import event

from ..simulation import simulate
from . import registry

#: The kind of run :func:`warm_up` prepares when given no specs: Ringmaster on a tiny worst-case quadratic.
_DEFAULT_KIND = ({"name": "worst-case", "d": 4, "noise_std": 0.01, "noise": "scalar"}, {"name": "paper", "n": 4},
                 {"name": "ringmaster", "gamma": 0.1, "threshold": 2})


class _CompileCounter(event.Listener):
    """Counts the compiles numba starts while it listens (numba starts one only after its cache missed)."""

    def __init__(self):
        self.count = 0

    def on_start(self, event):
        self.count += 1

    def on_end(self, event):
        pass


#: Whether this process compiled in a warm-up or a run (see :func:`execute`).
_process_compiled = False


def _counting_compiles(function, *args, **kwargs):
    """``(function(*args, **kwargs), compiled)``: its value, and whether numba compiled while it ran.

    numba's listeners are process-wide: with the threads executor, a compile in another thread counts too.
    """
    global _process_compiled
    counter = _CompileCounter()
    with event.install_listener("numba:compile", counter):
        value = function(*args, **kwargs)
    _process_compiled |= counter.count > 0
    return value, counter.count > 0


def _simulate(spec, **budget):
    """Simulate ``spec`` with ``budget`` (t_max, max_updates) overriding its own; return (result, compiled)."""
    problem = registry.build_problem(spec.problem, spec.timing["n"])
    timing = registry.build_timing(spec.timing, spec.seed_sequence())
    method = registry.build_method(spec.method)
    budget = {"t_max": spec.t_max, "max_updates": spec.max_updates, **budget}
    return _counting_compiles(simulate, problem, method, timing, seed=spec.seed_sequence(), record=spec.recording(),
                              **budget)


def execute(spec):
    """Simulate the run ``spec``; return its :class:`ringbench.Result`.

    The result's provenance gains a ``sweep`` entry: run id, label, role, the spec's
    identity, host, process id, wall seconds, and whether this process had compiled
    by the end of the run (``compiled``: in its :func:`warm_up` or a run; false in a
    process that found every kernel in numba's cache). Everything
    else in the result is a function of ``spec`` alone, whichever process or machine
    runs it.
    """
    started = perf_counter()
    result, _ = _simulate(spec)
    result.provenance["sweep"] = {"run_id": spec.run_id, "label": spec.label, "role": spec.role,
                                  "spec": spec.identity(), "host": socket.gethostname(), "pid": os.getpid(),
                                  "wall_seconds": perf_counter() - started, "compiled": _process_compiled}
    return result


def kinds(specs):
    """One spec per kind of run among ``specs``: distinct (problem, timing model, method name).

    The event loop's specialization depends on the kinds of the problem, timing model
    and method, not on their sizes or parameter values, so one run of each kind
    compiles (or loads) every kernel the specs need.
    """
    first = {}
    for spec in specs:
        timing = {key: value for key, value in spec.timing.items() if key != "n"}
        key = (registry.canonical(spec.problem), registry.canonical(timing), spec.method["name"])
        first.setdefault(key, spec)
    return list(first.values())


def warm_up(specs=None):
    """Load (or compile) the kernels of ``specs`` with one tiny run of each kind; return whether numba compiled.

    Parameters
    ----------
    specs : list of RunSpec, optional
        The runs to prepare (see :func:`kinds`); default: a tiny Ringmaster run on
        the worst-case quadratic.

    Returns
    -------
    bool
        Whether any kernel was compiled, rather than loaded from numba's cache.
    """
    if specs is None:
        problem, timing, method = _DEFAULT_KIND
        return _compiled(_counting_compiles(simulate, registry.build_problem(problem, timing["n"]),
                                            registry.build_method(method), registry.build_timing(timing),
                                            max_updates=2, seed=0))
    compiled = False
    for spec in kinds(specs):
        compiled |= _compiled(_simulate(spec, max_updates=1))
    return compiled


def _compiled(warm_up_run):
    """Whether the warm-up run ``(result, compiled)`` compiled; a Ctrl-C it caught stops the warm-up.

    ``simulate`` turns Ctrl-C into an ``interrupted`` result; a warm-up has nothing to
    keep, so it passes the interrupt on instead of going on to the sweep.
    """
    result, compiled = warm_up_run
    if result.status == "interrupted":
        raise KeyboardInterrupt
    return compiled
