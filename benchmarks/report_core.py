"""``ringbench compare`` end to end in fresh processes: wall time and peak RSS, compiling and from the cache.

Run ``python benchmarks/report_core.py [--quick] [--reuse-cache]``. It runs the command
``ringbench compare --quiet`` (the six methods on the Ringmaster paper's setup, 2000
simulated seconds; ``--quick``: 100) twice, each in a fresh interpreter, and prints each
one's wall time and peak RSS: Python start-up, imports, kernels compiled or loaded, the
runs and the table. By default numba's cache is a new, empty directory, so the first
run compiles and the second loads; ``--reuse-cache`` (the default with ``--quick``) keeps
the existing cache. What asv measures better lives in the suite: events per second
(``bench_events.Events``), the engine's overhead over the bare arithmetic
(``bench_overhead.EngineOverhead``), peak memory against n up to 10^6 workers
(``bench_scaling.Workers``, profile ``large``), and compile and cache-load time of a
tiny run (``bench_compile``). The machine may be shared: the load average is printed.

Peak RSS is ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` taken in a minimal launcher
interpreter whose only child is the measured command (:func:`run_child`).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

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


def run_child(command, env=None):
    """Run ``command`` under a small launcher; return (exit code, stdout, stderr, wall seconds, peak RSS in KiB).

    Linux carries a process's peak RSS across ``exec`` (and a forked child starts with its
    parent's), so a child forked straight from this process would report at least this
    process's own peak. The launcher is a bare interpreter that spawns the command, times
    it and reports ``getrusage(RUSAGE_CHILDREN)``.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        completed = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, *command], stdout=out, stderr=err, env=env)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    lines = stdout.rstrip("\n").split("\n")
    if completed.returncode != 0 or not lines[-1].startswith(_LAUNCHER_MARK):
        raise RuntimeError(f"launcher failed for {' '.join(command)} (exit status {completed.returncode}):\n{stderr}")
    measured = json.loads(lines[-1][len(_LAUNCHER_MARK):])
    return measured["code"], "\n".join(lines[:-1]), stderr, measured["wall"], measured["maxrss_kib"]


def compare_runs(t_max=None, cache_dir=None):
    """``ringbench compare --quiet`` twice in fresh interpreters; a list of {label, wall, peak_rss_kib}.

    ``cache_dir``: numba's cache directory for both (default: the inherited one).
    """
    command = [sys.executable, "-m", "ringbench", "compare", "--quiet"]
    if t_max is not None:
        command += ["--t-max", repr(float(t_max))]
    env = dict(os.environ) if cache_dir is None else {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}
    runs = []
    for label in ("first (empty cache: compiles)" if cache_dir is not None else "first (existing cache)",
                  "second (cache hit)"):
        code, _, stderr, wall, rss = run_child(command, env=env)
        if code != 0:
            raise RuntimeError(f"{' '.join(command)} failed with exit status {code}:\n{stderr}")
        runs.append({"label": label, "wall": wall, "peak_rss_kib": rss})
    return runs


def main(argv=None):
    """Run the report; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 simulated seconds and the existing cache")
    parser.add_argument("--reuse-cache", action="store_true", help="keep the existing numba cache")
    args = parser.parse_args(argv)
    fresh = not (args.quick or args.reuse_cache)
    print(f"load average {os.getloadavg()}; numba cache: {'new, empty' if fresh else 'existing'}")
    cache_dir = tempfile.mkdtemp(prefix="ringbench-report-numba-") if fresh else None
    try:
        runs = compare_runs(t_max=100.0 if args.quick else None, cache_dir=cache_dir)
    finally:
        if cache_dir is not None:
            shutil.rmtree(cache_dir, ignore_errors=True)
    print(f"`ringbench compare --quiet{' --t-max 100' if args.quick else ''}` in a fresh interpreter:")
    for run in runs:
        print(f"   {run['label']:<32} {run['wall']:6.2f} s  (peak RSS {run['peak_rss_kib'] / 1024:.0f} MiB)")
    print(f"load average at the end {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
