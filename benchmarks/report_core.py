"""Core performance report of ringbench: speed, engine overhead, end-to-end time and memory.

Run ``python benchmarks/report_core.py [--quick] [--memory-only] [--json PATH]``. It measures, on the
Ringmaster paper's setup (``ringbench.experiments``: worst-case quadratic with d = 1729, n = 6174
workers with 1 + sqrt(i) + |N(0, i + 1)| second jobs, the paper's tuned stepsizes, 2000 simulated
seconds, seed 0):

1. **Events per second of each method.** Wall time of ``ringbench.simulate`` per method (best of a
   few repetitions, after every kernel was compiled or loaded from the cache by a tiny warm-up run),
   with the run's arrivals, updates and cancelled jobs; events/s = arrivals / wall, and
   (arrivals + cancelled)/s, since a cancelled job also costs a duration draw and a heap update.
2. **Engine overhead ratio.** Engine wall time per applied update divided by the time per iteration
   of the bare arithmetic: a tight ``numba.njit`` loop doing one
   ``ringbench.problems.kernels.stochastic_gradient`` on the same problem and ``x -= gamma * g``.
   Both are measured side by side, interleaved over a few repetitions (minimum and median are
   reported, the machine may be shared). Reported for ASGD and delay-adaptive ASGD (every event is an
   applied update) and, separately, for Ringmaster, whose calculation stops cancel about n / R jobs
   per update. Diagnostic components break the ASGD engine time down: the same arithmetic evaluated
   at stale copies of x held in an n-row pool (the memory traffic of ASGD's snapshot pool), the
   snapshot attach/detach primitives, a duration draw plus heap update per event, the engine on 8
   workers (snapshot pool in cache), the engine with a single checkpoint and the fixed cost of one
   ``simulate`` call.
3. **Wall time of the whole comparison** ``experiments.compare(paper_methods(), ...)`` in process,
   excluding compilation, and of the command ``ringbench compare --quiet`` in a fresh subprocess, run
   twice (Python start-up, imports, cache load and the run; the first of the two also compiles when
   the numba cache is empty).
4. **Memory.** Peak RSS of a fresh subprocess running Ringmaster (gamma = 0.25, R = 6) with
   n = 10**6 workers and d = 1729 for a short simulated time, next to a subprocess that only imports
   ringbench and builds the problem and timing model, and to the n * d * 8 bytes that one snapshot
   per worker would need. Peak RSS is ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` (KiB on Linux) taken in
   a minimal launcher interpreter whose only child is the measured process: Linux carries the peak RSS
   across fork and exec, so a child started straight from this script would report at least the
   script's own peak. A tiny warm-up child runs first so the measured one loads, not compiles, kernels.

By default the script compiles into a private, empty numba cache (``NUMBA_CACHE_DIR`` pointed at a
temporary directory), so the first ``ringbench compare`` subprocess includes compilation and the
second is a cache hit. ``--reuse-cache`` (the default with ``--quick``) uses the existing cache.
``--quick`` shrinks every size so the script smoke-tests in well under a minute once the kernels are cached;
``--memory-only`` runs item 4 alone; ``--json PATH`` writes every figure.

Timings on a shared or small machine are noisy; the one-line load average printed at the start and
end says how busy it was.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter

_FULL = dict(t_max=2000.0, repeats=5, compare_repeats=3, memory_n=10**6, memory_t_max=100.0,
             cli_args=(), small_n=8)
_QUICK = dict(t_max=100.0, repeats=2, compare_repeats=1, memory_n=10**4, memory_t_max=20.0,
              cli_args=("--t-max", "100"), small_n=8)
_TARGET_RATIO = 1.5
_TARGET_COMPARE_SECONDS = 5.0
_TARGET_MEMORY_BYTES = 10**9

# Run in a fresh interpreter by item 4; prints one JSON line.
_MEMORY_CHILD = """
import json, sys
from time import perf_counter
started = perf_counter()
import ringbench
from ringbench import experiments, methods, timing
n, t_max = int(sys.argv[1]), float(sys.argv[2])
problem = experiments.paper_problem()
model = timing.profile("paper", n)
out = {"setup_seconds": perf_counter() - started}
if t_max > 0:
    started = perf_counter()
    result = ringbench.simulate(problem, methods.Ringmaster(gamma=0.25, threshold=6), model, t_max=t_max, seed=0)
    out.update(run_seconds=perf_counter() - started, counters=result.counters, status=result.status)
