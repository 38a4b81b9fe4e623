"""``ringbench run``: simulate one method and print a summary."""

from .. import experiments, methods, timing
from ..problems import Quadratic
from ..simulation import simulate
from .common import INTERRUPTED, add_common


def register(commands):
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
    add_common(run)
    run.set_defaults(handler=handle)


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


def handle(args):
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
    return INTERRUPTED if result.status == "interrupted" else 0
