"""Scale report of ringbench: sweep throughput per executor, the seeds-batch speed-up, and n = 10^6 workers.

Run ``python benchmarks/report_scale.py [--quick] [--config TOML] [--json PATH]``. It measures:

1. **Sweep throughput.** The sweep ``examples/sweep-quadratic.toml`` (90 runs of the paper's
   quadratic, n in {100, 1000, 6174}, 500 simulated seconds) run end to end by
   ``ringbench.sweep.run`` into a fresh directory with each executor: local processes (2 and 1),
   a dask LocalCluster (2 single-threaded workers) and threads (2). Reported: wall time, runs per
   minute, and the executor's own start-up and shut-down time (measured separately, with an empty
   sweep's worth of work: spawn, import, kernel cache load), and whether every result file holds
   the same bits as the first executor's.
2. **Seeds-batch speed-up.** ``ringbench.sweep.simulate_seeds`` on the paper's setup (Ringmaster,
   gamma = 0.25, R = 6, n = 6174, d = 1729, 500 simulated seconds) for 8 seeds, with 1 thread and
   with 2 threads (best of 2 each); the results of both must be bit-identical, and equal to
   ``ringbench.simulate`` run alone for the first seeds.
3. **n = 10^6 workers.** Ringmaster (gamma = 0.25, R = 6) on the quadratic with d = 1729 for
   100 simulated seconds, and vanilla ASGD in theory mode (eps = 0.01, so gamma = 1 / (2 n L))
   with d = 100 for 2000 simulated seconds, each in a fresh subprocess: events per second
   (arrivals, and arrivals plus cancelled jobs, over the simulation's wall time) and peak RSS,
   next to a subprocess that only builds the problem and timing model. Peak RSS is measured as in
   ``benchmarks/report_core.py`` (a launcher's ``RUSAGE_CHILDREN``).

Every kernel is compiled (or loaded from the cache) in this process first, so executors load, not
compile. ``--quick`` shrinks everything to a smoke test. The machine may be shared: the load
average is printed at the start and the end.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from time import perf_counter

import numpy as np
from report_core import run_child  # the peak-RSS launcher
from report_sweep_scaling import same_results

REPOSITORY = Path(__file__).resolve().parents[1]
_FULL = dict(config=REPOSITORY / "examples" / "sweep-quadratic.toml", batch_seeds=8, batch_t_max=500.0,
             batch_n=6174, batch_d=1729, scale_n=10**6, ringmaster_t_max=100.0, asgd_t_max=2000.0)
_QUICK = dict(config=None, batch_seeds=4, batch_t_max=50.0, batch_n=500, batch_d=200, scale_n=10**4,
              ringmaster_t_max=20.0, asgd_t_max=100.0)
_QUICK_SWEEP = """
name = "quick"
n = [50, 200]
t_max = 100.0
checkpoints = 50
[seeds]
root = 1
replicates = 3
[[problems]]
name = "worst-case"
d = 300
[[timings]]
name = "paper"
[[methods]]
name = "ringmaster"
gamma = 0.25
threshold = [1, 6]
[[methods]]
name = "asgd"
gamma = 0.001
"""
_EXECUTORS = (("local", 2), ("dask", 2), ("threads", 2), ("local", 1))

# Run in a fresh interpreter by item 3; prints one JSON line.
_SCALE_CHILD = """
import json, sys
from time import perf_counter
import ringbench
from ringbench import methods, problems, timing
kind, n, t_max = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
d = 1729 if kind == "ringmaster" else 100
problem = problems.Quadratic.worst_case(d)
model = timing.profile("paper", n)
method = methods.Ringmaster(gamma=0.25, threshold=6) if kind == "ringmaster" else methods.ASGD(eps=0.01)
out = {"d": d}
if t_max > 0:
    started = perf_counter()
    result = ringbench.simulate(problem, method, model, t_max=t_max, seed=0)
    out.update(run_seconds=perf_counter() - started, counters=result.counters, status=result.status,
               resolved=result.config["resolved"])