print(json.dumps(out))
"""


_LAUNCHER_MARK = "@report-core-launcher "
_LAUNCHER = f"""
import json, os, resource, sys, time
started = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)
_, status, _ = os.wait4(pid, 0)
wall = time.perf_counter() - started
sys.stdout.flush()
print({_LAUNCHER_MARK!r} + json.dumps({{"code": os.waitstatus_to_exitcode(status), "wall": wall,
      "maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}}))
"""


def _run_child(command):
    """Run ``command`` under a small launcher; return (exit code, stdout, stderr, wall seconds, peak RSS in KiB).

    Linux carries a process's peak RSS across ``exec`` (and a forked child starts with its parent's), so
    a child forked straight from this process would report at least this process's own peak. The launcher
    is a bare interpreter that spawns the command, times it and reports ``getrusage(RUSAGE_CHILDREN)``.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        completed = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, *command], stdout=out, stderr=err)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    lines = stdout.rstrip("\n").split("\n")
    if completed.returncode != 0 or not lines[-1].startswith(_LAUNCHER_MARK):
        raise RuntimeError(f"launcher failed for {' '.join(command)} (exit status {completed.returncode}):\n{stderr}")
    measured = json.loads(lines[-1][len(_LAUNCHER_MARK):])
    return measured["code"], "\n".join(lines[:-1]), stderr, measured["wall"], measured["maxrss_kib"]


def _stats(samples):
    return {"min": min(samples), "median": statistics.median(samples), "samples": list(samples)}


# ----------------------------------------------------------------------------- jitted reference loops

def _reference_kernels():
    """Compile-on-first-call reference loops, built on ringbench's own kernels (never cached)."""
    import numba

    from ringbench.engine import heap as heap_kernels
    from ringbench.engine.protocol import stochastic_gradient
    from ringbench.engine.snapshots import attach, detach, iterate_changed
    from ringbench.timing.kernels import finish_time

    @numba.njit(nogil=True)
    def bare_sgd(problem, key, x, gradient, gamma, iterations, n_workers):
        """The bare arithmetic: one stochastic gradient at x and x -= gamma * g per iteration."""
        for k in range(iterations):
            stochastic_gradient(problem, key, x, k % n_workers, k // n_workers, gradient)
            for i in range(x.size):
                x[i] -= gamma * gradient[i]

    @numba.njit(nogil=True)
    def stale_sgd(problem, key, x, gradient, gamma, iterations, n_workers, pool):
        """The same arithmetic at stale points: row k % rows holds x from `rows` updates ago.

        After the update x is written back into the row just read, as the engine's restart does
        with the slot its arriving job just released.
        """
        rows = pool.shape[0]
        for k in range(iterations):
            row = pool[k % rows]
            stochastic_gradient(problem, key, row, k % n_workers, k // n_workers, gradient)
            for i in range(x.size):
                x[i] -= gamma * gradient[i]
            for i in range(x.size):
                row[i] = x[i]

    @numba.njit(nogil=True)
    def snapshot_churn(snapshots, x, iterations, n_workers, first_iteration):
        """Per update: release one worker's snapshot and attach it to a new iterate (a copy of x)."""
        for k in range(iterations):
            worker = k % n_workers
            detach(snapshots, worker)
            iterate_changed(snapshots)
            attach(snapshots, worker, x, first_iteration + k)

    @numba.njit(nogil=True)
    def draw_durations(timing, key, iterations, n_workers):
        """Only the duration draws of the events."""
        total = 0.0
        for k in range(iterations):
            total += finish_time(timing, key, k % n_workers, k // n_workers, 0.0)
        return total

    @numba.njit(nogil=True)
    def fill_heap(queue, timing, key, jobs):
        for worker in range(jobs.size):
            queue.keys[worker] = finish_time(timing, key, worker, 0, 0.0)
            queue.ids[worker] = worker
            queue.pos[worker] = worker
            jobs[worker] = 1
        queue.size[0] = jobs.size
        heap_kernels.heapify(queue)

    @numba.njit(nogil=True)
    def event_skeleton(queue, timing, key, jobs, iterations):
        """The event loop without arithmetic: take the earliest worker, draw its next duration, update the heap."""
        for _ in range(iterations):
            worker = queue.ids[0]
            job = jobs[worker]
            jobs[worker] = job + 1
            heap_kernels.update(queue, worker, finish_time(timing, key, worker, job, queue.keys[0]))

    return dict(bare_sgd=bare_sgd, stale_sgd=stale_sgd, snapshot_churn=snapshot_churn,
                draw_durations=draw_durations, fill_heap=fill_heap, event_skeleton=event_skeleton)


# ----------------------------------------------------------------------------- measurements

def _warm_up(kernels):
    """Compile (or load from the cache) every kernel the measurements use; return the seconds it took."""
    import numpy as np

    import ringbench
    from ringbench import experiments
    from ringbench.engine.heap import new_heap
    from ringbench.engine.rng import key_from_seed
    from ringbench.engine.snapshots import new_snapshots

    started = perf_counter()
    problem = experiments.paper_problem()
    small = ringbench.timing.profile("paper", 16)
    for method in experiments.paper_methods():
        ringbench.simulate(problem, method, small, t_max=20.0, seed=0)
    ringbench.simulate(problem, experiments.paper_methods(["asgd"])[0], small, t_max=20.0, seed=0,
                       record=ringbench.Recording(times=[20.0]))
    ringbench.simulate(problem, experiments.paper_methods(["asgd"])[0], small, max_updates=10, seed=0)
    library = perf_counter() - started

    key = key_from_seed(np.random.SeedSequence(0))
    x, gradient = problem.x0.copy(), np.zeros(problem.d)
    kernels["bare_sgd"](problem.data(), key, x, gradient, 1e-3, 2, 4)
    kernels["stale_sgd"](problem.data(), key, x, gradient, 1e-3, 2, 4, np.zeros((2, problem.d)))
    kernels["snapshot_churn"](new_snapshots(4, problem.d, 4), x, 8, 4, 0)
    kernels["draw_durations"](small.data(), key, 2, 4)
    queue, jobs = new_heap(small.n), np.zeros(small.n, dtype=np.int64)
    kernels["fill_heap"](queue, small.data(), key, jobs)
    kernels["event_skeleton"](queue, small.data(), key, jobs, 4)
    return library, perf_counter() - started - library


def _events_per_second(config):
    """Item 1: each method on the paper's setup, best of ``repeats`` runs."""
    import ringbench
    from ringbench import experiments

    problem, timing = experiments.paper_problem(), experiments.paper_timing()
    rows = {}
    for _ in range(config["repeats"]):
        for method in experiments.paper_methods():
            started = perf_counter()
            result = ringbench.simulate(problem, method, timing, t_max=config["t_max"], seed=0)
            wall = perf_counter() - started
            row = rows.setdefault(method.name, {"walls": []})
            row["walls"].append(wall)
            row.update(arrivals=result.counters["arrivals"], updates=result.counters["updates"],
                       cancelled=result.counters["cancelled"], status=result.status)
    for row in rows.values():
        row["wall"] = min(row["walls"])
        row["wall_median"] = statistics.median(row["walls"])
        row["events_per_second"] = row["arrivals"] / row["wall"]
        row["events_and_cancels_per_second"] = (row["arrivals"] + row["cancelled"]) / row["wall"]
    return rows


def _engine_overhead(config, kernels):
    """Item 2: engine time per applied update against the bare arithmetic, interleaved repetitions."""
    import numpy as np

    import ringbench
    from ringbench import experiments
    from ringbench.engine.heap import new_heap
    from ringbench.engine.rng import key_from_seed
    from ringbench.engine.snapshots import new_snapshots

    problem, timing = experiments.paper_problem(), experiments.paper_timing()
    data, n, d, t_max = problem.data(), timing.n, problem.d, config["t_max"]
    key = key_from_seed(np.random.SeedSequence(0))
    asgd, adaptive, ringmaster = experiments.paper_methods(["asgd", "delay-adaptive-asgd", "ringmaster"])
    gamma = asgd.gamma
    small = ringbench.timing.profile("paper", config["small_n"])
    one_checkpoint = ringbench.Recording(times=[t_max])
    iterations = ringbench.simulate(problem, asgd, timing, t_max=t_max, seed=0).counters["updates"]

    def engine(method, model=timing, **options):
        budget = {"t_max": t_max} | options

        def run():
            started = perf_counter()
            result = ringbench.simulate(problem, method, model, seed=0, **budget)
            return perf_counter() - started, result.counters
        return run

    def bare():
        x, gradient = problem.x0.copy(), np.zeros(d)
        started = perf_counter()
        kernels["bare_sgd"](data, key, x, gradient, gamma, iterations, n)
        return perf_counter() - started, {"updates": iterations}

    def stale():
        x, gradient, pool = problem.x0.copy(), np.zeros(d), np.tile(problem.x0, (n, 1))
        started = perf_counter()
        kernels["stale_sgd"](data, key, x, gradient, gamma, iterations, n, pool)
        return perf_counter() - started, {"updates": iterations}

    def churn():
        snapshots, x = new_snapshots(n, d, n), problem.x0.copy()
        kernels["snapshot_churn"](snapshots, x, n, n, 0)  # every worker holds a slot: the steady state
        started = perf_counter()
        kernels["snapshot_churn"](snapshots, x, iterations, n, n)
        return perf_counter() - started, {"updates": iterations}

    def durations():
        started = perf_counter()
        kernels["draw_durations"](timing.data(), key, iterations, n)
        return perf_counter() - started, {"updates": iterations}

    def skeleton():
        queue, jobs = new_heap(n), np.zeros(n, dtype=np.int64)
        kernels["fill_heap"](queue, timing.data(), key, jobs)
        started = perf_counter()
        kernels["event_skeleton"](queue, timing.data(), key, jobs, iterations)
        return perf_counter() - started, {"updates": iterations}

    runs = {
        "bare": bare,
        "asgd": engine(asgd),
        "delay-adaptive-asgd": engine(adaptive),
        "ringmaster": engine(ringmaster),
        "stale": stale,
        "churn": churn,
        "durations": durations,
        "skeleton": skeleton,
        "asgd_one_checkpoint": engine(asgd, record=one_checkpoint),
        "asgd_small_n": engine(asgd, small, t_max=None, max_updates=iterations),
        "asgd_one_update": engine(asgd, t_max=None, max_updates=1),
    }
    walls, counters = {name: [] for name in runs}, {}
    for _ in range(config["repeats"]):
        for name, run in runs.items():
            wall, counters[name] = run()
            walls[name].append(wall)

    def per_update(name, count="updates"):
        return {statistic: value / counters[name][count] * 1e6 for statistic, value in
                (("min", min(walls[name])), ("median", statistics.median(walls[name])))}

    times = {name: per_update(name) for name in runs}
    # simulate's fixed cost (validation, array set-up, result and provenance), spread over the K updates
    times["fixed_amortized"] = {statistic: value / iterations
                                for statistic, value in times["asgd_one_update"].items()}
    bare_us = times["bare"]
    ratios = {}
    for name in ("asgd", "delay-adaptive-asgd", "ringmaster"):
        ratios[name] = {statistic: times[name][statistic] / bare_us[statistic] for statistic in ("min", "median")}
    ringmaster_counts = counters["ringmaster"]
    ringmaster_events = ringmaster_counts["arrivals"] + ringmaster_counts["cancelled"]
    return {
        "iterations": iterations, "n": n, "d": d, "t_max": t_max, "small_n": config["small_n"],
        "repeats": config["repeats"], "walls": walls, "counters": counters,
        "us_per_update": times, "ratio": ratios, "target_ratio": _TARGET_RATIO,
        "ringmaster": {
            "updates": ringmaster_counts["updates"], "cancelled": ringmaster_counts["cancelled"],
            "cancelled_per_update": ringmaster_counts["cancelled"] / max(ringmaster_counts["updates"], 1),
            "n_over_R": n / ringmaster.threshold,
            "us_per_event": min(walls["ringmaster"]) / ringmaster_events * 1e6,
        },
    }


def _compare_wall(config):
    """Item 3, in process: the whole comparison, best of ``compare_repeats``."""
    from ringbench import experiments

    walls = []
    for _ in range(config["compare_repeats"]):
        started = perf_counter()
        results = experiments.compare(experiments.paper_methods(), experiments.paper_problem(),
                                      experiments.paper_timing(), t_max=config["t_max"], seed=0)
        walls.append(perf_counter() - started)
    return {"t_max": config["t_max"], "walls": walls, "wall": min(walls), "wall_median": statistics.median(walls),
            "statuses": {result.method: result.status for result in results},
            "target_seconds": _TARGET_COMPARE_SECONDS}


def _cli_runs(config, fresh_cache):
    """Item 3, end to end: ``ringbench compare --quiet`` twice in fresh interpreters."""
    command = [sys.executable, "-m", "ringbench", "compare", "--quiet", *config["cli_args"]]
    runs = []
    for index in range(2):
        code, out, err, wall, rss = _run_child(command)
        if code != 0:
            raise RuntimeError(f"{' '.join(command)} failed with exit status {code}:\n{err}")
        runs.append({"wall": wall, "peak_rss_kib": rss,
                     "label": ("first (empty cache: compiles)" if fresh_cache else "first (existing cache)")
                     if index == 0 else "second (cache hit)"})
    return {"command": " ".join(["ringbench", *command[3:]]), "runs": runs, "table": out.strip()}


def _memory(config):
    """Item 4: peak RSS of a large Ringmaster run and of a bare import, each in a fresh interpreter."""
    from ringbench import experiments

    n, t_max, d = config["memory_n"], config["memory_t_max"], experiments.PAPER_D
    out = {"n": n, "d": d, "t_max": t_max, "snapshots_per_worker_bytes": n * d * 8,
           "target_bytes": _TARGET_MEMORY_BYTES}
    # A tiny run first, so that the measured run loads compiled kernels instead of compiling them (which
    # would add the compiler's own memory) even when the numba cache started empty.
    for name, workers, budget in (("warm-up", 16, 5.0), ("baseline", n, 0.0), ("ringmaster", n, t_max)):
        code, stdout, stderr, wall, rss = _run_child([sys.executable, "-c", _MEMORY_CHILD, str(workers), str(budget)])
        if code != 0:
            raise RuntimeError(f"memory child ({name}) failed with exit status {code}:\n{stderr}")
        out[name] = {"peak_rss_kib": rss, "wall": wall, **json.loads(stdout.strip().splitlines()[-1])}
    out["run_minus_baseline_kib"] = out["ringmaster"]["peak_rss_kib"] - out["baseline"]["peak_rss_kib"]
    return out


# ----------------------------------------------------------------------------- printing

def _mib(kib):
    return f"{kib / 1024:.0f} MiB"


def _print_events(rows, t_max):
    print(f"\n1. Events per second on the paper's setup (n = 6174, d = 1729, t_max = {t_max:g} s, seed 0;"
          " wall = best of the repetitions, compilation excluded)")
    header = ("method", "wall (s)", "median (s)", "arrivals", "updates", "cancelled", "events/s",
              "(arr.+canc.)/s")
    lines = [header]
    for name, row in rows.items():
        lines.append((name, f"{row['wall']:.3f}", f"{row['wall_median']:.3f}", f"{row['arrivals']:,}",
                      f"{row['updates']:,}", f"{row['cancelled']:,}", f"{row['events_per_second']:,.0f}",
                      f"{row['events_and_cancels_per_second']:,.0f}"))
    _print_table(lines)


def _print_overhead(result):
    times, ratio = result["us_per_update"], result["ratio"]
    n, small_n = result["n"], result["small_n"]
    print(f"\n2. Engine overhead (K = {result['iterations']:,} updates = ASGD's in {result['t_max']:g} s; "
          f"{result['repeats']} interleaved repetitions; us per update, min / median)")
    print(f"   bare arithmetic (stochastic_gradient at x + x -= gamma g): {times['bare']['min']:.3f} / "
          f"{times['bare']['median']:.3f} us")
    for name in ("asgd", "delay-adaptive-asgd"):
        verdict = "meets" if ratio[name]["min"] <= result["target_ratio"] else "ABOVE"
        print(f"   {name:<20} engine {times[name]['min']:.3f} / {times[name]['median']:.3f} us per update -> "
              f"ratio {ratio[name]['min']:.2f} / {ratio[name]['median']:.2f}  ({verdict} target "
              f"<= {result['target_ratio']})")
    ring = result["ringmaster"]
    print(f"   {'ringmaster':<20} engine {times['ringmaster']['min']:.3f} / {times['ringmaster']['median']:.3f} us "
          f"per applied update -> ratio {ratio['ringmaster']['min']:.1f} / {ratio['ringmaster']['median']:.1f}")
    print(f"     Ringmaster with stops cancels {ring['cancelled_per_update']:.0f} jobs per update (n / R = "
          f"{ring['n_over_R']:.0f}): each update restarts every job started on the iterate R updates back, "
          "and every cancelled job needs a new duration draw and a heap update. That work is part of the "
          "algorithm, not engine overhead: per event (arrival or cancellation) it costs "
          f"{ring['us_per_event']:.3f} us.")
    print("   Breakdown of the ASGD engine time (us per update, min over repetitions):")
    engine = times["asgd"]["min"]
    stale_extra = times["stale"]["min"] - times["bare"]["min"]
    checkpoints = times["asgd"]["min"] - times["asgd_one_checkpoint"]["min"]
    parts = [
        ("bare arithmetic", times["bare"]["min"]),
        (f"stale-point memory traffic (same arithmetic at {n} pooled copies of x) - bare", stale_extra),
        ("duration draw + heap update per event (event skeleton)", times["skeleton"]["min"]),
        ("checkpoints: default 1000 - one", checkpoints),
        (f"fixed cost of a simulate call ({times['asgd_one_update']['min'] / 1e3:.1f} ms), spread over K updates",
         times["fixed_amortized"]["min"]),
    ]
    for label, value in parts:
        print(f"     {label:<84} {value:7.3f}  ({value / engine:5.1%})")
    rest = engine - sum(value for _, value in parts)
    print(f"     {'rest: rule, counters, snapshot refcounts, divergence norm in step, loop checks, driver':<84} "
          f"{rest:7.3f}  ({rest / engine:5.1%})")
    print(f"     {'= engine, ASGD, n = ' + str(n):<84} {engine:7.3f}")
    print("   For reference:")
    print(f"     {'duration draws alone (finish_time)':<84} {times['durations']['min']:7.3f}")
    print(f"     {'snapshot detach + attach (copy of x into a slot untouched for n updates)':<84} "
          f"{times['churn']['min']:7.3f}")
    print(f"     {'stale-point arithmetic (bare + pool traffic)':<84} {times['stale']['min']:7.3f}")
    print(f"     {'engine, ASGD on n = ' + str(small_n) + ' workers (snapshot pool fits in cache)':<84} "
          f"{times['asgd_small_n']['min']:7.3f}  (ratio {times['asgd_small_n']['min'] / times['bare']['min']:.2f})")
    print(f"     {'engine, ASGD, n = ' + str(n) + ', over the stale-point arithmetic':<84} "
          f"{'':7}  (ratio {engine / times['stale']['min']:.2f})")


def _print_compare(compare, cli):
    if compare is not None:
        verdict = "meets" if compare["wall"] < compare["target_seconds"] else "ABOVE"
        print(f"\n3. Whole comparison (6 methods, t_max = {compare['t_max']:g} s), in process, compilation excluded: "
              f"{compare['wall']:.2f} s (median {compare['wall_median']:.2f} s; {verdict} target "
              f"< {compare['target_seconds']:g} s)")
    if cli is not None:
        print(f"   `{cli['command']}` in a fresh subprocess (start-up, imports, cache, run):")
        for run in cli["runs"]:
            print(f"     {run['label']:<32} {run['wall']:6.2f} s  (peak RSS {_mib(run['peak_rss_kib'])})")


def _print_memory(memory):
    run, baseline = memory["ringmaster"], memory["baseline"]
    counters = run["counters"]
    verdict = "meets" if run["peak_rss_kib"] * 1024 < memory["target_bytes"] else "ABOVE"
    print(f"\n4. Memory: Ringmaster(gamma=0.25, R=6), n = {memory['n']:,} workers, d = {memory['d']}, "
          f"t_max = {memory['t_max']:g} s, fresh subprocess")
    print(f"   run: {counters['updates']:,} updates, {counters['cancelled']:,} cancelled jobs, "
          f"{run['run_seconds']:.2f} s simulation ({run['wall']:.2f} s with start-up)")
    print(f"   peak RSS of the run:                        {_mib(run['peak_rss_kib'])}  ({verdict} target < 1 GB)")
    print(f"   peak RSS of import + problem + timing only: {_mib(baseline['peak_rss_kib'])}")
    print(f"   difference (the simulation's own memory):   {_mib(memory['run_minus_baseline_kib'])}")
    print(f"   one snapshot per worker (n d 8 bytes):      {memory['snapshots_per_worker_bytes'] / 2**30:.1f} GiB")


def _print_table(lines):
    widths = [max(len(line[column]) for line in lines) for column in range(len(lines[0]))]
    for index, line in enumerate(lines):
        cells = [line[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(line[1:], widths[1:])]
        print("   " + "  ".join(cells))
        if index == 0:
            print("   " + "  ".join("-" * width for width in widths))


def _environment():
    import numba
    import numpy

    import ringbench

    commit = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(ringbench.__file__).parent, check=True).stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        pass
    return {"ringbench": ringbench.__version__, "commit": commit, "python": platform.python_version(),
            "numba": numba.__version__, "numpy": numpy.__version__, "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "numba_cache_dir": os.environ.get("NUMBA_CACHE_DIR")}


def _load():
    try:
        return list(os.getloadavg())
    except OSError:
        return None


# ----------------------------------------------------------------------------- main

def main(argv=None):
    """Run the report; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--memory-only", action="store_true", help="only the memory measurement (item 4)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write every figure to PATH as JSON")
    cache = parser.add_mutually_exclusive_group()
    cache.add_argument("--reuse-cache", dest="fresh_cache", action="store_false", default=None,
                       help="use the existing numba cache (default with --quick)")
    cache.add_argument("--fresh-cache", dest="fresh_cache", action="store_true",
                       help="compile into an empty private numba cache (default without --quick)")
    args = parser.parse_args(argv)
    config = dict(_QUICK if args.quick else _FULL)
    fresh_cache = (not args.quick) if args.fresh_cache is None else args.fresh_cache

    cache_dir = None
    if fresh_cache:
        if "numba" in sys.modules:
            raise RuntimeError("--fresh-cache must be decided before numba is imported")
        cache_dir = tempfile.mkdtemp(prefix="ringbench-report-numba-")
        os.environ["NUMBA_CACHE_DIR"] = cache_dir
    try:
        report = _report(args, config, fresh_cache)
    finally:
        if cache_dir is not None:
            shutil.rmtree(cache_dir, ignore_errors=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=float) + "\n")
        print(f"\nwrote {args.json}")
    return 0


def _report(args, config, fresh_cache):
    started = perf_counter()
    report = {"mode": "quick" if args.quick else "full", "fresh_cache": fresh_cache, "config": config,
              "load_average_start": _load()}
    environment = _environment()
    report["environment"] = environment
    print(f"ringbench {environment['ringbench']} ({environment['commit'] or 'no git'}), Python "
          f"{environment['python']}, numba {environment['numba']}, numpy {environment['numpy']}; "
          f"{environment['cpus']} CPUs ({environment['processor']}); load average {report['load_average_start']}")
    print(f"mode: {report['mode']}; numba cache: "
          + ("fresh private directory (everything compiled from the current source)" if fresh_cache
             else "existing"))

    if not args.memory_only:
        # The subprocesses go first, so that with a fresh cache the first one compiles.
        report["cli"] = _cli_runs(config, fresh_cache)
        kernels = _reference_kernels()
        library_seconds, reference_seconds = _warm_up(kernels)
        report["warm_up_seconds"] = {"ringbench": library_seconds, "reference_loops": reference_seconds}
        print(f"warm-up: ringbench kernels {library_seconds:.2f} s (cache load or compile), reference loops "
              f"compiled in {reference_seconds:.2f} s")
        report["events"] = _events_per_second(config)
        _print_events(report["events"], config["t_max"])
        report["overhead"] = _engine_overhead(config, kernels)
        _print_overhead(report["overhead"])
        report["compare"] = _compare_wall(config)
        _print_compare(report["compare"], report["cli"])
    report["memory"] = _memory(config)
    _print_memory(report["memory"])
    report["load_average_end"] = _load()
    report["total_seconds"] = perf_counter() - started
    print(f"\nload average at the end {report['load_average_end']}; report took {report['total_seconds']:.0f} s")
    return report


if __name__ == "__main__":
    sys.exit(main())
