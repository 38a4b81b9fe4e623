"""Memory of large runs: peak RSS against n * d * 8 bytes, page faults and wall time (issue 14, item 6).

Run ``python benchmarks/report_memory.py METHOD N D T_MAX [METHOD N D T_MAX ...]``, e.g.
``python benchmarks/report_memory.py asgd 1000000 200 2000 ringmaster 1000000 1729 100``. Each run is
one fresh interpreter simulating the method (the paper's tuned parameters, ``experiments.PAPER_TUNED``)
on the paper's worst-case quadratic of dimension D with the paper's timing model of N workers, seed 0.
It prints, per run: peak RSS (the child's ``ru_maxrss`` from ``os.wait4``, so nothing of this script's
own memory is counted), the ratio of peak RSS to n * d * 8 bytes (one snapshot per worker, the bound
ASGD may need), the minor page faults and the wall and system time of the ``simulate`` call alone
(``getrusage`` around it inside the child), and the run's arrivals.

A tiny warm-up child runs first so that the measured ones load compiled kernels instead of compiling
them. Runs are sequential: a full-size ASGD run (n = 10^6, d = 1729) needs about 14 GB.
"""

import json
import os
import sys

_CHILD = """
import json, resource, sys, time
import ringbench
from ringbench import experiments, methods
name, n, d, t_max = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
problem = experiments.paper_problem(d)
model = experiments.paper_timing(n)
method = methods.METHODS[name](**experiments.PAPER_TUNED[name])
before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
result = ringbench.simulate(problem, method, model, t_max=t_max, seed=0)
wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall": wall, "minflt": after.ru_minflt - before.ru_minflt,
                  "majflt": after.ru_majflt - before.ru_majflt, "stime": after.ru_stime - before.ru_stime,
                  "arrivals": result.counters["arrivals"], "final": float(result.grad_norm2[-1])}))
"""


def measure(name, n, d, t_max):
    """Run one simulation in a fresh interpreter; return its figures and the child's peak RSS in bytes."""
    read, write = os.pipe()
    pid = os.posix_spawn(sys.executable, [sys.executable, "-c", _CHILD, name, str(n), str(d), str(t_max)],
                         os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, write, 1)])
    os.close(write)
    with os.fdopen(read) as stream:
        out = stream.read()
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{name} n={n} d={d} t_max={t_max} failed with status {status}")
    figures = json.loads(out.strip().splitlines()[-1])
    figures["peak_bytes"] = usage.ru_maxrss * 1024  # KiB on Linux
    return figures


def main(argv=None):
    """Measure each (method, n, d, t_max) given on the command line and print one line each."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or len(argv) % 4:
        raise SystemExit(__doc__.split("\n\n")[1])
    measure("asgd", 16, 10, 5.0)  # warm-up: load or compile the kernels
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'method':<12}{'n':>9}{'d':>6}{'t_max':>7}{'peak MB':>10}{'/ n*d*8':>9}{'minflt':>11}"
          f"{'run s':>8}{'sys s':>7}{'arrivals':>11}")
    for at in range(0, len(argv), 4):
        name, n, d, t_max = argv[at], int(argv[at + 1]), int(argv[at + 2]), float(argv[at + 3])
        f = measure(name, n, d, t_max)
        print(f"{name:<12}{n:>9}{d:>6}{t_max:>7g}{f['peak_bytes'] / 1e6:>10.0f}{f['peak_bytes'] / (n * d * 8):>9.3f}"
              f"{f['minflt']:>11}{f['wall']:>8.2f}{f['stime']:>7.2f}{f['arrivals']:>11}", flush=True)


if __name__ == "__main__":
    main()
