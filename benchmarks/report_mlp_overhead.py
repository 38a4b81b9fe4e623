"""The engine's overhead per applied update on the MLP: ASGD's run time vs the bare gradient kernel in a loop.

Side by side in one process, CPU time, best of ``--repeats``:

1. ``simulate`` with vanilla ASGD on the E.2 problem (784-128-10, minibatch 4, n = 100
   workers) for ``--updates`` updates and two checkpoints, whose cost (a forward and
   backward pass over the training set each) is measured apart and subtracted. ASGD
   evaluates each job's gradient when the job starts, in factored form, and applies it
   from its factors on arrival (``Configuration.gradients_at_start``);
2. the problem's ``stochastic_gradient`` called in a jitted loop at one point, which
   stays in cache (the figure the overhead is a fraction of);
3. the same at the rows of an (n, d) array in turn: the gradient at a stale iterate
   that is no longer in cache, as an ASGD that stores n stale iterates must read it;
4. one pass x -= gamma * g over d coordinates, the update such an ASGD makes, and
   one copy of x into a snapshot row.

The overhead per update is (1) - (2), as a fraction of (2). (3) - (2) plus the pass
of (4) is what evaluating each gradient on arrival at a stored iterate would cost on
top of (2), before the copy of (4): the work the factored gradients avoid.

    python benchmarks/report_mlp_overhead.py --updates 100000
"""

import argparse
import time

import numpy as np
from numba import njit

from ringbench import Recording, experiments, simulate
from ringbench import methods as m
from ringbench.engine import protocol
from ringbench.engine.rng import key_from_seed


@njit
def gradient_loop(problem, key, points, calls, out):
    for job in range(calls):
        protocol.stochastic_gradient(problem, key, points[job % points.shape[0]], job % 100, job, out)


@njit
def checkpoint_once(problem, x):
    return protocol.metrics(problem, x)


@njit
def step_loop(x, direction, calls):
    for _ in range(calls):
        for i in range(x.size):
            x[i] -= 1e-12 * direction[i]


@njit
def copy_loop(x, rows, calls):
    for call in range(calls):
        row = rows[call % rows.shape[0]]
        for i in range(x.size):
            row[i] = x[i]


def best_time(function, repeats):
    """Least CPU time of ``repeats`` calls of ``function()``."""
    times = []
    for _ in range(repeats):
        started = time.process_time()
        function()
        times.append(time.process_time() - started)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=100000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.updates < 1 or args.repeats < 1:
        parser.error("--updates and --repeats must be >= 1")
    problem = experiments.ringleader_problem("mnist5k")
    timing = experiments.heterogeneous_timing()
    data, key = problem.data(), key_from_seed(np.random.SeedSequence(0))
    out, x = np.zeros(problem.d), problem.x0.copy()
    hot = problem.x0[np.newaxis, :]
    stale = np.tile(problem.x0, (timing.n, 1))
    gradient_loop(data, key, hot, 2, out), step_loop(x, out, 1), copy_loop(x, stale, 1), checkpoint_once(data, x)
    simulate(problem, m.get("asgd", gamma=0.01), timing, max_updates=10, record=Recording(every=10**9))

    calls = args.updates
    checkpoint = best_time(lambda: checkpoint_once(data, x), args.repeats)
    runs = []

    def engine():
        runs.append(simulate(problem, m.get("asgd", gamma=0.01), timing, max_updates=calls,
                             record=Recording(every=10**9)))

    engine_total = best_time(engine, args.repeats)
    applied = runs[-1].counters["applied"]
    per_update = (engine_total - 2 * checkpoint) / applied
    gradient_hot = best_time(lambda: gradient_loop(data, key, hot, calls, out), args.repeats) / calls
    gradient_stale = best_time(lambda: gradient_loop(data, key, stale, calls, out), args.repeats) / calls
    step = best_time(lambda: step_loop(x, out, calls), args.repeats) / calls
    copy = best_time(lambda: copy_loop(x, stale, calls), args.repeats) / calls

    overhead = per_update - gradient_hot
    lazy = gradient_stale - gradient_hot + step
    print(f"{problem!r}, {timing.n} workers; CPU time per applied update, best of {args.repeats}, {calls} updates")
    for label, seconds in (("ASGD in ringbench (checkpoints subtracted)", per_update),
                           ("bare gradient, point in cache", gradient_hot),
                           ("bare gradient, stale point out of cache", gradient_stale),
                           ("one pass x -= gamma g", step),
                           ("one copy of x into a snapshot row", copy)):
        print(f"  {label:<45} {seconds * 1e6:9.2f} us")
    print(f"engine overhead {overhead / gradient_hot:.1%} of the gradient's cost; evaluating on arrival at stored "
          f"iterates would add at least {lazy / gradient_hot:.1%} (stale read and step), and "
          f"{copy / gradient_hot:.1%} for the copy")

if __name__ == "__main__":
    main()
