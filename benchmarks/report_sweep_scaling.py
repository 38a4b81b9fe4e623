"""Sweep scaling: one local worker against two, and a dask LocalCluster against local processes.

Run ``python benchmarks/report_sweep_scaling.py [--config TOML] [--t-max SECONDS] [--rounds R] [--quick]``.
It runs the sweep (default ``examples/tune-paper.toml``: 180 tuning and 30 reporting runs)
end to end with ``ringbench.sweep.run`` into a fresh directory, once per executor and
round, alternating ``local`` with 1 worker, ``local`` with 2 and ``dask`` with 2 (a
LocalCluster of single-threaded processes), so that slow drift in the machine's load
hits all three alike. It prints the best and median wall time of each, the ratios
local(1) / local(2) (the issue's goal: at least 1.8) and dask(2) / local(2) (at most
1.1), whether the three hold bit-identical results, and whether the driver or any
worker compiled: this process loads or compiles every kernel of the sweep first, as
``sweep.run`` does, so no worker should (each run's ``provenance["sweep"]["compiled"]``).

``--t-max`` shortens every run (same grid, same structure) for quicker iterations;
``--quick`` is a smoke test on a tiny tuning sweep. The machine may be shared: the
load average is printed at the start and the end, and a ratio on a busy 2-core
machine says more about the other processes than about ringbench.
"""

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from time import perf_counter

REPOSITORY = Path(__file__).resolve().parents[1]
#: Executors in the order each round runs them: (name, workers).
EXECUTORS = (("local", 1), ("local", 2), ("dask", 2))
_QUICK_SWEEP = """
name = "quick-tuning"
n = 50
t_max = 50.0
checkpoints = 20
[seeds]
root = 1
[tuning]
metric = "f_gap"
tuning_seeds = 1
reporting_seeds = 2
[[problems]]
name = "worst-case"
d = 50
[[timings]]
name = "paper"
[[methods]]
name = "ringmaster"
gamma = [0.04, 0.2]
threshold = [1, 6]
[[methods]]
name = "asgd"
gamma = [0.0016, 0.008]
"""


def _load():
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def same_results(first, second):
    """Whether two sweep directories hold the same runs with bit-identical result arrays and counters."""
    import ringbench

    names = sorted(path.stem for path in (first / "runs").glob("*.json"))
    if names != sorted(path.stem for path in (second / "runs").glob("*.json")):
        return False
    for name in names:
        a, b = ringbench.load(first / "runs" / name), ringbench.load(second / "runs" / name)
        if any(getattr(a, key).tobytes() != getattr(b, key).tobytes()
               for key in ("time", "iteration", "f_gap", "grad_norm2", "x")) or a.counters != b.counters:
            return False
    return True


def configuration_text(path, t_max=None):
    """The TOML text of the sweep at ``path``, with every run's ``t_max`` replaced when given."""
    text = Path(path).read_text()
    if t_max is None:
        return text
    text, count = re.subn(r"(?m)^t_max\s*=.*$", f"t_max = {float(t_max)!r}", text)
    if count != 1:
        raise ValueError(f"{path} must set t_max once at the top level for --t-max, found {count} settings")
    return text


def measure(text, rounds, scratch):
    """Run the sweep ``text`` ``rounds`` times per executor, alternating; return the figures."""
    from ringbench import sweep
    from ringbench.sweep.task import warm_up

    config = sweep.parse(text)
    config.check()
    specs = config.specs("tuning") if config.tuning else config.specs()
    started = perf_counter()
    driver_compiled = warm_up(specs)  # what sweep.run's driver does: the workers then load
    print(f"driver warm-up: {perf_counter() - started:.2f} s ({'compiled' if driver_compiled else 'loaded'})")
    walls = {executor: [] for executor in EXECUTORS}
    workers_compiled = {}
    reference, identical = None, True
    for round_index in range(rounds):
        for name, workers in EXECUTORS:
            out = scratch / f"{name}-{workers}-{round_index}"
            started = perf_counter()
            outcome = sweep.run(config, out, executor=name, workers=workers)
            walls[name, workers].append(perf_counter() - started)
            workers_compiled.update(outcome.compiled["workers"])
            if reference is None:
                reference = out
            else:
                identical &= same_results(reference, out)
                shutil.rmtree(out)
            print(f"   round {round_index + 1}: {name} x {workers}: {walls[name, workers][-1]:7.2f} s "
                  f"(load {_load()})", flush=True)
    return {"runs": outcome.ran, "walls": walls, "identical": identical, "driver_compiled": driver_compiled,
            "workers_compiled": workers_compiled}


def main(argv=None):
    """Run the report; return the exit status (1 if a worker compiled or the results differ)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPOSITORY / "examples" / "tune-paper.toml")
    parser.add_argument("--t-max", type=float, help="replace every run's simulated seconds")
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds of the three executors")
    parser.add_argument("--quick", action="store_true", help="a tiny tuning sweep, as a smoke test")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    text = _QUICK_SWEEP if args.quick else configuration_text(args.config, args.t_max)
    print(f"sweep: {'quick' if args.quick else args.config}{'' if args.t_max is None else f', t_max = {args.t_max:g}'}"
          f"; {os.cpu_count()} CPUs; load average {_load()}")
    scratch = Path(tempfile.mkdtemp(prefix="ringbench-sweep-scaling-"))
    try:
        figures = measure(text, args.rounds, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    walls = figures["walls"]
    best = {executor: min(values) for executor, values in walls.items()}
    median = {executor: statistics.median(values) for executor, values in walls.items()}
    print(f"\n{figures['runs']} runs per sweep, {args.rounds} round(s); wall seconds, best / median:")
    for name, workers in walls:
        print(f"   {name:<6} {workers} worker(s): {best[name, workers]:7.2f} / {median[name, workers]:7.2f}")
    one, two, dask = ("local", 1), ("local", 2), ("dask", 2)
    print(f"local(1) / local(2): {best[one] / best[two]:.2f} best, {median[one] / median[two]:.2f} median "
          "(goal: at least 1.8)")
    print(f"dask(2) / local(2):  {best[dask] / best[two]:.2f} best, {median[dask] / median[two]:.2f} median "
          "(goal: at most 1.1)")
    compiled = sorted(worker for worker, flag in figures["workers_compiled"].items() if flag)
    print(f"results identical on every executor: {figures['identical']}")
    print(f"driver compiled: {figures['driver_compiled']}; workers that compiled: {len(compiled)} of "
          f"{len(figures['workers_compiled'])} {compiled or ''}")
    print(f"load average at the end: {_load()}")
    return 0 if figures["identical"] and not compiled else 1


if __name__ == "__main__":
    sys.exit(main())
