"""Pieces shared by the subcommands: the parser class, the common options, and building a problem from them."""

import argparse
import sys
from pathlib import Path

from .. import datasets, experiments, extensions, timing
from ..problems import Logistic, Problem, Quadratic, splits

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_TARGET = 1e-3
INTERRUPTED = 130  # the shell's status for a run stopped by Ctrl-C
PROBLEMS = ("worst-case", "random-dense", "logistic")


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit status 2."""

    def error(self, message):
        """Print ``message`` in one line and exit with status 2."""
        self.exit(2, f"ringbench: error: {message}\n")


def add_common(parser):
    """Options every simulating subcommand takes: workers, dimension, timing, budget, seed, output.

    ``--n``, ``--t-max`` and ``--target`` default to None: the subcommand fills in the
    setting's values.
    """
    parser.add_argument("--n", type=int, help="number of workers (default: the setting's)")
    parser.add_argument("--d", type=int, default=experiments.PAPER_D,
                        help="quadratic: dimension (default: %(default)s)")
    parser.add_argument("--timing", metavar="PROFILE",
                        help=f"timing profile: {', '.join(timing.PROFILES)} (default: the setting's)")
    parser.add_argument("--t-max", type=float, help="simulated-time budget in seconds (default: the setting's)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument("--target", type=float, help="||grad f||^2 level for the time-to-target column "
                                                     "(default: the setting's)")
    parser.add_argument("--out", type=Path, help="directory to write results into")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def add_dataset_options(parser):
    """Which LIBSVM dataset, and where to find it."""
    parser.add_argument("--dataset", default="a9a", help="logistic: a registered dataset, a9a or w8a "
                                                         "(default: %(default)s)")
    parser.add_argument("--data-path", type=Path, help="logistic: file or directory to look in first "
                                                       "(then $RINGBENCH_DATA, ./data, the data cache)")
    parser.add_argument("--no-download", action="store_true",
                        help="never download a missing dataset (as $RINGBENCH_OFFLINE=1)")
    parser.add_argument("--storage", default="csr", help="logistic: csr (default) or dense features")


def assignments(flag, items):
    """``{key: value}`` of ``KEY=VALUE`` items, each value read as in TOML (``0.5``, ``3``, ``true``, ``"text"``)."""
    parsed = {}
    for item in items or ():
        key, equals, text = item.partition("=")
        key = key.strip()
        if not equals or not key.isidentifier():
            raise ValueError(f"{flag} takes KEY=VALUE with a Python name as KEY, got {item!r}")
        try:
            parsed[key] = tomllib.loads(f"value = {text.strip()}")["value"]
        except tomllib.TOMLDecodeError:
            raise ValueError(f"{flag} {key}: {text.strip()!r} is not a TOML value (a number, true/false, or a "
                             "quoted string)") from None
    return parsed


def add_problem_options(parser):
    """Every problem option of ``ringbench run``."""
    parser.add_argument("--problem", default="worst-case",
                        help=f"one of: {', '.join(PROBLEMS)} (default: %(default)s, the paper's quadratic), or a "
                             "plug-in: package.module:Class or path/to/file.py:Class")
    parser.add_argument("--problem-param", action="append", metavar="KEY=VALUE",
                        help="a plug-in problem's constructor argument (repeatable)")
    parser.add_argument("--condition-number", type=float, default=100.0, help="random-dense: condition number")
    parser.add_argument("--noise-std", type=float, default=experiments.PAPER_NOISE_STD,
                        help="quadratic: gradient noise s (default: %(default)s)")
    parser.add_argument("--noise", default="scalar", help="quadratic: scalar (the papers') or isotropic")
    parser.add_argument("--heterogeneity", type=float,
                        help="quadratic: give each worker its own b_i = b + heterogeneity * z_i")
    add_dataset_options(parser)
    parser.add_argument("--lam", type=float, default=experiments.LOGISTIC_LAM,
                        help="logistic: regularisation lambda (default: %(default)s)")
    parser.add_argument("--regularizer", default="l2", help="logistic: l2 (default) or nonconvex")
    parser.add_argument("--batch", type=int, default=1, help="logistic: minibatch size b (default: %(default)s)")
    parser.add_argument("--without-replacement", action="store_true",
                        help="logistic: draw each minibatch without replacement")
    parser.add_argument("--split", help=f"logistic: split the samples over the workers: {', '.join(splits.SPLITS)}")
    parser.add_argument("--alpha", type=float, default=experiments.HETEROGENEOUS_ALPHA,
                        help="logistic --split dirichlet: concentration alpha (default: %(default)s)")


def problem_from(args, n):
    """The problem ``args`` describe (``--problem`` and its options), for ``n`` workers."""
    parameters = assignments("--problem-param", args.problem_param)
    if extensions.is_plugin_name(args.problem):
        return extensions.load(args.problem, base=Problem, what="problem")(**parameters)
    if parameters:
        raise ValueError(f"--problem-param is for plug-in problems; {args.problem!r} takes its own options")
    if args.problem in ("worst-case", "random-dense"):
        if args.problem == "worst-case":
            problem = Quadratic.worst_case(args.d, noise_std=args.noise_std, noise=args.noise)
        else:
            problem = Quadratic.random_dense(args.d, condition_number=args.condition_number, seed=args.seed,
                                             noise_std=args.noise_std, noise=args.noise)
        if args.heterogeneity is None:
            return problem
        return problem.split_randomly(n, heterogeneity=args.heterogeneity, seed=args.seed)
    if args.problem != "logistic":
        raise ValueError(f"unknown problem {args.problem!r}; choose one of {', '.join(map(repr, PROBLEMS))}")
    partition = None
    if args.split is not None:
        labels = datasets.load(args.dataset, path=args.data_path).y
        partition = splits.split(args.split, labels, n, alpha=args.alpha, seed=args.seed)
    return Logistic.from_dataset(args.dataset, path=args.data_path, storage=args.storage, lam=args.lam,
                                 regularizer=args.regularizer, batch=args.batch,
                                 replacement=not args.without_replacement, partition=partition)
