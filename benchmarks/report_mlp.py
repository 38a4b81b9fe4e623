"""Side-by-side speed of the MLP's minibatch gradient: ringbench's jitted kernel over NumPy (BLAS).

Run ``python benchmarks/report_mlp.py [--rounds R]`` from the repository root. For
the 784-32-10 and 784-128-10 networks at batch 1, 4, 32 and 100 it prints the CPU
time per gradient of both implementations of ``bench_mlp`` and the ratio
jitted / NumPy (ratio of the medians of ``R`` interleaved rounds, each round
1 to 10 ms per implementation). The target is a ratio of at most 1.5 at batch 4
and 100.

BLAS runs on one thread, as in the asv suite: the script restarts itself with
``OPENBLAS_NUM_THREADS=1`` (and the OMP/MKL equivalents) unless ``OPENBLAS_NUM_THREADS`` is
already set; set it to compare against multithreaded BLAS instead (CPU time then
counts every BLAS thread). Compare figures within one run, not across machines.
"""

import argparse
import os
import sys

_ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_SIZES = ((32, 1), (32, 4), (32, 32), (32, 100), (128, 1), (128, 4), (128, 32), (128, 100))
_CALLS = {1: 200, 4: 200, 32: 20, 100: 10}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds per size (default 15)")
    arguments = parser.parse_args()
    if "OPENBLAS_NUM_THREADS" not in os.environ:
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **dict.fromkeys(_ONE_THREAD, "1")})
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

    import ringbench
    from benchmarks import bench_mlp

    print(f"ringbench from {os.path.dirname(ringbench.__file__)}; OPENBLAS_NUM_THREADS="
          f"{os.environ['OPENBLAS_NUM_THREADS']}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'network':>10} {'batch':>5} {'jitted us':>10} {'numpy us':>10} {'ratio':>6}")
    for hidden, batch in _SIZES:
        bench = bench_mlp.MLPGradient()
        bench_mlp.CALLS.setdefault((hidden, batch), max(1, _CALLS[batch] * 32 // hidden))
        bench.setup(hidden, batch)
        times = {}

        def timed(name, function, times=times, bench=bench):
            def run():
                started = bench_mlp.common.TIMER()
                function()
                times.setdefault(name, []).append((bench_mlp.common.TIMER() - started) / bench.count)
            return run

        ratio = bench_mlp.side_by_side(timed("numba", bench._numba), timed("numpy", bench._numpy), arguments.rounds)
        median = {name: sorted(values)[len(values) // 2] * 1e6 for name, values in times.items()}
        print(f"{f'784-{hidden}-10':>10} {batch:>5} {median['numba']:>10.1f} {median['numpy']:>10.1f} {ratio:>6.2f}")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
