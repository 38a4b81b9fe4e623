"""Command line: ``ringbench run`` (one method) and ``ringbench compare`` (the paper's experiment).

Bad input is reported in one line on stderr with exit status 2, before any
compilation or long work.
"""

import argparse
import json
import sys
from pathlib import Path

from . import experiments, methods, plotting, timing
from .simulation import simulate
from .problems import Quadratic

DEFAULT_TARGET = 1e-3


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit status 2."""

    def error(self, message):
        self.exit(2, f"ringbench: error: {message}\n")


def _add_common(parser):
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


def _parser():
    parser = _Parser(prog="ringbench", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="simulate one method and print a summary")
    run.add_argument("--method", required=True, help=f"one of: {', '.join(methods.METHODS)}")
    run.add_argument("--gamma", type=float, help="stepsize")
    run.add_argument("--eps", type=float, help="theory mode: derive the unset parameters for this target")
    run.add_argument("--threshold", "-R", type=float, help="Ringmaster's threshold R (integer >= 1)")
    run.add_argument("--batch", "-S", type=float, help="Rennala's batch size S (integer >= 1)")
    run.add_argument("--no-stops", action="store_true",
                     help="Ringmaster/Rennala: discard stale gradients on arrival instead of stopping jobs")
    run.add_argument("--problem", default="worst-case", help="worst-case (the paper's quadratic) or random-dense")
    run.add_argument("--condition-number", type=float, default=100.0, help="random-dense: condition number")
    run.add_argument("--noise-std", type=float, default=experiments.PAPER_NOISE_STD, help="gradient noise s")
    run.add_argument("--noise", default="scalar", help="scalar (the papers') or isotropic")
    run.add_argument("--max-updates", type=int, help="update budget")
    run.add_argument("--stop-at-target", action="store_true", help="stop once ||grad f||^2 <= --target")
    _add_common(run)

    compare = commands.add_parser("compare", help="the Ringmaster paper's quadratic experiment: table and plot")
    compare.add_argument("--methods", default=",".join(experiments.COMPARED),
                         help="comma-separated methods (default: %(default)s)")
    compare.add_argument("--theory", type=float, metavar="EPS",
                         help="theory-mode parameters for this eps instead of the paper's tuned ones")
    _add_common(compare)
    return parser


def _method_from(args):
    parameters = {"gamma": args.gamma, "eps": args.eps, "threshold": args.threshold, "batch": args.batch}
    if args.method in ("ringmaster", "rennala"):
        parameters["stops"] = not args.no_stops
    return methods.get(args.method, **{key: value for key, value in parameters.items() if value is not None})


def _problem_from(args):
    if args.problem == "worst-case":
        return Quadratic.worst_case(args.d, noise_std=args.noise_std, noise=args.noise)
    if args.problem == "random-dense":
        return Quadratic.random_dense(args.d, condition_number=args.condition_number, seed=args.seed,
                                      noise_std=args.noise_std, noise=args.noise)
    raise ValueError(f"unknown problem {args.problem!r}; choose one of 'worst-case', 'random-dense'")


def _run(args):
    method = _method_from(args)
    problem = _problem_from(args)
    model = timing.profile(args.timing, args.n)
    result = simulate(problem, method, model, t_max=args.t_max, max_updates=args.max_updates,
                      target=args.target if args.stop_at_target else None, seed=args.seed, progress=not args.quiet)
    print(result.summary())
    if result.diverged_at:
        print(f"diverged at t={result.diverged_at['time']:.6g}, k={result.diverged_at['iteration']}")
    reached = result.time_to(args.target)
    print(f"time to ||grad f||^2 <= {args.target:g}: " + ("not reached" if reached is None else f"{reached:.6g} s"))
    if args.out:
        paths = result.save(args.out / method.name)
        print("wrote " + ", ".join(str(path) for path in paths))
    return 130 if result.status == "interrupted" else 0


def _compare(args):
    if args.target <= 0:
        raise ValueError(f"target must be > 0, got {args.target}")
    names = [name.strip() for name in args.methods.split(",") if name.strip()]
    chosen = experiments.paper_methods(names, eps=args.theory)
    problem = experiments.paper_problem(args.d)
    model = timing.profile(args.timing, args.n)
    results = experiments.compare(chosen, problem, model, t_max=args.t_max, seed=args.seed, progress=not args.quiet)
    rows = experiments.summary(results, args.target)
    print(f"{problem!r}; n = {args.n} workers ({args.timing} timing); {args.t_max:g} simulated seconds; seed {args.seed}")
    print(experiments.format_table(rows, args.target))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for result in results:
            result.save(args.out / result.method)
        (args.out / "summary.json").write_text(json.dumps(
            {"target": args.target, "rows": rows, "problem": problem.describe(), "timing": model.describe(),
             "t_max": args.t_max, "seed": args.seed}, indent=2))
        figure = plotting.convergence(results, title=f"{problem.name}, n = {args.n}, {args.timing} timing")
        plot = plotting.save(figure, args.out / "compare.png")
        print(f"wrote {args.out / 'summary.json'}, {plot} and one result per method in {args.out}")
    return 130 if results and results[-1].status == "interrupted" else 0


def main(argv=None):
    """Entry point of the ``ringbench`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return _run(args) if args.command == "run" else _compare(args)
    except ValueError as error:
        print(f"ringbench: error: {error}", file=sys.stderr)
        return 2
