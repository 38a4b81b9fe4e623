"""Start-up of the command line against a bare interpreter, side by side.

Each round runs, in alternation, fresh processes of ``python -c pass`` (the floor no
command can beat), ``python -c "import ringbench"``, ``python -m ringbench --help`` and a
tiny ``ringbench run`` (ASGD, n = 4, d = 8, 5 simulated seconds; its kernels loaded from
numba's cache, which a first untimed run fills), and records each one's wall time. The
table gives the median and best over the rounds and the ratio of the medians to the bare
interpreter's: the machine may be shared and noisy, so read the ratios.

Run ``python benchmarks/report_startup.py [--rounds 10]`` with the ringbench to measure
importable (``PYTHONPATH=<tree>``); hyperfine gives the same figures:
``hyperfine -N 'python -c pass' 'python -m ringbench --help'``.
"""

import argparse
import statistics
import subprocess
import sys
import time

TINY_RUN = ["-m", "ringbench", "run", "--method", "asgd", "--gamma", "0.01", "--n", "4", "--d", "8", "--t-max", "5",
            "--quiet"]
#: What is timed, by label: the interpreter's arguments.
COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "import ringbench": ["-c", "import ringbench"],
    "ringbench --help": ["-m", "ringbench", "--help"],
    "ringbench run (tiny)": TINY_RUN,
}


def wall_time(arguments):
    """Seconds from starting ``python arguments`` to its exit (which must be 0)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, *arguments], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def alternating(measure, subjects, rounds):
    """``{subject: [measure(subject) in each round]}``, all subjects in turn within each round.

    On a shared machine the load drifts; alternating makes the drift hit every subject alike.
    """
    times = {subject: [] for subject in subjects}
    for _ in range(rounds):
        for subject in subjects:
            times[subject].append(measure(subject))
    return times


def print_medians(title, times, reference, *, scale=1.0):
    """Print each subject's median and best of ``times`` (times ``scale``) and its median over ``reference``'s."""
    floor = statistics.median(times[reference])
    print(f"{title:40} {'median':>9} {'best':>9} {'/ ' + str(reference):>17}")
    for subject, values in times.items():
        median = statistics.median(values)
        print(f"{str(subject):40} {median * scale:9.2f} {min(values) * scale:9.2f} {median / floor:16.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    wall_time(TINY_RUN)  # compile or load the tiny run's kernels once, untimed
    times = alternating(lambda label: wall_time(COMMANDS[label]), COMMANDS, args.rounds)
    print_medians(f"wall time (ms), {args.rounds} rounds", times, "python -c pass", scale=1e3)


if __name__ == "__main__":
    main()
