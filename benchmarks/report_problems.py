"""Side-by-side speed and memory figures for the logistic and heterogeneous-data work (issues 3 and 4).

Run ``python benchmarks/report_problems.py [--data DIR]``; it prints:

1. the minibatch stochastic gradient's time per sample on a9a (CSR) and on a dense
   synthetic set of the same shape (N = 32560, d = 123), batch sizes 1 and 32;
2. engine events per second of the ``logistic`` compare setting (a9a, n = 1000,
   the paper's timing) for ASGD and Ringmaster, and of Ringleader on the
   ``heterogeneous`` setting (a9a split over n = 100 workers);
3. the memory of Ringleader's per-worker tables (table + buffer, n x d float64 each)
   at n = 10^4 and 10^5 workers with d = 123, allocated for real.

Timings are medians of repeated calls in this one process; compare figures within a
run, not across machines.
"""

import argparse
import os
import statistics
import time

import numpy as np


def _median_seconds(function, repeats=5):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _gradient_loop():
    """A jitted loop of ``jobs`` stochastic gradients, so no Python call overhead is timed (not cached)."""
    import numba

    from ringbench.engine.protocol import stochastic_gradient

    @numba.njit(nogil=True)
    def loop(data, key, x, out, jobs):
        for job in range(jobs):
            stochastic_gradient(data, key, x, job % 97, job, out)

    return loop


def gradient_per_sample(loop, problem, batch, jobs=100_000):
    """Seconds per sample of the jitted minibatch gradient, ``jobs`` jobs at a fixed point."""
    from ringbench.engine.rng import key_from_seed
    from ringbench.problems import Logistic

    batched = Logistic(problem._features, problem.labels, lam=problem.lam, batch=batch)
    data, key = batched.data(), key_from_seed(np.random.SeedSequence(0))
    x, out = np.full(problem.d, 0.01), np.zeros(problem.d)
    loop(data, key, x, out, 1)
    return _median_seconds(lambda: loop(data, key, x, out, jobs)) / (jobs * batch)


def events_per_second(problem, method, timing, t_max):
    import ringbench as rb

    rb.simulate(problem, method, timing, t_max=t_max / 100, record=rb.Recording(times=2))  # compile or load
    started = time.perf_counter()
    result = rb.simulate(problem, method, timing, t_max=t_max, record=rb.Recording(times=2))
    elapsed = time.perf_counter() - started
    events = result.counters["arrivals"] + result.counters["cancelled"]
    return events / elapsed, events, elapsed


def table_memory(n, d):
    """Bytes of Ringleader's table, buffer and bookkeeping for n workers."""
    from ringbench.engine.tables import new_tables

    return sum(array.nbytes for array in new_tables(n, d, buffer=True))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="directory holding a9a (default: $RINGBENCH_DATA)")
    args = parser.parse_args()
    if args.data:
        os.environ["RINGBENCH_DATA"] = args.data
    from ringbench import datasets, experiments, methods
    from ringbench.problems import Logistic

    a9a = experiments.logistic_problem("a9a")
    features, labels = datasets.synthetic(a9a.n_samples, a9a.d, seed=0)
    dense = Logistic(features, labels, lam=a9a.lam)
    print("1. minibatch stochastic gradient (incl. grad r(x) and drawing the samples), time per sample")
    loop = _gradient_loop()
    for batch in (1, 32):
        sparse_time, dense_time = gradient_per_sample(loop, a9a, batch), gradient_per_sample(loop, dense, batch)
        print(f"   b = {batch:2d}: a9a CSR (avg {a9a.data().csr_data.size / a9a.n_samples:.1f} nonzeros/row) "
              f"{sparse_time * 1e9:6.0f} ns;  dense synthetic 32560 x 123 {dense_time * 1e9:6.0f} ns")
    print("2. engine events per second (arrivals + cancellations)")
    timing = experiments.paper_timing(experiments.LOGISTIC_N)
    for name in ("asgd", "ringmaster"):
        rate, events, elapsed = events_per_second(a9a, methods.get(name, **experiments.LOGISTIC_TUNED[name]), timing,
                                                  experiments.PAPER_T_MAX)
        print(f"   {name:10s} on a9a, n = 1000, paper timing: {rate:12,.0f} events/s ({events:,} in {elapsed:.2f} s)")
    split = experiments.heterogeneous_problem("a9a")
    ringleader = methods.get("ringleader", **experiments.HETEROGENEOUS_TUNED["ringleader"])
    rate, events, elapsed = events_per_second(split, ringleader, experiments.heterogeneous_timing(),
                                              experiments.HETEROGENEOUS_T_MAX)
    print(f"   ringleader on a9a split over 100 workers (Dirichlet 0.1, b = 4): {rate:12,.0f} events/s "
          f"({events:,} in {elapsed:.2f} s)")
    print("3. Ringleader's tables (table + buffer), d = 123")
    for n in (10**4, 10**5):
        print(f"   n = {n:>7,}: {table_memory(n, 123) / 2**20:8.1f} MiB "
              f"(2 n d 8 bytes = {2 * n * 123 * 8 / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
