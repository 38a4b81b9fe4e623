"""``ringbench run``: simulate one method and print a summary."""

from .. import _validate, experiments, methods, timing
from ..simulation import simulate
from .common import DEFAULT_TARGET, INTERRUPTED, add_common, add_problem_options, problem_from


def register(commands):
    run = commands.add_parser("run", help="simulate one method and print a summary")
    run.add_argument("--method", required=True, help=f"one of: {', '.join(methods.METHODS)}")
    run.add_argument("--gamma", type=float, help="stepsize")
    run.add_argument("--eps", type=float, help="theory mode: derive the unset parameters for this target")
    run.add_argument("--threshold", "-R", type=float, help="Ringmaster's threshold R (integer >= 1)")
    run.add_argument("-S", type=float, dest="S", help="Rennala's and Malenia's batch size S (integer >= 1)")
    run.add_argument("--buffer", "-K", type=float, help="FedBuff's arrivals per update K (integer >= 1)")
    run.add_argument("--phase1-hm-target", type=float, help="Ringleader's phase-1 harmonic-mean target (>= 1)")
    run.add_argument("--no-stops", action="store_true",
                     help="Ringmaster/Rennala/Malenia: discard stale gradients on arrival instead of stopping jobs")
    run.add_argument("--max-updates", type=int, help="update budget")
    run.add_argument("--stop-at-target", action="store_true", help="stop once ||grad f||^2 <= --target")
    add_problem_options(run)
    add_common(run)
    run.set_defaults(handler=handle)


def _method_from(args):
    parameters = {"gamma": args.gamma, "eps": args.eps, "threshold": args.threshold, "batch": args.S,
                  "buffer": args.buffer, "phase1_hm_target": args.phase1_hm_target}
    if args.method in ("ringmaster", "rennala", "malenia"):
        parameters["stops"] = not args.no_stops
    return methods.get(args.method, **{key: value for key, value in parameters.items() if value is not None})


def handle(args):
    method = _method_from(args)
    n = args.n if args.n is not None else (
        experiments.LOGISTIC_N if args.problem == "logistic" else experiments.PAPER_N)
    model = timing.profile(args.timing or "paper", n)
    target = DEFAULT_TARGET if args.target is None else args.target
    t_max = _validate.real("t_max", experiments.PAPER_T_MAX if args.t_max is None else args.t_max, positive=True)
    problem = problem_from(args, n)
    result = simulate(problem, method, model, t_max=t_max,
                      max_updates=args.max_updates, target=target if args.stop_at_target else None, seed=args.seed,
                      progress=not args.quiet)
    print(result.summary())
    if result.diverged_at:
        print(f"diverged at t={result.diverged_at['time']:.6g}, k={result.diverged_at['iteration']}")
    reached = result.time_to(target)
    print(f"time to ||grad f||^2 <= {target:g}: " + ("not reached" if reached is None else f"{reached:.6g} s"))
    if args.out:
        paths = result.save(args.out / method.name)
        print("wrote " + ", ".join(str(path) for path in paths))
    return INTERRUPTED if result.status == "interrupted" else 0
