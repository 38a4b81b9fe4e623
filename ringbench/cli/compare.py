"""``ringbench compare``: the Ringmaster paper's quadratic experiment, as a table and a plot."""

import json

from .. import experiments, plotting, timing
from .common import INTERRUPTED, add_common


def register(commands):
    compare = commands.add_parser("compare", help="the Ringmaster paper's quadratic experiment: table and plot")
    compare.add_argument("--methods", default=",".join(experiments.COMPARED),
                         help="comma-separated methods (default: %(default)s)")
    compare.add_argument("--theory", type=float, metavar="EPS",
                         help="theory-mode parameters for this eps instead of the paper's tuned ones")
    add_common(compare)
    compare.set_defaults(handler=handle)


def handle(args):
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
    return INTERRUPTED if results and results[-1].status == "interrupted" else 0