print(json.dumps(out))
"""


def _load():
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def sweep_throughput(config_path, scratch):
    """Item 1: each executor runs the whole sweep into a fresh directory."""
    from ringbench import sweep

    config = sweep.load(config_path)
    runs = len({spec.run_id for spec in config.specs()})
    rows, reference = [], None
    for executor, workers in _EXECUTORS:
        started = perf_counter()
        with sweep.open_executor(executor, workers=workers):
            ready = perf_counter()
        startup = {"start": ready - started, "stop": perf_counter() - ready}
        out = scratch / f"{executor}-{workers}"
        started = perf_counter()
        outcome = sweep.run(config, out, executor=executor, workers=workers)
        wall = perf_counter() - started
        assert outcome.ran == runs
        same = True if reference is None else same_results(reference, out)
        reference = reference or out
        rows.append({"executor": executor, "workers": workers, "runs": runs, "wall": wall,
                     "runs_per_minute": 60.0 * runs / wall, "startup": startup,
                     "runs_per_minute_without_startup": 60.0 * runs / max(wall - sum(startup.values()), 1e-9),
                     "identical_to_first": same})
        print(f"   {executor:<8} {workers} workers: {wall:7.2f} s  {rows[-1]['runs_per_minute']:7.1f} runs/min  "
              f"(start {startup['start']:.2f} s + stop {startup['stop']:.2f} s; without them "
              f"{rows[-1]['runs_per_minute_without_startup']:.1f} runs/min)  identical: {same}")
    return {"config": str(config_path), "runs": runs, "executors": rows}


def seeds_batch(config):
    """Item 2: simulate_seeds with 1 and 2 threads."""
    import ringbench
    from ringbench import methods, problems, sweep, timing

    problem = problems.Quadratic.worst_case(config["batch_d"])
    model = timing.profile("paper", config["batch_n"])
    method = methods.Ringmaster(gamma=0.25, threshold=6)
    seeds = np.random.SeedSequence(2025).spawn(config["batch_seeds"])
    walls, results = {}, {}
    for threads in (1, 2, 1, 2):
        started = perf_counter()
        results[threads] = sweep.simulate_seeds(problem, method, model, seeds, threads=threads,
                                                t_max=config["batch_t_max"])
        walls.setdefault(threads, []).append(perf_counter() - started)
    identical = all(a.grad_norm2.tobytes() == b.grad_norm2.tobytes() and a.x.tobytes() == b.x.tobytes()
                    and a.counters == b.counters for a, b in zip(results[1], results[2]))
    alone = [ringbench.simulate(problem, method, model, seed=seed, t_max=config["batch_t_max"]) for seed in seeds[:2]]
    identical_alone = all(a.x.tobytes() == b.x.tobytes() and a.grad_norm2.tobytes() == b.grad_norm2.tobytes()
                          for a, b in zip(alone, results[2]))
    events = sum(result.counters["arrivals"] + result.counters["cancelled"] for result in results[2])
    best = {threads: min(samples) for threads, samples in walls.items()}
    out = {"seeds": len(seeds), "n": config["batch_n"], "d": config["batch_d"], "t_max": config["batch_t_max"],
           "walls": walls, "best": best, "speedup": best[1] / best[2], "events": events,
           "identical_1_vs_2_threads": identical, "identical_to_alone": identical_alone}
    print(f"   {len(seeds)} seeds, Ringmaster n = {config['batch_n']}, d = {config['batch_d']}, "
          f"t_max = {config['batch_t_max']:g}: 1 thread {best[1]:.2f} s, 2 threads {best[2]:.2f} s -> speed-up "
          f"{out['speedup']:.2f}x; bit-identical 1 vs 2 threads: {identical}, to runs alone: {identical_alone}")
    return out


def scale(config):
    """Item 3: n = 10^6 workers, Ringmaster d = 1729 and ASGD d = 100, in fresh subprocesses."""
    n = config["scale_n"]
    child = [sys.executable, "-c", _SCALE_CHILD]
    out = {"n": n}
    code, stdout, stderr, wall, rss = run_child([*child, "asgd", "16", "5"])  # load the kernels once
    if code != 0:
        raise RuntimeError(f"warm-up child failed:\n{stderr}")
    for kind, t_max in (("ringmaster", config["ringmaster_t_max"]), ("asgd", config["asgd_t_max"])):
        measured = {}
        for label, budget in (("baseline", 0.0), ("run", t_max)):
            code, stdout, stderr, wall, rss = run_child([*child, kind, str(n), str(budget)])
            if code != 0:
                raise RuntimeError(f"{kind} child failed with exit status {code}:\n{stderr}")
            measured[label] = {"peak_rss_kib": rss, "wall": wall, **json.loads(stdout.strip().splitlines()[-1])}
        run = measured["run"]
        counters = run["counters"]
        run["events_per_second"] = counters["arrivals"] / run["run_seconds"]
        run["events_and_cancels_per_second"] = (counters["arrivals"] + counters["cancelled"]) / run["run_seconds"]
        out[kind] = {"t_max": t_max, **measured}
        print(f"   {kind:<10} d = {run['d']:<5} t_max = {t_max:g}: {counters['arrivals']:,} arrivals, "
              f"{counters['cancelled']:,} cancelled, {counters['updates']:,} updates in {run['run_seconds']:.2f} s "
              f"-> {run['events_per_second']:,.0f} arrivals/s, {run['events_and_cancels_per_second']:,.0f} "
              f"(arrivals + cancelled)/s; peak RSS {run['peak_rss_kib'] / 1024:.0f} MiB (import + problem + "
              f"timing only: {measured['baseline']['peak_rss_kib'] / 1024:.0f} MiB); status {run['status']}")
    return out


def main(argv=None):
    """Run the report; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--config", type=Path, help="the sweep for item 1 (default: examples/sweep-quadratic.toml)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write every figure to PATH as JSON")
    args = parser.parse_args(argv)
    config = dict(_QUICK if args.quick else _FULL)
    from ringbench import __version__
    from ringbench.sweep.executors import available_cores
    from ringbench.sweep.task import warm_up

    started = perf_counter()
    report = {"mode": "quick" if args.quick else "full", "cores": available_cores(), "load_average_start": _load(),
              "ringbench": __version__}
    print(f"ringbench {__version__}; {report['cores']} cores; load average {report['load_average_start']}")
    warm_up()
    scratch = Path(tempfile.mkdtemp(prefix="ringbench-report-scale-"))
    try:
        config_path = args.config or config["config"]
        if config_path is None:
            config_path = scratch / "quick.toml"
            config_path.write_text(_QUICK_SWEEP)
        print(f"\n1. Sweep throughput ({config_path}), end to end including start-up and result files")
        report["sweep"] = sweep_throughput(config_path, scratch)
        print("\n2. Seeds batch in one process (ringbench.sweep.simulate_seeds)")
        report["batch"] = seeds_batch(config)
        print(f"\n3. Scale: n = {config['scale_n']:,} workers, fresh subprocesses")
        report["scale"] = scale(config)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report["load_average_end"] = _load()
    report["total_seconds"] = perf_counter() - started
    print(f"\nload average at the end {report['load_average_end']}; report took {report['total_seconds']:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
