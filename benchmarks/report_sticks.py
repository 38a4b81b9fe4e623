"""ringbench's per-event speed against the measuring sticks of ``../shared/bench``, side by side.

Vanilla ASGD on the Ringmaster paper's quadratic (n = 6174, d = 1729, the paper's timing
1 + sqrt(i) + |N(0, i + 1)|), with isotropic noise and with the papers' scalar noise. Each
round runs, in alternation, the lean Numba loop (``asgd_numba.py``, its ``--rng zig`` or
``--rng scalar``), ringbench in this process (kernels compiled or loaded beforehand), and for
isotropic noise the plain-Python reference (``asgd_ref_heapq.py``); the sticks run as
subprocesses from their own folder and print their events per second. The ratios of the
medians are what to read: the machine may be shared and noisy.

Run ``python benchmarks/report_sticks.py [--rounds 3] [--events 300000] [--sticks ../shared/bench]``.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import ringbench as rb

N, D = 6174, 1729


def stick(folder, script, events, *extra):
    """Events per second that a measuring stick reports."""
    done = subprocess.run([sys.executable, script, "--events", str(events), "--taus", "sqrt", *extra], cwd=folder,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["events_per_s"]


def ringbench_rate(noise, events):
    """Events per second of ringbench's ASGD (one update per event), compiled kernels only."""
    problem = rb.problems.Quadratic.worst_case(D, noise_std=0.01, noise=noise)
    timing = rb.timing.profile("paper", N)
    method = rb.methods.ASGD(gamma=1e-4)
    record = rb.Recording(every=events)
    rb.simulate(problem, method, timing, max_updates=1000, record=record)  # compile or load
    started = time.perf_counter()
    result = rb.simulate(problem, method, timing, max_updates=events, record=record)
    return result.counters["arrivals"] / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--sticks", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "bench")
    args = parser.parse_args()
    rates = {key: [] for key in ("stick isotropic", "ringbench isotropic", "python isotropic", "stick scalar",
                                 "ringbench scalar")}
    for _ in range(args.rounds):
        rates["stick isotropic"].append(stick(args.sticks, "asgd_numba.py", args.events, "--rng", "zig"))
        rates["ringbench isotropic"].append(ringbench_rate("isotropic", args.events))
        rates["python isotropic"].append(stick(args.sticks, "asgd_ref_heapq.py", max(args.events // 10, 20_000)))
        rates["stick scalar"].append(stick(args.sticks, "asgd_numba.py", 3 * args.events, "--rng", "scalar"))
        rates["ringbench scalar"].append(ringbench_rate("scalar", 3 * args.events))
    median = {key: statistics.median(values) for key, values in rates.items()}
    for key, value in median.items():
        print(f"{key:22s} {value:12,.0f} events/s  (rounds: {', '.join(f'{v:,.0f}' for v in rates[key])})")
    print(f"isotropic: ringbench / stick = {median['ringbench isotropic'] / median['stick isotropic']:.2f}, "
          f"ringbench / plain Python = {median['ringbench isotropic'] / median['python isotropic']:.1f}")
    print(f"scalar:    ringbench / stick = {median['ringbench scalar'] / median['stick scalar']:.2f}")


if __name__ == "__main__":
    main()
