"""``ringbench run``: simulate one method and print a summary."""

from .. import _validate, experiments, methods, timing
from ..simulation import simulate
from .common import (
    DEFAULT_TARGET,
    INTERRUPTED,
    add_common,
    add_problem_options,
    assignments,
    budget,
    capped,
    check_problem_options,
    checked_out,
    problem_from,
    with_availability,
    with_system,
    workers,
)

#: The method options of ``run``: flag -> the parameter it sets.
_METHOD_FLAGS = {"--gamma": "gamma", "--eps": "eps", "--threshold": "threshold", "-S": "S", "--buffer": "buffer",
                 "--phase1-hm-target": "phase1_hm_target", "--no-stops": "stops"}


def register(commands):
    run = commands.add_parser("run")  # its one-line help: cli.COMMANDS
    run.add_argument("--method", required=True, help=f"one of: {', '.join(methods.METHODS)}, or a plug-in: "
                                                       "package.module:Class or path/to/file.py:Class")
    run.add_argument("--param", action="append", metavar="KEY=VALUE",
                     help="any parameter of the method, e.g. a plug-in's (repeatable; values as in TOML)")
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
    run.add_argument("--trace", action="store_true",
                     help="record the event and update tables (saved with --out; see ringbench plot)")
    add_problem_options(run)
    add_common(run)
    run.set_defaults(handler=handle, parser=run)


def _method_from(args):
    """The method of ``--method`` with the parameters its flags set; a flag it has no parameter for is an error."""
    accepted = methods.parameters_of(args.method)
    if args.cap is not None:  # before the method's own parameter errors
        try:
            methods.check_cappable(args.method)
        except ValueError as error:
            raise ValueError(f"--cap: {error}") from None
    given = {"--gamma": args.gamma, "--eps": args.eps, "--threshold": args.threshold, "-S": args.S,
             "--buffer": args.buffer, "--phase1-hm-target": args.phase1_hm_target,
             "--no-stops": False if args.no_stops else None}
    parameters = {}
    for flag, value in given.items():
        if value is None:
            continue
        if _METHOD_FLAGS[flag] not in accepted:
            raise ValueError(f"{flag}: method {args.method!r} has no parameter {_METHOD_FLAGS[flag]}; its "
                             f"parameters are {', '.join(accepted)}")
        parameters[_METHOD_FLAGS[flag]] = value
    for key, value in assignments("--param", args.param).items():
        if key == "cap" and key not in accepted:  # a sweep's method table takes cap; the command line has --cap
            raise ValueError(f"--param cap: the concurrency cap is the option --cap C (for "
                             f"{', '.join(methods.CAPPABLE)})")
        if key in parameters:
            raise ValueError(f"--param {key} repeats a parameter its own flag already sets")
        parameters[key] = value
    return capped(args, methods.get(args.method, **parameters))


def handle(args):
    out = checked_out(args)
    if args.trace and out is None:
        raise ValueError("--trace records tables that only --out saves; give --out DIR too (or leave --trace out)")
    method = _method_from(args)
    check_problem_options(args)
    n = workers(args, experiments.LOGISTIC_N if args.problem == "logistic" else experiments.PAPER_N)
    model = with_system(args, timing.profile("paper" if args.timing is None else args.timing, n))
    target = _validate.real("--target", DEFAULT_TARGET if args.target is None else args.target, positive=True)
    t_max, max_updates = budget(args, model, experiments.PAPER_T_MAX if args.t_max is None else args.t_max,
                                args.max_updates)
    model = with_availability(args, model, t_max)
    seed = _validate.integer("--seed", args.seed, minimum=0)
    problem = problem_from(args, n)
    result = simulate(problem, method, model, t_max=t_max, max_updates=max_updates,
                      target=target if args.stop_at_target else None, seed=seed, progress=not args.quiet,
                      trace=args.trace)
    # Saved before anything is printed: a closed stdout (| head) or a signal while printing loses nothing.
    paths = result.save(out / method.name) if out else ()
    print(result.summary())
    reached = result.time_to(target)
    print(f"time to ||grad f||^2 <= {target:g}: " + ("not reached" if reached is None else f"{reached:.6g} s"))
    if paths:
        print("wrote " + ", ".join(str(path) for path in paths))
    return INTERRUPTED if result.status == "interrupted" else 0
