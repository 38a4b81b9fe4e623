"""Cold compile of the main job (``ringbench compare``) against other source trees, side by side.

Each round runs, for every tree in turn, a fresh ``python -m ringbench compare --quiet
--t-max 1`` with ``PYTHONPATH`` at the tree and ``NUMBA_CACHE_DIR`` at a new, empty
directory, so the process compiles every kernel the main job touches (six methods, the
worst-case quadratic, the paper's timing) and simulates almost nothing. It records the
process's CPU time (user + system): the wall time of a compile on a shared machine says
more about the neighbours than about the compile. The table gives the median and best
over the rounds and each tree's median over the first tree's: compile times moved by
10-25 % between rounds on a shared 2-core machine and by far more between machines, so read
the ratios.

Issue 14's goal (at most 20 s CPU, from 39 s) is a ratio of 0.51 against 86431e1, the
last commit before the issue was filed, whose ``compare`` takes the same options::

    git worktree add /tmp/before-issue-14 86431e1
    python benchmarks/report_compile.py --rounds 3 /tmp/before-issue-14 .

asv times a smaller compile (one method, one problem) in ``bench_compile.FirstRun``.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from report_startup import alternating, print_medians

COMMAND = ["-m", "ringbench", "compare", "--quiet", "--t-max", "1"]


def cold_compile_cpu(tree):
    """CPU seconds (user + system) of ``COMMAND`` importing ringbench from ``tree``, with an empty numba cache."""
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
        environment = {**os.environ, "PYTHONPATH": str(tree), "NUMBA_CACHE_DIR": cache, "MPLBACKEND": "Agg"}
        # Run in the output directory: ``python -m`` puts the working directory first on sys.path.
        process = subprocess.Popen([sys.executable, *COMMAND, "--out", out], env=environment, cwd=out,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"ringbench compare failed with the sources in {tree} (exit status {status})")
        return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", type=Path, default=[Path(".")],
                        help="source trees holding a ringbench/ package; the first is the reference (default: .)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    trees = [tree.resolve() for tree in args.trees]
    for tree in trees:
        if not (tree / "ringbench" / "__init__.py").is_file():
            parser.error(f"{tree} holds no ringbench/ package")
    times = alternating(cold_compile_cpu, trees, args.rounds)
    print_medians(f"cold compile of compare (CPU s), {args.rounds} rounds", times, trees[0])


if __name__ == "__main__":
    main()
