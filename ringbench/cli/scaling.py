"""``ringbench scaling``: time to eps against n for every method in theory mode, beside the theory."""

import json
from pathlib import Path

from .. import _validate, plotting, scaling, theory, timing
from ..files import write_text_atomically
from .common import INTERRUPTED, comma_list
from .parser import path


def register(commands):
    parser = commands.add_parser("scaling")  # its one-line help: cli.COMMANDS
    parser.add_argument("--timing", default="sqrt", metavar="PROFILE",
                        help=f"timing profile: {', '.join(timing.PROFILES)} (default: %(default)s)")
    parser.add_argument("--ns", default=",".join(map(str, scaling.DEFAULT_NS)),
                        help="comma-separated worker counts (default: %(default)s)")
    parser.add_argument("--methods", default=",".join(theory.HOMOGENEOUS),
                        help="comma-separated methods (default: %(default)s)")
    parser.add_argument("--eps", type=float, default=scaling.DEFAULT_EPS,
                        help="target for ||grad f||^2 and theory-mode eps (default: %(default)s)")
    parser.add_argument("--sigma2", type=float, default=scaling.DEFAULT_SIGMA2,
                        help="noise variance sigma^2 (default: %(default)s)")
    parser.add_argument("--d", type=int, default=scaling.DEFAULT_D, help="dimension (default: %(default)s)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per point, median taken (default: %(default)s)")
    parser.add_argument("--budget", type=float, default=10.0,
                        help="stop a run at this many times its predicted time (default: %(default)s)")
    parser.add_argument("--out", type=path, default=Path("results"),
                        help="directory for scaling.json, scaling.txt and scaling.png (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=handle)


def handle(args):
    out = _validate.writable_directory("--out", args.out)
    ns = [_validate.count("--ns", n, bytes_each=_validate.WORKER_BYTES) for n in comma_list("--ns", args.ns, int)]
    names = [_validate.choice("--methods", name, theory.HOMOGENEOUS) for name in comma_list("--methods", args.methods)]
    problem = scaling.problem(args.d, args.sigma2)
    R = theory.threshold(problem.sigma2, _validate.real("--eps", args.eps, positive=True))
    # One worker count at a time, so that an interrupt (Ctrl-C, SIGTERM) keeps the counts finished before it.
    rows, status = [], 0
    try:
        for n in ns:
            rows += scaling.study(problem, args.timing, [n], eps=args.eps, names=names, seeds=args.seeds,
                                  budget=args.budget, progress=not args.quiet)
    except KeyboardInterrupt:
        if not rows:  # nothing to write: the command line says it was interrupted
            raise
        status = INTERRUPTED
    heading = (f"{problem!r}, isotropic noise; {args.timing} timing; eps = {args.eps:g} (R = S = {R}); "
               f"median of {args.seeds} seed(s)" + ("; interrupted" if status else ""))
    table = scaling.format_table(rows)
    # Written before anything is printed.
    write_text_atomically(out / "scaling.txt", f"{heading}\n{table}\n")
    write_text_atomically(out / "scaling.json", json.dumps(
        {"problem": problem.describe(), "timing": args.timing, "eps": args.eps, "seeds": args.seeds,
         "budget": args.budget, "rows": rows, "interrupted": bool(status),
         "bands": {name: list(band) for name, band in scaling.bands(rows).items()}}, indent=2))
    plot = plotting.save(scaling.plot(rows, title=heading), out / "scaling.png")
    print(heading)
    print(table)
    print(f"wrote {out / 'scaling.txt'}, {out / 'scaling.json'} and {plot}")
    return status
