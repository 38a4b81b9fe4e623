"""Pieces shared by the subcommands: the parser class and the common options."""

import argparse
from pathlib import Path

from .. import experiments, timing

DEFAULT_TARGET = 1e-3
INTERRUPTED = 130  # the shell's status for a run stopped by Ctrl-C


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit status 2."""

    def error(self, message):
        self.exit(2, f"ringbench: error: {message}\n")


def add_common(parser):
    """Options every simulating subcommand takes: workers, dimension, timing, budget, seed, output."""
    parser.add_argument("--n", type=int, default=experiments.PAPER_N, help="number of workers (default: %(default)s)")
    parser.add_argument("--d", type=int, default=experiments.PAPER_D, help="dimension (default: %(default)s)")
    parser.add_argument("--timing", default="paper", metavar="PROFILE",
                        help=f"timing profile: {', '.join(timing.PROFILES)} (default: %(default)s)")
    parser.add_argument("--t-max", type=float, default=experiments.PAPER_T_MAX,
                        help="simulated-time budget in seconds (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument("--target", type=float, default=DEFAULT_TARGET,
                        help="||grad f||^2 level for the time-to-target column (default: %(default)s)")
    parser.add_argument("--out", type=Path, help="directory to write results into")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
