"""Nanoseconds per normal draw: ringbench's stream versions 1 and 2 and the measuring stick, side by side.

Run ``python benchmarks/report_rng.py [--rounds 7] [--draws 1000000] [--stick PATH]``. It times, in
this one process and interleaved round by round (CPU time, ``time.process_time``), about ``--draws``
standard normal draws per measurement, for each of

* **vector** noise, d = 1729 (the Ringmaster paper's quadratic) and d = 10^4: a job's d-vector
  added into a gradient, ``out += s z``, one job after another (worker k mod 64, job k).
  ``v1``: the isotropic loop of ``quadratic_stochastic_gradient`` today, ``rng.normals`` (a Philox
  block and Box-Muller per four draws). ``v2``: ``rng.fill_normals`` (one Philox block per job, then
  xoshiro256++ and a 256-layer ziggurat). ``stick``: ``fill_normal_zig`` of the measuring stick
  (``/work/shared/bench/rng_nb.py``: xoshiro256+ and a ziggurat), which *writes* one sequential
  stream into the vector: no per-job key and no addition.
* **scalar**: one draw per job (the papers' scalar noise, half-normal durations).
  ``v1``: ``rng.normals(...)[0]``; ``v2``: ``rng.job_normal``; ``stick``: ``normal_zig``, the next
  draw of its one sequential stream (no per-job key: a lower bound, not a like-for-like figure).

The stick is imported from its file at run time (``--stick``, default ``../shared/bench/rng_nb.py``
beside the repository); it is never copied into ringbench. Without it its column is left out.
Printed: the minimum and median over the rounds of each figure, and the ratios of the medians
(v1 / v2: the speed-up; v2 / stick: the distance to the stick). The machine may be shared: compare
figures within one run only.
"""

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import numba
import numpy as np

from ringbench.engine import rng

if __package__ in (None, ""):  # run as a script: make the benchmarks package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.bench_rng import SCALE, scalar_v1, scalar_v2, vector_v1, vector_v2  # noqa: E402

_DEFAULT_STICK = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "rng_nb.py"


def _stick_loops(path):
    """The stick's vector and scalar loops, jitted here around its kernels (imported from ``path``)."""
    spec = importlib.util.spec_from_file_location("rng_nb", path)
    stick = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stick)
    fill, draw = stick.fill_normal_zig, stick.normal_zig
    tables = (stick.ZIG_K, stick.ZIG_W, stick.ZIG_F)
    state = stick.seed_state(1)

    @numba.njit(nogil=True)
    def vector(state, k, w, f, jobs, out):
        for _ in range(jobs):
            fill(out, state, k, w, f)

    @numba.njit(nogil=True)
    def scalar(state, k, w, f, jobs):
        total = 0.0
        for _ in range(jobs):
            total += draw(state, k, w, f)
        return total

    return (lambda jobs, out: vector(state, *tables, jobs, out)), (lambda jobs: scalar(state, *tables, jobs))


def _cases(draws, stick):
    """``{(use, generator): (function, draws it makes)}``; every function is compiled by one small call first."""
    key = rng.key_from_seed(np.random.SeedSequence(0))
    cases = {}
    for d in (1729, 10**4):
        out, jobs = np.zeros(d), max(1, draws // d)
        cases[(f"vector d={d}", "v1")] = (lambda out=out, jobs=jobs: vector_v1(key, jobs, out, SCALE), jobs * d)
        cases[(f"vector d={d}", "v2")] = (lambda out=out, jobs=jobs: vector_v2(key, jobs, out, SCALE), jobs * d)
        if stick:
            cases[(f"vector d={d}", "stick")] = (lambda out=out, jobs=jobs: stick[0](jobs, out), jobs * d)
    cases[("scalar", "v1")] = (lambda: scalar_v1(key, draws), draws)
    cases[("scalar", "v2")] = (lambda: scalar_v2(key, draws), draws)
    if stick:
        cases[("scalar", "stick")] = (lambda: stick[1](draws), draws)
    # Compile (or load) everything before any timing.
    vector_v1(key, 1, np.zeros(4), 1.0)
    vector_v2(key, 1, np.zeros(4), 1.0)
    scalar_v1(key, 1)
    scalar_v2(key, 1)
    if stick:
        stick[0](1, np.zeros(4))
        stick[1](1)
    return cases


def measure(draws=10**6, rounds=7, stick_path=_DEFAULT_STICK):
    """Ns per draw of every case, one list of ``rounds`` figures each, the cases interleaved round by round."""
    stick = _stick_loops(stick_path) if stick_path and Path(stick_path).is_file() else None
    cases = _cases(draws, stick)
    figures = {case: [] for case in cases}
    for _ in range(rounds):
        for case, (function, count) in cases.items():
            started = time.process_time()
            function()
            figures[case].append((time.process_time() - started) / count * 1e9)
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10**6, help="normal draws per measurement (default 10^6)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument("--stick", default=str(_DEFAULT_STICK), help="path of the measuring stick's rng_nb.py")
    args = parser.parse_args(argv)
    if not Path(args.stick).is_file():
        print(f"measuring stick not found at {args.stick}: its column is left out")
    figures = measure(args.draws, args.rounds, args.stick)
    generators = [g for g in ("v1", "v2", "stick") if any(case[1] == g for case in figures)]
    uses = list(dict.fromkeys(case[0] for case in figures))
    print(f"ns per normal draw, min / median of {args.rounds} interleaved rounds, about {args.draws:,} draws each "
          f"(ringbench stream version {rng.STREAM_VERSION} is v2)")
    header = f"{'':16s}" + "".join(f"{g:>17s}" for g in generators) + f"{'v1 / v2':>10s}"
    header += f"{'v2 / stick':>12s}" if "stick" in generators else ""
    print(header)
    for use in uses:
        medians = {g: statistics.median(figures[(use, g)]) for g in generators}
        row = f"{use:16s}" + "".join(f" {min(figures[(use, g)]):7.2f} / {medians[g]:6.2f}" for g in generators)
        row += f"{medians['v1'] / medians['v2']:10.2f}"
        if "stick" in generators:
            row += f"{medians['v2'] / medians['stick']:12.2f}"
        print(row)


if __name__ == "__main__":
    main()
