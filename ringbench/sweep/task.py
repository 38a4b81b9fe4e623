"""One run of a sweep, as every executor runs it: build the objects, simulate, note where and how long."""

import os
import socket
from time import perf_counter

from ..simulation import simulate
from . import registry


def execute(spec):
    """Simulate the run ``spec``; return its :class:`ringbench.Result`.

    The result's provenance gains a ``sweep`` entry: run id, label, role, the spec's
    identity, host, process id and wall seconds. Everything else in the result is a
    function of ``spec`` alone, whichever process or machine runs it.
    """
    problem = registry.build_problem(spec.problem, spec.timing["n"])
    timing = registry.build_timing(spec.timing, spec.seed_sequence())
    method = registry.build_method(spec.method)
    started = perf_counter()
    result = simulate(problem, method, timing, t_max=spec.t_max, max_updates=spec.max_updates,
                      seed=spec.seed_sequence(), record=spec.recording())
    result.provenance["sweep"] = {"run_id": spec.run_id, "label": spec.label, "role": spec.role,
                                  "spec": spec.identity(), "host": socket.gethostname(), "pid": os.getpid(),
                                  "wall_seconds": perf_counter() - started}
    return result


def warm_up():
    """Load (or compile) every kernel with a tiny run, so a process's first real run is not slowed."""
    problem = registry.build_problem({"name": "worst-case", "d": 4, "noise_std": 0.01, "noise": "scalar"}, 4)
    timing = registry.build_timing({"name": "paper", "n": 4})
    simulate(problem, registry.build_method({"name": "ringmaster", "gamma": 0.1, "threshold": 2}), timing,
             max_updates=2, seed=0)
